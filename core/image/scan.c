/*
 * scan.c — walk a tree, compare it with the library, record what changed.
 *
 * The known images below the directory are loaded into a hash table first,
 * so an unchanged file costs one stat and one lookup; only new and changed
 * files are read.
 *
 * Reading and writing are two steps.  A file is read, hashed and probed
 * with no transaction open: hashing a 20 GB file takes a minute, and the
 * library is shared with a console, a runner and a watcher that must not
 * wait for it.  What the read found waits in a queue; the queue is written
 * in one short transaction every BATCH files or BATCH_MS, and before a
 * long read.  Between the read and the write another process may have
 * recorded the same file or moved its row, and the file may have gone, so
 * each write looks at the file again (stat, just before the transaction)
 * and at its row as it is now (inside the transaction, where nobody else
 * can change it), and does only what is still true.  A scan killed
 * half-way keeps what it had written.
 */
#include "core/image/scan.h"

#include <errno.h>
#include <stdarg.h>
#include <glib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/clock.h"
#include "core/image/probe.h"
#include "core/sanitize.h"
#include "core/image/walk.h"
#include "db/db.h"
#include "db/images.h"
#include "common/xalloc.h"

/* The queue is written after this many files or once its oldest entry is
 * this old, whichever comes first: a first scan of 100k files commits a
 * few times a second, each transaction a few milliseconds long. */
#define BATCH 500
#define BATCH_MS 100
/* Before reading a file this large (tens of milliseconds at least), write
 * what is queued, so that it shows while the long read goes on. */
#define BIG_READ (16 << 20)
/* The least time between two transactions: another writer's busy handler
 * polls every millisecond and must find the lock free once. */
#define BREATH_MS 2

struct known {
	int64_t id;
	int64_t size;
	int64_t mtime_ns;
	enum db_state state;
	bool has_hash;
	bool seen;
	bool recheck; /* a failure that may turn out otherwise now */
	uint8_t hash[DB_HASH_LEN];
	char *path;
};

struct pending {
	char *path;
	struct stat st;
};

/* One write waiting in the queue. */
enum entry_kind {
	ENTRY_READ,   /* a file that was read: record what it holds */
	ENTRY_BACK,   /* the file of a missing image is back, unchanged (not read) */
	ENTRY_BROKEN, /* named like an image, but cannot even be stat'ed */
	ENTRY_GONE,   /* a known image whose file the walk did not find */
};

struct entry {
	enum entry_kind kind;
	char *path;
	struct probe_result r; /* ENTRY_READ */
	struct known *twin;    /* ENTRY_READ: a gone image of this walk with the same content */
	char *error;           /* ENTRY_BROKEN */
	int64_t id;            /* ENTRY_GONE: the row the walk expects at path */
	int64_t size;          /* ENTRY_BACK, ENTRY_GONE: its size and mtime then */
	int64_t mtime_ns;
	bool dropped;          /* the file system no longer bears it out: nothing to write */
	int64_t image_id;      /* out: the row written or found there, 0 when none */
};

struct scan {
	struct db *db;
	const struct scan_opts *opts;
	struct scan_stats *stats;
	int64_t root_id;
	/* A new path may take over any missing image with its content, not
	 * only one of this walk (a single file: tagcon watch, tagcon tag). */
	bool any_missing;
	GHashTable *known;   /* path -> struct known */
	GHashTable *folders; /* folder path -> int64 id */
	GPtrArray *fresh;    /* struct pending: paths not in the library */
	GPtrArray *bad_dirs; /* directories that could not be listed */
	GPtrArray *queue;    /* struct entry: read, not yet written */
	int64_t queued_at;   /* when the oldest entry of the queue was read */
	int64_t committed_at;
	/* Reports made while writing wait for the commit: the callback may
	 * block (a terminal scrolled back, a full pipe) with no lock held. */
	bool writing;
	GPtrArray *reports;
	bool db_failed;
};

