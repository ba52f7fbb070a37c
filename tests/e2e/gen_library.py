#!/usr/bin/env python3
"""gen_library.py — a large synthetic tagcon library, fast, for the console benchmark.

    python3 gen_library.py TAGCON DB [--images N] [--preds K] [--folders F]

The schema comes from the real binary (`tagcon --db DB status` migrates a new
file), then every table is filled with set-based `WITH RECURSIVE` inserts, so a
million images take well under a minute.  Rows look like a real library: most
images tagged with K predictions each, some new, committed, failed or missing.
Nothing on disk backs the paths; the console only reads the database.
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import answers  # noqa: E402

STATES = "CASE WHEN x % 20 < 12 THEN 1 WHEN x % 20 < 16 THEN 0 WHEN x % 20 < 19 THEN 2" \
    " WHEN x % 40 = 19 THEN 3 ELSE 4 END"


def fill(con, n, k, folders, n_tags=10000, n_chars=400):
    now = int(time.time())
    c = con.cursor()
    c.execute("INSERT INTO roots(id, path, added_at) VALUES (1, CAST('/bench/lib' AS BLOB), ?)",
              (now,))
    c.execute("WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ?)"
              " INSERT INTO folders(id, root_id, path) SELECT x, 1,"
              " CAST(printf('/bench/lib/set%03d/d%04d', (x - 1) / 20, x) AS BLOB) FROM s",
              (folders,))
    c.execute("WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ?)"
              " INSERT INTO contents(id, hash) SELECT x, CAST(printf('%016d', x) AS BLOB) FROM s",
              (n,))
    c.execute("WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ?1)"
              " INSERT INTO images(id, folder_id, path, size, mtime_ns, content_id, format,"
              "  width, height, orientation, state, error, added_at, updated_at)"
              " SELECT x, (x - 1) % ?2 + 1,"
              "  CAST(printf('/bench/lib/set%03d/d%04d/img%07d.jpg', ((x - 1) % ?2) / 20,"
              "   (x - 1) % ?2 + 1, x) AS BLOB),"
              "  100000 + x % 900000, x * 1000, x, 'jpeg',"
              "  CASE WHEN x % 3 = 0 THEN 768 ELSE 1024 END,"
              "  CASE WHEN x % 3 = 1 THEN 768 ELSE 1024 END,"
              "  CASE x % 3 WHEN 0 THEN 2 WHEN 1 THEN 1 ELSE 3 END,"
              "  " + STATES + ","
              "  CASE WHEN x % 40 = 19 THEN 'not an image (text file)' END, ?3, ?3 FROM s",
              (n, folders, now))
    c.execute("WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ?)"
              " INSERT INTO tags(id, name, category) SELECT x,"
              " CASE WHEN x <= ? THEN printf('character_%04d', x) ELSE printf('tag_%05d', x) END,"
              " CASE WHEN x <= ? THEN 4 ELSE 0 END FROM s", (n_tags, n_chars, n_chars))
    c.execute("INSERT INTO models(id, name) VALUES (1, 'SmilingWolf/wd-swinv2-tagger-v3')")
    # Filling a table and then indexing it is several times faster than
    # keeping the index up to date row by row; the schema's own definition.
    c.execute("DROP INDEX predictions_tag")
    c.execute("INSERT INTO tagged(content_id, model_id, rating_general, rating_sensitive,"
              " rating_questionable, rating_explicit, score_floor, space, tagged_at)"
              " SELECT id, 1, (id % 7) / 7.0, (id % 5) / 9.0, (id % 3) / 11.0, (id % 11) / 13.0,"
              " 0.05, 'https://bench.hf.space', ?1 FROM images WHERE state IN (1, 2)", (now,))
    # K distinct tags per content: 337 is prime to 10000, so j * 337 never repeats.
    c.execute("WITH RECURSIVE j(y) AS (SELECT 0 UNION ALL SELECT y + 1 FROM j WHERE y < ?1 - 1)"
              " INSERT INTO predictions(content_id, model_id, tag_id, score)"
              " SELECT t.content_id, 1, (t.content_id * 31 + y * 337) % ?2 + 1,"
              "  max(0.05, 0.98 - y * (0.9 / ?1) - ((t.content_id * 13 + y * 7) % 10) / 200.0)"
              " FROM tagged t, j", (k, n_tags))
    c.execute("CREATE INDEX predictions_tag ON predictions(tag_id, score)")
    c.execute("INSERT INTO decisions(image_id, tag_id, verdict, source, decided_at)"
              " SELECT i.id, p.tag_id, 1, 0, ?1 FROM images i JOIN predictions p"
              " ON p.content_id = i.content_id AND p.score > 0.5 WHERE i.state = 2", (now,))


def rebuild_derived(con):
    """What the triggers and db_store_answer() keep: each answer's MCut cuts
    and the suggestion histogram (tests/answers.py)."""
    con.execute(answers.CUTS)
    con.execute("DELETE FROM suggest_hist")
    con.execute(answers.REBUILD)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tagcon")
    ap.add_argument("db")
    ap.add_argument("--images", type=int, default=1000000)
    ap.add_argument("--preds", type=int, default=30)
    ap.add_argument("--folders", type=int, default=2000)
    a = ap.parse_args()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(a.db + suffix):
            os.remove(a.db + suffix)
    subprocess.run([a.tagcon, "--db", a.db, "status"], check=True, stdout=subprocess.DEVNULL)
    t0 = time.monotonic()
    con = sqlite3.connect(a.db, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -262144")
    con.execute("BEGIN")
    # Triggers that keep derived tables up to date row by row would make a
    # set-based fill take hours: off while filling, derived tables rebuilt.
    triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        con.execute('DROP TRIGGER "%s"' % name)
    fill(con, a.images, a.preds, a.folders)
    rebuild_derived(con)
    for _, sql in triggers:
        con.execute(sql)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    print("generated %d images x %d predictions in %.1f s (%.0f MiB)" % (
        a.images, a.preds, time.monotonic() - t0, os.path.getsize(a.db) / 1048576))


if __name__ == "__main__":
    sys.exit(main())
