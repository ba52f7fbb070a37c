/*
 * test-review-core.c — what the console's screens stand on, without a
 * terminal: core/review.h (marks, undo, commit in one transaction, rejected
 * tags never suggested again), db/review.h (retry) and db/browse.h (pages,
 * filters, counts, the next pending image, tag completion, the library-wide
 * band and histogram), on real database files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/query.h"
#include "core/tag/review.h"
#include "core/tag/rules.h"
#include "core/tag/suggest.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/images.h"
#include "db/predictions.h"
#include "db/review.h"
#include "common/xalloc.h"
#include "tests/unit/check.h"
#include "tests/unit/tmpdir.h"

#define MODEL "SmilingWolf/wd-swinv2-tagger-v3"

static int64_t
add_image(struct db *db, const char *path, uint8_t hash, enum db_state state)
{
	int64_t root, folder;
	CHECK(db_root_add(db, "/lib", &root));
	char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	CHECK(db_folder_get(db, root, dir, &folder));
	free(dir);
	struct db_image img = {
		.folder_id = folder, .path = (char *)path, .size = hash * 100, .has_hash = true,
		.width = 30, .height = 20, .orientation = DB_ORIENT_LANDSCAPE, .state = state,
		.error = state == DB_STATE_FAILED ? "not an image" : NULL,
	};
	memset(img.hash, hash, DB_HASH_LEN);
	CHECK(db_image_insert(db, &img));
	return img.id;
}

static void
answer(struct db *db, int64_t id, const struct db_pred *p, size_t n)
{
	const float rating[4] = {0.9f, 0.05f, 0.03f, 0.02f};
	CHECK(db_store_answer(db, id, MODEL, rating, 0.05f, "https://x.hf.space", p, n));
}

static const struct db_pred preds[] = {
	{"hatsune_miku", DB_CAT_CHARACTER, 0.95f},
	{"long_hair", DB_CAT_GENERAL, 0.92f},
	{"smile", DB_CAT_GENERAL, 0.71f},
	{"hat", DB_CAT_GENERAL, 0.40f},
	{"outdoors", DB_CAT_GENERAL, 0.20f},
};

/* The library's rules with a general threshold of general. */
static struct rules *
rules_at(struct db *db, double general)
{
	struct rules *now = rules_load(db, NULL);
	CHECK(now != NULL);
	struct rules *r = rules_dup_with_cut(now, (struct db_cut){.general_threshold = general,
		.character_threshold = 0.85});
	rules_destroy(now);
	return r;
}

static struct review *
open_review(struct db *db, int64_t id, double general)
{
	char *cause = NULL;
	struct review_opts o = {.mode = REVIEW_MODE_REQUIRED};
	struct rules *rules = rules_at(db, general);
	struct review *r = review_create(db, id, MODEL, rules, &o, &cause);
	rules_destroy(rules);
	CHECK(r != NULL);
	if (r == NULL) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	return r;
}

static const struct review_tag *
tag(const struct review *r, const char *name)
{
	int i = review_find(r, name);
	return i >= 0 ? review_tag(r, (size_t)i) : NULL;
}

