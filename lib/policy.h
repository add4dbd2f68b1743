/*
 * policy.h: tag filters, the patterns of Flux v1's fluxcd.io/tag.<container>
 * annotations (flux-v1-reference.md section 6.5; [F] pkg/policy/
 * pattern.go), and which tags each lets through.
 *
 *	struct policy p = POLICY_INIT;
 *	if (policy_parse("regexp:^v[0-9]+$", &p, &err) < 0)
 *		... err.s says why ...
 *	if (policy_allows(&p, "v7")) ...
 *	policy_release(&p);
 *
 * A filter is "glob:PATTERN", "semver:CONSTRAINT", "regexp:RE" or
 * "regex:RE"; without one of those prefixes the whole string is a glob
 * (Flux's NewPattern). Globs are imgref_glob_match's (go-glob: "*" only).
 * Regular expressions are unanchored, as Go's MatchString: "regexp:a"
 * lets "xay" through. They are compiled with PCRE2, whose syntax covers
 * what RE2 accepts in tag filters (\d, classes, (?i), non-greedy, named
 * groups); PCRE2 backtracks where RE2 does not, so a match is bounded
 * (POLICY_MATCH_LIMIT) and a match that hits the bound lets nothing
 * through.
 *
 * Where this differs from Flux v1, on purpose: a regexp that does not
 * compile is an error here; Flux let every tag through it (and refused it
 * only when written through its API), which could deploy any tag.
 *
 * Semver filters are Masterminds semver constraints (lib/semver.h): a
 * tag passes if it is a version (leniently read: "v1.2") that satisfies
 * the constraint. A constraint that does not parse is an error, as a bad
 * regexp is.
 *
 * Newest first (policy_sort), as Flux v1's update/images.go sorts:
 *  - glob and regexp: by creation time, newest first; a tag whose time is
 *    unknown (0) counts as oldest; equal times go to the smaller tag
 *    (bytes), which is Flux's "smaller full reference" within a
 *    repository;
 *  - semver: by version, highest first; equal versions ("1.10" and
 *    "1.10.0") go to the greater tag (bytes).
 */
#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/semver.h"

/* PCRE2 match limit: steps of backtracking per tag. */
#define POLICY_MATCH_LIMIT 100000

enum policy_kind { POLICY_GLOB, POLICY_SEMVER, POLICY_REGEXP };

struct policy {
	enum policy_kind kind;
	char *pattern;		/* after the prefix */
	void *re;		/* POLICY_REGEXP: the compiled pattern */
	struct semver_constraint *semver;	/* POLICY_SEMVER */
};
#define POLICY_INIT { POLICY_GLOB, NULL, NULL, NULL }

/*
 * Parse filter into *out (POLICY_INIT or released). 0; or -1 with a
 * message appended to err ("invalid regexp '(': missing closing
 * parenthesis at offset 1") and *out left as POLICY_INIT.
 */
int policy_parse(const char *filter, struct policy *out, struct buf *err);
void policy_release(struct policy *p);

/*
 * Does the filter order tags by their images' creation time (glob and
 * regexp), so that choosing the newest needs each allowed tag's created
 * time? 0 for semver, which orders by version.
 */
int policy_needs_time(const struct policy *p);

/*
 * Does p let tag through? A tag "latest", in any case, passes only the
 * exact filter "glob:latest" (or "latest"), as in Flux. 1 or 0.
 */
int policy_allows(const struct policy *p, const char *tag);

/*
 * The tags p lets through, newest first: their indices into tags (n of
 * them; created[i] is tags[i]'s creation time in unix seconds, 0 when
 * unknown, and may be NULL for a semver filter) are written to order,
 * which has room for n. Returns how many there are.
 */
size_t policy_sort(const struct policy *p, const char *const *tags,
    const long long *created, size_t n, size_t *order);

#endif
