/*
 * jscan.h: read a few members out of JSON text without building a tree.
 * kube-apply reads five fields of each 2 KB object record and four of each
 * item of a list response that may be megabytes of managedFields; parsing
 * all of it with jansson was most of a no-change pass's time.
 *
 * A "value" is a span of the text: v points at its first byte and vn is
 * its length (a string's span includes its quotes). Nothing is copied
 * except by jscan_str. The text must be JSON; on text that is not, the
 * functions return -1 rather than read past the end.
 *
 *	const char *v;
 *	size_t vn;
 *	if (jscan_get(rec, len, (const char *[]){ "object", "metadata",
 *	    "name", NULL }, &v, &vn) == 1)
 *		name = jscan_str(v, vn);
 */
#ifndef SLUICE_JSCAN_H
#define SLUICE_JSCAN_H

#include <stddef.h>

/*
 * Follow path (member names, NULL-terminated) from the object s (n bytes,
 * white space around it allowed). 1 with the value's span, 0 if a member
 * is missing or a step is not an object, -1 if the text is not JSON.
 */
int jscan_get(const char *s, size_t n, const char *const *path,
    const char **v, size_t *vn);

/* The span of the value at s (white space skipped first), or -1. */
int jscan_value(const char *s, size_t n, const char **v, size_t *vn);

/*
 * Iterate an array: *it starts at the '[' (jscan_iter_init); each call
 * gives the next element's span. 1, 0 at the end, -1 if not JSON.
 */
struct jscan_iter {
	const char *p, *end;
	int first;
};
int jscan_iter_init(struct jscan_iter *it, const char *arr, size_t n);
int jscan_next(struct jscan_iter *it, const char **v, size_t *vn);

/*
 * Iterate an object's members once: *it starts at the '{'
 * (jscan_members_init); each call gives the next member's key span (with
 * its quotes) and value span. 1, 0 at the end, -1 if not JSON. Cheaper
 * than several jscan_get calls when several members are wanted.
 */
int jscan_members_init(struct jscan_iter *it, const char *obj, size_t n);
int jscan_next_member(struct jscan_iter *it, const char **k, size_t *kn,
    const char **v, size_t *vn);
/* 1 if the key span (quotes included) names key. */
int jscan_key_is(const char *k, size_t kn, const char *key);
/*
 * Several members of the object s (n bytes) in one pass: for each name in
 * keys (NULL-terminated), v[i] and vn[i] get the span of the first member
 * so named, as jscan_get would, or v[i] NULL if there is none. The pass
 * ends once every name is found: the members after those are not read
 * (an object's "spec", after its "metadata"). 0, or -1 if s is not a JSON
 * object (as far as it was read).
 */
int jscan_pick(const char *s, size_t n, const char *const *keys,
    const char **v, size_t *vn);

/*
 * How many of the n bytes at s a JSON string may hold as they are, up to
 * the first that needs a look: '"', '\\', a control character, or one
 * above 0x7f. Eight bytes at a time: strings are most of a record, and the
 * record reader (lib/rec) and jscan would step through them byte by byte.
 */
size_t jscan_plain(const char *s, size_t n);

/* A string value decoded (a new string: free it), or NULL if the span
 * is not a string. */
char *jscan_str(const char *v, size_t vn);
/* The string at path in [s, s+n), decoded (free it), or NULL if it is
 * missing or not a string. */
char *jscan_get_str(const char *s, size_t n, const char *const *path);
/* 1 if the span is the literal true. */
int jscan_true(const char *v, size_t vn);
/* 1 if the span is a non-empty array. */
int jscan_nonempty_array(const char *v, size_t vn);

#endif
