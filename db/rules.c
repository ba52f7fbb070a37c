/* rules.c — tag rules, folder overrides and presets as rows. */
#include "db/rules.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db-private.h"
#include "common/xalloc.h"

static void
bind_path(sqlite3_stmt *st, int col, const char *path)
{
	if (path != NULL) {
		sqlite3_bind_blob(st, col, path, (int)strlen(path), SQLITE_TRANSIENT);
	}
}

static char *
column_path(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		return NULL;
	}
	const void *p = sqlite3_column_blob(st, col);
	return xstrndup(p != NULL ? p : "", (size_t)sqlite3_column_bytes(st, col));
}

/* Whether a rule of that kind, tag and folder exists. */
static bool
rule_exists(struct db *db, const struct db_rule *rule, bool *exists)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT 1 FROM tag_rules WHERE kind = ?1 AND tag = ?2"
	    " AND coalesce(folder, x'') = coalesce(?3, x'')");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int(st, 1, (int)rule->kind);
	sqlite3_bind_text(st, 2, rule->tag, -1, SQLITE_TRANSIENT);
	bind_path(st, 3, rule->folder);
	int rc = sqlite3_step(st);
	*exists = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "rule");
}

bool
db_rule_add(struct db *db, const struct db_rule *rule, bool *added)
{
	bool exists;
	if (!rule_exists(db, rule, &exists)) {
		return false;
	}
	*added = !exists;
	/* Only a threshold names value (schema 9), so that the other rules are
	 * written the same way into a database of any schema since 3 (as
	 * tests/unit/test-migrations.c builds them). */
	sqlite3_stmt *st = db_stmt(db, rule->kind == DB_RULE_THRESHOLD ?
	    "INSERT INTO tag_rules(kind, tag, glob, target, folder, lo, hi, added_at, value)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT(kind, tag, coalesce(folder, x'')) DO UPDATE SET value = excluded.value"
	    : "INSERT INTO tag_rules(kind, tag, glob, target, folder, lo, hi, added_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT(kind, tag, coalesce(folder, x'')) DO UPDATE SET target = excluded.target");
	if (st == NULL) {
		return false;
	}
	char *glob = db_glob_of(rule->tag, rule->kind == DB_RULE_EXCLUDE);
	/* Everywhere (folder NULL) is every absolute path: ["/", "0"). */
	char *lo, *hi;
	db_folder_range(rule->folder != NULL ? rule->folder : "", &lo, &hi);
	sqlite3_bind_int(st, 1, (int)rule->kind);
	sqlite3_bind_text(st, 2, rule->tag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, glob, -1, SQLITE_TRANSIENT);
	if (rule->target != NULL) {
		sqlite3_bind_text(st, 4, rule->target, -1, SQLITE_TRANSIENT);
	}
	bind_path(st, 5, rule->folder);
	bind_path(st, 6, lo);
	bind_path(st, 7, hi);
	sqlite3_bind_int64(st, 8, (int64_t)time(NULL));
	if (rule->kind == DB_RULE_THRESHOLD) {
		sqlite3_bind_double(st, 9, rule->value);
	}
	bool ok = db_step_done(db, st, "add rule");
	free(glob);
	free(lo);
	free(hi);
	return ok;
}

bool
db_rule_remove(struct db *db, enum db_rule_kind kind, const char *tag, const char *folder,
    bool *found)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM tag_rules WHERE kind = ?1 AND tag = ?2"
	    " AND coalesce(folder, x'') = coalesce(?3, x'')");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int(st, 1, (int)kind);
	sqlite3_bind_text(st, 2, tag, -1, SQLITE_TRANSIENT);
	bind_path(st, 3, folder);
	if (!db_step_done(db, st, "remove rule")) {
		return false;
	}
	*found = sqlite3_changes(db->conn) > 0;
	return true;
}

