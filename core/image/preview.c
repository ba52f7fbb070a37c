/*
 * preview.c — vips shrink-on-load, then chafa symbols into a cell grid.
 *
 * The file is opened once and decoded only through a loader the scanner
 * accepts (loader.h): an SVG or a PDF named .png is refused, not rendered.
 */
#include "core/image/preview.h"

#include <chafa.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vips/vips.h>

#include "core/image/loader.h"
#include "core/sanitize.h"
#include "common/xalloc.h"

/* Chafa matches each cell against 8×8 pixel symbols. */
#define CELL_PIXELS 8

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

const char *
preview_mode_name(enum preview_mode mode)
{
	static const char *const names[] = {"truecolor", "256", "16", "8", "none"};
	return names[mode];
}

/* "PATH: what[: libvips' first line]", all safe to print; the message is
 * cleared. */
static char *
vips_cause(const char *path, const char *what)
{
	char *safe = sanitize_str(path);
	char *msg = sanitize_str(vips_error_buffer());
	char *nl = strchr(msg, '\n');
	if (nl != NULL) {
		*nl = '\0';
	}
	char *cause = xasprintf("%s: %s%s%s", safe, what, *msg ? ": " : "", msg);
	vips_error_clear();
	free(msg);
	free(safe);
	return cause;
}

/* Open path if the scanner would take it; false with "PATH: why". */
static bool
open_checked(struct loader_file *f, const char *path, char **cause)
{
	char *what = NULL;
	if (loader_open(f, path, &what)) {
		return true;
	}
	char *safe = sanitize_str(path);
	*cause = xasprintf("%s: %s", safe, what);
	free(safe);
	free(what);
	return false;
}