static void
test_marks(struct db *db, int64_t id)
{
	struct review *r = open_review(db, id, 0.35);
	CHECK_INT(review_count(r), 5);
	CHECK_STR(review_tag(r, 0)->tag, "hatsune_miku"); /* characters first */
	CHECK_STR(review_tag(r, 1)->tag, "long_hair");
	CHECK(tag(r, "hat")->suggested);
	CHECK(tag(r, "outdoors")->near_miss && !tag(r, "outdoors")->suggested);
	CHECK(review_accept_all(r));
	CHECK_INT(review_pending(r), 4);
	CHECK(tag(r, "outdoors")->mark == REVIEW_KEEP);
	CHECK(review_undo(r));
	CHECK_INT(review_pending(r), 0);
	CHECK(!review_undo(r));
	char *cause = NULL;
	CHECK(!review_add(r, db, "  \t ", &cause));
	free(cause);
	CHECK(review_add(r, db, " blue   sky ", &cause));
	CHECK(tag(r, "blue_sky") != NULL && tag(r, "blue_sky")->status == REVIEW_NEW);
	CHECK(review_toggle_reject(r, (size_t)review_find(r, "hat")));
	CHECK(review_undo(r));
	CHECK(tag(r, "hat")->mark == REVIEW_KEEP);
	CHECK(review_toggle_reject(r, (size_t)review_find(r, "hat")));
	CHECK(review_commit(r, db, &cause));
	/* After the commit the review shows what is stored. */
	CHECK(tag(r, "hat")->status == REVIEW_REJECTED && !tag(r, "hat")->suggested);
	CHECK(tag(r, "blue_sky")->status == REVIEW_COMMITTED);
	CHECK(tag(r, "blue_sky")->category == DB_CAT_USER);
	CHECK(tag(r, "long_hair")->suggested && tag(r, "long_hair")->status == REVIEW_PREDICTED);
	review_destroy(r);
	struct db_image img;
	bool found;
	CHECK(db_image_by_path(db, "/lib/a/one.jpg", &img, &found) && found);
	CHECK_INT(img.state, DB_STATE_COMMITTED);
	db_image_fini(&img);
}

static void
test_rejected_stays(struct db *db, int64_t id)
{
	/* At any threshold, and after a new answer, hat is not suggested again. */
	struct review *r = open_review(db, id, 0.01);
	CHECK(!tag(r, "hat")->suggested && tag(r, "outdoors")->suggested);
	review_destroy(r);
	answer(db, id, preds, 5);
	r = open_review(db, id, 0.01);
	CHECK(!tag(r, "hat")->suggested);
	/* Removing a committed tag rejects it; un-rejecting takes the row away. */
	char *cause = NULL;
	CHECK(review_remove(r, (size_t)review_find(r, "blue_sky")));
	CHECK(review_toggle_reject(r, (size_t)review_find(r, "hat")));
	CHECK(tag(r, "hat")->mark == REVIEW_FORGET);
	CHECK(review_commit(r, db, &cause));
	CHECK(tag(r, "blue_sky")->status == REVIEW_REJECTED);
	CHECK(tag(r, "hat")->status == REVIEW_PREDICTED && tag(r, "hat")->suggested);
	review_destroy(r);
}

struct diff {
	int added;
	int removed;
	bool smile_removed;
};

static void
diff_fn(void *ud, const char *t, bool added)
{
	struct diff *d = ud;
	if (added) {
		d->added++;
	} else {
		d->removed++;
		d->smile_removed |= strcmp(t, "smile") == 0;
	}
}

static void
test_diff(struct db *db, int64_t id)
{
	/* At 0.8 instead of 0.35: smile (0.71) and hat (0.40) go, nothing comes. */
	struct review *r = open_review(db, id, 0.35);
	struct rules *cand = rules_at(db, 0.8);
	struct diff d = {0};
	review_diff(r, cand, diff_fn, &d);
	rules_destroy(cand);
	CHECK_INT(d.added, 0);
	CHECK_INT(d.removed, 2);
	CHECK(d.smile_removed);
	review_destroy(r);
}

/* Matches of a Library filter: a query, a state, a folder. */
static int64_t
count(struct db *db, int state, const char *under, const char *query)
{
	struct search_node *q = NULL;
	char *cause = NULL;
	CHECK(query_parse(query != NULL ? query : "", NULL, &q, &cause, NULL));
	struct search_opts o;
	search_opts_init(&o, MODEL);
	struct db_browse_filter f = {.query = q, .opts = &o, .state = state, .under = under};
	int64_t n = -1;
	CHECK(db_browse_count(db, &f, &n));
	search_node_destroy(q);
	free(cause);
	return n;
}

