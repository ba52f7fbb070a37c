/*
 * test-scan.c — scanning a generated tree into a real database: what is
 * recorded, what a rescan reads, moves, deletions and changes; and what
 * happens when another process writes between a file's read and its write.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "core/image/loader.h"
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

/*
 * Races: a second connection (another process: a scan, the watcher, a
 * runner) acts in the moment between a file's read and its write, through
 * the after_read hook.  At every read it also takes the write lock, which
 * it gets at once only if the scan holds no transaction while reading.
 */
struct race {
	struct db *db;    /* the scanning connection */
	struct db *other; /* the other process */
	const char *name; /* the file whose read sets off act */
	void (*act)(struct race *r, const char *path);
	bool fired;
	double lock_wait; /* longest wait of the other connection for the lock */
};

static void
after_read(void *ud, const char *path)
{
	struct race *r = ud;
	double t0 = clock_s();
	CHECK(db_begin(r->other) && db_commit(r->other));
	double waited = clock_s() - t0;
	r->lock_wait = waited > r->lock_wait ? waited : r->lock_wait;
	const char *base = strrchr(path, '/') + 1;
	if (r->act != NULL && !r->fired && strcmp(base, r->name) == 0) {
		r->fired = true;
		r->act(r, path);
	}
}

static struct scan_stats
race_scan(struct race *r, const char *name, void (*act)(struct race *, const char *))
{
	r->name = name;
	r->act = act;
	r->fired = false;
	struct scan_opts opts = {.pixel_limit = 100000000, .warn = on_warn,
		.after_read = after_read, .ud = r};
	struct scan_stats s;
	char *cause = NULL;
	CHECK(scan_dir(r->db, tmppath("race"), &opts, &s, &cause));
	if (cause != NULL) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
	}
	CHECK(r->fired);
	return s;
}

static char *
race_path(const char *name)
{
	char *real = realpath(tmpdir(), NULL);
	char *path = g_strdup_printf("%s/race/%s", real, name);
	free(real);
	return path;
}

static struct db_image
race_row(struct db *db, const char *name, bool *found)
{
	struct db_image img;
	char *path = race_path(name);
	CHECK(db_image_by_path(db, path, &img, found));
	g_free(path);
	return img;
}

/* The other process indexes the file just read (and a runner tags it). */
static void
other_indexes(struct race *r, const char *path)
{
	struct scan_opts plain = {.pixel_limit = 100000000};
	int64_t id;
	bool pending;
	char *cause = NULL;
	CHECK(scan_file(r->other, path, &plain, &id, &pending, &cause));
	CHECK(id != 0 && db_image_set_state(r->other, id, DB_STATE_TAGGED, NULL));
	free(cause);
}

/* The other process scans the whole folder (a move it sees first). */
static void
other_scans(struct race *r, const char *path)
{
	struct scan_opts plain = {.pixel_limit = 100000000};
	struct scan_stats s;
	char *cause = NULL;
	CHECK(scan_dir(r->other, tmppath("race"), &plain, &s, &cause));
	free(cause);
}

static void
file_leaves(struct race *r, const char *path)
{
	CHECK(rename(path, tmppath("c-elsewhere.png")) == 0);
}

static void
file_comes_back(struct race *r, const char *path)
{
	CHECK(rename(tmppath("b-away.png"), tmppath("race/b.png")) == 0);
}

static void
file_deleted(struct race *r, const char *path)
{
	CHECK(unlink(path) == 0);
}

static int
rows_at(struct db *db, const char *name)
{
	bool found;
	struct db_image img = race_row(db, name, &found);
	db_image_fini(&img);
	return found;
}

