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
#include "core/image/scan-private.h"

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

struct entry *
scan_entry_new(enum entry_kind kind, const char *path)
{
	struct entry *e = xcalloc(1, sizeof *e);
	e->kind = kind;
	e->path = xstrdup(path);
	return e;
}

void
scan_entry_free(gpointer p)
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
		.queue = g_ptr_array_new_with_free_func(scan_entry_free),
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

void
scan_report(struct scan *s)
{
	for (guint i = 0; i < s->reports->len && s->opts->warn != NULL; i++) {
		s->opts->warn(s->opts->ud, s->reports->pdata[i]);
	}
	g_ptr_array_set_size(s->reports, 0);
}

void
scan_warn(struct scan *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(s->reports, sanitize_str(raw));
	free(raw);
	if (!s->writing) {
		scan_report(s);
	}
}

/* Read, hash and probe path; no transaction is open (none ever is between
 * two calls of write_entries). */
static struct entry *
read_file(struct scan *s, const char *path, int64_t size)
{
	if (size >= BIG_READ) {
		scan_flush(s);
	}
	struct entry *e = scan_entry_new(ENTRY_READ, path);
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
	scan_flush_if_due(s);
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
			struct entry *e = scan_entry_new(ENTRY_BACK, path);
			e->size = k->size;
			e->mtime_ns = k->mtime_ns;
			scan_enqueue(s, e);
		}
		return;
	}
	scan_enqueue(s, read_file(s, path, st->st_size));
}

static void
on_error(void *ud, const char *path, bool is_dir, int err, const char *what)
{
	struct scan *s = ud;
	s->stats->errors++;
	const char *why = what != NULL ? what : strerror(err);
	scan_warn(s, "%s: %s", path, why);
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
		struct entry *e = scan_entry_new(ENTRY_BROKEN, path);
		e->error = xstrdup(why);
		scan_enqueue(s, e);
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
		scan_entry_free(e);
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
	scan_enqueue(s, e);
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
		struct entry *e = scan_entry_new(ENTRY_GONE, k->path);
		e->id = k->id;
		e->size = k->size;
		e->mtime_ns = k->mtime_ns;
		scan_enqueue(s, e);
	}
	scan_flush(s);
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
		scan_entry_free(e);
		return true;
	}
	g_ptr_array_add(s->queue, e);
	scan_write_entries(s, s->queue);
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
