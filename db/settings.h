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

#endif
