#include "lib/kube.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lib/kubeconfig.h"
#include "lib/log.h"
#include "lib/mtime.h"
#include "lib/num.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* How often one request is tried, and the longest wait between tries. */
#define MAX_TRIES 6
#define MAX_WAIT 30.0

struct kube {
	CURLM *multi;
	struct kubeconfig *kc;
	int concurrency;
	double timeout;
	char *base;			/* the server URL without a final "/" */
	/* the credentials of this batch (lib/kubeconfig decides which) */
	struct buf auth;		/* "Authorization: Bearer ..." or "" */
	struct buf user, password;	/* basic auth, when used */
	struct buf cert, key;		/* PEM from an exec plugin */
	struct kube_stats stats;
	int renewed;			/* credentials renewed after a 401 */
	atomic_int interrupted;		/* kube_interrupt, from another thread */
};

struct kube *
kube_open(struct kubeconfig *kc, int concurrency, double timeout,
    struct buf *err)
{
	struct kube *k;
	size_t n;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		buf_adds(err, "cannot initialise libcurl");
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	k->kc = kc;
	k->concurrency = concurrency > 0 ? concurrency : 16;
	k->timeout = timeout > 0 ? timeout : 30;
	k->base = xstrdup(kc->server);
	n = strlen(k->base);
	while (n > 0 && k->base[n - 1] == '/')
		k->base[--n] = '\0';
	buf_init(&k->auth, 0);
	buf_init(&k->user, 0);
	buf_init(&k->password, 0);
	buf_init(&k->cert, 0);
	buf_init(&k->key, 0);
	k->multi = curl_multi_init();
	if (k->multi == NULL) {
		buf_adds(err, "cannot initialise libcurl");
		kube_close(k);
		return NULL;
	}
	curl_multi_setopt(k->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(k->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)k->concurrency);
	return k;
}

void
kube_close(struct kube *k)
{
	if (k == NULL)
		return;
	if (k->multi)
		curl_multi_cleanup(k->multi);
	free(k->base);
	buf_release(&k->auth);
	buf_release(&k->user);
	buf_release(&k->password);
	buf_release(&k->cert);
	buf_release(&k->key);
	free(k);
	curl_global_cleanup();
}

struct kube_req *
kube_req_new(const char *method, const char *path)
{
	struct kube_req *r = xcalloc(1, sizeof(*r));

	snprintf(r->method, sizeof(r->method), "%s", method);
	r->path = xstrdup(path);
	buf_init(&r->resp, 0);
	buf_init(&r->err, 0);
	return r;
}

void
kube_req_reset(struct kube_req *r)
{
	r->status = 0;
	buf_reset(&r->resp);
	buf_reset(&r->err);
	r->temporary = 0;
	r->tries = 0;
	r->not_before = 0;
}

void
kube_req_free(struct kube_req *r)
{
	if (r == NULL)
		return;
	free(r->path);
	buf_release(&r->resp);
	buf_release(&r->err);
	free(r);
}

static size_t
on_body(char *p, size_t size, size_t n, void *data)
{
	struct kube_req *r = data;

	buf_add(&r->resp, p, size * n);
	return size * n;
}

/* Retry-After: in seconds (the API server never sends an HTTP date). */
static double
retry_after(CURL *easy)
{
	struct curl_header *h;
	long v;

	if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK)
		return -1;
	if (num_parse_long(h->value, 0, 3600, &v) < 0)
		return -1;
	return (double)v;
}

/* The credentials to send with the next batch. 0, or -1 with err. */
static int
renew_auth(struct kube *k, struct buf *err)
{
	struct kubeconfig_creds c;

	memset(&c, 0, sizeof(c));
	if (kubeconfig_credentials(k->kc, &c, err) < 0)
		return -1;
	buf_reset(&k->auth);
	buf_reset(&k->user);
	buf_reset(&k->password);
	buf_reset(&k->cert);
	buf_reset(&k->key);
	if (c.token != NULL && *c.token != '\0')
		buf_addf(&k->auth, "Authorization: Bearer %s", c.token);
	if (c.username != NULL) {
		buf_adds(&k->user, c.username);
		buf_adds(&k->password, c.password ? c.password : "");
	}
	if (c.client_cert != NULL && c.client_key != NULL) {
		buf_add(&k->cert, c.client_cert->s, c.client_cert->len);
		buf_add(&k->key, c.client_key->s, c.client_key->len);
	}
	return 0;
}

