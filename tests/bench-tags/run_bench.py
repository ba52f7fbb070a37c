#!/usr/bin/env python3
"""run_bench.py — generate the benchmark library once, then time it.

    python3 run_bench.py TAGCON BENCH_TAGS

The library is cached as $TAGCON_BENCH_TAGS_DB (default: bench-tags-N.db in
the working directory, which is the build directory under meson), rebuilt
when missing or older than the tables the generator fills (schema 5); a
newer one is migrated by opening it, as a user's would be (schema 10's
posting lists are then built once, timed by bench-tags).  N is
$TAGCON_BENCH_IMAGES (default 1000000).  Generating a million images takes
about four minutes and 2 GB (five million: about an hour and 10 GB on a
busy 2-core machine).
"""
import os
import sqlite3
import subprocess
import sys

# The oldest schema whose tables gen_tags_db.py fills (the MCut cuts of 5).
GENERATED = 5


def schema(db):
    try:
        con = sqlite3.connect(db)
        v = con.execute("PRAGMA user_version").fetchone()[0]
        con.close()
        return v
    except sqlite3.Error:
        return -1


def main():
    tagcon, bench = sys.argv[1], sys.argv[2]
    n = int(os.environ.get("TAGCON_BENCH_IMAGES", "1000000"))
    db = os.environ.get("TAGCON_BENCH_TAGS_DB", os.path.abspath("bench-tags-%d.db" % n))
    want = int(subprocess.run([tagcon, "--version"], capture_output=True, text=True)
               .stdout.split("schema ")[1].rstrip(")\n"))
    if not os.path.exists(db) or not GENERATED <= schema(db) <= want:
        gen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen_tags_db.py")
        subprocess.run([sys.executable, gen, tagcon, db, "--images", str(n)], check=True)
    print("# %s" % db)
    sys.stdout.flush()
    sys.exit(subprocess.run([bench, db] + sys.argv[3:]).returncode)


if __name__ == "__main__":
    main()
