/*
 * browse.h — the reads behind the console: pages of images, the folder
 * tree, tag names for completion, and the library-wide counts that show
 * what a threshold or MCut change would do.
 *
 * Nothing here loads the whole library: a page is [offset, offset + limit)
 * of one filtered, sorted order, and the counts are single aggregate
 * queries.  The paged query picks its ids from an index first and joins
 * the rest for those rows only, so page 10,000 costs an index walk, not
 * 10,000 pages of joins.
 */
#ifndef TAGCON_DB_BROWSE_H
#define TAGCON_DB_BROWSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/images.h"
#include "db/predictions.h"
#include "db/search.h"

struct db;

enum db_browse_sort {
	DB_SORT_PATH,  /* by path, the order of the folder tree */
	DB_SORT_ADDED, /* newest first */
	DB_SORT_SIZE,  /* largest first */
	DB_SORT_UNSURE, /* least sure first (SEARCH_SORT_CONFIDENCE): where keys count */
};
#define DB_N_SORTS 4

/*
 * What the Library shows: the images matching a query of the query
 * language (db/search.h) and, when set, a state and a folder.  As in
 * search, images whose state is missing are left out unless the state or
 * a state: term asks for them.
 */
struct db_browse_filter {
	const struct search_node *query; /* the query's tree, or NULL for every image */
	const struct search_opts *opts;  /* its model (also the rating shown), cuts, rules,
	                                    rating limit; NULL: no model; sort ignored */
	int state;         /* an enum db_state, or -1 for any */
	const char *under; /* only images below this folder (no trailing '/'), or NULL */
	enum db_browse_sort sort;
};

struct db_browse_row {
	int64_t id;
	int64_t content_id; /* 0 when the file was never hashed */
	char *path;
	int64_t size;
	int width;
	int height;
	enum db_orientation orientation;
	enum db_state state;
	int rating;    /* enum rating (argmax of the four scores), -1 when not tagged */
	int committed; /* accepted decisions */
	int rejected;
	char *error;   /* why it failed, or NULL */
};

bool db_browse_count(struct db *db, const struct db_browse_filter *f, int64_t *n);
/*
 * Rows [offset, offset + limit) of the filtered order; free with
 * db_browse_rows_free.  total, the count when known (< 0: not), lets a page
 * near the end be read from there: End on a million rows costs a page, not
 * a walk over the million before it.
 */
bool db_browse_page(struct db *db, const struct db_browse_filter *f, int64_t offset, int limit,
    int64_t total, struct db_browse_row **rows, size_t *n);
void db_browse_rows_free(struct db_browse_row *rows, size_t n);

/*
 * The image after (or, with backwards, before) path in path order that
 * matches f; path NULL starts from the first (last).  Under DB_SORT_UNSURE
 * (other sorts are ignored) the least (most) sure match but path.  Images
 * another console has claimed (db/review.h) are passed over.  *id 0 when
 * there is none.
 */
bool db_browse_next(struct db *db, const struct db_browse_filter *f, const char *path,
    bool backwards, int64_t *id);
/* One image drawn uniformly at random among those f matches (db_search_random),
 * drawn again (a few times) while another console has it open; *id 0 when
 * none is found. */
bool db_browse_random(struct db *db, const struct db_browse_filter *f, int64_t *id);
/* One image as a row (for the Review screen). */
bool db_browse_image(struct db *db, int64_t id, const char *model, struct db_browse_row *row,
    bool *found);

/* A number that changes when another connection commits (PRAGMA
 * data_version): a cheap "has anything moved?" for periodic refreshes. */
bool db_browse_version(struct db *db, int64_t *version);

struct db_folder_row {
	int64_t id;
	int64_t root_id;
	const char *path;
	int64_t images; /* directly in this folder, missing ones excluded */
};
/* Every folder that holds images, in path order. */
bool db_browse_folders(struct db *db, void (*fn)(void *ud, const struct db_folder_row *f),
    void *ud);

/* Up to limit known tag names starting with prefix, in name order. */
bool db_browse_tags(struct db *db, const char *prefix, int limit,
    void (*fn)(void *ud, const char *name, enum db_category category), void *ud);

/* Images (not missing) the model has answered for. */
bool db_browse_tagged(struct db *db, const char *model, int64_t *n);

/*
 * Images (not missing) with a general score in (g_lo, g_hi] or a character
 * score in (c_lo, c_hi]: the ones whose suggestions change when a fixed
 * threshold moves across that band.  An empty band (lo >= hi) adds nothing.
 */
bool db_browse_band(struct db *db, const char *model, double g_lo, double g_hi, double c_lo,
    double c_hi, int64_t *images);

/*
 * Stream every general and character prediction of model, grouped by
 * content, in content order: fn gets one content's scores (by tag id, not
 * by score) and returns false to stop early.
 */
bool db_browse_scores_each(struct db *db, const char *model,
    bool (*fn)(void *ud, int64_t content_id, const struct db_pred *p, size_t n), void *ud);

#endif
