/*
 * yedit.h: change string scalars of a YAML file in place, byte for byte:
 * only the bytes of each scalar change; comments, key order, quoting,
 * indentation, line endings and document markers stay as they were
 * (kubeyaml, which Flux v1 used, re-indented whole files).
 *
 *	struct yedit e[1] = { YEDIT_INIT };
 *	e[0].doc = 0;
 *	e[0].path = "/spec/template/spec/containers/0/image";
 *	e[0].value = "nginx:1.27";
 *	n = yedit_apply(data, len, e, 1, &out);
 *	if (!e[0].done) ... e[0].err.s says why ...
 *
 * A target is a document (0-based, counted as manifest-gen counts them)
 * and a JSON Pointer (RFC 6901) from the document's root; a List item is
 * "/items/N/...". With expect, the scalar must hold that string now (an
 * edit redone on a newer commit must not land on a field that moved). The node there must be a scalar written in the file (not
 * an alias, not reached through a "<<" merge). The new value is written
 * in the scalar's own style: plain stays plain when the value reads back
 * as the same string (else it is double-quoted), quoted stays quoted with
 * its escapes, a block scalar keeps its header and indentation. An anchor
 * or tag in front of the scalar is kept.
 *
 * Then every document that changed is parsed again, as kubectl would read
 * it, and compared with the original document with the intended values
 * set: if anything else differs (an alias elsewhere sharing the anchor,
 * a quoting subtlety), that document's edits are all dropped, with err
 * saying so. Edits in other documents stand.
 *
 * Files must be UTF-8 (a BOM is allowed). Nothing here logs.
 */
#ifndef SLUICE_YEDIT_H
#define SLUICE_YEDIT_H

#include <stddef.h>

#include "lib/buf.h"

struct yedit {
	/* in */
	unsigned long doc;
	const char *path;
	const char *value;
	const char *expect;	/* NULL, or what the scalar must hold now */
	/* out */
	int done;
	struct buf err;		/* why not, when !done */
	/* private */
	size_t start, end;	/* the scalar's bytes */
	int style;
};
#define YEDIT_INIT { 0, NULL, NULL, NULL, 0, BUF_INIT, 0, 0, 0 }

/*
 * Apply the n edits to the len bytes at data, writing the whole new file
 * to out (appended). Returns how many were done; each has done, or err.
 * With none done, out holds data unchanged.
 */
size_t yedit_apply(const char *data, size_t len, struct yedit *e, size_t n,
    struct buf *out);

void yedit_release(struct yedit *e);

/*
 * Does value, written as a plain scalar, read back as the same string (in
 * block and flow context)? "1.10", "true" and "a: b" do not.
 */
int yedit_plain_ok(const char *value);

#endif
