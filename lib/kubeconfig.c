#include "lib/kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/genrun.h"
#include "lib/log.h"
#include "lib/num.h"
#include "lib/xalloc.h"
#include "lib/yml.h"
#include "lib/banned.h"

extern char **environ;

#define MAX_FILE (16 << 20)		/* a kubeconfig, a token, a CA */
#define MAX_PLUGIN_OUT (4 << 20)
#define STDERR_EXCERPT 200
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define EXEC_V1 "client.authentication.k8s.io/v1"
#define EXEC_V1BETA1 "client.authentication.k8s.io/v1beta1"
#define EXEC_EXTENSION "client.authentication.k8s.io/exec"
#define EXEC_INFO_ENV "KUBERNETES_EXEC_INFO"

struct kc_file {
	char *path;
	char *dir;		/* absolute, for relative paths in the file */
	struct buf data;	/* the parsed tree points into it */
	struct yml_doc doc;
};

struct kc_context {
	char *cluster, *user, *namespace;
};

/* Replace control bytes from start on: names in a file must not split lines. */
static void
sanitize(struct buf *b, size_t start)
{
	size_t i;

	for (i = start; i < b->len; i++)
		if ((unsigned char)b->s[i] < 0x20 || b->s[i] == 0x7f)
			b->s[i] = '?';
}

/* "kubeconfig 'path': line:column: message" to err; -1. */
__attribute__((format(printf, 4, 5)))
static int
fail_at(struct buf *err, const struct kc_file *f, const struct yml_node *n,
    const char *fmt, ...)
{
	size_t start = err->len;
	va_list ap;

	if (f != NULL)
		buf_addf(err, "kubeconfig '%s': ", f->path);
	if (n != NULL && yml_line(n) > 0)
		buf_addf(err, "%lu:%lu: ", yml_line(n), yml_column(n));
	va_start(ap, fmt);
	buf_vaddf(err, fmt, ap);
	va_end(ap);
	sanitize(err, start);
	return -1;
}

__attribute__((format(printf, 2, 3)))
static int
fail(struct buf *err, const char *fmt, ...)
{
	size_t start = err->len;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(err, fmt, ap);
	va_end(ap);
	sanitize(err, start);
	return -1;
}

static int
is_null(const struct yml_node *n)
{
	return n == NULL || yml_type(n) == YML_NULL;
}

static const char *
node_type(const struct yml_node *n)
{
	if (n == NULL)
		return "nothing";
	switch (yml_type(n)) {
	case YML_NULL:
		return "null";
	case YML_BOOL:
		return "a boolean";
	case YML_INT:
	case YML_FLOAT:
		return "a number";
	case YML_STR:
		return "a string";
	case YML_SEQ:
		return "a list";
	case YML_MAP:
		return "a mapping";
	}
	return "something else";
}

/* null (or absent) is an empty mapping, as Go decodes it */
static int
need_map(const struct kc_file *f, const struct yml_node *n, const char *what,
    struct buf *err)
{
	if (is_null(n) || yml_type(n) == YML_MAP)
		return 0;
	return fail_at(err, f, n, "%s must be a mapping, not %s", what,
	    node_type(n));
}

static int
need_seq(const struct kc_file *f, const struct yml_node *n, const char *what,
    struct buf *err)
{
	if (is_null(n) || yml_type(n) == YML_SEQ)
		return 0;
	return fail_at(err, f, n, "'%s' must be a list, not %s", what,
	    node_type(n));
}

/* A string node's bytes, refusing NUL; NULL with err set otherwise. */
static const char *
node_str(const struct kc_file *f, const struct yml_node *v, const char *key,
    size_t *len, struct buf *err)
{
	const char *s;
	size_t n;

	s = yml_str(v, &n);
	if (s == NULL) {
		fail_at(err, f, v, "'%s' must be a string, not %s", key,
		    node_type(v));
		return NULL;
	}
	if (memchr(s, '\0', n) != NULL) {
		fail_at(err, f, v, "'%s' must not hold a NUL byte", key);
		return NULL;
	}
	*len = n;
	return s;
}

/*
 * map[key] copied to *out (replacing it). Absent, null and "" all leave
 * NULL: client-go tests these fields by length.
 */
static int
get_str(const struct kc_file *f, const struct yml_node *map, const char *key,
    char **out, struct buf *err)
{
	const struct yml_node *v = yml_get(map, key);
	const char *s;
	size_t n;

	free(*out);
	*out = NULL;
	if (is_null(v))
		return 0;
	s = node_str(f, v, key, &n, err);
	if (s == NULL)
		return -1;
	if (n > 0)
		*out = xmemdup(s, n);
	return 0;
}

static int
get_bool(const struct kc_file *f, const struct yml_node *map, const char *key,
    int *out, struct buf *err)
{
	const struct yml_node *v = yml_get(map, key);
	const char *json;

	*out = 0;
	if (is_null(v))
		return 0;
	if (yml_type(v) != YML_BOOL)
		return fail_at(err, f, v, "'%s' must be true or false, not %s",
		    key, node_type(v));
	json = yml_scalar_json(v);
	*out = json != NULL && strcmp(json, "true") == 0;
	return 0;
}

/* A []byte field: base64 as Go decodes it (StdEncoding, CR and LF skipped). */
static int
get_b64(const struct kc_file *f, const struct yml_node *map, const char *key,
    struct buf *out, struct buf *err)
{
	const struct yml_node *v = yml_get(map, key);
	struct buf clean = BUF_INIT;
	const char *s;
	size_t i, n;
	int r;

	buf_reset(out);
	if (is_null(v))
		return 0;
	s = node_str(f, v, key, &n, err);
	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			buf_addch(&clean, s[i]);
	r = digest_base64_decode(clean.s, clean.len, 0, out);
	buf_release(&clean);
	if (r < 0)
		return fail_at(err, f, v, "'%s' is not valid base64", key);
	return 0;
}

/* Lexical clean of an absolute path, as Go's filepath.Clean does it. */
static char *
clean_path(const char *p)
{
	struct buf b = BUF_INIT;
	const char *seg, *end;
	size_t n;

	for (seg = p; *seg != '\0'; seg = end) {
		while (*seg == '/')
			seg++;
		end = seg;
		while (*end != '\0' && *end != '/')
			end++;
		n = (size_t)(end - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (b.len > 0 && b.s[b.len - 1] != '/')
				b.len--;
			if (b.len > 0)
				b.len--;	/* the slash */
			buf_setlen(&b, b.len);
			continue;
		}
		buf_addch(&b, '/');
		buf_add(&b, seg, n);
	}
	if (b.len == 0)
		buf_addch(&b, '/');
	return buf_detach(&b, NULL);
}

