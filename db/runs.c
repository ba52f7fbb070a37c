/* runs.c — run and run-Space rows. */
#include "db/runs.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db-private.h"
#include "common/xalloc.h"

static char *
text_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t != NULL ? xstrdup((const char *)t) : NULL;
}

static void
bind_text(sqlite3_stmt *st, int col, const char *s)
{
	if (s != NULL) {
		sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(st, col);
	}
}

void
db_run_fini(struct db_run *run)
{
	free(run->host);
	free(run->state);
	free(run->model);
	free(run->folder);
	free(run->request);
	memset(run, 0, sizeof *run);
}

void
db_run_space_fini(struct db_run_space *sp)
{
	free(sp->url);
	free(sp->state);
	free(sp->last_error);
	memset(sp, 0, sizeof *sp);
}

bool
db_run_start(struct db *db, struct db_run *run)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO runs(pid, host, state, model, folder,"
	    " started_at, updated_at, total) VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?5, ?6)");
	if (st == NULL) {
		return false;
	}
	run->started_at = run->updated_at = (int64_t)time(NULL);
	sqlite3_bind_int(st, 1, run->pid);
	bind_text(st, 2, run->host != NULL ? run->host : "");
	bind_text(st, 3, run->model);
	if (run->folder != NULL) {
		sqlite3_bind_blob(st, 4, run->folder, (int)strlen(run->folder), SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(st, 5, run->started_at);
	sqlite3_bind_int64(st, 6, run->total);
	if (!db_step_done(db, st, "start run")) {
		return false;
	}
	run->id = sqlite3_last_insert_rowid(db->conn);
	return true;
}

bool
db_run_update(struct db *db, const struct db_run *run)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE runs SET state = coalesce(?2, state), updated_at = ?3,"
	    " finished_at = ?4, total = ?5, done = ?6, skipped = ?7, filled = ?8, failed = ?9,"
	    " rate = ?10, eta_s = ?11 WHERE id = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, run->id);
	bind_text(st, 2, run->state);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	if (run->finished_at != 0) {
		sqlite3_bind_int64(st, 4, run->finished_at);
	}
	sqlite3_bind_int64(st, 5, run->total);
	sqlite3_bind_int64(st, 6, run->done);
	sqlite3_bind_int64(st, 7, run->skipped);
	sqlite3_bind_int64(st, 8, run->filled);
	sqlite3_bind_int64(st, 9, run->failed);
	sqlite3_bind_double(st, 10, run->rate);
	if (run->eta_s >= 0) {
		sqlite3_bind_double(st, 11, run->eta_s);
	}
	return db_step_done(db, st, "update run");
}

bool
db_run_space_update(struct db *db, int64_t run_id, const struct db_run_space *sp)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO run_spaces(run_id, url, state, in_flight,"
	    " done, failed, latency_ms, last_error, next_retry_at, hedges)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(run_id, url) DO UPDATE"
	    " SET state = excluded.state, in_flight = excluded.in_flight, done = excluded.done,"
	    " failed = excluded.failed, latency_ms = excluded.latency_ms,"
	    " last_error = excluded.last_error, next_retry_at = excluded.next_retry_at,"
	    " hedges = excluded.hedges");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, sp->url);
	bind_text(st, 3, sp->state);
	sqlite3_bind_int(st, 4, sp->in_flight);
	sqlite3_bind_int64(st, 5, sp->done);
	sqlite3_bind_int64(st, 6, sp->failed);
	if (sp->latency_ms >= 0) {
		sqlite3_bind_double(st, 7, sp->latency_ms);
	}
	bind_text(st, 8, sp->last_error);
	if (sp->next_retry_at != 0) {
		sqlite3_bind_int64(st, 9, sp->next_retry_at);
	}
	sqlite3_bind_int64(st, 10, sp->hedges);
	return db_step_done(db, st, "update run space");
}

