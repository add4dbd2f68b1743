/*
 * Unit tests of lib/rendercache: fields, file and folder entries kept and
 * found, damage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/rendercache.h"
#include "tests/unit/tap.h"

static void
test_fields(void)
{
	static const char *const bad[] = {
		"", ":", "x", "3", "3:ab", "99999999999999999999999:a",
		"18446744073709551615:", "-1:a",
	};
	struct buf b = BUF_INIT;
	const char *p, *s;
	char big[1203];
	size_t n, i;

	rendercache_put(&b, "a\nb", 3);
	rendercache_puts(&b, NULL);
	rendercache_puts(&b, "");
	is_str(b.s, "3:a\nb-0:", "fields written");
	p = b.s;
	ok(rendercache_get(&p, b.s + b.len, &s, &n) == 1 && n == 3 &&
	    memcmp(s, "a\nb", 3) == 0, "a field with a newline read back");
	ok(rendercache_get(&p, b.s + b.len, &s, &n) == 0, "NULL read back");
	ok(rendercache_get(&p, b.s + b.len, &s, &n) == 1 && n == 0,
	    "an empty field read back");
	ok(p == b.s + b.len, "all of it read");
	buf_reset(&b);
	memset(big, 'x', sizeof(big));
	rendercache_put(&b, big, sizeof(big));
	ok(b.len == 5 + sizeof(big) && memcmp(b.s, "1203:x", 6) == 0,
	    "a length of four digits");
	p = b.s;
	ok(rendercache_get(&p, b.s + b.len, &s, &n) == 1 && n == 1203 &&
	    p == b.s + b.len, "read back");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = bad[i];
		ok(rendercache_get(&p, bad[i] + strlen(bad[i]), &s, &n) < 0 ||
		    (*bad[i] == '-' && p == bad[i] + 1),
		    "'%s' is not a field (or only the NULL at its start)",
		    bad[i]);
	}
	buf_release(&b);
}

static void
test_keep_find(const char *dir)
{
	struct buf path = BUF_INIT;
	struct rendercache *c;
	const char *d;
	size_t n;
	FILE *f;

	buf_addf(&path, "%s/render.cache", dir);
	c = rendercache_open(path.s, "v1");
	ok(rendercache_find(c, "a.yaml", "k1", &n) == NULL, "empty at first");
	rendercache_keep(c, "a.yaml", "k1", "data\none", 8);
	rendercache_keep(c, "b.yaml", "k2", "", 0);
	ok(rendercache_commit(c) == 0, "committed");
	rendercache_close(c);

	c = rendercache_open(path.s, "v1");
	d = rendercache_find(c, "a.yaml", "k1", &n);
	ok(d != NULL && n == 8 && memcmp(d, "data\none", 8) == 0,
	    "an entry found by file and key");
	ok(rendercache_find(c, "a.yaml", "k9", &n) == NULL,
	    "not under another key");
	ok(rendercache_find(c, "b.yaml", "k2", &n) != NULL && n == 0,
	    "an empty entry found");
	ok(rendercache_find(c, "c.yaml", "k1", &n) == NULL, "nor another file");
	/* this run keeps only b: a is gone from the next */
	rendercache_keep(c, "b.yaml", "k2", "", 0);
	ok(rendercache_commit(c) == 0, "committed again");
	rendercache_close(c);
	c = rendercache_open(path.s, "v1");
	ok(rendercache_find(c, "a.yaml", "k1", &n) == NULL &&
	    rendercache_find(c, "b.yaml", "k2", &n) != NULL,
	    "what a run did not keep is gone");
	rendercache_close(c);

	c = rendercache_open(path.s, "v2");
	ok(rendercache_find(c, "b.yaml", "k2", &n) == NULL,
	    "other params: nothing found");
	rendercache_close(c);	/* not committed: the old file stays */
	c = rendercache_open(path.s, "v1");
	ok(rendercache_find(c, "b.yaml", "k2", &n) != NULL,
	    "a cache not committed leaves the old one");
	rendercache_close(c);

	/* an end mark that does not count the entries */
	f = fopen(path.s, "w");
	fputs("sluice-render-cache 2\n2:v1\nE 6:a.yaml2:k11:x\n. 2\n", f);
	fclose(f);
	c = rendercache_open(path.s, "v1");
	ok(rendercache_find(c, "a.yaml", "k1", &n) == NULL,
	    "a miscounted file is not used");
	rendercache_close(c);
	f = fopen(path.s, "w");
	fputs("sluice-render-cache 2\n2:v1\nE 6:a.yaml2:k11:x\n. 1\n", f);
	fclose(f);
	c = rendercache_open(path.s, "v1");
	ok(rendercache_find(c, "a.yaml", "k1", &n) != NULL && n == 1,
	    "the same file, counted right, is");
	rendercache_close(c);
	/* version 1 had no folder entries: a run of it must not skip them */
	f = fopen(path.s, "w");
	fputs("sluice-render-cache 1\n2:v1\nE 6:a.yaml2:k11:x\n. 1\n", f);
	fclose(f);
	c = rendercache_open(path.s, "v1");
	ok(rendercache_find(c, "a.yaml", "k1", &n) == NULL,
	    "a cache of version 1 is not used");
	rendercache_close(c);
	unlink(path.s);
	buf_release(&path);
}

