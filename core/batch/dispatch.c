/*
 * dispatch.c — the network thread of a batch run: hand prepared images to
 * the Spaces that can take them, read their answers, keep each Space's
 * health.
 *
 * Everything here runs on one thread around net_poll(); prepare workers
 * and the writer reach it only through the ready queue, atomics and
 * dispatch_wake().
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/batch/batch-private.h"
#include "common/clock.h"
#include "core/batch/models.h"
#include "core/batch/runlock.h"
#include "common/xalloc.h"

/* The longest net_poll wait: control changes and snapshots need no more. */
#define POLL_MAX_MS 200
/* Consecutive failures saying a Space is not there (slot.absent_streak)
 * after which, while no Space has answered in this run, it counts as not
 * there at all. */
#define ABSENT_GIVE_UP 3
/* A lost request is sent again at no cost, the Space left alone: a restart
 * loses what was in flight.  A Space that loses this many in a row is not
 * restarting but broken: from then on a loss counts as a server error
 * (backoff for the Space, an attempt for the image), or it would be asked
 * again and again for ever. */
#define LOST_FREE 12

struct flight {
	struct batch *b;
	struct slot *slot;
	struct job *job;
	struct space_job *sj;
	int64_t started; /* clock_ms() when it was sent */
	bool hedge;      /* a copy of a request late on another Space */
};

void
dispatch_wake(struct batch *b)
{
	if (b->net != NULL) {
		net_wakeup(b->net);
	}
}

static double
slot_median(const struct slot *s)
{
	unsigned v[HEALTH_LATENCIES];
	unsigned n = health_latencies(&s->health, v);
	return health_quantile(v, n, 0.5);
}

/* A job goes back to the front: it waited longest. */
static void
requeue(struct batch *b, struct job *job)
{
	g_queue_push_head(&b->local_ready, job);
}

/* Whether s is out of this run for good: it refused the token, is not a
 * tagger, or was never there while no Space has answered yet. */
static bool
slot_gone(const struct batch *b, const struct slot *s)
{
	return s->health.state == HEALTH_AUTH_FAILED || s->health.state == HEALTH_UNUSABLE ||
	    (!b->any_success && s->absent_streak >= ABSENT_GIVE_UP);
}

/* When the soonest Space that may still answer can take a request: now if
 * one can, or has a request out (its answer may free it); INT64_MAX when
 * none is left. */
static int64_t
earliest_try(const struct batch *b, int64_t now)
{
	int64_t t = INT64_MAX;
	for (size_t i = 0; i < b->n_slots; i++) {
		const struct health *h = &b->slots[i].health;
		if (!health_usable(h) || slot_gone(b, &b->slots[i])) {
			continue;
		}
		int64_t at = health_can_send(h, now) || h->in_flight > 0 || h->next_try < now ?
		    now : h->next_try;
		t = at < t ? at : t;
	}
	return t;
}

/* With patience (batch_opts.patience_ms): whether job has waited long
 * enough, its time being up or no Space able to try it again before it is.
 * Never while no Space is left: the work then ends with the job as it was. */
static bool
out_of_time(const struct batch *b, const struct job *job, int64_t now)
{
	if (b->opts.patience_ms <= 0 || job->first_try == 0) {
		return false;
	}
	int64_t deadline = job->first_try + b->opts.patience_ms;
	int64_t next = earliest_try(b, now);
	return next != INT64_MAX && (now >= deadline || next > deadline);
}

/* A refusal that asks for a wait: the Space is there. */
static bool
asks_wait(enum spaceerr_class cls)
{
	return cls == SPACEERR_WAKING || cls == SPACEERR_QUEUE_FULL ||
	    cls == SPACEERR_RATE_LIMITED;
}

static void take_back(struct batch *b, struct slot *s, const char *why);

/* A request on s failed with err: what it says of the Space, and whether
 * the image spent an attempt. */
