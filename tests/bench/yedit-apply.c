/*
 * yedit-apply: time lib/yedit alone, one edit of one file, for the
 * img-update benchmark (make bench): the edit without exec, stream, Git.
 *
 * usage: yedit-apply [-r runs] [-o OUT] FILE DOC PATH VALUE [EXPECT]
 *
 * FILE is read into memory first; then yedit_apply sets the scalar at JSON
 * Pointer PATH of document DOC (0-based) to VALUE (with EXPECT, only if it
 * holds EXPECT now), which includes the read-back check of the edited
 * document. The best of -r runs (default 10) is reported, and the new file
 * is written to OUT if given.
 *
 * stdout: one line, "bytes=B done=D seconds=S" (D is 1 when the edit was
 * made). Exit: 0, 1 (the edit was not made: the reason on stderr), 64
 * (usage), 74 (cannot read or write).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/mtime.h"
#include "lib/num.h"
#include "lib/yedit.h"
#include "lib/banned.h"

static const char usage_line[] =
    "usage: yedit-apply [-r runs] [-o OUT] FILE DOC PATH VALUE [EXPECT]";

static void
usage(void)
{
	fprintf(stderr, "%s\n", usage_line);
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct yedit e = YEDIT_INIT;
	const char *outpath = NULL;
	double t0, t, best = -1;
	long runs = 10, doc, i;
	int ch, fd;

	while ((ch = getopt(argc, argv, "r:o:")) != -1) {
		switch (ch) {
		case 'r':
			if (num_parse_long(optarg, 1, 100000, &runs) < 0)
				usage();
			break;
		case 'o':
			outpath = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 4 || argc > 5 ||
	    num_parse_long(argv[1], 0, 1000000, &doc) < 0)
		usage();

	fd = open(argv[0], O_RDONLY);
	if (fd < 0 || buf_read_fd(&in, fd, (size_t)1 << 30) < 0) {
		fprintf(stderr, "yedit-apply: cannot read '%s': %s\n",
		    argv[0], strerror(errno));
		return EXIT_IOERR;
	}
	close(fd);

	for (i = 0; i < runs; i++) {
		yedit_release(&e);
		e = (struct yedit)YEDIT_INIT;
		e.doc = (unsigned long)doc;
		e.path = argv[2];
		e.value = argv[3];
		e.expect = argc == 5 ? argv[4] : NULL;
		buf_reset(&out);
		t0 = mtime_now();
		yedit_apply(in.s, in.len, &e, 1, &out);
		t = mtime_now() - t0;
		if (best < 0 || t < best)
			best = t;
		if (!e.done) {
			fprintf(stderr, "yedit-apply: not edited: %s\n",
			    e.err.s);
			return 1;
		}
	}

	if (outpath != NULL) {
		FILE *fp = fopen(outpath, "w");

		if (fp == NULL || fwrite(out.s, 1, out.len, fp) != out.len ||
		    fclose(fp) != 0) {
			fprintf(stderr, "yedit-apply: cannot write '%s': %s\n",
			    outpath, strerror(errno));
			return EXIT_IOERR;
		}
	}
	printf("bytes=%zu done=%d seconds=%.6f\n", in.len, e.done, best);
	yedit_release(&e);
	buf_release(&in);
	buf_release(&out);
	return 0;
}