/* A relative path in *p is joined to the file's folder (ResolvePaths). */
static void
resolve(const struct kc_file *f, char **p)
{
	struct buf b = BUF_INIT;

	if (*p == NULL || (*p)[0] == '/')
		return;
	buf_addf(&b, "%s/%s", f->dir, *p);
	free(*p);
	*p = clean_path(b.s);
	buf_release(&b);
}

static int
read_file(const char *path, struct buf *out)
{
	int fd, r, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = buf_read_fd(out, fd, MAX_FILE);
	saved = errno;
	(void)close(fd);
	errno = saved;
	return r;
}

static int
readable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	(void)close(fd);
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* strings.TrimSpace, for the ASCII spaces a token file may end with */
static void
trim_space(struct buf *b)
{
	size_t i = 0, n = b->len;

	while (n > 0 && is_space(b->s[n - 1]))
		n--;
	while (i < n && is_space(b->s[i]))
		i++;
	if (i > 0)
		memmove(b->s, b->s + i, n - i);
	buf_setlen(b, n - i);
}

/* ---- decoding entries (every entry of every file, as client-go does) */

static void
exec_free(struct kubeconfig_exec *x)
{
	size_t i;

	if (x == NULL)
		return;
	free(x->api_version);
	free(x->command);
	for (i = 0; i < x->nargs; i++)
		free(x->args[i]);
	free(x->args);
	for (i = 0; i < x->nenv; i++) {
		free(x->env[i].name);
		free(x->env[i].value);
	}
	free(x->env);
	free(x->interactive_mode);
	free(x->install_hint);
	free(x->exec_info);
	buf_release(&x->token);
	buf_release(&x->cert);
	buf_release(&x->key);
	free(x);
}

static int
decode_exec(const struct kc_file *f, const struct yml_node *e,
    struct kubeconfig_exec **out, struct buf *err)
{
	struct kubeconfig_exec *x = xcalloc(1, sizeof(*x));
	const struct yml_node *l, *item;
	const char *s;
	size_t i, n;

	buf_init(&x->token, 0);
	buf_init(&x->cert, 0);
	buf_init(&x->key, 0);
	*out = x;
	if (get_str(f, e, "apiVersion", &x->api_version, err) < 0 ||
	    get_str(f, e, "command", &x->command, err) < 0 ||
	    get_str(f, e, "interactiveMode", &x->interactive_mode, err) < 0 ||
	    get_str(f, e, "installHint", &x->install_hint, err) < 0 ||
	    get_bool(f, e, "provideClusterInfo", &x->provide_cluster_info,
	    err) < 0)
		return -1;
	l = yml_get(e, "args");
	if (need_seq(f, l, "args", err) < 0)
		return -1;
	x->args = xcalloc(yml_len(l) + 1, sizeof(*x->args));
	for (i = 0; i < yml_len(l); i++) {
		item = yml_at(l, i);
		s = node_str(f, item, "args", &n, err);
		if (s == NULL)
			return -1;
		x->args[x->nargs++] = xmemdup(s, n);
	}
	l = yml_get(e, "env");
	if (need_seq(f, l, "env", err) < 0)
		return -1;
	x->env = xcalloc(yml_len(l) + 1, sizeof(*x->env));
	for (i = 0; i < yml_len(l); i++) {
		item = yml_at(l, i);
		if (need_map(f, item, "an 'env' entry", err) < 0)
			return -1;
		if (get_str(f, item, "name", &x->env[x->nenv].name, err) < 0 ||
		    get_str(f, item, "value", &x->env[x->nenv].value,
		    err) < 0) {
			x->nenv++;
			return -1;
		}
		x->nenv++;
	}
	/* v1beta1 defaults it; v1 must say (clientcmd/api/v1/defaults.go) */
	if (x->interactive_mode == NULL && x->api_version != NULL &&
	    strcmp(x->api_version, EXEC_V1BETA1) == 0)
		x->interactive_mode = xstrdup("IfAvailable");
	if (x->command != NULL && strchr(x->command, '/') != NULL)
		resolve(f, &x->command);
	return 0;
}

static int
decode_user(const struct kc_file *f, const struct yml_node *u,
    struct kubeconfig *k, struct buf *err)
{
	const struct yml_node *e;

	if (get_str(f, u, "client-certificate", &k->client_cert_file,
	    err) < 0 ||
	    get_b64(f, u, "client-certificate-data", &k->client_cert_data,
	    err) < 0 ||
	    get_str(f, u, "client-key", &k->client_key_file, err) < 0 ||
	    get_b64(f, u, "client-key-data", &k->client_key_data, err) < 0 ||
	    get_str(f, u, "token", &k->token, err) < 0 ||
	    get_str(f, u, "tokenFile", &k->token_file, err) < 0 ||
	    get_str(f, u, "username", &k->username, err) < 0 ||
	    get_str(f, u, "password", &k->password, err) < 0)
		return -1;
	resolve(f, &k->client_cert_file);
	resolve(f, &k->client_key_file);
	resolve(f, &k->token_file);
	e = yml_get(u, "exec");
	if (need_map(f, e, "'exec'", err) < 0)
		return -1;
	if (!is_null(e) && decode_exec(f, e, &k->exec, err) < 0)
		return -1;
	e = yml_get(u, "auth-provider");
	if (need_map(f, e, "'auth-provider'", err) < 0)
		return -1;
	return 0;
}

/* The exec extension of a cluster as JSON text into *out (NULL if none). */
static int
decode_extensions(const struct kc_file *f, const struct yml_node *c,
    char **out, struct buf *err)
{
	const struct yml_node *l = yml_get(c, "extensions"), *item;
	struct buf json = BUF_INIT;
	const char *name;
	size_t i;

	if (need_seq(f, l, "extensions", err) < 0)
		return -1;
	for (i = 0; i < yml_len(l); i++) {
		item = yml_at(l, i);
		if (need_map(f, item, "an 'extensions' entry", err) < 0)
			return -1;
		name = yml_get_str(item, "name");
		if (out == NULL || name == NULL ||
		    strcmp(name, EXEC_EXTENSION) != 0 ||
		    is_null(yml_get(item, "extension")))
			continue;
		yml_to_json(&json, yml_get(item, "extension"));
		free(*out);
		*out = buf_detach(&json, NULL);
	}
	return 0;
}

