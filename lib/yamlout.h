/*
 * yamlout.h: a JSON value written as one YAML document, the way kubectl
 * shows an object: block style, two-space indentation, a sequence in a
 * mapping at its key's indentation, keys in the object's order, empty
 * collections as {} and [], no "---" and no comments.
 *
 * The guarantee (tests/unit/yamlout_test.c): lib/yml reads the output back
 * as the same JSON (yml_to_json). So
 *
 *	strings are plain unless plain would read back as something else under
 *	the YAML 1.1 typing kubectl uses ("yes", "on", "~", "1.0", "0x1F",
 *	"1_000", "", " x", "a: b", "#c", "-", "&a", ...); then they are
 *	double-quoted, with escapes for what YAML cannot hold as it is
 *	(controls, U+FEFF, the Unicode line breaks);
 *
 *	a string with a line break is a literal block scalar (|, |- or |+,
 *	with an indentation indicator when its first line starts with a space
 *	or is empty) when that reads back exactly, else double-quoted with \n;
 *	keys are never block scalars, and a key longer than 1000 bytes is
 *	written as an explicit "? key" (libyaml refuses longer simple keys);
 *
 *	integers are written as jansson holds them; reals in the fewest digits
 *	that read back as the same double, with a "." or an exponent. JSON has
 *	one number type, and lib/yml (as kubectl) writes a real with an
 *	integral value as an integer: 1.0 reads back as the number 1.
 *
 * Nesting deeper than lib/yml reads (yml_default_limits.max_depth) and
 * strings that are not valid UTF-8 are refused.
 */
#ifndef SLUICE_YAMLOUT_H
#define SLUICE_YAMLOUT_H

#include <jansson.h>

#include "lib/buf.h"

/*
 * Append value (borrowed) to out as a YAML document ending in "\n". 0, or
 * -1 with the reason appended to err and out as it was; nothing is logged.
 */
int yamlout_write(struct buf *out, const json_t *value, struct buf *err);

#endif
