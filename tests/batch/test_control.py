#!/usr/bin/env python3
"""test_control.py — stopping, locking and choosing what a `tagcon batch` run tags (issue 4).

  - SIGINT and SIGTERM: the run stops soon (in-flight requests end), its row says
    "cancelled", every answer the Space gave is stored, the next run finishes the rest and
    sends nothing twice; a second SIGINT cancels in-flight requests at once;
  - two runners: the second exits 4 and names the first one's pid; readers still work;
  - --folder (absolute, relative, trailing slash; siblings sharing a prefix untouched) and
    the target_folder setting;
  - --force re-tags everything; a plain run after that sends nothing;
  - a model change: images are pending for the new model only;
  - copies (same bytes at several paths) cost one call; a moved file none.

    python3 tests/batch/test_control.py build/tui/tagcon
"""
import os
import pty
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402
from batchlib import wait_for  # noqa: E402

VIT3 = "SmilingWolf/wd-vit-tagger-v3"
SERVICE_MS = 300


def done_events(proc):
    return [e for e in proc.events() if isinstance(e, dict) and e.get("event") == "done"]


def stop_with(t, sig, lib, paths, sha_of, fake):
    name = signal.Signals(sig).name
    t.section(name)
    db = t.path("%s.db" % name)
    t.run("scan", lib, db=db)
    t.config(db, "spaces", fake.url)
    t.config(db, "upload_max_side", "0")
    fake.post("/__fake/reset", {})
    proc = t.spawn("batch", "--json", db=db, name=name)
    got = wait_for(lambda: len(done_events(proc)) >= 3 or not proc.alive(), 60)
    t.check(got and proc.alive(), "%s: the run is under way (3 images done)" % name)
    t0 = time.monotonic()
    proc.signal(sig)
    rc = proc.wait(15)
    took = time.monotonic() - t0
    if rc is None:
        proc.kill()
    t.check_proc_output(proc, ["batch", "--json"])
    t.check(rc is not None and took < 2 * SERVICE_MS / 1000 + 5,
            "%s: the run stops soon after the signal" % name, "exit %s after %.1f s" % (rc, took))
    t.note("%s: exit status %s after %.2f s" % (name, rc, took))
    t.eq(rc, 1, "%s: a stopped run with images left exits 1" % name)
    ev = [e for e in proc.events() if isinstance(e, dict)]
    finish, after = batchlib.split_stream(ev)
    t.eq((finish or {}).get("progress", {}).get("state"), "cancelled",
         "%s: the finish event says cancelled" % name)
    t.check(batchlib.stream_ends_well(ev, rc) is None and after and
            "left" in after[0].get("error", ""), "%s: then one error event: images left for "
            "the next run" % name, after)
    run = (t.runs(db) or [{}])[-1]
    t.eq(run.get("state"), "cancelled", "%s: run row state cancelled" % name)
    t.check(run.get("finished_at"), "%s: run row finished_at set" % name)
    fake.idle(10)
    completed = set(fake.completed())
    stored = {sha_of[p] for p in t.tagged_paths(db) if p in sha_of}
    t.eq(sorted(completed - stored), [], "%s: every answer the Space gave is stored" % name)
    t.eq(run.get("done"), len(stored), "%s: run row done = answers stored" % name)
    t.eq(len(done_events(proc)), len(stored), "%s: one done event per answer stored" % name)
    t.check(0 < len(stored) < len(paths), "%s: the run stopped part way" % name, len(stored))
    t.eq(t.integrity(db), [("ok",)], "%s: integrity_check ok" % name)
    uploads = dict(fake.stats()["uploads_by_sha256"])
    r = t.run("batch", "--json", db=db, timeout=120)
    t.eq(r.rc, 0, "%s: the next run finishes the rest" % name)
    after = fake.stats()["uploads_by_sha256"]
    t.eq(sorted(s for s in stored if after.get(s) != uploads.get(s)), [],
         "%s: the next run sends nothing stored before" % name)
    t.eq(len({sha_of[p] for p in t.tagged_paths(db) if p in sha_of}), len(paths),
         "%s: all tagged in the end" % name)


