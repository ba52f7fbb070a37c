/* widget-preview.c — previews rendered off the UI thread, drawn as pixels or cells. */
#include "tui/widget-preview.h"

#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "core/image/preview.h"
#include "core/settings.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/graphics.h"
#include "tui/term.h"

/* One image rendered (or being rendered) for a box and a protocol. */
struct shot {
	int64_t image; /* 0: none */
	int box_cols;
	int box_rows;
	enum termcap_proto proto;
	bool pending;
	struct preview *pv;    /* its size and timings; cells for symbols */
	struct gfx_image *gfx; /* pixels: the bytes to show */
	char *error;
};

struct pview {
	struct console *c;
	struct shot cur;  /* shown */
	struct shot next; /* prepared ahead */
	bool have_gen;
	unsigned settings_gen;
	enum termcap_proto proto;
	const char *why;
	char *setting; /* preview_protocol as last read */
};

struct job {
	struct pview *v;
	int64_t image;
	char *path;
	int box_cols;
	int box_rows;
	enum termcap_proto proto;
	uint32_t id;
	struct preview_opts opts;
	struct preview *pv;
	struct gfx_image *gfx;
	char *error;
};

static void
shot_clear(struct shot *s)
{
	preview_destroy(s->pv);
	graphics_image_destroy(s->gfx);
	free(s->error);
	memset(s, 0, sizeof *s);
}

struct pview *
pview_create(struct console *c)
{
	struct pview *v = xcalloc(1, sizeof *v);
	v->c = c;
	return v;
}

void
pview_clear(struct pview *v)
{
	shot_clear(&v->cur);
}

void
pview_destroy(struct pview *v)
{
	if (v == NULL) {
		return;
	}
	shot_clear(&v->cur);
	shot_clear(&v->next);
	free(v->setting);
	free(v);
}

static void
say_protocol(void *arg)
{
	struct pview *v = arg;
	console_message(v->c, CONSOLE_INFO, "previews: %s", v->why);
}

/* preview_protocol as it is now; a change drops what was rendered. */
static void
follow_protocol(struct pview *v)
{
	if (v->have_gen && v->settings_gen == console_settings_gen(v->c)) {
		return;
	}
	char *setting = settings_get(console_db(v->c), "preview_protocol");
	enum termcap_proto p = graphics_protocol(setting, &v->why);
	if (v->have_gen && p != v->proto) {
		shot_clear(&v->cur);
		shot_clear(&v->next);
	}
	if (v->have_gen && setting != NULL && v->setting != NULL &&
	    strcmp(setting, v->setting) != 0) {
		/* Say what the new setting gives (inside tmux it may be symbols);
		 * posted, as this may run while the body is drawn, after the
		 * status line. */
		console_post(v->c, say_protocol, v);
	}
	if (setting != NULL) {
		free(v->setting);
		v->setting = setting;
	}
	v->proto = p;
	v->have_gen = true;
	v->settings_gen = console_settings_gen(v->c);
}

static void
work(void *arg, const struct console_job_ctx *ctx)
{
	struct job *j = arg;
	if (atomic_load(ctx->cancel)) {
		return;
	}
	j->pv = preview_render(j->path, &j->opts, &j->error);
	if (j->pv != NULL && j->pv->data != NULL) {
		j->gfx = graphics_encode(j->pv, j->proto, j->id);
		/* Kept: the size and timings; the payload lives on in gfx. */
		preview_drop_data(j->pv);
	}
}

static bool
shot_is(const struct shot *s, int64_t image, int cols, int rows, enum termcap_proto proto)
{
	return s->image == image && s->box_cols == cols && s->box_rows == rows &&
	    s->proto == proto;
}

static void
done(void *arg, bool cancelled)
{
	struct job *j = arg;
	struct pview *v = j->v;
	struct shot *s = NULL;
	if (shot_is(&v->cur, j->image, j->box_cols, j->box_rows, j->proto) && v->cur.pending) {
		s = &v->cur;
	} else if (shot_is(&v->next, j->image, j->box_cols, j->box_rows, j->proto) &&
	    v->next.pending) {
		s = &v->next;
	}
	if (s != NULL && !cancelled) {
		s->pending = false;
		s->pv = j->pv;
		s->gfx = j->gfx;
		s->error = j->error;
		j->pv = NULL;
		j->gfx = NULL;
		j->error = NULL;
		if (s == &v->cur) {
			console_redraw(v->c);
		} else {
			graphics_preload(s->gfx);
		}
	} else if (s != NULL && s == &v->next) {
		shot_clear(&v->next);
	}
	preview_destroy(j->pv);
	graphics_image_destroy(j->gfx);
	free(j->error);
	free(j->path);
	free(j);
}

