/* Unit tests of lib/workload: containers, HelmRelease values, policies. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/workload.h"
#include "lib/xalloc.h"
#include "tests/unit/tap.h"

/* Parse JSON written with ' for " (test manifests read better so). */
static json_t *
load(const char *text)
{
	char *s = xstrdup(text), *p;
	json_error_t e;
	json_t *j;

	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, 0, &e);
	if (j == NULL)
		printf("# bad test JSON: %s: %s\n", e.text, s);
	free(s);
	return j;
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "(none)";
}

/* Read text; expect rc. The caller releases w. */
static int
read_text(const char *text, struct workload *w, struct buf *err)
{
	json_t *j = load(text);
	int rc;

	buf_reset(err);
	rc = workload_read(j, w, err);
	json_decref(j);
	return rc;
}

/*
 * Check container i: name, image, paths ("-" for NULL), and that the
 * image path resolves in obj to a string.
 */
static void
check_container(const json_t *obj, const struct workload *w, size_t i,
    const char *name, const char *image, const char *path, const char *tag,
    const char *reg)
{
	const struct workload_container *c;

	if (!ok(i < w->n, "container %zu (%s) exists", i, name))
		return;
	c = &w->containers[i];
	is_str(c->name, name, "container %zu is named %s", i, name);
	is_str(nz(c->image), image, "%s's image", name);
	is_str(nz(c->image_path), path, "%s's image path", name);
	is_str(nz(c->tag_path), tag, "%s's tag path", name);
	is_str(nz(c->registry_path), reg, "%s's registry path", name);
	if (obj != NULL)
		ok(json_is_string(workload_pointer_get(obj, c->image_path)),
		    "%s's image path leads to a string", name);
}

static const char pod_spec[] =
    "{'containers':[{'name':'web','image':'nginx:1.25'},"
    "{'name':'side','image':'quay.io/team/side:v2'}],"
    "'initContainers':[{'name':'init','image':'busybox'}]}";

static void
test_pod_kinds(void)
{
	static const struct {
		const char *kind, *wrap_pre, *wrap_post, *base;
		int flux_v1;
	} t[] = {
		{ "Deployment", "{'template':{'spec':", "}}",
		    "/spec/template/spec", 1 },
		{ "DaemonSet", "{'template':{'spec':", "}}",
		    "/spec/template/spec", 1 },
		{ "StatefulSet", "{'template':{'spec':", "}}",
		    "/spec/template/spec", 1 },
		{ "ReplicaSet", "{'template':{'spec':", "}}",
		    "/spec/template/spec", 0 },
		{ "Job", "{'template':{'spec':", "}}",
		    "/spec/template/spec", 0 },
		{ "CronJob", "{'jobTemplate':{'spec':{'template':{'spec':",
		    "}}}}", "/spec/jobTemplate/spec/template/spec", 1 },
		{ "Pod", "", "", "/spec", 0 },
	};
	struct workload w = WORKLOAD_INIT;
	struct buf text = BUF_INIT, err = BUF_INIT, p = BUF_INIT;
	json_t *obj;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&text);
		buf_addf(&text, "{'apiVersion':'v1','kind':'%s',"
		    "'metadata':{'name':'x'},'spec':%s%s%s}", t[i].kind,
		    t[i].wrap_pre, pod_spec, t[i].wrap_post);
		obj = load(text.s);
		is_int(workload_read(obj, &w, &err), 0, "%s is a workload",
		    t[i].kind);
		is_str(w.kind, t[i].kind, "kind %s", t[i].kind);
		is_int(w.flux_v1, t[i].flux_v1, "%s: Flux v1 kind or not",
		    t[i].kind);
		is_int(w.n, 3, "%s has 3 containers", t[i].kind);
		buf_reset(&p);
		buf_addf(&p, "%s/containers/0/image", t[i].base);
		check_container(obj, &w, 0, "web", "nginx:1.25", p.s, "(none)",
		    "(none)");
		buf_reset(&p);
		buf_addf(&p, "%s/containers/1/image", t[i].base);
		check_container(obj, &w, 1, "side", "quay.io/team/side:v2",
		    p.s, "(none)", "(none)");
		buf_reset(&p);
		buf_addf(&p, "%s/initContainers/0/image", t[i].base);
		check_container(obj, &w, 2, "init", "busybox", p.s, "(none)",
		    "(none)");
		ok(w.n == 3 && !w.containers[0].init && !w.containers[1].init &&
		    w.containers[2].init, "%s: containers, then initContainers",
		    t[i].kind);
		ok(!w.automated && !w.locked && !w.ignored,
		    "%s: no policies without annotations", t[i].kind);
		workload_release(&w);
		json_decref(obj);
	}
	buf_release(&text);
	buf_release(&err);
	buf_release(&p);
}

