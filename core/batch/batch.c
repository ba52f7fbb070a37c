/*
 * batch.c — a batch run: set-up, prepare workers, and the writer loop that
 * stores every result in its own transaction and publishes progress.
 */
#include "core/batch/batch.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/batch/batch-private.h"
#include "common/clock.h"
#include <cjson/cJSON.h>

#include "core/batch/notify.h"
#include "core/batch/results.h"
#include "core/batch/runlock.h"
#include "db/db.h"
#include "db/images.h"
#include "db/queue.h"
#include "db/runs.h"
#include "common/xalloc.h"

/* Recent (time, done) samples for the rate: a 10 s window. */
#define RATE_WINDOW_S 10.0
#define RATE_SAMPLES 64

struct rate {
	double t[RATE_SAMPLES];
	int64_t n[RATE_SAMPLES];
	unsigned count;
};

void
job_free(struct job *job)
{
	if (job == NULL) {
		return;
	}
	prepare_result_destroy(job->prep);
	answer_destroy(job->answer);
	free(job->path);
	free(job->last_error);
	free(job->space);
	free(job);
}

void
outcome_post(struct batch *b, enum outcome_kind kind, struct job *job, const char *space,
    const char *state, const char *message)
{
	struct outcome *o = xcalloc(1, sizeof *o);
	o->kind = kind;
	if (kind == OUT_RETRY || kind == OUT_HEDGE) {
		/* The job itself stays with the network thread. */
		o->path = xstrdup(job->path);
		o->attempts = job->attempts;
	} else {
		o->job = job;
	}
	o->space = space != NULL ? xstrdup(space) : NULL;
	o->state = state != NULL ? xstrdup(state) : NULL;
	o->message = message != NULL ? xstrdup(message) : NULL;
	g_async_queue_push(b->outcomes, o);
}

static void
outcome_free(struct outcome *o)
{
	free(o->path);
	free(o->space);
	free(o->state);
	free(o->message);
	free(o);
}

/* ---- prepare workers ---- */

static void
prepared_release(struct batch *b)
{
	g_mutex_lock(&b->prep_lock);
	b->prepared--;
	g_cond_signal(&b->prep_cond);
	g_mutex_unlock(&b->prep_lock);
}

static gpointer
worker_main(gpointer arg)
{
	struct batch *b = arg;
	struct prepare_opts po = {
		.upload_max_side = b->opts.upload_max_side,
		.pixel_limit = b->opts.pixel_limit,
	};
	for (;;) {
		struct job *job = g_async_queue_pop(b->todo);
		if (job->image_id == 0) { /* the end-of-work marker */
			job_free(job);
			return NULL;
		}
		/* Hold at most prepared_max images in memory at once. */
		g_mutex_lock(&b->prep_lock);
		while (b->prepared >= b->prepared_max && atomic_load(&b->stopping) == 0) {
			g_cond_wait(&b->prep_cond, &b->prep_lock);
		}
		b->prepared++;
		g_mutex_unlock(&b->prep_lock);
		if (atomic_load(&b->stopping) > 0) {
			prepared_release(b);
			job_free(job);
			continue;
		}
		char *cause = NULL;
		job->prep = prepare_file(job->path, &po, &cause);
		if (job->prep == NULL) {
			job->last_error = cause;
		}
		g_async_queue_push(b->ready, job);
		dispatch_wake(b);
	}
}

/* ---- set-up ---- */

