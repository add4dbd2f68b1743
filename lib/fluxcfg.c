#include "lib/fluxcfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/num.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static const char *const kind_names[] = {
	"scanForFiles", "commandUpdated", "patchUpdated"
};

const char *
fluxcfg_kind_name(enum fluxcfg_kind kind)
{
	if ((size_t)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "unknown";
}

double
fluxcfg_timeout(const struct fluxcfg_command *cmd, double dflt)
{
	return cmd->timeout >= 1 ? cmd->timeout : dflt;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

/*
 * Append s in single quotes, with control bytes escaped, so that a key
 * with a newline in it cannot break the message into two lines.
 */
static void
add_quoted(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_addch(b, '\'');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			buf_addf(b, "\\x%02x", c);
		else
			buf_addch(b, c);
	}
	buf_addch(b, '\'');
}

/* Append "where: <message>" to err; -1. */
__attribute__((format(printf, 3, 4)))
static int
fail(struct buf *err, const char *where, const char *fmt, ...)
{
	va_list ap;

	buf_adds(err, *where ? where : "top level");
	buf_adds(err, ": ");
	va_start(ap, fmt);
	buf_vaddf(err, fmt, ap);
	va_end(ap);
	return -1;
}

static int
fail_unknown_key(struct buf *err, const char *where, const char *key,
    const char *hint)
{
	buf_adds(err, *where ? where : "top level");
	buf_adds(err, ": unknown key ");
	add_quoted(err, key, strlen(key));
	buf_addf(err, " (%s)", hint);
	return -1;
}

/* A string field: its copy in *out, or -1 with err set. */
static int
get_string(const json_t *v, const char *where, const char *key,
    char **out, struct buf *err)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return fail(err, where, "\"%s\" must be a string, not %s", key,
		    type_name(v));
	s = json_string_value(v);
	n = json_string_length(v);
	if (memchr(s, '\0', n) != NULL)
		return fail(err, where, "\"%s\" must not contain a NUL byte",
		    key);
	*out = xmemdup(s, n);
	return 0;
}

static void
command_release(struct fluxcfg_command *c)
{
	free(c->command);
	c->command = NULL;
	c->timeout = 0;
}

static int
parse_timeout(const json_t *v, const char *where, double *out,
    struct buf *err)
{
	const char *s;
	double secs;

	if (!json_is_string(v))
		return fail(err, where, "\"timeout\" must be a duration string "
		    "such as \"90s\" or \"2m\", not %s", type_name(v));
	s = json_string_value(v);
	errno = EINVAL;
	if (strlen(s) != json_string_length(v) ||
	    num_parse_duration(s, &secs) < 0) {
		buf_adds(err, where);
		buf_adds(err, ": \"timeout\" ");
		add_quoted(err, s, json_string_length(v));
		if (errno == ERANGE)
			buf_adds(err, " is out of range");
		else
			buf_adds(err, " is not a duration such as \"90s\", "
			    "\"2m\" or \"1h30m\"");
		return -1;
	}
	*out = secs;
	return 0;
}

/* {command: string, timeout: duration string} */
static int
parse_command(const json_t *v, const char *where, struct fluxcfg_command *out,
    struct buf *err)
{
	const char *key;
	json_t *val;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(v))
		return fail(err, where, "must be an object with a \"command\" "
		    "string, not %s", type_name(v));
	json_object_foreach((json_t *)v, key, val) {
		if (strcmp(key, "command") == 0) {
			if (get_string(val, where, "command", &out->command,
			    err) < 0)
				goto bad;
		} else if (strcmp(key, "timeout") == 0) {
			if (parse_timeout(val, where, &out->timeout, err) < 0)
				goto bad;
		} else {
			fail_unknown_key(err, where, key, "a command has only "
			    "\"command\" and \"timeout\"");
			goto bad;
		}
	}
	if (out->command == NULL) {
		fail(err, where, "must be an object with a \"command\" string; "
		    "\"command\" is missing");
		goto bad;
	}
	return 0;
bad:
	command_release(out);
	return -1;
}

static int
parse_generators(const json_t *v, const char *section, struct fluxcfg *cfg,
    struct buf *err)
{
	struct buf where = BUF_INIT;
	size_t i, n;
	int ret = -1;