static void
test_not_workloads(void)
{
	static const char *const t[] = {
		"{'kind':'Service','spec':{'containers':[{'name':'a'}]}}",
		"{'kind':'ConfigMap'}",
		"{'kind':'deployment','spec':{}}",
		"{'kind':7}",
		"{'metadata':{}}",
		"[]",
	};
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		is_int(read_text(t[i], &w, &err), 1, "not a workload: %s",
		    t[i]);
		ok(w.n == 0 && w.kind == NULL && err.len == 0,
		    "and nothing is read or said");
		workload_release(&w);
	}
	buf_release(&err);
}

static void
test_empty_and_odd(void)
{
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;

	is_int(read_text("{'kind':'Deployment','metadata':{'name':'x'}}", &w,
	    &err), 0, "a Deployment without a spec is a workload");
	is_int(w.n, 0, "with no containers");
	workload_release(&w);

	is_int(read_text("{'kind':'Deployment','spec':{'template':{'spec':"
	    "{'containers':[{'name':'a'}],'initContainers':null}}}}", &w,
	    &err), 0, "a container without an image");
	ok(w.n == 1 && w.containers[0].image == NULL,
	    "has a NULL image");
	workload_release(&w);

	is_int(read_text("{'kind':'HelmRelease','spec':{'chart':{}}}", &w,
	    &err), 0, "a HelmRelease without values");
	is_int(w.n, 0, "has no containers");
	workload_release(&w);

	is_int(read_text("{'kind':'Pod','metadata':{'annotations':null},"
	    "'spec':{'containers':[]}}", &w, &err), 0,
	    "null annotations and an empty list");
	is_int(w.n, 0, "no containers");
	workload_release(&w);

	is_int(read_text("{'kind':'Pod','metadata':{'annotations':"
	    "{'other.io/x':5}},'spec':{}}", &w, &err), 0,
	    "an annotation that is none of ours need not be a string");
	workload_release(&w);
	buf_release(&err);
}

static void
test_malformed(void)
{
	static const struct {
		const char *text, *why;
	} t[] = {
		{ "{'kind':'Deployment','spec':{'template':{'spec':"
		    "{'containers':{}}}}}",
		    "/spec/template/spec/containers is not a list" },
		{ "{'kind':'Deployment','spec':{'template':{'spec':"
		    "{'containers':[{'image':'x'}]}}}}",
		    "/spec/template/spec/containers/0 has no name" },
		{ "{'kind':'Pod','spec':{'containers':['nginx']}}",
		    "/spec/containers/0 has no name" },
		{ "{'kind':'Pod','spec':{'initContainers':"
		    "[{'name':'a','image':1}]}}",
		    "/spec/initContainers/0/image is not a string" },
		{ "{'kind':'Deployment','spec':{'template':[]}}",
		    "/spec/template is not a map" },
		{ "{'kind':'CronJob','spec':{'jobTemplate':{'spec':3}}}",
		    "/spec/jobTemplate/spec is not a map" },
		{ "{'kind':'Pod','metadata':{'annotations':[]}}",
		    "/metadata/annotations is not a map" },
		{ "{'kind':'Pod','metadata':{'annotations':"
		    "{'fluxcd.io/automated':true}}}",
		    "annotation 'fluxcd.io/automated' is not a string" },
		{ "{'kind':'HelmRelease','metadata':{'annotations':"
		    "{'repository.fluxcd.io/app':1}}}",
		    "annotation 'repository.fluxcd.io/app' is not a string" },
		{ "{'kind':'HelmRelease','spec':{'values':'image: x'}}",
		    "/spec/values is not a map" },
		{ "{'kind':'HelmRelease','spec':[]}", "/spec is not a map" },
	};
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		is_int(read_text(t[i].text, &w, &err), -1, "malformed %zu", i);
		is_str(err.s, t[i].why, "says why (%zu)", i);
		ok(w.n == 0 && w.kind == NULL && w.containers == NULL,
		    "and leaves nothing behind (%zu)", i);
		workload_release(&w);
	}
	buf_release(&err);
}