static void
set_blob(CURL *e, CURLoption opt, const struct buf *b)
{
	struct curl_blob blob;

	blob.data = b->s;
	blob.len = b->len;
	blob.flags = CURL_BLOB_COPY;
	curl_easy_setopt(e, opt, &blob);
}

static void
set_tls(struct kube *k, CURL *e)
{
	struct kubeconfig *kc = k->kc;

	if (kc->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (kc->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, kc->ca_file);
	if (kc->ca_data.len > 0)
		set_blob(e, CURLOPT_CAINFO_BLOB, &kc->ca_data);
	if (k->cert.len > 0) {
		/* an exec plugin's pair replaces the static one */
		set_blob(e, CURLOPT_SSLCERT_BLOB, &k->cert);
		set_blob(e, CURLOPT_SSLKEY_BLOB, &k->key);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	} else {
		if (kc->client_cert_file != NULL)
			curl_easy_setopt(e, CURLOPT_SSLCERT,
			    kc->client_cert_file);
		if (kc->client_key_file != NULL)
			curl_easy_setopt(e, CURLOPT_SSLKEY, kc->client_key_file);
		if (kc->client_cert_data.len > 0) {
			set_blob(e, CURLOPT_SSLCERT_BLOB, &kc->client_cert_data);
			curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		}
		if (kc->client_key_data.len > 0) {
			set_blob(e, CURLOPT_SSLKEY_BLOB, &kc->client_key_data);
			curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
		}
	}
	if (k->user.len > 0) {
		curl_easy_setopt(e, CURLOPT_USERNAME, k->user.s);
		curl_easy_setopt(e, CURLOPT_PASSWORD, k->password.s);
	}
	if (kc->tls_server_name != NULL) {
		/* NEEDSWORK: curl has no SNI override; checked as the host */
		(void)kc->tls_server_name;
	}
	if (kc->proxy_url != NULL)
		curl_easy_setopt(e, CURLOPT_PROXY, kc->proxy_url);
}

static void
start(struct kube *k, struct kube_req *r)
{
	struct curl_slist *h = NULL;
	struct buf url = BUF_INIT, line = BUF_INIT;
	CURL *e = curl_easy_init();

	if (e == NULL)
		BUG("curl_easy_init failed");
	buf_addf(&url, "%s%s", k->base, r->path);
	curl_easy_setopt(e, CURLOPT_URL, url.s);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(k->timeout * 1000));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(k->timeout * 1000));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "sluice/0.1");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	set_tls(k, e);
	buf_addf(&line, "Accept: %s", r->accept ? r->accept :
	    "application/json");
	h = curl_slist_append(h, line.s);
	if (r->body != NULL) {
		buf_reset(&line);
		buf_addf(&line, "Content-Type: %s", r->content_type ?
		    r->content_type : "application/json");
		h = curl_slist_append(h, line.s);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->len);
	}
	if (k->auth.len > 0)
		h = curl_slist_append(h, k->auth.s);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	r->easy = e;
	r->headers = h;
	r->tries++;
	buf_reset(&r->resp);
	buf_reset(&r->err);
	r->status = 0;
	if (strcmp(r->method, "GET") == 0)
		k->stats.reads++;
	else
		k->stats.mutations++;
	if (r->tries > 1)
		k->stats.retries++;
	curl_multi_add_handle(k->multi, e);
	buf_release(&url);
	buf_release(&line);
}

static void
finish_easy(struct kube *k, struct kube_req *r)
{
	curl_multi_remove_handle(k->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	r->easy = NULL;
	r->headers = NULL;
}

/*
 * Is this answer worth another try, and when? -1: no, it is final.
 * 429 and 5xx are the API server telling us to come back (its priority and
 * fairness, an etcd hiccup, a rolling restart); so is a dropped connection.
 */
static double
retry_delay(struct kube_req *r, CURLcode rc, double after)
{
	double backoff = 0.25 * pow(2, r->tries - 1);

	if (r->tries >= MAX_TRIES)
		return -1;
	if (rc != CURLE_OK) {
		switch (rc) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
		case CURLE_PARTIAL_FILE:
			return backoff < MAX_WAIT ? backoff : MAX_WAIT;
		default:
			return -1;
		}
	}
	if (r->status == 429 || r->status == 500 || r->status == 502 ||
	    r->status == 503 || r->status == 504) {
		if (after >= 0)
			return after < MAX_WAIT ? after : MAX_WAIT;
		return backoff < MAX_WAIT ? backoff : MAX_WAIT;
	}
	return -1;
}

