/* Unit tests of lib/kubeconfig: finding and checking how to reach the API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/kubeconfig.h"
#include "tests/unit/tap.h"

/* cond is evaluated before the message's arguments (err.s may move) */
#define check(cond, ...) do {						\
	int c_ = !!(cond);						\
	tap_ok(c_, __LINE__, __VA_ARGS__);				\
} while (0)

static char tmp[] = "/tmp/kubeconfig_test.XXXXXX";

/* tmp/name, in one of 64 static buffers used in turn */
static const char *
path_of(const char *name)
{
	static char bufs[64][512];
	static int slot;
	char *p = bufs[slot++ % 64];

	snprintf(p, sizeof(bufs[0]), "%s/%s", tmp, name);
	return p;
}

static const char *
write_file(const char *name, const char *text)
{
	const char *p = path_of(name);
	FILE *fp = fopen(p, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0) {
		perror(p);
		exit(2);
	}
	return p;
}

/* a fresh environment: no KUBECONFIG, no home config, not in a cluster */
static void
clean_env(void)
{
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("POD_NAMESPACE");
	setenv("HOME", path_of("home"), 1);
	setenv("SLUICE_SERVICEACCOUNT_DIR", path_of("sa"), 1);
}

static int
load(const char *path, const char *ctx, struct kubeconfig *k, struct buf *err)
{
	buf_reset(err);
	return kubeconfig_load(path, ctx, k, err);
}

static int
contains(const char *s, const char *sub)
{
	return s != NULL && strstr(s, sub) != NULL;
}

/* a load that must fail with a message holding want */
static void
load_fails(const char *path, const char *ctx, const char *want,
    const char *name)
{
	struct kubeconfig k;
	struct buf err = BUF_INIT;
	int r = load(path, ctx, &k, &err);

	if (!ok(r < 0 && contains(err.s, want), "%s", name))
		printf("#   err: %s\n#   want: %s\n", err.s, want);
	kubeconfig_release(&k);
	buf_release(&err);
}

static void
test_single(void)
{
	struct kubeconfig k;
	struct kubeconfig_creds c;
	struct buf err = BUF_INIT;
	const char *p;

	p = write_file("single", "apiVersion: v1\nkind: Config\n"
	    "current-context: dev\n"
	    "clusters:\n- name: c1\n  cluster:\n"
	    "    server: https://k.example:6443/prefix\n"
	    "    certificate-authority-data: aGVsbG8gQ0EK\n"
	    "    tls-server-name: api.example\n"
	    "    proxy-url: socks5://127.0.0.1:1080\n"
	    "- name: c2\n  cluster: {server: \"http://other\"}\n"
	    "users:\n- name: u1\n  user:\n    token: s3cret\n"
	    "    future-field: [ignored]\n"
	    "contexts:\n- name: dev\n  context: {cluster: c1, user: u1}\n"
	    "- name: ops\n  context: {cluster: c2, user: u1, namespace: ops}\n"
	    "- name: anon\n  context: {cluster: c2}\n"
	    "preferences: {}\n");
	check(load(p, NULL, &k, &err) == 0, "a single file loads (%s)", err.s);
	is_str(k.server, "https://k.example:6443/prefix", "server");
	ok(k.ca_data.len == 9 && memcmp(k.ca_data.s, "hello CA\n", 9) == 0,
	    "certificate-authority-data is decoded");
	ok(k.ca_file == NULL && !k.insecure, "no CA file, not insecure");
	is_str(k.tls_server_name, "api.example", "tls-server-name");
	is_str(k.proxy_url, "socks5://127.0.0.1:1080", "proxy-url");
	is_str(k.namespace, "default", "the namespace defaults to default");
	is_str(k.context_name, "dev", "current-context is used");
	is_str(k.cluster_name, "c1", "the context's cluster");
	is_str(k.user_name, "u1", "the context's user");
	is_str(k.source, p, "the source file is named");
	ok(!k.in_cluster && k.exec == NULL, "not in-cluster, no exec");
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "s3cret") == 0 && c.username == NULL &&
	    c.client_cert == NULL, "the static token is the credential");
	kubeconfig_release(&k);

	ok(load(p, "ops", &k, &err) == 0, "an explicit context loads");
	is_str(k.server, "http://other", "its cluster's server");
	is_str(k.namespace, "ops", "its namespace");
	is_str(k.context_name, "ops", "its name");
	kubeconfig_release(&k);

	ok(load(p, "anon", &k, &err) == 0 && k.user_name == NULL &&
	    k.token == NULL, "a context without a user is anonymous");
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token == NULL &&
	    c.username == NULL, "anonymous has no credentials");
	kubeconfig_release(&k);

	load_fails(p, "nope", "context 'nope' not found", "unknown context");
	buf_release(&err);
}

