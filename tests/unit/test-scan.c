/*
 * test-scan.c — scanning a generated tree into a real database: what is
 * recorded, what a rescan reads, moves, deletions and changes.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/image/probe.h"
#include "core/image/scan.h"
#include "db/db.h"
#include "db/images.h"
#include "tests/unit/check.h"
#include "tests/unit/images.h"
#include "tests/unit/tmpdir.h"

static int warnings;

static void
on_warn(void *ud, const char *msg)
{
	warnings++;
	/* Reports arrive sanitised: one line, no escape characters. */
	CHECK(strchr(msg, '\n') == NULL && strchr(msg, '\033') == NULL);
}

static struct scan_stats
scan(struct db *db, const char *dir)
{
	struct scan_opts opts = {.pixel_limit = 100000000, .warn = on_warn};
	struct scan_stats s;
	char *cause = NULL;
	CHECK(scan_dir(db, dir, &opts, &s, &cause));
	if (cause != NULL) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
	}
	return s;
}

static struct db_image
lookup(struct db *db, const char *name)
{
	struct db_image img;
	bool found = false;
	char *real = realpath(tmpdir(), NULL);
	char *path = g_strdup_printf("%s/lib/%s", real, name);
	CHECK(db_image_by_path(db, path, &img, &found));
	CHECK(found);
	if (!found) {
		fprintf(stderr, "    not found: %s\n", path);
	}
	g_free(path);
	free(real);
	return img;
}

static void
expect_failed(struct db *db, const char *name, const char *why)
{
	struct db_image img = lookup(db, name);
	CHECK_INT(img.state, DB_STATE_FAILED);
	CHECK(img.error != NULL && strstr(img.error, why) != NULL);
	if (img.error == NULL || strstr(img.error, why) == NULL) {
		fprintf(stderr, "    %s: got '%s', want '%s'\n", name, img.error, why);
	}
	db_image_fini(&img);
}

static void
make_tree(void)
{
	CHECK(mkdir(tmppath("lib"), 0755) == 0);
	CHECK(mkdir(tmppath("lib/sub"), 0755) == 0);
	CHECK(image_write(tmppath("lib/a.png"), 64, 32, 3, 1) == 0);
	CHECK(image_write(tmppath("lib/sub/b.jpg"), 30, 60, 3, 2) == 0);
	CHECK(image_write(tmppath("lib/sub/c.webp"), 20, 20, 3, 3) == 0);
	CHECK(image_write(tmppath("lib/caf\xe9.png"), 5, 5, 3, 4) == 0);
	CHECK(image_write(tmppath("lib/esc\033[31m\nname.png"), 6, 5, 3, 5) == 0);
	file_write(tmppath("lib/empty.jpg"), "", 0);
	file_write(tmppath("lib/text.jpg"), "not really\n", 11);
	file_write(tmppath("lib/notes.txt"), "captions\n", 9);
	png_header_only(tmppath("lib/bomb.png"), 50000, 50000);
	CHECK(image_write(tmppath("lib/whole.jpg"), 100, 80, 3, 6) == 0);
	file_truncated_copy(tmppath("lib/whole.jpg"), tmppath("lib/cut.jpg"), 0.5);
	CHECK(unlink(tmppath("lib/whole.jpg")) == 0);
	CHECK(symlink("loop.jpg", tmppath("lib/loop.jpg")) == 0);
	CHECK(symlink("..", tmppath("lib/sub/up")) == 0);
	CHECK(mkdir(tmppath("lib/.hidden"), 0755) == 0);
	CHECK(image_write(tmppath("lib/.hidden/x.png"), 5, 5, 3, 7) == 0);
}

