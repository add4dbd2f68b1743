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

#endif
