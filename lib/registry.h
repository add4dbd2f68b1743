/*
 * registry.h: a client of the Docker Registry HTTP API v2 (the OCI
 * distribution API), as img-scan needs it: list the tags of many
 * repositories, then fetch the manifests it needs, then their config blobs,
 * each step as one batch run over libcurl's multi interface
 * (flux-v1-reference.md sections 6.3 and 6.4).
 *
 *	struct registry *reg = registry_open(&opts, &err);
 *	struct registry_req *r[2];
 *	r[0] = registry_tags_new("ghcr.io", "team/app");
 *	r[1] = registry_manifest_new("ghcr.io", "team/app", "1.0",
 *	    REGISTRY_CONFIG);
 *	registry_run(reg, r, 2);
 *	if (!r[0]->failed) ... r[0]->tags ...
 *	if (!r[1]->failed) ... r[1]->digest, r[1]->created ...
 *	registry_req_free(r[0]); ...
 *	registry_close(reg);
 *
 * Requests to one host run concurrently up to the burst and pass a token
 * bucket (rps, burst) of that host; hosts run in parallel. A 429 pauses the
 * host for Retry-After (or a back-off), halves its rate (down to
 * REGISTRY_MIN_RPS) and is retried; the other hosts go on. 5xx answers,
 * timeouts and dropped connections back off and are retried up to
 * max_tries. Every request ends with failed == 0, or failed == 1 and err
 * saying why, temporary saying whether trying again later may help, and
 * auth saying whether credentials were missing or refused (a config
 * problem: exit 78).
 *
 * Auth: anonymous first. A 401 with "Basic" retries once with the host's
 * credentials; one with "Bearer realm=...,service=...,scope=..." fetches a
 * token from the realm (with the host's credentials if there are any,
 * anonymously otherwise), caches it per (host, scope) until it expires,
 * and retries the request once with it. Later requests to the host send
 * the cached token (or the basic credentials) at once. Credentials come
 * from a Docker config.json: auths, credHelpers and credsStore (the last
 * two through "docker-credential-NAME get", run by lib/genrun). They are
 * loaded the first time a host asks for them, and never logged nor put in
 * err.
 *
 * TLS is verified (against ca_file too, when given). A host in
 * insecure_hosts is tried over HTTPS without verification, and over plain
 * HTTP when it does not speak TLS.
 *
 * NEEDSWORK: a halved rate never recovers within one client (Flux v1
 * multiplies it by 1.5 after a clean repository warm, 6.4): the caller
 * that knows what "clean" means should ask for it. Token fetches pass
 * neither the bucket nor the retries: one try, its failure is each
 * waiting request's failure.
 *
 * The registry logs nothing itself except a failing credential helper
 * (log_warn); failures of requests are reported in the request only, so
 * the caller says once which record failed.
 */
#ifndef SLUICE_REGISTRY_H
#define SLUICE_REGISTRY_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"

#define REGISTRY_MIN_RPS 0.1

/*
 * The four manifest types sent in every manifest Accept header: without
 * the OCI ones docker-registry answers 404 for OCI images, without the
 * Docker ones it converts v2s2 to schema 1 (test-servers.md 1.6).
 */
#define REGISTRY_ACCEPT \
	"application/vnd.oci.image.index.v1+json, " \
	"application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.docker.distribution.manifest.v2+json"

struct registry_opts {
	double rps;		/* per host; 0: 200 */
	int burst;		/* per host: bucket and concurrency; 0: 125 */
	double timeout;		/* seconds per HTTP exchange; 0: 60 */
	int max_tries;		/* per exchange (429, 5xx...); 0: 4 */
	const char *ca_file;	/* PEM file trusted besides the system's */
	const char *const *insecure_hosts; /* "host[:port]", NULL-ended */
	const char *docker_config;	/* config.json path; NULL: none */
	const char *platform;	/* os/arch[/variant]; NULL: linux/amd64 */
	double helper_timeout;	/* credential helper seconds; 0: 10 */
};

enum registry_kind { REGISTRY_TAGS, REGISTRY_MANIFEST, REGISTRY_BLOB };

enum registry_flags {
	REGISTRY_HEAD = 1 << 0,	/* manifest: HEAD, the digest only */
	REGISTRY_NO_RESOLVE = 1 << 1,	/* manifest: keep an index as is */
	REGISTRY_CONFIG = 1 << 2,	/* manifest: then its config blob */
};