static void
test_browse(struct db *db)
{
	CHECK_INT(count(db, -1, NULL, NULL), 4);
	CHECK_INT(count(db, DB_STATE_FAILED, NULL, NULL), 1);
	CHECK_INT(count(db, -1, "/lib/b", NULL), 2);
	CHECK_INT(count(db, -1, "/lib", "path:two"), 1);
	CHECK_INT(count(db, -1, "/lib", "path:.jpg"), 3);
	/* The query language, with the state and folder of the screen: three
	 * gets long_hair committed, one keeps blue_sky rejected. */
	struct db_image img;
	bool found;
	CHECK(db_image_by_path(db, "/lib/b/three.jpg", &img, &found) && found);
	struct review *r = open_review(db, img.id, 0.35);
	char *cause = NULL;
	CHECK(review_toggle_accept(r, (size_t)review_find(r, "long_hair")));
	CHECK(review_commit(r, db, &cause));
	review_destroy(r);
	db_image_fini(&img);
	CHECK_INT(count(db, -1, NULL, "long_hair"), 1);
	CHECK_INT(count(db, -1, NULL, "long_hair | blue_sky"), 1);
	CHECK_INT(count(db, -1, NULL, "-long_hair"), 3);
	CHECK_INT(count(db, -1, NULL, "suggested:blue_sky"), 0);
	CHECK_INT(count(db, -1, NULL, "suggested:hat -path:two"), 2);
	CHECK_INT(count(db, -1, NULL, "suggested:long_hair"), 2);
	CHECK_INT(count(db, -1, "/lib/a", "suggested:long_hair"), 2);
	CHECK_INT(count(db, DB_STATE_COMMITTED, NULL, "suggested:long_hair"), 1);
	CHECK_INT(count(db, -1, NULL, "rating:g orientation:landscape"), 3);
	CHECK_INT(count(db, -1, NULL, "rating:unrated"), 1);
	struct search_opts o;
	search_opts_init(&o, MODEL);
	struct db_browse_filter f = {.state = -1, .opts = &o, .sort = DB_SORT_PATH};
	struct db_browse_row *rows;
	size_t n;
	CHECK(db_browse_page(db, &f, 1, 2, -1, &rows, &n));
	CHECK_INT(n, 2);
	CHECK_STR(rows[0].path, "/lib/a/two.jpg");
	CHECK_STR(rows[1].path, "/lib/b/bad.png");
	CHECK_STR(rows[1].error, "not an image");
	db_browse_rows_free(rows, n);
	CHECK(db_browse_page(db, &f, 0, 1, -1, &rows, &n));
	CHECK_INT(rows[0].rating, RATING_G);
	CHECK_INT(rows[0].rejected, 1);
	db_browse_rows_free(rows, n);
	/* A page in the second half, read from the far end, is the same page. */
	for (int sort = 0; sort < DB_N_SORTS; sort++) {
		f.sort = (enum db_browse_sort)sort;
		for (int64_t off = 0; off < 5; off++) {
			struct db_browse_row *near, *far;
			size_t nn, nf;
			CHECK(db_browse_page(db, &f, off, 2, -1, &near, &nn));
			CHECK(db_browse_page(db, &f, off, 2, 4, &far, &nf));
			CHECK_INT(nf, nn);
			for (size_t k = 0; k < nn && k < nf; k++) {
				CHECK_STR(far[k].path, near[k].path);
			}
			db_browse_rows_free(near, nn);
			db_browse_rows_free(far, nf);
		}
	}
	/* Largest first: sizes are 100 × the hash byte. */
	f.sort = DB_SORT_SIZE;
	CHECK(db_browse_page(db, &f, 0, 4, -1, &rows, &n));
	CHECK_INT(n, 4);
	CHECK_STR(rows[0].path, "/lib/b/bad.png");
	CHECK_STR(rows[3].path, "/lib/a/one.jpg");
	db_browse_rows_free(rows, n);
	f.sort = DB_SORT_PATH;
	struct search_node *q = NULL;
	CHECK(query_parse("suggested:long_hair", NULL, &q, NULL, NULL));
	f.query = q;
	CHECK(db_browse_page(db, &f, 0, 10, -1, &rows, &n));
	CHECK_INT(n, 2);
	CHECK(n == 2 && strcmp(rows[1].path, "/lib/a/two.jpg") == 0);
	db_browse_rows_free(rows, n);
	/* A random pick is a match, every match comes up, a filter of none picks none. */
	bool seen[2] = {false, false};
	for (int i = 0; i < 64; i++) {
		int64_t id = 0;
		CHECK(db_browse_random(db, &f, &id));
		struct db_browse_row row;
		bool have = false;
		CHECK(db_browse_image(db, id, MODEL, &row, &have) && have);
		bool ok = have && (strcmp(row.path, "/lib/a/one.jpg") == 0 ||
		    strcmp(row.path, "/lib/a/two.jpg") == 0);
		CHECK(ok);
		if (ok) {
			seen[row.path[7] == 't'] = true;
		}
		free(row.path);
		free(row.error);
	}
	CHECK(seen[0] && seen[1]);
	f.state = DB_STATE_FAILED;
	int64_t none = -1;
	CHECK(db_browse_random(db, &f, &none));
	CHECK_INT(none, 0);
	int64_t next = 0;
	f.state = DB_STATE_TAGGED;
	CHECK(db_browse_next(db, &f, "/lib/a/one.jpg", false, &next));
	CHECK(next != 0);
	CHECK(db_browse_next(db, &f, "/lib/z", false, &next));
	CHECK_INT(next, 0);
	CHECK(db_browse_next(db, &f, "/lib/b", true, &next));
	CHECK(next != 0);
	f.query = NULL;
	search_node_destroy(q);
	int64_t retried = 0;
	CHECK(db_review_retry(db, 0, &retried));
	CHECK_INT(retried, 1);
	CHECK_INT(count(db, DB_STATE_FAILED, NULL, NULL), 0);
}

