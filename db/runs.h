/*
 * runs.h — batch runs and their Spaces, as rows any process can read.
 *
 * The runner writes its progress here a few times a second; a console in
 * another SSH session reads it to draw the Batch screen.  Requests travel
 * the other way: a console sets runs.request ("pause", "resume", "cancel")
 * or disables a Space, and the runner picks it up on its next tick.
 */
#ifndef TAGCON_DB_RUNS_H
#define TAGCON_DB_RUNS_H

#include <stdbool.h>
#include <stdint.h>

struct db;

struct db_run {
	int64_t id;
	int pid;
	char *host;
	char *state; /* "running", "paused", "waiting", "finished", "cancelled", "crashed" */
	char *model;
	char *folder; /* NULL: every root */
	int64_t started_at;
	int64_t updated_at;
	int64_t finished_at; /* 0 while running */
	int64_t total;
	int64_t done;
	int64_t skipped;
	int64_t filled;
	int64_t failed;
	double rate;  /* images per second, recent */
	double eta_s; /* < 0 unknown */
	char *request; /* pending control request or NULL */
};

struct db_run_space {
	char *url;
	char *state; /* "probing", "ready", "busy", "waking", "queue-full", ... */
	int in_flight;
	int64_t done;
	int64_t failed;
	int64_t hedges;    /* copies of requests late on other Spaces sent here */
	double latency_ms; /* median; < 0 unknown */
	char *last_error;
	int64_t next_retry_at; /* unix seconds; 0 none */
	bool disabled;
};

void db_run_fini(struct db_run *run);
void db_run_space_fini(struct db_run_space *sp);

/* A new run row in state "running"; run->id is set. */
bool db_run_start(struct db *db, struct db_run *run);
/* Write the run's counters and state (not its request). */
bool db_run_update(struct db *db, const struct db_run *run);
/* Upsert one Space row of a run (not its disabled flag). */
bool db_run_space_update(struct db *db, int64_t run_id, const struct db_run_space *sp);

/* The newest run (running or not); *found false when there is none. */
bool db_run_latest(struct db *db, struct db_run *run, bool *found);
bool db_run_spaces(struct db *db, int64_t run_id,
    void (*fn)(void *ud, const struct db_run_space *sp), void *ud);

/* Runs left unfinished by a runner that died: state "crashed".  Called by
 * the next runner once it holds the lock. */
bool db_runs_mark_crashed(struct db *db);

/* Control, from any process. */
bool db_run_request(struct db *db, int64_t run_id, const char *request);
/* Take (read and clear) the pending request; *request NULL when none. */
bool db_run_take_request(struct db *db, int64_t run_id, char **request);
bool db_run_space_disable(struct db *db, int64_t run_id, const char *url, bool disabled);
bool db_run_space_disabled(struct db *db, int64_t run_id, const char *url, bool *disabled);

#endif