struct registry_req {
	/* in (set by the constructors; owned by the request) */
	enum registry_kind kind;
	unsigned flags;
	char *host;		/* "host[:port]" as in the image name */
	char *name;		/* repository: "team/app" */
	char *ref;		/* manifest: tag or digest; blob: digest */
	void *data;		/* the caller's */
	/* out, all owned by the request; NULL when not known */
	int failed;		/* 0: the fields below that apply are set */
	int temporary;		/* failed, and trying later may help */
	int auth;		/* failed for want of (valid) credentials */
	int no_platform;	/* failed: the index has no such platform */
	long status;		/* of the last answer; 0: none */
	struct buf err;		/* why it failed; never holds secrets */
	json_t *tags;		/* tags: every page's tags, an array */
	char *digest;		/* manifest: the (platform's) digest */
	char *index_digest;	/* manifest: the index resolved, if any */
	char *media_type;	/* manifest: of the manifest in "manifest" */
	json_t *manifest;	/* manifest GET: the manifest document */
	char *config_digest;	/* REGISTRY_CONFIG: the config blob's */
	json_t *json;		/* blob, REGISTRY_CONFIG: the blob */
	char *created;		/* REGISTRY_CONFIG: config "created" */
	char *label_created;	/* REGISTRY_CONFIG: from labels */
	/* the run's own */
	struct registry_req_run *run;
};

/*
 * Open a client. opts and everything in it are copied. NULL with the
 * reason in err if libcurl cannot be set up or the Docker config cannot be
 * read or parsed (nothing logged).
 */
struct registry *registry_open(const struct registry_opts *opts,
    struct buf *err);
void registry_close(struct registry *reg);

/*
 * New requests (free with registry_req_free). Arguments are copied. A tags
 * request lists every page; a manifest request GETs (or HEADs) ref and,
 * unless REGISTRY_NO_RESOLVE, follows an index or manifest list to the
 * entry for the platform; with REGISTRY_CONFIG it then fetches the config
 * blob and sets created and label_created. A blob request GETs a JSON
 * blob (following redirects) into json. Manifests fetched by digest and
 * blobs are checked against their digest.
 */
struct registry_req *registry_tags_new(const char *host, const char *name);
struct registry_req *registry_manifest_new(const char *host,
    const char *name, const char *ref, unsigned flags);
struct registry_req *registry_blob_new(const char *host, const char *name,
    const char *digest);
void registry_req_free(struct registry_req *r);

/*
 * Run every request to its end (results as above), concurrently across
 * hosts. Results of an earlier run are cleared first, so a request may be
 * run again. Tokens and credentials stay cached in reg between runs.
 */
void registry_run(struct registry *reg, struct registry_req **reqs,
    size_t n);

/* Counters since registry_open, for the benchmark and end records. */
struct registry_stats {
	unsigned long token, tags, manifest_get, manifest_head, blob;
	unsigned long retries, rate_limited;
	unsigned long long bytes;	/* received, headers and bodies */
};
void registry_stats(const struct registry *reg, struct registry_stats *out);

/* The pure parts, exposed for the unit tests. */

/*
 * A WWW-Authenticate challenge: the first one in hdr. The scheme is
 * lower-cased; quoted values may hold commas and \-escapes. Fields not in
 * hdr are NULL. 0, or -1 if hdr has no scheme. Release with
 * registry_challenge_release either way.
 */
struct registry_challenge {
	char *scheme, *realm, *service, *scope, *error;
};
int registry_parse_challenge(const char *hdr, struct registry_challenge *c);
void registry_challenge_release(struct registry_challenge *c);

/*
 * The target of the rel="next" link in a Link header value, resolved
 * against base ("https://host:port"): an absolute http(s) URL on the same
 * scheme and host, or a path from "/". Appended to out. 1: found; 0: no
 * next link; -1: a next link elsewhere (another host) or unusable.
 */
int registry_link_next(const char *hdr, const char *base, struct buf *out);

/*
 * Credentials for host from a Docker config.json document: credHelpers
 * first, then auths (auth, or username and password), then credsStore.
 * Sets *user and *pass (new strings) for auths entries, or *helper (a new
 * string, NAME of docker-credential-NAME) for helpers. 0: found; 1:
 * nothing for host; -1: the entry is malformed, with err (no secrets).
 */
int registry_config_creds(const json_t *config, const char *host,
    char **user, char **pass, char **helper, struct buf *err);

/*
 * The index in index's "manifests" of the first entry for platform
 * ("os/arch" or "os/arch/variant"; without a variant any variant
 * matches), or -1.
 */
int registry_pick_platform(const json_t *index, const char *platform);

/* A token bucket: rate per second, up to burst tokens, full at start. */
struct registry_bucket {
	double rate, burst, tokens, last;
};
void registry_bucket_init(struct registry_bucket *b, double rate,
    double burst, double now);
/* Take a token: 0 if one was there, else the seconds until one is. */
double registry_bucket_take(struct registry_bucket *b, double now);
/* Halve the rate, not below floor. */
void registry_bucket_slow(struct registry_bucket *b, double floor);

/*
 * Seconds a token stays valid: expires_in (<= 0: 60), counted from
 * issued_at (RFC 3339, or NULL) if that is given and parses, else from
 * wall_now (seconds since the epoch). Never below 0.
 */
double registry_token_lifetime(double expires_in, const char *issued_at,
    double wall_now);

#endif
