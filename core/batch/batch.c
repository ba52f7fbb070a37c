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
#include "core/image/loader.h"
#include "core/batch/results.h"
#include "core/batch/runlock.h"
#include "core/batch/spool.h"
#include "db/db.h"
#include "db/images.h"
#include "db/queue.h"
#include "db/runs.h"
#include "common/xalloc.h"

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

void
outcome_free(struct outcome *o)
{
	free(o->path);
	free(o->space);
	free(o->state);
	free(o->message);
	free(o);
}

/* ---- prepare workers ---- */

void
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

void
twins_free(GPtrArray *twins)
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
GPtrArray *
content_release(struct batch *b, const uint8_t hash[16])
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
bool
batch_is_run(const struct batch *b)
{
	return b->opts.images == NULL;
}

static void
add_candidate(void *ud, const struct db_candidate *c)
{
	struct batch *b = ud;
	if (b->opts.wanted != NULL && batch_is_run(b) && !b->opts.wanted(b->opts.ud, c->path)) {
		return;
	}
	/* Copies in an ad-hoc list wait on the first one's call (a run's
	 * candidates are one per content already). */
	if (!claim(b, c->hash, batch_is_run(b) ? NULL : c->path)) {
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
	if (!batch_is_run(b)) {
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
	if (batch_is_run(b) && (b->lock = runlock_acquire(opts->db_path, cause)) == NULL) {
		*outcome = BATCH_BUSY;
		free(b);
		return NULL;
	}
	b->db = db_open(opts->db_path, cause);
	b->todo = g_async_queue_new();
	b->ready = g_async_queue_new();
	g_mutex_init(&b->contents_lock);
	b->contents = g_hash_table_new_full(hash_hash, hash_equal, free,
	    (GDestroyNotify)twins_free);
	b->outcomes = g_async_queue_new();
	g_mutex_init(&b->snap_lock);
	g_mutex_init(&b->prep_lock);
	g_cond_init(&b->prep_cond);
	if (b->db == NULL) {
		batch_destroy(b);
		return NULL;
	}
	/* Answers an earlier run received but could not store go in first,
	 * so that they are not asked for again. */
	if (batch_is_run(b) &&
	    !spool_replay(b->db, opts->db_path, opts->stop, &b->restored, cause)) {
		*outcome = db_busy(b->db) ? BATCH_BUSY : BATCH_FAILURES;
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

static void
start_workers(struct batch *b)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	/* One prepare worker per core, each libvips pipeline on one thread:
	 * vips' own thread pool on top would oversubscribe the cores. */
	(void)loader_init(NULL); /* else each prepare says why */
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

/* From the notify thread: through the outcome queue, like every event. */
static void
notify_warn(void *ud, const char *msg)
{
	outcome_post(ud, OUT_SPACE, NULL, "notify_url", "failing", msg);
}

/* What the run came to, and why when not BATCH_OK (new string). */
static enum batch_outcome
conclude(struct writer *w, bool no_space, char **cause)
{
	struct batch *b = w->b;
	if (!g_queue_is_empty(&w->pending)) {
		return writer_left_in_spool(w, cause);
	}
	if (w->stop_error != NULL) {
		*cause = w->stop_error;
		return BATCH_FAILURES;
	}
	if (no_space && b->wrong_model) {
		*cause = xasprintf("no configured Space offers this model; no image was sent or "
		    "changed (%s)", b->gone_why);
		return BATCH_USAGE;
	}
	if (no_space) {
		*cause = xasprintf("no Space can tag (%s); see tagcon spaces",
		    b->gone_why != NULL ? b->gone_why : "none is there");
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

/* The run is over: no Space will be tried again by it, so its last rows
 * and the finish event promise no retry (a finished run's Batch screen
 * counted a retry down on a Space that failed near the end). */
static void
forget_retries(struct batch *b)
{
	g_mutex_lock(&b->snap_lock);
	for (size_t i = 0; i < b->n_slots; i++) {
		b->snap[i].retry_in_s = 0;
	}
	g_mutex_unlock(&b->snap_lock);
}

enum batch_outcome
batch_run(struct batch *b, char **cause)
{
	struct writer w = {.b = b, .started = clock_s(), .state = "running"};
	if (batch_is_run(b) && !start_run(b, cause)) {
		return BATCH_FAILURES;
	}
	if (batch_is_run(b) && b->opts.notify_url != NULL && *b->opts.notify_url != '\0') {
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
	writer_fill_progress(&w);
	writer_emit(b, BATCH_EV_START, NULL, NULL, &w.p);
	writer_loop(&w);
	bool no_space = b->remaining == -1;
	stop_workers(b);
	/* The network thread has stopped; its last snapshot is still there. */
	forget_retries(b);
	writer_tick(&w, true);
	dispatch_join(b);
	writer_notify_finish(b, &w.p);
	/* Bounded: a dead notification URL delays the exit, never the run. */
	notify_destroy(b->notify, 15000);
	b->notify = NULL;
	struct outcome *late;
	while ((late = g_async_queue_try_pop(b->outcomes)) != NULL) {
		writer_handle(&w, late);
	}
	dispatch_snapshot_free(w.views, w.n_views);
	return conclude(&w, no_space, cause);
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
	free(b->gone_why);
	db_close(b->db);
	runlock_release(b->lock);
	free(b);
}