static void
space_failed(struct batch *b, struct slot *s, struct job *job, const struct spaceerr *err,
    int64_t now)
{
	enum spaceerr_class cls = err->cls;
	s->lost_streak = cls == SPACEERR_CANCELLED ? s->lost_streak + 1 : 0;
	if (cls == SPACEERR_CANCELLED && s->lost_streak > LOST_FREE) {
		cls = SPACEERR_SERVER_ERROR;
	}
	/* Failed before the Space ever gave its /config (a page that is not
	 * Gradio's, a dead proxy): the image never reached the model, and the
	 * Space may not be there at all. */
	bool absent = cls == SPACEERR_UNREACHABLE || (!space_ready(s->sp) && !asks_wait(cls));
	health_on_error(&s->health, cls, err->retry_after_ms, now);
	s->absent_streak = absent ? s->absent_streak + 1 : 0;
	free(s->last_error);
	s->last_error = xstrdup(err->message != NULL ? err->message : "failed");
	if (health_costs_attempt(cls) && !absent) {
		s->failed++;
		job->attempts++;
	}
	if (cls == SPACEERR_TIMEOUT) {
		/* A Space that stopped answering one request is not trusted
		 * with the others: they go back now rather than time out too. */
		take_back(b, s, s->last_error);
	}
}

/* job's request on s failed with err; unless a copy of it is still in
 * flight elsewhere, the job goes back to the queue, or fails. */
static void
request_failed(struct batch *b, struct slot *s, struct job *job, const struct spaceerr *err,
    int64_t now)
{
	space_failed(b, s, job, err, now);
	free(job->last_error);
	job->last_error = xstrdup(s->last_error);
	free(job->space);
	job->space = xstrdup(s->url);
	if (job->flights > 0) {
		return; /* the copy may still answer */
	}
	if (job->attempts >= b->opts.max_attempts || out_of_time(b, job, now)) {
		outcome_post(b, OUT_FAILED, job, s->url, NULL, job->last_error);
	} else {
		outcome_post(b, OUT_RETRY, job, s->url, NULL, s->last_error);
		requeue(b, job);
	}
}

static struct job *stop_flight(struct batch *b, struct flight *f);

/* The other copy of job, answered first by winner: stopped (its stream
 * closed).  When the answer came from a hedge, the Space of the original
 * was late beyond what its latency allows: it counts as failing. */
static void
abandon_copies(struct batch *b, struct job *job, const struct flight *winner, int64_t now)
{
	for (guint i = 0; i < b->flights->len; i++) {
		struct flight *f = b->flights->pdata[i];
		if (f->job != job) {
			continue;
		}
		struct slot *s = f->slot;
		double late_s = (now - f->started) / 1e3;
		bool original = !f->hedge;
		stop_flight(b, f);
		i = (guint)-1;
		if (winner->hedge && original) {
			struct spaceerr err = SPACEERR_INIT;
			spaceerr_set(&err, SPACEERR_TIMEOUT, "timed out: no answer after %.1f s, "
			    "while %s answered the same image", late_s, winner->slot->url);
			space_failed(b, s, job, &err, now);
			spaceerr_fini(&err);
		}
	}
}

static void
request_answered(struct batch *b, struct flight *f, struct space_result *res, int64_t now)
{
	struct slot *s = f->slot;
	struct job *job = f->job;
	health_on_success(&s->health, now);
	/* A Space that answers again has no "last error" to show. */
	free(s->last_error);
	s->last_error = NULL;
	b->any_success = true;
	s->absent_streak = 0;
	s->lost_streak = 0;
	s->done++;
	health_note_latency(&s->health, res->latency_ms);
	abandon_copies(b, job, f, now);
	free(job->space);
	job->space = xstrdup(s->url);
	job->answer = res->answer;
	res->answer = NULL;
	job->latency_ms = res->latency_ms;
	job->bytes_sent = res->bytes_sent;
	atomic_fetch_add(&b->image_bytes, (int_fast64_t)job->prep->orig_bytes);
	char *cause = NULL;
	if (atomic_load(&b->db_locked) && !batch_keep(b, job, &cause)) {
		/* The writer tries again, and stops the run if it cannot. */
		free(cause);
	}
	outcome_post(b, OUT_DONE, job, s->url, NULL, NULL);
}

static void
on_result(struct space_result *res, void *arg)
{
	struct flight *f = arg;
	struct batch *b = f->b;
	int64_t now = clock_ms();
	g_ptr_array_remove_fast(b->flights, f);
	f->job->flights--;
	atomic_fetch_add(&b->bytes_sent, (int_fast64_t)res->bytes_sent);
	if (res->err.cls == SPACEERR_NONE) {
		request_answered(b, f, res, now);
	} else {
		request_failed(b, f->slot, f->job, &res->err, now);
	}
	free(f);
	space_result_fini(res);
}

