#include "lib/rec.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/exitcode.h"
#include "lib/jscan.h"
#include "lib/jsonw.h"
#include "lib/log.h"
#include "lib/num.h"
#include "lib/banned.h"

/* ---- a JSON checker that builds nothing ---- */

#define CHECK_MAX_DEPTH 512

struct checker {
	const unsigned char *p, *end;
	const char *why;
	const char *type;
	size_t type_len;
	struct rec_member *members;	/* the top level's, up to max */
	size_t nmembers, max;
};

static int check_value(struct checker *c, int depth);

static void
skip_ws(struct checker *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
fail(struct checker *c, const char *why)
{
	c->why = why;
	return -1;
}

static int
check_string(struct checker *c)
{
	const unsigned char *p = c->p + 1;	/* past the quote */
	int i;

	while (p < c->end) {
		unsigned char ch;

		p += jscan_plain((const char *)p, (size_t)(c->end - p));
		if (p >= c->end)
			break;
		ch = *p;
		if (ch == '"') {
			c->p = p + 1;
			return 0;
		}
		if (ch < 0x20)
			return fail(c, "control character in a string");
		if (ch == '\\') {
			if (++p >= c->end)
				break;
			switch (*p) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p++;
				continue;
			case 'u':
				for (i = 1; i <= 4; i++)
					if (p + i >= c->end || num_hexval(p[i]) < 0)
						return fail(c, "bad \\u escape");
				p += 5;
				continue;
			default:
				return fail(c, "bad escape in a string");
			}
		}
		if (ch < 0x80) {
			p++;
			continue;
		}
		/* multi-byte UTF-8: shape and overlong/surrogate checks */
		{
			size_t n, k;
			unsigned cp;

			if (ch >= 0xc2 && ch < 0xe0)
				n = 2, cp = ch & 0x1f;
			else if (ch >= 0xe0 && ch < 0xf0)
				n = 3, cp = ch & 0x0f;
			else if (ch >= 0xf0 && ch < 0xf5)
				n = 4, cp = ch & 0x07;
			else
				return fail(c, "invalid UTF-8");
			if ((size_t)(c->end - p) < n)
				return fail(c, "invalid UTF-8");
			for (k = 1; k < n; k++) {
				if ((p[k] & 0xc0) != 0x80)
					return fail(c, "invalid UTF-8");
				cp = cp << 6 | (p[k] & 0x3f);
			}
			if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
			    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				return fail(c, "invalid UTF-8");
			p += n;
		}
	}
	return fail(c, "unterminated string");
}

static int
check_number(struct checker *c)
{
	const unsigned char *p = c->p;

	if (p < c->end && *p == '-')
		p++;
	if (p >= c->end)
		return fail(c, "bad number");
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < c->end && *p >= '0' && *p <= '9')
			p++;
	else
		return fail(c, "bad number");
	if (p < c->end && *p == '.') {
		if (++p >= c->end || *p < '0' || *p > '9')
			return fail(c, "bad number");
		while (p < c->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < c->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < c->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= c->end || *p < '0' || *p > '9')
			return fail(c, "bad number");
		while (p < c->end && *p >= '0' && *p <= '9')
			p++;
	}
	c->p = p;
	return 0;
}

static int
check_word(struct checker *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return fail(c, "unexpected character");
	c->p += n;
	return 0;
}

static void
note_member(struct checker *c, const unsigned char *key, size_t key_len,
    const unsigned char *value)
{
	struct rec_member *m;

	if (c->nmembers++ >= c->max)
		return;
	m = &c->members[c->nmembers - 1];
	m->key = (const char *)key;
	m->key_len = key_len;
	m->value = (const char *)value;
	m->value_len = (size_t)(c->p - value);
}

static int
check_container(struct checker *c, int depth, int object)
{
	int close = object ? '}' : ']';
	const unsigned char *key, *value;
	size_t key_len;

	if (depth >= CHECK_MAX_DEPTH)
		return fail(c, "nested too deeply");
	c->p++;
	skip_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		skip_ws(c);
		if (object) {
			if (c->p >= c->end || *c->p != '"')
				return fail(c, "expected a string key");
			key = c->p + 1;
			if (check_string(c) < 0)
				return -1;
			key_len = (size_t)(c->p - key - 1);
			skip_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return fail(c, "expected ':'");
			c->p++;
			skip_ws(c);
			value = c->p;
			if (depth == 0 && c->type == NULL && key_len == 4 &&
			    memcmp(key, "type", 4) == 0 && c->p < c->end &&
			    *c->p == '"') {
				const unsigned char *v = c->p;

				if (check_string(c) < 0)
					return -1;
				c->type = (const char *)v + 1;
				c->type_len = (size_t)(c->p - v - 2);
			} else if (check_value(c, depth + 1) < 0) {
				return -1;
			}
			if (depth == 0)
				note_member(c, key - 1, key_len + 2, value);
		} else if (check_value(c, depth + 1) < 0) {
			return -1;
		}
		skip_ws(c);
		if (c->p >= c->end)
			return fail(c, object ? "unterminated object" :
			    "unterminated array");
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == close) {
			c->p++;
			return 0;
		}
		return fail(c, object ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	}
}

