/*
 * writer.c — the writer: on the caller's thread, every outcome of the run
 * into the library (each answer in its own transaction), progress rows and
 * events, control requests from other processes.
 *
 * An answer received is never thrown away: when the database stays locked
 * the writer keeps it in the spool file (spool.h) and waits, trying again;
 * a write that cannot be done for another reason stops the run and says
 * why.  An outcome counts, and is told, only once it is written.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/xalloc.h"
#include "core/batch/batch-private.h"
#include "core/batch/notify.h"
#include "core/batch/results.h"
#include "core/batch/spool.h"
#include "core/sanitize.h"
#include "db/db.h"
#include "db/images.h"
#include "db/queue.h"
#include "db/runs.h"

static bool
store_answer(struct batch *b, struct job *job)
{
	bool ok = results_store(b->db, job->image_id, b->opts.model, b->opts.floor, job->space,
	    job->answer);
	if (ok && job->fill_dims && job->orig_width > 0) {
		ok = db_image_set_dims(b->db, job->image_id, job->orig_width, job->orig_height);
		b->filled += ok;
	}
	return ok;
}

/* The event of outcome o (NULL for progress), about path when it is not
 * the job's own (a copy that waited on it). */
void
writer_emit(struct batch *b, enum batch_event_kind kind, const struct outcome *o, const char *path,
    const struct batch_progress *p)
{
	if (b->opts.event == NULL) {
		return;
	}
	const struct job *job = o != NULL ? o->job : NULL;
	struct batch_event ev = {
		.kind = kind,
		.path = path != NULL ? path : job != NULL ? job->path : o != NULL ? o->path : NULL,
		.space = o != NULL ? o->space : NULL,
		.state = o != NULL ? o->state : NULL,
		.message = o != NULL ? o->message : NULL,
		.attempts = job != NULL ? job->attempts : o != NULL ? o->attempts : 0,
		.answer = job != NULL ? job->answer : NULL,
		.latency_ms = job != NULL ? job->latency_ms : 0,
		.bytes_sent = job != NULL ? job->bytes_sent : 0,
		.progress = p,
	};
	b->opts.event(b->opts.ud, &ev);
}

static double
rate_update(struct rate *r, double t, int64_t done)
{
	unsigned i = r->count++ % RATE_SAMPLES;
	r->t[i] = t;
	r->n[i] = done;
	/* The oldest sample still inside the window. */
	unsigned k = r->count < RATE_SAMPLES ? r->count : RATE_SAMPLES;
	double t0 = t;
	int64_t n0 = done;
	for (unsigned j = 0; j < k; j++) {
		if (t - r->t[j] <= RATE_WINDOW_S && r->t[j] < t0) {
			t0 = r->t[j];
			n0 = r->n[j];
		}
	}
	return t > t0 ? (done - n0) / (t - t0) : 0;
}


/* How often writes the database refused as busy are tried again (each try
 * waits out the busy timeout first). */
#define RETRY_S 1.0

void
writer_fill_progress(struct writer *w)
{
	struct batch *b = w->b;
	dispatch_snapshot_free(w->views, w->n_views);
	w->n_views = dispatch_snapshot(b, &w->views, &w->p.in_flight);
	double t = clock_s();
	double rate = rate_update(&w->rate, t, b->done + b->failed);
	w->p = (struct batch_progress){
		.state = w->state,
		.total = b->total,
		.done = b->done,
		.failed = b->failed,
		.skipped = b->skipped,
		.filled = b->filled,
		.restored = b->restored,
		.in_flight = w->p.in_flight,
		.rate = rate,
		.eta_s = rate > 0 ? b->remaining / rate : -1,
		.elapsed_s = t - w->started,
		.bytes_sent = (uint64_t)atomic_load(&b->bytes_sent),
		.image_bytes = (uint64_t)atomic_load(&b->image_bytes),
		.spaces = w->views,
		.n_spaces = w->n_views,
	};
}

