/* Unit tests of lib/buf, lib/jsonw and lib/num. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/jsonw.h"
#include "lib/num.h"
#include "tests/unit/tap.h"

static void
test_buf(void)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t len;
	int i;

	is_str(b.s, "", "an empty buf is an empty string");
	buf_addf(&b, "%s-%d", "a", 1);
	is_str(b.s, "a-1", "buf_addf formats");
	for (i = 0; i < 1000; i++)
		buf_addch(&b, 'x');
	is_int(b.len, 1003, "buf grows past its first allocation");
	buf_addf(&b, "%0500d", 7);
	is_int(b.len, 1503, "buf_addf grows for a long result");
	s = buf_detach(&b, &len);
	is_int(len, 1503, "buf_detach hands over the length");
	ok(b.len == 0 && b.s[0] == '\0', "buf_detach leaves an empty buf");
	free(s);
	buf_add(&b, "a\0b", 3);
	ok(b.len == 3 && memcmp(b.s, "a\0b", 4) == 0, "buf keeps NULs");
	buf_release(&b);
}

static void
test_json_str(void)
{
	struct buf b = BUF_INIT;

	buf_add_json_str(&b, "a\"b\\c\n\t\x01", 8);
	is_str(b.s, "\"a\\\"b\\\\c\\n\\t\\u0001\"", "escapes");
	buf_reset(&b);
	buf_add_json_str(&b, "h\xc3\xa9 \xe2\x82\xac", 7);
	is_str(b.s, "\"h\xc3\xa9 \xe2\x82\xac\"", "valid UTF-8 is kept");
	buf_reset(&b);
	buf_add_json_str(&b, "a\xff" "b\xc3", 4);
	is_str(b.s, "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"",
	    "invalid UTF-8 becomes U+FFFD");
	buf_reset(&b);
	buf_add_json_str(&b, "\xed\xa0\x80", 3);
	is_str(b.s, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	    "an encoded surrogate is not valid UTF-8");
	buf_release(&b);
}

static void
test_jsonw(void)
{
	struct buf b = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &b);
	jsonw_open(&w);
	jsonw_kstr(&w, "type", "end");
	jsonw_kbool(&w, "ok", 0);
	jsonw_key(&w, "counts");
	jsonw_open(&w);
	jsonw_kint(&w, "objects", 3);
	jsonw_close(&w);
	jsonw_key(&w, "failed");
	jsonw_open_array(&w);
	jsonw_str(&w, "a.yaml");
	jsonw_str(&w, NULL);
	jsonw_close_array(&w);
	jsonw_close(&w);
	is_str(b.s, "{\"type\":\"end\",\"ok\":false,\"counts\":{\"objects\":3},"
	    "\"failed\":[\"a.yaml\",null]}", "jsonw places commas");
	buf_release(&b);
}

static void
test_num(void)
{
	long v = 0;
	double d = 0;

	ok(num_parse_long("42", 0, 100, &v) == 0 && v == 42, "42");
	ok(num_parse_long("-3", -5, 5, &v) == 0 && v == -3, "-3");
	ok(num_parse_long("101", 0, 100, &v) < 0 && errno == ERANGE,
	    "out of range");
	ok(num_parse_long("12x", 0, 100, &v) < 0 && errno == EINVAL,
	    "trailing garbage");
	ok(num_parse_long("", 0, 100, &v) < 0, "empty");
	ok(num_parse_long(" 1", 0, 100, &v) < 0, "leading space");
	ok(num_parse_long("99999999999999999999", 0, 100, &v) < 0,
	    "overflow");
	ok(num_parse_duration("2m", &d) == 0 && d == 120, "2m");
	ok(num_parse_duration("1h30m", &d) == 0 && d == 5400, "1h30m");
	ok(num_parse_duration("250ms", &d) == 0 && d > 0.2499 && d < 0.2501,
	    "250ms");
	ok(num_parse_duration("1.5s", &d) == 0 && d == 1.5, "1.5s");
	ok(num_parse_duration("0", &d) == 0 && d == 0, "0");
	ok(num_parse_duration("30", &d) < 0, "a bare number is refused");
	ok(num_parse_duration("5x", &d) < 0, "an unknown unit is refused");
	ok(num_parse_duration("", &d) < 0, "empty is refused");
}

static void
test_rfc3339(void)
{
	long long t = 0;

	ok(num_parse_rfc3339("1970-01-01T00:00:00Z", &t) == 0 && t == 0,
	    "the epoch");
	ok(num_parse_rfc3339("2024-02-29T12:34:56.789+02:00", &t) == 0 &&
	    t == 1709202896, "a leap day, a fraction, an offset");
	ok(num_parse_rfc3339("2024-05-01t00:00:00z", &t) == 0 &&
	    t == 1714521600, "lower-case t and z");
	ok(num_parse_rfc3339("2023-02-29T00:00:00Z", &t) < 0,
	    "no leap day in 2023");
	ok(num_parse_rfc3339("2024-05-01 00:00:00Z", &t) < 0,
	    "a space is not RFC 3339");
	ok(num_parse_rfc3339("2024-05-01T00:00:00", &t) < 0,
	    "a zone is required");
	ok(num_hexval('f') == 15 && num_hexval('A') == 10 &&
	    num_hexval('g') == -1, "hex digits");
	{
		char out[NUM_RFC3339_SIZE];

		num_format_rfc3339(1709210096, out);
		is_str(out, "2024-02-29T12:34:56Z", "format a leap day");
		num_format_rfc3339(-5, out);
		is_str(out, "1970-01-01T00:00:00Z", "before 1970 is clipped");
		num_format_rfc3339(1LL << 50, out);
		is_str(out, "9999-12-31T23:59:59Z", "after 9999 is clipped");
	}
}

static void
test_read_fd(void)
{
	struct buf b = BUF_INIT;
	int fd;

	fd = open("/dev/zero", O_RDONLY);
	ok(fd >= 0 && buf_read_fd(&b, fd, 1000) < 0 && errno == EFBIG,
	    "buf_read_fd stops at its bound");
	close(fd);
	buf_release(&b);
}

int
main(void)
{
	test_buf();
	test_json_str();
	test_jsonw();
	test_num();
	test_rfc3339();
	test_read_fd();
	return tap_done();
}
