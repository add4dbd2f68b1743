/*
 * semver.h: versions and version constraints as Flux v1's semver: tag
 * filters read them (github.com/Masterminds/semver/v3, v3.1: NewVersion
 * and NewConstraint; flux-v1-reference.md section 6.5).
 *
 *	struct semver v;
 *	struct semver_constraint *c = semver_constraint_parse("^1.2", &err);
 *	if (semver_parse("v1.4.0", &v) == 0 && semver_check(c, &v)) ...
 *	semver_release(&v);
 *	semver_constraint_free(c);
 *
 * Versions are read leniently, as NewVersion reads them: an optional "v",
 * then MAJOR[.MINOR[.PATCH]] (missing parts are 0, leading zeros allowed),
 * then -PRERELEASE and +METADATA, each dot-separated identifiers of
 * [0-9A-Za-z-] (a numeric prerelease identifier may not start with 0).
 * "1", "v1.2", "1.2.3-rc.1+build.5" are versions; "1.2.3.4", "latest",
 * "1.2.3-01" are not.
 *
 * Constraints: "||" separates alternatives; within one, constraints
 * separated by spaces or a comma must all hold. Each is an operator (=,
 * !=, >, <, >=, =>, <=, =<, ~, ~>, ^, or none) and a version in which x,
 * X or * may stand for a part, or missing parts stand for x: "1.2" is
 * "1.2.x", "~1" is ">= 1.0.0, < 2.0.0", "^0.2" is ">= 0.2.0, < 0.3.0",
 * "*" is any. "A - B" is ">= A, <= B". A version with a prerelease
 * satisfies a constraint only if the constraint's own version has one:
 * "*" and ">= 1" never let "1.5.0-rc.1" through; ">= 1.5.0-0" does.
 */
#ifndef SLUICE_SEMVER_H
#define SLUICE_SEMVER_H

#include "lib/buf.h"

struct semver {
	unsigned long long major, minor, patch;
	char *pre;		/* "rc.1", or NULL */
};

/* 0, or -1 if s is not a version (*out is then zeroed). */
int semver_parse(const char *s, struct semver *out);
void semver_release(struct semver *v);

/* <0, 0, >0 as a is lower than, equal to, or higher than b (metadata
 * is ignored; a prerelease is lower than its release). */
int semver_compare(const struct semver *a, const struct semver *b);

struct semver_constraint;

/* NULL with a message appended to err ("improper constraint: ...") if s
 * is not a constraint. */
struct semver_constraint *semver_constraint_parse(const char *s,
    struct buf *err);
void semver_constraint_free(struct semver_constraint *c);

/* Does v satisfy c? 1 or 0. */
int semver_check(const struct semver_constraint *c, const struct semver *v);

#endif
