/*
 * scan.c — walk a tree, compare it with the library, record what changed.
 *
 * The known images below the directory are loaded into a hash table first,
 * so an unchanged file costs one stat and one lookup; only new and changed
 * files are read.  Changes are written in batches of transactions: a scan
 * killed half-way keeps what it had recorded.
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

/* A transaction ends after this many writes or this long, whichever comes
 * first, so that a console or a runner writing to the same library waits
 * at most that long for its turn, even during a first scan of 100k files. */
#define BATCH 500
#define BATCH_MS 100

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
	char *error; /* the recorded failure, for rechecks */
};

struct pending {
	char *path;
	struct stat st;
};

struct scan {
	struct db *db;
	const struct scan_opts *opts;
	struct scan_stats *stats;
	int64_t root_id;
	GHashTable *known;   /* path -> struct known */
	GHashTable *folders; /* folder path -> int64 id */
	GPtrArray *fresh;    /* struct pending: paths not in the library */
	GPtrArray *bad_dirs; /* directories that could not be listed */
	int in_batch;
	bool in_tx;
	double tx_started;
	bool db_failed;
};

static void
known_free(gpointer p)
{
	struct known *k = p;
	free(k->path);
	free(k->error);
	free(k);
}

static void
pending_free(gpointer p)
{
	struct pending *pd = p;
	free(pd->path);
	free(pd);
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
	if (s->opts->warn != NULL) {
		char *safe = sanitize_str(raw);
		s->opts->warn(s->opts->ud, safe);
		free(safe);
	}
	free(raw);
}

/* Open a transaction before a write, unless one is open. */
static void
will_write(struct scan *s)
{
	if (s->in_tx || s->db_failed) {
		return;
	}
	if (!db_begin(s->db)) {
		s->db_failed = true;
		return;
	}
	s->in_tx = true;
	s->tx_started = (double)clock_ms();
}

static void
end_tx(struct scan *s)
{
	if (!s->in_tx) {
		return;
	}
	if (!db_commit(s->db)) {
		s->db_failed = true;
	}
	s->in_tx = false;
	s->in_batch = 0;
	/* A breath between transactions, so another writer waiting for the
	 * lock gets it (its busy handler polls every millisecond). */
	struct timespec ts = {.tv_nsec = 2000000};
	nanosleep(&ts, NULL);
}

/* Count one write; commit after BATCH writes or BATCH_MS, and leave the
 * lock free until the next write. */
static void
wrote(struct scan *s)
{
	if (++s->in_batch < BATCH && (double)clock_ms() - s->tx_started < BATCH_MS) {
		return;
	}
	end_tx(s);
	if (s->opts->progress != NULL) {
		s->opts->progress(s->opts->ud, s->stats);
	}
}

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
	will_write(s);
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
	k->error = k->recheck ? xstrdup(row->error) : NULL;
	g_hash_table_insert(s->known, k->path, k);
}

/* A known path whose size or mtime changed: read it again. */
static void
reprobe(struct scan *s, struct known *k, const struct stat *st)
{
	struct probe_result r;
	probe_file(k->path, s->opts->pixel_limit, &r);
	s->stats->bytes_read += r.has_hash ? r.size : 0;
	if (k->recheck && !r.ok && r.error != NULL && k->error != NULL &&
	    strcmp(r.error, k->error) == 0) {
		/* Looked again: still the same reason. */
		s->stats->unchanged++;
		probe_result_fini(&r);
		return;
	}
	s->stats->changed++;
	struct db_image img = {.id = k->id};
	fill_image(&img, &r);
	will_write(s);
	if (r.ok && !db_image_update(s->db, &img)) {
		s->db_failed = true;
	} else if (r.ok) {
		/* New content: pending again unless it was tagged before. */
		enum db_state state;
		if (db_image_derive_state(s->db, k->id, &state)) {
			db_image_set_state(s->db, k->id,
			    state == DB_STATE_COMMITTED ? DB_STATE_NEW : state, NULL);
		}
	} else {
		s->stats->failed++;
		warn(s, "%s: %s", k->path, r.error);
		if (!db_image_update(s->db, &img)) {
			s->db_failed = true;
		}
	}
	probe_result_fini(&r);
	wrote(s);
}

