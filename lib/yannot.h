/*
 * yannot.h: set and remove the annotations of one object in a YAML file,
 * in place, as the workload commands (sluice automate, lock, policy, ...)
 * change policies. Every byte outside the entries changed stays as it
 * was (kubeyaml, which Flux v1 used, re-indented the whole file).
 *
 *	struct yannot a[] = {
 *		{ "fluxcd.io/automated", "true" },
 *		{ "fluxcd.io/locked", NULL },		-- remove
 *	};
 *	rc = yannot_apply(data, len, doc, "", a, 2, &out, &err);
 *
 * The object is document doc (0-based, as manifest-gen counts them) at
 * JSON Pointer ptr: "" for the document itself, "/items/N" for an item
 * of a List. Its metadata must be a mapping.
 *  - An existing key gets its new value in the old value's style
 *    (lib/yedit.h).
 *  - A new key is added after the last annotation, at its indentation
 *    (block) or inside the braces (flow); with no metadata.annotations, a
 *    block "annotations:" is added after the last key of metadata, one
 *    indentation step (the file's, from metadata's keys) deeper.
 *  - Removing the last annotation removes "annotations:" too.
 *  - New keys and values are written plain when they read back as the
 *    same string, else single-quoted ('true', as Flux v1 wrote it).
 * Line endings follow the file's (CRLF stays CRLF).
 *
 * Then the new file is parsed again: every document but doc must read as
 * before, and doc as before with exactly these annotation changes;
 * otherwise nothing is changed.
 *
 * Returns 1 with the whole new file appended to out; 0 when nothing needs
 * to change (out untouched); -1 with err (out untouched).
 */
#ifndef SLUICE_YANNOT_H
#define SLUICE_YANNOT_H

#include <stddef.h>

#include "lib/buf.h"

struct yannot {
	const char *key;
	const char *value;	/* NULL: remove the key */
};

int yannot_apply(const char *data, size_t len, unsigned long doc,
    const char *ptr, const struct yannot *a, size_t n, struct buf *out,
    struct buf *err);

#endif
