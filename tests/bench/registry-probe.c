/*
 * registry-probe: drive lib/registry from the command line, for
 * tests/registry.bats and for measuring it before img-scan exists.
 *
 * usage: registry-probe [options] tags HOST/NAME...
 *        registry-probe [options] manifest HOST/NAME REF [--head]
 *            [--no-resolve]
 *        registry-probe [options] config HOST/NAME REF...
 *        registry-probe [options] blob HOST/NAME DIGEST
 * options: --insecure-host H (repeatable), --ca FILE, --docker-config FILE,
 *     --platform OS/ARCH[/VARIANT], --rps N, --burst N, --timeout SECONDS,
 *     --tries N, --twice (run the batch a second time, same client)
 *
 * Every request of a command runs in one registry_run. stdout: one JSON
 * object per request ({"type":"tags"|"manifest"|"config"|"blob", ...,
 * "error": {"msg", "temporary", "auth"} when it failed}), then one
 * {"type":"stats", ...} line with the client's counters.
 * Exit: 0; 1 some request failed permanently; 64 usage; 75 some request
 * failed temporarily (and none permanently); 78 some request failed for
 * credentials, or the Docker config is bad.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/log.h"
#include "lib/num.h"
#include "lib/registry.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static const char usage_line[] =
    "usage: registry-probe [options] tags|manifest|config|blob "
    "HOST/NAME [REF...]";

static void
usage(void)
{
	fprintf(stderr, "%s\n", usage_line);
	exit(EXIT_USAGE);
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_string(v));
}

static json_t *
result(const char *type, struct registry_req *r)
{
	json_t *o = json_object(), *e;

	set_str(o, "type", type);
	set_str(o, "host", r->host);
	set_str(o, "name", r->name);
	set_str(o, "ref", r->ref);
	if (r->tags != NULL)
		json_object_set(o, "tags", r->tags);
	set_str(o, "digest", r->digest);
	set_str(o, "indexDigest", r->index_digest);
	set_str(o, "mediaType", r->media_type);
	set_str(o, "configDigest", r->config_digest);
	set_str(o, "created", r->created);
	set_str(o, "labelCreated", r->label_created);
	if (r->kind == REGISTRY_BLOB && r->json != NULL)
		json_object_set(o, "blob", r->json);
	if (r->failed) {
		e = json_pack("{s:s, s:b, s:b, s:b, s:i}", "msg", r->err.s,
		    "temporary", r->temporary, "auth", r->auth,
		    "noPlatform", r->no_platform, "status", (int)r->status);
		json_object_set_new(o, "error", e);
	}
	return o;
}

/* HOST/NAME: the host is everything before the first '/'. */
static void
split(const char *arg, char **host, char **name)
{
	const char *s = strchr(arg, '/');

	if (s == NULL || s == arg || s[1] == '\0')
		usage();
	*host = xstrndup(arg, (size_t)(s - arg));
	*name = xstrdup(s + 1);
}

