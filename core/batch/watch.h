/*
 * watch.h — notice files arriving below the library's roots (inotify).
 *
 * A file counts as arrived when it is closed after writing or renamed into
 * place, never while it is still being written.  Temporary names that
 * rsync, scp, browsers and editors use (".name.XXXXXX", "*.part",
 * "*.crdownload", "*.tmp", "*~", "*.swp") are ignored until renamed to their
 * real name.  New subdirectories are watched as they appear, and files
 * already inside them are reported too (they may land before the watch).
 */
#ifndef TAGCON_WATCH_H
#define TAGCON_WATCH_H

#include <stdbool.h>

struct watch;

struct watch_ops {
	void (*arrived)(void *ud, const char *path); /* a file finished arriving */
	void (*gone)(void *ud, const char *path);    /* a file was deleted or moved away */
	void (*warn)(void *ud, const char *msg);     /* sanitised one-line problem */
	void *ud;
};

struct watch *watch_create(const struct watch_ops *ops, char **cause);
void watch_destroy(struct watch *w);

/* Watch dir and every directory below it. */
bool watch_add_tree(struct watch *w, const char *dir, char **cause);

/* The descriptor to poll() for input. */
int watch_fd(const struct watch *w);

/* Read what is pending and call the ops; never blocks. */
void watch_read(struct watch *w);

/* Whether name is a temporary name (see above). */
bool watch_temporary_name(const char *name);

#endif