def remote_control(t, lib, sha_of, fake):
    t.section("pause, resume, cancel from another shell")
    db = t.path("remote.db")
    t.run("scan", lib, db=db)
    t.config(db, "spaces", fake.url)
    t.config(db, "upload_max_side", "0")
    fake.post("/__fake/reset", {})
    proc = t.spawn("batch", "--json", db=db, name="remote")
    wait_for(lambda: len(done_events(proc)) >= 3 or not proc.alive(), 60)
    r = t.run("batch", "pause", db=db)
    t.eq(r.rc, 0, "batch pause: exit 0")
    paused = wait_for(lambda: (t.runs(db) or [{}])[-1].get("state") == "paused", 5)
    t.check(paused, "the run row says paused")
    time.sleep(2 * SERVICE_MS / 1000 + 0.5)  # in-flight requests end
    fake.idle(5)
    c1 = fake.stats()["predictions_started"]
    time.sleep(2)
    c2 = fake.stats()["predictions_started"]
    t.eq(c2, c1, "paused: no new request for 2 s")
    r = t.run("batch", "status", "--json", db=db)
    t.eq((r.json() or {}).get("state"), "paused", "batch status --json: paused")
    t.check(proc.alive(), "paused: the runner waits")
    r = t.run("batch", "resume", db=db)
    t.eq(r.rc, 0, "batch resume: exit 0")
    resumed = wait_for(lambda: fake.stats()["predictions_started"] > c2, 5)
    t.check(resumed, "resumed: requests flow again")
    r = t.run("batch", "status", "--json", db=db)
    t.eq((r.json() or {}).get("state"), "running", "batch status --json: running")
    r = t.run("batch", "cancel", db=db)
    t.eq(r.rc, 0, "batch cancel: exit 0")
    rc = proc.wait(15)
    if rc is None:
        proc.kill()
    t.check_proc_output(proc, ["batch", "--json"])
    t.eq(rc, 1, "cancelled from another shell, images left: the runner exits 1")
    fake.idle(10)
    stored = {sha_of[p] for p in t.tagged_paths(db) if p in sha_of}
    t.eq(sorted(set(fake.completed()) - stored), [], "cancel keeps every finished result")
    run = (t.runs(db) or [{}])[-1]
    t.eq(run.get("state"), "cancelled", "run row state cancelled")
    r = t.run("batch", "status", "--json", db=db)
    t.eq((r.json() or {}).get("state"), "cancelled", "batch status --json: cancelled")
    r = t.run("batch", "cancel", db=db)
    t.check(r.rc == 1 and b"no batch is running" in r.err,
            "batch cancel with no run: exit 1, says so", r.describe())


def double_sigint(t, lib, fake_slow):
    t.section("second SIGINT cancels in-flight requests")
    db = t.path("double.db")
    t.run("scan", lib, db=db)
    t.config(db, "spaces", fake_slow.url)
    proc = t.spawn("batch", "--json", db=db, name="double")
    busy = wait_for(lambda: fake_slow.stats()["in_flight"] > 0, 30)
    t.check(busy, "a slow request is in flight")
    proc.signal(signal.SIGINT)
    time.sleep(0.5)
    t.check(proc.alive(), "after one SIGINT the run waits for its in-flight request")
    t0 = time.monotonic()
    proc.signal(signal.SIGINT)
    rc = proc.wait(10)
    took = time.monotonic() - t0
    if rc is None:
        proc.kill()
    t.check_proc_output(proc, ["batch", "--json"])
    t.check(rc is not None and took < 3, "second SIGINT: exits at once",
            "exit %s after %.1f s" % (rc, took))
    run = (t.runs(db) or [{}])[-1]
    t.eq(run.get("state"), "cancelled", "second SIGINT: run row state cancelled")
    t.eq(t.integrity(db), [("ok",)], "second SIGINT: integrity_check ok")


