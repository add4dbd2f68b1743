/* Unit tests of lib/registry's pure parts: challenges, links, config.json,
 * platform selection, the token bucket and token lifetimes. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/registry.h"
#include "tests/unit/tap.h"

static void
test_challenge(void)
{
	struct registry_challenge c;

	ok(registry_parse_challenge("Bearer realm=\"http://127.0.0.1:1/token\""
	    ",service=\"test-registry\",scope=\"repository:team/app:pull\"",
	    &c) == 0, "registry's challenge parses");
	is_str(c.scheme, "bearer", "scheme lower-cased");
	is_str(c.realm, "http://127.0.0.1:1/token", "realm");
	is_str(c.service, "test-registry", "service");
	is_str(c.scope, "repository:team/app:pull", "scope");
	ok(c.error == NULL, "no error");
	registry_challenge_release(&c);

	registry_parse_challenge("BEARER  realm = \"https://a/t\" , "
	    "scope=\"repository:a/b:pull,push\", error=\"insufficient_scope\", "
	    "service=hub", &c);
	is_str(c.scope, "repository:a/b:pull,push", "comma inside quotes");
	is_str(c.error, "insufficient_scope", "error");
	is_str(c.service, "hub", "unquoted token value");
	registry_challenge_release(&c);

	registry_parse_challenge("Basic realm=\"a \\\"q\\\" b\"", &c);
	is_str(c.scheme, "basic", "basic");
	is_str(c.realm, "a \"q\" b", "escapes in a quoted value");
	registry_challenge_release(&c);

	registry_parse_challenge("Basic realm=\"x\", Bearer realm=\"y\"", &c);
	is_str(c.realm, "x", "stops at the next challenge");
	registry_challenge_release(&c);

	ok(registry_parse_challenge("  ", &c) == -1, "empty header");
	registry_challenge_release(&c);
}

static void
test_link(void)
{
	struct buf b = BUF_INIT;
	const char *base = "http://127.0.0.1:5000";

	is_int(registry_link_next("</v2/a/tags/list?n=3&last=t02>; "
	    "rel=\"next\"", base, &b), 1, "relative link");
	is_str(b.s, "http://127.0.0.1:5000/v2/a/tags/list?n=3&last=t02",
	    "resolved against base");
	buf_reset(&b);
	is_int(registry_link_next("<http://127.0.0.1:5000/v2/a/tags/list?"
	    "last=x>;rel=next", base, &b), 1, "absolute, unquoted rel");
	is_str(b.s, "http://127.0.0.1:5000/v2/a/tags/list?last=x", "as is");
	buf_reset(&b);
	is_int(registry_link_next("</p1>; rel=\"prev\", </p3>; rel=\"next\"",
	    base, &b), 1, "second link of two");
	is_str(b.s, "http://127.0.0.1:5000/p3", "the next one");
	buf_reset(&b);
	is_int(registry_link_next("</p1>; rel=\"prev\"", base, &b), 0,
	    "no next");
	is_int(registry_link_next("<https://evil.example/v2/x>; rel=\"next\"",
	    base, &b), -1, "another host refused");
	is_int(registry_link_next("</p2>; title=\"a,b\"; rel=\"next last\"",
	    base, &b), 1, "rel with several types");
	buf_release(&b);
}

static void
test_config(void)
{
	json_t *cfg;
	char *u, *p, *h;
	struct buf err = BUF_INIT;

	cfg = json_loads("{\"auths\":{"
	    "\"https://index.docker.io/v1/\":{\"auth\":\"YWxpY2U6czNjcjp0\"},"
	    "\"reg.example:5000\":{\"username\":\"bob\",\"password\":\"pw\"},"
	    "\"https://quay.io\":{}},"
	    "\"credHelpers\":{\"gcr.io\":\"gcloud\"},"
	    "\"credsStore\":\"desktop\"}", 0, NULL);
	is_int(registry_config_creds(cfg, "docker.io", &u, &p, &h, &err), 0,
	    "docker hub through its v1 URL");
	is_str(u, "alice", "user from auth");
	is_str(p, "s3cr:t", "password may hold a colon");
	free(u);
	free(p);
	is_int(registry_config_creds(cfg, "reg.example:5000", &u, &p, &h,
	    &err), 0, "username/password form");
	is_str(u, "bob", "user");
	free(u);
	free(p);
	is_int(registry_config_creds(cfg, "gcr.io", &u, &p, &h, &err), 0,
	    "credHelpers");
	is_str(h, "gcloud", "helper name");
	ok(u == NULL, "no user from a helper entry");
	free(h);
	is_int(registry_config_creds(cfg, "quay.io", &u, &p, &h, &err), 0,
	    "empty auths entry falls to credsStore");
	is_str(h, "desktop", "store name");
	free(h);
	json_decref(cfg);

	cfg = json_loads("{\"auths\":{\"a.io\":{\"auth\":\"!!!\"}}}", 0, NULL);
	is_int(registry_config_creds(cfg, "a.io", &u, &p, &h, &err), -1,
	    "bad base64");
	ok(strstr(err.s, "a.io") != NULL, "error names the host");
	is_int(registry_config_creds(cfg, "b.io", &u, &p, &h, &err), 1,
	    "nothing for another host");
	json_decref(cfg);
	buf_release(&err);
}

static void
test_platform(void)
{
	json_t *idx = json_loads("{\"manifests\":["
	    "{\"digest\":\"sha256:a\",\"platform\":{\"os\":\"linux\","
	    "\"architecture\":\"arm\",\"variant\":\"v6\"}},"
	    "{\"digest\":\"sha256:b\",\"platform\":{\"os\":\"linux\","
	    "\"architecture\":\"arm\",\"variant\":\"v7\"}},"
	    "{\"digest\":\"sha256:c\",\"platform\":{\"os\":\"windows\","
	    "\"architecture\":\"amd64\"}},"
	    "{\"digest\":\"sha256:d\",\"platform\":{\"os\":\"linux\","
	    "\"architecture\":\"amd64\"}},"
	    "{\"digest\":\"sha256:e\",\"platform\":{\"os\":\"linux\","
	    "\"architecture\":\"amd64\"}}]}", 0, NULL);

	is_int(registry_pick_platform(idx, "linux/amd64"), 3,
	    "first linux/amd64, not windows");
	is_int(registry_pick_platform(idx, "linux/arm/v7"), 1, "variant");
	is_int(registry_pick_platform(idx, "linux/arm"), 0,
	    "no variant asked: the first arm");
	is_int(registry_pick_platform(idx, "linux/s390x"), -1, "absent");
	is_int(registry_pick_platform(idx, "linux"), -1, "malformed");
	json_decref(idx);
}

static void
test_bucket(void)
{
	struct registry_bucket b;
	double w;

	registry_bucket_init(&b, 2, 3, 100);
	ok(registry_bucket_take(&b, 100) == 0, "burst 1");
	ok(registry_bucket_take(&b, 100) == 0, "burst 2");
	ok(registry_bucket_take(&b, 100) == 0, "burst 3");
	w = registry_bucket_take(&b, 100);
	ok(w > 0.49 && w < 0.51, "then wait 1/rate (%g)", w);
	ok(registry_bucket_take(&b, 100.5) == 0, "refilled after 0.5 s");
	ok(registry_bucket_take(&b, 1000) == 0, "long idle");
	ok(b.tokens <= 2.0 + 1e-9, "refill capped at burst");
	registry_bucket_slow(&b, 0.1);
	ok(b.rate == 1, "halved");
	registry_bucket_slow(&b, 0.1);
	registry_bucket_slow(&b, 0.1);
	registry_bucket_slow(&b, 0.1);
	registry_bucket_slow(&b, 0.1);
	ok(b.rate == 0.1, "floor");
}

static void
test_lifetime(void)
{
	/* 2024-01-01T00:00:00Z is 1704067200 */
	ok(registry_token_lifetime(0, NULL, 0) == 60, "default 60 s");
	ok(registry_token_lifetime(300, NULL, 0) == 300, "expires_in");
	ok(registry_token_lifetime(300, "2024-01-01T00:00:00Z",
	    1704067200 + 100) == 200, "counted from issued_at");
	ok(registry_token_lifetime(300, "2024-01-01T01:00:00+01:00",
	    1704067200 + 100) == 200, "offset");
	ok(registry_token_lifetime(300, "2024-01-01T00:00:00.123456789Z",
	    1704067200 + 400) == 0, "expired");
	ok(registry_token_lifetime(300, "garbage", 1704067200) == 300,
	    "bad issued_at ignored");
	ok(registry_token_lifetime(300, "2030-01-01T00:00:00Z",
	    1704067200) == 300, "issued in the future: from now");
}

int
main(void)
{
	test_challenge();
	test_link();
	test_config();
	test_platform();
	test_bucket();
	test_lifetime();
	return tap_done();
}
