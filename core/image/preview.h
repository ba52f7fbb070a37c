/*
 * preview.h — an image as terminal cells: symbols and colours (chafa).
 *
 * libvips loads the file shrunk at decode time to the few hundred pixels the
 * cell box needs (a 24 MP JPEG is decoded at 1/8 scale), chafa picks a
 * symbol and two colours per cell.  Only what the scanner accepts is drawn,
 * and the file checked is the file decoded (loader.h): "PATH: not an image
 * tagcon tags (svgload)" for an SVG named .png.  The result is plain data: the console
 * maps it to curses cells, so no escape sequence ever reaches the terminal
 * from here.  Thread-safe: each call uses its own objects; run it off the
 * UI thread.
 *
 * Pixel previews (PREVIEW_SIXEL, PREVIEW_PNG) are bytes for a graphics
 * protocol instead of cells: a whole sixel image (DCS … ST, made by chafa
 * from pixels this module decoded, so it holds nothing from the file but
 * colours), or a PNG in base64 (kitty's and iTerm2's payload, encoded by
 * vips).  They cover cols × rows cells of cell_w × cell_h pixels; placing
 * them on the terminal is the console's business (tui/graphics.h).
 */
#ifndef TAGCON_PREVIEW_H
#define TAGCON_PREVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the terminal can show, best first. */
enum preview_mode {
	PREVIEW_TRUECOLOR, /* colours are 0xRRGGBB */
	PREVIEW_256,       /* palette indices 16..255 (the fixed cube and greys) */
	PREVIEW_16,        /* palette indices 0..15 */
	PREVIEW_8,         /* palette indices 0..7 */
	PREVIEW_NONE,      /* symbols only, drawn in the default colours */
};

struct preview_cell {
	uint32_t ch; /* a narrow character (never a wide or combining one) */
	int32_t fg;  /* colour as the mode says; -1 the terminal's default */
	int32_t bg;
};

/* Cells, or bytes for a pixel protocol. */
enum preview_pixels {
	PREVIEW_CELLS,
	PREVIEW_SIXEL, /* a sixel image, DCS to ST */
	PREVIEW_PNG,   /* a PNG, base64 (no newlines) */
};

struct preview {
	int cols;
	int rows;
	struct preview_cell *cells; /* rows * cols, row-major; NULL for pixels */
	char *data;                 /* PREVIEW_SIXEL, PREVIEW_PNG: the bytes, NUL-ended */
	size_t data_len;
	int px_width;               /* pixels in data */
	int px_height;
	int image_width;            /* the picture's size, upright (EXIF turn applied) */
	int image_height;
	double load_ms;   /* decode and shrink (vips) */
	double render_ms; /* symbols and colours (chafa) */
};

struct preview_opts {
	int max_cols; /* the cell box; the preview keeps the image's aspect */
	int max_rows;
	enum preview_mode mode;
	bool ascii;            /* only ASCII symbols (a terminal without UTF-8) */
	uint64_t pixel_limit;  /* refuse larger images; 0: no limit */
	double cell_aspect;    /* cell width / height; 0 means 0.5 */
	enum preview_pixels pixels;
	int cell_w;            /* pixels: the size of a cell in pixels (cell_aspect unused) */
	int cell_h;
};

/* Render path into at most max_cols × max_rows cells (as cells or as
 * pixels covering them); NULL with *cause. */
struct preview *preview_render(const char *path, const struct preview_opts *opts,
    char **cause);
void preview_destroy(struct preview *p);
/* Free the pixel bytes alone (once copied elsewhere); the rest stays. */
void preview_drop_data(struct preview *p);

const char *preview_mode_name(enum preview_mode mode);

#endif
