#!/usr/bin/env python3
"""bench_batch.py — throughput and cost of `tagcon batch` against K fake Spaces (issue 4,
DESIGN.md §8), and the tail when one Space dies.  Prints figures; asserts nothing about time.

  1. Throughput: IMAGES distinct small JPEGs (photo-like tiles cut by vips), K fake Spaces
     (K = 1, 4, 8 by default), each serving one request at a time in L ms (--concurrency 1
     --service-ms L), tagcon's defaults otherwise (space_inflight 2: one upload overlaps the
     previous inference).  Reports images/s next to the ideal K x 1000 / L and their ratio
     (target >= 95 %), the CPU time (user + system) of the tagcon process per image, and its
     peak RSS — both from wait4() on that one process.
  2. Upload size: BIG photo-like 4000x3000 JPEGs (Q 90) tagged with the default settings
     (upload_max_side 448, the default): bytes sent per image next to the file size (target <= 5 %),
     counted by tagcon (whole requests) and by the fake (image payload), plus CPU per image.

  3. The tail (DESIGN.md §5, §8): DYING images (default 40), four fake Spaces serving one
     request at a time in DYING_MS (800) ms, one of which stops answering after 3
     predictions, in each of four ways (tests/batch/dyingfake.py): hang (connections open,
     no byte, no heartbeat), refuse (the process is gone: reset, then refused), 503 (every
     request answered 503, open streams cut) and heartbeats (requests taken, streams send a
     heartbeat every 2 s, nothing ever completes).  Default timeouts (35 s silence, 120 s
     deadline).  Reports the run's time against the ideal of the three Spaces that work,
     DYING x DYING_MS / 3 (target <= 1.25x), the hedged requests, and whether every answer
     was stored exactly once (against what the fakes completed).

Every tagcon run is bounded in time (killed, and reported, past its bound).

A/B: --against OLD_TAGCON runs the throughput part with both binaries, alternated (new, old,
then old, new, ...) for --rounds N rounds, each run on a library scanned by its own binary;
the table then has one row per run, and a summary of each binary's ratios.  --fake PATH
serves with another fake_space.py (e.g. an older one, to see what the fake itself costs).

    python3 tests/bench-batch/bench_batch.py build/tui/tagcon [--images N] [--k 1,4,8]
        [--latency-ms L] [--big N] [--dying N] [--dying-ms L] [--modes hang,refuse,503,heartbeats]
        [--only throughput|size|tail] [--against OLD_TAGCON] [--rounds N] [--fake PATH]
    meson test -C build --benchmark --suite bench-batch --verbose
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "batch"))
import batchlib  # noqa: E402

IMAGES, KS, LATENCY_MS, BIG = 1000, [1, 4, 8], 100, 3
DYING, DYING_MS, MODES, DEAD_AFTER = 40, 800, ["hang", "refuse", "503", "heartbeats"], 3


def take(flag, conv):
    if flag in sys.argv:
        i = sys.argv.index(flag)
        v = conv(sys.argv[i + 1])
        del sys.argv[i:i + 2]
        return v
    return None


v = take("--images", int)
IMAGES = v if v else IMAGES
v = take("--k", lambda s: [int(x) for x in s.split(",")])
KS = v if v else KS
v = take("--latency-ms", int)
LATENCY_MS = v if v else LATENCY_MS
v = take("--big", int)
BIG = v if v is not None else BIG
v = take("--dying", int)
DYING = v if v else DYING
v = take("--dying-ms", int)
DYING_MS = v if v else DYING_MS
v = take("--modes", lambda s: s.split(","))
MODES = v if v else MODES
ONLY = take("--only", str)
AGAINST = take("--against", os.path.abspath)
ROUNDS = take("--rounds", int) or 1
v = take("--fake", os.path.abspath)
if v:
    batchlib.FAKE = v


def wait4_bounded(pid, bound_s):
    """os.wait4 on pid, SIGKILLing it past bound_s; (status, rusage, killed)."""
    deadline = time.monotonic() + bound_s
    while True:
        got, status, ru = os.wait4(pid, os.WNOHANG)
        if got == pid:
            return status, ru, False
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            _pid, status, ru = os.wait4(pid, 0)
            return status, ru, True
        time.sleep(0.02)


def timed_batch(t, db, name, bound_s=3600):
    """Run tagcon batch --json, killed past bound_s; (finish progress, wall s, cpu s, peak
    RSS MiB, rc (None when killed), events)."""
    argv = t.argv(["batch", "--json"], db)
    out_path = t.path("%s.out" % name)
    t0 = time.monotonic()
    with open(out_path, "wb") as out, open(t.path("%s.err" % name), "wb") as err:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             env=t.env(), cwd=t.root)
        status, ru, killed = wait4_bounded(p.pid, bound_s)
        p.returncode = None if killed else os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    finish = None
    with open(out_path, "rb") as f:
        events = [e for e in batchlib.Run([], 0, f.read(), b"", 0).lines() if isinstance(e, dict)]
    for ev in events:
        if ev.get("event") == "finish":
            finish = ev.get("progress", {})
    t.check(not killed, "%s: the run ended within its bound (%d s)" % (name, bound_s))
    return (finish or {}, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, p.returncode,
            events)


def throughput(t, rows):
    t.section("%d images, K fake Spaces of one request at a time in %d ms" % (
        IMAGES, LATENCY_MS))
    lib = t.mkdir("lib")
    t0 = time.monotonic()
    tiles = t.tiles(IMAGES, size=128, seed=61)
    for i, p in enumerate(tiles):
        d = os.path.join(lib, "d%02d" % (i // 100))
        os.makedirs(d, exist_ok=True)
        os.rename(p, os.path.join(d, "img%04d.jpg" % i))
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(lib) for f in fs)
    t.note("generated %d JPEGs (%.1f KB each) in %.1f s" % (
        IMAGES, size / IMAGES / 1024, time.monotonic() - t0))
    new = t.tagcon
    for k in KS:
        for rnd in range(ROUNDS):
            order = [("new", new)] + ([("old", AGAINST)] if AGAINST else [])
            for label, binary in order if rnd % 2 == 0 else order[::-1]:
                t.tagcon = binary
                try:
                    run_k(t, rows, lib, k, "%s%d" % (label, rnd) if AGAINST else "")
                finally:
                    t.tagcon = new


def run_k(t, rows, lib, k, tag):
    """One batch over the library with K fakes; a row for the table."""
    name = "k%d%s" % (k, tag)
    db = t.path("%s.db" % name)
    r = t.run("scan", "--quiet", lib, db=db, timeout=600)
    t.check(r.rc == 0, "K=%d: scan" % k, r.describe())
    fakes = [t.fake("--concurrency", 1, "--service-ms", LATENCY_MS, name="%s-%d" % (name, i))
             for i in range(k)]
    t.config(db, "spaces", "\n".join(f.url for f in fakes))
    # Bounded: ten times the ideal, and a minute.
    bound = 60 + 10 * IMAGES * LATENCY_MS / 1000.0 / k
    fin, wall, cpu, rss, rc, _ev = timed_batch(t, db, name, bound)
    done = fin.get("done", 0)
    completed = sum(f.stats()["predictions_completed"] for f in fakes)
    t.check(rc == 0 and done == IMAGES and completed == IMAGES,
            "K=%d%s: %d images tagged, %d predictions" % (k, tag, done, completed),
            "exit %s" % rc)
    elapsed = fin.get("elapsed_s") or wall
    rate = done / elapsed if elapsed else 0
    ideal = k * 1000.0 / LATENCY_MS
    busiest = max(f.stats()["max_concurrent"] for f in fakes)
    t.check(busiest <= 1, "K=%d%s: each fake served one request at a time" % (k, tag), busiest)
    label = "K=%d" % k + (" " + tag if tag else "")
    rows.append((label, done, elapsed, rate, ideal, rate / ideal, cpu / max(done, 1),
                 rss, fin.get("bytes_sent", 0) / max(done, 1)))
    t.note("%s: %.1f img/s (ideal %.0f, %.1f %%) in %.1f s, CPU %.2f ms/image, peak RSS "
           "%.1f MiB; load %s" % (label, rate, ideal, 100 * rate / ideal, elapsed,
                                  1000 * cpu / max(done, 1), rss,
                                  " ".join(open("/proc/loadavg").read().split()[:3])))
    for f in fakes:
        f.stop()


def upload_size(t, big_rows):
    if BIG <= 0:
        return
    t.section("%d photo-like 12 MP JPEGs, default settings" % BIG)
    lib = t.mkdir("big")
    t0 = time.monotonic()
    paths = [t.photo(os.path.join(lib, "photo%d.jpg" % i), 4000, 3000, 71 + 13 * i,
                     coarse=160, fine=16, grain=4.0, q=90) for i in range(BIG)]
    files = sum(os.path.getsize(p) for p in paths)
    t.note("generated %d JPEGs 4000x3000 Q90 (%.2f MB each) in %.1f s" % (
        BIG, files / BIG / 1e6, time.monotonic() - t0))
    db = t.path("big.db")
    t.run("scan", lib, db=db)
    fake = t.fake("--concurrency", 1, "--service-ms", LATENCY_MS, name="big")
    t.config(db, "spaces", fake.url)
    fin, wall, cpu, rss, rc, _ev = timed_batch(t, db, "big", 600)
    st = fake.stats()
    t.check(rc == 0 and fin.get("done") == BIG, "12 MP: all tagged", "exit %s" % rc)
    sent = fin.get("bytes_sent", 0)
    payload = st["bytes_uploaded"]
    big_rows.append((BIG, files / BIG, sent / BIG, payload / BIG, sent / files, payload / files,
                     cpu / BIG, rss))
    fake.stop()


def stored_once(t, db, paths, fakes, events):
    """Whether every answer was stored exactly once: one done event per image, an answer
    stored for each, each completed by some fake, and none completed twice unless hedged.
    (ok, detail)."""
    shas = {batchlib.sha256_file(p): p for p in paths}
    done = [e.get("path") for e in events if e.get("event") == "done"]
    hedged = {e.get("path") for e in events if e.get("event") == "hedge"}
    completed = {}
    for f in fakes:
        for sha, n in f.stats()["completed_by_sha256"].items():
            completed[sha] = completed.get(sha, 0) + n
    twice = {shas.get(h) for h, n in completed.items() if n > 1}
    problems = []
    if sorted(done) != sorted(paths):
        problems.append("done events %d for %d images" % (len(done), len(paths)))
    if sorted(t.tagged_paths(db) & set(paths)) != sorted(paths):
        problems.append("not every answer stored")
    if set(shas) - set(completed):
        problems.append("%d answers no fake completed" % len(set(shas) - set(completed)))
    if not twice <= hedged:
        problems.append("completed twice without a hedge: %s" % sorted(twice - hedged)[:3])
    return not problems, "; ".join(problems)


def tail(t, rows):
    t.section("the tail: %d images, 4 Spaces of one request at a time in %d ms, one dies after "
              "%d answers" % (DYING, DYING_MS, DEAD_AFTER))
    ideal = DYING * DYING_MS / 1000.0 / 3
    for mode in MODES:
        lib = t.mkdir("tail-%s" % mode)
        paths = t.tree(lib, t.tiles(DYING, size=128, seed=81))
        db = t.path("tail-%s.db" % mode)
        t.run("scan", "--quiet", lib, db=db, timeout=120)
        good = [t.fake("--concurrency", 1, "--service-ms", DYING_MS, name="%s-good%d" % (mode, i))
                for i in range(3)]
        dead = t.dying(mode, DEAD_AFTER, "--concurrency", 1, "--service-ms", DYING_MS,
                       "--heartbeat-s", 2, name="%s-dead" % mode)
        fakes = [dead] + good  # the dying one first: it gets work from the start
        t.config(db, "spaces", "\n".join(f.url for f in fakes))
        t.config(db, "upload_max_side", "0")  # the fake sees the file's bytes
        fin, wall, cpu, rss, rc, events = timed_batch(t, db, "tail-%s" % mode, 60 + 10 * ideal)
        ok, why = stored_once(t, db, paths, fakes, events)
        t.check(rc == 0 and ok, "%s: every image tagged, every answer stored once" % mode,
                "exit %s; %s" % (rc, why))
        hedges = sum(1 for e in events if e.get("event") == "hedge")
        dead_done = dead.stats()["predictions_completed"]
        rows.append((mode, wall, fin.get("elapsed_s") or wall, ideal, hedges, rc, ok, dead_done))
        t.note("%s: %.1f s (batch %.1f s), ideal %.2f s, %.2fx; %d hedges; the dead Space "
               "answered %d" % (mode, wall, fin.get("elapsed_s") or wall, ideal, wall / ideal,
                                hedges, dead_done))
        for f in fakes:
            f.stop()


def print_tail(rows):
    if not rows:
        return
    print()
    print("the tail: %d images, 4 fake Spaces (--concurrency 1 --service-ms %d), one stops "
          "after %d answers; ideal = %d x %d ms / 3 working Spaces" % (
              DYING, DYING_MS, DEAD_AFTER, DYING, DYING_MS))
    print("%-11s %8s %8s %8s %7s %7s %5s %12s %10s" % (
        "mode", "time s", "batch s", "ideal s", "ratio", "hedges", "exit", "stored once",
        "dead did"))
    for mode, wall, el, ideal, hedges, rc, ok, dead_done in rows:
        print("%-11s %8.1f %8.1f %8.2f %6.2fx %7d %5s %12s %10d" % (
            mode, wall, el, ideal, wall / ideal, hedges, rc, "yes" if ok else "NO", dead_done))


def body(t):
    t.note("machine: %s, %d CPUs, load %s; tagcon %s" % (
        os.uname().nodename, os.cpu_count(), open("/proc/loadavg").read().split()[:3],
        t.tagcon))
    rows, big_rows, tail_rows = [], [], []
    if ONLY in (None, "tail"):
        tail(t, tail_rows)
    if ONLY in (None, "throughput"):
        throughput(t, rows)
    if ONLY in (None, "size"):
        upload_size(t, big_rows)
    print_tail(tail_rows)
    print()
    if rows:
        print("batch throughput: %d images, fake Spaces with --concurrency 1 --service-ms %d, "
              "space_inflight 2" % (IMAGES, LATENCY_MS))
        print("%-10s %6s %8s %9s %9s %7s %12s %9s %10s" % (
            "K", "images", "time s", "img/s", "ideal", "ratio", "CPU ms/img", "RSS MiB",
            "sent B/img"))
    for k, done, el, rate, ideal, ratio, cpu, rss, sent in rows:
        print("%-10s %6d %8.1f %9.2f %9.1f %6.1f%% %12.2f %9.1f %10.0f" % (
            k, done, el, rate, ideal, 100 * ratio, 1000 * cpu, rss, sent))
    if AGAINST and rows:
        print("A/B, ratio to the ideal per run (%s = new, %s = old):" % (
            os.path.basename(sys.argv[1]) if len(sys.argv) > 1 else "new", AGAINST))
        for k in KS:
            for label in ("new", "old"):
                got = [100 * r[5] for r in rows if r[0].startswith("K=%d %s" % (k, label))]
                print("  K=%d %s: %s" % (k, label, ", ".join("%.1f %%" % g for g in got)))
    for n, fsize, sent, payload, r_sent, r_payload, cpu, rss in big_rows:
        print()
        print("upload size, %d JPEGs 4000x3000 Q90, upload_max_side 448 (default)" % n)
        print("  file %.0f B/img; sent by tagcon %.0f B/img (%.2f %% of the file); image "
              "payload at the Space %.0f B/img (%.2f %%); CPU %.0f ms/img; peak RSS %.1f MiB"
              % (fsize, sent, 100 * r_sent, payload, 100 * r_payload, 1000 * cpu, rss))
    print()
    sys.stdout.flush()


if __name__ == "__main__":
    batchlib.Suite("bench-batch").main(body)
