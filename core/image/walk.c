/*
 * walk.c — an openat()-based directory walk that survives loops and errors.
 */
#include "core/image/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"

struct walk {
	const struct walk_ops *ops;
	GHashTable *visited; /* (dev, ino) of every directory entered */
};

static guint64 *
dir_key(const struct stat *st)
{
	guint64 *k = xmalloc(2 * sizeof *k);
	k[0] = st->st_dev;
	k[1] = st->st_ino;
	return k;
}

static guint
key_hash(gconstpointer p)
{
	const guint64 *k = p;
	return g_int64_hash(&k[1]) ^ (guint)k[0];
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, 2 * sizeof(guint64)) == 0;
}

static void walk_dir(struct walk *w, int fd, const char *path);

static void
visit(struct walk *w, int dfd, const char *dir, const struct dirent *de)
{
	char *path = xasprintf("%s/%s", dir, de->d_name);
	struct stat st;
	/* Follow symlinks: a link to an image is an image of the library. */
	if (fstatat(dfd, de->d_name, &st, 0) != 0) {
		int err = errno;
		w->ops->error(w->ops->ud, path, false, err, err == ELOOP ? "symlink loop" : NULL);
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		w->ops->file(w->ops->ud, path, &st);
	} else if (S_ISDIR(st.st_mode)) {
		if (g_hash_table_contains(w->visited, (guint64[]){st.st_dev, st.st_ino})) {
			w->ops->error(w->ops->ud, path, true, 0, "symlink loop (directory already "
			    "visited), skipped");
			goto out;
		}
		int fd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			w->ops->error(w->ops->ud, path, true, errno, NULL);
			goto out;
		}
		g_hash_table_add(w->visited, dir_key(&st));
		walk_dir(w, fd, path);
	}
	/* FIFOs, sockets and devices are not images: opening one could block. */
out:
	free(path);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Takes ownership of fd. */
static void
walk_dir(struct walk *w, int fd, const char *path)
{
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		w->ops->error(w->ops->ud, path, true, errno, NULL);
		close(fd);
		return;
	}
	/* Sorted, so that scans and their reports are reproducible. */
	GPtrArray *names = g_ptr_array_new_with_free_func(free);
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.') {
			g_ptr_array_add(names, xstrdup(de->d_name));
		}
	}
	if (errno != 0) {
		w->ops->error(w->ops->ud, path, true, errno, NULL);
	}
	if (names->len > 1) {
		qsort(names->pdata, names->len, sizeof(char *), by_name);
	}
	for (guint i = 0; i < names->len; i++) {
		struct dirent one;
		size_t n = strlen(names->pdata[i]);
		if (n >= sizeof one.d_name) {
			continue;
		}
		memcpy(one.d_name, names->pdata[i], n + 1);
		visit(w, dirfd(d), path, &one);
	}
	g_ptr_array_free(names, TRUE);
	closedir(d);
}

void
walk_tree(const char *dir, const struct walk_ops *ops)
{
	struct walk w = {
		.ops = ops,
		.visited = g_hash_table_new_full(key_hash, key_equal, free, NULL),
	};
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		ops->error(ops->ud, dir, true, errno, NULL);
		if (fd >= 0) {
			close(fd);
		}
	} else {
		g_hash_table_add(w.visited, dir_key(&st));
		walk_dir(&w, fd, dir);
	}
	g_hash_table_destroy(w.visited);
}
