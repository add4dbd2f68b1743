/*
 * Unit tests of lib/applystate: kube-apply's memory of what it applied.
 * A state is trusted only whole and for its own key, so most of this is
 * files that must read as no state at all.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/applystate.h"
#include "lib/buf.h"
#include "lib/fsx.h"
#include "lib/log.h"
#include "tests/unit/tap.h"

static char tmp[] = "/tmp/applystate_test.XXXXXX";
static struct buf dir = BUF_INIT;	/* tmp/state: made by the first write */
static struct buf key = BUF_INIT;

#define SUM_A "0123456789abcdef0123456789abcdef01234567"
#define SUM_B "89abcdef0123456789abcdef0123456789abcdef"

static const char *
file_of(const char *source)
{
	static struct buf p = BUF_INIT;

	buf_reset(&p);
	buf_addf(&p, "%s/%s/kube-apply.state", dir.s, source);
	return p.s;
}

/* Put text as the state file of source "s". */
static void
put(const char *text, size_t n)
{
	struct buf d = BUF_INIT;

	buf_addf(&d, "%s/s", dir.s);
	(void)mkdir(dir.s, 0755);
	(void)mkdir(d.s, 0700);
	if (fsx_write_atomic(file_of("s"), text, n, 0600) < 0)
		printf("# cannot write '%s'\n", file_of("s"));
	buf_release(&d);
}

/* Does the state of source "s" load with key k? */
static int
loads(const char *k)
{
	struct applystate st = APPLYSTATE_INIT;
	int r = applystate_load(&st, dir.s, "s", k);

	applystate_release(&st);
	return r;
}

static void
test_names(void)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "/", "../x" };
	size_t i;

	ok(applystate_source_ok("demo") && applystate_source_ok("a..b") &&
	    applystate_source_ok(".hidden"), "ordinary source names");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!applystate_source_ok(bad[i]), "'%s' cannot name a folder",
		    bad[i]);
}

static void
test_key(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT;

	applystate_key(&a, "https://k:6443", (const char *[]){ "b", "a",
	    "b" }, 3);
	is_str(a.s, "{\"target\":\"https://k:6443\",\"allow\":[\"a\",\"b\"]}",
	    "the key: the target, the namespaces sorted and once each");
	applystate_key(&b, "dir:/x\ny", NULL, 0);
	is_str(b.s, "{\"target\":\"dir:/x\\ny\",\"allow\":[]}",
	    "no namespaces; a newline cannot break the line");
	buf_release(&a);
	buf_release(&b);
}

static void
test_round_trip(void)
{
	struct applystate st = APPLYSTATE_INIT;
	struct applystate_writer w;
	struct stat sb, sb2;

	ok(applystate_load(&st, dir.s, "s", key.s) == 0 &&
	    applystate_get(&st, "x") == NULL, "no file: no state");
	applystate_writer_init(&w, key.s);
	applystate_writer_add(&w, "ns:configmap/a", SUM_A);
	applystate_writer_add(&w, "<cluster>:namespace/ns", SUM_B);
	applystate_writer_add(&w, "ns:configmap/a", SUM_B);
	applystate_writer_add(&w, "ns:configmap/tab\there", SUM_A);
	applystate_writer_add(&w, "ns:configmap/nl\nhere", SUM_A);
	applystate_writer_add(&w, "", SUM_A);
	applystate_writer_add(&w, "ns:configmap/short", "abc");
	applystate_writer_add(&w, "ns:configmap/upper", "0123456789ABCDEF"
	    "0123456789abcdef01234567");
	ok(applystate_write(&w, dir.s, "s", NULL) == 0, "written, folders "
	    "and all");
	ok(stat(file_of("s"), &sb) == 0 && (sb.st_mode & 07777) == 0600,
	    "mode 0600");
	ok(applystate_load(&st, dir.s, "s", key.s) == 1, "read back");
	is_str(applystate_get(&st, "ns:configmap/a"), SUM_A,
	    "the first of an ID twice counts");
	is_str(applystate_get(&st, "<cluster>:namespace/ns"), SUM_B,
	    "another entry");
	ok(st.sums.count == 2, "IDs with a tab or newline, an empty one and "
	    "bad checksums are left out");
	ok(loads("{\"target\":\"elsewhere\",\"allow\":[]}") == 0,
	    "another key: no state");

	/* the same again: nothing written, the file (inode) stays */
	applystate_writer_init(&w, key.s);
	applystate_writer_add(&w, "ns:configmap/a", SUM_A);
	applystate_writer_add(&w, "<cluster>:namespace/ns", SUM_B);
	ok(applystate_write(&w, dir.s, "s", &st) == 0 &&
	    stat(file_of("s"), &sb2) == 0 && sb2.st_ino == sb.st_ino,
	    "the same state again is not rewritten");
	applystate_writer_init(&w, key.s);
	applystate_writer_add(&w, "ns:configmap/a", SUM_A);
	ok(applystate_write(&w, dir.s, "s", &st) == 0 &&
	    stat(file_of("s"), &sb2) == 0 && sb2.st_ino != sb.st_ino &&
	    loads(key.s), "a different one is");
	applystate_release(&st);

	ok(applystate_remove(dir.s, "s") == 0 && access(file_of("s"), F_OK) <
	    0, "removed");
	ok(applystate_remove(dir.s, "s") == 0, "removing none is fine");
	ok(loads(key.s) == 0, "and then there is none");
}

