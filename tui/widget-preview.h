/*
 * widget-preview.h — an image as the terminal shows it best: kitty, sixel
 * or iTerm2 pixels (tui/graphics.h) or chafa's cells (core/preview.h),
 * rendered on the preview lane and kept until the image, the box or the
 * protocol changes.  One more image can be prepared ahead (the next one to
 * review), so showing it costs no decoding.
 */
#ifndef TAGCON_WIDGET_PREVIEW_H
#define TAGCON_WIDGET_PREVIEW_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

struct console;
struct pview;

struct pview *pview_create(struct console *c);
void pview_destroy(struct pview *v);

/* Render image (at path) for a box of cols × rows cells, unless the one
 * shown already fits it (or was prepared ahead); the console redraws when
 * it is ready. */
void pview_request(struct pview *v, int64_t image, const char *path, int cols, int rows);
/* Prepare image ahead for a box of cols × rows (a later pview_request of
 * the same takes it at once).  One at a time; a newer one replaces it. */
void pview_prefetch(struct pview *v, int64_t image, const char *path, int cols, int rows);
/* Forget the image (a new one is coming). */
void pview_clear(struct pview *v);

/* The preview centred in the box, or a line saying why there is none. */
void pview_draw(struct pview *v, WINDOW *w, int y, int x, int cols, int rows);
/* Milliseconds the shown preview took (decode + render), or -1. */
double pview_ms(const struct pview *v);

#endif
