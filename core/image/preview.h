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
 */
#ifndef TAGCON_PREVIEW_H
#define TAGCON_PREVIEW_H

#include <stdbool.h>
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

struct preview {
	int cols;
	int rows;
	struct preview_cell *cells; /* rows * cols, row-major */
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
};

/* Render path into at most max_cols × max_rows cells; NULL with *cause. */
struct preview *preview_render(const char *path, const struct preview_opts *opts,
    char **cause);
void preview_destroy(struct preview *p);

const char *preview_mode_name(enum preview_mode mode);

#endif
