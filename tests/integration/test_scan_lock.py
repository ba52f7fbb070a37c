#!/usr/bin/env python3
"""test_scan_lock.py — reading a huge file never makes another writer wait.

DESIGN.md section 9: no transaction is held open while a file is read.  Each
step below makes tagcon read a sparse PNG of several GB (a header, a hole,
the trailer: it takes seconds to hash) beside small images, while two other
writers use the same library:

  - a thread takes the write lock (BEGIN IMMEDIATE; COMMIT) every 20 ms with
    a busy timeout of LIMIT seconds: it must get it every time, within LIMIT;
  - `tagcon config set` runs back to back: each exits 0 within LIMIT.

The ways a file is read: tagcon scan (new files, then changed ones), tagcon
watch (a file arrives), tagcon tag (an unknown file is indexed first), and two
scans of one tree at once (each finds rows the other wrote between its read
and its write: both succeed, every file has one row).

The huge files live on tmpfs when there is one (see hole_dir); their size is
worked out from how fast tagcon hashes a hole here, so that one read takes
about READ_S seconds; `--gb N` sets it instead.

    python3 tests/integration/test_scan_lock.py build/tui/tagcon [--gb N]
"""
import atexit
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tctest  # noqa: E402

LIMIT = 1.0   # the longest another writer may wait, in seconds
READ_S = 2.5  # how long one read of the huge file should take
GIB = 1 << 30

gb = None
if "--gb" in sys.argv:
    i = sys.argv.index("--gb")
    gb = float(sys.argv[i + 1])
    del sys.argv[i:i + 2]

t = tctest.Suite("scan-lock")


def uncache(path):
    """Drop path's pages from the page cache: the next read is slow again,
    and the test leaves no gigabytes of zeros behind."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def sparse_png(path, size):
    """A PNG whose header is whole, then a hole up to size, then IEND."""
    png = tctest.png_header_only(640, 480)
    body, iend = png[:-12], png[-12:]
    with open(path, "wb") as f:
        f.write(body)
        f.truncate(size - len(iend))
        f.seek(size - len(iend))
        f.write(iend)
    return path


def hole_dir():
    """Where the huge files go: tmpfs when there is one, where a hole reads
    as the shared zero page (no page cache filled, the same speed every
    time: on a disk file system the first read of a hole allocates its
    pages, at a speed that varies tenfold on a VM); else the test's
    directory."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        d = tempfile.mkdtemp(prefix="tagcon-scan-lock-", dir="/dev/shm")
        atexit.register(shutil.rmtree, d, True)
        return d
    return t.mkdir("holes")


def huge_size(where):
    """Bytes one read of which takes tagcon about READ_S seconds here."""
    if gb is not None:
        return int(gb * GIB)
    d = os.path.join(where, "calibrate")
    os.makedirs(d)
    sparse_png(os.path.join(d, "c.png"), 2 * GIB)
    t0 = time.monotonic()
    t.tagcon_run("scan", d, db=os.path.join(t.root, "calibrate.db"))
    rate = 2 * GIB / max(time.monotonic() - t0, 1e-3)
    shutil.rmtree(d)
    size = int(min(max(rate * READ_S, GIB), 64 * GIB))
    print("# tagcon hashes a hole at %.2f GB/s in %s: the huge files are %.1f GB" % (
        rate / 1e9, where, size / 1e9))
    return size


class LockProbe(threading.Thread):
    """Takes the write lock every 20 ms; records (start, wait, error)."""

    def __init__(self, db):
        super().__init__(daemon=True)
        self.db = db
        self.samples = []
        self.halt = threading.Event()

    def run(self):
        con = sqlite3.connect(self.db, timeout=LIMIT, isolation_level=None,
                              check_same_thread=False)
        while not self.halt.is_set():
            t0 = time.monotonic()
            err = None
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("COMMIT")
            except sqlite3.OperationalError as e:
                err = str(e)
            self.samples.append((t0, time.monotonic() - t0, err))
            self.halt.wait(0.02)
        con.close()


