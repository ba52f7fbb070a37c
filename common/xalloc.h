/*
 * xalloc.h — allocation that never fails.
 *
 * Every layer allocates through these; on exhaustion they run the fatal hook
 * (the console installs one that restores the terminal) and abort, so no
 * caller anywhere carries an out-of-memory path.  It lives in common/, below
 * db/, core/ and tui/, because all of them allocate.
 */
#ifndef TAGCON_XALLOC_H
#define TAGCON_XALLOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Overflow-checked realloc of nmemb * size bytes. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
/* asprintf that never fails; returns the new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Hand message (owned) to *cause, or free it when cause is NULL; false,
 * for `return refuse(cause, xasprintf(...));`. */
bool refuse(char **cause, char *message);

/* Called once before abort() on allocation failure (e.g. endwin()). */
void xalloc_set_fatal_hook(void (*hook)(void));

/* For a process's main(), before it allocates: freed memory kept for the
 * next allocation, up to 16 MB, rather than handed back to the kernel at
 * once (xalloc.c says why). */
void xalloc_keep_freed(void);

#endif
