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
 *
 * The smallest form is arithmetic-coded, sequential, or progressive when
 * that is smaller on a large file: the same coefficients, so the same
 * pixels, in 5-18 % fewer bytes than optimised Huffman tables on the 448
 * squares of real photos.  libjpeg-turbo
 * (Debian's, and the one Pillow's wheels carry) and IJG libjpeg 7 on decode
 * it, and so PIL, which is what the wd-tagger app reads an upload with
 * (browsers do not; nothing but the Space sees an upload) -- up to a point:
 * PIL hands libjpeg a file 64 KiB at a time, and libjpeg's arithmetic
 * decoder cannot wait for the next block ("broken data stream": a 73 kB
 * file failed, 59 kB ones decode, Debian's PIL 9.4).  Above
 * JPEGFLAT_ARITH_MAX bytes the form is Huffman with tables made for the
 * image, sequential or progressive, whichever is smaller.
 */
#ifndef TAGCON_JPEGFLAT_H
#define TAGCON_JPEGFLAT_H

#include <stdbool.h>
#include <stddef.h>

/* The largest arithmetic-coded file written: all of it in PIL's first
 * 65,536-byte read, with room to spare. */
#define JPEGFLAT_ARITH_MAX 60000

/*
 * Encode w × h pixels of 8 bits, bands 1 (grey) or 3 (RGB), rows packed,
 * every DCT coefficient of every plane quantised by step (1-255; 1 is as
 * fine as JPEG goes, libjpeg's quality 75 tables average about 16 on luma).
 * smallest: the smallest form (above), else baseline Huffman with the
 * standard tables, quickest; the pixels are the same.  A g_malloc'd
 * buffer, or NULL if libjpeg fails.
 */
unsigned char *jpegflat_encode(const unsigned char *px, int w, int h, int bands, int step,
    bool smallest, size_t *len);

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
