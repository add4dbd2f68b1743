#include "lib/registry.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "lib/digest.h"
#include "lib/genrun.h"
#include "lib/log.h"
#include "lib/mtime.h"
#include "lib/num.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MAX_WAIT 30.0		/* longest back-off or Retry-After */
#define MAX_BODY (32u << 20)	/* no manifest or tag page is larger */
#define TAGS_PAGE 1000
#define TOKEN_MARGIN 5.0		/* renew this long before expiry */

enum auth_kind { AUTH_UNKNOWN, AUTH_BASIC, AUTH_BEARER };
enum tok_state { TOK_EMPTY, TOK_FETCHING, TOK_READY, TOK_FAILED };
enum stage { STAGE_TAGS, STAGE_MANIFEST, STAGE_BLOB, STAGE_DONE };

struct host;

/* One HTTP exchange in flight: for a request, or a token fetch. */
struct xfer {
	CURL *easy;
	struct curl_slist *headers;
	struct buf body;
	int too_big;
	struct registry_req *req;	/* or */
	struct token *tok;
};

struct token {
	struct token *next;
	struct host *h;
	char *scope;
	char *value;			/* secret */
	double expires;			/* mtime_now() scale */
	enum tok_state state;
	struct xfer x;
	struct buf err;
	int temporary, auth;
};

struct host {
	struct host *next;
	char *name;			/* as the requests name it */
	char *base;			/* scheme://api-host[:port] */
	int insecure, plain;
	int scheme_known;		/* insecure: we know which one works */
	int probed;			/* an exchange with it has ended */
	int creds_loaded, has_creds;
	char *user, *pass;		/* secret */
	enum auth_kind auth;
	char *realm, *service;
	struct registry_bucket bucket;
	double paused_until;
	int inflight;
};

struct registry_req_run {
	enum stage stage;
	struct host *h;
	char *url;			/* what the next exchange fetches */
	char *cur_ref;			/* the manifest or blob it is */
	char *scope;
	int head;
	int tries, auth_tries, sent_basic;
	struct token *tok_used, *waiting;
	double not_before;
	int inflight, done;
	struct xfer x;
};

struct registry {
	CURLM *multi;
	struct registry_opts o;
	char *ca_file, *platform, **insecure;
	json_t *config;
	struct host *hosts;
	struct token *tokens;
	struct registry_stats stats;
};

/* ---- pure parts ---- */

static int
is_tchar(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

int
registry_parse_challenge(const char *hdr, struct registry_challenge *c)
{
	const char *p = hdr, *k;
	struct buf key = BUF_INIT, val = BUF_INIT;
	size_t i;
	char **slot;

	memset(c, 0, sizeof(*c));
	while (*p == ' ' || *p == '\t')
		p++;
	k = p;
	while (is_tchar((unsigned char)*p))
		p++;
	if (p == k)
		return -1;
	c->scheme = xstrndup(k, (size_t)(p - k));
	for (i = 0; c->scheme[i]; i++)
		c->scheme[i] = (char)tolower((unsigned char)c->scheme[i]);
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		k = p;
		while (is_tchar((unsigned char)*p))
			p++;
		buf_reset(&key);
		buf_add(&key, k, (size_t)(p - k));
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=' || key.len == 0)
			break;	/* a token68, or the next challenge */
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		buf_reset(&val);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				buf_addch(&val, *p);
			}
			if (*p == '"')
				p++;
		} else {
			k = p;
			while (*p && *p != ',' && *p != ' ' && *p != '\t')
				p++;
			buf_add(&val, k, (size_t)(p - k));
		}
		slot = NULL;
		if (strcasecmp(key.s, "realm") == 0)
			slot = &c->realm;
		else if (strcasecmp(key.s, "service") == 0)
			slot = &c->service;
		else if (strcasecmp(key.s, "scope") == 0)
			slot = &c->scope;
		else if (strcasecmp(key.s, "error") == 0)
			slot = &c->error;
		if (slot != NULL && *slot == NULL)
			*slot = xstrdup(val.s);
	}
	buf_release(&key);
	buf_release(&val);
	return 0;
}