static json_t *
helmrelease(const char *api, const char *kind, const char *annotations,
    const char *values)
{
	struct buf b = BUF_INIT;
	json_t *j;

	buf_addf(&b, "{'apiVersion':'%s','kind':'%s','metadata':{'name':'r',"
	    "'annotations':%s},'spec':{'chart':{'name':'c'},'values':%s}}",
	    api, kind, annotations, values);
	j = load(b.s);
	buf_release(&b);
	return j;
}

static void
test_helm_layouts(void)
{
	static const char *const apis[][2] = {
		{ "helm.fluxcd.io/v1", "HelmRelease" },
		{ "flux.weave.works/v1beta1", "HelmRelease" },
		{ "flux.weave.works/v1alpha2", "FluxHelmRelease" },
	};
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;
	json_t *obj;
	size_t i;

	for (i = 0; i < 3; i++) {
		obj = helmrelease(apis[i][0], apis[i][1], "{}",
		    "{'image':'repo/app:1.0'}");
		is_int(workload_read(obj, &w, &err), 0, "%s %s is a workload",
		    apis[i][0], apis[i][1]);
		ok(w.flux_v1, "and a Flux v1 one");
		is_int(w.n, 1, "one container");
		check_container(obj, &w, 0, "chart-image", "repo/app:1.0",
		    "/spec/values/image", "(none)", "(none)");
		workload_release(&w);
		json_decref(obj);
	}

	/* image + tag */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease", "{}",
	    "{'image':'repo/app','tag':'1.0'}");
	is_int(workload_read(obj, &w, &err), 0, "image and tag siblings");
	check_container(obj, &w, 0, "chart-image", "repo/app:1.0",
	    "/spec/values/image", "/spec/values/tag", "(none)");
	workload_release(&w);
	json_decref(obj);

	/* image + tag + registry */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease", "{}",
	    "{'registry':'reg.io:5000','image':'repo/app','tag':'1.0'}");
	is_int(workload_read(obj, &w, &err), 0, "image, tag, registry");
	check_container(obj, &w, 0, "chart-image", "reg.io:5000/repo/app:1.0",
	    "/spec/values/image", "/spec/values/tag", "/spec/values/registry");
	workload_release(&w);
	json_decref(obj);

	/* image + registry, tag in the image; registry replaces a host */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease", "{}",
	    "{'registry':'gcr.io','image':'quay.io/repo/app:2'}");
	is_int(workload_read(obj, &w, &err), 0, "image and registry");
	check_container(obj, &w, 0, "chart-image", "gcr.io/repo/app:2",
	    "/spec/values/image", "(none)", "/spec/values/registry");
	workload_release(&w);
	json_decref(obj);

	/* an empty registry means Docker Hub, an empty tag no tag */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease", "{}",
	    "{'registry':'','image':'quay.io/repo/app:2','tag':''}");
	is_int(workload_read(obj, &w, &err), 0, "empty registry and tag");
	check_container(obj, &w, 0, "chart-image", "repo/app",
	    "/spec/values/image", "/spec/values/tag", "/spec/values/registry");
	workload_release(&w);
	json_decref(obj);

	/* a tag that is not a string does not count */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease", "{}",
	    "{'image':'repo/app:3','tag':1.5}");
	is_int(workload_read(obj, &w, &err), 0, "a number tag");
	check_container(obj, &w, 0, "chart-image", "repo/app:3",
	    "/spec/values/image", "(none)", "(none)");
	workload_release(&w);
	json_decref(obj);

	/* {repository, tag, registry} */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease", "{}",
	    "{'image':{'registry':'ghcr.io','repository':'org/app',"
	    "'tag':'v1.2.3','pullPolicy':'IfNotPresent'}}");
	is_int(workload_read(obj, &w, &err), 0, "an image map");
	check_container(obj, &w, 0, "chart-image", "ghcr.io/org/app:v1.2.3",
	    "/spec/values/image/repository", "/spec/values/image/tag",
	    "/spec/values/image/registry");
	workload_release(&w);
	json_decref(obj);

	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease", "{}",
	    "{'image':{'repository':'bitnami/redis'}}");
	is_int(workload_read(obj, &w, &err), 0, "an image map, repo only");
	check_container(obj, &w, 0, "chart-image", "bitnami/redis",
	    "/spec/values/image/repository", "(none)", "(none)");
	workload_release(&w);
	json_decref(obj);

	/* nested one level, named by key; sorted after chart-image */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease", "{}",
	    "{'zeta':{'image':'z:1'},"
	    "'alpha':{'image':{'repository':'postgres','tag':'13'}},"
	    "'image':'top:1',"
	    "'mid':{'image':'m','tag':'2','registry':'r.io'},"
	    "'deep':{'inner':{'image':'no:1'}},"
	    "'bad':{'image':'Upper:1'},"
	    "'noimage':{'repository':'x'},"
	    "'a/b':{'image':'slash:1'},"
	    "'list':[{'image':'no:2'}]}");
	is_int(workload_read(obj, &w, &err), 0, "nested containers");
	is_int(w.n, 5, "five of them");
	check_container(obj, &w, 0, "chart-image", "top:1",
	    "/spec/values/image", "(none)", "(none)");
	check_container(obj, &w, 1, "a/b", "slash:1",
	    "/spec/values/a~1b/image", "(none)", "(none)");
	check_container(obj, &w, 2, "alpha", "postgres:13",
	    "/spec/values/alpha/image/repository",
	    "/spec/values/alpha/image/tag", "(none)");
	check_container(obj, &w, 3, "mid", "r.io/m:2",
	    "/spec/values/mid/image", "/spec/values/mid/tag",
	    "/spec/values/mid/registry");
	check_container(obj, &w, 4, "zeta", "z:1", "/spec/values/zeta/image",
	    "(none)", "(none)");
	ok(workload_container_get(&w, "deep") == NULL &&
	    workload_container_get(&w, "inner") == NULL,
	    "two levels down is not looked at");
	ok(workload_container_get(&w, "bad") == NULL,
	    "an image that does not parse is no container");
	ok(workload_container_get(&w, "alpha") == &w.containers[2],
	    "workload_container_get finds by name");
	workload_release(&w);
	json_decref(obj);

	/* a values key named chart-image overrides the top-level image */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease", "{}",
	    "{'image':'top:1','chart-image':{'image':'other:2'}}");
	is_int(workload_read(obj, &w, &err), 0, "a key named chart-image");
	is_int(w.n, 1, "one container");
	check_container(obj, &w, 0, "chart-image", "other:2",
	    "/spec/values/chart-image/image", "(none)", "(none)");
	workload_release(&w);
	json_decref(obj);
	buf_release(&err);
}

