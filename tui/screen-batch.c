/*
 * screen-batch.c — the newest batch run and its Spaces, live.
 *
 * Everything here goes through the database (db/runs.h): the rows are read
 * four times a second whichever screen is showing, so the tab line and this
 * screen follow a run started here or by `tagcon batch` in another SSH
 * session alike; pause, resume, cancel and disabling a Space are requests
 * the runner picks up on its next tick.  Starting a run spawns the headless
 * runner detached, its output in the library's own log next to the
 * database (LIB.batch.log, each line with its time and run number); a
 * runner that stops before its run begins is noticed at once (its pid is
 * watched) and what it said is shown here.
 */
#include "tui/screen-batch.h"

#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/settings.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/runs.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"
#include "tui/widget-list.h"
#include "tui/widget-wrap.h"

#define POLL_MS 250
/* A run row not updated for this long has probably lost its runner. */
#define STALE_S 20
/* How long a started runner may take to show its run row. */
#define START_WAIT_S 10

struct batch {
	struct console *c;
	bool have_run;
	struct db_run run;
	struct db_run_space *spaces;
	size_t n_spaces;
	struct list list;
	char *error;
	/* a runner this console started, until its row appears */
	int64_t started_at;
	int64_t run_before;
	char *log_path;       /* this library's runner log */
	int runner_pid;       /* the runner started here, until it is gone */
	int64_t log_offset;   /* where its lines begin in the log */
	bool start_warned;    /* said it is slow to begin (it may still fail) */
	char *launch_error;   /* why the last start came to nothing */
	char *said;           /* what the runner started here said last */
	/* the Space setting, for the first screens' advice */
	unsigned spaces_gen;
	size_t n_spaces_set;
	bool public_only;
	int confirm;
	bool show_full; /* i: the cursor Space's URL and last error, whole */
	char *signature; /* what was last drawn, to redraw only on change */
	int64_t drawn_second;
};

static bool
active(const struct db_run *r)
{
	return strcmp(r->state, "running") == 0 || strcmp(r->state, "paused") == 0 ||
	    strcmp(r->state, "waiting") == 0;
}

/* Seconds since the runner last wrote its row (the clocks are the same
 * machine's when the runner is local; a remote one may drift a little). */
static int64_t
silence(const struct db_run *r)
{
	return (int64_t)time(NULL) - r->updated_at;
}

/* Whether the runner of an active row is gone (same host, no such pid). */
static bool
runner_gone(const struct db_run *r)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	if (r->host == NULL || strcmp(r->host, host) != 0 || r->pid <= 0) {
		return silence(r) > STALE_S * 6;
	}
	return kill(r->pid, 0) != 0 && errno == ESRCH;
}

static void
add_space(void *ud, const struct db_run_space *sp)
{
	struct batch *b = ud;
	b->spaces = xreallocarray(b->spaces, b->n_spaces + 1, sizeof *b->spaces);
	b->spaces[b->n_spaces++] = (struct db_run_space){
		.url = xstrdup(sp->url), .state = xstrdup(sp->state), .in_flight = sp->in_flight,
		.done = sp->done, .failed = sp->failed, .hedges = sp->hedges,
		.latency_ms = sp->latency_ms,
		.last_error = sp->last_error != NULL ? xstrdup(sp->last_error) : NULL,
		.next_retry_at = sp->next_retry_at, .disabled = sp->disabled,
	};
}

static void
clear_spaces(struct batch *b)
{
	for (size_t i = 0; i < b->n_spaces; i++) {
		db_run_space_fini(&b->spaces[i]);
	}
	free(b->spaces);
	b->spaces = NULL;
	b->n_spaces = 0;
}

/* Whether process pid has ended (a zombie has: its reaper may be slow). */
static bool
process_gone(int pid)
{
	if (kill(pid, 0) != 0) {
		return errno == ESRCH;
	}
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return true;
	}
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');
	return paren != NULL && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/*
 * What the runner wrote to the log since it was started here, as one line:
 * its lines without their time and "launch:"/"run #N:" (the screen says
 * which), nor the exit status line ("(nothing in the log)" if empty).
 */