	buf_addf(&where, "%s.generators", section);
	if (!json_is_array(v)) {
		fail(err, where.s, "must be a list of commands (generators: [] "
		    "for none), not %s", type_name(v));
		goto out;
	}
	n = json_array_size(v);
	cfg->generators = xcalloc(n ? n : 1, sizeof(*cfg->generators));
	for (i = 0; i < n; i++) {
		buf_reset(&where);
		buf_addf(&where, "%s.generators[%zu]", section, i);
		if (parse_command(json_array_get(v, i), where.s,
		    &cfg->generators[i], err) < 0)
			goto out;
		cfg->ngenerators++;
	}
	ret = 0;
out:
	buf_release(&where);
	return ret;
}

static int
parse_updater(const json_t *v, const char *where, struct fluxcfg_updater *u,
    struct buf *err)
{
	struct buf sub = BUF_INIT;
	const char *key;
	json_t *val;
	int ret = -1;

	if (!json_is_object(v))
		return fail(err, where, "must be an object with "
		    "\"containerImage\" and \"policy\" commands, not %s",
		    type_name(v));
	json_object_foreach((json_t *)v, key, val) {
		buf_reset(&sub);
		buf_addf(&sub, "%s.%s", where, key);
		if (strcmp(key, "containerImage") == 0) {
			if (parse_command(val, sub.s, &u->container_image,
			    err) < 0)
				goto out;
			u->has_container_image = 1;
		} else if (strcmp(key, "policy") == 0) {
			if (parse_command(val, sub.s, &u->policy, err) < 0)
				goto out;
			u->has_policy = 1;
		} else {
			fail_unknown_key(err, where, key, "an updater has only "
			    "\"containerImage\" and \"policy\"");
			goto out;
		}
	}
	ret = 0;
out:
	buf_release(&sub);
	return ret;
}

static int
parse_updaters(const json_t *v, struct fluxcfg *cfg, struct buf *err)
{
	struct buf where = BUF_INIT;
	size_t i, n;
	int ret = -1;

	if (!json_is_array(v))
		return fail(err, "commandUpdated.updaters", "must be a list of "
		    "updaters, not %s", type_name(v));
	n = json_array_size(v);
	cfg->updaters = xcalloc(n ? n : 1, sizeof(*cfg->updaters));
	for (i = 0; i < n; i++) {
		buf_reset(&where);
		buf_addf(&where, "commandUpdated.updaters[%zu]", i);
		/*
		 * Counted first: a half-filled updater is released with the
		 * rest, and parse_command leaves a failed member zeroed.
		 */
		cfg->nupdaters++;
		if (parse_updater(json_array_get(v, i), where.s,
		    &cfg->updaters[i], err) < 0)
			goto out;
	}
	ret = 0;
out:
	buf_release(&where);
	return ret;
}

static int
parse_command_updated(const json_t *v, struct fluxcfg *cfg, struct buf *err)
{
	const char *where = "commandUpdated", *key;
	int have_generators = 0;
	json_t *val;

	if (!json_is_object(v))
		return fail(err, where, "must be an object with "
		    "\"generators\", not %s", type_name(v));
	json_object_foreach((json_t *)v, key, val) {
		if (strcmp(key, "generators") == 0) {
			if (parse_generators(val, where, cfg, err) < 0)
				return -1;
			have_generators = 1;
		} else if (strcmp(key, "updaters") == 0) {
			if (parse_updaters(val, cfg, err) < 0)
				return -1;
		} else if (strcmp(key, "patchFile") == 0) {
			return fail_unknown_key(err, where, key, "patchFile "
			    "belongs to patchUpdated");
		} else {
			return fail_unknown_key(err, where, key,
			    "commandUpdated has only \"generators\" and "
			    "\"updaters\"");
		}
	}
	if (!have_generators)
		return fail(err, where, "\"generators\" is missing "
		    "(generators: [] for none)");
	return 0;
}

static int
parse_patch_updated(const json_t *v, struct fluxcfg *cfg, struct buf *err)
{
	const char *where = "patchUpdated", *key;
	int have_generators = 0;
	json_t *val;

	if (!json_is_object(v))
		return fail(err, where, "must be an object with \"generators\" "
		    "and \"patchFile\", not %s", type_name(v));
	json_object_foreach((json_t *)v, key, val) {
		if (strcmp(key, "generators") == 0) {
			if (parse_generators(val, where, cfg, err) < 0)
				return -1;
			have_generators = 1;
		} else if (strcmp(key, "patchFile") == 0) {
			if (get_string(val, where, "patchFile",
			    &cfg->patch_file, err) < 0)
				return -1;
			/*
			 * The schema lets "" through, but Flux then reads the
			 * target directory as the patch and fails every sync:
			 * say so now.
			 */
			if (*cfg->patch_file == '\0')
				return fail(err, where, "\"patchFile\" must "
				    "not be empty");
		} else if (strcmp(key, "updaters") == 0) {
			return fail_unknown_key(err, where, key, "updaters "
			    "belong to commandUpdated");
		} else {
			return fail_unknown_key(err, where, key, "patchUpdated "
			    "has only \"generators\" and \"patchFile\"");
		}
	}
	if (!have_generators)
		return fail(err, where, "\"generators\" is missing "
		    "(generators: [] for none)");
	if (cfg->patch_file == NULL)
		return fail(err, where, "\"patchFile\" is missing");
	return 0;
}