static int completions;

static void
complete(void *ud, const char *name, enum db_category cat)
{
	(void)ud;
	(void)cat;
	completions += strncmp(name, "ha", 2) == 0;
}

static void
test_library_counts(struct db *db)
{
	db_browse_tags(db, "ha", 10, complete, NULL);
	CHECK_INT(completions, 2); /* hat, hatsune_miku */
	int64_t tagged = -1;
	CHECK(db_browse_tagged(db, MODEL, &tagged));
	CHECK_INT(tagged, 3);
	CHECK(db_browse_tagged(db, "no/such-model", &tagged));
	CHECK_INT(tagged, 0);
	int64_t changed = -1;
	/* long_hair (0.92) of the three images lies in (0.9, 0.95]. */
	CHECK(db_browse_band(db, MODEL, 0.9, 0.95, 1, 1, &changed));
	CHECK_INT(changed, 3);
	CHECK(db_browse_band(db, MODEL, 0.96, 0.99, 0.5, 0.6, &changed));
	CHECK_INT(changed, 0);
}

int
main(void)
{
	char *cause = NULL;
	struct db *db = db_open(tmppath("review.db"), &cause);
	if (db == NULL) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	int64_t one = add_image(db, "/lib/a/one.jpg", 1, DB_STATE_NEW);
	int64_t two = add_image(db, "/lib/a/two.jpg", 2, DB_STATE_NEW);
	int64_t three = add_image(db, "/lib/b/three.jpg", 3, DB_STATE_NEW);
	add_image(db, "/lib/b/bad.png", 4, DB_STATE_FAILED);
	answer(db, one, preds, 5);
	answer(db, two, preds, 5);
	answer(db, three, preds, 5);
	test_marks(db, one);
	test_rejected_stays(db, one);
	test_diff(db, two);
	test_browse(db);
	test_library_counts(db);
	db_close(db);
	return check_done();
}
