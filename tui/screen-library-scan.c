/*
 * screen-library-scan.c — indexing the directories given on the command
 * line (`tagcon DIR...`) or added in the Library (A), on the scan lane,
 * while the console is already usable: progress goes to the tab line, the
 * Library re-reads as it grows.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/options.h"
#include "core/image/scan.h"
#include "core/settings.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/screen-library.h"
#include "tui/screen-library-private.h"

/* Progress reaches the UI at most this often. */
#define PROGRESS_MS 1000

struct scan_job {
	struct console *console;
	void *library;
	GPtrArray *dirs;
	int64_t last_ms;
	struct scan_stats total;
	char *error;
};

struct note {
	struct console *console;
	void *library;
	char *text;
	bool done;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* On the UI thread. */
static void
note_apply(void *arg)
{
	struct note *n = arg;
	console_set_activity(n->console, n->done ? NULL : n->text);
	if (n->done) {
		console_message(n->console, CONSOLE_INFO, "%s", n->text);
	}
	library_screen_refresh(n->library);
	free(n->text);
	free(n);
}

static struct note *
note_new(struct scan_job *j, bool done, char *text)
{
	struct note *n = xcalloc(1, sizeof *n);
	*n = (struct note){.console = j->console, .library = j->library, .text = text,
		.done = done};
	return n;
}

static void
progress(void *ud, const struct scan_stats *st)
{
	struct scan_job *j = ud;
	int64_t now = mono_ms();
	if (now - j->last_ms >= PROGRESS_MS) {
		j->last_ms = now;
		char *text = xasprintf("scanning: %lld files, %lld new",
		    (long long)(j->total.seen + st->seen), (long long)(j->total.added + st->added));
		console_post(j->console, note_apply, note_new(j, false, text));
	}
}

static void
warn(void *ud, const char *msg)
{
	(void)ud;
	(void)msg; /* failed files and their reasons are on the Log screen */
}

static void
work(void *arg, const struct console_job_ctx *ctx)
{
	struct scan_job *j = arg;
	if (ctx->db == NULL) {
		j->error = xstrdup("scan: cannot open the database");
		return;
	}
	struct scan_opts so = options_scan(ctx->db);
	so.warn = warn;
	so.progress = progress;
	so.ud = j;
	for (guint i = 0; i < j->dirs->len && !atomic_load(ctx->cancel); i++) {
		struct scan_stats st = {0};
		char *cause = NULL;
		if (!scan_dir(ctx->db, g_ptr_array_index(j->dirs, i), &so, &st, &cause)) {
			free(j->error);
			j->error = cause;
		}
		j->total.seen += st.seen;
		j->total.added += st.added;
		j->total.failed += st.failed;
	}
}

static void
done(void *arg, bool cancelled)
{
	struct scan_job *j = arg;
	char *text = j->error != NULL ? xstrdup(j->error) : xasprintf("scan %s: %lld files,"
	    " %lld new, %lld failed", cancelled ? "stopped" : "done", (long long)j->total.seen,
	    (long long)j->total.added, (long long)j->total.failed);
	note_apply(note_new(j, true, text));
	g_ptr_array_free(j->dirs, TRUE);
	free(j->error);
	free(j);
}

static void
start(struct console *c, void *library, GPtrArray *dirs)
{
	struct scan_job *j = xcalloc(1, sizeof *j);
	j->console = c;
	j->library = library;
	j->dirs = dirs;
	console_set_activity(c, "scanning…");
	console_job(c, LANE_SCAN, JOB_ANY, work, done, j);
}

void
library_scan(struct console *c, void *library)
{
	const struct console_opts *o = console_options(c);
	if (o->n_dirs == 0) {
		return;
	}
	GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
	for (int i = 0; i < o->n_dirs; i++) {
		g_ptr_array_add(dirs, g_strdup(o->dirs[i]));
	}
	start(c, library, dirs);
}

void
library_scan_dir(struct console *c, void *library, const char *dir)
{
	GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(dirs, g_strdup(dir));
	start(c, library, dirs);
}

/* --- A: adding a folder from the Library -------------------------------- */

/* The typed folder as an absolute path ("~/" is the home), or NULL after
 * saying why it cannot be added. */
static char *
folder_to_add(struct lib *s, const char *typed)
{
	char *text = g_strstrip(g_strdup(typed));
	const char *home = g_get_home_dir();
	char *full = text[0] == '~' && (text[1] == '/' || text[1] == '\0') ?
	    g_build_filename(home, text + 1, NULL) : g_strdup(text);
	char *real = *full != '\0' ? realpath(full, NULL) : NULL;
	if (real == NULL || !g_file_test(real, G_FILE_TEST_IS_DIR)) {
		console_message(s->c, CONSOLE_ERROR, "add folder: %s: %s", *full ? full :
		    "(nothing typed)", real == NULL ? "no such folder" : "not a folder");
		free(real);
		real = NULL;
	}
	g_free(full);
	g_free(text);
	return real;
}

int
library_add_key(struct lib *s, int key)
{
	enum input_result r = input_key(s->add_input, key);
	if (r == INPUT_DONE) {
		char *dir = folder_to_add(s, input_text(s->add_input));
		if (dir != NULL) {
			console_message(s->c, CONSOLE_INFO, "adding %s: scanning it", dir);
			library_scan_dir(s->c, s, dir);
			free(dir);
		}
	}
	if (r == INPUT_DONE || r == INPUT_CANCEL) {
		input_destroy(s->add_input);
		s->add_input = NULL;
	}
	return REACT_REDRAW; /* every key belongs to the prompt while it is open */
}
