/* termcap.c — the terminal's pixel graphics, from its answers and the environment. */
#include "tui/termcap.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* When nothing says otherwise: a common 10×20 pixel cell. */
#define CELL_W_GUESS 10
#define CELL_H_GUESS 20

/* Kitty's query (a 1×1 image never stored: a=q), the cell size, the text
 * area in pixels, and last DA1, which every terminal answers. */
static const char queries[] = "\033_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\033\\"
    "\033[16t" "\033[14t" "\033[c";

const char *
termcap_proto_name(enum termcap_proto p)
{
	static const char *const names[] = {"symbols", "sixel", "kitty", "iterm"};
	return names[p];
}

bool
termcap_proto_parse(const char *s, enum termcap_proto *p, bool *auto_)
{
	*auto_ = s == NULL || strcmp(s, "auto") == 0;
	if (*auto_) {
		return true;
	}
	for (int i = TERMCAP_SYMBOLS; i <= TERMCAP_ITERM; i++) {
		if (strcmp(s, termcap_proto_name((enum termcap_proto)i)) == 0) {
			*p = (enum termcap_proto)i;
			return true;
		}
	}
	return false;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);
	return v != NULL ? v : "";
}

/* What the environment says the terminal is, or SYMBOLS when it says nothing. */
static enum termcap_proto
env_hint(const char *term, const char **why)
{
	const char *prog = env("TERM_PROGRAM");
	if (*env("KITTY_WINDOW_ID") != '\0' || strcmp(term, "xterm-kitty") == 0) {
		*why = "kitty (environment)";
		return TERMCAP_KITTY;
	}
	if (strcasecmp(prog, "iTerm.app") == 0 || strcasecmp(env("LC_TERMINAL"), "iTerm2") == 0) {
		*why = "iTerm2 (environment)";
		return TERMCAP_ITERM;
	}
	if (strcasecmp(prog, "WezTerm") == 0 || *env("WEZTERM_PANE") != '\0' ||
	    *env("WEZTERM_EXECUTABLE") != '\0') {
		*why = "WezTerm (environment)";
		return TERMCAP_KITTY;
	}
	if (strncmp(term, "foot", 4) == 0 || strcmp(term, "mlterm") == 0 ||
	    strcmp(term, "contour") == 0 || strtoul(env("KONSOLE_VERSION"), NULL, 10) >= 220370) {
		*why = "a sixel terminal (environment)";
		return TERMCAP_SIXEL;
	}
	return TERMCAP_SYMBOLS;
}

/* The numbers of a CSI sequence's parameters "a;b;c", at most max. */
static int
csi_params(const char *p, const char *end, int *v, int max)
{
	int n = 0;
	v[0] = 0;
	for (; p < end && n < max; p++) {
		if (*p >= '0' && *p <= '9') {
			v[n] = v[n] * 10 + (*p - '0');
			v[n] = v[n] > 100000 ? 100000 : v[n];
		} else if (*p == ';') {
			if (++n < max) {
				v[n] = 0;
			}
		}
	}
	return n < max ? n + 1 : max;
}

/* One CSI reply from its parameters to its final byte. */
static bool
csi_reply(struct termcap *tc, const char *p, const char *end, char final, bool *sixel)
{
	int v[32];
	bool private = p < end && *p == '?';
	int n = csi_params(p + private, end, v, 32);
	if (final == 'c' && private) {
		for (int i = 1; i < n; i++) {
			*sixel |= v[i] == 4;
		}
		return true;
	}
	if (final == 't' && n == 3 && v[0] == 6 && v[1] > 0 && v[2] > 0) {
		tc->cell_h = v[1];
		tc->cell_w = v[2];
	} else if (final == 't' && n == 3 && v[0] == 4 && v[1] > 0 && v[2] > 0 &&
	    tc->cell_w == 0) {
		struct winsize ws;
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
			tc->cell_h = v[1] / ws.ws_row;
			tc->cell_w = v[2] / ws.ws_col;
		}
	}
	return false;
}

/* Bytes of buf outside the replies: keys typed while the terminal was asked. */
static void
keep_typed(struct termcap *tc, const char *from, const char *to)
{
	while (from < to && tc->n_typed < (int)sizeof tc->typed) {
		tc->typed[tc->n_typed++] = *from++;
	}
}

bool
termcap_parse_replies(struct termcap *tc, const char *buf, int len, bool *kitty, bool *sixel)
{
	const char *p = buf, *end = buf + len, *plain = buf;
	bool da1 = false;
	tc->n_typed = 0;
	while (p < end && (p = memchr(p, '\033', (size_t)(end - p))) != NULL) {
		const char *start = p;
		if (end - p >= 2 && p[1] == '[') {
			const char *q = p + 2;
			while (q < end && ((*q >= '0' && *q <= '9') || *q == ';' || *q == '?')) {
				q++;
			}
			if (q == end) {
				break; /* the rest has not arrived */
			}
			if (*q != 'c' && *q != 't') {
				p = q + 1; /* a key (an arrow): typed */
				continue;
			}
			da1 |= csi_reply(tc, p + 2, q, *q, sixel);
			p = q + 1;
		} else if (end - p >= 3 && p[1] == '_' && p[2] == 'G') {
			const char *st = p + 3;
			while (st + 1 < end && !(st[0] == '\033' && st[1] == '\\')) {
				st++;
			}
			if (st + 1 >= end) {
				break;
			}
			/* "ESC_Gi=31;OK ESC\": the body says which image and OK or an error. */
			const char *semi = memchr(p, ';', (size_t)(st - p));
			*kitty |= semi != NULL && st - semi == 3 && memcmp(semi, ";OK", 3) == 0 &&
			    memmem(p, (size_t)(semi - p), "i=31", 4) != NULL;
			p = st + 2;
		} else {
			p++;
			continue;
		}
		keep_typed(tc, plain, start);
		plain = p;
	}
	keep_typed(tc, plain, end);
	return da1;
}

