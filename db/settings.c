/* settings.c — the settings table. */
#include "db/settings.h"

#include "db/db-private.h"
#include "common/xalloc.h"

bool
db_setting_get(struct db *db, const char *key, char **value)
{
	*value = NULL;
	sqlite3_stmt *st = db_stmt(db, "SELECT value FROM settings WHERE key = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(db, "setting");
}

bool
db_setting_set(struct db *db, const char *key, const char *value)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO settings(key, value) VALUES (?1, ?2)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
	return db_step_done(db, st, "set setting");
}

bool
db_settings_snapshot(struct db *db, char **text)
{
	*text = NULL;
	sqlite3_stmt *st = db_stmt(db, "SELECT group_concat(line, char(10)) FROM ("
	    " SELECT 's ' || quote(key) || quote(value) AS line FROM settings"
	    " UNION ALL SELECT 'p ' || quote(name) || quote(key) || quote(value) FROM presets"
	    " UNION ALL SELECT 'o ' || quote(folder) || quote(key) || quote(value)"
	    "  FROM folder_overrides"
	    " UNION ALL SELECT 'r ' || id || ' ' || kind || quote(tag) || quote(target) ||"
	    "  quote(folder) FROM tag_rules)");
	if (st == NULL) {
		return false;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		*text = xstrdup(t != NULL ? t : "");
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || db_fail(db, "settings snapshot");
}

bool
db_setting_unset(struct db *db, const char *key)
{
	sqlite3_stmt *st = db_stmt(db, "DELETE FROM settings WHERE key = ?1");
	if (st == NULL) {
		return false;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	return db_step_done(db, st, "unset setting");
}
