#!/usr/bin/env python3
"""test_crash_batch.py — `tagcon batch` killed with SIGKILL at random moments, then resumed.

One fake Space (one request at a time, 200 ms each; tagcon keeps 2 in flight), 60 distinct
images sent as their own bytes (upload_max_side 0, so the fake's sha256 of an upload is the
file's).  The run is killed with SIGKILL at seeded random moments, 6 times, then run to its
end.  After every kill:
  - PRAGMA integrity_check is ok;
  - nothing stored before is lost;
  - every image a "done" event announced is stored (stored first, announced after);
  - the next run is not refused (the runner lock dies with its holder);
and across the runs:
  - no image stored by one run is uploaded again by a later run;
  - total predictions completed <= images + kills x in-flight limit;
  - at the end every image is tagged, exactly one answer per content.

    python3 tests/batch/test_crash_batch.py build/tui/tagcon [--seed S] [--kills K]
"""
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402

N = 60
INFLIGHT = 2
SEED = 20240607
KILLS = 6
for flag in ("--seed", "--kills"):
    if flag in sys.argv:
        i = sys.argv.index(flag)
        val = int(sys.argv[i + 1])
        del sys.argv[i:i + 2]
        if flag == "--seed":
            SEED = val
        else:
            KILLS = val


def body(t):
    rng = random.Random(SEED)
    t.note("seed %d, %d kills" % (SEED, KILLS))
    lib = t.mkdir("lib")
    paths = t.tree(lib, t.tiles(N, size=160, seed=31))
    sha_of = {p: batchlib.sha256_file(p) for p in paths}
    t.eq(len(set(sha_of.values())), N, "%d distinct images" % N)
    db = t.path("crash.db")
    t.eq(t.run("scan", lib, db=db).rc, 0, "scan")
    fake = t.fake("--service-ms", 200, "--concurrency", 1)
    t.config(db, "spaces", fake.url)
    t.config(db, "upload_max_side", "0")
    t.config(db, "space_inflight", str(INFLIGHT))
    t.config(db, "request_deadline", "5")

    stored_before = set()
    uploads_before = {}
    kills = rowed_kills = 0
    lost, resent, unannounced, refused, crashed = [], [], [], [], []
    for k in range(KILLS):
        delay = rng.uniform(0.05, 2.5)
        rows_before = len(t.runs(db))
        proc = t.spawn("batch", "--json", db=db, name="killed")
        time.sleep(delay)
        if proc.alive():
            proc.signal(signal.SIGKILL)
            kills += 1
        rc = proc.wait(30)
        t.check_proc_output(proc, ["batch", "--json"])
        fake.idle(10)
        events = proc.events()
        if rc == 4:
            refused.append(k)
        if rc is not None and rc not in (-9, 0, 1, 4):
            t.check(False, "kill %d: the run ended by itself with exit %s before the kill" % (
                k + 1, rc), proc.stderr()[-300:])
        if rc == -9 and len(t.runs(db)) > rows_before:
            rowed_kills += 1
            r = t.run("batch", "status", "--json", db=db)
            crashed.append((r.json() or {}).get("state"))
        integrity = t.integrity(db)
        t.eq(integrity, [("ok",)], "kill %d at %.2f s: PRAGMA integrity_check ok" % (k + 1, delay))
        stored = {sha_of[p] for p in t.tagged_paths(db) if p in sha_of}
        uploads = fake.stats()["uploads_by_sha256"]
        lost += sorted(stored_before - stored)
        resent += [s for s in stored_before if uploads.get(s, 0) != uploads_before.get(s, 0)]
        announced = {e.get("path") for e in events if isinstance(e, dict) and
                     e.get("event") == "done"}
        unannounced += [p for p in announced if sha_of.get(p) not in stored]
        t.note("kill %d at %.2f s (exit %s): %d stored, %d uploads so far, %d done events" % (
            k + 1, delay, rc, len(stored), sum(uploads.values()), len(announced)))
        stored_before, uploads_before = stored, dict(uploads)

    t.eq(refused, [], "no run after a kill was refused as 'already running'")
    t.eq(crashed, ["crashed"] * len(crashed), "batch status after each kill: crashed")
    t.eq(lost, [], "nothing stored was lost by a kill")
    t.eq(unannounced, [], "every image a done event announced was stored")

    proc = t.spawn("batch", "--json", db=db, name="final")
    rc = proc.wait(180)
    t.check_proc_output(proc, ["batch", "--json"])
    t.eq(rc, 0, "the run after the kills finishes with exit 0")
    fake.idle(10)
    st = fake.stats()
    uploads = st["uploads_by_sha256"]
    resent += [s for s in stored_before if uploads.get(s, 0) != uploads_before.get(s, 0)]
    t.eq(resent, [], "no image stored by one run was uploaded again by a later run")
    t.eq(t.integrity(db), [("ok",)], "final PRAGMA integrity_check ok")
    imgs = t.images(db)
    t.eq(sorted({imgs[p]["state"] for p in paths}), ["tagged"], "every image tagged")
    stored = {sha_of[p] for p in t.tagged_paths(db) if p in sha_of}
    t.eq(len(stored), N, "an answer stored for every image")
    rows = t.sql(db, "SELECT count(*), count(DISTINCT t.content_id) FROM tagged t JOIN models m"
                 " ON m.id = t.model_id WHERE m.name = ?", (batchlib.DEFAULT_MODEL,))
    t.eq(rows[0], (N, N), "one answer per content")
    completed = st["completed_by_sha256"]
    total = sum(completed.values())
    # A kill loses what is in flight and at most the one answer the writer
    # has received but not yet stored; a hedge (a late image sent to a
    # second Space) may complete at the fake too, once per hedge recorded.
    hedges = sum(sp.get("hedges") or 0 for r in t.runs(db) for sp in r["spaces"])
    bound = N + kills * (INFLIGHT + 1) + hedges
    t.note("%d kills, %d hedges; %d predictions completed for %d images (bound %d)" % (
        kills, hedges, total, N, bound))
    t.check(total <= bound,
            "completions across all runs <= images + kills x (in-flight + 1) + hedges", total)
    t.eq(sorted(set(completed)), sorted(sha_of.values()), "every image completed at least once")
    t.check(max(completed.values()) - 1 <= kills, "no image completed more often than the kills "
            "allow", max(completed.values()))
    runs = t.runs(db)
    t.eq(runs[-1]["state"] if runs else None, "finished", "the last run row says finished")
    t.eq(sum(1 for r in runs[:-1] if r["state"] == "crashed"), rowed_kills,
         "the rows of the killed runs say crashed")
    t.eq([r["id"] for r in runs if r["state"] == "running"], [], "no run row left 'running'")
    r = t.run("batch", "--json", db=db, timeout=60)
    t.eq(r.rc, 0, "one more run: exit 0")
    t.eq(sum(fake.stats()["uploads_by_sha256"].values()), sum(uploads.values()),
         "one more run sends nothing")


if __name__ == "__main__":
    batchlib.Suite("crash-batch").main(body)