static void
known_free(gpointer p)
{
	struct known *k = p;
	free(k->path);
	free(k);
}

static void
pending_free(gpointer p)
{
	struct pending *pd = p;
	free(pd->path);
	free(pd);
}

static struct entry *
entry_new(enum entry_kind kind, const char *path)
{
	struct entry *e = xcalloc(1, sizeof *e);
	e->kind = kind;
	e->path = xstrdup(path);
	return e;
}

static void
entry_free(gpointer p)
{
	struct entry *e = p;
	probe_result_fini(&e->r);
	free(e->path);
	free(e->error);
	free(e);
}

static void
scan_init(struct scan *s, struct db *db, const struct scan_opts *opts, struct scan_stats *stats)
{
	*s = (struct scan){
		.db = db,
		.opts = opts,
		.stats = stats,
		.known = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, known_free),
		.folders = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL),
		.fresh = g_ptr_array_new_with_free_func(pending_free),
		.bad_dirs = g_ptr_array_new_with_free_func(free),
		.queue = g_ptr_array_new_with_free_func(entry_free),
		.reports = g_ptr_array_new_with_free_func(free),
	};
}

static void
scan_fini(struct scan *s)
{
	g_ptr_array_free(s->queue, TRUE);
	g_ptr_array_free(s->reports, TRUE);
	g_hash_table_destroy(s->known);
	g_hash_table_destroy(s->folders);
	g_ptr_array_free(s->fresh, TRUE);
	g_ptr_array_free(s->bad_dirs, TRUE);
}

static void
report(struct scan *s)
{
	for (guint i = 0; i < s->reports->len && s->opts->warn != NULL; i++) {
		s->opts->warn(s->opts->ud, s->reports->pdata[i]);
	}
	g_ptr_array_set_size(s->reports, 0);
}