static char *
log_said(const struct batch *b)
{
	/* Only this start's part: the log holds every run of the library. */
	FILE *f = fopen(b->log_path, "r");
	if (f == NULL) {
		return xstrdup("(no log)");
	}
	GString *text = g_string_new(NULL);
	char buf[4096];
	size_t n;
	if (fseeko(f, (off_t)b->log_offset, SEEK_SET) != 0) {
		rewind(f);
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0 && text->len < (1u << 20)) {
		g_string_append_len(text, buf, (gssize)n);
	}
	fclose(f);
	GString *out = g_string_new(NULL);
	char **lines = g_strsplit(text->str, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		const char *colon = strstr(*l, ": ");
		const char *msg = g_regex_match_simple("^[0-9-]+ [0-9:]+ (launch|run #[0-9]+): ", *l,
		    0, 0) && colon != NULL ? colon + 2 : *l;
		if (strncmp(msg, "tagcon: ", 8) == 0) {
			msg += 8;
		}
		if (*msg == '\0' || strncmp(msg, "exit status ", 12) == 0) {
			continue;
		}
		g_string_append_printf(out, "%s%s", out->len > 0 ? "; " : "", msg);
	}
	g_strfreev(lines);
	g_string_free(text, TRUE);
	if (out->len == 0) {
		g_string_append(out, "(nothing in the log)");
	}
	return g_string_free(out, FALSE);
}

/* The runner started here ended: before its run began (a launch error),
 * or after (what it said last, for the run's note). */
static void
runner_ended(struct batch *b)
{
	struct db_run run;
	bool found = false;
	/* It may have begun and ended since the rows were read. */
	if (db_run_latest(console_db(b->c), &run, &found) && found) {
		db_run_fini(&b->run);
		b->run = run;
		b->have_run = true;
	}
	char *said = log_said(b);
	b->runner_pid = 0;
	if (b->started_at != 0 && !(b->have_run && b->run.id > b->run_before)) {
		free(b->launch_error);
		b->launch_error = xasprintf("the batch did not start: %s", said);
		console_message(b->c, CONSOLE_ERROR, "%s", b->launch_error);
		free(said);
	} else {
		free(b->said);
		b->said = said;
	}
	b->started_at = 0;
	console_redraw(b->c);
}

static void
check_started(struct batch *b)
{
	if (b->runner_pid > 0 && process_gone(b->runner_pid)) {
		runner_ended(b);
		return;
	}
	if (b->started_at == 0) {
		return;
	}
	if (b->have_run && b->run.id > b->run_before) {
		b->started_at = 0;
	} else if ((int64_t)time(NULL) - b->started_at > START_WAIT_S && !b->start_warned) {
		/* Alive but no run yet: say so once (it may be waiting on a lock);
		 * if it ends without one, that is still a launch error. */
		char *said = log_said(b);
		console_message(b->c, CONSOLE_WARN, "the batch runner has not begun its run after "
		    "%ds: %s", START_WAIT_S, said);
		free(said);
		b->start_warned = true;
	}
}

/* Redraw the tab line when the run moved, this screen also every second
 * (retry countdowns), and nothing when all is still. */
static void
redraw_if_changed(struct batch *b)
{
	GString *g = g_string_new(NULL);
	if (b->have_run) {
		const struct db_run *r = &b->run;
		g_string_append_printf(g, "%lld %s %lld %lld %lld %lld %s %lld", (long long)r->id,
		    r->state, (long long)r->updated_at, (long long)r->done, (long long)r->failed,
		    (long long)r->total, r->request ? r->request : "", (long long)r->skipped);
	}
	for (size_t i = 0; i < b->n_spaces; i++) {
		const struct db_run_space *sp = &b->spaces[i];
		g_string_append_printf(g, "|%s %s %d %lld %lld %lld %g %s %lld %d", sp->url,
		    sp->state, sp->in_flight, (long long)sp->done, (long long)sp->failed,
		    (long long)sp->hedges, sp->latency_ms, sp->last_error ? sp->last_error : "",
		    (long long)sp->next_retry_at, sp->disabled);
	}
	bool changed = b->signature == NULL || strcmp(b->signature, g->str) != 0;
	g_free(b->signature);
	b->signature = g_string_free(g, FALSE);
	bool visible = console_current(b->c) == SCREEN_BATCH;
	int64_t now = (int64_t)time(NULL);
	if (changed) {
		console_redraw_chrome(b->c);
	}
	if ((changed || now != b->drawn_second) && visible) {
		console_redraw(b->c);
	}
	b->drawn_second = now;
}

