/*
 * replay.c: run a libFuzzer target over the files named on the command
 * line, without libFuzzer, so that `make check` (gcc, no fuzzer runtime)
 * checks the target's invariants over its corpus. A broken invariant
 * aborts; the file's name is on stderr before it runs.
 * Exit: 0, or 74 if a file cannot be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char *argv[])
{
	struct buf b = BUF_INIT;
	char *copy;
	int i, fd;

	for (i = 1; i < argc; i++) {
		fd = open(argv[i], O_RDONLY);
		buf_reset(&b);
		if (fd < 0 || buf_read_fd(&b, fd, (size_t)1 << 20) < 0) {
			fprintf(stderr, "replay: cannot read '%s': %s\n",
			    argv[i], strerror(errno));
			return EXIT_IOERR;
		}
		close(fd);
		fprintf(stderr, "replay: %s\n", argv[i]);
		/* exactly its size, as libFuzzer does, so that AddressSanitizer
		 * (make asan) sees a read past the end */
		copy = xmalloc(b.len ? b.len : 1);
		memcpy(copy, b.s, b.len);
		LLVMFuzzerTestOneInput((const uint8_t *)copy, b.len);
		free(copy);
	}
	buf_release(&b);
	return 0;
}
