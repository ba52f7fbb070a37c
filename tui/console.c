/*
 * console.c — the loop, the screens and the chrome (tab line and status
 * line).  The services the loop runs (timers, lanes, posts, children) live
 * in console-work.c.
 */
#include "tui/console-private.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/preset.h"
#include "core/tag/rules.h"
#include "core/settings.h"
#include "db/db.h"
#include "common/xalloc.h"
#include "tui/graphics.h"
#include "tui/screen-batch.h"
#include "tui/term.h"
#include "tui/widget-wrap.h"

#define MESSAGE_MS 5000
/* Below this the console shows only a note asking for a bigger window. */
#define MIN_ROWS 8
#define MIN_COLS 40
/* How long the terminal may take to say which pixel graphics it shows. */
#define TERMCAP_TIMEOUT_MS 150

static const struct screen_ops *const screen_table[SCREEN_COUNT] = {
	[SCREEN_LIBRARY] = &screen_library_ops,
	[SCREEN_REVIEW] = &screen_review_ops,
	[SCREEN_SETTINGS] = &screen_settings_ops,
	[SCREEN_BATCH] = &screen_batch_ops,
	[SCREEN_LOG] = &screen_log_ops,
	[SCREEN_HELP] = &screen_help_ops,
	[SCREEN_CALIBRATE] = &screen_calibrate_ops,
};

/* Set by handlers that run only inside ppoll() (signals are blocked elsewhere). */
static volatile sig_atomic_t got_quit;
static volatile sig_atomic_t got_resize;

static void
on_quit_signal(int sig)
{
	got_quit = sig;
}

static void
on_winch(int sig)
{
	(void)sig;
	got_resize = 1;
}

/* xalloc's last words: give the terminal back before abort(). */
static void
fatal_hook(void)
{
	endwin();
}

/* --- small accessors ---------------------------------------------------- */

struct db *
console_db(struct console *c)
{
	return c->db;
}

const char *
console_db_path(const struct console *c)
{
	return c->opts->db_path;
}

const char *
console_exe(const struct console *c)
{
	return c->exe;
}

const struct key_help *
console_screen_keys(struct console *c, enum screen_id id, const char **name)
{
	const struct screen_ops *ops = screen_table[id];
	const struct key_help *mode = ops->mode_help != NULL ? ops->mode_help(c->screens[id]) : NULL;
	*name = ops->name;
	return mode != NULL ? mode : ops->help;
}

enum screen_id
console_current(const struct console *c)
{
	return c->current;
}

attr_t
console_attr(const struct console *c, enum theme_role role)
{
	return theme_attr(c->theme, role);
}

enum preview_mode
console_preview_mode(const struct console *c)
{
	return c->preview_mode;
}

int
console_pair(struct console *c, int fg, int bg)
{
	if (!c->colour) {
		return 0;
	}
	int pair = find_pair(fg, bg);
	if (pair >= 0) {
		return pair;
	}
	/* When the table fills, start it over rather than let alloc_pair()
	 * recycle the theme's pairs; the body is redrawn whole anyway. */
	if (c->preview_pairs >= COLOR_PAIRS - THEME_N_ROLES - 16) {
		reset_color_pairs();
		theme_apply(c->theme);
		c->preview_pairs = 0;
	}
	c->preview_pairs++;
	pair = alloc_pair(fg, bg);
	return pair < 0 ? 0 : pair;
}

const struct console_opts *
console_options(const struct console *c)
{
	return c->opts;
}

void
console_set_activity(struct console *c, const char *text)
{
	free(c->activity);
	c->activity = text != NULL ? xstrdup(text) : NULL;
	c->chrome_dirty = true;
}

void
console_redraw(struct console *c)
{
	c->body_dirty = true;
	c->chrome_dirty = true;
}

void
console_redraw_chrome(struct console *c)
{
	c->chrome_dirty = true;
}

void
console_settings_changed(struct console *c)
{
	c->settings_gen++;
	/* What we changed ourselves is no news to console_watch_settings(). */
	console_settings_seen(c);
	console_redraw(c);
}

unsigned
console_settings_gen(const struct console *c)
{
	return c->settings_gen;
}

const struct rules *
console_rules(struct console *c)
{
	if (c->rules == NULL || c->rules_gen != c->settings_gen) {
		struct rules *r = rules_load(c->db, NULL);
		if (r != NULL) {
			rules_destroy(c->rules);
			c->rules = r;
			c->rules_gen = c->settings_gen;
		}
	}
	return c->rules;
}

