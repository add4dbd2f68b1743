/*
 * Unit tests of lib/target_dir, through lib/target.h only: the dir:PATH
 * target that kube-apply and gc drive when there is no cluster.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsx.h"
#include "lib/target.h"
#include "tests/unit/tap.h"

static char tmp[] = "/tmp/target_dir_test.XXXXXX";
static struct buf root = BUF_INIT;	/* tmp/out/sub: made by target_open */
static struct buf text = BUF_INIT;	/* what the helpers return */

static const char *
at(const char *rel)
{
	static struct buf p = BUF_INIT;

	buf_reset(&p);
	buf_addf(&p, "%s/%s", root.s, rel);
	return p.s;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static const char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char chunk[4096];
	size_t n;

	buf_reset(&text);
	if (fp == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(&text, chunk, n);
	fclose(fp);
	return text.s;
}

static void
spew(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(s, fp) < 0 || fclose(fp) != 0)
		printf("# cannot write %s\n", path);
}

static void
resolve(struct target *t, const char *av, const char *kind,
    struct target_kind *k)
{
	struct buf err = BUF_INIT;
	int temporary;

	if (target_resolve(t, av, kind, k, &temporary, &err) < 0)
		printf("# resolve %s %s: %s\n", av, kind, err.s);
	buf_release(&err);
}

/* Apply one object: its action; "# err" shown when it failed. */
static enum target_action
apply(struct target *t, const struct target_kind *k, const char *ns,
    const char *name, const char *body, int dry_run, struct buf *err)
{
	struct target_apply_req r;
	enum target_action a;

	memset(&r, 0, sizeof(r));
	r.kind = k;
	r.namespace = ns;
	r.name = name;
	r.body = body;
	r.len = strlen(body);
	r.dry_run = dry_run;
	target_apply(t, &r, 1);
	a = r.action;
	if (err) {
		buf_reset(err);
		buf_add(err, r.err.s, r.err.len);
	}
	buf_release(&r.err);
	return a;
}

/*
 * List: "ns/name[ mark=..][ sum=..][ ignore=..][ owned]" joined by ", "
 * (only "ns/name" if !full), or "FAILED: err". name: only that object.
 */
static const char *
list_fmt(struct target *t, const struct target_kind *k, const char *ns,
    const char *selector, const char *name, int full)
{
	struct target_list_req r;
	struct target_live *l;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.kind = k;
	r.namespace = ns;
	r.selector = selector;
	r.name = name;
	target_list(t, &r, 1);
	buf_reset(&text);
	if (r.failed) {
		buf_addf(&text, "FAILED: %s", r.err.s);
		if (r.nitems)
			buf_adds(&text, " (with items)");
	}
	for (i = 0; !r.failed && i < r.nitems; i++) {
		l = &r.items[i];
		buf_addf(&text, "%s%s/%s", i ? ", " : "", l->namespace,
		    l->name);
		if (!full)
			continue;
		if (l->gc_mark)
			buf_addf(&text, " mark=%s", l->gc_mark);
		if (l->checksum)
			buf_addf(&text, " sum=%s", l->checksum);
		if (l->ignore)
			buf_addf(&text, " ignore=%s", l->ignore);
		if (l->owned)
			buf_adds(&text, " owned");
		if (l->resource_version)
			buf_adds(&text, " (has a resourceVersion)");
	}
	target_list_req_release(&r);
	return text.s;
}

static const char *
list(struct target *t, const struct target_kind *k, const char *ns,
    const char *selector)
{
	return list_fmt(t, k, ns, selector, NULL, 1);
}

static const char *
list_names(struct target *t, const struct target_kind *k, const char *ns,
    const char *selector)
{
	return list_fmt(t, k, ns, selector, NULL, 0);
}

