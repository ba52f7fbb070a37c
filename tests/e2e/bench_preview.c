/*
 * bench_preview.c — time core/preview.h on one image: decode with
 * shrink-on-load (vips) and symbols (chafa), as the Review screen does.
 *
 *   bench-preview FILE [COLS ROWS [MODE [RUNS]]]
 *
 * MODE: truecolor, 256 (default), 16, 8, none.  Prints the first (cold) run
 * and the median of the rest, in milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "core/image/preview.h"

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static enum preview_mode
mode_of(const char *s)
{
	static const char *const names[] = {"truecolor", "256", "16", "8", "none"};
	for (int i = 0; i < 5; i++) {
		if (strcmp(s, names[i]) == 0) {
			return (enum preview_mode)i;
		}
	}
	return PREVIEW_256;
}

int
main(int argc, char **argv)
{
	if (argc < 2 || VIPS_INIT(argv[0]) != 0) {
		fprintf(stderr, "usage: bench-preview FILE [COLS ROWS [MODE [RUNS]]]\n");
		return 2;
	}
	struct preview_opts o = {
		.max_cols = argc > 3 ? atoi(argv[2]) : 45,
		.max_rows = argc > 3 ? atoi(argv[3]) : 27,
		.mode = argc > 4 ? mode_of(argv[4]) : PREVIEW_256,
	};
	int runs = argc > 5 ? atoi(argv[5]) : 11;
	runs = runs < 2 ? 2 : runs > 1000 ? 1000 : runs;
	double *total = calloc((size_t)runs, sizeof *total), load = 0, render = 0;
	for (int i = 0; i < runs; i++) {
		char *cause = NULL;
		struct preview *p = preview_render(argv[1], &o, &cause);
		if (p == NULL) {
			fprintf(stderr, "bench-preview: %s\n", cause);
			return 1;
		}
		total[i] = p->load_ms + p->render_ms;
		if (i > 0) {
			load += p->load_ms / (runs - 1);
			render += p->render_ms / (runs - 1);
		}
		if (i == 0) {
			printf("image %dx%d -> %dx%d cells, mode %s\n", p->image_width,
			    p->image_height,
			    p->cols, p->rows, preview_mode_name(o.mode));
		}
		preview_destroy(p);
	}
	double first = total[0];
	qsort(total + 1, (size_t)runs - 1, sizeof *total, cmp);
	printf("preview_first_ms %.1f\npreview_median_ms %.1f\npreview_min_ms %.1f\n"
	    "preview_decode_ms %.1f\npreview_render_ms %.1f\n", first, total[1 + (runs - 1) / 2],
	    total[1], load, render);
	free(total);
	vips_shutdown();
	return 0;
}
