#include "lib/num.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/banned.h"

int
num_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	double seconds;
} duration_units[] = {
	{ "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 },
	{ "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
};

int
num_parse_duration(const char *s, double *out)
{
	double total = 0, v, sign = 1;
	size_t i, len, best;
	const char *p = s;
	char *end;

	if (*p == '-' || *p == '+')
		sign = *p++ == '-' ? -1 : 1;
	if (strcmp(p, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*p == '\0')
		goto bad;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p) && *p != '.')
			goto bad;
		v = strtod(p, &end);
		if (end == p)
			goto bad;
		p = end;
		/* the longest unit name that matches ("ms" before "m") */
		best = sizeof(duration_units) / sizeof(duration_units[0]);
		len = 0;
		for (i = 0; i < sizeof(duration_units) /
		    sizeof(duration_units[0]); i++) {
			size_t n = strlen(duration_units[i].name);

			if (n > len && strncmp(p, duration_units[i].name, n) == 0)
				best = i, len = n;
		}
		if (len == 0)
			goto bad;
		total += v * duration_units[best].seconds;
		p += len;
	}
	if (!isfinite(total)) {
		errno = ERANGE;
		return -1;
	}
	*out = sign * total;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
num_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1970-01-01 + days for a proleptic Gregorian date (H. Hinnant's). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
num_parse_rfc3339(const char *s, long long *out)
{
	static const int mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	long long t;

	if (strlen(s) < 20 || digits(s, 4, &y) < 0 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) < 0 || s[7] != '-' ||
	    digits(s + 8, 2, &d) < 0 || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &h) < 0 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) < 0 || s[16] != ':' ||
	    digits(s + 17, 2, &sec) < 0)
		goto bad;
	s += 19;
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			goto bad;
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		if (digits(s + 1, 2, &oh) < 0 || s[3] != ':' ||
		    digits(s + 4, 2, &om) < 0 || oh > 23 || om > 59)
			goto bad;
		s += 6;
	} else {
		goto bad;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))) || h > 23 || mi > 59 || sec > 59)
		goto bad;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

void
num_format_rfc3339(long long t, char *out)
{
	const long long hi = 253402300799LL;	/* 9999-12-31T23:59:59Z */
	time_t tt = (time_t)(t < 0 ? 0 : t > hi ? hi : t);
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, NUM_RFC3339_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
