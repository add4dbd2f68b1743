#include "lib/tool.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/num.h"
#include "lib/rec.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

void
tool_init(const char *name)
{
	log_init(name);
	/* a reader that has gone away ends us quietly, as for any filter */
	signal(SIGPIPE, SIG_DFL);
}

void
tool_usage(const char *usage)
{
	fprintf(stderr, "%s\n", usage);
	exit(EXIT_USAGE);
}

void
tool_help(const char *help)
{
	fputs(help, stdout);
	exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_IOERR);
}

long
tool_num(const char *arg, long min, long max, const char *flag)
{
	long v;

	if (num_parse_long(arg, min, max, &v) < 0)
		die(EXIT_USAGE, "%s: '%s' is not a whole number from %ld to %ld",
		    flag, arg, min, max);
	return v;
}

double
tool_duration(const char *arg, const char *flag)
{
	double v;

	if (num_parse_duration(arg, &v) < 0 || v < 0)
		die(EXIT_USAGE, "%s: '%s' is not a duration (like 30s, 2m, 1h)",
		    flag, arg);
	return v;
}

void
tool_log_format(const char *arg)
{
	if (log_set_format(arg) < 0)
		die(EXIT_USAGE, "--log-format: '%s' is not auto, text or json",
		    arg);
}

void
tool_note(struct tool_status *st, int temporary)
{
	if (temporary)
		st->temporary++;
	else
		st->failed++;
}

int
tool_finish(const struct tool_status *st)
{
	if (rec_out_flush() < 0 || !rec_out_ok()) {
		if (errno == 0)
			errno = EIO;
		log_errno("cannot write the records to standard output");
		return EXIT_IOERR;
	}
	if (st->failed)
		return EXIT_RECORDS;
	if (st->temporary)
		return EXIT_TEMPFAIL;
	return EXIT_OK;
}

void
tool_check_output(void)
{
	if (!rec_out_ok())
		die(EXIT_IOERR, "cannot write the records to standard output");
}

void
tool_stream_broken(const struct rec_reader *in)
{
	(void)rec_out_flush();
	exit(in->exit_code);
}

void
tool_add_list(char ***v, size_t *n, const char *arg)
{
	const char *p = arg, *comma;
	size_t len;

	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = xstrndup(p, len);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

void
tool_free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
