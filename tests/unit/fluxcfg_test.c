/* Unit tests of lib/fluxcfg: .flux.yaml validation (reference section 4.1). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/fluxcfg.h"
#include "tests/unit/tap.h"

/*
 * The files as lib/yml would hand them over (YAML in the comment). The
 * first nine are Flux v1's own TestFailsValidation cases.
 */
static const struct {
	const char *name;
	const char *json;	/* NULL: an empty file (no document) */
	const char *msg;
} invalid[] = {
	{ "empty file", NULL,
	  "top level: the file is empty; it needs \"version: 1\" and one of "
	  "commandUpdated, patchUpdated or scanForFiles" },
	{ "empty document (null)", "null",
	  "top level: the file is empty; it needs \"version: 1\" and one of "
	  "commandUpdated, patchUpdated or scanForFiles" },
	/* version: 2 */
	{ "wrong version", "{\"version\":2}",
	  "version: must be 1, not 2" },
	/* version: 1 */
	{ "version only", "{\"version\":1}",
	  "top level: one of commandUpdated, patchUpdated or scanForFiles is "
	  "required" },
	/* commandUpdated: {} */
	{ "no generators", "{\"version\":1,\"commandUpdated\":{}}",
	  "commandUpdated: \"generators\" is missing (generators: [] for "
	  "none)" },
	/* patchUpdated: {generators: []} */
	{ "no patchFile",
	  "{\"version\":1,\"patchUpdated\":{\"generators\":[]}}",
	  "patchUpdated: \"patchFile\" is missing" },
	{ "more than one",
	  "{\"version\":1,\"patchUpdated\":{\"generators\":[],"
	  "\"patchFile\":\"patch.yaml\"},\"commandUpdated\":"
	  "{\"generators\":[]}}",
	  "top level: patchUpdated and commandUpdated are both given; use "
	  "exactly one of commandUpdated, patchUpdated or scanForFiles" },
	/* generators: [not an object] */
	{ "duff generator",
	  "{\"version\":1,\"patchUpdated\":{\"generators\":"
	  "[\"not an object\"]}}",
	  "patchUpdated.generators[0]: must be an object with a \"command\" "
	  "string, not a string" },
	{ "patchFile with commandUpdated",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[],"
	  "\"patchFile\":\"foo.yaml\"}}",
	  "commandUpdated: unknown key 'patchFile' (patchFile belongs to "
	  "patchUpdated)" },
	/* timeout: 5 */
	{ "generator timeout is a number",
	  "{\"version\":1,\"patchUpdated\":{\"generators\":[{\"command\":"
	  "\"some command\",\"timeout\":5}],\"patchFile\":\"foo.yaml\"}}",
	  "patchUpdated.generators[0]: \"timeout\" must be a duration string "
	  "such as \"90s\" or \"2m\", not a number" },

	/* more of our own */
	{ "a list at the top", "[1]",
	  "top level: must be an object (a YAML mapping), not a list" },
	{ "a string at the top", "\"version: 1\"",
	  "top level: must be an object (a YAML mapping), not a string" },
	{ "unknown top-level key",
	  "{\"version\":1,\"scanForFiles\":{},\"extra\":true}",
	  "top level: unknown key 'extra' (the keys are version and one of "
	  "commandUpdated, patchUpdated or scanForFiles)" },
	{ "files, an older name of scanForFiles",
	  "{\"version\":1,\"files\":{}}",
	  "top level: unknown key 'files' (the keys are version and one of "
	  "commandUpdated, patchUpdated or scanForFiles)" },
	{ "an unknown key is quoted safely",
	  "{\"version\":1,\"a\\nb\":1}",
	  "top level: unknown key 'a\\x0ab' (the keys are version and one of "
	  "commandUpdated, patchUpdated or scanForFiles)" },
	{ "version missing", "{\"scanForFiles\":{}}",
	  "top level: \"version\" is missing (it must be 1)" },
	/* version: "1" */
	{ "version is a string", "{\"version\":\"1\",\"scanForFiles\":{}}",
	  "version: must be the number 1, not a string" },
	{ "version is true", "{\"version\":true,\"scanForFiles\":{}}",
	  "version: must be the number 1, not a boolean" },
	{ "version is null", "{\"version\":null,\"scanForFiles\":{}}",
	  "version: must be the number 1, not null" },
	{ "version 1.5", "{\"version\":1.5,\"scanForFiles\":{}}",
	  "version: must be 1, not 1.5" },
	{ "version 0", "{\"version\":0,\"scanForFiles\":{}}",
	  "version: must be 1, not 0" },
	{ "all three kinds",
	  "{\"version\":1,\"scanForFiles\":{},\"commandUpdated\":"
	  "{\"generators\":[]},\"patchUpdated\":{}}",
	  "top level: scanForFiles and commandUpdated are both given; use "
	  "exactly one of commandUpdated, patchUpdated or scanForFiles" },
	/* scanForFiles: {paths: [a]} */
	{ "scanForFiles with a setting",
	  "{\"version\":1,\"scanForFiles\":{\"paths\":[\"a\"]}}",
	  "scanForFiles: unknown key 'paths' (scanForFiles takes no "
	  "settings: write scanForFiles: {})" },
	/* scanForFiles: (nothing) */
	{ "scanForFiles null", "{\"version\":1,\"scanForFiles\":null}",
	  "scanForFiles: must be an empty object ({}), not null" },
	{ "scanForFiles list", "{\"version\":1,\"scanForFiles\":[]}",
	  "scanForFiles: must be an empty object ({}), not a list" },
	{ "scanForFiles true", "{\"version\":1,\"scanForFiles\":true}",
	  "scanForFiles: must be an empty object ({}), not a boolean" },
	{ "commandUpdated is a list",
	  "{\"version\":1,\"commandUpdated\":[]}",
	  "commandUpdated: must be an object with \"generators\", not a list" },
	{ "commandUpdated null", "{\"version\":1,\"commandUpdated\":null}",
	  "commandUpdated: must be an object with \"generators\", not null" },
	{ "patchUpdated is a string",
	  "{\"version\":1,\"patchUpdated\":\"x\"}",
	  "patchUpdated: must be an object with \"generators\" and "
	  "\"patchFile\", not a string" },
	{ "generators null",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":null}}",
	  "commandUpdated.generators: must be a list of commands "
	  "(generators: [] for none), not null" },
	{ "generators an object",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":"
	  "{\"command\":\"x\"}}}",
	  "commandUpdated.generators: must be a list of commands "
	  "(generators: [] for none), not an object" },
	{ "generators missing in patchUpdated",
	  "{\"version\":1,\"patchUpdated\":{\"patchFile\":\"p.yaml\"}}",
	  "patchUpdated: \"generators\" is missing (generators: [] for "
	  "none)" },
	{ "second generator bad",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"command\":"
	  "\"a\"},{\"cmd\":\"b\"}]}}",
	  "commandUpdated.generators[1]: unknown key 'cmd' (a command has "
	  "only \"command\" and \"timeout\")" },
	{ "generator without command",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"timeout\":"
	  "\"1m\"}]}}",
	  "commandUpdated.generators[0]: must be an object with a \"command\" "
	  "string; \"command\" is missing" },
	{ "generator is an empty object",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{}]}}",
	  "commandUpdated.generators[0]: must be an object with a \"command\" "
	  "string; \"command\" is missing" },
	{ "command is a number",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"command\":"
	  "1}]}}",
	  "commandUpdated.generators[0]: \"command\" must be a string, not a "
	  "number" },
	{ "command is a list",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"command\":"
	  "[\"kustomize\",\"build\"]}]}}",
	  "commandUpdated.generators[0]: \"command\" must be a string, not a "
	  "list" },
	{ "command with a NUL",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"command\":"
	  "\"a\\u0000b\"}]}}",
	  "commandUpdated.generators[0]: \"command\" must not contain a NUL "
	  "byte" },
	/* timeout: "5" (YAML: timeout: "5") */
	{ "timeout without a unit",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"command\":"
	  "\"a\",\"timeout\":\"5\"}]}}",
	  "commandUpdated.generators[0]: \"timeout\" '5' is not a duration "
	  "such as \"90s\", \"2m\" or \"1h30m\"" },
	{ "timeout not a duration",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"command\":"
	  "\"a\",\"timeout\":\"two minutes\"}]}}",
	  "commandUpdated.generators[0]: \"timeout\" 'two minutes' is not a "
	  "duration such as \"90s\", \"2m\" or \"1h30m\"" },
	{ "timeout empty",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"command\":"
	  "\"a\",\"timeout\":\"\"}]}}",
	  "commandUpdated.generators[0]: \"timeout\" '' is not a duration "
	  "such as \"90s\", \"2m\" or \"1h30m\"" },
	{ "timeout 1.5 (a float)",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"command\":"
	  "\"a\",\"timeout\":1.5}]}}",
	  "commandUpdated.generators[0]: \"timeout\" must be a duration "
	  "string such as \"90s\" or \"2m\", not a number" },
	{ "timeout null",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"command\":"
	  "\"a\",\"timeout\":null}]}}",
	  "commandUpdated.generators[0]: \"timeout\" must be a duration "
	  "string such as \"90s\" or \"2m\", not null" },
	{ "updaters not a list",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[],"
	  "\"updaters\":{}}}",
	  "commandUpdated.updaters: must be a list of updaters, not an "
	  "object" },
	{ "updaters null",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[],"
	  "\"updaters\":null}}",
	  "commandUpdated.updaters: must be a list of updaters, not null" },
	{ "updater is a string",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[],"
	  "\"updaters\":[\"echo\"]}}",
	  "commandUpdated.updaters[0]: must be an object with "
	  "\"containerImage\" and \"policy\" commands, not a string" },
	{ "updater unknown key",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[],"
	  "\"updaters\":[{\"containerImage\":{\"command\":\"a\"}},"
	  "{\"image\":{\"command\":\"b\"}}]}}",
	  "commandUpdated.updaters[1]: unknown key 'image' (an updater has "
	  "only \"containerImage\" and \"policy\")" },
	{ "updater command is a string",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[],"
	  "\"updaters\":[{\"containerImage\":{\"command\":\"a\"},"
	  "\"policy\":\"b\"}]}}",
	  "commandUpdated.updaters[0].policy: must be an object with a "
	  "\"command\" string, not a string" },
	{ "updater timeout bad",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[],"
	  "\"updaters\":[{\"containerImage\":{\"command\":\"a\","
	  "\"timeout\":\"10\"}}]}}",
	  "commandUpdated.updaters[0].containerImage: \"timeout\" '10' is not "
	  "a duration such as \"90s\", \"2m\" or \"1h30m\"" },
	{ "updater command extra key",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[],"
	  "\"updaters\":[{\"policy\":{\"command\":\"a\",\"env\":{}}}]}}",
	  "commandUpdated.updaters[0].policy: unknown key 'env' (a command "
	  "has only \"command\" and \"timeout\")" },
	{ "updaters under patchUpdated",
	  "{\"version\":1,\"patchUpdated\":{\"generators\":[],"
	  "\"patchFile\":\"p.yaml\",\"updaters\":[]}}",
	  "patchUpdated: unknown key 'updaters' (updaters belong to "
	  "commandUpdated)" },
	{ "unknown key in patchUpdated",
	  "{\"version\":1,\"patchUpdated\":{\"generators\":[],"
	  "\"patchFile\":\"p.yaml\",\"patch\":\"q\"}}",
	  "patchUpdated: unknown key 'patch' (patchUpdated has only "
	  "\"generators\" and \"patchFile\")" },
	{ "unknown key in commandUpdated",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[],"
	  "\"generator\":[]}}",
	  "commandUpdated: unknown key 'generator' (commandUpdated has only "
	  "\"generators\" and \"updaters\")" },
	{ "patchFile a number",
	  "{\"version\":1,\"patchUpdated\":{\"generators\":[],"
	  "\"patchFile\":3}}",
	  "patchUpdated: \"patchFile\" must be a string, not a number" },
	{ "patchFile null",
	  "{\"version\":1,\"patchUpdated\":{\"generators\":[],"
	  "\"patchFile\":null}}",
	  "patchUpdated: \"patchFile\" must be a string, not null" },
	{ "patchFile empty",
	  "{\"version\":1,\"patchUpdated\":{\"generators\":[],"
	  "\"patchFile\":\"\"}}",
	  "patchUpdated: \"patchFile\" must not be empty" },
	{ "bad generator after good ones (no leak)",
	  "{\"version\":1,\"patchUpdated\":{\"patchFile\":\"p\",\"generators\":"
	  "[{\"command\":\"a\",\"timeout\":\"1s\"},{\"command\":\"b\"},"
	  "{\"command\":\"c\",\"timeout\":\"1x\"}]}}",
	  "patchUpdated.generators[2]: \"timeout\" '1x' is not a duration "
	  "such as \"90s\", \"2m\" or \"1h30m\"" },
	{ "bad updater after good ones (no leak)",
	  "{\"version\":1,\"commandUpdated\":{\"generators\":[{\"command\":"
	  "\"g\"}],\"updaters\":[{\"containerImage\":{\"command\":\"a\"},"
	  "\"policy\":{\"command\":\"b\"}},{\"containerImage\":{\"command\":"
	  "\"c\"},\"policy\":{\"command\":1}}]}}",
	  "commandUpdated.updaters[1].policy: \"command\" must be a string, "
	  "not a number" },
};