/* Delete one: "deleted", "gone" or "FAILED: err". */
static const char *
del(struct target *t, const struct target_kind *k, const char *ns,
    const char *name, int dry_run)
{
	struct target_delete_req r;

	memset(&r, 0, sizeof(r));
	r.kind = k;
	r.namespace = ns;
	r.name = name;
	r.dry_run = dry_run;
	target_delete(t, &r, 1);
	buf_reset(&text);
	if (r.failed)
		buf_addf(&text, "FAILED: %s", r.err.s);
	else
		buf_adds(&text, r.gone ? "gone" : "deleted");
	buf_release(&r.err);
	return text.s;
}

static const char deploy[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
    "\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":"
    "[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}}}";

static void
test_open(struct target **tp)
{
	struct target_opts o;
	struct buf spec = BUF_INIT, err = BUF_INIT;
	int code = 0;

	memset(&o, 0, sizeof(o));
	buf_addf(&root, "%s/out/sub", tmp);
	buf_addf(&spec, "dir:%s", root.s);
	*tp = target_open(spec.s, &o, &code, &err);
	ok(*tp != NULL && target_is_dir(*tp), "dir:PATH opens");
	ok(exists(root.s), "and makes PATH, parents and all");
	is_str(*tp ? target_identity(*tp) : NULL, spec.s,
	    "its identity is dir: and the absolute path");
	if (*tp != NULL && chdir(tmp) == 0) {
		struct target *rel = target_open("dir:out/sub", &o, &code, &err);

		is_str(rel ? target_identity(rel) : NULL, spec.s,
		    "a relative path gets the same identity");
		target_close(rel);
		if (chdir("/") < 0)
			perror("chdir");
	}

	code = 0;
	buf_reset(&err);
	ok(target_open("dir:/dev/null/x", &o, &code, &err) == NULL &&
	    code == 74 && strstr(err.s, "/dev/null/x") != NULL,
	    "a folder that cannot be made is exit 74, named");
	buf_release(&spec);
	buf_release(&err);
}

static void
test_resolve(struct target *t)
{
	struct target_kind k;
	struct buf err = BUF_INIT;

	resolve(t, "apps/v1", "Deployment", &k);
	ok(strcmp(k.group, "apps") == 0 && strcmp(k.version, "v1") == 0 &&
	    strcmp(k.kind, "Deployment") == 0 &&
	    strcmp(k.resource, "deployment") == 0 && k.namespaced,
	    "apps/v1 Deployment: group, version, the kind lower-cased");
	target_kind_release(&k);
	resolve(t, "v1", "Namespace", &k);
	ok(strcmp(k.group, "") == 0 && strcmp(k.version, "v1") == 0 &&
	    !k.namespaced, "v1 Namespace is cluster-scoped (core group)");
	target_kind_release(&k);
	resolve(t, "example.com/v1", "Widget", &k);
	ok(k.namespaced, "an unknown kind is taken as namespaced");
	target_kind_release(&k);
	target_note_crd(t, "example.com", "Gadget", "Cluster");
	resolve(t, "example.com/v1", "Gadget", &k);
	ok(!k.namespaced && strcmp(k.resource, "gadget") == 0,
	    "a CRD noted as Cluster makes its kind cluster-scoped");
	target_kind_release(&k);
	target_note_crd(t, "example.com", "Widget", "Namespaced");
	resolve(t, "example.com/v1beta1", "Widget", &k);
	ok(k.namespaced && strcmp(k.version, "v1beta1") == 0,
	    "... and one noted as Namespaced stays namespaced");
	target_kind_release(&k);
	ok(target_wait_established(t, "gadgets.example.com", &err) == 0 &&
	    target_refresh(t, &err) == 0,
	    "waiting for a CRD and refreshing are no-ops");
	buf_release(&err);
}

static void
test_apply(struct target *t)
{
	struct target_kind k;
	struct buf err = BUF_INIT, body = BUF_INIT;
	struct buf file = BUF_INIT;	/* at() reuses its buffer */
	struct stat st;
	mode_t mask;

	resolve(t, "apps/v1", "Deployment", &k);
	ok(apply(t, &k, "default", "web", deploy, 0, NULL) == TARGET_CREATED,
	    "a new object is created");
	buf_adds(&file, at("default/deployment/web.yaml"));
	is_str(slurp(file.s),
	    "apiVersion: apps/v1\n"
	    "kind: Deployment\n"
	    "metadata:\n"
	    "  name: web\n"
	    "  namespace: default\n"
	    "spec:\n"
	    "  replicas: 1\n"
	    "  template:\n"
	    "    spec:\n"
	    "      containers:\n"
	    "      - name: web\n"
	    "        image: nginx:1.25\n",
	    "as PATH/<namespace>/<kind>/<name>.yaml, in YAML");
	mask = umask(0);
	umask(mask);
	ok(stat(file.s, &st) == 0 &&
	    (st.st_mode & 0777) == (0644 & ~mask), "mode 0644 (less umask)");
	ok(!exists(at("default/deployment/web.yaml.tmp")),
	    "no temporary file is left");
	ok(apply(t, &k, "default", "web", deploy, 0, NULL) ==
	    TARGET_UNCHANGED, "the same object again is unchanged");

	buf_adds(&body, deploy);
	*strstr(body.s, "\"replicas\":1") = '\0';
	buf_setlen(&body, strlen(body.s));
	buf_adds(&body, "\"replicas\":3,\"template\":{}}}");
	ok(apply(t, &k, "default", "web", body.s, 1, NULL) ==
	    TARGET_CONFIGURED && strstr(slurp(file.s), "replicas: 1\n") != NULL,
	    "a dry run says configured and writes nothing");
	ok(apply(t, &k, "default", "web", body.s, 0, NULL) ==
	    TARGET_CONFIGURED && strstr(slurp(file.s), "replicas: 3\n") != NULL,
	    "a changed object is configured");
	ok(apply(t, &k, "default", "web", body.s, 1, NULL) ==
	    TARGET_UNCHANGED, "a dry run of the same is unchanged");
	ok(apply(t, &k, "staging", "api", deploy, 1, NULL) == TARGET_CREATED &&
	    !exists(at("staging")),
	    "a dry run of a new object says created, makes no folder");

	ok(apply(t, &k, "default", "bad", "{\"a\":", 0, &err) ==
	    TARGET_FAILED && strstr(err.s, "not JSON") != NULL,
	    "a body that is not JSON fails");
	target_kind_release(&k);

	resolve(t, "v1", "Namespace", &k);
	ok(apply(t, &k, "", "team", "{\"apiVersion\":\"v1\",\"kind\":"
	    "\"Namespace\",\"metadata\":{\"name\":\"team\"}}", 0, NULL) ==
	    TARGET_CREATED && exists(at("_cluster/namespace/team.yaml")),
	    "a cluster-scoped object goes under _cluster/");
	target_kind_release(&k);
	resolve(t, "example.com/v1", "Gadget", &k);
	ok(apply(t, &k, "", "g1", "{\"apiVersion\":\"example.com/v1\","
	    "\"kind\":\"Gadget\",\"metadata\":{\"name\":\"g1\"}}", 0, NULL) ==
	    TARGET_CREATED && exists(at("_cluster/gadget/g1.yaml")),
	    "so does a custom kind whose CRD said Cluster");
	target_kind_release(&k);
	buf_release(&err);
	buf_release(&body);
	buf_release(&file);
}

static void
cm(struct target *t, const struct target_kind *k, const char *ns,
    const char *name, const char *meta)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
	    "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"%s%s},"
	    "\"data\":{\"x\":\"yes\"}}", name, ns, *meta ? "," : "", meta);
	if (apply(t, k, ns, name, b.s, 0, NULL) != TARGET_CREATED)
		printf("# could not create %s/%s\n", ns, name);
	buf_release(&b);
}

