/*
 * walk.h — visit every file below a directory.
 *
 * Symlinks to directories are followed, with each directory visited once
 * (by device and inode), so a symlink loop is reported instead of walked
 * forever.  Names starting with '.' are skipped: hidden folders (.git,
 * .thumbnails) and the temporary files of rsync and editors.
 */
#ifndef TAGCON_WALK_H
#define TAGCON_WALK_H

#include <stdbool.h>
#include <sys/stat.h>

struct walk_ops {
	/* A regular file (or a symlink to one); st is its stat. */
	void (*file)(void *ud, const char *path, const struct stat *st);
	/* Something that could not be visited: err is an errno value, or 0
	 * with what saying why (e.g. "symlink loop"). */
	void (*error)(void *ud, const char *path, bool is_dir, int err, const char *what);
	void *ud;
};

/* Walk dir (an absolute path with no trailing slash). */
void walk_tree(const char *dir, const struct walk_ops *ops);

#endif