def two_runners(t, lib, fake):
    t.section("two runners")
    db = t.path("two.db")
    t.run("scan", lib, db=db)
    t.config(db, "spaces", fake.url)
    first = t.spawn("batch", "--json", db=db, name="first")
    started = wait_for(lambda: len([e for e in first.events() if isinstance(e, dict)]) > 0, 30)
    t.check(started, "the first runner started")
    second = t.run("batch", db=db, timeout=30)
    t.eq(second.rc, 4, "the second runner exits 4")
    t.check(str(first.pid).encode() in second.err and second.err.count(b"\n") == 1,
            "the second runner names the first one's pid, in one line", second.describe())
    second = t.run("batch", "--json", db=db, timeout=30)
    t.eq(second.rc, 4, "the second runner (--json) exits 4")
    t.check(str(first.pid).encode() in second.out + second.err,
            "the second runner (--json) names the pid", second.describe())
    with open(db + ".lock") as f:
        holder = f.read()
    t.check(holder.startswith("%d " % first.pid), "the lock file names the holder", holder)
    r = t.run("status", "--json", db=db, timeout=30)
    t.eq(r.rc, 0, "status works while a batch runs")
    r = t.run("show", "--json", os.path.join(lib, sorted(os.listdir(lib))[0]), db=db, timeout=30)
    t.eq(r.rc, 0, "show works while a batch runs")
    rc = first.wait(120)
    t.check_proc_output(first, ["batch", "--json"])
    t.eq(rc, 0, "the first runner finishes normally")
    r = t.run("batch", db=db, timeout=60)
    t.eq(r.rc, 0, "after it, a new runner is welcome")


def folders(t, fake):
    t.section("--folder and target_folder")
    lib = t.mkdir("flib")
    src = t.tiles(16, size=96, seed=42)
    groups = {"a": src[0:3], "a/sub": src[3:5], "ab": src[5:8], "a-b": src[8:10],
              "a.b": src[10:12], "b": src[12:16]}
    where = {}
    for d, files in groups.items():
        for p in t.tree(os.path.join(lib, d), files):
            where[p] = d
    db = t.path("folders.db")
    t.run("scan", lib, db=db)
    t.config(db, "spaces", fake.url)

    def tagged_dirs():
        imgs = t.images(db)
        return sorted({where[p] for p in where if imgs[p]["state"] == "tagged"})

    fake.post("/__fake/reset", {})
    r = t.run("batch", "--folder", os.path.join(lib, "a"), db=db, timeout=60)
    t.eq(r.rc, 0, "--folder lib/a: exit 0")
    t.eq(tagged_dirs(), ["a", "a/sub"], "--folder lib/a tags lib/a and below, not lib/ab, "
         "lib/a-b, lib/a.b")
    t.eq(fake.stats()["predictions_completed"], 5, "--folder lib/a: 5 calls")
    r = t.run("batch", "--folder", "flib/b/", db=db, timeout=60)
    t.eq(r.rc, 0, "--folder relative with a trailing slash: exit 0")
    t.eq(tagged_dirs(), ["a", "a/sub", "b"], "--folder flib/b/ tags lib/b")
    t.config(db, "target_folder", os.path.join(lib, "ab"))
    r = t.run("batch", db=db, timeout=60)
    t.eq(r.rc, 0, "target_folder setting: exit 0")
    t.eq(tagged_dirs(), ["a", "a/sub", "ab", "b"], "target_folder lib/ab tags lib/ab only")
    t.config(db, "target_folder", "")
    r = t.run("batch", "--folder", os.path.join(lib, "nowhere"), db=db, timeout=60)
    t.check(r.rc not in (0, None) and r.err.count(b"\n") == 1 and b"nowhere" in r.err,
            "--folder that does not exist: one line naming it, failure status", r.describe())
    r = t.run("batch", db=db, timeout=60)
    t.eq(tagged_dirs(), sorted(groups), "a run without folder tags the rest")
    t.eq(fake.stats()["predictions_completed"], 16, "16 images, 16 calls in all")


