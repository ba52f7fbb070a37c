/*
 * bench-prepare.c — what an upload costs and what the model sees of it.
 *
 * For each photo: the bytes prepare_file() sends against the file's size,
 * the PSNR between the 448×448 input the wd-tagger app would build from the
 * upload and from the original (tests/unit/appview.h), over the whole input
 * and over the picture alone, and the time to prepare it (best of 3).  The
 * same for the previous method (longest side 768, JPEG Q 90 4:2:0, the
 * app's own resize), to compare.  Prints; asserts nothing.  The JPEG step
 * printed is the one prepare chose (TARGET_DB in prepare.c).
 *
 *   taskset -c 0 env VIPS_CONCURRENCY=1 build/tests/bench/bench-prepare [PHOTO...]
 *
 * Without arguments it measures the real photographs Debian ships in
 * lomiri-wallpapers-20.04 and lomiri-wallpapers-16.04 (apt-get install
 * them): four of 12-20 MP first, then four of 6-11 MP.  TAGCON_BENCH_STEP=N
 * encodes with quantisation step N instead.  TAGCON_BENCH_OUT=DIR writes each
 * upload there (NAME.upload.jpg, for tests/bench/psnr_pil.py to check the
 * PSNR with PIL itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <vips/vips.h>

#include "core/image/loader.h"
#include "core/image/prepare.h"
#include "tests/unit/appview.h"

static const char *const debian_photos[] = {
	"/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg",
	"/usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg",
	"/usr/share/backgrounds/Dragonfly_by_Bolly.jpg",
	"/usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg",
	"/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg",
	"/usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg",
	"/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg",
	"/usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg",
	NULL,
};

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The previous method: shrink to 768 on the longest side, Q 90 4:2:0. */
static void *
before(const char *path, size_t *len, double *ms)
{
	double t = now_ms();
	VipsImage *im = NULL;
	void *buf = NULL;
	if (vips_thumbnail(path, &im, 768, "height", 768, "size", VIPS_SIZE_DOWN, NULL) != 0 ||
	    vips_jpegsave_buffer(im, &buf, len, "Q", 90, "optimize_coding", TRUE, "strip", TRUE,
	    "subsample_mode", VIPS_FOREIGN_SUBSAMPLE_ON, NULL) != 0) {
		buf = NULL;
	}
	*ms = now_ms() - t;
	if (im != NULL) {
		g_object_unref(im);
	}
	return buf;
}

static void
row(const char *what, const char *how, VipsImage *want, const void *data, size_t len,
    double size, int w, int h, double ms)
{
	double whole = 0, picture = 0;
	VipsImage *got = appview_of_buffer(data, len);
	if (got != NULL) {
		appview_psnr(want, got, w, h, &whole, &picture);
		g_object_unref(got);
	}
	printf("  %-6s %-8s %7zu B %5.2f %%  %5.1f dB (picture %5.1f dB)  %5.1f ms\n", what, how,
	    len, 100.0 * len / size, whole, picture, ms);
}

static void
measure(const char *path, const struct prepare_opts *opts)
{
	struct stat st;
	VipsImage *im = stat(path, &st) == 0 ? vips_image_new_from_file(path, NULL) : NULL;
	VipsImage *up = NULL, *want = NULL;
	if (im == NULL || vips_autorot(im, &up, NULL) != 0 || (want = appview_input(im)) == NULL) {
		printf("%s: skipped (%s)\n", path,
		    im == NULL ? "cannot read" : vips_error_buffer());
		vips_error_clear();
		goto out;
	}
	printf("%s: %d×%d, %.1f MP, %lld bytes\n", path, up->Xsize, up->Ysize,
	    up->Xsize * (double)up->Ysize / 1e6, (long long)st.st_size);
	double best = 1e9, ms;
	struct prepare_result *r = NULL;
	for (int i = 0; i < 3; i++) {
		char *cause = NULL;
		prepare_result_destroy(r);
		double t = now_ms();
		r = prepare_file(path, opts, &cause);
		best = now_ms() - t < best ? now_ms() - t : best;
		if (r == NULL) {
			printf("  failed: %s\n", cause);
			free(cause);
			goto out;
		}
	}
	const char *dir = getenv("TAGCON_BENCH_OUT");
	if (dir != NULL) {
		const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
		char *out = g_strdup_printf("%s/%s.upload.jpg", dir, base);
		if (!g_file_set_contents(out, (const char *)r->data, (gssize)r->len, NULL)) {
			printf("  cannot write %s\n", out);
		}
		g_free(out);
	}
	char how[16];
	snprintf(how, sizeof how, "step %d", r->jpeg_step);
	row("now", how, want, r->data, r->len, st.st_size, up->Xsize, up->Ysize, best);
	prepare_result_destroy(r);
	size_t len;
	void *old = before(path, &len, &ms);
	if (old != NULL) {
		row("before", "Q 90", want, old, len, st.st_size, up->Xsize, up->Ysize, ms);
		g_free(old);
	}
out:
	if (want != NULL) {
		g_object_unref(want);
	}
	if (up != NULL) {
		g_object_unref(up);
	}
	if (im != NULL) {
		g_object_unref(im);
	}
}

int
main(int argc, char **argv)
{
	char *cause = NULL;
	if (!loader_init(&cause)) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	vips_cache_set_max(0);
	struct prepare_opts opts = {768, 100000000, 0};
	if (getenv("TAGCON_BENCH_STEP") != NULL) {
		opts.jpeg_step = atoi(getenv("TAGCON_BENCH_STEP"));
	}
	printf("upload_max_side %u, JPEG step %s; PSNR of the model's input from the upload "
	    "against the original's\n", opts.upload_max_side,
	    opts.jpeg_step > 0 ? getenv("TAGCON_BENCH_STEP") : "chosen per image");
	int n = 0;
	for (int i = 1; i < argc; i++, n++) {
		measure(argv[i], &opts);
	}
	for (int i = 0; argc == 1 && debian_photos[i] != NULL; i++) {
		struct stat st;
		if (stat(debian_photos[i], &st) == 0) {
			measure(debian_photos[i], &opts);
			n++;
		}
	}
	if (n == 0) {
		printf("no photo: apt-get install lomiri-wallpapers-20.04 lomiri-wallpapers-16.04, "
		    "or name some\n");
	}
	return 0;
}
