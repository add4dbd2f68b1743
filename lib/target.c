#include "lib/target.h"

#include <stdlib.h>
#include <string.h>

#include "lib/exitcode.h"
#include "lib/target_impl.h"
#include "lib/tool.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct target *
target_open(const char *spec, const struct target_opts *o, int *exit_code,
    struct buf *err)
{
	struct target *t = xcalloc(1, sizeof(*t));
	int r;

	t->o = *o;
	if (t->o.concurrency <= 0)
		t->o.concurrency = 16;
	if (t->o.timeout <= 0)
		t->o.timeout = 30;
	if (t->o.establish_timeout <= 0)
		t->o.establish_timeout = 60;
	if (strncmp(spec, "dir:", 4) == 0 && spec[4] != '\0') {
		t->is_dir = 1;
		r = target_dir_init(t, spec + 4, exit_code, err);
	} else if (strcmp(spec, "kube") == 0) {
		r = target_kube_init(t, exit_code, err);
	} else {
		buf_addf(err, "unknown target '%s' (kube, or dir:PATH)", spec);
		*exit_code = EXIT_USAGE;
		r = -1;
	}
	if (r < 0) {
		free(t);
		return NULL;
	}
	return t;
}

/* A prefetch done, before anything else touches the target. */
static void
settle(struct target *t)
{
	if (t->ops->settle != NULL)
		t->ops->settle(t);
}

void
target_prefetch(struct target *t)
{
	if (t->ops->prefetch != NULL)
		t->ops->prefetch(t);
}

void
target_close(struct target *t)
{
	if (t == NULL)
		return;
	settle(t);
	t->ops->close(t);
	free(t->identity);
	free(t);
}

int
target_is_dir(const struct target *t)
{
	return t->is_dir;
}

const char *
target_identity(const struct target *t)
{
	return t->identity;
}

int
target_resolve(struct target *t, const char *api_version, const char *kind,
    struct target_kind *out, int *temporary, struct buf *err)
{
	*temporary = 0;
	memset(out, 0, sizeof(*out));
	settle(t);
	return t->ops->resolve(t, api_version, kind, out, temporary, err);
}

void
target_kind_release(struct target_kind *k)
{
	free(k->group);
	free(k->version);
	free(k->kind);
	free(k->resource);
	memset(k, 0, sizeof(*k));
}

void
target_note_crd(struct target *t, const char *group, const char *kind,
    const char *scope)
{
	settle(t);
	if (t->ops->note_crd)
		t->ops->note_crd(t, group, kind, scope);
}

int
target_kinds(struct target *t, struct target_kind **kinds, size_t *n,
    struct buf *err)
{
	*kinds = NULL;
	*n = 0;
	settle(t);
	return t->ops->kinds(t, kinds, n, err);
}

int
target_refresh(struct target *t, struct buf *err)
{
	settle(t);
	return t->ops->refresh ? t->ops->refresh(t, err) : 0;
}

void
target_list(struct target *t, struct target_list_req *reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		reqs[i].items = NULL;
		reqs[i].nitems = 0;
		reqs[i].failed = 0;
		buf_init(&reqs[i].err, 0);
	}
	settle(t);
	t->ops->list(t, reqs, n);
}

void
target_apply(struct target *t, struct target_apply_req *reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		reqs[i].action = TARGET_FAILED;
		reqs[i].temporary = 0;
		buf_init(&reqs[i].err, 0);
	}
	settle(t);
	t->ops->apply(t, reqs, n);
}

void
target_delete(struct target *t, struct target_delete_req *reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		reqs[i].failed = 0;
		reqs[i].gone = 0;
		reqs[i].temporary = 0;
		buf_init(&reqs[i].err, 0);
	}
	settle(t);
	t->ops->del(t, reqs, n);
}

int
target_wait_established(struct target *t, const char *name, struct buf *err)
{
	settle(t);
	return t->ops->wait_established ?
	    t->ops->wait_established(t, name, err) : 0;
}

void
target_live_release(struct target_live *l)
{
	free(l->namespace);
	free(l->name);
	free(l->resource_version);
	free(l->checksum);
	free(l->gc_mark);
	free(l->ignore);
	memset(l, 0, sizeof(*l));
}

void
target_list_req_release(struct target_list_req *r)
{
	size_t i;

	for (i = 0; i < r->nitems; i++)
		target_live_release(&r->items[i]);
	free(r->items);
	r->items = NULL;
	r->nitems = 0;
	buf_release(&r->err);
}

int
target_flag(int ch, const char *arg, const char **spec, struct target_opts *o)
{
	switch (ch) {
	case TARGET_OPT_TARGET:
		*spec = arg;
		return 1;
	case TARGET_OPT_KUBECONFIG:
		o->kubeconfig = arg;
		return 1;
	case TARGET_OPT_CONTEXT:
		o->context = arg;
		return 1;
	case TARGET_OPT_CONCURRENCY:
		o->concurrency = (int)tool_num(arg, 1, 1024, "--concurrency");
		return 1;
	case TARGET_OPT_TIMEOUT:
		o->timeout = tool_duration(arg, "--timeout");
		return 1;
	case TARGET_OPT_ESTABLISH:
		o->establish_timeout = tool_duration(arg, "--establish-timeout");
		return 1;
	default:
		return 0;
	}
}