static void
poll_rows(void *ud)
{
	struct batch *b = ud;
	struct db *db = console_db(b->c);
	struct db_run run;
	bool found = false;
	if (!db_run_latest(db, &run, &found)) {
		free(b->error);
		b->error = xstrdup(db_errmsg(db));
		return;
	}
	db_run_fini(&b->run);
	b->run = run;
	b->have_run = found;
	clear_spaces(b);
	if (found) {
		db_run_spaces(db, run.id, add_space, b);
	}
	list_set_count(&b->list, (int64_t)b->n_spaces);
	check_started(b);
	redraw_if_changed(b);
}

static void duration(char *buf, size_t n, double s);

void
screen_batch_summary(void *data, char *buf, size_t n)
{
	struct batch *b = data;
	buf[0] = '\0';
	if (b == NULL || !b->have_run) {
		return;
	}
	const struct db_run *r = &b->run;
	/* total counts the images this run tags; skipped ones were done before */
	double pct = r->total > 0 ? 100.0 * (double)(r->done + r->failed) / (double)r->total : 0;
	if (!active(r)) {
		if ((int64_t)time(NULL) - r->updated_at < 300) {
			snprintf(buf, n, "batch %s", r->state);
		}
		return;
	}
	if (runner_gone(r)) {
		snprintf(buf, n, "batch stalled");
	} else if (strcmp(r->state, "running") != 0) {
		snprintf(buf, n, "batch %s %.0f%%", r->state, pct);
	} else {
		char eta[40] = "", d[32];
		if (r->eta_s >= 0) {
			duration(d, sizeof d, r->eta_s);
			snprintf(eta, sizeof eta, " ETA %s", d);
		}
		snprintf(buf, n, "batch %.0f%% %.1f/s%s", pct, r->rate, eta);
	}
}

/* --- actions ------------------------------------------------------------ */

/*
 * Start `tagcon batch` detached.  Without a folder the runner takes the
 * target folder setting, else every root; `here` passes the folder picked
 * in the Library's tree instead.
 */
static void
start_run(struct batch *b, bool here)
{
	if (b->have_run && active(&b->run) && !runner_gone(&b->run)) {
		console_message(b->c, CONSOLE_WARN, "run #%lld is already going (pid %d on %s)",
		    (long long)b->run.id, b->run.pid, b->run.host ? b->run.host : "?");
		return;
	}
	const struct console_filter *f = console_filter(b->c);
	if (here && f->under == NULL) {
		console_message(b->c, CONSOLE_WARN, "no folder picked in the Library (f there "
		    "opens the tree)");
		return;
	}
	char *folder = here ? xstrdup(f->under) : NULL;
	/* The runner reads its settings as the console does (--preset too). */
	const char *preset = console_options(b->c)->preset;
	char *argv[12] = {(char *)console_exe(b->c), "--db", (char *)console_db_path(b->c)};
	int k = 3;
	if (preset != NULL) {
		argv[k++] = "--preset";
		argv[k++] = (char *)preset;
	}
	argv[k++] = "batch";
	argv[k++] = "--log";
	argv[k++] = b->log_path;
	if (folder != NULL) {
		argv[k++] = "--folder";
		argv[k++] = folder;
	}
	struct stat st;
	b->log_offset = stat(b->log_path, &st) == 0 ? (int64_t)st.st_size : 0;
	free(b->launch_error);
	free(b->said);
	b->launch_error = b->said = NULL;
	b->start_warned = false;
	char *cause = NULL;
	if (!console_spawn_detached(b->c, argv, b->log_path, &b->runner_pid, &cause)) {
		b->launch_error = xasprintf("the batch did not start: %s", cause);
		console_message(b->c, CONSOLE_ERROR, "%s", cause);
		free(cause);
	} else {
		b->started_at = (int64_t)time(NULL);
		b->run_before = b->have_run ? b->run.id : 0;
		console_message(b->c, CONSOLE_INFO, "started tagcon batch%s%s (log: %s)",
		    folder ? " on " : "", folder ? folder : "", b->log_path);
	}
	free(folder);
}

