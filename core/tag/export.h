/*
 * export.h — tags out of the database: booru captions (.txt), JSON Lines and
 * XMP sidecars (dc:subject, read by digiKam and darktable).
 *
 * What is exported of an image: its committed tags (accepted decisions),
 * plus with include_suggested its pending suggestions under the rules
 * (core/rules.h).  Rejected tags never leave.  Order: pinned tags, then
 * characters, then general tags, then the rest, each by score (highest
 * first; tags without a score after, by name).
 *
 * Files are written whole or not at all: a temporary file in the same
 * directory, then rename().  An existing caption or sidecar is kept unless
 * the mode says replace (overwrite) or append (add the tags it lacks; for
 * XMP, into its dc:subject bag, leaving everything else of the file as it
 * was, so a darktable or digiKam sidecar keeps its edits).
 */
#ifndef TAGCON_EXPORT_H
#define TAGCON_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "db/images.h"
#include "db/predictions.h"
#include "db/search.h"

struct db;
struct rules;

enum export_format { EXPORT_TXT, EXPORT_JSONL, EXPORT_XMP };
enum export_mode { EXPORT_KEEP, EXPORT_REPLACE, EXPORT_APPEND };
enum export_source { EXPORT_AUTO, EXPORT_MANUAL, EXPORT_SUGGESTED };

struct export_tag {
	char *tag;                 /* canonical */
	enum db_category category;
	float score;               /* the model's score, < 0 when none */
	enum export_source source;
	bool pinned;
};

/* One image with what is exported of it. */
struct export_item {
	struct search_hit hit;     /* hit.path owned here */
	char *model;
	bool rated;
	float rating[4];           /* general, sensitive, questionable, explicit */
	struct export_tag *tags;   /* in export order */
	size_t n_tags;
};

struct export_opts {
	enum export_format format;
	enum export_mode mode;
	const char *out;           /* txt, xmp: a directory that mirrors the roots;
	                            * jsonl: a file; NULL: beside the images / stream */
	FILE *stream;              /* jsonl without out */
	const char *separator;     /* txt: between tags, default ", " */
	bool spaces;               /* txt: "long hair" rather than long_hair */
	bool escape;               /* txt: \( and \) as prompts want them */
	bool rating_tag;           /* txt, xmp: the rating label first ("general" ...) */
	bool include_suggested;
	/* Called for each image that could not be written. */
	void (*on_error)(void *ud, const char *path, const char *why);
	void *ud;
};

struct export_counts {
	int64_t written;
	int64_t kept;    /* a file was there and mode was keep */
	int64_t empty;   /* no tag to write */
	int64_t failed;
};

/* Load one matching image's item; false with *cause on a database error. */
bool export_item_load(struct db *db, const struct rules *rules, const char *model,
    const struct search_hit *hit, bool include_suggested, struct export_item *item,
    char **cause);
void export_item_fini(struct export_item *item);

/* The caption line of an item (new string, no newline). */
char *export_caption(const struct export_item *item, const struct export_opts *o);
/* The JSON Lines object of an item. */
cJSON *export_json(const struct export_item *item);
/*
 * The XMP sidecar text for item: a new packet, or existing (a sidecar's
 * text) with the tags it lacks added to its dc:subject.  NULL with *cause
 * when existing has no place tags can go.
 */
char *export_xmp(const struct export_item *item, const struct export_opts *o,
    const char *existing, char **cause);

/* Where an item's caption or sidecar goes (new string). */
char *export_target(const struct export_item *item, const struct export_opts *o,
    const char *root);

/* Write data to path atomically (temporary file, fsync, rename). */
bool export_write_file(const char *path, const char *data, size_t n, char **cause);

/*
 * Export every image q matches under so (the max-rating filter included).
 * False only on a database error or an unwritable jsonl file (with *cause);
 * files that fail count in counts->failed and go to o->on_error.
 */
bool export_run(struct db *db, const struct search_node *q, const struct search_opts *so,
    const struct rules *rules, const struct export_opts *o, struct export_counts *counts,
    char **cause);

#endif