class ConfigLoop(threading.Thread):
    """`tagcon config set` back to back; records (start, seconds, rc, stderr)."""

    def __init__(self, db):
        super().__init__(daemon=True)
        self.db = db
        self.runs = []
        self.halt = threading.Event()

    def run(self):
        n = 0
        while not self.halt.is_set():
            n += 1
            argv = [t.tagcon, "--db", self.db, "config", "set", "general_threshold",
                    "0.%d" % (30 + n % 40)]
            t0 = time.monotonic()
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                               env=t.base_env(), timeout=60)
            self.runs.append((t0, time.monotonic() - t0, p.returncode,
                              p.stderr.decode("utf-8", "replace").strip()))
            self.halt.wait(0.01)


def beside_writers(db, what, fn, huge):
    """Run fn() (which makes tagcon read the huge files) beside the two
    writers; check that neither waited longer than LIMIT."""
    probe, loop = LockProbe(db), ConfigLoop(db)
    probe.start()
    loop.start()
    # The config sets before the read: what a process costs here and now (a loaded
    # machine starts one in more than a second), the baseline of the bound below.
    time.sleep(1.0)
    t0 = time.monotonic()
    fn()
    t1 = time.monotonic()
    probe.halt.set()
    loop.halt.set()
    probe.join()
    loop.join()
    for path in huge:
        uncache(path)
    waits = [s for s in probe.samples if t0 <= s[0] < t1]
    sets = [r for r in loop.runs if t0 <= r[0] < t1]
    longest = max((s[1] for s in waits), default=0.0)
    longest_set = max((r[1] for r in sets), default=0.0)
    print("# %s: %.1f s; lock taken %d times, longest wait %.0f ms; %d config set, "
          "longest %.0f ms" % (what, t1 - t0, len(waits), longest * 1000, len(sets),
                               longest_set * 1000))
    if t1 - t0 < 1.5 * LIMIT:
        t.skip("%s: writers never wait more than %.1f s" % (what, LIMIT),
               "it took %.2f s, too short to tell (use --gb)" % (t1 - t0))
        return
    bad = [s for s in waits if s[2] is not None or s[1] > LIMIT]
    t.check(waits and not bad, "%s: the write lock was free within %.1f s every time (%d tries)"
            % (what, LIMIT, len(waits)),
            "%d of %d tries failed or waited too long, e.g. %.2f s into it: waited %.2f s, %s"
            % (len(bad), len(waits), bad[0][0] - t0, bad[0][1], bad[0][2]) if bad else
            "no try")
    before = [r[1] for r in loop.runs if r[0] < t0]
    base = max(before, default=0.0)
    bad = [r for r in sets if r[2] != 0 or r[1] > base + LIMIT]
    t.check(sets and not bad, "%s: every `tagcon config set` beside it exited 0 within %.1f s"
            " more than the slowest before it (%.2f s)" % (what, LIMIT, base),
            "%d of %d: exit %d after %.2f s: %s" % (len(bad), len(sets), bad[0][2], bad[0][1],
                                                   bad[0][3]) if bad else "none ran")


def small_images(d, names):
    base = t.image_bytes("png", 24, 24)
    for n in names:
        t.write(os.path.join(d, n), tctest.png_with_text(base, n.encode()))


def indexed(db, path):
    r, o = t.show(db, path)
    return o is not None and o.get("state") in ("new", "failed"), r


holes = hole_dir()
size = huge_size(holes)
lib = os.path.join(holes, "lib")
os.makedirs(lib)
db = os.path.join(t.root, "lib.db")
t.eq(t.tagcon_run("config", "set", "general_threshold", "0.35", db=db).rc, 0,
     "a fresh library")
# The small files sort before and after the huge one: the old scanner held
# the transaction of the file before it open through its read.
small_images(lib, ["a%d.png" % i for i in range(5)] + ["z%d.png" % i for i in range(5)])
big = sparse_png(os.path.join(lib, "big.png"), size)

# ---------------------------------------------------------------------------
t.section("tagcon scan: new files")
res = {}
beside_writers(db, "first scan", lambda: res.update(r=t.scan(db, lib)), [big])
t.eq(res["r"].rc, 0, "first scan exits 0")
t.eq(t.scan_totals(res["r"]).get("added"), 11, "first scan: 11 images added")
ok, r = indexed(db, big)
t.check(ok, "the huge file is indexed", r.describe())

