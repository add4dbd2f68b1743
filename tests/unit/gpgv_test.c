/*
 * Unit tests of lib/gpgv. Throwaway ed25519 keys are made with gpg in a
 * temporary GNUPGHOME (the "operator's" home, which gpgv_sign and git
 * use); each gpgv keyring lives in its own directory beside it. Every
 * gpg-agent started here is killed at the end.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "lib/buf.h"
#include "lib/gpgv.h"
#include "tests/unit/tap.h"

static char tmp[] = "/tmp/gpgv_test.XXXXXX";
static const char data[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
    "author A <a@example.com> 1700000000 +0000\n\nsync me\n";

/* fingerprints of the keys made by make_keys */
static struct buf fpr1 = BUF_INIT, fpr2 = BUF_INIT, fpr3 = BUF_INIT;
static struct buf fpr_old = BUF_INIT, fpr_rev = BUF_INIT, fpr_sub = BUF_INIT;

/* Replace out with the contents of tmp/name. */
static int
slurp(const char *name, struct buf *out)
{
	struct buf path = BUF_INIT;
	int fd, r = -1;

	buf_reset(out);
	buf_addf(&path, "%s/%s", tmp, name);
	fd = open(path.s, O_RDONLY);
	if (fd >= 0) {
		r = buf_read_fd(out, fd, 1 << 20);
		close(fd);
	}
	if (r < 0)
		printf("# cannot read %s\n", path.s);
	buf_release(&path);
	return r;
}

static void
spit(const char *name, const char *s, size_t n)
{
	struct buf path = BUF_INIT;
	FILE *fp;

	buf_addf(&path, "%s/%s", tmp, name);
	fp = fopen(path.s, "w");
	if (fp == NULL || fwrite(s, 1, n, fp) != n || fclose(fp) != 0)
		printf("# cannot write %s\n", path.s);
	buf_release(&path);
}

/* Make a key (extra: gpg options) and put its fingerprint in fpr. */
static void
gen_key(const char *uid, const char *algo_usage_expiry, const char *extra,
    struct buf *fpr)
{
	tap_system("gpg -q --batch --pinentry-mode loopback --passphrase '' %s "
	    "--quick-gen-key '%s' %s 2>/dev/null &&"
	    " gpg --with-colons --list-secret-keys '=%s' 2>/dev/null |"
	    " awk -F: '/^fpr/ { print $10; exit }' >%s/fpr",
	    extra, uid, algo_usage_expiry, uid, tmp);
	slurp("fpr", fpr);
	while (fpr->len > 0 && fpr->s[fpr->len - 1] == '\n')
		buf_setlen(fpr, fpr->len - 1);
}

static void
make_keys(void)
{
	spit("data", data, sizeof(data) - 1);
	gen_key("One <one@example.com>", "ed25519 sign never", "", &fpr1);
	gen_key("Two <two@example.com>", "ed25519 sign never", "", &fpr2);
	gen_key("Stranger <x@example.com>", "ed25519 sign never", "", &fpr3);
	/* a key that expired in 2020, one day after it was made */
	gen_key("Old <old@example.com>", "ed25519 sign 1d",
	    "--faked-system-time 20200101T000000!", &fpr_old);
	gen_key("Revoked <rev@example.com>", "ed25519 sign never", "",
	    &fpr_rev);
	/* the primary key only certifies; a subkey signs */
	gen_key("Sub <sub@example.com>", "ed25519 cert never", "", &fpr_sub);
	tap_system("gpg -q --batch --pinentry-mode loopback --passphrase '' "
	    "--quick-add-key %s ed25519 sign never 2>/dev/null", fpr_sub.s);

	tap_system("cd %s && mkdir keys keys/sub && "
	    "gpg -q --armor --export %s >one.asc && "
	    "gpg -q --export %s >keys/two.gpg && "
	    "cp one.asc keys/one.asc && ln -s ../one.asc keys/link.asc && "
	    "gpg -q --armor --export %s >keys/sub/stranger.asc && "
	    "gpg -q --armor --export %s >old.asc && "
	    "gpg -q --armor --export %s >sub.asc && "
	    "gpg -q --armor --export-secret-keys %s >secret.asc && "
	    "echo 'not a key' >nokey.txt", tmp, fpr1.s, fpr2.s, fpr3.s,
	    fpr_old.s, fpr_sub.s, fpr1.s);
	/* revoke with the certificate gpg made with the key */
	tap_system("cd %s && gpg -q --armor --detach-sign -u %s -o rev.sig data && "
	    "sed 's/^:-----BEGIN/-----BEGIN/' "
	    "\"$GNUPGHOME/openpgp-revocs.d/%s.rev\" >rev.cert && "
	    "gpg -q --import rev.cert 2>/dev/null && "
	    "gpg -q --armor --export %s >rev.asc", tmp, fpr_rev.s, fpr_rev.s,
	    fpr_rev.s);
	ok(fpr1.len == 40 && fpr2.len == 40 && fpr3.len == 40 &&
	    fpr_old.len == 40 && fpr_rev.len == 40 && fpr_sub.len == 40,
	    "made the test keys");
}

