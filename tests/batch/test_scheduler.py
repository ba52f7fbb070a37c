#!/usr/bin/env python3
"""test_scheduler.py — `tagcon batch` over several fake Spaces at once (issue 4).

Main run: four Spaces — one always failing (500), one asleep that wakes after 3 s, one
throttling (429 with Retry-After), one that dies after a few predictions (silent; the run
has request_deadline 5).  Then:
  - every image ends tagged or failed with a reason; none is tagged twice: summed over
    every fake, each upload the fakes completed is a distinct image, and the number of
    completions equals the number of images tagged;
  - the exit status, the last JSON event, `status --json`, the run row and the images
    table agree;
  - the run's rows show each Space: its state, its last error, its done count (equal to
    what that fake completed);
  - --json: every line one JSON object, first "start", last "finish", one "done" per
    tagged image, Space state changes reported (waking, failing, rate-limited).
Smaller runs: waiting without spending attempts (max_attempts 1, a sleeping Space and a
Space refusing the token: all tagged, exit 0); Retry-After honoured; no usable Space
(exit 3 at once, nothing marked failed, no attempt spent — a Space whose /config is an HTML
page counts as not there, like one nothing listens at).

    python3 tests/batch/test_scheduler.py build/tui/tagcon
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402

N = 40
STOP_AFTER = 6


def port_of(url):
    m = re.search(r":(\d+)", url or "")
    return int(m.group(1)) if m else None


def check_stream(t, events, what, rc):
    """Common checks of a --json event stream; returns the finish event or None."""
    t.check(events and all(isinstance(e, dict) for e in events),
            "%s: every stdout line is one JSON object" % what,
            [i for i, e in enumerate(events) if not isinstance(e, dict)][:5])
    ev = [e for e in events if isinstance(e, dict)]
    t.check(bool(ev) and ev[0].get("event") == "start", "%s: the stream starts with start"
            % what, ev[:1])
    bad = batchlib.stream_ends_well(ev, rc)
    t.check(bad is None, "%s: the stream ends with finish (and, exit %s, at most one error "
            "event with the reason)" % (what, rc), bad)
    known = {"start", "done", "failed", "retry", "space", "progress", "finish", "error",
             "hedge"}
    t.eq(sorted({e.get("event") for e in ev} - known), [], "%s: only known event kinds" % what)
    return batchlib.split_stream(ev)[0]


def main_run(t):
    t.section("four Spaces: failing, waking, throttling, dying")
    lib = t.mkdir("lib")
    paths = t.tree(lib, t.tiles(N, size=160, seed=21))
    db = t.path("main.db")
    t.eq(t.run("scan", lib, db=db).rc, 0, "scan %d images" % N)
    failing = t.fake("--service-ms", 100, "--fault", "server_error:1.0", name="failing")
    waking = t.fake("--service-ms", 100, "--wake-after-s", 3, name="waking")
    throttling = t.fake("--service-ms", 100, "--fault", "rate_limit:0.35", "--retry-after", 2,
                        "--seed", 7, name="throttling")
    dying = t.fake("--service-ms", 100, "--stop-after", STOP_AFTER, name="dying")
    fakes = {"failing": failing, "waking": waking, "throttling": throttling, "dying": dying}
    t.config(db, "spaces", "\n".join(f.url for f in fakes.values()))
    t.config(db, "request_deadline", "5")

    proc = t.spawn("batch", "--json", db=db, name="batch-main")
    rc = proc.wait(240)
    if rc is None:
        t.check(False, "main run: batch ends within 240 s")
        proc.kill()
    t.check_proc_output(proc, ["batch", "--json"])
    t.note("main run: exit %s in %.1f s" % (rc, proc.elapsed or -1))
    for f in fakes.values():
        f.idle(10)
    events = proc.events()
    finish = check_stream(t, events, "main run", rc)
    ev = [e for e in events if isinstance(e, dict)]

    # -- no image tagged twice -------------------------------------------------------------
    per_sha = {}
    per_fake = {}
    for name, f in fakes.items():
        st = f.stats()
        per_fake[name] = st
        for sha, n in st["completed_by_sha256"].items():
            per_sha[sha] = per_sha.get(sha, 0) + n
    # A hedged image (a copy sent when it was late on one Space) may be completed by both;
    # it is stored once all the same.
    hedges = [e for e in ev if e.get("event") == "hedge"]
    twice = {sha: n for sha, n in per_sha.items() if n != 1}
    t.check(len(twice) <= len(hedges) and all(n == 2 for n in twice.values()),
            "no image was completed twice, summed over the four Spaces, unless hedged",
            (twice, len(hedges)))
    done_paths = [e.get("path") for e in ev if e.get("event") == "done"]
    failed_ev = [e for e in ev if e.get("event") == "failed"]
    t.eq(len(done_paths), len(set(done_paths)), "one done event per image")
    t.eq(sum(per_sha.values()) - sum(n - 1 for n in twice.values()), len(done_paths),
         "the fakes completed exactly as many distinct images as were tagged")

    # -- every image tagged or failed with a reason ------------------------------------------
    imgs = t.images(db)
    states = {}
    for p in paths:
        states[imgs[p]["state"]] = states.get(imgs[p]["state"], 0) + 1
    t.check(sum(states.get(s, 0) for s in ("tagged", "failed")) == N,
            "every image ends tagged or failed", states)
    no_reason = [p for p in paths if imgs[p]["state"] == "failed" and not imgs[p]["error"]]
    t.eq(no_reason, [], "every failed image has its reason")
    tagged = t.tagged_paths(db)
    t.eq(sorted(p for p in paths if imgs[p]["state"] == "tagged"), sorted(tagged & set(paths)),
         "tagged images are exactly those with an answer stored")
    t.eq(sorted(done_paths), sorted(p for p in paths if imgs[p]["state"] == "tagged"),
         "done events name exactly the tagged images")
    t.eq(sorted(e.get("path") for e in failed_ev),
         sorted(p for p in paths if imgs[p]["state"] == "failed"),
         "failed events name exactly the failed images")
    t.check(all(e.get("error") and isinstance(e.get("attempts"), int) for e in failed_ev),
            "failed events carry the reason and the attempts", failed_ev[:2])

    # -- exit status, finish, status, run row agree -----------------------------------------
    n_failed = states.get("failed", 0)
    t.eq(rc, 1 if n_failed else 0, "exit status %s (images failed: %d)" % (
        1 if n_failed else 0, n_failed))
    st = t.status(db) or {}
    t.eq(st.get("state", {}).get("tagged"), states.get("tagged", 0), "status --json: tagged")
    t.eq(st.get("state", {}).get("failed"), n_failed, "status --json: failed")
    prog = (finish or {}).get("progress", {})
    t.eq((prog.get("done"), prog.get("failed"), prog.get("total")),
         (states.get("tagged", 0), n_failed, N), "finish event: done, failed, total")
    runs = t.runs(db)
    run = runs[-1] if runs else {}
    t.eq(len(runs), 1, "one run row")
    t.eq((run.get("state"), run.get("done"), run.get("failed"), run.get("total")),
         ("finished", states.get("tagged", 0), n_failed, N),
         "run row: state finished, done, failed, total")
    t.check(run.get("finished_at"), "run row: finished_at set")

    # -- each Space in the run's rows -----------------------------------------------------------
    rows = {port_of(s["url"]): s for s in run.get("spaces", [])}
    t.eq(len(rows), 4, "run_spaces: one row per Space")
    for name, f in fakes.items():
        row = rows.get(f.port, {})
        t.note("run_spaces %-10s state %-12s done %3s failed %3s last_error %s" % (
            name, row.get("state"), row.get("done"), row.get("failed"), row.get("last_error")))
        t.eq(row.get("done"), per_fake[name]["predictions_completed"],
             "run_spaces %s: done = what that Space completed" % name)
    t.eq(sum(s.get("done", 0) for s in run.get("spaces", [])), run.get("done"),
         "run_spaces: the Spaces' done counts add up to the run's")
    row = rows.get(failing.port, {})
    t.check(row.get("state") == "failing" and "server error" in (row.get("last_error") or ""),
            "run_spaces failing: state failing, last error 'server error'", row)
    t.eq(row.get("done"), 0, "run_spaces failing: nothing done")
    row = rows.get(dying.port, {})
    t.check(row.get("state") == "failing" and re.search(r"timed out|timeout",
                                                         row.get("last_error") or ""),
            "run_spaces dying: state failing, last error 'timed out'", row)
    t.eq(per_fake["dying"]["predictions_completed"], STOP_AFTER,
         "the dying Space answered %d before going silent" % STOP_AFTER)
    row = rows.get(waking.port, {})
    t.check(row.get("done", 0) > 0 and row.get("state") in ("ready", "busy"),
            "run_spaces waking: woke up, tagged images, ready at the end", row)
    row = rows.get(throttling.port, {})
    t.check(row.get("done", 0) > 0, "run_spaces throttling: tagged images", row)
    t.check(per_fake["throttling"]["faults_injected"].get("rate_limit", 0) > 0,
            "the throttling Space did send 429s")
    sp = (finish or {}).get("progress", {}).get("spaces", [])
    t.eq(sorted(port_of(s.get("url")) for s in sp), sorted(f.port for f in fakes.values()),
         "finish event: the final state of every Space")

    # -- Space state changes in the stream ----------------------------------------------------
    changes = {}
    for e in ev:
        if e.get("event") == "space":
            changes.setdefault(port_of(e.get("space")), []).append(e.get("state"))
    t.check("waking" in changes.get(waking.port, []) and
            changes.get(waking.port, [])[-1:] in (["ready"], ["busy"]),
            "events: the sleeping Space went waking, then ready", changes.get(waking.port))
    t.check("failing" in changes.get(failing.port, []),
            "events: the failing Space went failing", changes.get(failing.port))
    t.check("rate-limited" in changes.get(throttling.port, []),
            "events: the throttling Space went rate-limited", changes.get(throttling.port))
    t.check("failing" in changes.get(dying.port, []),
            "events: the dying Space went failing", changes.get(dying.port))
    t.check(any(e.get("event") == "retry" for e in ev), "events: retries reported")
    t.check(any(e.get("event") == "progress" for e in ev), "events: progress reported")

    # -- a second run: nothing left but the failed ones ---------------------------------------
    for f in (failing, throttling, dying):
        f.stop()
    before = waking.stats()["predictions_completed"]
    t.config(db, "spaces", waking.url)
    r = t.run("batch", "--json", db=db, timeout=120)
    t.eq(r.rc, 0, "second run over the healthy Space: exit 0")
    t.eq(waking.stats()["predictions_completed"] - before, n_failed,
         "second run: only the %d failed images were sent again" % n_failed)
    t.eq((t.status(db) or {}).get("state", {}).get("tagged"), N, "second run: all tagged")
    waking.stop()


def patient_run(t):
    t.section("waiting costs no attempt; a Space refusing the token is dropped")
    lib = t.mkdir("lib2")
    paths = t.tree(lib, t.tiles(10, size=128, seed=22))
    db = t.path("patient.db")
    t.run("scan", lib, db=db)
    sleepy = t.fake("--service-ms", 50, "--wake-after-s", 4, name="sleepy")
    refusing = t.fake("--service-ms", 50, "--fault", "auth", name="refusing")
    queue = t.fake("--service-ms", 50, "--fault", "queue_full:0.5", "--seed", 3, name="queue")
    t.config(db, "spaces", "\n".join([refusing.url, sleepy.url, queue.url]))
    t.config(db, "max_attempts", "1")
    r = t.run("batch", "--json", db=db, timeout=120)
    t.eq(r.rc, 0, "max_attempts 1 with asleep / 401 / queue-full Spaces: exit 0")
    imgs = t.images(db)
    t.eq(sorted({imgs[p]["state"] for p in paths}), ["tagged"],
         "every image tagged: waiting, 401 and 503 queue-full spent no attempt")
    run = (t.runs(db) or [{}])[-1]
    rows = {port_of(s["url"]): s for s in run.get("spaces", [])}
    row = rows.get(refusing.port, {})
    t.check(row.get("state") == "auth-failed" and "token" in (row.get("last_error") or ""),
            "run_spaces: the Space refusing the token is auth-failed, and says token", row)
    t.eq(refusing.stats()["requests"].get("upload", 0), 0,
         "no image was uploaded to the Space refusing the token")
    ev = [e for e in r.lines() if isinstance(e, dict)]
    msgs = [e for e in ev if e.get("event") == "space" and port_of(e.get("space")) ==
            refusing.port and e.get("state") == "auth-failed"]
    t.check(msgs and "token" in (msgs[0].get("error") or ""),
            "events: the auth-failed state change says why", msgs[:1])
    for f in (sleepy, refusing, queue):
        f.stop()


def retry_after_run(t):
    t.section("Retry-After honoured")
    lib = t.mkdir("lib3")
    t.tree(lib, t.tiles(8, size=128, seed=23))
    db = t.path("retry.db")
    t.run("scan", lib, db=db)
    fake = t.fake("--service-ms", 50, "--fault", "rate_limit:1.0", "--retry-after", 2,
                  name="throttle")
    t.config(db, "spaces", fake.url)
    t.config(db, "space_inflight", "1")
    proc = t.spawn("batch", "--json", db=db, name="batch-retry")
    time.sleep(7)
    fake.post("/__fake/fault", {"clear": True})
    rc = proc.wait(120)
    t.eq(rc, 0, "throttled 7 s, then served: exit 0")
    posts, limited = [], []
    with open(fake.log) as f:
        for ln in f:
            m = re.match(r"(\d+\.\d+) \S+ \"POST \S*/call/predict HTTP/1\.1\" (\d+)", ln)
            if m:
                posts.append(float(m.group(1)))
                if m.group(2) == "429":
                    limited.append(float(m.group(1)))
    gaps = [b - a for a, b in zip(posts, posts[1:]) if a in limited]
    t.note("predict POSTs after a 429 came %s s later" % ", ".join("%.2f" % g for g in gaps))
    t.check(len(limited) >= 2, "several 429s answered", len(limited))
    t.check(gaps and min(gaps) >= 1.9, "no request before Retry-After (2 s) passed", gaps)
    t.check(gaps and max(gaps) <= 4.5, "the next request soon after Retry-After (<= 4.5 s)",
            gaps)
    fake.stop()


def no_space_run(t):
    t.section("no usable Space")
    lib = t.mkdir("lib4")
    paths = t.tree(lib, t.tiles(6, size=128, seed=24))
    db = t.path("none.db")
    t.run("scan", lib, db=db)
    other = t.fake("--fault", "not_wd_tagger", name="other")
    html = t.fake("--fault", "html_config", name="html")
    t.config(db, "spaces", "\n".join([other.url, "http://127.0.0.1:9", html.url]))
    r = t.run("batch", "--json", db=db, timeout=120)
    t.eq(r.rc, 3, "not a tagger + nothing listening + an HTML page for /config: exit 3")
    t.check(r.elapsed < 30, "exit 3 comes quickly", "%.1f s" % r.elapsed)
    ev = [e for e in r.lines() if isinstance(e, dict)]
    t.check(batchlib.stream_ends_well(ev, r.rc) is None, "the stream ends with finish and "
            "one error event", batchlib.stream_ends_well(ev, r.rc))
    t.check(any(e.get("event") == "error" and "Space" in (e.get("error") or "") for e in ev),
            "an error event says no Space can tag", [e for e in ev if e.get("event") == "error"])
    imgs = t.images(db)
    t.eq(sorted({(imgs[p]["state"], imgs[p]["attempts"]) for p in paths}), [("new", 0)],
         "images stay pending (new), not failed, no attempt spent (a Space that never "
         "gave its /config never reached the model)")
    run = (t.runs(db) or [{}])[-1]
    t.eq(run.get("state"), "failed", "run row state failed")
    r = t.run("batch", db=db, timeout=120)
    t.check(r.rc == 3 and b"Space" in r.err, "human form: exit 3 and a line saying why",
            r.describe())
    other.stop()
    html.stop()


def body(t):
    # The four runs at once, each with its library, database and Spaces; their checks are
    # reported one run after the other.
    t.cases(main_run, patient_run, retry_after_run, no_space_run)


if __name__ == "__main__":
    batchlib.Suite("scheduler").main(body)
