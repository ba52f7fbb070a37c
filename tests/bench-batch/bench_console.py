#!/usr/bin/env python3
"""bench_console.py — the tail (issue 11) run from the console's Batch screen, timed as a
person sees it.  Prints figures; asserts nothing about time.

The scenario is bench_batch.py's tail: DYING images (default 40), four fake Spaces serving
one request at a time in DYING_MS (800) ms, one of which stops answering after 3
predictions (hang, refuse, 503, heartbeats every 2 s; tests/batch/dyingfake.py), default
timeouts.  For each mode the real console runs in tmux (tests/e2e/tcconsole.py): `4` opens
the Batch screen, the clock starts as `s` is sent and stops at the first screen that says
the run finished (the screen is read every 50 ms; the console reads the run rows four
times a second, so the figure includes up to ~0.3 s of showing it).  Reported against the
ideal of the three Spaces that work, DYING x DYING_MS / 3 (target <= 1.25x).

Then, as a baseline in the same run on the same machine, the same scenario from the shell
(`tagcon batch --json`, bench_batch.py's timing), unless --no-shell.

Every answer is checked to be stored exactly once: a trigger in the library logs each
write of an answer (one per image, by a Space whose fake completed that image), as
tests/e2e/test_batch_tail.py does.

    python3 tests/bench-batch/bench_console.py build/tui/tagcon [--dying N] [--dying-ms L]
        [--modes hang,refuse,503,heartbeats] [--no-shell]
    meson test -C build --benchmark batch-console --verbose
"""
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "batch"))
NO_SHELL = "--no-shell" in sys.argv
if NO_SHELL:
    sys.argv.remove("--no-shell")
import bench_batch as bb  # noqa: E402  (takes --dying, --dying-ms, --modes from argv)
import batchlib  # noqa: E402
import tcconsole as tc  # noqa: E402
import test_batch_tail as tt  # noqa: E402  (the console test's screen readers)

# Past this, a run counts as not ended (reported, not waited for).
BOUND_S = 60 + 10 * bb.DYING * bb.DYING_MS / 1000.0 / 3


def scenario(t, tiles, mode, tag):
    """A library of the tiles, its four fakes (the dying one first) configured; (db, paths,
    fakes)."""
    lib = t.mkdir("lib-%s-%s" % (tag, mode))
    paths = t.tree(lib, tiles)
    db = t.path("%s-%s.db" % (tag, mode))
    t.run("scan", "--quiet", lib, db=db, timeout=300)
    dead = t.dying(mode, bb.DEAD_AFTER, "--concurrency", 1, "--service-ms", bb.DYING_MS,
                   "--heartbeat-s", 2, name="%s-%s-dead" % (tag, mode))
    good = [t.fake("--concurrency", 1, "--service-ms", bb.DYING_MS,
                   name="%s-%s-good%d" % (tag, mode, i)) for i in range(3)]
    fakes = [dead] + good
    t.config(db, "spaces", "\n".join(f.url for f in fakes))
    t.config(db, "upload_max_side", "0")  # the fakes see the files' own bytes
    return db, paths, fakes


def stored_once(db, paths, fakes):
    """(ok, detail): one logged write per image, each by a Space whose fake completed it."""
    sha = {}
    ro = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    for path, cid in ro.execute("SELECT path, content_id FROM images"):
        p = path.decode() if isinstance(path, bytes) else path
        if p in paths:
            sha[cid] = batchlib.sha256_file(p)
    log = ro.execute("SELECT content_id, space FROM test_store_log").fetchall()
    ro.close()
    done = {f.url: f.completed() for f in fakes}
    writes = {}
    for cid, space in log:
        writes.setdefault(cid, []).append(space)
    problems = []
    if sorted(writes) != sorted(sha):
        problems.append("%d images have an answer, of %d" % (len(writes), len(sha)))
    twice = [cid for cid, w in writes.items() if len(w) > 1]
    if twice:
        problems.append("%d answers written more than once" % len(twice))
    if any(done.get(w[0], {}).get(sha.get(cid), 0) == 0 for cid, w in writes.items()):
        problems.append("an answer names a Space whose fake did not complete that image")
    return not problems, "; ".join(problems)


