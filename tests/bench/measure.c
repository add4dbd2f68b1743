/*
 * measure: run one command and say what it cost.
 *
 * usage: measure [-i FILE] [-o FILE] CMD [ARG...]
 *
 * CMD runs with stdin from -i FILE (default: ours) and stdout to -o FILE
 * (default /dev/null); stderr is ours. Its costs come from wait4, so they
 * are the child's own, not this program's.
 *
 * stdout: one line, "wall=S cpu=S user=S sys=S maxrssMB=M status=N", with
 * seconds, the peak resident set in MB (2^20 bytes), and the exit status
 * (128+n for a child killed by signal n). Exit: the child's status, or
 * 126 if CMD cannot be run and 127 if it is not found (as sh says); 64
 * (usage); 70 (wait failed); 74 (a file cannot be opened); 75 (no fork).
 */
/* wait4 is BSD, not POSIX: glibc declares it only with _DEFAULT_SOURCE */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/exitcode.h"
#include "lib/mtime.h"
#include "lib/banned.h"

static const char usage_line[] =
    "usage: measure [-i FILE] [-o FILE] CMD [ARG...]";

static double
tv_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* Open path onto fd in the child, or exit 74 from the child. */
static void
redirect(const char *path, int flags, int fd)
{
	int f;

	f = open(path, flags, 0666);
	if (f < 0) {
		fprintf(stderr, "measure: cannot open '%s': %s\n", path,
		    strerror(errno));
		_exit(EXIT_IOERR);
	}
	if (f != fd) {
		if (dup2(f, fd) < 0) {
			fprintf(stderr, "measure: cannot redirect '%s': %s\n",
			    path, strerror(errno));
			_exit(EXIT_IOERR);
		}
		close(f);
	}
}

int
main(int argc, char *argv[])
{
	const char *in = NULL, *out = "/dev/null";
	struct rusage ru;
	double t0, wall, user, sys;
	pid_t pid;
	int ch, status, code;

	/* "+": stop at CMD, whose own flags are not ours */
	while ((ch = getopt(argc, argv, "+i:o:")) != -1) {
		switch (ch) {
		case 'i':
			in = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			fprintf(stderr, "%s\n", usage_line);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "%s\n", usage_line);
		return EXIT_USAGE;
	}

	fflush(stdout);
	t0 = mtime_now();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "measure: cannot fork: %s\n", strerror(errno));
		return EXIT_TEMPFAIL;
	}
	if (pid == 0) {
		if (in != NULL)
			redirect(in, O_RDONLY, STDIN_FILENO);
		redirect(out, O_WRONLY | O_CREAT | O_TRUNC, STDOUT_FILENO);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "measure: cannot run '%s': %s\n", argv[optind],
		    strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "measure: cannot wait: %s\n",
			    strerror(errno));
			return EXIT_SOFTWARE;
		}
	}
	wall = mtime_now() - t0;
	user = tv_seconds(&ru.ru_utime);
	sys = tv_seconds(&ru.ru_stime);
	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		code = 128 + WTERMSIG(status);
	else
		code = 255;

	/* ru_maxrss is in KB on Linux */
	printf("wall=%.4f cpu=%.4f user=%.4f sys=%.4f maxrssMB=%.1f "
	    "status=%d\n", wall, user + sys, user, sys,
	    (double)ru.ru_maxrss / 1024.0, code);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "measure: cannot write stdout: %s\n",
		    strerror(errno));
		return EXIT_IOERR;
	}
	return code;
}