int
main(int argc, char *argv[])
{
	struct registry_opts o;
	struct registry *reg;
	struct registry_req **reqs;
	struct registry_stats st;
	struct buf err = BUF_INIT;
	const char **insecure, **pos;
	const char *cmd;
	char *host = NULL, *name = NULL, *out;
	unsigned flags = 0;
	size_t npos = 0, n = 0, i;
	int twice = 0, code = EXIT_OK, any_perm = 0, any_temp = 0,
	    any_auth = 0, k;
	long v;

	log_init("registry-probe");
	memset(&o, 0, sizeof(o));
	insecure = xcalloc((size_t)argc + 1, sizeof(char *));
	pos = xcalloc((size_t)argc + 1, sizeof(char *));
	for (k = 1; k < argc; k++) {
		const char *a = argv[k];
		int has = k + 1 < argc;

		if (strcmp(a, "--insecure-host") == 0 && has) {
			insecure[n++] = argv[++k];
		} else if (strcmp(a, "--ca") == 0 && has) {
			o.ca_file = argv[++k];
		} else if (strcmp(a, "--docker-config") == 0 && has) {
			o.docker_config = argv[++k];
		} else if (strcmp(a, "--platform") == 0 && has) {
			o.platform = argv[++k];
		} else if (strcmp(a, "--rps") == 0 && has) {
			if (num_parse_long(argv[++k], 1, 100000, &v) < 0)
				usage();
			o.rps = (double)v;
		} else if (strcmp(a, "--burst") == 0 && has) {
			if (num_parse_long(argv[++k], 1, 10000, &v) < 0)
				usage();
			o.burst = (int)v;
		} else if (strcmp(a, "--timeout") == 0 && has) {
			if (num_parse_long(argv[++k], 1, 3600, &v) < 0)
				usage();
			o.timeout = (double)v;
		} else if (strcmp(a, "--tries") == 0 && has) {
			if (num_parse_long(argv[++k], 1, 100, &v) < 0)
				usage();
			o.max_tries = (int)v;
		} else if (strcmp(a, "--head") == 0) {
			flags |= REGISTRY_HEAD;
		} else if (strcmp(a, "--no-resolve") == 0) {
			flags |= REGISTRY_NO_RESOLVE;
		} else if (strcmp(a, "--twice") == 0) {
			twice = 1;
		} else if (a[0] == '-' && a[1] == '-') {
			usage();
		} else {
			pos[npos++] = a;
		}
	}
	o.insecure_hosts = insecure;
	if (npos < 2)
		usage();
	cmd = pos[0];
	reg = registry_open(&o, &err);
	if (reg == NULL)
		die(EXIT_CONFIG, "%s", err.s);
	reqs = xcalloc(npos, sizeof(*reqs));
	n = 0;
	if (strcmp(cmd, "tags") == 0) {
		for (i = 1; i < npos; i++) {
			split(pos[i], &host, &name);
			reqs[n++] = registry_tags_new(host, name);
			free(host);
			free(name);
		}
	} else if (strcmp(cmd, "manifest") == 0 || strcmp(cmd, "config") == 0
	    || strcmp(cmd, "blob") == 0) {
		if (npos < 3)
			usage();
		split(pos[1], &host, &name);
		for (i = 2; i < npos; i++) {
			if (strcmp(cmd, "blob") == 0)
				reqs[n++] = registry_blob_new(host, name,
				    pos[i]);
			else
				reqs[n++] = registry_manifest_new(host, name,
				    pos[i], strcmp(cmd, "config") == 0 ?
				    REGISTRY_CONFIG : flags);
		}
		free(host);
		free(name);
	} else {
		usage();
	}
	registry_run(reg, reqs, n);
	if (twice)
		registry_run(reg, reqs, n);
	for (i = 0; i < n; i++) {
		json_t *j = result(cmd, reqs[i]);

		out = json_dumps(j, JSON_COMPACT);
		printf("%s\n", out);
		free(out);
		json_decref(j);
		if (reqs[i]->failed && reqs[i]->auth)
			any_auth = 1;
		else if (reqs[i]->failed && reqs[i]->temporary)
			any_temp = 1;
		else if (reqs[i]->failed)
			any_perm = 1;
		registry_req_free(reqs[i]);
	}
	registry_stats(reg, &st);
	printf("{\"type\":\"stats\",\"token\":%lu,\"tags\":%lu,"
	    "\"manifestGet\":%lu,\"manifestHead\":%lu,\"blob\":%lu,"
	    "\"retries\":%lu,\"rateLimited\":%lu,\"bytes\":%llu}\n",
	    st.token, st.tags, st.manifest_get, st.manifest_head, st.blob,
	    st.retries, st.rate_limited, st.bytes);
	registry_close(reg);
	free(reqs);
	free(insecure);
	free(pos);
	buf_release(&err);
	if (any_auth)
		code = EXIT_CONFIG;
	else if (any_perm)
		code = EXIT_RECORDS;
	else if (any_temp)
		code = EXIT_TEMPFAIL;
	if (fflush(stdout) != 0)
		code = EXIT_IOERR;
	return code;
}
