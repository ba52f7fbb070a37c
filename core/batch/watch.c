/*
 * watch.c — inotify over directory trees.
 */
#include "core/batch/watch.h"

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sanitize.h"
#include "common/xalloc.h"

#define DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | \
	IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

struct watch {
	int fd;
	struct watch_ops ops;
	GHashTable *dirs; /* watch descriptor -> directory path */
};

static void
warn(struct watch *w, const char *path, const char *what)
{
	if (w->ops.warn == NULL) {
		return;
	}
	char *raw = xasprintf("%s: %s", path, what);
	char *safe = sanitize_str(raw);
	w->ops.warn(w->ops.ud, safe);
	free(safe);
	free(raw);
}

bool
watch_temporary_name(const char *name)
{
	static const char *const suffixes[] = {
		".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".swp", "~",
		NULL,
	};
	if (name[0] == '.') {
		return true; /* rsync's .name.XXXXXX, editors' dot files */
	}
	size_t n = strlen(name);
	for (const char *const *s = suffixes; *s; s++) {
		size_t k = strlen(*s);
		if (n > k && strcasecmp(name + n - k, *s) == 0) {
			return true;
		}
	}
	return false;
}

struct watch *
watch_create(const struct watch_ops *ops, char **cause)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) {
		*cause = xasprintf("inotify: %s", strerror(errno));
		return NULL;
	}
	struct watch *w = xcalloc(1, sizeof *w);
	w->fd = fd;
	w->ops = *ops;
	w->dirs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free);
	return w;
}

void
watch_destroy(struct watch *w)
{
	if (w == NULL) {
		return;
	}
	close(w->fd);
	g_hash_table_destroy(w->dirs);
	free(w);
}

int
watch_fd(const struct watch *w)
{
	return w->fd;
}

/* Watch dir and its subdirectories; report the files found when report. */
static bool
add_tree(struct watch *w, const char *dir, bool report, char **cause)
{
	int wd = inotify_add_watch(w->fd, dir, DIR_EVENTS);
	if (wd < 0) {
		if (cause != NULL) {
			*cause = xasprintf("%s: cannot watch: %s%s", dir, strerror(errno),
			    errno == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
		} else {
			warn(w, dir, strerror(errno));
		}
		return false;
	}
	g_hash_table_replace(w->dirs, GINT_TO_POINTER(wd), xstrdup(dir));
	DIR *d = opendir(dir);
	if (d == NULL) {
		warn(w, dir, strerror(errno));
		return true;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		char *path = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			add_tree(w, path, report, NULL);
		} else if (report && S_ISREG(st.st_mode) && !watch_temporary_name(de->d_name)) {
			w->ops.arrived(w->ops.ud, path);
		}
		free(path);
	}
	closedir(d);
	return true;
}

bool
watch_add_tree(struct watch *w, const char *dir, char **cause)
{
	return add_tree(w, dir, false, cause);
}

static void
handle(struct watch *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		warn(w, "inotify", "event queue overflowed; run tagcon scan to catch up");
		return;
	}
	if (ev->mask & IN_IGNORED) {
		g_hash_table_remove(w->dirs, GINT_TO_POINTER(ev->wd));
		return;
	}
	const char *dir = g_hash_table_lookup(w->dirs, GINT_TO_POINTER(ev->wd));
	if (dir == NULL || ev->len == 0 || ev->name[0] == '\0') {
		return;
	}
	char *path = xasprintf("%s/%s", dir, ev->name);
	bool temp = watch_temporary_name(ev->name);
	if (ev->mask & IN_ISDIR) {
		if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && ev->name[0] != '.') {
			add_tree(w, path, true, NULL);
		}
	} else if ((ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) && !temp) {
		w->ops.arrived(w->ops.ud, path);
	} else if ((ev->mask & (IN_DELETE | IN_MOVED_FROM)) && !temp && w->ops.gone != NULL) {
		w->ops.gone(w->ops.ud, path);
	}
	free(path);
}

void
watch_read(struct watch *w)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof buf);
		if (n <= 0) {
			return; /* EAGAIN: nothing more for now */
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			handle(w, ev);
			p += sizeof *ev + ev->len;
		}
	}
}
