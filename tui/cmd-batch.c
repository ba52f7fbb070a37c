/*
 * cmd-batch.c — tagcon batch: tag every image that lacks an answer from the
 * model, over every configured Space, with progress on the terminal, in
 * plain lines, or as JSON lines.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/batch/batch.h"
#include "core/batch/runlock.h"
#include "core/options.h"
#include "core/space/token.h"
#include "db/db.h"
#include "db/runs.h"
#include "common/xalloc.h"
#include "tui/batch-log.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_batch(struct cli *cli, int argc, char **argv);
struct run_args;
struct printer;
static int run(struct cli *cli, struct run_args *ra, struct printer *pr);

const struct cmd_entry cmd_batch_entry = {
	.name = "batch",
	.usage = "[--folder DIR] [--space URL]... [--model M] [--force] [--json] [--quiet]\n"
	    "       [--log FILE]\n"
	    "       tagcon batch pause|resume|cancel|status [--json] [--follow]",
	.help = "tag every image not yet tagged by the model",
	.exec = exec_batch,
};

/* How often a plain (not a terminal) progress line is printed; in a log
 * (--log), where a run of hours must stay readable, less often. */
#define PLAIN_EVERY_S 5.0
#define LOG_EVERY_S 60.0

enum mode { MODE_TTY, MODE_PLAIN, MODE_JSON, MODE_QUIET, MODE_LOG };

struct printer {
	enum mode mode;
	struct db *db; /* --log: to learn the run's number when it starts */
	double last_plain;
	bool drawn; /* the two live lines are on screen */
};

static volatile sig_atomic_t stop_requests;
static void install_signals(void);

static void
on_signal(int sig)
{
	(void)sig;
	if (stop_requests < 2) {
		stop_requests++;
	}
}

static void
fmt_eta(char *buf, size_t n, double s)
{
	if (s < 0) {
		snprintf(buf, n, "--:--");
	} else if (s >= 3600) {
		snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
	} else {
		snprintf(buf, n, "%d:%02d", (int)s / 60, (int)s % 60);
	}
}

/* The wall-clock time of unix time at: "14:32:05", or with its date when
 * it is a day or more away (a Space asking for a long wait). */
static void
clock_text(char *buf, size_t n, int64_t at)
{
	time_t t = (time_t)at;
	strftime(buf, n, at - (int64_t)time(NULL) < 86400 ? "%H:%M:%S" : "%Y-%m-%d %H:%M",
	    localtime(&t));
}

/* "a.hf.space ready 2, b.hf.space waking (retry 4s)" */
static void
print_spaces(FILE *f, const struct batch_progress *p)
{
	for (size_t i = 0; i < p->n_spaces; i++) {
		const struct batch_space_view *v = &p->spaces[i];
		const char *name = strstr(v->url, "://");
		fprintf(f, "%s", i ? ", " : "");
		out_safe(f, name != NULL ? name + 3 : v->url);
		fprintf(f, " %s", v->state);
		if (v->in_flight > 0) {
			fprintf(f, " %d", v->in_flight);
		}
		if (v->retry_in_s >= 100) {
			char at[32];
			clock_text(at, sizeof at, (int64_t)time(NULL) + (int64_t)v->retry_in_s);
			fprintf(f, " (next try %s)", at);
		} else if (v->retry_in_s > 0) {
			fprintf(f, " (retry %.0fs)", v->retry_in_s);
		}
		if (v->hedges > 0) {
			fprintf(f, " +%lld hedged", (long long)v->hedges);
		}
	}
}

static void
draw_tty(struct printer *pr, const struct batch_progress *p)
{
	int64_t final = p->done + p->failed;
	double frac = p->total > 0 ? (double)final / p->total : 1;
	char bar[31], eta[16];
	int fill = (int)(frac * 30);
	for (int i = 0; i < 30; i++) {
		bar[i] = i < fill ? '#' : '-';
	}
	bar[30] = '\0';
	fmt_eta(eta, sizeof eta, p->eta_s);
	fprintf(stderr, "%s\r\033[K[%s] %3.0f%% %lld/%lld  %.1f img/s  ETA %s  %lld failed  %s\n"
	    "\033[K", pr->drawn ? "\033[1A" : "", bar, frac * 100, (long long)final,
	    (long long)p->total, p->rate, eta, (long long)p->failed, p->state);
	print_spaces(stderr, p);
	fflush(stderr);
	pr->drawn = true;
}

