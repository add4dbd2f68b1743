/* Unit tests of lib/patch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/patch.h"
#include "tests/unit/tap.h"

/* JSON written with ' for " so that the cases stay readable. */
static json_t *
load(const char *s)
{
	char *t = strdup(s), *p;
	json_error_t e;
	json_t *j;

	for (p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(t, 0, &e);
	if (j == NULL)
		printf("# bad test JSON: %s: %s\n", e.text, t);
	free(t);
	return j;
}

/* Apply patch to target; the result must equal want (key order ignored). */
static void
check(const char *name, const char *target, const char *patch,
    const char *want)
{
	json_t *t = load(target), *p = load(patch), *w = load(want);
	struct buf err = BUF_INIT;
	char *got;
	int r;

	r = patch_apply(t, p, &err);
	if (!ok(r == 0 && json_equal(t, w), "%s", name)) {
		got = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
		printf("#   ret %d %s\n#   got:  %s\n", r, err.s, got);
		free(got);
		got = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS);
		printf("#   want: %s\n", got);
		free(got);
	}
	json_decref(t);
	json_decref(p);
	json_decref(w);
	buf_release(&err);
}

/* As check, but compare the serialised form, so order counts. */
static void
check_order(const char *name, const char *target, const char *patch,
    const char *want)
{
	json_t *t = load(target), *p = load(patch), *w = load(want);
	struct buf err = BUF_INIT;
	char *got, *exp;

	ok(patch_apply(t, p, &err) == 0, "%s: applies", name);
	got = json_dumps(t, JSON_COMPACT);
	exp = json_dumps(w, JSON_COMPACT);
	is_str(got, exp, "%s", name);
	free(got);
	free(exp);
	json_decref(t);
	json_decref(p);
	json_decref(w);
	buf_release(&err);
}

static void
check_fails(const char *name, const char *target, const char *patch,
    const char *msg)
{
	json_t *t = load(target), *p = load(patch);
	struct buf err = BUF_INIT;
	int r;

	r = patch_apply(t, p, &err);
	if (!ok(r < 0 && strstr(err.s, msg) != NULL, "%s", name))
		printf("#   ret %d, err '%s', want '%s'\n", r, err.s, msg);
	json_decref(t);
	json_decref(p);
	buf_release(&err);
}

#define DEPLOY_HEAD "'apiVersion':'apps/v1','kind':'Deployment'," \
	"'metadata':{'name':'web','namespace':'prod'},"
/* what Flux adds to each patch document */
#define PATCH_HEAD DEPLOY_HEAD

static const char deploy[] = "{" DEPLOY_HEAD
    "'spec':{'replicas':2,'template':{'metadata':{'labels':{'app':'web'}},"
    "'spec':{'containers':["
    "{'name':'app','image':'app:1','env':[{'name':'A','value':'1'},"
    "{'name':'B','value':'2'}],'ports':[{'containerPort':80}],"
    "'volumeMounts':[{'name':'data','mountPath':'/data'}]},"
    "{'name':'sidecar','image':'side:1','args':['-a','-b']}],"
    "'volumes':[{'name':'data','emptyDir':{}}],"
    "'tolerations':[{'key':'a','operator':'Exists'}]}}}}";

static void
test_is_strategic(void)
{
	ok(patch_is_strategic("apps/v1", "Deployment"), "apps/v1 Deployment");
	ok(patch_is_strategic("v1", "Service"), "v1 Service");
	ok(patch_is_strategic("batch/v1", "CronJob"), "batch/v1 CronJob");
	ok(patch_is_strategic("networking.k8s.io/v1", "Ingress"),
	    "networking Ingress");
	ok(patch_is_strategic("rbac.authorization.k8s.io/v1", "ClusterRole"),
	    "rbac ClusterRole");
	ok(patch_is_strategic("autoscaling/v2", "HorizontalPodAutoscaler"),
	    "autoscaling/v2 HPA");
	ok(patch_is_strategic("extensions/v1beta1", "Deployment"),
	    "extensions/v1beta1 Deployment");
	ok(!patch_is_strategic("helm.fluxcd.io/v1", "HelmRelease"),
	    "HelmRelease is not");
	ok(!patch_is_strategic("apiextensions.k8s.io/v1",
	    "CustomResourceDefinition"), "CRD is not");
	ok(!patch_is_strategic("example.com/v1", "Deployment"),
	    "a Deployment in another group is not");
	ok(!patch_is_strategic("apps/v1", "Service"),
	    "Service in the apps group is not");
	ok(!patch_is_strategic(NULL, "Pod"), "no apiVersion");
}

