/*
 * schema.c — the schema, as a list of forward migrations.
 *
 * migrations[i] takes a database from user_version i to i + 1.  Never edit a
 * released step: append a new one.  tests/unit/test-migrations.c builds a
 * database at every earlier version and migrates it forward.
 */
#include "db/db-private.h"
#include "db/postings-private.h"

#include <stdio.h>

/*
 * Triggers of suggest_hist (schema 4).  Each adds (sign "") or takes out
 * (sign "-") the contribution of one row: the number of images not missing
 * that hold the content and have no decision on the tag, in the row's
 * bucket.  Update triggers come in pairs: the old row out, the new one in.
 */
#define HIST_UPSERT \
	" INSERT INTO suggest_hist(model_id, category, bucket, n)"
#define HIST_ON_CONFLICT " GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET n = n + excluded.n;"
#define HIST_UNDECIDED(img, tag) \
	" AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = " img \
	" AND d.tag_id = " tag ")"

/* A prediction row (row = new or old) in or out. */
#define HIST_PRED_TRIGGER(name, when, row, sign) \
	"CREATE TRIGGER " name " " when " ON predictions BEGIN" HIST_UPSERT \
	" SELECT " row ".model_id, g.category, CAST(" row ".score * 1000 AS INTEGER), " sign \
	"count(*) FROM tags g JOIN images i ON i.content_id = " row ".content_id" \
	" WHERE g.id = " row ".tag_id AND i.state != 4" \
	HIST_UNDECIDED("i.id", row ".tag_id") HIST_ON_CONFLICT " END;"

/* A decision appears (its predictions out) or goes (in again). */
#define HIST_DECISION_TRIGGER(name, when, row, sign, cond) \
	"CREATE TRIGGER " name " " when " ON decisions" cond " BEGIN" HIST_UPSERT \
	" SELECT p.model_id, g.category, CAST(p.score * 1000 AS INTEGER), " sign "count(*)" \
	" FROM images i JOIN predictions p ON p.content_id = i.content_id" \
	" JOIN tags g ON g.id = p.tag_id" \
	" WHERE i.id = " row ".image_id AND i.state != 4 AND p.tag_id = " row ".tag_id" \
	HIST_ON_CONFLICT " END;"

/* An image with content appears, goes, changes content or goes missing. */
#define HIST_IMAGE_MOVED \
	" WHEN old.content_id IS NOT new.content_id OR (old.state = 4) != (new.state = 4)"
#define HIST_IMAGE_TRIGGER(name, when, row, sign, cond) \
	"CREATE TRIGGER " name " " when " ON images" cond " BEGIN" HIST_UPSERT \
	" SELECT p.model_id, g.category, CAST(p.score * 1000 AS INTEGER), " sign "count(*)" \
	" FROM predictions p JOIN tags g ON g.id = p.tag_id" \
	" WHERE p.content_id = " row ".content_id AND " row ".state != 4" \
	HIST_UNDECIDED(row ".id", "p.tag_id") HIST_ON_CONFLICT " END;"

/*
 * Triggers of suggest_hist from schema 5 on: the same contributions, keyed
 * also by mcut, whether the score is above the MCut cut of its category
 * stored with its answer (tagged t, LEFT JOINed: without an answer row or a
 * cut, a score is not above it).
 */
#define HIST5_UPSERT " INSERT INTO suggest_hist(model_id, category, mcut, bucket, n)"
#define HIST5_ON_CONFLICT " GROUP BY 1, 2, 3, 4 ON CONFLICT DO UPDATE SET n = n + excluded.n;"
/* Prediction row (tags g) above gen (general) or chr (character): 0 or 1. */
#define HIST5_ABOVE(row, gen, chr) \
	"((CASE g.category WHEN 0 THEN " row ".score > " gen " WHEN 4 THEN " row ".score > " chr \
	" END) IS 1)"
#define HIST5_KEY(row) \
	row ".model_id, g.category, " HIST5_ABOVE(row, "t.mcut_general", "t.mcut_character") \
	", CAST(" row ".score * 1000 AS INTEGER)"
#define HIST5_ANSWER(row) \
	" LEFT JOIN tagged t ON t.content_id = " row ".content_id AND t.model_id = " row ".model_id"

#define HIST5_PRED_TRIGGER(name, when, row, sign) \
	"CREATE TRIGGER " name " " when " ON predictions BEGIN" HIST5_UPSERT \
	" SELECT " HIST5_KEY(row) ", " sign "count(*) FROM tags g" \
	" JOIN images i ON i.content_id = " row ".content_id" HIST5_ANSWER(row) \
	" WHERE g.id = " row ".tag_id AND i.state != 4" \
	HIST_UNDECIDED("i.id", row ".tag_id") HIST5_ON_CONFLICT " END;"

#define HIST5_DECISION_TRIGGER(name, when, row, sign, cond) \
	"CREATE TRIGGER " name " " when " ON decisions" cond " BEGIN" HIST5_UPSERT \
	" SELECT " HIST5_KEY("p") ", " sign "count(*)" \
	" FROM images i JOIN predictions p ON p.content_id = i.content_id" \
	" JOIN tags g ON g.id = p.tag_id" HIST5_ANSWER("p") \
	" WHERE i.id = " row ".image_id AND i.state != 4 AND p.tag_id = " row ".tag_id" \
	HIST5_ON_CONFLICT " END;"

#define HIST5_IMAGE_TRIGGER(name, when, row, sign, cond) \
	"CREATE TRIGGER " name " " when " ON images" cond " BEGIN" HIST5_UPSERT \
	" SELECT " HIST5_KEY("p") ", " sign "count(*)" \
	" FROM predictions p JOIN tags g ON g.id = p.tag_id" HIST5_ANSWER("p") \
	" WHERE p.content_id = " row ".content_id AND " row ".state != 4" \
	HIST_UNDECIDED(row ".id", "p.tag_id") HIST5_ON_CONFLICT " END;"

