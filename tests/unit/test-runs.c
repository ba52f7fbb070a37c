/* test-runs.c — run rows, control requests, the batch queue, the runner lock. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/batch/runlock.h"
#include "db/db.h"
#include "db/images.h"
#include "db/predictions.h"
#include "db/queue.h"
#include "db/runs.h"
#include "tests/unit/check.h"
#include "tests/unit/tmpdir.h"

static struct db *
fresh(const char *name)
{
	char *cause = NULL;
	struct db *db = db_open(tmppath(name), &cause);
	if (db == NULL) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	return db;
}

struct seen {
	int n;
	int64_t ids[16];
	char urls[4][64];
	char states[4][32];
	bool disabled[4];
	int64_t hedges[4];
};

static void
on_space(void *ud, const struct db_run_space *sp)
{
	struct seen *s = ud;
	snprintf(s->urls[s->n], 64, "%s", sp->url);
	snprintf(s->states[s->n], 32, "%s", sp->state);
	s->hedges[s->n] = sp->hedges;
	s->disabled[s->n++] = sp->disabled;
}

static void
test_runs(void)
{
	struct db *db = fresh("runs.db");
	struct db *other = fresh("runs.db"); /* a console in another process */
	struct db_run run = {.pid = 42, .host = "h", .model = "m", .total = 10};
	CHECK(db_run_start(db, &run));
	run.done = 3;
	run.rate = 1.5;
	run.eta_s = 4.7;
	CHECK(db_run_update(db, &run));
	struct db_run_space sp = {.url = "http://a", .state = "ready", .in_flight = 2,
		.done = 3, .latency_ms = 120};
	CHECK(db_run_space_update(db, run.id, &sp));
	sp.state = "waking";
	sp.hedges = 2;
	CHECK(db_run_space_update(db, run.id, &sp));

	struct db_run seen_run;
	bool found;
	CHECK(db_run_latest(other, &seen_run, &found) && found);
	CHECK_INT(seen_run.done, 3);
	CHECK_STR(seen_run.state, "running");
	CHECK_NEAR(seen_run.eta_s, 4.7, 1e-9);
	CHECK(seen_run.request == NULL);
	db_run_fini(&seen_run);
	struct seen s = {0};
	CHECK(db_run_spaces(other, run.id, on_space, &s));
	CHECK_INT(s.n, 1);
	CHECK_STR(s.states[0], "waking");
	CHECK_INT(s.hedges[0], 2);

	/* Control travels through the database, and is taken once. */
	CHECK(db_run_request(other, run.id, "pause"));
	CHECK(db_run_space_disable(other, run.id, "http://a", true));
	char *req;
	CHECK(db_run_take_request(db, run.id, &req));
	CHECK_STR(req, "pause");
	free(req);
	CHECK(db_run_take_request(db, run.id, &req));
	CHECK(req == NULL);
	bool disabled;
	CHECK(db_run_space_disabled(db, run.id, "http://a", &disabled) && disabled);
	/* The runner's own updates do not clear the user's choice. */
	CHECK(db_run_space_update(db, run.id, &sp));
	CHECK(db_run_space_disabled(db, run.id, "http://a", &disabled) && disabled);
	db_close(other);
	db_close(db);
}

static void
on_candidate(void *ud, const struct db_candidate *c)
{
	struct seen *s = ud;
	s->ids[s->n++] = c->image_id;
}

static int64_t
add_image(struct db *db, int64_t folder, const char *path, uint8_t h, enum db_state state)
{
	struct db_image img = {.folder_id = folder, .path = (char *)path, .has_hash = true,
		.width = 4, .height = 4, .state = state};
	memset(img.hash, h, DB_HASH_LEN);
	CHECK(db_image_insert(db, &img));
	return img.id;
}