static void
test_helm_mappings(void)
{
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;
	json_t *obj;
	const char *values =
	    "{'image':'top:1',"
	    "'app':{'image':'auto:1'},"
	    "'images':{'main':{'repo':'org/main','tag':'1.0',"
	    "'reg':'quay.io','full':'org/full:7'}},"
	    "'tagonly':'5'}";

	/* repository only */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease",
	    "{'repository.fluxcd.io/full':'images.main.full'}", values);
	is_int(workload_read(obj, &w, &err), 0, "mapping: repository only");
	check_container(obj, &w, 2, "full", "org/full:7",
	    "/spec/values/images/main/full", "(none)", "(none)");
	workload_release(&w);
	json_decref(obj);

	/* repository + tag */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease",
	    "{'repository.fluxcd.io/main':'images.main.repo',"
	    "'tag.fluxcd.io/main':'images.main.tag'}", values);
	is_int(workload_read(obj, &w, &err), 0, "mapping: repository, tag");
	check_container(obj, &w, 2, "main", "org/main:1.0",
	    "/spec/values/images/main/repo", "/spec/values/images/main/tag",
	    "(none)");
	workload_release(&w);
	json_decref(obj);

	/* registry + repository */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease",
	    "{'repository.fluxcd.io/main':'images.main.full',"
	    "'registry.fluxcd.io/main':'images.main.reg'}", values);
	is_int(workload_read(obj, &w, &err), 0, "mapping: registry, repo");
	check_container(obj, &w, 2, "main", "quay.io/org/full:7",
	    "/spec/values/images/main/full", "(none)",
	    "/spec/values/images/main/reg");
	workload_release(&w);
	json_decref(obj);

	/* all three, under an alias that overrides an auto-detected one */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease",
	    "{'repository.fluxcd.io/app':'images.main.repo',"
	    "'registry.fluxcd.io/app':'images.main.reg',"
	    "'tag.fluxcd.io/app':'images.main.tag',"
	    "'fluxcd.io/tag.app':'semver:~1.0'}", values);
	is_int(workload_read(obj, &w, &err), 0, "mapping: all three");
	is_int(w.n, 2, "the mapping replaced the auto-detected app");
	check_container(obj, &w, 0, "chart-image", "top:1",
	    "/spec/values/image", "(none)", "(none)");
	check_container(obj, &w, 1, "app", "quay.io/org/main:1.0",
	    "/spec/values/images/main/repo", "/spec/values/images/main/tag",
	    "/spec/values/images/main/reg");
	is_str(workload_tag_filter(&w, "app"), "semver:~1.0",
	    "the alias carries a tag filter");
	workload_release(&w);
	json_decref(obj);

	/* mappings that come to nothing */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease",
	    "{'tag.fluxcd.io/t':'tagonly',"
	    "'registry.fluxcd.io/r':'images.main.reg',"
	    "'repository.fluxcd.io/missing':'images.nope.repo',"
	    "'repository.fluxcd.io/notstr':'images.main',"
	    "'repository.fluxcd.io/m2':'images.main.repo',"
	    "'tag.fluxcd.io/m2':'images.main.nope',"
	    "'repository.fluxcd.io/empty':'',"
	    "'repository.fluxcd.io/through':'tagonly.x'}", values);
	is_int(workload_read(obj, &w, &err), 0, "mappings to nothing");
	is_int(w.n, 2, "only the auto-detected containers");
	ok(workload_container_get(&w, "t") == NULL &&
	    workload_container_get(&w, "r") == NULL &&
	    workload_container_get(&w, "missing") == NULL &&
	    workload_container_get(&w, "notstr") == NULL &&
	    workload_container_get(&w, "m2") == NULL &&
	    workload_container_get(&w, "empty") == NULL &&
	    workload_container_get(&w, "through") == NULL,
	    "no tag-only, registry-only, missing, non-string or empty paths");
	workload_release(&w);
	json_decref(obj);

	/* a mapping without any auto-detectable image */
	obj = helmrelease("helm.fluxcd.io/v1", "HelmRelease",
	    "{'repository.fluxcd.io/x':'a.b'}",
	    "{'a':{'b':'localhost:5000/only:1'}}");
	is_int(workload_read(obj, &w, &err), 0, "mapping alone");
	is_int(w.n, 1, "one container");
	check_container(obj, &w, 0, "x", "localhost:5000/only:1",
	    "/spec/values/a/b", "(none)", "(none)");
	workload_release(&w);
	json_decref(obj);
	buf_release(&err);
}