/* An answer's cuts change (row = old: out, new: in): only the predictions
 * that cross a cut move between mcut 0 and 1. */
#define HIST5_CUT_MOVE(row, sign) \
	HIST5_UPSERT " SELECT p.model_id, g.category, " \
	HIST5_ABOVE("p", row ".mcut_general", row ".mcut_character") \
	", CAST(p.score * 1000 AS INTEGER), " sign "count(*)" \
	" FROM predictions p JOIN tags g ON g.id = p.tag_id" \
	" JOIN images i ON i.content_id = p.content_id" \
	" WHERE p.content_id = new.content_id AND p.model_id = new.model_id AND i.state != 4" \
	HIST_UNDECIDED("i.id", "p.tag_id") \
	" AND " HIST5_ABOVE("p", "old.mcut_general", "old.mcut_character") " != " \
	HIST5_ABOVE("p", "new.mcut_general", "new.mcut_character") HIST5_ON_CONFLICT

/* Posting lists' log (schema 10): one entry saying whether image is in set
 * now; only once the bitmaps are built. */
#define POSTINGS_BUILT " WHEN (SELECT built FROM postings_state WHERE id = 1) = 1"
#define POSTINGS_LOG(set, image, present) \
	" INSERT INTO postings_log(set_id, image_id, present) VALUES (" set ", " image ", " \
	present ");"
/* The images' sets of one column (state: schema 14, orientation: 15), a
 * set per value VALID() accepts, SET() its id: the triggers logging an
 * image out of its old value's set and into its new one.  typeof() too:
 * 2 and 2.5 differ, and a text '2' (a script's, in an INTEGER column
 * stored as 2) does not. */
#define POSTINGS_COLUMN_TRIGGERS(col, SET, VALID) \
	"CREATE TRIGGER postings_" col "_ins AFTER INSERT ON images" POSTINGS_BUILT \
	" AND " VALID("new." col) " BEGIN" POSTINGS_LOG(SET("new." col), "new.id", "1") " END;" \
	"CREATE TRIGGER postings_" col "_del AFTER DELETE ON images" POSTINGS_BUILT \
	" AND " VALID("old." col) " BEGIN" POSTINGS_LOG(SET("old." col), "old.id", "0") " END;" \
	"CREATE TRIGGER postings_" col "_upd AFTER UPDATE OF id, " col " ON images" POSTINGS_BUILT \
	" AND (old.id != new.id OR old." col " IS NOT new." col \
	" OR typeof(old." col ") != typeof(new." col ")) BEGIN" \
	" INSERT INTO postings_log(set_id, image_id, present) SELECT " SET("old." col) \
	", old.id, 0 WHERE " VALID("old." col) ";" \
	" INSERT INTO postings_log(set_id, image_id, present) SELECT " SET("new." col) \
	", new.id, 1 WHERE " VALID("new." col) ";" \
	" END;"

/*
 * Bit slices of an image's sizes (schema 17, DB_SLICES_* in db-private.h):
 * one entry in the score sets' log per change of column col, its value's
 * code; an image moved to another id leaves its old one gone.
 */
#define SLICES_LOG(tag, img, code) \
	SCORES_LOG " VALUES (" DB_SCORE_SET_SQL(DB_SLICES_MODEL_SQL, tag, \
	DB_SQL_NUM(DB_SLICES_VALUE)) ", " img ", " code ");"
#define SLICES_TRIGGERS(col, tag) \
	"CREATE TRIGGER slices_" col "_ins AFTER INSERT ON images" SCORES_ON " BEGIN" \
	SLICES_LOG(tag, "new.id", DB_SLICES_CODE_SQL("new." col)) " END;" \
	"CREATE TRIGGER slices_" col "_del AFTER DELETE ON images" SCORES_ON " BEGIN" \
	SLICES_LOG(tag, "old.id", DB_SQL_NUM(DB_SLICES_CODE_GONE)) " END;" \
	"CREATE TRIGGER slices_" col "_upd AFTER UPDATE OF id, " col " ON images" SCORES_ON \
	" AND (old.id != new.id OR old." col " IS NOT new." col \
	" OR typeof(old." col ") != typeof(new." col ")) BEGIN" \
	SCORES_LOG " SELECT " DB_SCORE_SET_SQL(DB_SLICES_MODEL_SQL, tag, \
	DB_SQL_NUM(DB_SLICES_VALUE)) ", old.id, " DB_SQL_NUM(DB_SLICES_CODE_GONE) \
	" WHERE old.id != new.id;" \
	SLICES_LOG(tag, "new.id", DB_SLICES_CODE_SQL("new." col)) " END;"

/*
 * Score bands' dirty images (schema 12, db/bands.h): every change that can
 * move an image in or out of a band set (its decisions, its content's
 * predictions and answer, the image itself) marks the image, in the same
 * transaction; a reader works the marked images out again from their rows,
 * and a fold writes them into the bitmaps.  A mark is cheap (one row per
 * image, however many changes), and right whatever the order of the
 * changes, an INSERT OR REPLACE included.  Only once a band build has
 * begun (postings_state.bands = 1).
 */
#define BANDS_ON " WHEN (SELECT bands FROM postings_state WHERE id = 1) = 1"
#define BANDS_MARK(img) " INSERT OR IGNORE INTO bands_dirty(image_id) VALUES (" img ");"
#define BANDS_MARK_CONTENT(c) \
	" INSERT OR IGNORE INTO bands_dirty(image_id) SELECT id FROM images" \
	" WHERE content_id = " c ";"

/*
 * Score sets' log (schema 13, db/scores.h): every change to a row a score
 * set derives from logs, for every image concerned, whether it is in the
 * set now, in the same transaction.  Each (set, image) pair derives from
 * one row (a prediction, an answer, a decision), so the last entry for a
 * pair is its value.  Entries are what an answer costs to store, so only
 * memberships that change are logged: a prediction is above its answer's
 * MCut cut for few tags.  In a cascade (an answer deleted) the answer's
 * BEFORE DELETE trigger logs its predictions out of the above sets while
 * they can still be told apart; the predictions' own delete finds no
 * answer then.  Only once a build has begun (postings_state.scores = 1).
 */
