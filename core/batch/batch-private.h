/*
 * batch-private.h — what the batch engine's threads share (core/batch.c,
 * core/dispatch.c); never included elsewhere.
 */
#ifndef TAGCON_BATCH_PRIVATE_H
#define TAGCON_BATCH_PRIVATE_H

#include <glib.h>
#include <stdatomic.h>

#include "core/batch/batch.h"
#include "core/batch/health.h"
#include "core/image/prepare.h"
#include "core/space/space.h"

/* One image (one content) on its way through the run. */
struct job {
	int64_t image_id;
	char *path;
	int attempts;                /* this run's failed tries */
	struct prepare_result *prep; /* NULL until prepared */
	char *last_error;
	char *space;      /* URL of the Space that answered or failed last */
	uint8_t hash[16]; /* the content's, the key of b->contents */
	struct answer *answer;
	unsigned latency_ms; /* of the request that answered */
	uint64_t bytes_sent; /* by that request */
	int64_t first_try;   /* clock_ms() it was first ready to send (patience) */
	bool fill_dims;   /* the library lacks its dimensions */
	int flights;      /* requests for it in flight: 2 once hedged */
	bool hedged;      /* a copy was sent (at most one per image) */
	int orig_width;   /* of the original, kept when prep goes */
	int orig_height;
	bool spooled;     /* its answer waits in the spool file (spool.h) */
};

enum outcome_kind {
	OUT_DONE,      /* job->answer holds the answer */
	OUT_FAILED,    /* out of attempts, or the file cannot be sent */
	OUT_RETRY,     /* one failed try; the job went back to the queue */
	OUT_SPACE,     /* a Space changed state */
	OUT_HEDGE,     /* a copy of a late request went to another Space (path, space, message) */
	OUT_NO_SPACE,  /* no Space can ever work without the user */
	OUT_NET_IDLE,  /* the network thread stopped */
};

struct outcome {
	enum outcome_kind kind;
	struct job *job;  /* DONE, FAILED (owned: freed by the writer) */
	char *path;       /* RETRY, HEDGE (the job stays with the network thread) */
	char *space;
	char *state;
	char *message;
	int attempts;
};

/* The network thread's view of one Space, shared by snapshot. */
struct slot {
	struct batch *batch;
	struct space *sp;
	/* No image goes to a Space before its probe said it offers the model
	 * (models.h): a wrong model never reaches an image. */
	struct space_job *probe; /* that probe, while in flight */
	bool checked;
	bool wrong_model;        /* it does not offer the model */
	struct health health;
	char *url;
	int64_t done;
	int64_t failed;
	int64_t hedges; /* copies of requests late elsewhere sent here */
	char *last_error;
	const char *reported; /* state last told to the writer */
	/* Consecutive failures saying the Space is not there: unreachable, or
	 * failing before its /config ever came (waits it asked for aside). */
	int absent_streak;
	/* Consecutive requests the Space lost (a stream's "404: Not Found":
	 * the event expired or the Space restarted); see LOST_FREE. */
	int lost_streak;
	atomic_bool disabled; /* set by the writer from the database */
};

struct batch {
	struct batch_opts opts;
	struct db *db; /* the writer's (caller's) handle */
	struct runlock *lock;

	GAsyncQueue *todo;     /* struct job *, for the prepare workers */
	GAsyncQueue *ready;    /* prepared jobs, for the network thread */
	GAsyncQueue *outcomes; /* struct outcome *, for the writer */
	GThread **workers;
	int n_workers;
	GThread *net_thread;
	struct net *net;
	GQueue local_ready;  /* network thread only: prepared, not in flight */
	GPtrArray *flights;  /* network thread only: requests in flight */
	bool any_success;    /* network thread only */

	struct slot *slots;
	size_t n_slots;
	GMutex snap_lock; /* guards the snapshot below */
	struct batch_space_view *snap;
	int64_t snap_in_flight;

	/* Prepared jobs not yet final: bounds memory held in images. */
	GMutex prep_lock;
	GCond prep_cond;
	int prepared;
	int prepared_max;

