/*
 * Unit tests of lib/digest: FIPS 180, RFC 2202 (HMAC-SHA1), RFC 4231
 * (HMAC-SHA256) and RFC 4648 vectors, and the constant-time comparison.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "tests/unit/tap.h"

static const char msg448[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

static void
hex_of(const unsigned char *md, size_t n, struct buf *b)
{
	buf_reset(b);
	digest_hex(md, n, b);
}

static void
test_sha1(void)
{
	static const struct {
		const char *in, *want;
	} v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ msg448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	unsigned char md[DIGEST_SHA1_LEN];
	struct digest_sha1 c;
	struct buf b = BUF_INIT;
	char *a;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		digest_sha1(v[i].in, strlen(v[i].in), md);
		hex_of(md, sizeof(md), &b);
		is_str(b.s, v[i].want, "sha1 vector %zu", i);
	}

	a = malloc(1000000);
	memset(a, 'a', 1000000);
	digest_sha1(a, 1000000, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
	    "sha1 of a million 'a'");

	/* the same, fed in uneven pieces that straddle blocks */
	digest_sha1_init(&c);
	for (i = 0; i < 1000000;) {
		size_t n = i % 97 + 1;

		if (n > 1000000 - i)
			n = 1000000 - i;
		digest_sha1_update(&c, a + i, n);
		i += n;
	}
	digest_sha1_final(&c, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
	    "sha1 incremental in odd pieces");
	free(a);

	/* a context used once more after final: 56 bytes, two pad blocks */
	digest_sha1_init(&c);
	digest_sha1_update(&c, "x", 1);
	digest_sha1_final(&c, md);
	digest_sha1_update(&c, msg448, 56);
	digest_sha1_final(&c, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
	    "final resets the context for reuse");
	buf_release(&b);
}

/*
 * The CPU's SHA instructions, where there are some, against the portable
 * code: lengths across several blocks and every offset in one, then the
 * vectors again with the portable code.
 */
static void
hw_against_portable(const char *name,
    void (*hash)(const void *, size_t, unsigned char *), void (*vectors)(void))
{
	unsigned char data[1000], hw[DIGEST_SHA256_LEN], sw[DIGEST_SHA256_LEN];
	size_t i, n, bad = 0;
	int have;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + i / 7);
	have = digest_hw(1);
	for (n = 0; n <= sizeof(data); n += n < 200 ? 1 : 37) {
		(void)digest_hw(1);
		hash(data, n, hw);
		(void)digest_hw(0);
		hash(data, n, sw);
		/* SHA-1 writes the first 20 of the 32 bytes */
		bad += memcmp(hw, sw, strcmp(name, "sha1") == 0 ?
		    DIGEST_SHA1_LEN : DIGEST_SHA256_LEN) != 0;
	}
	is_int(bad, 0, "%s with%s the CPU's SHA instructions is the "
	    "portable one's", name, have ? "" : " (none here, so without)");
	vectors();
	(void)digest_hw(1);
}

static void
test_sha256(void)
{
	static const struct {
		const char *in, *want;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb924"
		    "27ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223"
		    "b00361a396177a9cb410ff61f20015ad" },
		{ msg448, "248d6a61d20638b8e5c026930c3e6039"
		    "a33ce45964ff2167f6ecedd419db06c1" },
	};
	unsigned char md[DIGEST_SHA256_LEN];
	struct digest_sha256 c;
	struct buf b = BUF_INIT;
	char *a;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		digest_sha256(v[i].in, strlen(v[i].in), md);
		hex_of(md, sizeof(md), &b);
		is_str(b.s, v[i].want, "sha256 vector %zu", i);
	}

	a = malloc(1000000);
	memset(a, 'a', 1000000);
	digest_sha256(a, 1000000, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0", "sha256 of a million 'a'");
	digest_sha256_init(&c);
	for (i = 0; i < 1000000;) {
		size_t n = i % 131 + 1;

		if (n > 1000000 - i)
			n = 1000000 - i;
		digest_sha256_update(&c, a + i, n);
		i += n;
	}
	digest_sha256_final(&c, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0",
	    "sha256 incremental in odd pieces");
	free(a);

	/* FIPS 180-2 appendix B's second message fed one byte at a time */
	digest_sha256_init(&c);
	for (i = 0; msg448[i]; i++)
		digest_sha256_update(&c, msg448 + i, 1);
	digest_sha256_update(&c, "", 0);
	digest_sha256_final(&c, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, v[2].want, "sha256 a byte at a time");
	buf_release(&b);
}

