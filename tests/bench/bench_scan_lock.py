#!/usr/bin/env python3
"""bench_scan_lock.py — how long a scan makes another writer wait.

A tree of N small real images (gen_tree.py) with a sparse PNG of G GB in the
middle of it (a whole header, a hole, the trailer: every byte is read and
hashed, the hole costs no disk) is scanned twice, once new and once after a
touch of the huge file and of a few small ones (a rescan reads them again).
During each scan two writers work on the same library:

  lock   a thread takes the write lock (BEGIN IMMEDIATE; COMMIT) every 10 ms
         with a busy timeout long enough never to give up: each wait is
         exactly how long the scan kept it from writing;
  config `tagcon config set` back to back: with tagcon's own busy timeout,
         what a person changing a setting beside a scan sees.

It prints, per scan, its time and the writers' longest and 99th-percentile
waits, and whether any `config set` failed.  Benchmarks print; they never
assert times.

    python3 tests/bench/bench_scan_lock.py [TAGCON] [--gb G] [--files N]
                                           [--dir DIR] [--keep]
    meson test -C build --benchmark bench-scan-lock --verbose

TAGCON defaults to $TAGCON, else build/tui/tagcon of this checkout.  The
tree goes in a new temporary directory (on the disk, as a library would be),
or in DIR.  On a disk file system the first read of a hole fills the page
cache (G GB of it, given back when the tree is removed).
"""
import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import gen_tree  # noqa: E402
import tctest  # noqa: E402  (png_header_only; no Suite is made)


def parse_args():
    ap = argparse.ArgumentParser(description="tagcon scan lock benchmark")
    ap.add_argument("tagcon", nargs="?", default=os.environ.get(
        "TAGCON", os.path.join(HERE, "..", "..", "build", "tui", "tagcon")))
    ap.add_argument("--gb", type=float, default=8.0, help="size of the huge file in GB (8)")
    ap.add_argument("--files", type=int, default=2000, help="small images beside it (2000)")
    ap.add_argument("--dir", default=None, help="directory for the tree (a new temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the tree and the database")
    return ap.parse_args()


def sparse_png(path, size):
    png = tctest.png_header_only(640, 480)
    body, iend = png[:-12], png[-12:]
    with open(path, "wb") as f:
        f.write(body)
        f.truncate(size - len(iend))
        f.seek(size - len(iend))
        f.write(iend)


class LockWriter(threading.Thread):
    def __init__(self, db):
        super().__init__(daemon=True)
        self.db = db
        self.waits = []
        self.errors = []
        self.halt = threading.Event()

    def run(self):
        con = sqlite3.connect(self.db, timeout=3600, isolation_level=None,
                              check_same_thread=False)
        while not self.halt.is_set():
            t0 = time.monotonic()
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("COMMIT")
                self.waits.append(time.monotonic() - t0)
            except sqlite3.OperationalError as e:
                self.errors.append(str(e))
            self.halt.wait(0.01)
        con.close()


class ConfigWriter(threading.Thread):
    def __init__(self, tagcon, db, env):
        super().__init__(daemon=True)
        self.argv = [tagcon, "--db", db, "config", "set", "general_threshold"]
        self.env = env
        self.times = []
        self.failures = []
        self.halt = threading.Event()

    def run(self):
        n = 0
        while not self.halt.is_set():
            n += 1
            t0 = time.monotonic()
            p = subprocess.run(self.argv + ["0.%d" % (30 + n % 40)], env=self.env,
                               stdin=subprocess.DEVNULL, capture_output=True)
            self.times.append(time.monotonic() - t0)
            if p.returncode != 0:
                self.failures.append("exit %d after %.1f s: %s" % (
                    p.returncode, self.times[-1],
                    p.stderr.decode("utf-8", "replace").strip()))
            self.halt.wait(0.01)


def p99(xs):
    if len(xs) < 2:
        return max(xs, default=0.0)
    return statistics.quantiles(xs, n=100, method="inclusive")[98]


def scan_beside_writers(tagcon, db, root, env):
    """One scan with both writers running; returns a result dict."""
    lock, config = LockWriter(db), ConfigWriter(tagcon, db, env)
    lock.start()
    config.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    p = subprocess.run([tagcon, "--db", db, "scan", "--quiet", root], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True)
    secs = time.monotonic() - t0
    lock.halt.set()
    config.halt.set()
    lock.join()
    config.join()
    if p.returncode not in (0, 1):
        sys.exit("tagcon scan failed (exit %d): %s" % (p.returncode,
                                                        p.stderr.decode("utf-8", "replace")))
    return {"secs": secs, "lock": lock.waits, "lock_errors": lock.errors,
            "config": config.times, "config_failures": config.failures}


def report(what, r):
    lock, cfg = r["lock"], r["config"]
    print("%-22s %7.1f %6d %9.0f %9.1f %6d %9.0f %8d" % (
        what, r["secs"], len(lock), max(lock, default=0) * 1000, p99(lock) * 1000,
        len(cfg), max(cfg, default=0) * 1000, len(r["config_failures"])))
    for f in r["config_failures"][:3]:
        print("#   %s: config set %s" % (what, f))
    for e in r["lock_errors"][:3]:
        print("#   %s: lock writer: %s" % (what, e))


def main():
    a = parse_args()
    tagcon = os.path.abspath(a.tagcon)
    if not os.access(tagcon, os.X_OK):
        sys.exit("no tagcon binary at %s (pass its path or set TAGCON)" % tagcon)
    base = a.dir or tempfile.mkdtemp(prefix="tagcon-bench-lock-")
    os.makedirs(base, exist_ok=True)
    root = os.path.join(base, "tree")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": base,
           "XDG_DATA_HOME": os.path.join(base, "xdg"), "LC_ALL": "C.UTF-8"}
    db = os.path.join(base, "lock.db")
    size = int(a.gb * 1e9)
    try:
        files, _ = gen_tree.generate(root, a.files)
        huge = os.path.join(root, "d00", "d00", "img0000500-huge.png")
        sparse_png(huge, size)
        ver = subprocess.run([tagcon, "--version"], capture_output=True, text=True, env=env)
        print("# %s; %d small images and a sparse PNG of %.1f GB in %s" % (
            ver.stdout.strip(), files, size / 1e9, root))
        first = scan_beside_writers(tagcon, db, root, env)
        # The huge file and small ones before and after it in the walk.
        d = os.path.dirname(huge)
        names = sorted(os.listdir(d))
        at = names.index(os.path.basename(huge))
        touched = [os.path.join(d, names[i]) for i in (0, at - 1, at, at + 1, len(names) - 1)]
        for path in touched:
            st = os.stat(path)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        again = scan_beside_writers(tagcon, db, root, env)
        print()
        print("%-22s %7s %6s %9s %9s %6s %9s %8s" % (
            "scan", "seconds", "locks", "max ms", "p99 ms", "sets", "max ms", "failed"))
        report("first scan", first)
        report("rescan, huge touched", again)
        print()
        print("# locks: BEGIN IMMEDIATE; COMMIT every 10 ms from another connection "
              "(no busy timeout expires); sets: `tagcon config set` back to back")
        longest = max(max(first["lock"], default=0), max(again["lock"], default=0))
        print("# longest write wait beside a scan reading a %.1f GB file: %.0f ms" % (
            size / 1e9, longest * 1000))
    finally:
        if a.keep:
            print("# kept %s" % base)
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