static int
decode_cluster(const struct kc_file *f, const struct yml_node *c,
    struct kubeconfig *k, char **exec_ext, struct buf *err)
{
	if (get_str(f, c, "server", &k->server, err) < 0 ||
	    get_str(f, c, "certificate-authority", &k->ca_file, err) < 0 ||
	    get_b64(f, c, "certificate-authority-data", &k->ca_data, err) < 0 ||
	    get_bool(f, c, "insecure-skip-tls-verify", &k->insecure, err) < 0 ||
	    get_str(f, c, "tls-server-name", &k->tls_server_name, err) < 0 ||
	    get_str(f, c, "proxy-url", &k->proxy_url, err) < 0 ||
	    get_bool(f, c, "disable-compression", &k->disable_compression,
	    err) < 0 ||
	    decode_extensions(f, c, exec_ext, err) < 0)
		return -1;
	resolve(f, &k->ca_file);
	return 0;
}

static void
context_release(struct kc_context *c)
{
	free(c->cluster);
	free(c->user);
	free(c->namespace);
	memset(c, 0, sizeof(*c));
}

static int
decode_context(const struct kc_file *f, const struct yml_node *c,
    struct kc_context *out, struct buf *err)
{
	if (get_str(f, c, "cluster", &out->cluster, err) < 0 ||
	    get_str(f, c, "user", &out->user, err) < 0 ||
	    get_str(f, c, "namespace", &out->namespace, err) < 0)
		return -1;
	return 0;
}

static void
init_config(struct kubeconfig *k)
{
	memset(k, 0, sizeof(*k));
	buf_init(&k->ca_data, 0);
	buf_init(&k->client_cert_data, 0);
	buf_init(&k->client_key_data, 0);
	buf_init(&k->file_token, 0);
	k->expiry_margin = KUBECONFIG_EXPIRY_MARGIN;
}

/* Type-check one entry of list by decoding it into scratch space. */
static int
check_entry(const struct kc_file *f, const char *item,
    const struct yml_node *body, struct buf *err)
{
	struct kubeconfig scratch;
	struct kc_context ctx;
	char *ext = NULL;
	int r;

	if (need_map(f, body, item, err) < 0)
		return -1;
	init_config(&scratch);
	memset(&ctx, 0, sizeof(ctx));
	if (strcmp(item, "cluster") == 0)
		r = decode_cluster(f, body, &scratch, &ext, err);
	else if (strcmp(item, "user") == 0)
		r = decode_user(f, body, &scratch, err);
	else
		r = decode_context(f, body, &ctx, err);
	free(ext);
	context_release(&ctx);
	kubeconfig_release(&scratch);
	return r;
}

/* root[list] is a list of {name: string, item: mapping}, names unique. */
static int
check_list(const struct kc_file *f, const struct yml_node *root,
    const char *list, const char *item, struct buf *err)
{
	const struct yml_node *l = yml_get(root, list), *e;
	const char *name, *other;
	size_t i, j, n;

	if (need_seq(f, l, list, err) < 0)
		return -1;
	for (i = 0; i < yml_len(l); i++) {
		e = yml_at(l, i);
		if (yml_type(e) != YML_MAP)
			return fail_at(err, f, e, "an entry of '%s' must be a "
			    "mapping, not %s", list, node_type(e));
		if (is_null(yml_get(e, "name")))
			return fail_at(err, f, e, "an entry of '%s' has no "
			    "name", list);
		name = node_str(f, yml_get(e, "name"), "name", &n, err);
		if (name == NULL)
			return -1;
		for (j = 0; j < i; j++) {
			other = yml_get_str(yml_at(l, j), "name");
			if (other != NULL && strcmp(other, name) == 0)
				return fail_at(err, f, e, "%s '%s' is defined "
				    "twice in '%s'", item, name, list);
		}
		if (check_entry(f, item, yml_get(e, item), err) < 0)
			return -1;
	}
	return 0;
}

/* The folder of path, made absolute. */
static char *
abs_dir(const char *path)
{
	struct buf b = BUF_INIT;
	const char *slash = strrchr(path, '/');
	char *cwd, *dir;

	if (path[0] != '/') {
		cwd = getcwd(NULL, 0);
		buf_adds(&b, cwd != NULL ? cwd : ".");
		free(cwd);
		buf_addch(&b, '/');
	}
	if (slash != NULL)
		buf_add(&b, path, (size_t)(slash - path) + 1);
	dir = clean_path(b.s);
	buf_release(&b);
	return dir;
}

static void
file_release(struct kc_file *f)
{
	free(f->path);
	free(f->dir);
	yml_doc_release(&f->doc);
	buf_release(&f->data);
}

/*
 * Read and check the file at path: 1, or 0 if it does not exist (nothing
 * in err), or -1 with err set.
 */
static int
load_file(struct kc_file *f, const char *path, struct buf *err)
{
	const struct yml_node *root;
	struct yml_error yerr;
	const char *s;
	size_t n;

	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	buf_init(&f->data, 0);
	if (read_file(path, &f->data) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(err, "cannot read kubeconfig '%s': %s", path,
		    strerror(errno));
	}
	f->dir = abs_dir(path);
	if (yml_parse_one(f->data.s, f->data.len, &f->doc, &yerr) < 0) {
		if (yerr.line > 0)
			return fail(err, "kubeconfig '%s': %lu:%lu: %s", path,
			    yerr.line, yerr.column, yerr.msg);
		return fail(err, "kubeconfig '%s': %s", path, yerr.msg);
	}
	root = f->doc.root;
	if (need_map(f, root, "the file", err) < 0)
		return -1;
	if (!is_null(yml_get(root, "kind"))) {
		s = node_str(f, yml_get(root, "kind"), "kind", &n, err);
		if (s == NULL)
			return -1;
		if (strcmp(s, "Config") != 0)
			return fail_at(err, f, yml_get(root, "kind"), "kind "
			    "'%s' is not Config", s);
	}
	if (!is_null(yml_get(root, "apiVersion"))) {
		s = node_str(f, yml_get(root, "apiVersion"), "apiVersion", &n,
		    err);
		if (s == NULL)
			return -1;
		if (strcmp(s, "v1") != 0)
			return fail_at(err, f, yml_get(root, "apiVersion"),
			    "apiVersion '%s' is not v1", s);
	}
	if (!is_null(yml_get(root, "current-context")) &&
	    node_str(f, yml_get(root, "current-context"), "current-context",
	    &n, err) == NULL)
		return -1;
	if (check_list(f, root, "clusters", "cluster", err) < 0 ||
	    check_list(f, root, "users", "user", err) < 0 ||
	    check_list(f, root, "contexts", "context", err) < 0)
		return -1;
	return 1;
}