static void
request(struct batch *b, const char *what)
{
	struct db *db = console_db(b->c);
	if (!b->have_run || !active(&b->run)) {
		console_message(b->c, CONSOLE_INFO, "no run is going");
	} else if (!db_run_request(db, b->run.id, what)) {
		console_message(b->c, CONSOLE_ERROR, "%s", db_errmsg(db));
	} else {
		console_message(b->c, CONSOLE_INFO, "asked run #%lld to %s", (long long)b->run.id,
		    what);
		poll_rows(b);
	}
}

static void
toggle_space(struct batch *b)
{
	if (b->list.cursor >= (int64_t)b->n_spaces || !b->have_run) {
		return;
	}
	const struct db_run_space *sp = &b->spaces[b->list.cursor];
	struct db *db = console_db(b->c);
	if (!db_run_space_disable(db, b->run.id, sp->url, !sp->disabled)) {
		console_message(b->c, CONSOLE_ERROR, "%s", db_errmsg(db));
		return;
	}
	console_message(b->c, CONSOLE_INFO, "%s %s", sp->disabled ? "enabled" : "disabled",
	    sp->url);
	poll_rows(b);
}

static int
batch_key(void *data, int key)
{
	struct batch *b = data;
	int confirm = b->confirm;
	b->confirm = 0;
	if (b->show_full) {
		b->show_full = false; /* any key closes the box, and only that */
		return REACT_REDRAW;
	}
	if (list_key(&b->list, key, true)) {
		return REACT_REDRAW;
	}
	switch (key) {
	case 's':
	case 'F':
		start_run(b, key == 'F');
		return REACT_REDRAW;
	case 'p':
		request(b, b->have_run && strcmp(b->run.state, "paused") == 0 ? "resume" : "pause");
		return REACT_REDRAW;
	case 'c':
		if (confirm != 'c' && b->have_run && active(&b->run)) {
			b->confirm = 'c';
			console_message(b->c, CONSOLE_WARN, "cancel run #%lld? press c again "
			    "(results so far are kept)", (long long)b->run.id);
			return REACT_REDRAW;
		}
		request(b, "cancel");
		return REACT_REDRAW;
	case 'd':
		toggle_space(b);
		return REACT_REDRAW;
	case 'i':
		b->show_full = b->list.cursor < (int64_t)b->n_spaces;
		return REACT_REDRAW;
	default:
		return REACT_NONE;
	}
}

/* --- drawing ------------------------------------------------------------ */

static void
duration(char *buf, size_t n, double s)
{
	long long t = (long long)(s + 0.5);
	if (t >= 3600) {
		snprintf(buf, n, "%lldh %02lldm", t / 3600, t / 60 % 60);
	} else if (t >= 60) {
		snprintf(buf, n, "%lldm %02llds", t / 60, t % 60);
	} else {
		snprintf(buf, n, "%llds", t);
	}
}

/*
 * How long an ended run took.  started_at and finished_at are whole seconds
 * (a 10.8 s run read "10s"); an ended run's rate is its average over its
 * exact length (writer_tick), so images / rate gives tenths, when it agrees
 * with the stamps (a run ended by an older tagcon kept a window's rate).
 */
