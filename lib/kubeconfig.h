/*
 * kubeconfig.h: where and how to reach the Kubernetes API, found the way
 * kubectl finds it (client-go's clientcmd loading rules, its validation, and
 * rest.InClusterConfig), plus the credentials to send, which may change
 * while a tool runs (rotated token files, exec credential plugins).
 *
 *	struct kubeconfig k;
 *	struct kubeconfig_creds c;
 *	struct buf err = BUF_INIT;
 *	if (kubeconfig_load(flag_kubeconfig, flag_context, &k, &err) < 0)
 *		die(EXIT_CONFIG, "%s", err.s);
 *	...
 *	if (kubeconfig_credentials(&k, &c, &err) < 0)	   before each request
 *		... err.s, the request cannot be authenticated ...
 *	... on 401: kubeconfig_invalidate(&k), then ask again, once ...
 *	kubeconfig_release(&k);
 *
 * Where the configuration comes from, first match wins:
 *  1. path, when not NULL or "": that one file, which must exist.
 *  2. $KUBECONFIG, when not empty: a colon-separated list of files (empty
 *     entries and repeats skipped) that are merged. A missing file is
 *     skipped; ~/.kube/config is not read even when all are missing.
 *  3. $HOME/.kube/config, if it exists.
 *  4. In-cluster, when steps 1-3 gave no file, or files that choose no
 *     context (no context argument, no current-context): possible when
 *     KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are both set and
 *     the service account token is a file. The service account folder is
 *     /var/run/secrets/kubernetes.io/serviceaccount, or
 *     $SLUICE_SERVICEACCOUNT_DIR (for tests). Server https://host:port
 *     (an IPv6 host in brackets), token file <dir>/token, CA <dir>/ca.crt
 *     (left out, with a warning, if unreadable, as client-go does),
 *     namespace $POD_NAMESPACE, else <dir>/namespace, else "default".
 *
 * Merging (client-go's loader.go): for clusters, users and contexts the
 * first file that defines a name wins, with the whole entry (fields are not
 * mixed across files); current-context comes from the first file that sets
 * it. The context is the context argument when not NULL or "", else the
 * current-context; its namespace defaults to "default". Relative paths in an
 * entry (certificate-authority, client-certificate, client-key, tokenFile,
 * and an exec command holding a "/") are taken relative to the folder of
 * the file that entry came from.
 *
 * Checked at load, following client-go where it is strict: every file must
 * parse (YAML errors with line:column), be a mapping with the right field
 * types, kind Config and apiVersion v1 if given, and have no name twice in
 * one list (clusters, users, contexts); unknown fields are ignored, as
 * client-go ignores them. The chosen context must exist and name a cluster
 * that exists and has a server (http or https; without a scheme, https if
 * any TLS setting is given, else http, as rest.DefaultServerURL does); a
 * user it names must exist (none named: anonymous). Not both
 * certificate-authority and -data; not insecure-skip-tls-verify with a CA;
 * proxy-url http, https or socks5; not token (or tokenFile) and basic auth
 * together; client certificate and key both or neither, and not as file and
 * data at once; files named must be readable (tokenFile is read now); exec:
 * command and apiVersion (client.authentication.k8s.io/v1 or v1beta1)
 * given, every env entry named, interactiveMode Never or IfAvailable
 * (required for v1, IfAvailable by default for v1beta1; "Always" is
 * refused: we never have a terminal). auth-provider (gone from client-go
 * since 1.26) and impersonation (as, as-groups, ...) are refused rather
 * than ignored, since ignoring them would act as someone else.
 *
 * Errors are written to err as one line that names the file (and line:column
 * where there is one) and what is wrong; nothing is logged by load. No error
 * message ever holds a credential (token, password, key, plugin output).
 */
#ifndef SLUICE_KUBECONFIG_H
#define SLUICE_KUBECONFIG_H

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"

/* Seconds before a plugin credential's expirationTimestamp it is renewed. */
#define KUBECONFIG_EXPIRY_MARGIN 10.0
/* Time limit for one run of an exec plugin, in seconds. */
#define KUBECONFIG_EXEC_TIMEOUT 60.0

struct kubeconfig_env {
	char *name, *value;
};

