/*
 * scan.h — index the images below a directory into the library.
 *
 * No network: hashes, formats, dimensions and orientation are all local.
 * A rescan reads only files whose size or mtime changed; a file that moved
 * is recognised by its hash and keeps everything; a file that vanished
 * becomes missing and keeps its data.
 *
 * Files are read with no transaction open, and written in short
 * transactions (several files each): another process writing to the
 * library waits for one of those, never for a read.  Whatever changed
 * between a read and its write (another scan or the watcher recorded the
 * same file, moved its row; the file went) is looked at before writing.
 */
#ifndef TAGCON_SCAN_H
#define TAGCON_SCAN_H

#include <stdbool.h>
#include <stdint.h>

struct db;

struct scan_stats {
	int64_t seen;      /* files looked at */
	int64_t unchanged; /* same size and mtime: not read */
	int64_t added;     /* new images */
	int64_t changed;   /* content changed: probed again */
	int64_t moved;     /* known content at a new path */
	int64_t missing;   /* gone since the last scan */
	int64_t failed;    /* recorded as failed, with a reason */
	int64_t ignored;   /* not images, not named like images */
	int64_t errors;    /* directories or entries that could not be visited */
	int64_t bytes_read;
};

struct scan_opts {
	uint64_t pixel_limit;
	/* One-line reports of what could not be indexed (already sanitised). */
	void (*warn)(void *ud, const char *msg);
	/* Called now and then with the running totals. */
	void (*progress)(void *ud, const struct scan_stats *stats);
	/* Called after a file is read and before what it held is written,
	 * with no transaction open: what another process could do in that
	 * moment, a test does here. */
	void (*after_read)(void *ud, const char *path);
	void *ud;
};

/*
 * Scan dir, adding it as a root unless it lies inside one.  Bad files never
 * stop a scan: they are recorded as failed with their reason.  Returns false
 * only when dir itself is unusable or the database fails (*cause says why).
 */
bool scan_dir(struct db *db, const char *dir, const struct scan_opts *opts,
    struct scan_stats *stats, char **cause);

/*
 * Index one file that just arrived (tagcon watch): new, changed, or a
 * missing image come back under a new name (recognised by its hash).  The
 * file must lie below a root.  *image_id is its row (0 when it is not an
 * image); *pending tells whether it needs tagging.
 */
bool scan_file(struct db *db, const char *path, const struct scan_opts *opts,
    int64_t *image_id, bool *pending, char **cause);

/* A file gone from under a watched root becomes missing (keeps its data). */
bool scan_gone(struct db *db, const char *path, char **cause);

#endif
