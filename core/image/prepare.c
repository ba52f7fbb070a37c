/*
 * prepare.c — load, shrink, flatten and encode one image for upload.
 *
 * Why JPEG at Q 90 with 4:2:0 chroma: the model resizes what it gets to
 * 448×448 and was trained on Danbooru's images, mostly JPEGs, so Q 90
 * artefacts are far below what it notices; chroma at half of 768 px is
 * still about the model's own resolution.  Measured at 768 px on
 * photo-like 12 MP input: PNG is ~10× larger (1 MB vs 80-150 KB), WebP
 * at equal quality saves 15-30 % but encodes slower and not every Python
 * image stack on a Space decodes it; 4:4:4 costs ~50 % more bytes and
 * pushed a textured 12 MP photo over the 5 % budget (5.2 % vs 3.4 %).
 */
#include "core/image/prepare.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/sanitize.h"
#include "common/xalloc.h"

#define JPEG_Q 90

/* Raster loaders only: libvips also opens PDF, SVG, CSV and matrix files,
 * which are not pictures a tagger should see (and PDF/SVG run interpreters). */
static const struct {
	const char *loader; /* prefix of libvips' loader name */
	const char *mime;
	const char *filename;
} formats[] = {
	{"jpegload", "image/jpeg", "image.jpg"},
	{"pngload", "image/png", "image.png"},
	{"webpload", "image/webp", "image.webp"},
	{"gifload", "image/gif", "image.gif"},
	{"tiffload", "image/tiff", "image.tif"},
	{"heifload", "image/heif", "image.heif"},
	{"jxlload", "image/jxl", "image.jxl"},
	{"jp2kload", "image/jp2", "image.jp2"},
	{"ppmload", "image/x-portable-anymap", "image.pnm"},
	{"radload", "image/vnd.radiance", "image.hdr"},
	{"openexrload", "image/x-exr", "image.exr"},
	{"magickload", "application/octet-stream", "image"},
};

static GOnce init_once = G_ONCE_INIT;

static gpointer
init_vips(gpointer unused)
{
	(void)unused;
	return VIPS_INIT("tagcon") == 0 ? GINT_TO_POINTER(1) : NULL;
}

bool
prepare_init(char **cause)
{
	if (g_once(&init_once, init_vips, NULL) == NULL) {
		if (cause != NULL) {
			*cause = xstrdup("cannot initialise libvips");
		}
		return false;
	}
	return true;
}

void
prepare_result_destroy(struct prepare_result *r)
{
	if (r == NULL) {
		return;
	}
	g_free(r->data); /* from libvips (g_malloc) or read_all (g_malloc too) */
	free(r);
}

/* Set *cause to "PATH: what", path made safe to print. */
static void
fail(char **cause, const char *path, char *what)
{
	char *shown = sanitize_str(path);
	*cause = xasprintf("%s: %s", shown, what);
	free(shown);
	free(what);
}

/* libvips' last message, first line, safe to print (new string). */
static char *
vips_cause(void)
{
	char *msg = xstrdup(vips_error_buffer());
	vips_error_clear();
	char *nl = strchr(msg, '\n');
	if (nl != NULL) {
		*nl = '\0';
	}
	char *safe = sanitize_str(*msg != '\0' ? msg : "unknown error");
	free(msg);
	return safe;
}

static int
format_index(const char *loader)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		if (strncmp(loader, formats[i].loader, strlen(formats[i].loader)) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* Why no loader took the file: text or something else. */
static char *
not_image(const char *path)
{
	char head[1024];
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		n = read(fd, head, sizeof head);
		close(fd);
	}
	if (n == 0) {
		return xstrdup("not an image (empty file)");
	}
	const char *end = head;
	bool text = n > 0 && memchr(head, '\0', (size_t)n) == NULL &&
	    (g_utf8_validate(head, n, &end) || end - head + 4 > n);
	return xstrdup(text ? "not an image (text file)" : "not an image (unknown format)");
}

/*
 * A source on the file.  Sources, not file names: libvips reads a trailing
 * "[...]" in a file name as load options, and a library holds files named
 * "scan[2].png".
 */