#define SCORES_ON " WHEN (SELECT scores FROM postings_state WHERE id = 1) = 1"
#define SCORES_LOG " INSERT INTO scores_log(set_id, image_id, present)"
#define SCORES_BAND_SET DB_SCORE_BAND_SET_SQL
#define SCORES_ABOVE_SET DB_SCORE_ABOVE_SET_SQL
/* Prediction p (tags g) above the MCut cut of answer a (old or new). */
#define SCORES_SIDE(p, g, a) DB_BAND_SIDE_WITH_SQL(p, g, a ".mcut_general", a ".mcut_character")
/* Prediction p above its answer's cut as the rows stand (no answer: not). */
#define SCORES_ABOVE_NOW(p) \
	"coalesce((SELECT " DB_BAND_SIDE_SQL(p, "g", "t") " FROM tags g JOIN tagged t" \
	" ON t.content_id = " p ".content_id AND t.model_id = " p ".model_id" \
	" WHERE g.id = " p ".tag_id), 0)"
/* Prediction p (old or new), for every image of its content. */
#define SCORES_PRED(p, present) \
	SCORES_LOG " SELECT " SCORES_BAND_SET(p) ", i.id, " present " FROM images i" \
	" WHERE i.content_id = " p ".content_id;" \
	SCORES_LOG " SELECT " SCORES_ABOVE_SET(p) ", i.id, " present " FROM images i" \
	" WHERE i.content_id = " p ".content_id AND " SCORES_ABOVE_NOW(p) ";"
#define SCORES_PRED_OUT(p) SCORES_PRED(p, "0")
#define SCORES_PRED_IN(p) SCORES_PRED(p, "1")
/* Answer a (old or new): the images it answers, their rating, and its
 * predictions above its MCut cuts. */
#define SCORES_ANSWER(a, present) \
	SCORES_LOG " SELECT " DB_SCORE_SET_SQL(a ".model_id", "0", "0") ", i.id, " present \
	" FROM images i WHERE i.content_id = " a ".content_id;" \
	SCORES_LOG " SELECT " DB_SCORE_SET_SQL(a ".model_id", "0", "1 + " DB_RATING_OF_SQL(a)) \
	", i.id, " present " FROM images i WHERE i.content_id = " a ".content_id;" \
	SCORES_LOG " SELECT " SCORES_ABOVE_SET("p") ", i.id, " present " FROM predictions p" \
	" JOIN tags g ON g.id = p.tag_id JOIN images i ON i.content_id = p.content_id" \
	" WHERE p.content_id = " a ".content_id AND p.model_id = " a ".model_id AND " \
	SCORES_SIDE("p", "g", a) ";"
#define SCORES_SAME_ANSWER \
	"old.content_id IS new.content_id AND old.model_id IS new.model_id" \
	" AND old.rating_general IS new.rating_general" \
	" AND old.rating_sensitive IS new.rating_sensitive" \
	" AND old.rating_questionable IS new.rating_questionable" \
	" AND old.rating_explicit IS new.rating_explicit"
/* Image img with content c, in or out of every set its content's rows
 * put it in (the rows stand as they are). */
#define SCORES_IMAGE(img, c, present) \
	SCORES_LOG " SELECT " SCORES_BAND_SET("p") ", " img ", " present " FROM predictions p" \
	" WHERE p.content_id = " c ";" \
	SCORES_LOG " SELECT " SCORES_ABOVE_SET("p") ", " img ", " present " FROM predictions p" \
	" JOIN tags g ON g.id = p.tag_id JOIN tagged t ON t.content_id = p.content_id" \
	" AND t.model_id = p.model_id WHERE p.content_id = " c " AND " \
	DB_BAND_SIDE_SQL("p", "g", "t") ";" \
	SCORES_LOG " SELECT " DB_SCORE_SET_SQL("t.model_id", "0", "0") ", " img ", " present \
	" FROM tagged t WHERE t.content_id = " c ";" \
	SCORES_LOG " SELECT " DB_SCORE_SET_SQL("t.model_id", "0", "1 + " DB_RATING_OF_SQL("t")) \
	", " img ", " present " FROM tagged t WHERE t.content_id = " c ";"