/* The picture's upright size, from its header only; false with *cause. */
static bool
header_size(struct loader_file *f, const char *path, uint64_t limit, int *w, int *h,
    char **cause)
{
	VipsImage *hdr = loader_image(f, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (hdr == NULL) {
		*cause = vips_cause(path, "cannot read");
		return false;
	}
	bool turned = vips_image_get_orientation(hdr) >= 5;
	*w = turned ? vips_image_get_height(hdr) : vips_image_get_width(hdr);
	*h = turned ? vips_image_get_width(hdr) : vips_image_get_height(hdr);
	g_object_unref(hdr);
	if (limit != 0 && (uint64_t)*w * (uint64_t)*h > limit) {
		char *safe = sanitize_str(path);
		*cause = xasprintf("%s: %d×%d pixels is over the pixel limit", safe, *w, *h);
		free(safe);
		return false;
	}
	return true;
}

/* Decoded from the checked file, a JPEG shrunk while it decodes by the
 * largest factor (up to 8) that keeps the box's pixels; upright. */
static VipsImage *
load_small(struct loader_file *f, int longest, int box)
{
	VipsImage *im, *up = NULL;
	if (loader_is_jpeg(f)) {
		int shrink = 1;
		while (shrink < 8 && longest / (shrink * 2) >= box) {
			shrink *= 2;
		}
		im = loader_image(f, "shrink", shrink, NULL);
	} else {
		im = loader_image(f, NULL);
	}
	if (im != NULL && vips_autorot(im, &up, NULL) != 0) {
		up = NULL;
	}
	if (im != NULL) {
		g_object_unref(im);
	}
	return up;
}

/* Decode shrunk into box_w × box_h, as 8-bit sRGB (with alpha if any). */
static void *
load_pixels(struct loader_file *f, const char *path, int longest, int box_w, int box_h,
    int *w, int *h, int *bands, char **cause)
{
	VipsImage *t[5] = {NULL};
	void *mem = NULL;
	t[0] = load_small(f, longest, box_w > box_h ? box_w : box_h);
	if (t[0] == NULL ||
	    vips_thumbnail_image(t[0], &t[1], box_w, "height", box_h, "size", VIPS_SIZE_DOWN,
	    NULL) != 0 ||
	    vips_colourspace(t[1], &t[2], VIPS_INTERPRETATION_sRGB, NULL) != 0) {
		*cause = vips_cause(path, "cannot decode");
		goto out;
	}
	VipsImage *rgb = t[2];
	if (vips_image_get_bands(rgb) > 4 &&
	    vips_extract_band(rgb, &t[3], 0, "n", 4, NULL) == 0) {
		rgb = t[3];
	}
	if (vips_cast_uchar(rgb, &t[4], NULL) != 0) {
		*cause = vips_cause(path, "cannot convert");
		goto out;
	}
	size_t size;
	mem = vips_image_write_to_memory(t[4], &size);
	if (mem == NULL) {
		*cause = vips_cause(path, "cannot decode");
		goto out;
	}
	*w = vips_image_get_width(t[4]);
	*h = vips_image_get_height(t[4]);
	*bands = vips_image_get_bands(t[4]);
out:
	for (int i = 4; i >= 0; i--) {
		if (t[i] != NULL) {
			g_object_unref(t[i]);
		}
	}
	return mem;
}

static ChafaCanvasMode
canvas_mode(enum preview_mode mode)
{
	switch (mode) {
	case PREVIEW_TRUECOLOR: return CHAFA_CANVAS_MODE_TRUECOLOR;
	case PREVIEW_256: return CHAFA_CANVAS_MODE_INDEXED_240;
	case PREVIEW_16: return CHAFA_CANVAS_MODE_INDEXED_16;
	case PREVIEW_8: return CHAFA_CANVAS_MODE_INDEXED_8;
	case PREVIEW_NONE: return CHAFA_CANVAS_MODE_FGBG;
	}
	return CHAFA_CANVAS_MODE_FGBG;
}

static ChafaCanvasConfig *
canvas_config(const struct preview_opts *o, int cols, int rows, ChafaSymbolMap **map)
{
	*map = chafa_symbol_map_new();
	if (o->ascii) {
		chafa_symbol_map_add_by_tags(*map, CHAFA_SYMBOL_TAG_ASCII);
	} else if (o->mode == PREVIEW_NONE) {
		/* Two colours only: shapes carry the picture. */
		chafa_symbol_map_add_by_tags(*map, CHAFA_SYMBOL_TAG_BLOCK |
		    CHAFA_SYMBOL_TAG_BORDER | CHAFA_SYMBOL_TAG_SPACE | CHAFA_SYMBOL_TAG_STIPPLE |
		    CHAFA_SYMBOL_TAG_QUAD | CHAFA_SYMBOL_TAG_HALF);
	} else {
		chafa_symbol_map_add_by_tags(*map, CHAFA_SYMBOL_TAG_BLOCK |
		    CHAFA_SYMBOL_TAG_BORDER | CHAFA_SYMBOL_TAG_SPACE);
		chafa_symbol_map_remove_by_tags(*map, CHAFA_SYMBOL_TAG_INVERTED);
	}
	/* A wide symbol would take two cells and break the grid. */
	chafa_symbol_map_remove_by_tags(*map, CHAFA_SYMBOL_TAG_WIDE);
	ChafaCanvasConfig *cfg = chafa_canvas_config_new();
	chafa_canvas_config_set_geometry(cfg, cols, rows);
	chafa_canvas_config_set_canvas_mode(cfg, canvas_mode(o->mode));
	chafa_canvas_config_set_symbol_map(cfg, *map);
	return cfg;
}

static void
read_cells(ChafaCanvas *canvas, const struct preview_opts *o, struct preview *p)
{
	for (int y = 0; y < p->rows; y++) {
		for (int x = 0; x < p->cols; x++) {
			struct preview_cell *cell = &p->cells[y * p->cols + x];
			gint fg = -1, bg = -1;
			if (o->mode == PREVIEW_TRUECOLOR) {
				chafa_canvas_get_colors_at(canvas, x, y, &fg, &bg);
			} else if (o->mode != PREVIEW_NONE) {
				chafa_canvas_get_raw_colors_at(canvas, x, y, &fg, &bg);
			}
			gunichar ch = chafa_canvas_get_char_at(canvas, x, y);
			cell->ch = g_unichar_iswide(ch) || g_unichar_iszerowidth(ch) ? ' ' : ch;
			cell->fg = fg;
			cell->bg = bg;
		}
	}
}

/* Cells of the box that keep the image's shape, for cells aspect wide / high. */
static void
fit_box(const struct preview_opts *o, double aspect, int w, int h, int *cols, int *rows)
{
	*cols = o->max_cols;
	*rows = o->max_rows;
	chafa_calc_canvas_geometry(w, h, cols, rows, (gfloat)aspect, FALSE, FALSE);
	*cols = *cols < 1 ? 1 : *cols;
	*rows = *rows < 1 ? 1 : *rows;
}

/* The symbols and colours of every cell. */
static void
render_cells(struct preview *p, const struct preview_opts *o, const guint8 *px, int w, int h,
    int bands)
{
	ChafaSymbolMap *map;
	ChafaCanvasConfig *cfg = canvas_config(o, p->cols, p->rows, &map);
	ChafaCanvas *canvas = chafa_canvas_new(cfg);
	ChafaPixelType type = bands == 4 ? CHAFA_PIXEL_RGBA8_UNASSOCIATED : CHAFA_PIXEL_RGB8;
	chafa_canvas_draw_all_pixels(canvas, type, px, w, h, w * bands);
	p->cells = xcalloc((size_t)p->cols * (size_t)p->rows, sizeof *p->cells);
	read_cells(canvas, o, p);
	chafa_canvas_unref(canvas);
	chafa_canvas_config_unref(cfg);
	chafa_symbol_map_unref(map);
}

/* A sixel image of the cells' pixels.  chafa writes it through a term info
 * that knows only the sixel introducer and terminator: nothing else. */
static bool
render_sixel(struct preview *p, const struct preview_opts *o, const guint8 *px, int w, int h,
    int bands)
{
	/* One "cell" of exactly the decoded size: chafa scales its canvas to the
	 * cells given, and whole cells would stretch the picture by up to one. */
	ChafaCanvasConfig *cfg = chafa_canvas_config_new();
	chafa_canvas_config_set_geometry(cfg, 1, 1);
	chafa_canvas_config_set_cell_geometry(cfg, w, h);
	chafa_canvas_config_set_pixel_mode(cfg, CHAFA_PIXEL_MODE_SIXELS);
	chafa_canvas_config_set_canvas_mode(cfg, CHAFA_CANVAS_MODE_TRUECOLOR);
	ChafaCanvas *canvas = chafa_canvas_new(cfg);
	/* chafa 1.12 scales 3-byte pixels of some widths into a sheared sixel
	 * image; 4-byte ones come out right. */
	guint8 *rgba = NULL;
	if (bands == 3) {
		rgba = g_malloc((size_t)w * (size_t)h * 4);
		for (size_t i = 0, n = (size_t)w * (size_t)h; i < n; i++) {
			memcpy(rgba + i * 4, px + i * 3, 3);
			rgba[i * 4 + 3] = 255;
		}
	}
	chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED, rgba != NULL ? rgba
	    : px, w, h, w * 4);
	g_free(rgba);
	ChafaTermInfo *ti = chafa_term_info_new();
	bool ok = chafa_term_info_set_seq(ti, CHAFA_TERM_SEQ_BEGIN_SIXELS, "\033P%1;%2;%3q",
	    NULL) && chafa_term_info_set_seq(ti, CHAFA_TERM_SEQ_END_SIXELS, "\033\\", NULL);
	if (ok) {
		GString *out = chafa_canvas_print(canvas, ti);
		p->data_len = out->len;
		p->data = g_string_free(out, FALSE);
		p->px_width = w;
		p->px_height = h;
	}
	chafa_term_info_unref(ti);
	chafa_canvas_unref(canvas);
	chafa_canvas_config_unref(cfg);
	return ok;
}