static void
write_rows(struct writer *w, bool final)
{
	struct batch *b = w->b;
	struct db_run run = {
		.id = b->run_id,
		.state = (char *)w->state,
		.total = b->total,
		.done = b->done,
		.skipped = b->skipped,
		.filled = b->filled,
		.failed = b->failed,
		.rate = w->p.rate,
		.eta_s = w->p.eta_s,
		.finished_at = final ? (int64_t)time(NULL) : 0,
	};
	bool ok = db_run_update(b->db, &run);
	for (size_t i = 0; ok && i < w->n_views; i++) {
		const struct batch_space_view *v = &w->views[i];
		struct db_run_space sp = {
			.url = (char *)v->url,
			.state = (char *)v->state,
			.in_flight = v->in_flight,
			.done = v->done,
			.failed = v->failed,
			.hedges = v->hedges,
			.latency_ms = v->latency_ms,
			.last_error = (char *)v->last_error,
			.next_retry_at = v->retry_in_s > 0 ? (int64_t)time(NULL) +
			    (int64_t)(v->retry_in_s + 0.5) : 0,
		};
		ok = db_run_space_update(b->db, b->run_id, &sp);
	}
	/* Progress rows are a courtesy to other processes: a busy moment is
	 * not worth stopping the run for. */
	(void)ok;
}

/* Requests from another process (the console): pause, resume, cancel,
 * and Spaces the user switched off. */
static void
take_control(struct writer *w)
{
	struct batch *b = w->b;
	char *req = NULL;
	if (db_run_take_request(b->db, b->run_id, &req) && req != NULL) {
		if (strcmp(req, "pause") == 0) {
			atomic_store(&b->paused, true);
		} else if (strcmp(req, "resume") == 0) {
			atomic_store(&b->paused, false);
		} else if (strcmp(req, "cancel") == 0 && atomic_load(&b->stopping) == 0) {
			atomic_store(&b->stopping, 1);
		}
		free(req);
	}
	for (size_t i = 0; i < b->n_slots; i++) {
		bool off;
		if (db_run_space_disabled(b->db, b->run_id, b->slots[i].url, &off)) {
			atomic_store(&b->slots[i].disabled, off);
		}
	}
	dispatch_wake(b);
}

/* The most failures a finish notice lists. */
#define NOTICE_FAILURES 100

static void
notify_image(struct batch *b, const struct outcome *o, bool ok)
{
	if (b->notify == NULL) {
		return;
	}
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "event", ok ? "tagged" : "failed");
	cJSON_AddNumberToObject(doc, "run", (double)b->run_id);
	sanitize_json_add_path(doc, "path", o->job->path);
	cJSON_AddStringToObject(doc, "model", b->opts.model);
	if (o->message != NULL) {
		cJSON_AddStringToObject(doc, "error", o->message);
	}
	if (!ok && cJSON_GetArraySize(b->failures) < NOTICE_FAILURES) {
		cJSON *f = cJSON_CreateObject();
		sanitize_json_add_path(f, "path", o->job->path);
		cJSON_AddStringToObject(f, "error", o->message != NULL ? o->message : "failed");
		cJSON_AddItemToArray(b->failures, f);
	}
	if (b->opts.notify_each) {
		char *text = cJSON_PrintUnformatted(doc);
		notify_post(b->notify, text);
		free(text);
	}
	cJSON_Delete(doc);
}

