/* test-prepare.c — images made ready for upload: shrink, flatten, refuse. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/image/loader.h"
#include "core/image/prepare.h"
#include "core/image/probe.h"
#include "tests/unit/appview.h"
#include "tests/unit/check.h"
#include "tests/unit/files.h"
#include "tests/unit/tmpdir.h"

static const struct prepare_opts defaults = {768, 100000000};

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Save w×h raw 8-bit pixels (bands per pixel) under name; returns its path. */
static const char *
save_raw(const char *name, const unsigned char *px, int w, int h, int bands,
    const char *opts)
{
	VipsImage *im = vips_image_new_from_memory_copy(px, (size_t)w * h * bands, w, h, bands,
	    VIPS_FORMAT_UCHAR);
	im->Type = bands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W;
	const char *path = tmppath(name);
	char target[600];
	snprintf(target, sizeof target, "%s%s", path, opts ? opts : "");
	if (vips_image_write_to_file(im, target, NULL) != 0) {
		fprintf(stderr, "%s\n", vips_error_buffer());
		exit(2);
	}
	g_object_unref(im);
	return path;
}

/* A photo-like w×h picture: soft colour fields, fine texture, sensor grain.
 * In memory. */
static VipsImage *
make_photo(int w, int h)
{
	VipsImage *t[6] = {0}, *bands[3];
	vips_xyz(&t[0], w, h, NULL);
	vips_extract_band(t[0], &t[1], 1, NULL);
	vips_linear1(t[1], &t[2], -0.03 * 3000 / h, 150, NULL);
	vips_gaussnoise(&t[3], w, h, "sigma", 4.0, "seed", 42, NULL);
	for (int b = 0; b < 3; b++) {
		VipsImage *a, *c, *aa, *cc, *s1, *s2;
		int cell = w >= 8 ? 700 * w / 4000 : 1;
		vips_perlin(&a, w, h, "cell_size", cell, "seed", b + 1, NULL);
		vips_perlin(&c, w, h, "cell_size", 16, "seed", b + 11, NULL);
		vips_linear1(a, &aa, 90, 0, NULL);
		vips_linear1(c, &cc, 25, 0, NULL);
		vips_add(aa, cc, &s1, NULL);
		vips_add(s1, t[2], &s2, NULL);
		vips_add(s2, t[3], &bands[b], NULL);
		g_object_unref(a);
		g_object_unref(c);
		g_object_unref(aa);
		g_object_unref(cc);
		g_object_unref(s1);
		g_object_unref(s2);
	}
	vips_bandjoin(bands, &t[4], 3, NULL);
	vips_cast_uchar(t[4], &t[5], NULL);
	t[5]->Type = VIPS_INTERPRETATION_sRGB;
	VipsImage *out = vips_image_copy_memory(t[5]);
	for (int b = 0; b < 3; b++) {
		g_object_unref(bands[b]);
	}
	for (int i = 0; i < 6; i++) {
		g_object_unref(t[i]);
	}
	return out;
}

/* A 12 MP photo saved as a camera would (Q 92, 4:2:0): ~2.6 MB, in the
 * range of a 12 MP phone photo. */
static const char *
save_photo(const char *name)
{
	VipsImage *im = make_photo(4000, 3000);
	const char *path = tmppath(name);
	if (vips_jpegsave(im, path, "Q", 92, "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_ON,
	    NULL) != 0) {
		fprintf(stderr, "%s\n", vips_error_buffer());
		exit(2);
	}
	g_object_unref(im);
	return path;
}

static struct prepare_result *
prep_ok(const char *path, const struct prepare_opts *opts)
{
	char *cause = NULL;
	struct prepare_result *r = prepare_file(path, opts, &cause);
	CHECK(r != NULL);
	if (r == NULL) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
	}
	return r;
}

static void
prep_bad(const char *path, const char *want)
{
	char *cause = NULL;
	struct prepare_result *r = prepare_file(path, &defaults, &cause);
	CHECK(r == NULL);
	CHECK(cause != NULL && strstr(cause, want) != NULL);
	/* One line, naming the file. */
	CHECK(cause != NULL && strncmp(cause, path, strlen(path)) == 0);
	CHECK(cause != NULL && strchr(cause, '\n') == NULL);
	if (cause != NULL && strstr(cause, want) == NULL) {
		fprintf(stderr, "    \"%s\" lacks \"%s\"\n", cause, want);
	}
	free(cause);
	prepare_result_destroy(r);
}

