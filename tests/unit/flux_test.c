/* Unit tests of lib/flux: SafeURL, sync set names and GC marks. */
#include <string.h>

#include "lib/buf.h"
#include "lib/flux.h"
#include "tests/unit/tap.h"

static void
test_safe_url(void)
{
	static const char *const v[][2] = {
		/* the brief's cases and Flux's own TestSafeURL inputs */
		{ "ssh://git@github.com/example/repo",
		    "ssh://git@github.com/example/repo" },
		{ "git@github.com:example/repo",
		    "ssh://git@github.com/example/repo" },
		{ "https://user:secret@host/x.git", "https://user@host/x.git" },
		{ "git@github.com:fluxcd/flux",
		    "ssh://git@github.com/fluxcd/flux" },
		{ "https://user@example.com:5050/repo.git",
		    "https://user@example.com:5050/repo.git" },
		{ "https://user:abc123@example.com:5050/repo.git",
		    "https://user@example.com:5050/repo.git" },
		/* whilp/git-urls v1.0.0's test table */
		{ "user@host.xz:path/to/repo.git/",
		    "ssh://user@host.xz/path/to/repo.git/" },
		{ "host.xz:path/to/repo.git/",
		    "ssh://host.xz/path/to/repo.git/" },
		{ "host.xz:/path/to/repo.git/",
		    "ssh://host.xz/path/to/repo.git/" },
		{ "host.xz:path/to/repo-with_specials.git/",
		    "ssh://host.xz/path/to/repo-with_specials.git/" },
		{ "git://host.xz:1234/path/to/repo.git/",
		    "git://host.xz:1234/path/to/repo.git/" },
		{ "https://host.xz:1234/path/to/repo.git/",
		    "https://host.xz:1234/path/to/repo.git/" },
		{ "ftps://host.xz/path/to/repo.git/",
		    "ftps://host.xz/path/to/repo.git/" },
		{ "rsync://host.xz/path/to/repo.git/",
		    "rsync://host.xz/path/to/repo.git/" },
		{ "ssh://user@host.xz:1234/path/to/repo.git/",
		    "ssh://user@host.xz:1234/path/to/repo.git/" },
		{ "git+ssh://host.xz/path/to/repo.git/",
		    "git+ssh://host.xz/path/to/repo.git/" },
		{ "/path/to/repo.git/", "file:///path/to/repo.git/" },
		{ "file:///path/to/repo.git/", "file:///path/to/repo.git/" },
		{ "https://host.xz/organization/repo.git?ref=feature/test",
		    "https://host.xz/organization/repo.git?ref=feature/test" },
		{ "git@host.xz:organization/repo.git?ref=test",
		    "ssh://git@host.xz/organization/repo.git?ref=test" },
		{ "https://user:password@host.xz/organization/repo.git"
		    "?ref=test",
		    "https://user@host.xz/organization/repo.git?ref=test" },
		{ "user-1234@host.xz:path/to/repo.git/",
		    "ssh://user-1234@host.xz/path/to/repo.git/" },
		/* Go's net/url: scheme lower-cased, host kept, path re-encoded
		 * only when it is not already a valid encoding */
		{ "HTTPS://Git.Example.COM/Org/Repo",
		    "https://Git.Example.COM/Org/Repo" },
		{ "https://host/a b/ä", "https://host/a%20b/%C3%A4" },
		{ "https://host/a%20b/%2f%C3%a4",
		    "https://host/a%20b/%2f%C3%a4" },
		{ "https://host/a%20b c", "https://host/a%20b%20c" },
		{ "https://host/@:;,$&+=!*'()[]",
		    "https://host/@:;,$&+=!*'()[]" },
		{ "https://host/x?", "https://host/x?" },
		{ "https://host/x#frag ment", "https://host/x#frag%20ment" },
		{ "https://host/x#", "https://host/x" },
		{ "https://us%65r:p%40ss@host/x", "https://user@host/x" },
		{ "https://a%40b@host/x", "https://a%40b@host/x" },
		{ "https://a!b@host/x", "https://a%21b@host/x" },
		{ "https://:pw@host/x", "https://@host/x" },
		{ "ssh://git@[::1]:2222/repo", "ssh://git@[::1]:2222/repo" },
		{ "ssh://[fe80::1%25eth0]/repo",
		    "ssh://[fe80::1%25eth0]/repo" },
		{ "ssh:opaque", "ssh:opaque" },
		{ "github.com:example/repo", "ssh://github.com/example/repo" },
		{ "relative/repo", "file://relative/repo" },
		{ "./a b", "file://./a%20b" },
		/* quirks Flux has, kept: a URL Go refuses (bad port, bad
		 * escape, unknown scheme) falls to the scp and local rules */
		{ "https://host:abc/x", "ssh://https//host?:abc/x" },
		{ "git@github.com:org/repo~x",
		    "ssh://git@github.com/org/repo?~x" },
		{ "https://host/%zz", "ssh://https//host/?%zz" },
		{ "svn://host/repo", "ssh://svn//host/repo" },
		{ "svn+x://host/repo", "file://svn+x://host/repo" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		ok(flux_safe_url(v[i][0], &b) == 0, "parses '%s'", v[i][0]);
		is_str(b.s, v[i][1], "SafeURL of '%s'", v[i][0]);
	}

	buf_reset(&b);
	buf_adds(&b, "kept");
	ok(flux_safe_url("", &b) < 0 && strcmp(b.s, "kept") == 0,
	    "an empty URL is refused");
	ok(flux_safe_url("ssh://host/a\nb", &b) < 0 &&
	    strcmp(b.s, "kept") == 0, "a control character is refused");
	ok(flux_safe_url("x/\x7f", &b) < 0, "DEL is refused");
	ok(flux_safe_url("git@h:r", &b) == 0 &&
	    strcmp(b.s, "keptssh://git@h/r") == 0, "appends to out");
	buf_release(&b);
}

static void
test_names(void)
{
	char a[] = "a", b[] = "b", a_b[] = "ab";
	char *ab[] = { a, b }, *joined[] = { a_b };
	struct buf url = BUF_INIT, set = BUF_INIT, other = BUF_INIT;
	struct buf mark = BUF_INIT;

	/* flux-v1-reference.md §3.4, worked example */
	flux_safe_url("ssh://git@github.com/example/repo", &url);
	flux_sync_set_name(url.s, "master", NULL, 0, &set);
	is_str(set.s, "P78mW9Fbmielp9Jf3b7RAgSmrvNo6GNwXhSf-B8pcb4",
	    "sync set name of the worked example");
	flux_gc_mark(set.s, "default:deployment/podinfo", &mark);
	is_str(mark.s, "sha256.UwDt_DfyQ__bLjWSTpaUMoyWp4YqilSzHwfgl6Fo3Rc",
	    "GC mark of the worked example");
	is_int(mark.len, 50, "a GC mark is 50 characters");

	buf_reset(&url);
	flux_safe_url("git@github.com:example/repo", &url);
	flux_sync_set_name(url.s, "master", NULL, 0, &other);
	is_str(other.s, set.s, "the scp form names the same sync set");

	buf_reset(&set);
	buf_reset(&other);
	flux_sync_set_name(url.s, "master", ab, 2, &set);
	flux_sync_set_name(url.s, "master", joined, 1, &other);
	is_str(set.s, other.s, "paths are run together with no separator");
	is_str(set.s, "8-Yl7jdzz9ILYIR14JGEKzQxUnZrtOc99XsWQoRaNnA",
	    "sync set name with paths");
	buf_reset(&other);
	flux_sync_set_name(url.s, "main", ab, 2, &other);
	ok(strcmp(set.s, other.s) != 0, "the branch changes the name");

	buf_release(&url);
	buf_release(&set);
	buf_release(&other);
	buf_release(&mark);
}

int
main(void)
{
	test_safe_url();
	test_names();
	return tap_done();
}
