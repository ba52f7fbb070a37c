#!/usr/bin/env python3
"""test_import_linear.py — a hostile caption cannot make import quadratic.

    python3 tests/security/test_import_linear.py build/tui/tagcon

Issue 12, finding 9: a caption of 60,000 tags took 6.2 s because every name
was compared with every name before it.  A time would say so only on a quiet
machine, so this test counts work instead: the instructions the real binary
executes (valgrind's callgrind, deterministic to a fraction of a percent)
importing one caption of N, 2N and 4N tags.  The start-up (libvips, SQLite)
costs the same at every size, so the test compares the growth:

    step1 = I(2N) - I(N),  step2 = I(4N) - I(2N)

A linear import gives step2/step1 ~ 2; a quadratic one tends to 4 (the old
code gave 3.1 at these sizes).  The bound is 2.5.  It also checks the step
after: every tag of the largest caption was imported, once.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tctest  # noqa: E402

SIZES = (2000, 4000, 8000)
BOUND = 2.5


def instructions(s, db, lib):
    """Instructions executed by `tagcon import --format txt LIB`, or None."""
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
            s.tagcon, "--db", db, "import", "--format", "txt", lib]
    env = s.base_env()
    # libvips loads its modules (vips-jxl, ...) at start; libjxl's Highway
    # reads the clock with RDTSCP where the CPU has it, which Debian 12's
    # valgrind 3.19 cannot run (SIGILL).  A caption import reads no image:
    # libvips is pointed at an empty prefix, so it loads no module.
    env["VIPSHOME"] = s.mkdir("no-vips-modules")
    p = subprocess.run(argv, env=env, capture_output=True, timeout=600)
    m = re.search(rb"Collected : (\d+)", p.stderr)
    if p.returncode != 0 or m is None:
        s.check(False, "valgrind ran tagcon import on %d tags" % len(os.listdir(lib)),
                p.stderr.decode("utf-8", "replace")[-400:])
        return None
    return int(m.group(1))


def main():
    s = tctest.Suite("import-linear")
    if shutil.which("valgrind") is None:
        s.check(False, "valgrind is installed (scripts/common.sh installs it)")
        s.finish()
    counts = {}
    for n in SIZES:
        lib = s.mkdir("lib-%d" % n)
        subprocess.run(["vips", "black", os.path.join(lib, "a.png"), "8", "8"], check=True)
        with open(os.path.join(lib, "a.txt"), "w") as f:
            # A quarter of the names twice: the set must merge them.
            names = ["tag_%d" % i for i in range(n)]
            f.write(", ".join(names + names[: n // 4]) + "\n")
        db = os.path.join(s.root, "lib-%d.db" % n)
        r = s.tagcon_run("scan", lib, db=db)
        s.eq(r.rc, 0, "scan of a one-image folder with a %d-tag caption" % n)
        counts[n] = instructions(s, db, lib)
        if counts[n] is None:
            s.finish()
        print("# %5d tags: %d instructions" % (n, counts[n]))
        if n == SIZES[-1]:
            r = s.tagcon_run("show", "--json", os.path.join(lib, "a.png"), db=db)
            doc = r.json() or {}
            committed = doc.get("committed") or []
            names = [t.get("tag") for t in committed if isinstance(t, dict)]
            s.eq(len(names), n, "every tag of the %d-tag caption committed" % n)
            s.eq(len(set(names)), len(names), "each tag committed once (duplicates merged)")
    step1 = counts[SIZES[1]] - counts[SIZES[0]]
    step2 = counts[SIZES[2]] - counts[SIZES[1]]
    growth = step2 / step1 if step1 > 0 else float("inf")
    print("# growth of the import's work per doubling: x%.2f (linear ~2, quadratic ~4)" % growth)
    s.check(growth < BOUND, "import work grows linearly with the caption (x%.2f per doubling,"
            " bound x%.1f)" % (growth, BOUND))
    s.finish()


if __name__ == "__main__":
    main()
