/*
 * knownhosts.h: strict SSH host key checking against an OpenSSH
 * known_hosts file named by the operator (--git-known-hosts), because
 * libgit2 1.5 only reads $HOME/.ssh/known_hosts.
 *
 * A key is the raw SSH wire-format public key blob, as libgit2 hands it
 * over with GIT_CERT_SSH_RAW (and as the second field of a .pub line
 * base64-decodes to): a length-prefixed key type string such as
 * "ssh-ed25519" followed by the key material. Keys are borrowed.
 *
 * Supported, as OpenSSH reads the file (sshd(8) "SSH_KNOWN_HOSTS FILE
 * FORMAT"): comma-separated host patterns with '*' and '?' wildcards and
 * '!' negation (a negated match rules the line out), compared without
 * regard to ASCII case; "[host]:port" names for ports other than 22;
 * hashed names "|1|base64(salt)|base64(HMAC-SHA1(salt, name))";
 * "@revoked" lines; comments and blank lines. Lines that cannot be parsed
 * are skipped, as ssh skips them.
 * NOT supported: "@cert-authority" lines are ignored, so a host whose only
 * entry is a CA is UNKNOWN; host certificates are not recognised. Only the
 * name is matched, never the address it resolves to (ssh's
 * CheckHostIP): write address entries under the name git connects to.
 */
#ifndef SLUICE_KNOWNHOSTS_H
#define SLUICE_KNOWNHOSTS_H

#include <stddef.h>

#include "lib/buf.h"

enum knownhosts_result {
	KNOWNHOSTS_MATCH,	/* an entry for the host has this very key */
	KNOWNHOSTS_UNKNOWN,	/* no entry for the host has a key of this type
				 * (it may have keys of other types) */
	KNOWNHOSTS_CHANGED,	/* an entry for the host has a different key of
				 * the same type, and none has this key */
	KNOWNHOSTS_REVOKED,	/* an "@revoked" entry matching the host has
				 * this key; this wins over everything */
};

/*
 * Check key (keylen bytes) for host (a name or address, without brackets)
 * on port (22 or <= 0 for the default) against the known_hosts file at
 * path. Key types are compared as the type strings in the blobs, so
 * ecdsa-sha2-nistp256 and ecdsa-sha2-nistp384 are different types.
 *
 * Returns 0 with *res set and *line set to the line (from 1) of the entry
 * that decided: the matching or revoking entry, or for CHANGED the first
 * entry of the same type (0 for UNKNOWN). Returns -1 with a message
 * appended to err (nothing logged) when the file cannot be read or key is
 * not a key blob; *res and *line are then untouched.
 */
int knownhosts_check(const char *path, const char *host, int port,
    const unsigned char *key, size_t keylen, enum knownhosts_result *res,
    unsigned long *line, struct buf *err);

/*
 * Append the fingerprint of key to out as ssh-keygen -l -E sha256 prints
 * it: "SHA256:" + base64 (standard alphabet, no padding) of sha256(key).
 */
void knownhosts_fingerprint(const unsigned char *key, size_t keylen,
    struct buf *out);

/*
 * The key type named at the start of the blob ("ssh-ed25519", "ssh-rsa",
 * "ecdsa-sha2-nistp256", ...): a pointer into key (borrowed, not
 * NUL-terminated) with its length in *n, or NULL (*n = 0) if the blob is
 * too short to hold one.
 */
const char *knownhosts_key_type(const unsigned char *key, size_t keylen,
    size_t *n);

#endif
