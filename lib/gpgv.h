/*
 * gpgv.h: OpenPGP signatures with GPGME, for --git-verify-signatures-mode
 * (is this commit or tag signed by a key the operator imported with
 * --git-gpg-key-import?) and --git-signing-key (sign the sync tag and our
 * commits).
 *
 *	struct gpgv *g = gpgv_open(home, keys, nkeys, &err);
 *	switch (gpgv_verify(g, sig, siglen, data, len, &signer, &why)) {
 *	case 1:	good, signer holds the key's fingerprint
 *	case 0:	not acceptable, why says why
 *	default: -1, gpg failed, why says how
 *	}
 *	gpgv_close(g);
 *
 * Verification uses a private keyring in its own GnuPG home, never the
 * operator's: only keys imported on purpose count. Those keys are trusted
 * outright (gpg.conf there says "trust-model always"), as Flux v1 marked
 * them ultimately trusted: there is no web of trust to consult. A
 * signature is good only when gpg says GOODSIG for a key that is neither
 * expired nor revoked and whose fingerprint (or that of one of its
 * subkeys) came from the files given to this gpgv_open; that is git's
 * "%G?" = "G", the only status Flux v1 accepted.
 *
 * Errors never reach stderr: functions taking struct buf *err append one
 * line (no trailing newline) saying what failed, and the caller logs it.
 * GPGME runs gpg as a child process for each operation; gpg must be on
 * PATH (or where GPGME was built to look). Not thread-safe. GPGME
 * double-forks gpg, leaving it to PID 1 to reap: in a container, run
 * under an init that reaps orphans (tini, docker --init), or each
 * operation leaves a zombie.
 */
#ifndef SLUICE_GPGV_H
#define SLUICE_GPGV_H

#include <stddef.h>

#include "lib/buf.h"

struct gpgv;

/*
 * A verifier whose keyring, in the directory home, holds exactly the
 * public keys in key_paths[0..n): a file is imported whole (armored or
 * binary, any number of keys); a directory has each regular file in it
 * imported (symbolic links followed, subdirectories and dotfiles that are
 * directories skipped, not recursive), as Flux v1 did, which suits a
 * Kubernetes secret mounted as a volume. n may be 0: then nothing
 * verifies.
 *
 * home is created (mode 0700) if missing; its parent must exist. It
 * belongs to this module: the keyring in it is emptied and gpg.conf
 * rewritten on every open, so a key the operator removed stops counting
 * at once. Use one home per source, opened by one process at a time. To guard an operator's real ~/.gnupg from a wrong path, a home
 * that holds a keyring this module did not make is refused.
 *
 * No gpg-agent or dirmngr is ever started in home (gpg.conf says
 * "no-autostart"), so none outlives gpgv_close and no secret key is ever
 * written there. A file holding a secret key (Flux v1 users shared one
 * directory with git-secret) contributes that key's public part, but gpg
 * stops reading the file at it, so keys after it in the same file are
 * not imported: keep keys for verification in files of their own.
 *
 * The strings are borrowed for the call. NULL, with err, when home cannot
 * be made or used, a path cannot be read, a file holds no OpenPGP key, or
 * gpg fails; nothing is half-open then.
 */
struct gpgv *gpgv_open(const char *home, char *const *key_paths, size_t n,
    struct buf *err);

/* How many primary keys the keyring holds (0 means nothing can verify). */
size_t gpgv_nkeys(const struct gpgv *g);

/*
 * Check the detached signature sig[0..siglen) (armored or binary) over
 * data[0..len), as git stores them: a commit's gpgsig header against the
 * commit without it (git_commit_extract_signature), or a tag's trailing
 * signature block against the tag before it.
 *
 * 1: a good signature by an imported key; the primary key's fingerprint
 * (40 or 64 upper-case hex digits) is appended to signer.
 * 0: not acceptable; one line is appended to why: "no signature" (siglen
 * 0 or no signature packet), "not an OpenPGP signature: ...", "more than
 * one signature" (refused, as git does), "bad signature by key 0x...",
 * "signed by unknown key 0x..." (not imported: the id is a fingerprint or
 * a 16-digit key id, whatever the signature names), "signed by expired key
 * 0x...", "signed by revoked key 0x...", "signature by key 0x...
 * expired", ...
 * -1: gpg could not be run or failed in a way that says nothing about the
 * signature; one line appended to why says how. Retrying may help;
 * treating it as 0 (unverified) is always safe. signer is touched only on
 * 1, why only on 0 and -1. data may be NULL when len is 0.
 */
int gpgv_verify(struct gpgv *g, const char *sig, size_t siglen,
    const char *data, size_t len, struct buf *signer, struct buf *why);

/* Free g (NULL is fine). Nothing is left running. */
void gpgv_close(struct gpgv *g);

/*
 * Append to out an armored detached signature over data[0..len) by
 * key_id, what git makes for "commit -S<key>" and "tag -u <key>"
 * (gpg -bsau key_id). key_id is a fingerprint, key id or user id naming
 * exactly one secret key in the operator's own GnuPG home (GNUPGHOME, else
 * ~/.gnupg), not a gpgv keyring; an ambiguous one is refused. Signing goes
 * through that home's gpg-agent, which gpg starts if need be and which is
 * left running (it is the operator's): the key must be usable without a
 * pinentry prompt (no passphrase, or one preset in the agent). 0, or -1
 * with err (out is unchanged then).
 */
int gpgv_sign(const char *key_id, const char *data, size_t len,
    struct buf *out, struct buf *err);

#endif
