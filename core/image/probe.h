/*
 * probe.h — what one file is: its content hash, format and dimensions.
 *
 * The format is known from the content (libvips' loaders sniff the magic
 * bytes), never from the name.  Dimensions come from the header only: no
 * pixel is decoded, so a decompression bomb costs nothing to recognise.
 */
#ifndef TAGCON_PROBE_H
#define TAGCON_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/images.h"

struct probe_result {
	int64_t size;
	int64_t mtime_ns;
	bool has_hash;
	uint8_t hash[DB_HASH_LEN];
	char *format; /* "jpeg", "png" ... or NULL */
	int width;
	int height;
	enum db_orientation orientation;
	/* false when the file is not a usable image; error says why */
	bool ok;
	/* true when no loader recognised the content at all */
	bool not_image;
	char *error;
};

/*
 * Probe the file at path (a regular file or a symlink to one).  Always fills
 * r (release with probe_result_fini); r->ok tells whether it is an image
 * tagcon can tag, and r->error why not.  pixel_limit 0 means no limit.
 */
void probe_file(const char *path, uint64_t pixel_limit, struct probe_result *r);
void probe_result_fini(struct probe_result *r);

/*
 * Whether a failure recorded for an unchanged file may turn out otherwise
 * on the next look: over a pixel limit that may since have been raised, or
 * unreadable (a chmod changes no mtime).  Damaged or foreign content stays
 * as it was until the file changes.
 */
bool probe_failure_may_change(const char *error);

/* Orientation of w×h: square only when the sides are equal. */
enum db_orientation probe_orientation(int width, int height);
const char *probe_orientation_name(enum db_orientation o);

/*
 * The format tagcon tags for a libvips loader ("jpegload", "jpegload_source"
 * -> "jpeg"), or NULL when the scanner refuses what that loader reads: SVG,
 * PDF, FITS, slide scans, CSV and matrix files are not pictures of a library
 * (and SVG and PDF run interpreters).  ImageMagick counts only for a file
 * named like an image (path's last part): it also claims videos and random
 * bytes through formats that have no magic.  The one allowlist: the scanner,
 * the upload preparation and the preview all ask here.  New string.
 */
char *probe_loader_format(const char *loader, const char *path);

/* Whether a name looks like an image file (used only to decide whether a
 * file no loader recognises is worth reporting, never to pick a loader). */
bool probe_image_name(const char *name);

/* Lower-case hex of a hash into out[2 * DB_HASH_LEN + 1]. */
void probe_hash_hex(const uint8_t hash[DB_HASH_LEN], char *out);

#endif
