#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/banned.h"

static const char *log_tool = "sluice";
static enum log_format log_format = LOG_FORMAT_AUTO;
static enum log_level log_min = LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warning", "error" };

void
log_init(const char *tool)
{
	const char *env;

	log_tool = tool;
	env = getenv("SLUICE_LOG_FORMAT");
	if (env != NULL)
		(void)log_set_format(env);
	env = getenv("SLUICE_DEBUG");
	if (env != NULL && *env != '\0' && strcmp(env, "0") != 0)
		log_min = LOG_DEBUG;
}

int
log_set_format(const char *name)
{
	if (strcmp(name, "auto") == 0)
		log_format = LOG_FORMAT_AUTO;
	else if (strcmp(name, "text") == 0)
		log_format = LOG_FORMAT_TEXT;
	else if (strcmp(name, "json") == 0)
		log_format = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

void
log_set_level(enum log_level level)
{
	log_min = level;
}

void
log_vevent(enum log_level level, const char *const *fields, const char *fmt,
    va_list ap)
{
	struct buf msg = BUF_INIT, line = BUF_INIT;
	int saved = errno, json;
	size_t i;

	if (level < log_min)
		return;
	json = log_format == LOG_FORMAT_JSON ||
	    (log_format == LOG_FORMAT_AUTO && !isatty(2));
	buf_vaddf(&msg, fmt, ap);
	if (json) {
		buf_adds(&line, "{\"level\":\"");
		buf_adds(&line, level_names[level]);
		buf_adds(&line, "\",\"tool\":");
		buf_add_json_str(&line, log_tool, strlen(log_tool));
		buf_adds(&line, ",\"msg\":");
		buf_add_json_str(&line, msg.s, msg.len);
		for (i = 0; fields && fields[i]; i += 2) {
			if (fields[i + 1] == NULL)
				continue;
			buf_addch(&line, ',');
			buf_add_json_str(&line, fields[i], strlen(fields[i]));
			buf_addch(&line, ':');
			buf_add_json_str(&line, fields[i + 1],
			    strlen(fields[i + 1]));
		}
		buf_adds(&line, "}\n");
	} else {
		buf_addf(&line, "%s: %s: %s", log_tool, level_names[level],
		    msg.s);
		for (i = 0; fields && fields[i]; i += 2)
			if (fields[i + 1] != NULL)
				buf_addf(&line, " %s=%s", fields[i],
				    fields[i + 1]);
		buf_addch(&line, '\n');
	}
	/* one write per line, so concurrent stages do not interleave */
	(void)!write(2, line.s, line.len);
	buf_release(&msg);
	buf_release(&line);
	errno = saved;
}

void
log_event(enum log_level level, const char *const *fields, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vevent(level, fields, fmt, ap);
	va_end(ap);
}

int
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vevent(LOG_ERROR, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int
log_errno(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	log_event(LOG_ERROR, NULL, "%s: %s", b.s, strerror(saved));
	buf_release(&b);
	errno = saved;
	return -1;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vevent(LOG_WARN, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vevent(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vevent(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vevent(LOG_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(code);
}

void
log_bug(const char *file, int line, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	log_event(LOG_ERROR, NULL, "BUG: %s:%d: %s", file, line, b.s);
	buf_release(&b);
	exit(EXIT_SOFTWARE);
}
