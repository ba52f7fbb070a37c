#!/usr/bin/env python3
"""bench_import.py — importing one caption of N tags, for growing N.

    python3 tests/bench/bench_import.py build/tui/tagcon [--sizes 15000,30000,60000]

Prints the time of `tagcon import --format txt` for each size and the ratio
of each step to the previous one: ~2 for a linear import (doubling the
tags doubles the time), ~4 for a quadratic one.  Never asserts a time.
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time


def run(tagcon, n, root):
    lib = os.path.join(root, "lib-%d" % n)
    os.makedirs(lib)
    subprocess.run(["vips", "black", os.path.join(lib, "a.png"), "8", "8"], check=True)
    with open(os.path.join(lib, "a.txt"), "w") as f:
        f.write(", ".join("tag_%d" % i for i in range(n)) + "\n")
    db = os.path.join(root, "lib-%d.db" % n)
    subprocess.run([tagcon, "--db", db, "scan", lib], check=True, capture_output=True)
    t0 = time.monotonic()
    subprocess.run([tagcon, "--db", db, "import", "--format", "txt", lib], check=True,
                   capture_output=True)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tagcon")
    ap.add_argument("--sizes", default="15000,30000,60000")
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="tagcon-bench-import-")
    try:
        prev = None
        for n in (int(x) for x in a.sizes.split(",")):
            s = run(os.path.abspath(a.tagcon), n, root)
            step = "" if prev is None else "  (x%.2f the previous size's time)" % (s / prev)
            print("import of one caption of %6d tags  %7.3f s%s" % (n, s, step))
            prev = s
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