def console_run(t, host, tiles, mode):
    db, paths, fakes = scenario(t, tiles, mode, "console")
    dbc = sqlite3.connect(db, timeout=10)
    dbc.executescript(tt.STORE_LOG)
    dbc.close()
    con = tc.Console(host, ["--db", db], width=120, height=30)
    wall = None
    try:
        if con.wait_for("img000", 30) is None:
            t.check(False, "%s: the console shows the library" % mode, con.screen())
            return None
        con.keys("4")
        if con.wait_for("No batch has run", 10) is None:
            t.check(False, "%s: the Batch screen" % mode, con.screen())
            return None
        t0 = time.monotonic()
        con.tmux("send-keys", "s")
        end = t0 + BOUND_S
        while time.monotonic() < end:
            tl = tt.title(con.screen())
            if tl and tl[1] not in ("running", "paused", "waiting"):
                wall = time.monotonic() - t0
                break
            time.sleep(0.05)
        t.check(wall is not None, "%s: the Batch screen says the run ended within %d s"
                % (mode, BOUND_S), con.screen())
        if wall is None:
            return None
        state = tt.title(con.screen())[1]
        run = t.runs(db)[-1]
        ok, why = stored_once(db, paths, fakes)
        t.check(state == "finished" and run["done"] == len(paths) and ok,
                "%s (console): every image tagged, every answer stored once" % mode,
                "state %s, done %d; %s" % (state, run["done"], why))
        hedges = sum(s.get("hedges", 0) for s in run["spaces"])
        con.keys("q")
        con.wait_for("[exit 0]", 10)
        return wall, hedges, ok and state == "finished"
    finally:
        con.kill()
        tt.kill_runner(db)
        for f in fakes:
            f.stop()


def shell_run(t, tiles, mode):
    db, paths, fakes = scenario(t, tiles, mode, "shell")
    try:
        fin, wall, _cpu, _rss, rc, events = bb.timed_batch(t, db, "shell-%s" % mode, BOUND_S)
        ok, why = bb.stored_once(t, db, paths, fakes, events)
        t.check(rc == 0 and ok, "%s (shell): every image tagged, every answer stored once"
                % mode, "exit %s; %s" % (rc, why))
        return wall, sum(1 for e in events if e.get("event") == "hedge"), rc == 0 and ok
    finally:
        for f in fakes:
            f.stop()


def body(t):
    t.note("machine: %s, %d CPUs, load %s; tagcon %s" % (
        os.uname().nodename, os.cpu_count(), open("/proc/loadavg").read().split()[:3],
        t.tagcon))
    ideal = bb.DYING * bb.DYING_MS / 1000.0 / 3
    tiles = t.tiles(bb.DYING, size=128, seed=81)
    host = tt.Host(t)
    rows = []
    try:
        for mode in bb.MODES:
            t.section("%s: from the Batch screen" % mode)
            c = console_run(t, host, tiles, mode)
            s = None
            if not NO_SHELL:
                t.section("%s: from the shell" % mode)
                s = shell_run(t, tiles, mode)
            rows.append((mode, c, s))
            if c:
                t.note("%s: console %.1f s, %.2fx the ideal %.2f s; %d hedges" % (
                    mode, c[0], c[0] / ideal, ideal, c[1]))
    finally:
        for c in host.consoles:
            c.kill()
    print()
    print("the tail from the Batch screen: %d images, 4 fake Spaces (--concurrency 1 "
          "--service-ms %d), one stops after %d answers; ideal = %d x %d ms / 3 = %.2f s"
          % (bb.DYING, bb.DYING_MS, bb.DEAD_AFTER, bb.DYING, bb.DYING_MS, ideal))
    print("%-11s %10s %8s %7s %8s %9s %8s %7s" % ("mode", "console s", "ratio", "hedges",
                                                  "once", "shell s", "ratio", "hedges"))
    for mode, c, s in rows:
        cs = ("%10.1f %7.2fx %7d %8s" % (c[0], c[0] / ideal, c[1], "yes" if c[2] else "NO")
              if c else "%10s %8s %7s %8s" % ("-", "-", "-", "-"))
        ss = ("%9.1f %7.2fx %7d" % (s[0], s[0] / ideal, s[1]) if s else
              "%9s %8s %7s" % ("-", "-", "-"))
        print("%-11s %s %s" % (mode, cs, ss))
    print()
    sys.stdout.flush()


if __name__ == "__main__":
    batchlib.Suite("bench-batch-console").main(body)