static json_t *
load(const char *text)
{
	json_error_t jerr;
	json_t *doc;

	if (text == NULL)
		return NULL;
	doc = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (doc == NULL)
		printf("# bad test JSON: %s: %s\n", jerr.text, text);
	return doc;
}

static void
test_invalid(void)
{
	struct fluxcfg cfg;
	struct buf err = BUF_INIT;
	json_t *doc;
	size_t i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		doc = load(invalid[i].json);
		if (invalid[i].json != NULL && doc == NULL) {
			ok(0, "invalid: %s: test JSON loads", invalid[i].name);
			continue;
		}
		buf_reset(&err);
		is_int(fluxcfg_parse(doc, &cfg, &err), -1, "invalid: %s",
		    invalid[i].name);
		is_str(err.s, invalid[i].msg, "invalid: %s: message",
		    invalid[i].name);
		ok(cfg.generators == NULL && cfg.ngenerators == 0 &&
		    cfg.updaters == NULL && cfg.nupdaters == 0 &&
		    cfg.patch_file == NULL,
		    "invalid: %s: nothing left in cfg", invalid[i].name);
		fluxcfg_release(&cfg);
		json_decref(doc);
	}
	buf_release(&err);
}

static int
parse_ok(const char *text, struct fluxcfg *cfg, const char *name)
{
	struct buf err = BUF_INIT;
	json_t *doc;
	int ret;

	doc = load(text);
	ret = fluxcfg_parse(doc, cfg, &err);
	if (!ok(ret == 0, "valid: %s", name))
		printf("#   error: %s\n", err.s);
	json_decref(doc);
	buf_release(&err);
	return ret;
}