static void
clear_tty(struct printer *pr)
{
	if (pr->drawn) {
		fprintf(stderr, "\r\033[K\033[1A\r\033[K");
		pr->drawn = false;
	}
}

static void
print_plain(const struct batch_progress *p)
{
	char eta[16];
	fmt_eta(eta, sizeof eta, p->eta_s);
	fprintf(stderr, "tagcon: batch %lld/%lld, %.1f img/s, ETA %s, %lld failed, %s; ",
	    (long long)(p->done + p->failed), (long long)p->total, p->rate, eta,
	    (long long)p->failed, p->state);
	print_spaces(stderr, p);
	fputc('\n', stderr);
}

static cJSON *
progress_json(const struct batch_progress *p)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "state", p->state);
	cJSON_AddNumberToObject(o, "total", (double)p->total);
	cJSON_AddNumberToObject(o, "done", (double)p->done);
	cJSON_AddNumberToObject(o, "failed", (double)p->failed);
	cJSON_AddNumberToObject(o, "skipped", (double)p->skipped);
	cJSON_AddNumberToObject(o, "filled", (double)p->filled);
	cJSON_AddNumberToObject(o, "restored", (double)p->restored);
	cJSON_AddNumberToObject(o, "in_flight", (double)p->in_flight);
	cJSON_AddNumberToObject(o, "rate", p->rate);
	if (p->eta_s >= 0) {
		cJSON_AddNumberToObject(o, "eta_s", p->eta_s);
	} else {
		cJSON_AddNullToObject(o, "eta_s");
	}
	cJSON_AddNumberToObject(o, "elapsed_s", p->elapsed_s);
	cJSON_AddNumberToObject(o, "bytes_sent", (double)p->bytes_sent);
	cJSON_AddNumberToObject(o, "image_bytes", (double)p->image_bytes);
	cJSON *spaces = cJSON_AddArrayToObject(o, "spaces");
	for (size_t i = 0; i < p->n_spaces; i++) {
		const struct batch_space_view *v = &p->spaces[i];
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "url", v->url);
		cJSON_AddStringToObject(s, "state", v->state);
		cJSON_AddNumberToObject(s, "in_flight", v->in_flight);
		cJSON_AddNumberToObject(s, "done", (double)v->done);
		cJSON_AddNumberToObject(s, "failed", (double)v->failed);
		cJSON_AddNumberToObject(s, "hedges", (double)v->hedges);
		if (v->latency_ms >= 0) {
			cJSON_AddNumberToObject(s, "latency_ms", v->latency_ms);
		}
		cJSON_AddItemToObject(s, "last_error", v->last_error != NULL ?
		    out_json_text(v->last_error) : cJSON_CreateNull());
		cJSON_AddNumberToObject(s, "retry_in_s", v->retry_in_s);
		if (v->retry_in_s > 0) {
			cJSON_AddNumberToObject(s, "next_try_at",
			    (double)((int64_t)time(NULL) + (int64_t)(v->retry_in_s + 0.5)));
		} else {
			cJSON_AddNullToObject(s, "next_try_at");
		}
		cJSON_AddItemToArray(spaces, s);
	}
	return o;
}

static void
print_json(const struct batch_event *ev)
{
	static const char *const names[] = {"start", "done", "failed", "retry", "space",
		"progress", "finish", "hedge"};
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", names[ev->kind]);
	if (ev->path != NULL) {
		out_json_add_path(o, "path", ev->path);
	}
	if (ev->space != NULL) {
		cJSON_AddStringToObject(o, "space", ev->space);
	}
	if (ev->state != NULL) {
		cJSON_AddStringToObject(o, "state", ev->state);
	}
	if (ev->message != NULL) {
		/* A hedge is no error: its message says why the copy went. */
		cJSON_AddItemToObject(o, ev->kind == BATCH_EV_HEDGE ? "why" : "error",
		    out_json_text(ev->message));
	}
	if (ev->kind == BATCH_EV_RETRY || ev->kind == BATCH_EV_FAILED) {
		cJSON_AddNumberToObject(o, "attempts", ev->attempts);
	}
	if (ev->kind == BATCH_EV_START || ev->kind == BATCH_EV_PROGRESS ||
	    ev->kind == BATCH_EV_FINISH) {
		cJSON_AddItemToObject(o, "progress", progress_json(ev->progress));
	}
	out_json(o);
	fflush(stdout);
}

