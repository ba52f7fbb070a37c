/*
 * scan-write.c — the writing half of a scan: what was read goes to the
 * library in short transactions (scan.c says why), each entry checked
 * against the file (stat, just before) and its row as it is now (inside).
 */
#include "core/image/scan-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/clock.h"
#include "common/xalloc.h"
#include "db/db.h"
#include "db/images.h"

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
		scan_warn(s, "%s: %s", e->path, e->r.error);
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
			scan_warn(s, "%s: %s", e->path, e->r.error);
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
void
scan_write_entries(struct scan *s, GPtrArray *q)
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
	scan_report(s);
}

void
scan_flush(struct scan *s)
{
	if (s->queue->len == 0) {
		return;
	}
	if (!s->db_failed) {
		scan_write_entries(s, s->queue);
	}
	g_ptr_array_set_size(s->queue, 0);
	if (s->opts->progress != NULL) {
		s->opts->progress(s->opts->ud, s->stats);
	}
}

void
scan_flush_if_due(struct scan *s)
{
	if (s->queue->len >= BATCH ||
	    (s->queue->len > 0 && clock_ms() - s->queued_at >= BATCH_MS)) {
		scan_flush(s);
	}
}

void
scan_enqueue(struct scan *s, struct entry *e)
{
	if (s->queue->len == 0) {
		s->queued_at = clock_ms();
	}
	g_ptr_array_add(s->queue, e);
	scan_flush_if_due(s);
}