static void
test_deployment(void)
{
	/* one container's image changes, the other container stays */
	check("container image changed by name, other container kept",
	    deploy,
	    "{" PATCH_HEAD "'spec':{'template':{'spec':{'containers':"
	    "[{'name':'app','image':'app:2'}]}}}}",
	    "{" DEPLOY_HEAD
	    "'spec':{'replicas':2,'template':{'metadata':{'labels':"
	    "{'app':'web'}},"
	    "'spec':{'containers':["
	    "{'name':'app','image':'app:2','env':[{'name':'A','value':'1'},"
	    "{'name':'B','value':'2'}],'ports':[{'containerPort':80}],"
	    "'volumeMounts':[{'name':'data','mountPath':'/data'}]},"
	    "{'name':'sidecar','image':'side:1','args':['-a','-b']}],"
	    "'volumes':[{'name':'data','emptyDir':{}}],"
	    "'tolerations':[{'key':'a','operator':'Exists'}]}}}}");

	check("env var added, one removed with $patch: delete", deploy,
	    "{" PATCH_HEAD "'spec':{'template':{'spec':{'containers':"
	    "[{'name':'app','env':[{'name':'C','value':'3'},"
	    "{'name':'A','$patch':'delete'},{'name':'B','value':'22'}]}]}}}}",
	    "{" DEPLOY_HEAD
	    "'spec':{'replicas':2,'template':{'metadata':{'labels':"
	    "{'app':'web'}},"
	    "'spec':{'containers':["
	    "{'name':'app','image':'app:1','env':[{'name':'B','value':'22'},"
	    "{'name':'C','value':'3'}],'ports':[{'containerPort':80}],"
	    "'volumeMounts':[{'name':'data','mountPath':'/data'}]},"
	    "{'name':'sidecar','image':'side:1','args':['-a','-b']}],"
	    "'volumes':[{'name':'data','emptyDir':{}}],"
	    "'tolerations':[{'key':'a','operator':'Exists'}]}}}}");

	check("volume and volumeMount added", deploy,
	    "{" PATCH_HEAD "'spec':{'template':{'spec':{'volumes':"
	    "[{'name':'cfg','configMap':{'name':'web'}}],'containers':"
	    "[{'name':'app','volumeMounts':[{'name':'cfg',"
	    "'mountPath':'/etc/web'}],'ports':[{'containerPort':80,"
	    "'name':'http'}]}]}}}}",
	    "{" DEPLOY_HEAD
	    "'spec':{'replicas':2,'template':{'metadata':{'labels':"
	    "{'app':'web'}},"
	    "'spec':{'containers':["
	    "{'name':'app','image':'app:1','env':[{'name':'A','value':'1'},"
	    "{'name':'B','value':'2'}],'ports':[{'containerPort':80,"
	    "'name':'http'}],"
	    "'volumeMounts':[{'name':'data','mountPath':'/data'},"
	    "{'name':'cfg','mountPath':'/etc/web'}]},"
	    "{'name':'sidecar','image':'side:1','args':['-a','-b']}],"
	    "'volumes':[{'name':'data','emptyDir':{}},"
	    "{'name':'cfg','configMap':{'name':'web'}}],"
	    "'tolerations':[{'key':'a','operator':'Exists'}]}}}}");

	check("lists without a merge key are replaced", deploy,
	    "{'spec':{'template':{'spec':{'tolerations':[{'key':'b',"
	    "'operator':'Exists'}],'containers':[{'name':'sidecar',"
	    "'args':['-c']}]}}}}",
	    "{" DEPLOY_HEAD
	    "'spec':{'replicas':2,'template':{'metadata':{'labels':"
	    "{'app':'web'}},"
	    "'spec':{'containers':["
	    "{'name':'app','image':'app:1','env':[{'name':'A','value':'1'},"
	    "{'name':'B','value':'2'}],'ports':[{'containerPort':80}],"
	    "'volumeMounts':[{'name':'data','mountPath':'/data'}]},"
	    "{'name':'sidecar','image':'side:1','args':['-c']}],"
	    "'volumes':[{'name':'data','emptyDir':{}}],"
	    "'tolerations':[{'key':'b','operator':'Exists'}]}}}}");

	check("a new container is appended; null deletes a key", deploy,
	    "{'spec':{'replicas':null,'template':{'metadata':{'labels':"
	    "{'tier':'front'}},'spec':{'containers':[{'name':'new',"
	    "'image':'new:1','env':[{'name':'X','$patch':'delete'}]}]}}}}",
	    "{" DEPLOY_HEAD
	    "'spec':{'template':{'metadata':{'labels':{'app':'web',"
	    "'tier':'front'}},"
	    "'spec':{'containers':["
	    "{'name':'app','image':'app:1','env':[{'name':'A','value':'1'},"
	    "{'name':'B','value':'2'}],'ports':[{'containerPort':80}],"
	    "'volumeMounts':[{'name':'data','mountPath':'/data'}]},"
	    "{'name':'sidecar','image':'side:1','args':['-a','-b']},"
	    "{'name':'new','image':'new:1','env':[]}],"
	    "'volumes':[{'name':'data','emptyDir':{}}],"
	    "'tolerations':[{'key':'a','operator':'Exists'}]}}}}");

	check("$patch: replace on a map", deploy,
	    "{'spec':{'template':{'metadata':{'$patch':'replace',"
	    "'labels':{'new':'yes'}}}}}",
	    "{" DEPLOY_HEAD
	    "'spec':{'replicas':2,'template':{'metadata':{'labels':"
	    "{'new':'yes'}},"
	    "'spec':{'containers':["
	    "{'name':'app','image':'app:1','env':[{'name':'A','value':'1'},"
	    "{'name':'B','value':'2'}],'ports':[{'containerPort':80}],"
	    "'volumeMounts':[{'name':'data','mountPath':'/data'}]},"
	    "{'name':'sidecar','image':'side:1','args':['-a','-b']}],"
	    "'volumes':[{'name':'data','emptyDir':{}}],"
	    "'tolerations':[{'key':'a','operator':'Exists'}]}}}}");

	check("$patch: delete on a map", deploy,
	    "{'spec':{'template':{'metadata':{'$patch':'delete'}}}}",
	    "{" DEPLOY_HEAD
	    "'spec':{'replicas':2,'template':{"
	    "'spec':{'containers':["
	    "{'name':'app','image':'app:1','env':[{'name':'A','value':'1'},"
	    "{'name':'B','value':'2'}],'ports':[{'containerPort':80}],"
	    "'volumeMounts':[{'name':'data','mountPath':'/data'}]},"
	    "{'name':'sidecar','image':'side:1','args':['-a','-b']}],"
	    "'volumes':[{'name':'data','emptyDir':{}}],"
	    "'tolerations':[{'key':'a','operator':'Exists'}]}}}}");

	check("$patch: replace as a list element replaces the list", deploy,
	    "{'spec':{'template':{'spec':{'volumes':[{'$patch':'replace'},"
	    "{'name':'only','emptyDir':{}}]}}}}",
	    "{" DEPLOY_HEAD
	    "'spec':{'replicas':2,'template':{'metadata':{'labels':"
	    "{'app':'web'}},"
	    "'spec':{'containers':["
	    "{'name':'app','image':'app:1','env':[{'name':'A','value':'1'},"
	    "{'name':'B','value':'2'}],'ports':[{'containerPort':80}],"
	    "'volumeMounts':[{'name':'data','mountPath':'/data'}]},"
	    "{'name':'sidecar','image':'side:1','args':['-a','-b']}],"
	    "'volumes':[{'name':'only','emptyDir':{}}],"
	    "'tolerations':[{'key':'a','operator':'Exists'}]}}}}");

	check("the patch's apiVersion, kind and metadata are harmless", deploy,
	    "{'apiVersion':'apps/v1','kind':'Deployment',"
	    "'metadata':{'name':'web','namespace':'prod'}}", deploy);
}

