/*
 * console-private.h — what console.c (the loop, screens and chrome) and
 * console-work.c (timers, worker lanes, posts, children) share.  Nothing
 * else includes it.
 */
#ifndef TAGCON_CONSOLE_PRIVATE_H
#define TAGCON_CONSOLE_PRIVATE_H

#include <poll.h>
#include <pthread.h>
#include <sys/types.h>

#include "db/search.h"
#include "tui/console.h"

#define MAX_TIMERS 32
#define MAX_CHILDREN 8

struct timer {
	int id;
	int64_t due_ms;
	int interval_ms;
	bool repeat;
	console_timer_fn fn;
	void *ud;
};

struct job {
	struct job *next;
	enum console_job_kind kind;
	console_work_fn work;
	console_done_fn done;
	void *arg;
	atomic_bool cancel;
};

struct lane {
	struct console *console;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct job *head;
	struct job *running;
	bool stop;
	struct db *db;
};

struct post {
	struct post *next;
	void (*fn)(void *arg);
	void *arg;
};

struct child {
	pid_t pid;
	int fd; /* -1 once at EOF */
	char *buf;
	size_t len;
	const struct console_child_ops *ops;
	void *ud;
};

struct console {
	const struct console_opts *opts;
	struct db *db;
	char *exe;
	void *screens[SCREEN_COUNT];
	enum screen_id current;
	enum screen_id before_help;

	WINDOW *header;
	WINDOW *body;
	WINDOW *status;
	bool body_dirty;
	bool chrome_dirty;
	bool too_small;
	bool quit;
	int cursor_y; /* where draw() left the text cursor in the body, or -1 */
	int cursor_x;

	struct theme *theme;
	bool colour;
	enum preview_mode preview_mode;
	int preview_pairs; /* colour pairs console_pair() allocated */
	unsigned settings_gen;
	struct rules *rules; /* console_rules(): the snapshot of settings_gen rules_gen */
	unsigned rules_gen;

	/* console-state.c: what the screens share */
	struct console_filter filter;
	unsigned filter_gen;
	char *model;
	struct search_opts search; /* under model and rules, of settings_gen opts_gen */
	unsigned opts_gen;
	int64_t image;
	const struct review *review;
	struct review_request {
		int64_t id;
		bool next;
		bool pending;
	} review_request;
	unsigned data_gen;
	char *settings_snap;       /* db_settings_snapshot() last seen */
	int64_t settings_version;  /* db_browse_version() then */

	char *message;
	enum console_level message_level;
	int message_timer;

	struct timer timers[MAX_TIMERS];
	int next_timer_id;

	struct lane lanes[LANE_COUNT];
	int wake_fd;
	pthread_mutex_t post_mu;
	struct post *posts;
	struct post **posts_tail;

	struct child children[MAX_CHILDREN];

	char *activity;
};

/* console-state.c */
void console_state_fini(struct console *c);
/* Settings, rules and presets from other processes: every SETTINGS_POLL_MS
 * the loop compares a snapshot of them (when the database moved at all)
 * and says console_settings_changed() when they differ. */
#define SETTINGS_POLL_MS 1000
void console_settings_seen(struct console *c);
void console_watch_settings(void *c);

/* console-work.c */
bool work_init(struct console *c, char **cause);
/* Stop every lane and free what they hold (the loop has ended). */
void work_fini(struct console *c);
/* Run due timers; milliseconds until the next one, or -1 when none. */
int work_run_timers(struct console *c);
/* Run what other threads posted (the wake-up fd was readable). */
void work_run_posts(struct console *c);
/* Add the pipes of running children to fds; returns how many. */
int work_child_fds(struct console *c, struct pollfd *fds, int max);
/* Read children whose fd poll() flagged; true while one is still exiting. */
bool work_children(struct console *c, const struct pollfd *fds, int n);

#endif