void
registry_challenge_release(struct registry_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

/* Does the link-param list at p (up to end) say rel="next"? */
static int
link_is_next(const char *p, const char *end)
{
	struct buf params = BUF_INIT;
	const char *q, *v;
	int next = 0;

	buf_add(&params, p, (size_t)(end - p));
	for (q = params.s; (q = strstr(q, "rel")) != NULL; q += 3) {
		if (q > params.s && is_tchar((unsigned char)q[-1]))
			continue;
		v = q + 3;
		while (*v == ' ')
			v++;
		if (*v++ != '=')
			continue;
		while (*v == ' ')
			v++;
		if (*v == '"')
			v++;
		/* rel may list several types: "next last" */
		while (*v && *v != '"' && *v != ',' && *v != ';') {
			if (strncasecmp(v, "next", 4) == 0 && (v[4] == '"' ||
			    v[4] == ' ' || v[4] == ',' || v[4] == ';' ||
			    v[4] == '\0'))
				next = 1;
			while (*v && *v != ' ' && *v != '"' && *v != ',' &&
			    *v != ';')
				v++;
			while (*v == ' ')
				v++;
		}
	}
	buf_release(&params);
	return next;
}

/* The origin of url ("scheme://authority"), or 0 if not http(s). */
static size_t
origin_len(const char *url)
{
	const char *p;

	if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return 0;
	while (*p && *p != '/' && *p != '?' && *p != '#')
		p++;
	return (size_t)(p - url);
}

int
registry_link_next(const char *hdr, const char *base, struct buf *out)
{
	const char *p = hdr, *lt, *gt, *end;
	size_t n;

	while (p != NULL && *p != '\0') {
		lt = strchr(p, '<');
		if (lt == NULL)
			return 0;
		gt = strchr(lt, '>');
		if (gt == NULL)
			return -1;
		/* the params run to the next link: a ',' followed by '<' */
		end = gt + 1;
		while (*end && !(*end == ',' && strchr(end, '<') != NULL &&
		    end[strspn(end + 1, " \t") + 1] == '<'))
			end++;
		if (link_is_next(gt + 1, end)) {
			n = origin_len(lt + 1);
			if (n > 0) {
				if (n != strlen(base) ||
				    strncasecmp(lt + 1, base, n) != 0)
					return -1;
				buf_add(out, lt + 1, (size_t)(gt - lt - 1));
			} else if (lt[1] == '/' && lt[2] != '/') {
				buf_adds(out, base);
				buf_add(out, lt + 1, (size_t)(gt - lt - 1));
			} else {
				return -1;
			}
			return 1;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* host without a scheme or path: "https://index.docker.io/v1/" -> ... */
static void
config_key_host(const char *key, struct buf *out)
{
	const char *p = key, *e;

	if (strncmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncmp(p, "http://", 7) == 0)
		p += 7;
	e = strchr(p, '/');
	buf_add(out, p, e ? (size_t)(e - p) : strlen(p));
}

static int
is_docker_hub(const char *host)
{
	return strcmp(host, "docker.io") == 0 ||
	    strcmp(host, "index.docker.io") == 0 ||
	    strcmp(host, "registry-1.docker.io") == 0;
}

/* The entry of obj (auths, credHelpers) whose key names host. */
static json_t *
config_lookup(const json_t *obj, const char *host)
{
	struct buf k = BUF_INIT;
	const char *key;
	json_t *v, *found = NULL;

	json_object_foreach((json_t *)obj, key, v) {
		buf_reset(&k);
		config_key_host(key, &k);
		if (strcasecmp(k.s, host) == 0 ||
		    (is_docker_hub(host) && is_docker_hub(k.s))) {
			found = v;
			break;
		}
	}
	buf_release(&k);
	return found;
}

int
registry_config_creds(const json_t *config, const char *host, char **user,
    char **pass, char **helper, struct buf *err)
{
	json_t *e;
	const char *s, *u, *pw, *colon;
	struct buf dec = BUF_INIT;

	*user = *pass = *helper = NULL;
	e = config_lookup(json_object_get(config, "credHelpers"), host);
	if (e != NULL) {
		if (!json_is_string(e) || *json_string_value(e) == '\0') {
			buf_addf(err, "credHelpers entry for '%s' is not a "
			    "helper name", host);
			return -1;
		}
		*helper = xstrdup(json_string_value(e));
		return 0;
	}
	e = config_lookup(json_object_get(config, "auths"), host);
	s = json_string_value(json_object_get(e, "auth"));
	u = json_string_value(json_object_get(e, "username"));
	pw = json_string_value(json_object_get(e, "password"));
	if (s != NULL && *s != '\0') {
		if (digest_base64_decode(s, strlen(s), 0, &dec) < 0 ||
		    memchr(dec.s, '\0', dec.len) != NULL ||
		    (colon = strchr(dec.s, ':')) == NULL) {
			buf_addf(err, "auths entry for '%s': \"auth\" is not "
			    "base64 of user:password", host);
			buf_release(&dec);
			return -1;
		}
		*user = xstrndup(dec.s, (size_t)(colon - dec.s));
		*pass = xstrdup(colon + 1);
		/* the decoded secret: wipe before the buffer goes */
		memset(dec.s, 0, dec.len);
		buf_release(&dec);
		return 0;
	}
	if (u != NULL && *u != '\0') {
		*user = xstrdup(u);
		*pass = xstrdup(pw ? pw : "");
		return 0;
	}
	s = json_string_value(json_object_get(config, "credsStore"));
	if (s != NULL && *s != '\0') {
		*helper = xstrdup(s);
		return 0;
	}
	return 1;
}

int
registry_pick_platform(const json_t *index, const char *platform)
{
	char os[64], arch[64], variant[64];
	const char *p = platform, *s;
	json_t *m, *pl;
	size_t i;

	os[0] = arch[0] = variant[0] = '\0';
	s = strchr(p, '/');
	if (s == NULL || (size_t)(s - p) >= sizeof(os))
		return -1;
	snprintf(os, sizeof(os), "%.*s", (int)(s - p), p);
	p = s + 1;
	s = strchr(p, '/');
	if ((size_t)(s ? s - p : (long)strlen(p)) >= sizeof(arch))
		return -1;
	snprintf(arch, sizeof(arch), "%.*s", (int)(s ? s - p :
	    (long)strlen(p)), p);
	if (s != NULL && snprintf(variant, sizeof(variant), "%s", s + 1) >=
	    (int)sizeof(variant))
		return -1;
	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		pl = json_object_get(m, "platform");
		s = json_string_value(json_object_get(pl, "os"));
		if (s == NULL || strcmp(s, os) != 0)
			continue;
		s = json_string_value(json_object_get(pl, "architecture"));
		if (s == NULL || strcmp(s, arch) != 0)
			continue;
		s = json_string_value(json_object_get(pl, "variant"));
		if (variant[0] != '\0' && (s == NULL || strcmp(s, variant)))
			continue;
		if (json_string_value(json_object_get(m, "digest")) == NULL)
			continue;
		return (int)i;
	}
	return -1;
}

void
registry_bucket_init(struct registry_bucket *b, double rate, double burst,
    double now)
{
	b->rate = rate;
	b->burst = burst >= 1 ? burst : 1;
	b->tokens = b->burst;
	b->last = now;
}

double
registry_bucket_take(struct registry_bucket *b, double now)
{
	if (now > b->last) {
		b->tokens += (now - b->last) * b->rate;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last = now;
	}
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 0;
	}
	return (1 - b->tokens) / b->rate;
}

void
registry_bucket_slow(struct registry_bucket *b, double floor)
{
	b->rate /= 2;
	if (b->rate < floor)
		b->rate = floor;
}

double
registry_token_lifetime(double expires_in, const char *issued_at,
    double wall_now)
{
	long long issued;
	double left;

	if (expires_in <= 0)
		expires_in = 60;
	left = expires_in;
	if (issued_at != NULL && num_parse_rfc3339(issued_at, &issued) == 0 &&
	    (double)issued <= wall_now + 60)	/* a little clock skew is fine */
		left = (double)issued + expires_in - wall_now;
	if (left > expires_in)
		left = expires_in;
	return left > 0 ? left : 0;
}

/* ---- the client ---- */

struct registry *
registry_open(const struct registry_opts *opts, struct buf *err)
{
	struct registry *reg;
	json_error_t je;
	size_t n = 0, i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		buf_adds(err, "cannot initialise libcurl");
		return NULL;
	}
	reg = xcalloc(1, sizeof(*reg));
	reg->o = *opts;
	if (reg->o.rps <= 0)
		reg->o.rps = 200;
	if (reg->o.burst <= 0)
		reg->o.burst = 125;
	if (reg->o.timeout <= 0)
		reg->o.timeout = 60;
	if (reg->o.max_tries <= 0)
		reg->o.max_tries = 4;
	if (reg->o.helper_timeout <= 0)
		reg->o.helper_timeout = 10;
	reg->ca_file = opts->ca_file ? xstrdup(opts->ca_file) : NULL;
	reg->platform = xstrdup(opts->platform ? opts->platform :
	    "linux/amd64");
	while (opts->insecure_hosts != NULL && opts->insecure_hosts[n] != NULL)
		n++;
	reg->insecure = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		reg->insecure[i] = xstrdup(opts->insecure_hosts[i]);
	reg->o.ca_file = NULL;
	reg->o.platform = NULL;
	reg->o.insecure_hosts = NULL;
	reg->o.docker_config = NULL;
	if (opts->docker_config != NULL) {
		reg->config = json_load_file(opts->docker_config, 0, &je);
		if (reg->config == NULL || !json_is_object(reg->config)) {
			buf_addf(err, "cannot read Docker config '%s': %s",
			    opts->docker_config, reg->config ? "not an object"
			    : je.text);
			registry_close(reg);
			return NULL;
		}
	}
	reg->multi = curl_multi_init();
	if (reg->multi == NULL) {
		buf_adds(err, "cannot initialise libcurl");
		registry_close(reg);
		return NULL;
	}
	curl_multi_setopt(reg->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(reg->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)reg->o.burst);
	return reg;
}

static void
xfer_release(struct registry *reg, struct xfer *x)
{
	if (x->easy != NULL) {
		curl_multi_remove_handle(reg->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->headers);
	x->easy = NULL;
	x->headers = NULL;
	buf_release(&x->body);
}

/* free() a secret after overwriting it */
static void
free_secret(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

void
registry_close(struct registry *reg)
{
	struct host *h;
	struct token *t;
	size_t i;

	if (reg == NULL)
		return;
	while ((t = reg->tokens) != NULL) {
		reg->tokens = t->next;
		xfer_release(reg, &t->x);
		free(t->scope);
		free_secret(t->value);
		buf_release(&t->err);
		free(t);
	}
	while ((h = reg->hosts) != NULL) {
		reg->hosts = h->next;
		free(h->name);
		free(h->base);
		free(h->user);
		free_secret(h->pass);
		free(h->realm);
		free(h->service);
		free(h);
	}
	if (reg->multi != NULL)
		curl_multi_cleanup(reg->multi);
	for (i = 0; reg->insecure != NULL && reg->insecure[i] != NULL; i++)
		free(reg->insecure[i]);
	free(reg->insecure);
	free(reg->ca_file);
	free(reg->platform);
	json_decref(reg->config);
	free(reg);
	curl_global_cleanup();
}

static struct registry_req *
req_new(enum registry_kind kind, const char *host, const char *name,
    const char *ref, unsigned flags)
{
	struct registry_req *r = xcalloc(1, sizeof(*r));

	r->kind = kind;
	r->flags = flags;
	r->host = xstrdup(host);
	r->name = xstrdup(name);
	r->ref = ref ? xstrdup(ref) : NULL;
	buf_init(&r->err, 0);
	r->run = xcalloc(1, sizeof(*r->run));
	buf_init(&r->run->x.body, 0);
	return r;
}

struct registry_req *
registry_tags_new(const char *host, const char *name)
{
	return req_new(REGISTRY_TAGS, host, name, NULL, 0);
}

struct registry_req *
registry_manifest_new(const char *host, const char *name, const char *ref,
    unsigned flags)
{
	return req_new(REGISTRY_MANIFEST, host, name, ref, flags);
}

struct registry_req *
registry_blob_new(const char *host, const char *name, const char *digest)
{
	return req_new(REGISTRY_BLOB, host, name, digest, 0);
}

static void
req_clear(struct registry_req *r)
{
	struct registry_req_run *run = r->run;

	r->failed = r->temporary = r->auth = r->no_platform = 0;
	r->status = 0;
	buf_reset(&r->err);
	json_decref(r->tags);
	json_decref(r->manifest);
	json_decref(r->json);
	r->tags = r->manifest = r->json = NULL;
	free(r->digest);
	free(r->index_digest);
	free(r->media_type);
	free(r->config_digest);
	free(r->created);
	free(r->label_created);
	r->digest = r->index_digest = r->media_type = NULL;
	r->config_digest = r->created = r->label_created = NULL;
	free(run->url);
	free(run->cur_ref);
	free(run->scope);
	run->url = run->cur_ref = run->scope = NULL;
	run->tok_used = run->waiting = NULL;
	run->tries = run->auth_tries = run->sent_basic = 0;
	run->inflight = run->done = run->head = 0;
	run->not_before = 0;
}

void
registry_req_free(struct registry_req *r)
{
	if (r == NULL)
		return;
	req_clear(r);
	buf_release(&r->run->x.body);
	free(r->run);
	free(r->host);
	free(r->name);
	free(r->ref);
	buf_release(&r->err);
	free(r);
}

void
registry_stats(const struct registry *reg, struct registry_stats *out)
{
	*out = reg->stats;
}

static int
host_is_insecure(struct registry *reg, const char *name)
{
	size_t i;

	for (i = 0; reg->insecure[i] != NULL; i++)
		if (strcasecmp(reg->insecure[i], name) == 0)
			return 1;
	return 0;
}

static struct host *
host_get(struct registry *reg, const char *name)
{
	struct host *h;
	struct buf b = BUF_INIT;

	for (h = reg->hosts; h != NULL; h = h->next)
		if (strcmp(h->name, name) == 0)
			return h;
	h = xcalloc(1, sizeof(*h));
	h->name = xstrdup(name);
	h->insecure = host_is_insecure(reg, name);
	buf_addf(&b, "https://%s", is_docker_hub(name) ?
	    "registry-1.docker.io" : name);
	h->base = buf_detach(&b, NULL);
	registry_bucket_init(&h->bucket, reg->o.rps, reg->o.burst,
	    mtime_now());
	h->next = reg->hosts;
	reg->hosts = h;
	return h;
}

static void
host_go_plain(struct host *h)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "http://%s", h->base + 8);
	free(h->base);
	h->base = buf_detach(&b, NULL);
	h->plain = 1;
}

/* Run docker-credential-NAME get for host. 0, or -1 logged. */
static int
run_helper(struct registry *reg, struct host *h, const char *helper)
{
	struct genrun_result res;
	struct buf cmd = BUF_INIT, env = BUF_INIT, why = BUF_INIT;
	char *envp[3];
	json_t *j = NULL;
	const char *u, *s, *path = getenv("PATH");
	size_t i;
	int ret = -1;

	for (i = 0; helper[i]; i++)
		if (!isalnum((unsigned char)helper[i]) &&
		    strchr("._-", helper[i]) == NULL) {
			log_warn("credential helper name '%s' is not a plain "
			    "word", helper);
			return -1;
		}
	/* genrun's stdin is /dev/null: the host goes in through printf */
	buf_addf(&cmd, "printf '%%s\\n' \"$SLUICE_REGISTRY_HOST\" | "
	    "docker-credential-%s get", helper);
	buf_addf(&env, "SLUICE_REGISTRY_HOST=%s", is_docker_hub(h->name) ?
	    "https://index.docker.io/v1/" : h->name);
	envp[0] = env.s;
	buf_init(&why, 0);
	buf_addf(&why, "PATH=%s", path ? path : "/usr/bin:/bin");
	envp[1] = why.s;
	envp[2] = NULL;
	if (genrun(cmd.s, NULL, envp, reg->o.helper_timeout, 1 << 20, 0,
	    &res) < 0)
		goto out;
	buf_reset(&why);
	if (genrun_failed(&res, &why)) {
		/* stdout may hold a secret; stderr is the helper's message */
		log_warn("credential helper 'docker-credential-%s' for '%s' "
		    "failed: %s", helper, h->name, why.s);
		goto out_res;
	}
	j = json_loadb(res.out.s, res.out.len, 0, NULL);
	u = json_string_value(json_object_get(j, "Username"));
	s = json_string_value(json_object_get(j, "Secret"));
	if (u == NULL || s == NULL) {
		log_warn("credential helper 'docker-credential-%s' for '%s' "
		    "gave no Username and Secret", helper, h->name);
		goto out_res;
	}
	h->user = xstrdup(u);
	h->pass = xstrdup(s);
	h->has_creds = 1;
	ret = 0;
out_res:
	memset(res.out.s, 0, res.out.len);
	genrun_result_release(&res);
out:
	json_decref(j);
	buf_release(&cmd);
	buf_release(&env);
	buf_release(&why);
	return ret;
}

static void
load_creds(struct registry *reg, struct host *h)
{
	struct buf err = BUF_INIT;
	char *helper = NULL;
	int rc;

	if (h->creds_loaded)
		return;
	h->creds_loaded = 1;
	if (reg->config == NULL)
		return;
	rc = registry_config_creds(reg->config, h->name, &h->user, &h->pass,
	    &helper, &err);
	if (rc < 0)
		log_warn("%s", err.s);
	else if (rc == 0 && helper != NULL)
		run_helper(reg, h, helper);
	else if (rc == 0)
		h->has_creds = 1;
	free(helper);
	buf_release(&err);
}

static struct token *
token_get(struct registry *reg, struct host *h, const char *scope)
{
	struct token *t;

	for (t = reg->tokens; t != NULL; t = t->next)
		if (t->h == h && strcmp(t->scope, scope) == 0)
			return t;
	t = xcalloc(1, sizeof(*t));
	t->h = h;
	t->scope = xstrdup(scope);
	buf_init(&t->err, 0);
	buf_init(&t->x.body, 0);
	t->next = reg->tokens;
	reg->tokens = t;
	return t;
}

static size_t
on_body(char *p, size_t size, size_t n, void *data)
{
	struct xfer *x = data;

	if (x->body.len + size * n > MAX_BODY) {
		x->too_big = 1;
		return 0;
	}
	buf_add(&x->body, p, size * n);
	return size * n;
}

static void
set_common(struct registry *reg, CURL *e, struct xfer *x, const char *url,
    int insecure)
{
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(reg->o.timeout * 1000));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(reg->o.timeout * 1000));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "sluice/0.1");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (reg->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, reg->ca_file);
	if (insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static void
token_start(struct registry *reg, struct token *t)
{
	struct host *h = t->h;
	struct buf url = BUF_INIT, line = BUF_INIT;
	char *esc;
	CURL *e = curl_easy_init();
	size_t n;

	if (e == NULL)
		BUG("curl_easy_init failed");
	load_creds(reg, h);
	buf_adds(&url, h->realm);
	buf_addch(&url, strchr(h->realm, '?') ? '&' : '?');
	if (h->service != NULL) {
		esc = curl_easy_escape(e, h->service, 0);
		buf_addf(&url, "service=%s&", esc);
		curl_free(esc);
	}
	esc = curl_easy_escape(e, t->scope, 0);
	buf_addf(&url, "scope=%s", esc);
	curl_free(esc);
	buf_reset(&t->x.body);
	t->x.too_big = 0;
	t->x.tok = t;
	t->x.req = NULL;
	n = origin_len(h->realm);
	set_common(reg, e, &t->x, url.s, n > 0 && host_is_insecure(reg,
	    strstr(h->realm, "://") + 3) ? 1 : h->insecure);
	if (h->has_creds) {
		curl_easy_setopt(e, CURLOPT_USERNAME, h->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, h->pass);
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
	t->x.headers = curl_slist_append(NULL, "Accept: application/json");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->x.headers);
	t->x.easy = e;
	t->state = TOK_FETCHING;
	reg->stats.token++;
	curl_multi_add_handle(reg->multi, e);
	buf_release(&url);
	buf_release(&line);
}

/* Parse the realm's answer into t. */
static void
token_finish(struct registry *reg, struct token *t, CURLcode rc)
{
	long status = 0;
	json_t *j = NULL, *v;
	const char *tok, *issued;
	double lifetime;

	curl_easy_getinfo(t->x.easy, CURLINFO_RESPONSE_CODE, &status);
	free_secret(t->value);
	t->value = NULL;
	buf_reset(&t->err);
	t->temporary = t->auth = 0;
	t->state = TOK_FAILED;
	if (rc != CURLE_OK) {
		buf_addf(&t->err, "cannot get a token from '%s': %s",
		    t->h->realm, t->x.too_big ? "answer too large" :
		    curl_easy_strerror(rc));
		t->temporary = 1;
		goto out;
	}
	if (status == 401 || status == 403) {
		buf_addf(&t->err, "token server '%s' refused %s for '%s' "
		    "(HTTP %ld)", t->h->realm, t->h->has_creds ?
		    "the credentials" : "anonymous access", t->scope, status);
		t->auth = 1;
		goto out;
	}
	if (status != 200) {
		buf_addf(&t->err, "token server '%s' answered HTTP %ld",
		    t->h->realm, status);
		t->temporary = status == 429 || status >= 500;
		goto out;
	}
	j = json_loadb(t->x.body.s, t->x.body.len, 0, NULL);
	tok = json_string_value(json_object_get(j, "token"));
	if (tok == NULL || *tok == '\0')
		tok = json_string_value(json_object_get(j, "access_token"));
	if (tok == NULL || *tok == '\0') {
		buf_addf(&t->err, "token server '%s' sent no token",
		    t->h->realm);
		goto out;
	}
	v = json_object_get(j, "expires_in");
	issued = json_string_value(json_object_get(j, "issued_at"));
	lifetime = registry_token_lifetime(json_is_number(v) ?
	    json_number_value(v) : 0, issued, (double)time(NULL));
	t->value = xstrdup(tok);
	t->expires = mtime_now() + lifetime - TOKEN_MARGIN;
	t->state = TOK_READY;
out:
	if (j != NULL) {
		/* the token is in the document's strings too */
		json_decref(j);
	}
	memset(t->x.body.s, 0, t->x.body.len);
	xfer_release(reg, &t->x);
	buf_init(&t->x.body, 0);
}

static void
req_fail(struct registry_req *r, int temporary, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
req_fail(struct registry_req *r, int temporary, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&r->err);
	va_start(ap, fmt);
	buf_vaddf(&r->err, fmt, ap);
	va_end(ap);
	r->failed = 1;
	r->temporary = temporary;
	r->run->done = 1;
}

/* Point r at its next exchange: the URL for its stage and cur_ref. */
static void
req_target(struct registry_req *r)
{
	struct registry_req_run *run = r->run;
	struct buf url = BUF_INIT;

	buf_adds(&url, run->h->base);
	switch (run->stage) {
	case STAGE_TAGS:
		buf_addf(&url, "/v2/%s/tags/list?n=%d", r->name, TAGS_PAGE);
		break;
	case STAGE_MANIFEST:
		buf_addf(&url, "/v2/%s/manifests/%s", r->name, run->cur_ref);
		break;
	case STAGE_BLOB:
		buf_addf(&url, "/v2/%s/blobs/%s", r->name, run->cur_ref);
		break;
	default:
		BUG("no target for a finished request");
	}
	free(run->url);
	run->url = buf_detach(&url, NULL);
	run->tries = run->auth_tries = 0;
	run->not_before = 0;
}

static void
req_begin(struct registry *reg, struct registry_req *r)
{
	struct registry_req_run *run = r->run;
	struct buf b = BUF_INIT;

	req_clear(r);
	run->h = host_get(reg, r->host);
	buf_addf(&b, "repository:%s:pull", r->name);
	run->scope = buf_detach(&b, NULL);
	switch (r->kind) {
	case REGISTRY_TAGS:
		run->stage = STAGE_TAGS;
		r->tags = json_array();
		break;
	case REGISTRY_MANIFEST:
		run->stage = STAGE_MANIFEST;
		run->head = (r->flags & REGISTRY_HEAD) != 0;
		break;
	case REGISTRY_BLOB:
		run->stage = STAGE_BLOB;
		break;
	}
	if (r->kind != REGISTRY_TAGS) {
		if (r->ref == NULL || *r->ref == '\0' ||
		    strchr(r->ref, '/') != NULL) {
			req_fail(r, 0, "invalid reference '%s'",
			    r->ref ? r->ref : "");
			return;
		}
		run->cur_ref = xstrdup(r->ref);
	}
	req_target(r);
}

/* Add delta to the counter of the kind of exchange run is at. */
static void
count(struct registry *reg, const struct registry_req_run *run, int delta)
{
	unsigned long *c;

	if (run->stage == STAGE_TAGS)
		c = &reg->stats.tags;
	else if (run->stage == STAGE_BLOB)
		c = &reg->stats.blob;
	else if (run->head)
		c = &reg->stats.manifest_head;
	else
		c = &reg->stats.manifest_get;
	*c += (unsigned long)delta;
}

static void
req_start(struct registry *reg, struct registry_req *r)
{
	struct registry_req_run *run = r->run;
	struct host *h = run->h;
	struct buf line = BUF_INIT;
	CURL *e = curl_easy_init();
	struct curl_slist *hl = NULL;

	if (e == NULL)
		BUG("curl_easy_init failed");
	if (h->plain && strncmp(run->url, "https://", 8) == 0) {
		/* targeted before we knew the host speaks plain HTTP */
		buf_addf(&line, "http://%s", run->url + 8);
		free(run->url);
		run->url = buf_detach(&line, NULL);
	}
	buf_reset(&run->x.body);
	run->x.too_big = 0;
	run->x.req = r;
	run->x.tok = NULL;
	set_common(reg, e, &run->x, run->url, h->insecure);
	count(reg, run, 1);
	switch (run->stage) {
	case STAGE_TAGS:
		hl = curl_slist_append(hl, "Accept: application/json");
		break;
	case STAGE_MANIFEST:
		hl = curl_slist_append(hl, "Accept: " REGISTRY_ACCEPT);
		if (run->head)
			curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		break;
	case STAGE_BLOB:
		/* blobs may live behind a redirect to storage */
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
		break;
	default:
		BUG("starting a finished request");
	}
	/*
	 * Credentials: curl sends neither a custom Authorization header nor
	 * CURLOPT_USERNAME to another host after a redirect.
	 */
	run->tok_used = NULL;
	run->sent_basic = 0;
	if (h->auth == AUTH_BEARER && run->waiting != NULL &&
	    run->waiting->state == TOK_READY) {
		buf_addf(&line, "Authorization: Bearer %s",
		    run->waiting->value);
		hl = curl_slist_append(hl, line.s);
		memset(line.s, 0, line.len);
		run->tok_used = run->waiting;
	} else if (h->auth == AUTH_BASIC && h->has_creds) {
		curl_easy_setopt(e, CURLOPT_USERNAME, h->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, h->pass);
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		run->sent_basic = 1;
	}
	run->waiting = NULL;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
	run->x.headers = hl;
	run->x.easy = e;
	run->tries++;
	run->inflight = 1;
	h->inflight++;
	if (run->tries > 1)
		reg->stats.retries++;
	curl_multi_add_handle(reg->multi, e);
	buf_release(&line);
}

/* A response header's value (the last of its name), or NULL. */
static const char *
header(CURL *e, const char *name)
{
	struct curl_header *h;
	size_t n = 0;

	if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	n = h->amount;
	if (n > 1 && curl_easy_header(e, name, n - 1, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK)
		return NULL;
	return h->value;
}

/* Retry-After in seconds, or an HTTP date; -1 if absent or unusable. */
static double
retry_after(CURL *e)
{
	const char *v = header(e, "Retry-After");
	long s;
	time_t t;

	if (v == NULL)
		return -1;
	if (num_parse_long(v, 0, 86400, &s) == 0)
		return (double)s;
	t = curl_getdate(v, NULL);
	if (t < 0)
		return -1;
	return difftime(t, time(NULL)) > 0 ? difftime(t, time(NULL)) : 0;
}

/* The registry's error document as "CODE: message", else HTTP status. */
static void
add_api_error(struct buf *out, const struct xfer *x, long status)
{
	json_t *j = json_loadb(x->body.s, x->body.len, 0, NULL);
	json_t *e = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	if (code != NULL)
		buf_addf(out, "%s: %s", code, msg ? msg : "");
	else
		buf_addf(out, "HTTP %ld", status);
	json_decref(j);
}

static int
is_index_type(const char *t)
{
	return strcmp(t, "application/vnd.oci.image.index.v1+json") == 0 ||
	    strcmp(t,
	    "application/vnd.docker.distribution.manifest.list.v2+json") == 0;
}

/* "sha256:<hex>" of the bytes. */
static char *
sha256_digest(const struct buf *b)
{
	unsigned char md[DIGEST_SHA256_LEN];
	struct buf s = BUF_INIT;

	digest_sha256(b->s, b->len, md);
	buf_adds(&s, "sha256:");
	digest_hex(md, sizeof(md), &s);
	return buf_detach(&s, NULL);
}

/* A config's image creation time from its labels, or NULL. */
static const char *
label_created(const json_t *cfg)
{
	static const char *const keys[] = {
		"org.opencontainers.image.created",
		"org.label-schema.build-date",
	};
	static const char *const where[] = { "config", "container_config" };
	const char *s;
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < 2; i++) {
			s = json_string_value(json_object_get(json_object_get(
			    json_object_get(cfg, where[i]), "Labels"),
			    keys[k]));
			if (s != NULL && *s != '\0')
				return s;
		}
	return NULL;
}

static void
take_config(struct registry_req *r, const json_t *cfg)
{
	const char *s = json_string_value(json_object_get(cfg, "created"));

	if (s != NULL)
		r->created = xstrdup(s);
	s = label_created(cfg);
	if (s != NULL)
		r->label_created = xstrdup(s);
}

/* schema 1: created and labels live in history[0].v1Compatibility */
static void
take_schema1(struct registry_req *r, const json_t *m)
{
	const char *s = json_string_value(json_object_get(json_array_get(
	    json_object_get(m, "history"), 0), "v1Compatibility"));
	json_t *j;

	if (s == NULL)
		return;
	j = json_loads(s, 0, NULL);
	take_config(r, j);
	json_decref(j);
}

static void
got_tags(struct registry_req *r, CURL *e)
{
	struct registry_req_run *run = r->run;
	json_t *j = json_loadb(run->x.body.s, run->x.body.len, 0, NULL);
	json_t *tags = json_object_get(j, "tags"), *t;
	struct buf next = BUF_INIT;
	const char *link;
	size_t i;
	int rc = 0;

	if (j == NULL || (!json_is_array(tags) && !json_is_null(tags))) {
		req_fail(r, 0, "tag list of '%s/%s' is not JSON with \"tags\"",
		    r->host, r->name);
		goto out;
	}
	json_array_foreach(tags, i, t)
		if (json_is_string(t))
			json_array_append(r->tags, t);
	link = header(e, "Link");
	if (link != NULL)
		rc = registry_link_next(link, run->h->base, &next);
	if (rc < 0) {
		req_fail(r, 0, "tag list of '%s/%s': unusable next link",
		    r->host, r->name);
	} else if (rc > 0) {
		free(run->url);
		run->url = buf_detach(&next, NULL);
		run->tries = run->auth_tries = 0;
	} else {
		run->done = 1;
	}
out:
	buf_release(&next);
	json_decref(j);
}

static void
got_manifest(struct registry *reg, struct registry_req *r, CURL *e)
{
	struct registry_req_run *run = r->run;
	const char *dcd = header(e, "Docker-Content-Digest");
	const char *ct = header(e, "Content-Type"), *s;
	char *digest = NULL, *type = NULL;
	json_t *j = NULL, *m;
	int i;

	if (run->head) {
		if (dcd == NULL || strncmp(dcd, "sha256:", 7) != 0) {
			/* no digest in the HEAD answer: ask with GET */
			run->head = 0;
			req_target(r);
			return;
		}
		r->digest = xstrdup(dcd);
		if (ct != NULL)
			r->media_type = xstrndup(ct, strcspn(ct, "; "));
		run->done = 1;
		return;
	}
	digest = sha256_digest(&run->x.body);
	if (strncmp(run->cur_ref, "sha256:", 7) == 0 &&
	    strcmp(digest, run->cur_ref) != 0) {
		req_fail(r, 0, "manifest '%s/%s@%s' does not match its digest",
		    r->host, r->name, run->cur_ref);
		goto out;
	}
	if (dcd != NULL && strncmp(dcd, "sha256:", 7) != 0) {
		/* another algorithm: believe the registry */
		free(digest);
		digest = xstrdup(dcd);
	}
	j = json_loadb(run->x.body.s, run->x.body.len, 0, NULL);
	if (!json_is_object(j)) {
		req_fail(r, 0, "manifest '%s/%s:%s' is not a JSON object",
		    r->host, r->name, run->cur_ref);
		goto out;
	}
	s = json_string_value(json_object_get(j, "mediaType"));
	if (ct != NULL && strncmp(ct, "application/json", 16) != 0)
		type = xstrndup(ct, strcspn(ct, "; "));
	else
		type = xstrdup(s ? s : "");
	if (is_index_type(type) && !(r->flags & REGISTRY_NO_RESOLVE) &&
	    r->index_digest == NULL) {
		i = registry_pick_platform(j, reg->platform);
		if (i < 0) {
			r->index_digest = digest;
			digest = NULL;
			r->no_platform = 1;
			req_fail(r, 0, "no manifest for %s in the index of "
			    "'%s/%s:%s'", reg->platform, r->host, r->name,
			    r->ref);
			goto out;
		}
		m = json_array_get(json_object_get(j, "manifests"),
		    (size_t)i);
		r->index_digest = digest;
		digest = NULL;
		free(run->cur_ref);
		run->cur_ref = xstrdup(json_string_value(json_object_get(m,
		    "digest")));
		req_target(r);
		goto out;
	}
	r->digest = digest;
	r->media_type = type;
	r->manifest = j;
	digest = type = NULL;
	j = NULL;
	if (!(r->flags & REGISTRY_CONFIG)) {
		run->done = 1;
		goto out;
	}
	if (strcmp(r->media_type,
	    "application/vnd.docker.distribution.manifest.v1+prettyjws") ==
	    0 || strcmp(r->media_type,
	    "application/vnd.docker.distribution.manifest.v1+json") == 0) {
		take_schema1(r, r->manifest);
		run->done = 1;
		goto out;
	}
	s = json_string_value(json_object_get(json_object_get(r->manifest,
	    "config"), "digest"));
	if (s == NULL || strchr(s, '/') != NULL) {
		req_fail(r, 0, "manifest '%s/%s:%s' (%s) has no config digest",
		    r->host, r->name, r->ref, r->media_type);
		goto out;
	}
	r->config_digest = xstrdup(s);
	free(run->cur_ref);
	run->cur_ref = xstrdup(s);
	run->stage = STAGE_BLOB;
	req_target(r);
out:
	free(digest);
	free(type);
	json_decref(j);
}

static void
got_blob(struct registry_req *r)
{
	struct registry_req_run *run = r->run;
	char *digest = sha256_digest(&run->x.body);

	if (strncmp(run->cur_ref, "sha256:", 7) == 0 &&
	    strcmp(digest, run->cur_ref) != 0) {
		req_fail(r, 0, "blob '%s/%s@%s' does not match its digest",
		    r->host, r->name, run->cur_ref);
		goto out;
	}
	r->json = json_loadb(run->x.body.s, run->x.body.len, 0, NULL);
	if (r->json == NULL) {
		req_fail(r, 0, "blob '%s/%s@%s' is not JSON", r->host,
		    r->name, run->cur_ref);
		goto out;
	}
	if (r->kind == REGISTRY_MANIFEST)
		take_config(r, r->json);
	run->done = 1;
out:
	free(digest);
}

static double
backoff(int tries)
{
	double d = 0.25 * pow(2, tries - 1);

	return d < MAX_WAIT ? d : MAX_WAIT;
}

static int
retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_PARTIAL_FILE:
		return 1;
	default:
		return 0;
	}
}

