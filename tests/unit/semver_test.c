/* Unit tests of lib/semver: versions, ordering, constraints. */
#include <string.h>

#include "lib/buf.h"
#include "lib/semver.h"
#include "tests/unit/tap.h"

static void
test_parse(void)
{
	static const struct {
		const char *s;
		int ok;
		unsigned long long ma, mi, pa;
		const char *pre;
	} t[] = {
		{ "1.2.3", 1, 1, 2, 3, NULL },
		{ "v1.2.3", 1, 1, 2, 3, NULL },
		{ "1", 1, 1, 0, 0, NULL },
		{ "v1.2", 1, 1, 2, 0, NULL },
		{ "01.002.3", 1, 1, 2, 3, NULL },
		{ "1.2.3-rc.1", 1, 1, 2, 3, "rc.1" },
		{ "1.2.3-rc.1+build.5", 1, 1, 2, 3, "rc.1" },
		{ "1.2.3+build", 1, 1, 2, 3, NULL },
		{ "1.2-beta", 1, 1, 2, 0, "beta" },
		{ "1.2.3-0", 1, 1, 2, 3, "0" },
		{ "1.2.3-x-y-z.--", 1, 1, 2, 3, "x-y-z.--" },
		{ "18446744073709551615", 1, 18446744073709551615ULL, 0, 0,
		    NULL },
		{ "18446744073709551616", 0, 0, 0, 0, NULL },
		{ "1.2.3.4", 0, 0, 0, 0, NULL },
		{ "latest", 0, 0, 0, 0, NULL },
		{ "V1.2.3", 0, 0, 0, 0, NULL },
		{ "", 0, 0, 0, 0, NULL },
		{ "v", 0, 0, 0, 0, NULL },
		{ "1.", 0, 0, 0, 0, NULL },
		{ "1.2.3-", 0, 0, 0, 0, NULL },
		{ "1.2.3-01", 0, 0, 0, 0, NULL },
		{ "1.2.3-a..b", 0, 0, 0, 0, NULL },
		{ "1.2.3+", 0, 0, 0, 0, NULL },
		{ "1.2.3_4", 0, 0, 0, 0, NULL },
		{ " 1.2.3", 0, 0, 0, 0, NULL },
		{ "master-abc1234", 0, 0, 0, 0, NULL },
	};
	struct semver v;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = semver_parse(t[i].s, &v);

		if (!t[i].ok) {
			is_int(rc, -1, "'%s' is not a version", t[i].s);
			continue;
		}
		ok(rc == 0 && v.major == t[i].ma && v.minor == t[i].mi &&
		    v.patch == t[i].pa && (t[i].pre == NULL ? v.pre == NULL :
		    v.pre != NULL && strcmp(v.pre, t[i].pre) == 0),
		    "'%s' is %llu.%llu.%llu%s%s", t[i].s, t[i].ma, t[i].mi,
		    t[i].pa, t[i].pre ? "-" : "", t[i].pre ? t[i].pre : "");
		semver_release(&v);
	}
}

static void
test_compare(void)
{
	/* each lower than the next (semver.org's precedence example) */
	static const char *const order[] = {
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
		"1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
		"1.0.0", "1.0.1", "1.1", "1.10.0", "2", "10.0.0",
	};
	struct semver a, b;
	size_t i;

	for (i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++) {
		semver_parse(order[i], &a);
		semver_parse(order[i + 1], &b);
		ok(semver_compare(&a, &b) < 0 && semver_compare(&b, &a) > 0,
		    "%s < %s", order[i], order[i + 1]);
		semver_release(&a);
		semver_release(&b);
	}
	semver_parse("1.2.3+a", &a);
	semver_parse("v1.2.3+b", &b);
	is_int(semver_compare(&a, &b), 0, "metadata and v are ignored");
	semver_release(&a);
	semver_release(&b);
}

