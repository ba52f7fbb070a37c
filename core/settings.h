/*
 * settings.h — tagcon's settings: one table of names, types, ranges and
 * defaults, shared by `tagcon config` and the console's forms.
 *
 * Values are stored as text in the database; every write is validated here
 * first, so a bad value is refused with a reason and nothing changes.
 */
#ifndef TAGCON_SETTINGS_H
#define TAGCON_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

struct db;

enum setting_type {
	SETTING_BOOL,
	SETTING_INT,
	SETTING_FLOAT,
	SETTING_STRING,
	SETTING_ENUM,
	SETTING_URLS, /* one Space URL per line */
	SETTING_PATH,
};

struct setting_def {
	const char *name;
	enum setting_type type;
	const char *def; /* default, as text */
	double min;
	double max;
	const char *const *choices; /* ENUM: NULL-terminated */
	const char *help;
};

/* The table, in display order, and its length. */
const struct setting_def *settings_table(size_t *n);
const struct setting_def *settings_find(const char *name);
/* The name a setting called old has now, or NULL (for a hint). */
const char *settings_renamed(const char *old);

/*
 * Check value for setting def; on success *normal is the canonical text to
 * store (new string).  On failure, false and *cause says why (new string).
 */
bool settings_validate(const struct setting_def *def, const char *value, char **normal,
    char **cause);

/* The stored value or the default (new string); NULL only on db error. */
char *settings_get(struct db *db, const char *name);
/* Validate and store; false with *cause on a bad name, bad value or db error. */
bool settings_set(struct db *db, const char *name, const char *value, char **cause);
/* Back to the default. */
bool settings_reset(struct db *db, const char *name, char **cause);

/* Typed getters (the default on db error; a stored value is always valid). */
bool settings_get_bool(struct db *db, const char *name);
/* A boolean's text as settings_get_bool() reads it: yes/no words, else
 * def's reading. */
bool settings_parse_bool(const char *v, const char *def);
long settings_get_int(struct db *db, const char *name);
double settings_get_float(struct db *db, const char *name);

/* A URLS setting as an array of its lines (NULL-terminated, *n of them);
 * free with settings_list_free. */
char **settings_get_list(struct db *db, const char *name, size_t *n);
void settings_list_free(char **list);

const char *settings_type_name(enum setting_type type);

/* The default of `spaces`: SmilingWolf's public wd-tagger Space, shared by
 * everyone, so a batch keeps one request in flight while it is the only one. */
#define SETTINGS_PUBLIC_SPACE "https://huggingface.co/spaces/SmilingWolf/wd-tagger"
/* Whether url names that Space (its page or its app host). */
bool settings_public_space(const char *url);

/* The wd-tagger Space's 12 model repos, NULL-terminated (space-protocol §1.2). */
extern const char *const settings_known_models[];

#endif