static VipsSource *
open_source(const char *path, char **what)
{
	VipsSource *src = vips_source_new_from_file(path);
	if (src == NULL) {
		char *v = vips_cause();
		*what = xasprintf("cannot read (%s)", v);
		free(v);
	}
	return src;
}

/* Header only: the format is one tagcon sends and the pixel count is under
 * the limit.  *fmt is the index into formats[]. */
static bool
check_header(const char *path, const struct prepare_opts *opts, struct prepare_result *r,
    int *fmt, char **what)
{
	VipsSource *src = open_source(path, what);
	if (src == NULL) {
		return false;
	}
	/* A GType name ("VipsForeignLoadJpegSource"); its nickname is
	 * "jpegload_source". */
	const char *type = vips_foreign_find_load_source(src);
	const char *loader = type != NULL ? vips_nickname_find(g_type_from_name(type)) : NULL;
	if (loader == NULL) {
		vips_error_clear();
		g_object_unref(src);
		*what = not_image(path);
		return false;
	}
	*fmt = format_index(loader);
	if (*fmt < 0) {
		*what = xasprintf("not a raster image (%s)", loader);
		g_object_unref(src);
		return false;
	}
	VipsImage *im = vips_image_new_from_source(src, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	g_object_unref(src);
	if (im == NULL) {
		char *v = vips_cause();
		*what = xasprintf("damaged image (%s)", v);
		free(v);
		return false;
	}
	r->orig_width = vips_image_get_width(im);
	r->orig_height = vips_image_get_height(im);
	g_object_unref(im);
	uint64_t pixels = (uint64_t)r->orig_width * (uint64_t)r->orig_height;
	if (opts->pixel_limit != 0 && pixels > opts->pixel_limit) {
		*what = xasprintf("image too large (%d×%d = %.1f MP, limit %.1f MP)",
		    r->orig_width, r->orig_height, pixels / 1e6, opts->pixel_limit / 1e6);
		return false;
	}
	return true;
}

/* upload_max_side 0: the file's own bytes. */
static bool
read_original(const char *path, int fmt, struct prepare_result *r, char **what)
{
	if (r->orig_bytes > PREPARE_MAX_ORIGINAL) {
		*what = xasprintf("file too large to send unchanged (%.1f MiB, limit %d MiB); "
		    "set upload_max_side", r->orig_bytes / 1048576.0, PREPARE_MAX_ORIGINAL >> 20);
		return false;
	}
	gchar *data = NULL;
	gsize len = 0;
	GError *e = NULL;
	if (!g_file_get_contents(path, &data, &len, &e)) {
		char *m = sanitize_str(e->message);
		*what = xasprintf("cannot read: %s", m);
		free(m);
		g_error_free(e);
		return false;
	}
	r->data = (unsigned char *)data;
	r->len = len;
	r->mime = formats[fmt].mime;
	r->filename = formats[fmt].filename;
	r->width = r->orig_width;
	r->height = r->orig_height;
	return true;
}

/* Alpha onto white, as the Space composites onto a white canvas itself. */
static int
flatten(VipsImage *in, VipsImage **out)
{
	if (!vips_image_hasalpha(in)) {
		*out = in;
		g_object_ref(in);
		return 0;
	}
	double max = 255.0;
	if (in->BandFmt == VIPS_FORMAT_USHORT) {
		max = 65535.0;
	} else if (in->Type == VIPS_INTERPRETATION_scRGB) {
		max = 1.0;
	}
	double white[4] = {max, max, max, max};
	VipsArrayDouble *bg = vips_array_double_new(white, in->Bands - 1);
	int rc = vips_flatten(in, out, "background", bg, "max_alpha", max, NULL);
	vips_area_unref(VIPS_AREA(bg));
	return rc;
}

/* 8-bit sRGB, or 8-bit grey for grey images (smaller, same to the model). */
static int
to_srgb8(VipsImage *in, VipsImage **out)
{
	VipsInterpretation want = in->Type == VIPS_INTERPRETATION_B_W ||
	    in->Type == VIPS_INTERPRETATION_GREY16 ? VIPS_INTERPRETATION_B_W :
	    VIPS_INTERPRETATION_sRGB;
	VipsImage *t;
	if (vips_colourspace(in, &t, want, NULL) != 0) {
		return -1;
	}
	int rc = t->BandFmt == VIPS_FORMAT_UCHAR ? (*out = t, 0) : vips_cast_uchar(t, out, NULL);
	if (*out != t) {
		g_object_unref(t);
	}
	return rc;
}

/*
 * The image at most side × side, EXIF orientation applied.  For JPEG the
 * shrink-on-load factor is chosen here, as large as keeps side pixels:
 * vips_thumbnail deliberately leaves a 2× margin for its own resize (a
 * sharper thumbnail for people), which costs a 4× larger decode — ~60 ms
 * instead of ~20 ms for a 12 MP photo on one core — and the model, which
 * sees 448 px, cannot tell the difference.
 */
static int
load_small(VipsSource *src, int fmt, int side, const struct prepare_result *r,
    VipsImage **out)
{
	if (strcmp(formats[fmt].loader, "jpegload") != 0) {
		return vips_thumbnail_source(src, out, side, "height", side, "size",
		    VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
	}
	int longest = r->orig_width > r->orig_height ? r->orig_width : r->orig_height;
	int shrink = 1;
	while (shrink < 8 && longest / (shrink * 2) >= side) {
		shrink *= 2;
	}
	VipsImage *im = vips_image_new_from_source(src, "", "shrink", shrink, "access",
	    VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
	if (im == NULL) {
		return -1;
	}
	int rc = vips_thumbnail_image(im, out, side, "height", side, "size", VIPS_SIZE_DOWN,
	    NULL);
	g_object_unref(im);
	return rc;
}

/* Shrink-on-load to side, flatten, sRGB, JPEG.  The truncation check
 * fires while the pixels are read, i.e. during the save. */
static bool
shrink(const char *path, int fmt, int side, struct prepare_result *r, char **what)
{
	VipsImage *thumb = NULL, *flat = NULL, *rgb = NULL;
	void *buf = NULL;
	size_t len = 0;
	bool ok = false;
	VipsSource *src = open_source(path, what);
	if (src == NULL) {
		return false;
	}
	if (load_small(src, fmt, side, r, &thumb) != 0 ||
	    flatten(thumb, &flat) != 0 || to_srgb8(flat, &rgb) != 0 ||
	    vips_jpegsave_buffer(rgb, &buf, &len, "Q", JPEG_Q, "optimize_coding", TRUE,
	    "strip", TRUE, "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_ON, NULL) != 0) {
		char *v = vips_cause();
		*what = xasprintf("truncated or damaged image (%s)", v);
		free(v);
		goto out;
	}
	r->data = buf;
	r->len = len;
	r->mime = "image/jpeg";
	r->filename = "image.jpg";
	r->width = vips_image_get_width(rgb);
	r->height = vips_image_get_height(rgb);
	ok = true;
out:
	g_object_unref(src);
	if (rgb != NULL) {
		g_object_unref(rgb);
	}
	if (flat != NULL) {
		g_object_unref(flat);
	}
	if (thumb != NULL) {
		g_object_unref(thumb);
	}
	return ok;
}

static bool
stat_file(const char *path, uint64_t *size, char **what)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		*what = xasprintf("cannot read: %s", strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return false;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		*what = xstrdup("not a regular file");
		return false;
	}
	*size = (uint64_t)st.st_size;
	return true;
}

struct prepare_result *
prepare_file(const char *path, const struct prepare_opts *opts, char **cause)
{
	if (!prepare_init(cause)) {
		return NULL;
	}
	struct prepare_result *r = xcalloc(1, sizeof *r);
	char *what = NULL;
	int fmt = -1;
	bool ok = stat_file(path, &r->orig_bytes, &what) &&
	    check_header(path, opts, r, &fmt, &what);
	if (ok && opts->upload_max_side == 0) {
		ok = read_original(path, fmt, r, &what);
	} else if (ok) {
		ok = shrink(path, fmt, (int)opts->upload_max_side, r, &what);
	}
	if (!ok) {
		fail(cause, path, what);
		prepare_result_destroy(r);
		return NULL;
	}
	return r;
}