static void
test_merge(void)
{
	struct kubeconfig k;
	struct buf err = BUF_INIT, list = BUF_INIT;
	const char *f1, *f2, *f3;

	f1 = write_file("m1", "clusters:\n"
	    "- {name: c, cluster: {server: https://one}}\n"
	    "users:\n- {name: u, user: {token: t1}}\n"
	    "contexts:\n- {name: a, context: {cluster: c, user: u, "
	    "namespace: na}}\n");
	f2 = write_file("m2", "current-context: a\n"
	    "clusters:\n- {name: c, cluster: {server: https://two}}\n"
	    "- {name: c2, cluster: {server: https://three}}\n"
	    "users:\n- {name: u, user: {token: t2}}\n"
	    "contexts:\n- {name: a, context: {cluster: c2, user: u}}\n"
	    "- {name: b, context: {cluster: c2, user: u, namespace: nb}}\n");
	f3 = write_file("m3", "current-context: b\n");

	buf_addf(&list, "%s:%s::%s", path_of("missing"), f1, f2);
	setenv("KUBECONFIG", list.s, 1);
	check(load(NULL, NULL, &k, &err) == 0, "$KUBECONFIG merges (%s)",
	    err.s);
	is_str(k.context_name, "a", "current-context from the file setting it");
	is_str(k.server, "https://one", "the first file's context and cluster "
	    "win");
	is_str(k.token, "t1", "the first file's user wins");
	is_str(k.namespace, "na", "the namespace of the first context");
	is_str(k.source, f1, "the context's file is the source");
	kubeconfig_release(&k);

	ok(load(NULL, "b", &k, &err) == 0, "a context only the second has");
	is_str(k.server, "https://three", "with a cluster only it has");
	is_str(k.token, "t1", "and the first file's user of that name");
	kubeconfig_release(&k);

	buf_reset(&list);
	buf_addf(&list, "%s:%s:%s", f3, f2, f1);
	setenv("KUBECONFIG", list.s, 1);
	ok(load(NULL, NULL, &k, &err) == 0, "three files load");
	is_str(k.context_name, "b", "current-context from the first setting "
	    "it");
	is_str(k.token, "t2", "names now come from the second file first");
	kubeconfig_release(&k);

	ok(load(f1, NULL, &k, &err) < 0 && contains(err.s, "no context"),
	    "an explicit path replaces $KUBECONFIG (no current-context)");
	kubeconfig_release(&k);

	buf_reset(&list);
	buf_addf(&list, "%s:%s", path_of("missing"), path_of("missing2"));
	setenv("KUBECONFIG", list.s, 1);
	load_fails(NULL, NULL, "$KUBECONFIG", "all of $KUBECONFIG missing is "
	    "an error");
	clean_env();
	buf_release(&list);
	buf_release(&err);
}

static void
test_home(void)
{
	struct kubeconfig k;
	struct buf err = BUF_INIT;

	load_fails(NULL, NULL, "no kubeconfig", "no file and not in a cluster");
	mkdir(path_of("home"), 0700);
	mkdir(path_of("home/.kube"), 0700);
	write_file("home/.kube/config", "current-context: h\n"
	    "clusters: [{name: c, cluster: {server: \"https://home\"}}]\n"
	    "contexts: [{name: h, context: {cluster: c}}]\n");
	ok(load(NULL, NULL, &k, &err) == 0 && k.server != NULL &&
	    strcmp(k.server, "https://home") == 0, "~/.kube/config is read");
	kubeconfig_release(&k);
	unlink(path_of("home/.kube/config"));
	buf_release(&err);
}

