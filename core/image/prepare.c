/*
 * prepare.c — load, flatten, square and encode one image for upload.
 *
 * What is sent is the 448 × 448 square the wd-tagger app would make of the
 * original (square.h): the app then finds a square of its model's side and
 * resizes nothing, so the model's input differs from what the original gives
 * only by the JPEG loss.  Sending more pixels than the model's side buys
 * nothing: the app resizes them away.  Sending fewer, or not squared, costs
 * faithfulness: the app's second resize of an upload that is not already the
 * square is misregistered by up to half a pixel, and a 0.67-pixel shift
 * alone brought a 12 MP photo's model input down to 31 dB PSNR.
 *
 * The JPEG: 4:4:4, since at 448 pixels the model sees every chroma pixel;
 * one quantisation step for every frequency (jpegflat.h: 9-23 % fewer bytes
 * than the standard tables at the same PSNR); and the coarsest step whose
 * pixels stay TARGET_DB from the square's, searched per image, so a smooth
 * picture costs a few kB and a dense one what it needs; arithmetic-coded
 * where PIL can read it (jpegflat.h).  Real 12-20 MP photos: 0.36-3.4 % of
 * their files, 40.65-41.3 dB from the original's view through PIL itself
 * (README figures, tests/bench/psnr_pil.py).  PNG is 4-6 × larger; WebP is
 * 4:2:0 only (43.4 dB at best on those squares) and, with sharp chroma, no
 * smaller than the arithmetic JPEG at 41 dB.
 */
#include "core/image/prepare.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/image/jpegflat.h"
#include "core/image/loader.h"
#include "core/image/square.h"
#include "core/sanitize.h"
#include "common/xalloc.h"

/* The upload's own loss: its pixels within TARGET_DB PSNR of the square it
 * encodes, with the coarsest quantisation step in [STEP_MIN, STEP_MAX] that
 * keeps them there.  With the square's own difference to PIL's (47-52 dB)
 * the model's input stays about 40 dB from what the original gives it. */
#define TARGET_DB 41.0
#define STEP_MIN 2
#define STEP_MAX 24
#define STEP_FIRST 9
#define TRIALS 5

/* Decode at least this many times the square's side before resampling:
 * a JPEG's 1/8 shrink-on-load leaves visibly coarser blocks (44 dB instead
 * of 47-52 dB at Q 100), 1/2 costs 50 % more time for 1 dB. */
#define DECODE_MARGIN 2

/* What the file's own bytes are sent as (upload_max_side 0). */
static const struct {
	const char *format; /* probe_loader_format()'s name */
	const char *mime;
	const char *filename;
} formats[] = {
	{"jpeg", "image/jpeg", "image.jpg"},
	{"png", "image/png", "image.png"},
	{"webp", "image/webp", "image.webp"},
	{"gif", "image/gif", "image.gif"},
	{"tiff", "image/tiff", "image.tif"},
	{"heif", "image/heif", "image.heif"},
	{"jxl", "image/jxl", "image.jxl"},
	{"jp2k", "image/jp2", "image.jp2"},
	{"ppm", "image/x-portable-anymap", "image.pnm"},
	{"openexr", "image/x-exr", "image.exr"},
	{"magick", "application/octet-stream", "image"},
};

void
prepare_result_destroy(struct prepare_result *r)
{
	if (r == NULL) {
		return;
	}
	g_free(r->data); /* from libvips (g_malloc) or read_original (g_malloc too) */
	free(r);
}