static void
test_directives(void)
{
	static const char vol[] = "{'apiVersion':'v1','kind':'Pod',"
	    "'metadata':{'name':'p','finalizers':['a','b','c']},"
	    "'spec':{'containers':[{'name':'a'},{'name':'b'},{'name':'c'}],"
	    "'volumes':[{'name':'v','hostPath':{'path':'/x'}}]}}";

	check("$retainKeys drops keys not listed", vol,
	    "{'spec':{'volumes':[{'name':'v','$retainKeys':['name',"
	    "'emptyDir'],'emptyDir':{}}]}}",
	    "{'apiVersion':'v1','kind':'Pod',"
	    "'metadata':{'name':'p','finalizers':['a','b','c']},"
	    "'spec':{'containers':[{'name':'a'},{'name':'b'},{'name':'c'}],"
	    "'volumes':[{'name':'v','emptyDir':{}}]}}");
	check_fails("a key missing from $retainKeys is an error", vol,
	    "{'spec':{'volumes':[{'name':'v','$retainKeys':['name'],"
	    "'emptyDir':{}}]}}", "not in '$retainKeys'");
	check("$deleteFromPrimitiveList and a set merge of finalizers", vol,
	    "{'metadata':{'$deleteFromPrimitiveList/finalizers':['b'],"
	    "'finalizers':['c','d']}}",
	    "{'apiVersion':'v1','kind':'Pod',"
	    "'metadata':{'name':'p','finalizers':['a','c','d']},"
	    "'spec':{'containers':[{'name':'a'},{'name':'b'},{'name':'c'}],"
	    "'volumes':[{'name':'v','hostPath':{'path':'/x'}}]}}");
	check_order("$setElementOrder reorders a merge list", vol,
	    "{'spec':{'$setElementOrder/containers':[{'name':'c'},"
	    "{'name':'d'},{'name':'a'}],'containers':[{'name':'d'}]}}",
	    "{'apiVersion':'v1','kind':'Pod',"
	    "'metadata':{'name':'p','finalizers':['a','b','c']},"
	    "'spec':{'containers':[{'name':'c'},{'name':'d'},{'name':'a'},"
	    "{'name':'b'}],"
	    "'volumes':[{'name':'v','hostPath':{'path':'/x'}}]}}");
	check_order("$setElementOrder of a primitive list", vol,
	    "{'metadata':{'$setElementOrder/finalizers':['c','a','b']}}",
	    "{'apiVersion':'v1','kind':'Pod',"
	    "'metadata':{'name':'p','finalizers':['c','a','b']},"
	    "'spec':{'containers':[{'name':'a'},{'name':'b'},{'name':'c'}],"
	    "'volumes':[{'name':'v','hostPath':{'path':'/x'}}]}}");
	check_fails("an unknown $ directive is an error", vol,
	    "{'spec':{'$frob':1}}", "unknown patch directive '$frob'");
	check_fails("an unknown $patch value is an error", vol,
	    "{'spec':{'$patch':'frob'}}", "unknown '$patch' directive");
	check_fails("a merge-list element without its key is an error", vol,
	    "{'spec':{'containers':[{'image':'x'}]}}",
	    "lacks the merge key 'name' at 'spec.containers'");
	check_fails("a delete without the merge key is an error", vol,
	    "{'spec':{'containers':[{'$patch':'delete'}]}}",
	    "without the merge key 'name'");
	check("$patch: delete at the top empties the object", vol,
	    "{'$patch':'delete'}", "{}");
}