static void
run_length(char *buf, size_t n, const struct db_run *r)
{
	double whole = (double)(r->finished_at - r->started_at);
	double handled = (double)(r->done + r->failed);
	double exact = r->rate > 0 && handled > 0 ? handled / r->rate : -1;
	bool agrees = exact >= 0 && exact - whole <= 1.0 && whole - exact <= 1.0;
	if (agrees && exact < 60) {
		snprintf(buf, n, "%.1fs", exact);
		return;
	}
	duration(buf, n, agrees ? exact : whole);
}

static void
draw_run(struct batch *b, WINDOW *w, int cols)
{
	const struct db_run *r = &b->run;
	char when[32], eta[32] = "unknown";
	time_t started = (time_t)r->started_at;
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&started));
	attr_t n = console_attr(b->c, THEME_NORMAL);
	term_printf(w, 0, 0, cols, console_attr(b->c, THEME_TITLE), "Run #%lld  %s",
	    (long long)r->id, r->state);
	/* Lines that may not fit end between words, with an ellipsis (i, and
	 * `tagcon batch status`, tell the rest). */
	char *line = xasprintf("model %s · %s · pid %d on %s · started %s", r->model,
	    r->folder != NULL ? r->folder : "every folder", r->pid, r->host ? r->host : "?", when);
	wrap_draw(w, 1, 0, cols, 1, line, n);
	free(line);
	int64_t handled = r->done + r->failed;
	double frac = r->total > 0 ? (double)handled / (double)r->total : (active(r) ? 0 : 1);
	char pct[64];
	snprintf(pct, sizeof pct, " %5.1f%%  %lld / %lld", 100 * frac, (long long)handled,
	    (long long)r->total);
	int pw = term_width(pct);
	term_bar(w, 3, 0, cols - pw > 10 ? cols - pw : cols, frac,
	    console_attr(b->c, THEME_BAR_ON), console_attr(b->c, THEME_BAR_OFF));
	if (cols - pw > 10) {
		term_put(w, 3, cols - pw, pw, pct, n, false);
	}
	/* An ETA means something only while images are being tagged. */
	if (strcmp(r->state, "running") != 0) {
		snprintf(eta, sizeof eta, "-");
	} else if (r->eta_s >= 0) {
		duration(eta, sizeof eta, r->eta_s);
	}
	/* An ended run's rate is its average (writer_tick), and says so. */
	line = xasprintf("rate %.1f images/s%s · ETA %s · tagged %lld · failed %lld · "
	    "already done %lld · dims filled %lld", r->rate, active(r) ? "" : " average", eta,
	    (long long)r->done,
	    (long long)r->failed, (long long)r->skipped, (long long)r->filled);
	wrap_draw(w, 4, 0, cols, 1, line, n);
	free(line);
	char note[160] = "";
	if (active(r) && runner_gone(r)) {
		snprintf(note, sizeof note, "no word from the runner for %llds: it may have died "
		    "(start a new run to resume)", (long long)silence(r));
	} else if (r->request != NULL) {
		snprintf(note, sizeof note, "asked to %s; waiting for the runner", r->request);
	} else if (!active(r) && r->total == 0 && r->failed == 0) {
		snprintf(note, sizeof note, "nothing to do: every image already has an answer "
		    "from this model");
	} else if (!active(r) && r->finished_at > 0) {
		run_length(eta, sizeof eta, r);
		snprintf(note, sizeof note, "%s after %s", r->state, eta);
	}
	term_put(w, 5, 0, cols, note, console_attr(b->c, THEME_WARNING), false);
	/* What the runner started here said as it ended (why it stopped). */
	if (!active(r) && b->said != NULL && r->id > b->run_before) {
		int x = term_width(note) > 0 ? term_width(note) + 2 : 0;
		if (x > 0) {
			term_put(w, 5, x - 2, 2, ": ", console_attr(b->c, THEME_WARNING), false);
		}
		wrap_draw(w, 5, x, cols - x, 1, b->said, console_attr(b->c, THEME_WARNING));
	}
}