/* Set *cause to "PATH: what", path made safe to print. */
static void
fail(char **cause, const char *path, char *what)
{
	if (cause != NULL) {
		char *shown = sanitize_str(path);
		*cause = xasprintf("%s: %s", shown, what);
		free(shown);
	}
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

/* Header only: the size as stored, whether EXIF turns it a quarter, and
 * the pixel count under the limit. */
static bool
check_header(struct loader_file *f, const struct prepare_opts *opts, struct prepare_result *r,
    bool *turned, char **what)
{
	VipsImage *im = loader_image(f, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (im == NULL) {
		char *v = vips_cause();
		*what = xasprintf("damaged image (%s)", v);
		free(v);
		return false;
	}
	r->orig_width = vips_image_get_width(im);
	r->orig_height = vips_image_get_height(im);
	*turned = vips_image_get_orientation(im) >= 5;
	g_object_unref(im);
	uint64_t pixels = (uint64_t)r->orig_width * (uint64_t)r->orig_height;
	if (opts->pixel_limit != 0 && pixels > opts->pixel_limit) {
		*what = xasprintf("image too large (%d×%d = %.1f MP, limit %.1f MP)",
		    r->orig_width, r->orig_height, pixels / 1e6, opts->pixel_limit / 1e6);
		return false;
	}
	return true;
}

/* upload_max_side 0: the file's own bytes, read from the descriptor checked. */
static bool
read_original(struct loader_file *f, struct prepare_result *r, char **what)
{
	if (f->size > PREPARE_MAX_ORIGINAL) {
		*what = xasprintf("file too large to send unchanged (%.1f MiB, limit %d MiB); "
		    "set upload_max_side", f->size / 1048576.0, PREPARE_MAX_ORIGINAL >> 20);
		return false;
	}
	unsigned char *data = g_malloc(f->size > 0 ? f->size : 1);
	size_t len = 0;
	ssize_t n = 1;
	while (len < f->size && ((n = pread(f->fd, data + len, f->size - len, (off_t)len)) > 0 ||
	    (n < 0 && errno == EINTR))) {
		len += n > 0 ? (size_t)n : 0;
	}
	if (len < f->size) {
		*what = xasprintf("cannot read: %s", n < 0 ? strerror(errno) : "file shrank");
		g_free(data);
		return false;
	}
	size_t i = 0;
	while (i + 1 < sizeof formats / sizeof formats[0] && strcmp(formats[i].format, f->format)) {
		i++;
	}
	r->data = data;
	r->len = len;
	r->mime = formats[i].mime;
	r->filename = formats[i].filename;
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

/* The largest shrink-on-load (1, 2, 4, 8) that keeps DECODE_MARGIN × side
 * pixels on the longest side. */
static int
shrink_factor(int longest, int side)
{
	int s = 1;
	while (s < 8 && longest / (s * 2) >= DECODE_MARGIN * side) {
		s *= 2;
	}
	return s;
}

/*
 * 8-bit, flat, upright pixels at 1/shrink: a JPEG shrinks while it decodes
 * (in the DCT), anything else is box-shrunk after.  *orientation is the EXIF
 * turn applied, which square_make must know.
 */
static VipsImage *
decode_small(struct loader_file *f, int shrink, int *orientation)
{
	VipsImage *t[5] = {NULL}, *out = NULL;
	t[0] = loader_is_jpeg(f) ?
	    loader_image(f, "shrink", shrink, "access", VIPS_ACCESS_SEQUENTIAL,
	    "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL) :
	    loader_image(f, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_TRUNCATED,
	    NULL);
	if (t[0] == NULL || flatten(t[0], &t[1]) != 0 || to_srgb8(t[1], &t[2]) != 0) {
		goto out;
	}
	if (loader_is_jpeg(f) || shrink == 1) {
		t[3] = t[2];
		g_object_ref(t[3]);
	} else if (vips_shrink(t[2], &t[3], shrink, shrink, NULL) != 0) {
		goto out;
	}
	/* Decoded here, in order (the read is sequential), then turned. */
	*orientation = vips_image_get_orientation(t[3]);
	if ((t[4] = vips_image_copy_memory(t[3])) != NULL &&
	    vips_autorot(t[4], &out, NULL) != 0) {
		out = NULL;
	}
out:
	for (int i = 4; i >= 0; i--) {
		if (t[i] != NULL) {
			g_object_unref(t[i]);
		}
	}
	return out;
}

/* The app's square of the original (its own pixels when no larger than
 * side: the app pads and resizes those itself, exactly as it would). */
static VipsImage *
model_view(struct loader_file *f, const struct prepare_result *r, bool turned, int side)
{
	struct square_geom g = {
		.width = turned ? r->orig_height : r->orig_width,
		.height = turned ? r->orig_width : r->orig_height,
		.side = side,
	};
	int longest = g.width > g.height ? g.width : g.height;
	g.shrink = longest > side ? shrink_factor(longest, side) : 1;
	VipsImage *small = decode_small(f, g.shrink, &g.orientation);
	if (small == NULL || longest <= side) {
		return small;
	}
	VipsImage *sq = square_make(small, &g);
	g_object_unref(small);
	return sq;
}

/* im (in memory, 8-bit, 1 or 3 bands) as a flat-table JPEG of that step.
 * The smallest coding changes the size, never a pixel: trials go without. */
static void *
jpeg_at(VipsImage *im, int step, bool smallest, size_t *len)
{
	const unsigned char *px = vips_image_get_data(im);
	if (px == NULL) {
		return NULL;
	}
	void *buf = jpegflat_encode(px, vips_image_get_width(im), vips_image_get_height(im),
	    vips_image_get_bands(im), step, smallest, len);
	if (buf == NULL) {
		vips_error("prepare", "JPEG encoding failed");
	}
	return buf;
}

/* PSNR of the pixels a JPEG of that step gives back against im's (in
 * memory); -1 on error. */
static double
psnr_at(VipsImage *im, int step)
{
	size_t len;
	int w = vips_image_get_width(im), h = vips_image_get_height(im);
	int bands = vips_image_get_bands(im);
	const unsigned char *want = vips_image_get_data(im);
	size_t n = (size_t)w * (size_t)h * (size_t)bands;
	unsigned char *buf = jpeg_at(im, step, false, &len);
	unsigned char *got = buf != NULL ? xmalloc(n) : NULL;
	double db = -1.0;
	if (got != NULL && want != NULL && jpegflat_decode(buf, len, w, h, bands, got)) {
		double sum = 0.0;
		for (size_t i = 0; i < n; i++) {
			int d = (int)got[i] - (int)want[i];
			sum += d * d;
		}
		db = sum == 0.0 ? 99.0 : 10.0 * log10(255.0 * 255.0 * (double)n / sum);
	}
	free(got);
	g_free(buf);
	return db;
}

/*
 * Every other band of 8 rows of im (in memory).  A 4:4:4 JPEG quantises
 * each 8×8 block on its own, so what it loses on these blocks is exactly
 * what the whole image's JPEG loses there: trials encode half the pixels.
 */
static VipsImage *
half_blocks(VipsImage *im)
{
	const unsigned char *px = vips_image_get_data(im);
	if (px == NULL) {
		return NULL;
	}
	int w = vips_image_get_width(im), h = vips_image_get_height(im);
	size_t line = VIPS_IMAGE_SIZEOF_LINE(im);
	unsigned char *half = xmalloc(line * (size_t)h);
	int rows = 0;
	for (int y = 0; y < h; y++) {
		if ((y / 8) % 2 == 0) {
			memcpy(half + line * rows++, px + line * y, line);
		}
	}
	VipsImage *out = vips_image_new_from_memory_copy(half, line * rows, w, rows,
	    vips_image_get_bands(im), VIPS_FORMAT_UCHAR);
	free(half);
	if (out != NULL) {
		out->Type = im->Type;
	}
	return out;
}

/* Where the line through (log a, PSNR at a) and (log b, PSNR at b) meets
 * the target. */
static double
meets(const double *tried, int a, int b)
{
	double f = (tried[a] - TARGET_DB) / (tried[a] - tried[b]);
	return exp(log(a) + f * (log(b) - log(a)));
}

/*
 * The next step to try, inside (pass, fail): on the line through the
 * bracket's two ends once both are known, else through the last two trials,
 * else from the one trial: the PSNR of photos falls by about 14 log10 of
 * the step (20 log10 for pure noise, less as coarser steps zero more).
 */
static int
next_step(const double *tried, int prev, int step, int pass, int fail)
{
	double guess = step * pow(10.0, (tried[step] - TARGET_DB) / 14.0);
	if (pass >= STEP_MIN && fail <= STEP_MAX && tried[pass] > tried[fail]) {
		guess = meets(tried, pass, fail);
	} else if (prev > 0 && tried[prev] != tried[step]) {
		guess = meets(tried, prev, step);
	}
	int s = guess < pass + 1 ? pass + 1 : guess > fail - 1 ? fail - 1 : (int)floor(guess);
	return s;
}

/*
 * The coarsest step in [STEP_MIN, STEP_MAX] whose pixels stay within
 * TARGET_DB of im's, in at most TRIALS trial encodes of half the blocks;
 * STEP_MIN when none passes.  *db: the PSNR measured at that step, 0 if none.
 */
static int
choose_step(VipsImage *whole, double *db)
{
	VipsImage *im = half_blocks(whole);
	double tried[STEP_MAX + 2];
	int pass = STEP_MIN - 1, fail = STEP_MAX + 1, step = STEP_FIRST, prev = 0;
	*db = 0;
	if (im == NULL) {
		vips_error_clear();
		return STEP_FIRST;
	}
	/* PSNR falls as the step grows: the answer is in [pass, fail - 1]. */
	for (int trial = 0; trial < TRIALS && fail - pass > 1; trial++) {
		tried[step] = psnr_at(im, step);
		if (tried[step] < 0) {
			break;
		}
		if (tried[step] >= TARGET_DB) {
			pass = step;
		} else {
			fail = step;
		}
		int next = next_step(tried, prev, step, pass, fail);
		prev = step;
		step = next;
	}
	g_object_unref(im);
	if (pass < STEP_MIN) {
		return STEP_MIN;
	}
	*db = tried[pass];
	return pass;
}

/* The model's view, as a JPEG.  The truncation check fires while the pixels
 * are read. */
static bool
encode(struct loader_file *f, const struct prepare_opts *opts, bool turned,
    struct prepare_result *r, char **what)
{
	int side = opts->upload_max_side < PREPARE_MODEL_SIDE ? (int)opts->upload_max_side :
	    PREPARE_MODEL_SIDE;
	VipsImage *view = model_view(f, r, turned, side);
	VipsImage *im = view != NULL ? vips_image_copy_memory(view) : NULL;
	r->jpeg_step = opts->jpeg_step;
	if (im != NULL && (r->jpeg_step <= 0 || r->jpeg_step > 255)) {
		r->jpeg_step = choose_step(im, &r->psnr);
	}
	r->data = im != NULL ? jpeg_at(im, r->jpeg_step, true, &r->len) : NULL;
	if (view != NULL) {
		g_object_unref(view);
	}
	if (r->data == NULL) {
		char *v = vips_cause();
		*what = xasprintf("truncated or damaged image (%s)", v);
		free(v);
		if (im != NULL) {
			g_object_unref(im);
		}
		return false;
	}
	r->mime = "image/jpeg";
	r->filename = "image.jpg";
	r->width = vips_image_get_width(im);
	r->height = vips_image_get_height(im);
	g_object_unref(im);
	return true;
}

struct prepare_result *
prepare_fd(int fd, const char *path, const struct prepare_opts *opts, char **cause)
{
	struct prepare_result *r = xcalloc(1, sizeof *r);
	struct loader_file f;
	char *what = NULL;
	bool turned = false;
	bool ok = loader_open_fd(&f, fd, path, &what);
	r->orig_bytes = f.size;
	ok = ok && check_header(&f, opts, r, &turned, &what);
	if (ok && opts->upload_max_side == 0) {
		ok = read_original(&f, r, &what);
	} else if (ok) {
		ok = encode(&f, opts, turned, r, &what);
	}
	loader_close(&f);
	if (!ok) {
		fail(cause, path, what);
		prepare_result_destroy(r);
		return NULL;
	}
	return r;
}

struct prepare_result *
prepare_file(const char *path, const struct prepare_opts *opts, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fail(cause, path, xasprintf("cannot read: %s", errno == ELOOP ? "symlink loop" :
		    strerror(errno)));
		return NULL;
	}
	struct prepare_result *r = prepare_fd(fd, path, opts, cause);
	close(fd);
	return r;
}
