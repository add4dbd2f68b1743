/*
 * num.h: the one checked way to turn text from argv, the environment or a
 * record into a number. Range and trailing garbage are checked; nothing is
 * logged: callers say which flag or field was wrong.
 */
#ifndef SLUICE_NUM_H
#define SLUICE_NUM_H

/* Decimal integer in [min, max]. 0, or -1 with errno EINVAL or ERANGE. */
int num_parse_long(const char *s, long min, long max, long *out);

/*
 * A Go-style duration ("90s", "2m", "1h30m", "1.5s", "250ms", "0"), as
 * Flux v1's flags and .flux.yaml timeouts are written; a bare number is
 * refused, as Go's time.ParseDuration refuses it. Seconds in *out.
 * 0, or -1 with errno EINVAL or ERANGE.
 */
int num_parse_duration(const char *s, double *out);

/* The value of the hex digit c, or -1. */
int num_hexval(int c);

/*
 * An RFC 3339 time ("2024-05-01T12:00:00Z", "...T12:00:00.5+02:00", 'T'
 * and 'Z' in either case), as Go's time.RFC3339 reads it, into seconds
 * since the epoch (a fraction is dropped). 0, or -1 with errno EINVAL.
 */
int num_parse_rfc3339(const char *s, long long *out);

/*
 * Seconds since the epoch as RFC 3339 UTC, "2024-05-01T12:00:00Z", into
 * out (NUM_RFC3339_SIZE bytes). Times before 1970 or after 9999 are clipped.
 */
#define NUM_RFC3339_SIZE 21
void num_format_rfc3339(long long t, char *out);

#endif