	atomic_bool paused;
	atomic_int stopping; /* 1 no new requests, 2 cancel in-flight */
	atomic_bool finished;
	atomic_int_fast64_t bytes_sent;
	atomic_int_fast64_t image_bytes;
	atomic_int arrivals; /* batch_enqueue()d, not yet counted by the writer */
	/* The writer waits for the database's lock: answers go to the spool
	 * file as they arrive (batch_keep), not only once the writer has them. */
	atomic_bool db_locked;
	GMutex contents_lock;
	GHashTable *contents; /* hashes of the jobs not yet final: one call each */

	int64_t total;
	int64_t remaining; /* jobs not final; writer only */
	int64_t done, failed, skipped, filled;
	int64_t restored; /* answers kept by an earlier run, stored at the start */
	int64_t run_id;
	/* Set by the network thread when no Space is left: each one's last
	 * error, and whether none offers the model (for batch_run, once that
	 * thread is gone). */
	char *gone_why;
	bool wrong_model;
	struct notify *notify; /* NULL without notify_url */
	void *failures;        /* cJSON array of the first failures, for the notice */
};

void job_free(struct job *job);
void outcome_free(struct outcome *o);
/* A prepared image left memory: a worker may prepare the next. */
void prepared_release(struct batch *b);
/* Whether b is a run (not an ad-hoc job, batch.h). */
bool batch_is_run(const struct batch *b);
/* Drop the claim on a content; the paths of the copies that waited on it
 * (NULL or an array, for twins_free). */
GPtrArray *content_release(struct batch *b, const uint8_t hash[16]);
void twins_free(GPtrArray *twins);
/* Put job's answer into the spool file (spool.h), once; any thread.  False
 * with *cause when it cannot be written. */
bool batch_keep(struct batch *b, struct job *job, char **cause);
void outcome_post(struct batch *b, enum outcome_kind kind, struct job *job, const char *space,
    const char *state, const char *message);

/* writer.c: the caller's thread. */
/* Recent (time, done) samples for the rate: a 10 s window. */
#define RATE_WINDOW_S 10.0
#define RATE_SAMPLES 64

struct rate {
	double t[RATE_SAMPLES];
	int64_t n[RATE_SAMPLES];
	unsigned count;
};

struct writer {
	struct batch *b;
	double started;
	double last_tick;
	struct rate rate;
	struct batch_progress p;
	struct batch_space_view *views;
	size_t n_views;
	const char *state;
	/* Answers and failures the database has not taken yet (it is locked):
	 * outcomes, oldest first, tried again at retry_at (clock_s()). */
	GQueue pending;
	double retry_at;
	char *stop_error; /* why the run stopped: a write that cannot be done */
};


/* Until every job is final, or a stop has drained; then the state to end
 * in is w->state. */
void writer_loop(struct writer *w);
/* Progress: from the snapshot, into w->p; then rows and the event. */
void writer_fill_progress(struct writer *w);
void writer_tick(struct writer *w, bool final);
/* Take o (and free it). */
void writer_handle(struct writer *w, struct outcome *o);
/* The event of outcome o (NULL for progress), about path when it is not
 * the job's own (a copy that waited on it). */
void writer_emit(struct batch *b, enum batch_event_kind kind, const struct outcome *o,
    const char *path, const struct batch_progress *p);
void writer_notify_finish(struct batch *b, const struct batch_progress *p);
/* The run stopped with writes still waiting for the lock: the outcome,
 * and *cause saying where the answers are kept. */
enum batch_outcome writer_left_in_spool(struct writer *w, char **cause);

/* dispatch.c: the network thread. */
bool dispatch_start(struct batch *b, char **cause);
void dispatch_join(struct batch *b);
/* Wake it (new jobs, control change); any thread. */
void dispatch_wake(struct batch *b);
/* Copy of the Space snapshot for progress (writer). */
size_t dispatch_snapshot(struct batch *b, struct batch_space_view **views, int64_t *in_flight);
void dispatch_snapshot_free(struct batch_space_view *views, size_t n);

#endif
