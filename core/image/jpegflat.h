/*
 * jpegflat.h — a baseline JPEG whose quantisation is the same for every
 * frequency, written with libjpeg.
 *
 * The standard tables quantise high frequencies coarsely because people see
 * them less.  The tagger's model has no such eye: what matters for it is how
 * far the pixels it gets are from the original's, their mean squared error,
 * and for that one step size for all 64 coefficients (and both chroma
 * planes, which weigh about as much as the luma in RGB) is the better use of
 * the bytes.  On the 448-pixel squares of eight real photos, at 41 dB PSNR:
 * 9-23 % fewer bytes than libvips' standard tables (libjpeg-turbo's cjpeg
 * -qtables).  Any JPEG decoder reads them: the tables travel in the file.
 * 4:4:4, no metadata.
 */
#ifndef TAGCON_JPEGFLAT_H
#define TAGCON_JPEGFLAT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Encode w × h pixels of 8 bits, bands 1 (grey) or 3 (RGB), rows packed,
 * every DCT coefficient of every plane quantised by step (1-255; 1 is as
 * fine as JPEG goes, libjpeg's quality 75 tables average about 16 on luma).
 * optimise: Huffman tables made for the image (smaller; the pixels are the
 * same).  A g_malloc'd buffer, or NULL if libjpeg fails.
 */
unsigned char *jpegflat_encode(const unsigned char *px, int w, int h, int bands, int step,
    bool optimise, size_t *len);

/*
 * Decode a JPEG of w × h pixels and bands 1 or 3 (as jpegflat_encode wrote
 * it) into out, w × h × bands bytes, as libjpeg's defaults decode it (the
 * islow IDCT, what PIL and libvips use).  False if it is not that, or
 * libjpeg fails.  Straight libjpeg: the encoder's trials (prepare.c) decode
 * a few small images each, and a libvips pipeline costs more than the
 * decoding itself.
 */
bool jpegflat_decode(const unsigned char *buf, size_t len, int w, int h, int bands,
    unsigned char *out);

#endif
