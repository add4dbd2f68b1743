/* Unit tests of lib/imgref: parsing, canonical names, globs. */
#include <string.h>

#include "lib/buf.h"
#include "lib/imgref.h"
#include "tests/unit/tap.h"

#define SHA "sha256:599fe5e5073102dbb0ee3dbb65f049da" \
    "b44fa9fc251f6835c9990f8fb196a72b"
#define UPSHA "sha256:599FE5E5073102DBB0EE3DBB65F049DA" \
    "B44FA9FC251F6835C9990F8FB196A72B"
#define HEX32 "0123456789abcdef0123456789abcdef"

static const char *
nz(const char *s)
{
	return s != NULL ? s : "(none)";
}

static void
test_parse(void)
{
	/* ref, domain, path, tag, digest, canonical name, canonical ref */
	static const struct {
		const char *ref, *domain, *path, *tag, *digest, *name, *cref;
	} t[] = {
		/* from Flux's own TestParseRef table */
		{ "alpine", NULL, "alpine", NULL, NULL,
		    "index.docker.io/library/alpine",
		    "index.docker.io/library/alpine" },
		{ "library/alpine", NULL, "library/alpine", NULL, NULL,
		    "index.docker.io/library/alpine",
		    "index.docker.io/library/alpine" },
		{ "alpine:mytag", NULL, "alpine", "mytag", NULL,
		    "index.docker.io/library/alpine",
		    "index.docker.io/library/alpine:mytag" },
		{ "docker.io/library/alpine", "docker.io", "library/alpine",
		    NULL, NULL, "index.docker.io/library/alpine",
		    "index.docker.io/library/alpine" },
		{ "localhost/hello:v1.1", "localhost", "hello", "v1.1", NULL,
		    "localhost/hello", "localhost/hello:v1.1" },
		{ "localhost:5000/hello:v1.1", "localhost:5000", "hello",
		    "v1.1", NULL, "localhost:5000/hello",
		    "localhost:5000/hello:v1.1" },
		{ "example.com/hello:v1.1", "example.com", "hello", "v1.1",
		    NULL, "example.com/hello", "example.com/hello:v1.1" },
		{ "quay.io/library/alpine:latest", "quay.io", "library/alpine",
		    "latest", NULL, "quay.io/library/alpine",
		    "quay.io/library/alpine:latest" },
		{ "localhost:5000/path/to/repo/alpine:mytag", "localhost:5000",
		    "path/to/repo/alpine", "mytag", NULL,
		    "localhost:5000/path/to/repo/alpine",
		    "localhost:5000/path/to/repo/alpine:mytag" },
		{ "kennethreitz/httpbin@" SHA, NULL, "kennethreitz/httpbin",
		    NULL, SHA, "index.docker.io/kennethreitz/httpbin",
		    "index.docker.io/kennethreitz/httpbin@" SHA },
		/* Docker Hub spellings */
		{ "docker.io/nginx", "docker.io", "nginx", NULL, NULL,
		    "index.docker.io/library/nginx",
		    "index.docker.io/library/nginx" },
		{ "index.docker.io/nginx:1.25", "index.docker.io", "nginx",
		    "1.25", NULL, "index.docker.io/library/nginx",
		    "index.docker.io/library/nginx:1.25" },
		{ "fluxcd/flux:1.25.4", NULL, "fluxcd/flux", "1.25.4", NULL,
		    "index.docker.io/fluxcd/flux",
		    "index.docker.io/fluxcd/flux:1.25.4" },
		/* hosts and ports */
		{ "localhost:5000/x", "localhost:5000", "x", NULL, NULL,
		    "localhost:5000/x", "localhost:5000/x" },
		{ "registry.example.com:8443/team/app:v2",
		    "registry.example.com:8443", "team/app", "v2", NULL,
		    "registry.example.com:8443/team/app",
		    "registry.example.com:8443/team/app:v2" },
		{ "registry:5000/app", "registry:5000", "app", NULL, NULL,
		    "registry:5000/app", "registry:5000/app" },
		{ "[::1]:5000/app:1", "[::1]:5000", "app", "1", NULL,
		    "[::1]:5000/app", "[::1]:5000/app:1" },
		{ "Quay.IO/a/b", "Quay.IO", "a/b", NULL, NULL, "Quay.IO/a/b",
		    "Quay.IO/a/b" },
		{ "gcr.io/a/b/c/d", "gcr.io", "a/b/c/d", NULL, NULL,
		    "gcr.io/a/b/c/d", "gcr.io/a/b/c/d" },
		/* three components, no host: Docker Hub (Flux: host "a") */
		{ "a/b/c", NULL, "a/b/c", NULL, NULL,
		    "index.docker.io/a/b/c", "index.docker.io/a/b/c" },
		/* digests */
		{ "quay.io/a/b:1.0@" SHA, "quay.io", "a/b", "1.0", SHA,
		    "quay.io/a/b", "quay.io/a/b:1.0@" SHA },
		{ "nginx:1.25@" SHA, NULL, "nginx", "1.25", SHA,
		    "index.docker.io/library/nginx",
		    "index.docker.io/library/nginx:1.25@" SHA },
		{ "x@sha512:" HEX32, NULL, "x", NULL,
		    "sha512:" HEX32,
		    "index.docker.io/library/x",
		    "index.docker.io/library/x@sha512:" HEX32 },
		/* path separators and tag characters */
		{ "quay.io/a.b_c__d-e---f/g:A_b.c-D", "quay.io",
		    "a.b_c__d-e---f/g", "A_b.c-D", NULL,
		    "quay.io/a.b_c__d-e---f/g",
		    "quay.io/a.b_c__d-e---f/g:A_b.c-D" },
		/* a "." in the first component makes it a host */
		{ "my.org/app", "my.org", "app", NULL, NULL, "my.org/app",
		    "my.org/app" },
		{ "x:_", NULL, "x", "_", NULL, "index.docker.io/library/x",
		    "index.docker.io/library/x:_" },
	};
	struct imgref r = IMGREF_INIT;
	struct buf b = BUF_INIT, err = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&err);
		if (!ok(imgref_parse(t[i].ref, &r, &err) == 0, "parses '%s'",
		    t[i].ref)) {
			printf("#   %s\n", err.s);
			continue;
		}
		ok(strcmp(nz(r.domain), nz(t[i].domain)) == 0 &&
		    strcmp(r.path, t[i].path) == 0 &&
		    strcmp(nz(r.tag), nz(t[i].tag)) == 0 &&
		    strcmp(nz(r.digest), nz(t[i].digest)) == 0,
		    "'%s' splits into %s | %s | %s | %s", t[i].ref,
		    nz(r.domain), r.path, nz(r.tag), nz(r.digest));
		buf_reset(&b);
		imgref_canonical_name(&r, &b);
		is_str(b.s, t[i].name, "canonical name of '%s'", t[i].ref);
		buf_reset(&b);
		imgref_canonical_ref(&r, &b);
		is_str(b.s, t[i].cref, "canonical ref of '%s'", t[i].ref);
		buf_reset(&b);
		imgref_string(&r, &b);
		is_str(b.s, t[i].ref, "'%s' is written back as given",
		    t[i].ref);
		imgref_release(&r);
	}
	buf_release(&b);
	buf_release(&err);
}