void
console_show(struct console *c, enum screen_id id)
{
	if (id == SCREEN_HELP && c->current != SCREEN_HELP) {
		c->before_help = c->current;
	}
	c->current = id;
	if (screen_table[id]->enter != NULL) {
		screen_table[id]->enter(c->screens[id]);
	}
	console_redraw(c);
}

enum screen_id
console_help_target(const struct console *c)
{
	return c->before_help;
}

void
console_set_theme(struct console *c, const char *name)
{
	char *cause = NULL;
	theme_destroy(c->theme);
	c->theme = theme_load(name, c->colour, &cause);
	theme_apply(c->theme);
	if (cause != NULL) {
		console_message(c, CONSOLE_WARN, "%s", cause);
		free(cause);
	}
	if (c->header != NULL) {
		clearok(curscr, TRUE);
	}
	console_redraw(c);
}

/* --- messages ----------------------------------------------------------- */

/* A message wider than the status line is drawn whole over the bottom of
 * the body (draw_long_message): the body is drawn again when it comes and
 * goes. */
static bool
message_long(const struct console *c)
{
	return c->message != NULL && wrap_rows(c->message, COLS - 2) > 1;
}

static void
message_expired(void *ud)
{
	struct console *c = ud;
	c->body_dirty = c->body_dirty || message_long(c);
	free(c->message);
	c->message = NULL;
	c->message_timer = 0;
	c->chrome_dirty = true;
}

void
console_message(struct console *c, enum console_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(c->message);
	c->message = xvasprintf(fmt, ap);
	va_end(ap);
	c->message_level = level;
	if (c->message_timer != 0) {
		console_timer_cancel(c, c->message_timer);
	}
	/* A long one is given the time to be read, a second a row more. */
	int rows = message_long(c) ? wrap_rows(c->message, COLS - 2) : 1;
	c->message_timer = console_timer_add(c, MESSAGE_MS + 1000 * (rows - 1), false,
	    message_expired, c);
	c->chrome_dirty = true;
	c->body_dirty = c->body_dirty || rows > 1;
}

void
console_message_clear(struct console *c)
{
	if (c->message_timer != 0) {
		console_timer_cancel(c, c->message_timer);
	}
	message_expired(c);
}


void
console_set_cursor(struct console *c, int y, int x)
{
	c->cursor_y = y;
	c->cursor_x = x;
}

/* --- layout and chrome -------------------------------------------------- */

static void
layout(struct console *c)
{
	WINDOW **wins[] = {&c->header, &c->body, &c->status};
	for (size_t i = 0; i < 3; i++) {
		if (*wins[i] != NULL) {
			delwin(*wins[i]);
			*wins[i] = NULL;
		}
	}
	c->too_small = LINES < MIN_ROWS || COLS < MIN_COLS;
	if (c->too_small) {
		return;
	}
	c->header = newwin(1, COLS, 0, 0);
	c->body = newwin(LINES - 2, COLS, 1, 0);
	c->status = newwin(1, COLS, LINES - 1, 0);
	attr_t normal = console_attr(c, THEME_NORMAL);
	wbkgdset(c->body, normal | ' ');
	wbkgdset(c->header, console_attr(c, THEME_HEADER) | ' ');
	wbkgdset(c->status, console_attr(c, THEME_STATUS) | ' ');
	console_redraw(c);
}

static void
draw_header(struct console *c)
{
	WINDOW *w = c->header;
	int cols = getmaxx(w), x = 0;
	werase(w);
	bool narrow = cols < 72;
	x += term_put(w, 0, x, cols - x, narrow ? " " : " tagcon ", console_attr(c, THEME_HEADER),
	    false);
	for (int i = 0; i < SCREEN_HELP; i++) {
		char label[32];
		snprintf(label, sizeof label, narrow ? " %d %.3s " : " %d %s ", i + 1,
		    screen_table[i]->name);
		enum theme_role role = (enum screen_id)i == c->current ? THEME_TAB_ACTIVE
		    : THEME_TAB;
		x += term_put(w, 0, x, cols - x, label, console_attr(c, role), false);
	}
	char right[160];
	screen_batch_summary(c->screens[SCREEN_BATCH], right, sizeof right);
	char *line = c->activity != NULL ? xasprintf("%s  %s ", c->activity, right)
	    : xasprintf("%s ", right);
	int room = cols - x - 1;
	if (room > 0) {
		term_put_aligned(w, 0, x + 1, room, line, console_attr(c, THEME_HEADER),
		    TERM_RIGHT);
	}
	free(line);
}