/* Decode what prepare made, to look at its pixels. */
static VipsImage *
decode(const struct prepare_result *r)
{
	VipsImage *im = vips_image_new_from_buffer(r->data, r->len, "", NULL);
	CHECK(im != NULL);
	return im;
}

static void
pixel(VipsImage *im, int x, int y, double *v, int *n)
{
	double *p = NULL;
	vips_getpoint(im, &p, n, x, y, NULL);
	for (int i = 0; i < *n; i++) {
		v[i] = p[i];
	}
	g_free(p);
}

/* RGBA: opaque red left, transparent right, half-transparent black middle. */
static void
test_alpha(void)
{
	int w = 300, h = 100;
	unsigned char *px = calloc((size_t)w * h, 4);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			unsigned char *p = px + ((size_t)y * w + x) * 4;
			if (x < 100) {
				p[0] = 255, p[3] = 255;
			} else if (x < 200) {
				p[3] = 128; /* black at half alpha */
			} /* else fully transparent black */
		}
	}
	const char *path = save_raw("rgba.png", px, w, h, 4, NULL);
	free(px);
	struct prepare_result *r = prep_ok(path, &defaults);
	if (r == NULL) {
		return;
	}
	CHECK_STR(r->mime, "image/jpeg");
	CHECK_INT(r->width, 300); /* never enlarged */
	CHECK_INT(r->height, 100);
	VipsImage *im = decode(r);
	double v[4];
	int n;
	CHECK_INT(vips_image_get_bands(im), 3);
	pixel(im, 50, 50, v, &n);
	CHECK(v[0] > 240 && v[1] < 15 && v[2] < 15);
	pixel(im, 150, 50, v, &n);
	CHECK(v[0] > 115 && v[0] < 140 && v[1] > 115 && v[1] < 140);
	pixel(im, 250, 50, v, &n);
	CHECK(v[0] > 250 && v[1] > 250 && v[2] > 250); /* white, not black */
	g_object_unref(im);
	prepare_result_destroy(r);
}

/* 16-bit RGBA and grey+alpha flatten too. */
static void
test_deep(void)
{
	VipsImage *black, *rgba, *u16;
	vips_black(&black, 64, 64, "bands", 4, NULL);
	vips_cast_ushort(black, &u16, NULL);
	u16->Type = VIPS_INTERPRETATION_RGB16;
	const char *path = tmppath("deep.png");
	CHECK(vips_pngsave(u16, path, "bitdepth", 16, NULL) == 0);
	struct prepare_result *r = prep_ok(path, &defaults);
	if (r != NULL) {
		VipsImage *im = decode(r);
		double v[4];
		int n;
		pixel(im, 10, 10, v, &n);
		CHECK(v[0] > 250); /* all transparent: white */
		g_object_unref(im);
		prepare_result_destroy(r);
	}
	g_object_unref(black);
	g_object_unref(u16);
	(void)rgba;
	unsigned char ga[32 * 32 * 2] = {0};
	path = save_raw("grey-alpha.png", ga, 32, 32, 2, NULL);
	r = prep_ok(path, &defaults);
	if (r != NULL) {
		VipsImage *im = decode(r);
		double v[4];
		int n;
		pixel(im, 5, 5, v, &n);
		CHECK(v[0] > 250);
		CHECK_INT(vips_image_get_bands(im), 1); /* grey stays grey: smaller */
		g_object_unref(im);
		prepare_result_destroy(r);
	}
}

/* PSNR between the model's input from the upload and from the original
 * (appview.h), over the whole input and over the picture alone. */