static void
test_paths(void)
{
	struct kubeconfig k;
	struct buf err = BUF_INIT, want = BUF_INIT;
	const char *p;

	mkdir(path_of("sub"), 0700);
	mkdir(path_of("sub/pki"), 0700);
	write_file("sub/pki/ca.crt", "CA\n");
	write_file("sub/pki/client.crt", "CERT\n");
	write_file("client.key", "KEY\n");
	p = write_file("sub/config", "current-context: x\n"
	    "clusters:\n- name: c\n  cluster:\n    server: k.example:443\n"
	    "    certificate-authority: pki/ca.crt\n"
	    "users:\n- name: u\n  user:\n"
	    "    client-certificate: ./pki/client.crt\n"
	    "    client-key: ../client.key\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	check(load(p, NULL, &k, &err) == 0, "relative paths load (%s)", err.s);
	buf_addf(&want, "%s/sub/pki/ca.crt", tmp);
	is_str(k.ca_file, want.s, "certificate-authority is resolved");
	buf_reset(&want);
	buf_addf(&want, "%s/sub/pki/client.crt", tmp);
	is_str(k.client_cert_file, want.s, "client-certificate is resolved");
	buf_reset(&want);
	buf_addf(&want, "%s/client.key", tmp);
	is_str(k.client_key_file, want.s, "client-key is resolved and "
	    "cleaned");
	is_str(k.server, "https://k.example:443", "a server without a scheme "
	    "gets https when TLS is configured");
	kubeconfig_release(&k);

	p = write_file("sub/badca", "current-context: x\n"
	    "clusters:\n- name: c\n  cluster:\n    server: https://k\n"
	    "    certificate-authority: pki/nope.crt\n"
	    "contexts: [{name: x, context: {cluster: c}}]\n");
	load_fails(p, NULL, "pki/nope.crt", "an unreadable CA file is named");
	p = write_file("sub/plain", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: \"localhost:8080\"}}]\n"
	    "contexts: [{name: x, context: {cluster: c}}]\n");
	ok(load(p, NULL, &k, &err) == 0 && k.server != NULL &&
	    strcmp(k.server, "http://localhost:8080") == 0, "without TLS a "
	    "bare server gets http");
	kubeconfig_release(&k);
	buf_release(&want);
	buf_release(&err);
}

static void
test_token_file(void)
{
	struct kubeconfig k;
	struct kubeconfig_creds c;
	struct buf err = BUF_INIT;
	const char *p;

	write_file("tok", "first\n");
	p = write_file("tokcfg", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k}}]\n"
	    "users: [{name: u, user: {tokenFile: tok}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	check(load(p, NULL, &k, &err) == 0, "a tokenFile loads (%s)", err.s);
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "first") == 0, "the token comes from the file");
	write_file("tok.new", "second\n");
	rename(path_of("tok.new"), path_of("tok"));
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "second") == 0, "a replaced file is read again");
	write_file("tok", "third-token");
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "third-token") == 0, "a rewritten file is read "
	    "again");
	unlink(path_of("tok"));
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "third-token") == 0, "a vanished file keeps the "
	    "last token");
	kubeconfig_release(&k);
	load_fails(p, NULL, "cannot read token file", "a missing tokenFile "
	    "fails the load");
	buf_release(&err);
}

static void
test_basic(void)
{
	struct kubeconfig k;
	struct kubeconfig_creds c;
	struct buf err = BUF_INIT;
	const char *p;

	p = write_file("basic", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k}}]\n"
	    "users: [{name: u, user: {username: alice, password: pw}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	ok(load(p, NULL, &k, &err) == 0 &&
	    kubeconfig_credentials(&k, &c, &err) == 0 && c.token == NULL &&
	    c.username != NULL && strcmp(c.username, "alice") == 0 &&
	    c.password != NULL && strcmp(c.password, "pw") == 0,
	    "basic auth credentials");
	kubeconfig_release(&k);
	buf_release(&err);
}

