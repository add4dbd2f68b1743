/*
 * log.h: diagnostics on stderr. On a terminal they are text lines
 * ("manifest-gen: error: cannot open 'x': No such file or directory"); when
 * stderr is not a terminal (systemd's journal, a pipe) each is one NDJSON
 * line, {"level":"error","tool":"manifest-gen","msg":"..."}, which jq reads.
 * --log-format auto|text|json chooses (log_set_format).
 *
 * Messages are written the way git writes them: lower case, no final full
 * stop, what failed first, the subject in single quotes.
 *
 * log_error and log_errno return -1 so that lib/ code can report a failure
 * where it knows most and pass it up in one statement:
 *	return log_errno("cannot open '%s'", path);
 * Callers then pass the -1 up without logging again.
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdarg.h>
#include <stdnoreturn.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_FORMAT_AUTO, LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* Name the tool (borrowed; must outlive logging). */
void log_init(const char *tool);
/* "auto", "text" or "json"; -1 for anything else (nothing logged). */
int log_set_format(const char *name);
/* Messages below level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);

/*
 * Log one event. fields is NULL or a NULL-terminated list of key, value
 * pairs (borrowed C strings; a NULL value drops the pair) added to the JSON
 * line, or shown as "key=value" after the text.
 */
void log_event(enum log_level level, const char *const *fields,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_vevent(enum log_level level, const char *const *fields,
    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

int log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like log_error, with ": strerror(errno)" added. */
int log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Only tools call die(): log an error and exit with code. */
noreturn void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

noreturn void log_bug(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* One of our own invariants broke: print file:line and exit 70. */
#define BUG(...) log_bug(__FILE__, __LINE__, __VA_ARGS__)

#endif
