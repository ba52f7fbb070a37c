#!/usr/bin/env python3
"""test_bookkeeping.py — an answer received is never thrown away (DESIGN.md §9).

  - another process holds the database's write lock for 8 s in the middle of a run: the
    run waits ("db-busy") and goes on, exit 0, every image tagged once, nothing asked twice;
  - the runner is SIGKILLed while it waits for the lock with answers received: they are in
    the spool file, and the next run stores them first, without asking a Space again;
  - a write of an answer that fails for good (a trigger refuses it) stops the run with a
    clear message, the answer kept for the next run, which stores it without asking again;
  - a write of a failure that fails for good stops the run with a clear message, and the
    image stays pending (not failed).

    python3 tests/batch/test_bookkeeping.py build/tui/tagcon
"""
import os
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402

LOCK_S = 8


def library(t, name, n, seed):
    lib = t.mkdir(name)
    paths = t.tree(lib, t.tiles(n, size=128, seed=seed))
    db = t.path("%s.db" % name)
    t.eq(t.run("scan", "--quiet", lib, db=db).rc, 0, "%s: scan %d images" % (name, n))
    t.config(db, "upload_max_side", "0")  # the fake sees the file's own bytes
    return db, paths


def spool(db):
    return db + "-unstored.jsonl"


def spooled(db):
    try:
        with open(spool(db)) as f:
            return [ln for ln in f.read().splitlines() if ln.strip()]
    except OSError:
        return []


class Lock:
    """A write transaction held by another process (this one) on db."""

    def __init__(self, db):
        self.con = sqlite3.connect(db, timeout=30, isolation_level=None)
        self.con.execute("BEGIN IMMEDIATE")

    def release(self):
        self.con.execute("COMMIT")
        self.con.close()


def done_events(proc_or_run):
    ev = proc_or_run.events() if hasattr(proc_or_run, "events") else proc_or_run.lines()
    return [e for e in ev if isinstance(e, dict)]


def completions(fake, shas):
    got = fake.stats()["completed_by_sha256"]
    return {shas[h]: k for h, k in got.items() if h in shas}


def busy_mid_run(t):
    t.section("the database locked by another process for %d s mid-run" % LOCK_S)
    db, paths = library(t, "busy", 12, 51)
    shas = {batchlib.sha256_file(p): p for p in paths}
    fake = t.fake("--service-ms", 150, name="busy")
    t.config(db, "spaces", fake.url)
    proc = t.spawn("batch", "--json", db=db, name="busy")
    batchlib.wait_for(lambda: sum(e.get("event") == "done" for e in done_events(proc)) >= 2,
                      30)
    lock = Lock(db)
    t.note("lock taken after %d done" % sum(e.get("event") == "done"
                                              for e in done_events(proc)))
    time.sleep(LOCK_S)
    lock.release()
    rc = proc.wait(120)
    if rc is None:
        proc.kill()
    t.check_proc_output(proc, ["batch", "--json"])
    ev = done_events(proc)
    t.eq(rc, 0, "busy: the run waits for the lock and ends well (exit 0)")
    t.check(any(e.get("progress", {}).get("state") == "db-busy" for e in ev),
            "busy: progress said it waited for the database")
    done = [e.get("path") for e in ev if e.get("event") == "done"]
    t.eq(sorted(done), sorted(paths), "busy: one done event per image")
    t.eq(sorted(t.tagged_paths(db) & set(paths)), sorted(paths), "busy: every answer stored")
    t.eq(sorted(completions(fake, shas).values()), [1] * len(paths),
         "busy: each image asked for once")
    t.eq(spooled(db), [], "busy: nothing left in the spool")
    t.eq([r["state"] for r in t.runs(db)], ["finished"], "busy: the run row says finished")
    fake.stop()