static int
parse_scan_for_files(const json_t *v, struct buf *err)
{
	const char *where = "scanForFiles", *key;
	json_t *val;

	/*
	 * Flux's schema says only "additionalProperties: false" here, which
	 * lets null through too; Flux then finds no mode set and fails
	 * later. We ask for the {} the documentation shows.
	 */
	if (!json_is_object(v))
		return fail(err, where, "must be an empty object ({}), not %s",
		    type_name(v));
	json_object_foreach((json_t *)v, key, val)
		return fail_unknown_key(err, where, key, "scanForFiles takes "
		    "no settings: write scanForFiles: {}");
	return 0;
}

static int
check_version(const json_t *v, struct buf *err)
{
	char *text;

	if (v == NULL)
		return fail(err, "", "\"version\" is missing (it must be 1)");
	/* JSON Schema's const compares numbers by value: 1.0 is 1 */
	if ((json_is_integer(v) && json_integer_value(v) == 1) ||
	    (json_is_real(v) && json_real_value(v) == 1.0))
		return 0;
	if (json_is_number(v)) {
		text = json_dumps(v, JSON_ENCODE_ANY);
		fail(err, "version", "must be 1, not %s", text ? text : "?");
		free(text);
		return -1;
	}
	return fail(err, "version", "must be the number 1, not %s",
	    type_name(v));
}

int
fluxcfg_parse(const json_t *doc, struct fluxcfg *cfg, struct buf *err)
{
	const json_t *section = NULL;
	const char *key, *first = NULL;
	json_t *val;
	int nkinds = 0;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (doc == NULL || json_is_null(doc))
		return fail(err, "", "the file is empty; it needs \"version: "
		    "1\" and one of commandUpdated, patchUpdated or "
		    "scanForFiles");
	if (!json_is_object(doc))
		return fail(err, "", "must be an object (a YAML mapping), not "
		    "%s", type_name(doc));
	json_object_foreach((json_t *)doc, key, val) {
		enum fluxcfg_kind kind;

		if (strcmp(key, "version") == 0)
			continue;
		if (strcmp(key, "commandUpdated") == 0)
			kind = FLUXCFG_COMMAND_UPDATED;
		else if (strcmp(key, "patchUpdated") == 0)
			kind = FLUXCFG_PATCH_UPDATED;
		else if (strcmp(key, "scanForFiles") == 0)
			kind = FLUXCFG_SCAN_FOR_FILES;
		else
			return fail_unknown_key(err, "", key, "the keys are "
			    "version and one of commandUpdated, patchUpdated "
			    "or scanForFiles");
		if (nkinds++ == 0) {
			first = key;
			cfg->kind = kind;
			section = val;
		} else {
			return fail(err, "", "%s and %s are both given; use "
			    "exactly one of commandUpdated, patchUpdated or "
			    "scanForFiles", first, key);
		}
	}
	if (check_version(json_object_get(doc, "version"), err) < 0)
		return -1;
	if (nkinds == 0)
		return fail(err, "", "one of commandUpdated, patchUpdated or "
		    "scanForFiles is required");
	switch (cfg->kind) {
	case FLUXCFG_COMMAND_UPDATED:
		ret = parse_command_updated(section, cfg, err);
		break;
	case FLUXCFG_PATCH_UPDATED:
		ret = parse_patch_updated(section, cfg, err);
		break;
	default:
		ret = parse_scan_for_files(section, err);
		break;
	}
	if (ret < 0)
		fluxcfg_release(cfg);
	return ret;
}

void
fluxcfg_release(struct fluxcfg *cfg)
{
	size_t i;

	for (i = 0; i < cfg->ngenerators; i++)
		command_release(&cfg->generators[i]);
	free(cfg->generators);
	for (i = 0; i < cfg->nupdaters; i++) {
		command_release(&cfg->updaters[i].container_image);
		command_release(&cfg->updaters[i].policy);
	}
	free(cfg->updaters);
	free(cfg->patch_file);
	memset(cfg, 0, sizeof(*cfg));
}
