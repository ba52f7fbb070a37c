/*
 * preset.h — presets: named sets of settings (Cloudinary's upload presets).
 *
 * A preset holds values for some settings.  `preset apply` writes them into
 * the settings for good; `--preset NAME` reads every setting through it on
 * one connection only (db_preset_overlay(), db/rules.h), so a console or a
 * batch can run under a preset while the stored settings stay as they are.
 */
#ifndef TAGCON_PRESET_H
#define TAGCON_PRESET_H

#include <stdbool.h>
#include <stddef.h>

struct db;

/* Presets: names are letters, digits, '.', '_' and '-' (1 to 64). */
bool preset_set(struct db *db, const char *name, const char *key, const char *value,
    char **cause);
bool preset_unset(struct db *db, const char *name, const char *key, char **cause);
/* Save the current values of keys (every setting when n is 0) as name. */
bool preset_save(struct db *db, const char *name, const char *const *keys, size_t n,
    char **cause);
/* Save keys[i] = values[i] (validated, n >= 1) as name, in place of what
 * it held. */
bool preset_save_values(struct db *db, const char *name, const char *const *keys,
    const char *const *values, size_t n, char **cause);
bool preset_delete(struct db *db, const char *name, char **cause);
/* Every preset's name, in order. */
bool preset_each(struct db *db, void (*fn)(void *ud, const char *name, const char *keys),
    void *ud);
/* Write the preset's values into the settings, for good. */
bool preset_apply(struct db *db, const char *name, char **cause);
/* Read settings through the preset on this connection only (db/rules.h). */
bool preset_use(struct db *db, const char *name, char **cause);

#endif
