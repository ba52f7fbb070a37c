/* test-preview.c — terminal previews: cells of real images; SVG, PDF and
 * swapped files refused as the scanner refuses them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/image/loader.h"
#include "core/image/preview.h"
#include "core/image/probe.h"
#include "tests/unit/check.h"
#include "tests/unit/files.h"
#include "tests/unit/images.h"
#include "tests/unit/tmpdir.h"

static const struct preview_opts opts = {
	.max_cols = 20,
	.max_rows = 10,
	.mode = PREVIEW_256,
	.pixel_limit = 100000000,
};

static struct preview *
render_ok(const char *path)
{
	char *cause = NULL;
	struct preview *p = preview_render(path, &opts, &cause);
	CHECK(p != NULL);
	if (p == NULL) {
		fprintf(stderr, "    %s\n", cause);
	}
	free(cause);
	return p;
}

/* Refused in one line that names the file and says why. */
static void
refused(const char *path, const char *want)
{
	char *cause = NULL;
	struct preview *p = preview_render(path, &opts, &cause);
	CHECK(p == NULL);
	CHECK(cause != NULL && strncmp(cause, path, strlen(path)) == 0);
	CHECK(cause != NULL && strstr(cause, want) != NULL);
	CHECK(cause != NULL && strchr(cause, '\n') == NULL);
	if (cause != NULL && strstr(cause, want) == NULL) {
		fprintf(stderr, "    \"%s\" lacks \"%s\"\n", cause, want);
	}
	free(cause);
	preview_destroy(p);
}

static void
test_renders(void)
{
	CHECK(image_write(tmppath("wide.png"), 64, 32, 3, 1) == 0);
	struct preview *p = render_ok(tmppath("wide.png"));
	if (p != NULL) {
		CHECK(p->cols >= 1 && p->cols <= 20 && p->rows >= 1 && p->rows <= 10);
		CHECK_INT(p->image_width, 64);
		CHECK_INT(p->image_height, 32);
		CHECK(p->cells[0].ch != 0);
		preview_destroy(p);
	}
	/* A name libvips would read load options from is just a name. */
	CHECK(image_write(tmppath("scan[page=1].jpg"), 40, 40, 3, 2) == 0);
	preview_destroy(render_ok(tmppath("scan[page=1].jpg")));
	/* EXIF 6: stored 200×100, upright 100×200. */
	VipsImage *im;
	CHECK(vips_black(&im, 200, 100, "bands", 3, NULL) == 0);
	vips_image_set_int(im, VIPS_META_ORIENTATION, 6);
	CHECK(vips_jpegsave(im, tmppath("turned.jpg"), NULL) == 0);
	g_object_unref(im);
	p = render_ok(tmppath("turned.jpg"));
	if (p != NULL) {
		CHECK_INT(p->image_width, 100);
		CHECK_INT(p->image_height, 200);
		preview_destroy(p);
	}
}

/* An SVG and a PDF named .png: the scanner refuses them, and so does the
 * preview, which used to render them. */
static void
test_refused(void)
{
	files_svg(tmppath("drawing.png"));
	files_pdf(tmppath("paper.png"));
	struct probe_result r;
	probe_file(tmppath("drawing.png"), 0, &r);
	CHECK(!r.ok);
	probe_result_fini(&r);
	probe_file(tmppath("paper.png"), 0, &r);
	CHECK(!r.ok);
	probe_result_fini(&r);
	refused(tmppath("drawing.png"), "not an image tagcon tags (svgload)");
	refused(tmppath("paper.png"), "not an image tagcon tags (pdfload)");
	g_file_set_contents(tmppath("notes.png"), "just text\n", -1, NULL);
	refused(tmppath("notes.png"), "not an image (text file)");
	refused(tmppath("missing.png"), "cannot read: No such file");
	refused(tmpdir(), "not a regular file");
	png_header_only(tmppath("bomb.png"), 50000, 50000);
	refused(tmppath("bomb.png"), "over the pixel limit");
}

/* Scanned as a PNG, replaced by an SVG before the preview: refused; a PNG
 * put back: drawn. */
static void
test_swapped(void)
{
	const char *path = tmppath("swap.png");
	CHECK(image_write(path, 30, 20, 3, 3) == 0);
	struct probe_result r;
	probe_file(path, 0, &r);
	CHECK(r.ok);
	probe_result_fini(&r);
	files_svg(tmppath("swap.svg"));
	CHECK(rename(tmppath("swap.svg"), path) == 0);
	refused(path, "not an image tagcon tags (svgload)");
	CHECK(image_write(tmppath("back.png"), 30, 20, 3, 3) == 0);
	CHECK(rename(tmppath("back.png"), path) == 0);
	preview_destroy(render_ok(path));
}

int
main(int argc, char **argv)
{
	char *cause = NULL;
	if (!loader_init(&cause)) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	test_renders();
	test_refused();
	test_swapped();
	return check_done();
}