/*
 * The first entry called name in files[].list: its body (may be NULL for
 * an entry with none) and file in *body and *file; 1, or 0 if none.
 */
static int
find_entry(struct kc_file *files, size_t nfiles, const char *list,
    const char *item, const char *name, const struct yml_node **body,
    const struct kc_file **file, const struct yml_node **entry)
{
	const struct yml_node *l, *e;
	const char *s;
	size_t i, j;

	for (i = 0; i < nfiles; i++) {
		l = yml_get(files[i].doc.root, list);
		for (j = 0; j < yml_len(l); j++) {
			e = yml_at(l, j);
			s = yml_get_str(e, "name");
			if (s == NULL || strcmp(s, name) != 0)
				continue;
			*body = yml_get(e, item);
			*file = &files[i];
			*entry = e;
			return 1;
		}
	}
	return 0;
}

static void
add_file_list(struct buf *b, struct kc_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_addf(b, "%s'%s'", i ? ", " : "", files[i].path);
}

/* ---- checks on the chosen cluster and user (client-go's validation.go) */

static int
has_scheme(const char *url, const char *const *schemes)
{
	const char *p = strstr(url, "://");
	size_t n;

	if (p == NULL)
		return 0;
	n = (size_t)(p - url);
	for (; *schemes != NULL; schemes++)
		if (strlen(*schemes) == n && strncasecmp(url, *schemes, n) == 0)
			return p[3] != '\0' && p[3] != '/';
	return 0;
}

static int
check_cluster(const struct kc_file *f, const struct yml_node *entry,
    struct kubeconfig *k, struct buf *err)
{
	static const char *const web[] = { "http", "https", NULL };
	static const char *const proxy[] = { "http", "https", "socks5", NULL };
	const char *name = k->cluster_name;
	struct buf b = BUF_INIT;
	int tls;

	if (k->server == NULL)
		return fail_at(err, f, entry, "no server found for cluster "
		    "'%s'", name);
	if (strstr(k->server, "://") == NULL) {
		/* rest.DefaultServerURL */
		tls = k->ca_file != NULL || k->ca_data.len > 0 || k->insecure ||
		    k->client_cert_file != NULL || k->client_cert_data.len > 0;
		buf_addf(&b, "%s://%s", tls ? "https" : "http", k->server);
		free(k->server);
		k->server = buf_detach(&b, NULL);
	}
	/* URLs stay out of messages: they may hold a user:password@ */
	if (!has_scheme(k->server, web))
		return fail_at(err, f, entry, "the server of cluster '%s' is "
		    "not an http or https URL", name);
	if (k->proxy_url != NULL && !has_scheme(k->proxy_url, proxy))
		return fail_at(err, f, entry, "invalid proxy-url for cluster "
		    "'%s': the scheme must be http, https or socks5", name);
	if (k->ca_file != NULL && k->ca_data.len > 0)
		return fail_at(err, f, entry, "certificate-authority-data and "
		    "certificate-authority are both specified for cluster "
		    "'%s'", name);
	if (k->insecure && (k->ca_file != NULL || k->ca_data.len > 0))
		return fail_at(err, f, entry, "cluster '%s' has both "
		    "insecure-skip-tls-verify and a certificate authority",
		    name);
	if (k->ca_file != NULL && readable(k->ca_file) < 0)
		return fail_at(err, f, entry, "cannot read "
		    "certificate-authority '%s' of cluster '%s': %s",
		    k->ca_file, name, strerror(errno));
	return 0;
}

static int
check_exec(const struct kc_file *f, const struct yml_node *entry,
    const struct kubeconfig *k, struct buf *err)
{
	const struct kubeconfig_exec *x = k->exec;
	const char *name = k->user_name;
	size_t i;

	if (x->command == NULL)
		return fail_at(err, f, entry, "command must be specified for "
		    "user '%s' to use an exec plugin", name);
	if (x->api_version == NULL)
		return fail_at(err, f, entry, "apiVersion must be specified "
		    "for user '%s' to use an exec plugin", name);
	if (strcmp(x->api_version, EXEC_V1) != 0 &&
	    strcmp(x->api_version, EXEC_V1BETA1) != 0)
		return fail_at(err, f, entry, "exec plugin of user '%s': "
		    "apiVersion '%s' is not %s or %s", name, x->api_version,
		    EXEC_V1, EXEC_V1BETA1);
	for (i = 0; i < x->nenv; i++)
		if (x->env[i].name == NULL ||
		    strchr(x->env[i].name, '=') != NULL)
			return fail_at(err, f, entry, "exec plugin of user "
			    "'%s': env entry %zu has no valid name", name, i);
	if (x->interactive_mode == NULL)
		return fail_at(err, f, entry, "interactiveMode must be "
		    "specified for user '%s' to use an exec plugin", name);
	if (strcmp(x->interactive_mode, "Always") == 0)
		return fail_at(err, f, entry, "exec plugin of user '%s' wants "
		    "interactiveMode Always, but there is no terminal to "
		    "interact with", name);
	if (strcmp(x->interactive_mode, "Never") != 0 &&
	    strcmp(x->interactive_mode, "IfAvailable") != 0)
		return fail_at(err, f, entry, "invalid interactiveMode for "
		    "user '%s': '%s'", name, x->interactive_mode);
	return 0;
}

/*
 * Read k->token_file if it changed since the last read. If it cannot be
 * read but an earlier token is known, keep that one (with a warning): 0.
 * Otherwise 0, or -1 with why in err.
 */