/* Every way a file may be wrong reads as no state. */
static void
test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"sluice kube-apply state 1\n",
		"sluice kube-apply state 2\nKEY\nend 0\n",
		"sluice kube-apply state 1\nKEY\n",
		"sluice kube-apply state 1\nKEY\nend 0",
		"sluice kube-apply state 1\nKEY\nend 1\n",
		"sluice kube-apply state 1\nKEY\nend 00\n",
		"sluice kube-apply state 1\nKEY\nend 0\nend 0\n",
		"sluice kube-apply state 1\nKEY\nend 0\n" SUM_A "\tx\n",
		"sluice kube-apply state 1\nKEY\n" SUM_A "\tx\n",
		"sluice kube-apply state 1\nKEY\n" SUM_A "\tx\n" SUM_A "\tx\n"
		    "end 2\n",
		"sluice kube-apply state 1\nKEY\n" SUM_A "\t\nend 1\n",
		"sluice kube-apply state 1\nKEY\n" SUM_A "x\tx\nend 1\n",
		"sluice kube-apply state 1\nKEY\n" SUM_A "\tx\ty\nend 1\n",
		"sluice kube-apply state 1\nKEY\n0123456789ABCDEF0123456789abcdef"
		    "01234567\tx\nend 1\n",
		"sluice kube-apply state 1\nKEY\n\nend 0\n",
		"sluice kube-apply state 1\r\nKEY\nend 0\n",
		"sluice kube-apply state 1\nkey {}\nend 0\n",
	};
	struct buf good = BUF_INIT, t = BUF_INIT;
	const char *k;
	size_t i, n, fails = 0;

	buf_addf(&good, "sluice kube-apply state 1\nkey %s\n" SUM_A "\tns:a/b\n"
	    SUM_B "\tns:a/c\nend 2\n", key.s);
	put(good.s, good.len);
	ok(loads(key.s) == 1, "a good file loads");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&t);
		for (k = bad[i]; *k; k++)
			if (strncmp(k, "KEY", 3) == 0) {
				buf_addf(&t, "key %s", key.s);
				k += 2;
			} else {
				buf_addch(&t, *k);
			}
		put(t.s, t.len);
		ok(loads(key.s) == 0, "malformed file %zu reads as none", i);
	}
	/* every cut of the good file short of the whole */
	for (n = 0; n < good.len; n++) {
		put(good.s, n);
		fails += loads(key.s) != 0;
	}
	is_int(fails, 0, "every truncation of a good file reads as none");
	buf_reset(&t);
	buf_add(&t, good.s, good.len);
	t.s[good.len / 2] = '\0';
	put(t.s, t.len);
	ok(loads(key.s) == 0, "a NUL byte: none");
	buf_release(&good);
	buf_release(&t);
}

static void
test_refused(void)
{
	struct buf d = BUF_INIT;
	int fd;

	/* sparse: refused by its size, not read */
	fd = open(file_of("s"), O_WRONLY | O_TRUNC);
	ok(fd >= 0 && ftruncate(fd, (off_t)APPLYSTATE_MAX_FILE + 1) == 0 &&
	    loads(key.s) == 0, "a file over the limit: none");
	if (fd >= 0)
		close(fd);
	unlink(file_of("s"));
	ok(symlink("/etc/passwd", file_of("s")) == 0 && loads(key.s) == 0,
	    "a link is not followed");
	unlink(file_of("s"));
	ok(mkdir(file_of("s"), 0700) == 0 && loads(key.s) == 0,
	    "a folder: none");
	rmdir(file_of("s"));
	buf_addf(&d, "%s/nowhere", tmp);
	ok(applystate_remove(d.s, "s") == 0, "remove with no folder at all");
	buf_release(&d);
}

int
main(void)
{
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	log_set_level(LOG_WARN);	/* the refusals are info */
	buf_addf(&dir, "%s/state", tmp);
	applystate_key(&key, "https://127.0.0.1:6443", NULL, 0);
	test_names();
	test_key();
	test_round_trip();
	test_malformed();
	test_refused();
	fsx_remove_tree(tmp);
	buf_release(&dir);
	buf_release(&key);
	return tap_done();
}