/* The run has its row: the log's lines carry its number from here. */
static void
log_started(struct printer *pr, const struct batch_progress *p)
{
	struct db_run run;
	bool found = false;
	if (pr->db != NULL && db_run_latest(pr->db, &run, &found) && found) {
		batch_log_set_run(run.id);
		db_run_fini(&run);
	}
	printf("started (pid %d): %lld image%s to tag over %zu Space%s, %lld already done\n",
	    (int)getpid(), (long long)p->total, p->total == 1 ? "" : "s", p->n_spaces,
	    p->n_spaces == 1 ? "" : "s", (long long)p->skipped);
}

static void
on_event(void *ud, const struct batch_event *ev)
{
	struct printer *pr = ud;
	if (pr->mode == MODE_JSON) {
		print_json(ev);
		return;
	}
	/* Quiet keeps one thing: a notification that was not delivered (the
	 * receiver can no longer tell anyone; only this line can). */
	bool notify = ev->kind == BATCH_EV_SPACE && ev->space != NULL &&
	    strcmp(ev->space, "notify_url") == 0 && ev->message != NULL;
	if (pr->mode == MODE_QUIET && !notify) {
		return;
	}
	if (ev->kind == BATCH_EV_FAILED || (ev->kind == BATCH_EV_SPACE && ev->message != NULL &&
	    strcmp(ev->state, "ready") != 0 && strcmp(ev->state, "busy") != 0)) {
		if (pr->mode == MODE_TTY) {
			clear_tty(pr);
		}
		if (ev->kind == BATCH_EV_FAILED) {
			out_error("%s: %s", ev->path, ev->message);
		} else {
			out_error("%s: %s: %s", ev->space, ev->state, ev->message);
		}
	}
	if (ev->kind == BATCH_EV_FINISH) {
		const struct batch_progress *p = ev->progress;
		if (pr->mode == MODE_TTY) {
			clear_tty(pr);
		}
		if (p->total == 0) {
			printf("nothing to do: every image has an answer from this model already "
			    "(--force tags them again)\n");
		}
		printf("%s: %lld tagged, %lld failed, %lld already tagged, %lld filled locally, "
		    "%lld left, in %.1f s (%.1f img/s); sent %.1f MB for %.1f MB of images\n",
		    p->state, (long long)p->done, (long long)p->failed, (long long)p->skipped,
		    (long long)p->filled, (long long)(p->total - p->done - p->failed), p->elapsed_s,
		    p->elapsed_s > 0 ? p->done / p->elapsed_s : 0, p->bytes_sent / 1e6,
		    p->image_bytes / 1e6);
		if (p->restored > 0) {
			printf("%lld answer%s an earlier run kept were stored first\n",
			    (long long)p->restored, p->restored == 1 ? "" : "s");
		}
		return;
	}
	if (ev->kind == BATCH_EV_START && pr->mode == MODE_LOG) {
		log_started(pr, ev->progress);
		return;
	}
	if (ev->kind == BATCH_EV_PROGRESS || ev->kind == BATCH_EV_START) {
		double every = pr->mode == MODE_LOG ? LOG_EVERY_S : PLAIN_EVERY_S;
		if (pr->mode == MODE_TTY) {
			draw_tty(pr, ev->progress);
		} else if (ev->progress->elapsed_s - pr->last_plain >= every) {
			pr->last_plain = ev->progress->elapsed_s;
			print_plain(ev->progress);
		}
	}
}


struct run_args {
	const char *log;
	const char *folder;
	const char *model;
	bool force;
	const char **spaces;
};

static bool
parse_args(struct cli *cli, int argc, char **argv, struct run_args *ra, struct printer *pr)
{
	static const char *const names[] = {"--folder=", "--model=", "--force", "--json",
		"--quiet", "--log=", NULL};
	bool flags[6] = {0};
	const char *values[6] = {0};
	ra->spaces = cli_take_all(&cmd_batch_entry, &argc, argv, "--space");
	if (ra->spaces == NULL) {
		return false;
	}
	argc = cli_options(&cmd_batch_entry, argc, argv, names, flags, values);
	if (argc != 0) {
		if (argc > 0) {
			cli_usage(&cmd_batch_entry);
		}
		return false;
	}
	ra->folder = values[0];
	ra->model = values[1];
	ra->force = flags[2];
	ra->log = values[5];
	if (ra->log != NULL && flags[3]) {
		/* Its lines get a time and a run number: they would be JSON no more. */
		out_error("batch: --log and --json do not go together");
		return false;
	}
	pr->mode = flags[3] ? MODE_JSON : flags[4] ? MODE_QUIET : ra->log != NULL ? MODE_LOG :
	    isatty(STDERR_FILENO) ? MODE_TTY : MODE_PLAIN;
	return true;
}

