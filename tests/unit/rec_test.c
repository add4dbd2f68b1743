/* Unit tests of lib/rec (the record checker), lib/strmap and lib/kinds. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/kinds.h"
#include "lib/rec.h"
#include "lib/srctree.h"
#include "lib/strmap.h"
#include "tests/unit/tap.h"

static int
check(const char *s, const char **type, size_t *n)
{
	const char *why;

	return rec_check_object(s, strlen(s), type, n, &why);
}

static void
test_check(void)
{
	static const char *const good[] = {
		"{}", " {} ", "{\"a\":1}", "{\"a\":[1,2.5e3,-0.1,true,false,null]}",
		"{\"a\":{\"b\":{\"c\":\"\\u00e9\\n\\\"\"}}}",
		"{\"s\":\"h\xc3\xa9\"}", "{\"type\":\"x\"}\r",
	};
	static const char *const bad[] = {
		"", "[]", "1", "\"s\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
		"{a:1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}", "{} {}",
		"{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\xff\"}",
		"{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\\u12\"}", "{\"a\":[1 2]}",
	};
	const char *type;
	size_t i, n;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(check(good[i], &type, &n) == 0, "accepts %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(check(bad[i], &type, &n) < 0, "refuses bad input %zu", i);

	ok(check("{\"type\":\"object\",\"x\":1}", &type, &n) == 0 && n == 6 &&
	    memcmp(type, "object", 6) == 0, "finds the type first");
	ok(check("{\"a\":{\"type\":\"inner\"},\"type\":\"end\"}", &type, &n)
	    == 0 && n == 3 && memcmp(type, "end", 3) == 0,
	    "finds a top-level type that is not first, not a nested one");
	ok(check("{\"type\":1}", &type, &n) == 0 && type == NULL,
	    "a type that is not a string is no type");
}

static void
test_deep(void)
{
	struct buf b = BUF_INIT;
	const char *type;
	size_t n;
	int i;

	buf_adds(&b, "{\"a\":");
	for (i = 0; i < 100000; i++)
		buf_addch(&b, '[');
	ok(check(b.s, &type, &n) < 0, "deep nesting is refused, not a crash");
	buf_release(&b);
}

static void
test_strmap(void)
{
	struct strmap m = STRMAP_INIT;
	struct buf k = BUF_INIT;
	void *old;
	int i, found = 0;

	for (i = 0; i < 10000; i++) {
		buf_reset(&k);
		buf_addf(&k, "key-%d", i);
		strmap_put(&m, k.s, (void *)(intptr_t)(i + 1), NULL);
	}
	for (i = 0; i < 10000; i++) {
		buf_reset(&k);
		buf_addf(&k, "key-%d", i);
		found += strmap_get(&m, k.s) == (void *)(intptr_t)(i + 1);
	}
	is_int(found, 10000, "every key is found after growing");
	ok(strmap_get(&m, "nope") == NULL, "a missing key is NULL");
	ok(strmap_put(&m, "key-5", (void *)7, &old) == 0 &&
	    old == (void *)(intptr_t)6, "put replaces and returns the old value");
	is_int(m.count, 10000, "replacing does not count twice");
	strmap_release(&m, NULL);
	buf_release(&k);
}

static void
test_ordmap(void)
{
	struct ordmap m = ORDMAP_INIT;
	int added, *a, *b, *again;

	a = ordmap_get(&m, "zeta", sizeof(int), &added);
	ok(added && *a == 0, "a new item is added, zeroed");
	*a = 1;
	b = ordmap_get(&m, "alpha", sizeof(int), &added);
	*b = 2;
	again = ordmap_get(&m, "zeta", sizeof(int), &added);
	ok(!added && again == a, "the same key gives the same item");
	ok(m.n == 2 && ordmap_at(&m, 0) == a && ordmap_at(&m, 1) == b &&
	    ordmap_at(&m, 2) == NULL, "items come back in first-come order");
	ordmap_release(&m, NULL);
}

static void
test_kinds(void)
{
	struct kinds k = KINDS_INIT;

	ok(kinds_scope(&k, "v1", "Namespace") == KIND_SCOPE_CLUSTER,
	    "Namespace is cluster-scoped");
	ok(kinds_scope(&k, "v1", "ConfigMap") == KIND_SCOPE_NAMESPACED,
	    "ConfigMap is namespaced");
	ok(kinds_scope(&k, "apps/v1", "Deployment") == KIND_SCOPE_NAMESPACED,
	    "Deployment is namespaced");
	ok(kinds_scope(&k, "rbac.authorization.k8s.io/v1", "ClusterRole") ==
	    KIND_SCOPE_CLUSTER, "ClusterRole is cluster-scoped");
	ok(kinds_scope(&k, "storage.k8s.io/v1", "VolumeAttributesClass") ==
	    KIND_SCOPE_CLUSTER, "the last cluster entry is found");
	ok(kinds_scope(&k, "v1", "Binding") == KIND_SCOPE_NAMESPACED,
	    "the first namespaced entry is found");
	ok(kinds_scope(&k, "storage.k8s.io/v1", "CSIStorageCapacity") ==
	    KIND_SCOPE_NAMESPACED, "the last namespaced entry is found");
	ok(kinds_scope(&k, "apps/v1", "Namespace") == KIND_SCOPE_UNKNOWN,
	    "a kind in the wrong group is unknown");
	ok(kinds_scope(&k, "example.com/v1", "Widget") == KIND_SCOPE_UNKNOWN,
	    "a custom kind is unknown");
	kinds_add_crd(&k, "example.com", "Widget", "Cluster");
	ok(kinds_scope(&k, "example.com/v2", "Widget") == KIND_SCOPE_CLUSTER,
	    "a CRD's kind is known, in every version");
	ok(kinds_tables_sorted(), "the built-in tables are sorted for bsearch");
	kinds_release(&k);
}

static void
test_clean_path(void)
{
	struct buf out = BUF_INIT, err = BUF_INIT;

	ok(srctree_clean_path("./a//b/", &out, &err) == 0 &&
	    strcmp(out.s, "a/b") == 0, "./a//b/ is a/b");
	ok(srctree_clean_path(".", &out, &err) == 0 && out.len == 0,
	    ". is the root");
	ok(srctree_clean_path("a/../b", &out, &err) < 0, ".. is refused");
	ok(srctree_clean_path("/etc", &out, &err) < 0, "absolute is refused");
	ok(srctree_clean_path("a/..b", &out, &err) == 0 &&
	    strcmp(out.s, "a/..b") == 0, "..b is a name");
	buf_release(&out);
	buf_release(&err);
}

/* The members the check notes, and rec_pick over them or past them. */
static void
test_members(void)
{
	static const char line[] = "{\"type\":\"object\", \"id\" : \"a\","
	    "\"object\":{\"x\":[1,{\"id\":2}]},\"i\\u0064\":3}";
	static const char *const keys[] = { "object", "id", "none", "type",
	    NULL };
	struct rec_member m[REC_MEMBERS];
	struct rec r;
	struct buf many = BUF_INIT;
	const char *type, *why, *v[4];
	size_t type_len, n, vn[4];
	int i;

	ok(rec_check_members(line, strlen(line), &type, &type_len, m,
	    REC_MEMBERS, &n, &why) == 0 && n == 4, "four members noted");
	ok(m[1].key_len == 4 && memcmp(m[1].key, "\"id\"", 4) == 0 &&
	    m[1].value_len == 3 && memcmp(m[1].value, "\"a\"", 3) == 0,
	    "a member's key and value, white space left out");
	memset(&r, 0, sizeof(r));
	r.line = line;
	r.len = strlen(line);
	r.members = m;
	r.nmembers = n;
	rec_pick(&r, keys, v, vn);
	ok(v[0] != NULL && vn[0] == 18 && memcmp(v[0], "{\"x\"", 4) == 0,
	    "rec_pick: a value that is an object, whole");
	ok(v[1] != NULL && *v[1] == '"', "the first of two of a name");
	ok(v[2] == NULL && v[3] != NULL, "a missing one; the type");

	/* more members than are noted: the line is read again */
	buf_adds(&many, "{\"type\":\"t\"");
	for (i = 0; i < REC_MEMBERS + 3; i++)
		buf_addf(&many, ",\"k%d\":%d", i, i);
	buf_adds(&many, ",\"object\":{},\"id\":\"z\"}");
	ok(rec_check_members(many.s, many.len, &type, &type_len, m,
	    REC_MEMBERS, &n, &why) == 0 && n == REC_MEMBERS + 6,
	    "members past the noted ones are counted");
	r.line = many.s;
	r.len = many.len;
	r.nmembers = n;
	rec_pick(&r, keys, v, vn);
	ok(v[0] != NULL && vn[0] == 2 && v[1] != NULL && *v[1] == '"' &&
	    v[1][1] == 'z', "rec_pick finds them all the same");
	buf_release(&many);
}

