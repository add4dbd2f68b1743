#include "lib/digest.h"

#include <stdint.h>
#include <string.h>

/* the SHA extensions of x86-64 (sha1_block_ni below) */
#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#ifndef bit_SHA
#define bit_SHA (1 << 29)	/* cpuid 7: ebx */
#endif
#endif

#include "lib/buf.h"
#include "lib/banned.h"

static uint32_t
load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
rol32(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

static uint32_t
ror32(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

/*
 * Both hashes pad the same way (FIPS 180-4 §5.1.1): a 1 bit, zeros up to
 * 56 mod 64, then the message length in bits as a big-endian 64-bit number.
 * The 64 bytes of padding plus the length live in this one buffer.
 */
static size_t
make_padding(uint64_t len, size_t nblock, unsigned char *pad)
{
	size_t padlen = nblock < 56 ? 56 - nblock : 120 - nblock;
	uint64_t bits = len * 8;
	int i;

	memset(pad, 0, padlen);
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char)(bits >> (56 - 8 * i));
	return padlen + 8;
}

/* SHA-1 (FIPS 180-4 §6.1) */

/*
 * The 80 rounds written out, each naming the five words in the roles that
 * round gives them instead of moving four words along per round, and the
 * schedule kept to the 16 words still to be read: five times the speed of
 * the textbook loop. kube-apply hashes every object of every pass with it
 * (18 MB for 10,000 objects).
 */
#define SHA1_CH(b, c, d)	((d) ^ ((b) & ((c) ^ (d))))
#define SHA1_PARITY(b, c, d)	((b) ^ (c) ^ (d))
#define SHA1_MAJ(b, c, d)	(((b) & (c)) | ((d) & ((b) | (c))))
/* word i of the schedule (i a constant: the test folds away) */
#define SHA1_W(i) ((i) < 16 ? w[(i) & 15] : (w[(i) & 15] = rol32(	\
	w[((i) - 3) & 15] ^ w[((i) - 8) & 15] ^ w[((i) - 14) & 15] ^	\
	w[(i) & 15], 1)))
#define SHA1_ROUND(a, b, c, d, e, fn, k, i) do {			\
	e += rol32(a, 5) + fn(b, c, d) + (k) + SHA1_W(i);		\
	b = rol32(b, 30);						\
} while (0)
#define SHA1_5(fn, k, i) do {						\
	SHA1_ROUND(a, b, c, d, e, fn, k, (i));				\
	SHA1_ROUND(e, a, b, c, d, fn, k, (i) + 1);			\
	SHA1_ROUND(d, e, a, b, c, fn, k, (i) + 2);			\
	SHA1_ROUND(c, d, e, a, b, fn, k, (i) + 3);			\
	SHA1_ROUND(b, c, d, e, a, fn, k, (i) + 4);			\
} while (0)
#define SHA1_20(fn, k, i) do {						\
	SHA1_5(fn, k, (i));						\
	SHA1_5(fn, k, (i) + 5);						\
	SHA1_5(fn, k, (i) + 10);					\
	SHA1_5(fn, k, (i) + 15);					\
} while (0)

static void
sha1_block(uint32_t *h, const unsigned char *p)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(p + 4 * i);
	SHA1_20(SHA1_CH, 0x5a827999u, 0);
	SHA1_20(SHA1_PARITY, 0x6ed9eba1u, 20);
	SHA1_20(SHA1_MAJ, 0x8f1bbcdcu, 40);
	SHA1_20(SHA1_PARITY, 0xca62c1d6u, 60);
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

#undef SHA1_CH
#undef SHA1_PARITY
#undef SHA1_MAJ
#undef SHA1_W
#undef SHA1_ROUND
#undef SHA1_5
#undef SHA1_20

#ifdef HAVE_SHA_NI
/*
 * The same block with the CPU's SHA instructions, three times as fast
 * again. A vector holds four words with the first in its top lane (so a
 * block's 16 bytes are reversed whole as they are loaded, which also makes
 * them big-endian); sha1rnds4 does four rounds (f and k from 0 to 3 for
 * rounds 0-19, 20-39...), taking e, added into the top lane of the
 * message words: for the first four rounds by hand, after that by
 * sha1nexte from the a of four rounds back. sha1msg1 and sha1msg2 make
 * the next four words of the schedule from the last 16.
 */
