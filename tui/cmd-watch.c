/*
 * cmd-watch.c — tagcon watch [DIR...]: index files as they arrive and, with
 * auto_tag on, tag them right after with the batch engine.
 *
 * At start every root is scanned, so files that arrived while no watcher
 * ran are picked up; images still pending in the library (every Space was
 * down, the watcher was stopped) are tagged first.
 */
#include <errno.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/batch/batch.h"
#include "core/tag/rules.h"
#include "core/image/scan.h"
#include "core/options.h"
#include "core/space/token.h"
#include "core/batch/watch.h"
#include "core/settings.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/images.h"
#include "db/queue.h"
#include "db/rules.h"
#include "common/xalloc.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_watch(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_watch_entry = {
	.name = "watch",
	.usage = "[--json|-0|--null] [DIR...]",
	.help = "index new files as they arrive; tag them when auto_tag is on",
	.exec = exec_watch,
};

static volatile sig_atomic_t stop_requests;

static void
on_signal(int sig)
{
	(void)sig;
	if (stop_requests < 2) {
		stop_requests++;
	}
}

struct watcher {
	struct db *db;
	struct scan_opts so;
	struct batch *batch; /* NULL unless auto-tagging */
	bool json;
	bool nul;            /* -0: "EVENT PATH" ends with NUL, for read -d '' */
	GPtrArray *roots;
	struct rules *rules; /* auto_tag per folder, read again now and then */
	int64_t db_version;
	char *auto_tag;      /* auto_tag everywhere, as text: a change is a switch */
	/* the tagging half, started once auto_tag is on somewhere */
	struct options_batch ob;
	char *token;
	GThread *tagging;
};

static void
say(struct watcher *w, const char *event, const char *path, const char *msg)
{
	if (w->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "event", event);
		out_json_add_path(o, "path", path);
		if (msg != NULL) {
			cJSON_AddItemToObject(o, "error", out_json_text(msg));
		}
		out_json(o);
		fflush(stdout);
	} else if (msg != NULL) {
		out_error("%s: %s", path, msg);
	} else {
		printf("%s ", event);
		out_path_line(path, w->nul);
		fflush(stdout);
	}
}

static void
on_arrived(void *ud, const char *path)
{
	struct watcher *w = ud;
	int64_t id;
	bool pending;
	char *cause = NULL;
	if (!scan_file(w->db, path, &w->so, &id, &pending, &cause)) {
		say(w, "error", path, cause);
		free(cause);
		return;
	}
	if (id == 0) {
		return; /* not an image, not named like one */
	}
	say(w, "indexed", path, NULL);
	struct db_image img;
	bool found = false; /* read below even when the lookup was skipped */
	if (pending && w->batch != NULL && rules_auto_tag_for(w->rules, path) &&
	    db_image_by_path(w->db, path, &img, &found) && found && img.has_hash) {
		batch_enqueue(w->batch, id, path, img.hash);
	}
	if (found) {
		db_image_fini(&img);
	}
}

static void
on_gone(void *ud, const char *path)
{
	struct watcher *w = ud;
	char *cause = NULL;
	if (!scan_gone(w->db, path, &cause)) {
		say(w, "error", path, cause);
		free(cause);
	}
}

static void
on_warn(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "tagcon: %s\n", msg);
}

static void
collect_root(void *ud, int64_t id, const char *path)
{
	(void)id;
	g_ptr_array_add(ud, xstrdup(path));
}

/* Catch up: scan the DIRs given (new roots) or every root. */
static bool
catch_up(struct watcher *w, int argc, char **argv)
{
	struct scan_stats st;
	char *cause = NULL;
	for (int i = 0; i < argc; i++) {
		if (!scan_dir(w->db, argv[i], &w->so, &st, &cause)) {
			out_error("%s", cause);
			free(cause);
			return false;
		}
	}
	if (!db_roots_each(w->db, collect_root, w->roots)) {
		out_error("%s", db_errmsg(w->db));
		return false;
	}
	for (guint i = 0; argc == 0 && i < w->roots->len; i++) {
		if (!scan_dir(w->db, w->roots->pdata[i], &w->so, &st, &cause)) {
			out_error("%s", cause);
			free(cause);
		}
	}
	if (w->roots->len == 0) {
		out_error("watch: no root to watch (give a DIR, or tagcon scan DIR first)");
		return false;
	}
	return true;
}

