/*
 * jsonw.h: write compact JSON text into a struct buf, keeping track of the
 * commas. Records are written this way rather than through jansson where
 * speed matters (manifest-gen writes tens of MB of them), and because the
 * key order it gives is the order of the calls: "type" first, always.
 *
 *	struct jsonw w;
 *	jsonw_init(&w, &b);
 *	jsonw_open(&w);
 *	jsonw_kstr(&w, "type", "end");
 *	jsonw_kbool(&w, "ok", 1);
 *	jsonw_close(&w);
 *
 * The buf is borrowed. Nesting is limited to JSONW_MAX_DEPTH (BUG beyond).
 */
#ifndef SLUICE_JSONW_H
#define SLUICE_JSONW_H

#include <stddef.h>

#include "lib/buf.h"

#define JSONW_MAX_DEPTH 64

struct jsonw {
	struct buf *b;
	int depth;
	unsigned char first[JSONW_MAX_DEPTH];
};

void jsonw_init(struct jsonw *w, struct buf *b);
void jsonw_open(struct jsonw *w);		/* { */
void jsonw_close(struct jsonw *w);		/* } */
void jsonw_open_array(struct jsonw *w);		/* [ */
void jsonw_close_array(struct jsonw *w);	/* ] */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_str(struct jsonw *w, const char *s);	/* NULL writes null */
void jsonw_strn(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, long long v);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);
/* A value that is already JSON text (not checked). */
void jsonw_raw(struct jsonw *w, const char *json, size_t n);

/* key + value in one call */
void jsonw_kstr(struct jsonw *w, const char *key, const char *s);
void jsonw_kint(struct jsonw *w, const char *key, long long v);
void jsonw_kbool(struct jsonw *w, const char *key, int v);

#endif