/* users[].user.exec; every string owned by the struct */
struct kubeconfig_exec {
	char *api_version;	/* client.authentication.k8s.io/v1 or v1beta1 */
	char *command;		/* made absolute if it holds a "/" */
	char **args;
	size_t nargs;
	struct kubeconfig_env *env;
	size_t nenv;
	char *interactive_mode;	/* "Never" or "IfAvailable" */
	char *install_hint;	/* NULL if none */
	int provide_cluster_info;
	/*
	 * Private. The KUBERNETES_EXEC_INFO value, and the cache of the last
	 * ExecCredential: valid while have_creds and (no expiry, or before
	 * expiry - k->expiry_margin).
	 */
	char *exec_info;
	int have_creds, has_expiry;
	time_t expiry;
	struct buf token, cert, key;
};

struct kubeconfig {
	char *server;		/* scheme://host[:port][/prefix], never NULL */
	char *ca_file;		/* NULL if none */
	struct buf ca_data;	/* certificate-authority-data, decoded */
	int insecure;		/* insecure-skip-tls-verify */
	char *tls_server_name;	/* NULL if none */
	char *proxy_url;	/* NULL if none */
	int disable_compression;
	/* static client certificate and key: as files, or as PEM data */
	char *client_cert_file, *client_key_file;	/* NULL if none */
	struct buf client_cert_data, client_key_data;	/* len 0: none */
	/* static credentials; use kubeconfig_credentials, not these */
	char *token;		/* NULL if none */
	char *token_file;	/* NULL if none; re-read when it changes */
	char *username, *password;	/* basic auth; NULL if none */
	struct kubeconfig_exec *exec;	/* NULL if no plugin */
	char *namespace;	/* never NULL */
	/* where it came from: NULL in-cluster (user_name NULL: anonymous) */
	char *context_name, *cluster_name, *user_name;
	char *source;		/* the context's file; NULL in-cluster */
	int in_cluster;
	/* a caller may change this after load (tests do) */
	double expiry_margin;	/* default KUBECONFIG_EXPIRY_MARGIN */
	/* private: the token last read from token_file, and that file's id */
	struct buf file_token;
	int file_token_known;
	unsigned long long file_dev, file_ino, file_size;
	long long file_mtime_sec;
	long file_mtime_nsec;
};

/*
 * Find and check the configuration (see above) into *out, which is
 * initialised here; path and context may be NULL. 0, or -1 with a message
 * appended to err (the caller exits 78: EXIT_CONFIG). Release *out with
 * kubeconfig_release after either return.
 */
int kubeconfig_load(const char *path, const char *context,
    struct kubeconfig *out, struct buf *err);

void kubeconfig_release(struct kubeconfig *k);

/*
 * The credentials to send now. Pointers are borrowed from k: valid until
 * the next kubeconfig_credentials, kubeconfig_invalidate or
 * kubeconfig_release call. NULL means none of that kind.
 */
struct kubeconfig_creds {
	const char *token;		/* "Authorization: Bearer <token>" */
	const char *username;		/* basic auth ... */
	const char *password;		/* ... ("" if only a username is set) */
	/*
	 * PEM client certificate and key from an exec plugin; when set they
	 * replace the static ones in struct kubeconfig.
	 */
	const struct buf *client_cert, *client_key;
};

/*
 * Fill *out, choosing as client-go does: token or tokenFile (the file wins
 * when readable; it is read again whenever its inode, size or mtime
 * changed, since in-cluster tokens rotate; if a re-read fails the last
 * token is kept, with a warning), else basic auth, else the exec plugin,
 * else nothing (the static client certificate, if any, authenticates).
 *
 * The exec plugin runs with genrun (no terminal: stdin is /dev/null; our
 * environment plus its env plus KUBERNETES_EXEC_INFO; our working folder;
 * KUBECONFIG_EXEC_TIMEOUT), and what it prints must be an ExecCredential of
 * its configured apiVersion with a token or a certificate and key pair. The
 * result is kept until its expirationTimestamp minus k->expiry_margin (for
 * ever when it has none). 0, or -1 with a message appended to err naming
 * the user and the command (with its stderr's last line, never its
 * stdout); a -1 leaves the earlier cache dropped.
 */
int kubeconfig_credentials(struct kubeconfig *k, struct kubeconfig_creds *out,
    struct buf *err);

/*
 * Forget cached credentials (the server said 401): the plugin runs again
 * and the token file is read again on the next kubeconfig_credentials.
 */
void kubeconfig_invalidate(struct kubeconfig *k);

#endif
