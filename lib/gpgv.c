#include "lib/gpgv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gpgme.h>

#include "lib/xalloc.h"
#include "lib/banned.h"

/*
 * The first line of the gpg.conf we write. A home whose keyring lacks it
 * is not ours, and we will not empty it.
 */
#define GPGV_MARK "# sluice gpgv keyring: rewritten on every open"

/*
 * no-autostart: verification and public-key import need no gpg-agent, so
 * none is started (and none can be left behind); a secret key in an
 * imported file then fails to import, which is what we want too.
 * trust-model always: the keys were imported on purpose (see gpgv.h).
 * Expiry and revocation still count: they are facts about the key, not
 * trust.
 */
static const char gpg_conf[] =
	GPGV_MARK "\n"
	"no-autostart\n"
	"trust-model always\n"
	"no-auto-key-retrieve\n"
	"no-greeting\n";

/*
 * GnuPG 2.4.0 writes "use-keyboxd" into the common.conf of a home it
 * thinks new (no keyring, no common.conf), which would move the keys into
 * a keyboxd daemon. An empty one keeps them in pubring.kbx. 2.2 ignores it.
 */
static const char common_conf[] = GPGV_MARK "\n";

/* The keyring files emptied on each open (2.1+ and older layouts). */
static const char *const keyring_files[] = {
	"pubring.kbx", "pubring.kbx~", "pubring.gpg", "pubring.gpg~",
	"trustdb.gpg",
};
#define NKEYRING_FILES (sizeof(keyring_files) / sizeof(*keyring_files))

struct gpgv_fpr {
	char *fpr;		/* a primary key's or a subkey's */
	char *primary;		/* its primary key's */
};

struct gpgv {
	gpgme_ctx_t ctx;
	char *home;
	struct gpgv_fpr *fprs;
	size_t nfprs, nkeys;
};

static void
gpgme_err(struct buf *err, const char *what, gpgme_error_t e)
{
	buf_addf(err, "%s: %s", what, gpgme_strerror(e));
}

static int
gpgv_init(struct buf *err)
{
	static int done;
	gpgme_error_t e;

	if (done)
		return 0;
	if (gpgme_check_version(NULL) == NULL) {
		buf_adds(err, "cannot initialise gpgme");
		return -1;
	}
	e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (e) {
		gpgme_err(err, "cannot use gpg through gpgme", e);
		return -1;
	}
	done = 1;
	return 0;
}

/* A new OpenPGP context in home (NULL: the operator's own). */
static int
new_ctx(gpgme_ctx_t *ctx, const char *home, struct buf *err)
{
	gpgme_error_t e;

	if (gpgv_init(err) < 0)
		return -1;
	e = gpgme_new(ctx);
	if (e) {
		gpgme_err(err, "cannot make a gpgme context", e);
		return -1;
	}
	e = gpgme_set_protocol(*ctx, GPGME_PROTOCOL_OpenPGP);
	if (!e && home != NULL)
		e = gpgme_ctx_set_engine_info(*ctx, GPGME_PROTOCOL_OpenPGP,
		    NULL, home);
	if (e) {
		gpgme_err(err, "cannot set up a gpgme context", e);
		gpgme_release(*ctx);
		*ctx = NULL;
		return -1;
	}
	return 0;
}

static void
join(struct buf *out, const char *dir, const char *name)
{
	buf_reset(out);
	buf_adds(out, dir);
	if (out->len > 0 && out->s[out->len - 1] != '/')
		buf_addch(out, '/');
	buf_adds(out, name);
}