void
writer_notify_finish(struct batch *b, const struct batch_progress *p)
{
	if (b->notify == NULL) {
		return;
	}
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "event", "finish");
	cJSON_AddNumberToObject(doc, "run", (double)b->run_id);
	cJSON_AddStringToObject(doc, "state", p->state);
	cJSON_AddStringToObject(doc, "model", b->opts.model);
	cJSON_AddNumberToObject(doc, "total", (double)p->total);
	cJSON_AddNumberToObject(doc, "done", (double)p->done);
	cJSON_AddNumberToObject(doc, "failed", (double)p->failed);
	cJSON_AddNumberToObject(doc, "skipped", (double)p->skipped);
	cJSON_AddNumberToObject(doc, "elapsed_s", p->elapsed_s);
	cJSON_AddItemToObject(doc, "failures", b->failures);
	b->failures = NULL;
	char *text = cJSON_PrintUnformatted(doc);
	notify_post_last(b->notify, text);
	free(text);
	cJSON_Delete(doc);
}

/* An outcome is final once written: counted, told, and its copies with it
 * (the answer is stored for the content). */
static void
finish(struct writer *w, struct outcome *o)
{
	struct batch *b = w->b;
	bool done = o->kind == OUT_DONE;
	if (done) {
		b->done++;
	} else {
		b->failed++;
	}
	b->remaining--;
	writer_emit(b, done ? BATCH_EV_DONE : BATCH_EV_FAILED, o, NULL, &w->p);
	notify_image(b, o, done);
	GPtrArray *twins = content_release(b, o->job->hash);
	for (guint i = 0; twins != NULL && i < twins->len; i++) {
		writer_emit(b, done ? BATCH_EV_DONE : BATCH_EV_FAILED, o, twins->pdata[i], &w->p);
	}
	twins_free(twins);
	char *cause = NULL;
	if (o->job->spooled && !spool_remove(b->opts.db_path, o->job->hash, b->opts.model,
	    &cause)) {
		/* Stored all the same; the next run finds it has an answer. */
		outcome_post(b, OUT_SPACE, NULL, "spool", "failing", cause);
		free(cause);
	}
	job_free(o->job);
	outcome_free(o);
}

bool
batch_keep(struct batch *b, struct job *job, char **cause)
{
	if (job->spooled || job->answer == NULL) {
		return true;
	}
	if (job->prep != NULL) {
		job->orig_width = job->prep->orig_width;
		job->orig_height = job->prep->orig_height;
	}
	struct spool_entry e = {
		.image_id = job->image_id,
		.path = job->path,
		.model = b->opts.model,
		.space = job->space,
		.floor = b->opts.floor,
		.width = job->fill_dims ? job->orig_width : 0,
		.height = job->fill_dims ? job->orig_height : 0,
		.answer = job->answer,
	};
	memcpy(e.hash, job->hash, sizeof e.hash);
	job->spooled = spool_add(b->opts.db_path, &e, cause);
	return job->spooled;
}

/* The answer of o into the spool file, so that it outlives this process. */
static bool
keep(struct writer *w, struct outcome *o)
{
	char *cause = NULL;
	if (o->kind != OUT_DONE || batch_keep(w->b, o->job, &cause)) {
		return true;
	}
	free(w->stop_error);
	w->stop_error = xasprintf("cannot keep the answer for %s: %s", o->job->path, cause);
	free(cause);
	return false;
}

enum written { WRITTEN, WRITE_BUSY, WRITE_BROKEN };

/* Write o: the answer stored, or the failure recorded (a run's). */
static enum written
record(struct writer *w, struct outcome *o)
{
	struct batch *b = w->b;
	bool ok = o->kind == OUT_DONE ? store_answer(b, o->job) : !batch_is_run(b) ||
	    db_queue_give_up(b->db, o->job->image_id, o->message ? o->message : "failed");
	return ok ? WRITTEN : db_busy(b->db) ? WRITE_BUSY : WRITE_BROKEN;
}

/* A write that cannot be done stops the run, saying why; the answer stays in
 * the spool for the next run, the image that failed stays pending. */
