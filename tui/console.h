/*
 * console.h — the interactive console: one poll() loop, its screens and the
 * services they share.
 *
 * The loop (console_run) is the only place that draws, and it draws once per
 * pass: it waits in ppoll() on the terminal, a wake-up eventfd and the pipes
 * of child processes, with the nearest timer as timeout; signals are blocked
 * everywhere else and arrive only there, where their handlers set flags.
 * Then it handles keys, timers and finished background work, and if anything
 * marked itself dirty, redraws those windows (wnoutrefresh) and calls
 * doupdate() once.
 *
 * Screens are `const struct screen_ops` tables (screen-*.c).  key() changes
 * state and returns REACT_* bits; it never draws.  draw() paints the body
 * window from the screen's state and nothing else.
 *
 * Nothing slow runs on this thread.  Work that reads much of the database,
 * decodes images or walks directories goes to a lane (a worker thread with
 * its own database handle, see console_job) and comes back through
 * console_post(), which wakes the loop.
 */
#ifndef TAGCON_CONSOLE_H
#define TAGCON_CONSOLE_H

#include <curses.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/image/preview.h"
#include "db/browse.h"
#include "tui/theme.h"

struct console;
struct db;

/* What a key() did, as bits. */
enum {
	REACT_NONE = 0,    /* not this screen's key: the console tries its own */
	REACT_HANDLED = 1, /* used; nothing visible changed */
	REACT_REDRAW = 2,  /* the body must be drawn again */
	REACT_QUIT = 4,
};

/* One line of a screen's key help; tables end with keys == NULL. */
struct key_help {
	const char *keys;
	const char *what;
	bool status; /* shown on the status line too */
};

enum screen_id {
	SCREEN_LIBRARY,
	SCREEN_REVIEW,
	SCREEN_SETTINGS,
	SCREEN_BATCH,
	SCREEN_LOG,
	SCREEN_HELP,
	SCREEN_CALIBRATE, /* no tab: Settings opens it (C) */
	SCREEN_COUNT,
};

struct screen_ops {
	const char *name; /* tab label */
	const struct key_help *help;
	void *(*create)(struct console *c);
	void (*destroy)(void *data);
	/* Optional: the screen becomes visible. */
	void (*enter)(void *data);
	/* Paint the body window (sized to the body, already erased). */
	void (*draw)(void *data, WINDOW *win);
	int (*key)(void *data, int key);
	/* Optional: the terminal changed size (the next draw has the new size). */
	void (*resize)(void *data);
	/* Optional: a help table for the current mode (a prompt has its own keys). */
	const struct key_help *(*mode_help)(void *data);
};

extern const struct screen_ops screen_library_ops;
extern const struct screen_ops screen_review_ops;
extern const struct screen_ops screen_settings_ops;
extern const struct screen_ops screen_batch_ops;
extern const struct screen_ops screen_log_ops;
extern const struct screen_ops screen_help_ops;
extern const struct screen_ops screen_calibrate_ops;

struct console_opts {
	const char *db_path; /* resolved database path */
	const char *theme;   /* --theme, or NULL for the setting */
	char *const *dirs;   /* scanned in the background at start */
	int n_dirs;
	const char *preset;  /* --preset: every connection reads settings through it */
};

/* Run the console until the user leaves or a signal ends it; exit status. */
int console_run(const struct console_opts *opts);

/* The UI thread's own database handle. */
struct db *console_db(struct console *c);
const char *console_db_path(const struct console *c);
/* This executable (/proc/self/exe), to start `tagcon batch` and `spaces`. */
const char *console_exe(const struct console *c);

/* The keys screen id takes now (its mode's, as a prompt has its own), and
 * its name: what the help screen lists. */
const struct key_help *console_screen_keys(struct console *c, enum screen_id id,
    const char **name);
enum screen_id console_current(const struct console *c);
/* Switch screens (state change only: the loop draws). */
void console_show(struct console *c, enum screen_id id);

/* From draw(): show the text cursor at (y, x) of the body this frame. */
void console_set_cursor(struct console *c, int y, int x);

/* Ask for a redraw of the body and the chrome (from timers, posts, children). */
void console_redraw(struct console *c);
/* Only the tab and status lines changed. */
void console_redraw_chrome(struct console *c);

