#!/usr/bin/env python3
"""test_tag.py — `tagcon tag` on the batch engine: an ad-hoc job beside any run.

  - while a `tagcon batch` runner holds the runner lock, tag works (exit 0, the answer
    stored and printed, a file outside the library indexed first), the runner goes on and
    finishes normally, and the lock file still names the runner;
  - no phantom run: tag writes no runs / run_spaces rows, alone (`batch status` still says
    no batch has run) and beside a runner (`batch status` shows the runner's run, which
    ends "finished");
  - failover: a first Space that fails every prediction (500) and a working second one:
    tagged through the second; two failing Spaces: the last reason, exit 1;
  - a sleeping Space that wakes within request_deadline is waited for: tagged, exit 0;
  - several files: results in the order of the arguments (human and --json), a file named
    twice printed twice, two copies of one content sent once and both printed; a missing
    file among good ones: its line on stderr, the others tagged, exit 1;
  - a re-tag that fails leaves the image as it was (tagged, no error, no attempt counted);
  - review_mode auto: tag commits what the mode accepts (inside the one store path).

    python3 tests/batch/test_tag.py build/tui/tagcon
"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402
from batchlib import wait_for  # noqa: E402


def result_paths(r):
    """The file names heading each human result, in order."""
    return [ln for ln in r.text.splitlines() if ln and not ln.startswith(" ")]


def beside_a_runner(t, quick):
    t.section("tag while a batch runner holds the lock")
    lib = t.mkdir("busy-lib")
    t.tree(lib, t.tiles(12, size=128, seed=51))
    extra = t.tree(t.mkdir("elsewhere"), t.tiles(1, size=128, seed=52))[0]
    db = t.path("busy.db")
    t.eq(t.run("scan", lib, db=db).rc, 0, "scan the runner's library")
    slow = t.fake("--service-ms", 1500, name="slow")
    t.config(db, "spaces", slow.url)
    runner = t.spawn("batch", "--json", db=db, name="runner")
    started = wait_for(lambda: any(isinstance(e, dict) and e.get("event") == "start"
                                   for e in runner.events()), 30)
    t.check(started, "the runner started")
    runs_before = t.runs(db)
    r = t.run("tag", "--json", "--space", quick.url, extra, db=db, timeout=60)
    t.eq(r.rc, 0, "tag beside a runner exits 0")
    doc = r.json()
    t.check(isinstance(doc, list) and len(doc) == 1 and doc[0].get("space") == quick.url,
            "tag beside a runner prints its answer, through the Space it was given",
            r.describe())
    t.check(extra in t.tagged_paths(db), "tag beside a runner: the file outside the library "
            "was indexed and its answer stored")
    t.check(runner.alive(), "the runner is still at work after tag")
    with open(db + ".lock") as f:
        holder = f.read()
    t.check(holder.startswith("%d " % runner.pid), "the lock file still names the runner",
            holder)
    runs = t.runs(db)
    t.eq([x["id"] for x in runs], [x["id"] for x in runs_before],
         "tag wrote no run row beside the runner's")
    t.eq([x["url"] for x in (runs[-1]["spaces"] if runs else [])], [slow.url],
         "the runner's run lists only its own Space (tag wrote no run_spaces row)")
    st = t.run("batch", "status", "--json", db=db)
    t.check(st.rc == 0 and (st.json() or {}).get("pid") == runner.pid and
            (st.json() or {}).get("state") in ("running", "waiting"),
            "batch status shows the runner's run, running", st.describe())
    rc = runner.wait(120)
    t.check_proc_output(runner, ["batch", "--json"])
    t.eq(rc, 0, "the runner finishes normally")
    runs = t.runs(db)
    t.eq([(x["pid"], x["state"]) for x in runs], [(runner.pid, "finished")],
         "one run row, the runner's, finished")
    slow.stop()


def no_phantom(t, quick, img):
    t.section("no phantom run")
    db = t.path("alone.db")
    r = t.run("tag", "--space", quick.url, img, db=db)
    t.eq(r.rc, 0, "tag alone exits 0")
    t.eq(t.runs(db), [], "tag alone writes no run row")
    r = t.run("batch", "status", db=db)
    t.check(r.rc == 1 and "no batch has run" in r.errtext,
            "batch status after tag alone: no batch has run", r.describe())
    t.check(not os.path.exists(db + ".lock") or open(db + ".lock").read() == "",
            "tag alone took no runner lock")


def failover(t, quick, img):
    t.section("failover and waiting")
    db = t.path("failover.db")
    failing = t.fake("--service-ms", 20, "--fault", "server_error:1.0", name="failing")
    r = t.run("tag", "--json", "--space", failing.url, "--space", quick.url, img, db=db,
              timeout=60)
    t.eq(r.rc, 0, "a failing first Space, a working second one: tagged")
    t.eq([x.get("space") for x in (r.json() or [])], [quick.url],
         "the answer came through the second Space")
    # Which Space an image goes to first depends on which proved first that it offers
    # the model; both were asked for their models before any image went out.
    t.check(failing.stats()["requests"].get("config", 0) >= 1,
            "the failing Space was asked too")
    failing2 = t.fake("--service-ms", 20, "--fault", "server_error:1.0", name="failing2")
    r = t.run("tag", "--space", failing.url, "--space", failing2.url, img, db=db, timeout=60)
    lines = r.errtext.strip().splitlines()
    t.check(r.rc == 1 and len(lines) == 1 and "server error" in lines[0],
            "two failing Spaces: one line with the reason, exit 1", r.describe())
    failing.stop()
    failing2.stop()

    sleepy = t.fake("--service-ms", 20, "--wake-after-s", 3, name="sleepy")
    r = t.run("tag", "--space", sleepy.url, img, db=db, timeout=60)
    t.check(r.rc == 0 and re.search(r"rating\s+[gsqe]\b", r.text) is not None,
            "a sleeping Space that wakes within request_deadline is waited for", r.describe())
    sleepy.stop()


def many_files(t, quick):
    t.section("several files")
    lib = t.mkdir("many")
    a, b, c = t.tree(lib, t.tiles(3, size=128, seed=53))
    copy = os.path.join(t.mkdir("copies"), "b-copy.jpg")
    shutil.copyfile(b, copy)
    db = t.path("many.db")
    t.eq(t.run("scan", lib, db=db).rc, 0, "scan")
    quick.post("/__fake/reset", {})
    args = [c, a, b, a, copy]
    r = t.run("tag", "--json", "--space", quick.url, *args, db=db, timeout=60)
    t.eq(r.rc, 0, "five names, four files, three contents: exit 0")
    t.eq([x.get("path") for x in (r.json() or [])], args,
         "--json: one result per name, in the order of the arguments")
    t.eq(quick.stats()["predictions_completed"], 3, "each content sent once")
    r = t.run("tag", "--space", quick.url, *args, db=db, timeout=60)
    t.eq(result_paths(r), args, "human output: one result per name, in argument order")
    missing = os.path.join(lib, "no-such.jpg")
    r = t.run("tag", "--space", quick.url, a, missing, b, db=db, timeout=60)
    t.check(r.rc == 1 and result_paths(r) == [a, b] and "no-such.jpg: no such file" in r.errtext,
            "a missing file among good ones: its line, the others tagged, exit 1", r.describe())


def failed_retag(t, quick, img):
    t.section("a failed re-tag leaves the image as it was")
    db = t.path("retag.db")
    t.eq(t.run("tag", "--space", quick.url, img, db=db).rc, 0, "first tag")
    before = t.images(db)[img]
    failing = t.fake("--service-ms", 20, "--fault", "server_error:1.0", name="failing3")
    r = t.run("tag", "--space", failing.url, img, db=db, timeout=60)
    t.eq(r.rc, 1, "the re-tag fails, exit 1")
    after = t.images(db)[img]
    t.eq((after["state"], after["error"], after["attempts"]),
         (before["state"], before["error"], before["attempts"]),
         "the image keeps its state, no error, no attempt counted")
    failing.stop()


def auto_commit(t, quick, img):
    t.section("review_mode auto")
    db = t.path("auto.db")
    t.run("scan", os.path.dirname(img), db=db)
    t.config(db, "review_mode", "auto")
    r = t.run("tag", "--json", "--space", quick.url, img, db=db)
    t.eq(r.rc, 0, "tag under review_mode auto")
    show = t.show(db, img) or {}
    t.check(len(show.get("committed", [])) > 0 and show.get("state") == "committed",
            "tag under review_mode auto commits what the mode accepts",
            (show.get("state"), show.get("committed", [])[:3]))


def the_rest(t, imgs):
    quick = t.fake("--service-ms", 20, name="quick")
    no_phantom(t, quick, imgs[0])
    failover(t, quick, imgs[1])
    many_files(t, quick)
    failed_retag(t, quick, imgs[2])
    auto_commit(t, quick, imgs[3])


def body(t):
    imgs = t.tree(t.mkdir("lib"), t.tiles(4, size=160, seed=54))
    # The runner's 20 s beside the rest, each with its quick Space (many_files counts what
    # its own completed); their checks are reported one case after the other.
    t.cases(lambda u: beside_a_runner(u, u.fake("--service-ms", 20, name="quick-beside")),
            lambda u: the_rest(u, imgs))


if __name__ == "__main__":
    batchlib.Suite("tag").main(body)
