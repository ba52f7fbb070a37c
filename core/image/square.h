/*
 * square.h — the square picture the wd-tagger app gives its model, made here.
 *
 * The app (space-protocol.md §1.5) puts the picture on white, pads it to a
 * square of its longest side n with white (the picture at ((n-w)/2,
 * (n-h)/2), rounded down) and resizes that square to the model's side with
 * PIL's BICUBIC: Catmull-Rom (a = -0.5), its support widened by the scale
 * factor, weights normalised over the square.  It skips the resize when the
 * square already has the model's side.  So an upload that is that square,
 * made the same way, reaches the model unchanged: the model sees what the
 * original would have shown it, less only the upload's JPEG loss.
 *
 * The original need not be decoded whole.  square_make() takes it decoded at
 * 1/shrink (a JPEG's shrink-on-load, or a box shrink), each pixel standing
 * for a shrink × shrink block of the original, and gives each block the sum
 * of PIL's weights over the original pixels it stands for; the padding enters
 * as exact white, and the blocks cut off at the right and bottom edges (a
 * side not a multiple of shrink) are counted in the last whole block.  With
 * shrink 1 this is PIL's resize, computed in floating point.  On photos the
 * difference to PIL's own result at shrink 4 is 47-52 dB PSNR (README,
 * tests/bench/bench-prepare.c).
 */
#ifndef TAGCON_SQUARE_H
#define TAGCON_SQUARE_H

#include <vips/vips.h>

struct square_geom {
	int width;       /* the original, upright (EXIF orientation applied) */
	int height;
	int shrink;      /* the image given is the original at 1/shrink, rounded down */
	int orientation; /* EXIF orientation (1-8) turned upright after the shrink */
	int side;        /* of the square made; less than max(width, height) */
};

/*
 * The side × side square of in: 8-bit, 1 or 3 bands, no alpha, upright,
 * floor(width / shrink) × floor(height / shrink) (either order before the
 * turn).  Decodes in.  NULL with the libvips error set.
 */
VipsImage *square_make(VipsImage *in, const struct square_geom *g);

#endif