bool
db_run_latest(struct db *db, struct db_run *run, bool *found)
{
	memset(run, 0, sizeof *run);
	*found = false;
	sqlite3_stmt *st = db_stmt(db, "SELECT id, pid, host, state, model, folder, started_at,"
	    " updated_at, coalesce(finished_at, 0), total, done, skipped, filled, failed, rate,"
	    " coalesce(eta_s, -1), request FROM runs ORDER BY id DESC LIMIT 1");
	if (st == NULL) {
		return false;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = true;
		run->id = sqlite3_column_int64(st, 0);
		run->pid = sqlite3_column_int(st, 1);
		run->host = text_dup(st, 2);
		run->state = text_dup(st, 3);
		run->model = text_dup(st, 4);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
			run->folder = xstrndup(sqlite3_column_blob(st, 5),
			    (size_t)sqlite3_column_bytes(st, 5));
		}
		run->started_at = sqlite3_column_int64(st, 6);
		run->updated_at = sqlite3_column_int64(st, 7);
		run->finished_at = sqlite3_column_int64(st, 8);
		run->total = sqlite3_column_int64(st, 9);
		run->done = sqlite3_column_int64(st, 10);
		run->skipped = sqlite3_column_int64(st, 11);
		run->filled = sqlite3_column_int64(st, 12);
		run->failed = sqlite3_column_int64(st, 13);
		run->rate = sqlite3_column_double(st, 14);
		run->eta_s = sqlite3_column_double(st, 15);
		run->request = text_dup(st, 16);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "latest run");
}

bool
db_run_spaces(struct db *db, int64_t run_id,
    void (*fn)(void *ud, const struct db_run_space *sp), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT url, state, in_flight, done, failed,"
	    " coalesce(latency_ms, -1), last_error, coalesce(next_retry_at, 0), disabled, hedges"
	    " FROM run_spaces WHERE run_id = ?1 ORDER BY url");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, run_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_run_space sp = {
			.url = (char *)sqlite3_column_text(st, 0),
			.state = (char *)sqlite3_column_text(st, 1),
			.in_flight = sqlite3_column_int(st, 2),
			.done = sqlite3_column_int64(st, 3),
			.failed = sqlite3_column_int64(st, 4),
			.latency_ms = sqlite3_column_double(st, 5),
			.last_error = (char *)sqlite3_column_text(st, 6),
			.next_retry_at = sqlite3_column_int64(st, 7),
			.disabled = sqlite3_column_int(st, 8) != 0,
			.hedges = sqlite3_column_int64(st, 9),
		};
		fn(ud, &sp);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "run spaces");
}

bool
db_run_request(struct db *db, int64_t run_id, const char *request)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE runs SET request = ?2 WHERE id = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, request);
	return db_step_done(db, st, "run request");
}

bool
db_run_take_request(struct db *db, int64_t run_id, char **request)
{
	*request = NULL;
	/* Read and clear in one transaction, so a request written between the
	 * two is never lost. */
	if (!db_begin(db)) {
		return false;
	}
	sqlite3_stmt *st = db_stmt(db, "SELECT request FROM runs WHERE id = ?1");
	if (st == NULL) {
		db_rollback(db);
		return false;
	}
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*request = text_dup(st, 0);
	}
	sqlite3_reset(st);
	bool ok = *request == NULL || db_run_request(db, run_id, NULL);
	if (!ok || !db_commit(db)) {
		db_rollback(db);
		free(*request);
		*request = NULL;
		return false;
	}
	return true;
}

bool
db_run_space_disable(struct db *db, int64_t run_id, const char *url, bool disabled)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE run_spaces SET disabled = ?3"
	    " WHERE run_id = ?1 AND url = ?2");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, url);
	sqlite3_bind_int(st, 3, disabled);
	return db_step_done(db, st, "disable space");
}

bool
db_run_space_disabled(struct db *db, int64_t run_id, const char *url, bool *disabled)
{
	*disabled = false;
	sqlite3_stmt *st = db_stmt(db, "SELECT disabled FROM run_spaces"
	    " WHERE run_id = ?1 AND url = ?2");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, url);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*disabled = sqlite3_column_int(st, 0) != 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "space disabled");
}

bool
db_runs_mark_crashed(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE runs SET state = 'crashed', finished_at = updated_at"
	    " WHERE finished_at IS NULL");
	return st != NULL && db_step_done(db, st, "mark crashed");
}
