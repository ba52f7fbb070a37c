#!/usr/bin/env python3
"""test_batch_tail.py — the tail (issue 11) through the Batch screen, as a person runs it.

For each way a Space can die (hang, refuse, 503, heartbeats; tests/batch/dyingfake.py):
a library of 40 distinct JPEGs, four fake Spaces serving one request at a time in 800 ms,
the first of which stops answering after 3 predictions.  The console runs in tmux; `4`
opens the Batch screen and `s` starts the run there; the screen is read until it says the
run ended.  Then:

  - every image is tagged, and each answer was stored exactly once: a trigger added to
    the library logs every row written to `tagged`, and each content has one such write,
    by a Space whose fake completed that image (the fakes' own counts, by SHA-256 of the
    bytes they received); images a fake completed twice are no more than the hedges;
  - on the way the screen showed the dead Space as failing (with its error; for 503, failing
    or waking, as tagcon names a 503 page after a moment), progress
    never went backwards nor past the total, and for hang and heartbeats (where only a
    hedge ends the run early) hedges were counted;
  - the finished screen is coherent: state finished, 100 % and 40 / 40, no ETA, "tagged
    40 · failed 0", each Space's done / failed / hedges as the database has them, the
    done adding up to the run's, and no Space counting down to a retry that will not come;
  - the step after: `5` (Log) lists no failed image, `1` shows the Library,
    `/state:tagged` lists the 40 images, `q` exits 0.

No check depends on how long anything took.  The modes run at once, each with its library,
fakes and console; their checks are reported mode by mode.  TAGCON_TAIL_MODES=hang,503 runs
fewer modes.

    python3 tests/e2e/test_batch_tail.py build/tui/tagcon
"""
import collections
import os
import re
import signal
import sqlite3
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "batch"))
import batchlib  # noqa: E402
import tcconsole as tc  # noqa: E402

N, SERVICE_MS, DEAD_AFTER = 40, 800, 3
MODES = [m for m in os.environ.get("TAGCON_TAIL_MODES", "hang,refuse,503,heartbeats").split(",")
         if m]
# What the dead Space must be shown as, with its error, at some point of the run.  A 503
# with an HTML page is what a Space's proxy says while the app starts: after the cut
# stream makes it failing for about a second, tagcon calls it waking (core/spaceerr.c),
# so either is right there.
OUT_OF_SERVICE = {"hang": ("failing",), "heartbeats": ("failing",), "refuse": ("failing",),
                  "503": ("failing", "waking")}
# How long one run may take before the test gives up on it (not a check: the ideal is
# N x 800 ms / 3 = 10.7 s; the dead Space's own timeouts are 35 s and 120 s).
RUN_BOUND_S = 150

# Every write of an answer, logged by the database itself.  The runner replaces an
# answer with DELETE + INSERT; an UPDATE is logged too so that no way of writing one
# twice goes unseen.
STORE_LOG = """
CREATE TABLE test_store_log(content_id INTEGER, model_id INTEGER, space TEXT, how TEXT);
CREATE TRIGGER test_store_insert AFTER INSERT ON tagged BEGIN
  INSERT INTO test_store_log VALUES (new.content_id, new.model_id, new.space, 'insert');
END;
CREATE TRIGGER test_store_update AFTER UPDATE OF content_id, model_id, space, tagged_at
  ON tagged BEGIN
  INSERT INTO test_store_log VALUES (new.content_id, new.model_id, new.space, 'update');
END;
"""


class Host:
    """What tcconsole.Console needs of its suite, from a batchlib.Suite."""

    def __init__(self, t):
        self.tagcon = t.tagcon
        self.env = t.env({"LANG": "C.UTF-8"})
        self.consoles = []
        self.path = t.path
        self.lock = threading.Lock()  # a console's tmux socket is named by their number


Row = collections.namedtuple("Row", "state infl done failed hedges retry error")