static void
test_reject(void)
{
	struct buf tag = BUF_INIT, name = BUF_INIT;
	static const struct {
		const char *ref, *why;
	} t[] = {
		{ "", "empty reference" },
		{ ":tag", "repository path is empty" },
		{ "/leading/slash", "repository path has an empty component" },
		{ "trailing/slash/", "repository path has an empty component" },
		{ "a//b", "repository path has an empty component" },
		{ "Nginx", "repository path must be lower case" },
		{ "quay.io/Team/app", "repository path must be lower case" },
		{ "weaveworks/Scope:1", "repository path must be lower case" },
		{ "nginx:", "tag is empty" },
		{ "nginx:1:2", "invalid repository path component 'nginx:1'" },
		{ "nginx:-1", "invalid tag '-1'" },
		{ "nginx:.1", "invalid tag '.1'" },
		{ "nginx:a+b", "invalid tag 'a+b'" },
		{ "-nginx", "invalid repository path component '-nginx'" },
		{ "a..b", "invalid repository path component 'a..b'" },
		{ "a___b", "invalid repository path component 'a___b'" },
		{ "a_", "invalid repository path component 'a_'" },
		{ "a-/b", "invalid repository path component 'a-'" },
		{ "-bad.host/x", "invalid registry host '-bad.host'" },
		{ "host.:5000/x", "invalid registry host 'host.:5000'" },
		{ "host.io:/x", "invalid registry host 'host.io:'" },
		{ "host.io:50a/x", "invalid registry host 'host.io:50a'" },
		{ "ho_st.io/x", "invalid registry host 'ho_st.io'" },
		{ "nginx@", "invalid digest ''" },
		{ "nginx@sha256:abc", "invalid digest 'sha256:abc'" },
		{ "nginx@" UPSHA, "invalid digest '" UPSHA "'" },
		{ "nginx@" SHA "00", "invalid digest '" SHA "00'" },
		{ "nginx@1sha:" HEX32,
		    "invalid digest '1sha:" HEX32 "'" },
		{ "nginx@sha+:" HEX32,
		    "invalid digest 'sha+:" HEX32 "'" },
		{ "nginx@" HEX32,
		    "invalid digest '" HEX32 "'" },
		{ "nginx@sha256:" SHA, "invalid digest 'sha256:" SHA "'" },
	};
	struct imgref r = IMGREF_INIT;
	struct buf err = BUF_INIT, want = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&err);
		buf_reset(&want);
		buf_addf(&want, "invalid image reference '%s': %s", t[i].ref,
		    t[i].why);
		ok(imgref_parse(t[i].ref, &r, &err) < 0 && r.path == NULL &&
		    r.domain == NULL && r.tag == NULL && r.digest == NULL,
		    "refuses '%s'", t[i].ref);
		is_str(err.s, want.s, "says why for '%s'", t[i].ref);
	}

	/* tag length: 128 is the most */
	buf_adds(&tag, "nginx:");
	for (i = 0; i < IMGREF_TAG_MAX; i++)
		buf_addch(&tag, 'a' + (char)(i % 26));
	buf_reset(&err);
	ok(imgref_parse(tag.s, &r, &err) == 0 && strlen(r.tag) == 128,
	    "a tag of 128 characters is fine");
	imgref_release(&r);
	buf_addch(&tag, 'z');
	buf_reset(&err);
	ok(imgref_parse(tag.s, &r, &err) < 0, "a tag of 129 is refused");
	ok(strstr(err.s, "tag is longer than 128 characters") != NULL,
	    "and says so: %s", err.s);

	/* name length: 255 is the most */
	buf_adds(&name, "quay.io/");
	while (name.len < IMGREF_NAME_MAX)
		buf_addch(&name, 'a');
	buf_reset(&err);
	ok(imgref_parse(name.s, &r, &err) == 0, "a name of 255 is fine");
	imgref_release(&r);
	buf_addch(&name, 'a');
	buf_reset(&err);
	ok(imgref_parse(name.s, &r, &err) < 0 &&
	    strstr(err.s, "name is longer than 255") != NULL,
	    "a name of 256 is refused");

	/* err is appended to, not replaced */
	buf_reset(&err);
	buf_adds(&err, "x: ");
	imgref_parse("A", &r, &err);
	ok(strncmp(err.s, "x: invalid image reference 'A'",
	    strlen("x: invalid image reference 'A'")) == 0,
	    "the message is appended to err");

	buf_release(&tag);
	buf_release(&name);
	buf_release(&err);
	buf_release(&want);
}

