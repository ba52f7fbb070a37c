/*
 * termcap.h — which pixel graphics the terminal shows, asked once before
 * curses starts.
 *
 * Two sources: the environment (KITTY_WINDOW_ID, TERM=xterm-kitty,
 * TERM_PROGRAM=iTerm.app or WezTerm, LC_TERMINAL=iTerm2, TERM=foot, mlterm,
 * KONSOLE_VERSION) and the terminal's own answers to queries written on the
 * terminal with the reply read back in raw mode: kitty's graphics query
 * (ESC_Gi=31,a=q… answered "OK"), the cell size in pixels (CSI 16 t) and
 * the text area (CSI 14 t), then the primary device attributes (DA1, whose
 * parameter 4 means sixel).  Every terminal answers DA1, so once its reply
 * is in, every other answer has come or never will; a terminal that answers
 * nothing costs the timeout.
 *
 * Inside tmux the queries reach tmux, not the terminal, so tmux is asked
 * instead (tmux display/show): the outer terminal's name and features, and
 * whether allow-passthrough lets an escape sequence through.  Without
 * passthrough nothing but symbols can reach the screen.
 */
#ifndef TAGCON_TERMCAP_H
#define TAGCON_TERMCAP_H

#include <stdbool.h>

enum termcap_proto {
	TERMCAP_SYMBOLS, /* chafa's character-cell mosaics, drawn by curses */
	TERMCAP_SIXEL,
	TERMCAP_KITTY,
	TERMCAP_ITERM,
};

struct termcap {
	enum termcap_proto proto; /* the best the terminal takes */
	bool tmux;                /* inside tmux */
	bool passthrough;         /* tmux: wrap sequences in ESC Ptmux; … ESC \ */
	int pane_top;             /* tmux: where the pane sits on the outer terminal */
	int pane_left;
	int cell_w;               /* pixels of one cell; 0 when the terminal did not say */
	int cell_h;
	char how[96];             /* what decided proto, for Settings and --debug lines */
	char typed[64];           /* keys that came in with the answers, to be read again */
	int n_typed;
};

/*
 * Ask the terminal (queries written on out, answers read from fd, both the
 * tty, before curses takes it), waiting at most timeout_ms for the answers.
 * Never fails: what is not known is symbols.
 */
void termcap_detect(struct termcap *tc, int fd, int out, int timeout_ms);

/*
 * Parse what a terminal answered (bytes as read) into tc: kitty's OK, DA1's
 * parameters, the cell and text area sizes.  Returns true once the DA1
 * reply is in.  Split out so it can be fed bytes by a test.
 */
bool termcap_parse_replies(struct termcap *tc, const char *buf, int len, bool *kitty,
    bool *sixel);

/* The cell size now: TIOCGWINSZ's pixels when the terminal fills them in,
 * else what it answered to CSI 16 t, else 10 × 20. */
void termcap_cell_size(const struct termcap *tc, int fd, int *w, int *h);

const char *termcap_proto_name(enum termcap_proto p);
/* "auto", "symbols", "sixel", "kitty", "iterm": false for anything else;
 * auto gives *auto_ = true. */
bool termcap_proto_parse(const char *s, enum termcap_proto *p, bool *auto_);

#endif