struct space_cols {
	int url, state, infl, done, fail, hedge, lat, retry, err;
};

static struct space_cols
space_columns(int width)
{
	struct space_cols c = {.state = 11, .infl = 5, .done = 7, .fail = 6, .hedge = 6, .lat = 9,
		.retry = 9};
	int rest = width - c.state - c.infl - c.done - c.fail - c.hedge - c.lat - c.retry;
	c.url = rest * 45 / 100 < 12 ? 12 : rest * 45 / 100;
	c.err = rest - c.url;
	return c;
}

/* When a Space is tried next, for its column: "in 42s " soon, else the time
 * on the clock ("14:32:05 "), "in 2d " a day or more away; long form, "next
 * try at 14:32:05 (in 59m 59s)" (the date too a day or more away).  "- " (or
 * "") when it is not waiting. */
static void
retry_text(char *buf, size_t n, int64_t at, bool long_form)
{
	int64_t wait = at - (int64_t)time(NULL);
	if (at <= 0 || wait <= 0) {
		snprintf(buf, n, long_form ? "" : "- ");
		return;
	}
	char clock[32], in[32];
	time_t t = (time_t)at;
	strftime(clock, sizeof clock, wait < 86400 ? "%H:%M:%S" : "%Y-%m-%d %H:%M", localtime(&t));
	duration(in, sizeof in, (double)wait);
	if (long_form) {
		snprintf(buf, n, "next try at %s (in %s)", clock, in);
	} else if (wait < 100) {
		snprintf(buf, n, "in %llds ", (long long)wait);
	} else if (wait < 86400) {
		snprintf(buf, n, "%s ", clock);
	} else {
		snprintf(buf, n, "in %lldd ", (long long)(wait / 86400));
	}
}

static void
draw_space(void *ud, WINDOW *w, int y, int x, int width, int64_t i, bool is_cursor)
{
	struct batch *b = ud;
	const struct db_run_space *sp = &b->spaces[i];
	struct space_cols c = space_columns(width);
	attr_t a = console_attr(b->c, is_cursor ? THEME_SELECTED : THEME_NORMAL);
	/* A run that ended before asking a Space left it "probing". */
	bool unasked = !active(&b->run) && strcmp(sp->state, "probing") == 0;
	bool bad = strcmp(sp->state, "ready") != 0 && strcmp(sp->state, "busy") != 0;
	enum theme_role role = sp->disabled || unasked ? THEME_DIM : bad ? THEME_WARNING
	    : THEME_OK;
	attr_t sa = is_cursor ? a : console_attr(b->c, role);
	char buf[64];
	term_fill(w, y, x, width, a);
	term_put_aligned(w, y, x, c.url - 1, sp->url, a, TERM_TAIL);
	x += c.url;
	term_put(w, y, x, c.state, sp->disabled ? "disabled" : unasked ? "not asked" : sp->state,
	    sa, true);
	x += c.state;
	snprintf(buf, sizeof buf, "%d ", sp->in_flight);
	term_put_aligned(w, y, x, c.infl, buf, a, TERM_RIGHT);
	snprintf(buf, sizeof buf, "%lld ", (long long)sp->done);
	term_put_aligned(w, y, x += c.infl, c.done, buf, a, TERM_RIGHT);
	snprintf(buf, sizeof buf, "%lld ", (long long)sp->failed);
	term_put_aligned(w, y, x += c.done, c.fail, buf, a, TERM_RIGHT);
	snprintf(buf, sizeof buf, "%lld ", (long long)sp->hedges);
	term_put_aligned(w, y, x += c.fail, c.hedge, buf, a, TERM_RIGHT);
	snprintf(buf, sizeof buf, sp->latency_ms >= 0 ? "%.0f ms " : "- ", sp->latency_ms);
	term_put_aligned(w, y, x += c.hedge, c.lat, buf, a, TERM_RIGHT);
	retry_text(buf, sizeof buf, sp->next_retry_at, false);
	term_put_aligned(w, y, x += c.lat, c.retry, buf, a, TERM_RIGHT);
	wrap_draw(w, y, x + c.retry + 1, c.err - 1, 1, sp->last_error ? sp->last_error : "-",
	    is_cursor ? a : console_attr(b->c, sp->last_error ? THEME_ERROR : THEME_DIM));
}

