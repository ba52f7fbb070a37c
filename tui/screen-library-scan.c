/*
 * screen-library-scan.c — indexing the directories given on the command
 * line (`tagcon DIR...`), on the scan lane, while the console is already
 * usable: progress goes to the tab line, the Library re-reads as it grows.
 */
#include <stdlib.h>
#include <time.h>

#include "core/options.h"
#include "core/image/scan.h"
#include "core/settings.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/screen-library.h"

/* Progress reaches the UI at most this often. */
#define PROGRESS_MS 1000

struct scan_job {
	struct console *console;
	void *library;
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
	const struct console_opts *o = console_options(ctx->console);
	if (ctx->db == NULL) {
		j->error = xstrdup("scan: cannot open the database");
		return;
	}
	struct scan_opts so = options_scan(ctx->db);
	so.warn = warn;
	so.progress = progress;
	so.ud = j;
	for (int i = 0; i < o->n_dirs && !atomic_load(ctx->cancel); i++) {
		struct scan_stats st = {0};
		char *cause = NULL;
		if (!scan_dir(ctx->db, o->dirs[i], &so, &st, &cause)) {
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
	free(j->error);
	free(j);
}

void
library_scan(struct console *c, void *library)
{
	if (console_options(c)->n_dirs == 0) {
		return;
	}
	struct scan_job *j = xcalloc(1, sizeof *j);
	j->console = c;
	j->library = library;
	console_set_activity(c, "scanning…");
	console_job(c, LANE_SCAN, JOB_ANY, work, done, j);
}