static void
test_minimal(void)
{
	struct fluxcfg cfg;

	/* Flux v1's TestPassesValidation */
	if (parse_ok("{\"version\":1,\"commandUpdated\":{\"generators\":[]}}",
	    &cfg, "minimal commandUpdated") == 0) {
		is_int(cfg.kind, FLUXCFG_COMMAND_UPDATED,
		    "kind commandUpdated");
		ok(cfg.ngenerators == 0 && cfg.nupdaters == 0 &&
		    cfg.patch_file == NULL, "no generators, no updaters");
	}
	fluxcfg_release(&cfg);
	if (parse_ok("{\"version\":1,\"patchUpdated\":{\"generators\":[],"
	    "\"patchFile\":\"foo.yaml\"}}", &cfg,
	    "minimal patchUpdated") == 0) {
		is_int(cfg.kind, FLUXCFG_PATCH_UPDATED, "kind patchUpdated");
		is_str(cfg.patch_file, "foo.yaml", "patchFile kept");
		is_int(cfg.ngenerators, 0, "no generators");
	}
	fluxcfg_release(&cfg);
	if (parse_ok("{\"version\":1,\"scanForFiles\":{}}", &cfg,
	    "minimal scanForFiles") == 0)
		is_int(cfg.kind, FLUXCFG_SCAN_FOR_FILES, "kind scanForFiles");
	fluxcfg_release(&cfg);

	/* version: 1.0 -- const: 1 compares numbers by value */
	if (parse_ok("{\"version\":1.0,\"scanForFiles\":{}}", &cfg,
	    "version 1.0 is 1") == 0)
		is_int(cfg.kind, FLUXCFG_SCAN_FOR_FILES, "kind scanForFiles");
	fluxcfg_release(&cfg);
	/* key order does not matter */
	parse_ok("{\"scanForFiles\":{},\"version\":1}", &cfg,
	    "version after the kind");
	fluxcfg_release(&cfg);

	is_str(fluxcfg_kind_name(FLUXCFG_PATCH_UPDATED), "patchUpdated",
	    "kind name");
}