/* Stop flight f (not from its own callback) and forget it: its callback
 * will not come.  The job is the caller's again once no copy of it flies. */
static struct job *
stop_flight(struct batch *b, struct flight *f)
{
	struct job *job = f->job;
	space_job_cancel(f->sj);
	health_on_cancel(&f->slot->health);
	g_ptr_array_remove_fast(b->flights, f);
	job->flights--;
	free(f);
	return job;
}

/* Every image in flight on s goes back to the queue, costing no attempt
 * (or, when a copy of it flies elsewhere, waits on that copy): the Space is
 * failing and they would wait on it for nothing. */
static void
take_back(struct batch *b, struct slot *s, const char *why)
{
	for (guint i = b->flights->len; i-- > 0;) {
		struct flight *f = b->flights->pdata[i];
		if (f->slot != s) {
			continue;
		}
		struct job *job = stop_flight(b, f);
		i = b->flights->len; /* the array moved: start over */
		if (job->flights == 0) {
			outcome_post(b, OUT_RETRY, job, s->url, NULL, why);
			requeue(b, job);
		}
	}
}

/* The request as a whole (upload, call, stream) has its deadline too: the
 * network's bounds each HTTP request, this the sum. */
static void
expire_flights(struct batch *b, int64_t now)
{
	long deadline = b->opts.deadline_ms > 0 ? b->opts.deadline_ms : NET_DEFAULT_DEADLINE_MS;
	for (guint i = 0; i < b->flights->len; i++) {
		struct flight *f = b->flights->pdata[i];
		if (now - f->started < deadline) {
			continue;
		}
		struct slot *s = f->slot;
		struct job *job = stop_flight(b, f);
		struct spaceerr err = SPACEERR_INIT;
		spaceerr_set(&err, SPACEERR_TIMEOUT, "timed out: no answer within %g s "
		    "(request_deadline)", deadline / 1e3);
		request_failed(b, s, job, &err, now);
		spaceerr_fini(&err);
		i = (guint)-1; /* flights were taken back: start over */
	}
}

/* What the probe of s says: it offers the model (then images may go), it
 * does not (then it is out of this run), or it is not there yet. */
static void
on_probe(struct space_info *info, void *arg)
{
	struct slot *s = arg;
	struct batch *b = s->batch;
	int64_t now = clock_ms();
	s->probe = NULL;
	free(s->last_error);
	s->last_error = NULL;
	if (info->err.cls != SPACEERR_NONE) {
		enum spaceerr_class cls = info->err.cls;
		health_on_error(&s->health, cls, info->err.retry_after_ms, now);
		s->absent_streak = cls == SPACEERR_UNREACHABLE || !asks_wait(cls) ?
		    s->absent_streak + 1 : 0;
		s->last_error = xstrdup(info->err.message != NULL ? info->err.message : "failed");
	} else if (models_offered(info, b->opts.model)) {
		health_on_success(&s->health, now);
		s->absent_streak = 0;
		s->checked = true;
	} else {
		char *offer = models_offer_text(info);
		char *model = spaceerr_quote(b->opts.model, strlen(b->opts.model));
		health_on_error(&s->health, SPACEERR_UNSUPPORTED, -1, now);
		s->last_error = xasprintf("model %s is not offered here (%s)", model, offer);
		s->wrong_model = true;
		free(model);
		free(offer);
	}
}

/* Spaces not yet known to offer the model are probed (one at a time, as
 * their health allows). */
static void
check_models(struct batch *b, int64_t now)
{
	if (atomic_load(&b->stopping) > 0) {
		return;
	}
	for (size_t i = 0; i < b->n_slots; i++) {
		struct slot *s = &b->slots[i];
		if (!s->checked && s->probe == NULL && health_can_send(&s->health, now)) {
			health_on_send(&s->health, now);
			s->probe = space_probe_start(s->sp, b->net, on_probe, s);
		}
	}
}

/* The usable Space with a free slot and the most room, or NULL. */
static struct slot *
pick(struct batch *b, int64_t now)
{
	struct slot *best = NULL;
	double best_load = 2;
	for (size_t i = 0; i < b->n_slots; i++) {
		struct slot *s = &b->slots[i];
		if (!s->checked || !health_can_send(&s->health, now)) {
			continue;
		}
		double load = (double)s->health.in_flight / s->health.limit;
		if (load < best_load) {
			best = s;
			best_load = load;
		}
	}
	return best;
}

