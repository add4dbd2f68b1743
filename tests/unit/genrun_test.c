/* Unit tests of lib/genrun: running .flux.yaml commands. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/genrun.h"
#include "lib/mtime.h"
#include "tests/unit/tap.h"

#define MB (1024 * 1024)

/* run with no limits worth mentioning, stdout and stderr apart */
static int
run(const char *cmd, struct genrun_result *res)
{
	return genrun(cmd, NULL, NULL, 20, 16 * MB, 0, res);
}

static int
all_bytes(const struct buf *b, char c)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if (b->s[i] != c)
			return 0;
	return 1;
}

/* Gone, or a zombie nobody reaped yet (PID 1 in a container may be slow). */
static int
process_dead(long pid)
{
	struct timespec pause = { 0, 20000000 };
	char path[64], state = '?';
	FILE *fp;
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	for (i = 0; i < 50; i++) {
		fp = fopen(path, "r");
		if (fp == NULL)
			return 1;
		if (fscanf(fp, "%*d (%*[^)]) %c", &state) != 1)
			state = '?';
		fclose(fp);
		if (state == 'Z' || state == 'X')
			return 1;
		nanosleep(&pause, NULL);
	}
	return 0;
}

static void
test_capture(void)
{
	struct genrun_result res;
	struct buf why = BUF_INIT;

	is_int(run("echo out; echo err >&2", &res), 0, "echo runs");
	is_str(res.out.s, "out\n", "stdout captured");
	is_str(res.err.s, "err\n", "stderr captured apart");
	ok(res.exited && res.status == 0, "exit status 0");
	ok(!res.timed_out && !res.too_big, "no limit hit");
	is_int(genrun_failed(&res, &why), 0, "not a failure");
	is_int(why.len, 0, "no reason given");
	genrun_result_release(&res);

	run("printf 'a\\000b\\377\\n'; printf '\\000' >&2", &res);
	ok(res.out.len == 5 && memcmp(res.out.s, "a\0b\377\n", 5) == 0,
	    "stdout is binary-safe");
	ok(res.err.len == 1 && res.err.s[0] == '\0', "stderr is binary-safe");
	genrun_result_release(&res);

	run("true", &res);
	ok(res.out.len == 0 && res.err.len == 0 && res.status == 0,
	    "no output is empty output");
	genrun_result_release(&res);

	run("", &res);
	ok(res.exited && res.status == 0, "an empty command succeeds (sh)");
	genrun_result_release(&res);

	run("cat; readlink /proc/self/fd/0", &res);
	is_str(res.out.s, "/dev/null\n", "stdin is /dev/null");
	genrun_result_release(&res);

	run("echo a; echo b >&2; echo c; echo d >&2", &res);
	is_str(res.out.s, "a\nc\n", "stdout alone");
	is_str(res.err.s, "b\nd\n", "stderr alone");
	genrun_result_release(&res);
	is_int(genrun("echo a; echo b >&2; echo c; echo d >&2", NULL, NULL, 20,
	    MB, GENRUN_MERGE_STDERR, &res), 0, "merged run");
	is_str(res.out.s, "a\nb\nc\nd\n", "merged: both, in order");
	is_int(res.err.len, 0, "merged: err stays empty");
	genrun_result_release(&res);
	buf_release(&why);
}

static void
test_large(void)
{
	struct genrun_result res;
	double t0;

	/* stderr fills first: reading stdout alone would deadlock */
	t0 = mtime_now();
	is_int(run("head -c 300000 /dev/zero | tr '\\0' e >&2; "
	    "head -c 400000 /dev/zero | tr '\\0' o", &res), 0,
	    "large stderr, then large stdout");
	ok(res.out.len == 400000 && all_bytes(&res.out, 'o'),
	    "400000 bytes of stdout, exactly");
	ok(res.err.len == 300000 && all_bytes(&res.err, 'e'),
	    "300000 bytes of stderr, exactly");
	ok(res.status == 0 && !res.timed_out, "finished in time");
	genrun_result_release(&res);

	/* both at once */
	run("head -c 1000000 /dev/zero | tr '\\0' o & "
	    "head -c 1000000 /dev/zero | tr '\\0' e >&2 & wait", &res);
	ok(res.out.len == 1000000 && all_bytes(&res.out, 'o'),
	    "1 MB of stdout written alongside stderr");
	ok(res.err.len == 1000000 && all_bytes(&res.err, 'e'),
	    "1 MB of stderr written alongside stdout");
	ok(mtime_now() - t0 < 10, "no deadlock (took %.2fs)", mtime_now() - t0);
	genrun_result_release(&res);
}

