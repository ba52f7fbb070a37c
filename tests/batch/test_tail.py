#!/usr/bin/env python3
"""test_tail.py — Spaces that stop answering cost a run little (DESIGN.md §5 "The tail").

Hedged requests: three working Spaces and one that stops answering after 2 predictions,
once with its connections silent (hang) and once sending heartbeats for ever; 24 images,
default timeouts (35 s of silence, 120 s deadline), so only hedging can end the run early:
  - the run ends in well under the silence timeout, every image tagged, exit 0;
  - each image late on the dead Space was sent again (a "hedge" event), and the dead Space
    is marked failing with the reason;
  - every answer is stored exactly once: one done event per image, the stored answers are
    the images, each fake's completed predictions (its /__fake/stats) cover them, and no
    image was completed more than once unless it was hedged;
  - hedges are counted per Space in the run rows, `batch status --json` and the progress
    events, and agree with the hedge events.

Deadlines (every run bounded in time):
  - a Space that sends a heartbeat every second and never answers is cut off by
    request_deadline (5 s): the images fail with "within 5 s", in about that time, not never;
  - a Space whose stream sends no byte at all is cut off by silence_timeout (16 s);
  - the old setting name request_timeout is refused with a hint to its new name, and
    silence_timeout below one heartbeat (15 s) is refused.

    python3 tests/batch/test_tail.py build/tui/tagcon
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402


def library(t, name, n, seed):
    lib = t.mkdir(name)
    paths = t.tree(lib, t.tiles(n, size=128, seed=seed))
    db = t.path("%s.db" % name)
    t.eq(t.run("scan", "--quiet", lib, db=db).rc, 0, "%s: scan %d images" % (name, n))
    return db, paths


def failed_events(events):
    return [e for e in events if isinstance(e, dict) and e.get("event") == "failed"]


# Each case below sets up its library and fakes, and returns its run (the slow step: it waits
# out a deadline or a dead Space) and the checks of that run: body() runs the four at once.

def deadline(t):
    what = "a Space that sends heartbeats for ever meets request_deadline"
    db, paths = library(t, "deadline", 2, 31)
    fake = t.dying("heartbeats", 0, "--heartbeat-s", 1, name="heartbeats")
    t.config(db, "spaces", fake.url)
    t.config(db, "request_deadline", "5")
    t.config(db, "max_attempts", "1")
    return lambda: t.run("batch", "--json", db=db, timeout=90), \
        lambda r: deadline_checks(t, what, r, db, paths)


def deadline_checks(t, what, r, db, paths):
    t.section(what)
    failed = failed_events(r.lines())
    t.eq(r.rc, 1, "deadline: exit 1 (images failed)")
    t.eq(sorted(e.get("path") for e in failed), sorted(paths), "deadline: both images failed")
    t.check(all("within 5 s" in (e.get("error") or "") for e in failed),
            "deadline: the reason names the deadline", [e.get("error") for e in failed])
    t.check(r.elapsed < 40, "deadline: the run ends in %.1f s (two deadlines of 5 s, a "
            "backoff)" % r.elapsed, r.describe())
    imgs = t.images(db)
    t.check(all(imgs[p]["state"] == "failed" and "within 5 s" in (imgs[p]["error"] or "")
                for p in paths), "deadline: the library says failed, and why", imgs)


def silence(t):
    what = "a Space whose stream stays silent meets silence_timeout"
    db, paths = library(t, "silence", 1, 33)
    fake = t.fake("--fault", "hang", name="silent")
    t.config(db, "spaces", fake.url)
    t.config(db, "silence_timeout", "16")
    t.config(db, "max_attempts", "1")
    return lambda: t.run("batch", "--json", db=db, timeout=90), \
        lambda r: silence_checks(t, what, r)


def silence_checks(t, what, r):
    t.section(what)
    failed = failed_events(r.lines())
    t.eq(r.rc, 1, "silence: exit 1")
    t.check(len(failed) == 1 and "no data for 16 s" in (failed[0].get("error") or ""),
            "silence: the image failed for 16 s of silence", failed)
    t.check(15 < r.elapsed < 45, "silence: after %.1f s" % r.elapsed, r.describe())


def settings(t):
    t.section("request_timeout is request_deadline now; silence_timeout knows the heartbeat")
    db = t.path("settings.db")
    r = t.run("config", "set", "request_timeout", "30", db=db)
    t.eq(r.rc, 2, "config set request_timeout: a usage error")
    t.check("request_deadline" in r.errtext, "... that names the new name", r.describe())
    r = t.run("config", "set", "silence_timeout", "10", db=db)
    t.eq(r.rc, 2, "silence_timeout 10 (under one heartbeat) is refused")
    t.eq(t.run("config", "set", "silence_timeout", "16", db=db).rc, 0, "silence_timeout 16 is "
         "taken")


def sha_of(t, paths):
    return {batchlib.sha256_file(p): p for p in paths}


def hedged(t, mode):
    n = 24
    db, paths = library(t, "hedge-%s" % mode, n, 41 if mode == "hang" else 43)
    shas = sha_of(t, paths)
    good = [t.fake("--service-ms", 300, "--concurrency", 1, name="good-%s-%d" % (mode, i))
            for i in range(3)]
    dead = t.dying(mode, 2, "--service-ms", 300, "--heartbeat-s", 1, name="dead-%s" % mode)
    fakes = good + [dead]
    t.config(db, "spaces", "\n".join(f.url for f in fakes))
    t.config(db, "upload_max_side", "0")  # the fake sees the file's own bytes
    return lambda: t.run("batch", "--json", db=db, timeout=120), \
        lambda r: hedged_checks(t, mode, r, db, paths, shas, good, dead)


def hedged_checks(t, mode, r, db, paths, shas, good, dead):
    t.section("hedging: one Space of four stops answering (%s)" % mode)
    fakes = good + [dead]
    what = "hedge (%s)" % mode
    t.eq(r.rc, 0, "%s: exit 0" % what)
    t.check(r.elapsed < 25, "%s: the run took %.1f s, far less than the 35 s silence "
            "timeout" % (what, r.elapsed), r.describe())
    ev = [e for e in r.lines() if isinstance(e, dict)]
    done = [e.get("path") for e in ev if e.get("event") == "done"]
    hedges = [e for e in ev if e.get("event") == "hedge"]
    t.eq(sorted(done), sorted(paths), "%s: one done event per image" % what)
    t.eq(sorted(t.tagged_paths(db) & set(paths)), sorted(paths),
         "%s: every image has its answer stored" % what)
    t.check(len(hedges) >= 1 and all(e.get("path") in paths and e.get("space") in
                                     [f.url for f in good] and dead.url in (e.get("why") or "")
                                     for e in hedges),
            "%s: images late on the dead Space were sent to a working one (%d hedges)"
            % (what, len(hedges)), hedges[:3])
    completed = {}
    for f in fakes:
        for sha, k in f.stats()["completed_by_sha256"].items():
            completed[sha] = completed.get(sha, 0) + k
    t.eq(sorted(set(completed) - set(shas)), [], "%s: the fakes completed only our images"
         % what)
    t.eq(sorted(set(shas) - set(completed)), [], "%s: every stored answer was completed by a "
         "fake" % what)
    twice = {shas[h] for h, k in completed.items() if k > 1}
    t.check(twice <= {e.get("path") for e in hedges}, "%s: an image completed twice was a "
            "hedged one (stored once all the same)" % what, twice)
    t.eq(dead.stats()["predictions_completed"], 2, "%s: the dead Space answered 2" % what)
    rows = {s["url"]: s for s in t.runs(db)[-1]["spaces"]}
    t.eq(sum(s["hedges"] for s in rows.values()), len(hedges), "%s: the run rows count every "
         "hedge" % what)
    t.eq(rows[dead.url]["state"], "failing", "%s: the dead Space is failing" % what)
    t.check("no answer after" in (rows[dead.url]["last_error"] or ""), "%s: ... and says why"
            % what, rows[dead.url]["last_error"])
    st = t.run("batch", "status", "--json", db=db).json() or {}
    t.eq(sorted((s["url"], s.get("hedges")) for s in st.get("spaces", [])),
         sorted((u, s["hedges"]) for u, s in rows.items()), "%s: batch status shows the hedges "
         "per Space" % what)
    finish = [e for e in ev if e.get("event") == "finish"][-1]
    t.eq(sum(s.get("hedges", 0) for s in finish["progress"]["spaces"]), len(hedges),
         "%s: the finish event counts them too" % what)
    for f in fakes:
        f.stop()


def body(t):
    settings(t)
    cases = [hedged(t, "hang"), hedged(t, "heartbeats"), deadline(t), silence(t)]
    started = time.monotonic()
    runs = batchlib.concurrently(*[run for run, _checks in cases])
    t.note("the four runs, at once: %.1f s" % (time.monotonic() - started))
    for (_run, checks), r in zip(cases, runs):
        checks(r)


if __name__ == "__main__":
    batchlib.Suite("tail").main(body)
