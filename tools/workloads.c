/*
 * workloads: what fluxctl's list-workloads and list-images showed, read
 * from Git rather than from a daemon: the workloads manifest-gen found,
 * their containers, images and policies, and (after img-scan) the tags
 * each container could move to.
 *
 *	workloads list   [-n NS] [-c CONTAINER] [--no-headers] [-o tab|json]
 *	workloads images [-w ID] [-l N] [--no-headers] [-o tab|json]
 *
 * In: NDJSON ("object" records, and "image" records for images). Out: a
 * table (or a JSON array) on standard output, once the input ends; the
 * records themselves are not passed on: this is the end of a pipeline.
 *
 * Unlike fluxctl, whose default namespace came from the kubeconfig, every
 * namespace is listed unless -n names one: Git has no current context.
 *
 * Exit: 0; 64 usage; 65 bad input.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/imgref.h"
#include "lib/jsonw.h"
#include "lib/num.h"
#include "lib/policy.h"
#include "lib/rec.h"
#include "lib/strmap.h"
#include "lib/tool.h"
#include "lib/workload.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static const char usage_line[] =
    "usage: workloads list [-n NS] [-c CONTAINER] [--no-headers] [-o tab|json]\n"
    "       workloads images [-w ID] [-l N] [--no-headers] [-o tab|json]";

static const char help_text[] =
    "usage: workloads list|images [options] <records\n"
    "\n"
    "Lists the workloads in manifest-gen's object records (list), or the\n"
    "tags of their images in img-scan's image records, newest first by\n"
    "each container's tag filter, the one in Git marked '-> (images).\n"
    "\n"
    "  -n, --namespace NS      only this namespace (list; default: all)\n"
    "  -a, --all-namespaces    every namespace (the default)\n"
    "  -c, --container NAME    only workloads with this container (list)\n"
    "  -w, --workload ID       only this workload (images)\n"
    "  -l, --limit N           tags per container (images; 10, 0: all)\n"
    "  --no-headers            no header line\n"
    "  -o, --output tab|json   a table, or a JSON array\n";

enum { OPT_NO_HEADERS = 256, OPT_VERSION };

static const struct option long_options[] = {
	{ "namespace", required_argument, NULL, 'n' },
	{ "all-namespaces", no_argument, NULL, 'a' },
	{ "container", required_argument, NULL, 'c' },
	{ "workload", required_argument, NULL, 'w' },
	{ "limit", required_argument, NULL, 'l' },
	{ "no-headers", no_argument, NULL, OPT_NO_HEADERS },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct options {
	int images;		/* the images command */
	const char *ns, *container, *workload;
	long limit;
	int headers, json;
};

struct found {
	char *id, *source;
	json_t *object;
};

struct run {
	const struct options *o;
	struct found *w;
	size_t nw;
	struct strmap images;	/* source "\n" name -> json tags */
};

/* ---- list ---- */

static void
policies(const struct workload *w, struct buf *out)
{
	if (w->automated)
		buf_adds(out, "automated");
	if (w->locked)
		buf_addf(out, "%slocked", out->len ? "," : "");
	if (w->ignored)
		buf_addf(out, "%signore", out->len ? "," : "");
}