static void
test_patch_updated(void)
{
	struct fluxcfg cfg;

	/* Flux v1's patchUpdatedConfigFile */
	if (parse_ok("{\"version\":1,\"patchUpdated\":{\"generators\":["
	    "{\"command\":\"sleep 1\"},"
	    "{\"command\":\"sleep 1\",\"timeout\":\"2s\"},"
	    "{\"command\":\"sleep 2\",\"timeout\":\"1s\"}],"
	    "\"patchFile\":\"baz.yaml\"}}", &cfg, "patchUpdated, timeouts") < 0)
		return;
	is_int(cfg.ngenerators, 3, "three generators");
	is_str(cfg.generators[0].command, "sleep 1", "generator 0 command");
	ok(cfg.generators[0].timeout == 0, "generator 0 has no timeout");
	ok(cfg.generators[1].timeout == 2, "generator 1 timeout 2s");
	is_str(cfg.generators[2].command, "sleep 2", "generator 2 command");
	ok(cfg.generators[2].timeout == 1, "generator 2 timeout 1s");
	ok(fluxcfg_timeout(&cfg.generators[0], 60) == 60,
	    "no timeout: the default");
	ok(fluxcfg_timeout(&cfg.generators[2], 60) == 1,
	    "1s is used as it is");
	is_str(cfg.patch_file, "baz.yaml", "patchFile");
	ok(cfg.updaters == NULL && cfg.nupdaters == 0, "no updaters");
	fluxcfg_release(&cfg);
	ok(cfg.generators == NULL && cfg.ngenerators == 0 &&
	    cfg.patch_file == NULL, "release zeroes");
	fluxcfg_release(&cfg);
	ok(1, "releasing twice is harmless");
}

