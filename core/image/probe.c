/*
 * probe.c — hash, sniff and read the header of one file.
 */
#include "core/image/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>
#include <xxhash.h>

#include "core/image/loader.h"
#include "core/sanitize.h"
#include "common/xalloc.h"

#define CHUNK (1 << 20)
/* Starts of messages probe_failure_may_change() recognises. */
#define TOO_LARGE "image too large"
#define CANNOT_READ "cannot read"
#define SNIFF 4096
/* Files up to this size are read in one go and parsed from memory. */
#define WHOLE_MAX (8 << 20)
#define TAIL 64

/* Raster formats a wd-tagger Space can take; libvips also loads PDFs, SVG,
 * CSV matrices and slide scans, which are not what a library of images is. */
static const char *const loaders[] = {
	"jpeg", "png", "webp", "gif", "tiff", "heif", "jxl", "jp2k", "magick", "ppm",
	"openexr", NULL,
};

static const char *const image_exts[] = {
	"jpg", "jpeg", "jpe", "jfif", "png", "apng", "webp", "gif", "bmp", "dib", "tif",
	"tiff", "heic", "heif", "avif", "jxl", "jp2", "j2k", "ppm", "pgm", "pbm", "pnm",
	"exr", "ico", NULL,
};

bool
probe_failure_may_change(const char *error)
{
	return error != NULL && (strncmp(error, TOO_LARGE, strlen(TOO_LARGE)) == 0 ||
	    strncmp(error, CANNOT_READ, strlen(CANNOT_READ)) == 0 ||
	    strcmp(error, strerror(EACCES)) == 0 || strcmp(error, strerror(EPERM)) == 0);
}

enum db_orientation
probe_orientation(int width, int height)
{
	if (width <= 0 || height <= 0) {
		return DB_ORIENT_UNKNOWN;
	}
	if (width == height) {
		return DB_ORIENT_SQUARE;
	}
	return width > height ? DB_ORIENT_LANDSCAPE : DB_ORIENT_PORTRAIT;
}

const char *
probe_orientation_name(enum db_orientation o)
{
	static const char *const names[] = {"unknown", "landscape", "portrait", "square"};
	return (unsigned)o < 4 ? names[o] : "unknown";
}

bool
probe_image_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (dot == NULL) {
		return false;
	}
	for (const char *const *e = image_exts; *e; e++) {
		if (strcasecmp(dot + 1, *e) == 0) {
			return true;
		}
	}
	return false;
}

void
probe_hash_hex(const uint8_t hash[DB_HASH_LEN], char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < DB_HASH_LEN; i++) {
		out[2 * i] = hex[hash[i] >> 4];
		out[2 * i + 1] = hex[hash[i] & 15];
	}
	out[2 * DB_HASH_LEN] = '\0';
}

void
probe_result_fini(struct probe_result *r)
{
	free(r->format);
	free(r->error);
	memset(r, 0, sizeof *r);
}

static void
fail(struct probe_result *r, char *why)
{
	r->ok = false;
	free(r->error);
	r->error = why;
}

/* Read the whole file once: hash every byte, keep its head and tail. */
static bool
hash_file(int fd, struct probe_result *r, char *head, size_t *head_len, char *tail,
    size_t *tail_len)
{
	XXH3_state_t *st = XXH3_createState();
	char *buf = xmalloc(CHUNK);
	XXH3_128bits_reset(st);
	*head_len = *tail_len = 0;
	int64_t total = 0;
	ssize_t n;
	while ((n = read(fd, buf, CHUNK)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0) {
			continue;
		}
		XXH3_128bits_update(st, buf, (size_t)n);
		if (*head_len < SNIFF) {
			size_t k = MIN((size_t)n, SNIFF - *head_len);
			memcpy(head + *head_len, buf, k);
			*head_len += k;
		}
		/* The last TAIL bytes, even when they straddle two reads. */
		size_t keep = MIN((size_t)n, (size_t)TAIL);
		size_t old = MIN(*tail_len, TAIL - keep);
		memmove(tail, tail + *tail_len - old, old);
		memcpy(tail + old, buf + n - keep, keep);
		*tail_len = old + keep;
		total += n;
	}
	int err = errno;
	if (n == 0) {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
		memcpy(r->hash, c.digest, DB_HASH_LEN);
		r->has_hash = true;
		r->size = total;
	}
	free(buf);
	XXH3_freeState(st);
	if (n < 0) {
		fail(r, xasprintf(CANNOT_READ ": %s", strerror(err)));
		return false;
	}
	return true;
}

/* The whole file in memory, when it is small enough that one read beats
 * libvips opening and seeking it again; NULL for larger files. */
struct whole {
	char *data;
	size_t len;
};

/* Read a small file whole and hash it; false (r->error set on a read
 * error) when it could not. */
