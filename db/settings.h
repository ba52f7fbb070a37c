/*
 * settings.h — the key/value store behind tagcon's settings.
 *
 * Values are text; their types, ranges and defaults live in core/settings.c,
 * which is the only caller.  A key absent here takes its default.
 */
#ifndef TAGCON_DB_SETTINGS_H
#define TAGCON_DB_SETTINGS_H

#include <stdbool.h>

struct db;

/* *value is a new string, or NULL when the key is not set. */
bool db_setting_get(struct db *db, const char *key, char **value);
bool db_setting_set(struct db *db, const char *key, const char *value);
bool db_setting_unset(struct db *db, const char *key);

/*
 * Everything that shapes how the library is seen, as one text (a new
 * string): the settings, presets, folder overrides and tag rules, row by
 * row.  Two snapshots differ exactly when one of them changed: a running
 * console compares them to notice `tagcon config set`, `rules`, `preset`
 * from a shell.  These tables stay small (tens of rows).
 */
bool db_settings_snapshot(struct db *db, char **text);

#endif
