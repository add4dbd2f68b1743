/* Unit tests of lib/latest: choosing a container's tag, and its edit. */
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/latest.h"
#include "lib/workload.h"
#include "tests/unit/tap.h"

static const char *const tags[] = {
	"1.0.0", "1.2.0", "2.0.0", "latest", "master-a", "master-b",
};
static const long long times[] = {
	100, 200, 300, 999, 250, 400,
};
static const long long some_times[] = {
	100, 200, 300, 999, 0, 400,
};

static void
check(const char *ref, const char *filter, const long long *t,
    enum latest_result want, const char *want_image, const char *why)
{
	struct latest_image img = { tags, t, sizeof(tags) / sizeof(tags[0]) };
	struct latest l = LATEST_INIT;

	latest_choose(ref, filter, &img, &l);
	ok(l.result == want && (want_image == NULL ? l.image == NULL :
	    l.image != NULL && strcmp(l.image, want_image) == 0) &&
	    (why == NULL || strstr(l.why.s, why) != NULL),
	    "%s with %s: %s %s", ref, filter, want == LATEST_NEWER ? "moves to" :
	    want == LATEST_SAME ? "stays" : "is skipped",
	    want_image ? want_image : why ? why : "");
	if (l.result != want)
		printf("#   got %d: %s\n", l.result, l.why.s);
	latest_release(&l);
}

static void
test_choose(void)
{
	/* semver: by version, times not needed */
	check("nginx:1.0.0", "semver:~1", NULL, LATEST_NEWER, "nginx:1.2.0",
	    NULL);
	check("nginx:1.2.0", "semver:~1", NULL, LATEST_SAME, NULL, NULL);
	check("docker.io/library/nginx:1.0.0", "semver:*", NULL, LATEST_NEWER,
	    "docker.io/library/nginx:2.0.0", NULL);
	check("nginx:1.0.0", "semver:>5", NULL, LATEST_SAME, NULL,
	    "no tag passes the filter 'semver:>5'");
	/* by time: master-b is the newest; latest never counts */
	check("r.io/a:master-a", "glob:master-*", times, LATEST_NEWER,
	    "r.io/a:master-b", NULL);
	check("r.io/a:1.0.0", "glob:*", times, LATEST_NEWER, "r.io/a:master-b",
	    NULL);
	check("r.io/a:1.0.0", "regexp:^\\d", times, LATEST_NEWER,
	    "r.io/a:2.0.0", NULL);
	check("r.io/a:1.0.0", "glob:latest", times, LATEST_NEWER,
	    "r.io/a:latest", NULL);
	/* the guards */
	check("r.io/a:1.0.0", "glob:*", some_times, LATEST_SKIP, NULL,
	    "tag 'master-a' has no creation time");
	check("r.io/a:master-a", "glob:master-b", some_times, LATEST_SKIP,
	    NULL, "the current tag 'master-a' has no creation time");
	check("r.io/a:gone", "glob:2.*", times, LATEST_SKIP, NULL,
	    "zero created timestamp");
	check("r.io/a:1.0.0", "glob:*", NULL, LATEST_SKIP, NULL,
	    "inconsistent repository metadata");
	check("r.io/a:1.0.0@sha256:0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", "semver:*", NULL,
	    LATEST_SKIP, NULL, "pinned by digest");
	check("r.io/a:1.0.0", "regexp:(", times, LATEST_SKIP, NULL,
	    "invalid regexp");
	check("R.io/A:1", "glob:*", times, LATEST_SKIP, NULL,
	    "invalid image reference");
}

static void
edit(const char *object, size_t container, const char *tag,
    const char *want_path, const char *want_value)
{
	json_t *o = json_loads(object, 0, NULL);
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;
	char *path = NULL, *value = NULL;

	if (workload_read(o, &w, &err) != 0 || container >= w.n) {
		ok(0, "read %s: %s", object, err.s);
	} else {
		latest_edit(o, &w.containers[container], tag, &path, &value,
		    &err);
		ok(path != NULL && value != NULL &&
		    strcmp(path, want_path) == 0 &&
		    strcmp(value, want_value) == 0, "%s = %s (%s)", want_path,
		    want_value, err.s);
	}
	free(path);
	free(value);
	workload_release(&w);
	buf_release(&err);
	json_decref(o);
}

static void
test_edit(void)
{
	edit("{\"kind\":\"Deployment\",\"spec\":{\"template\":{\"spec\":{"
	    "\"containers\":[{\"name\":\"a\",\"image\":\"r.io/a:1\"}]}}}}",
	    0, "2", "/spec/template/spec/containers/0/image", "r.io/a:2");
	edit("{\"kind\":\"HelmRelease\",\"spec\":{\"values\":{\"image\":"
	    "{\"repository\":\"r.io/a\",\"tag\":\"1\"}}}}",
	    0, "2", "/spec/values/image/tag", "2");
	edit("{\"kind\":\"HelmRelease\",\"spec\":{\"values\":{\"image\":"
	    "\"r.io/a:1\"}}}", 0, "2", "/spec/values/image", "r.io/a:2");
	edit("{\"kind\":\"HelmRelease\",\"spec\":{\"values\":{\"app\":{"
	    "\"image\":{\"registry\":\"r.io\",\"repository\":\"team/a:1\"}}}}}",
	    0, "2", "/spec/values/app/image/repository", "team/a:2");
}

int
main(void)
{
	test_choose();
	test_edit();
	return tap_done();
}