static void
warn(struct scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
warn(struct scan *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(s->reports, sanitize_str(raw));
	free(raw);
	if (!s->writing) {
		report(s);
	}
}

/* Only called inside a transaction: it may insert the folder. */
static int64_t
folder_of(struct scan *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = xstrndup(path, slash > path ? (size_t)(slash - path) : 1);
	gpointer id = g_hash_table_lookup(s->folders, dir);
	if (id != NULL) {
		free(dir);
		return (int64_t)(intptr_t)id;
	}
	int64_t fid = 0;
	if (!db_folder_get(s->db, s->root_id, dir, &fid)) {
		s->db_failed = true;
	}
	g_hash_table_insert(s->folders, dir, (gpointer)(intptr_t)fid);
	return fid;
}

static void
fill_image(struct db_image *img, const struct probe_result *r)
{
	img->size = r->size;
	img->mtime_ns = r->mtime_ns;
	img->has_hash = r->has_hash;
	memcpy(img->hash, r->hash, DB_HASH_LEN);
	img->format = r->format;
	img->width = r->width;
	img->height = r->height;
	img->orientation = r->orientation;
	img->state = r->ok ? DB_STATE_NEW : DB_STATE_FAILED;
	img->error = r->ok ? NULL : r->error;
}

/* Whether the row already says what the read found: the file did not
 * change (a failure looked at again, same reason), or another process
 * recorded this very file between our read and our write. */
static bool
row_matches(const struct db_image *row, const struct probe_result *r)
{
	if (row->size != r->size || row->mtime_ns != r->mtime_ns || row->has_hash != r->has_hash ||
	    (r->has_hash && memcmp(row->hash, r->hash, DB_HASH_LEN) != 0)) {
		return false;
	}
	if (r->ok) {
		return row->state != DB_STATE_FAILED;
	}
	return row->state == DB_STATE_FAILED && row->error != NULL && r->error != NULL &&
	    strcmp(row->error, r->error) == 0;
}

/* The state an image whose file is back takes: what it had. */
static void
restore_state(struct scan *s, int64_t id)
{
	enum db_state state;
	if (!db_image_derive_state(s->db, id, &state) ||
	    !db_image_set_state(s->db, id, state, NULL)) {
		s->db_failed = true;
	}
}

/* New content is pending, unless the content was tagged already (a copy). */
static void
keep_tagged(struct scan *s, int64_t id)
{
	enum db_state state;
	if (!db_image_derive_state(s->db, id, &state) ||
	    (state == DB_STATE_TAGGED && !db_image_set_state(s->db, id, state, NULL))) {
		s->db_failed = true;
	}
}

/* A read file whose path has a row: rewrite it unless it says the same. */
static void
write_known(struct scan *s, struct entry *e, const struct db_image *row)
{
	e->image_id = row->id;
	if (row_matches(row, &e->r)) {
		s->stats->unchanged++;
		if (row->state == DB_STATE_MISSING) {
			restore_state(s, row->id);
		}
		return;
	}
	s->stats->changed++;
	struct db_image img = {.id = row->id};
	fill_image(&img, &e->r);
	if (!db_image_update(s->db, &img)) {
		s->db_failed = true;
	} else if (e->r.ok) {
		keep_tagged(s, row->id);
	} else {
		s->stats->failed++;
		warn(s, "%s: %s", e->path, e->r.error);
	}
}

/*
 * The image a new path takes the row of (a file that moved), *id 0 when
 * none: the gone image of this walk with the same content, if its row is
 * still where the walk found it, holding that content; for a single file,
 * any missing image with the content.
 */
static bool
moved_from(struct scan *s, const struct entry *e, int64_t *id, bool *was_missing)
{
	*id = 0;
	*was_missing = false;
	if (!e->r.ok || !e->r.has_hash) {
		return true;
	}
	if (s->any_missing) {
		*was_missing = true;
		return db_image_missing_by_hash(s->db, e->r.hash, id);
	}
	if (e->twin == NULL) {
		return true;
	}
	struct db_image row;
	bool found;
	if (!db_image_by_path(s->db, e->twin->path, &row, &found)) {
		return false;
	}
	if (found && row.id == e->twin->id && row.has_hash &&
	    memcmp(row.hash, e->r.hash, DB_HASH_LEN) == 0) {
		*id = row.id;
		*was_missing = row.state == DB_STATE_MISSING;
	}
	db_image_fini(&row);
	return true;
}

/* A read file whose path has no row: a moved image, or a new one. */
static void
write_new(struct scan *s, struct entry *e)
{
	int64_t moved;
	bool was_missing;
	if (!moved_from(s, e, &moved, &was_missing)) {
		s->db_failed = true;
	} else if (moved != 0) {
		e->image_id = moved;
		if (!db_image_move(s->db, moved, e->path, folder_of(s, e->path), e->r.size,
		    e->r.mtime_ns)) {
			s->db_failed = true;
		} else if (was_missing) {
			restore_state(s, moved);
		}
		s->stats->moved++;
	} else {
		struct db_image img = {.folder_id = folder_of(s, e->path), .path = e->path};
		fill_image(&img, &e->r);
		if (!db_image_insert(s->db, &img)) {
			s->db_failed = true;
			return;
		}
		e->image_id = img.id;
		if (e->r.ok) {
			s->stats->added++;
			keep_tagged(s, img.id);
		} else {
			s->stats->failed++;
			warn(s, "%s: %s", e->path, e->r.error);
		}
	}
}

static void
write_broken(struct scan *s, struct entry *e, bool found)
{
	if (found) {
		return; /* recorded already (by us before, or by another process since) */
	}
	struct db_image img = {
		.folder_id = folder_of(s, e->path),
		.path = e->path,
		.state = DB_STATE_FAILED,
		.error = e->error,
	};
	if (!db_image_insert(s->db, &img)) {
		s->db_failed = true;
	}
	e->image_id = img.id;
	s->stats->failed++;
}

/* Write one entry, against its row as it is now. */
static void
write_entry(struct scan *s, struct entry *e)
{
	struct db_image row;
	bool found;
	if (!db_image_by_path(s->db, e->path, &row, &found)) {
		s->db_failed = true;
		return;
	}
	bool as_seen = found && row.size == e->size && row.mtime_ns == e->mtime_ns;
	switch (e->kind) {
	case ENTRY_READ:
		if (found) {
			write_known(s, e, &row);
		} else {
			write_new(s, e);
		}
		break;
	case ENTRY_BACK:
		if (as_seen && row.state == DB_STATE_MISSING) {
			restore_state(s, row.id);
		}
		break;
	case ENTRY_GONE:
		/* Not if another process has moved the row or recorded a new
		 * file there since the walk. */
		if (as_seen && row.id == e->id && row.state != DB_STATE_MISSING) {
			if (!db_image_set_state(s->db, row.id, DB_STATE_MISSING, NULL)) {
				s->db_failed = true;
			}
			s->stats->missing++;
		}
		break;
	case ENTRY_BROKEN:
		write_broken(s, e, found);
		break;
	}
	db_image_fini(&row);
}

/* Whether path names something now (following symlinks, as the walk does). */
static bool
exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

/* The twin of a read file that has gone since: the file left both names. */
static void
twin_gone(struct entry *e)
{
	struct known *k = e->twin;
	probe_result_fini(&e->r);
	free(e->path);
	e->kind = ENTRY_GONE;
	e->path = xstrdup(k->path);
	e->id = k->id;
	e->size = k->size;
	e->mtime_ns = k->mtime_ns;
	e->twin = NULL;
	e->dropped = false;
}

/*
 * Look at the file again, just before the transaction (a stat, no read).
 * A file gone since it was read is not recorded: if it moved, it is indexed
 * under its new name.  A file back since the walk is not marked missing.
 */
static void
look_again(struct entry *e)
{
	switch (e->kind) {
	case ENTRY_READ:
		e->dropped = !exists(e->path);
		if (e->twin != NULL && exists(e->twin->path)) {
			e->twin = NULL; /* its old name is back: a copy, not a move */
		} else if (e->twin != NULL && e->dropped) {
			twin_gone(e);
		}
		break;
	case ENTRY_BACK:
		e->dropped = !exists(e->path);
		break;
	case ENTRY_GONE:
		e->dropped = exists(e->path);
		break;
	case ENTRY_BROKEN:
		break;
	}
}

/* Leave the lock free a moment after the last transaction before taking it. */
static void
breathe(struct scan *s)
{
	int64_t since = clock_ms() - s->committed_at;
	if (s->committed_at != 0 && since >= 0 && since < BREATH_MS) {
		struct timespec ts = {.tv_nsec = (long)(BREATH_MS - since) * 1000000};
		nanosleep(&ts, NULL);
	}
}

/* Write the entries of q in one transaction.  No file is read inside it. */
static void
write_entries(struct scan *s, GPtrArray *q)
{
	for (guint i = 0; i < q->len; i++) {
		look_again(q->pdata[i]);
	}
	breathe(s);
	if (!db_begin(s->db)) {
		s->db_failed = true;
		return;
	}
	s->writing = true;
	for (guint i = 0; i < q->len && !s->db_failed; i++) {
		struct entry *e = q->pdata[i];
		if (!e->dropped) {
			write_entry(s, e);
		}
	}
	if (s->db_failed || !db_commit(s->db)) {
		s->db_failed = true;
		db_rollback(s->db);
	}
	s->committed_at = clock_ms();
	s->writing = false;
	report(s);
}

static void
flush(struct scan *s)
{
	if (s->queue->len == 0) {
		return;
	}
	if (!s->db_failed) {
		write_entries(s, s->queue);
	}
	g_ptr_array_set_size(s->queue, 0);
	if (s->opts->progress != NULL) {
		s->opts->progress(s->opts->ud, s->stats);
	}
}

static void
flush_if_due(struct scan *s)
{
	if (s->queue->len >= BATCH ||
	    (s->queue->len > 0 && clock_ms() - s->queued_at >= BATCH_MS)) {
		flush(s);
	}
}

static void
enqueue(struct scan *s, struct entry *e)
{
	if (s->queue->len == 0) {
		s->queued_at = clock_ms();
	}
	g_ptr_array_add(s->queue, e);
	flush_if_due(s);
}

/* Read, hash and probe path; no transaction is open (none ever is between
 * two calls of write_entries). */
static struct entry *
read_file(struct scan *s, const char *path, int64_t size)
{
	if (size >= BIG_READ) {
		flush(s);
	}
	struct entry *e = entry_new(ENTRY_READ, path);
	probe_file(path, s->opts->pixel_limit, &e->r);
	s->stats->bytes_read += e->r.has_hash ? e->r.size : 0;
	if (s->opts->after_read != NULL) {
		s->opts->after_read(s->opts->ud, path);
	}
	return e;
}

/* Files no loader knows are left alone unless named like images. */
static bool
ignored(const struct entry *e)
{
	const char *base = strrchr(e->path, '/');
	return !e->r.ok && e->r.not_image && !probe_image_name(base != NULL ? base + 1 : e->path);
}

static void
load_known(void *ud, const struct db_scan_row *row)
{
	struct scan *s = ud;
	struct known *k = xcalloc(1, sizeof *k);
	k->id = row->id;
	k->size = row->size;
	k->mtime_ns = row->mtime_ns;
	k->state = row->state;
	k->has_hash = row->has_hash;
	memcpy(k->hash, row->hash, DB_HASH_LEN);
	k->path = xstrdup(row->path);
	k->recheck = row->state == DB_STATE_FAILED && probe_failure_may_change(row->error);
	g_hash_table_insert(s->known, k->path, k);
}

static void
on_file(void *ud, const char *path, const struct stat *st)
{
	struct scan *s = ud;
	s->stats->seen++;
	flush_if_due(s);
	if (s->db_failed) {
		return;
	}
	struct known *k = g_hash_table_lookup(s->known, path);
	if (k == NULL) {
		struct pending *pd = xmalloc(sizeof *pd);
		pd->path = xstrdup(path);
		pd->st = *st;
		g_ptr_array_add(s->fresh, pd);
		return;
	}
	k->seen = true;
	int64_t mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	/* A file refused for its size or its permissions may be fine now (a
	 * raised pixel limit, a chmod): it is looked at again. */
	if (k->size == st->st_size && k->mtime_ns == mtime && !k->recheck) {
		s->stats->unchanged++;
		if (k->state == DB_STATE_MISSING) {
			struct entry *e = entry_new(ENTRY_BACK, path);
			e->size = k->size;
			e->mtime_ns = k->mtime_ns;
			enqueue(s, e);
		}
		return;
	}
	enqueue(s, read_file(s, path, st->st_size));
}

static void
on_error(void *ud, const char *path, bool is_dir, int err, const char *what)
{
	struct scan *s = ud;
	s->stats->errors++;
	const char *why = what != NULL ? what : strerror(err);
	warn(s, "%s: %s", path, why);
	if (is_dir) {
		g_ptr_array_add(s->bad_dirs, xasprintf("%s/", path));
		return;
	}
	/* An entry named like an image that cannot even be stat'ed (a
	 * dangling or looping symlink) is recorded, so it shows in the log. */
	struct known *k = g_hash_table_lookup(s->known, path);
	if (k != NULL) {
		k->seen = true;
		return;
	}
	const char *base = strrchr(path, '/');
	if (probe_image_name(base != NULL ? base + 1 : path)) {
		struct entry *e = entry_new(ENTRY_BROKEN, path);
		e->error = xstrdup(why);
		enqueue(s, e);
	}
}

static guint
hash_hash(gconstpointer p)
{
	guint v;
	memcpy(&v, p, sizeof v);
	return v;
}

static gboolean
hash_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, DB_HASH_LEN) == 0;
}