static void
broken(struct writer *w, struct outcome *o)
{
	struct batch *b = w->b;
	char *spool = spool_path(b->opts.db_path);
	if (w->stop_error == NULL) {
		w->stop_error = o->kind == OUT_DONE && keep(w, o) ?
		    xasprintf("cannot store the answer for %s (%s); it is kept in %s for the "
		    "next run", o->job->path, db_errmsg(b->db), spool) :
		    xasprintf("cannot record that %s failed (%s); it stays pending for the "
		    "next run", o->job->path, db_errmsg(b->db));
	} else {
		keep(w, o);
	}
	free(spool);
	atomic_store(&b->stopping, 1);
	dispatch_wake(b);
	twins_free(content_release(b, o->job->hash));
	job_free(o->job);
	outcome_free(o);
}

/* Write o now, or keep it for when the database is free again. */
static void
write_or_keep(struct writer *w, struct outcome *o)
{
	struct batch *b = w->b;
	struct job *job = o->job;
	if (job->prep != NULL) {
		/* The image is no longer needed in memory, its size is. */
		job->orig_width = job->prep->orig_width;
		job->orig_height = job->prep->orig_height;
		prepare_result_destroy(job->prep);
		job->prep = NULL;
		prepared_release(b);
	}
	enum written r = g_queue_is_empty(&w->pending) ? record(w, o) : WRITE_BUSY;
	if (r == WRITTEN) {
		finish(w, o);
	} else if (r == WRITE_BROKEN) {
		broken(w, o);
	} else {
		atomic_store(&b->db_locked, true);
		keep(w, o);
		g_queue_push_tail(&w->pending, o);
		if (w->retry_at == 0) {
			w->retry_at = clock_s() + RETRY_S;
		}
	}
}

/* The writes the database refused as busy, again, oldest first. */
static void
retry_pending(struct writer *w, bool now)
{
	while (!g_queue_is_empty(&w->pending) && (now || clock_s() >= w->retry_at)) {
		struct outcome *o = g_queue_peek_head(&w->pending);
		enum written r = record(w, o);
		if (r == WRITE_BUSY) {
			w->retry_at = clock_s() + RETRY_S;
			return;
		}
		g_queue_pop_head(&w->pending);
		if (r == WRITTEN) {
			finish(w, o);
		} else {
			broken(w, o);
		}
	}
	if (g_queue_is_empty(&w->pending)) {
		w->retry_at = 0;
		atomic_store(&w->b->db_locked, false);
	}
}

/* Take o (and free it). */
void
writer_handle(struct writer *w, struct outcome *o)
{
	struct batch *b = w->b;
	switch (o->kind) {
	case OUT_DONE:
	case OUT_FAILED:
		write_or_keep(w, o);
		return;
	case OUT_RETRY:
		writer_emit(b, BATCH_EV_RETRY, o, NULL, &w->p);
		break;
	case OUT_SPACE:
		writer_emit(b, BATCH_EV_SPACE, o, NULL, &w->p);
		break;
	case OUT_HEDGE:
		writer_emit(b, BATCH_EV_HEDGE, o, NULL, &w->p);
		break;
	case OUT_NO_SPACE:
	case OUT_NET_IDLE:
		break;
	}
	outcome_free(o);
}

static const char *
current_state(struct writer *w)
{
	struct batch *b = w->b;
	if (atomic_load(&b->stopping) > 0) {
		return b->remaining > 0 ? "cancelling" : "finishing";
	}
	if (!g_queue_is_empty(&w->pending)) {
		return "db-busy"; /* answers wait for another process's lock */
	}
	if (atomic_load(&b->paused)) {
		return "paused";
	}
	bool any = false;
	for (size_t i = 0; i < w->n_views; i++) {
		const char *s = w->views[i].state;
		any = any || strcmp(s, "ready") == 0 || strcmp(s, "busy") == 0 ||
		    strcmp(s, "probing") == 0;
	}
	return any || w->n_views == 0 ? "running" : "waiting";
}

