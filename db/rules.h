/*
 * rules.h — the rows behind tag rules, per-folder overrides and presets.
 *
 * Tag rules (table tag_rules): an exclusion keeps a tag (a '*' pattern)
 * from ever being suggested; an alias renames a predicted tag; a pin makes
 * a tag a suggestion for every image below a folder; a threshold gives a
 * tag its own cut below a folder.  Names are canonical;
 * core/rules.c validates everything before it reaches these functions, and
 * db/search.c reads the same rows when it compiles `suggested:`.
 *
 * Overrides (folder_overrides) and presets (presets) are key/value rows
 * whose keys and values core/settings.c validates.
 */
#ifndef TAGCON_DB_RULES_H
#define TAGCON_DB_RULES_H

#include <stdbool.h>
#include <stdint.h>

struct db;

enum db_rule_kind {
	DB_RULE_EXCLUDE = 0,
	DB_RULE_ALIAS = 1,
	DB_RULE_PIN = 2,
	DB_RULE_THRESHOLD = 3, /* schema 9: value is the tag's own cut below folder */
};

struct db_rule {
	int64_t id;
	enum db_rule_kind kind;
	const char *tag;    /* EXCLUDE: may hold '*' */
	const char *target; /* ALIAS: what tag becomes; else NULL */
	const char *folder; /* NULL: everywhere */
	double value;       /* THRESHOLD: the cut; else 0 */
};

/*
 * Add a rule, or update the target of an alias (the value of a threshold)
 * that exists; *added tells which.  folder is absolute without a trailing '/', or NULL.
 */
bool db_rule_add(struct db *db, const struct db_rule *rule, bool *added);
/* Remove the rule of that kind, tag and folder; *found false if none. */
bool db_rule_remove(struct db *db, enum db_rule_kind kind, const char *tag, const char *folder,
    bool *found);
/* Every rule (kind < 0: of every kind), by kind, folder and tag; strings
 * borrowed for the callback. */
bool db_rules_each(struct db *db, int kind, void (*fn)(void *ud, const struct db_rule *r),
    void *ud);

/* folder_overrides: one value per (folder, key). */
bool db_override_set(struct db *db, const char *folder, const char *key, const char *value);
bool db_override_unset(struct db *db, const char *folder, const char *key, bool *found);
/* Every override, by folder then key. */
bool db_overrides_each(struct db *db,
    void (*fn)(void *ud, const char *folder, const char *key, const char *value), void *ud);

/* presets: named sets of (key, value). */
bool db_preset_set(struct db *db, const char *name, const char *key, const char *value);
bool db_preset_unset(struct db *db, const char *name, const char *key, bool *found);
bool db_preset_delete(struct db *db, const char *name, bool *found);
/* Every row of preset name (NULL: of every preset), by name then key. */
bool db_presets_each(struct db *db, const char *name,
    void (*fn)(void *ud, const char *name, const char *key, const char *value), void *ud);

/*
 * For this connection only, read settings through preset name: a key the
 * preset holds takes the preset's value, every other key its stored one.
 * Done with a temporary view named settings that shadows the table, so
 * every reader (db/settings.c included) sees it; writing a setting fails
 * while it is in place.  *found false when there is no such preset.
 */
bool db_preset_overlay(struct db *db, const char *name, bool *found);

#endif