/* What the subject of r's current exchange is called, for errors. */
static void
subject(const struct registry_req *r, struct buf *out)
{
	if (r->run->stage == STAGE_TAGS)
		buf_addf(out, "tags of '%s/%s'", r->host, r->name);
	else if (r->run->stage == STAGE_MANIFEST)
		buf_addf(out, "manifest '%s/%s:%s'", r->host, r->name,
		    r->run->cur_ref);
	else
		buf_addf(out, "blob '%s/%s@%s'", r->host, r->name,
		    r->run->cur_ref);
}

/* A 401: learn how the host wants us to authenticate, and try again. */
static void
got_401(struct registry *reg, struct registry_req *r, CURL *e)
{
	struct registry_req_run *run = r->run;
	struct host *h = run->h;
	struct registry_challenge c, found;
	struct curl_header *hd;
	struct buf what = BUF_INIT;
	size_t i, n = 1;

	memset(&found, 0, sizeof(found));
	for (i = 0; i < n; i++) {
		if (curl_easy_header(e, "WWW-Authenticate", i, CURLH_HEADER,
		    -1, &hd) != CURLHE_OK)
			break;
		n = hd->amount;
		if (registry_parse_challenge(hd->value, &c) == 0 &&
		    (strcmp(c.scheme, "bearer") == 0 ||
		    strcmp(c.scheme, "basic") == 0) &&
		    (found.scheme == NULL ||
		    strcmp(c.scheme, "bearer") == 0)) {
			registry_challenge_release(&found);
			found = c;
		} else {
			registry_challenge_release(&c);
		}
	}
	subject(r, &what);
	r->auth = 1;
	if (found.scheme == NULL) {
		req_fail(r, 0, "%s: unauthorized, and no usable "
		    "WWW-Authenticate challenge", what.s);
	} else if (run->auth_tries >= 2) {
		req_fail(r, 0, "%s: access denied%s%s", what.s,
		    found.error ? ": " : "", found.error ? found.error : "");
	} else if (strcmp(found.scheme, "basic") == 0) {
		h->auth = AUTH_BASIC;
		load_creds(reg, h);
		if (!h->has_creds)
			req_fail(r, 0, "%s: authentication required, and no "
			    "credentials for '%s'", what.s, h->name);
		else if (run->sent_basic)
			req_fail(r, 0, "%s: credentials for '%s' rejected",
			    what.s, h->name);
		else
			r->auth = 0;
	} else if (found.realm == NULL || origin_len(found.realm) == 0) {
		req_fail(r, 0, "%s: bearer challenge without an http(s) realm",
		    what.s);
	} else {
		h->auth = AUTH_BEARER;
		if (h->realm == NULL || strcmp(h->realm, found.realm) != 0) {
			free(h->realm);
			h->realm = xstrdup(found.realm);
		}
		free(h->service);
		h->service = found.service ? xstrdup(found.service) : NULL;
		if (found.scope != NULL && strcmp(found.scope, run->scope)) {
			free(run->scope);
			run->scope = xstrdup(found.scope);
		}
		if (run->tok_used != NULL &&
		    strcmp(run->tok_used->scope, run->scope) == 0) {
			if (run->tok_used->state == TOK_READY)
				run->tok_used->state = TOK_EMPTY;
		}
		if (run->tok_used != NULL && run->auth_tries >= 1) {
			r->auth = 1;
			req_fail(r, 0, "%s: token for '%s' refused%s%s",
			    what.s, run->scope, found.error ? ": " : "",
			    found.error ? found.error : "");
		} else {
			r->auth = 0;
		}
	}
	if (!run->done) {
		run->auth_tries++;
		run->tries--;		/* not a failure of the network */
		run->not_before = 0;
	}
	registry_challenge_release(&found);
	buf_release(&what);
}

