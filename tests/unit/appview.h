/*
 * appview.h — what the wd-tagger app feeds its model, rebuilt with libvips,
 * and how far two such inputs are apart.
 *
 * app.py (space-protocol.md §1.5): RGBA composited on white, padded to a
 * square of the longest side with white (picture at ((n-w)//2, (n-h)//2)),
 * resized to 448×448 with PIL's BICUBIC when the side is not 448 already.
 * Here: vips_flatten on white, vips_embed, then vips_reduce with
 * VIPS_KERNEL_CUBIC, which is Catmull-Rom (a = -0.5, PIL's kernel) with its
 * support widened by the reduction factor as PIL widens it, sampled at pixel
 * centres as PIL samples; no vips_resize (its box pre-shrink is not PIL's).
 * It is an independent implementation of the same resize, not prepare's
 * (square.c): measured once against PIL 9.4 on four real 12-20 MP photos it
 * agrees to 48.6-59.1 dB PSNR (max 14 levels, at overshooting edges, where
 * PIL rounds and clips between its two passes).  So a PSNR measured through
 * this reference is bounded at about that.
 *
 * EXIF orientation is applied first, as tagcon applies it to what it sends.
 */
#ifndef TAGCON_APPVIEW_H
#define TAGCON_APPVIEW_H

#include <math.h>
#include <stdio.h>
#include <vips/vips.h>

#define APPVIEW_SIDE 448

/* The model's 448×448×3 input for im (upright, flattened, padded, resized),
 * in memory; NULL on a libvips error.  Does not take im. */
static inline VipsImage *
appview_input(VipsImage *im)
{
	VipsImage *t[6] = {NULL}, *out = NULL;
	double white[4] = {255, 255, 255, 255};
	VipsArrayDouble *bg = vips_array_double_new(white, 3);
	if (vips_autorot(im, &t[0], NULL) != 0 ||
	    vips_colourspace(t[0], &t[1], VIPS_INTERPRETATION_sRGB, NULL) != 0) {
		goto out;
	}
	if (vips_image_hasalpha(t[1]) ?
	    vips_flatten(t[1], &t[2], "background", bg, NULL) != 0 :
	    vips_copy(t[1], &t[2], NULL) != 0) {
		goto out;
	}
	if (vips_cast_uchar(t[2], &t[3], NULL) != 0) {
		goto out;
	}
	int w = t[3]->Xsize, h = t[3]->Ysize, n = w > h ? w : h;
	if (vips_embed(t[3], &t[4], (n - w) / 2, (n - h) / 2, n, n, "extend",
	    VIPS_EXTEND_BACKGROUND, "background", bg, NULL) != 0) {
		goto out;
	}
	double k = (double)n / APPVIEW_SIDE;
	if (n == APPVIEW_SIDE ? vips_copy(t[4], &t[5], NULL) != 0 :
	    vips_reduce(t[4], &t[5], k, k, "kernel", VIPS_KERNEL_CUBIC, NULL) != 0) {
		goto out;
	}
	if (t[5]->Xsize == APPVIEW_SIDE && t[5]->Ysize == APPVIEW_SIDE) {
		out = vips_image_copy_memory(t[5]);
	}
out:
	vips_area_unref(VIPS_AREA(bg));
	for (int i = 5; i >= 0; i--) {
		if (t[i] != NULL) {
			g_object_unref(t[i]);
		}
	}
	return out;
}

/* The model's input for an encoded file (an upload) or a file on disk. */
static inline VipsImage *
appview_of_buffer(const void *data, size_t len)
{
	VipsImage *im = vips_image_new_from_buffer(data, len, "", NULL);
	VipsImage *v = im != NULL ? appview_input(im) : NULL;
	if (im != NULL) {
		g_object_unref(im);
	}
	return v;
}

static inline VipsImage *
appview_of_file(const char *path)
{
	VipsImage *im = vips_image_new_from_file(path, NULL);
	VipsImage *v = im != NULL ? appview_input(im) : NULL;
	if (im != NULL) {
		g_object_unref(im);
	}
	return v;
}

/*
 * PSNR of b against a (both 448×448×3, 8-bit) over the whole input, and over
 * the picture alone (the padding is exact in both, which flatters the whole;
 * the picture is w×h upright, its two outermost rows and columns left out).
 * 99 dB for identical inputs.
 */
static inline void
appview_psnr(VipsImage *a, VipsImage *b, int w, int h, double *whole, double *picture)
{
	VipsImage *d, *sq, *c;
	double mse;
	vips_subtract(a, b, &d, NULL);
	vips_multiply(d, d, &sq, NULL);
	vips_avg(sq, &mse, NULL);
	*whole = mse == 0 ? 99 : 10 * log10(255.0 * 255.0 / mse);
	int n = w > h ? w : h;
	int pw = (int)floor((double)w * APPVIEW_SIDE / n);
	int ph = (int)floor((double)h * APPVIEW_SIDE / n);
	int x0 = (APPVIEW_SIDE - pw) / 2 + 2, y0 = (APPVIEW_SIDE - ph) / 2 + 2;
	if (picture != NULL && pw > 5 && ph > 5 &&
	    vips_extract_area(sq, &c, x0, y0, pw - 4, ph - 4, NULL) == 0) {
		vips_avg(c, &mse, NULL);
		*picture = mse == 0 ? 99 : 10 * log10(255.0 * 255.0 / mse);
		g_object_unref(c);
	} else if (picture != NULL) {
		*picture = *whole;
	}
	g_object_unref(d);
	g_object_unref(sq);
}

#endif