static void
draw_spaces(struct batch *b, WINDOW *w, int y, int rows, int cols)
{
	struct space_cols c = space_columns(cols);
	attr_t h = console_attr(b->c, THEME_COLUMN);
	term_fill(w, y, 0, cols, h);
	term_put(w, y, 0, c.url, "Space", h, false);
	term_printf(w, y, c.url, cols - c.url, h, "%-*s%*s%*s%*s%*s%*s%*s %s", c.state, "state",
	    c.infl, "infl ", c.done, "done ", c.fail, "fail ", c.hedge, "hedg ", c.lat, "latency ",
	    c.retry, "retry ", "last error");
	if (b->n_spaces == 0) {
		term_put(w, y + 1, 1, cols - 1, "no Space has reported yet",
		    console_attr(b->c, THEME_DIM), false);
		return;
	}
	list_draw(&b->list, w, y + 1, 0, rows - 2, cols, draw_space, b,
	    console_attr(b->c, THEME_BORDER));
	if (b->list.cursor < (int64_t)b->n_spaces) {
		const struct db_run_space *sp = &b->spaces[b->list.cursor];
		char next[96];
		retry_text(next, sizeof next, sp->next_retry_at, true);
		char *line = xasprintf("%s: %s%s%s", sp->url, sp->last_error ? sp->last_error
		    : "no error", *next ? "; " : "", next);
		term_fill(w, y + rows - 1, 0, cols, console_attr(b->c, THEME_DIM));
		wrap_draw(w, y + rows - 1, 0, cols, 1, line, console_attr(b->c, THEME_DIM));
		free(line);
	}
}

/* The Space setting, read again when the settings change. */
static void
read_spaces(struct batch *b)
{
	if (b->spaces_gen == console_settings_gen(b->c) + 1) {
		return;
	}
	b->spaces_gen = console_settings_gen(b->c) + 1;
	size_t n = 0;
	char **list = settings_get_list(console_db(b->c), "spaces", &n);
	b->n_spaces_set = n;
	b->public_only = n == 1 && settings_public_space(list[0]);
	settings_list_free(list);
}

/* Where the Spaces stand, for a first run: none, the public one, or yours. */
static int
draw_space_advice(struct batch *b, WINDOW *w, int y, int rows, int cols)
{
	read_spaces(b);
	char *text;
	enum theme_role role = THEME_DIM;
	if (b->n_spaces_set == 0) {
		text = xasprintf("No Space is set: put one URL a line in Settings (3) → spaces, "
		    "e.g. your duplicate of %s.", SETTINGS_PUBLIC_SPACE);
		role = THEME_WARNING;
	} else if (b->public_only) {
		text = xasprintf("Space: SmilingWolf's public wd-tagger (%s), shared by everyone "
		    "and slower, one request at a time. For speed, duplicate it on Hugging Face "
		    "(its page, ⋮, Duplicate this Space) and add your copy's URL in Settings (3) → "
		    "spaces.", SETTINGS_PUBLIC_SPACE);
	} else {
		text = xasprintf("%zu Space%s set in Settings (3) → spaces.", b->n_spaces_set,
		    b->n_spaces_set == 1 ? "" : "s");
	}
	int used = wrap_draw(w, y, 1, cols - 2, rows, text, console_attr(b->c, role));
	free(text);
	return used;
}