def force_and_models(t, fake):
    t.section("--force, model change")
    lib = t.mkdir("mlib")
    paths = t.tree(lib, t.tiles(8, size=96, seed=43))
    db = t.path("models.db")
    t.run("scan", lib, db=db)
    t.config(db, "spaces", fake.url)
    fake.post("/__fake/reset", {})
    r = t.run("batch", "--json", db=db, timeout=60)
    t.eq(r.rc, 0, "first run")
    r = t.run("batch", "--json", db=db, timeout=60)
    fin = [e for e in r.lines() if isinstance(e, dict) and e.get("event") == "finish"]
    prog = fin[-1]["progress"] if fin else {}
    t.eq((prog.get("total"), prog.get("skipped")), (0, 8), "a second run: nothing to do, "
         "8 already tagged")
    t.eq(fake.stats()["predictions_completed"], 8, "a second run sends nothing")
    r = t.run("batch", "--json", "--force", db=db, timeout=60)
    t.eq(r.rc, 0, "--force: exit 0")
    t.eq(fake.stats()["predictions_completed"], 16, "--force re-tags all 8")
    r = t.run("batch", db=db, timeout=60)
    t.eq(fake.stats()["predictions_completed"], 16, "after --force a plain run sends nothing")

    r = t.run("batch", "--json", "--model", VIT3, db=db, timeout=60)
    start = [e for e in r.lines() if isinstance(e, dict) and e.get("event") == "start"]
    t.eq(r.rc, 0, "--model %s: exit 0" % VIT3)
    t.eq(start[0]["progress"].get("total") if start else None, 8,
         "a new model: all 8 pending for it")
    t.eq(fake.stats()["models"].get(VIT3), 8, "asked the Space with the new model")
    r = t.run("batch", "--json", db=db, timeout=60)
    t.eq(fake.stats()["predictions_completed"], 24, "the default model: still nothing pending")
    t.config(db, "model", VIT3)
    r = t.run("batch", "--json", db=db, timeout=60)
    t.eq(fake.stats()["predictions_completed"], 24, "model setting = the new model: nothing "
         "pending")
    show = t.show(db, paths[0]) or {}
    t.eq(show.get("model"), VIT3, "show uses the model setting")
    t.check(len(show.get("predictions", [])) > 0, "predictions of the new model shown")
    t.config(db, "model", batchlib.DEFAULT_MODEL)
    show2 = t.show(db, paths[0]) or {}
    t.check([p["tag"] for p in show2.get("predictions", [])] !=
            [p["tag"] for p in show.get("predictions", [])],
            "each model keeps its own predictions")


def copies(t, fake):
    t.section("copies and moves")
    lib = t.mkdir("clib")
    one, other = t.tiles(2, size=96, seed=44)
    paths = t.tree(os.path.join(lib, "c"), [one, one, other], ["x.jpg", "y.jpg", "z.jpg"])
    paths += t.tree(os.path.join(lib, "d"), [one], ["x-copy.jpg"])
    db = t.path("copies.db")
    t.run("scan", lib, db=db)
    t.config(db, "spaces", fake.url)
    fake.post("/__fake/reset", {})
    r = t.run("batch", "--json", db=db, timeout=60)
    t.eq(r.rc, 0, "copies: exit 0")
    st = fake.stats()
    t.eq(st["predictions_completed"], 2, "three copies and one other image: 2 calls")
    t.eq(sum(st["uploads_by_sha256"].values()), 2, "copies: 2 uploads")
    imgs = t.images(db)
    t.eq(sorted(imgs[p]["state"] for p in paths), ["tagged"] * 4, "all 4 paths tagged")
    a, b = t.show(db, paths[0]) or {}, t.show(db, paths[3]) or {}
    t.check(a.get("predictions") and a.get("predictions") == b.get("predictions"),
            "a copy shows the same predictions")
    moved = os.path.join(lib, "d", "moved.jpg")
    shutil.move(paths[2], moved)
    t.run("scan", lib, db=db)
    r = t.run("batch", "--json", db=db, timeout=60)
    t.eq(fake.stats()["predictions_completed"], 2, "a moved file costs no call")
    t.eq(t.images(db).get(moved, {}).get("state"), "tagged", "a moved file stays tagged")
    shutil.copyfile(one, os.path.join(lib, "d", "late-copy.jpg"))
    t.run("scan", lib, db=db)
    t.eq(t.images(db).get(os.path.join(lib, "d", "late-copy.jpg"), {}).get("state"), "tagged",
         "a copy of a tagged image is tagged at scan, no call")
    r = t.run("batch", db=db, timeout=60)
    t.eq(fake.stats()["predictions_completed"], 2, "a late copy costs no call")