static void
list_json(const struct run *r)
{
	struct workload w = WORKLOAD_INIT;
	struct buf b = BUF_INIT, err = BUF_INIT;
	struct jsonw j;
	size_t i, k;

	jsonw_init(&j, &b);
	jsonw_open_array(&j);
	for (i = 0; i < r->nw; i++) {
		if (workload_read(r->w[i].object, &w, &err) != 0)
			goto next;
		if (r->o->container != NULL &&
		    workload_container_get(&w, r->o->container) == NULL)
			goto next;
		jsonw_open(&j);
		jsonw_kstr(&j, "id", r->w[i].id);
		jsonw_kstr(&j, "source", r->w[i].source);
		jsonw_kstr(&j, "kind", w.kind);
		jsonw_key(&j, "containers");
		jsonw_open_array(&j);
		for (k = 0; k < w.n; k++) {
			jsonw_open(&j);
			jsonw_kstr(&j, "name", w.containers[k].name);
			jsonw_kstr(&j, "image", w.containers[k].image);
			jsonw_kbool(&j, "init", w.containers[k].init);
			jsonw_kstr(&j, "filter", workload_tag_filter(&w,
			    w.containers[k].name));
			jsonw_close(&j);
		}
		jsonw_close_array(&j);
		jsonw_key(&j, "policies");
		jsonw_open(&j);
		jsonw_kbool(&j, "automated", w.automated);
		jsonw_kbool(&j, "locked", w.locked);
		jsonw_kbool(&j, "ignore", w.ignored);
		jsonw_close(&j);
		jsonw_close(&j);
next:
		workload_release(&w);
		buf_reset(&err);
	}
	jsonw_close_array(&j);
	printf("%s\n", b.s);
	buf_release(&b);
	buf_release(&err);
}

static void
list_tab(const struct run *r)
{
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT, pol = BUF_INIT;
	int wid = (int)strlen("WORKLOAD"), cwid = (int)strlen("CONTAINER");
	int iwid = (int)strlen("IMAGE");
	size_t i, k, pass;

	/* twice: the widths, then the rows */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && r->o->headers)
			printf("%-*s  %-*s  %-*s  %s\n", wid, "WORKLOAD", cwid,
			    "CONTAINER", iwid, "IMAGE", "POLICY");
		for (i = 0; i < r->nw; i++) {
			if (workload_read(r->w[i].object, &w, &err) != 0 ||
			    (r->o->container != NULL &&
			    workload_container_get(&w, r->o->container) ==
			    NULL))
				goto next;
			buf_reset(&pol);
			policies(&w, &pol);
			if ((int)strlen(r->w[i].id) > wid)
				wid = (int)strlen(r->w[i].id);
			for (k = 0; k < w.n; k++) {
				const char *img = w.containers[k].image ?
				    w.containers[k].image : "";

				if ((int)strlen(w.containers[k].name) > cwid)
					cwid = (int)strlen(w.containers[k].name);
				if ((int)strlen(img) > iwid)
					iwid = (int)strlen(img);
				if (pass == 1)
					printf("%-*s  %-*s  %-*s  %s\n", wid,
					    k ? "" : r->w[i].id, cwid,
					    w.containers[k].name, iwid, img,
					    k ? "" : pol.s);
			}
			if (pass == 1 && w.n == 0)
				printf("%-*s  %-*s  %-*s  %s\n", wid,
				    r->w[i].id, cwid, "", iwid, "", pol.s);
next:
			workload_release(&w);
			buf_reset(&err);
		}
	}
	buf_release(&err);
	buf_release(&pol);
}

/* ---- images ---- */

/* The tags of container c's repository that its filter lets through,
 * newest first; *cur the index of the one in Git, or -1. */
static size_t
sorted_tags(const struct run *r, const struct found *f,
    const struct workload *w, const struct workload_container *c,
    const json_t **tags, size_t **order, long *cur, struct buf *name)
{
	struct imgref ref = IMGREF_INIT;
	struct policy p = POLICY_INIT;
	struct buf err = BUF_INIT, key = BUF_INIT;
	const char **t = NULL;
	long long *created = NULL;
	const json_t *v;
	size_t i, n = 0;

	*tags = NULL;
	*order = NULL;
	*cur = -1;
	if (c->image == NULL || imgref_parse(c->image, &ref, &err) < 0)
		goto out;
	imgref_canonical_name(&ref, name);
	buf_addf(&key, "%s\n%s", f->source, name->s);
	if ((*tags = strmap_get(&r->images, key.s)) == NULL ||
	    policy_parse(workload_tag_filter(w, c->name), &p, &err) < 0)
		goto out;
	n = json_array_size(*tags);
	t = xcalloc(n + 1, sizeof(*t));
	created = xcalloc(n + 1, sizeof(*created));
	*order = xcalloc(n + 1, sizeof(**order));
	json_array_foreach(*tags, i, v) {
		const char *s = json_string_value(json_object_get(v,
		    "created"));

		t[i] = json_string_value(json_object_get(v, "tag"));
		if (t[i] == NULL)
			t[i] = "";
		if (s == NULL || num_parse_rfc3339(s, &created[i]) < 0)
			created[i] = 0;
		if (ref.tag != NULL && strcmp(t[i], ref.tag) == 0)
			*cur = (long)i;
	}
	n = policy_sort(&p, t, created, n, *order);
out:
	free(t);
	free(created);
	policy_release(&p);
	imgref_release(&ref);
	buf_release(&err);
	buf_release(&key);
	return n;
}

