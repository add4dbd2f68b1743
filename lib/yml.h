/*
 * yml.h: YAML to JSON the way Kubernetes reads manifests (kubectl's
 * sigs.k8s.io/yaml over go-yaml v2), with libyaml as the parser.
 * docs/records.md (YAML to JSON) has the typing table, with the go-yaml v2 and
 * sigs.k8s.io/yaml sources behind each rule.
 *
 * A parser walks one YAML stream held in memory and hands out one document
 * at a time as a tree. The tree lives in an arena owned by the yml_doc:
 * every node pointer is borrowed from it and dies with yml_doc_release().
 * Scalars are typed while parsing (null, bool, int, float, string) as
 * go-yaml v2 resolves them; mapping keys are turned into the strings
 * sigs.k8s.io/yaml makes of them; "<<" merge keys and aliases are resolved
 * (an alias shares its anchor's subtree, it is not copied). So the tree is
 * already what JSON will say, and yml_to_json only writes it out.
 *
 * Errors name the line and column (1-based) where they are, in a struct
 * yml_error; nothing is logged here, because only the caller knows the file
 * name. Errors: YAML syntax, a duplicate key in one mapping (both lines
 * named), an undefined alias, a key that cannot be a JSON key, a value
 * JSON cannot hold (.inf, .nan), a tag that does not fit its value
 * (!!int "abc"), and the limits below: nesting depth, and the size of a
 * document once its aliases are expanded (the "billion laughs" bound, which
 * is checked while parsing, before anything is expanded).
 *
 * Documents: a stream of nothing but comments holds none; "---" with
 * nothing after it is a document whose root is NULL; "--- null" has a
 * YML_NULL root.
 */
#ifndef SLUICE_YML_H
#define SLUICE_YML_H

#include <stddef.h>

#include "lib/buf.h"

enum yml_type {
	YML_NULL,
	YML_BOOL,
	YML_INT,
	YML_FLOAT,
	YML_STR,
	YML_SEQ,
	YML_MAP
};

struct yml_node;
struct yml_arena;

struct yml_limits {
	unsigned max_depth;		/* nesting of collections, expanded */
	size_t max_nodes;		/* per document, aliases expanded */
	size_t max_bytes;		/* scalar bytes per document, expanded */
};
/* 256 levels, 4 million nodes, 256 MiB: far beyond a real manifest. */
extern const struct yml_limits yml_default_limits;

struct yml_error {
	unsigned long line, column;	/* 1-based; 0 when not known */
	char msg[256];
};

struct yml_doc {
	struct yml_node *root;		/* NULL for an empty document */
	unsigned long line;		/* where the document starts */
	struct yml_arena *arena;	/* private */
};
#define YML_DOC_INIT { NULL, 0, NULL }

struct yml_parser;

/*
 * A parser over len bytes at data (borrowed: they must outlive the
 * parser). limits may be NULL for yml_default_limits.
 */
struct yml_parser *yml_parser_new(const char *data, size_t len,
    const struct yml_limits *limits);
/*
 * The next document into *doc (released first if it holds one): 1, or 0
 * at the end of the stream, or -1 with *err filled. After -1 the stream
 * cannot go on: every later call returns -1 again.
 */
int yml_parser_next(struct yml_parser *p, struct yml_doc *doc,
    struct yml_error *err);
void yml_parser_free(struct yml_parser *p);
void yml_doc_release(struct yml_doc *doc);

/*
 * Parse a stream that must hold at most one document (NULL root if none):
 * 0, or -1 with *err filled (a second document is an error too). Release
 * *doc with yml_doc_release() either way.
 */
int yml_parse_one(const char *data, size_t len, struct yml_doc *doc,
    struct yml_error *err);

enum yml_type yml_type(const struct yml_node *n);
unsigned long yml_line(const struct yml_node *n);
unsigned long yml_column(const struct yml_node *n);

/*
 * A string scalar's bytes (NUL-terminated; *len may be NULL), or NULL if
 * n is NULL or not a string.
 */
const char *yml_str(const struct yml_node *n, size_t *len);
/*
 * The JSON text of any scalar (e.g. "31" for 0x1F, "\"a\"" for a), or
 * NULL for a collection. A string's is made on the first call and kept in
 * the document's arena.
 */
const char *yml_scalar_json(const struct yml_node *n);
/* Entries of a mapping or items of a sequence; 0 for anything else. */
size_t yml_len(const struct yml_node *n);
/* Item i of a sequence, or NULL. */
struct yml_node *yml_at(const struct yml_node *seq, size_t i);
/* Entry i of a mapping: its key (a string) and value, or NULL. */
const char *yml_key_at(const struct yml_node *map, size_t i, size_t *len);
struct yml_node *yml_value_at(const struct yml_node *map, size_t i);
/* map[key], merged keys included, or NULL (also when map is not one). */
struct yml_node *yml_get(const struct yml_node *map, const char *key);
/* Shorthand for yml_str(yml_get(map, key), NULL). */
const char *yml_get_str(const struct yml_node *map, const char *key);

/*
 * Set map[key] to a new string scalar with value (copied into doc's
 * arena), replacing the value in place if the key exists, appending an
 * entry otherwise. For manifest-gen's namespace defaulting.
 */
void yml_map_set_str(struct yml_doc *doc, struct yml_node *map,
    const char *key, const char *value);

/*
 * Append n as compact JSON text (keys in document order, merged keys where
 * the "<<" stood). Cannot fail: the limits were checked while parsing.
 */
void yml_to_json(struct buf *out, const struct yml_node *n);

#endif
