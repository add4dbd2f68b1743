#include "lib/num.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