#define SCORES_DECIDED(d, present) \
	SCORES_LOG " VALUES (" DB_SCORE_SET_SQL("0", d ".tag_id", "102") ", " d ".image_id, " \
	present ");"

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

	/* 2 -> 3: tag rules (db/rules.h).  kind: 0 exclude (tag may hold '*'),
	 * 1 alias (tag becomes target), 2 pin (always suggested below folder).
	 * glob is tag as a GLOB pattern; [lo, hi) the path range of folder
	 * ("/" .. "0", every path, when folder is NULL), so search SQL tests
	 * "below the folder" on the images.path index order. */
	"CREATE TABLE tag_rules ("
	"  id INTEGER PRIMARY KEY,"
	"  kind INTEGER NOT NULL,"
	"  tag TEXT NOT NULL,"
	"  glob TEXT NOT NULL,"
	"  target TEXT,"
	"  folder BLOB,"
	"  lo BLOB NOT NULL,"
	"  hi BLOB NOT NULL,"
	"  added_at INTEGER NOT NULL"
	");"
	"CREATE UNIQUE INDEX tag_rules_key ON tag_rules(kind, tag, coalesce(folder, x''));"
	"CREATE INDEX tag_rules_target ON tag_rules(kind, target);",

	/* 3 -> 4: suggest_hist, the scores that can become suggestions,
	 * counted per model, category and 1/1000 of score (bucket =
	 * CAST(score * 1000 AS INTEGER)): one per (image not missing,
	 * prediction of its content) that the image has no decision on.  With
	 * it db/search-count.c counts every suggestion of a million images
	 * under a new threshold without reading 30 million predictions.
	 * Triggers keep it: write predictions with INSERT or INSERT OR
	 * REPLACE (the BEFORE trigger takes out the row a REPLACE drops);
	 * images are deleted by BEFORE trigger, before their decisions go. */
	"CREATE TABLE suggest_hist ("
	"  model_id INTEGER NOT NULL,"
	"  category INTEGER NOT NULL,"
	"  bucket INTEGER NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (model_id, category, bucket)"
	") WITHOUT ROWID;"
	/* Images in id order: predictions and decisions come in their key
	 * order too (a million images: 1.5 minutes rather than 10). */
	"INSERT INTO suggest_hist(model_id, category, bucket, n)"
	" SELECT p.model_id, g.category, CAST(p.score * 1000 AS INTEGER), count(*)"
	" FROM images i CROSS JOIN predictions p ON p.content_id = i.content_id"
	" CROSS JOIN tags g ON g.id = p.tag_id"
	" WHERE i.state != 4 AND NOT EXISTS (SELECT 1 FROM decisions d"
	"  WHERE d.image_id = i.id AND d.tag_id = p.tag_id)"
	" GROUP BY 1, 2, 3;"
	HIST_PRED_TRIGGER("suggest_hist_pred_ins", "AFTER INSERT", "new", "")
	HIST_PRED_TRIGGER("suggest_hist_pred_del", "AFTER DELETE", "old", "-")
	HIST_PRED_TRIGGER("suggest_hist_pred_old", "AFTER UPDATE", "old", "-")
	HIST_PRED_TRIGGER("suggest_hist_pred_new", "AFTER UPDATE", "new", "")
	"CREATE TRIGGER suggest_hist_pred_replace BEFORE INSERT ON predictions BEGIN"
	" INSERT INTO suggest_hist(model_id, category, bucket, n)"
	" SELECT p.model_id, g.category, CAST(p.score * 1000 AS INTEGER), -count(*)"
	" FROM predictions p JOIN tags g ON g.id = p.tag_id"
	" JOIN images i ON i.content_id = p.content_id"
	" WHERE p.content_id = new.content_id AND p.model_id = new.model_id"
	"  AND p.tag_id = new.tag_id AND i.state != 4 AND NOT EXISTS (SELECT 1 FROM decisions d"
	"  WHERE d.image_id = i.id AND d.tag_id = p.tag_id)"
	" GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET n = n + excluded.n; END;"
	HIST_DECISION_TRIGGER("suggest_hist_dec_ins", "BEFORE INSERT", "new", "-",
	    " WHEN NOT EXISTS (SELECT 1 FROM decisions WHERE image_id = new.image_id"
	    " AND tag_id = new.tag_id)")
	HIST_DECISION_TRIGGER("suggest_hist_dec_del", "AFTER DELETE", "old", "", "")
	HIST_DECISION_TRIGGER("suggest_hist_dec_old", "AFTER UPDATE OF image_id, tag_id", "old",
	    "", "")
	HIST_DECISION_TRIGGER("suggest_hist_dec_new", "AFTER UPDATE OF image_id, tag_id", "new",
	    "-", "")
	HIST_IMAGE_TRIGGER("suggest_hist_img_ins", "AFTER INSERT", "new", "", "")
	HIST_IMAGE_TRIGGER("suggest_hist_img_del", "BEFORE DELETE", "old", "-", "")
	HIST_IMAGE_TRIGGER("suggest_hist_img_old", "AFTER UPDATE OF content_id, state", "old", "-",
	    HIST_IMAGE_MOVED)
	HIST_IMAGE_TRIGGER("suggest_hist_img_new", "AFTER UPDATE OF content_id, state", "new", "",
	    HIST_IMAGE_MOVED),

	/* 4 -> 5: MCut without reading the scores.  Each answer keeps the MCut
	 * cut of its general and of its character scores (DB_MCUT_SQL; the
	 * character one never below 0.15), set by db_store_answer() once its
	 * predictions are in; NULL until then (no score is above it).
	 * suggest_hist gains mcut: whether the score is above its answer's cut,
	 * so every MCut suggestion of the library is a sum of mcut = 1 rows.
	 * The histogram is split, not rebuilt: what moves to mcut = 1 is
	 * counted over the predictions above their cut (100k images: 2 s
	 * rather than 9).  Predictions now go before their answer
	 * row: the foreign key's cascade runs after that row is gone, when the
	 * triggers could no longer read its cuts. */
	"DROP TRIGGER suggest_hist_pred_ins; DROP TRIGGER suggest_hist_pred_del;"
	"DROP TRIGGER suggest_hist_pred_old; DROP TRIGGER suggest_hist_pred_new;"
	"DROP TRIGGER suggest_hist_pred_replace;"
	"DROP TRIGGER suggest_hist_dec_ins; DROP TRIGGER suggest_hist_dec_del;"
	"DROP TRIGGER suggest_hist_dec_old; DROP TRIGGER suggest_hist_dec_new;"
	"DROP TRIGGER suggest_hist_img_ins; DROP TRIGGER suggest_hist_img_del;"
	"DROP TRIGGER suggest_hist_img_old; DROP TRIGGER suggest_hist_img_new;"
	"ALTER TABLE tagged ADD COLUMN mcut_general REAL;"
	"ALTER TABLE tagged ADD COLUMN mcut_character REAL;"
	"UPDATE tagged SET mcut_general = "
	DB_MCUT_GENERAL_SQL("tagged.content_id", "tagged.model_id") ", mcut_character = "
	DB_MCUT_CHARACTER_SQL("tagged.content_id", "tagged.model_id") ";"
	"ALTER TABLE suggest_hist RENAME TO suggest_hist_4;"
	"CREATE TABLE suggest_hist ("
	"  model_id INTEGER NOT NULL,"
	"  category INTEGER NOT NULL,"
	"  mcut INTEGER NOT NULL,"
	"  bucket INTEGER NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (model_id, category, mcut, bucket)"
	") WITHOUT ROWID;"
	"INSERT INTO suggest_hist SELECT model_id, category, 0, bucket, n FROM suggest_hist_4;"
	"DROP TABLE suggest_hist_4;"
	HIST5_UPSERT " SELECT p.model_id, g.category, 1, CAST(p.score * 1000 AS INTEGER), count(*)"
	" FROM tagged t CROSS JOIN predictions p ON p.content_id = t.content_id"
	"  AND p.model_id = t.model_id CROSS JOIN tags g ON g.id = p.tag_id"
	" CROSS JOIN images i ON i.content_id = p.content_id"
	" WHERE " HIST5_ABOVE("p", "t.mcut_general", "t.mcut_character") " AND i.state != 4"
	HIST_UNDECIDED("i.id", "p.tag_id") " GROUP BY 1, 2, 3, 4;"
	HIST5_UPSERT " SELECT model_id, category, 0, bucket, -n FROM suggest_hist WHERE mcut = 1"
	" ON CONFLICT DO UPDATE SET n = n + excluded.n;"
	"DELETE FROM suggest_hist WHERE n = 0;"
	HIST5_PRED_TRIGGER("suggest_hist_pred_ins", "AFTER INSERT", "new", "")
	HIST5_PRED_TRIGGER("suggest_hist_pred_del", "AFTER DELETE", "old", "-")
	HIST5_PRED_TRIGGER("suggest_hist_pred_old", "AFTER UPDATE", "old", "-")
	HIST5_PRED_TRIGGER("suggest_hist_pred_new", "AFTER UPDATE", "new", "")
	"CREATE TRIGGER suggest_hist_pred_replace BEFORE INSERT ON predictions BEGIN" HIST5_UPSERT
	" SELECT " HIST5_KEY("p") ", -count(*) FROM predictions p JOIN tags g ON g.id = p.tag_id"
	" JOIN images i ON i.content_id = p.content_id" HIST5_ANSWER("p")
	" WHERE p.content_id = new.content_id AND p.model_id = new.model_id"
	"  AND p.tag_id = new.tag_id AND i.state != 4" HIST_UNDECIDED("i.id", "p.tag_id")
	HIST5_ON_CONFLICT " END;"
	HIST5_DECISION_TRIGGER("suggest_hist_dec_ins", "BEFORE INSERT", "new", "-",
	    " WHEN NOT EXISTS (SELECT 1 FROM decisions WHERE image_id = new.image_id"
	    " AND tag_id = new.tag_id)")
	HIST5_DECISION_TRIGGER("suggest_hist_dec_del", "AFTER DELETE", "old", "", "")
	HIST5_DECISION_TRIGGER("suggest_hist_dec_old", "AFTER UPDATE OF image_id, tag_id", "old",
	    "", "")
	HIST5_DECISION_TRIGGER("suggest_hist_dec_new", "AFTER UPDATE OF image_id, tag_id", "new",
	    "-", "")
	HIST5_IMAGE_TRIGGER("suggest_hist_img_ins", "AFTER INSERT", "new", "", "")
	HIST5_IMAGE_TRIGGER("suggest_hist_img_del", "BEFORE DELETE", "old", "-", "")
	HIST5_IMAGE_TRIGGER("suggest_hist_img_old", "AFTER UPDATE OF content_id, state", "old", "-",
	    HIST_IMAGE_MOVED)
	HIST5_IMAGE_TRIGGER("suggest_hist_img_new", "AFTER UPDATE OF content_id, state", "new", "",
	    HIST_IMAGE_MOVED)
	"CREATE TRIGGER suggest_hist_cut AFTER UPDATE OF mcut_general, mcut_character ON tagged"
	" BEGIN" HIST5_CUT_MOVE("old", "-") HIST5_CUT_MOVE("new", "") " END;"
	"CREATE TRIGGER suggest_hist_answer_del BEFORE DELETE ON tagged BEGIN"
	" DELETE FROM predictions WHERE content_id = old.content_id AND model_id = old.model_id;"
	" END;",

	/* 5 -> 6: request_timeout only ever caught silence, though its help
	 * promised a bound on the whole request.  It is request_deadline now
	 * (silence has silence_timeout of its own), and a stored value keeps
	 * what the person meant by it: the most one request may take. */
	"UPDATE settings SET key = 'request_deadline' WHERE key = 'request_timeout'"
	" AND NOT EXISTS (SELECT 1 FROM settings WHERE key = 'request_deadline');"
	"DELETE FROM settings WHERE key = 'request_timeout';"
	"UPDATE presets SET key = 'request_deadline' WHERE key = 'request_timeout'"
	" AND NOT EXISTS (SELECT 1 FROM presets p WHERE p.name = presets.name"
	"  AND p.key = 'request_deadline');"
	"DELETE FROM presets WHERE key = 'request_timeout';",

	/* 6 -> 7: hedged requests (DESIGN.md §5, the tail), counted per Space
	 * of a run: copies of requests late on another Space sent to this one. */
	"ALTER TABLE run_spaces ADD COLUMN hedges INTEGER NOT NULL DEFAULT 0;",

	/* 7 -> 8: a batch with a model no Space offered marked every image
	 * failed, even those with an answer; a later batch left them so.  An
	 * image's state follows from what is stored (db_image_derive_state):
	 * failed at the Spaces (attempts > 0) but answered, or with a tag a
	 * person accepted, it is tagged or committed again. */
	"UPDATE images SET state = CASE WHEN EXISTS (SELECT 1 FROM decisions d"
	"  WHERE d.image_id = images.id AND d.verdict = 1) THEN 2 ELSE 1 END,"
	" error = NULL, attempts = 0"
	" WHERE state = 3 AND attempts > 0 AND content_id IS NOT NULL"
	" AND (EXISTS (SELECT 1 FROM tagged t WHERE t.content_id = images.content_id)"
	"  OR EXISTS (SELECT 1 FROM decisions d WHERE d.image_id = images.id AND d.verdict = 1));",

	/* 8 -> 9: per-tag thresholds (kind 3 of tag_rules): value is the cut
	 * a prediction of tag must pass below folder, in place of its
	 * category's threshold or MCut. */
	"ALTER TABLE tag_rules ADD COLUMN value REAL;",

	/* 9 -> 10: posting lists (db/postings.h): each tag's images with the
	 * tag accepted, and the images not missing (set 0), as bitmaps, with
	 * the log of changes since; the triggers write the log in the same
	 * transaction as the change, whoever writes.  Lazy: the bitmaps are
	 * built by the first count that needs them (built = 0 until then, and
	 * nothing is logged), so the migration is instant at any size. */
	"CREATE TABLE postings ("
	"  set_id INTEGER PRIMARY KEY,"
	"  bits BLOB NOT NULL"
	");"
	"CREATE TABLE postings_log ("
	"  seq INTEGER PRIMARY KEY,"
	"  set_id INTEGER NOT NULL,"
	"  image_id INTEGER NOT NULL,"
	"  present INTEGER NOT NULL"
	");"
	"CREATE TABLE postings_state ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  built INTEGER NOT NULL"
	");"
	"INSERT INTO postings_state(id, built) VALUES (1, 0);"
	/* An insert always says where it leaves the pair: an INSERT OR
	 * REPLACE deletes the old row without a delete trigger. */
	"CREATE TRIGGER postings_dec_ins AFTER INSERT ON decisions" POSTINGS_BUILT
	" BEGIN" POSTINGS_LOG("new.tag_id", "new.image_id", "new.verdict = 1") " END;"
	"CREATE TRIGGER postings_dec_del AFTER DELETE ON decisions" POSTINGS_BUILT
	" AND old.verdict = 1 BEGIN" POSTINGS_LOG("old.tag_id", "old.image_id", "0") " END;"
	"CREATE TRIGGER postings_dec_upd AFTER UPDATE OF image_id, tag_id, verdict ON decisions"
	POSTINGS_BUILT " AND (old.verdict = 1 OR new.verdict = 1) BEGIN"
	POSTINGS_LOG("old.tag_id", "old.image_id", "0")
	POSTINGS_LOG("new.tag_id", "new.image_id", "new.verdict = 1") " END;"
	"CREATE TRIGGER postings_img_ins AFTER INSERT ON images" POSTINGS_BUILT
	" BEGIN" POSTINGS_LOG("0", "new.id", "new.state != 4") " END;"
	"CREATE TRIGGER postings_img_del AFTER DELETE ON images" POSTINGS_BUILT
	" BEGIN" POSTINGS_LOG("0", "old.id", "0") " END;"
	"CREATE TRIGGER postings_img_upd AFTER UPDATE OF id, state ON images" POSTINGS_BUILT
	" AND (old.id != new.id OR (old.state = 4) != (new.state = 4)) BEGIN"
	POSTINGS_LOG("0", "old.id", "0") POSTINGS_LOG("0", "new.id", "new.state != 4") " END;",

	/* 10 -> 11: claims (db/review.h): the image a console has open under
	 * review, so that another console's next image is another one.  A
	 * claim expires (expires_at, seconds) unless its console renews it. */
	"CREATE TABLE claims ("
	"  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,"
	"  holder TEXT NOT NULL,"
	"  expires_at INTEGER NOT NULL"
	");",

	/* 11 -> 12: score bands (db/bands.h, DB_BAND_* in db-private.h): the
	 * images with an undecided prediction in each band of score, per
	 * model, category and side of the MCut cut, so the Settings screen
	 * counts the images a threshold step changes from a few bitmaps.  In
	 * the posting lists' table, with their own marks of changed images;
	 * lazy: built by the first question (bands = 1 from then on: the
	 * triggers mark). */
	"ALTER TABLE postings_state ADD COLUMN bands INTEGER NOT NULL DEFAULT 0;"
	/* The next image to review in path order (state, then path: a range,
	 * where images_state sorted every tagged image: 1.6 s at 5M), and a
	 * folder's counts by state (14-19 s at 5M with folders spread out). */
	"CREATE INDEX images_state_path ON images(state, path);"
	"DROP INDEX images_state;"
	"CREATE INDEX images_folder_state ON images(folder_id, state);"
	"DROP INDEX images_folder;"
	"CREATE TABLE bands_dirty ("
	"  image_id INTEGER PRIMARY KEY"
	");"
	"CREATE TRIGGER bands_dec_ins AFTER INSERT ON decisions" BANDS_ON " BEGIN"
	BANDS_MARK("new.image_id") " END;"
	"CREATE TRIGGER bands_dec_del AFTER DELETE ON decisions" BANDS_ON " BEGIN"
	BANDS_MARK("old.image_id") " END;"
	"CREATE TRIGGER bands_dec_upd AFTER UPDATE OF image_id, tag_id ON decisions" BANDS_ON
	" BEGIN" BANDS_MARK("old.image_id") BANDS_MARK("new.image_id") " END;"
	"CREATE TRIGGER bands_pred_ins AFTER INSERT ON predictions" BANDS_ON " BEGIN"
	BANDS_MARK_CONTENT("new.content_id") " END;"
	"CREATE TRIGGER bands_pred_del AFTER DELETE ON predictions" BANDS_ON " BEGIN"
	BANDS_MARK_CONTENT("old.content_id") " END;"
	"CREATE TRIGGER bands_pred_upd AFTER UPDATE ON predictions" BANDS_ON " BEGIN"
	BANDS_MARK_CONTENT("old.content_id") BANDS_MARK_CONTENT("new.content_id") " END;"
	"CREATE TRIGGER bands_ans_ins AFTER INSERT ON tagged" BANDS_ON " BEGIN"
	BANDS_MARK_CONTENT("new.content_id") " END;"
	"CREATE TRIGGER bands_ans_del AFTER DELETE ON tagged" BANDS_ON " BEGIN"
	BANDS_MARK_CONTENT("old.content_id") " END;"
	"CREATE TRIGGER bands_ans_upd AFTER UPDATE ON tagged" BANDS_ON " BEGIN"
	BANDS_MARK_CONTENT("old.content_id") BANDS_MARK_CONTENT("new.content_id") " END;"
	"CREATE TRIGGER bands_img_ins AFTER INSERT ON images" BANDS_ON " BEGIN"
	BANDS_MARK("new.id") " END;"
	"CREATE TRIGGER bands_img_del AFTER DELETE ON images" BANDS_ON " BEGIN"
	BANDS_MARK("old.id") " END;"
	"CREATE TRIGGER bands_img_upd AFTER UPDATE OF id, content_id ON images" BANDS_ON
	" BEGIN" BANDS_MARK("old.id") BANDS_MARK("new.id") " END;",

	/* 12 -> 13: score sets (db/scores.h, DB_SCORE_* in db-private.h): per
	 * model and tag, the images with a prediction in each band of score
	 * and above the MCut cut; per tag the images decided; per model the
	 * images answered and rated; so that suggested:, score: and rating:
	 * terms and the rating filter join the posting lists' algebra.  A row
	 * per group (model and tag: set id less its slot) and block of 65,536
	 * image ids (a fold rewrites the blocks it touches, not whole sets),
	 * with a log of their own; lazy: built by the first count that needs
	 * them (scores = 1 from then on). */
	"ALTER TABLE postings_state ADD COLUMN scores INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE scores ("
	"  id INTEGER PRIMARY KEY," /* group << 16 | block */
	"  bits BLOB NOT NULL"
	");"
	"CREATE TABLE scores_log ("
	"  seq INTEGER PRIMARY KEY,"
	"  set_id INTEGER NOT NULL,"
	"  image_id INTEGER NOT NULL,"
	"  present INTEGER NOT NULL"
	");"
	"CREATE INDEX scores_log_set ON scores_log(set_id);"
	/* An INSERT OR REPLACE deletes the old row without a delete trigger:
	 * the insert logs it out first (predictions and answers). */
	"CREATE TRIGGER scores_pred_replace BEFORE INSERT ON predictions" SCORES_ON " BEGIN"
	SCORES_LOG " SELECT " SCORES_BAND_SET("po") ", i.id, 0 FROM predictions po JOIN images i"
	" ON i.content_id = po.content_id WHERE po.content_id = new.content_id"
	" AND po.model_id = new.model_id AND po.tag_id = new.tag_id;"
	SCORES_LOG " SELECT " SCORES_ABOVE_SET("po") ", i.id, 0 FROM predictions po JOIN images i"
	" ON i.content_id = po.content_id WHERE po.content_id = new.content_id"
	" AND po.model_id = new.model_id AND po.tag_id = new.tag_id AND " SCORES_ABOVE_NOW("po")
	"; END;"
	"CREATE TRIGGER scores_pred_ins AFTER INSERT ON predictions" SCORES_ON " BEGIN"
	SCORES_PRED_IN("new") " END;"
	"CREATE TRIGGER scores_pred_del AFTER DELETE ON predictions" SCORES_ON " BEGIN"
	SCORES_PRED_OUT("old") " END;"
	"CREATE TRIGGER scores_pred_upd AFTER UPDATE ON predictions" SCORES_ON " BEGIN"
	SCORES_PRED_OUT("old") SCORES_PRED_IN("new") " END;"
	"CREATE TRIGGER scores_ans_ins AFTER INSERT ON tagged" SCORES_ON " BEGIN"
	SCORES_ANSWER("new", "1") " END;"
	"CREATE TRIGGER scores_ans_replace BEFORE INSERT ON tagged" SCORES_ON " BEGIN"
	SCORES_LOG " SELECT " DB_SCORE_SET_SQL("ao.model_id", "0", "0") ", i.id, 0 FROM tagged ao"
	" JOIN images i ON i.content_id = ao.content_id WHERE ao.content_id = new.content_id"
	" AND ao.model_id = new.model_id;"
	SCORES_LOG " SELECT " DB_SCORE_SET_SQL("ao.model_id", "0", "1 + " DB_RATING_OF_SQL("ao"))
	", i.id, 0 FROM tagged ao JOIN images i ON i.content_id = ao.content_id"
	" WHERE ao.content_id = new.content_id AND ao.model_id = new.model_id;"
	SCORES_LOG " SELECT " SCORES_ABOVE_SET("p") ", i.id, 0 FROM tagged ao JOIN predictions p"
	" ON p.content_id = ao.content_id AND p.model_id = ao.model_id JOIN tags g"
	" ON g.id = p.tag_id JOIN images i ON i.content_id = p.content_id"
	" WHERE ao.content_id = new.content_id AND ao.model_id = new.model_id AND "
	SCORES_SIDE("p", "g", "ao") "; END;"
	"CREATE TRIGGER scores_ans_del BEFORE DELETE ON tagged" SCORES_ON " BEGIN"
	SCORES_ANSWER("old", "0") " END;"
	"CREATE TRIGGER scores_ans_upd AFTER UPDATE ON tagged" SCORES_ON
	" AND NOT (" SCORES_SAME_ANSWER ") BEGIN"
	SCORES_ANSWER("old", "0") SCORES_ANSWER("new", "1") " END;"
	/* The MCut cuts alone (the answer store sets them after its
	 * predictions): the predictions that cross them. */
	"CREATE TRIGGER scores_ans_cut AFTER UPDATE OF mcut_general, mcut_character ON tagged"
	SCORES_ON " AND " SCORES_SAME_ANSWER " BEGIN"
	SCORES_LOG " SELECT " SCORES_ABOVE_SET("p") ", i.id, " SCORES_SIDE("p", "g", "new")
	" FROM predictions p JOIN tags g ON g.id = p.tag_id JOIN images i"
	" ON i.content_id = p.content_id WHERE p.content_id = new.content_id"
	" AND p.model_id = new.model_id AND " SCORES_SIDE("p", "g", "old") " != "
	SCORES_SIDE("p", "g", "new") "; END;"
	"CREATE TRIGGER scores_img_ins AFTER INSERT ON images" SCORES_ON " BEGIN"
	SCORES_IMAGE("new.id", "new.content_id", "1") " END;"
	"CREATE TRIGGER scores_img_del AFTER DELETE ON images" SCORES_ON " BEGIN"
	SCORES_IMAGE("old.id", "old.content_id", "0") " END;"
	"CREATE TRIGGER scores_img_upd AFTER UPDATE OF id, content_id ON images" SCORES_ON
	" AND (old.id != new.id OR old.content_id IS NOT new.content_id) BEGIN"
	SCORES_IMAGE("old.id", "old.content_id", "0") SCORES_IMAGE("new.id", "new.content_id", "1")
	" END;"
	"CREATE TRIGGER scores_dec_ins AFTER INSERT ON decisions" SCORES_ON " BEGIN"
	SCORES_DECIDED("new", "1") " END;"
	"CREATE TRIGGER scores_dec_del AFTER DELETE ON decisions" SCORES_ON " BEGIN"
	SCORES_DECIDED("old", "0") " END;"
	"CREATE TRIGGER scores_dec_upd AFTER UPDATE OF image_id, tag_id ON decisions" SCORES_ON
	" BEGIN" SCORES_DECIDED("old", "0") SCORES_DECIDED("new", "1") " END;",

	/* 13 -> 14: state sets (db/postings.h): the images in each state
	 * (0 to 4), posting lists like the tags', so that state: terms and
	 * the Library's state filter are counted from bitmaps.  A state outside
	 * 0..4, or not an integer (a script's), is in none.  The lists are built again by the
	 * next count (their ready mark goes): this way every set is built from
	 * one snapshot, a few seconds at 5M images. */
	POSTINGS_COLUMN_TRIGGERS("state", POSTINGS_STATE_SET_SQL, POSTINGS_A_STATE)
	/* A tag's set is its id: one a script gave an id of 0 or below would
	 * land in SET_SHOWN, a mark or a state set.  Its decisions are logged
	 * no more (a query of it goes to SQL). */
	"DROP TRIGGER postings_dec_ins;"
	"DROP TRIGGER postings_dec_del;"
	"DROP TRIGGER postings_dec_upd;"
	"CREATE TRIGGER postings_dec_ins AFTER INSERT ON decisions" POSTINGS_BUILT
	" AND new.tag_id > 0 BEGIN" POSTINGS_LOG("new.tag_id", "new.image_id", "new.verdict = 1")
	" END;"
	"CREATE TRIGGER postings_dec_del AFTER DELETE ON decisions" POSTINGS_BUILT
	" AND old.verdict = 1 AND old.tag_id > 0 BEGIN"
	POSTINGS_LOG("old.tag_id", "old.image_id", "0") " END;"
	"CREATE TRIGGER postings_dec_upd AFTER UPDATE OF image_id, tag_id, verdict ON decisions"
	POSTINGS_BUILT " AND (old.verdict = 1 OR new.verdict = 1) BEGIN"
	" INSERT INTO postings_log(set_id, image_id, present) SELECT old.tag_id, old.image_id, 0"
	" WHERE old.tag_id > 0;"
	" INSERT INTO postings_log(set_id, image_id, present) SELECT new.tag_id, new.image_id,"
	" new.verdict = 1 WHERE new.tag_id > 0;"
	" END;"
	"DELETE FROM postings WHERE set_id = -1;",

	/* 14 -> 15: orientation sets (db/postings.h), the state sets' way:
	 * orientation: terms counted from bitmaps.  Built again by the next
	 * count, from one snapshot. */
	POSTINGS_COLUMN_TRIGGERS("orientation", POSTINGS_ORIENT_SET_SQL, POSTINGS_AN_ORIENT)
	"DELETE FROM postings WHERE set_id = -1;",

	/* 15 -> 16: an index on each of an image's sizes.  A width:, height:
	 * or size: term of a count reads its images from a range of one
	 * (db/postings.c), and a page sorted by size walks one rather than
	 * sorting the library (0.7 s at 1M images, then 7 ms). */
	"CREATE INDEX images_size ON images(size);"
	"CREATE INDEX images_width ON images(width);"
	"CREATE INDEX images_height ON images(height);",

	/* 16 -> 17: bit slices of each of an image's sizes, among the score
	 * sets (db/slices.c): a width:, height: or size: term counted in a
	 * few bitmap operations per bit, not an index row per image.  Stored
	 * sets are completed by the first such count (row -3 of scores says
	 * they are). */
	SLICES_TRIGGERS("size", DB_SQL_NUM(DB_SLICES_SIZE))
	SLICES_TRIGGERS("width", DB_SQL_NUM(DB_SLICES_WIDTH))
	SLICES_TRIGGERS("height", DB_SQL_NUM(DB_SLICES_HEIGHT)),
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
schema_latest(void)
{
	return N_MIGRATIONS;
}

/* migrations[from] to migrations[to - 1], a transaction each. */
static bool
migrate_steps(struct db *db, int from, int to)
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

bool
schema_migrate(struct db *db, int from, int to)
{
	/* An index built in a migration sorts every row: in temporary files,
	 * not in memory (hundreds of MB at millions of images). */
	if (from < to && !db_exec(db, "PRAGMA temp_store = FILE;")) {
		return false;
	}
	bool ok = migrate_steps(db, from, to);
	return db_exec(db, "PRAGMA temp_store = MEMORY;") && ok;
}