static int
refresh_file_token(struct kubeconfig *k, struct buf *err)
{
	struct buf b = BUF_INIT;
	struct stat st;
	int fd, saved;

	if (k->file_token_known && stat(k->token_file, &st) == 0 &&
	    (unsigned long long)st.st_dev == k->file_dev &&
	    (unsigned long long)st.st_ino == k->file_ino &&
	    (unsigned long long)st.st_size == k->file_size &&
	    (long long)st.st_mtim.tv_sec == k->file_mtime_sec &&
	    st.st_mtim.tv_nsec == k->file_mtime_nsec)
		return 0;
	fd = open(k->token_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || buf_read_fd(&b, fd, MAX_FILE) < 0)
		goto fail;
	(void)close(fd);
	fd = -1;
	trim_space(&b);
	if (b.len == 0 || memchr(b.s, '\0', b.len) != NULL) {
		errno = 0;
		goto fail;
	}
	buf_release(&k->file_token);
	k->file_token = b;
	k->file_token_known = 1;
	k->file_dev = (unsigned long long)st.st_dev;
	k->file_ino = (unsigned long long)st.st_ino;
	k->file_size = (unsigned long long)st.st_size;
	k->file_mtime_sec = (long long)st.st_mtim.tv_sec;
	k->file_mtime_nsec = st.st_mtim.tv_nsec;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		(void)close(fd);
	buf_release(&b);
	if (k->file_token.len > 0) {
		/* keep the last token: the file may be mid-rotation */
		if (saved)
			log_warn("cannot read token file '%s' again: %s; "
			    "keeping the last token", k->token_file,
			    strerror(saved));
		else
			log_warn("token file '%s' is now empty; keeping the "
			    "last token", k->token_file);
		return 0;
	}
	if (saved)
		return fail(err, "cannot read token file '%s': %s",
		    k->token_file, strerror(saved));
	return fail(err, "token file '%s' is empty", k->token_file);
}

static int
check_user(const struct kc_file *f, const struct yml_node *entry,
    const struct yml_node *body, struct kubeconfig *k, struct buf *err)
{
	static const char *const imp[] = {
		"as", "as-uid", "as-groups", "as-user-extra", NULL
	};
	const char *name = k->user_name;
	const struct yml_node *v;
	size_t i;
	int cert, key;

	if (!is_null(yml_get(body, "auth-provider")))
		return fail_at(err, f, entry, "user '%s' uses an "
		    "auth-provider, which is not supported (client-go dropped "
		    "them in 1.26): use an exec plugin", name);
	for (i = 0; imp[i] != NULL; i++) {
		v = yml_get(body, imp[i]);
		if (is_null(v))
			continue;
		if (yml_type(v) == YML_STR ? yml_str(v, NULL)[0] != '\0' :
		    yml_type(v) == YML_SEQ || yml_type(v) == YML_MAP ?
		    yml_len(v) > 0 : 1)
			return fail_at(err, f, entry, "user '%s' asks for "
			    "impersonation ('%s'), which is not supported",
			    name, imp[i]);
	}
	if ((k->token != NULL || k->token_file != NULL) &&
	    (k->username != NULL || k->password != NULL))
		return fail_at(err, f, entry, "more than one authentication "
		    "method found for user '%s': token and basic auth; only "
		    "one is allowed", name);
	cert = k->client_cert_file != NULL || k->client_cert_data.len > 0;
	key = k->client_key_file != NULL || k->client_key_data.len > 0;
	if (k->client_cert_file != NULL && k->client_cert_data.len > 0)
		return fail_at(err, f, entry, "client-certificate-data and "
		    "client-certificate are both specified for user '%s'",
		    name);
	if (k->client_key_file != NULL && k->client_key_data.len > 0)
		return fail_at(err, f, entry, "client-key-data and client-key "
		    "are both specified for user '%s'", name);
	if (cert && !key)
		return fail_at(err, f, entry, "client-key-data or client-key "
		    "must be specified for user '%s' to use a client "
		    "certificate", name);
	if (key && !cert)
		return fail_at(err, f, entry, "client-certificate-data or "
		    "client-certificate must be specified for user '%s' to "
		    "use a client key", name);
	if (k->client_cert_file != NULL && readable(k->client_cert_file) < 0)
		return fail_at(err, f, entry, "cannot read client-certificate "
		    "'%s' of user '%s': %s", k->client_cert_file, name,
		    strerror(errno));
	if (k->client_key_file != NULL && readable(k->client_key_file) < 0)
		return fail_at(err, f, entry, "cannot read client-key '%s' of "
		    "user '%s': %s", k->client_key_file, name,
		    strerror(errno));
	if (k->token_file != NULL) {
		struct buf why = BUF_INIT;

		/* with a token too, the token serves until the file can */
		if (refresh_file_token(k, &why) < 0 && k->token == NULL) {
			fail_at(err, f, entry, "user '%s': %s", name, why.s);
			buf_release(&why);
			return -1;
		}
		buf_release(&why);
	}
	if (k->exec != NULL && check_exec(f, entry, k, err) < 0)
		return -1;
	return 0;
}

/*
 * The ExecCredential request for KUBERNETES_EXEC_INFO, with spec.cluster
 * when provideClusterInfo (client-go's exec.Cluster, v1 field names).
 */
static int
make_exec_info(struct kubeconfig *k, const char *ext, struct buf *err)
{
	struct kubeconfig_exec *x = k->exec;
	json_t *req, *spec, *cluster, *cfg;
	struct buf ca = BUF_INIT, b64 = BUF_INIT;
	json_error_t jerr;
	char *text;

	req = json_object();
	spec = json_object();
	json_object_set_new(req, "kind", json_string("ExecCredential"));
	json_object_set_new(req, "apiVersion", json_string(x->api_version));
	json_object_set_new(req, "spec", spec);
	if (x->provide_cluster_info) {
		cluster = json_object();
		json_object_set_new(cluster, "server", json_string(k->server));
		if (k->tls_server_name != NULL)
			json_object_set_new(cluster, "tls-server-name",
			    json_string(k->tls_server_name));
		if (k->insecure)
			json_object_set_new(cluster,
			    "insecure-skip-tls-verify", json_true());
		if (k->ca_data.len > 0) {
			buf_add(&ca, k->ca_data.s, k->ca_data.len);
		} else if (k->ca_file != NULL &&
		    read_file(k->ca_file, &ca) < 0) {
			fail(err, "cannot read certificate-authority '%s' of "
			    "cluster '%s': %s", k->ca_file, k->cluster_name,
			    strerror(errno));
			json_decref(req);
			buf_release(&ca);
			return -1;
		}
		if (ca.len > 0) {
			digest_base64_encode(ca.s, ca.len, 0, &b64);
			json_object_set_new(cluster,
			    "certificate-authority-data", json_string(b64.s));
		}
		if (k->proxy_url != NULL)
			json_object_set_new(cluster, "proxy-url",
			    json_string(k->proxy_url));
		if (k->disable_compression)
			json_object_set_new(cluster, "disable-compression",
			    json_true());
		if (ext != NULL) {
			cfg = json_loads(ext, JSON_DECODE_ANY, &jerr);
			if (cfg != NULL)
				json_object_set_new(cluster, "config", cfg);
		}
		json_object_set_new(spec, "cluster", cluster);
	}
	json_object_set_new(spec, "interactive", json_false());
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	buf_release(&ca);
	buf_release(&b64);
	if (text == NULL)
		return fail(err, "cannot encode the exec plugin request of "
		    "user '%s'", k->user_name);
	x->exec_info = xstrdup(text);
	free(text);
	return 0;
}

