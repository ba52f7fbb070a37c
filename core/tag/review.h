/*
 * review.h — reviewing one image's tags: what a person sees and decides
 * before it is committed.  No terminal here: the console drives it with
 * keys, `tagcon edit` and `tagcon commit` with arguments.
 *
 * A review loads the image's predictions (for the current model) and its
 * decisions, asks the suggestion engine (core/tag/suggest.h) under a rules
 * snapshot, and lists every tag once, by the name the engine gives it
 * (aliases applied): the suggested ones, the near misses (stored, so at or
 * above the score floor, but not above the cut), the committed ones, the
 * rejected ones and the ones added by hand.  Excluded predictions are not
 * listed.  So what Review shows as suggested, what `a` accepts and what `c`
 * commits are exactly what `show`, `search suggested:` and `commit` see.
 * Edits only set marks; nothing reaches the database until review_commit(),
 * which writes every mark in one transaction.  Every edit can be undone.
 */
#ifndef TAGCON_REVIEW_H
#define TAGCON_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tag/suggest.h"
#include "db/predictions.h"

struct db;
struct review;
struct rules;

enum review_mode {
	REVIEW_MODE_REQUIRED,   /* a person accepts */
	REVIEW_MODE_AUTO,       /* suggestions start accepted */
	REVIEW_MODE_AUTO_ABOVE, /* suggestions scoring at least min_score start accepted */
	/* every suggestion starts accepted when the image's confidence
	 * (suggest_confidence()) is at least margin: what commit --confident
	 * takes, as answers arrive */
	REVIEW_MODE_AUTO_CONFIDENT,
};

struct review_opts {
	enum review_mode mode;
	double min_score;
	double margin;
};

/* "required", "auto", "auto-above", "auto-confident" (the review_mode
 * setting); required for anything else. */
enum review_mode review_mode_parse(const char *s);

/* Where a tag stands in the database. */
enum review_status {
	REVIEW_PREDICTED, /* a model output, no decision */
	REVIEW_COMMITTED, /* accepted */
	REVIEW_REJECTED,  /* rejected: never suggested again for this image */
	REVIEW_NEW,       /* typed in this review, not stored yet */
};

/* What committing will do to it. */
enum review_mark {
	REVIEW_KEEP,
	REVIEW_ACCEPT,
	REVIEW_REJECT, /* of a committed tag: removes it, for good */
	REVIEW_FORGET, /* of a rejected tag: takes the rejection back */
};

struct review_tag {
	const char *tag;
	enum db_category category;
	float score;      /* the model's score; < 0 when it has none */
	bool suggested;   /* the engine suggests it (above the cut or pinned, no decision) */
	bool near_miss;   /* a score at or above the floor, not above the cut, no decision */
	bool pinned;      /* suggested because a folder rule pins it */
	const char *predicted; /* the model's name when an alias renamed it, else NULL */
	enum review_status status;
	enum review_mark mark;
};

/*
 * Load image_id's review under model and (a copy of) the rules snapshot r;
 * NULL with *cause on a database error or when there is no such image.
 */
struct review *review_create(struct db *db, int64_t image_id, const char *model,
    const struct rules *r, const struct review_opts *opts, char **cause);
void review_destroy(struct review *r);

int64_t review_image(const struct review *r);
/* Whether the model answered for this image; its four rating scores if so. */
bool review_rating(const struct review *r, float rating[4]);
double review_cut(const struct review *r, enum db_category category);
/* The engine's confidence for the image (suggest_confidence()). */
double review_confidence(const struct review *r);
/* false when an MCut cut came from stored scores only (see core/mcut.h). */
bool review_exact(const struct review *r);

/* The tags: character, general, then the rest, each by score (highest first). */
size_t review_count(const struct review *r);
const struct review_tag *review_tag(const struct review *r, size_t i);
/* Index of name, or -1. */
int review_find(const struct review *r, const char *name);

/* Edits; each returns whether anything changed (and can be undone). */
bool review_accept_all(struct review *r);
/* Accept the suggestions that pinned tags and scores of at least min_score
 * earn (what review_mode auto-above and commit --min-score accept). */
bool review_accept_above(struct review *r, double min_score);
bool review_toggle_accept(struct review *r, size_t i);
bool review_toggle_reject(struct review *r, size_t i);
/* Remove a committed tag (rejects it) or drop a pending acceptance. */
bool review_remove(struct review *r, size_t i);
/* Accept name, adding it if the image has no such tag; false with *cause
 * when name is not a usable tag name.  The category is the library's for a
 * known name, else user. */
bool review_add(struct review *r, struct db *db, const char *name, char **cause);
bool review_undo(struct review *r);
/* Edits not yet committed. */
size_t review_pending(const struct review *r);

/* Write every mark in one transaction, then reload; false with *cause.  When
 * the image's decisions changed since the review loaded them (another
 * console or command committed it), nothing is written: the review is
 * loaded again as the image is now (marks dropped) and *cause says
 * "changed since you opened it". */
bool review_commit(struct review *r, struct db *db, char **cause);

/* Re-derive the suggestions under another rules snapshot (other
 * thresholds, rules, overrides); marks are kept by name, undo is cleared
 * when the list changes. */
void review_set_rules(struct review *r, const struct rules *rules);
/* Tags whose suggestion would change under cand: fn(tag, added). */
void review_diff(const struct review *r, const struct rules *cand,
    void (*fn)(void *ud, const char *tag, bool added), void *ud);

/*
 * What review_mode does when an answer arrives (batch, watch, tag): under
 * auto, commit every suggestion of image_id; under auto-above, those
 * review_accept_above() takes; under required, nothing.  *committed counts
 * the tags written.  False with *cause on a database error.
 */
bool review_autocommit(struct db *db, int64_t image_id, const char *model,
    const struct rules *r, const struct review_opts *opts, size_t *committed, char **cause);

/* Canonical form of a typed tag name (new string): blanks trimmed, inner
 * runs of blanks one '_' (core/tagname.h).  NULL when empty, too long, not
 * UTF-8 or holding a control character. */
char *review_tag_name(const char *typed);

#endif
