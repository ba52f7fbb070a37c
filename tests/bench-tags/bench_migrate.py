#!/usr/bin/env python3
"""bench_migrate.py — opening a library of an older schema once (the
migration), and the first exact count after it, printed, not judged.

    python3 bench_migrate.py TAGCON OLD.db [--copy PATH] [--in-place] [--keep]
                             [--query Q]...

OLD.db (e.g. gen_tags_db.py's library written by an older tagcon) is copied
to PATH (default scratch-migrate-NAME beside it; removed at the end unless
--keep), so the original stays at its schema; --in-place migrates OLD.db
itself.  Then, each timed with a monotonic clock from exec to exit, with the
child's peak RSS:

  1. `tagcon --db COPY config get general_threshold`: the first open by this
     build, which runs every migration from the file's user_version to the
     current one (and nothing else: the command reads one setting);
  2. the same again: an open with nothing to migrate, the baseline;
  3. `search --count Q` for each query (default `1girl`, then
     `1girl solo -monochrome`): the first builds the posting lists when the
     file has none yet (schema 10 made them lazy), the second uses them;
  4. the first query again: warm;
  5. `config effect general_threshold 0.34`, then 0.33, then
     `config effect general_mcut on`: the Settings screen's two lines from
     the shell; the first builds the score bands (schema 12, lazy like the
     posting lists) when the file has none yet.

The copy's pages are in the page cache from the copy: these are warm-cache
figures, not a cold disk's.
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time


def sql_one(db, q):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        row = con.execute(q).fetchone()
        return row[0] if row else None
    except sqlite3.OperationalError:
        return None
    finally:
        con.close()


def timed(argv):
    """Seconds from exec to exit, the child's peak RSS in MiB, its stdout."""
    t = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.monotonic() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("%s: exit %d" % (" ".join(argv), p.returncode))
    return secs, ru.ru_maxrss / 1024, out.decode().strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tagcon")
    ap.add_argument("db")
    ap.add_argument("--copy")
    ap.add_argument("--in-place", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--query", action="append")
    a = ap.parse_args()
    tagcon = os.path.abspath(a.tagcon)
    src = os.path.abspath(a.db)
    queries = a.query or ["1girl", "1girl solo -monochrome"]
    figures = {}
    if a.in_place:
        db = src
    else:
        db = a.copy or os.path.join(os.path.dirname(src), "scratch-migrate-" +
                                    os.path.basename(src))
        t = time.monotonic()
        shutil.copyfile(src, db)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(src + suffix) and suffix == "-wal":
                shutil.copyfile(src + suffix, db + suffix)
            elif os.path.exists(db + suffix):
                os.unlink(db + suffix)
        # On disk before the first open: else its first fsync (the
        # migration's commit) writes the whole copy, seconds not its own.
        for suffix in ("", "-wal"):
            if os.path.exists(db + suffix):
                fd = os.open(db + suffix, os.O_RDONLY)
                os.fsync(fd)
                os.close(fd)
        figures["copying the file and syncing it (not part of any figure)"] = "%.0f s" % (time.monotonic() - t)
    try:
        size = os.path.getsize(db)
        n = sql_one(db, "SELECT count(*) FROM images")
        before = sql_one(db, "PRAGMA user_version")
        built = lambda: sql_one(db, "SELECT built FROM postings_state")
        figures["file"] = "%s: %d images, %.0f MiB, schema %d" % (src, n, size / 2**20, before)
        secs, peak, _ = timed([tagcon, "--db", db, "config", "get", "general_threshold"])
        after = sql_one(db, "PRAGMA user_version")
        figures["first open: the migration %d -> %d" % (before, after)] = (
            "%.2f s (peak RSS %.0f MiB)" % (secs, peak))
        secs2, _, _ = timed([tagcon, "--db", db, "config", "get", "general_threshold"])
        figures["second open: nothing to migrate"] = "%.3f s" % secs2
        figures["posting lists built before the first count"] = str(built())
        for i, q in enumerate(queries):
            secs, peak, out = timed([tagcon, "--db", db, "search", "--count", q])
            figures["%s count `%s` = %s" % ("first" if i == 0 else "then", q, out)] = (
                "%.2f s (posting lists built after it: %s; peak RSS %.0f MiB)"
                % (secs, built(), peak))
        secs, _, out = timed([tagcon, "--db", db, "search", "--count", queries[0]])
        figures["again `%s` (warm)" % queries[0]] = "%.3f s" % secs
        # The Settings screen's two lines: the first builds the score bands
        # (schema 12) when the file has none yet.
        for what, value in (("general_threshold", "0.34"), ("general_threshold", "0.33"),
                            ("general_mcut", "on")):
            secs, peak, out = timed([tagcon, "--db", db, "config", "effect", what, value])
            figures["config effect %s %s" % (what, value)] = "%.2f s (peak RSS %.0f MiB): %s" % (
                secs, peak, out.splitlines()[0] if out else "")
        figures["file after"] = "%.0f MiB" % (os.path.getsize(db) / 2**20)
    finally:
        if db != src and not a.keep:
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(db + suffix)
                except OSError:
                    pass
    print("migration, %d images (%s, %d cores, load %.1f)" % (
        n, os.uname().machine, os.cpu_count(), os.getloadavg()[0]))
    for k, v in figures.items():
        print("  %-60s %s" % (k, v))


if __name__ == "__main__":
    main()