static bool
under_bad_dir(struct scan *s, const char *path)
{
	for (guint i = 0; i < s->bad_dirs->len; i++) {
		const char *d = s->bad_dirs->pdata[i];
		if (strncmp(path, d, strlen(d)) == 0) {
			return true;
		}
	}
	return false;
}

/* Known images not seen in this walk, by hash: candidates for a move. */
static GHashTable *
collect_gone(struct scan *s, GPtrArray *gone)
{
	GHashTable *by_hash = g_hash_table_new(hash_hash, hash_equal);
	GHashTableIter it;
	gpointer key, val;
	g_hash_table_iter_init(&it, s->known);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		struct known *k = val;
		if (k->seen || under_bad_dir(s, k->path)) {
			continue;
		}
		g_ptr_array_add(gone, k);
		if (k->has_hash) {
			g_hash_table_insert(by_hash, k->hash, k);
		}
	}
	return by_hash;
}

static void
add_fresh(struct scan *s, struct pending *pd, GHashTable *gone_by_hash)
{
	struct entry *e = read_file(s, pd->path, pd->st.st_size);
	if (ignored(e)) {
		s->stats->ignored++;
		entry_free(e);
		return;
	}
	struct known *twin = e->r.ok && e->r.has_hash ?
	    g_hash_table_lookup(gone_by_hash, e->r.hash) : NULL;
	if (twin != NULL) {
		/* Claimed now: neither a second copy nor the missing pass
		 * takes it (the write checks its row is still there). */
		g_hash_table_remove(gone_by_hash, twin->hash);
		twin->seen = true;
		e->twin = twin;
	}
	enqueue(s, e);
}

