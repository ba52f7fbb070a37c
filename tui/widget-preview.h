/*
 * widget-preview.h — an image drawn with terminal cells (core/preview.h),
 * rendered on the preview lane and kept until the image or the box changes.
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
 * shown already fits it; the console redraws when it is ready. */
void pview_request(struct pview *v, int64_t image, const char *path, int cols, int rows);
/* Forget the image (a new one is coming). */
void pview_clear(struct pview *v);

/* The preview centred in the box, or a line saying why there is none. */
void pview_draw(struct pview *v, WINDOW *w, int y, int x, int cols, int rows);
/* Milliseconds the shown preview took (decode + render), or -1. */
double pview_ms(const struct pview *v);

#endif