static void
on_batch_event(void *ud, const struct batch_event *ev)
{
	struct watcher *w = ud;
	if (ev->kind == BATCH_EV_DONE) {
		say(w, "tagged", ev->path, NULL);
	} else if (ev->kind == BATCH_EV_FAILED) {
		say(w, "failed", ev->path, ev->message);
	} else if (ev->kind == BATCH_EV_SPACE && ev->message != NULL && !w->json) {
		out_error("%s: %s: %s", ev->space, ev->state, ev->message);
	}
}

static bool
auto_tag_here(void *ud, const char *path)
{
	return rules_auto_tag_for(((struct watcher *)ud)->rules, path);
}

static GThread *start_tagging(struct watcher *w);

static void
add_override(void *ud, const char *folder, const char *key, const char *value)
{
	if (strcmp(key, "auto_tag") == 0) {
		g_string_append_printf(ud, "\n%s=%s", folder, value);
	}
}

/* auto_tag globally and in every folder that overrides it, as text (new
 * string): when it changes, auto_tag was switched somewhere. */
static char *
auto_tag_text(struct db *db)
{
	char *global = settings_get(db, "auto_tag");
	GString *g = g_string_new(global != NULL ? global : "?");
	free(global);
	db_overrides_each(db, add_override, g);
	return g_string_free(g, FALSE);
}

static void
take_waiting(void *ud, const struct db_candidate *c)
{
	struct watcher *w = ud;
	if (rules_auto_tag_for(w->rules, c->path)) {
		batch_enqueue(w->batch, c->image_id, c->path, c->hash);
	}
}

/* auto_tag was switched: what waits where it is on now goes to the engine
 * (what is queued or in flight already is not sent twice), as at start. */
static void
catch_up_tagging(struct watcher *w)
{
	if (w->batch != NULL && rules_auto_tag_anywhere(w->rules) &&
	    !db_queue_candidates(w->db, w->ob.opts.model, NULL, false, take_waiting, w)) {
		out_error("auto-tag: %s", db_errmsg(w->db));
	}
}

/* Overrides set from another shell take effect: the rules are read again
 * when the database moved. */
static void
reload_rules(struct watcher *w)
{
	int64_t v;
	struct rules *r;
	if (db_browse_version(w->db, &v) && v != w->db_version &&
	    (r = rules_load(w->db, NULL)) != NULL) {
		w->db_version = v;
		rules_destroy(w->rules);
		w->rules = r;
		char *now = auto_tag_text(w->db);
		bool switched = w->auto_tag == NULL || strcmp(now, w->auto_tag) != 0;
		free(w->auto_tag);
		w->auto_tag = now;
		/* auto_tag turned on after the start: the engine starts now, and
		 * takes what waits in the folders where it is on. */
		if (w->tagging == NULL && w->batch == NULL && rules_auto_tag_anywhere(r)) {
			w->tagging = start_tagging(w);
			if (w->tagging != NULL && !w->json) {
				fprintf(stderr, "tagcon: auto-tag on\n");
			}
		} else if (switched) {
			/* On again, or on in one more folder: images that arrived
			 * while it was off wait there. */
			catch_up_tagging(w);
		}
	}
}

static gpointer
batch_main(gpointer arg)
{
	char *cause = NULL;
	batch_run(arg, &cause);
	free(cause);
	return NULL;
}

/* The tagging half: an engine that stays open for arrivals, with the
 * settings as they are when it starts. */
