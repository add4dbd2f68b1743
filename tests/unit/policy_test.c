/* Unit tests of lib/policy: filter prefixes, what they let through. */
#include <string.h>

#include "lib/buf.h"
#include "lib/policy.h"
#include "tests/unit/tap.h"

static void
test_parse(void)
{
	static const struct {
		const char *filter;
		enum policy_kind kind;
		const char *pattern;
		int needs_time;
	} t[] = {
		{ "glob:1.*", POLICY_GLOB, "1.*", 1 },
		{ "1.*", POLICY_GLOB, "1.*", 1 },
		{ "*", POLICY_GLOB, "*", 1 },
		{ "semver:~1.2", POLICY_SEMVER, "~1.2", 0 },
		{ "regexp:^v\\d+$", POLICY_REGEXP, "^v\\d+$", 1 },
		{ "regex:^v", POLICY_REGEXP, "^v", 1 },
		/* a prefix counts only at the start, spelt exactly */
		{ "Glob:x", POLICY_GLOB, "Glob:x", 1 },
		{ "x semver:1", POLICY_GLOB, "x semver:1", 1 },
	};
	struct buf err = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct policy p = POLICY_INIT;

		is_int(policy_parse(t[i].filter, &p, &err), 0, "parse '%s'",
		    t[i].filter);
		is_int(p.kind, t[i].kind, "'%s' kind", t[i].filter);
		is_str(p.pattern, t[i].pattern, "'%s' pattern", t[i].filter);
		is_int(policy_needs_time(&p), t[i].needs_time,
		    "'%s' needs time", t[i].filter);
		policy_release(&p);
	}
	buf_release(&err);
}

static void
test_bad_semver(void)
{
	struct policy p = POLICY_INIT;
	struct buf err = BUF_INIT;

	is_int(policy_parse("semver:>=x.y", &p, &err), -1,
	    "bad constraint refused");
	ok(strstr(err.s, "improper constraint: >=x.y") != NULL, "said why: %s",
	    err.s);
	ok(p.pattern == NULL && p.semver == NULL, "nothing left behind");
	policy_release(&p);
	buf_release(&err);
}

/* policy_sort over tags; want is the tags it keeps, in order */
static void
check_sort(const char *filter, const char *const *tags, const long long *t,
    size_t n, const char *want)
{
	struct policy p = POLICY_INIT;
	struct buf err = BUF_INIT, got = BUF_INIT;
	size_t order[16], m, i;

	if (policy_parse(filter, &p, &err) < 0) {
		ok(0, "parse '%s': %s", filter, err.s);
		return;
	}
	m = policy_sort(&p, tags, t, n, order);
	for (i = 0; i < m; i++)
		buf_addf(&got, "%s%s", i ? " " : "", tags[order[i]]);
	is_str(got.s, want, "'%s' sorts newest first", filter);
	policy_release(&p);
	buf_release(&err);
	buf_release(&got);
}

static void
test_sort(void)
{
	static const char *const tags[] = {
		"1.9.0", "1.10", "1.10.0", "v1.2", "latest", "2.0.0-rc.1",
		"master-a", "master-b", "master-c", "0.9",
	};
	static const long long t[] = {
		500, 100, 100, 900, 999, 800, 700, 700, 0, 300,
	};
	size_t n = sizeof(tags) / sizeof(tags[0]);

	/* equal versions: the greater tag; pre-releases and words left out */
	check_sort("semver:*", tags, t, n, "1.10.0 1.10 1.9.0 v1.2 0.9");
	check_sort("semver:*", tags, NULL, n, "1.10.0 1.10 1.9.0 v1.2 0.9");
	check_sort("semver:>=1.0.0-0", tags, t, n,
	    "2.0.0-rc.1 1.10.0 1.10 1.9.0 v1.2");
	/* by time; a tie to the smaller tag; unknown time last; no latest */
	check_sort("glob:*", tags, t, n,
	    "v1.2 2.0.0-rc.1 master-a master-b 1.9.0 0.9 1.10 1.10.0 master-c");
	check_sort("regexp:^master-", tags, t, n,
	    "master-a master-b master-c");
	check_sort("glob:latest", tags, t, n, "latest");
}