static void
test_policies(void)
{
	static const struct {
		const char *ann;
		int automated, locked, ignored;
	} t[] = {
		{ "{'fluxcd.io/automated':'true'}", 1, 0, 0 },
		{ "{'flux.weave.works/automated':'true'}", 1, 0, 0 },
		{ "{'fluxcd.io/automated':'false'}", 0, 0, 0 },
		{ "{'fluxcd.io/automated':'True'}", 0, 0, 0 },
		{ "{'fluxcd.io/automated':''}", 0, 0, 0 },
		{ "{'fluxcd.io/locked':'true','fluxcd.io/locked_msg':'x'}",
		    0, 1, 0 },
		{ "{'flux.weave.works/locked':'true'}", 0, 1, 0 },
		{ "{'fluxcd.io/locked':'yes'}", 0, 0, 0 },
		{ "{'fluxcd.io/ignore':'true'}", 0, 0, 1 },
		{ "{'flux.weave.works/ignore':'true'}", 0, 0, 1 },
		{ "{'fluxcd.io/ignore':'sync_only'}", 0, 0, 0 },
		{ "{'fluxcd.io/ignore':'false'}", 0, 0, 0 },
		{ "{'automated':'true','other.io/locked':'true'}", 0, 0, 0 },
		{ "{'filter.fluxcd.io/automated':'true'}", 0, 0, 0 },
		/* fluxcd.io/ wins over the legacy prefix */
		{ "{'fluxcd.io/automated':'false',"
		    "'flux.weave.works/automated':'true'}", 0, 0, 0 },
		{ "{'fluxcd.io/automated':'true',"
		    "'flux.weave.works/automated':'false'}", 1, 0, 0 },
		{ "{'fluxcd.io/automated':'true','fluxcd.io/locked':'true',"
		    "'fluxcd.io/ignore':'true'}", 1, 1, 1 },
	};
	struct workload w = WORKLOAD_INIT;
	struct buf text = BUF_INIT, err = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&text);
		buf_addf(&text, "{'kind':'Deployment','metadata':"
		    "{'annotations':%s}}", t[i].ann);
		is_int(read_text(text.s, &w, &err), 0, "reads %s", t[i].ann);
		ok(w.automated == t[i].automated && w.locked == t[i].locked &&
		    w.ignored == t[i].ignored,
		    "automated %d locked %d ignored %d", w.automated,
		    w.locked, w.ignored);
		workload_release(&w);
	}

	/* tag filters under every prefix, and which one wins */
	is_int(read_text("{'kind':'Deployment','metadata':{'annotations':{"
	    "'fluxcd.io/tag.a':'semver:~1',"
	    "'flux.weave.works/tag.b':'glob:2.*',"
	    "'filter.fluxcd.io/c':'regexp:^v3',"
	    "'fluxcd.io/tag.d':'glob:d1','flux.weave.works/tag.d':'glob:d2',"
	    "'filter.fluxcd.io/d':'glob:d3',"
	    "'flux.weave.works/tag.e':'glob:e2','filter.fluxcd.io/e':'glob:e3',"
	    "'fluxcd.io/tag.f':'1.*'}}}", &w, &err), 0, "tag filters");
	is_str(workload_tag_filter(&w, "a"), "semver:~1", "fluxcd.io/tag.a");
	is_str(workload_tag_filter(&w, "b"), "glob:2.*",
	    "flux.weave.works/tag.b");
	is_str(workload_tag_filter(&w, "c"), "regexp:^v3",
	    "filter.fluxcd.io/c");
	is_str(workload_tag_filter(&w, "d"), "glob:d1",
	    "fluxcd.io/ wins over both others");
	is_str(workload_tag_filter(&w, "e"), "glob:e2",
	    "flux.weave.works/ wins over filter.fluxcd.io/");
	is_str(workload_tag_filter(&w, "f"), "1.*", "kept as written");
	is_str(workload_tag_filter(&w, "web"), "glob:*", "the default");
	ok(!w.automated && !w.locked && !w.ignored, "no boolean policies");
	workload_release(&w);

	/* a HelmRelease reads policies too */
	is_int(read_text("{'kind':'HelmRelease','metadata':{'annotations':{"
	    "'fluxcd.io/automated':'true','filter.fluxcd.io/chart-image':"
	    "'semver:>=2'}},'spec':{'values':{'image':'a:1'}}}", &w, &err), 0,
	    "HelmRelease policies");
	ok(w.automated, "automated");
	is_str(workload_tag_filter(&w, "chart-image"), "semver:>=2",
	    "chart-image filter");
	workload_release(&w);

	buf_release(&text);
	buf_release(&err);
}