static void
free_twins(GPtrArray *twins)
{
	if (twins != NULL) {
		g_ptr_array_free(twins, TRUE);
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
	return memcmp(a, b, 16) == 0;
}

/* Claim a content for this run; false when a job already holds it, and
 * then path (if given) waits on that job's answer. */
static bool
claim(struct batch *b, const uint8_t hash[16], const char *path)
{
	g_mutex_lock(&b->contents_lock);
	gpointer key, twins;
	bool fresh = !g_hash_table_lookup_extended(b->contents, hash, &key, &twins);
	if (fresh) {
		g_hash_table_insert(b->contents, xmemdup(hash, 16), NULL);
	} else if (path != NULL) {
		if (twins == NULL) {
			twins = g_ptr_array_new_with_free_func(free);
			g_hash_table_insert(b->contents, xmemdup(hash, 16), twins);
		}
		g_ptr_array_add(twins, xstrdup(path));
	}
	g_mutex_unlock(&b->contents_lock);
	return fresh;
}

/* Drop the claim; the paths that waited on it (yours to free). */
static GPtrArray *
release(struct batch *b, const uint8_t hash[16])
{
	gpointer key = NULL, twins = NULL;
	g_mutex_lock(&b->contents_lock);
	g_hash_table_steal_extended(b->contents, hash, &key, &twins);
	g_mutex_unlock(&b->contents_lock);
	free(key); /* stolen: the table no longer frees it */
	return twins;
}

/*
 * An ad-hoc job (opts.images, `tagcon tag`) is not a run, and leaves every
 * trace of one alone.  It takes no runner lock, so it works beside the
 * `tagcon batch` that holds it.  It writes no runs / run_spaces rows:
 * consoles and `batch status` take the newest run row for "the batch", so a
 * row of its own would show a phantom batch (called crashed, as no lock
 * stands behind it), hide the real runner's progress and catch the pause
 * or cancel meant for it.  It marks no open run crashed: only the lock
 * holder knows that no runner is alive.  No notices: they report runs.  And
 * it marks no image failed: the person who asked reads why on the spot,
 * and an image tagged before keeps its state when a re-tag fails.
 */
static bool
is_run(const struct batch *b)
{
	return b->opts.images == NULL;
}

static void
add_candidate(void *ud, const struct db_candidate *c)
{
	struct batch *b = ud;
	if (b->opts.wanted != NULL && is_run(b) && !b->opts.wanted(b->opts.ud, c->path)) {
		return;
	}
	/* Copies in an ad-hoc list wait on the first one's call (a run's
	 * candidates are one per content already). */
	if (!claim(b, c->hash, is_run(b) ? NULL : c->path)) {
		return;
	}
	struct job *job = xcalloc(1, sizeof *job);
	memcpy(job->hash, c->hash, sizeof job->hash);
	job->image_id = c->image_id;
	job->path = xstrdup(c->path);
	job->fill_dims = c->width <= 0 || c->height <= 0;
	g_async_queue_push(b->todo, job);
	b->total++;
}

/* The work: exactly the images asked for, or every candidate of the
 * library, once the runs a dead runner left open are closed. */
static bool
list_work(struct batch *b)
{
	const struct batch_opts *o = &b->opts;
	if (!is_run(b)) {
		return db_queue_images(b->db, o->images, o->n_images, add_candidate, b);
	}
	return db_runs_mark_crashed(b->db) &&
	    db_queue_candidates(b->db, o->model, o->folder, o->force, add_candidate, b) &&
	    (o->force || db_queue_count_done(b->db, o->model, o->folder, &b->skipped));
}

struct batch *
batch_create(const struct batch_opts *opts, enum batch_outcome *outcome, char **cause)
{
	*outcome = BATCH_FAILURES;
	if (opts->n_spaces == 0) {
		*cause = xstrdup("no Space configured (tagcon config set spaces URL, or --space URL)");
		*outcome = BATCH_NO_SPACE;
		return NULL;
	}
	struct batch *b = xcalloc(1, sizeof *b);
	b->opts = *opts;
	b->opts.inflight = opts->inflight > 0 ? opts->inflight : 2;
	b->opts.max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 4;
	b->opts.progress_ms = opts->progress_ms > 0 ? opts->progress_ms : 250;
	if (is_run(b) && (b->lock = runlock_acquire(opts->db_path, cause)) == NULL) {
		*outcome = BATCH_BUSY;
		free(b);
		return NULL;
	}
	b->db = db_open(opts->db_path, cause);
	b->todo = g_async_queue_new();
	b->ready = g_async_queue_new();
	g_mutex_init(&b->contents_lock);
	b->contents = g_hash_table_new_full(hash_hash, hash_equal, free,
	    (GDestroyNotify)free_twins);
	b->outcomes = g_async_queue_new();
	g_mutex_init(&b->snap_lock);
	g_mutex_init(&b->prep_lock);
	g_cond_init(&b->prep_cond);
	if (b->db == NULL) {
		batch_destroy(b);
		return NULL;
	}
	if (!list_work(b)) {
		*cause = xstrdup(db_errmsg(b->db));
		*outcome = db_busy(b->db) ? BATCH_BUSY : BATCH_FAILURES;
		batch_destroy(b);
		return NULL;
	}
	b->remaining = b->total;
	*outcome = BATCH_OK;
	return b;
}

bool
batch_enqueue(struct batch *b, int64_t image_id, const char *path, const uint8_t hash[16])
{
	if (!claim(b, hash, path)) {
		return false;
	}
	struct job *job = xcalloc(1, sizeof *job);
	memcpy(job->hash, hash, sizeof job->hash);
	job->image_id = image_id;
	job->path = xstrdup(path);
	/* New arrivals go first (the watcher's promise). */
	g_async_queue_push_front(b->todo, job);
	atomic_fetch_add(&b->arrivals, 1);
	return true;
}

/* ---- the writer ---- */

static bool
store_answer(struct batch *b, struct job *job)
{
	bool ok = results_store(b->db, job->image_id, b->opts.model, b->opts.floor, job->space,
	    job->answer);
	if (ok && job->fill_dims && job->prep != NULL) {
		ok = db_image_set_dims(b->db, job->image_id, job->prep->orig_width,
		    job->prep->orig_height);
		b->filled += ok;
	}
	return ok;
}

/* The event of outcome o (NULL for progress), about path when it is not
 * the job's own (a copy that waited on it). */
static void
emit(struct batch *b, enum batch_event_kind kind, const struct outcome *o, const char *path,
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

struct writer {
	struct batch *b;
	double started;
	double last_tick;
	struct rate rate;
	struct batch_progress p;
	struct batch_space_view *views;
	size_t n_views;
	const char *state;
	bool db_failed;
	char *db_error;
};

static void
fill_progress(struct writer *w)
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
	cJSON_AddStringToObject(doc, "path", o->job->path);
	cJSON_AddStringToObject(doc, "model", b->opts.model);
	if (o->message != NULL) {
		cJSON_AddStringToObject(doc, "error", o->message);
	}
	if (!ok && cJSON_GetArraySize(b->failures) < NOTICE_FAILURES) {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "path", o->job->path);
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

static void
notify_finish(struct batch *b, const struct batch_progress *p)
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
	notify_post(b->notify, text);
	free(text);
	cJSON_Delete(doc);
}

static void
handle(struct writer *w, struct outcome *o)
{
	struct batch *b = w->b;
	switch (o->kind) {
	case OUT_DONE:
		if (!store_answer(b, o->job)) {
			w->db_failed = true;
			free(w->db_error);
			w->db_error = xstrdup(db_errmsg(b->db));
			atomic_store(&b->stopping, 1);
			break;
		}
		b->done++;
		b->remaining--;
		emit(b, BATCH_EV_DONE, o, NULL, &w->p);
		notify_image(b, o, true);
		break;
	case OUT_FAILED:
		if (is_run(b) && !db_queue_give_up(b->db, o->job->image_id,
		    o->message ? o->message : "failed")) {
			w->db_failed = true;
		}
		b->failed++;
		b->remaining--;
		emit(b, BATCH_EV_FAILED, o, NULL, &w->p);
		notify_image(b, o, false);
		break;
	case OUT_RETRY:
		emit(b, BATCH_EV_RETRY, o, NULL, &w->p);
		break;
	case OUT_SPACE:
		emit(b, BATCH_EV_SPACE, o, NULL, &w->p);
		break;
	case OUT_HEDGE:
		emit(b, BATCH_EV_HEDGE, o, NULL, &w->p);
		break;
	case OUT_NO_SPACE:
	case OUT_NET_IDLE:
		break;
	}
	if (o->job != NULL) {
		if (o->job->prep != NULL) {
			prepared_release(b);
		}
		/* Copies that arrived while this content was on its way share
		 * its fate (the answer is stored for the content). */
		GPtrArray *twins = release(b, o->job->hash);
		for (guint i = 0; twins != NULL && i < twins->len; i++) {
			emit(b, o->kind == OUT_DONE ? BATCH_EV_DONE : BATCH_EV_FAILED, o,
			    twins->pdata[i], &w->p);
		}
		free_twins(twins);
		job_free(o->job);
	}
}

static const char *
current_state(struct writer *w)
{
	struct batch *b = w->b;
	if (atomic_load(&b->stopping) > 0) {
		return b->remaining > 0 ? "cancelling" : "finishing";
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

static void
tick(struct writer *w, bool final)
{
	struct batch *b = w->b;
	int n = atomic_exchange(&b->arrivals, 0);
	b->total += n;
	b->remaining += n;
	if (!final && is_run(b)) {
		take_control(w);
	}
	fill_progress(w);
	if (!final) {
		w->state = current_state(w);
		w->p.state = w->state;
	} else {
		w->p.eta_s = -1;
	}
	if (is_run(b)) {
		write_rows(w, final);
	}
	emit(b, final ? BATCH_EV_FINISH : BATCH_EV_PROGRESS, NULL, NULL, &w->p);
	w->last_tick = clock_s();
}

static void
start_workers(struct batch *b)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	/* One prepare worker per core, each libvips pipeline on one thread:
	 * vips' own thread pool on top would oversubscribe the cores. */
	vips_concurrency_set(1);
	b->n_workers = b->opts.prepare_threads > 0 ? b->opts.prepare_threads :
	    (int)(cores > 0 ? cores : 2);
	/* Enough prepared images to keep every slot busy, and a few more. */
	b->prepared_max = (int)b->opts.n_spaces * b->opts.inflight * 2 + b->n_workers;
	b->workers = xcalloc((size_t)b->n_workers, sizeof *b->workers);
	for (int i = 0; i < b->n_workers; i++) {
		b->workers[i] = g_thread_new("tagcon-prep", worker_main, b);
	}
}

static void
stop_workers(struct batch *b)
{
	g_mutex_lock(&b->prep_lock);
	g_cond_broadcast(&b->prep_cond);
	g_mutex_unlock(&b->prep_lock);
	for (int i = 0; i < b->n_workers; i++) {
		/* Markers go behind the queued jobs: workers drop those, as
		 * stopping is set, and then meet their marker. */
		g_async_queue_push(b->todo, xcalloc(1, sizeof(struct job)));
	}
	for (int i = 0; i < b->n_workers; i++) {
		g_thread_join(b->workers[i]);
	}
	free(b->workers);
	b->workers = NULL;
	b->n_workers = 0;
}

static bool
start_run(struct batch *b, char **cause)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	struct db_run run = {
		.pid = (int)getpid(),
		.host = host,
		.model = (char *)b->opts.model,
		.folder = (char *)b->opts.folder,
		.total = b->total,
	};
	if (!db_run_start(b->db, &run)) {
		*cause = xstrdup(db_errmsg(b->db));
		return false;
	}
	b->run_id = run.id;
	return true;
}

/* The writer's loop: until every job is final, or a stop has drained. */
static void
write_loop(struct writer *w)
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
		if (o != NULL) {
			net_idle = o->kind == OUT_NET_IDLE;
			no_space = no_space || o->kind == OUT_NO_SPACE;
			handle(w, o);
			outcome_free(o);
		}
		if (clock_s() - w->last_tick >= b->opts.progress_ms / 1e3) {
			tick(w, false);
		}
	}
	/* Outcomes posted after the network thread's last word. */
	struct outcome *o;
	while ((o = g_async_queue_try_pop(b->outcomes)) != NULL) {
		handle(w, o);
		outcome_free(o);
	}
	w->state = no_space ? "failed" : b->remaining > 0 ? "cancelled" : "finished";
	if (no_space) {
		b->remaining = -1; /* marks the outcome below */
	}
}

