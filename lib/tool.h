/*
 * tool.h: what every tool's main() does the same way: naming its logs,
 * the flags every tool has (--log-format, -h/--help, --version), usage
 * errors, checked numeric flags, and the exit status at the end.
 */
#ifndef SLUICE_TOOL_H
#define SLUICE_TOOL_H

#include <stddef.h>
#include <stdnoreturn.h>

#include "lib/exitcode.h"

#define SLUICE_VERSION "0.1.0"

/* What a tool saw fail, to choose its exit status (STYLE.md §4). */
struct tool_status {
	unsigned long failed;		/* records that failed for good */
	unsigned long temporary;	/* records that may work next run */
};
#define TOOL_STATUS_INIT { 0, 0 }

void tool_init(const char *name);
/* Usage line to stderr, exit 64. */
noreturn void tool_usage(const char *usage);
/* -h: the help text to stdout, exit 0. */
noreturn void tool_help(const char *help);
/* A whole number flag in [min, max], or exit 64 naming the flag. */
long tool_num(const char *arg, long min, long max, const char *flag);
/* A Go-style duration flag ("20s", "1m"), in seconds, or exit 64. */
double tool_duration(const char *arg, const char *flag);
/* --log-format VALUE, or exit 64. */
void tool_log_format(const char *arg);

/*
 * A list flag, as Flux v1's string slices are given: repeated, or
 * comma-separated ("--git-path a,b --git-path c"). Appends each part to
 * *v (new strings); tool_free_list frees them.
 */
void tool_add_list(char ***v, size_t *n, const char *arg);
void tool_free_list(char **v, size_t n);

void tool_note(struct tool_status *st, int temporary);
/*
 * Flush the records, then: 74 if stdout failed, 1 if a record failed for
 * good, 75 if only temporary failures were seen, else 0.
 */
int tool_finish(const struct tool_status *st);
/*
 * The input stream broke (rec_next < 0, already logged): write out the
 * records done so far, which are good, and exit with the reader's code.
 */
struct rec_reader;
noreturn void tool_stream_broken(const struct rec_reader *in);
/* Exit 74 at once if stdout has failed (call once per record). */
void tool_check_output(void);

#endif