/* The decoded pixels as a PNG in base64 (fast compression: it goes to a
 * terminal once, and the encoding sits on the path to the screen). */
static bool
render_png(struct preview *p, const guint8 *px, int w, int h, int bands)
{
	VipsImage *im = vips_image_new_from_memory(px, (size_t)w * (size_t)h * (size_t)bands, w,
	    h, bands, VIPS_FORMAT_UCHAR);
	void *buf = NULL;
	size_t len = 0;
	bool ok = im != NULL && vips_pngsave_buffer(im, &buf, &len, "compression", 1,
	    "strip", TRUE, NULL) == 0;
	if (im != NULL) {
		g_object_unref(im);
	}
	vips_error_clear();
	if (ok) {
		gchar *b64 = g_base64_encode(buf, len);
		p->data_len = strlen(b64);
		p->data = b64;
		p->px_width = w;
		p->px_height = h;
	}
	g_free(buf);
	return ok;
}

struct preview *
preview_render(const char *path, const struct preview_opts *o, char **cause)
{
	if (o->max_cols < 1 || o->max_rows < 1) {
		*cause = xstrdup("no room for a preview");
		return NULL;
	}
	bool pixels = o->pixels != PREVIEW_CELLS && o->cell_w > 0 && o->cell_h > 0;
	double aspect = pixels ? (double)o->cell_w / o->cell_h
	    : o->cell_aspect > 0 ? o->cell_aspect : 0.5;
	double t0 = now_ms();
	int iw, ih, cols = 0, rows = 0, w = 0, h = 0, bands = 0;
	struct loader_file f;
	if (!open_checked(&f, path, cause)) {
		return NULL;
	}
	guint8 *px = NULL;
	if (header_size(&f, path, o->pixel_limit, &iw, &ih, cause)) {
		fit_box(o, aspect, iw, ih, &cols, &rows);
		int bw = pixels ? cols * o->cell_w : cols * CELL_PIXELS;
		int bh = pixels ? rows * o->cell_h : rows * CELL_PIXELS * 2;
		px = load_pixels(&f, path, iw > ih ? iw : ih, bw, bh, &w, &h, &bands, cause);
	}
	loader_close(&f);
	if (px == NULL) {
		return NULL;
	}
	if (bands != 3 && bands != 4) {
		/* sRGB conversion always gives 3 or 4 bands. */
		*cause = xasprintf("unexpected %d-band image", bands);
		g_free(px);
		return NULL;
	}
	double t1 = now_ms();
	struct preview *p = xcalloc(1, sizeof *p);
	*p = (struct preview){.cols = cols, .rows = rows, .image_width = iw, .image_height = ih};
	bool ok = true;
	if (!pixels) {
		render_cells(p, o, px, w, h, bands);
	} else {
		/* The cells the picture covers, at its own size. */
		p->cols = (w + o->cell_w - 1) / o->cell_w;
		p->rows = (h + o->cell_h - 1) / o->cell_h;
		ok = o->pixels == PREVIEW_SIXEL ? render_sixel(p, o, px, w, h, bands)
		    : render_png(p, px, w, h, bands);
	}
	g_free(px);
	if (!ok) {
		char *safe = sanitize_str(path);
		*cause = xasprintf("%s: cannot encode the preview", safe);
		free(safe);
		preview_destroy(p);
		return NULL;
	}
	p->load_ms = t1 - t0;
	p->render_ms = now_ms() - t1;
	return p;
}

void
preview_destroy(struct preview *p)
{
	if (p == NULL) {
		return;
	}
	free(p->cells);
	g_free(p->data);
	free(p);
}

void
preview_drop_data(struct preview *p)
{
	g_free(p->data);
	p->data = NULL;
	p->data_len = 0;
}