#define SHA1_NI_4(g, f) do {						\
	if ((g) >= 4)							\
		m[(g) & 3] = _mm_sha1msg2_epu32(_mm_xor_si128(		\
		    _mm_sha1msg1_epu32(m[(g) & 3], m[((g) + 1) & 3]),	\
		    m[((g) + 2) & 3]), m[((g) + 3) & 3]);		\
	x = (g) == 0 ? _mm_add_epi32(e, m[0]) :				\
	    _mm_sha1nexte_epu32(prev, m[(g) & 3]);			\
	prev = abcd;							\
	abcd = _mm_sha1rnds4_epu32(abcd, x, (f));			\
} while (0)
#define SHA1_NI_20(g, f) do {						\
	SHA1_NI_4((g), (f));						\
	SHA1_NI_4((g) + 1, (f));					\
	SHA1_NI_4((g) + 2, (f));					\
	SHA1_NI_4((g) + 3, (f));					\
	SHA1_NI_4((g) + 4, (f));					\
} while (0)

__attribute__((target("sha,sse4.1")))
static void
sha1_block_ni(uint32_t *h, const unsigned char *p)
{
	const __m128i reverse = _mm_set_epi64x(0x0001020304050607LL,
	    0x08090a0b0c0d0e0fLL);
	__m128i abcd, abcd0, e, prev, x, m[4];
	int i;

	abcd0 = abcd = _mm_shuffle_epi32(_mm_loadu_si128(
	    (const __m128i *)(const void *)h), 0x1b);
	e = _mm_set_epi32((int)h[4], 0, 0, 0);
	for (i = 0; i < 4; i++)
		m[i] = _mm_shuffle_epi8(_mm_loadu_si128(
		    (const __m128i *)(const void *)(p + 16 * i)), reverse);
	SHA1_NI_20(0, 0);
	SHA1_NI_20(5, 1);
	SHA1_NI_20(10, 2);
	SHA1_NI_20(15, 3);
	e = _mm_sha1nexte_epu32(prev, e);
	abcd = _mm_add_epi32(abcd, abcd0);
	_mm_storeu_si128((__m128i *)(void *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e, 3);
}

#undef SHA1_NI_4
#undef SHA1_NI_20

/* Does this CPU have SSSE3, SSE4.1 and the SHA extensions? */
static int
cpu_has_sha(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) ||
	    !(c & bit_SSE4_1))
		return 0;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}
#endif

/* sha1_block or sha1_block_ni, and the same for SHA-256: chosen at the
 * first use (digest_hw) */
static void (*sha1_compress)(uint32_t *, const unsigned char *);
static void (*sha256_compress)(uint32_t *, const unsigned char *);

void
digest_sha1_init(struct digest_sha1 *c)
{
	c->h[0] = 0x67452301;
	c->h[1] = 0xefcdab89;
	c->h[2] = 0x98badcfe;
	c->h[3] = 0x10325476;
	c->h[4] = 0xc3d2e1f0;
	c->len = 0;
	c->nblock = 0;
}

/*
 * Both hashes take 64-byte blocks: feed n bytes through block/nblock,
 * compressing each full block into h.
 */
static void
absorb(uint32_t *h, unsigned char *block, size_t *nblock, uint64_t *len,
    const void *data, size_t n,
    void (*compress)(uint32_t *, const unsigned char *))
{
	const unsigned char *p = data;
	size_t take;

	*len += n;
	if (*nblock) {
		take = DIGEST_BLOCK_LEN - *nblock;
		if (take > n)
			take = n;
		memcpy(block + *nblock, p, take);
		*nblock += take;
		p += take;
		n -= take;
		if (*nblock < DIGEST_BLOCK_LEN)
			return;
		compress(h, block);
		*nblock = 0;
	}
	for (; n >= DIGEST_BLOCK_LEN; p += DIGEST_BLOCK_LEN,
	    n -= DIGEST_BLOCK_LEN)
		compress(h, p);
	if (n) {
		memcpy(block, p, n);
		*nblock = n;
	}
}

void
digest_sha1_update(struct digest_sha1 *c, const void *data, size_t n)
{
	if (sha1_compress == NULL)
		(void)digest_hw(1);
	absorb(c->h, c->block, &c->nblock, &c->len, data, n, sha1_compress);
}

void
digest_sha1_final(struct digest_sha1 *c, unsigned char *out)
{
	unsigned char pad[2 * DIGEST_BLOCK_LEN];
	uint64_t len = c->len;
	int i;

	digest_sha1_update(c, pad, make_padding(len, c->nblock, pad));
	for (i = 0; i < 5; i++)
		store_be32(out + 4 * i, c->h[i]);
	digest_sha1_init(c);
}

void
digest_sha1(const void *p, size_t n, unsigned char *out)
{
	struct digest_sha1 c;

	digest_sha1_init(&c);
	digest_sha1_update(&c, p, n);
	digest_sha1_final(&c, out);
}

