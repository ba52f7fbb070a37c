/*
 * schema.c — the schema, as a list of forward migrations.
 *
 * migrations[i] takes a database from user_version i to i + 1.  Never edit a
 * released step: append a new one.  tests/unit/test-migrations.c builds a
 * database at every earlier version and migrates it forward.
 */
#include "db/db-private.h"

#include <stdio.h>

static const char *const migrations[] = {
	/* 0 -> 1: the library model of DESIGN.md §3. */
	"CREATE TABLE roots ("
	"  id INTEGER PRIMARY KEY,"
	"  path BLOB NOT NULL UNIQUE,"
	"  added_at INTEGER NOT NULL"
	");"
	"CREATE TABLE folders ("
	"  id INTEGER PRIMARY KEY,"
	"  root_id INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,"
	"  path BLOB NOT NULL UNIQUE"
	");"
	"CREATE INDEX folders_root ON folders(root_id);"
	/* Content is what a model sees: predictions hang off the hash, so a
	 * copy or a moved file never needs the Space again. */
	"CREATE TABLE contents ("
	"  id INTEGER PRIMARY KEY,"
	"  hash BLOB NOT NULL UNIQUE"
	");"
	/* state: 0 new, 1 tagged, 2 committed, 3 failed, 4 missing.
	 * orientation: 0 unknown, 1 landscape, 2 portrait, 3 square. */
	"CREATE TABLE images ("
	"  id INTEGER PRIMARY KEY,"
	"  folder_id INTEGER NOT NULL REFERENCES folders(id),"
	"  path BLOB NOT NULL UNIQUE,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  mtime_ns INTEGER NOT NULL DEFAULT 0,"
	"  content_id INTEGER REFERENCES contents(id),"
	"  format TEXT,"
	"  width INTEGER NOT NULL DEFAULT 0,"
	"  height INTEGER NOT NULL DEFAULT 0,"
	"  orientation INTEGER NOT NULL DEFAULT 0,"
	"  state INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  added_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE INDEX images_folder ON images(folder_id);"
	"CREATE INDEX images_content ON images(content_id);"
	"CREATE INDEX images_state ON images(state);"
	/* category: 0 general, 4 character, 9 rating (the model's numbers),
	 * 100 orientation, 101 user. */
	"CREATE TABLE tags ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  category INTEGER NOT NULL"
	");"
	"CREATE TABLE models ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE"
	");"
	/* One row per (content, model) that a Space has answered for, with
	 * the four rating scores; predictions then hold every score >= floor. */
	"CREATE TABLE tagged ("
	"  content_id INTEGER NOT NULL REFERENCES contents(id),"
	"  model_id INTEGER NOT NULL REFERENCES models(id),"
	"  rating_general REAL NOT NULL,"
	"  rating_sensitive REAL NOT NULL,"
	"  rating_questionable REAL NOT NULL,"
	"  rating_explicit REAL NOT NULL,"
	"  score_floor REAL NOT NULL,"
	"  space TEXT,"
	"  tagged_at INTEGER NOT NULL,"
	"  PRIMARY KEY (content_id, model_id)"
	") WITHOUT ROWID;"
	"CREATE TABLE predictions ("
	"  content_id INTEGER NOT NULL,"
	"  model_id INTEGER NOT NULL,"
	"  tag_id INTEGER NOT NULL REFERENCES tags(id),"
	"  score REAL NOT NULL,"
	"  PRIMARY KEY (content_id, model_id, tag_id),"
	"  FOREIGN KEY (content_id, model_id) REFERENCES tagged(content_id, model_id)"
	"    ON DELETE CASCADE"
	") WITHOUT ROWID;"
	"CREATE INDEX predictions_tag ON predictions(tag_id, score);"
	/* verdict: 1 accepted, -1 rejected; source: 0 auto, 1 manual. */
	"CREATE TABLE decisions ("
	"  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  tag_id INTEGER NOT NULL REFERENCES tags(id),"
	"  verdict INTEGER NOT NULL,"
	"  source INTEGER NOT NULL,"
	"  decided_at INTEGER NOT NULL,"
	"  PRIMARY KEY (image_id, tag_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX decisions_tag ON decisions(tag_id, verdict);"
	"CREATE TABLE settings ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE presets ("
	"  name TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (name, key)"
	") WITHOUT ROWID;"
	"CREATE TABLE folder_overrides ("
	"  folder BLOB NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (folder, key)"
	") WITHOUT ROWID;"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  pid INTEGER NOT NULL,"
	"  host TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  model TEXT NOT NULL,"
	"  folder BLOB,"
	"  started_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  total INTEGER NOT NULL DEFAULT 0,"
	"  done INTEGER NOT NULL DEFAULT 0,"
	"  skipped INTEGER NOT NULL DEFAULT 0,"
	"  filled INTEGER NOT NULL DEFAULT 0,"
	"  failed INTEGER NOT NULL DEFAULT 0,"
	"  rate REAL NOT NULL DEFAULT 0,"
	"  eta_s REAL"
	");"
	"CREATE TABLE run_spaces ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  url TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  in_flight INTEGER NOT NULL DEFAULT 0,"
	"  done INTEGER NOT NULL DEFAULT 0,"
	"  failed INTEGER NOT NULL DEFAULT 0,"
	"  latency_ms REAL,"
	"  last_error TEXT,"
	"  next_retry_at INTEGER,"
	"  PRIMARY KEY (run_id, url)"
	") WITHOUT ROWID;",

	/* 1 -> 2: control of a running batch from another process. */
	"ALTER TABLE runs ADD COLUMN request TEXT;"
	"ALTER TABLE run_spaces ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
schema_latest(void)
{
	return N_MIGRATIONS;
}

bool
schema_migrate(struct db *db, int from, int to)
{
	for (int v = from; v < to; v++) {
		if (!db_begin(db)) {
			return false;
		}
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d;", v + 1);
		if (!db_exec(db, migrations[v]) || !db_exec(db, pragma)) {
			db_rollback(db);
			return false;
		}
		if (!db_commit(db)) {
			return false;
		}
	}
	return true;
}
