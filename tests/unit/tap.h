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
#include <stdlib.h>
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

/*
 * A shell command, made as printf makes a string, run with system(3): its
 * status; a failure is told in a TAP comment naming the command.
 */
__attribute__((format(printf, 1, 2), unused))
static int
tap_system(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (cmd = malloc((size_t)n + 1)) == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(cmd, (size_t)n + 1, fmt, ap);
	va_end(ap);
	fflush(stdout);
	r = system(cmd);
	if (r != 0)
		printf("# command failed (%d): %s\n", r, cmd);
	free(cmd);
	return r;
}

#endif
