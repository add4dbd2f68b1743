/*
 * rec.h: the NDJSON record stream (docs/records.md is the contract).
 *
 * Reading. rec_next() hands out one line at a time, checked to be a whole
 * JSON object, with its "type" found without building a tree: a tool passes
 * the records it does not consume through byte for byte (rec_out_line) and
 * parses only its own (rec_parse). Blank lines are skipped; an empty stream
 * is a valid one. A line that is not a JSON object with a string "type"
 * breaks the stream: rec_next logs "line N: ..." and returns -1, and the
 * tool exits with reader.exit_code (65 for bad data, 74 for a read error).
 *
 *	struct rec_reader in = REC_READER_INIT;
 *	struct rec r;
 *	while ((n = rec_next(&in, &r)) > 0) {
 *		if (!rec_is(&r, "revision")) {
 *			rec_out_line(r.line, r.len);
 *			continue;
 *		}
 *		...
 *	}
 *	if (n < 0)
 *		exit(in.exit_code);
 *
 * A struct rec borrows the reader's buffer: it is valid until the next
 * rec_next() call. The check also notes where each top-level member is,
 * so that a tool reads the members it wants (rec_pick) without a second
 * pass over a line that is mostly one large value.
 *
 * Writing. Records go to stdout through one buffer that is flushed before
 * rec_next blocks on input, so a slow upstream never holds back what is
 * already done, and a fast one gets large writes. A write error (other
 * than EPIPE, which kills us with SIGPIPE as it should) is sticky:
 * rec_out_ok() turns false and rec_out_flush() fails; tools check it once
 * per record and exit 74.
 */
#ifndef SLUICE_REC_H
#define SLUICE_REC_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"

/* A record line longer than this breaks the stream (65). */
#define REC_MAX_LINE (64u << 20)

/* A top-level member: spans of the line, the key with its quotes. */
struct rec_member {
	const char *key, *value;
	size_t key_len, value_len;
};
/* Members noted per record; rec_pick reads the line again past this. */
#define REC_MEMBERS 16

struct rec_reader {
	int fd;
	struct buf buf;
	size_t pos;		/* start of the unread bytes in buf */
	unsigned long lineno;
	int eof;
	int exit_code;		/* after rec_next() < 0 */
	struct rec_member members[REC_MEMBERS];	/* the last record's */
};
#define REC_READER_INIT { 0, BUF_INIT, 0, 0, 0, 0, { { 0, 0, 0, 0 } } }

struct rec {
	const char *line;	/* the whole line, without its newline */
	size_t len;
	const char *type;	/* the value of "type", not NUL-terminated */
	size_t type_len;
	unsigned long lineno;
	const struct rec_member *members;	/* in the reader */
	size_t nmembers;	/* > REC_MEMBERS: only the first are noted */
};

/* 1 record, 0 end of stream, -1 broken stream (logged; see exit_code). */
int rec_next(struct rec_reader *r, struct rec *out);
void rec_reader_release(struct rec_reader *r);

int rec_is(const struct rec *r, const char *type);
/*
 * jscan_pick (lib/jscan.h) over r's top-level members: for each name in
 * keys, v[i] and vn[i] get the span of the first member so named, or v[i]
 * NULL.
 */
void rec_pick(const struct rec *r, const char *const *keys, const char **v,
    size_t *vn);
/* The record as a new jansson object, or NULL (logged). */
json_t *rec_parse(const struct rec *r);

/*
 * Check that s is exactly one JSON object (surrounding white space
 * allowed). On success returns 0 and points *type at the raw bytes of its
 * top-level "type" string, or NULL if it has none. On failure returns -1
 * and sets *why to a static description.
 */
int rec_check_object(const char *s, size_t len, const char **type,
    size_t *type_len, const char **why);
/*
 * The same, noting the first max top-level members in members[] and how
 * many there are in *n (which may be more than max).
 */
int rec_check_members(const char *s, size_t len, const char **type,
    size_t *type_len, struct rec_member *members, size_t max, size_t *n,
    const char **why);

/* A count in an "end" record. */
struct rec_count {
	const char *name;
	unsigned long value;
};

/*
 * Write the "end" record every tool ends each source with (DESIGN.md rule
 * 3; docs/records.md): stage, source, commit (NULL: null), ok, the counts
 * in the order given, the files or IDs that failed, and message when not
 * NULL.
 */
void rec_write_end(const char *stage, const char *source, const char *commit,
    int ok, const struct rec_count *counts, size_t ncounts,
    char *const *failed, size_t nfailed, const char *message);

/*
 * Write an "error" record of stage about source at commit (docs/
 * records.md); file and id may be NULL.
 */
void rec_write_error(const char *stage, const char *source,
    const char *commit, const char *file, const char *id, const char *msg);

/* The string member key of obj, copied, or NULL. */
char *rec_strdup(const json_t *obj, const char *key);

void rec_out_line(const char *line, size_t len);	/* adds the newline */
void rec_out_buf(const struct buf *b);
void rec_out_json(json_t *rec);
int rec_out_flush(void);	/* 0, or -1 with errno */
int rec_out_ok(void);
/*
 * No more records: flush them and close the output (/dev/null takes its
 * place), so that the next stage sees the end of its input now, not after
 * the work a tool has left that does not write records (a cache written,
 * memory freed). 0, or -1 with errno, sticky as for rec_out_flush. A
 * record written after it is a bug.
 */
int rec_out_end(void);

#endif
