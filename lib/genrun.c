/*
 * _GNU_SOURCE for close_range(2) alone: after fork() in a program that may
 * have threads only async-signal-safe calls are allowed, which rules out
 * reading /proc/self/fd, and a close() loop up to RLIMIT_NOFILE can mean a
 * million system calls per command. Everything else here is POSIX.
 */
#define _GNU_SOURCE
#include "lib/genrun.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mtime.h"
#include "lib/banned.h"

extern char **environ;

/* What the child reports through the exec pipe when it cannot go on. */
enum child_stage { STAGE_PGID = 1, STAGE_CHDIR, STAGE_FDS, STAGE_EXEC };
struct child_report {
	int stage;
	int err;
};

#define READ_CHUNK 65536
/* the bound of the close() loop where close_range(2) is missing */
#define MAX_CLOSE_LOOP 65536

static const char shell[] = "/bin/sh";

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);	/* not retried: Linux frees it anyway */
	*fd = -1;
}

/* pipe() with FD_CLOEXEC on both ends. 0, or -1 with errno set. */
static int
make_pipe(int p[2])
{
	if (pipe(p) < 0)
		return -1;
	if (fcntl(p[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(p[1], F_SETFD, FD_CLOEXEC) < 0) {
		int saved = errno;

		close_fd(&p[0]);
		close_fd(&p[1]);
		errno = saved;
		return -1;
	}
	return 0;
}

/* From here to execve, only async-signal-safe calls (we are forked). */
static _Noreturn void
child_fail(int fd, enum child_stage stage)
{
	struct child_report r;
	ssize_t n;

	r.stage = stage;
	r.err = errno;
	do
		n = write(fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

static int
dup_high(int fd)
{
	int r;

	do
		r = fcntl(fd, F_DUPFD, 4);
	while (r < 0 && errno == EINTR);
	return r;
}

static void
child_close_fds(long maxfd)
{
	long fd;

#if defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	if (close_range(4, ~0U, 0) == 0)
		return;
#endif
	for (fd = 4; fd < maxfd; fd++)
		(void)close((int)fd);
}

static _Noreturn void
child(const char *cwd, int nullfd, int outfd, int errfd, int repfd,
    long maxfd, char *argv[], char *const envp[])
{
	static const int sigs[] = {
		SIGPIPE, SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGALRM,
		SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU
	};
	struct sigaction sa;
	sigset_t none;
	int fds[4], i, r;

	/* ignored signals would stay ignored across exec */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigemptyset(&sa.sa_mask);
	for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
		(void)sigaction(sigs[i], &sa, NULL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	if (setpgid(0, 0) < 0)
		child_fail(repfd, STAGE_PGID);
	if (cwd != NULL && chdir(cwd) < 0)
		child_fail(repfd, STAGE_CHDIR);

	/*
	 * Lift everything above 3 first, so that no dup2 below overwrites a
	 * source still needed and none is a no-op that keeps FD_CLOEXEC (as
	 * when a pipe end already is fd 1 because the caller closed stdout).
	 */
	fds[3] = dup_high(repfd);
	if (fds[3] < 0)
		child_fail(repfd, STAGE_FDS);
	fds[0] = dup_high(nullfd);
	fds[1] = dup_high(outfd);
	fds[2] = errfd < 0 ? fds[1] : dup_high(errfd);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0)
		child_fail(fds[3], STAGE_FDS);
	for (i = 0; i < 4; i++) {
		do
			r = dup2(fds[i], i);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			child_fail(fds[3], STAGE_FDS);
	}
	/* the report pipe must close on exec: that is how success shows */
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		child_fail(fds[3], STAGE_FDS);
	child_close_fds(maxfd);

	(void)execve(shell, argv, envp);
	child_fail(3, STAGE_EXEC);
}

/* Append what is readable on *fd to b; at end of file, close *fd. */
static void
read_some(int *fd, struct buf *b, size_t max, int *too_big)
{
	ssize_t n;

	buf_grow(b, READ_CHUNK);
	do
		n = read(*fd, b->s + b->len, READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		if (n < 0)
			log_errno("cannot read a command's output");
		close_fd(fd);
		return;
	}
	buf_setlen(b, b->len + (size_t)n);
	/* keep reading past the bound, so the writer never blocks on us */
	if (max && b->len > max) {
		buf_setlen(b, max);
		*too_big = 1;
	}
}

static void
kill_group(pid_t pid, int sig)
{
	/* pid is the group's id; the leader is not reaped yet, so it is ours */
	(void)kill(-pid, sig);
}

static int
reap(pid_t pid, int flags, struct genrun_result *res)
{
	pid_t r;
	int ws;

	do
		r = waitpid(pid, &ws, flags);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return log_errno("cannot wait for '%s'", shell);
	if (r == 0)
		return 0;
	if (WIFEXITED(ws)) {
		res->exited = 1;
		res->status = WEXITSTATUS(ws);
	} else if (WIFSIGNALED(ws)) {
		res->status = 128 + WTERMSIG(ws);
	}
	return 1;
}

static int
ms_until(double t, double when)
{
	double ms = (when - t) * 1000;

	if (ms <= 0)
		return 0;
	if (ms > INT_MAX - 1)
		return INT_MAX;
	return (int)ms + 1;	/* round up: waking early would spin */
}

/*
 * Read both outputs until end of file and reap the shell, killing its
 * group when the time limit passes or an output grows too big.
 */
static int
collect(const char *command, pid_t pid, int *outfd, int *errfd,
    double timeout, struct genrun_result *res)
{
	enum { RUNNING, TERMED, KILLED, ABANDONED } stage = RUNNING;
	double deadline = 0, next = 0, t;
	struct pollfd pfd[2];
	int *fds[2], nfds, i, r, wait_ms, backoff_ms = 1;
	struct buf *bufs[2];

	fds[0] = outfd;		/* closed here at end of file */
	fds[1] = errfd;
	bufs[0] = &res->out;
	bufs[1] = &res->err;
	if (timeout > 0)
		deadline = mtime_now() + timeout;
	for (;;) {
		t = mtime_now();
		if (res->too_big && stage == RUNNING) {
			kill_group(pid, SIGTERM);
			stage = TERMED;
			next = t + GENRUN_GRACE;
		}
		if (stage == RUNNING && deadline > 0 && t >= deadline) {
			res->timed_out = 1;
			kill_group(pid, SIGTERM);
			stage = TERMED;
			next = t + GENRUN_GRACE;
		} else if (stage == TERMED && t >= next) {
			kill_group(pid, SIGKILL);
			stage = KILLED;
			next = t + GENRUN_GRACE;
		} else if (stage == KILLED && t >= next) {
			/* something outside the group holds a pipe */
			log_warn("stopped reading the output of '%s': a "
			    "process that left its process group keeps it "
			    "open", command);
			close_fd(fds[0]);
			close_fd(fds[1]);
			stage = ABANDONED;
		}

		nfds = 0;
		for (i = 0; i < 2; i++) {
			if (*fds[i] < 0)
				continue;
			pfd[nfds].fd = *fds[i];
			pfd[nfds].events = POLLIN;
			pfd[nfds].revents = 0;
			nfds++;
		}
		if (nfds == 0) {
			/* the outputs are closed: is the shell gone too? */
			r = reap(pid, WNOHANG, res);
			if (r != 0)
				return r < 0 ? -1 : 0;
		}

		wait_ms = -1;
		if (stage == RUNNING && deadline > 0)
			wait_ms = ms_until(t, deadline);
		else if (stage == TERMED || stage == KILLED)
			wait_ms = ms_until(t, next);
		if (nfds == 0) {
			/* no descriptor tells us of the exit: poll for it */
			if (wait_ms < 0 || wait_ms > backoff_ms)
				wait_ms = backoff_ms;
			if (backoff_ms < 50)
				backoff_ms *= 2;
		}
		r = poll(pfd, (nfds_t)nfds, wait_ms);
		if (r < 0 && errno != EINTR && errno != EAGAIN) {
			log_errno("cannot poll a command's output");
			kill_group(pid, SIGKILL);
			close_fd(fds[0]);
			close_fd(fds[1]);
			stage = ABANDONED;
			continue;
		}
		for (i = 0; r > 0 && i < nfds; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == *fds[0])
				read_some(fds[0], bufs[0], res->max_out,
				    &res->too_big);
			else
				read_some(fds[1], bufs[1], res->max_out,
				    &res->too_big);
		}
	}
}

int
genrun(const char *command, const char *cwd, char *const envp[],
    double timeout, size_t max_out, int flags, struct genrun_result *res)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, rep[2] = { -1, -1 };
	int nullfd = -1, merge = flags & GENRUN_MERGE_STDERR;
	struct child_report report;
	char *argv[4];
	ssize_t n;
	long maxfd;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	buf_init(&res->out, 0);
	buf_init(&res->err, 0);
	res->timeout = timeout;
	res->max_out = max_out;

	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd < 0) {
		log_errno("cannot open '/dev/null'");
		goto fail;
	}
	if (make_pipe(outp) < 0 || (!merge && make_pipe(errp) < 0) ||
	    make_pipe(rep) < 0) {
		log_errno("cannot create a pipe");
		goto fail;
	}
	maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > MAX_CLOSE_LOOP)
		maxfd = MAX_CLOSE_LOOP;
	/* execve's argv is not const, but it does not write to it */
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)command;
	argv[3] = NULL;

	pid = fork();
	if (pid < 0) {
		log_errno("cannot fork");
		goto fail;
	}
	if (pid == 0)
		child(cwd, nullfd, outp[1], errp[1], rep[1], maxfd, argv,
		    envp != NULL ? envp : environ);
	/* both sides set the group, so kill(-pid) works whoever runs first */
	(void)setpgid(pid, pid);
	close_fd(&nullfd);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	close_fd(&rep[1]);

	/* end of file: execve worked and closed the report pipe */
	do
		n = read(rep[0], &report, sizeof(report));
	while (n < 0 && errno == EINTR);
	close_fd(&rep[0]);
	if (n == (ssize_t)sizeof(report)) {
		(void)reap(pid, 0, res);
		errno = report.err;
		if (report.stage == STAGE_CHDIR)
			log_errno("cannot change directory to '%s'", cwd);
		else if (report.stage == STAGE_EXEC)
			log_errno("cannot run '%s'", shell);
		else
			log_errno("cannot set up a child process");
		goto fail;
	}
	if (collect(command, pid, &outp[0], &errp[0], timeout, res) < 0)
		goto fail;
	close_fd(&outp[0]);
	close_fd(&errp[0]);
	return 0;
fail:
	close_fd(&nullfd);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	close_fd(&rep[0]);
	close_fd(&rep[1]);
	genrun_result_release(res);
	return -1;
}

int
genrun_failed(const struct genrun_result *res, struct buf *why)
{
	if (res->timed_out)
		buf_addf(why, "timed out after %gs", res->timeout);
	else if (res->too_big)
		buf_addf(why, "output larger than %zu bytes", res->max_out);
	else if (!res->exited)
		buf_addf(why, "killed by signal %d", res->status - 128);
	else if (res->status != 0)
		buf_addf(why, "exited with status %d", res->status);
	else
		return 0;
	return 1;
}

void
genrun_result_release(struct genrun_result *res)
{
	buf_release(&res->out);
	buf_release(&res->err);
	memset(res, 0, sizeof(*res));
	buf_init(&res->out, 0);
	buf_init(&res->err, 0);
}