static void
test_list(struct target *t)
{
	static const struct {
		const char *selector, *want;
	} sel[] = {
		{ NULL, "default/a, default/b, default/c, default/d" },
		{ "", "default/a, default/b, default/c, default/d" },
		{ "app=web", "default/a, default/c" },
		{ "app==web", "default/a, default/c" },
		{ "app!=web", "default/b, default/d" },
		{ "tier", "default/a, default/b" },
		{ "!tier", "default/c, default/d" },
		{ "app in (web, db)", "default/a, default/b, default/c" },
		{ "app in (web,db)", "default/a, default/b, default/c" },
		{ "app notin (web)", "default/b, default/d" },
		{ "app=web,tier=front", "default/a" },
		{ " app = web , !tier ", "default/c" },
		{ "fluxcd.io/sync-gc-mark=m1", "default/a" },
		{ "fluxcd.io/sync-gc-mark", "default/a" },
		{ "app=nothing", "" },
		{ "port=8080", "default/b" },
	};
	static const char *const bad[] = {
		"app in web", "=x", "a,", "a b", "app in (web", "!", "a!b",
		",a", "a=b=c",
	};
	struct target_kind k;
	size_t i;
	int bads = 0;

	resolve(t, "v1", "ConfigMap", &k);
	cm(t, &k, "default", "a", "\"labels\":{\"app\":\"web\","
	    "\"tier\":\"front\",\"fluxcd.io/sync-gc-mark\":\"m1\"},"
	    "\"annotations\":{\"fluxcd.io/sync-checksum\":\"c1\"}");
	cm(t, &k, "default", "b", "\"labels\":{\"app\":\"db\","
	    "\"tier\":\"back\",\"port\":\"8080\"},"
	    "\"annotations\":{\"fluxcd.io/ignore\":\"true\"}");
	cm(t, &k, "default", "c", "\"labels\":{\"app\":\"web\"},"
	    "\"annotations\":{\"flux.weave.works/ignore\":\"sync_only\"}");
	cm(t, &k, "default", "d", "\"ownerReferences\":[{\"kind\":\"X\","
	    "\"name\":\"o\"}]");
	cm(t, &k, "other", "e", "\"labels\":{\"app\":\"web\","
	    "\"fluxcd.io/sync-gc-mark\":\"m2\"}");

	is_str(list(t, &k, "default", NULL),
	    "default/a mark=m1 sum=c1, default/b ignore=true, "
	    "default/c ignore=sync_only, default/d owned",
	    "marks, checksums, ignores and owners are read back");
	is_str(list(t, &k, NULL, "app=web"),
	    "default/a mark=m1 sum=c1, default/c ignore=sync_only, "
	    "other/e mark=m2", "a NULL namespace lists every one");
	is_str(list(t, &k, "nowhere", NULL), "",
	    "a namespace with no folder lists nothing");
	for (i = 0; i < sizeof(sel) / sizeof(sel[0]); i++)
		is_str(list_names(t, &k, "default", sel[i].selector),
		    sel[i].want, "selector '%s'",
		    sel[i].selector ? sel[i].selector : "(null)");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(list(t, &k, "default", bad[i]),
		    "FAILED: invalid label selector") != text.s) {
			printf("# selector '%s': %s\n", bad[i], text.s);
			bads++;
		}
	is_int(bads, 0, "invalid selectors fail the list");
	is_str(list_fmt(t, &k, "default", NULL, "b", 1), "default/b ignore=true",
	    "a list by name: that object alone");
	is_str(list_fmt(t, &k, NULL, "app=web", "e", 0), "other/e",
	    "by name and selector, in every namespace");
	is_str(list_fmt(t, &k, "default", NULL, "zz", 0), "",
	    "by a name that is not there: nothing");
	target_kind_release(&k);

	resolve(t, "v1", "Namespace", &k);
	is_str(list(t, &k, NULL, NULL), "/team",
	    "a cluster-scoped kind lists with namespace \"\"");
	target_kind_release(&k);
}

