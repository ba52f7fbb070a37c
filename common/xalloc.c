/* xalloc.c — allocation that aborts instead of failing. */
#include "common/xalloc.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void (*fatal_hook)(void);

bool
refuse(char **cause, char *message)
{
	if (cause != NULL) {
		*cause = message;
	} else {
		free(message);
	}
	return false;
}

void
xalloc_set_fatal_hook(void (*hook)(void))
{
	fatal_hook = hook;
}

static void
oom(size_t size)
{
	if (fatal_hook != NULL) {
		fatal_hook();
	}
	fprintf(stderr, "tagcon: out of memory (%zu bytes)\n", size);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL) {
		oom(size);
	}
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL) {
		oom(nmemb * size);
	}
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (p == NULL) {
		oom(size);
	}
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size) {
		oom(SIZE_MAX);
	}
	return xrealloc(ptr, nmemb * size);
}

char *
xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void *
xmemdup(const void *p, size_t n)
{
	void *q = xmalloc(n);
	if (n > 0) {
		memcpy(q, p, n);
	}
	return q;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0) {
		oom(strlen(fmt));
	}
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/*
 * glibc hands a freed block of 128 KB or more (and the heap's free top past
 * 128 KB) back to the kernel at once, and then learns a larger threshold
 * only from mmap'd blocks freed.  A count over millions of images builds
 * and frees megabytes of bitmaps (a bitset container is 8 KB, a dense set
 * at 5M images 600 KB); given back every time, each count faults them in
 * afresh, and a page fault costs microseconds on a virtual machine.  At
 * 5M images, `1girl width:>=1920 -monochrome` counted again took 3.1 ms
 * instead of 0.8, `height:1000..1100 size:<1mb -solo` 3.0 instead of 0.45
 * (GLIBC_TUNABLES tried on bench-tags, the same code).  Up to 16 MB kept:
 * a process's RSS stays at what it last needed, within that.
 */
void
xalloc_keep_freed(void)
{
	mallopt(M_MMAP_THRESHOLD, 16 << 20);
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
}