static void
test_in_cluster(void)
{
	struct kubeconfig k;
	struct kubeconfig_creds c;
	struct buf err = BUF_INIT, want = BUF_INIT;

	mkdir(path_of("sa"), 0700);
	write_file("sa/token", "sa-token\n");
	write_file("sa/ca.crt", "CA\n");
	write_file("sa/namespace", "team-a\n");
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	load_fails(NULL, NULL, "no kubeconfig", "a host without a port is not "
	    "in-cluster");
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	check(load(NULL, NULL, &k, &err) == 0, "in-cluster loads (%s)", err.s);
	ok(k.in_cluster, "in_cluster is set");
	is_str(k.server, "https://[fd00::1]:443", "an IPv6 host is bracketed");
	buf_addf(&want, "%s/sa/ca.crt", tmp);
	is_str(k.ca_file, want.s, "the service account CA");
	is_str(k.namespace, "team-a", "the service account namespace");
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "sa-token") == 0, "the service account token");
	write_file("sa/token.new", "rotated\n");
	rename(path_of("sa/token.new"), path_of("sa/token"));
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "rotated") == 0, "a rotated token is read");
	kubeconfig_release(&k);

	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("POD_NAMESPACE", "from-env", 1);
	ok(load(NULL, NULL, &k, &err) == 0 && k.server != NULL &&
	    strcmp(k.server, "https://10.0.0.1:443") == 0 &&
	    k.namespace != NULL && strcmp(k.namespace, "from-env") == 0,
	    "IPv4 host; POD_NAMESPACE wins");
	kubeconfig_release(&k);

	write_file("nocc",
	    "clusters: [{name: c, cluster: {server: https://k}}]\n");
	ok(load(path_of("nocc"), NULL, &k, &err) == 0 && k.in_cluster,
	    "a file choosing no context falls back to in-cluster");
	kubeconfig_release(&k);
	load_fails(path_of("nocc"), "x", "context 'x' not found",
	    "a named context never falls back to in-cluster");

	clean_env();
	buf_release(&want);
	buf_release(&err);
}

static void
write_expiry(const char *name, long from_now)
{
	char s[64];
	time_t t = time(NULL) + from_now;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	write_file(name, s);
}

static const char plugin[] =
	"#!/bin/sh\n"
	"n=$(cat \"$DIR/count\" 2>/dev/null || echo 0)\n"
	"n=$((n + 1))\n"
	"echo \"$n\" >\"$DIR/count\"\n"
	"printf '%s' \"$KUBERNETES_EXEC_INFO\" >\"$DIR/info\"\n"
	"printf '%s\\n' \"$@\" >\"$DIR/args\"\n"
	"exp=$(cat \"$DIR/exp\")\n"
	"printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	"\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-%s\","
	"\"expirationTimestamp\":\"%s\"}}\\n' \"$n\" \"$exp\"\n";

static char *
slurp(const char *name)
{
	static char b[4096];
	FILE *fp = fopen(path_of(name), "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(b, 1, sizeof(b) - 1, fp);
		fclose(fp);
	}
	b[n] = '\0';
	return b;
}

static const char *
exec_config(const char *name, const char *user_yaml)
{
	struct buf b = BUF_INIT;
	const char *p;

	buf_addf(&b, "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k:6443, "
	    "insecure-skip-tls-verify: true}}]\n"
	    "users:\n- name: u\n  user:\n%s"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
	    user_yaml);
	p = write_file(name, b.s);
	buf_release(&b);
	return p;
}

