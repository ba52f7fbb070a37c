#!/usr/bin/env python3
"""bench_complete.py — how long a shell waits on `tagcon complete` at a Tab.

    python3 bench_complete.py TAGCON

On the tags benchmark's library (1M images x 30 predictions, 8,400 tags:
tests/bench-tags/gen_tags_db.py; $TAGCON_BENCH_TAGS_DB reuses one, as
run_bench.py does) and on a small one generated in the same run (1,000
images), each completion is run 15 times and its median wall time (and CPU
time, user + system, steadier on a busy machine) printed, with two ratios: to the same completion on the small library (the ideal is
1.0: a prefix range on the tags' name index costs the same at any size) and
to `tagcon complete -- con` (a command name, no database: the process's own
start).  A benchmark, not a test: it prints figures and asserts nothing.
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "bench-tags", "gen_tags_db.py")

CASES = [
    ("command name (no database)", ["con"]),
    ("search 1gi", ["search", "1gi"]),
    ("search lon", ["search", "lon"]),
    ("search -mono", ["search", "-mono"]),
    ("search rating:", ["search", "rating:"]),
    ("search '' (first 200 tags)", ["search", ""]),
    ("edit F +sm", ["edit", "f.png", "+sm"]),
    ("rules exclude t (long tail)", ["rules", "exclude", "t"]),
]


def schema(tagcon):
    out = subprocess.run([tagcon, "--version"], capture_output=True, text=True).stdout
    return int(out.split("schema ")[1].rstrip(")\n"))


def library(tagcon, db, n):
    import sqlite3
    try:
        v = sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error:
        v = -1
    if not os.path.exists(db) or v != schema(tagcon):
        subprocess.run([sys.executable, GEN, tagcon, db, "--images", str(n)], check=True,
                       stdout=subprocess.DEVNULL)


def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def median_ms(tagcon, db, words, runs=15):
    """Median wall and CPU (user + system) milliseconds, and how many
    completions were printed."""
    env = dict(os.environ, TAGCON_DB=db)
    wall, cpus = [], []
    out = ""
    for _ in range(runs):
        t, c = time.perf_counter(), cpu()
        r = subprocess.run([tagcon, "complete", "--"] + words, env=env, capture_output=True,
                           text=True)
        wall.append((time.perf_counter() - t) * 1000)
        cpus.append((cpu() - c) * 1000)
        out = r.stdout
    return statistics.median(wall), statistics.median(cpus), len(out.splitlines()) - 1


def main():
    tagcon = os.path.abspath(sys.argv[1])
    big = os.environ.get("TAGCON_BENCH_TAGS_DB", os.path.abspath("bench-tags-1000000.db"))
    library(tagcon, big, 1000000)
    small = os.path.join(tempfile.mkdtemp(prefix="bench-complete-"), "small.db")
    library(tagcon, small, 1000)
    base, base_cpu, _ = median_ms(tagcon, big, ["con"])
    print("# %s; baseline (complete -- con) %.1f ms, CPU %.1f ms" % (big, base, base_cpu))
    print("%-30s %8s %8s %6s %8s %7s %7s %8s %7s" % (
        "completion", "1M ms", "1k ms", "1M/1k", "1M/base", "1M CPU", "1k CPU", "CPU/base",
        "results"))
    for name, words in CASES:
        b, bc, n = median_ms(tagcon, big, words)
        s, sc, _ = median_ms(tagcon, small, words)
        print("%-30s %8.1f %8.1f %6.2f %8.2f %7.1f %7.1f %8.2f %7d" % (
            name, b, s, b / s, b / base, bc, sc, bc / base_cpu, n))


if __name__ == "__main__":
    main()
