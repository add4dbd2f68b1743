/*
 * genrun.h: run one .flux.yaml generator or updater command the way Flux
 * v1 does (flux-v1-reference.md section 4.3): "/bin/sh -c COMMAND" in a
 * given directory, stdin from /dev/null, stdout and stderr captured, with
 * a time limit and a size limit.
 *
 *	struct genrun_result res;
 *	struct buf why = BUF_INIT;
 *	if (genrun(cmd, dir, NULL, 60, 64 << 20, 0, &res) < 0)
 *		... could not start: already logged ...
 *	else if (genrun_failed(&res, &why))
 *		... "generator 'x' failed: <why>", with res.err for detail ...
 *	else
 *		... res.out is the manifest stream ...
 *	genrun_result_release(&res);
 *
 * The command runs in a process group of its own. When the time limit
 * passes, or an output grows past its limit, the whole group gets SIGTERM,
 * and SIGKILL GENRUN_GRACE seconds later if anything of it is still there.
 * Background children are therefore killed with the shell, which Flux v1
 * (killing only the shell) did not do. A process that leaves the group
 * (setsid) is out of reach: if it keeps an output pipe open, genrun stops
 * reading GENRUN_GRACE seconds after the SIGKILL and returns anyway.
 *
 * genrun waits for end of file on both outputs and for the shell's exit:
 * a background child that still holds stdout keeps the command running,
 * and is subject to the time limit like the rest. On a normal exit,
 * processes that closed their outputs are left alone, as Flux left them.
 *
 * All file descriptors other than 0, 1 and 2 are closed in the child, so
 * the pipes of the pipeline the caller belongs to do not leak into the
 * command (close_range(2), or a loop up to min(OPEN_MAX, 65536) where the
 * kernel lacks it). Signals the caller ignores or blocks are restored to
 * the default in the child. Uses fork(): safe in threaded programs (only
 * async-signal-safe calls happen between fork and exec). It installs no
 * signal handlers and reaps only its own child, by pid; the caller must not
 * set SIGCHLD to SIG_IGN (the exit status would be lost: genrun logs that
 * and returns -1).
 */
#ifndef SLUICE_GENRUN_H
#define SLUICE_GENRUN_H

#include <stddef.h>

#include "lib/buf.h"

/* Seconds between SIGTERM and SIGKILL, and after SIGKILL (see above). */
#define GENRUN_GRACE 1.0

/*
 * Send the command's stderr into res->out along with its stdout, in the
 * order written (Flux v1's updaters); res->err stays empty.
 */
#define GENRUN_MERGE_STDERR 1

struct genrun_result {
	struct buf out, err;	/* what the command wrote; any bytes */
	int exited;		/* 1: exited (status is its code); 0: killed */
	int status;		/* exit code, or 128 + signal number */
	int timed_out;		/* killed because the time limit passed */
	int too_big;		/* killed because an output passed max_out */
	/* the limits it ran with, for genrun_failed's message */
	double timeout;
	size_t max_out;
};

/*
 * Run "/bin/sh -c command" (command not NULL) with cwd (NULL: ours) as
 * working directory and envp (a NULL-terminated "NAME=value" list; NULL:
 * our environment) as its whole environment. timeout is in seconds (0 or less: no limit); max_out
 * bounds each of res->out and res->err in bytes (0: no limit), and a
 * command that writes more is killed, with the first max_out bytes kept.
 * flags: GENRUN_MERGE_STDERR or 0. All arguments are borrowed.
 *
 * *res is initialised here; release it with genrun_result_release after
 * either return. 0: the command ran and was waited for; look at *res
 * (a missing command is status 127 from sh, not an error here). -1: it
 * could not be started (no pipe, no fork, cwd missing, no /bin/sh), and
 * that was logged.
 */
int genrun(const char *command, const char *cwd, char *const envp[],
    double timeout, size_t max_out, int flags, struct genrun_result *res);

/*
 * 0 if the command exited 0 in time with its output within bounds.
 * Otherwise 1, with why the command failed appended to why, one of
 * "timed out after 2s", "output larger than 1048576 bytes", "exited with
 * status 3", "killed by signal 9" (checked in that order).
 */
int genrun_failed(const struct genrun_result *res, struct buf *why);

void genrun_result_release(struct genrun_result *res);

#endif