static void
test_other_kinds(void)
{
	static const char svc[] = "{'apiVersion':'v1','kind':'Service',"
	    "'metadata':{'name':'s'},'spec':{'selector':{'app':'web'},"
	    "'ports':[{'port':80,'targetPort':8080,'name':'http'},"
	    "{'port':443,'targetPort':8443,'name':'https'}]}}";
	static const char cron[] = "{'apiVersion':'batch/v1','kind':'CronJob',"
	    "'metadata':{'name':'c'},'spec':{'schedule':'* * * * *',"
	    "'jobTemplate':{'spec':{'template':{'spec':{'containers':"
	    "[{'name':'a','image':'a:1'},{'name':'b','image':'b:1'}]}}}}}}";
	static const char hr[] = "{'apiVersion':'helm.fluxcd.io/v1',"
	    "'kind':'HelmRelease','metadata':{'name':'h','namespace':'n'},"
	    "'spec':{'chart':{'repository':'https://x','name':'c',"
	    "'version':'1.0.0'},'values':{'image':{'repository':'r',"
	    "'tag':'1'},'replicas':2,'list':[1,2,3],"
	    "'extra':{'a':1}}}}";

	check("Service ports merged by port", svc,
	    "{'apiVersion':'v1','kind':'Service','metadata':{'name':'s'},"
	    "'spec':{'ports':[{'port':443,'targetPort':9443},"
	    "{'port':8080,'name':'alt'}]}}",
	    "{'apiVersion':'v1','kind':'Service',"
	    "'metadata':{'name':'s'},'spec':{'selector':{'app':'web'},"
	    "'ports':[{'port':80,'targetPort':8080,'name':'http'},"
	    "{'port':443,'targetPort':9443,'name':'https'},"
	    "{'port':8080,'name':'alt'}]}}");
	check("CronJob containers merged under jobTemplate", cron,
	    "{'spec':{'jobTemplate':{'spec':{'template':{'spec':"
	    "{'containers':[{'name':'b','image':'b:2'}]}}}}}}",
	    "{'apiVersion':'batch/v1','kind':'CronJob',"
	    "'metadata':{'name':'c'},'spec':{'schedule':'* * * * *',"
	    "'jobTemplate':{'spec':{'template':{'spec':{'containers':"
	    "[{'name':'a','image':'a:1'},{'name':'b','image':'b:2'}]}}}}}}");
	check("HelmRelease: merge patch, nested change, null removes", hr,
	    "{'apiVersion':'helm.fluxcd.io/v1','kind':'HelmRelease',"
	    "'metadata':{'name':'h','namespace':'n'},"
	    "'spec':{'values':{'image':{'tag':'2'},'extra':null,"
	    "'list':[9],'new':{'x':null,'y':1}}}}",
	    "{'apiVersion':'helm.fluxcd.io/v1',"
	    "'kind':'HelmRelease','metadata':{'name':'h','namespace':'n'},"
	    "'spec':{'chart':{'repository':'https://x','name':'c',"
	    "'version':'1.0.0'},'values':{'image':{'repository':'r',"
	    "'tag':'2'},'replicas':2,'list':[9],'new':{'y':1}}}}");
	check("merge patch: '$patch' is only a key there", hr,
	    "{'spec':{'values':{'$patch':'delete'}}}",
	    "{'apiVersion':'helm.fluxcd.io/v1',"
	    "'kind':'HelmRelease','metadata':{'name':'h','namespace':'n'},"
	    "'spec':{'chart':{'repository':'https://x','name':'c',"
	    "'version':'1.0.0'},'values':{'image':{'repository':'r',"
	    "'tag':'1'},'replicas':2,'list':[1,2,3],"
	    "'extra':{'a':1},'$patch':'delete'}}}");
	check("merge patch: lists of objects are replaced too",
	    "{'apiVersion':'example.com/v1','kind':'Thing','spec':"
	    "{'containers':[{'name':'a','image':'a:1'},{'name':'b'}]}}",
	    "{'spec':{'containers':[{'name':'a','image':'a:2'}]}}",
	    "{'apiVersion':'example.com/v1','kind':'Thing','spec':"
	    "{'containers':[{'name':'a','image':'a:2'}]}}");
	check_fails("a patch that is not an object is refused", hr, "[1]",
	    "must both be JSON objects");
}