static void
test_with_tag(void)
{
	static const struct {
		const char *ref, *tag, *want;
	} t[] = {
		{ "nginx:1.24", "1.25", "nginx:1.25" },
		{ "nginx", "1.25", "nginx:1.25" },
		{ "docker.io/nginx:1.24", "1.25", "docker.io/nginx:1.25" },
		{ "localhost:5000/a/b:old", "new", "localhost:5000/a/b:new" },
		{ "quay.io/a/b:1", NULL, "quay.io/a/b" },
		{ "quay.io/a/b:1@" SHA, "2", "quay.io/a/b:2@" SHA },
	};
	struct imgref r = IMGREF_INIT;
	struct buf b = BUF_INIT, err = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&b);
		if (imgref_parse(t[i].ref, &r, &err) < 0) {
			ok(0, "parses '%s': %s", t[i].ref, err.s);
			continue;
		}
		imgref_string_with_tag(&r, t[i].tag, &b);
		is_str(b.s, t[i].want, "'%s' with tag %s keeps its spelling",
		    t[i].ref, nz(t[i].tag));
		imgref_release(&r);
	}
	ok(imgref_parse("quay.io/x", &r, &err) == 0, "parses quay.io/x");
	is_str(imgref_registry(&r), "quay.io", "registry as written");
	imgref_release(&r);
	ok(imgref_parse("docker.io/x/y", &r, &err) == 0, "parses docker.io");
	is_str(imgref_registry(&r), IMGREF_DOCKER_HUB,
	    "docker.io asks index.docker.io");
	imgref_release(&r);
	imgref_release(&r);
	ok(r.path == NULL, "release twice is harmless");
	buf_release(&b);
	buf_release(&err);
}

