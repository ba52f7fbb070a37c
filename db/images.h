/*
 * images.h — roots, folders, contents and images of a library.
 *
 * Paths are byte strings (file names need not be UTF-8) stored as BLOBs;
 * they never contain NUL, so C strings carry them.  A content is one set of
 * bytes, known by its XXH3-128 hash; images are paths that hold a content.
 */
#ifndef TAGCON_DB_IMAGES_H
#define TAGCON_DB_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

enum db_state {
	DB_STATE_NEW = 0,
	DB_STATE_TAGGED = 1,
	DB_STATE_COMMITTED = 2,
	DB_STATE_FAILED = 3,
	DB_STATE_MISSING = 4,
};
#define DB_N_STATES 5

enum db_orientation {
	DB_ORIENT_UNKNOWN = 0,
	DB_ORIENT_LANDSCAPE = 1,
	DB_ORIENT_PORTRAIT = 2,
	DB_ORIENT_SQUARE = 3,
};
#define DB_N_ORIENTS 4

#define DB_HASH_LEN 16

/* One image row.  Strings are owned; release with db_image_fini(). */
struct db_image {
	int64_t id;
	int64_t folder_id;
	char *path;
	int64_t size;
	int64_t mtime_ns;
	bool has_hash;
	uint8_t hash[DB_HASH_LEN];
	char *format; /* loader name ("jpeg", "png" ...) or NULL */
	int width;
	int height;
	enum db_orientation orientation;
	enum db_state state;
	char *error; /* why it failed, or NULL */
};

void db_image_fini(struct db_image *img);

/* Add a root directory (absolute path) if new; its id in *id. */
bool db_root_add(struct db *db, const char *path, int64_t *id);
/* Call fn for every root path, in path order. */
bool db_roots_each(struct db *db, void (*fn)(void *ud, int64_t id, const char *path), void *ud);
/* The id of folder path below root_id, inserting it if new. */
bool db_folder_get(struct db *db, int64_t root_id, const char *path, int64_t *id);

/* Compact view of a row, enough for a rescan to decide what changed. */
struct db_scan_row {
	int64_t id;
	const char *path; /* borrowed for the duration of the callback */
	int64_t size;
	int64_t mtime_ns;
	enum db_state state;
	bool has_hash;
	uint8_t hash[DB_HASH_LEN];
	const char *error; /* why it failed, or NULL; borrowed */
};

/* Every image whose path starts with prefix (a directory, ending in '/'). */
bool db_images_under(struct db *db, const char *prefix,
    void (*fn)(void *ud, const struct db_scan_row *row), void *ud);

/* The ids of the images (missing ones left out) that hold the same content
 * as image_id, image_id among them: one answer covers them all. */
bool db_image_copies(struct db *db, int64_t image_id, void (*fn)(void *ud, int64_t id),
    void *ud);

/* Insert a new image; img->id is set.  img->has_hash links its content. */
bool db_image_insert(struct db *db, struct db_image *img);
/* Rewrite what a (re)probe learnt about the file at img->id. */
bool db_image_update(struct db *db, const struct db_image *img);
/* A file seen at a new path with a known hash: keep the row, move it. */
bool db_image_move(struct db *db, int64_t id, const char *path, int64_t folder_id,
    int64_t size, int64_t mtime_ns);
/* Dimensions learnt later (e.g. when preparing an upload). */
bool db_image_set_dims(struct db *db, int64_t id, int width, int height);
bool db_image_set_state(struct db *db, int64_t id, enum db_state state, const char *error);
/* A missing image whose content has this hash (a file that moved while
 * nobody watched); *id 0 when none. */
bool db_image_missing_by_hash(struct db *db, const uint8_t hash[DB_HASH_LEN], int64_t *id);
/* Load one image by path (exact bytes); false with *found = false if absent. */
bool db_image_by_path(struct db *db, const char *path, struct db_image *img, bool *found);

/* State an image should take given what is stored for its content and its
 * decisions (used when a file comes back or changes): committed when it has
 * accepted decisions, tagged when its content has predictions, else new. */
bool db_image_derive_state(struct db *db, int64_t id, enum db_state *state);

struct db_counts {
	int64_t total;
	int64_t by_state[DB_N_STATES];
	int64_t by_orientation[DB_N_ORIENTS];
	int64_t by_rating[5]; /* g, s, q, e, unrated — for one model */
	int64_t roots;
	int64_t bytes;
};
bool db_counts(struct db *db, const char *model, struct db_counts *out);

#endif
