/* test-probe.c — formats by content, header dimensions, every bad input. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/image/loader.h"
#include "core/image/probe.h"
#include "tests/unit/check.h"
#include "tests/unit/images.h"
#include "tests/unit/tmpdir.h"

static void
probe_ok(const char *name, const char *format, int w, int h, enum db_orientation o)
{
	struct probe_result r;
	probe_file(tmppath(name), 100000000, &r);
	CHECK(r.ok);
	if (!r.ok) {
		fprintf(stderr, "    %s: %s\n", name, r.error);
	}
	CHECK_STR(r.format, format);
	CHECK_INT(r.width, w);
	CHECK_INT(r.height, h);
	CHECK_INT(r.orientation, o);
	CHECK(r.has_hash);
	probe_result_fini(&r);
}

static void
probe_bad(const char *name, const char *why, bool not_image)
{
	struct probe_result r;
	probe_file(tmppath(name), 100000000, &r);
	CHECK(!r.ok);
	CHECK(r.error != NULL && strstr(r.error, why) != NULL);
	if (r.error != NULL && strstr(r.error, why) == NULL) {
		fprintf(stderr, "    %s: got '%s', want '%s'\n", name, r.error, why);
	}
	CHECK(r.error == NULL || strchr(r.error, '\n') == NULL);
	CHECK_INT(r.not_image, not_image);
	probe_result_fini(&r);
}

static void
test_formats(void)
{
	CHECK(image_write(tmppath("land.png"), 64, 32, 3, 1) == 0);
	CHECK(image_write(tmppath("port.jpg"), 30, 50, 3, 2) == 0);
	CHECK(image_write(tmppath("sq.webp"), 40, 40, 3, 3) == 0);
	CHECK(image_write(tmppath("a.gif"), 20, 10, 3, 4) == 0);
	CHECK(image_write(tmppath("a.tif"), 10, 20, 3, 5) == 0);
	CHECK(image_write(tmppath("alpha.png"), 16, 16, 4, 6) == 0);
	probe_ok("land.png", "png", 64, 32, DB_ORIENT_LANDSCAPE);
	probe_ok("port.jpg", "jpeg", 30, 50, DB_ORIENT_PORTRAIT);
	probe_ok("sq.webp", "webp", 40, 40, DB_ORIENT_SQUARE);
	probe_ok("a.gif", "gif", 20, 10, DB_ORIENT_LANDSCAPE);
	probe_ok("a.tif", "tiff", 10, 20, DB_ORIENT_PORTRAIT);
	probe_ok("alpha.png", "png", 16, 16, DB_ORIENT_SQUARE);
	/* By content, not by name. */
	CHECK(rename(tmppath("land.png"), tmppath("liar.jpg")) == 0);
	probe_ok("liar.jpg", "png", 64, 32, DB_ORIENT_LANDSCAPE);
	CHECK(rename(tmppath("port.jpg"), tmppath("noext")) == 0);
	probe_ok("noext", "jpeg", 30, 50, DB_ORIENT_PORTRAIT);
	/* Brackets are part of the name, never load options. */
	CHECK(image_write(tmppath("a.gif"), 20, 10, 3, 4) == 0);
	CHECK(rename(tmppath("a.gif"), tmppath("sq.webp[page=1]")) == 0);
	probe_ok("sq.webp[page=1]", "gif", 20, 10, DB_ORIENT_LANDSCAPE);
	CHECK(image_write(tmppath("a.gif"), 20, 10, 3, 4) == 0);
}

