/*
 * prepare.h — one image made ready for upload.
 *
 * The wd-tagger model sees the image padded to a square and resized to
 * 448×448 (space-protocol.md §1.5), so sending a 24 MP original wastes
 * bandwidth and the Space's time.  prepare_file() loads with libvips'
 * shrink-on-load straight to upload_max_side on the longest side (never
 * enlarging, EXIF orientation applied), flattens any alpha onto white (as the
 * Space does itself), converts to sRGB and encodes a compact JPEG.
 *
 * The pixel limit is checked from the header before a pixel is decoded, so
 * a decompression bomb costs nothing.  Safe to call from several threads at
 * once.
 */
#ifndef TAGCON_PREPARE_H
#define TAGCON_PREPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest file sent unchanged (upload_max_side 0). */
#define PREPARE_MAX_ORIGINAL (64 * 1024 * 1024)

struct prepare_opts {
	unsigned upload_max_side; /* longest side sent; 0 sends the file's own bytes */
	uint64_t pixel_limit;     /* width × height refused above this; 0 = none */
};

struct prepare_result {
	unsigned char *data;
	size_t len;           /* bytes to send */
	const char *mime;     /* "image/jpeg" ... (static) */
	const char *filename; /* name for the multipart part (static, e.g. "image.jpg") */
	uint64_t orig_bytes;  /* size of the file */
	int orig_width;       /* as stored, before EXIF rotation */
	int orig_height;
	int width;            /* of what is sent (the original's when unchanged) */
	int height;
};

/* Process-wide libvips set-up (idempotent, thread-safe; prepare_file calls
 * it too).  False with *cause if libvips cannot start. */
bool prepare_init(char **cause);

/*
 * Prepare the file at path.  NULL with *cause, one line naming the file:
 * "PATH: not an image (text file)", "PATH: image too large (50000×50000 =
 * 2500.0 MP, limit 100.0 MP)", "PATH: truncated or damaged image (…)",
 * "PATH: cannot read: …".
 */
struct prepare_result *prepare_file(const char *path, const struct prepare_opts *opts,
    char **cause);
void prepare_result_destroy(struct prepare_result *r);

#endif