static void
test_broken(struct target *t)
{
	struct target_kind k;

	resolve(t, "v1", "ConfigMap", &k);
	spew(at("default/configmap/broken.yaml"), "a: [\n");
	ok(strstr(list(t, &k, "default", NULL), "FAILED: ") == text.s &&
	    strstr(text.s, "default/configmap/broken.yaml") != NULL &&
	    strstr(text.s, "with items") == NULL,
	    "a file that does not parse fails the list, named");
	ok(strstr(list(t, &k, NULL, "app=web"), "broken.yaml") != NULL,
	    "... listing every namespace too");
	spew(at("default/configmap/broken.yaml"), "- a\n- b\n");
	ok(strstr(list(t, &k, "default", NULL), "does not hold an object")
	    != NULL, "so does a file that is not a mapping");
	unlink(at("default/configmap/broken.yaml"));
	spew(at("default/configmap/notes.txt"), "not yaml: [");
	spew(at("default/configmap/x.yaml.tmp"), "not yaml: [");
	ok(strstr(list(t, &k, "default", NULL), "FAILED") == NULL,
	    "files not named *.yaml are passed over");
	unlink(at("default/configmap/notes.txt"));
	unlink(at("default/configmap/x.yaml.tmp"));
	target_kind_release(&k);
}