void
writer_tick(struct writer *w, bool final)
{
	struct batch *b = w->b;
	int n = atomic_exchange(&b->arrivals, 0);
	b->total += n;
	b->remaining += n;
	/* While the database is locked, each write would wait out the busy
	 * timeout: the rows and requests wait until answers go in again. */
	bool locked = !g_queue_is_empty(&w->pending);
	if (!final && batch_is_run(b) && !locked) {
		take_control(w);
	}
	writer_fill_progress(w);
	if (!final) {
		w->state = current_state(w);
		w->p.state = w->state;
	} else {
		w->p.eta_s = -1;
		/* Once it has ended, the run's rate is its average: the last
		 * window's said 4.0/s of a run that did 40 images in 10.8 s.
		 * The Batch screen reads the run's length back from it (the
		 * rows keep whole seconds only). */
		w->p.rate = w->p.elapsed_s > 0 ? (double)(b->done + b->failed) / w->p.elapsed_s
		    : 0;
	}
	if (batch_is_run(b) && !locked) {
		write_rows(w, final);
	}
	writer_emit(b, final ? BATCH_EV_FINISH : BATCH_EV_PROGRESS, NULL, NULL, &w->p);
	w->last_tick = clock_s();
}


/* The writer's loop: until every job is final, or a stop has drained. */
void
writer_loop(struct writer *w)
{
	struct batch *b = w->b;
	bool net_idle = false, no_space = false;
	while (!net_idle) {
		if (b->opts.stop != NULL && *b->opts.stop > atomic_load(&b->stopping)) {
			atomic_store(&b->stopping, *b->opts.stop > 1 ? 2 : 1);
			dispatch_wake(b);
		}
		bool all_final = b->remaining <= 0 && atomic_load(&b->arrivals) == 0;
		if ((all_final && !b->opts.keep_open) || no_space) {
			if (atomic_load(&b->stopping) == 0) {
				atomic_store(&b->stopping, 1);
				dispatch_wake(b);
			}
		}
		struct outcome *o = g_async_queue_timeout_pop(b->outcomes,
		    (guint64)b->opts.progress_ms * 1000);
		/* While the database is locked, every answer that came is kept
		 * in the spool before the writer waits on the lock again. */
		while (o != NULL) {
			net_idle = net_idle || o->kind == OUT_NET_IDLE;
			no_space = no_space || o->kind == OUT_NO_SPACE;
			writer_handle(w, o);
			o = g_queue_is_empty(&w->pending) ? NULL :
			    g_async_queue_try_pop(b->outcomes);
		}
		retry_pending(w, false);
		if (clock_s() - w->last_tick >= b->opts.progress_ms / 1e3) {
			writer_tick(w, false);
		}
	}
	/* Outcomes posted after the network thread's last word. */
	struct outcome *o;
	while ((o = g_async_queue_try_pop(b->outcomes)) != NULL) {
		writer_handle(w, o);
	}
	retry_pending(w, true);
	w->state = w->stop_error != NULL ? "stopped" : no_space ? "failed" :
	    b->remaining > 0 ? "cancelled" : "finished";
	if (no_space) {
		b->remaining = -1; /* marks the outcome below */
	}
}

/* Answers still waiting for the database when the run stops (asked to,
 * with the lock still held elsewhere): they are in the spool file, and
 * the next run stores them first. */
enum batch_outcome
writer_left_in_spool(struct writer *w, char **cause)
{
	struct batch *b = w->b;
	unsigned n = 0;
	struct outcome *o;
	while ((o = g_queue_pop_head(&w->pending)) != NULL) {
		n += o->kind == OUT_DONE && o->job->spooled;
		twins_free(content_release(b, o->job->hash));
		job_free(o->job);
		outcome_free(o);
	}
	char *spool = spool_path(b->opts.db_path);
	*cause = w->stop_error != NULL ? w->stop_error : xasprintf("the database stayed busy: "
	    "%u answer%s kept in %s for the next run to store", n, n == 1 ? "" : "s", spool);
	w->stop_error = NULL;
	free(spool);
	return BATCH_BUSY;
}