/* New files (read now that every move candidate is known), then the known
 * files that were not found. */
static void
finish(struct scan *s)
{
	GPtrArray *gone = g_ptr_array_new();
	GHashTable *gone_by_hash = collect_gone(s, gone);
	for (guint i = 0; i < s->fresh->len && !s->db_failed; i++) {
		add_fresh(s, s->fresh->pdata[i], gone_by_hash);
	}
	for (guint i = 0; i < gone->len && !s->db_failed; i++) {
		struct known *k = gone->pdata[i];
		if (k->seen || k->state == DB_STATE_MISSING) {
			continue;
		}
		struct entry *e = entry_new(ENTRY_GONE, k->path);
		e->id = k->id;
		e->size = k->size;
		e->mtime_ns = k->mtime_ns;
		enqueue(s, e);
	}
	flush(s);
	g_hash_table_destroy(gone_by_hash);
	g_ptr_array_free(gone, TRUE);
}

struct root_match {
	const char *dir;
	int64_t id;
	size_t len;
};

static void
match_root(void *ud, int64_t id, const char *path)
{
	struct root_match *m = ud;
	size_t n = strlen(path);
	bool inside = strncmp(m->dir, path, n) == 0 && (m->dir[n] == '/' || m->dir[n] == '\0');
	if (inside && n > m->len) {
		m->id = id;
		m->len = n;
	}
}