static void
test_hmac(void)
{
	/* RFC 2202 §3 */
	unsigned char key[80], data[50], md[DIGEST_SHA1_LEN];
	struct buf b = BUF_INIT;
	const char *msg;
	int i;

	memset(key, 0x0b, 20);
	digest_hmac_sha1(key, 20, "Hi There", 8, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "b617318655057264e28bc0b6fb378c8ef146be00", "rfc2202 1");

	digest_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", "rfc2202 2");

	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	digest_hmac_sha1(key, 20, data, 50, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "125d7342b9ac11cd91a39af48aa17b4f63f175d3", "rfc2202 3");

	for (i = 0; i < 25; i++)
		key[i] = (unsigned char)(i + 1);
	memset(data, 0xcd, 50);
	digest_hmac_sha1(key, 25, data, 50, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "4c9007f4026250c6bc8414f9bf50c86c2d7235da", "rfc2202 4");

	memset(key, 0x0c, 20);
	digest_hmac_sha1(key, 20, "Test With Truncation", 20, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04", "rfc2202 5");

	memset(key, 0xaa, 80);
	msg = "Test Using Larger Than Block-Size Key - Hash Key First";
	digest_hmac_sha1(key, 80, msg, strlen(msg), md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "aa4ae5e15272d00e95705637ce8a3b55ed402112", "rfc2202 6");

	msg = "Test Using Larger Than Block-Size Key and Larger "
	    "Than One Block-Size Data";
	digest_hmac_sha1(key, 80, msg, strlen(msg), md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "e8e99d0f45237d786d6bbaa7965c7808bbff1a91", "rfc2202 7");
	buf_release(&b);
}

static void
test_hmac_sha256(void)
{
	/* RFC 4231 §4.2 to §4.8 */
	unsigned char key[131], data[50], md[DIGEST_SHA256_LEN];
	struct buf b = BUF_INIT;
	const char *msg;
	int i;

	memset(key, 0x0b, 20);
	digest_hmac_sha256(key, 20, "Hi There", 8, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7", "rfc4231 1");

	digest_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843", "rfc4231 2");

	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	digest_hmac_sha256(key, 20, data, 50, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "773ea91e36800e46854db8ebd09181a7"
	    "2959098b3ef8c122d9635514ced565fe", "rfc4231 3");

	for (i = 0; i < 25; i++)
		key[i] = (unsigned char)(i + 1);
	memset(data, 0xcd, 50);
	digest_hmac_sha256(key, 25, data, 50, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "82558a389a443c0ea4cc819899f2083a"
	    "85f0faa3e578f8077a2e3ff46729665b", "rfc4231 4");

	/* §4.6 gives only the first 128 bits */
	memset(key, 0x0c, 20);
	digest_hmac_sha256(key, 20, "Test With Truncation", 20, md);
	hex_of(md, 16, &b);
	is_str(b.s, "a3b6167473100ee06e0c796c2955552b", "rfc4231 5");

	memset(key, 0xaa, 131);
	msg = "Test Using Larger Than Block-Size Key - Hash Key First";
	digest_hmac_sha256(key, 131, msg, strlen(msg), md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54", "rfc4231 6");

	msg = "This is a test using a larger than block-size key and a "
	    "larger than block-size data. The key needs to be hashed before "
	    "being used by the HMAC algorithm.";
	digest_hmac_sha256(key, 131, msg, strlen(msg), md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "9b09ffa71b942fcb27635fbcd5b0e944"
	    "bfdc63644f0713938a7f51535c3a35e2", "rfc4231 7");

	/* a key of exactly one block is used as it is, not hashed (the
	 * value from Python's hmac module) */
	memset(key, 0x61, 64);
	digest_hmac_sha256(key, 64, "", 0, md);
	hex_of(md, sizeof(md), &b);
	is_str(b.s, "b389ef8fc24e40e35b42b70221b46691"
	    "6836a241257699d090bc736b8ad21b98", "64-byte key");
	buf_release(&b);
}

static void
test_equal(void)
{
	unsigned char z[4] = { 0 };

	ok(digest_equal("abcd", "abcd", 4), "equal bytes are equal");
	ok(!digest_equal("abcd", "abce", 4), "a last byte differs");
	ok(!digest_equal("xbcd", "abcd", 4), "a first byte differs");
	ok(digest_equal("a", "b", 0), "no bytes are equal");
	digest_wipe(z, sizeof(z));
	ok(digest_equal(z, "\0\0\0\0", 4), "wipe zeroes");
}

static void
test_base64(void)
{
	/* RFC 4648 §10 */
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *const bad_std[] = {
		"Zg=", "Zg", "Z===", "Zm9v=", "Zm9", "Zh==", "Zm9=",
		"Zm 9v", "Zm9v\n", "Zm-v", "Zm_v", "=Zm9", "Zg==Zg==",
		"Zm=v", "Z", "Zm9vYg=\0",
	};
	static const char *const bad_raw[] = {
		"Zg==", "Zm8=", "Z", "Zm9vY", "Zm+v", "Zm/v", "Zh", "Zm9",
	};
	const unsigned char bin[] = { 0xfb, 0xff, 0xbf, 0x00, 0x3e };
	struct buf b = BUF_INIT;
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = strlen(v[i][0]);
		buf_reset(&b);
		digest_base64_encode(v[i][0], n, 0, &b);
		is_str(b.s, v[i][1], "encode '%s'", v[i][0]);
		buf_reset(&b);
		ok(digest_base64_decode(v[i][1], strlen(v[i][1]), 0, &b) == 0 &&
		    b.len == n && memcmp(b.s, v[i][0], n) == 0,
		    "decode '%s'", v[i][1]);
		buf_reset(&b);
		digest_base64_encode(v[i][0], n, DIGEST_B64_NOPAD, &b);
		ok(strncmp(b.s, v[i][1], b.len) == 0 &&
		    strchr(b.s, '=') == NULL, "encode '%s' without padding",
		    v[i][0]);
		n = b.len;
		ok(digest_base64_decode(b.s, n, DIGEST_B64_NOPAD, &b) == 0 &&
		    b.len == n + strlen(v[i][0]) &&
		    memcmp(b.s + n, v[i][0], strlen(v[i][0])) == 0,
		    "decode unpadded '%s', appending", v[i][0]);
	}

	buf_reset(&b);
	digest_base64_encode(bin, sizeof(bin), 0, &b);
	is_str(b.s, "+/+/AD4=", "standard alphabet");
	buf_reset(&b);
	digest_base64_encode(bin, sizeof(bin), DIGEST_B64_URL |
	    DIGEST_B64_NOPAD, &b);
	is_str(b.s, "-_-_AD4", "url alphabet without padding");
	buf_reset(&b);
	ok(digest_base64_decode("-_-_AD4", 7, DIGEST_B64_URL |
	    DIGEST_B64_NOPAD, &b) == 0 && b.len == sizeof(bin) &&
	    memcmp(b.s, bin, sizeof(bin)) == 0, "url alphabet decodes");

	buf_reset(&b);
	buf_adds(&b, "keep");
	for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++) {
		n = strlen(bad_std[i]);
		if (i == sizeof(bad_std) / sizeof(bad_std[0]) - 1)
			n = 8;	/* a NUL where the padding should be */
		ok(digest_base64_decode(bad_std[i], n, 0, &b) < 0 &&
		    strcmp(b.s, "keep") == 0, "standard refuses bad input %zu",
		    i);
	}
	for (i = 0; i < sizeof(bad_raw) / sizeof(bad_raw[0]); i++)
		ok(digest_base64_decode(bad_raw[i], strlen(bad_raw[i]),
		    DIGEST_B64_URL | DIGEST_B64_NOPAD, &b) < 0 &&
		    strcmp(b.s, "keep") == 0, "url nopad refuses '%s'",
		    bad_raw[i]);

	buf_reset(&b);
	digest_hex((const unsigned char *)"\x00\x7f\xff", 3, &b);
	is_str(b.s, "007fff", "hex");
	buf_release(&b);
}

/* "YR==" decodes to "a" with a non-zero unused bit: Go's StdEncoding
 * (and YAML's !!binary) accept it; the strict default refuses it. */
static void
test_lax(void)
{
	struct buf out = BUF_INIT;

	ok(digest_base64_decode("YR==", 4, 0, &out) < 0,
	    "strict decoding refuses non-zero unused bits");
	ok(digest_base64_decode("YR==", 4, DIGEST_B64_LAX, &out) == 0 &&
	    out.len == 1 && out.s[0] == 'a', "lax decoding accepts them");
	buf_release(&out);
}

int
main(void)
{
	test_lax();
	test_sha1();
	hw_against_portable("sha1", digest_sha1, test_sha1);
	test_sha256();
	hw_against_portable("sha256", digest_sha256, test_sha256);
	test_hmac();
	test_hmac_sha256();
	test_equal();
	test_base64();
	return tap_done();
}