static void
batch_draw(void *data, WINDOW *w)
{
	struct batch *b = data;
	int rows = getmaxy(w), cols = getmaxx(w);
	attr_t dim = console_attr(b->c, THEME_DIM), err = console_attr(b->c, THEME_ERROR);
	if (b->error != NULL) {
		term_put(w, rows - 1, 0, cols, b->error, err, false);
	}
	char *log = xasprintf("log: %s", b->log_path);
	if (!b->have_run) {
		term_put(w, 1, 1, cols - 2, "No batch has run on this library yet.",
		    console_attr(b->c, THEME_TITLE), false);
		int y = 3;
		y += wrap_draw(w, y, 1, cols - 2, 2, "s starts one (on the target folder of "
		    "Settings, or every folder), F on the folder picked in the Library.", dim);
		y += 1;
		y += draw_space_advice(b, w, y, rows - y - 1, cols);
		y += 1;
		y += wrap_draw(w, y, 1, cols - 2, 2, log, dim);
		if (b->launch_error != NULL && y + 1 < rows) {
			wrap_draw(w, y + 1, 1, cols - 2, rows - y - 2, b->launch_error, err);
		}
		free(log);
		return;
	}
	draw_run(b, w, cols);
	term_put(w, 2, 0, cols, log, dim, false);
	free(log);
	read_spaces(b);
	if (b->launch_error != NULL) {
		/* The newest start failed: that, not the older run's note. */
		term_fill(w, 5, 0, cols, console_attr(b->c, THEME_NORMAL));
		wrap_draw(w, 5, 0, cols, 2, b->launch_error, err);
	} else if (b->public_only) {
		wrap_draw(w, 6, 0, cols, 1, "public wd-tagger Space: shared, slower; add your own "
		    "in Settings (3) → spaces", dim);
	}
	if (rows > 9) {
		draw_spaces(b, w, 7, rows - 7, cols);
	}
	if (b->show_full && b->list.cursor < (int64_t)b->n_spaces) {
		const struct db_run_space *sp = &b->spaces[b->list.cursor];
		char next[96];
		retry_text(next, sizeof next, sp->next_retry_at, true);
		char *text = xasprintf("%s — %s%s%s", sp->url, sp->last_error ? sp->last_error
		    : "no error", *next ? "; " : "", next);
		wrap_popup(w, "i: the Space and its last error (any key closes)", text,
		    console_attr(b->c, THEME_NORMAL), console_attr(b->c, THEME_TITLE));
		free(text);
	}
}

/* --- the screen --------------------------------------------------------- */

static void *
batch_create(struct console *c)
{
	struct batch *b = xcalloc(1, sizeof *b);
	b->c = c;
	/* One log per library: lib.db keeps lib.batch.log beside it. */
	const char *db = console_db_path(c);
	size_t n = strlen(db);
	bool dotdb = n > 3 && strcmp(db + n - 3, ".db") == 0;
	b->log_path = xasprintf("%.*s.batch.log", (int)(dotdb ? n - 3 : n), db);
	list_init(&b->list);
	poll_rows(b);
	console_timer_add(c, POLL_MS, true, poll_rows, b);
	return b;
}

static void
batch_destroy(void *data)
{
	struct batch *b = data;
	db_run_fini(&b->run);
	clear_spaces(b);
	free(b->error);
	free(b->log_path);
	free(b->launch_error);
	free(b->said);
	g_free(b->signature);
	free(b);
}

static const struct key_help batch_help[] = {
	{"s", "start", true},
	{"F", "start on Library folder", true},
	{"p", "pause/resume", true},
	{"c", "cancel", true},
	{"d", "disable Space", true},
	{"?", "help", true},
	{"↑↓", "pick a Space", false},
	{"i", "the picked Space's URL and last error, whole", false},
	/* s once: the status line's entry above; what it starts on, here */
	{"", "s starts on Settings' target folder, or every folder when none", false},
	{"", "the runner is `tagcon batch --log LIB.batch.log`, beside the database;", false},
	{"", "this screen follows any run, wherever it was started", false},
	{"", "hedg: copies of images late on another Space sent to this one", false},
	{NULL, NULL, false},
};

const struct screen_ops screen_batch_ops = {
	.name = "Batch",
	.help = batch_help,
	.create = batch_create,
	.destroy = batch_destroy,
	.draw = batch_draw,
	.key = batch_key,
};
