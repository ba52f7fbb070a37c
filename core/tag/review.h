/*
 * review.h — reviewing one image's tags: what a person sees and decides
 * before it is committed.  No terminal here: the console drives it with
 * keys, `tagcon edit` and `tagcon commit` with arguments.
 *
 * A review loads the image's predictions (for the current model) and its
 * decisions, and lists every tag once: the suggested ones (above the cut),
 * the near misses (stored, so at or above the score floor, but not above the
 * cut), the committed ones, the rejected ones and the ones added by hand.
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

enum review_mode {
	REVIEW_MODE_REQUIRED,   /* a person accepts */
	REVIEW_MODE_AUTO,       /* suggestions start accepted */
	REVIEW_MODE_AUTO_ABOVE, /* suggestions scoring at least min_score start accepted */
};

struct review_opts {
	struct db_cut cut;
	enum review_mode mode;
	double min_score;
};

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
	bool suggested;   /* above the cut, no decision */
	bool near_miss;   /* a score at or above the floor, not above the cut, no decision */
	enum review_status status;
	enum review_mark mark;
};

struct review_opts review_opts_from_settings(struct db *db);

/* Load image_id's review under model; NULL with *cause on a database error. */
struct review *review_create(struct db *db, int64_t image_id, const char *model,
    const struct review_opts *opts, char **cause);
void review_destroy(struct review *r);

int64_t review_image(const struct review *r);
/* Whether the model answered for this image; its four rating scores if so. */
bool review_rating(const struct review *r, float rating[4]);
double review_cut(const struct review *r, enum db_category category);
/* false when an MCut cut came from stored scores only (see core/mcut.h). */
bool review_exact(const struct review *r);

/* The tags: character, general, then the rest, each by score (highest first). */
size_t review_count(const struct review *r);
const struct review_tag *review_tag(const struct review *r, size_t i);
/* Index of name, or -1. */
int review_find(const struct review *r, const char *name);

/* Edits; each returns whether anything changed (and can be undone). */
bool review_accept_all(struct review *r);
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

/* Write every mark in one transaction, then reload; false with *cause. */
bool review_commit(struct review *r, struct db *db, char **cause);

/* Re-derive suggestions under other thresholds (marks are kept). */
void review_set_opts(struct review *r, const struct review_opts *opts);
/* Tags whose suggestion would change under cut: fn(tag, added). */
void review_diff(const struct review *r, struct db_cut cut,
    void (*fn)(void *ud, const char *tag, bool added), void *ud);

/* Canonical form of a typed tag name (new string): blanks trimmed, inner
 * runs of blanks one '_' (core/tagname.h).  NULL when empty, too long, not
 * UTF-8 or holding a control character. */
char *review_tag_name(const char *typed);

#endif
