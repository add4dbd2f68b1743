/*
 * policy.c: tag filters (policy.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pcre2.h>

#include "lib/imgref.h"
#include "lib/policy.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static int
has_prefix(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) != 0)
		return 0;
	*rest = s + n;
	return 1;
}

int
policy_parse(const char *filter, struct policy *out, struct buf *err)
{
	const char *rest = filter;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *re;
	int rc;

	*out = (struct policy)POLICY_INIT;
	if (has_prefix(filter, "semver:", &rest))
		out->kind = POLICY_SEMVER;
	else if (has_prefix(filter, "regexp:", &rest) ||
	    has_prefix(filter, "regex:", &rest))
		out->kind = POLICY_REGEXP;
	else if (!has_prefix(filter, "glob:", &rest))
		rest = filter;
	if (out->kind == POLICY_SEMVER) {
		out->semver = semver_constraint_parse(rest, err);
		if (out->semver == NULL) {
			out->kind = POLICY_GLOB;
			return -1;
		}
	} else if (out->kind == POLICY_REGEXP) {
		re = pcre2_compile((PCRE2_SPTR)rest, PCRE2_ZERO_TERMINATED, 0,
		    &rc, &off, NULL);
		if (re == NULL) {
			pcre2_get_error_message(rc, msg, sizeof(msg));
			buf_addf(err, "invalid regexp '%s': %s at offset %zu",
			    rest, (const char *)msg, (size_t)off);
			out->kind = POLICY_GLOB;
			return -1;
		}
		out->re = re;
	}
	out->pattern = xstrdup(rest);
	return 0;
}

void
policy_release(struct policy *p)
{
	free(p->pattern);
	pcre2_code_free(p->re);
	semver_constraint_free(p->semver);
	*p = (struct policy)POLICY_INIT;
}

int
policy_needs_time(const struct policy *p)
{
	return p->kind != POLICY_SEMVER;
}

static int
regexp_allows(const struct policy *p, const char *tag)
{
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	pcre2_match_data *md;
	int rc;

	md = pcre2_match_data_create_from_pattern(p->re, NULL);
	if (mc == NULL || md == NULL)
		xalloc_oom(sizeof(pcre2_match_data *));
	pcre2_set_match_limit(mc, POLICY_MATCH_LIMIT);
	pcre2_set_depth_limit(mc, POLICY_MATCH_LIMIT);
	rc = pcre2_match(p->re, (PCRE2_SPTR)tag, PCRE2_ZERO_TERMINATED, 0, 0,
	    md, mc);
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	return rc >= 0;
}

static int
semver_allows(const struct policy *p, const char *tag)
{
	struct semver v;
	int ok;

	if (semver_parse(tag, &v) < 0)
		return 0;
	ok = semver_check(p->semver, &v);
	semver_release(&v);
	return ok;
}

int
policy_allows(const struct policy *p, const char *tag)
{
	if (strcasecmp(tag, "latest") == 0 && !(p->kind == POLICY_GLOB &&
	    strcmp(p->pattern, "latest") == 0))
		return 0;
	switch (p->kind) {
	case POLICY_GLOB:
		return imgref_glob_match(p->pattern, tag);
	case POLICY_REGEXP:
		return regexp_allows(p, tag);
	default:
		return semver_allows(p, tag);
	}
}

/* What policy_sort compares: one allowed tag. */
struct sorted {
	size_t i;
	const char *tag;
	long long created;
	struct semver v;
};

static int
by_time(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return strcmp(x->tag, y->tag);
}

static int
by_version(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;
	int c = semver_compare(&x->v, &y->v);

	if (c != 0)
		return -c;
	return -strcmp(x->tag, y->tag);
}

size_t
policy_sort(const struct policy *p, const char *const *tags,
    const long long *created, size_t n, size_t *order)
{
	struct sorted *s = xcalloc(n ? n : 1, sizeof(*s));
	size_t i, m = 0;

	for (i = 0; i < n; i++) {
		if (!policy_allows(p, tags[i]))
			continue;
		s[m].i = i;
		s[m].tag = tags[i];
		s[m].created = created ? created[i] : 0;
		if (p->kind == POLICY_SEMVER)
			(void)semver_parse(tags[i], &s[m].v);
		m++;
	}
	qsort(s, m, sizeof(*s), p->kind == POLICY_SEMVER ? by_version :
	    by_time);
	for (i = 0; i < m; i++) {
		order[i] = s[i].i;
		semver_release(&s[i].v);
	}
	free(s);
	return m;
}