static void
upload_psnr(const char *path, const struct prepare_result *r, double *whole, double *picture)
{
	VipsImage *want = appview_of_file(path), *got = appview_of_buffer(r->data, r->len);
	*whole = *picture = 0;
	CHECK(want != NULL && got != NULL);
	if (want != NULL && got != NULL) {
		VipsImage *im = vips_image_new_from_file(path, NULL), *up;
		vips_autorot(im, &up, NULL);
		appview_psnr(want, got, up->Xsize, up->Ysize, whole, picture);
		g_object_unref(up);
		g_object_unref(im);
	}
	if (want != NULL) {
		g_object_unref(want);
	}
	if (got != NULL) {
		g_object_unref(got);
	}
}

static void
test_photo(void)
{
	const char *path = save_photo("photo12.jpg");
	struct stat st;
	stat(path, &st);
	struct prepare_result *r = prep_ok(path, &defaults);
	if (r == NULL) {
		return;
	}
	CHECK_INT(r->orig_width, 4000);
	CHECK_INT(r->orig_height, 3000);
	CHECK_INT(r->width, 448); /* the app's square, at the model's side */
	CHECK_INT(r->height, 448);
	CHECK_INT(r->orig_bytes, st.st_size);
	double ratio = 100.0 * r->len / r->orig_bytes, whole, picture;
	CHECK(ratio <= 5.0);
	upload_psnr(path, r, &whole, &picture);
	CHECK(whole >= 40.0);
	int step = r->jpeg_step;
	prepare_result_destroy(r);
	/* Timing is a figure, not a test (DESIGN.md §8): best of 5, wall clock
	 * and CPU (all threads: the CPU time holds on a busy machine). */
	double best = 1e9, best_cpu = 1e9;
	for (int i = 0; i < 5; i++) {
		double t = now_ms(), c = cpu_ms();
		r = prepare_file(path, &defaults, NULL);
		t = now_ms() - t;
		c = cpu_ms() - c;
		best = t < best ? t : best;
		best_cpu = c < best_cpu ? c : best_cpu;
		prepare_result_destroy(r);
	}
	printf("12 MP JPEG: %lld -> %zu bytes (%.2f %%, step %d), model input %.1f dB PSNR "
	    "(picture %.1f dB), best %.1f ms (CPU %.1f ms)\n", (long long)st.st_size,
	    (size_t)(ratio * st.st_size / 100), ratio, step, whole, picture, best, best_cpu);
}

/* Prepare path with JPEG step (0: chosen) and measure the model's input. */
static void
faithful(const char *path, int step, const char *what, double min_db)
{
	struct prepare_opts opts = defaults;
	opts.jpeg_step = step;
	struct prepare_result *r = prep_ok(path, &opts);
	double whole = 0, picture = 0;
	if (r != NULL) {
		CHECK_INT(r->width, 448);
		CHECK_INT(r->height, 448);
		upload_psnr(path, r, &whole, &picture);
	}
	CHECK(whole >= min_db && picture >= min_db);
	printf("%s, step %d: %.1f dB (picture %.1f dB), %zu bytes\n", what,
	    r != NULL ? r->jpeg_step : 0, whole, picture, r != NULL ? r->len : 0);
	prepare_result_destroy(r);
}

/*
 * The model sees what the original would have shown it, for every EXIF
 * orientation, sides that are no multiple of the shrink-on-load factor, a
 * portrait PNG with alpha (box-shrunk, not shrunk on load).  At step 1 what
 * is left is the square's own difference to the app's resize: ≥ 47 dB (a
 * square off by a fraction of a pixel falls to ~31 dB on such a picture).
 * At the chosen quality the model's input stays ≥ 40 dB from the original's
 * over the whole input (the padding is white in both), ≥ 38.5 dB over the
 * picture alone.
 */
