/* widget-preview.c — previews rendered off the UI thread, drawn as cells. */
#include "tui/widget-preview.h"

#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "core/image/preview.h"
#include "core/settings.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"

struct pview {
	struct console *c;
	struct preview *pv;
	int64_t image;   /* what pv shows, or is being rendered */
	int box_cols;    /* the box it was asked for */
	int box_rows;
	bool pending;
	char *error;
};

struct job {
	struct pview *v;
	int64_t image;
	char *path;
	int box_cols;
	int box_rows;
	struct preview_opts opts;
	struct preview *pv;
	char *error;
};

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
	preview_destroy(v->pv);
	v->pv = NULL;
	free(v->error);
	v->error = NULL;
	v->image = 0;
	v->pending = false;
}

void
pview_destroy(struct pview *v)
{
	if (v == NULL) {
		return;
	}
	pview_clear(v);
	free(v);
}

static void
work(void *arg, const struct console_job_ctx *ctx)
{
	struct job *j = arg;
	if (!atomic_load(ctx->cancel)) {
		j->pv = preview_render(j->path, &j->opts, &j->error);
	}
}

static void
done(void *arg, bool cancelled)
{
	struct job *j = arg;
	struct pview *v = j->v;
	if (!cancelled && j->image == v->image) {
		pview_clear(v);
		v->image = j->image;
		v->box_cols = j->box_cols;
		v->box_rows = j->box_rows;
		v->pv = j->pv;
		v->error = j->error;
		j->pv = NULL;
		j->error = NULL;
		console_redraw(v->c);
	}
	preview_destroy(j->pv);
	free(j->error);
	free(j->path);
	free(j);
}

void
pview_request(struct pview *v, int64_t image, const char *path, int cols, int rows)
{
	if (image == v->image && cols == v->box_cols && rows == v->box_rows &&
	    (v->pending || v->pv != NULL || v->error != NULL)) {
		return;
	}
	if (image != v->image) {
		pview_clear(v);
	}
	struct job *j = xcalloc(1, sizeof *j);
	*j = (struct job){
		.v = v, .image = image, .path = xstrdup(path), .box_cols = cols, .box_rows = rows,
		.opts = {
			.max_cols = cols, .max_rows = rows, .mode = console_preview_mode(v->c),
			.ascii = !term_utf8(),
			.pixel_limit = options_prepare(console_db(v->c)).pixel_limit,
		},
	};
	v->image = image;
	v->box_cols = cols;
	v->box_rows = rows;
	v->pending = true;
	console_job(v->c, LANE_PREVIEW, JOB_PREVIEW, work, done, j);
}

double
pview_ms(const struct pview *v)
{
	return v->pv != NULL ? v->pv->load_ms + v->pv->render_ms : -1;
}

static void
draw_cells(struct pview *v, WINDOW *w, int y0, int x0, int cols, int rows)
{
	const struct preview *p = v->pv;
	int ox = x0 + (cols - p->cols) / 2, oy = y0 + (rows - p->rows) / 2;
	ox = ox < x0 ? x0 : ox;
	oy = oy < y0 ? y0 : oy;
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
	if (v->pv != NULL) {
		draw_cells(v, w, y, x, cols, rows);
	} else if (v->error != NULL) {
		term_put(w, y + rows / 2, x + 1, cols - 2, v->error,
		    console_attr(v->c, THEME_ERROR),
		    false);
	} else if (v->pending) {
		term_put(w, y + rows / 2, x + 1, cols - 2, "rendering preview…",
		    console_attr(v->c, THEME_DIM), false);
	}
}
