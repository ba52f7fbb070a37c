/*
 * loader.c — open once, sniff and check the loader, decode through it.
 */
#include "core/image/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/image/probe.h"
#include "common/xalloc.h"

static GOnce init_once = G_ONCE_INIT;

/* libvips also logs its errors as GLib warnings; tagcon reports them once,
 * as the one-line reason of the file they belong to. */
static void
quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer ud)
{
}

static gpointer
init_vips(gpointer unused)
{
	(void)unused;
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO,
	    quiet_log, NULL);
	if (VIPS_INIT("tagcon") != 0) {
		return NULL;
	}
	/* No operation cache: a probe never repeats, and cached loaders would
	 * keep thousands of files open during a scan. */
	vips_cache_set_max(0);
	return GINT_TO_POINTER(1);
}

bool
loader_init(char **cause)
{
	if (g_once(&init_once, init_vips, NULL) == NULL) {
		if (cause != NULL) {
			*cause = xstrdup("cannot initialise libvips");
		}
		return false;
	}
	return true;
}

static bool
stat_fd(struct loader_file *f, char **what)
{
	struct stat st;
	if (fstat(f->fd, &st) != 0) {
		*what = xasprintf("cannot read: %s", strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		*what = xstrdup("not a regular file");
		return false;
	}
	f->size = (uint64_t)st.st_size;
	return true;
}

/* Why no loader took the file: empty, text or something else. */
static char *
not_image(int fd)
{
	char head[1024];
	ssize_t n = pread(fd, head, sizeof head, 0);
	if (n == 0) {
		return xstrdup("not an image (empty file)");
	}
	const char *end = head;
	bool text = n > 0 && memchr(head, '\0', (size_t)n) == NULL &&
	    (g_utf8_validate(head, n, &end) || end - head + 4 > n);
	return xstrdup(text ? "not an image (text file)" : "not an image (unknown format)");
}

static const char *
nickname(const char *type)
{
	return type != NULL ? vips_nickname_find(g_type_from_name(type)) : NULL;
}

/* A buffer loader's pick from the file mapped (NULL, unmapped, if none). */
static const char *
sniff_map(struct loader_file *f)
{
	if (f->size == 0 || f->size > SIZE_MAX) {
		return NULL;
	}
	f->map = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, f->fd, 0);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		return NULL;
	}
	const char *loader = nickname(vips_foreign_find_load_buffer(f->map, (size_t)f->size));
	if (loader == NULL) {
		munmap(f->map, (size_t)f->size);
		f->map = NULL;
	}
	return loader;
}

/* The loader libvips picks for the open file: one that reads a source on
 * the descriptor, else one that reads the file mapped, else a file loader
 * given the descriptor's /proc name. */
static const char *
sniff(struct loader_file *f)
{
	f->source = vips_source_new_from_descriptor(f->fd);
	const char *loader = f->source != NULL ?
	    nickname(vips_foreign_find_load_source(f->source)) : NULL;
	if (loader == NULL && f->source != NULL) {
		g_object_unref(f->source);
		f->source = NULL;
	}
	if (loader == NULL) {
		loader = sniff_map(f);
	}
	if (loader == NULL) {
		loader = nickname(vips_foreign_find_load(f->fd_path));
	}
	vips_error_clear();
	return loader;
}

bool
loader_open_fd(struct loader_file *f, int fd, const char *path, char **what)
{
	memset(f, 0, sizeof *f);
	f->fd = -1;
	if (!loader_init(what)) {
		return false;
	}
	f->fd = fd;
	snprintf(f->fd_path, sizeof f->fd_path, "/proc/self/fd/%d", fd);
	if (!stat_fd(f, what)) {
		return false;
	}
	const char *loader = sniff(f);
	if (loader == NULL) {
		*what = not_image(fd);
		loader_close(f);
		return false;
	}
	f->format = probe_loader_format(loader, path);
	if (f->format == NULL) {
		/* "svgload_source" -> "svgload": the format, not libvips' plumbing. */
		const char *suffix = strchr(loader, '_');
		int n = suffix != NULL ? (int)(suffix - loader) : (int)strlen(loader);
		*what = xasprintf("not an image tagcon tags (%.*s)", n, loader);
		loader_close(f);
		return false;
	}
	f->loader = loader;
	return true;
}

bool
loader_open(struct loader_file *f, const char *path, char **what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		memset(f, 0, sizeof *f);
		f->fd = -1;
		*what = xasprintf("cannot read: %s",
		    errno == ELOOP ? "symlink loop" : strerror(errno));
		return false;
	}
	if (!loader_open_fd(f, fd, path, what)) {
		close(fd);
		return false;
	}
	f->own_fd = true;
	return true;
}

VipsImage *
loader_image(struct loader_file *f, ...)
{
	VipsImage *out = NULL;
	va_list ap;
	va_start(ap, f);
	int rc;
	if (f->source != NULL) {
		rc = vips_call_split(f->loader, ap, f->source, &out);
	} else if (f->map != NULL) {
		VipsBlob *blob = vips_blob_new(NULL, f->map, (size_t)f->size);
		rc = vips_call_split(f->loader, ap, blob, &out);
		vips_area_unref(VIPS_AREA(blob));
	} else {
		rc = vips_call_split(f->loader, ap, f->fd_path, &out);
	}
	va_end(ap);
	return rc == 0 ? out : NULL;
}

bool
loader_is_jpeg(const struct loader_file *f)
{
	return f->format != NULL && strcmp(f->format, "jpeg") == 0;
}

void
loader_close(struct loader_file *f)
{
	if (f->source != NULL) {
		g_object_unref(f->source);
	}
	if (f->map != NULL) {
		munmap(f->map, (size_t)f->size);
	}
	free(f->format);
	if (f->own_fd && f->fd >= 0) {
		close(f->fd);
	}
	int fd = f->own_fd ? -1 : f->fd;
	memset(f, 0, sizeof *f);
	f->fd = fd;
}