static void
req_finish(struct registry *reg, struct registry_req *r, CURLcode rc)
{
	struct registry_req_run *run = r->run;
	struct host *h = run->h;
	CURL *e = run->x.easy;
	struct buf what = BUF_INIT;
	double after, now = mtime_now();

	run->inflight = 0;
	h->inflight--;
	h->probed = 1;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	subject(r, &what);
	if (rc == CURLE_OK)
		h->scheme_known = 1;
	if (rc != CURLE_OK) {
		if (h->insecure && !h->scheme_known &&
		    (rc == CURLE_SSL_CONNECT_ERROR ||
		    rc == CURLE_WEIRD_SERVER_REPLY) &&
		    strncmp(run->url, "https://", 8) == 0) {
			/* an insecure host that speaks plain HTTP */
			if (!h->plain)
				host_go_plain(h);
			h->scheme_known = 1;
			h->probed = 0;	/* its auth is still to be found */
			run->tries--;
			count(reg, run, -1);	/* the try that found out */
		} else if (retryable_curl(rc) &&
		    run->tries < reg->o.max_tries) {
			run->not_before = now + backoff(run->tries);
		} else {
			req_fail(r, retryable_curl(rc) || run->x.too_big == 0,
			    "%s: %s", what.s, run->x.too_big ?
			    "answer too large" : curl_easy_strerror(rc));
			if (run->x.too_big ||
			    rc == CURLE_PEER_FAILED_VERIFICATION ||
			    rc == CURLE_SSL_CACERT_BADFILE ||
			    rc == CURLE_SSL_CONNECT_ERROR ||
			    rc == CURLE_UNSUPPORTED_PROTOCOL ||
			    rc == CURLE_URL_MALFORMAT)
				r->temporary = 0;
		}
		goto out;
	}
	if (r->status == 401) {
		got_401(reg, r, e);
		goto out;
	}
	if (r->status == 429) {
		reg->stats.rate_limited++;
		after = retry_after(e);
		if (after < 0)
			after = backoff(run->tries);
		if (after > MAX_WAIT)
			after = MAX_WAIT;
		if (h->paused_until < now + after)
			h->paused_until = now + after;
		registry_bucket_slow(&h->bucket, REGISTRY_MIN_RPS);
		if (run->tries < reg->o.max_tries) {
			run->not_before = now + after;
		} else {
			req_fail(r, 1, "%s: ", what.s);
			add_api_error(&r->err, &run->x, r->status);
			buf_adds(&r->err, " (rate limited)");
		}
		goto out;
	}
	if (r->status == 408 || r->status == 500 || r->status == 502 ||
	    r->status == 503 || r->status == 504) {
		after = retry_after(e);
		if (run->tries < reg->o.max_tries) {
			run->not_before = now + (after >= 0 && after < MAX_WAIT
			    ? after : backoff(run->tries));
		} else {
			req_fail(r, 1, "%s: ", what.s);
			add_api_error(&r->err, &run->x, r->status);
		}
		goto out;
	}
	if (r->status < 200 || r->status > 299) {
		req_fail(r, 0, "%s: ", what.s);
		add_api_error(&r->err, &run->x, r->status);
		r->auth = r->status == 403;
		goto out;
	}
	switch (run->stage) {
	case STAGE_TAGS:
		got_tags(r, e);
		break;
	case STAGE_MANIFEST:
		got_manifest(reg, r, e);
		break;
	case STAGE_BLOB:
		got_blob(r);
		break;
	default:
		BUG("answer for a finished request");
	}
out:
	buf_release(&what);
	xfer_release(reg, &run->x);
	buf_init(&run->x.body, 0);
}