static int
check_value(struct checker *c, int depth)
{
	skip_ws(c);
	if (c->p >= c->end)
		return fail(c, "unexpected end of line");
	switch (*c->p) {
	case '{': return check_container(c, depth, 1);
	case '[': return check_container(c, depth, 0);
	case '"': return check_string(c);
	case 't': return check_word(c, "true");
	case 'f': return check_word(c, "false");
	case 'n': return check_word(c, "null");
	default: return check_number(c);
	}
}

int
rec_check_object(const char *s, size_t len, const char **type,
    size_t *type_len, const char **why)
{
	size_t n;

	return rec_check_members(s, len, type, type_len, NULL, 0, &n, why);
}

int
rec_check_members(const char *s, size_t len, const char **type,
    size_t *type_len, struct rec_member *members, size_t max, size_t *n,
    const char **why)
{
	struct checker c;

	c.p = (const unsigned char *)s;
	c.end = c.p + len;
	c.why = NULL;
	c.type = NULL;
	c.type_len = 0;
	c.members = members;
	c.nmembers = 0;
	c.max = max;
	skip_ws(&c);
	if (c.p >= c.end || *c.p != '{') {
		*why = "not a JSON object";
		return -1;
	}
	if (check_container(&c, 0, 1) < 0) {
		*why = c.why;
		return -1;
	}
	skip_ws(&c);
	if (c.p != c.end) {
		*why = "text after the JSON object";
		return -1;
	}
	*type = c.type;
	*type_len = c.type_len;
	*n = c.nmembers;
	return 0;
}

/* ---- reading ---- */

static int
fill(struct rec_reader *r)
{
	ssize_t n;

	if (r->pos > 0) {
		/* keep the partial line, drop what was handed out */
		memmove(r->buf.s, r->buf.s + r->pos, r->buf.len - r->pos);
		buf_setlen(&r->buf, r->buf.len - r->pos);
		r->pos = 0;
	}
	/* [rec-flush-before-read] records already done go out first */
	(void)rec_out_flush();	/* a failure is sticky: rec_out_ok() */
	buf_grow(&r->buf, 1 << 16);
	for (;;) {
		n = read(r->fd, r->buf.s + r->buf.len,
		    r->buf.alloc - r->buf.len - 1);
		if (n >= 0)
			break;
		if (errno != EINTR)
			return -1;
	}
	if (n == 0)
		r->eof = 1;
	buf_setlen(&r->buf, r->buf.len + (size_t)n);
	return 0;
}

static int
all_space(const char *s, size_t n)
{
	while (n--) {
		if (*s != ' ' && *s != '\t' && *s != '\r')
			return 0;
		s++;
	}
	return 1;
}

int
rec_next(struct rec_reader *r, struct rec *out)
{
	const char *why, *line, *nl;
	size_t len, scanned = 0;

	for (;;) {
		line = r->buf.s + r->pos;
		nl = memchr(line + scanned, '\n', r->buf.len - r->pos - scanned);
		if (nl == NULL && !r->eof) {
			scanned = r->buf.len - r->pos;
			if (scanned > REC_MAX_LINE) {
				r->exit_code = EXIT_DATAERR;
				log_error("line %lu: record longer than %u bytes",
				    r->lineno + 1, REC_MAX_LINE);
				return -1;
			}
			if (fill(r) < 0) {
				r->exit_code = EXIT_IOERR;
				return log_errno("cannot read the input");
			}
			continue;
		}
		if (nl == NULL && r->pos == r->buf.len)
			return 0;	/* end of stream */
		len = nl ? (size_t)(nl - line) : r->buf.len - r->pos;
		r->pos += len + (nl != NULL);
		r->lineno++;
		scanned = 0;
		if (all_space(line, len))
			continue;
		if (len > REC_MAX_LINE) {
			r->exit_code = EXIT_DATAERR;
			log_error("line %lu: record longer than %u bytes",
			    r->lineno, REC_MAX_LINE);
			return -1;
		}
		out->line = line;
		out->len = len;
		out->lineno = r->lineno;
		out->members = r->members;
		if (rec_check_members(line, len, &out->type, &out->type_len,
		    r->members, REC_MEMBERS, &out->nmembers, &why) < 0) {
			r->exit_code = EXIT_DATAERR;
			log_error("line %lu: %s", r->lineno, why);
			return -1;
		}
		if (out->type == NULL) {
			r->exit_code = EXIT_DATAERR;
			log_error("line %lu: record has no string \"type\"",
			    r->lineno);
			return -1;
		}
		return 1;
	}
}