void
kube_run(struct kube *k, struct kube_req **reqs, size_t n)
{
	struct buf err = BUF_INIT;
	size_t next = 0, done = 0, inflight = 0, i;
	int still, msgs, auth_ok;
	CURLMsg *msg;
	double now, wait, soonest;

	auth_ok = renew_auth(k, &err) == 0;
	for (i = 0; i < n; i++) {
		kube_req_reset(reqs[i]);
		if (!auth_ok) {
			buf_addf(&reqs[i]->err, "%s", err.s);
			done++;
		}
	}
	if (!auth_ok)
		next = n;
	while (done < n) {
		if (atomic_load(&k->interrupted)) {
			for (i = 0; i < n; i++) {
				if (reqs[i]->easy != NULL)
					finish_easy(k, reqs[i]);
				if (reqs[i]->status == 0 &&
				    reqs[i]->err.len == 0)
					buf_adds(&reqs[i]->err, "interrupted");
			}
			break;
		}
		now = mtime_now();
		soonest = -1;
		/* start what may start: new ones, and retries now due */
		for (i = 0; i < n && inflight < (size_t)k->concurrency; i++) {
			struct kube_req *r = reqs[i];

			if (r->easy != NULL || r->tries == 0 ||
			    r->not_before == 0)
				continue;
			if (r->not_before > now) {
				if (soonest < 0 || r->not_before < soonest)
					soonest = r->not_before;
				continue;
			}
			r->not_before = 0;
			start(k, r);
			inflight++;
		}
		while (next < n && inflight < (size_t)k->concurrency) {
			start(k, reqs[next++]);
			inflight++;
		}
		curl_multi_perform(k->multi, &still);
		while ((msg = curl_multi_info_read(k->multi, &msgs)) != NULL) {
			struct kube_req *r;
			CURLcode rc = msg->data.result;
			double after = -1, delay;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&r);
			curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_RESPONSE_CODE, &r->status);
			if (rc == CURLE_OK)
				after = retry_after(r->easy);
			else
				buf_addf(&r->err, "%s", curl_easy_strerror(rc));
			finish_easy(k, r);
			inflight--;
			if (r->status == 401 && !k->renewed &&
			    (kubeconfig_invalidate(k->kc),
			    renew_auth(k, &err) == 0)) {
				/* an expired token: renewed once per run */
				k->renewed = 1;
				r->not_before = mtime_now();
				continue;
			}
			delay = retry_delay(r, rc, after);
			if (delay >= 0) {
				r->not_before = mtime_now() + delay;
				if (r->not_before == 0)
					r->not_before = 1e-9;
				continue;
			}
			r->temporary = rc != CURLE_OK || r->status == 429 ||
			    r->status >= 500;
			done++;
		}
		if (done >= n)
			break;
		wait = 1.0;
		if (soonest >= 0) {
			wait = soonest - mtime_now();
			if (wait < 0)
				wait = 0;
		}
		if (inflight > 0 || next < n)
			curl_multi_poll(k->multi, NULL, 0,
			    (int)(wait * 1000) + 1, NULL);
		else if (wait > 0)
			curl_multi_poll(k->multi, NULL, 0,
			    (int)(wait * 1000) + 1, NULL);
	}
	buf_release(&err);
}

void
kube_interrupt(struct kube *k)
{
	atomic_store(&k->interrupted, 1);
	curl_multi_wakeup(k->multi);
}

json_t *
kube_req_json(const struct kube_req *r)
{
	if (r->resp.len == 0)
		return NULL;
	return json_loadb(r->resp.s, r->resp.len, 0, NULL);
}

void
kube_req_error(const struct kube_req *r, struct buf *out)
{
	json_t *j;
	const char *reason, *message;

	if (r->err.len > 0 && r->status == 0) {
		buf_add(out, r->err.s, r->err.len);
		return;
	}
	j = kube_req_json(r);
	reason = json_string_value(json_object_get(j, "reason"));
	message = json_string_value(json_object_get(j, "message"));
	if (message != NULL)
		buf_addf(out, "%s: %s", reason ? reason : "Failure", message);
	else
		buf_addf(out, "the API server answered %ld", r->status);
	json_decref(j);
}

void
kube_stats(const struct kube *k, struct kube_stats *out)
{
	*out = k->stats;
}

void
kube_query_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			buf_addch(out, c);
		else
			buf_addf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}