/*
 * Can r start now? 1: yes. 0: not yet, with *soonest lowered to when it
 * may (or left alone when something else will wake us: a token fetch or
 * a free slot). Starts token fetches as needed. May end r (a failed token).
 */
static int
req_ready(struct registry *reg, struct registry_req *r, double now,
    double *soonest)
{
	struct registry_req_run *run = r->run;
	struct host *h = run->h;
	struct token *t;
	double wait;

	if (run->not_before > now) {
		if (run->not_before < *soonest)
			*soonest = run->not_before;
		return 0;
	}
	if (h->paused_until > now) {
		if (h->paused_until < *soonest)
			*soonest = h->paused_until;
		return 0;
	}
	/*
	 * Full, or the first exchange is still finding out what the host
	 * wants (HTTPS or HTTP, a token or not): a burst sent before that
	 * would be a burst of 401s.
	 */
	if (h->inflight >= reg->o.burst || (h->inflight > 0 &&
	    (!h->probed || (h->insecure && !h->scheme_known))))
		return 0;
	run->waiting = NULL;
	if (h->auth == AUTH_BEARER) {
		t = token_get(reg, h, run->scope);
		if (t->state == TOK_READY && t->expires <= now)
			t->state = TOK_EMPTY;
		if (t->state == TOK_EMPTY)
			token_start(reg, t);
		if (t->state == TOK_FETCHING)
			return 0;
		if (t->state == TOK_FAILED) {
			req_fail(r, t->temporary, "%s", t->err.s);
			r->auth = t->auth;
			return 0;
		}
		run->waiting = t;
	}
	wait = registry_bucket_take(&h->bucket, now);
	if (wait > 0) {
		if (now + wait < *soonest)
			*soonest = now + wait;
		return 0;
	}
	return 1;
}

