#!/usr/bin/env python3
"""grow_tags_db.py — a library K times the size of a generated one, quickly.

    python3 grow_tags_db.py SRC.db DST.db --times K

gen_tags_db.py writes a library in one transaction; at 5M images its (tag, score)
index, filled in random order, did not finish in an hour and a half here.  This copies
SRC (a library gen_tags_db.py made, at any schema from 10 on) to DST and appends K - 1
copies of its images, contents, answers, predictions and decisions: new ids, hashes and
paths (/bench/tags/rK/fNNNN/...), the same tags, scores and decisions, so every figure
of the benchmark sees the generator's distributions, K times over.  The indexes are
dropped before and built after (a sort, not random inserts); the suggestion histogram
is the source's times K (exact: every row is copied K times); the posting lists and
score bands and score sets are left unbuilt, for the first question to build, as after a
migration.
"""
import argparse
import os
import shutil
import sqlite3
import sys
import time

# What is copied, and the id columns that move by copy: (table, {column: offset key}).
TABLES = [
    ("folders", {"id": "F"}),
    ("contents", {"id": "C"}),
    ("images", {"id": "N", "folder_id": "F", "content_id": "C"}),
    ("tagged", {"content_id": "C"}),
    ("predictions", {"content_id": "C"}),
    ("decisions", {"image_id": "N"}),
]


def columns(con, table):
    return [r[1] for r in con.execute("PRAGMA table_info(%s)" % table)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--times", type=int, default=5)
    a = ap.parse_args()
    t0 = time.time()
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(a.dst + suffix):
            os.unlink(a.dst + suffix)
    shutil.copyfile(a.src, a.dst)
    con = sqlite3.connect(a.dst, isolation_level=None)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -2000000")
    if con.execute("PRAGMA user_version").fetchone()[0] < 10:
        sys.exit("grow_tags_db.py: %s is older than schema 10" % a.src)
    off = {"N": con.execute("SELECT max(id) FROM images").fetchone()[0],
           "F": con.execute("SELECT max(id) FROM folders").fetchone()[0],
           "C": con.execute("SELECT max(id) FROM contents").fetchone()[0]}
    saved = con.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'index')"
                        " AND sql IS NOT NULL AND tbl_name IN ('folders', 'contents', 'images',"
                        " 'tagged', 'predictions', 'decisions')").fetchall()
    con.execute("BEGIN")
    for name, sql in saved:
        kind = "TRIGGER" if sql.upper().startswith("CREATE TRIGGER") else "INDEX"
        con.execute("DROP %s %s" % (kind, name))
    for k in range(1, a.times):
        for table, moved in TABLES:
            cols = columns(con, table)
            exprs = []
            for c in cols:
                if c in moved:
                    exprs.append("%s + %d" % (c, k * off[moved[c]]))
                elif table in ("folders", "images") and c == "path":
                    # /bench/tags/f0001/... -> /bench/tags/r1/f0001/...
                    exprs.append("CAST('/bench/tags/r%d' || substr(CAST(path AS TEXT), 12)"
                                 " AS BLOB)" % k)
                elif table == "contents" and c == "hash":
                    exprs.append("CAST(printf('%%016d', id + %d) AS BLOB)" % (k * off["C"]))
                else:
                    exprs.append(c)
            where = " WHERE id <= %d" % off[moved["id"]] if "id" in moved else ""
            if table == "tagged":
                where = " WHERE content_id <= %d" % off["C"]
            elif table == "predictions":
                where = " WHERE content_id <= %d" % off["C"]
            elif table == "decisions":
                where = " WHERE image_id <= %d" % off["N"]
            con.execute("INSERT INTO %s(%s) SELECT %s FROM %s%s" % (
                table, ", ".join(cols), ", ".join(exprs), table, where))
        print("copy %d of %d: %.0f s" % (k, a.times - 1, time.time() - t0), flush=True)
    con.execute("UPDATE suggest_hist SET n = n * %d" % a.times)
    t1 = time.time()
    for name, sql in saved:
        if not sql.upper().startswith("CREATE TRIGGER"):
            con.execute(sql)
    print("indexes %.0f s" % (time.time() - t1), flush=True)
    for name, sql in saved:
        if sql.upper().startswith("CREATE TRIGGER"):
            con.execute(sql)
    con.execute("DELETE FROM postings")
    con.execute("DELETE FROM postings_log")
    con.execute("UPDATE postings_state SET built = 0")
    if "bands" in columns(con, "postings_state"):
        con.execute("UPDATE postings_state SET bands = 0")
        con.execute("DELETE FROM bands_dirty")
    if "scores" in columns(con, "postings_state"):
        # The score sets (schema 13) of the source hold its images alone, and
        # the copies went in with the triggers set aside: built again.
        con.execute("UPDATE postings_state SET scores = 0")
        con.execute("DELETE FROM scores")
        con.execute("DELETE FROM scores_log")
    con.execute("COMMIT")
    n, d = con.execute("SELECT (SELECT count(*) FROM images), (SELECT count(*) FROM decisions)"
                       ).fetchone()
    con.close()
    print("grew to %d images, %d decisions in %.0f s (%d MiB)" % (
        n, d, time.time() - t0, os.path.getsize(a.dst) >> 20))


if __name__ == "__main__":
    main()