static void
test_escapes(struct target *t)
{
	static const char *const names[] = {
		"../x", "a/b", ".", "..", "", ".hidden", "/abs",
	};
	static const char *const namespaces[] = {
		"../etc", "", ".", "..", "a/b", "_cluster",
	};
	struct target_kind k, bad;
	struct buf err = BUF_INIT, out = BUF_INIT;
	size_t i;
	int fails = 0, temporary;

	resolve(t, "v1", "ConfigMap", &k);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (apply(t, &k, "default", names[i], "{}", 0, &err) !=
		    TARGET_FAILED || strstr(err.s, "invalid name") == NULL) {
			printf("# name '%s': %s\n", names[i], err.s);
			fails++;
		}
		if (strstr(del(t, &k, "default", names[i], 0), "FAILED") ==
		    NULL)
			fails++;
	}
	for (i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
		if (apply(t, &k, namespaces[i], "n", "{}", 0, &err) !=
		    TARGET_FAILED || strstr(err.s, "invalid namespace") ==
		    NULL) {
			printf("# namespace '%s': %s\n", namespaces[i], err.s);
			fails++;
		}
		if (strstr(list(t, &k, namespaces[i], NULL), "FAILED") == NULL)
			fails++;
	}
	is_int(fails, 0, "names and namespaces that could escape are refused");
	ok(!exists(at("../x.yaml")) && !exists(at("default/x.yaml")) &&
	    !exists(at("configmap/n.yaml")), "and nothing was written");

	bad = k;
	bad.resource = (char *)"../../x";
	ok(apply(t, &bad, "default", "n", "{}", 0, &err) == TARGET_FAILED,
	    "so is a kind folder that could");
	ok(target_resolve(t, "v1", "../X", &bad, &temporary, &err) < 0,
	    "resolve refuses such a kind");

	/* links planted under PATH are not followed */
	buf_addf(&out, "%s/outside", tmp);
	mkdir(out.s, 0755);
	if (symlink(out.s, at("evil")) < 0)
		printf("# symlink: %s\n", strerror(errno));
	ok(apply(t, &k, "evil", "n", "{}", 0, &err) == TARGET_FAILED &&
	    strstr(err.s, "symbolic link") != NULL,
	    "a namespace folder that is a link is refused");
	ok(strstr(list(t, &k, NULL, NULL), "symbolic link") != NULL,
	    "... and fails a list of every namespace");
	unlink(at("evil"));
	buf_addf(&out, "/target.yaml");
	spew(out.s, "kind: Secret\n");
	if (symlink(out.s, at("default/configmap/link.yaml")) < 0)
		printf("# symlink: %s\n", strerror(errno));
	ok(apply(t, &k, "default", "link", "{\"a\":1}", 0, &err) ==
	    TARGET_FAILED && strstr(err.s, "symbolic link") != NULL &&
	    strcmp(slurp(out.s), "kind: Secret\n") == 0,
	    "a file that is a link is not written through");
	ok(strstr(list(t, &k, "default", NULL), "symbolic link") != NULL,
	    "... nor read");
	ok(strcmp(del(t, &k, "default", "link", 0), "deleted") == 0 &&
	    !exists(at("default/configmap/link.yaml")) && exists(out.s),
	    "deleting it removes the link, not its target");
	target_kind_release(&k);
	buf_release(&err);
	buf_release(&out);
}