/*
 * A child writes a record to a pipe and ends its output, then waits for
 * the go of the parent; the parent must read the record and the end of
 * the pipe while the child still runs. With after_end the child writes
 * once more after the end: a bug, exit 70.
 */
static int
end_child(int after_end, struct buf *got)
{
	int data[2], go[2], status;
	char b[256], c = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(data) < 0 || pipe(go) < 0)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		dup2(data[1], 1);
		close(data[0]);
		close(data[1]);
		close(go[1]);
		if (after_end)	/* the bug's message is expected */
			dup2(open("/dev/null", O_WRONLY), 2);
		rec_out_line("{\"type\":\"x\"}", 12);
		if (rec_out_end() < 0)
			_exit(2);
		if (after_end)
			rec_out_line("{\"type\":\"y\"}", 12);
		(void)read(go[0], &c, 1);
		_exit(rec_out_flush() == 0 ? 0 : 3);
	}
	close(data[1]);
	close(go[0]);
	while ((n = read(data[0], b, sizeof(b))) > 0)
		buf_add(got, b, (size_t)n);
	close(data[0]);
	(void)write(go[1], &c, 1);
	close(go[1]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
test_out_end(void)
{
	struct buf got = BUF_INIT;

	ok(end_child(0, &got) == 0, "rec_out_end: the child ends well");
	is_str(got.s, "{\"type\":\"x\"}\n", "rec_out_end: the record, then "
	    "the end of the output while the writer runs");
	buf_reset(&got);
	ok(end_child(1, &got) == 70, "a record after rec_out_end is a bug");
	buf_release(&got);
}

int
main(void)
{
	test_check();
	test_out_end();
	test_deep();
	test_members();
	test_strmap();
	test_ordmap();
	test_kinds();
	test_clean_path();
	return tap_done();
}
