/*
 * square.c — pad to a square and resize it as PIL's BICUBIC does, from a
 * shrunk decode.
 *
 * Separable: one table of weights per axis, then a vertical pass (rows of
 * the shrunk image into side rows, contiguous and cheap) and a horizontal
 * one.  PIL goes horizontal first and rounds to 8 bits in between; here the
 * intermediate stays in float, which differs only where a pass overshoots.
 */
#include "core/image/square.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* One axis: out pixel u = white[u] * 255 + sum of w[u * taps + i] times
 * the shrunk pixel first[u] + i. */
struct axis {
	int taps;
	int *first;
	float *w;
	float *white;
};

/* PIL's bicubic_filter, a = -0.5. */
static double
cubic(double x)
{
	const double a = -0.5;
	x = fabs(x);
	if (x < 1.0) {
		return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
	}
	if (x < 2.0) {
		return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
	}
	return 0.0;
}

/* The shrunk pixel that original pixel x (upright) falls in; the blocks
 * start at the stored image's origin, which a mirroring turn moves to the
 * far end. */
static int
block_of(int x, int len, int shrink, int n_blocks, bool mirrored)
{
	int stored = mirrored ? len - 1 - x : x;
	int j = stored / shrink < n_blocks ? stored / shrink : n_blocks - 1;
	return mirrored ? n_blocks - 1 - j : j;
}

/*
 * PIL's precompute_coeffs over the padded square of side n (the picture,
 * len pixels, at pad), each weight moved to its block or to white.
 */
static void
axis_make(struct axis *a, int n, int len, int n_blocks, bool mirrored, const struct square_geom *g)
{
	double scale = (double)n / g->side, fs = scale < 1.0 ? 1.0 : scale;
	double support = 2.0 * fs;
	int ksize = (int)ceil(support) * 2 + 1, pad = (n - len) / 2;
	a->taps = ksize / g->shrink + 3;
	a->first = xcalloc((size_t)g->side, sizeof *a->first);
	a->w = xcalloc((size_t)g->side * (size_t)a->taps, sizeof *a->w);
	a->white = xcalloc((size_t)g->side, sizeof *a->white);
	double *k = xcalloc((size_t)ksize + 2, sizeof *k);
	for (int u = 0; u < g->side; u++) {
		double centre = (u + 0.5) * scale, sum = 0.0;
		int xmin = (int)(centre - support + 0.5), xmax = (int)(centre + support + 0.5);
		xmin = xmin < 0 ? 0 : xmin;
		xmax = (xmax > n ? n : xmax) - xmin;
		int lo = n_blocks;
		for (int x = 0; x < xmax; x++) {
			k[x] = cubic((x + xmin - centre + 0.5) / fs);
			sum += k[x];
			int p = x + xmin - pad;
			if (p >= 0 && p < len) {
				int j = block_of(p, len, g->shrink, n_blocks, mirrored);
				lo = j < lo ? j : lo;
			}
		}
		a->first[u] = lo < n_blocks ? lo : 0;
		for (int x = 0; x < xmax; x++) {
			float w = (float)(sum != 0.0 ? k[x] / sum : 0.0);
			int p = x + xmin - pad;
			if (p < 0 || p >= len) {
				a->white[u] += w;
			} else {
				int j = block_of(p, len, g->shrink, n_blocks, mirrored);
				a->w[(size_t)u * a->taps + j - a->first[u]] += w;
			}
		}
	}
	free(k);
}

static void
axis_free(struct axis *a)
{
	free(a->first);
	free(a->w);
	free(a->white);
}

/* acc += w * p over n values, eight at a time: a block of fixed length is
 * what the compiler turns into vector instructions at -O2 (twice as fast). */
static void
add_row(float *restrict acc, const unsigned char *restrict p, float w, size_t n)
{
	size_t k = 0;
	for (; k + 8 <= n; k += 8) {
		for (int j = 0; j < 8; j++) {
			acc[k + j] += w * p[k + j];
		}
	}
	for (; k < n; k++) {
		acc[k] += w * p[k];
	}
}