static void
test_exec(void)
{
	struct kubeconfig k;
	struct kubeconfig_creds c;
	struct buf err = BUF_INIT, user = BUF_INIT;
	const char *p;
	char *info;

	write_file("plugin.sh", plugin);
	chmod(path_of("plugin.sh"), 0700);
	write_file("count", "0\n");
	write_expiry("exp", 3);
	buf_addf(&user, "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: ./plugin.sh\n"
	    "      args: [\"a b\", \"it's\", \"$HOME\"]\n"
	    "      env: [{name: DIR, value: \"%s\"}]\n"
	    "      interactiveMode: IfAvailable\n"
	    "      provideClusterInfo: true\n", tmp);
	p = exec_config("exec1", user.s);
	check(load(p, NULL, &k, &err) == 0 && k.exec != NULL, "an exec user "
	    "loads (%s)", err.s);
	k.expiry_margin = 1;
	check(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "tok-1") == 0, "the plugin's token (%s)", err.s);
	is_str(slurp("args"), "a b\nit's\n$HOME\n", "arguments pass unchanged");
	info = slurp("info");
	ok(contains(info, "\"kind\":\"ExecCredential\"") &&
	    contains(info, "\"apiVersion\":\"client.authentication.k8s.io/v1\"")
	    && contains(info, "\"interactive\":false"),
	    "KUBERNETES_EXEC_INFO is the request (%s)", info);
	ok(contains(info, "\"server\":\"https://k:6443\"") &&
	    contains(info, "\"insecure-skip-tls-verify\":true"),
	    "with the cluster when provideClusterInfo");
	write_expiry("exp", 100);
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "tok-1") == 0, "cached before expiry");
	is_str(slurp("count"), "1\n", "the plugin ran once");
	sleep(2);
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "tok-2") == 0, "run again after expiry");
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "tok-2") == 0, "and cached again");
	kubeconfig_invalidate(&k);
	ok(kubeconfig_credentials(&k, &c, &err) == 0 && c.token != NULL &&
	    strcmp(c.token, "tok-3") == 0, "invalidate runs it again");
	kubeconfig_release(&k);

	write_file("cert.sh", "#!/bin/sh\n"
	    "echo x >>\"$DIR/certcount\"\n"
	    "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	    "\"kind\":\"ExecCredential\",\"status\":{"
	    "\"clientCertificateData\":\"CERT\","
	    "\"clientKeyData\":\"KEY\"}}'\n");
	chmod(path_of("cert.sh"), 0700);
	buf_reset(&user);
	buf_addf(&user, "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: %s/cert.sh\n"
	    "      env: [{name: DIR, value: \"%s\"}]\n"
	    "      interactiveMode: Never\n", tmp, tmp);
	p = exec_config("exec-cert", user.s);
	check(load(p, NULL, &k, &err) == 0 &&
	    kubeconfig_credentials(&k, &c, &err) == 0 &&
	    kubeconfig_credentials(&k, &c, &err) == 0, "a certificate "
	    "plugin (%s)", err.s);
	ok(c.token == NULL && c.client_cert != NULL && c.client_key != NULL &&
	    strcmp(c.client_cert->s, "CERT") == 0 &&
	    strcmp(c.client_key->s, "KEY") == 0, "gives a client certificate");
	is_str(slurp("certcount"), "x\n", "without expiry it is kept");
	kubeconfig_release(&k);

	/* failures */
	write_file("fail.sh", "#!/bin/sh\n"
	    "echo '{\"status\":{\"token\":\"LEAKED-SECRET\"}}'\n"
	    "echo 'boom: no session' >&2\nexit 1\n");
	chmod(path_of("fail.sh"), 0700);
	p = exec_config("exec2", "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1beta1\n"
	    "      command: ./fail.sh\n");
	ok(load(p, NULL, &k, &err) == 0, "a v1beta1 plugin needs no "
	    "interactiveMode");
	buf_reset(&err);
	ok(kubeconfig_credentials(&k, &c, &err) < 0 && c.token == NULL,
	    "a failing plugin is an error");
	ok(contains(err.s, "fail.sh") && contains(err.s, "status 1") &&
	    contains(err.s, "boom: no session") &&
	    !contains(err.s, "LEAKED-SECRET"), "naming the command and its "
	    "stderr, not its stdout (%s)", err.s);
	kubeconfig_release(&k);

	write_file("bad.sh", "#!/bin/sh\necho '{\"apiVersion\":"
	    "\"client.authentication.k8s.io/v1beta1\","
	    "\"kind\":\"ExecCredential\","
	    "\"status\":{\"token\":\"LEAKED-SECRET\"}}'\n");
	chmod(path_of("bad.sh"), 0700);
	p = exec_config("exec3", "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: ./bad.sh\n      interactiveMode: Never\n");
	buf_reset(&err);
	check(load(p, NULL, &k, &err) == 0 &&
	    kubeconfig_credentials(&k, &c, &err) < 0 &&
	    contains(err.s, "API version") && !contains(err.s, "LEAKED"),
	    "a wrong apiVersion is an error (%s)", err.s);
	kubeconfig_release(&k);

	write_file("junk.sh", "#!/bin/sh\necho 'LEAKED-SECRET not json'\n");
	chmod(path_of("junk.sh"), 0700);
	p = exec_config("exec4", "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: ./junk.sh\n      interactiveMode: Never\n");
	buf_reset(&err);
	check(load(p, NULL, &k, &err) == 0 &&
	    kubeconfig_credentials(&k, &c, &err) < 0 &&
	    contains(err.s, "not a JSON object") && !contains(err.s, "LEAKED"),
	    "output that is not JSON is an error (%s)", err.s);
	kubeconfig_release(&k);

	p = exec_config("exec5", "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: sluice-no-such-plugin\n"
	    "      interactiveMode: Never\n"
	    "      installHint: install it from example.org\n");
	buf_reset(&err);
	check(load(p, NULL, &k, &err) == 0 &&
	    kubeconfig_credentials(&k, &c, &err) < 0 &&
	    contains(err.s, "not found") && contains(err.s, "example.org"),
	    "a missing plugin says so, with the install hint (%s)", err.s);
	kubeconfig_release(&k);

	p = exec_config("exec6", "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: x\n      interactiveMode: Always\n");
	load_fails(p, NULL, "interactiveMode Always", "interactiveMode Always "
	    "is refused");
	p = exec_config("exec7", "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: x\n");
	load_fails(p, NULL, "interactiveMode must be specified", "v1 needs "
	    "interactiveMode");
	p = exec_config("exec8", "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1alpha1\n"
	    "      command: x\n      interactiveMode: Never\n");
	load_fails(p, NULL, "v1alpha1", "an unknown exec apiVersion");
	buf_release(&user);
	buf_release(&err);
}