enum console_level { CONSOLE_INFO, CONSOLE_OK, CONSOLE_WARN, CONSOLE_ERROR };
/* A message on the status line for a few seconds (text sanitised on draw). */
void console_message(struct console *c, enum console_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The message goes now (what it said is over: "still loading" once loaded). */
void console_message_clear(struct console *c);

attr_t console_attr(const struct console *c, enum theme_role role);
/* Load and apply another theme now (settings, --theme). */
void console_set_theme(struct console *c, const char *name);
/* A colour pair for fg on bg (terminal colour numbers, -1 the default),
 * allocated on demand for previews; 0 without colour. */
int console_pair(struct console *c, int fg, int bg);
/* The preview canvas this terminal takes. */
enum preview_mode console_preview_mode(const struct console *c);

/* Settings changed (saved in the Settings screen): screens re-read them. */
void console_settings_changed(struct console *c);
unsigned console_settings_gen(const struct console *c);
/*
 * The rules snapshot every screen of the UI thread derives suggestions
 * under (settings, overrides, tag rules; core/tag/rules.h), taken again
 * after the settings change; NULL when the database cannot be read.  Valid
 * until the next settings change.
 */
struct rules;
const struct rules *console_rules(struct console *c);

/*
 * What the screens share (console-state.c).  Screens never call each other:
 * one sets state here, the others read it when they draw or show.
 */
struct review;
struct search_node;

/* The Library's filter: a query, a state, a folder of the tree, a sort. */
struct console_filter {
	char *query_text;          /* as typed; NULL with no query */
	struct search_node *query; /* parsed */
	int state;                 /* an enum db_state, or -1 for any */
	char *under;               /* a folder (no trailing '/'), or NULL */
	enum db_browse_sort sort;
};
const struct console_filter *console_filter(const struct console *c);
/* Changes the filter (each bumps console_filter_gen()); set_query takes tree. */
void console_filter_set_query(struct console *c, const char *text, struct search_node *tree);
void console_filter_set_state(struct console *c, int state);
void console_filter_set_folder(struct console *c, const char *under);
void console_filter_set_sort(struct console *c, enum db_browse_sort sort);
unsigned console_filter_gen(const struct console *c);
/* The filter as db/browse.h takes it, under the current model and rules
 * (borrowed until the filter or the settings change). */
void console_browse_filter(struct console *c, struct db_browse_filter *out);
/* The model setting, as the views read it. */
const char *console_model(struct console *c);

/* The image a person looks at (the Library's cursor), 0 for none. */
void console_set_image(struct console *c, int64_t id);
int64_t console_image(const struct console *c);
/* The review on screen (the Review screen's), NULL for none. */
void console_set_review(struct console *c, const struct review *r);
const struct review *console_review(const struct console *c);
/* Review image id (next: the next pending image from it), and show Review. */
void console_open_review(struct console *c, int64_t id, bool next);
/* The last such request not yet taken (by Review, when it shows). */
bool console_take_review_request(struct console *c, int64_t *id, bool *next);
/* This process changed the library (a commit, a retry): views read again. */
void console_data_changed(struct console *c);
unsigned console_data_gen(const struct console *c);

/* Timers, on the UI thread.  Returns an id for console_timer_cancel. */
typedef void (*console_timer_fn)(void *ud);
int console_timer_add(struct console *c, int ms, bool repeat, console_timer_fn fn, void *ud);
void console_timer_cancel(struct console *c, int id);

/*
 * Background work.  A lane is one worker thread with its own database
 * handle; jobs on a lane run in order.  A job submitted with a non-zero kind
 * replaces a queued job of the same kind on that lane (done(arg, true) runs
 * for the dropped one) and raises the cancel flag of a running one, so only
 * the newest request for, say, the page under the cursor is worked on.
 */
enum console_lane {
	LANE_QUERY,   /* short reads: pages, counts */
	LANE_STATS,   /* reads of the whole library (folder tree, threshold effects) */
	LANE_PREVIEW, /* decoding and rendering images */
	LANE_SCAN,    /* indexing directories */
	LANE_COUNT,
};

/* Kinds of jobs: unique across every lane user, so a newer job replaces
 * only an older one of its own kind. */
enum console_job_kind {
	JOB_ANY = 0, /* never replaced */
	JOB_LIBRARY_PAGE,
	JOB_LIBRARY_COUNT,
	JOB_LIBRARY_TREE,
	JOB_LIBRARY_RANDOM,
	JOB_LOG_PAGE,
	JOB_FOLDER_LIST,
	JOB_PREVIEW,
	JOB_IMPACT,
	JOB_IMPACT_PENDING,
	JOB_CALIBRATE,
};

struct console_job_ctx {
	struct console *console;
	struct db *db; /* the lane's handle; NULL if it could not be opened */
	const atomic_bool *cancel;
};

typedef void (*console_work_fn)(void *arg, const struct console_job_ctx *ctx);
/* On the UI thread, once per job, cancelled or not; owns arg. */
typedef void (*console_done_fn)(void *arg, bool cancelled);

void console_job(struct console *c, enum console_lane lane, enum console_job_kind kind,
    console_work_fn work, console_done_fn done, void *arg);

/* From any thread: run fn(arg) on the UI thread soon (wakes the loop). */
void console_post(struct console *c, void (*fn)(void *arg), void *arg);

/*
 * Run argv as a child whose standard output the loop reads: line() gets each
 * line (without the newline), then exited() the wait status.  Both run on the
 * UI thread.  Returns false with *cause if it could not start.
 */
struct console_child_ops {
	void (*line)(void *ud, const char *line);
	void (*exited)(void *ud, int status);
};
bool console_spawn(struct console *c, char *const argv[], const struct console_child_ops *ops,
    void *ud, char **cause);
/* Start argv detached (own session, no terminal), output appended to log;
 * *pid is its process (not this one's child: kill(pid, 0) tells it lives). */
bool console_spawn_detached(struct console *c, char *const argv[], const char *log,
    int *pid, char **cause);

const struct console_opts *console_options(const struct console *c);

/*
 * The library's rules and, from them, search options for model as every
 * view of the console reads: folder overrides and tag rules in, no rating
 * limit (a curator sees every image; max_rating filters the shell's
 * commands).  o points into the result; NULL when db is NULL or cannot be
 * read.  Free with rules_destroy().
 */
struct search_opts;
struct rules *console_search_opts(struct db *db, const char *model, struct search_opts *o);
/* What runs in the background, for the tab line ("scanning: 1200 files"). */
void console_set_activity(struct console *c, const char *text);
/* The screen whose keys the help screen lists. */
enum screen_id console_help_target(const struct console *c);

#endif