static void
send_one(struct batch *b, struct slot *s, struct job *job, int64_t now, bool hedge)
{
	struct flight *f = xcalloc(1, sizeof *f);
	f->b = b;
	f->slot = s;
	f->job = job;
	f->started = now;
	f->hedge = hedge;
	job->flights++;
	struct space_image img = {
		.data = job->prep->data,
		.len = job->prep->len,
		.mime = job->prep->mime,
		.filename = job->prep->filename,
	};
	health_on_send(&s->health, now);
	g_ptr_array_add(b->flights, f);
	f->sj = space_tag_start(s->sp, b->net, &img, b->opts.model, b->opts.floor, on_result, f);
}

static void
take_ready(struct batch *b)
{
	struct job *job;
	while ((job = g_async_queue_try_pop(b->ready)) != NULL) {
		if (job->prep == NULL) {
			/* The worker could not prepare it: final now. */
			outcome_post(b, OUT_FAILED, job, NULL, NULL, job->last_error);
		} else {
			/* Patience counts from here: no Space may ever be able to
			 * take it (asleep, or not offering the model). */
			job->first_try = job->first_try != 0 ? job->first_try : clock_ms();
			g_queue_push_tail(&b->local_ready, job);
		}
	}
}

/* Why an image that never reached a Space waited in vain: the last error
 * of a Space that could still serve, else of any. */
static const char *
why_unsent(const struct batch *b)
{
	const char *why = NULL;
	for (size_t i = 0; i < b->n_slots; i++) {
		const struct slot *s = &b->slots[i];
		if (s->last_error != NULL && (why == NULL || health_usable(&s->health))) {
			why = s->last_error;
		}
	}
	return why != NULL ? why : "no Space could take it in time";
}

/* With patience: jobs waiting here whose time is up fail now. */
static void
expire(struct batch *b, int64_t now)
{
	GList *next;
	for (GList *l = b->local_ready.head; l != NULL && b->opts.patience_ms > 0; l = next) {
		struct job *job = l->data;
		next = l->next;
		if (out_of_time(b, job, now)) {
			g_queue_delete_link(&b->local_ready, l);
			if (job->last_error == NULL) {
				job->last_error = xstrdup(why_unsent(b));
			}
			outcome_post(b, OUT_FAILED, job, job->space, NULL, job->last_error);
		}
	}
}

static void
dispatch_ready(struct batch *b, int64_t now)
{
	if (atomic_load(&b->paused) || atomic_load(&b->stopping) > 0) {
		return;
	}
	while (!g_queue_is_empty(&b->local_ready)) {
		struct slot *s = pick(b, now);
		if (s == NULL) {
			return;
		}
		send_one(b, s, g_queue_pop_head(&b->local_ready), now, false);
	}
}

/* Every Space's 95th percentile latency, -1 while none answered. */
static double
pooled_p95(const struct batch *b)
{
	unsigned *v = xcalloc(b->n_slots * HEALTH_LATENCIES + 1, sizeof *v);
	unsigned n = 0;
	for (size_t i = 0; i < b->n_slots; i++) {
		n += health_latencies(&b->slots[i].health, v + n);
	}
	double p95 = health_quantile(v, n, 0.95);
	free(v);
	return p95;
}

/* The flight most overdue for a copy (see health_hedge_after), or NULL. */
static struct flight *
most_overdue(struct batch *b, int64_t now)
{
	double pooled = pooled_p95(b);
	struct flight *late = NULL;
	int64_t most = 0;
	for (guint i = 0; i < b->flights->len; i++) {
		struct flight *f = b->flights->pdata[i];
		int64_t after = health_hedge_after(&f->slot->health, pooled);
		int64_t over = now - f->started - after;
		if (f->job->hedged || after < 0 || over < 0) {
			continue;
		}
		if (late == NULL || over > most) {
			late = f;
			most = over;
		}
	}
	return late;
}

/* A Space that has proven itself and can take a request now, other than
 * busy, with the most room; NULL when none. */
static struct slot *
pick_idle(struct batch *b, const struct slot *busy, int64_t now)
{
	struct slot *best = NULL;
	for (size_t i = 0; i < b->n_slots; i++) {
		struct slot *s = &b->slots[i];
		if (s == busy || s->health.state != HEALTH_READY ||
		    !health_can_send(&s->health, now)) {
			continue;
		}
		if (best == NULL || s->health.in_flight < best->health.in_flight) {
			best = s;
		}
	}
	return best;
}