/* Rows: side rows of iw * bands floats from ih rows of bytes. */
static float *
pass_rows(const unsigned char *in, int iw, int ih, int bands, const struct axis *ay, int side)
{
	size_t row = (size_t)iw * bands;
	float *mid = xmalloc((size_t)side * row * sizeof *mid);
	for (int v = 0; v < side; v++) {
		float *acc = mid + (size_t)v * row;
		float white = 255.0f * ay->white[v];
		for (size_t k = 0; k < row; k++) {
			acc[k] = white;
		}
		const float *w = ay->w + (size_t)v * ay->taps;
		for (int i = 0; i < ay->taps && ay->first[v] + i < ih; i++) {
			if (w[i] != 0.0f) {
				add_row(acc, in + (size_t)(ay->first[v] + i) * row, w[i], row);
			}
		}
	}
	return mid;
}

/* PIL's clip8, of a sum that already holds its 0.5 for rounding. */
static unsigned char
clip8(float v)
{
	return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (unsigned char)v;
}

/* One output pixel of a row: n taps from p, bands interleaved. */
static void
column_pixel(const float *p, const float *w, int n, int bands, float white, unsigned char *q)
{
	if (bands == 3) {
		/* The common case, unrolled: three sums in registers. */
		float a0 = white, a1 = white, a2 = white;
		for (int i = 0; i < n; i++) {
			a0 += w[i] * p[3 * i];
			a1 += w[i] * p[3 * i + 1];
			a2 += w[i] * p[3 * i + 2];
		}
		q[0] = clip8(a0);
		q[1] = clip8(a1);
		q[2] = clip8(a2);
		return;
	}
	for (int c = 0; c < bands; c++) {
		float a = white;
		for (int i = 0; i < n; i++) {
			a += w[i] * p[bands * i + c];
		}
		q[c] = clip8(a);
	}
}

/* Columns: the side × side bytes, rounded and clipped as PIL's clip8. */
static unsigned char *
pass_columns(const float *mid, int iw, int bands, const struct axis *ax, int side)
{
	unsigned char *out = xmalloc((size_t)side * side * bands);
	for (int v = 0; v < side; v++) {
		const float *row = mid + (size_t)v * iw * bands;
		unsigned char *q = out + (size_t)v * side * bands;
		for (int u = 0; u < side; u++) {
			int n = iw - ax->first[u] < ax->taps ? iw - ax->first[u] : ax->taps;
			const float *w = ax->w + (size_t)u * ax->taps;
			column_pixel(row + (size_t)ax->first[u] * bands, w, n, bands,
			    255.0f * ax->white[u] + 0.5f, q + (size_t)u * bands);
		}
	}
	return out;
}

/* Which upright axes a turn mirrors (EXIF 2-8); the blocks of a mirrored
 * axis are anchored at its far end. */
static void
mirrors(int orientation, bool *mx, bool *my)
{
	*mx = orientation == 2 || orientation == 3 || orientation == 6 || orientation == 7;
	*my = orientation == 3 || orientation == 4 || orientation == 7 || orientation == 8;
}

VipsImage *
square_make(VipsImage *in, const struct square_geom *g)
{
	size_t size;
	unsigned char *px = vips_image_write_to_memory(in, &size);
	if (px == NULL) {
		return NULL;
	}
	int iw = vips_image_get_width(in), ih = vips_image_get_height(in);
	int bands = vips_image_get_bands(in);
	int n = g->width > g->height ? g->width : g->height;
	bool mx, my;
	mirrors(g->orientation, &mx, &my);
	struct axis ax, ay;
	axis_make(&ax, n, g->width, iw, mx, g);
	axis_make(&ay, n, g->height, ih, my, g);
	float *mid = pass_rows(px, iw, ih, bands, &ay, g->side);
	g_free(px);
	unsigned char *sq = pass_columns(mid, iw, bands, &ax, g->side);
	free(mid);
	axis_free(&ax);
	axis_free(&ay);
	VipsImage *out = vips_image_new_from_memory_copy(sq, (size_t)g->side * g->side * bands,
	    g->side, g->side, bands, VIPS_FORMAT_UCHAR);
	free(sq);
	if (out != NULL) {
		out->Type = bands == 1 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
	}
	return out;
}