static long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Write the queries to fd and read replies until DA1's or the timeout, in
 * raw mode (the replies must not echo, nor wait for a newline). */
static void
ask(struct termcap *tc, int fd, int out, int timeout_ms, bool *kitty, bool *sixel)
{
	struct termios old, raw;
	if (tcgetattr(fd, &old) != 0) {
		return;
	}
	raw = old;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &raw) != 0) {
		return;
	}
	char buf[1024];
	int len = 0;
	if (write(out, queries, sizeof queries - 1) == (ssize_t)(sizeof queries - 1)) {
		long deadline = now_ms() + timeout_ms;
		for (;;) {
			long left = deadline - now_ms();
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
				break;
			}
			ssize_t n = read(fd, buf + len, sizeof buf - 1 - (size_t)len);
			if (n <= 0 && errno != EINTR && errno != EAGAIN) {
				break;
			}
			len += n > 0 ? (int)n : 0;
			if (termcap_parse_replies(tc, buf, len, kitty, sixel) ||
			    len >= (int)sizeof buf - 1) {
				break;
			}
		}
	}
	tcsetattr(fd, TCSANOW, &old);
}

/* tmux's answer to "tmux COMMAND -t PANE ARG", trimmed; "" when it fails. */
static void
tmux_ask(const char *command, const char *arg, char *out, size_t size)
{
	const char *pane = getenv("TMUX_PANE");
	char cmd[256];
	out[0] = '\0';
	if (pane == NULL || strspn(pane, "%0123456789") != strlen(pane)) {
		return;
	}
	snprintf(cmd, sizeof cmd, "tmux %s -t '%s' %s 2>/dev/null", command, pane, arg);
	FILE *f = popen(cmd, "r");
	if (f == NULL) {
		return;
	}
	if (fgets(out, (int)size, f) == NULL) {
		out[0] = '\0';
	}
	out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

/* Inside tmux: passthrough, the pane's place, the outer terminal's name. */
static void
ask_tmux(struct termcap *tc, char *outer, size_t size)
{
	char line[256];
	tmux_ask("show -Apv", "allow-passthrough", line, sizeof line);
	/* "on", or "all" (tmux 3.4: also from invisible panes). */
	tc->passthrough = strcmp(line, "on") == 0 || strcmp(line, "all") == 0;
	tmux_ask("display -p", "'#{pane_top} #{pane_left} #{client_termname}'", line,
	    sizeof line);
	outer[0] = '\0';
	if (sscanf(line, "%d %d %63s", &tc->pane_top, &tc->pane_left, outer) < 2) {
		tc->pane_top = tc->pane_left = 0;
	}
	(void)size;
}

void
termcap_detect(struct termcap *tc, int fd, int out, int timeout_ms)
{
	memset(tc, 0, sizeof *tc);
	const char *term = env("TERM"), *why = NULL;
	char outer[64] = "";
	tc->tmux = *env("TMUX") != '\0';
	if (tc->tmux) {
		ask_tmux(tc, outer, sizeof outer);
		term = *outer != '\0' ? outer : term;
	}
	bool kitty = false, sixel = false;
	if (isatty(fd) && isatty(out)) {
		ask(tc, fd, out, timeout_ms, &kitty, &sixel);
	}
	enum termcap_proto hint = env_hint(term, &why);
	if (tc->tmux && sixel) {
		/* tmux built with sixel draws them itself: no passthrough needed. */
		tc->proto = TERMCAP_SIXEL;
		snprintf(tc->how, sizeof tc->how, "sixel (tmux draws them)");
	} else if (tc->tmux && !tc->passthrough) {
		tc->proto = TERMCAP_SYMBOLS;
		snprintf(tc->how, sizeof tc->how, "symbols (tmux: allow-passthrough is off)");
	} else if (kitty) {
		tc->proto = TERMCAP_KITTY;
		snprintf(tc->how, sizeof tc->how, "kitty (the terminal answered)");
	} else if (hint == TERMCAP_ITERM || hint == TERMCAP_KITTY) {
		tc->proto = hint;
		snprintf(tc->how, sizeof tc->how, "%s", why);
	} else if (sixel) {
		tc->proto = TERMCAP_SIXEL;
		snprintf(tc->how, sizeof tc->how, "sixel (the terminal answered)");
	} else {
		tc->proto = hint;
		snprintf(tc->how, sizeof tc->how, "%s", hint != TERMCAP_SYMBOLS ? why
		    : "symbols (no pixel graphics found)");
	}
	if (tc->tmux && tc->passthrough && tc->proto != TERMCAP_SYMBOLS && !sixel) {
		size_t n = strlen(tc->how);
		snprintf(tc->how + n, sizeof tc->how - n, ", through tmux");
	}
}

void
termcap_cell_size(const struct termcap *tc, int fd, int *w, int *h)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_xpixel > 0 && ws.ws_ypixel > 0 &&
	    ws.ws_col > 0 && ws.ws_row > 0) {
		*w = ws.ws_xpixel / ws.ws_col;
		*h = ws.ws_ypixel / ws.ws_row;
	} else if (tc->cell_w > 0 && tc->cell_h > 0) {
		*w = tc->cell_w;
		*h = tc->cell_h;
	} else {
		*w = CELL_W_GUESS;
		*h = CELL_H_GUESS;
	}
	*w = *w < 1 ? CELL_W_GUESS : *w;
	*h = *h < 1 ? CELL_H_GUESS : *h;
}
