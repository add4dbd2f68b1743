/*
 * kube.h: requests to the Kubernetes API over libcurl, as kube-apply and
 * gc need them: many at once (HTTP/2 multiplexing where the server offers
 * it, a bounded pool of keep-alive connections otherwise), retried when
 * the server says so (429 with Retry-After, 5xx, a dropped connection),
 * and no client-side throttle beyond --concurrency: the API server's own
 * priority and fairness decides (DESIGN.md, cost discipline).
 *
 *	struct kube_req *r = kube_req_new("GET", "/api/v1/namespaces");
 *	kube_run(k, &r, 1);
 *	if (r->status == 200) ... r->resp ...
 *	kube_req_free(r);
 *
 * Credentials come from the kubeconfig (lib/kubeconfig): a token is asked
 * for before each batch, so a rotated token file or an expired exec plugin
 * token is renewed, and once more after a 401.
 */
#ifndef SLUICE_KUBE_H
#define SLUICE_KUBE_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"

struct kube;
struct kubeconfig;

struct kube_req {
	/* in */
	char method[8];
	char *path;		/* from the server's root, with the query */
	const char *accept;	/* NULL: application/json */
	const char *content_type;
	const char *body;	/* borrowed for the run */
	size_t len;
	void *data;		/* the caller's */
	/* out */
	long status;		/* HTTP status; 0: no answer (see err) */
	struct buf resp;
	struct buf err;		/* no answer: why; else empty */
	int temporary;		/* failed in a way worth retrying later */
	/* the run's own */
	int tries;
	double not_before;
	void *easy;
	void *headers;
};

/*
 * Open a client for the cluster kc names (kc is borrowed and must outlive
 * the client). NULL with err if curl cannot be set up for it.
 */
struct kube *kube_open(struct kubeconfig *kc, int concurrency,
    double timeout, struct buf *err);
void kube_close(struct kube *k);

struct kube_req *kube_req_new(const char *method, const char *path);
void kube_req_free(struct kube_req *r);
/* Clear the results so the request can be sent again. */
void kube_req_reset(struct kube_req *r);

/*
 * Send every request, up to the concurrency at once, retrying as above,
 * and return when each has its final answer.
 */
void kube_run(struct kube *k, struct kube_req **reqs, size_t n);

/*
 * From another thread: make the kube_run under way return at once, its
 * unfinished requests failed ("interrupted"), and every later one too.
 * For a process that exits while a thread still talks to the server.
 */
void kube_interrupt(struct kube *k);

/*
 * What went wrong with r, for a record: the transport error, or the
 * API's Status ("Conflict: Apply failed with 1 conflict: ..."), or the
 * HTTP status. Appended to out.
 */
void kube_req_error(const struct kube_req *r, struct buf *out);

/* The response body as JSON (a new reference), or NULL. */
json_t *kube_req_json(const struct kube_req *r);

/* Requests sent, by verb class, for the benchmark and the end records. */
struct kube_stats {
	unsigned long reads, mutations, retries;
};
void kube_stats(const struct kube *k, struct kube_stats *out);

/* Percent-encode s for a query value (labelSelector=...). */
void kube_query_escape(struct buf *out, const char *s);

#endif