static const struct key_help *
current_help(struct console *c)
{
	const struct screen_ops *ops = screen_table[c->current];
	const struct key_help *h = ops->mode_help != NULL ? ops->mode_help(c->screens[c->current])
	    : NULL;
	return h != NULL ? h : ops->help;
}

static void
draw_status(struct console *c)
{
	WINDOW *w = c->status;
	int cols = getmaxx(w), x = 0;
	werase(w);
	if (c->message != NULL && !message_long(c)) {
		static const enum theme_role roles[] = {
			THEME_STATUS, THEME_STATUS, THEME_STATUS_KEY, THEME_STATUS_KEY,
		};
		term_put(w, 0, 1, cols - 1, c->message, console_attr(c, roles[c->message_level]),
		    true);
		return;
	}
	for (const struct key_help *k = current_help(c); k->keys != NULL && x < cols; k++) {
		/* A hint shows whole or not at all (? lists every key). */
		if (!k->status || x + 2 + term_width(k->keys) + term_width(k->what) > cols) {
			continue;
		}
		x += term_put(w, 0, x, cols - x, " ", console_attr(c, THEME_STATUS), false);
		x += term_put(w, 0, x, cols - x, k->keys, console_attr(c, THEME_STATUS_KEY), false);
		x += term_printf(w, 0, x, cols - x, console_attr(c, THEME_STATUS), " %s", k->what);
	}
}

/* A message the status line would cut: whole, wrapped between words over
 * the body's last rows, just above the status line (the eye goes there). */
static void
draw_long_message(struct console *c)
{
	WINDOW *w = c->body;
	int rows = getmaxy(w), cols = getmaxx(w);
	attr_t a = console_attr(c, c->message_level >= CONSOLE_WARN ? THEME_STATUS_KEY
	    : THEME_STATUS);
	int n = wrap_rows(c->message, cols - 2);
	n = n > rows ? rows : n;
	for (int y = rows - n; y < rows; y++) {
		term_fill(w, y, 0, cols, a);
	}
	wrap_draw(w, rows - n, 1, cols - 2, n, c->message, a);
}

static void
draw_too_small(void)
{
	erase();
	mvprintw(0, 0, "tagcon needs %dx%d", MIN_COLS, MIN_ROWS);
	if (LINES > 1) {
		mvprintw(1, 0, "(now %dx%d)", COLS, LINES);
	}
	wnoutrefresh(stdscr);
	doupdate();
}

/* The one place that draws: dirty windows, then one doupdate(). */
static void
draw(struct console *c)
{
	if (c->too_small) {
		graphics_invalidate();
		draw_too_small();
		c->body_dirty = c->chrome_dirty = false;
		return;
	}
	if (is_cleared(curscr)) {
		/* The whole screen is written again: pixel images go with it. */
		graphics_invalidate();
		c->body_dirty = true;
	}
	if (c->chrome_dirty) {
		draw_header(c);
		draw_status(c);
		wnoutrefresh(c->header);
		wnoutrefresh(c->status);
	}
	if (c->body_dirty) {
		werase(c->body);
		c->cursor_y = -1;
		graphics_frame_begin();
		screen_table[c->current]->draw(c->screens[c->current], c->body);
		if (message_long(c)) {
			draw_long_message(c);
		}
		graphics_frame_end(c->body);
		wnoutrefresh(c->body);
	}
	if (c->cursor_y >= 0) {
		wmove(c->body, c->cursor_y, c->cursor_x);
		wnoutrefresh(c->body);
	}
	curs_set(c->cursor_y >= 0 ? 1 : 0);
	doupdate();
	/* Pixels go after the cells, over the blanks curses left for them. */
	graphics_flush();
	c->body_dirty = c->chrome_dirty = false;
}

static void
resize(struct console *c)
{
	struct winsize ws;
	/* resizeterm() queues a KEY_RESIZE of its own when it changes the
	 * size; read_keys() answers a KEY_RESIZE by coming here.  Only a real
	 * change may call it, or the two feed each other for ever. */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
	    (ws.ws_row != LINES || ws.ws_col != COLS)) {
		resizeterm(ws.ws_row, ws.ws_col);
	}
	layout(c);
	clearok(curscr, TRUE);
	for (int i = 0; i < SCREEN_COUNT; i++) {
		if (screen_table[i]->resize != NULL && c->screens[i] != NULL) {
			screen_table[i]->resize(c->screens[i]);
		}
	}
	console_redraw(c);
}

/* --- keys --------------------------------------------------------------- */