static int
contains(const struct buf *b, const char *s)
{
	return strstr(b->s, s) != NULL;
}

/* Verify the signature in tmp/name over d. */
static int
verify_file(struct gpgv *g, const char *name, const char *d, size_t n,
    struct buf *signer, struct buf *why)
{
	struct buf sig = BUF_INIT;
	int r;

	buf_reset(signer);
	buf_reset(why);
	if (g == NULL)
		return -2;
	slurp(name, &sig);
	r = gpgv_verify(g, sig.s, sig.len, d, n, signer, why);
	buf_release(&sig);
	return r;
}

static struct gpgv *
open1(const char *home, const char *key, struct buf *err)
{
	struct buf h = BUF_INIT, k = BUF_INIT;
	struct gpgv *g;
	char *keys[1];

	buf_addf(&h, "%s/%s", tmp, home);
	buf_addf(&k, "%s/%s", tmp, key);
	keys[0] = k.s;
	buf_reset(err);
	g = gpgv_open(h.s, keys, 1, err);
	if (g == NULL)
		printf("# gpgv_open: %s\n", err->s);
	buf_release(&h);
	buf_release(&k);
	return g;
}

static void
test_sign_verify(void)
{
	struct buf sig = BUF_INIT, signer = BUF_INIT, why = BUF_INIT;
	struct buf err = BUF_INIT, path = BUF_INIT;
	struct gpgv *g;
	struct stat st;
	int r;

	g = open1("v", "one.asc", &err);
	ok(g != NULL && gpgv_nkeys(g) == 1, "opens a keyring of one key file");
	buf_addf(&path, "%s/v", tmp);
	ok(stat(path.s, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "the keyring's home is made 0700");
	if (g == NULL)
		goto out;

	r = gpgv_sign(fpr1.s, data, sizeof(data) - 1, &sig, &err);
	ok(r == 0 && strncmp(sig.s, "-----BEGIN PGP SIGNATURE-----\n", 30)
	    == 0, "gpgv_sign makes an armored signature");
	if (r < 0)
		printf("# %s\n", err.s);
	spit("one.sig", sig.s, sig.len);

	r = gpgv_verify(g, sig.s, sig.len, data, sizeof(data) - 1, &signer,
	    &why);
	is_int(r, 1, "a good signature by an imported key verifies");
	is_str(signer.s, fpr1.s, "and names the key's fingerprint");
	if (r != 1)
		printf("# %s\n", why.s);

	buf_reset(&signer);
	r = gpgv_verify(g, sig.s, sig.len, "tree 0\n", 7, &signer, &why);
	ok(r == 0 && contains(&why, "bad signature") && signer.len == 0,
	    "tampered data is a bad signature: %s", why.s);

	tap_system("cd %s && gpg -q -u %s --detach-sign -o bin.sig data && "
	    "gpg -q -u %s --armor --detach-sign -o stranger.sig data && "
	    "gpg -q -u %s -u %s --armor --detach-sign -o two-sigs.sig data",
	    tmp, fpr1.s, fpr3.s, fpr1.s, fpr2.s);
	r = verify_file(g, "bin.sig", data, sizeof(data) - 1, &signer, &why);
	ok(r == 1 && strcmp(signer.s, fpr1.s) == 0,
	    "a binary signature verifies");

	r = verify_file(g, "stranger.sig", data, sizeof(data) - 1, &signer,
	    &why);
	ok(r == 0 && contains(&why, "signed by unknown key 0x") &&
	    contains(&why, fpr3.s + 24), "a key not imported is unknown: %s",
	    why.s);

	r = verify_file(g, "two-sigs.sig", data, sizeof(data) - 1, &signer,
	    &why);
	ok(r == 0 && contains(&why, "more than one signature"),
	    "two signatures are refused, as git does: %s", why.s);

	buf_reset(&why);
	r = gpgv_verify(g, "garbage", 7, data, sizeof(data) - 1, &signer,
	    &why);
	ok(r == 0 && contains(&why, "not an OpenPGP signature"),
	    "a garbage signature is refused: %s", why.s);

	buf_reset(&why);
	r = gpgv_verify(g, "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n"
	    "-----END PGP SIGNATURE-----\n", 62, data, sizeof(data) - 1,
	    &signer, &why);
	ok(r == 0 && why.len > 0, "a broken armored signature is refused: %s",
	    why.s);

	buf_reset(&why);
	r = gpgv_verify(g, "", 0, data, sizeof(data) - 1, &signer, &why);
	ok(r == 0 && strcmp(why.s, "no signature") == 0,
	    "no signature is no signature");

	buf_reset(&sig);
	r = gpgv_sign(fpr1.s, NULL, 0, &sig, &err);
	buf_reset(&why);
	ok(r == 0 && gpgv_verify(g, sig.s, sig.len, NULL, 0, &signer, &why)
	    == 1, "empty data signs and verifies");
	gpgv_close(g);
out:
	buf_release(&sig);
	buf_release(&signer);
	buf_release(&why);
	buf_release(&err);
	buf_release(&path);
}

static void
test_directory(void)
{
	struct buf signer = BUF_INIT, why = BUF_INIT, err = BUF_INIT;
	struct gpgv *g;
	int r;

	tap_system("cd %s && gpg -q -u %s --armor --detach-sign -o two.sig data",
	    tmp, fpr2.s);
	g = open1("v", "keys", &err);
	ok(g != NULL && gpgv_nkeys(g) == 2,
	    "a directory's files are imported, links followed, not recursive");
	if (g == NULL)
		return;
	r = verify_file(g, "two.sig", data, sizeof(data) - 1, &signer, &why);
	ok(r == 1 && strcmp(signer.s, fpr2.s) == 0,
	    "a signature by a key from the directory verifies");
	r = verify_file(g, "one.sig", data, sizeof(data) - 1, &signer, &why);
	ok(r == 1 && strcmp(signer.s, fpr1.s) == 0, "and by the other key");
	r = verify_file(g, "stranger.sig", data, sizeof(data) - 1, &signer,
	    &why);
	ok(r == 0 && contains(&why, "unknown key"),
	    "a key in a subdirectory is not imported");
	gpgv_close(g);

	/* the same home, now with key two only */
	g = open1("v", "keys/two.gpg", &err);
	r = verify_file(g, "one.sig", data, sizeof(data) - 1, &signer, &why);
	ok(g != NULL && r == 0 && contains(&why, "unknown key"),
	    "a key no longer given stops counting: %s", why.s);
	r = verify_file(g, "two.sig", data, sizeof(data) - 1, &signer, &why);
	ok(r == 1, "while the one given still counts");
	gpgv_close(g);

	buf_release(&signer);
	buf_release(&why);
	buf_release(&err);
}

static void
test_bad_keys(void)
{
	struct buf signer = BUF_INIT, why = BUF_INIT, err = BUF_INIT;
	struct buf ops = BUF_INIT;
	struct gpgv *g;
	char *none[1];
	int r;

	g = open1("v", "old.asc", &err);
	tap_system("cd %s && gpg -q --faked-system-time 20200101T120000! -u %s "
	    "--armor --detach-sign -o old.sig data 2>/dev/null", tmp,
	    fpr_old.s);
	r = verify_file(g, "old.sig", data, sizeof(data) - 1, &signer, &why);
	ok(g != NULL && r == 0 && contains(&why, "expired key"),
	    "a signature by an expired key is refused: %s", why.s);
	gpgv_close(g);

	g = open1("v", "rev.asc", &err);
	r = verify_file(g, "rev.sig", data, sizeof(data) - 1, &signer, &why);
	ok(g != NULL && r == 0 && contains(&why, "revoked key"),
	    "a signature by a revoked key is refused: %s", why.s);
	gpgv_close(g);

	g = open1("v", "secret.asc", &err);
	r = verify_file(g, "one.sig", data, sizeof(data) - 1, &signer, &why);
	ok(g != NULL && r == 1 && gpgv_nkeys(g) == 1,
	    "a secret key file counts for its public key: %s", why.s);
	gpgv_close(g);

	g = open1("v", "nokey.txt", &err);
	ok(g == NULL && contains(&err, "no OpenPGP key in") &&
	    contains(&err, "nokey.txt"), "a file with no key is an error: %s",
	    err.s);
	gpgv_close(g);

	g = open1("v", "missing", &err);
	ok(g == NULL && contains(&err, "missing"),
	    "a missing key file is an error: %s", err.s);

	/* the operator's own home: never emptied */
	buf_addf(&ops, "%s/ops", tmp);
	buf_reset(&err);
	g = gpgv_open(ops.s, NULL, 0, &err);
	ok(g == NULL && contains(&err, "did not make"),
	    "a keyring sluice did not make is left alone: %s", err.s);
	ok(tap_system("gpg -q --list-keys %s >/dev/null", fpr1.s) == 0,
	    "and still holds its keys");

	buf_reset(&err);
	buf_reset(&ops);
	buf_addf(&ops, "%s/empty", tmp);
	g = gpgv_open(ops.s, none, 0, &err);
	r = verify_file(g, "one.sig", data, sizeof(data) - 1, &signer, &why);
	ok(g != NULL && gpgv_nkeys(g) == 0 && r == 0,
	    "with no keys nothing verifies: %s", why.s);
	gpgv_close(g);

	buf_release(&signer);
	buf_release(&why);
	buf_release(&err);
	buf_release(&ops);
}

static void
test_subkey(void)
{
	struct buf sig = BUF_INIT, signer = BUF_INIT, why = BUF_INIT;
	struct buf err = BUF_INIT;
	struct gpgv *g;
	int r;

	g = open1("v", "sub.asc", &err);
	r = gpgv_sign(fpr_sub.s, data, sizeof(data) - 1, &sig, &err);
	ok(r == 0, "signs with a signing subkey");
	r = gpgv_verify(g, sig.s, sig.len, data, sizeof(data) - 1, &signer,
	    &why);
	ok(g != NULL && r == 1 && strcmp(signer.s, fpr_sub.s) == 0,
	    "a subkey's signature names the primary key: %s", why.s);
	gpgv_close(g);

	buf_reset(&err);
	buf_reset(&sig);
	r = gpgv_sign("nobody@example.net", data, 3, &sig, &err);
	ok(r < 0 && contains(&err, "no secret key") && sig.len == 0,
	    "signing with a missing key fails: %s", err.s);
	buf_reset(&err);
	r = gpgv_sign("example.com", data, 3, &sig, &err);
	ok(r < 0 && contains(&err, "ambiguous"),
	    "signing with an ambiguous key fails: %s", err.s);

	buf_release(&sig);
	buf_release(&signer);
	buf_release(&why);
	buf_release(&err);
}

/* A commit made by git commit -S, checked as git-fetch will check it. */
static void
test_git_commit(void)
{
	git_buf sig = GIT_BUF_INIT, signed_data = GIT_BUF_INIT;
	struct buf signer = BUF_INIT, why = BUF_INIT, err = BUF_INIT;
	struct buf path = BUF_INIT;
	git_repository *repo = NULL;
	struct gpgv *g;
	git_object *head = NULL;
	git_oid oid;
	int r = -1;

	tap_system("cd %s && git init -q repo && cd repo && "
	    "git -c gpg.program=gpg -c user.signingkey=%s -c user.name=A "
	    "-c user.email=a@example.com commit -q --allow-empty -S -m signed",
	    tmp, fpr1.s);
	buf_addf(&path, "%s/repo", tmp);
	git_libgit2_init();
	if (git_repository_open(&repo, path.s) == 0 &&
	    git_revparse_single(&head, repo, "HEAD") == 0) {
		git_oid_cpy(&oid, git_object_id(head));
		r = git_commit_extract_signature(&sig, &signed_data, repo, &oid,
		    NULL);
	}
	ok(r == 0, "git made a signed commit");
	g = open1("v", "one.asc", &err);
	if (g != NULL)
		r = gpgv_verify(g, sig.ptr, sig.size, signed_data.ptr,
		    signed_data.size, &signer, &why);
	ok(g != NULL && r == 1 && strcmp(signer.s, fpr1.s) == 0,
	    "git's commit signature verifies: %s", why.s);
	gpgv_close(g);

	git_buf_dispose(&sig);
	git_buf_dispose(&signed_data);
	git_object_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
	buf_release(&signer);
	buf_release(&why);
	buf_release(&err);
	buf_release(&path);
}

int
main(void)
{
	struct buf ops = BUF_INIT;

	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	buf_addf(&ops, "%s/ops", tmp);
	mkdir(ops.s, 0700);
	setenv("GNUPGHOME", ops.s, 1);

	make_keys();
	test_sign_verify();
	test_directory();
	test_bad_keys();
	test_subkey();
	test_git_commit();

	ok(tap_system("test ! -S \"$(gpgconf --homedir %s/v --list-dirs "
	    "agent-socket)\"", tmp) == 0,
	    "no gpg-agent was started for a gpgv keyring");
	tap_system("gpgconf --homedir %s --kill all; rm -rf %s", ops.s, tmp);
	buf_release(&ops);
	buf_release(&fpr1);
	buf_release(&fpr2);
	buf_release(&fpr3);
	buf_release(&fpr_old);
	buf_release(&fpr_rev);
	buf_release(&fpr_sub);
	return tap_done();
}
