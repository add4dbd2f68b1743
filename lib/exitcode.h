/*
 * exitcode.h: every exit status a sluice tool may return. These are the BSD
 * sysexits numbers (systemd shows them by name); the supervisor acts on the
 * split between temporary (75) and permanent failures.
 */
#ifndef SLUICE_EXITCODE_H
#define SLUICE_EXITCODE_H

enum exit_code {
	EXIT_OK = 0,		/* every record handled */
	EXIT_RECORDS = 1,	/* reached the end; some records failed */
	EXIT_USAGE = 64,	/* bad flags or arguments */
	EXIT_DATAERR = 65,	/* input is not an NDJSON object stream */
	EXIT_SOFTWARE = 70,	/* BUG(): one of our own invariants broke */
	EXIT_IOERR = 74,	/* cannot read stdin, write stdout or a file */
	EXIT_TEMPFAIL = 75,	/* remote down, timeout, 429/5xx, lock held */
	EXIT_CONFIG = 78	/* missing or invalid config or credentials */
};

#endif
