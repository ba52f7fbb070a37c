/*
 * prepare.h — one image made ready for upload.
 *
 * The wd-tagger app pads the picture to a square with white and resizes the
 * square to its model's side, 448 (space-protocol.md §1.5).  prepare_file()
 * sends that square, made as the app makes it (square.h), at the side
 * min(upload_max_side, 448): the app finds it already at its model's side
 * and resizes nothing, so the model sees the original's view less the JPEG
 * loss, which is held to about 41 dB PSNR by choosing the JPEG's step per
 * image (prepare.c).  A picture no larger than the side is sent as it is
 * (flattened, upright), and the app squares it itself.  Alpha is flattened
 * onto white (as the app does), EXIF orientation applied, metadata dropped;
 * the JPEG is 4:4:4 with flat quantisation tables (jpegflat.h).
 *
 * The file is opened once: the format is checked against the scanner's
 * allowlist and decoded from that same descriptor (loader.h).  The pixel
 * limit is checked from the header before a pixel is decoded, so a
 * decompression bomb costs nothing.  Safe to call from several threads at
 * once.
 */
#ifndef TAGCON_PREPARE_H
#define TAGCON_PREPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The wd-tagger models' input side: nothing larger reaches a model. */
#define PREPARE_MODEL_SIDE 448

/* Largest file sent unchanged (upload_max_side 0). */
#define PREPARE_MAX_ORIGINAL (64 * 1024 * 1024)

struct prepare_opts {
	unsigned upload_max_side; /* side of the square sent, at most PREPARE_MODEL_SIDE;
	                           * 0 sends the file's own bytes */
	uint64_t pixel_limit;     /* width × height refused above this; 0 = none */
	int jpeg_step;            /* quantisation step of the JPEG (jpegflat.h), 1-255;
	                           * 0: the coarsest that keeps the target (prepare.c) */
};

struct prepare_result {
	unsigned char *data;
	size_t len;           /* bytes to send */
	const char *mime;     /* "image/jpeg" ... (static) */
	const char *filename; /* name for the multipart part (static, e.g. "image.jpg") */
	uint64_t orig_bytes;  /* size of the file */
	int orig_width;       /* as stored, before EXIF rotation */
	int orig_height;
	int width;            /* of what is sent: the square's side, or the picture's */
	int height;
	int jpeg_step;        /* quantisation step of what is sent; 0 for the file's bytes */
	double psnr;          /* dB of what is sent against the view it encodes, when
	                       * the step was chosen; 0 otherwise */
};


/*
 * Prepare the file at path.  NULL with *cause, one line naming the file:
 * "PATH: not an image (text file)", "PATH: image too large (50000×50000 =
 * 2500.0 MP, limit 100.0 MP)", "PATH: truncated or damaged image (…)",
 * "PATH: cannot read: …".
 */
struct prepare_result *prepare_file(const char *path, const struct prepare_opts *opts,
    char **cause);

/* The same for a file already open (fd borrowed, never closed here); path
 * names it in messages and for the allowlist's rule on names.  Whatever the
 * path now holds, fd's file is what is checked and decoded. */
struct prepare_result *prepare_fd(int fd, const char *path, const struct prepare_opts *opts,
    char **cause);
void prepare_result_destroy(struct prepare_result *r);

#endif
