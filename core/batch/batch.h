/*
 * batch.h — tag many images over several Spaces at once.
 *
 * The engine behind `tagcon batch`, `tagcon watch` and the console's Batch
 * screen (through the runner process).  Threads:
 *
 *   prepare workers (nproc)  load, shrink and encode images (libvips)
 *   network thread (one)     drives every Space through one curl multi
 *                            handle, with a health state machine per Space
 *   the caller's thread      stores each result in its own transaction,
 *                            writes progress rows, takes control requests
 *
 * Every result is committed as it arrives, so a run killed at any moment
 * loses nothing stored and the next run re-sends nothing finished.  When
 * another process holds the database's lock, answers wait (in memory and in
 * a spool file beside the database, spool.h) and go in when it frees; a run
 * stopped before that leaves them to the next run, which stores them first.
 *
 * Two kinds of work, one scheduler:
 *   a run (opts.images NULL)   the library's pending images (batch, watch):
 *                              one runner per database (the runner lock),
 *                              progress rows for consoles, control requests,
 *                              failures marked in the library, notices;
 *   an ad-hoc job (opts.images) exactly these images (tag): none of that, so
 *                              it works beside a run; what happened to each
 *                              image is told through the events only.
 */
#ifndef TAGCON_BATCH_H
#define TAGCON_BATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct answer;
struct batch;

struct batch_space_view {
	const char *url;
	const char *state; /* health_state_name() */
	int in_flight;
	int64_t done;
	int64_t failed;
	int64_t hedges;    /* copies of requests late on other Spaces sent here */
	double latency_ms; /* median of recent answers, < 0 unknown */
	const char *last_error;
	double retry_in_s; /* seconds until the next try, 0 none */
};

struct batch_progress {
	const char *state; /* "running", "paused", "waiting", "cancelling", ... */
	int64_t total;     /* contents to tag in this run */
	int64_t done;
	int64_t failed;
	int64_t skipped;   /* images already tagged for the model */
	int64_t filled;    /* dimensions filled locally, no call */
	int64_t restored;  /* answers an earlier run kept (spool.h), stored first */
	int64_t in_flight;
	double rate;       /* images per second, recent */
	double eta_s;      /* < 0 unknown */
	double elapsed_s;
	uint64_t bytes_sent;
	uint64_t image_bytes; /* of the original files sent */
	const struct batch_space_view *spaces;
	size_t n_spaces;
};

enum batch_event_kind {
	BATCH_EV_START,
	BATCH_EV_DONE,     /* path tagged */
	BATCH_EV_FAILED,   /* path failed for good: message */
	BATCH_EV_RETRY,    /* path failed once on space: message; it goes back */
	BATCH_EV_SPACE,    /* space changed state: state, message */
	BATCH_EV_PROGRESS, /* periodic */
	BATCH_EV_FINISH,
	/* path, in flight too long elsewhere (message), was sent to space as
	 * well: the first answer is stored, the other request abandoned. */
	BATCH_EV_HEDGE,
};

struct batch_event {
	enum batch_event_kind kind;
	const char *path;
	const char *space;
	const char *state;
	const char *message;
	int attempts;
	/* DONE: what space answered (stored already), how long the request took
	 * and the bytes it sent; borrowed for the callback. */
	const struct answer *answer;
	unsigned latency_ms;
	uint64_t bytes_sent;
	const struct batch_progress *progress;
};

struct batch_opts {
	const char *db_path;
	const char *model;
	const char *folder; /* NULL: every root */
	bool force;
	/* NULL: a run.  Else an ad-hoc job of exactly these images (ids in the
	 * library), answered before or not, and nothing else; folder, force and
	 * wanted do not apply.  Copies of one content share one call. */
	const int64_t *images;
	size_t n_images;
	/* 0: an image waits as long as a Space may come back (a run never gives
	 * up on Spaces that are down, asleep or busy).  Else the most an image
	 * waits for an answer, counted from when it was ready to send: then, or
	 * as soon as no Space can try it again in time, it fails with its last
	 * error (or, never sent, the Spaces'). */
	long patience_ms;
	const char *const *spaces;
	size_t n_spaces;
	const char *token; /* NULL: none */
	int inflight;      /* per Space */
	int max_attempts;
	int prepare_threads; /* 0: one per core */
	double floor;
	unsigned upload_max_side;
	uint64_t pixel_limit;
	long connect_timeout_ms; /* 0: default */
	long idle_timeout_ms;    /* silence; 0: default (net.h) */
	/* 0: default (net.h).  Each HTTP request, and each image's request to
	 * one Space (upload, call, stream) as a whole, within this. */
	long deadline_ms;
	/* The longest wait a Space may ask for or backoff reach; 0: 1 h. */
	long long max_wait_ms;
	const char *notify_url;  /* NULL or "": none */
	bool notify_each;
	bool keep_open; /* watch: wait for batch_enqueue() until stopped */
	/* NULL, or which pending images to take at the start (called with ud):
	 * watch takes only those of folders where auto_tag is on. */
	bool (*wanted)(void *ud, const char *path);
	int progress_ms; /* progress rows and events; 0: 250 */
	/* Set by a signal handler: 1 stop cleanly, 2 or more stop now. */
	volatile sig_atomic_t *stop;
	void (*event)(void *ud, const struct batch_event *ev);
	void *ud;
};

/* Outcome of batch_run, as exit statuses of DESIGN.md §6. */
enum batch_outcome {
	BATCH_OK = 0,
	BATCH_FAILURES = 1,
	BATCH_USAGE = 2,    /* no configured Space offers the model: nothing touched */
	BATCH_NO_SPACE = 3,
	BATCH_BUSY = 4,
};

/*
 * List the work; a run first takes the runner lock of the database.  NULL
 * with *cause (and *outcome BATCH_BUSY when another runner holds the lock).
 */
struct batch *batch_create(const struct batch_opts *opts, enum batch_outcome *outcome,
    char **cause);
/* Run until every image is tagged or failed (or stopped); *cause says
 * why when the outcome is not BATCH_OK (BATCH_BUSY: stopped while answers
 * still waited for the database's lock; they are kept for the next run).  Images still waiting when it ends
 * (stopped, or BATCH_NO_SPACE: no Space left that could ever answer) get
 * neither DONE nor FAILED and stay as they were in the library. */
enum batch_outcome batch_run(struct batch *b, char **cause);
void batch_destroy(struct batch *b);

/*
 * From any thread: one image to tag next, ahead of the rest (watch).  hash
 * is its content's; content already queued or in flight is not sent again
 * (the answer covers every image holding it).  False when skipped.
 */
bool batch_enqueue(struct batch *b, int64_t image_id, const char *path,
    const uint8_t hash[16]);

#endif