/* The chosen context, its cluster and its user, into k. */
static int
use_context(struct kc_file *files, size_t n, const char *name,
    struct kubeconfig *k, struct buf *err)
{
	const struct yml_node *body, *entry, *cluster_entry;
	const struct kc_file *f, *cf, *cluster_file;
	struct kc_context ctx = { NULL, NULL, NULL };
	char *ext = NULL;
	int ret = -1;

	k->context_name = xstrdup(name);
	if (!find_entry(files, n, "contexts", "context", name, &body, &f,
	    &entry)) {
		fail(err, "context '%s' not found in ", name);
		add_file_list(err, files, n);
		return -1;
	}
	k->source = xstrdup(f->path);
	if (decode_context(f, body, &ctx, err) < 0)
		goto out;
	if (ctx.cluster == NULL) {
		fail_at(err, f, entry, "context '%s' names no cluster", name);
		goto out;
	}
	k->cluster_name = xstrdup(ctx.cluster);
	if (!find_entry(files, n, "clusters", "cluster", ctx.cluster, &body,
	    &cf, &entry)) {
		fail_at(err, f, entry, "cluster '%s' of context '%s' not "
		    "found in ", ctx.cluster, name);
		add_file_list(err, files, n);
		goto out;
	}
	if (decode_cluster(cf, body, k, &ext, err) < 0)
		goto out;
	cluster_file = cf;
	cluster_entry = entry;
	if (ctx.user != NULL) {
		k->user_name = xstrdup(ctx.user);
		if (!find_entry(files, n, "users", "user", ctx.user, &body,
		    &cf, &entry)) {
			fail_at(err, f, NULL, "user '%s' of context '%s' not "
			    "found in ", ctx.user, name);
			add_file_list(err, files, n);
			goto out;
		}
		if (decode_user(cf, body, k, err) < 0 ||
		    check_user(cf, entry, body, k, err) < 0)
			goto out;
	}
	/* after the user: a client certificate makes a bare server https */
	if (check_cluster(cluster_file, cluster_entry, k, err) < 0)
		goto out;
	if (k->exec != NULL && make_exec_info(k, ext, err) < 0)
		goto out;
	k->namespace = xstrdup(ctx.namespace != NULL ? ctx.namespace :
	    "default");
	ret = 0;
out:
	free(ext);
	context_release(&ctx);
	return ret;
}

static const char *
sa_dir(void)
{
	const char *d = getenv("SLUICE_SERVICEACCOUNT_DIR");

	return d != NULL && *d != '\0' ? d : SA_DIR;
}

/* clientcmd's inClusterClientConfig.Possible */
static int
in_cluster_possible(void)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct buf path = BUF_INIT;
	struct stat st;
	int r;

	if (host == NULL || *host == '\0' || port == NULL || *port == '\0')
		return 0;
	buf_addf(&path, "%s/token", sa_dir());
	r = stat(path.s, &st) == 0 && !S_ISDIR(st.st_mode);
	buf_release(&path);
	return r;
}

/* rest.InClusterConfig, with clientcmd's in-cluster namespace */
static int
load_in_cluster(struct kubeconfig *k, struct buf *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *ns = getenv("POD_NAMESPACE");
	struct buf b = BUF_INIT, why = BUF_INIT;

	k->in_cluster = 1;
	if (strchr(host, ':') != NULL)
		buf_addf(&b, "https://[%s]:%s", host, port);
	else
		buf_addf(&b, "https://%s:%s", host, port);
	k->server = buf_detach(&b, NULL);
	buf_addf(&b, "%s/token", sa_dir());
	k->token_file = buf_detach(&b, NULL);
	if (refresh_file_token(k, &why) < 0) {
		fail(err, "in-cluster configuration: %s", why.s);
		buf_release(&why);
		return -1;
	}
	buf_addf(&b, "%s/ca.crt", sa_dir());
	if (readable(b.s) == 0)
		k->ca_file = buf_detach(&b, NULL);
	else
		log_warn("in-cluster configuration: cannot read '%s': %s; "
		    "going on without its certificate authority", b.s,
		    strerror(errno));
	buf_reset(&b);
	if (ns != NULL && *ns != '\0') {
		k->namespace = xstrdup(ns);
	} else {
		buf_addf(&why, "%s/namespace", sa_dir());
		if (read_file(why.s, &b) == 0) {
			trim_space(&b);
			if (b.len > 0 && memchr(b.s, '\0', b.len) == NULL)
				k->namespace = xstrdup(b.s);
		}
		if (k->namespace == NULL)
			k->namespace = xstrdup("default");
	}
	buf_release(&b);
	buf_release(&why);
	return 0;
}

/*
 * The files to read, in order, into *files; 0, or -1 with err set. *what
 * describes where they came from for messages.
 */
static int
load_files(const char *path, struct kc_file **files, size_t *nfiles,
    struct buf *what, struct buf *err)
{
	const char *env = getenv("KUBECONFIG"), *home, *p, *end;
	char **paths = NULL;
	size_t npaths = 0, i, j;
	struct buf b = BUF_INIT;
	int r = 0, explicit = 0;