static void
install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The options: the settings' (core/options.h), then the flags, the
 * folder and the token; false after printing why. */
static bool
make_opts(struct db *db, struct run_args *ra, struct options_batch *ob, char **folder,
    char **token)
{
	options_batch_load(db, ob);
	struct batch_opts *o = &ob->opts;
	const char *target = ob->target_folder;
	const char *f = ra->folder != NULL ? ra->folder :
	    target != NULL && *target != '\0' ? target : NULL;
	*folder = f != NULL ? realpath(f, NULL) : NULL;
	if (f != NULL && *folder == NULL) {
		out_error("%s: no such folder", f);
		return false;
	}
	char *cause = NULL;
	if (!token_load(token, NULL, &cause)) {
		out_error("%s", cause);
		free(cause);
		return false;
	}
	options_batch_spaces(ob, ra->spaces);
	o->model = ra->model != NULL ? ra->model : o->model;
	o->folder = *folder;
	o->force = ra->force;
	o->token = *token;
	o->stop = &stop_requests;
	return true;
}

/* ---- control of a run from another shell, through the database ---- */

static void
print_space_row(void *ud, const struct db_run_space *sp)
{
	cJSON *arr = ud;
	if (arr != NULL) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "url", sp->url);
		cJSON_AddStringToObject(o, "state", sp->state);
		cJSON_AddNumberToObject(o, "in_flight", sp->in_flight);
		cJSON_AddNumberToObject(o, "done", (double)sp->done);
		cJSON_AddNumberToObject(o, "failed", (double)sp->failed);
		cJSON_AddNumberToObject(o, "hedges", (double)sp->hedges);
		cJSON_AddBoolToObject(o, "disabled", sp->disabled);
		if (sp->next_retry_at > 0) {
			cJSON_AddNumberToObject(o, "next_try_at", (double)sp->next_retry_at);
		} else {
			cJSON_AddNullToObject(o, "next_try_at");
		}
		cJSON_AddItemToObject(o, "last_error", sp->last_error != NULL ?
		    out_json_text(sp->last_error) : cJSON_CreateNull());
		cJSON_AddItemToArray(arr, o);
		return;
	}
	printf("  ");
	out_safe(stdout, sp->url);
	printf("  %s%s, %d in flight, %lld done, %lld failed, %lld hedged here", sp->state,
	    sp->disabled ? " (disabled)" : "", sp->in_flight, (long long)sp->done,
	    (long long)sp->failed, (long long)sp->hedges);
	if (sp->latency_ms >= 0) {
		printf(", %.0f ms", sp->latency_ms);
	}
	if (sp->next_retry_at > (int64_t)time(NULL)) {
		char at[32];
		clock_text(at, sizeof at, sp->next_retry_at);
		printf(", next try at %s", at);
	}
	if (sp->last_error != NULL) {
		printf("\n    last error: ");
		out_safe(stdout, sp->last_error);
	}
	putchar('\n');
}