static int
write_file(const char *path, const char *text, struct buf *err)
{
	FILE *fp;
	int bad;

	fp = fopen(path, "w");
	if (fp == NULL) {
		buf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	bad = fputs(text, fp) == EOF;
	if (fclose(fp) == EOF || bad) {
		buf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Does the file at path begin with our mark? */
static int
marked(const char *path)
{
	char line[sizeof(GPGV_MARK) + 1];
	FILE *fp;
	int ret;

	fp = fopen(path, "r");
	if (fp == NULL)
		return 0;
	ret = fgets(line, sizeof(line), fp) != NULL &&
	    strncmp(line, GPGV_MARK "\n", sizeof(line)) == 0;
	fclose(fp);
	return ret;
}

/*
 * Make home if missing, check that a keyring in it is ours, then empty
 * the keyring and write our configuration.
 */
static int
prepare_home(const char *home, struct buf *err)
{
	struct buf path = BUF_INIT;
	struct stat st;
	size_t i;
	int ret = -1, foreign = 0;

	if (mkdir(home, 0700) < 0 && errno != EEXIST) {
		buf_addf(err, "cannot create '%s': %s", home, strerror(errno));
		return -1;
	}
	if (stat(home, &st) < 0) {
		buf_addf(err, "cannot stat '%s': %s", home, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		buf_addf(err, "'%s' is not a directory", home);
		return -1;
	}
	/* gpg warns about a home others can read */
	if ((st.st_mode & 077) && chmod(home, 0700) < 0) {
		buf_addf(err, "cannot chmod '%s': %s", home, strerror(errno));
		return -1;
	}

	join(&path, home, "gpg.conf");
	if (!marked(path.s)) {
		for (i = 0; i < NKEYRING_FILES; i++) {
			join(&path, home, keyring_files[i]);
			if (lstat(path.s, &st) == 0)
				foreign = 1;
		}
	}
	if (foreign) {
		buf_addf(err, "'%s' holds a keyring that sluice did not make; "
		    "refusing to empty it", home);
		goto out;
	}

	for (i = 0; i < NKEYRING_FILES; i++) {
		join(&path, home, keyring_files[i]);
		if (unlink(path.s) < 0 && errno != ENOENT) {
			buf_addf(err, "cannot remove '%s': %s", path.s,
			    strerror(errno));
			goto out;
		}
	}
	join(&path, home, "gpg.conf");
	if (write_file(path.s, gpg_conf, err) < 0)
		goto out;
	join(&path, home, "common.conf");
	if (write_file(path.s, common_conf, err) < 0)
		goto out;
	ret = 0;
out:
	buf_release(&path);
	return ret;
}

static void
add_str(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

static void
free_strs(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

static int
has_str(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* Import the keys in the file at path; add their fingerprints to fprs. */
static int
import_file(gpgme_ctx_t ctx, const char *path, char ***fprs, size_t *n,
    struct buf *err)
{
	gpgme_import_result_t res;
	gpgme_import_status_t im;
	gpgme_data_t d;
	gpgme_error_t e;
	size_t got = 0;
	int ret = -1;

	e = gpgme_data_new_from_file(&d, path, 1);
	if (e) {
		buf_addf(err, "cannot read '%s': %s", path, gpgme_strerror(e));
		return -1;
	}
	/*
	 * Without an agent (see gpg_conf) gpg imports a secret key's public
	 * part, then fails and stops reading the file: keep what it did
	 * import, and fail only when that is nothing.
	 */
	e = gpgme_op_import(ctx, d);
	res = gpgme_op_import_result(ctx);
	for (im = res ? res->imports : NULL; im != NULL; im = im->next) {
		if (im->result != 0 || im->fpr == NULL ||
		    (im->status & GPGME_IMPORT_SECRET))
			continue;
		if (!has_str(*fprs, *n, im->fpr))
			add_str(fprs, n, im->fpr);
		got++;
	}
	if (got == 0 && e) {
		buf_addf(err, "cannot import keys from '%s': %s", path,
		    gpgme_strerror(e));
		goto out;
	}
	if (got == 0) {
		buf_addf(err, "no OpenPGP key in '%s'", path);
		goto out;
	}
	if (e && (res == NULL || res->secret_read == 0)) {
		buf_addf(err, "cannot import keys from '%s': %s", path,
		    gpgme_strerror(e));
		goto out;
	}
	if (res->not_imported > 0) {
		buf_addf(err, "cannot import %d of the keys in '%s'",
		    res->not_imported, path);
		goto out;
	}
	ret = 0;
out:
	gpgme_data_release(d);
	return ret;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or each regular file in a directory, in name order. */
static int
import_path(gpgme_ctx_t ctx, const char *path, char ***fprs, size_t *n,
    struct buf *err)
{
	struct buf file = BUF_INIT;
	struct dirent *de;
	struct stat st;
	char **names = NULL;
	size_t nnames = 0, i;
	DIR *dir;
	int ret = -1;

	if (stat(path, &st) < 0) {
		buf_addf(err, "cannot stat '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return import_file(ctx, path, fprs, n, err);

	dir = opendir(path);
	if (dir == NULL) {
		buf_addf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			add_str(&names, &nnames, de->d_name);
		errno = 0;
	}
	if (errno != 0) {
		buf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		closedir(dir);
		goto out;
	}
	closedir(dir);
	if (nnames > 1)
		qsort(names, nnames, sizeof(*names), cmp_name);

	for (i = 0; i < nnames; i++) {
		join(&file, path, names[i]);
		/* as Flux v1 (os.Stat): follow links, such as a secret's */
		if (stat(file.s, &st) < 0) {
			buf_addf(err, "cannot stat '%s': %s", file.s,
			    strerror(errno));
			goto out;
		}
		if (S_ISREG(st.st_mode) &&
		    import_file(ctx, file.s, fprs, n, err) < 0)
			goto out;
	}
	ret = 0;
out:
	free_strs(names, nnames);
	buf_release(&file);
	return ret;
}

static void
add_fpr(struct gpgv *g, const char *fpr, const char *primary)
{
	g->fprs = xreallocarray(g->fprs, g->nfprs + 1, sizeof(*g->fprs));
	g->fprs[g->nfprs].fpr = xstrdup(fpr);
	g->fprs[g->nfprs].primary = xstrdup(primary);
	g->nfprs++;
}

/*
 * Remember each imported key and its subkeys: a signature names the
 * subkey that made it.
 */
static int
list_keys(struct gpgv *g, char *const *imported, size_t n, struct buf *err)
{
	gpgme_subkey_t sub;
	gpgme_key_t key;
	gpgme_error_t e;

	e = gpgme_op_keylist_start(g->ctx, NULL, 0);
	while (!e) {
		e = gpgme_op_keylist_next(g->ctx, &key);
		if (e)
			break;
		if (key->subkeys != NULL && key->subkeys->fpr != NULL &&
		    has_str(imported, n, key->subkeys->fpr)) {
			for (sub = key->subkeys; sub != NULL; sub = sub->next)
				if (sub->fpr != NULL)
					add_fpr(g, sub->fpr,
					    key->subkeys->fpr);
			g->nkeys++;
		}
		gpgme_key_unref(key);
	}
	if (gpgme_err_code(e) != GPG_ERR_EOF) {
		gpgme_op_keylist_end(g->ctx);
		gpgme_err(err, "cannot list the imported keys", e);
		return -1;
	}
	return 0;
}

struct gpgv *
gpgv_open(const char *home, char *const *key_paths, size_t n,
    struct buf *err)
{
	struct gpgv *g;
	char **imported = NULL;
	size_t nimported = 0, i;

	if (gpgv_init(err) < 0 || prepare_home(home, err) < 0)
		return NULL;
	g = xcalloc(1, sizeof(*g));
	g->home = xstrdup(home);
	if (new_ctx(&g->ctx, home, err) < 0)
		goto fail;
	/* never the network: no key servers, no WKD */
	gpgme_set_offline(g->ctx, 1);
	gpgme_set_keylist_mode(g->ctx, GPGME_KEYLIST_MODE_LOCAL);

	for (i = 0; i < n; i++)
		if (import_path(g->ctx, key_paths[i], &imported, &nimported,
		    err) < 0)
			goto fail;
	if (list_keys(g, imported, nimported, err) < 0)
		goto fail;
	free_strs(imported, nimported);
	return g;
fail:
	free_strs(imported, nimported);
	gpgv_close(g);
	return NULL;
}

size_t
gpgv_nkeys(const struct gpgv *g)
{
	return g->nkeys;
}

void
gpgv_close(struct gpgv *g)
{
	size_t i;

	if (g == NULL)
		return;
	if (g->ctx != NULL)
		gpgme_release(g->ctx);
	for (i = 0; i < g->nfprs; i++) {
		free(g->fprs[i].fpr);
		free(g->fprs[i].primary);
	}
	free(g->fprs);
	free(g->home);
	free(g);
}

static const char *
find_primary(const struct gpgv *g, const char *fpr)
{
	size_t i;

	for (i = 0; i < g->nfprs; i++)
		if (strcasecmp(g->fprs[i].fpr, fpr) == 0)
			return g->fprs[i].primary;
	return NULL;
}

/* Judge the one signature gpg reported: 1 or 0 (why). */
static int
judge(const struct gpgv *g, gpgme_signature_t s, struct buf *signer,
    struct buf *why)
{
	const char *fpr = s->fpr ? s->fpr : "(none)";
	const char *primary;

	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		break;
	case GPG_ERR_BAD_SIGNATURE:
		buf_addf(why, "bad signature by key 0x%s", fpr);
		return 0;
	case GPG_ERR_NO_PUBKEY:
		buf_addf(why, "signed by unknown key 0x%s", fpr);
		return 0;
	case GPG_ERR_KEY_EXPIRED:
		buf_addf(why, "signed by expired key 0x%s", fpr);
		return 0;
	case GPG_ERR_CERT_REVOKED:
		buf_addf(why, "signed by revoked key 0x%s", fpr);
		return 0;
	case GPG_ERR_SIG_EXPIRED:
		buf_addf(why, "signature by key 0x%s expired", fpr);
		return 0;
	default:
		buf_addf(why, "cannot check the signature by key 0x%s: %s",
		    fpr, gpgme_strerror(s->status));
		return 0;
	}
	/*
	 * status says GOODSIG; summary can still hold what status does not
	 * (with trust-model always it should not, but do not rely on it).
	 */
	if (s->summary & GPGME_SIGSUM_KEY_REVOKED) {
		buf_addf(why, "signed by revoked key 0x%s", fpr);
		return 0;
	}
	if (s->summary & GPGME_SIGSUM_KEY_EXPIRED) {
		buf_addf(why, "signed by expired key 0x%s", fpr);
		return 0;
	}
	if (s->summary & GPGME_SIGSUM_SIG_EXPIRED) {
		buf_addf(why, "signature by key 0x%s expired", fpr);
		return 0;
	}
	if (s->summary & (GPGME_SIGSUM_RED | GPGME_SIGSUM_SYS_ERROR)) {
		buf_addf(why, "signature by key 0x%s is not valid", fpr);
		return 0;
	}
	if (s->wrong_key_usage) {
		buf_addf(why, "key 0x%s may not make signatures", fpr);
		return 0;
	}
	primary = s->fpr ? find_primary(g, s->fpr) : NULL;
	if (primary == NULL) {
		/* in the keyring but not from this open's files */
		buf_addf(why, "signed by unknown key 0x%s", fpr);
		return 0;
	}
	buf_adds(signer, primary);
	return 1;
}

int
gpgv_verify(struct gpgv *g, const char *sig, size_t siglen,
    const char *data, size_t len, struct buf *signer, struct buf *why)
{
	gpgme_data_t sigd = NULL, datad = NULL;
	gpgme_verify_result_t res;
	gpgme_error_t e;
	int ret = -1;

	if (siglen == 0) {
		buf_adds(why, "no signature");
		return 0;
	}
	e = gpgme_data_new_from_mem(&sigd, sig, siglen, 0);
	if (!e)
		e = gpgme_data_new_from_mem(&datad, len ? data : "", len, 0);
	if (e) {
		gpgme_err(why, "cannot hand data to gpgme", e);
		goto out;
	}
	e = gpgme_op_verify(g->ctx, sigd, datad, NULL);
	switch (gpgme_err_code(e)) {
	case GPG_ERR_NO_ERROR:
		break;
	case GPG_ERR_NO_DATA:
	case GPG_ERR_BAD_DATA:
	case GPG_ERR_INV_PACKET:
	case GPG_ERR_UNKNOWN_PACKET:
	case GPG_ERR_INV_ARMOR:
		gpgme_err(why, "not an OpenPGP signature", e);
		ret = 0;
		goto out;
	default:
		gpgme_err(why, "cannot verify a signature with gpg", e);
		goto out;
	}
	res = gpgme_op_verify_result(g->ctx);
	if (res == NULL || res->signatures == NULL) {
		buf_adds(why, "no signature");
		ret = 0;
	} else if (res->signatures->next != NULL) {
		buf_adds(why, "more than one signature");
		ret = 0;
	} else {
		ret = judge(g, res->signatures, signer, why);
	}
out:
	gpgme_data_release(sigd);
	gpgme_data_release(datad);
	return ret;
}

/* The one secret key key_id names, in ctx's home. */
static int
find_secret_key(gpgme_ctx_t ctx, const char *key_id, gpgme_key_t *out,
    struct buf *err)
{
	gpgme_key_t key = NULL, other;
	gpgme_error_t e;

	e = gpgme_op_keylist_start(ctx, key_id, 1);
	if (!e)
		e = gpgme_op_keylist_next(ctx, &key);
	if (gpgme_err_code(e) == GPG_ERR_EOF) {
		buf_addf(err, "no secret key '%s'", key_id);
		return -1;
	}
	if (e) {
		buf_addf(err, "cannot look up secret key '%s': %s", key_id,
		    gpgme_strerror(e));
		return -1;
	}
	e = gpgme_op_keylist_next(ctx, &other);
	if (!e) {
		gpgme_key_unref(other);
		gpgme_key_unref(key);
		gpgme_op_keylist_end(ctx);
		buf_addf(err, "secret key '%s' is ambiguous", key_id);
		return -1;
	}
	gpgme_op_keylist_end(ctx);
	*out = key;
	return 0;
}

int
gpgv_sign(const char *key_id, const char *data, size_t len,
    struct buf *out, struct buf *err)
{
	gpgme_data_t in = NULL, sigd = NULL;
	gpgme_sign_result_t res;
	gpgme_key_t key = NULL;
	gpgme_ctx_t ctx;
	gpgme_error_t e;
	char *mem;
	size_t n;
	int ret = -1;

	if (new_ctx(&ctx, NULL, err) < 0)
		return -1;
	if (find_secret_key(ctx, key_id, &key, err) < 0)
		goto out;
	gpgme_set_armor(ctx, 1);
	e = gpgme_signers_add(ctx, key);
	if (!e)
		e = gpgme_data_new_from_mem(&in, len ? data : "", len, 0);
	if (!e)
		e = gpgme_data_new(&sigd);
	if (!e)
		e = gpgme_op_sign(ctx, in, sigd, GPGME_SIG_MODE_DETACH);
	if (e) {
		buf_addf(err, "cannot sign with key '%s': %s", key_id,
		    gpgme_strerror(e));
		goto out;
	}
	res = gpgme_op_sign_result(ctx);
	if (res == NULL || res->invalid_signers != NULL ||
	    res->signatures == NULL) {
		buf_addf(err, "cannot sign with key '%s': %s", key_id,
		    res && res->invalid_signers ?
		    gpgme_strerror(res->invalid_signers->reason) :
		    "gpg made no signature");
		goto out;
	}
	mem = gpgme_data_release_and_get_mem(sigd, &n);
	sigd = NULL;
	if (mem == NULL || n == 0) {
		buf_addf(err, "cannot sign with key '%s': empty signature",
		    key_id);
		gpgme_free(mem);
		goto out;
	}
	buf_add(out, mem, n);
	gpgme_free(mem);
	ret = 0;
out:
	gpgme_data_release(in);
	gpgme_data_release(sigd);
	gpgme_key_unref(key);
	gpgme_release(ctx);
	return ret;
}