void
rec_reader_release(struct rec_reader *r)
{
	buf_release(&r->buf);
	r->pos = 0;
}

int
rec_is(const struct rec *r, const char *type)
{
	size_t n = strlen(type);

	return r->type_len == n && memcmp(r->type, type, n) == 0;
}

void
rec_pick(const struct rec *r, const char *const *keys, const char **v,
    size_t *vn)
{
	size_t i, k;

	if (r->nmembers > REC_MEMBERS) {
		if (jscan_pick(r->line, r->len, keys, v, vn) < 0)
			BUG("a checked record is not JSON");
		return;
	}
	for (k = 0; keys[k] != NULL; k++)
		v[k] = NULL;
	for (i = 0; i < r->nmembers; i++)
		for (k = 0; keys[k] != NULL; k++)
			if (v[k] == NULL && jscan_key_is(r->members[i].key,
			    r->members[i].key_len, keys[k])) {
				v[k] = r->members[i].value;
				vn[k] = r->members[i].value_len;
				break;
			}
}

json_t *
rec_parse(const struct rec *r)
{
	json_error_t err;
	json_t *j;

	j = json_loadb(r->line, r->len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL)
		log_error("line %lu: %s", r->lineno, err.text);
	return j;
}

/* ---- writing ---- */

static struct buf out = BUF_INIT;
static int out_failed;
static int out_ended;		/* rec_out_end: nothing more may come */

#define OUT_FLUSH_AT (1u << 16)

int
rec_out_flush(void)
{
	size_t done = 0;
	ssize_t n;

	if (out_failed) {
		buf_reset(&out);
		errno = out_failed;
		return -1;
	}
	while (done < out.len) {
		n = write(1, out.s + done, out.len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			out_failed = errno;
			buf_reset(&out);
			return -1;
		}
		done += (size_t)n;
	}
	buf_reset(&out);
	return 0;
}

int
rec_out_ok(void)
{
	return !out_failed;
}

int
rec_out_end(void)
{
	int fd;

	if (out_ended)
		return 0;
	if (rec_out_flush() < 0)
		return -1;
	out_ended = 1;
	/*
	 * /dev/null in its place rather than a closed descriptor, which a
	 * later open would get. Without /dev/null the output stays open,
	 * and the next stage sees its end when we exit, as before.
	 */
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return 0;
	if (fd != 1) {		/* 1 itself: there was no output */
		(void)dup2(fd, 1);
		close(fd);
	}
	return 0;
}

void
rec_out_line(const char *line, size_t len)
{
	if (out_ended)
		BUG("a record after the end of the output");
	if (out_failed)
		return;
	buf_add(&out, line, len);
	buf_addch(&out, '\n');
	if (out.len >= OUT_FLUSH_AT)
		(void)rec_out_flush();
}

void
rec_out_buf(const struct buf *b)
{
	rec_out_line(b->s, b->len);
}

void
rec_out_json(json_t *rec)
{
	char *s;

	s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s == NULL)
		BUG("cannot serialise a record");
	rec_out_line(s, strlen(s));
	free(s);
}

void
rec_write_end(const char *stage, const char *source, const char *commit,
    int ok, const struct rec_count *counts, size_t ncounts,
    char *const *failed, size_t nfailed, const char *message)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	size_t i;

	jsonw_init(&w, &b);
	jsonw_open(&w);
	jsonw_kstr(&w, "type", "end");
	jsonw_kstr(&w, "stage", stage);
	jsonw_kstr(&w, "source", source);
	jsonw_kstr(&w, "commit", commit);
	jsonw_kbool(&w, "ok", ok);
	jsonw_key(&w, "counts");
	jsonw_open(&w);
	for (i = 0; i < ncounts; i++)
		jsonw_kint(&w, counts[i].name, (long long)counts[i].value);
	jsonw_close(&w);
	jsonw_key(&w, "failed");
	jsonw_open_array(&w);
	for (i = 0; i < nfailed; i++)
		jsonw_str(&w, failed[i]);
	jsonw_close_array(&w);
	if (message != NULL)
		jsonw_kstr(&w, "message", message);
	jsonw_close(&w);
	rec_out_buf(&b);
	buf_release(&b);
}

void
rec_write_error(const char *stage, const char *source, const char *commit,
    const char *file, const char *id, const char *msg)
{
	struct buf b = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &b);
	jsonw_open(&w);
	jsonw_kstr(&w, "type", "error");
	jsonw_kstr(&w, "stage", stage);
	jsonw_kstr(&w, "source", source);
	jsonw_kstr(&w, "commit", commit);
	if (file != NULL)
		jsonw_kstr(&w, "file", file);
	if (id != NULL)
		jsonw_kstr(&w, "id", id);
	jsonw_kstr(&w, "message", msg);
	jsonw_close(&w);
	rec_out_buf(&b);
	buf_release(&b);
}

char *
rec_strdup(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? xstrdup(s) : NULL;
}
