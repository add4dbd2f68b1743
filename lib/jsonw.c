#include "lib/jsonw.h"

#include <string.h>

#include "lib/log.h"
#include "lib/banned.h"

void
jsonw_init(struct jsonw *w, struct buf *b)
{
	w->b = b;
	w->depth = 0;
	w->first[0] = 1;
}

/* Before a value or key: a comma unless it is the first in its container. */
static void
sep(struct jsonw *w)
{
	if (!w->first[w->depth])
		buf_addch(w->b, ',');
	w->first[w->depth] = 0;
}

static void
push(struct jsonw *w, int c)
{
	sep(w);
	if (w->depth + 1 >= JSONW_MAX_DEPTH)
		BUG("jsonw nesting deeper than %d", JSONW_MAX_DEPTH);
	buf_addch(w->b, c);
	w->first[++w->depth] = 1;
}

static void
pop(struct jsonw *w, int c)
{
	if (w->depth == 0)
		BUG("jsonw close without open");
	w->depth--;
	buf_addch(w->b, c);
}

void jsonw_open(struct jsonw *w) { push(w, '{'); }
void jsonw_close(struct jsonw *w) { pop(w, '}'); }
void jsonw_open_array(struct jsonw *w) { push(w, '['); }
void jsonw_close_array(struct jsonw *w) { pop(w, ']'); }

void
jsonw_key(struct jsonw *w, const char *key)
{
	sep(w);
	buf_add_json_str(w->b, key, strlen(key));
	buf_addch(w->b, ':');
	w->first[w->depth] = 1;	/* the value that follows takes no comma */
}

void
jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	sep(w);
	buf_add_json_str(w->b, s, n);
}

void
jsonw_str(struct jsonw *w, const char *s)
{
	if (s == NULL)
		jsonw_null(w);
	else
		jsonw_strn(w, s, strlen(s));
}

void
jsonw_int(struct jsonw *w, long long v)
{
	sep(w);
	buf_addf(w->b, "%lld", v);
}

void
jsonw_bool(struct jsonw *w, int v)
{
	sep(w);
	buf_adds(w->b, v ? "true" : "false");
}

void
jsonw_null(struct jsonw *w)
{
	sep(w);
	buf_adds(w->b, "null");
}

void
jsonw_raw(struct jsonw *w, const char *json, size_t n)
{
	sep(w);
	buf_add(w->b, json, n);
}

void
jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void
jsonw_kint(struct jsonw *w, const char *key, long long v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void
jsonw_kbool(struct jsonw *w, const char *key, int v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}