static void
on_file(void *ud, const char *path, const struct stat *st)
{
	struct scan *s = ud;
	s->stats->seen++;
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
	if (k->size == st->st_size && k->mtime_ns == mtime) {
		s->stats->unchanged++;
		if (k->state == DB_STATE_MISSING) {
			enum db_state state;
			will_write(s);
			if (db_image_derive_state(s->db, k->id, &state)) {
				db_image_set_state(s->db, k->id, state, NULL);
				wrote(s);
			}
		}
		/* A file refused for its size or its permissions may be fine
		 * now (a raised pixel limit, a chmod): look again. */
		if (!k->recheck) {
			return;
		}
		s->stats->unchanged--;
	}
	reprobe(s, k, st);
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
		struct db_image img = {
			.folder_id = folder_of(s, path),
			.path = (char *)path,
			.state = DB_STATE_FAILED,
			.error = (char *)why,
		};
		will_write(s);
		if (!db_image_insert(s->db, &img)) {
			s->db_failed = true;
		}
		s->stats->failed++;
		wrote(s);
	}
}

struct hash_key {
	uint8_t h[DB_HASH_LEN];
};

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
	const char *base = strrchr(pd->path, '/') + 1;
	struct probe_result r;
	probe_file(pd->path, s->opts->pixel_limit, &r);
	s->stats->bytes_read += r.has_hash ? r.size : 0;
	if (!r.ok && r.not_image && !probe_image_name(base)) {
		s->stats->ignored++;
		probe_result_fini(&r);
		return;
	}
	struct known *k = r.has_hash ? g_hash_table_lookup(gone_by_hash, r.hash) : NULL;
	will_write(s);
	if (k != NULL && r.ok) {
		g_hash_table_remove(gone_by_hash, r.hash);
		k->seen = true;
		if (!db_image_move(s->db, k->id, pd->path, folder_of(s, pd->path), r.size,
		    r.mtime_ns)) {
			s->db_failed = true;
		}
		if (k->state == DB_STATE_MISSING) {
			enum db_state state;
			if (db_image_derive_state(s->db, k->id, &state)) {
				db_image_set_state(s->db, k->id, state, NULL);
			}
		}
		s->stats->moved++;
	} else {
		struct db_image img = {.folder_id = folder_of(s, pd->path), .path = pd->path};
		fill_image(&img, &r);
		if (!r.ok) {
			s->stats->failed++;
			warn(s, "%s: %s", pd->path, r.error);
		} else if (r.has_hash) {
			s->stats->added++;
		}
		if (!db_image_insert(s->db, &img)) {
			s->db_failed = true;
		} else if (r.ok) {
			/* Known content (a copy): tagged already if its twin was. */
			enum db_state state;
			if (db_image_derive_state(s->db, img.id, &state) && state == DB_STATE_TAGGED) {
				db_image_set_state(s->db, img.id, state, NULL);
			}
		}
	}
	probe_result_fini(&r);
	wrote(s);
}

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
		will_write(s);
		if (!db_image_set_state(s->db, k->id, DB_STATE_MISSING, NULL)) {
			s->db_failed = true;
		}
		s->stats->missing++;
		wrote(s);
	}
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
	struct scan s = {
		.db = db,
		.opts = opts,
		.stats = stats,
		.known = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, known_free),
		.folders = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL),
		.fresh = g_ptr_array_new_with_free_func(pending_free),
		.bad_dirs = g_ptr_array_new_with_free_func(free),
	};
	char *prefix = xasprintf("%s/", strcmp(abs, "/") == 0 ? "" : abs);
	/* The walk holds no lock: transactions open only around writes. */
	bool ok = db_begin(db) && choose_root(db, abs, &s.root_id) && db_commit(db) &&
	    db_images_under(db, prefix, load_known, &s);
	if (ok) {
		struct walk_ops ops = {.file = on_file, .error = on_error, .ud = &s};
		walk_tree(abs, &ops);
		finish(&s);
		end_tx(&s);
		ok = !s.db_failed;
	}
	if (!ok) {
		*cause = xstrdup(db_errmsg(db));
		db_rollback(db);
	}
	if (opts->progress != NULL) {
		opts->progress(opts->ud, stats);
	}
	g_hash_table_destroy(s.known);
	g_hash_table_destroy(s.folders);
	g_ptr_array_free(s.fresh, TRUE);
	g_ptr_array_free(s.bad_dirs, TRUE);
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