static void
test_faithful(void)
{
	VipsImage *photo = make_photo(3001, 2003);
	char name[32], what[64];
	for (int o = 1; o <= 8; o++) {
		snprintf(name, sizeof name, "turned%d.jpg", o);
		VipsImage *c;
		vips_copy(photo, &c, NULL);
		vips_image_set_int(c, VIPS_META_ORIENTATION, o);
		CHECK(vips_jpegsave(c, tmppath(name), "Q", 92, NULL) == 0);
		g_object_unref(c);
		snprintf(what, sizeof what, "orientation %d, 3001×2003", o);
		faithful(tmppath(name), 1, what, 47.0);
	}
	VipsImage *grey;
	vips_extract_band(photo, &grey, 1, NULL);
	grey->Type = VIPS_INTERPRETATION_B_W;
	CHECK(vips_jpegsave(grey, tmppath("grey.jpg"), "Q", 92, NULL) == 0);
	g_object_unref(grey);
	faithful(tmppath("grey.jpg"), 1, "grey, 3001×2003", 47.0);
	faithful(tmppath("turned1.jpg"), 0, "orientation 1, 3001×2003", 38.5);
	faithful(tmppath("turned6.jpg"), 0, "orientation 6, 3001×2003", 38.5);
	VipsImage *alpha, *rgba;
	vips_black(&alpha, 3001, 2003, NULL);
	vips_linear1(alpha, &rgba, 0, 200, NULL);
	g_object_unref(alpha);
	VipsImage *bands[2] = {photo, rgba}, *png, *rot;
	vips_bandjoin(bands, &png, 2, NULL);
	png->Type = VIPS_INTERPRETATION_sRGB;
	vips_rot90(png, &rot, NULL);
	CHECK(vips_pngsave(rot, tmppath("tall.png"), "compression", 1, NULL) == 0);
	faithful(tmppath("tall.png"), 1, "PNG with alpha, 2003×3001", 47.0);
	faithful(tmppath("tall.png"), 0, "PNG with alpha, 2003×3001", 38.5);
	g_object_unref(rot);
	g_object_unref(png);
	g_object_unref(rgba);
	g_object_unref(photo);
}

static const char *
save_small_jpeg(const char *name, int w, int h, int orientation)
{
	unsigned char *px = malloc((size_t)w * h * 3);
	for (int i = 0; i < w * h * 3; i++) {
		px[i] = (unsigned char)(i * 7 + i / 31);
	}
	VipsImage *im = vips_image_new_from_memory_copy(px, (size_t)w * h * 3, w, h, 3,
	    VIPS_FORMAT_UCHAR);
	free(px);
	im->Type = VIPS_INTERPRETATION_sRGB;
	if (orientation != 0) {
		vips_image_set_int(im, VIPS_META_ORIENTATION, orientation);
	}
	const char *path = tmppath(name);
	CHECK(vips_jpegsave(im, path, "Q", 90, NULL) == 0);
	g_object_unref(im);
	return path;
}

static void
test_orientation(void)
{
	/* EXIF 6: stored 2000×1000, seen upright as 1000×2000: a square with
	 * white left and right of the picture. */
	struct prepare_result *r = prep_ok(save_small_jpeg("rot6.jpg", 2000, 1000, 6), &defaults);
	if (r != NULL) {
		CHECK_INT(r->width, 448);
		CHECK_INT(r->height, 448);
		VipsImage *im = decode(r);
		double v[4];
		int n;
		pixel(im, 5, 224, v, &n);
		CHECK(v[0] > 250 && v[1] > 250 && v[2] > 250);
		pixel(im, 442, 224, v, &n);
		CHECK(v[0] > 250 && v[1] > 250 && v[2] > 250);
		g_object_unref(im);
		prepare_result_destroy(r);
	}
	r = prep_ok(save_small_jpeg("rot8-small.jpg", 200, 100, 8), &defaults);
	if (r != NULL) {
		CHECK_INT(r->width, 100);
		CHECK_INT(r->height, 200);
		prepare_result_destroy(r);
	}
	/* The metadata is stripped: the Space must not turn it again. */
	r = prep_ok(tmppath("rot6.jpg"), &defaults);
	if (r != NULL) {
		VipsImage *im = decode(r);
		CHECK(!vips_image_get_typeof(im, VIPS_META_ORIENTATION) ||
		    vips_image_get_orientation(im) == 1);
		g_object_unref(im);
		prepare_result_destroy(r);
	}
}