/* SHA-256 (FIPS 180-4 §6.2) */

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void
sha256_block(uint32_t *h, const unsigned char *p)
{
	uint32_t w[64], v[8], s0, s1, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = load_be32(p + 4 * i);
	for (; i < 64; i++) {
		s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^
		    w[i - 15] >> 3;
		s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ w[i - 2] >> 10;
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 64; i++) {
		s1 = ror32(v[4], 6) ^ ror32(v[4], 11) ^ ror32(v[4], 25);
		t1 = v[7] + s1 + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
		    sha256_k[i] + w[i];
		s0 = ror32(v[0], 2) ^ ror32(v[0], 13) ^ ror32(v[0], 22);
		t2 = s0 + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		v[7] = v[6];
		v[6] = v[5];
		v[5] = v[4];
		v[4] = v[3] + t1;
		v[3] = v[2];
		v[2] = v[1];
		v[1] = v[0];
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

#ifdef HAVE_SHA_NI
/*
 * The same block with the CPU's SHA instructions (Intel's "SHA
 * Extensions" paper describes them). sha256rnds2 does two rounds on the
 * state split as ABEF and CDGH (A in the top lane), taking W+K of the two
 * rounds in its low lanes; so each four rounds is two calls, the second
 * with the high half of the sum moved down, and the two halves of the
 * state swap roles each call and are back in place after four rounds.
 * Words 16 to 63 come four at a time: sha256msg1 adds sigma0 of the next
 * words to the group 16 back, the words 7 back are added, and sha256msg2
 * adds sigma1 of the last group.
 */
__attribute__((target("sha,sse4.1")))
static void
sha256_block_ni(uint32_t *h, const unsigned char *p)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
	    0x0405060700010203LL);
	__m128i abef, cdgh, abef0, cdgh0, t, x, m[4];
	int g;

	/* h[0..3] is DCBA (A in lane 0), h[4..7] HGFE */
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)
	    h), 0xb1);					/* CDAB */
	cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)
	    (const void *)(h + 4)), 0x1b);		/* EFGH */
	abef = _mm_alignr_epi8(t, cdgh, 8);		/* ABEF */
	cdgh = _mm_blend_epi16(cdgh, t, 0xf0);		/* CDGH */
	abef0 = abef;
	cdgh0 = cdgh;
	for (g = 0; g < 16; g++) {
		if (g < 4)
			m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)
			    (const void *)(p + 16 * g)), bswap);
		else
			m[g & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(
			    _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]),
			    _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4)),
			    m[(g + 3) & 3]);
		x = _mm_add_epi32(m[g & 3], _mm_loadu_si128((const __m128i *)
		    (const void *)(sha256_k + 4 * g)));
		cdgh = _mm_sha256rnds2_epu32(cdgh, abef, x);
		abef = _mm_sha256rnds2_epu32(abef, cdgh,
		    _mm_shuffle_epi32(x, 0x0e));
	}
	abef = _mm_add_epi32(abef, abef0);
	cdgh = _mm_add_epi32(cdgh, cdgh0);
	t = _mm_shuffle_epi32(abef, 0x1b);		/* FEBA */
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);		/* DCHG */
	_mm_storeu_si128((__m128i *)(void *)h,
	    _mm_blend_epi16(t, cdgh, 0xf0));		/* DCBA */
	_mm_storeu_si128((__m128i *)(void *)(h + 4),
	    _mm_alignr_epi8(cdgh, t, 8));		/* HGFE */
}
#endif

int
digest_hw(int allow)
{
	sha1_compress = sha1_block;
	sha256_compress = sha256_block;
#ifdef HAVE_SHA_NI
	if (allow && cpu_has_sha()) {
		sha1_compress = sha1_block_ni;
		sha256_compress = sha256_block_ni;
	}
#else
	(void)allow;
#endif
	return sha1_compress != sha1_block;
}

void
digest_sha256_init(struct digest_sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->nblock = 0;
}

void
digest_sha256_update(struct digest_sha256 *c, const void *data, size_t n)
{
	if (sha256_compress == NULL)
		(void)digest_hw(1);
	absorb(c->h, c->block, &c->nblock, &c->len, data, n,
	    sha256_compress);
}

void
digest_sha256_final(struct digest_sha256 *c, unsigned char *out)
{
	unsigned char pad[2 * DIGEST_BLOCK_LEN];
	uint64_t len = c->len;
	int i;

	digest_sha256_update(c, pad, make_padding(len, c->nblock, pad));
	for (i = 0; i < 8; i++)
		store_be32(out + 4 * i, c->h[i]);
	digest_sha256_init(c);
}

void
digest_sha256(const void *p, size_t n, unsigned char *out)
{
	struct digest_sha256 c;

	digest_sha256_init(&c);
	digest_sha256_update(&c, p, n);
	digest_sha256_final(&c, out);
}

/*
 * HMAC (RFC 2104): H((K ^ opad) || H((K ^ ipad) || msg)). One body for
 * both hashes: the contexts differ, the construction does not.
 */
