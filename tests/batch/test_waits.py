#!/usr/bin/env python3
"""test_waits.py — every wait a Space can ask for is capped (max_wait), and shown as the
time of the next try.

  - a Space answering 429 with Retry-After of 10^20 s (too large to read) and one with
    Retry-After of 10^5 s, beside a working Space: during the run `batch status` (text and
    --json) gives each limited Space's next try as a time about max_wait (default 1 h) from
    now, and the --json progress events give next_try_at too;
  - with max_wait 2, a Space that asks for 10^5 s but answers after a few tries has the
    run's images all tagged within seconds (the wait was cut to 2 s).

    python3 tests/batch/test_waits.py build/tui/tagcon
"""
import os
import re
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


def shown(t):
    t.section("a Space asking to wait for ever: capped at max_wait (1 h), shown as a time")
    db, paths = library(t, "shown", 24, 71)
    huge = t.fake("--service-ms", 20, "--fault", "rate_limit", "--retry-after", 1e20,
                  name="huge")
    long_ = t.fake("--service-ms", 20, "--fault", "rate_limit", "--retry-after", 1e5,
                   name="long")
    good = t.fake("--service-ms", 250, "--concurrency", 1, name="good")
    t.config(db, "spaces", "\n".join(f.url for f in (huge, long_, good)))
    proc = t.spawn("batch", "--json", db=db, name="shown")
    limited = {huge.url, long_.url}

    def status():
        r = t.run("batch", "status", "--json", db=db)
        st = r.json() or {}
        spaces = [s for s in st.get("spaces", []) if s.get("url") in limited]
        if len(spaces) == 2 and all(s.get("next_try_at") for s in spaces):
            return spaces, time.time()
        return None

    got = batchlib.wait_for(status, 30, step=0.3)
    t.check(got, "status --json gives both limited Spaces a next try", got)
    if got:
        spaces, now = got
        waits = sorted(s["next_try_at"] - now for s in spaces)
        t.check(all(3600 - 10 <= w <= 3600 + 2 for w in waits),
                "... about an hour away, not 10^5 s or never (%s s)" % waits)
    text = t.run("batch", "status", db=db).text
    t.check(len(re.findall(r"next try at \d\d:\d\d:\d\d", text)) >= 2,
            "status (text) says when the next try is, on the clock", text)
    rc = proc.wait(120)
    if rc is None:
        proc.kill()
    t.eq(rc, 0, "the working Space tags everything (exit 0)")
    ev = [e for e in proc.events() if isinstance(e, dict) and e.get("event") == "progress"]
    nexts = [s.get("next_try_at") for e in ev for s in e["progress"]["spaces"]
             if s.get("url") in limited and s.get("next_try_at")]
    t.check(nexts and all(n - e_time <= 3600 + 2 for n, e_time in
                          [(n, time.time()) for n in nexts]),
            "progress events carry next_try_at, within the ceiling", nexts[:2])
    for f in (huge, long_, good):
        f.stop()


def cut_short(t):
    t.section("max_wait 2: a Space asking for 10^5 s is tried again after 2 s")
    db, paths = library(t, "short", 4, 73)
    limited = t.fake("--service-ms", 20, "--fault", "rate_limit:0.5", "--seed", 3,
                     "--retry-after", 1e5, name="limited")
    t.config(db, "spaces", limited.url)
    t.config(db, "max_wait", "2")
    r = t.run("batch", "--json", db=db, timeout=90)
    t.eq(r.rc, 0, "all tagged (exit 0)")
    t.check(r.elapsed < 45, "in %.1f s, not 10^5 s" % r.elapsed, r.describe())
    t.check(limited.stats()["faults_injected"].get("rate_limit", 0) >= 1,
            "the Space did ask to wait")
    limited.stop()


def body(t):
    shown(t)
    cut_short(t)


if __name__ == "__main__":
    batchlib.Suite("waits").main(body)