static int
global_key(struct console *c, int key)
{
	switch (key) {
	case 'q':
	case KEYC(KEY_F(10)):
		return REACT_QUIT;
	case '?':
	case KEYC(KEY_F(1)):
		console_show(c, SCREEN_HELP);
		return REACT_REDRAW;
	case KEYC_TAB:
		console_show(c, (c->current + 1) % SCREEN_HELP);
		return REACT_REDRAW;
	case KEYC(KEY_BTAB):
		console_show(c, (c->current + SCREEN_HELP - 1) % SCREEN_HELP);
		return REACT_REDRAW;
	case KEYC_CTRL('L'):
		clearok(curscr, TRUE);
		return REACT_REDRAW;
	default:
		break;
	}
	if (key >= '1' && key < '1' + SCREEN_HELP) {
		console_show(c, (enum screen_id)(key - '1'));
		return REACT_REDRAW;
	}
	if (key >= KEYC(KEY_F(2)) && key <= KEYC(KEY_F(6))) {
		console_show(c, (enum screen_id)(key - KEYC(KEY_F(2))));
		return REACT_REDRAW;
	}
	return REACT_NONE;
}

static void
dispatch(struct console *c, int key)
{
	if (c->too_small) {
		c->quit = key == 'q';
		return;
	}
	if (message_long(c)) {
		/* Over the body it hides rows the key may act on, and what the
		 * key does may make it stale (a refused line deleted): it has
		 * been read, it goes. */
		console_message_clear(c);
	}
	enum screen_id on = c->current;
	int r = screen_table[on]->key(c->screens[on], key);
	if (r == REACT_NONE) {
		r = global_key(c, key);
	}
	if (r & REACT_REDRAW) {
		c->body_dirty = true;
	}
	if (r & REACT_QUIT) {
		c->quit = true;
	}
	/* The status line shows the keys of the current mode, which a key may change. */
	c->chrome_dirty = true;
}

static void
read_keys(struct console *c)
{
	wint_t wch;
	int rc;
	while (!c->quit && (rc = wget_wch(stdscr, &wch)) != ERR) {
		if (rc == KEY_CODE_YES && wch == KEY_RESIZE) {
			resize(c);
			continue;
		}
		dispatch(c, term_key(rc, wch));
	}
}

/* --- the loop ----------------------------------------------------------- */

static void
loop(struct console *c, const sigset_t *unblocked)
{
	bool exiting_children = false;
	/* Keys typed while the terminal was asked wait in curses' queue, not
	 * on the fd that poll() watches. */
	read_keys(c);
	while (!c->quit && !got_quit) {
		if (got_resize) {
			got_resize = 0;
			resize(c);
		}
		int timeout = work_run_timers(c);
		if (c->body_dirty || c->chrome_dirty) {
			draw(c);
		}
		struct pollfd fds[2 + MAX_CHILDREN] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = c->wake_fd, .events = POLLIN},
		};
		int n = 2 + work_child_fds(c, fds + 2, MAX_CHILDREN);
		if (exiting_children && (timeout < 0 || timeout > 50)) {
			timeout = 50;
		}
		struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000L};
		if (ppoll(fds, (nfds_t)n, timeout < 0 ? NULL : &ts, unblocked) < 0) {
			if (errno == EINTR) {
				continue;
			}
			break;
		}
		if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			break; /* the terminal is gone (the SSH link dropped) */
		}
		if (fds[0].revents & POLLIN) {
			read_keys(c);
		}
		if (fds[1].revents & POLLIN) {
			work_run_posts(c);
		}
		exiting_children = work_children(c, fds + 2, n - 2);
	}
}

static void
block_signals(sigset_t *unblocked)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH};
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa = {.sa_handler = sigs[i] == SIGWINCH ? on_winch
		    : on_quit_signal};
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&set, sigs[i]);
	}
	/* Threads started later inherit this mask: only ppoll() sees signals. */
	pthread_sigmask(SIG_BLOCK, &set, unblocked);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		sigdelset(unblocked, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
}

/* Colour only where the terminal and the user want it (NO_COLOR, vt100, linux). */
static void
choose_colours(struct console *c)
{
	const char *term = getenv("TERM"), *no = getenv("NO_COLOR");
	bool plain_term = term == NULL || strncmp(term, "vt100", 5) == 0 ||
	    strncmp(term, "vt220", 5) == 0 || strncmp(term, "linux", 5) == 0 ||
	    strcmp(term, "dumb") == 0;
	c->colour = has_colors() && !(no != NULL && *no != '\0') && !plain_term;
	if (c->colour) {
		start_color();
		use_default_colors();
	}
	if (!c->colour || COLOR_PAIRS < 1024) {
		/* Too few pairs for a picture: symbols only. */
		c->preview_mode = PREVIEW_NONE;
	} else if (COLORS >= 0x1000000) {
		c->preview_mode = PREVIEW_TRUECOLOR;
	} else if (COLORS >= 256) {
		c->preview_mode = PREVIEW_256;
	} else if (COLORS >= 16) {
		c->preview_mode = PREVIEW_16;
	} else {
		c->preview_mode = PREVIEW_8;
	}
}

