#!/usr/bin/env python3
"""test_crash.py — kill -9 in the middle of a scan, then rescan.

A tree of a few thousand tiny real PNGs (distinct bytes each) is scanned;
the scan is killed with SIGKILL at several moments (before its first commit,
after a few committed batches, late), and after each kill the database must
pass integrity_check and open for tagcon.  A final rescan must leave every
file indexed exactly once, with the right hash.  A reader (tagcon status) must
work while a scan is writing.

    python3 tests/integration/test_crash.py build/tui/tagcon [--files N]
"""
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tctest  # noqa: E402

N = 6000
if "--files" in sys.argv:
    i = sys.argv.index("--files")
    N = int(sys.argv[i + 1])
    del sys.argv[i:i + 2]

t = tctest.Suite("crash")
tree = t.mkdir("tree")
base = t.image_bytes("png", 16, 16)
t0 = time.monotonic()
expected = {}
for i in range(N):
    d = os.path.join(tree, "d%03d" % (i // 250))
    if i % 250 == 0:
        os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "img%05d.png" % i)
    data = tctest.png_with_text(base, b"file %d" % i)
    with open(path, "wb") as f:
        f.write(data)
    expected[path] = data
print("# generated %d PNGs in %.2f s" % (N, time.monotonic() - t0))


def db_rows(db):
    """Number of image rows, or None if the database or table is not there yet."""
    if not os.path.exists(db):
        return None
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=0.2)
        try:
            return con.execute("SELECT count(*) FROM images").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return None


def start_scan(db):
    argv = [t.tagcon, "--db", db, "scan", "--json", "--quiet", tree]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=t.base_env(), cwd=t.root)


def check_db(db, when):
    con = sqlite3.connect(db)
    try:
        ic = con.execute("PRAGMA integrity_check").fetchone()[0]
        t.eq(ic, "ok", "%s: integrity_check ok" % when)
        has = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'images'").fetchone()[0]
        rows, distinct = con.execute(
            "SELECT count(*), count(DISTINCT path) FROM images").fetchone() if has else (0, 0)
        t.check(rows == distinct and rows <= N, "%s: no path twice, at most %d rows" % (when, N),
                "%d rows, %d distinct paths" % (rows, distinct))
    finally:
        con.close()
    r, st = t.status(db)
    t.check(st is not None, "%s: tagcon status opens the database" % when, r.describe())
    return rows


# ---------------------------------------------------------------------------
t.section("baseline: an uninterrupted scan, with a reader running alongside")
base_db = os.path.join(t.root, "base.db")
p = start_scan(base_db)
t0 = time.monotonic()
reader_ok = None
while p.poll() is None:
    n = db_rows(base_db)
    if n and reader_ok is None:
        r, st = t.status(base_db, timeout=60)
        reader_ok = (r.rc == 0 and st is not None, r.describe())
    time.sleep(0.005)
scan_secs = time.monotonic() - t0
t.eq(p.returncode, 0, "uninterrupted scan of %d files exits 0 (%.2f s)" % (N, scan_secs))
if reader_ok is None:
    t.skip("status works during a scan", "the scan finished before its first commit was seen")
else:
    t.check(reader_ok[0], "tagcon status works while a scan is writing", reader_ok[1])
t.eq(db_rows(base_db), N, "baseline: %d rows" % N)

# ---------------------------------------------------------------------------
t.section("another writer is not locked out by a long scan")
# The busy timeout is a few seconds; a scan of a big library takes minutes.
# A second process that writes (config set here; a batch runner storing
# predictions, the console committing a review) must get its turn while a
# scan runs, not fail with "database is locked".
rate = N / max(scan_secs, 1e-3)
M = min(max(N, int(rate * 12)), 40000)
big = t.mkdir("big")
made = 0
what = "config set from another process while a long scan runs succeeds (it may wait, not fail)"
for attempt in range(2):
    while made < M:
        d = os.path.join(big, "d%03d" % (made // 1000))
        if made % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "b%06d.png" % made), "wb") as f:
            f.write(tctest.png_with_text(base, b"big %d" % made))
        made += 1
    big_db = os.path.join(t.root, "big%d.db" % attempt)
    argv = [t.tagcon, "--db", big_db, "scan", "--quiet", big]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=t.base_env(), cwd=t.root)
    t0 = time.monotonic()
    while p.poll() is None and time.monotonic() - t0 < 1.0:
        time.sleep(0.01)
    # Writers back to back for as long as the scan runs.
    writers = []
    while p.poll() is None:
        w_start = time.monotonic() - t0
        r = t.tagcon_run("config", "set", "general_threshold", "0.%d" % (40 + len(writers) % 9),
                         db=big_db, timeout=120)
        writers.append((w_start, time.monotonic() - t0, r))
    p.wait()
    scan_end = time.monotonic() - t0
    during = [w for w in writers if w[1] < scan_end - 0.05]
    print("# scan of %d files: %.1f s; %d config set while it ran: %s" % (
        M, scan_end, len(writers), ", ".join("exit %d after %.1f s" % (w[2].rc, w[1] - w[0])
                                             for w in writers)))
    t.eq(p.returncode, 0, "the long scan itself exits 0")
    if during:
        bad = [w for w in during if w[2].rc != 0]
        t.check(not bad, what, "%d of %d gave up while the scan was still running, e.g. after "
                "%.1f s: %s" % (len(bad), len(during), bad[0][1] - bad[0][0], bad[0][2].describe())
                if bad else "")
        break
    # The scan ended first: it was too short to tell.  Try a bigger tree.
    M = min(M * 2, 80000)