/*
 * patch_diff(orig, mod) must be want exactly (keys sorted, as written),
 * and applying it to orig must give mod, list order included.
 */
static void
check_diff(const char *name, const char *orig, const char *mod,
    const char *want)
{
	json_t *o = load(orig), *m = load(mod), *w = load(want), *d;
	struct buf err = BUF_INIT;
	char *got, *exp;

	d = patch_diff(o, m);
	got = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	exp = json_dumps(w, JSON_COMPACT | JSON_PRESERVE_ORDER);
	is_str(got, exp, "%s: the patch", name);
	ok(patch_apply(o, d, &err) == 0 && json_equal(o, m),
	    "%s: applied, it makes the new object %s", name, err.s);
	free(got);
	free(exp);
	json_decref(o);
	json_decref(m);
	json_decref(w);
	json_decref(d);
	buf_release(&err);
}

static void
test_diff(void)
{
	const char *dep = "{'apiVersion':'apps/v1','kind':'Deployment',"
	    "'metadata':{'name':'web','namespace':'prod'},'spec':{'template':"
	    "{'spec':{'containers':[{'name':'app','image':'app:1',"
	    "'env':[{'name':'A','value':'1'}]},{'name':'side','image':"
	    "'side:1'}]}}}}";
	json_t *empty;

	check_diff("nothing differs", dep, dep, "{}");
	check_diff("one image", dep,
	    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':"
	    "{'name':'web','namespace':'prod'},'spec':{'template':{'spec':"
	    "{'containers':[{'name':'app','image':'app:2','env':[{'name':"
	    "'A','value':'1'}]},{'name':'side','image':'side:1'}]}}}}",
	    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':"
	    "{'name':'web','namespace':'prod'},'spec':{'template':{'spec':"
	    "{'$setElementOrder/containers':[{'name':'app'},{'name':"
	    "'side'}],'containers':[{'image':'app:2','name':'app'}]}}}}");
	check_diff("a container gone, one added, a key removed", dep,
	    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':"
	    "{'name':'web','namespace':'prod'},'spec':{'template':{'spec':"
	    "{'containers':[{'name':'new','image':'new:1'},{'name':'app',"
	    "'image':'app:1'}]}}}}",
	    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':"
	    "{'name':'web','namespace':'prod'},'spec':{'template':{'spec':"
	    "{'$setElementOrder/containers':[{'name':'new'},{'name':'app'}],"
	    "'containers':[{'image':'new:1','name':'new'},{'env':null,"
	    "'name':'app'},{'$patch':'delete','name':'side'}]}}}}");
	check_diff("only the order changed", dep,
	    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':"
	    "{'name':'web','namespace':'prod'},'spec':{'template':{'spec':"
	    "{'containers':[{'name':'side','image':'side:1'},{'name':'app',"
	    "'image':'app:1','env':[{'name':'A','value':'1'}]}]}}}}",
	    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':"
	    "{'name':'web','namespace':'prod'},'spec':{'template':{'spec':"
	    "{'$setElementOrder/containers':[{'name':'side'},{'name':"
	    "'app'}]}}}}");
	check_diff("finalizers: a set of strings",
	    "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c',"
	    "'finalizers':['a','b']}}",
	    "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c',"
	    "'finalizers':['c','a']}}",
	    "{'apiVersion':'v1','kind':'ConfigMap','metadata':"
	    "{'$deleteFromPrimitiveList/finalizers':['b'],"
	    "'$setElementOrder/finalizers':['c','a'],'finalizers':['c'],"
	    "'name':'c'}}");
	check_diff("tolerations have no merge key: replaced",
	    "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':"
	    "{'tolerations':[{'key':'a'}],'containers':[{'name':'x'},"
	    "{'name':'x'}]}}",
	    "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':"
	    "{'tolerations':[{'key':'b'}],'containers':[{'name':'x',"
	    "'image':'i'},{'name':'x'}]}}",
	    "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':"
	    "{'containers':[{'image':'i','name':'x'},{'name':'x'},"
	    "{'$patch':'replace'}],'tolerations':[{'key':'b'}]}}");
	check_diff("a custom resource: a JSON merge patch",
	    "{'apiVersion':'helm.fluxcd.io/v1','kind':'HelmRelease','metadata':"
	    "{'name':'h','namespace':'n'},'spec':{'values':{'image':"
	    "{'repository':'r','tag':'1'},'list':[1,2],'gone':true}}}",
	    "{'apiVersion':'helm.fluxcd.io/v1','kind':'HelmRelease','metadata':"
	    "{'name':'h','namespace':'n'},'spec':{'values':{'image':"
	    "{'repository':'r','tag':'2'},'list':[2]}}}",
	    "{'apiVersion':'helm.fluxcd.io/v1','kind':'HelmRelease','metadata':"
	    "{'name':'h','namespace':'n'},'spec':{'values':{'gone':null,"
	    "'image':{'tag':'2'},'list':[2]}}}");
	empty = load("{}");
	ok(patch_diff(NULL, empty) == NULL, "not objects: NULL");
	json_decref(empty);
}

int
main(void)
{
	test_is_strategic();
	test_deployment();
	test_directives();
	test_other_kinds();
	test_diff();
	return tap_done();
}