/* The deepest root that holds dir, or dir itself as a new root. */
static bool
choose_root(struct db *db, const char *dir, int64_t *root_id)
{
	struct root_match m = {.dir = dir};
	if (!db_roots_each(db, match_root, &m)) {
		return false;
	}
	if (m.id != 0) {
		*root_id = m.id;
		return true;
	}
	return db_root_add(db, dir, root_id);
}

bool
scan_dir(struct db *db, const char *dir, const struct scan_opts *opts,
    struct scan_stats *stats, char **cause)
{
	memset(stats, 0, sizeof *stats);
	char *abs = realpath(dir, NULL);
	struct stat st;
	if (abs == NULL || stat(abs, &st) != 0 || !S_ISDIR(st.st_mode)) {
		char *safe = sanitize_str(dir);
		*cause = xasprintf("%s: %s", safe, abs == NULL ? strerror(errno) : "not a directory");
		free(safe);
		free(abs);
		return false;
	}
	struct scan s;
	scan_init(&s, db, opts, stats);
	char *prefix = xasprintf("%s/", strcmp(abs, "/") == 0 ? "" : abs);
	/* The walk and the reads hold no lock: transactions open only to write. */
	bool ok = db_begin(db) && choose_root(db, abs, &s.root_id) && db_commit(db) &&
	    db_images_under(db, prefix, load_known, &s);
	if (ok) {
		struct walk_ops ops = {.file = on_file, .error = on_error, .ud = &s};
		walk_tree(abs, &ops);
		finish(&s);
		ok = !s.db_failed;
	}
	if (!ok) {
		*cause = xstrdup(db_errmsg(db));
		db_rollback(db);
	}
	if (opts->progress != NULL) {
		opts->progress(opts->ud, stats);
	}
	scan_fini(&s);
	free(prefix);
	free(abs);
	return ok;
}

