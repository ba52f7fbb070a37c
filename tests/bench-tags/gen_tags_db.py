#!/usr/bin/env python3
"""gen_tags_db.py — a tagcon library of N images with about K predictions
each, for the tags benchmark (search, random, suggestion counts).

    python3 gen_tags_db.py TAGCON DB [--images 1000000] [--preds 30]

The schema comes from the real binary (`tagcon --db DB status` creates and
migrates the file); rows are written with set-based WITH RECURSIVE inserts.
Tag frequencies look like an anime library: 1girl on 55 % of images, solo
45 %, long_hair 35 %, smile 30 %, 1boy 20 %, monochrome 5 %, a character on
30 %, the rest of the K slots from a long tail of 8000 tags (about 0.35 %
each).  60 % of images are committed (their tags above 0.35 accepted, a few
rejected), 39 % tagged and pending, 1 % new; 0.2 % missing.  Ratings g 50 %,
s 30 %, q 12 %, e 8 %.  Folders hold 1000 consecutive images, as a scan
leaves them (path order follows insertion order).  Triggers are set aside during the fill; the
answers' MCut cuts (schema 5) are worked out and the suggestion histogram (schema 4, keyed by
the side of the cut from 5) is rebuilt once at the end; the posting lists (schema 10) are left
for the first count to build.
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from answers import CUTS, REBUILD  # noqa: E402

POPULAR = [("1girl", 55), ("solo", 45), ("long_hair", 35), ("smile", 30), ("monochrome", 5),
           ("1boy", 20)]
TAIL = 8000
CHARS = 400
MODEL = "SmilingWolf/wd-swinv2-tagger-v3"


def h(x, k):
    """SQL for a hash of image x and salt k in [0, 2^31): a multiply, then a
    square, so that different salts give independent-looking values (a
    linear hash only shifts with the salt, which correlates tags)."""
    v = "(((%s) * 2654435761 + %d) %% 2147483629)" % (x, k * 40503 + 17)
    return "((%s * %s + %d) %% 2147483629)" % (v, v, k)


def fill(c, n, k):
    now = int(time.time())
    c.execute("INSERT INTO roots(id, path, added_at) VALUES (1, CAST('/bench/tags' AS BLOB), ?)",
              (now,))
    c.execute("WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ?)"
              " INSERT INTO folders(id, root_id, path)"
              " SELECT x, 1, CAST(printf('/bench/tags/f%04d', x) AS BLOB) FROM s",
              ((n + 999) // 1000,))
    c.execute("WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ?)"
              " INSERT INTO contents(id, hash) SELECT x, CAST(printf('%016d', x) AS BLOB) FROM s",
              (n,))
    state = ("CASE WHEN x % 500 = 0 THEN 4 WHEN x % 100 = 99 THEN 0"
             " WHEN x % 10 < 6 THEN 2 ELSE 1 END")
    c.execute("WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ?1)"
              " INSERT INTO images(id, folder_id, path, size, mtime_ns, content_id, format,"
              "  width, height, orientation, state, added_at, updated_at)"
              " SELECT x, (x - 1) / 1000 + 1,"
              "  CAST(printf('/bench/tags/f%04d/%07d.jpg', (x - 1) / 1000 + 1, x) AS BLOB),"
              "  50000 + " + h("x", 1) + " % 5000000, x * 1000, x, 'jpeg',"
              "  CASE x % 3 WHEN 0 THEN 768 WHEN 1 THEN 1920 ELSE 1024 END,"
              "  CASE x % 3 WHEN 0 THEN 1024 WHEN 1 THEN 1080 ELSE 1024 END,"
              "  CASE x % 3 WHEN 0 THEN 2 WHEN 1 THEN 1 ELSE 3 END, " + state + ", ?2, ?2"
              " FROM s", (n, now))
    tags = [(i + 1, name, 0) for i, (name, _) in enumerate(POPULAR)]
    base = len(POPULAR) + 1
    tags += [(base + i, "tag_%04d" % i, 0) for i in range(TAIL)]
    tags += [(base + TAIL + i, "character_%03d" % i, 4) for i in range(CHARS)]
    c.executemany("INSERT INTO tags(id, name, category) VALUES (?, ?, ?)", tags)
    c.execute("INSERT INTO models(id, name) VALUES (1, ?)", (MODEL,))
    r = h("id", 2) + " % 100"
    c.execute("INSERT INTO tagged(content_id, model_id, rating_general, rating_sensitive,"
              " rating_questionable, rating_explicit, score_floor, space, tagged_at)"
              " SELECT content_id, 1,"
              " CASE WHEN " + r + " < 50 THEN 0.8 ELSE 0.1 END,"
              " CASE WHEN " + r + " BETWEEN 50 AND 79 THEN 0.7 ELSE 0.1 END,"
              " CASE WHEN " + r + " BETWEEN 80 AND 91 THEN 0.6 ELSE 0.05 END,"
              " CASE WHEN " + r + " >= 92 THEN 0.9 ELSE 0.02 END,"
              " 0.05, 'bench', ?1 FROM images WHERE state != 0", (now,))
    for i, (name, pct) in enumerate(POPULAR):
        c.execute("INSERT INTO predictions SELECT content_id, 1, ?1,"
                  " 0.36 + (" + h("content_id", 10 + i) + " % 64) / 100.0 FROM tagged"
                  " WHERE " + h("content_id", 20 + i) + " % 100 < ?2", (i + 1, pct))
    c.execute("INSERT OR IGNORE INTO predictions SELECT content_id, 1,"
              " ?1 + " + h("content_id", 30) + " % ?2,"
              " 0.5 + (" + h("content_id", 31) + " % 50) / 100.0 FROM tagged"
              " WHERE " + h("content_id", 32) + " % 100 < 30", (base + TAIL, CHARS))
    slots = max(k - 2, 1)
    c.execute("WITH RECURSIVE j(y) AS (SELECT 0 UNION ALL SELECT y + 1 FROM j WHERE y < ?1 - 1)"
              " INSERT OR IGNORE INTO predictions SELECT t.content_id, 1,"
              " ?2 + " + h("t.content_id * 64 + y", 40) + " % ?3,"
              " 0.05 + (" + h("t.content_id * 64 + y", 41) + " % 60) / 100.0"
              " FROM tagged t, j", (slots, base, TAIL))
    # Committed images: every suggestion decided, most accepted.
    c.execute("INSERT INTO decisions(image_id, tag_id, verdict, source, decided_at)"
              " SELECT i.id, p.tag_id, CASE WHEN p.score < 0.38 THEN -1 ELSE 1 END, 0, ?1"
              " FROM images i JOIN predictions p ON p.content_id = i.content_id"
              " JOIN tags g ON g.id = p.tag_id WHERE i.state = 2 AND p.model_id = 1"
              " AND p.score > CASE g.category WHEN 4 THEN 0.85 ELSE 0.35 END", (now,))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tagcon")
    ap.add_argument("db")
    ap.add_argument("--images", type=int, default=1000000)
    ap.add_argument("--preds", type=int, default=30)
    a = ap.parse_args()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(a.db + suffix):
            os.unlink(a.db + suffix)
    p = subprocess.run([a.tagcon, "--db", a.db, "status"], capture_output=True)
    if p.returncode != 0:
        sys.exit("tagcon status failed: %s" % p.stderr.decode())
    t0 = time.time()
    con = sqlite3.connect(a.db, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -1000000")
    triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    con.execute("BEGIN")
    for name, _ in triggers:
        con.execute("DROP TRIGGER %s" % name)
    fill(con.cursor(), a.images, a.preds)
    t1 = time.time()
    con.execute(CUTS)
    t2 = time.time()
    for _, sql in triggers:
        con.execute(sql)
    con.execute("DELETE FROM suggest_hist")
    con.execute(REBUILD)
    # The posting lists (schema 10) did not see the fill: left unbuilt, the first count
    # builds them.
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'postings_state'").fetchone():
        con.execute("DELETE FROM postings")
        con.execute("DELETE FROM postings_log")
        con.execute("UPDATE postings_state SET built = 0")
    con.execute("COMMIT")
    print("fill %.0f s, MCut cuts %.0f s, histogram %.0f s" % (t1 - t0, t2 - t1, time.time() - t2))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    n, k = con.execute("SELECT (SELECT count(*) FROM images), (SELECT count(*) FROM predictions)"
                       ).fetchone()
    d = con.execute("SELECT count(*) FROM decisions").fetchone()[0]
    con.close()
    print("generated %d images, %d predictions (%.1f each), %d decisions in %.0f s (%d MiB)" % (
        n, k, k / n, d, time.time() - t0, os.path.getsize(a.db) >> 20))


if __name__ == "__main__":
    main()