	if (path != NULL && *path != '\0') {
		paths = xcalloc(1, sizeof(*paths));
		paths[npaths++] = xstrdup(path);
		explicit = 1;
		buf_addf(what, "'%s'", path);
	} else if (env != NULL && *env != '\0') {
		for (p = env; *p != '\0'; p = *end ? end + 1 : end) {
			end = strchr(p, ':');
			if (end == NULL)
				end = p + strlen(p);
			if (end == p)
				continue;
			buf_reset(&b);
			buf_add(&b, p, (size_t)(end - p));
			for (j = 0; j < npaths; j++)
				if (strcmp(paths[j], b.s) == 0)
					break;
			if (j < npaths)
				continue;
			paths = xreallocarray(paths, npaths + 1,
			    sizeof(*paths));
			paths[npaths++] = xstrdup(b.s);
		}
		buf_adds(what, "the files in $KUBECONFIG (");
		for (j = 0; j < npaths; j++)
			buf_addf(what, "%s'%s'", j ? ", " : "", paths[j]);
		buf_addch(what, ')');
	} else if ((home = getenv("HOME")) != NULL && *home != '\0') {
		paths = xcalloc(1, sizeof(*paths));
		buf_addf(&b, "%s/.kube/config", home);
		paths[npaths++] = buf_detach(&b, NULL);
		buf_addf(what, "'%s'", paths[0]);
	} else {
		buf_adds(what, "~/.kube/config ($HOME is not set)");
	}
	*files = xcalloc(npaths + 1, sizeof(**files));
	*nfiles = 0;
	for (i = 0; i < npaths && r >= 0; i++) {
		r = load_file(&(*files)[*nfiles], paths[i], err);
		if (r > 0) {
			(*nfiles)++;
			continue;
		}
		file_release(&(*files)[*nfiles]);
		if (r == 0 && explicit)
			r = fail(err, "cannot read kubeconfig '%s': %s",
			    paths[i], strerror(ENOENT));
	}
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	buf_release(&b);
	return r < 0 ? -1 : 0;
}

int
kubeconfig_load(const char *path, const char *context,
    struct kubeconfig *out, struct buf *err)
{
	struct buf what = BUF_INIT;
	struct kc_file *files = NULL;
	const char *name = NULL;
	size_t nfiles = 0, i;
	int ret = -1;

	init_config(out);
	if (load_files(path, &files, &nfiles, &what, err) < 0)
		goto out;
	if (context != NULL && *context != '\0') {
		name = context;
	} else {
		for (i = 0; i < nfiles && name == NULL; i++) {
			name = yml_get_str(files[i].doc.root,
			    "current-context");
			if (name != NULL && *name == '\0')
				name = NULL;
		}
	}
	if (name != NULL && nfiles > 0) {
		ret = use_context(files, nfiles, name, out, err);
		goto out;
	}
	/* client-go's DeferredLoadingClientConfig: empty config, in-cluster */
	if (name == NULL && in_cluster_possible()) {
		ret = load_in_cluster(out, err);
		goto out;
	}
	if (name != NULL)
		fail(err, "context '%s' not found: no kubeconfig in %s", name,
		    what.s);
	else if (nfiles == 0)
		fail(err, "no kubeconfig: none found in %s, and not in a "
		    "cluster (KUBERNETES_SERVICE_HOST and _PORT are not set or "
		    "there is no service account token)", what.s);
	else
		fail(err, "no context: none was named and %s set no "
		    "current-context", what.s);
out:
	for (i = 0; i < nfiles; i++)
		file_release(&files[i]);
	free(files);
	buf_release(&what);
	return ret;
}

void
kubeconfig_release(struct kubeconfig *k)
{
	free(k->server);
	free(k->ca_file);
	buf_release(&k->ca_data);
	free(k->tls_server_name);
	free(k->proxy_url);
	free(k->client_cert_file);
	free(k->client_key_file);
	buf_release(&k->client_cert_data);
	buf_release(&k->client_key_data);
	free(k->token);
	free(k->token_file);
	free(k->username);
	free(k->password);
	exec_free(k->exec);
	free(k->namespace);
	free(k->context_name);
	free(k->cluster_name);
	free(k->user_name);
	free(k->source);
	buf_release(&k->file_token);
	init_config(k);
}

/* ---- exec plugins */

static void
add_sh_quoted(struct buf *b, const char *s)
{
	buf_addch(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addch(b, *s);
	}
	buf_addch(b, '\'');
}

/*
 * Our environment, then the plugin's env, then KUBERNETES_EXEC_INFO; a
 * name given later replaces an earlier one (Go's exec keeps the last).
 * Entries from *nborrowed on are owned by the array.
 */
static char **
plugin_env(const struct kubeconfig_exec *x, size_t *nborrowed)
{
	struct buf b = BUF_INIT;
	size_t n = 0, i, j, len;
	char **envp;
	int keep;

	for (i = 0; environ[i] != NULL; i++)
		n++;
	envp = xcalloc(n + x->nenv + 2, sizeof(*envp));
	n = 0;
	for (i = 0; environ[i] != NULL; i++) {
		keep = strncmp(environ[i], EXEC_INFO_ENV "=",
		    strlen(EXEC_INFO_ENV) + 1) != 0;
		for (j = 0; keep && j < x->nenv; j++) {
			len = strlen(x->env[j].name);
			if (strncmp(environ[i], x->env[j].name, len) == 0 &&
			    environ[i][len] == '=')
				keep = 0;
		}
		if (keep)
			envp[n++] = environ[i];
	}
	*nborrowed = n;
	for (j = 0; j < x->nenv; j++) {
		/* a later entry of the same name wins */
		for (i = j + 1; i < x->nenv; i++)
			if (strcmp(x->env[i].name, x->env[j].name) == 0)
				break;
		if (i < x->nenv)
			continue;
		buf_addf(&b, "%s=%s", x->env[j].name,
		    x->env[j].value != NULL ? x->env[j].value : "");
		envp[n++] = buf_detach(&b, NULL);
	}
	buf_addf(&b, "%s=%s", EXEC_INFO_ENV, x->exec_info);
	envp[n++] = buf_detach(&b, NULL);
	envp[n] = NULL;
	return envp;
}

/* The last non-empty line of what the plugin wrote on stderr, shortened. */
static void
add_stderr_line(struct buf *msg, const struct buf *e)
{
	size_t end = e->len, start;

	while (end > 0 && strchr(" \t\r\n", e->s[end - 1]) != NULL &&
	    e->s[end - 1] != '\0')
		end--;
	if (end == 0)
		return;
	start = end;
	while (start > 0 && e->s[start - 1] != '\n')
		start--;
	if (end - start > STDERR_EXCERPT)
		end = start + STDERR_EXCERPT;
	buf_adds(msg, ": ");
	buf_add(msg, e->s + start, end - start);
}