static void
test_command_updated(void)
{
	struct fluxcfg cfg;

	/* Flux v1's echoCmdUpdatedConfigFile, plus timeouts */
	if (parse_ok("{\"version\":1,\"commandUpdated\":{"
	    "\"generators\":[{\"command\":\"echo g1\"},"
	    "{\"command\":\"echo g2\",\"timeout\":\"1h30m\"}],"
	    "\"updaters\":["
	    "{\"containerImage\":{\"command\":\"echo uci1 $FLUX_IMG\"},"
	    "\"policy\":{\"command\":\"echo ua1\",\"timeout\":\"500ms\"}},"
	    "{\"policy\":{\"command\":\"echo ua2\"}},"
	    "{}]}}", &cfg, "commandUpdated with updaters") < 0)
		return;
	is_int(cfg.kind, FLUXCFG_COMMAND_UPDATED, "kind");
	is_int(cfg.ngenerators, 2, "two generators");
	is_str(cfg.generators[1].command, "echo g2", "generator 1");
	ok(cfg.generators[1].timeout == 5400, "1h30m is 5400s");
	is_int(cfg.nupdaters, 3, "three updaters");
	ok(cfg.updaters[0].has_container_image && cfg.updaters[0].has_policy,
	    "updater 0 has both");
	is_str(cfg.updaters[0].container_image.command, "echo uci1 $FLUX_IMG",
	    "updater 0 containerImage");
	is_str(cfg.updaters[0].policy.command, "echo ua1", "updater 0 policy");
	ok(cfg.updaters[0].policy.timeout == 0.5, "500ms");
	ok(fluxcfg_timeout(&cfg.updaters[0].policy, 30) == 30,
	    "under 1s: the default, as Flux does");
	ok(!cfg.updaters[1].has_container_image && cfg.updaters[1].has_policy,
	    "updater 1 has only a policy command");
	ok(cfg.updaters[1].container_image.command == NULL,
	    "an absent command is NULL");
	ok(!cfg.updaters[2].has_container_image && !cfg.updaters[2].has_policy,
	    "an empty updater is allowed (the schema requires nothing)");
	ok(cfg.patch_file == NULL, "no patchFile");
	fluxcfg_release(&cfg);

	if (parse_ok("{\"version\":1,\"commandUpdated\":{\"generators\":["
	    "{\"command\":\"\",\"timeout\":\"0\"},"
	    "{\"command\":\"x\",\"timeout\":\"-5s\"}],\"updaters\":[]}}",
	    &cfg, "empty command, zero and negative timeouts") == 0) {
		is_str(cfg.generators[0].command, "", "empty command kept");
		ok(fluxcfg_timeout(&cfg.generators[0], 7) == 7, "0: default");
		ok(fluxcfg_timeout(&cfg.generators[1], 7) == 7, "-5s: default");
		is_int(cfg.nupdaters, 0, "updaters: [] is none");
	}
	fluxcfg_release(&cfg);
}

int
main(void)
{
	test_invalid();
	test_minimal();
	test_patch_updated();
	test_command_updated();
	return tap_done();
}
