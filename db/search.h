/*
 * search.h — finding images: a query tree compiled to parameterised SQL.
 *
 * core/query.c parses the query language into a tree of search_node; this
 * module turns the tree into one SQL statement whose every value taken from
 * the user is a bound parameter (never pasted into the SQL text), runs it
 * with sort, limit and offset, counts, and picks a uniform random match.
 *
 * The tree is plain data, defined here because db/ is the lowest layer that
 * must read it.  Tag names in it are canonical (core/tagname.h); a '*' in a
 * name with `pattern` set matches any run of characters, nothing else is
 * special.
 *
 * Meaning of the terms (DESIGN.md §3):
 *   TAG        the image has the tag committed (an accepted decision);
 *              `category` >= 0 restricts to tags of that category.  An exact
 *              name also matches its aliases (tag rules, either direction).
 *   SUGGESTED  the tag is a pending suggestion: a prediction of the current
 *              model above its category's threshold (or the MCut cut over
 *              the stored scores, see core/mcut.h) for the image's folder,
 *              renamed by aliases, not excluded, not decided; or a tag
 *              pinned on a folder above the image and not decided.
 *   SCORE      the current model's stored score for the tag compared with
 *              `lo`; a score below the floor (not stored) counts as 0; only
 *              images the model has answered for match.
 *   RATING     argmax of the current model's four rating scores (ties go to
 *              the milder label), bits 1 << enum rating; SEARCH_UNRATED
 *              for images the model has not answered for.
 *   others     columns of the image (see enum search_kind).
 */
#ifndef TAGCON_DB_SEARCH_H
#define TAGCON_DB_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/images.h"
#include "db/predictions.h"

struct db;

enum search_kind {
	SEARCH_ALL,         /* matches every image (the empty query) */
	SEARCH_AND,
	SEARCH_OR,
	SEARCH_NOT,         /* exactly one kid */
	SEARCH_TAG,
	SEARCH_SUGGESTED,
	SEARCH_SCORE,
	SEARCH_RATING,      /* set: bits of enum rating, SEARCH_UNRATED */
	SEARCH_ORIENTATION, /* set: bits of enum db_orientation */
	SEARCH_STATE,       /* set: bits of enum db_state */
	SEARCH_SOURCE,      /* set: bits of enum db_source (any committed tag) */
	SEARCH_FOLDER,      /* text: absolute folder; the images below it */
	SEARCH_MODEL,       /* text: model name (pattern allowed) answered for */
	SEARCH_WIDTH,
	SEARCH_HEIGHT,
	SEARCH_SIZE,        /* bytes */
	SEARCH_PATH,        /* text: bytes the image's path contains */
};

#define SEARCH_UNRATED (1u << 4)

enum search_cmp { SEARCH_EQ, SEARCH_LT, SEARCH_LE, SEARCH_GT, SEARCH_GE, SEARCH_RANGE };

struct search_node {
	enum search_kind kind;
	int column;           /* 1-based column of the term in the query text */
	struct search_node **kids;
	size_t n_kids;
	char *text;           /* tag, folder or model name; owned */
	bool pattern;         /* text holds '*' wildcards */
	int category;         /* TAG: enum db_category, or -1 for any */
	unsigned set;         /* RATING, ORIENTATION, STATE, SOURCE */
	enum search_cmp cmp;  /* SCORE, WIDTH, HEIGHT, SIZE */
	double lo;            /* the operand; RANGE: lo..hi inclusive */
	double hi;
};

/* A new node (text copied when not NULL); destroy frees the whole tree. */
struct search_node *search_node_create(enum search_kind kind, int column, const char *text);
void search_node_add(struct search_node *parent, struct search_node *kid);
void search_node_destroy(struct search_node *node);
/* A deep copy of node (NULL for NULL): another thread's own tree. */
struct search_node *search_node_dup(const struct search_node *node);

/* A per-folder override of the suggestion settings (folder_overrides). */
struct search_override {
	const char *folder; /* absolute, no trailing '/' */
	struct db_cut cut;
};

enum search_sort {
	SEARCH_SORT_PATH,
	SEARCH_SORT_ADDED, /* insertion order (image id) */
	SEARCH_SORT_MTIME,
	SEARCH_SORT_SIZE,
	SEARCH_SORT_WIDTH,
	SEARCH_SORT_HEIGHT,
	SEARCH_SORT_RATING,
	/* Least sure first: the smallest distance between a score and its cut
	 * among the image's undecided, unexcluded predictions of the model
	 * (core/tag/suggest.h, suggest_confidence(); each prediction of an
	 * aliased name counts, and max_tags is not weighed); 1 when none. */
	SEARCH_SORT_CONFIDENCE,
};

struct search_opts {
	const char *model;    /* current model: rating, suggested:, score: */
	int max_rating;       /* enum rating; images rated above are left out */
	struct db_cut cut;               /* global suggestion settings */
	const struct search_override *overrides; /* nearest ancestor wins */
	size_t n_overrides;
	enum search_sort sort;
	bool descending;
	int64_t limit;        /* < 0: no limit */
	int64_t offset;
	uint64_t seed;        /* db_search_random: 0 draws from getrandom() */
};

/* Defaults: no rating filter (explicit), thresholds 0.35 / 0.85, no limit. */
void search_opts_init(struct search_opts *o, const char *model);

/* One match; strings borrowed for the duration of the callback. */
struct search_hit {
	int64_t id;
	const char *path;
	int64_t size;
	int64_t mtime_ns;
	int width;
	int height;
	enum db_orientation orientation;
	enum db_state state;
	int rating; /* enum rating, or -1 when unrated */
	bool has_hash;
	uint8_t hash[DB_HASH_LEN];
};

/*
 * Every match in order, at most o->limit after skipping o->offset; fn may
 * return false to stop early.  Images whose state is missing are left out
 * unless the query has a state: term.
 */
bool db_search_each(struct db *db, const struct search_node *q, const struct search_opts *o,
    bool (*fn)(void *ud, const struct search_hit *hit), void *ud);
/* The number of matches (limit and offset ignored). */
bool db_search_count(struct db *db, const struct search_node *q, const struct search_opts *o,
    int64_t *n);
/*
 * One match drawn uniformly at random; *found false when nothing matches.
 * Rejection sampling over image ids first (cheap when matches are not
 * rare), then an exact draw over the counted matches.
 */
bool db_search_random(struct db *db, const struct search_node *q, const struct search_opts *o,
    bool (*fn)(void *ud, const struct search_hit *hit), void *ud, bool *found);
/* The SQL and the query plan (EXPLAIN QUERY PLAN) for a query, for --explain;
 * a new string. */
bool db_search_explain(struct db *db, const struct search_node *q, const struct search_opts *o,
    char **text);

/*
 * Every pending suggestion of the library: the (image, tag) pairs that
 * rules_suggest() (core/rules.h) derives for each image not missing under
 * o's model, cuts and overrides and the tag rules.  Exact.  Fast: the
 * score histogram suggest_hist, which also knows which side of its
 * answer's MCut cut each score is on (schema 5), plus direct passes over
 * what it cannot know (folder overrides, the tags rules touch, pinned
 * folders), MCut included.
 */
bool db_search_suggestions(struct db *db, const struct search_opts *o, int64_t *n);
/* Whether suggest_hist agrees with predictions and decisions, and the
 * stored MCut cuts with the predictions (tests). */
bool db_search_hist_check(struct db *db, bool *same);

/* Known tag names starting with prefix, most used first (completion). */
bool db_search_complete(struct db *db, const char *prefix, int limit,
    void (*fn)(void *ud, const char *tag, int64_t uses), void *ud);

#endif