bool
db_rules_each(struct db *db, int kind, void (*fn)(void *ud, const struct db_rule *r),
    void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, kind, tag, target, folder, value FROM tag_rules"
	    " WHERE ?1 < 0 OR kind = ?1 ORDER BY kind, coalesce(folder, x''), tag");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_int(st, 1, kind);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *folder = column_path(st, 4);
		struct db_rule r = {
			.id = sqlite3_column_int64(st, 0),
			.kind = (enum db_rule_kind)sqlite3_column_int(st, 1),
			.tag = (const char *)sqlite3_column_text(st, 2),
			.target = (const char *)sqlite3_column_text(st, 3),
			.folder = folder,
			.value = sqlite3_column_double(st, 5),
		};
		fn(ud, &r);
		free(folder);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "rules");
}

/* Run a statement binding (blob or text a, text b, text c); *changed. */
static bool
write3(struct db *db, const char *sql, bool blob_a, const char *a, const char *b,
    const char *c, bool *changed)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL) {
		return false;
	}
	if (blob_a) {
		bind_path(st, 1, a);
	} else {
		sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	}
	if (b != NULL) {
		sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
	}
	if (c != NULL) {
		sqlite3_bind_text(st, 3, c, -1, SQLITE_TRANSIENT);
	}
	if (!db_step_done(db, st, "write")) {
		return false;
	}
	if (changed != NULL) {
		*changed = sqlite3_changes(db->conn) > 0;
	}
	return true;
}

bool
db_override_set(struct db *db, const char *folder, const char *key, const char *value)
{
	return write3(db, "INSERT INTO folder_overrides(folder, key, value) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT(folder, key) DO UPDATE SET value = excluded.value", true, folder, key,
	    value, NULL);
}

bool
db_override_unset(struct db *db, const char *folder, const char *key, bool *found)
{
	return write3(db, "DELETE FROM folder_overrides WHERE folder = ?1 AND key = ?2", true,
	    folder, key, NULL, found);
}

bool
db_overrides_each(struct db *db,
    void (*fn)(void *ud, const char *folder, const char *key, const char *value), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT folder, key, value FROM folder_overrides"
	    " ORDER BY folder, key");
	if (st == NULL) {
		return false;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *folder = column_path(st, 0);
		fn(ud, folder, (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2));
		free(folder);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "overrides");
}

bool
db_preset_set(struct db *db, const char *name, const char *key, const char *value)
{
	return write3(db, "INSERT INTO main.presets(name, key, value) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT(name, key) DO UPDATE SET value = excluded.value", false, name, key,
	    value, NULL);
}

bool
db_preset_unset(struct db *db, const char *name, const char *key, bool *found)
{
	return write3(db, "DELETE FROM main.presets WHERE name = ?1 AND key = ?2", false, name,
	    key, NULL, found);
}

bool
db_preset_delete(struct db *db, const char *name, bool *found)
{
	return write3(db, "DELETE FROM main.presets WHERE name = ?1", false, name, NULL, NULL,
	    found);
}

bool
db_presets_each(struct db *db, const char *name,
    void (*fn)(void *ud, const char *name, const char *key, const char *value), void *ud)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT name, key, value FROM main.presets"
	    " WHERE ?1 IS NULL OR name = ?1 ORDER BY name, key");
	if (st == NULL) {
		return false;
	}
	if (name != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(ud, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || db_fail(db, "presets");
}

bool
db_preset_overlay(struct db *db, const char *name, bool *found)
{
	*found = false;
	/* The preset's rows go to a temporary table through a bound name; the
	 * view over it is fixed text.  Unqualified "settings" finds the
	 * temporary schema first. */
	if (!db_exec(db, "DROP VIEW IF EXISTS temp.settings;"
	    "CREATE TEMP TABLE IF NOT EXISTS preset_overlay(key TEXT PRIMARY KEY, value TEXT);"
	    "DELETE FROM temp.preset_overlay;")) {
		return false;
	}
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO temp.preset_overlay(key, value)"
	    " SELECT key, value FROM main.presets WHERE name = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (!db_step_done(db, st, "preset")) {
		return false;
	}
	*found = sqlite3_changes(db->conn) > 0;
	return !*found || db_exec(db, "CREATE TEMP VIEW settings AS"
	    " SELECT key, value FROM temp.preset_overlay UNION ALL"
	    " SELECT key, value FROM main.settings"
	    " WHERE key NOT IN (SELECT key FROM temp.preset_overlay);");
}