static bool
index_one(struct scan *s, const char *path, int64_t *image_id)
{
	struct db_image known;
	bool found;
	if (!db_image_by_path(s->db, path, &known, &found)) {
		return false;
	}
	struct probe_result r;
	probe_file(path, s->opts->pixel_limit, &r);
	const char *base = strrchr(path, '/');
	bool ignore = !r.ok && r.not_image && !probe_image_name(base != NULL ? base + 1 : path);
	int64_t moved_id = 0;
	bool ok = true;
	if (!ignore && !found && r.ok && r.has_hash) {
		ok = db_image_missing_by_hash(s->db, r.hash, &moved_id);
	}
	if (!ok || ignore) {
		*image_id = 0;
	} else if (moved_id != 0) {
		ok = db_image_move(s->db, moved_id, path, folder_of(s, path), r.size, r.mtime_ns);
		enum db_state state;
		ok = ok && db_image_derive_state(s->db, moved_id, &state) &&
		    db_image_set_state(s->db, moved_id, state, NULL);
		*image_id = moved_id;
	} else {
		struct db_image img = {.id = known.id, .folder_id = folder_of(s, path),
			.path = (char *)path};
		fill_image(&img, &r);
		ok = found ? db_image_update(s->db, &img) : db_image_insert(s->db, &img);
		*image_id = img.id;
		enum db_state state;
		if (ok && r.ok && db_image_derive_state(s->db, img.id, &state) &&
		    state == DB_STATE_TAGGED) {
			ok = db_image_set_state(s->db, img.id, state, NULL);
		}
		if (!r.ok) {
			warn(s, "%s: %s", path, r.error);
		}
	}
	probe_result_fini(&r);
	db_image_fini(&known);
	return ok;
}

bool
scan_file(struct db *db, const char *path, const struct scan_opts *opts, int64_t *image_id,
    bool *pending, char **cause)
{
	struct scan_stats stats = {0};
	struct scan s = {
		.db = db,
		.opts = opts,
		.stats = &stats,
		.folders = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL),
	};
	*image_id = 0;
	*pending = false;
	bool ok = db_begin(db) && root_of(db, path, &s.root_id);
	s.in_tx = true;
	s.tx_started = (double)clock_ms();
	if (ok && s.root_id == 0) {
		db_rollback(db);
		g_hash_table_destroy(s.folders);
		char *safe = sanitize_str(path);
		*cause = xasprintf("%s: not below a root of the library", safe);
		free(safe);
		return false;
	}
	ok = ok && index_one(&s, path, image_id) && !s.db_failed && db_commit(db);
	if (!ok) {
		*cause = xstrdup(db_errmsg(db));
		db_rollback(db);
	} else if (*image_id != 0) {
		struct db_image img;
		bool found;
		if (db_image_by_path(db, path, &img, &found) && found) {
			*pending = img.state == DB_STATE_NEW;
		}
		db_image_fini(&img);
	}
	g_hash_table_destroy(s.folders);
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
