/*
 * ywalk.h: where a libyaml event walk is, as a JSON Pointer, and libyaml's
 * character marks as byte offsets. What the in-place YAML editors (yedit,
 * yannot) share.
 *
 *	struct ywalk w = YWALK_INIT;
 *	ywalk_start(&w, data, len);
 *	for each event:
 *		scalar, alias:		ywalk_node(&w); ... w.path.s ...;
 *					ywalk_done(&w, scalar or NULL);
 *		sequence/mapping start:	ywalk_node(&w); ...; ywalk_push(&w, seq);
 *		sequence/mapping end:	ywalk_pop(&w); ywalk_done(&w, NULL);
 *		document start:		ywalk_reset(&w);
 *	ywalk_release(&w);
 *
 * After ywalk_node, w.path is the node's path ("" the root): keys that are
 * not plain strings, and mapping keys themselves, get a segment holding
 * \001, which no target path holds. ywalk_byte turns a mark's index into
 * a byte offset; marks must come in file order (libyaml counts a
 * character per UTF-8 sequence, and none for a BOM).
 */
#ifndef SLUICE_YWALK_H
#define SLUICE_YWALK_H

#include <stddef.h>

#include "lib/buf.h"

struct ywalk_frame {
	int seq;
	unsigned long index;	/* seq: the next item's */
	int want_key;		/* map: the next node is a key */
	char *key;		/* map: the key of the value being read */
	size_t path_len;	/* the collection's own path */
};

struct ywalk {
	struct ywalk_frame *f;
	size_t depth, alloc;
	struct buf path;
	/* the cursor */
	const unsigned char *data;
	size_t len, ci, bi;
};
#define YWALK_INIT { NULL, 0, 0, BUF_INIT, NULL, 0, 0, 0 }

void ywalk_start(struct ywalk *w, const char *data, size_t len);
size_t ywalk_byte(struct ywalk *w, size_t index);
void ywalk_node(struct ywalk *w);
void ywalk_done(struct ywalk *w, const char *scalar_key);
void ywalk_push(struct ywalk *w, int seq);
void ywalk_pop(struct ywalk *w);
void ywalk_reset(struct ywalk *w);
void ywalk_release(struct ywalk *w);
/* Append "/" and s, escaped as RFC 6901 says, to path. */
void ywalk_add_segment(struct buf *path, const char *s);

#endif