static void
test_bad_regexp(void)
{
	struct policy p = POLICY_INIT;
	struct buf err = BUF_INIT;

	is_int(policy_parse("regexp:(v1", &p, &err), -1, "bad regexp refused");
	ok(strstr(err.s, "invalid regexp '(v1'") != NULL &&
	    strstr(err.s, "offset") != NULL, "and said why: %s", err.s);
	ok(p.pattern == NULL && p.re == NULL, "nothing left behind");
	policy_release(&p);
	buf_release(&err);
}

static void
test_allows(void)
{
	static const struct {
		const char *filter, *tag;
		int want;
	} t[] = {
		{ "glob:*", "1.0", 1 },
		{ "*", "anything-at-all", 1 },
		{ "glob:1.*", "1.2", 1 },
		{ "glob:1.*", "2.1", 0 },
		{ "glob:1.*", "v1.2", 0 },
		/* latest only through the exact filter glob:latest */
		{ "glob:*", "latest", 0 },
		{ "*", "LATEST", 0 },
		{ "glob:lat*", "latest", 0 },
		{ "regexp:.*", "Latest", 0 },
		{ "glob:latest", "latest", 1 },
		{ "latest", "latest", 1 },
		/* the glob itself is case-sensitive */
		{ "glob:latest", "LaTeSt", 0 },
		{ "glob:latest", "latest-2", 0 },
		/* regexps are unanchored, like Go's MatchString */
		{ "regexp:a", "xay", 1 },
		{ "regexp:^a", "xay", 0 },
		{ "regexp:^v\\d+\\.\\d+$", "v1.22", 1 },
		{ "regexp:^v\\d+\\.\\d+$", "v1.22-rc", 0 },
		{ "regex:^master-[a-f0-9]{7}$", "master-0badf00", 1 },
		{ "regex:^master-[a-f0-9]{7}$", "master-0badf0", 0 },
		{ "regexp:(?i)^RC", "rc1", 1 },
		{ "regexp:^(?P<major>\\d+)\\.", "12.0", 1 },
		/* semver: versions that satisfy the constraint */
		{ "semver:*", "1.0.0", 1 },
		{ "semver:*", "v2", 1 },
		{ "semver:*", "1.0.0-rc.1", 0 },
		{ "semver:*", "latest", 0 },
		{ "semver:*", "master-abc1234", 0 },
		{ "semver:~1.2", "1.2.9", 1 },
		{ "semver:~1.2", "1.3.0", 0 },
		/* each constraint of a range must name a prerelease */
		{ "semver:>=1.0.0-0 <2", "1.5.0-beta", 0 },
		{ "semver:>=1.0.0-0 <2.0.0-0", "1.5.0-beta", 1 },
	};
	struct buf err = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct policy p = POLICY_INIT;

		if (policy_parse(t[i].filter, &p, &err) < 0) {
			ok(0, "parse '%s': %s", t[i].filter, err.s);
			continue;
		}
		is_int(policy_allows(&p, t[i].tag), t[i].want, "'%s' %s '%s'",
		    t[i].filter, t[i].want ? "allows" : "refuses", t[i].tag);
		policy_release(&p);
	}
	buf_release(&err);
}

/* Catastrophic backtracking stops at the bound, and lets nothing through. */
static void
test_match_bound(void)
{
	struct policy p = POLICY_INIT;
	struct buf err = BUF_INIT;
	char tag[129];

	memset(tag, 'a', 127);
	tag[127] = 'b';
	tag[128] = '\0';
	is_int(policy_parse("regexp:^(a+)+$", &p, &err), 0, "parse");
	is_int(policy_allows(&p, tag), 0, "a bounded match refuses");
	tag[127] = 'a';
	is_int(policy_allows(&p, tag), 1, "and the same regexp still works");
	policy_release(&p);
	buf_release(&err);
}

int
main(void)
{
	test_parse();
	test_bad_regexp();
	test_bad_semver();
	test_allows();
	test_sort();
	test_match_bound();
	return tap_done();
}