#define HMAC_BODY(ctx, init, update, final, oneshot, len)		\
	do {								\
		unsigned char k[DIGEST_BLOCK_LEN], pad[DIGEST_BLOCK_LEN]; \
		unsigned char inner[len];				\
		ctx c;							\
		size_t i;						\
									\
		memset(k, 0, sizeof(k));				\
		if (keylen > DIGEST_BLOCK_LEN)				\
			oneshot(key, keylen, k);			\
		else if (keylen)					\
			memcpy(k, key, keylen);				\
		for (i = 0; i < sizeof(pad); i++)			\
			pad[i] = k[i] ^ 0x36;				\
		init(&c);						\
		update(&c, pad, sizeof(pad));				\
		update(&c, msg, n);					\
		final(&c, inner);					\
		for (i = 0; i < sizeof(pad); i++)			\
			pad[i] = k[i] ^ 0x5c;				\
		update(&c, pad, sizeof(pad));				\
		update(&c, inner, sizeof(inner));			\
		final(&c, out);						\
		/* the key schedule is secret: leave no copy behind */	\
		digest_wipe(k, sizeof(k));				\
		digest_wipe(pad, sizeof(pad));				\
	} while (0)

void
digest_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t n,
    unsigned char *out)
{
	HMAC_BODY(struct digest_sha1, digest_sha1_init, digest_sha1_update,
	    digest_sha1_final, digest_sha1, DIGEST_SHA1_LEN);
}

void
digest_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t n, unsigned char *out)
{
	HMAC_BODY(struct digest_sha256, digest_sha256_init,
	    digest_sha256_update, digest_sha256_final, digest_sha256,
	    DIGEST_SHA256_LEN);
}
#undef HMAC_BODY

int
digest_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *p = a, *q = b;
	unsigned char d = 0;
	size_t i;

	/* every byte is read whatever the earlier ones were */
	for (i = 0; i < n; i++)
		d |= p[i] ^ q[i];
	return d == 0;
}

void
digest_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

/* base64 (RFC 4648 §4, §5) */

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
digest_base64_encode(const void *data, size_t n, unsigned flags,
    struct buf *out)
{
	const char *abc = flags & DIGEST_B64_URL ? b64_url : b64_std;
	const unsigned char *p = data;
	uint32_t v;
	char *o;

	buf_grow(out, (n + 2) / 3 * 4);
	o = out->s + out->len;
	for (; n >= 3; p += 3, n -= 3) {
		v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		*o++ = abc[v >> 18];
		*o++ = abc[v >> 12 & 63];
		*o++ = abc[v >> 6 & 63];
		*o++ = abc[v & 63];
	}
	if (n) {
		v = (uint32_t)p[0] << 16;
		if (n == 2)
			v |= (uint32_t)p[1] << 8;
		*o++ = abc[v >> 18];
		*o++ = abc[v >> 12 & 63];
		if (n == 2)
			*o++ = abc[v >> 6 & 63];
		else if (!(flags & DIGEST_B64_NOPAD))
			*o++ = '=';
		if (!(flags & DIGEST_B64_NOPAD))
			*o++ = '=';
	}
	buf_setlen(out, (size_t)(o - out->s));
}

static int
b64_value(int c, unsigned flags)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (flags & DIGEST_B64_URL) {
		if (c == '-')
			return 62;
		if (c == '_')
			return 63;
	} else {
		if (c == '+')
			return 62;
		if (c == '/')
			return 63;
	}
	return -1;
}

int
digest_base64_decode(const char *s, size_t n, unsigned flags,
    struct buf *out)
{
	size_t oldlen = out->len, i, tail;
	uint32_t v = 0;
	int d, bits = 0;
	char *o;

	if (!(flags & DIGEST_B64_NOPAD)) {
		if (n % 4)
			return -1;
		if (n && s[n - 1] == '=')
			n -= n >= 2 && s[n - 2] == '=' ? 2 : 1;
	}
	tail = n % 4;
	if (tail == 1)
		return -1;
	buf_grow(out, n / 4 * 3 + 2);
	o = out->s + out->len;
	for (i = 0; i < n; i++) {
		d = b64_value((unsigned char)s[i], flags);
		if (d < 0)
			goto bad;
		v = v << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)(v >> bits & 0xff);
		}
	}
	/* the bits left over are the last character's padding: zero */
	if (!(flags & DIGEST_B64_LAX) && (v & ((1u << bits) - 1)))
		goto bad;
	buf_setlen(out, (size_t)(o - out->s));
	return 0;
bad:
	buf_setlen(out, oldlen);
	return -1;
}

void
digest_hex(const unsigned char *p, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	buf_grow(out, 2 * n);
	for (i = 0; i < n; i++) {
		out->s[out->len + 2 * i] = hex[p[i] >> 4];
		out->s[out->len + 2 * i + 1] = hex[p[i] & 15];
	}
	buf_setlen(out, out->len + 2 * n);
}