static void
test_queue(void)
{
	struct db *db = fresh("queue.db");
	int64_t root, folder;
	CHECK(db_root_add(db, "/r", &root));
	CHECK(db_folder_get(db, root, "/r/a", &folder));
	int64_t a = add_image(db, folder, "/r/a/1.png", 1, DB_STATE_NEW);
	int64_t copy = add_image(db, folder, "/r/a/copy.png", 1, DB_STATE_NEW);
	int64_t b = add_image(db, folder, "/r/b/2.png", 2, DB_STATE_NEW);
	int64_t bad = add_image(db, folder, "/r/a/bomb.png", 3, DB_STATE_FAILED);
	(void)bad;
	struct seen s = {0};
	CHECK(db_queue_candidates(db, "m", NULL, false, on_candidate, &s));
	CHECK_INT(s.n, 2); /* one call for the two copies; never the scan failure */
	CHECK_INT(s.ids[0], a);
	CHECK_INT(s.ids[1], b);
	memset(&s, 0, sizeof s);
	CHECK(db_queue_candidates(db, "m", "/r/b", false, on_candidate, &s));
	CHECK_INT(s.n, 1);
	CHECK_INT(s.ids[0], b);
	memset(&s, 0, sizeof s);
	CHECK(db_queue_candidates(db, "m", "/r/b/", false, on_candidate, &s));
	CHECK_INT(s.n, 1);

	float r[4] = {0.9f, 0.1f, 0, 0};
	CHECK(db_store_answer(db, a, "m", r, 0.05f, NULL, NULL, 0));
	memset(&s, 0, sizeof s);
	CHECK(db_queue_candidates(db, "m", NULL, false, on_candidate, &s));
	CHECK_INT(s.n, 1);
	int64_t done;
	CHECK(db_queue_count_done(db, "m", NULL, &done));
	CHECK_INT(done, 2); /* the image and its copy */
	memset(&s, 0, sizeof s);
	CHECK(db_queue_candidates(db, "m", NULL, true, on_candidate, &s));
	CHECK_INT(s.n, 2);
	/* Another model makes only its own work pending. */
	memset(&s, 0, sizeof s);
	CHECK(db_queue_candidates(db, "other", NULL, false, on_candidate, &s));
	CHECK_INT(s.n, 2);
	(void)copy;

	int attempts;
	CHECK(db_queue_attempt_failed(db, b, "timeout", &attempts));
	CHECK_INT(attempts, 1);
	CHECK(db_queue_attempt_failed(db, b, "timeout", &attempts));
	CHECK_INT(attempts, 2);
	CHECK(db_queue_give_up(db, b, "server error"));
	struct db_image img;
	bool found;
	CHECK(db_image_by_path(db, "/r/b/2.png", &img, &found) && found);
	CHECK_INT(img.state, DB_STATE_FAILED);
	CHECK_STR(img.error, "server error");
	db_image_fini(&img);
	/* Failed at the Spaces: the next run tries again. */
	memset(&s, 0, sizeof s);
	CHECK(db_queue_candidates(db, "m", NULL, false, on_candidate, &s));
	CHECK_INT(s.n, 1);
	db_close(db);
}

static void
test_lock(void)
{
	char *cause = NULL;
	const char *db = tmppath("lock.db");
	CHECK(runlock_holder(db) == NULL);
	struct runlock *a = runlock_acquire(db, &cause);
	CHECK(a != NULL);
	struct runlock *b = runlock_acquire(db, &cause);
	CHECK(b == NULL);
	CHECK(cause != NULL && strstr(cause, "already running") != NULL);
	char pid[32];
	snprintf(pid, sizeof pid, "pid %d on ", (int)getpid());
	CHECK(cause != NULL && strstr(cause, pid) != NULL);
	free(cause);
	char *who = runlock_holder(db);
	CHECK(who != NULL);
	free(who);
	runlock_release(a);
	CHECK(runlock_holder(db) == NULL);
	/* A holder that dies (here: a child that exits holding it) frees it. */
	pid_t child = fork();
	if (child == 0) {
		char *c = NULL;
		_exit(runlock_acquire(db, &c) != NULL ? 0 : 1);
	}
	int status;
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	a = runlock_acquire(db, &cause);
	CHECK(a != NULL);
	runlock_release(a);
}

int
main(void)
{
	test_runs();
	test_queue();
	test_lock();
	return check_done();
}