void
registry_run(struct registry *reg, struct registry_req **reqs, size_t n)
{
	struct token *t;
	size_t i, done;
	int still, msgs;
	CURLMsg *msg;
	double now, soonest;
	curl_off_t dl;
	long hsize;

	/* a token that failed in an earlier run is asked for again */
	for (t = reg->tokens; t != NULL; t = t->next)
		if (t->state == TOK_FAILED)
			t->state = TOK_EMPTY;
	for (i = 0; i < n; i++)
		req_begin(reg, reqs[i]);
	for (;;) {
		now = mtime_now();
		soonest = now + 1;
		done = 0;
		for (i = 0; i < n; i++) {
			struct registry_req *r = reqs[i];

			if (r->run->done) {
				done++;
				continue;
			}
			if (r->run->inflight)
				continue;
			if (req_ready(reg, r, now, &soonest))
				req_start(reg, r);
			else if (r->run->done)
				done++;
		}
		if (done == n)
			break;
		curl_multi_perform(reg->multi, &still);
		while ((msg = curl_multi_info_read(reg->multi, &msgs)) !=
		    NULL) {
			struct xfer *x;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			dl = 0;
			hsize = 0;
			curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_SIZE_DOWNLOAD_T, &dl);
			curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_HEADER_SIZE, &hsize);
			reg->stats.bytes += (unsigned long long)dl +
			    (unsigned long long)hsize;
			if (x->tok != NULL)
				token_finish(reg, x->tok, msg->data.result);
			else
				req_finish(reg, x->req, msg->data.result);
			soonest = mtime_now();
		}
		now = mtime_now();
		if (soonest > now)
			curl_multi_poll(reg->multi, NULL, 0,
			    (int)((soonest - now) * 1000) + 1, NULL);
	}
}
