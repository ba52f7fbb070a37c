#!/usr/bin/env python3
"""test_console_batch.py — a first start, the Batch screen's launch errors, its
per-library logs and a run with nothing to do, through the real console in tmux.

1. First start, no setting touched: `spaces` is SmilingWolf's public wd-tagger
   Space (config get / list); `tagcon spaces` asks the hub for it (HF_ENDPOINT
   is a fake hub on 127.0.0.1 — nothing here reaches the internet); a batch
   over it keeps one request in flight (the fake counts), over one's own copy
   space_inflight (2). The first Library and Batch screens say the Space is
   shared and slower and how to add one's own in Settings.
2. `config set spaces ''` means none: the Batch screen says so (not "Set the
   Space URLs" when they are set), and `s` shows why nothing started on the
   Batch screen itself, still there after other keys.
3. Two libraries in one folder, each with a run from the console: each has its
   own log (lib.batch.log), every line with its time and its run number (or
   "launch"), and the screen says where it is.
4. `s` again when every image is tagged: the screen says "nothing to do" and no
   Space is left "probing"; the shell's batch says it too.
"""
import json
import os
import re
import time
import urllib.request

import tcconsole as tc

PUBLIC = "https://huggingface.co/spaces/SmilingWolf/wd-tagger"
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (launch|run #\d+): ")

s = tc.Suite("e2e-console-batch")


def stats(fake):
    with urllib.request.urlopen(fake.url + "/__fake/stats", timeout=10) as r:
        return json.load(r)


def reset(fake):
    req = urllib.request.Request(fake.url + "/__fake/reset", data=b"{}", method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def library(name, n):
    lib = s.path(name)
    for i in range(n):
        tc.make_image("%s/%s%02d.png" % (lib, name, i), 40 + i, 30 + (i % 3))
    db = s.path(name + ".db")
    s.run("--db", db, "scan", lib)
    return lib, db


# --- 1. first start -------------------------------------------------------------
hub = tc.Fake(s, "--concurrency", "4", "--service-ms", "300")
s.env["HF_ENDPOINT"] = hub.url  # the default Space's page resolves through this fake hub
lib1, db1 = library("first", 6)
r = s.run("--db", db1, "config", "get", "spaces")
s.check(r.stdout.decode().strip() == PUBLIC, "spaces defaults to the public wd-tagger Space",
        r.stdout.decode())
r = s.run("--db", db1, "config", "list")
s.check(("spaces               = " + PUBLIC) in r.stdout.decode(), "config list shows it",
        r.stdout.decode())
r = s.run("--db", db1, "spaces", check=False)
out = r.stdout.decode() + r.stderr.decode()
req = stats(hub)["requests"]
s.check(r.returncode == 0 and out.startswith(PUBLIC) and req.get("hub_host", 0) >= 1
        and req.get("config", 0) >= 1,
        "tagcon spaces probes it: the (fake) hub is asked for its host, then its /config",
        "%s\n%s" % (out, req))

r = s.run("--db", db1, "batch", timeout=120, check=False)
st = stats(hub)
s.check(r.returncode == 0 and st["predictions_completed"] == 6,
        "a batch with no setting touched tags every image over the default Space",
        "%s %s" % (r.stderr.decode()[-400:], st["predictions_completed"]))
s.check(st["max_concurrent"] == 1 and st["max_open_streams"] <= 1,
        "one request in flight on the public Space", st)
# One's own copy (the same fake under its own URL) gets space_inflight.
lib2, db2 = library("own", 8)
s.run("--db", db2, "config", "set", "spaces", hub.url)
reset(hub)
r = s.run("--db", db2, "batch", timeout=120, check=False)
st = stats(hub)
s.check(r.returncode == 0 and st["max_concurrent"] == 2,
        "one's own Space gets space_inflight (2) at once", st)

con = tc.Console(s, ["--db", s.path("new.db")], width=80, height=24)
scr = con.wait(lambda t: "shared" in t, 10)
s.check(scr is not None and "slower" in scr and "Settings" in scr,
        "the first Library screen says the Space is shared, slower, and where to add one",
        con.screen())
con.keys("4")
scr = con.wait(lambda t: "No batch has run" in t and "Duplicate" in t, 5)
s.check(scr is not None and "shared" in scr and "Set the Space URLs" not in scr,
        "the first Batch screen: the public Space, shared, slower, how to duplicate it",
        con.screen())
s.check(scr is not None and all(len(l) <= 80 for l in scr.splitlines()),
        "at 80 columns", con.screen())
con.kill()

# --- 2. no Space: the reason on the Batch screen --------------------------------
s.run("--db", db2, "config", "set", "spaces", "")
r = s.run("--db", db2, "config", "get", "spaces")
s.check(r.stdout.decode().strip() == "", "config set spaces '' stores none", r.stdout)
con = tc.Console(s, ["--db", db2], width=100, height=30)
con.wait_for("own00.png")
con.keys("4")
scr = con.wait(lambda t: "Run #1" in t, 5)
s.check(scr is not None, "the Batch screen shows the earlier run", con.screen())
con.keys("s")
scr = con.wait(lambda t: "did not start" in t and "no Space configured" in t, 8)
s.check(scr is not None, "s with no Space: the reason on the Batch screen", con.screen())
con.keys("Down", "Up")
time.sleep(0.5)
scr = con.screen()
body = "\n".join(scr.splitlines()[1:-1])
s.check("no Space configured" in body, "still there after other keys (not a passing message)",
        scr)
con.keys("1")
con.wait_for("own00.png")
con.keys("4")
scr = con.wait(lambda t: "no Space configured" in t, 3)
s.check(scr is not None, "and after leaving the screen and coming back", con.screen())
con.keys("?")
scr = con.wait(lambda t: "Batch keys" in t, 3) or ""
s_rows = [l for l in scr.splitlines() if re.match(r"^\s+s\s{2,}", l)]
s.check(len(s_rows) == 1, "the Batch help lists s once", scr)
con.kill()

fresh, fdb = library("none", 2)
s.run("--db", fdb, "config", "set", "spaces", "")
con = tc.Console(s, ["--db", fdb], width=80, height=24)
con.wait_for("none00.png")
con.keys("4")
scr = con.wait(lambda t: "No Space is set" in t, 5)
s.check(scr is not None and "Set the Space URLs" not in scr,
        "no run, no Space: the Batch screen says none is set", con.screen())
con.keys("s")
scr = con.wait(lambda t: "did not start" in t and "no Space configured" in t, 8)
s.check(scr is not None, "and s says why nothing started, on the screen", con.screen())
con.kill()

# --- 3. one log per library ------------------------------------------------------
space = tc.Fake(s, "--service-ms", "50")
dbs = []
for name in ("alpha", "beta"):
    lib, db = library(name, 3)
    s.run("--db", db, "config", "set", "spaces", space.url)
    dbs.append((name, db))
for name, db in dbs:
    con = tc.Console(s, ["--db", db], width=100, height=30)
    con.wait_for(name + "00.png")
    con.keys("4")
    con.keys("s")
    scr = con.wait(lambda t: "Run #1" in t and ("finished" in t), 30)
    s.check(scr is not None, "%s: a run from the console finishes" % name, con.screen())
    log = s.path(name + ".batch.log")
    shown = scr is not None and ("log: " + log) in scr.replace("\n", "")
    s.check(shown or (scr is not None and (name + ".batch.log") in scr),
            "%s: the screen says where its log is" % name, con.screen())
    con.kill()
logs = {}
for name, db in dbs:
    path = s.path(name + ".batch.log")
    s.check(os.path.exists(path), "%s has its own log (%s.batch.log)" % (name, name), path)
    logs[name] = open(path).read().splitlines() if os.path.exists(path) else []
s.check(not os.path.exists(s.path("tagcon-batch.log")), "no log shared by the folder's libraries")
for name, lines in logs.items():
    s.check(lines and all(STAMP.match(l) for l in lines),
            "%s: every line has its time and run number" % name, "\n".join(lines))
    s.check(any("run #1: started" in l for l in lines) and any("run #1: exit status 0" in l
                                                               for l in lines),
            "%s: the run's start and end are in it" % name, "\n".join(lines))
other = {"alpha": "beta", "beta": "alpha"}
s.check(all(other[n] not in "\n".join(lines) for n, lines in logs.items()),
        "neither holds the other library's lines", logs)

# --- 4. nothing to do ------------------------------------------------------------
name, db = dbs[0]
con = tc.Console(s, ["--db", db], width=100, height=30)
con.wait_for(name + "00.png")
con.keys("4")
con.wait_for("Run #1")
con.keys("s")
scr = con.wait(lambda t: "Run #2" in t and "nothing to do" in t, 30)
s.check(scr is not None, "s with every image tagged: the screen says nothing to do",
        con.screen())
time.sleep(1.5)
scr = con.screen()
s.check("probing" not in scr, "no Space is left probing", scr)
con.keys("j")
s.check(con.wait(lambda t: "nothing to do" in t, 3) is not None, "still said after a key",
        con.screen())
con.kill()
r = s.run("--db", db, "batch", check=False)
s.check("nothing to do" in r.stdout.decode(), "the shell's batch says nothing to do",
        r.stdout.decode())
s.finish()