/* status[key]: a string, absent or null. -1 if something else. */
static int
status_str(const json_t *status, const char *key, const char **out)
{
	const json_t *v = json_object_get(status, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	if (json_string_length(v) > 0)
		*out = json_string_value(v);
	return 0;
}

/* Check the ExecCredential and keep it in x. 0, or -1 with why in err. */
static int
take_credential(struct kubeconfig_exec *x, const struct buf *out,
    struct buf *err)
{
	const char *token, *cert, *key, *exp, *s;
	const json_t *status, *v;
	json_error_t jerr;
	json_t *doc;
	long long t = 0;
	int ret = -1;

	doc = json_loadb(out->s, out->len, 0, &jerr);
	if (doc == NULL) {
		/* jerr.text may quote the output: it stays out */
		return fail(err, "its output is not a JSON object (line %d, "
		    "column %d)", jerr.line, jerr.column);
	}
	v = json_object_get(doc, "apiVersion");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, x->api_version) != 0) {
		fail(err, "it is configured to use API version %s, but it "
		    "returned '%.64s'", x->api_version, s);
		goto out;
	}
	v = json_object_get(doc, "kind");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, "ExecCredential") != 0) {
		fail(err, "it returned kind '%.64s', not ExecCredential", s);
		goto out;
	}
	status = json_object_get(doc, "status");
	if (!json_is_object(status)) {
		fail(err, "it did not return a status object");
		goto out;
	}
	if (status_str(status, "token", &token) < 0 ||
	    status_str(status, "clientCertificateData", &cert) < 0 ||
	    status_str(status, "clientKeyData", &key) < 0 ||
	    status_str(status, "expirationTimestamp", &exp) < 0) {
		fail(err, "a field of its status is not a string");
		goto out;
	}
	if (token == NULL && cert == NULL && key == NULL) {
		fail(err, "it returned neither a token nor a client "
		    "certificate and key");
		goto out;
	}
	if ((cert == NULL) != (key == NULL)) {
		fail(err, "it returned only a client certificate or key, not "
		    "both");
		goto out;
	}
	if (exp != NULL && num_parse_rfc3339(exp, &t) < 0) {
		fail(err, "its expirationTimestamp '%.64s' is not an RFC 3339 "
		    "time", exp);
		goto out;
	}
	buf_reset(&x->token);
	buf_reset(&x->cert);
	buf_reset(&x->key);
	if (token != NULL)
		buf_adds(&x->token, token);
	if (cert != NULL) {
		buf_adds(&x->cert, cert);
		buf_adds(&x->key, key);
	}
	x->has_expiry = exp != NULL;
	x->expiry = t;
	x->have_creds = 1;
	ret = 0;
out:
	json_decref(doc);
	return ret;
}

static void
drop_creds(struct kubeconfig_exec *x)
{
	/* overwrite, so that the secret does not linger in freed memory */
	memset(x->token.s, 0, x->token.len);
	memset(x->cert.s, 0, x->cert.len);
	memset(x->key.s, 0, x->key.len);
	buf_reset(&x->token);
	buf_reset(&x->cert);
	buf_reset(&x->key);
	x->have_creds = 0;
}

static int
run_plugin(struct kubeconfig *k, struct buf *err)
{
	struct kubeconfig_exec *x = k->exec;
	struct buf cmd = BUF_INIT, why = BUF_INIT;
	struct genrun_result res;
	size_t i, nborrowed;
	char **envp;
	int r, ret = -1;

	drop_creds(x);
	/* exec keeps the shell out of the way; "-x" would be an option */
	if (x->command[0] != '-')
		buf_adds(&cmd, "exec ");
	add_sh_quoted(&cmd, x->command);
	for (i = 0; i < x->nargs; i++) {
		buf_addch(&cmd, ' ');
		add_sh_quoted(&cmd, x->args[i]);
	}
	envp = plugin_env(x, &nborrowed);
	r = genrun(cmd.s, NULL, envp, KUBECONFIG_EXEC_TIMEOUT, MAX_PLUGIN_OUT,
	    0, &res);
	for (i = nborrowed; envp[i] != NULL; i++)
		free(envp[i]);
	free(envp);
	buf_release(&cmd);
	if (r < 0) {
		fail(err, "exec plugin '%s' of user '%s' could not be started",
		    x->command, k->user_name);
		goto out;
	}
	if (res.exited && (res.status == 127 || res.status == 126)) {
		fail(err, "exec plugin '%s' of user '%s': %s", x->command,
		    k->user_name, res.status == 127 ? "executable not found" :
		    "not executable");
		add_stderr_line(&why, &res.err);
		if (x->install_hint != NULL)
			buf_addf(&why, " (%s)", x->install_hint);
		buf_add(err, why.s, why.len);
		goto out;
	}
	if (genrun_failed(&res, &why)) {
		add_stderr_line(&why, &res.err);
		fail(err, "exec plugin '%s' of user '%s' failed: %s",
		    x->command, k->user_name, why.s);
		goto out;
	}
	if (take_credential(x, &res.out, &why) < 0) {
		fail(err, "exec plugin '%s' of user '%s' failed: %s",
		    x->command, k->user_name, why.s);
		goto out;
	}
	ret = 0;
out:
	memset(res.out.s, 0, res.out.len);
	genrun_result_release(&res);
	buf_release(&why);
	return ret;
}

int
kubeconfig_credentials(struct kubeconfig *k, struct kubeconfig_creds *out,
    struct buf *err)
{
	struct kubeconfig_exec *x = k->exec;
	struct buf why = BUF_INIT;
	struct timespec now;

	memset(out, 0, sizeof(*out));
	if (k->token_file != NULL) {
		if (refresh_file_token(k, &why) == 0) {
			out->token = k->file_token.s;
			return 0;
		}
		if (k->token == NULL) {
			fail(err, "cannot authenticate as user '%s': %s",
			    k->user_name != NULL ? k->user_name :
			    "(in-cluster)", why.s);
			buf_release(&why);
			return -1;
		}
		buf_release(&why);
	}
	if (k->token != NULL) {
		out->token = k->token;
		return 0;
	}
	if (k->username != NULL || k->password != NULL) {
		out->username = k->username != NULL ? k->username : "";
		out->password = k->password != NULL ? k->password : "";
		return 0;
	}
	if (x == NULL)
		return 0;
	(void)clock_gettime(CLOCK_REALTIME, &now);
	if (!x->have_creds || (x->has_expiry && (double)now.tv_sec +
	    now.tv_nsec / 1e9 >= (double)x->expiry - k->expiry_margin)) {
		if (run_plugin(k, err) < 0)
			return -1;
	}
	if (x->token.len > 0)
		out->token = x->token.s;
	if (x->cert.len > 0) {
		out->client_cert = &x->cert;
		out->client_key = &x->key;
	}
	return 0;
}

void
kubeconfig_invalidate(struct kubeconfig *k)
{
	k->file_token_known = 0;
	if (k->exec != NULL)
		drop_creds(k->exec);
}
