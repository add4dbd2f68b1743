/*
 * digest.h: the hashes and encodings that Flux v1's names and OpenSSH's
 * known_hosts are built from: SHA-1 (FIPS 180-4), SHA-256, HMAC-SHA1
 * and HMAC-SHA256 (RFC 2104; GitHub's webhook signatures), base64
 * (RFC 4648), lower-case hex, and a constant-time comparison for secrets.
 *
 *	unsigned char md[DIGEST_SHA256_LEN];
 *	digest_sha256(s, strlen(s), md);
 *	digest_base64_encode(md, sizeof(md), DIGEST_B64_URL | DIGEST_B64_NOPAD,
 *	    &name);
 *
 * Nothing here allocates except through the struct buf the caller passes,
 * and nothing logs: a decoding failure is -1 and the caller says what was
 * wrong. The hash contexts are plain structs owned by the caller; there is
 * nothing to release.
 */
#ifndef SLUICE_DIGEST_H
#define SLUICE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define DIGEST_SHA1_LEN		20
#define DIGEST_SHA256_LEN	32
#define DIGEST_BLOCK_LEN	64	/* both hashes use 64-byte blocks */

struct digest_sha1 {
	uint32_t h[5];
	uint64_t len;			/* bytes hashed so far */
	unsigned char block[DIGEST_BLOCK_LEN];
	size_t nblock;			/* bytes waiting in block */
};

struct digest_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char block[DIGEST_BLOCK_LEN];
	size_t nblock;
};

/*
 * Incremental hashing: init, update any number of times (n may be 0), final.
 * final writes the digest and leaves the context to be init'ed again.
 */
void digest_sha1_init(struct digest_sha1 *c);
void digest_sha1_update(struct digest_sha1 *c, const void *p, size_t n);
void digest_sha1_final(struct digest_sha1 *c, unsigned char *out);
void digest_sha256_init(struct digest_sha256 *c);
void digest_sha256_update(struct digest_sha256 *c, const void *p, size_t n);
void digest_sha256_final(struct digest_sha256 *c, unsigned char *out);

/*
 * SHA-1 and SHA-256 use the CPU's SHA instructions (x86-64) when it has
 * them, unless this was called with allow 0 (the unit tests check both
 * ways). 1 if they are in use from now on.
 */
int digest_hw(int allow);

/* One shot: out receives DIGEST_SHA1_LEN or DIGEST_SHA256_LEN bytes. */
void digest_sha1(const void *p, size_t n, unsigned char *out);
void digest_sha256(const void *p, size_t n, unsigned char *out);

/* HMAC-SHA1 of msg under key (any length); DIGEST_SHA1_LEN bytes to out. */
void digest_hmac_sha1(const void *key, size_t keylen, const void *msg,
    size_t n, unsigned char *out);
/* HMAC-SHA256 likewise; DIGEST_SHA256_LEN bytes to out. */
void digest_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t n, unsigned char *out);

/*
 * 1 if the n bytes at a and b are equal, else 0, in a time that depends
 * on n only, never on where they differ: for secrets and MACs that a
 * client may guess at byte by byte. Callers compare lengths first (a
 * length is not secret) or hash both sides to one length.
 */
int digest_equal(const void *a, const void *b, size_t n);
/* Overwrite n bytes at p with zeros in a way the compiler keeps. */
void digest_wipe(void *p, size_t n);

/*
 * Base64 flavours. 0 is RFC 4648 §4: "+/" and "=" padding.
 * DIGEST_B64_URL uses the §5 alphabet "-_" instead; DIGEST_B64_NOPAD
 * leaves the padding off (Go's RawURLEncoding is URL | NOPAD; OpenSSH's
 * "SHA256:" fingerprints are NOPAD alone).
 */
enum digest_b64_flags {
	DIGEST_B64_URL = 1 << 0,
	DIGEST_B64_NOPAD = 1 << 1,
	/* decoding: accept non-zero unused bits in the last character, as
	 * Go's encodings do unless made Strict() (YAML's !!binary) */
	DIGEST_B64_LAX = 1 << 2,
};

/* Append the base64 form of the n bytes at p to out. */
void digest_base64_encode(const void *p, size_t n, unsigned flags,
    struct buf *out);
/*
 * Append the bytes that the n characters at s encode to out. Strict: the
 * alphabet must be the one flags name, padding must be present (and
 * correct) exactly when NOPAD is not given, no whitespace, and the unused
 * low bits of the last character must be zero, so every byte string has one
 * accepted encoding. 0, or -1 (nothing logged) with out unchanged.
 */
int digest_base64_decode(const char *s, size_t n, unsigned flags,
    struct buf *out);

/* Append the n bytes at p to out as lower-case hex. */
void digest_hex(const unsigned char *p, size_t n, struct buf *out);

#endif