static bool
read_whole(int fd, struct probe_result *r, struct whole *w)
{
	size_t cap = (size_t)r->size + 1;
	w->data = xmalloc(cap);
	w->len = 0;
	ssize_t n;
	while (w->len < cap && ((n = pread(fd, w->data + w->len, cap - w->len,
	    (off_t)w->len)) > 0 || (n < 0 && errno == EINTR))) {
		w->len += n > 0 ? (size_t)n : 0;
	}
	if (w->len == cap) {
		/* The file grew while we read it: take the streaming path. */
		free(w->data);
		w->data = NULL;
		return false;
	}
	if (n < 0) {
		fail(r, xasprintf(CANNOT_READ ": %s", strerror(errno)));
		free(w->data);
		w->data = NULL;
		return false;
	}
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(w->data, w->len));
	memcpy(r->hash, c.digest, DB_HASH_LEN);
	r->has_hash = true;
	r->size = (int64_t)w->len;
	return true;
}

static bool
looks_like_text(const char *head, size_t n)
{
	if (memchr(head, '\0', n) != NULL) {
		return false;
	}
	/* A text file cut inside a multi-byte character is still text. */
	const char *end;
	g_utf8_validate(head, (gssize)n, &end);
	return (size_t)(end - head) + 4 > n;
}

static bool
has_bytes(const char *hay, size_t n, const char *needle, size_t k)
{
	return memmem(hay, n, needle, k) != NULL;
}

/* Cheap end-of-file checks: a file cut short loses its trailer.  Header-only
 * probing would otherwise accept a half-copied JPEG as whole. */
static bool
truncated(const char *format, const char *head, size_t head_len, const char *tail,
    size_t tail_len, int64_t size)
{
	if (strcmp(format, "jpeg") == 0) {
		return !has_bytes(tail, tail_len, "\xff\xd9", 2);
	}
	if (strcmp(format, "png") == 0) {
		return !has_bytes(tail, tail_len, "IEND", 4);
	}
	if (strcmp(format, "gif") == 0) {
		/* The trailer 0x3B is the last byte (some writers pad with NULs);
		 * a ';' inside the image data proves nothing. */
		size_t k = tail_len;
		while (k > 0 && tail[k - 1] == '\0') {
			k--;
		}
		return k == 0 || tail[k - 1] != ';';
	}
	if (strcmp(format, "webp") == 0 && head_len >= 12) {
		uint32_t riff = (uint8_t)head[4] | (uint8_t)head[5] << 8 |
		    (uint8_t)head[6] << 16 | (uint32_t)(uint8_t)head[7] << 24;
		return (int64_t)riff + 8 > size;
	}
	return false;
}

char *
probe_loader_format(const char *loader, const char *path)
{
	const char *base = strrchr(path, '/');
	if (strncmp(loader, "magick", 6) == 0 && !probe_image_name(base != NULL ? base + 1 : path)) {
		return NULL;
	}
	for (const char *const *l = loaders; *l; l++) {
		size_t k = strlen(*l);
		if (strncmp(loader, *l, k) == 0 && strncmp(loader + k, "load", 4) == 0) {
			return xstrdup(*l);
		}
	}
	return NULL;
}

static char *
vips_cause(void)
{
	/* First line of libvips' message, sanitised: it quotes file content. */
	char *msg = xstrdup(vips_error_buffer());
	vips_error_clear();
	char *nl = strchr(msg, '\n');
	if (nl != NULL) {
		*nl = '\0';
	}
	char *safe = sanitize_str(msg);
	free(msg);
	return safe;
}

/*
 * libvips reads "name[options]" in a file name as load options, so a file
 * called "x.png[...]" would be read as x.png: tagcon hands libvips bytes
 * and sources, never names, except for the few loaders that have neither
 * form (ImageMagick's BMP, ICO ...), and never a name ending in ']'.
 */
static bool
name_is_literal(const char *path)
{
	size_t n = strlen(path);
	return n == 0 || path[n - 1] != ']';
}