else:
    t.skip(what, "every scan ended before the writer's busy timeout could expire")

# ---------------------------------------------------------------------------
t.section("kill -9 at three moments, then rescan")
db = os.path.join(t.root, "crash.db")
kills = []


def kill_when(label, cond, deadline):
    p = start_scan(db)
    t0 = time.monotonic()
    killed_at = None
    while p.poll() is None:
        el = time.monotonic() - t0
        n = db_rows(db) if el > 0.002 else None
        if cond(el, n) or el > deadline:
            p.send_signal(signal.SIGKILL)
            killed_at = (el, n)
            break
        time.sleep(0.002)
    p.wait()
    if killed_at is None:
        print("# %s: the scan finished (exit %d) before the kill" % (label, p.returncode))
        return False
    print("# %s: SIGKILL at %.3f s with %s rows committed" % (label, killed_at[0], killed_at[1]))
    kills.append(label)
    t.eq(p.returncode, -signal.SIGKILL, "%s: the scan died of SIGKILL" % label)
    check_db(db, "after %s" % label)
    return True


kill_when("kill before the first commit", lambda el, n: el >= 0.03, 1e9)
kill_when("kill after the first batches", lambda el, n: n is not None and n >= 1000, scan_secs)
kill_when("kill late in the scan", lambda el, n: n is not None and n >= N * 0.7, scan_secs)
t.check(len(kills) >= 2, "at least two scans were killed mid-way", "killed: %r" % kills)

r = t.scan(db, tree, timeout=600)
tot = t.scan_totals(r)
t.eq(r.rc, 0, "rescan after the kills exits 0")
t.eq(tot.get("files"), N, "rescan sees %d files" % N)
t.eq(tot.get("failed", 0) + tot.get("errors", 0), 0, "rescan: nothing failed")
t.eq(tot.get("added", 0) + tot.get("unchanged", 0) + tot.get("changed", 0), N,
     "rescan: every file either added now or already committed")
t.eq(tot.get("moved", 0), 0, "rescan: no file mistaken for a move")
check_db(db, "after the final rescan")

con = sqlite3.connect(db)
try:
    rows = {bytes(p_) if not isinstance(p_, str) else p_.encode(): c
            for p_, c in con.execute("SELECT path, content_id FROM images")}
    want = {os.fsencode(k) for k in expected}
    t.eq(len(rows), N, "exactly %d rows" % N)
    t.check(set(rows) == want, "every file of the tree is indexed, and nothing else",
            "missing %d, extra %d" % (len(want - set(rows)), len(set(rows) - want)))
    n_content = con.execute("SELECT count(DISTINCT content_id) FROM images").fetchone()[0]
    t.eq(n_content, N, "%d distinct contents (every file has its own hash)" % N)
finally:
    con.close()

r, st = t.status(db)
t.check(st and st.get("images") == N and st.get("state", {}).get("new") == N,
        "status: %d images, all new" % N, r.describe())
# Spot-check hashes across the tree.
for i in range(0, N, max(1, N // 7)):
    path = os.path.join(tree, "d%03d" % (i // 250), "img%05d.png" % i)
    r, o = t.show(db, path)
    t.check(o and o.get("hash") == tctest.xxh3_128_hex(expected[path]) and o.get("state") == "new",
            "img%05d.png: indexed once with the hash of its bytes" % i, r.describe())

r = t.scan(db, tree)
t.eq(t.scan_totals(r).get("unchanged"), N, "one more rescan: every file unchanged")

t.finish()