static void
test_status(void)
{
	struct genrun_result res;
	struct buf why = BUF_INIT;

	run("exit 3", &res);
	ok(res.exited && res.status == 3, "exit 3");
	is_int(genrun_failed(&res, &why), 1, "exit 3 is a failure");
	is_str(why.s, "exited with status 3", "exit 3: why");
	genrun_result_release(&res);

	buf_reset(&why);
	run("kill -9 $$", &res);
	ok(!res.exited && res.status == 128 + SIGKILL, "killed: 128+9");
	is_int(genrun_failed(&res, &why), 1, "a kill is a failure");
	is_str(why.s, "killed by signal 9", "killed: why");
	genrun_result_release(&res);

	is_int(run("no-such-command-sluice", &res), 0,
	    "a missing command still runs sh");
	ok(res.exited && res.status == 127, "status 127 from sh");
	ok(strstr(res.err.s, "not found") != NULL, "sh says why on stderr");
	genrun_result_release(&res);

	run("sleep 0.1 & exit 0", &res);
	ok(res.exited && res.status == 0, "a background child does not "
	    "change the status");
	genrun_result_release(&res);
	buf_release(&why);
}

static void
test_cwd_env(void)
{
	struct genrun_result res;
	char dir[] = "/tmp/genrun_test.XXXXXX";
	char *real, *want, *here;
	char *env[] = { (char *)"FOO=1", (char *)"PATH=/usr/bin:/bin", NULL };

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	/* the directory's name with symbolic links resolved (pwd -P's) */
	here = getcwd(NULL, PATH_MAX);
	if (here == NULL || chdir(dir) < 0 ||
	    (real = getcwd(NULL, PATH_MAX)) == NULL || chdir(here) < 0) {
		ok(0, "getcwd: %s", strerror(errno));
		return;
	}
	free(here);
	want = malloc(strlen(real) + 2);
	snprintf(want, strlen(real) + 2, "%s\n", real);
	is_int(genrun("pwd -P", dir, NULL, 5, MB, 0, &res), 0, "run in dir");
	is_str(res.out.s, want, "cwd honoured");
	genrun_result_release(&res);
	is_int(genrun("pwd", dir, NULL, 5, MB, 0, &res), 0, "run in dir");
	ok(strcmp(res.out.s, want) == 0 ||
	    strncmp(res.out.s, dir, strlen(dir)) == 0, "pwd there too");
	genrun_result_release(&res);

	rmdir(dir);
	is_int(genrun("pwd", dir, NULL, 5, MB, 0, &res), -1,
	    "a missing directory: could not start (logged)");
	ok(res.out.len == 0 && res.err.len == 0, "nothing captured");
	genrun_result_release(&res);
	free(real);
	free(want);

	setenv("SLUICE_GENRUN_TEST", "ours", 1);
	run("printf %s \"$SLUICE_GENRUN_TEST\"", &res);
	is_str(res.out.s, "ours", "NULL envp: our environment");
	genrun_result_release(&res);

	genrun("printf '%s:%s:%s' \"$FOO\" \"${SLUICE_GENRUN_TEST-unset}\" "
	    "\"$PATH\"", NULL, env, 5, MB, 0, &res);
	is_str(res.out.s, "1:unset:/usr/bin:/bin",
	    "envp replaces the environment");
	genrun_result_release(&res);
	genrun("env | grep -v '^PWD=' | sort", NULL, env, 5, MB, 0, &res);
	is_str(res.out.s, "FOO=1\nPATH=/usr/bin:/bin\n",
	    "only FOO and PATH (and sh's PWD)");
	genrun_result_release(&res);
}