static VipsImage *
load_header(const char *path)
{
	VipsSource *src = vips_source_new_from_file(path);
	VipsImage *im = NULL;
	if (src != NULL && vips_foreign_find_load_source(src) != NULL) {
		im = vips_image_new_from_source(src, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	} else if (name_is_literal(path)) {
		vips_error_clear();
		im = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	}
	if (src != NULL) {
		g_object_unref(src);
	}
	return im;
}

static void
read_header(const char *path, const struct whole *w, uint64_t pixel_limit,
    struct probe_result *r, const char *head, size_t head_len, const char *tail,
    size_t tail_len)
{
	VipsImage *im = w->data != NULL ?
	    vips_image_new_from_buffer(w->data, w->len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL) :
	    load_header(path);
	bool cut = truncated(r->format, head, head_len, tail, tail_len, r->size);
	if (im == NULL && cut) {
		vips_error_clear();
		fail(r, xasprintf("truncated %s image (file ends before the image does)", r->format));
		return;
	}
	if (im == NULL) {
		char *why = vips_cause();
		fail(r, xasprintf("not a valid %s image (%s)", r->format, why));
		free(why);
		return;
	}
	r->width = vips_image_get_width(im);
	r->height = vips_image_get_height(im);
	int exif = 1;
	if (vips_image_get_typeof(im, VIPS_META_ORIENTATION) &&
	    vips_image_get_int(im, VIPS_META_ORIENTATION, &exif) == 0 && exif >= 5 && exif <= 8) {
		/* EXIF orientations 5-8 turn the picture a quarter: a person
		 * sees height × width. */
		int side = r->width;
		r->width = r->height;
		r->height = side;
	}
	g_object_unref(im);
	r->orientation = probe_orientation(r->width, r->height);
	uint64_t pixels = (uint64_t)r->width * (uint64_t)r->height;
	if (pixel_limit != 0 && pixels > pixel_limit) {
		fail(r, xasprintf(TOO_LARGE " (%d×%d = %.1f MP, limit %.1f MP)", r->width,
		    r->height, pixels / 1e6, pixel_limit / 1e6));
		return;
	}
	if (cut) {
		fail(r, xasprintf("truncated %s image (file ends before the image does)", r->format));
		return;
	}
	r->ok = true;
}

/* The loader's nickname for a type name ("VipsForeignLoadPngBuffer"). */
static const char *
nickname(const char *type)
{
	return type != NULL ? vips_nickname_find(g_type_from_name(type)) : NULL;
}

/*
 * The format of the file from its first bytes, or NULL with *why.  The
 * magic-byte loaders decide from memory alone; only a file named like an
 * image is offered to the loaders that need the whole file (ImageMagick),
 * which otherwise claims videos and random bytes through formats that
 * have no magic at all (TGA).
 */
static char *
sniff(const char *path, const char *head, size_t n, char **why)
{
	const char *loader = nickname(vips_foreign_find_load_buffer(head, n));
	vips_error_clear();
	const char *base = strrchr(path, '/');
	bool image_name = probe_image_name(base != NULL ? base + 1 : path);
	if (loader != NULL && strncmp(loader, "magick", 6) == 0 && !image_name) {
		loader = NULL;
	}
	if (loader == NULL && image_name && name_is_literal(path)) {
		loader = nickname(vips_foreign_find_load(path));
		vips_error_clear();
	}
	char *format = loader != NULL ? probe_loader_format(loader, path) : NULL;
	if (format != NULL) {
		return format;
	}
	if (loader != NULL) {
		*why = xasprintf("not an image tagcon tags (%s)", loader);
	} else {
		*why = xasprintf("not an image (%s)", looks_like_text(head, n) ? "text file" :
		    "unknown format");
	}
	return NULL;
}

void
probe_file(const char *path, uint64_t pixel_limit, struct probe_result *r)
{
	memset(r, 0, sizeof *r);
	char *cause = NULL;
	if (!loader_init(&cause)) {
		fail(r, cause);
		return;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0) {
		fail(r, xstrdup(errno == ELOOP ? "symlink loop" : strerror(errno)));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fail(r, xstrdup("not a regular file"));
		goto out;
	}
	r->size = st.st_size;
	r->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (r->size == 0) {
		r->not_image = true;
		fail(r, xstrdup("empty file"));
		goto out;
	}
	/* A small file is read once, whole, and sniffed from memory (some
	 * formats need more than their first bytes: a TIFF's directory may
	 * sit at its end).  A large one is sniffed from its first bytes, so a
	 * big file that is no image is never read whole. */
	struct whole w = {0};
	char *why = NULL, sniffed[SNIFF];
	bool small = r->size <= WHOLE_MAX && read_whole(fd, r, &w);
	ssize_t n = small ? (ssize_t)w.len : pread(fd, sniffed, sizeof sniffed, 0);
	if (r->error == NULL && n > 0) {
		r->format = sniff(path, small ? w.data : sniffed, (size_t)n, &why);
	} else if (r->error == NULL) {
		why = xasprintf(CANNOT_READ ": %s", n < 0 ? strerror(errno) : "empty");
	}
	if (r->format == NULL) {
		r->not_image = true;
		r->has_hash = false;
		if (why != NULL) {
			fail(r, why);
		}
		goto done;
	}
	char head[SNIFF], tail[TAIL];
	size_t head_len, tail_len;
	if (small) {
		head_len = MIN(w.len, (size_t)SNIFF);
		memcpy(head, w.data, head_len);
		tail_len = MIN(w.len, (size_t)TAIL);
		memcpy(tail, w.data + w.len - tail_len, tail_len);
		read_header(path, &w, pixel_limit, r, head, head_len, tail, tail_len);
	} else if (hash_file(fd, r, head, &head_len, tail, &tail_len)) {
		read_header(path, &w, pixel_limit, r, head, head_len, tail, tail_len);
	}
done:
	free(w.data);
out:
	close(fd);
}