static void
test_constraints(void)
{
	static const struct {
		const char *c, *v;
		int want;
	} t[] = {
		/* plain and x versions */
		{ "1.2.3", "1.2.3", 1 },
		{ "=1.2.3", "1.2.4", 0 },
		{ "1.2", "1.2.9", 1 },
		{ "1.2", "1.3.0", 0 },
		{ "1", "1.9.9", 1 },
		{ "1", "2.0.0", 0 },
		{ "1.2.x", "1.2.7", 1 },
		{ "1.x", "1.7.0", 1 },
		{ "*", "3.4.5", 1 },
		{ "x", "0.0.1", 1 },
		/* prereleases only when the constraint names one */
		{ "*", "1.5.0-rc.1", 0 },
		{ ">=1", "1.5.0-rc.1", 0 },
		{ ">=1.5.0-0", "1.5.0-rc.1", 1 },
		{ ">=1.5.0-0", "1.5.0", 1 },
		{ ">=1.5.0-rc.2", "1.5.0-rc.1", 0 },
		{ "!=1.0.0", "1.1.0-rc.1", 1 },
		{ "!=1.x", "1.1.0-rc.1", 0 },
		/* comparisons */
		{ ">1.2.3", "1.2.4", 1 },
		{ ">1.2.3", "1.2.3", 0 },
		{ ">11", "11.1.0", 0 },
		{ ">11", "12.0.0", 1 },
		{ ">11.1", "11.1.9", 0 },
		{ ">11.1", "11.2.0", 1 },
		{ "<1.2.3", "1.2.2", 1 },
		{ "<1.2", "1.1.9", 1 },
		{ "<1.2", "1.2.0", 0 },
		{ ">=1.2.3", "1.2.3", 1 },
		{ "=>1.2.3", "1.2.2", 0 },
		{ "<=1.2.3", "1.2.3", 1 },
		{ "=<1.2.3", "1.2.4", 0 },
		{ "<=1.2", "1.2.9", 1 },
		{ "<=1.2", "1.3.0", 0 },
		{ "<=1", "1.9.0", 1 },
		{ "<=1", "2.0.0", 0 },
		{ "!=1.2.3", "1.2.3", 0 },
		{ "!=1.2.3", "1.2.4", 1 },
		{ "!=1.2", "1.2.5", 0 },
		{ "!=1.2", "1.3.0", 1 },
		/* tilde */
		{ "~1.2.3", "1.2.9", 1 },
		{ "~1.2.3", "1.3.0", 0 },
		{ "~1.2.3", "1.2.2", 0 },
		{ "~1.2", "1.2.0", 1 },
		{ "~1", "1.9.0", 1 },
		{ "~1", "2.0.0", 0 },
		{ "~>2.0", "2.0.5", 1 },
		{ "~>2.0", "2.1.0", 0 },
		{ "~*", "9.9.9", 1 },
		/* caret */
		{ "^1.2.3", "1.9.0", 1 },
		{ "^1.2.3", "2.0.0", 0 },
		{ "^1.2.3", "1.2.2", 0 },
		{ "^1.2", "1.2.0", 1 },
		{ "^1", "1.0.0", 1 },
		{ "^0.2.3", "0.2.9", 1 },
		{ "^0.2.3", "0.3.0", 0 },
		{ "^0.2", "0.2.0", 1 },
		{ "^0.0.3", "0.0.3", 1 },
		{ "^0.0.3", "0.0.4", 0 },
		{ "^0.0", "0.0.9", 1 },
		{ "^0.0", "0.1.0", 0 },
		{ "^0", "0.9.0", 1 },
		{ "^0", "1.0.0", 0 },
		{ "^*", "5.0.0", 1 },
		/* several: AND by space or comma, OR by || */
		{ ">=1.2, <2", "1.5.0", 1 },
		{ ">=1.2 <2", "2.0.0", 0 },
		{ ">= 1.2 , < 2", "1.2.0", 1 },
		{ "<1 || >=3", "2.0.0", 0 },
		{ "<1 || >=3", "3.1.0", 1 },
		{ "~1.2 || ^3", "3.0.1", 1 },
		/* ranges */
		{ "1.2 - 1.4.5", "1.4.5", 1 },
		{ "1.2 - 1.4.5", "1.4.6", 0 },
		{ "1.2 - 1.4.5", "1.1.9", 0 },
		{ "1.2.3 - 2", "2.9.0", 1 },
		{ "v1.2.3", "1.2.3", 1 },
	};
	static const char *const bad[] = {
		"", "  ", "latest", ">", "1.2.3.4", ">1<2", ">=1,,<2",
		"1 -", "1.2.3-01", "||", "1 ||", "abc", "1.x.x.x", "1x",
	};
	struct semver_constraint *c;
	struct buf err = BUF_INIT;
	struct semver v;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&err);
		c = semver_constraint_parse(t[i].c, &err);
		if (c == NULL || semver_parse(t[i].v, &v) < 0) {
			ok(0, "'%s' and '%s' parse: %s", t[i].c, t[i].v, err.s);
			semver_constraint_free(c);
			continue;
		}
		is_int(semver_check(c, &v), t[i].want, "'%s' %s %s", t[i].c,
		    t[i].want ? "allows" : "refuses", t[i].v);
		semver_release(&v);
		semver_constraint_free(c);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&err);
		c = semver_constraint_parse(bad[i], &err);
		ok(c == NULL && strstr(err.s, "improper constraint") != NULL,
		    "'%s' is not a constraint", bad[i]);
		semver_constraint_free(c);
	}
	buf_release(&err);
}

int
main(void)
{
	test_parse();
	test_compare();
	test_constraints();
	return tap_done();
}