static void
images(const struct run *r)
{
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT, name = BUF_INIT, out = BUF_INIT;
	struct jsonw j;
	const json_t *tags, *tv;
	size_t *order, i, k, m, n, shown;
	long cur;
	int wid = (int)strlen("WORKLOAD"), cwid = (int)strlen("CONTAINER");

	for (i = 0; i < r->nw; i++)
		if ((int)strlen(r->w[i].id) > wid)
			wid = (int)strlen(r->w[i].id);
	jsonw_init(&j, &out);
	if (r->o->json)
		jsonw_open_array(&j);
	else if (r->o->headers)
		printf("%-*s  %-*s  %s\n", wid, "WORKLOAD", cwid, "CONTAINER",
		    "IMAGE  CREATED");
	for (i = 0; i < r->nw; i++) {
		if ((r->o->workload != NULL && strcmp(r->o->workload,
		    r->w[i].id) != 0) ||
		    workload_read(r->w[i].object, &w, &err) != 0)
			goto next;
		for (k = 0; k < w.n; k++) {
			buf_reset(&name);
			n = sorted_tags(r, &r->w[i], &w, &w.containers[k],
			    &tags, &order, &cur, &name);
			if (r->o->json) {
				jsonw_open(&j);
				jsonw_kstr(&j, "workload", r->w[i].id);
				jsonw_kstr(&j, "container",
				    w.containers[k].name);
				jsonw_kstr(&j, "image", name.s);
				jsonw_kstr(&j, "current",
				    w.containers[k].image);
				jsonw_key(&j, "tags");
				jsonw_open_array(&j);
			} else {
				printf("%-*s  %-*s  %s\n", wid, k ? "" :
				    r->w[i].id, cwid, w.containers[k].name,
				    name.len ? name.s : "(no image)");
			}
			for (m = shown = 0; m < n; m++) {
				if (r->o->limit > 0 && shown >=
				    (size_t)r->o->limit &&
				    (long)order[m] != cur)
					continue;
				shown++;
				tv = json_array_get(tags, order[m]);
				if (r->o->json) {
					jsonw_open(&j);
					jsonw_kstr(&j, "tag", json_string_value(
					    json_object_get(tv, "tag")));
					jsonw_kstr(&j, "created",
					    json_string_value(json_object_get(
					    tv, "created")));
					jsonw_kbool(&j, "current",
					    (long)order[m] == cur);
					jsonw_close(&j);
					continue;
				}
				printf("%-*s  %-*s  %s %s  %s\n", wid, "", cwid,
				    "", (long)order[m] == cur ? "'->" : "   ",
				    json_string_value(json_object_get(tv,
				    "tag")), json_string_value(json_object_get(
				    tv, "created")) ? json_string_value(
				    json_object_get(tv, "created")) : "");
			}
			if (r->o->json) {
				jsonw_close_array(&j);
				jsonw_close(&j);
			}
			free(order);
		}
next:
		workload_release(&w);
		buf_reset(&err);
	}
	if (r->o->json) {
		jsonw_close_array(&j);
		printf("%s\n", out.s);
	}
	buf_release(&err);
	buf_release(&name);
	buf_release(&out);
}

/* ---- input ---- */