static void
test_original(void)
{
	unsigned char px[16 * 16 * 3] = {1, 2, 3};
	const char *path = save_raw("as-is.png", px, 16, 16, 3, NULL);
	struct prepare_opts opts = {0, 100000000};
	struct prepare_result *r = prep_ok(path, &opts);
	if (r == NULL) {
		return;
	}
	gchar *bytes;
	gsize len;
	g_file_get_contents(path, &bytes, &len, NULL);
	CHECK_INT(r->len, len);
	CHECK(memcmp(r->data, bytes, len) == 0);
	CHECK_STR(r->mime, "image/png");
	CHECK_STR(r->filename, "image.png");
	CHECK_INT(r->orig_bytes, len);
	g_free(bytes);
	prepare_result_destroy(r);
	/* A name libvips would read options from. */
	path = save_raw("scan[2].png", px, 16, 16, 3, NULL);
	r = prep_ok(path, &defaults);
	prepare_result_destroy(r);
}

/* A JPEG whose header claims 50000×50000 (SOF0 patched): refused from the
 * header, no pixel decoded. */
static void
test_bomb(void)
{
	const char *path = save_small_jpeg("bomb.jpg", 16, 16, 0);
	gchar *bytes;
	gsize len;
	g_file_get_contents(path, &bytes, &len, NULL);
	for (gsize i = 0; i + 9 < len; i++) {
		unsigned char *b = (unsigned char *)bytes + i;
		if (b[0] == 0xff && (b[1] == 0xc0 || b[1] == 0xc2)) {
			b[5] = 0xc3, b[6] = 0x50; /* height 50000 */
			b[7] = 0xc3, b[8] = 0x50; /* width 50000 */
			break;
		}
	}
	g_file_set_contents(path, bytes, (gssize)len, NULL);
	g_free(bytes);
	double t = now_ms();
	prep_bad(path, "image too large (50000×50000 = 2500.0 MP, limit 100.0 MP)");
	CHECK(now_ms() - t < 1000);
}

static void
test_bad(void)
{
	const char *text = tmppath("notes.jpg");
	g_file_set_contents(text, "shopping list\nmilk\n", -1, NULL);
	prep_bad(text, "not an image (text file)");
	const char *bin = tmppath("random.bin");
	g_file_set_contents(bin, "\x01\x02\x03\x00\xff\xfe\x80 binary", 15, NULL);
	prep_bad(bin, "not an image (unknown format)");
	const char *empty = tmppath("empty.png");
	g_file_set_contents(empty, "", 0, NULL);
	prep_bad(empty, "not an image (empty file)");
	prep_bad(tmppath("missing.jpg"), "cannot read: No such file");
	prep_bad(tmpdir(), "not a regular file");
	/* Truncated: the first 40 % of a JPEG. */
	const char *whole = save_small_jpeg("whole.jpg", 800, 600, 0);
	gchar *bytes;
	gsize len;
	g_file_get_contents(whole, &bytes, &len, NULL);
	const char *cut = tmppath("truncated.jpg");
	g_file_set_contents(cut, bytes, (gssize)(len * 2 / 5), NULL);
	g_free(bytes);
	prep_bad(cut, "truncated or damaged");
	const char *svg = tmppath("drawing.svg");
	g_file_set_contents(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
	    "height=\"10\"/>", -1, NULL);
	prep_bad(svg, "not");
}

/* An SVG or a PDF named .png: the scanner refuses them, and so does
 * prepare, in one line naming the file and the loader. */
static void
test_refused(void)
{
	files_svg(tmppath("drawing.png"));
	files_pdf(tmppath("paper.png"));
	struct probe_result pr;
	probe_file(tmppath("drawing.png"), 0, &pr);
	CHECK(!pr.ok);
	probe_result_fini(&pr);
	probe_file(tmppath("paper.png"), 0, &pr);
	CHECK(!pr.ok);
	probe_result_fini(&pr);
	prep_bad(tmppath("drawing.png"), "not an image tagcon tags (svgload)");
	prep_bad(tmppath("paper.png"), "not an image tagcon tags (pdfload)");
}

/* prepare_fd on a file opened now, the path then renamed over by other. */
static struct prepare_result *
prepare_swapped(const char *path, const char *other, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(rename(other, path) == 0);
	struct prepare_result *r = prepare_fd(fd, path, &defaults, cause);
	close(fd);
	return r;
}

/* A BMP: ImageMagick's loader has no source form and reads
 * /proc/self/fd/N, which is the file opened, not whatever the path holds
 * by then. */