int
main(int argc, char **argv)
{
	CHECK(probe_init(argv[0], NULL));
	make_tree();
	char *cause = NULL;
	struct db *db = db_open(tmppath("lib.db"), &cause);
	CHECK(db != NULL);

	struct scan_stats s = scan(db, tmppath("lib"));
	CHECK_INT(s.added, 5);
	CHECK_INT(s.failed, 5); /* empty, text, bomb, cut, loop */
	CHECK_INT(s.ignored, 1);
	CHECK_INT(warnings, 6); /* the five, and the directory loop */
	struct db_image a = lookup(db, "a.png");
	CHECK_INT(a.state, DB_STATE_NEW);
	CHECK_INT(a.orientation, DB_ORIENT_LANDSCAPE);
	struct db_image b = lookup(db, "caf\xe9.png");
	CHECK_INT(b.orientation, DB_ORIENT_SQUARE);
	db_image_fini(&b);
	b = lookup(db, "esc\033[31m\nname.png");
	CHECK_INT(b.width, 6);
	db_image_fini(&b);
	expect_failed(db, "empty.jpg", "empty file");
	expect_failed(db, "text.jpg", "not an image (text file)");
	expect_failed(db, "bomb.png", "image too large");
	expect_failed(db, "cut.jpg", "truncated jpeg");
	expect_failed(db, "loop.jpg", "symlink loop");

	/* Unchanged rescan reads nothing. */
	s = scan(db, tmppath("lib"));
	/* notes.txt is sniffed again (a few bytes), never read whole; the
	 * bomb is looked at again (the pixel limit may have been raised). */
	CHECK_INT(s.unchanged, s.seen - 1);
	CHECK_INT(s.ignored, 1);
	struct stat bomb;
	CHECK(stat(tmppath("lib/bomb.png"), &bomb) == 0);
	CHECK_INT(s.bytes_read, bomb.st_size);
	CHECK_INT(s.added + s.changed + s.moved + s.missing, 0);

	/* A move keeps the row; a deletion becomes missing; a change is new. */
	CHECK(rename(tmppath("lib/a.png"), tmppath("lib/sub/renamed.png")) == 0);
	CHECK(unlink(tmppath("lib/sub/c.webp")) == 0);
	CHECK(image_write(tmppath("lib/sub/b.jpg"), 90, 60, 3, 8) == 0);
	s = scan(db, tmppath("lib"));
	CHECK_INT(s.moved, 1);
	CHECK_INT(s.failed, 0);
	CHECK_INT(s.missing, 1);
	CHECK_INT(s.changed, 1);
	struct db_image moved = lookup(db, "sub/renamed.png");
	CHECK_INT(moved.id, a.id);
	CHECK(memcmp(moved.hash, a.hash, DB_HASH_LEN) == 0);
	db_image_fini(&moved);
	struct db_image gone = lookup(db, "sub/c.webp");
	CHECK_INT(gone.state, DB_STATE_MISSING);
	CHECK_INT(gone.width, 20);
	db_image_fini(&gone);
	struct db_image changed = lookup(db, "sub/b.jpg");
	CHECK_INT(changed.width, 90);
	CHECK_INT(changed.orientation, DB_ORIENT_LANDSCAPE);
	CHECK_INT(changed.state, DB_STATE_NEW);
	db_image_fini(&changed);

	/* A raised pixel limit lets the bomb in at the next scan. */
	struct scan_opts big = {.pixel_limit = 3000000000ull, .warn = on_warn};
	char *why = NULL;
	CHECK(scan_dir(db, tmppath("lib"), &big, &s, &why));
	CHECK_INT(s.changed, 1);
	struct db_image bomb_img = lookup(db, "bomb.png");
	CHECK_INT(bomb_img.state, DB_STATE_NEW);
	db_image_fini(&bomb_img);

	/* Scanning a subfolder of a root adds no root and marks nothing else. */
	s = scan(db, tmppath("lib/sub"));
	CHECK_INT(s.missing, 0);
	struct db_counts c;
	CHECK(db_counts(db, "m", &c));
	CHECK_INT(c.roots, 1);

	CHECK(!scan_dir(db, tmppath("nope"), &(struct scan_opts){0}, &s, &cause));
	CHECK(cause != NULL && strstr(cause, "No such file") != NULL);
	free(cause);
	db_image_fini(&a);
	CHECK(db_integrity_ok(db));
	db_close(db);
	return check_done();
}