static bool
start_curses(struct console *c, char **cause)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*cause = xstrdup("the console needs a terminal (for the headless commands see "
		    "tagcon --help)");
		return false;
	}
	/* Before curses reads the terminal: the replies come back as input. */
	graphics_init(STDIN_FILENO, STDOUT_FILENO, TERMCAP_TIMEOUT_MS);
	if (newterm(NULL, stdout, stdin) == NULL) {
		const char *t = getenv("TERM");
		*cause = xasprintf("cannot use terminal type '%s'", t != NULL ? t : "");
		return false;
	}
	xalloc_set_fatal_hook(fatal_hook);
	graphics_replay_keys();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	/* Home and End as other terminals send them, whatever TERM says: under
	 * tmux or screen with TERM=xterm-256color, ESC[1~ would otherwise be
	 * read as Esc, '[', '1' (which switches screens) and '~'. */
	static const struct {
		const char *seq;
		int key;
	} extra[] = {
		{"\033[1~", KEY_HOME}, {"\033[7~", KEY_HOME}, {"\033[H", KEY_HOME},
		{"\033OH", KEY_HOME}, {"\033[4~", KEY_END}, {"\033[8~", KEY_END},
		{"\033[F", KEY_END}, {"\033OF", KEY_END},
	};
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		if (key_defined(extra[i].seq) <= 0) {
			define_key(extra[i].seq, extra[i].key);
		}
	}
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	choose_colours(c);
	char *name = c->opts->theme != NULL ? xstrdup(c->opts->theme)
	    : settings_get(c->db, "theme");
	console_set_theme(c, name != NULL ? name : "default");
	free(name);
	wnoutrefresh(stdscr);
	layout(c);
	return true;
}

/* Leaving: no pixel image may outlive the console on the screen (kitty's
 * float above the shell; a sixel stays where no alternate screen hides it). */
static void
quit_graphics(struct console *c)
{
	if (c->body != NULL && !c->too_small) {
		graphics_frame_begin();
		graphics_frame_end(c->body);
		wnoutrefresh(c->body);
		doupdate();
		graphics_flush();
	}
	graphics_fini();
}

static void
console_free(struct console *c)
{
	for (int i = 0; i < SCREEN_COUNT; i++) {
		if (c->screens[i] != NULL) {
			screen_table[i]->destroy(c->screens[i]);
		}
	}
	theme_destroy(c->theme);
	free(c->message);
	free(c->activity);
	console_state_fini(c);
	free(c->exe);
	db_close(c->db);
	free(c);
}

int
console_run(const struct console_opts *opts)
{
	struct console *c = xcalloc(1, sizeof *c);
	c->opts = opts;
	c->cursor_y = -1;
	c->filter.state = -1;
	setlocale(LC_ALL, "");
	term_init();
	char *cause = NULL;
	c->exe = realpath("/proc/self/exe", NULL);
	c->db = db_open(opts->db_path, &cause);
	if (c->db != NULL && opts->preset != NULL && !preset_use(c->db, opts->preset, &cause)) {
		db_close(c->db);
		c->db = NULL;
	}
	sigset_t unblocked;
	block_signals(&unblocked);
	if (c->db == NULL || c->exe == NULL || !work_init(c, &cause) || !start_curses(c, &cause)) {
		fprintf(stderr, "tagcon: %s\n", cause != NULL ? cause : strerror(errno));
		free(cause);
		console_free(c);
		return 1;
	}
	console_settings_seen(c);
	console_timer_add(c, SETTINGS_POLL_MS, true, console_watch_settings, c);
	for (int i = 0; i < SCREEN_COUNT; i++) {
		c->screens[i] = screen_table[i]->create(c);
	}
	console_show(c, SCREEN_LIBRARY);
	loop(c, &unblocked);
	quit_graphics(c);
	/* Give the terminal back first: whatever follows may take a moment. */
	endwin();
	work_fini(c);
	console_free(c);
	/* Ended by a signal (SIGTERM, SIGHUP when the link drops): say so. */
	return got_quit != 0 ? 128 + got_quit : 0;
}