/*
 * The tail (DESIGN.md §5): once no image waits to be sent, an image in
 * flight longer than its Space's latency allows goes to an idle Space as
 * well.  One copy per image; the first answer is stored and the other
 * request abandoned (abandon_copies).  While images wait, a free slot has
 * better use, and a healthy run never gets this far: its requests are
 * never that late.
 */
static void
hedge(struct batch *b, int64_t now)
{
	if (atomic_load(&b->paused) || atomic_load(&b->stopping) > 0 ||
	    !g_queue_is_empty(&b->local_ready) || g_async_queue_length(b->todo) > 0) {
		return;
	}
	struct flight *late;
	struct slot *idle;
	while ((late = most_overdue(b, now)) != NULL &&
	    (idle = pick_idle(b, late->slot, now)) != NULL) {
		struct job *job = late->job;
		char *why = xasprintf("in flight on %s for %.1f s", late->slot->url,
		    (now - late->started) / 1e3);
		job->hedged = true;
		idle->hedges++;
		send_one(b, idle, job, now, true);
		outcome_post(b, OUT_HEDGE, job, idle->url, NULL, why);
		free(why);
	}
}

/* Why every Space is gone: "URL: last error; …" (new string), and
 * whether it is only that none offers the model. */
static char *
gone_why(const struct batch *b, bool *wrong_model)
{
	GString *why = g_string_new(NULL);
	*wrong_model = true;
	for (size_t i = 0; i < b->n_slots; i++) {
		const struct slot *s = &b->slots[i];
		*wrong_model = *wrong_model && s->wrong_model;
		g_string_append_printf(why, "%s%s: %s", i ? "; " : "", s->url,
		    s->last_error != NULL ? s->last_error : health_state_name(&s->health));
	}
	return g_string_free(why, FALSE);
}

/* Apply the user's enable/disable choices; tell the writer of changes. */
static void
sync_slots(struct batch *b)
{
	bool all_dead = b->n_slots > 0;
	for (size_t i = 0; i < b->n_slots; i++) {
		struct slot *s = &b->slots[i];
		bool off = atomic_load(&s->disabled);
		if (off != (s->health.state == HEALTH_DISABLED)) {
			health_set_disabled(&s->health, off);
		}
		const char *state = health_state_name(&s->health);
		if (s->reported == NULL || strcmp(state, s->reported) != 0) {
			s->reported = state;
			outcome_post(b, OUT_SPACE, NULL, s->url, state, s->last_error);
		}
		all_dead = all_dead && slot_gone(b, s);
	}
	/* A watcher never gives up: its images wait for a Space to return. */
	if (all_dead && !b->opts.keep_open && !atomic_load(&b->finished)) {
		atomic_store(&b->finished, true);
		b->gone_why = gone_why(b, &b->wrong_model);
		outcome_post(b, OUT_NO_SPACE, NULL, NULL, NULL, NULL);
	}
}

static void
snapshot(struct batch *b, int64_t now)
{
	g_mutex_lock(&b->snap_lock);
	int64_t in_flight = 0;
	for (size_t i = 0; i < b->n_slots; i++) {
		struct slot *s = &b->slots[i];
		struct batch_space_view *v = &b->snap[i];
		free((char *)v->last_error);
		*v = (struct batch_space_view){
			.url = s->url,
			.state = health_state_name(&s->health),
			.in_flight = s->health.in_flight,
			.done = s->done,
			.failed = s->failed,
			.hedges = s->hedges,
			.latency_ms = slot_median(s),
			.last_error = s->last_error != NULL ? xstrdup(s->last_error) : NULL,
			.retry_in_s = s->health.next_try > now ? (s->health.next_try - now) / 1e3 : 0,
		};
		in_flight += s->health.in_flight;
	}
	b->snap_in_flight = in_flight;
	g_mutex_unlock(&b->snap_lock);
}

size_t
dispatch_snapshot(struct batch *b, struct batch_space_view **views, int64_t *in_flight)
{
	g_mutex_lock(&b->snap_lock);
	*views = xcalloc(b->n_slots + 1, sizeof **views);
	for (size_t i = 0; i < b->n_slots; i++) {
		(*views)[i] = b->snap[i];
		if (b->snap[i].last_error != NULL) {
			(*views)[i].last_error = xstrdup(b->snap[i].last_error);
		}
	}
	*in_flight = b->snap_in_flight;
	g_mutex_unlock(&b->snap_lock);
	return b->n_slots;
}