static void
test_fds_signals(void)
{
	struct genrun_result res;
	struct buf cmd = BUF_INIT;
	int p[2];

	/* a pipe of "the pipeline", not close-on-exec, at a high number */
	if (pipe(p) < 0 || dup2(p[1], 200) < 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	buf_addf(&cmd, "for fd in %d %d 200; do "
	    "[ -e /proc/$$/fd/$fd ] && echo \"leaked $fd\"; done; "
	    "ls /proc/$$/fd", p[0], p[1]);	/* no pipe: sh would hold it */
	run(cmd.s, &res);
	is_str(res.out.s, "0\n1\n2\n",
	    "only fds 0, 1 and 2 reach the command");
	genrun_result_release(&res);
	close(p[0]);
	close(p[1]);
	close(200);

	/* our ignored SIGPIPE must not reach the command */
	signal(SIGPIPE, SIG_IGN);
	run("yes | head -c 10 >/dev/null; echo \"$?\"", &res);
	is_str(res.out.s, "0\n", "pipeline with an early reader ends");
	genrun_result_release(&res);
	/*
	 * Signals 1-31 only: glibc reserves 32 and 33 and refuses to change
	 * them, so a runner that started us with them ignored passes that on
	 * whatever genrun does.
	 */
	run("grep SigIgn /proc/self/status", &res);
	ok(res.out.len > 8 && (strtoull(res.out.s + 7, NULL, 16) &
	    0x7fffffffULL) == 0, "no signal ignored in the command");
	genrun_result_release(&res);
	signal(SIGPIPE, SIG_DFL);

	run("ps -o pgid= -p $$; ps -o pid= -p $$", &res);
	if (res.out.len > 0) {
		long a = 0, b = 0;

		ok(sscanf(res.out.s, "%ld %ld", &a, &b) == 2 && a == b &&
		    a != (long)getpgrp(), "the command leads its own group");
	} else {
		ok(1, "the command leads its own group # SKIP no ps");
	}
	genrun_result_release(&res);
	buf_release(&cmd);
}

static void
test_timeout(void)
{
	struct genrun_result res;
	struct buf why = BUF_INIT;
	char pidfile[] = "/tmp/genrun_pid.XXXXXX";
	struct buf cmd = BUF_INIT;
	double t0, dt;
	long bg = 0;
	FILE *fp;
	int fd;

	t0 = mtime_now();
	is_int(genrun("sleep 10", NULL, NULL, 0.5, MB, 0, &res), 0,
	    "sleep 10 with a 0.5s limit");
	dt = mtime_now() - t0;
	ok(res.timed_out, "timed out");
	ok(dt >= 0.45 && dt < 3, "returned after the limit (%.2fs)", dt);
	ok(!res.exited && res.status == 128 + SIGTERM, "killed by SIGTERM");
	is_int(genrun_failed(&res, &why), 1, "a timeout is a failure");
	is_str(why.s, "timed out after 0.5s", "timeout: why");
	genrun_result_release(&res);

	/* the background sleep holds stdout: it must die with the shell */
	fd = mkstemp(pidfile);
	close(fd);
	buf_addf(&cmd, "sleep 10 & echo $! >%s; echo started; sleep 10",
	    pidfile);
	t0 = mtime_now();
	genrun(cmd.s, NULL, NULL, 0.5, MB, 0, &res);
	dt = mtime_now() - t0;
	ok(res.timed_out, "sleep 10 & sleep 10: timed out");
	ok(dt < 3, "sleep 10 & sleep 10: returned in %.2fs", dt);
	is_str(res.out.s, "started\n", "output before the kill is kept");
	genrun_result_release(&res);
	fp = fopen(pidfile, "r");
	if (fp == NULL || fscanf(fp, "%ld", &bg) != 1)
		bg = 0;
	if (fp != NULL)
		fclose(fp);
	ok(bg > 0 && process_dead(bg), "the background child was killed");
	unlink(pidfile);

	/* a group that ignores SIGTERM gets SIGKILL after the grace */
	t0 = mtime_now();
	genrun("trap '' TERM; sleep 10 & sleep 10", NULL, NULL, 0.5, MB, 0,
	    &res);
	dt = mtime_now() - t0;
	ok(res.timed_out && res.status == 128 + SIGKILL,
	    "SIGTERM ignored: SIGKILL (status %d)", res.status);
	ok(dt >= 0.5 + GENRUN_GRACE - 0.1 && dt < 3,
	    "after the grace (%.2fs)", dt);
	genrun_result_release(&res);

	/* the shell is gone but its child holds stdout: still the limit */
	t0 = mtime_now();
	genrun("sleep 10 & echo bye", NULL, NULL, 0.5, MB, 0, &res);
	dt = mtime_now() - t0;
	ok(res.timed_out && dt < 3,
	    "a background child holding stdout is timed out (%.2fs)", dt);
	genrun_result_release(&res);

	/* outputs closed, shell still running: the limit still holds */
	t0 = mtime_now();
	genrun("exec >&- 2>&-; sleep 10", NULL, NULL, 0.5, MB, 0, &res);
	dt = mtime_now() - t0;
	ok(res.timed_out && dt < 3,
	    "a command that closed its outputs is timed out (%.2fs)", dt);
	genrun_result_release(&res);

	/* out of reach: it left the group, and holds stdout */
	t0 = mtime_now();
	genrun("setsid sleep 10 & echo $!", NULL, NULL, 0.5, MB, 0, &res);
	dt = mtime_now() - t0;
	ok(res.timed_out && dt < 0.5 + 2 * GENRUN_GRACE + 0.5,
	    "a process that left the group is given up on (%.2fs)", dt);
	bg = strtol(res.out.s, NULL, 10);
	if (bg > 1)
		kill((pid_t)bg, SIGKILL);
	genrun_result_release(&res);

	t0 = mtime_now();
	genrun("sleep 0.2; echo done", NULL, NULL, 5, MB, 0, &res);
	dt = mtime_now() - t0;
	ok(!res.timed_out && res.status == 0 && dt < 2,
	    "a quick command within its limit (%.2fs)", dt);
	is_str(res.out.s, "done\n", "its output");
	genrun_result_release(&res);

	genrun("sleep 0.2; echo done", NULL, NULL, 0, MB, 0, &res);
	ok(!res.timed_out && res.status == 0, "timeout 0: no limit");
	genrun_result_release(&res);
	buf_release(&cmd);
	buf_release(&why);
}

static void
test_too_big(void)
{
	struct genrun_result res;
	struct buf why = BUF_INIT;
	double t0, dt;

	t0 = mtime_now();
	is_int(genrun("yes", NULL, NULL, 10, 1000, 0, &res), 0,
	    "endless output with a 1000-byte bound");
	dt = mtime_now() - t0;
	ok(res.too_big && !res.timed_out, "too big, not timed out");
	is_int(res.out.len, 1000, "the first 1000 bytes are kept");
	ok(dt < 3, "killed at once (%.2fs)", dt);
	is_int(genrun_failed(&res, &why), 1, "too big is a failure");
	is_str(why.s, "output larger than 1000 bytes", "too big: why");
	genrun_result_release(&res);

	genrun("yes >&2", NULL, NULL, 10, 1000, 0, &res);
	ok(res.too_big && res.err.len == 1000, "stderr is bounded too");
	genrun_result_release(&res);

	genrun("printf abc", NULL, NULL, 10, 3, 0, &res);
	ok(!res.too_big && res.status == 0, "exactly the bound is fine");
	is_str(res.out.s, "abc", "all of it");
	genrun_result_release(&res);

	genrun("printf abcd", NULL, NULL, 10, 3, 0, &res);
	ok(res.too_big, "one byte over is too big");
	is_str(res.out.s, "abc", "the bound's worth kept");
	genrun_result_release(&res);

	genrun("head -c 200000 /dev/zero", NULL, NULL, 10, 0, 0, &res);
	ok(!res.too_big && res.out.len == 200000, "max 0: no bound");
	genrun_result_release(&res);
	buf_release(&why);
}

int
main(void)
{
	test_capture();
	test_large();
	test_status();
	test_cwd_env();
	test_fds_signals();
	test_timeout();
	test_too_big();
	return tap_done();
}
