/*
 * graphics.h — pixel images on the terminal, beside curses.
 *
 * curses knows only cells, so a pixel image is written to the terminal
 * after doupdate(), at its cells' position, between a cursor save and
 * restore; curses keeps blanks there.  What is on the screen is kept here
 * (one terminal, one set of images), and each frame that redraws the body
 * says what it wants shown:
 *
 *	graphics_frame_begin();
 *	...screens draw; the preview calls graphics_want()...
 *	graphics_frame_end(body);    before wnoutrefresh(body)
 *	doupdate();
 *	graphics_flush();
 *
 * An image no longer wanted where it is goes: kitty's by deleting its
 * placement (by id); a sixel or iTerm2 image has no id, so its cells are
 * handed back to curses to repaint (wredrawln), which overwrites the
 * pixels.  A cleared screen (resize, ^L) takes every image with it:
 * graphics_invalidate() says so and the next flush draws them again.
 *
 * Inside tmux with allow-passthrough, every sequence goes wrapped in
 * ESC Ptmux; … ESC \ and positioned on the outer terminal by the pane's
 * offset.  The bytes of an image are made off the UI thread
 * (graphics_encode), so showing a prepared image costs one write.
 */
#ifndef TAGCON_GRAPHICS_H
#define TAGCON_GRAPHICS_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/image/preview.h"
#include "tui/termcap.h"

/* Ask the terminal what it shows (before newterm(): it reads replies from
 * the tty in raw mode for at most timeout_ms). */
void graphics_init(int in_fd, int out_fd, int timeout_ms);
/* After newterm(): keys typed while the terminal was being asked go back
 * to curses' input (ungetch), so none is lost. */
void graphics_replay_keys(void);
/* Forget every image (before endwin(): kitty's are deleted, a sixel's
 * cells repainted by the caller's last frame). */
void graphics_fini(void);

/*
 * The protocol previews use under the preview_protocol setting (auto,
 * symbols, sixel, kitty, iterm): auto is what the terminal was found to
 * show; inside tmux without passthrough only symbols reach the screen.
 * *why (static) says which and why, for the Review screen.
 */
enum termcap_proto graphics_protocol(const char *setting, const char **why);
/* The cell size in pixels now (it changes with the font and the window). */
void graphics_cell_size(int *w, int *h);
/* What preview_render() makes for proto. */
enum preview_pixels graphics_pixels(enum termcap_proto proto);

/* An image as the bytes one protocol shows it with. */
struct gfx_image {
	uint32_t id;             /* unique per image (kitty's image id) */
	enum termcap_proto proto;
	int cols;                /* the cells it covers */
	int rows;
	char *bytes;             /* sixel / iTerm2: the whole image; kitty: its upload */
	size_t len;
};

/* A new image id (UI thread). */
uint32_t graphics_next_id(void);
/* p's pixel data as proto's bytes; NULL if p holds none (any thread). */
struct gfx_image *graphics_encode(const struct preview *p, enum termcap_proto proto,
    uint32_t id);
void graphics_image_destroy(struct gfx_image *g);
/* An image prepared ahead: kitty gets its upload now (nothing shows), so
 * that showing it later is one short placement.  Others: nothing to do. */
void graphics_preload(const struct gfx_image *g);

void graphics_frame_begin(void);
/* Show g with its top left at (y, x) of the screen this frame; g must live
 * until graphics_flush() (kitty keeps one upload: the last image shown). */
void graphics_want(const struct gfx_image *g, int y, int x);
/* Before wnoutrefresh(body): hand the cells of images gone back to curses. */
void graphics_frame_end(WINDOW *body);
/* After doupdate(): delete and draw what changed; writes stdout. */
void graphics_flush(void);
/* The screen was cleared (resize, ^L): nothing of ours is on it. */
void graphics_invalidate(void);

#endif