static void
races_in_scan(struct race *r)
{
	CHECK(mkdir(tmppath("race"), 0755) == 0);
	CHECK(image_write(tmppath("race/a.png"), 40, 30, 3, 11) == 0);
	CHECK(image_write(tmppath("race/b.png"), 30, 40, 3, 12) == 0);

	/* The same new file recorded by another process, and tagged: the
	 * scan finds it done and leaves it be (no second row, no failure). */
	struct scan_stats s = race_scan(r, "a.png", other_indexes);
	CHECK_INT(s.added, 1);
	CHECK_INT(s.unchanged, 1);
	bool found;
	struct db_image a = race_row(r->db, "a.png", &found);
	CHECK(found && a.state == DB_STATE_TAGGED);

	/* A changed file recorded (and tagged) by another process first. */
	CHECK(image_write(tmppath("race/b.png"), 50, 40, 3, 13) == 0);
	s = race_scan(r, "b.png", other_indexes);
	CHECK_INT(s.changed, 0);
	struct db_image b = race_row(r->db, "b.png", &found);
	CHECK(found && b.state == DB_STATE_TAGGED && b.width == 50);
	db_image_fini(&b);

	/* A new file moved away between its read and its write: not recorded. */
	CHECK(image_write(tmppath("race/c.png"), 20, 20, 3, 14) == 0);
	s = race_scan(r, "c.png", file_leaves);
	CHECK_INT(s.added, 0);
	CHECK_INT(rows_at(r->db, "c.png"), 0);

	/* A move the other process recorded first: the row keeps its id. */
	CHECK(rename(tmppath("race/a.png"), tmppath("race/a2.png")) == 0);
	s = race_scan(r, "a2.png", other_scans);
	CHECK_INT(s.moved + s.missing + s.added, 0);
	struct db_image a2 = race_row(r->db, "a2.png", &found);
	CHECK(found && a2.id == a.id && a2.state == DB_STATE_TAGGED);
	CHECK_INT(rows_at(r->db, "a.png"), 0);
	db_image_fini(&a2);
	db_image_fini(&a);

	/* A file not found by the walk but back before the write: not missing. */
	CHECK(rename(tmppath("race/b.png"), tmppath("b-away.png")) == 0);
	CHECK(image_write(tmppath("race/d.png"), 21, 20, 3, 15) == 0);
	s = race_scan(r, "d.png", file_comes_back);
	CHECK_INT(s.missing, 0);
	b = race_row(r->db, "b.png", &found);
	CHECK(found && b.state == DB_STATE_TAGGED);
	db_image_fini(&b);
}

static void
races_in_scan_file(struct race *r)
{
	struct scan_opts opts = {.pixel_limit = 100000000, .warn = on_warn,
		.after_read = after_read, .ud = r};
	int64_t id;
	bool pending;
	char *cause = NULL;
	/* tagcon watch or tag index a file another process records meanwhile. */
	CHECK(image_write(tmppath("race/e.png"), 22, 20, 3, 16) == 0);
	char *path = race_path("e.png");
	r->name = "e.png";
	r->act = other_indexes;
	r->fired = false;
	CHECK(scan_file(r->db, path, &opts, &id, &pending, &cause));
	bool found;
	struct db_image e = race_row(r->db, "e.png", &found);
	CHECK(found && e.id == id && e.state == DB_STATE_TAGGED && !pending);
	db_image_fini(&e);
	g_free(path);

	/* A file deleted between its read and its write: said, not recorded. */
	CHECK(image_write(tmppath("race/f.png"), 23, 20, 3, 17) == 0);
	path = race_path("f.png");
	r->name = "f.png";
	r->act = file_deleted;
	r->fired = false;
	CHECK(!scan_file(r->db, path, &opts, &id, &pending, &cause));
	CHECK(cause != NULL && strstr(cause, "moved or deleted") != NULL);
	CHECK_INT(rows_at(r->db, "f.png"), 0);
	free(cause);
	g_free(path);
}

static void
races(void)
{
	char *cause = NULL;
	struct race r = {
		.db = db_open(tmppath("race.db"), &cause),
		.other = db_open(tmppath("race.db"), &cause),
	};
	CHECK(r.db != NULL && r.other != NULL);
	races_in_scan(&r);
	races_in_scan_file(&r);
	/* Had a read run inside a transaction, the other connection would
	 * have waited out its busy timeout (seconds) and failed. */
	CHECK(r.lock_wait < 0.5);
	CHECK(db_integrity_ok(r.db));
	db_close(r.other);
	db_close(r.db);
}

int
main(int argc, char **argv)
{
	CHECK(loader_init(NULL));
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
	races();
	return check_done();
}