static void
test_hash(void)
{
	CHECK(image_write(tmppath("h1.png"), 8, 8, 3, 1) == 0);
	CHECK(image_write(tmppath("h2.png"), 8, 8, 3, 2) == 0);
	CHECK(system("cp \"$TMPDIR_T/h1.png\" \"$TMPDIR_T/h1copy.png\"") == 0);
	struct probe_result a, b, c;
	probe_file(tmppath("h1.png"), 0, &a);
	probe_file(tmppath("h1copy.png"), 0, &b);
	probe_file(tmppath("h2.png"), 0, &c);
	CHECK(memcmp(a.hash, b.hash, DB_HASH_LEN) == 0);
	CHECK(memcmp(a.hash, c.hash, DB_HASH_LEN) != 0);
	/* The hash is XXH3-128 exactly as xxhsum -H2 (Debian's xxhash) prints it. */
	char cmd[600], want[64] = "", hex[2 * DB_HASH_LEN + 1];
	snprintf(cmd, sizeof cmd, "xxhsum -H2 '%s'", tmppath("h1.png"));
	FILE *p = popen(cmd, "r");
	CHECK(p != NULL && fscanf(p, "%32s", want) == 1);
	if (p != NULL) {
		pclose(p);
	}
	probe_hash_hex(a.hash, hex);
	CHECK_STR(hex, want);
	probe_result_fini(&a);
	probe_result_fini(&b);
	probe_result_fini(&c);
}

static void
test_bad(void)
{
	file_write(tmppath("empty.png"), "", 0);
	probe_bad("empty.png", "empty file", true);
	file_write(tmppath("text.jpg"), "hello, world\n", 13);
	probe_bad("text.jpg", "not an image (text file)", true);
	file_write(tmppath("junk.jpg"), "\x01\x02\x03\x00\xff", 5);
	probe_bad("junk.jpg", "not an image (unknown format)", true);
	CHECK(image_write(tmppath("whole.jpg"), 200, 100, 3, 9) == 0);
	file_truncated_copy(tmppath("whole.jpg"), tmppath("half.jpg"), 0.6);
	probe_bad("half.jpg", "truncated jpeg", false);
	file_truncated_copy(tmppath("whole.jpg"), tmppath("stub.jpg"), 0.05);
	probe_bad("stub.jpg", "jpeg", false);
	CHECK(image_write(tmppath("whole.png"), 200, 100, 3, 9) == 0);
	file_truncated_copy(tmppath("whole.png"), tmppath("half.png"), 0.7);
	probe_bad("half.png", "truncated png", false);
	png_header_only(tmppath("bomb.png"), 50000, 50000);
	probe_bad("bomb.png", "image too large (50000×50000 = 2500.0 MP, limit 100.0 MP)", false);
	struct probe_result r;
	probe_file(tmppath("bomb.png"), 100000000, &r);
	CHECK_INT(r.width, 50000);
	CHECK_INT(r.orientation, DB_ORIENT_SQUARE);
	probe_result_fini(&r);
	CHECK(symlink("selfloop.jpg", tmppath("selfloop.jpg")) == 0);
	probe_bad("selfloop.jpg", "symlink loop", false);
	probe_bad("does-not-exist.jpg", "No such file", false);
}

static void
loader_is(const char *loader, const char *path, const char *want)
{
	char *got = probe_loader_format(loader, path);
	CHECK_STR(got, want);
	free(got);
}

/* The one allowlist the scanner, the upload and the preview share. */
static void
test_allowlist(void)
{
	loader_is("jpegload_source", "a.png", "jpeg");
	loader_is("jpegload_buffer", "a", "jpeg");
	loader_is("pngload", "a.jpg", "png");
	loader_is("heifload_source", "a.avif", "heif");
	loader_is("openexrload", "a.exr", "openexr");
	loader_is("magickload", "dir/a.bmp", "magick");
	loader_is("magickload", "dir.bmp/video.mkv", NULL);
	const char *refused[] = {"svgload_source", "pdfload_source", "fitsload_source",
	    "openslideload_source", "csvload_source", "matrixload_source", "vipsload_source",
	    "matload", "analyzeload", "rawload", "radload_source", NULL};
	for (const char **l = refused; *l != NULL; l++) {
		loader_is(*l, "a.png", NULL);
	}
}

int
main(int argc, char **argv)
{
	CHECK(loader_init(NULL));
	setenv("TMPDIR_T", tmpdir(), 1);
	test_formats();
	test_hash();
	test_bad();
	test_allowlist();
	CHECK(probe_image_name("a.JPG"));
	CHECK(!probe_image_name("notes.txt"));
	CHECK(!probe_image_name("noext"));
	return check_done();
}