static void
test_kinds(struct target *t)
{
	struct target_kind *kinds;
	struct buf err = BUF_INIT, got = BUF_INIT;
	size_t n, i;

	mkdir(at("default/empty"), 0755);
	spew(at("README"), "not a namespace\n");
	ok(target_kinds(t, &kinds, &n, &err) == 0, "kinds() lists");
	for (i = 0; i < n; i++) {
		buf_addf(&got, "%s%s:%s/%s/%s/%s", i ? " " : "",
		    kinds[i].namespaced ? "ns" : "cluster", kinds[i].group,
		    kinds[i].version, kinds[i].kind, kinds[i].resource);
		target_kind_release(&kinds[i]);
	}
	free(kinds);
	is_str(got.s, "ns:/v1/ConfigMap/configmap "
	    "ns:apps/v1/Deployment/deployment "
	    "cluster:example.com/v1/Gadget/gadget "
	    "cluster:/v1/Namespace/namespace",
	    "every kind folder, with apiVersion and kind from its files");
	rmdir(at("default/empty"));
	unlink(at("README"));
	buf_release(&err);
	buf_release(&got);
}

static void
test_delete(struct target *t)
{
	struct target_kind k;

	resolve(t, "apps/v1", "Deployment", &k);
	is_str(del(t, &k, "default", "web", 1), "deleted",
	    "a dry-run delete of an object that is there");
	ok(exists(at("default/deployment/web.yaml")), "... leaves it");
	is_str(del(t, &k, "default", "nothing", 1), "gone",
	    "a dry-run delete of one that is not says gone");
	is_str(del(t, &k, "default", "web", 0), "deleted", "delete");
	ok(!exists(at("default/deployment/web.yaml")) &&
	    !exists(at("default/deployment")) && exists(at("default")),
	    "the file goes, its kind folder too once empty, not the "
	    "namespace folder while it holds others");
	is_str(del(t, &k, "default", "web", 0), "gone",
	    "deleting it again: gone");
	is_str(del(t, &k, "nowhere", "web", 0), "gone",
	    "... as in a namespace that has no folder");
	target_kind_release(&k);

	resolve(t, "v1", "ConfigMap", &k);
	is_str(del(t, &k, "other", "e", 0), "deleted", "delete the last "
	    "object of a namespace");
	ok(!exists(at("other")) && exists(root.s),
	    "its namespace folder goes, PATH stays");
	target_kind_release(&k);
	resolve(t, "v1", "Namespace", &k);
	ok(strcmp(del(t, &k, "", "team", 0), "deleted") == 0 &&
	    !exists(at("_cluster/namespace")) && exists(at("_cluster")),
	    "cluster-scoped objects delete the same way");
	target_kind_release(&k);
}

int
main(void)
{
	struct target *t;

	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_open(&t);
	if (t == NULL)
		return tap_done();
	test_resolve(t);
	test_apply(t);
	test_list(t);
	test_broken(t);
	test_escapes(t);
	test_kinds(t);
	test_delete(t);
	target_close(t);
	fsx_remove_tree(tmp);
	buf_release(&root);
	buf_release(&text);
	return tap_done();
}