# ---------------------------------------------------------------------------
t.section("tagcon scan: changed files")
for name in ("a0.png", "big.png", "z0.png"):
    st = os.stat(os.path.join(lib, name))
    os.utime(os.path.join(lib, name), ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
beside_writers(db, "rescan of changed files", lambda: res.update(r=t.scan(db, lib)), [big])
tot = t.scan_totals(res["r"])
t.eq((res["r"].rc, tot.get("changed"), tot.get("unchanged")), (0, 3, 8),
     "rescan exits 0: 3 changed, 8 unchanged")

# ---------------------------------------------------------------------------
t.section("tagcon watch: a huge file arrives")
watch = subprocess.Popen([t.tagcon, "--db", db, "watch", lib], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=t.base_env(),
                         cwd=t.root)
ready = watch.stderr.readline().decode("utf-8", "replace")
t.check("watching" in ready, "the watcher starts", ready.strip())
arrived = os.path.join(lib, "big-w.png")
said = []


def arrive():
    sparse_png(arrived, size)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = watch.stdout.readline().decode("utf-8", "replace")
        said.append(line.strip())
        if not line or ("indexed" in line and "big-w.png" in line):
            break


beside_writers(db, "watch indexing an arrival", arrive, [arrived])
watch.send_signal(signal.SIGTERM)
rest, err = watch.communicate(timeout=60)
t.eq(watch.returncode, 0, "the watcher stops on SIGTERM with exit 0")
t.check(said and "indexed" in said[-1], "the watcher says it indexed the arrival",
        "%r %r" % (said, err[-300:]))
ok, r = indexed(db, arrived)
t.check(ok, "the arrival is in the library", r.describe())

# ---------------------------------------------------------------------------
t.section("tagcon tag: an unknown huge file is indexed first")
unknown = sparse_png(os.path.join(lib, "big-t.png"), size)
uncache(unknown)
t.tagcon_run("config", "set", "spaces", "", db=db)
beside_writers(db, "tag indexing an unknown file",
               lambda: res.update(r=t.tagcon_run("tag", unknown, db=db)), [unknown])
# No Space is configured (none, not the public default): the run stops after indexing.
t.check(res["r"].rc != 0 and "Space" in res["r"].errtext, "tag says there is no Space",
        res["r"].describe())
ok, r = indexed(db, unknown)
t.check(ok, "tag indexed the unknown file", r.describe())

# ---------------------------------------------------------------------------
t.section("two scans of one tree at once")
lib2 = os.path.join(holes, "lib2")
os.makedirs(lib2)
small_images(lib2, ["b%d.png" % i for i in range(20)] + ["y%d.png" % i for i in range(20)])
big2 = sparse_png(os.path.join(lib2, "big.png"), size)
scans = []


def two_scans():
    argv = [t.tagcon, "--db", db, "scan", "--json", lib2]
    ps = [subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=t.base_env(), cwd=t.root)
          for _ in range(2)]
    for p in ps:
        out, err = p.communicate(timeout=300)
        scans.append(tctest.Run(argv, p.returncode, out, err))


beside_writers(db, "two scans of one tree", two_scans, [big2])
t.eq([s.rc for s in scans], [0, 0], "both scans exit 0", )
tots = [t.scan_totals(s) for s in scans]
t.eq([x.get("added", 0) + x.get("unchanged", 0) for x in tots], [41, 41],
     "each scan accounts for all 41 files (added or found recorded)")
t.eq(sum(x.get("added", 0) for x in tots), 41, "each file was added by one scan only")
t.eq(sum(x.get("failed", 0) + x.get("moved", 0) for x in tots), 0, "nothing failed or moved")
con = sqlite3.connect(db)
try:
    rows, paths = con.execute("SELECT count(*), count(DISTINCT path) FROM images").fetchone()
    t.eq((rows, paths), (54, 54), "the library: 54 rows, one per file")
    t.eq(con.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity_check ok")
finally:
    con.close()

for path in (big, arrived, unknown, big2):
    os.unlink(path)
t.finish()