void
dispatch_snapshot_free(struct batch_space_view *views, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)views[i].last_error);
	}
	free(views);
}

/* How long net_poll may wait: until the next Space comes off backoff. */
static int
poll_timeout(struct batch *b, int64_t now)
{
	int64_t t = POLL_MAX_MS;
	if (g_queue_is_empty(&b->local_ready)) {
		return (int)t;
	}
	for (size_t i = 0; i < b->n_slots; i++) {
		int64_t next = b->slots[i].health.next_try;
		if (health_usable(&b->slots[i].health) && next > now && next - now < t) {
			t = next - now;
		}
	}
	return (int)(t > 0 ? t : 0);
}

static void
cancel_flights(struct batch *b)
{
	while (b->flights->len > 0) {
		struct job *job = stop_flight(b, b->flights->pdata[b->flights->len - 1]);
		if (job->flights == 0) {
			requeue(b, job);
		}
	}
}

static gpointer
net_main(gpointer arg)
{
	struct batch *b = arg;
	for (;;) {
		int64_t now = clock_ms();
		take_ready(b);
		expire_flights(b, now);
		check_models(b, now);
		sync_slots(b);
		expire(b, now);
		dispatch_ready(b, now);
		hedge(b, now);
		snapshot(b, now);
		int stopping = atomic_load(&b->stopping);
		if (stopping >= 2) {
			cancel_flights(b);
		}
		if (stopping > 0 && b->flights->len == 0) {
			break;
		}
		net_poll(b->net, poll_timeout(b, now), NULL, 0);
	}
	snapshot(b, clock_ms());
	/* Whatever never left goes back to the library untouched: it stays
	 * pending there for the next run. */
	struct job *job;
	take_ready(b);
	while ((job = g_queue_pop_head(&b->local_ready)) != NULL) {
		job_free(job);
	}
	outcome_post(b, OUT_NET_IDLE, NULL, NULL, NULL, NULL);
	return NULL;
}

bool
dispatch_start(struct batch *b, char **cause)
{
	struct net_opts no = {
		.connect_timeout_ms = b->opts.connect_timeout_ms,
		.idle_timeout_ms = b->opts.idle_timeout_ms,
		.deadline_ms = b->opts.deadline_ms,
		.max_wait_ms = b->opts.max_wait_ms,
	};
	b->net = net_create(&no);
	b->flights = g_ptr_array_new();
	g_queue_init(&b->local_ready);
	b->any_success = false;
	b->slots = xcalloc(b->opts.n_spaces, sizeof *b->slots);
	b->snap = xcalloc(b->opts.n_spaces, sizeof *b->snap);
	for (size_t i = 0; i < b->opts.n_spaces; i++) {
		struct slot *s = &b->slots[b->n_slots];
		s->sp = space_create(b->opts.spaces[i], b->opts.token, cause);
		if (s->sp == NULL) {
			return false;
		}
		s->url = xstrdup(space_url(s->sp));
		s->batch = b;
		health_init(&s->health, b->opts.inflight, 0x5eed + i * 7919 + (uint64_t)time(NULL));
		health_set_max_wait(&s->health, b->opts.max_wait_ms);
		/* The snapshot is read before the thread takes its first one. */
		b->snap[b->n_slots] = (struct batch_space_view){
			.url = s->url,
			.state = health_state_name(&s->health),
			.latency_ms = -1,
		};
		b->n_slots++;
	}
	b->net_thread = g_thread_new("tagcon-net", net_main, b);
	return true;
}

void
dispatch_join(struct batch *b)
{
	if (b->net_thread != NULL) {
		g_thread_join(b->net_thread);
		b->net_thread = NULL;
	}
	for (size_t i = 0; i < b->n_slots; i++) {
		space_destroy(b->slots[i].sp);
		free(b->slots[i].url);
		free(b->slots[i].last_error);
		free((char *)b->snap[i].last_error);
	}
	free(b->slots);
	free(b->snap);
	b->slots = NULL;
	b->snap = NULL;
	b->n_slots = 0;
	if (b->flights != NULL) {
		g_ptr_array_free(b->flights, TRUE);
		b->flights = NULL;
	}
	net_destroy(b->net);
	b->net = NULL;
}