/* From the notify thread: through the outcome queue, like every event. */
static void
notify_warn(void *ud, const char *msg)
{
	outcome_post(ud, OUT_SPACE, NULL, "notify_url", "failing", msg);
}

enum batch_outcome
batch_run(struct batch *b, char **cause)
{
	struct writer w = {.b = b, .started = clock_s(), .state = "running"};
	if (is_run(b) && !start_run(b, cause)) {
		return BATCH_FAILURES;
	}
	if (is_run(b) && b->opts.notify_url != NULL && *b->opts.notify_url != '\0') {
		b->notify = notify_create(b->opts.notify_url, notify_warn, b, cause);
		if (b->notify == NULL) {
			return BATCH_FAILURES;
		}
		b->failures = cJSON_CreateArray();
	}
	if (!dispatch_start(b, cause)) {
		/* A Space URL that is not one: no Space can tag. */
		dispatch_join(b);
		return BATCH_NO_SPACE;
	}
	start_workers(b);
	fill_progress(&w);
	emit(b, BATCH_EV_START, NULL, NULL, &w.p);
	write_loop(&w);
	bool no_space = b->remaining == -1;
	stop_workers(b);
	/* The network thread has stopped; its last snapshot is still there. */
	tick(&w, true);
	dispatch_join(b);
	notify_finish(b, &w.p);
	/* Bounded: a dead notification URL delays the exit, never the run. */
	notify_destroy(b->notify, 15000);
	b->notify = NULL;
	struct outcome *late;
	while ((late = g_async_queue_try_pop(b->outcomes)) != NULL) {
		handle(&w, late);
		outcome_free(late);
	}
	dispatch_snapshot_free(w.views, w.n_views);
	if (w.db_failed) {
		*cause = w.db_error != NULL ? w.db_error : xstrdup(db_errmsg(b->db));
		return db_busy(b->db) ? BATCH_BUSY : BATCH_FAILURES;
	}
	free(w.db_error);
	if (no_space) {
		*cause = xstrdup("no Space can tag: every Space is unreachable, refuses the token "
		    "or is not a wd-tagger app (see tagcon spaces)");
		return BATCH_NO_SPACE;
	}
	if (b->failed > 0) {
		*cause = xasprintf("%lld image%s failed (see tagcon status)", (long long)b->failed,
		    b->failed == 1 ? "" : "s");
		return BATCH_FAILURES;
	}
	if (b->remaining > 0) {
		*cause = xasprintf("stopped: %lld image%s left for the next run",
		    (long long)b->remaining, b->remaining == 1 ? "" : "s");
		return BATCH_FAILURES;
	}
	return BATCH_OK;
}

void
batch_destroy(struct batch *b)
{
	if (b == NULL) {
		return;
	}
	struct job *job;
	while ((job = g_async_queue_try_pop(b->todo)) != NULL) {
		job_free(job);
	}
	while ((job = g_async_queue_try_pop(b->ready)) != NULL) {
		job_free(job);
	}
	struct outcome *o;
	while ((o = g_async_queue_try_pop(b->outcomes)) != NULL) {
		job_free(o->job);
		outcome_free(o);
	}
	g_async_queue_unref(b->todo);
	g_async_queue_unref(b->ready);
	g_async_queue_unref(b->outcomes);
	g_mutex_clear(&b->snap_lock);
	g_mutex_clear(&b->prep_lock);
	g_mutex_clear(&b->contents_lock);
	g_hash_table_destroy(b->contents);
	g_cond_clear(&b->prep_cond);
	notify_destroy(b->notify, 1);
	cJSON_Delete(b->failures);
	db_close(b->db);
	runlock_release(b->lock);
	free(b);
}