static void
test_pointer(void)
{
	json_t *j = load("{'a':{'b/c':[10,{'d~e':'x'}],'':'empty'},"
	    "'0':'zero'}");

	ok(workload_pointer_get(j, "") == j, "'' is the root");
	is_str(json_string_value(workload_pointer_get(j, "/a/b~1c/1/d~0e")),
	    "x", "escapes and an index");
	is_int(json_integer_value(workload_pointer_get(j, "/a/b~1c/0")), 10,
	    "index 0");
	is_str(json_string_value(workload_pointer_get(j, "/a/")), "empty",
	    "an empty key");
	is_str(json_string_value(workload_pointer_get(j, "/0")), "zero",
	    "a number is a key in an object");
	ok(workload_pointer_get(j, "/a/b~1c/2") == NULL, "past the end");
	ok(workload_pointer_get(j, "/a/b~1c/01") == NULL, "leading zero");
	ok(workload_pointer_get(j, "/a/b~1c/-1") == NULL, "negative");
	ok(workload_pointer_get(j, "/a/b~1c/x") == NULL, "not a number");
	ok(workload_pointer_get(j, "a") == NULL, "no leading slash");
	ok(workload_pointer_get(j, "/nope/x") == NULL, "missing key");
	ok(workload_pointer_get(j, "/0/x") == NULL, "into a string");
	json_decref(j);
}

int
main(void)
{
	test_pod_kinds();
	test_not_workloads();
	test_empty_and_odd();
	test_malformed();
	test_helm_layouts();
	test_helm_mappings();
	test_policies();
	test_pointer();
	return tap_done();
}