/* The id of the deepest root holding path, 0 when none does. */
static bool
root_of(struct db *db, const char *path, int64_t *root_id)
{
	struct root_match m = {.dir = path};
	if (!db_roots_each(db, match_root, &m)) {
		return false;
	}
	*root_id = m.id;
	return true;
}

/* Read path, then write what it holds in a transaction of its own. */
static bool
index_one(struct scan *s, const char *path, int64_t *image_id, char **cause)
{
	struct entry *e = read_file(s, path, 0);
	if (ignored(e)) {
		entry_free(e);
		return true;
	}
	g_ptr_array_add(s->queue, e);
	write_entries(s, s->queue);
	if (s->db_failed) {
		*cause = xstrdup(db_errmsg(s->db));
	} else if (e->dropped) {
		char *safe = sanitize_str(path);
		*cause = xasprintf("%s: moved or deleted while it was read", safe);
		free(safe);
	}
	*image_id = e->image_id;
	return *cause == NULL;
}

bool
scan_file(struct db *db, const char *path, const struct scan_opts *opts, int64_t *image_id,
    bool *pending, char **cause)
{
	struct scan_stats stats = {0};
	struct scan s;
	scan_init(&s, db, opts, &stats);
	s.any_missing = true;
	*image_id = 0;
	*pending = false;
	*cause = NULL;
	bool ok = root_of(db, path, &s.root_id);
	if (!ok) {
		*cause = xstrdup(db_errmsg(db));
	} else if (s.root_id == 0) {
		char *safe = sanitize_str(path);
		*cause = xasprintf("%s: not below a root of the library", safe);
		free(safe);
		ok = false;
	}
	ok = ok && index_one(&s, path, image_id, cause);
	if (ok && *image_id != 0) {
		struct db_image img;
		bool found;
		if (db_image_by_path(db, path, &img, &found) && found) {
			*pending = img.state == DB_STATE_NEW;
		}
		db_image_fini(&img);
	}
	scan_fini(&s);
	return ok;
}

bool
scan_gone(struct db *db, const char *path, char **cause)
{
	struct db_image img;
	bool found;
	if (!db_image_by_path(db, path, &img, &found)) {
		*cause = xstrdup(db_errmsg(db));
		return false;
	}
	bool ok = !found || img.state == DB_STATE_MISSING ||
	    db_image_set_state(db, img.id, DB_STATE_MISSING, NULL);
	if (!ok) {
		*cause = xstrdup(db_errmsg(db));
	}
	db_image_fini(&img);
	return ok;
}