def killed_while_waiting(t):
    t.section("SIGKILL while answers wait for the lock; the next run stores them")
    db, paths = library(t, "killed", 10, 53)
    shas = {batchlib.sha256_file(p): p for p in paths}
    fake = t.fake("--service-ms", 150, name="killed")
    t.config(db, "spaces", fake.url)
    proc = t.spawn("batch", "--json", db=db, name="killed")
    batchlib.wait_for(lambda: sum(e.get("event") == "done" for e in done_events(proc)) >= 2,
                      30)
    lock = Lock(db)
    batchlib.wait_for(lambda: spooled(db), 30, step=0.2)
    time.sleep(1.0)  # the writer found the lock held: what came meanwhile is kept too
    proc.signal(signal.SIGKILL)
    proc.wait(10)
    kept = spooled(db)
    lock.release()
    t.check(len(kept) >= 1, "killed: answers received during the lock were kept (%d)"
            % len(kept))
    before = completions(fake, shas)
    r = t.run("batch", "--json", db=db, timeout=120)
    t.eq(r.rc, 0, "killed: the next run ends well")
    fin = [e for e in r.lines() if isinstance(e, dict) and e.get("event") == "finish"]
    restored = fin[-1]["progress"].get("restored") if fin else None
    t.eq(restored, len(kept), "killed: the next run stored the kept answers first")
    t.eq(sorted(t.tagged_paths(db) & set(paths)), sorted(paths), "killed: every image tagged")
    after = completions(fake, shas)
    t.eq(sorted(after.values()), [1] * len(paths), "killed: no image asked for twice "
         "(before the second run: %d)" % len(before))
    t.eq(spooled(db), [], "killed: the spool is empty")
    fake.stop()


def refused_store(t):
    t.section("a write of an answer refused for good")
    db, paths = library(t, "refused", 6, 55)
    shas = {batchlib.sha256_file(p): p for p in paths}
    fake = t.fake("--service-ms", 100, name="refused")
    t.config(db, "spaces", fake.url)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("CREATE TRIGGER no_answers BEFORE INSERT ON tagged BEGIN"
                " SELECT RAISE(ABORT, 'answers refused by the test'); END")
    con.close()
    r = t.run("batch", db=db, timeout=120)
    t.eq(r.rc, 1, "refused: the run stops (exit 1)")
    t.check("cannot store the answer for" in r.errtext and "answers refused by the test" in
            r.errtext and "-unstored.jsonl" in r.errtext,
            "refused: it says why, and where the answer is kept", r.describe())
    kept = spooled(db)
    t.check(len(kept) >= 1, "refused: the answer is in the spool (%d)" % len(kept))
    t.eq(t.tagged_paths(db) & set(paths), set(), "refused: nothing stored")
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("DROP TRIGGER no_answers")
    con.close()
    r = t.run("batch", "--json", db=db, timeout=120)
    t.eq(r.rc, 0, "refused: the next run ends well")
    t.eq(sorted(t.tagged_paths(db) & set(paths)), sorted(paths), "refused: every image tagged")
    t.eq(sorted(completions(fake, shas).values()), [1] * len(paths),
         "refused: the kept answers were not asked for again")
    fake.stop()


def refused_failure(t):
    t.section("a write of a failure refused for good")
    db, paths = library(t, "nofail", 3, 57)
    fake = t.fake("--service-ms", 20, "--fault", "server_error:1.0", name="nofail")
    t.config(db, "spaces", fake.url)
    t.config(db, "max_attempts", "1")
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("CREATE TRIGGER no_failures BEFORE UPDATE OF state ON images WHEN new.state = 3"
                " BEGIN SELECT RAISE(ABORT, 'failures refused by the test'); END")
    con.close()
    r = t.run("batch", db=db, timeout=120)
    t.eq(r.rc, 1, "failure: the run stops (exit 1)")
    t.check("cannot record that" in r.errtext and "failures refused by the test" in r.errtext,
            "failure: it says which write failed and why", r.describe())
    imgs = t.images(db)
    t.eq(sorted(imgs[p]["state"] for p in paths), ["new"] * len(paths),
         "failure: the images stay pending")


def body(t):
    # The four at once, each with its library, database and Space; their checks are reported
    # one case after the other.
    t.cases(busy_mid_run, killed_while_waiting, refused_store, refused_failure)


if __name__ == "__main__":
    batchlib.Suite("bookkeeping").main(body)