static void
take_object(struct run *r, const json_t *j)
{
	const char *id = json_string_value(json_object_get(j, "id"));
	const char *source = json_string_value(json_object_get(j, "source"));
	const json_t *object = json_object_get(j, "object");
	const char *ns = json_string_value(json_object_get(json_object_get(
	    object, "metadata"), "namespace"));
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;

	if (id == NULL || source == NULL ||
	    workload_read(object, &w, &err) != 0 ||
	    (r->o->ns != NULL && (ns == NULL || strcmp(ns, r->o->ns) != 0)))
		goto out;
	r->w = xreallocarray(r->w, r->nw + 1, sizeof(*r->w));
	r->w[r->nw].id = xstrdup(id);
	r->w[r->nw].source = xstrdup(source);
	r->w[r->nw++].object = json_incref((json_t *)object);
out:
	workload_release(&w);
	buf_release(&err);
}

static void
take_image(struct run *r, const json_t *j)
{
	const char *source = json_string_value(json_object_get(j, "source"));
	const char *name = json_string_value(json_object_get(j, "name"));
	json_t *tags = json_object_get(j, "tags");
	struct buf key = BUF_INIT;
	void *old = NULL;

	if (source == NULL || name == NULL || !json_is_array(tags))
		return;
	buf_addf(&key, "%s\n%s", source, name);
	strmap_put(&r->images, key.s, json_incref(tags), &old);
	json_decref(old);
	buf_release(&key);
}

static void
decref(void *p)
{
	json_decref(p);
}

static int
cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	int c = strcmp(x->source, y->source);

	return c ? c : strcmp(x->id, y->id);
}

int
main(int argc, char *argv[])
{
	struct rec_reader in = REC_READER_INIT;
	struct options o = { 0, NULL, NULL, NULL, 10, 1, 0 };
	struct run r;
	struct rec rec;
	json_t *j;
	int ch, n;
	size_t i;

	tool_init("workloads");
	if (argc > 1 && strcmp(argv[1], "images") == 0)
		o.images = 1;
	else if (argc < 2 || strcmp(argv[1], "list") != 0) {
		if (argc > 1 && strcmp(argv[1], "--help") == 0)
			tool_help(help_text);
		tool_usage(usage_line);
	}
	optind = 2;
	while ((ch = getopt_long(argc, argv, "hn:ac:w:l:o:", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'n': o.ns = optarg; break;
		case 'a': o.ns = NULL; break;
		case 'c': o.container = optarg; break;
		case 'w': o.workload = optarg; break;
		case 'l': o.limit = tool_num(optarg, 0, 1000000, "--limit");
			break;
		case OPT_NO_HEADERS: o.headers = 0; break;
		case 'o':
			if (strcmp(optarg, "json") == 0)
				o.json = 1;
			else if (strcmp(optarg, "tab") != 0)
				tool_usage(usage_line);
			break;
		case 'h': tool_help(help_text);
		case OPT_VERSION: tool_help("workloads " SLUICE_VERSION "\n");
		default: tool_usage(usage_line);
		}
	}
	if (optind != argc)
		tool_usage(usage_line);

	memset(&r, 0, sizeof(r));
	r.o = &o;
	while ((n = rec_next(&in, &rec)) > 0) {
		if (!rec_is(&rec, "object") && !rec_is(&rec, "image"))
			continue;
		if ((j = rec_parse(&rec)) == NULL)
			tool_stream_broken(&in);
		if (rec_is(&rec, "object"))
			take_object(&r, j);
		else
			take_image(&r, j);
		json_decref(j);
	}
	if (n < 0)
		tool_stream_broken(&in);
	if (r.nw > 0)
		qsort(r.w, r.nw, sizeof(*r.w), cmp_found);
	if (o.images)
		images(&r);
	else if (o.json)
		list_json(&r);
	else
		list_tab(&r);
	tool_check_output();

	for (i = 0; i < r.nw; i++) {
		free(r.w[i].id);
		free(r.w[i].source);
		json_decref(r.w[i].object);
	}
	free(r.w);
	strmap_release(&r.images, decref);
	rec_reader_release(&in);
	return 0;
}