/* Write buf's first n bytes as the file at path. */
static void
write_cut(const char *path, const struct buf *b, size_t n)
{
	FILE *f = fopen(path, "w");

	fwrite(b->s, 1, n, f);
	fclose(f);
}

static void
test_dirs(const char *dir)
{
	struct buf path = BUF_INIT, whole = BUF_INIT;
	struct rendercache *c;
	const char *d, *at;
	size_t n, cut, from, bad = 0;
	FILE *f;
	int ch;

	buf_addf(&path, "%s/render.cache", dir);
	c = rendercache_open(path.s, "v1");
	rendercache_keep(c, "apps/a.yaml", "b1", "objs", 4);
	rendercache_keep_dir(c, "apps", "t1", "6:a.yaml2:b1", 12);
	rendercache_keep_dir(c, "", "t0", "5:apps/2:t1", 11);
	rendercache_keep_dir(c, "empty", "t2", "", 0);
	ok(rendercache_commit(c) == 0, "folder entries committed");
	rendercache_close(c);

	c = rendercache_open(path.s, "v1");
	d = rendercache_find_dir(c, "apps", "t1", &n);
	ok(d != NULL && n == 12 && memcmp(d, "6:a.yaml2:b1", 12) == 0,
	    "a folder entry found by path and tree id");
	d = rendercache_find_dir(c, "", "t0", &n);
	ok(d != NULL && n == 11 && memcmp(d, "5:apps/2:t1", 11) == 0,
	    "the root's entry found");
	ok(rendercache_find_dir(c, "empty", "t2", &n) != NULL && n == 0,
	    "an empty folder entry found");
	ok(rendercache_find_dir(c, "apps", "t9", &n) == NULL,
	    "not under another tree id");
	ok(rendercache_find(c, "apps", "t1", &n) == NULL &&
	    rendercache_find_dir(c, "apps/a.yaml", "b1", &n) == NULL,
	    "files and folders are apart");
	d = rendercache_find(c, "apps/a.yaml", "b1", &n);
	ok(d != NULL && n == 4 && memcmp(d, "objs", 4) == 0,
	    "the file entry beside them found");
	/* kept again from the old map: what a replaying run does */
	d = rendercache_find_dir(c, "apps", "t1", &n);
	rendercache_keep_dir(c, "apps", "t1", d, n);
	ok(rendercache_commit(c) == 0, "kept again");
	rendercache_close(c);
	c = rendercache_open(path.s, "v1");
	ok(rendercache_find_dir(c, "apps", "t1", &n) != NULL &&
	    rendercache_find_dir(c, "", "t0", &n) == NULL &&
	    rendercache_find(c, "apps/a.yaml", "b1", &n) == NULL,
	    "only what the run kept is there next time");
	rendercache_close(c);

	/* cut anywhere inside a folder entry, or after it: not used */
	f = fopen(path.s, "r");
	while ((ch = fgetc(f)) != EOF)
		buf_addch(&whole, ch);
	fclose(f);
	at = strstr(whole.s, "\nD ");
	ok(at != NULL, "the file has a folder entry");
	from = at ? (size_t)(at - whole.s) + 1 : whole.len;
	for (cut = from; cut < whole.len; cut++) {
		write_cut(path.s, &whole, cut);
		c = rendercache_open(path.s, "v1");
		if (rendercache_find_dir(c, "apps", "t1", &n) != NULL)
			bad++;
		rendercache_close(c);
	}
	ok(bad == 0 && from < whole.len,
	    "cut at any of the %zu bytes from the folder entry on: refused",
	    whole.len - from);
	write_cut(path.s, &whole, whole.len);
	c = rendercache_open(path.s, "v1");
	ok(rendercache_find_dir(c, "apps", "t1", &n) != NULL,
	    "and whole, it is used");
	rendercache_close(c);
	/* a folder entry's length that overruns the line */
	f = fopen(path.s, "w");
	fputs("sluice-render-cache 2\n2:v1\nD 4:apps2:t19:x\n. 1\n", f);
	fclose(f);
	c = rendercache_open(path.s, "v1");
	ok(rendercache_find_dir(c, "apps", "t1", &n) == NULL,
	    "a folder entry longer than its line is refused");
	rendercache_close(c);
	unlink(path.s);
	buf_release(&whole);
	buf_release(&path);
}

int
main(void)
{
	char dir[] = "/tmp/rendercache_test.XXXXXX";

	test_fields();
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	test_keep_find(dir);
	test_dirs(dir);
	rmdir(dir);
	return tap_done();
}
