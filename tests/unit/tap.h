/*
 * tap.h: the Test Anything Protocol for the C unit tests, header only.
 *
 *	ok(x == 1, "x is one");
 *	is_str(got, "want", "name");
 *	return tap_done();	-- prints the plan; exit 1 if any failed
 */
#ifndef SLUICE_TAP_H
#define SLUICE_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 3, 4), unused))
static int
tap_ok(int cond, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at line %d\n", line);
	}
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __LINE__, __VA_ARGS__)

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!tap_ok(g_ != NULL && strcmp(g_, w_) == 0, __LINE__, __VA_ARGS__)) \
		printf("#   got:  %s\n#   want: %s\n", g_ ? g_ : "(null)", w_); \
} while (0)

#define is_int(got, want, ...) do {					\
	long long g_ = (got), w_ = (want);				\
	if (!tap_ok(g_ == w_, __LINE__, __VA_ARGS__))			\
		printf("#   got:  %lld\n#   want: %lld\n", g_, w_);	\
} while (0)

__attribute__((unused))
static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