static int
show_run(struct db *db, bool json, bool *running)
{
	struct db_run run;
	bool found;
	if (!db_run_latest(db, &run, &found)) {
		out_error("%s", db_errmsg(db));
		return EXIT_FAILURES;
	}
	if (!found) {
		out_error("no batch has run on this library");
		return EXIT_FAILURES;
	}
	*running = run.finished_at == 0;
	char *holder = runlock_holder(db_path(db));
	if (*running && holder == NULL) {
		/* Nobody holds the runner lock: the runner died (kill -9, power). */
		free(run.state);
		run.state = xstrdup("crashed");
		*running = false;
	}
	free(holder);
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "run", (double)run.id);
		cJSON_AddNumberToObject(o, "pid", run.pid);
		cJSON_AddStringToObject(o, "state", run.state);
		cJSON_AddStringToObject(o, "model", run.model);
		cJSON_AddNumberToObject(o, "total", (double)run.total);
		cJSON_AddNumberToObject(o, "done", (double)run.done);
		cJSON_AddNumberToObject(o, "failed", (double)run.failed);
		cJSON_AddNumberToObject(o, "skipped", (double)run.skipped);
		cJSON_AddNumberToObject(o, "rate", run.rate);
		cJSON_AddNumberToObject(o, "updated_at", (double)run.updated_at);
		db_run_spaces(db, run.id, print_space_row, cJSON_AddArrayToObject(o, "spaces"));
		out_json(o);
	} else {
		char eta[16];
		fmt_eta(eta, sizeof eta, run.eta_s);
		printf("run %lld (pid %d on ", (long long)run.id, run.pid);
		out_safe(stdout, run.host);
		printf("): %s, %lld/%lld done, %lld failed, %lld skipped, %.1f img/s, ETA %s\n",
		    run.state, (long long)(run.done + run.failed), (long long)run.total,
		    (long long)run.failed, (long long)run.skipped, run.rate, eta);
		db_run_spaces(db, run.id, print_space_row, NULL);
	}
	db_run_fini(&run);
	return EXIT_OK;
}

static int
control(struct cli *cli, const char *verb, int argc, char **argv)
{
	static const char *const names[] = {"--json", "--follow", NULL};
	bool flags[2] = {0};
	if (cli_options(&cmd_batch_entry, argc, argv, names, flags, NULL) != 0) {
		return EXIT_USAGE;
	}
	struct db *db = cli_db(cli);
	if (db == NULL) {
		return EXIT_FAILURES;
	}
	bool running;
	if (strcmp(verb, "status") == 0) {
		int rc;
		install_signals();
		while ((rc = show_run(db, flags[0], &running)) == EXIT_OK && flags[1] && running &&
		    stop_requests == 0) {
			fflush(stdout);
			usleep(500000);
		}
		return rc;
	}
	struct db_run run;
	bool found;
	if (!db_run_latest(db, &run, &found) || !found || run.finished_at != 0) {
		out_error("no batch is running on this library");
		db_run_fini(&run);
		return EXIT_FAILURES;
	}
	bool ok = db_run_request(db, run.id, verb);
	db_run_fini(&run);
	return ok ? EXIT_OK : cli_db_error(cli);
}

static int
exec_batch(struct cli *cli, int argc, char **argv)
{
	static const char *const verbs[] = {"pause", "resume", "cancel", "status", NULL};
	for (const char *const *v = verbs; argc > 0 && *v; v++) {
		if (strcmp(argv[0], *v) == 0) {
			return control(cli, *v, argc - 1, argv + 1);
		}
	}
	struct run_args ra = {0};
	struct printer pr = {0};
	if (!parse_args(cli, argc, argv, &ra, &pr)) {
		free(ra.spaces);
		return EXIT_USAGE;
	}
	char *cause = NULL;
	if (ra.log != NULL && !batch_log_open(ra.log, &cause)) {
		out_error("--log %s", cause);
		free(cause);
		free(ra.spaces);
		return EXIT_USAGE;
	}
	int rc = run(cli, &ra, &pr);
	batch_log_close(rc);
	free(ra.spaces);
	return rc;
}

static int
run(struct cli *cli, struct run_args *ra, struct printer *pr)
{
	struct db *db = cli_db(cli);
	if (db == NULL) {
		return EXIT_FAILURES;
	}
	pr->db = db;
	char *folder = NULL, *token = NULL, *cause = NULL;
	struct options_batch ob;
	int rc = EXIT_FAILURES;
	if (!make_opts(db, ra, &ob, &folder, &token)) {
		goto out;
	}
	ob.opts.event = on_event;
	ob.opts.ud = pr;
	install_signals();
	enum batch_outcome outcome;
	struct batch *b = batch_create(&ob.opts, &outcome, &cause);
	if (b != NULL) {
		outcome = batch_run(b, &cause);
	}
	batch_destroy(b);
	if (cause != NULL && pr->mode != MODE_JSON) {
		out_error("%s", cause);
	} else if (cause != NULL) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "event", "error");
		cJSON_AddItemToObject(o, "error", out_json_text(cause));
		out_json(o);
	}
	rc = (int)outcome;
out:
	free(cause);
	free(folder);
	token_free(token);
	options_batch_fini(&ob);
	return rc;
}