static void
swapped_bmp(void)
{
	VipsImage *im;
	vips_black(&im, 300, 200, "bands", 3, NULL);
	const char *path = tmppath("[1].bmp");
	int saved = vips_magicksave(im, path, NULL);
	g_object_unref(im);
	if (saved != 0) {
		vips_error_clear();
		printf("no ImageMagick saver: BMP not checked\n");
		return;
	}
	struct prepare_result *r = prep_ok(path, &defaults);
	CHECK(r != NULL && r->orig_width == 300 && r->orig_height == 200);
	prepare_result_destroy(r);
	files_svg(tmppath("swap.svg"));
	char *cause = NULL;
	r = prepare_swapped(path, tmppath("swap.svg"), &cause);
	CHECK(r != NULL && r->orig_width == 300 && r->width == 300);
	if (r == NULL) {
		fprintf(stderr, "    %s\n", cause);
	}
	free(cause);
	prepare_result_destroy(r);
}

/*
 * A file replaced between the scan and the upload is decoded only if what
 * is there now passes: the scan saw a JPEG, prepare finds an SVG and
 * refuses it, or a JPEG over the pixel limit, or another JPEG and prepares
 * that.  Inside prepare the file checked is the file decoded: with the
 * descriptor open, a file renamed over the path changes nothing, either way.
 */
static void
test_swapped(void)
{
	const char *path = save_small_jpeg("swap.jpg", 600, 400, 0);
	struct probe_result pr;
	probe_file(path, defaults.pixel_limit, &pr);
	CHECK(pr.ok);
	probe_result_fini(&pr);
	files_svg(tmppath("swap.svg"));
	CHECK(rename(tmppath("swap.svg"), path) == 0);
	prep_bad(path, "not an image tagcon tags (svgload)");
	CHECK(rename(save_small_jpeg("big.jpg", 1000, 1000, 0), path) == 0);
	struct prepare_opts small = {768, 500000, 0};
	char *cause = NULL;
	CHECK(prepare_file(path, &small, &cause) == NULL && strstr(cause, "image too large"));
	free(cause);
	CHECK(rename(save_small_jpeg("other.jpg", 300, 200, 0), path) == 0);
	struct prepare_result *r = prep_ok(path, &defaults);
	CHECK(r != NULL && r->orig_width == 300 && r->orig_height == 200);
	prepare_result_destroy(r);

	files_svg(tmppath("swap.svg"));
	cause = NULL;
	r = prepare_swapped(path, tmppath("swap.svg"), &cause);
	CHECK(r != NULL && r->orig_width == 300 && r->width == 300 && r->height == 200);
	prepare_result_destroy(r);
	free(cause);
	cause = NULL;
	r = prepare_swapped(path, save_small_jpeg("good.jpg", 300, 200, 0), &cause);
	CHECK(r == NULL && cause != NULL && strstr(cause, "(svgload)") != NULL);
	CHECK(cause != NULL && strchr(cause, '\n') == NULL);
	free(cause);
	swapped_bmp();
}

static void *
worker(void *arg)
{
	int *failures = arg;
	for (int i = 0; i < 6; i++) {
		const char *name = (i % 3 == 0) ? "rgba.png" : (i % 3 == 1) ? "rot6.jpg" : "whole.jpg";
		char *cause = NULL;
		struct prepare_result *r = prepare_file(tmppath(name), &defaults, &cause);
		*failures += r == NULL;
		free(cause);
		prepare_result_destroy(r);
	}
	return NULL;
}

/* Several threads at once, as the batch's workers do. */
static void
test_threads(void)
{
	pthread_t th[4];
	int failures[4] = {0};
	for (int i = 0; i < 4; i++) {
		pthread_create(&th[i], NULL, worker, &failures[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(failures[i], 0);
	}
}

int
main(void)
{
	char *cause = NULL;
	if (!loader_init(&cause)) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	test_alpha();
	test_deep();
	test_orientation();
	test_original();
	test_bomb();
	test_bad();
	test_refused();
	test_swapped();
	test_threads();
	test_faithful();
	test_photo();
	prepare_result_destroy(NULL);
	return check_done();
}