static void
test_errors(void)
{
	struct buf want = BUF_INIT;
	const char *p;

	load_fails(path_of("absent"), NULL, "No such file", "a missing "
	    "explicit file");
	p = write_file("e-yaml", "current-context: x\nclusters: [\n");
	buf_addf(&want, "kubeconfig '%s': ", p);
	load_fails(p, NULL, want.s, "a YAML error names the file");
	p = write_file("e-type", "current-context: x\n"
	    "clusters:\n- name: c\n  cluster:\n    server: 8080\n");
	load_fails(p, NULL, " 5:13: 'server' must be a string",
	    "a wrong type has line and column");
	p = write_file("e-dup", "clusters:\n- {name: c, cluster: {}}\n"
	    "- {name: c, cluster: {}}\n");
	load_fails(p, NULL, "defined twice", "a name twice in one file");
	p = write_file("e-kind", "kind: Pod\n");
	load_fails(p, NULL, "kind 'Pod'", "kind must be Config");
	p = write_file("e-nocl", "current-context: x\n"
	    "contexts: [{name: x, context: {cluster: gone, user: u}}]\n");
	load_fails(p, NULL, "cluster 'gone' of context 'x' not found",
	    "a context naming a missing cluster");
	p = write_file("e-nouser", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: gone}}]\n");
	load_fails(p, NULL, "user 'gone' of context 'x' not found",
	    "a context naming a missing user");
	p = write_file("e-noserver", "current-context: x\n"
	    "clusters: [{name: c, cluster: {insecure-skip-tls-verify: true}}]\n"
	    "contexts: [{name: x, context: {cluster: c}}]\n");
	load_fails(p, NULL, "no server found for cluster 'c'", "no server");
	p = write_file("e-both", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k}}]\n"
	    "users: [{name: u, user: {token: t, username: a, password: b}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	load_fails(p, NULL, "more than one authentication method",
	    "token and basic auth together");
	p = write_file("e-insecure", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k, "
	    "insecure-skip-tls-verify: true, "
	    "certificate-authority-data: aGVsbG8gQ0EK}}]\n"
	    "contexts: [{name: x, context: {cluster: c}}]\n");
	load_fails(p, NULL, "insecure-skip-tls-verify and a certificate",
	    "insecure with a CA");
	p = write_file("e-b64", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k, "
	    "certificate-authority-data: \"not base64!\"}}]\n"
	    "contexts: [{name: x, context: {cluster: c}}]\n");
	load_fails(p, NULL, "not valid base64", "bad base64");
	p = write_file("e-proxy", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k, "
	    "proxy-url: \"ftp://p\"}}]\n"
	    "contexts: [{name: x, context: {cluster: c}}]\n");
	load_fails(p, NULL, "invalid proxy-url", "a proxy that is not http, "
	    "https or socks5");
	p = write_file("e-provider", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k}}]\n"
	    "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	load_fails(p, NULL, "auth-provider", "auth-provider is refused");
	p = write_file("e-as", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k}}]\n"
	    "users: [{name: u, user: {token: t, as: admin}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	load_fails(p, NULL, "impersonation", "impersonation is refused");
	p = write_file("e-certonly", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k}}]\n"
	    "users: [{name: u, user: "
	    "{client-certificate-data: aGVsbG8gQ0EK}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	load_fails(p, NULL, "client-key-data or client-key must be specified",
	    "a certificate without a key");
	p = write_file("e-secret", "current-context: x\n"
	    "clusters: [{name: c, cluster: {server: https://k}}]\n"
	    "users: [{name: u, user: {token: LEAKED-SECRET, password: 7}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
	load_fails(p, NULL, "'password' must be a string", "a wrong type");
	buf_release(&want);
}

int
main(void)
{
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	clean_env();
	test_single();
	test_merge();
	test_home();
	test_paths();
	test_token_file();
	test_basic();
	test_in_cluster();
	test_exec();
	test_errors();
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmp);
	}
	return tap_done();
}
