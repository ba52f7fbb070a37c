/*
 * preset.c — named sets of settings: saved, listed, applied for good, or
 * read through on one connection (`--preset`).
 */
#include "core/preset.h"

#include <ctype.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/settings.h"
#include "db/db.h"
#include "db/rules.h"

static bool
preset_name(const char *name, char **cause)
{
	size_t n = strlen(name);
	bool ok = n >= 1 && n <= 64;
	for (size_t i = 0; ok && i < n; i++) {
		ok = isalnum((unsigned char)name[i]) || strchr("._-", name[i]) != NULL;
	}
	return ok || refuse(cause, xasprintf("'%s' is not a preset name (1 to 64 letters, "
	    "digits, '.', '_' or '-')", name));
}

bool
preset_set(struct db *db, const char *name, const char *key, const char *value,
    char **cause)
{
	const struct setting_def *d = settings_find(key);
	char *normal = NULL, *why = NULL;
	if (!preset_name(name, cause)) {
		return false;
	}
	if (d == NULL) {
		return refuse(cause, xasprintf("no setting named '%s' (see tagcon config list)", key));
	}
	if (!settings_validate(d, value, &normal, &why)) {
		return refuse(cause, why);
	}
	bool ok = db_preset_set(db, name, key, normal) || db_cause(db, cause);
	free(normal);
	return ok;
}

bool
preset_unset(struct db *db, const char *name, const char *key, char **cause)
{
	bool found;
	if (!db_preset_unset(db, name, key, &found)) {
		return db_cause(db, cause);
	}
	return found || refuse(cause, xasprintf("preset %s has no %s", name, key));
}

/* Rows of preset name: keys[i] with values[i], or with its stored value
 * when values is NULL (every setting when n is 0). */
static bool
save_keys(struct db *db, const char *name, const char *const *keys,
    const char *const *values, size_t n, char **cause)
{
	size_t all;
	const struct setting_def *table = settings_table(&all);
	for (size_t i = 0; i < (n > 0 ? n : all); i++) {
		const char *key = n > 0 ? keys[i] : table[i].name;
		if (settings_find(key) == NULL) {
			return refuse(cause, xasprintf("no setting named '%s' (see tagcon config list)",
			    key));
		}
		if (values != NULL) {
			if (!preset_set(db, name, key, values[i], cause)) {
				return false;
			}
			continue;
		}
		char *v = settings_get(db, key);
		bool ok = v != NULL && db_preset_set(db, name, key, v);
		free(v);
		if (!ok) {
			return db_cause(db, cause);
		}
	}
	return true;
}

/* The preset as a whole: what it held before goes. */
static bool
replace_preset(struct db *db, const char *name, const char *const *keys,
    const char *const *values, size_t n, char **cause)
{
	bool found;
	if (!preset_name(name, cause)) {
		return false;
	}
	if (!db_begin(db)) {
		return db_cause(db, cause);
	}
	if (!db_preset_delete(db, name, &found)) {
		db_rollback(db);
		return db_cause(db, cause);
	}
	if (!save_keys(db, name, keys, values, n, cause)) {
		db_rollback(db);
		return false;
	}
	return db_commit(db) || db_cause(db, cause);
}

bool
preset_save(struct db *db, const char *name, const char *const *keys, size_t n,
    char **cause)
{
	return replace_preset(db, name, keys, NULL, n, cause);
}

bool
preset_save_values(struct db *db, const char *name, const char *const *keys,
    const char *const *values, size_t n, char **cause)
{
	if (n == 0) {
		return refuse(cause, xstrdup("a preset needs at least one setting"));
	}
	return replace_preset(db, name, keys, values, n, cause);
}

struct preset_walk {
	void (*fn)(void *ud, const char *name, const char *keys);
	void *ud;
	GString *keys;
	char *name;
};

static void
flush_preset(struct preset_walk *w)
{
	if (w->name != NULL) {
		w->fn(w->ud, w->name, w->keys->str);
		free(w->name);
		w->name = NULL;
	}
	g_string_truncate(w->keys, 0);
}

static void
preset_row(void *ud, const char *name, const char *key, const char *value)
{
	(void)value;
	struct preset_walk *w = ud;
	if (w->name == NULL || strcmp(w->name, name) != 0) {
		flush_preset(w);
		w->name = xstrdup(name);
	}
	g_string_append_printf(w->keys, "%s%s", w->keys->len > 0 ? ", " : "", key);
}

bool
preset_each(struct db *db, void (*fn)(void *ud, const char *name, const char *keys),
    void *ud)
{
	/* Rows come by name, then key: one call per run of a name. */
	struct preset_walk w = {.fn = fn, .ud = ud, .keys = g_string_new(NULL)};
	bool ok = db_presets_each(db, NULL, preset_row, &w);
	if (ok) {
		flush_preset(&w);
	}
	free(w.name);
	g_string_free(w.keys, TRUE);
	return ok;
}

bool
preset_delete(struct db *db, const char *name, char **cause)
{
	bool found;
	if (!db_preset_delete(db, name, &found)) {
		return db_cause(db, cause);
	}
	return found || refuse(cause, xasprintf("no preset named '%s'", name));
}

struct kv {
	char **keys;
	char **values;
	size_t n;
};

static void
add_kv(void *ud, const char *name, const char *key, const char *value)
{
	struct kv *kv = ud;
	kv->keys = xreallocarray(kv->keys, kv->n + 1, sizeof *kv->keys);
	kv->values = xreallocarray(kv->values, kv->n + 1, sizeof *kv->values);
	kv->keys[kv->n] = xstrdup(key);
	kv->values[kv->n++] = xstrdup(value);
}

static void
kv_fini(struct kv *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->keys[i]);
		free(kv->values[i]);
	}
	free(kv->keys);
	free(kv->values);
}

bool
preset_apply(struct db *db, const char *name, char **cause)
{
	struct kv kv = {0};
	bool ok = false;
	if (!db_presets_each(db, name, add_kv, &kv)) {
		db_cause(db, cause);
		goto out;
	}
	if (kv.n == 0) {
		refuse(cause, xasprintf("no preset named '%s'", name));
		goto out;
	}
	if (!db_begin(db)) {
		db_cause(db, cause);
		goto out;
	}
	for (size_t i = 0; i < kv.n; i++) {
		if (!settings_set(db, kv.keys[i], kv.values[i], cause)) {
			db_rollback(db);
			goto out;
		}
	}
	ok = db_commit(db) || db_cause(db, cause);
out:
	kv_fini(&kv);
	return ok;
}

bool
preset_use(struct db *db, const char *name, char **cause)
{
	bool found;
	if (!db_preset_overlay(db, name, &found)) {
		return db_cause(db, cause);
	}
	return found || refuse(cause, xasprintf("no preset named '%s' (see tagcon preset list)",
	    name));
}