static GThread *
start_tagging(struct watcher *w)
{
	char *cause = NULL;
	/* From an earlier start that failed. */
	token_free(w->token);
	w->token = NULL;
	options_batch_fini(&w->ob);
	if (!token_load(&w->token, NULL, &cause)) {
		out_error("%s", cause);
		free(cause);
		return NULL;
	}
	options_batch_load(w->db, &w->ob);
	struct batch_opts *o = &w->ob.opts;
	o->token = w->token;
	o->keep_open = true;
	o->wanted = auto_tag_here;
	o->stop = &stop_requests;
	o->event = on_batch_event;
	o->ud = w;
	enum batch_outcome outcome;
	w->batch = batch_create(o, &outcome, &cause);
	if (w->batch == NULL) {
		out_error("auto-tag off: %s", cause);
		free(cause);
		return NULL;
	}
	return g_thread_new("tagcon-batch", batch_main, w->batch);
}

static void
loop(struct watcher *w, struct watch *wt)
{
	struct pollfd pfd = {.fd = watch_fd(wt), .events = POLLIN};
	while (stop_requests == 0) {
		int n = poll(&pfd, 1, 500);
		if (n > 0) {
			watch_read(wt);
		} else if (n < 0 && errno != EINTR) {
			out_error("watch: %s", strerror(errno));
			break;
		} else if (n == 0) {
			reload_rules(w);
		}
	}
}

static int
exec_watch(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", "--null", "-0", NULL};
	bool flags[3] = {0};
	argc = cli_options(&cmd_watch_entry, argc, argv, names, flags, NULL);
	if (argc >= 0 && flags[0] && (flags[1] || flags[2])) {
		out_error("watch: choose one of --json and --null");
		return EXIT_USAGE;
	}
	struct db *db = argc >= 0 ? cli_db(cli) : NULL;
	if (db == NULL) {
		return argc < 0 ? EXIT_USAGE : EXIT_FAILURES;
	}
	struct watcher w = {
		.db = db,
		.json = flags[0],
		.nul = flags[1] || flags[2],
		.roots = g_ptr_array_new_with_free_func(free),
		.so = options_scan(db),
	};
	w.so.warn = on_warn;
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct watch_ops ops = {.arrived = on_arrived, .gone = on_gone, .warn = on_warn, .ud = &w};
	char *cause = NULL;
	struct watch *wt = watch_create(&ops, &cause);
	int rc = EXIT_FAILURES;
	/* Watch first, then catch up: nothing arriving meanwhile is missed. */
	for (int i = 0; wt != NULL && i < argc; i++) {
		char *abs = realpath(argv[i], NULL);
		if (abs == NULL || !watch_add_tree(wt, abs, &cause)) {
			break;
		}
		free(abs);
	}
	if (wt != NULL && cause == NULL && catch_up(&w, argc, argv)) {
		for (guint i = 0; argc == 0 && i < w.roots->len && cause == NULL; i++) {
			watch_add_tree(wt, w.roots->pdata[i], &cause);
		}
	}
	if (wt == NULL || cause != NULL) {
		out_error("%s", cause != NULL ? cause : "watch failed");
		goto out;
	}
	w.rules = rules_load(db, &cause);
	if (w.rules == NULL) {
		out_error("%s", cause);
		goto out;
	}
	w.auto_tag = auto_tag_text(db);
	/* auto_tag on anywhere (a folder override included): the engine runs,
	 * and each image is taken or not by the rule of its folder. */
	w.tagging = rules_auto_tag_anywhere(w.rules) ? start_tagging(&w) : NULL;
	if (!w.json) {
		fprintf(stderr, "tagcon: watching %u root%s%s\n", w.roots->len,
		    w.roots->len == 1 ? "" : "s", w.tagging != NULL ? ", auto-tag on" : "");
	}
	loop(&w, wt);
	if (w.tagging != NULL) {
		g_thread_join(w.tagging);
	}
	rc = EXIT_OK;
out:
	batch_destroy(w.batch);
	rules_destroy(w.rules);
	watch_destroy(wt);
	g_ptr_array_free(w.roots, TRUE);
	options_batch_fini(&w.ob);
	token_free(w.token);
	free(w.auto_tag);
	free(cause);
	return rc;
}