/* Start rendering image into s on the preview lane. */
static void
start(struct pview *v, struct shot *s, int64_t image, const char *path, int cols, int rows,
    enum console_job_kind kind)
{
	int cw = 0, ch = 0;
	if (v->proto != TERMCAP_SYMBOLS) {
		graphics_cell_size(&cw, &ch);
	}
	struct job *j = xcalloc(1, sizeof *j);
	*j = (struct job){
		.v = v, .image = image, .path = xstrdup(path), .box_cols = cols, .box_rows = rows,
		.proto = v->proto, .id = graphics_next_id(),
		.opts = {
			.max_cols = cols, .max_rows = rows, .mode = console_preview_mode(v->c),
			.ascii = !term_utf8(),
			.pixel_limit = options_prepare(console_db(v->c)).pixel_limit,
			.pixels = graphics_pixels(v->proto), .cell_w = cw, .cell_h = ch,
		},
	};
	*s = (struct shot){.image = image, .box_cols = cols, .box_rows = rows,
		.proto = v->proto, .pending = true};
	console_job(v->c, LANE_PREVIEW, kind, work, done, j);
}

void
pview_request(struct pview *v, int64_t image, const char *path, int cols, int rows)
{
	follow_protocol(v);
	if (shot_is(&v->cur, image, cols, rows, v->proto)) {
		return;
	}
	shot_clear(&v->cur);
	if (shot_is(&v->next, image, cols, rows, v->proto)) {
		/* Prepared ahead (or on its way): no decoding on this path. */
		v->cur = v->next;
		memset(&v->next, 0, sizeof v->next);
		return;
	}
	start(v, &v->cur, image, path, cols, rows, JOB_PREVIEW);
}

void
pview_prefetch(struct pview *v, int64_t image, const char *path, int cols, int rows)
{
	follow_protocol(v);
	if (shot_is(&v->next, image, cols, rows, v->proto) ||
	    shot_is(&v->cur, image, cols, rows, v->proto)) {
		return;
	}
	if (v->next.pending) {
		/* Its job runs on; done() finds no slot and drops the result. */
		memset(&v->next, 0, sizeof v->next);
	}
	shot_clear(&v->next);
	/* JOB_ANY: queued behind the shown image's job, never replacing it. */
	start(v, &v->next, image, path, cols, rows, JOB_ANY);
}

double
pview_ms(const struct pview *v)
{
	return v->cur.pv != NULL ? v->cur.pv->load_ms + v->cur.pv->render_ms : -1;
}

static void
draw_cells(struct pview *v, WINDOW *w, int oy, int ox, int cols, int rows)
{
	const struct preview *p = v->cur.pv;
	for (int y = 0; y < p->rows && y < rows; y++) {
		for (int x = 0; x < p->cols && x < cols; x++) {
			const struct preview_cell *cell = &p->cells[y * p->cols + x];
			wchar_t wc[2] = {(wchar_t)cell->ch, L'\0'};
			int pair = console_pair(v->c, cell->fg, cell->bg);
			cchar_t cc;
			setcchar(&cc, wc, A_NORMAL, 0, &pair);
			mvwadd_wch(w, oy + y, ox + x, &cc);
		}
	}
}

void
pview_draw(struct pview *v, WINDOW *w, int y, int x, int cols, int rows)
{
	const struct preview *p = v->cur.pv;
	if (p != NULL && (v->cur.gfx != NULL || p->cells != NULL)) {
		int ox = x + (cols - p->cols) / 2, oy = y + (rows - p->rows) / 2;
		ox = ox < x ? x : ox;
		oy = oy < y ? y : oy;
		if (v->cur.gfx == NULL) {
			draw_cells(v, w, oy, ox, cols, rows);
		} else if (p->cols <= cols && p->rows <= rows) {
			graphics_want(v->cur.gfx, getbegy(w) + oy, getbegx(w) + ox);
		}
	} else if (v->cur.error != NULL) {
		term_put(w, y + rows / 2, x + 1, cols - 2, v->cur.error,
		    console_attr(v->c, THEME_ERROR), false);
	} else if (v->cur.pending) {
		term_put(w, y + rows / 2, x + 1, cols - 2, "rendering preview…",
		    console_attr(v->c, THEME_DIM), false);
	}
}