static void
test_glob(void)
{
	static const struct {
		const char *glob, *name;
		int want;
	} t[] = {
		/* the default exclude, and the include example */
		{ "k8s.gcr.io/*", "k8s.gcr.io/pause", 1 },
		{ "k8s.gcr.io/*", "k8s.gcr.io/a/b/c", 1 },
		{ "k8s.gcr.io/*", "index.docker.io/k8s.gcr.io/x", 0 },
		{ "index.docker.io/weaveworks/*",
		    "index.docker.io/weaveworks/flux", 1 },
		{ "index.docker.io/fluxcd/*",
		    "index.docker.io/weaveworks/flux", 0 },
		/* "*" crosses "/" and matches nothing too */
		{ "*", "", 1 },
		{ "*", "anything/at/all", 1 },
		{ "*/library/*", "index.docker.io/library/nginx", 1 },
		{ "index.docker.io/*/nginx",
		    "index.docker.io/library/nginx", 1 },
		{ "index.docker.io/*/nginx", "index.docker.io/a/b/nginx", 1 },
		{ "quay.io/*", "quay.io/", 1 },
		{ "a*", "a", 1 },
		{ "*a", "a", 1 },
		{ "a**b", "ab", 1 },
		{ "*a*b*", "xxaxxbxx", 1 },
		{ "*a*b", "xxaxxbxxb", 1 },
		{ "*a*b", "xxaxxbxxc", 0 },
		{ "a*a*a", "aaa", 1 },
		{ "a*a*a", "aa", 0 },
		{ "*.*.*", "1.2.3", 1 },
		{ "1.*", "1.2.3", 1 },
		{ "1.*", "11.2", 0 },
		{ "v*-alpine", "v1.2-alpine", 1 },
		{ "v*-alpine", "v1.2-alpine-x", 0 },
		/* no wildcard: equality; whole string */
		{ "nginx", "nginx", 1 },
		{ "nginx", "nginx2", 0 },
		{ "nginx", "xnginx", 0 },
		{ "", "", 1 },
		{ "", "x", 0 },
		/* only "*" is special */
		{ "a?c", "abc", 0 },
		{ "a?c", "a?c", 1 },
		{ "[ab]", "a", 0 },
		{ "[ab]", "[ab]", 1 },
		{ "a\\*", "a\\xyz", 1 },
		/* go-glob got these wrong; the right answers */
		{ "a*b", "a", 0 },
		{ "a*bc", "a", 0 },
		{ "ab*ba", "aba", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(imgref_glob_match(t[i].glob, t[i].name), t[i].want,
		    "glob '%s' %s '%s'", t[i].glob,
		    t[i].want ? "matches" : "does not match", t[i].name);
}

int
main(void)
{
	test_parse();
	test_reject();
	test_with_tag();
	test_glob();
	return tap_done();
}