def run_on_terminal(t, args, db):
    """tagcon with stderr on a pseudo-terminal (its progress bar mode); (rc, stdout, tty)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(t.argv(args, db), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=slave, env=t.env({"TERM": "xterm"}), cwd=t.root)
    os.close(slave)
    tty = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    try:
        out = p.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        p.kill()
        out = p.communicate()[0]
    t.counted()
    return p.returncode, out, tty


def startup(t, fake):
    t.section("start of a run: on a terminal, and the first events")
    lib = t.mkdir("slib")
    t.tree(lib, t.tiles(2, size=96, seed=45))
    db = t.path("startup.db")
    t.run("scan", lib, db=db)
    t.config(db, "spaces", fake.url)
    rcs, bars, summaries = [], 0, 0
    for _ in range(20):
        rc, out, tty = run_on_terminal(t, ["batch", "--force"], db)
        rcs.append(rc)
        bars += b"img/s" in tty and b"[" in tty
        summaries += b"2 tagged" in out
    t.eq(rcs, [0] * len(rcs), "batch on a terminal: 20 runs, every one exits 0 (no crash "
         "drawing the first progress line)")
    t.eq((bars, summaries), (len(rcs), len(rcs)), "on a terminal: a progress bar on stderr and "
         "the summary on stdout")
    bad = []
    for _ in range(20):
        r = t.run("batch", "--json", "--force", db=db, timeout=60)
        if r.rc != 0:
            bad.append("exit %s" % r.rc)
        for e in r.lines():
            if isinstance(e, dict) and e.get("event") in ("start", "progress", "finish"):
                for sp in e.get("progress", {}).get("spaces", []):
                    if not sp.get("url") or not sp.get("state"):
                        bad.append("%s event: %r" % (e["event"], sp))
    t.eq(bad[:3], [], "20 JSON runs: every start/progress/finish event shows each Space with "
         "its url and state")


def stops(t, lib, sha_of):
    remote_control(t, lib, sha_of, t.fake("--service-ms", SERVICE_MS))
    slow = t.fake("--service-ms", 20000, "--heartbeat-s", 1)
    double_sigint(t, lib, slow)
    slow.stop()


def quick_ones(t):
    """One after the other: each counts the calls its Space completed from a reset."""
    quick = t.fake("--service-ms", 20)
    startup(t, quick)
    folders(t, quick)
    force_and_models(t, quick)
    copies(t, quick)


def body(t):
    lib = t.mkdir("lib")
    paths = t.tree(lib, t.tiles(40, size=128, seed=41))
    sha_of = {p: batchlib.sha256_file(p) for p in paths}
    # Five cases at once, each with Spaces and databases of its own (what a Space completed
    # is compared with what its runs stored); their checks are reported case by case.
    t.cases(lambda u: stop_with(u, signal.SIGINT, lib, paths, sha_of,
                                u.fake("--service-ms", SERVICE_MS)),
            lambda u: stop_with(u, signal.SIGTERM, lib, paths, sha_of,
                                u.fake("--service-ms", SERVICE_MS)),
            lambda u: stops(u, lib, sha_of),
            lambda u: two_runners(u, lib, u.fake("--service-ms", SERVICE_MS)),
            quick_ones)


if __name__ == "__main__":
    batchlib.Suite("control").main(body)
