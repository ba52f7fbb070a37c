/*
 * loader.h — an image file opened once, decoded only through the loaders the
 * scanner accepts.
 *
 * The upload preparation and the preview both decode files the scanner has
 * seen, but a file can change between the scan and the decode (renamed over,
 * replaced by an SVG named .png).  So: one open(), and from that descriptor
 * the loader is sniffed, checked against the scanner's allowlist
 * (probe_loader_format) and then called by name on the same descriptor.
 * Nothing is looked up by path after loader_open(): what was checked is what
 * is decoded.
 *
 * Most loaders read a VipsSource on the descriptor.  ImageMagick's (BMP,
 * ICO ...) has no source form: it reads the file mapped from the descriptor
 * (its policy refuses "/proc/self/fd/N" once the path names another file).
 * OpenEXR's reads nothing but a file name: it gets "/proc/self/fd/N", which
 * opens the file that descriptor holds, not whatever the path holds now.
 */
#ifndef TAGCON_LOADER_H
#define TAGCON_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <vips/vips.h>

/*
 * The process's one libvips set-up (idempotent, thread-safe): its warnings
 * silenced (tagcon reports each as its file's one-line reason) and no
 * operation cache.  loader_open and loader_open_fd call it, so libvips and
 * its modules (HEIF, JPEG XL, ImageMagick, PDF ...) load at the first image
 * a command decodes, not at every start: `tagcon search` never loads them.
 * False with *cause if libvips cannot start.
 */
bool loader_init(char **cause);

struct loader_file {
	int fd;
	bool own_fd;         /* opened by loader_open, closed by loader_close */
	uint64_t size;
	VipsSource *source;  /* on fd, for a "*_source" loader */
	void *map;           /* the file mapped, for a "*_buffer" loader */
	char fd_path[32];    /* "/proc/self/fd/N", for a file loader */
	const char *loader;  /* libvips nickname, e.g. "jpegload_source" (static) */
	char *format;        /* the scanner's name for it: "jpeg", "png" ... */
};

/*
 * Open path, check it is a regular file of a format the scanner accepts.
 * False with *what (no file name, one line): "cannot read: …", "not a regular
 * file", "not an image (empty file|text file|unknown format)", "not an image
 * tagcon tags (svgload)".  f is closed again on failure.
 */
bool loader_open(struct loader_file *f, const char *path, char **what);

/* The same from an open descriptor (borrowed: closed by loader_close only if
 * loader_open opened it).  path names the file for the ImageMagick rule. */
bool loader_open_fd(struct loader_file *f, int fd, const char *path, char **what);

/*
 * Load through the checked loader: NULL-terminated name/value options as
 * vips_image_new_from_source takes them ("access", "shrink" ...).  Pixels are
 * read lazily, from the same file: read them before loader_close().  NULL
 * with the libvips error set.
 */
VipsImage *loader_image(struct loader_file *f, ...) G_GNUC_NULL_TERMINATED;

/* Whether the checked loader can shrink a JPEG while decoding it. */
bool loader_is_jpeg(const struct loader_file *f);

void loader_close(struct loader_file *f);

#endif