def space_line(screen, port):
    """The row of the Space on port as the Batch screen shows it (a Row), or None when it
    is not on the screen: state, in flight, done, failed, hedges, latency, next try
    ("in 42s", a clock time, "in 2d" or "-"), last error ("-" for none)."""
    for line in screen.splitlines():
        m = re.search(r":%d\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+ ms|-)\s+"
                      r"(in \d+[sd]|\d\d:\d\d:\d\d|-)\s+(.*)$" % port, line)
        if m:
            return Row(m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)),
                       int(m.group(5)), m.group(6), m.group(7).strip())
    return None


def progress(screen):
    m = re.search(r"(\d+\.\d)%\s+(\d+) / (\d+)", screen)
    return (float(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def title(screen):
    for line in screen.splitlines():
        m = re.match(r"\s*Run #(\d+)\s+(\S+)", line)
        if m:
            return int(m.group(1)), m.group(2)
    return None


def kill_runner(db):
    """The runner the console started is detached: a test that stops early ends it."""
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
        rows = con.execute("SELECT pid FROM runs WHERE state IN ('running', 'paused',"
                           " 'waiting')").fetchall()
        con.close()
    except sqlite3.Error:
        return
    for (pid,) in rows:
        batchlib.kill_quietly(pid, signal.SIGKILL)


def watch(t, con, ports, dead_port, mode):
    """Read the Batch screen until the run ends; what was seen on the way."""
    seen = {"frames": 0, "dead_failing": None, "back": [], "over": [], "hedges_max": 0,
            "final": None}
    last = -1
    end = time.monotonic() + RUN_BOUND_S
    while time.monotonic() < end:
        scr = con.screen()
        seen["frames"] += 1
        p = progress(scr)
        if p:
            if p[1] < last:
                seen["back"].append((last, p[1]))
            if p[1] > p[2] or p[2] != N:
                seen["over"].append(p)
            last = max(last, p[1])
        d = space_line(scr, dead_port)
        if d and d.state in OUT_OF_SERVICE[mode] and d.error not in ("", "-") and \
                not seen["dead_failing"]:
            seen["dead_failing"] = scr
        shown = [space_line(scr, port) for port in ports]
        seen["hedges_max"] = max([seen["hedges_max"]] + [sum(s.hedges for s in shown if s)])
        tl = title(scr)
        if tl and tl[1] not in ("running", "paused", "waiting"):
            seen["final"] = scr
            return seen
        time.sleep(0.1)
    t.check(False, "%s: the Batch screen says the run ended within %d s" % (mode, RUN_BOUND_S),
            con.screen())
    return seen


def db_state(t, db):
    run = t.runs(db)[-1]
    return run, {s["url"]: s for s in run["spaces"]}


def screen_agrees(scr, run, rows, fakes):
    """Whether the finished screen shows the run and every Space as the database has them."""
    if progress(scr) != (100.0, run["done"] + run["failed"], run["total"]):
        return False
    if "tagged %d · failed %d" % (run["done"], run["failed"]) not in scr:
        return False
    for f in fakes:
        s = space_line(scr, f.port)
        row = rows.get(f.url)
        if s is None or row is None:
            return False
        if (s.done, s.failed, s.hedges) != (row["done"], row["failed"], row.get("hedges", 0)):
            return False
    return True


def one_mode(t, host, tiles, mode):
    t.section("%s: one Space of four dies after %d answers" % (mode, DEAD_AFTER))
    lib = t.mkdir("lib-%s" % mode)
    paths = t.tree(lib, tiles)
    shas = {batchlib.sha256_file(p): p for p in paths}
    db = t.path("%s.db" % mode)
    t.eq(t.run("scan", "--quiet", lib, db=db, timeout=120).rc, 0, "%s: scan %d images"
         % (mode, N))
    dbc = sqlite3.connect(db, timeout=10)
    dbc.executescript(STORE_LOG)
    dbc.close()
    dead = t.dying(mode, DEAD_AFTER, "--concurrency", 1, "--service-ms", SERVICE_MS,
                   "--heartbeat-s", 2, name="%s-dead" % mode)
    good = [t.fake("--concurrency", 1, "--service-ms", SERVICE_MS, name="%s-good%d" % (mode, i))
            for i in range(3)]
    fakes = [dead] + good  # the dying one first: it gets work from the start
    t.config(db, "spaces", "\n".join(f.url for f in fakes))
    t.config(db, "upload_max_side", "0")  # the fakes see the files' own bytes

    with host.lock:
        con = tc.Console(host, ["--db", db], width=120, height=30)
    try:
        t.check(con.wait_for("img000", 20) is not None, "%s: the console shows the library"
                % mode, con.screen())
        con.keys("4")
        t.check(con.wait_for("No batch has run", 10) is not None, "%s: 4 opens the Batch screen"
                % mode, con.screen())
        con.keys("s")
        scr = con.wait(lambda s: title(s) is not None, 20)
        t.check(scr is not None, "%s: s starts a run and the screen follows it" % mode,
                con.screen())
        seen = watch(t, con, [f.port for f in fakes], dead.port, mode)
        final = seen["final"]
        if final is None:
            return
        t.note("%s: %d frames read" % (mode, seen["frames"]))
        run, rows = db_state(t, db)
        t.eq(title(final), (run["id"], "finished"), "%s: the screen says run #%d finished"
             % (mode, run["id"]))
        t.check(seen["dead_failing"] is not None, "%s: the dead Space was shown %s, with its "
                "error" % (mode, " or ".join(OUT_OF_SERVICE[mode])), final)
        if seen["dead_failing"]:
            t.note("%s: %s" % (mode, [ln.strip() for ln in seen["dead_failing"].splitlines()
                                      if ":%d " % dead.port in ln][:1]))
        t.eq(seen["back"], [], "%s: progress never went backwards" % mode)
        t.eq(seen["over"], [], "%s: progress never past the total of %d" % (mode, N))

        # -- the database and the fakes ------------------------------------------------
        imgs = t.images(db)
        t.eq(sorted(p for p in paths if imgs.get(p, {}).get("state") == "tagged"), sorted(paths),
             "%s: every image tagged" % mode)
        ro = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
        cid_sha = {}
        for path, cid in ro.execute("SELECT path, content_id FROM images"):
            p = path.decode() if isinstance(path, bytes) else path
            if p in paths:
                cid_sha[cid] = batchlib.sha256_file(p)
        log = ro.execute("SELECT content_id, space, how FROM test_store_log").fetchall()
        hedged_rows = sum(s.get("hedges", 0) for s in rows.values())
        ro.close()
        writes = {}
        for cid, space, _how in log:
            writes.setdefault(cid, []).append(space)
        t.eq(sorted(cid for cid, w in writes.items() if len(w) != 1), [],
             "%s: each answer written once (%d writes for %d images)" % (mode, len(log), N))
        t.eq(sorted(writes), sorted(cid_sha), "%s: the writes are the images' answers" % mode)
        by_url = {f.url: f.completed() for f in fakes}
        wrong = [(cid_sha.get(cid), w) for cid, w in writes.items()
                 if not all(by_url.get(sp, {}).get(cid_sha.get(cid), 0) > 0 for sp in w)]
        t.eq(wrong, [], "%s: each stored answer names a Space whose fake completed that image"
             % mode)
        completed = {}
        for c in by_url.values():
            for sha, k in c.items():
                completed[sha] = completed.get(sha, 0) + k
        t.eq(sorted(set(completed) - set(shas)), [], "%s: the fakes completed only our images"
             % mode)
        twice = sum(k - 1 for k in completed.values() if k > 1)
        t.check(twice <= hedged_rows, "%s: images completed twice (%d) are no more than the "
                "hedges (%d)" % (mode, twice, hedged_rows))
        dead_did = dead.stats()["predictions_completed"]
        t.eq(dead_did, DEAD_AFTER, "%s: the dead Space answered %d" % (mode, DEAD_AFTER))

        # -- the finished screen ---------------------------------------------------------
        # The screen reads the rows four times a second: give it a moment to catch up
        # with the last write, then it must agree with the database.
        scr = con.wait(lambda s: screen_agrees(s, run, rows, fakes), 5) or con.screen()
        t.check(screen_agrees(scr, run, rows, fakes), "%s: the finished screen shows the run's "
                "and every Space's counts as stored" % mode,
                "%s\nrun %r\nspaces %r" % (
                    scr, {k: run[k] for k in ("done", "failed", "total")},
                    [(u, r["state"], r["done"], r["failed"], r.get("hedges"))
                     for u, r in rows.items()]))
        t.eq((run["done"], run["failed"], run["total"]), (N, 0, N), "%s: the run row: %d done, "
             "none failed" % (mode, N))
        t.eq(sum(r["done"] for r in rows.values()), run["done"], "%s: the Spaces' done add up "
             "to the run's" % mode)
        t.check("ETA -" in scr, "%s: no ETA once the run has ended" % mode, scr)
        t.check("tagged %d · failed 0" % N in scr and "100.0%%  %d / %d" % (N, N) in scr,
                "%s: totals: 100%%, %d / %d, tagged %d, failed 0" % (mode, N, N, N), scr)
        t.check("finished after" in scr, "%s: the note says how long it took" % mode, scr)
        t.check("batch finished" in scr.splitlines()[0], "%s: the tab line says it finished"
                % mode, scr)
        shown_hedges = sum(s.hedges for s in (space_line(scr, f.port) for f in fakes) if s)
        t.eq(shown_hedges, hedged_rows, "%s: the screen counts the hedges the database has (%d)"
             % (mode, hedged_rows))
        if mode in ("hang", "heartbeats"):
            # The dead Space holds its requests open: only a hedge ends the run before the
            # 35 s silence limit (hang) or never (heartbeats within the 120 s deadline).
            t.check(seen["hedges_max"] >= 1 and shown_hedges >= 1, "%s: hedges shown while "
                    "running and at the end (%d)" % (mode, shown_hedges), scr)
        d = space_line(scr, dead.port)
        t.check(d is not None and d.state not in ("ready", "busy") and d.infl == 0,
                "%s: at the end the dead Space is not shown ready, nothing in flight" % mode,
                d)
        t.check(all(space_line(scr, f.port) and space_line(scr, f.port).infl == 0 for f in good),
                "%s: nothing in flight on the working Spaces at the end" % mode, scr)
        # A finished run tries no Space again: no countdown to a retry that never comes.
        # (read on the first frame that said finished: a countdown of 1 s runs out soon)
        t.check(all(space_line(final, f.port) and space_line(final, f.port).retry == "-"
                    for f in fakes), "%s: no Space shows a next try once the run ended" % mode,
                final)
        t.eq([u for u, r in rows.items() if r["next_retry_at"]], [], "%s: ... nor has one in "
             "the run rows" % mode)

        # -- the step after --------------------------------------------------------------
        con.keys("5")
        t.check(con.wait_for("Nothing failed.", 10) is not None, "%s: 5: the Log lists no "
                "failed image" % mode, con.screen())
        con.keys("1")
        t.check(con.wait(lambda s: "%d images" % N in s and "img0" in s, 10) is not None,
                "%s: 1 shows the Library after the run" % mode, con.screen())
        con.keys("/")
        con.type("state:tagged")
        con.keys("Enter")
        scr = con.wait(lambda s: "%d images" % N in s and "img000" in s and
                       "state:tagged" in s, 10)
        t.check(scr is not None and "new" not in [w for ln in scr.splitlines()
                                                  for w in ln.split()],
                "%s: state:tagged lists all %d images" % (mode, N), con.screen())
        con.keys("q")
        t.check(con.wait_for("[exit 0]", 10) is not None, "%s: q exits 0" % mode, con.screen())
    finally:
        con.kill()
        kill_runner(db)
        for f in fakes:
            f.stop()


def body(t):
    host = Host(t)
    tiles = t.tiles(N, size=128, seed=81)
    try:
        t.cases(*[lambda u, mode=mode: one_mode(u, host, tiles, mode) for mode in MODES])
    finally:
        for c in host.consoles:
            c.kill()


if __name__ == "__main__":
    batchlib.Suite("e2e-batch-tail").main(body)
