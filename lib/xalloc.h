/*
 * xalloc.h: allocation that cannot fail. On exhaustion these print a
 * message and exit 70: a tool that cannot allocate a few bytes has nothing
 * useful left to do, and every caller is spared a NULL check.
 */
#ifndef SLUICE_XALLOC_H
#define SLUICE_XALLOC_H

#include <stddef.h>
#include <stdnoreturn.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Reallocate p to hold nmemb elements of size bytes, checking overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xmemdup(const void *p, size_t n);	/* adds a NUL after the n bytes */
/* The same exit, for a library that allocated n bytes and got NULL. */
noreturn void xalloc_oom(size_t n);

#endif
