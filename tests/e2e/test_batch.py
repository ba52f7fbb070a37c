#!/usr/bin/env python3
"""test_batch.py — the Batch screen through the real console in tmux.

1. A real run: two fake Spaces, one slow and healthy, one answering 500.
   s starts `tagcon batch` detached; the screen shows the progress, the rate,
   and the failing Space's state and error; the terminal is resized while the
   run goes (80×24, larger, too small, back) and the screen keeps up; the run
   finishes and the images are tagged.
2. Attaching: run rows written by "another process" (this script, as the
   runner does through db/runs.h) show up live; p, c and d write pause,
   resume, cancel and disable requests into the database; a Space's state
   change appears within a second.
"""
import os
import socket
import time

import tcconsole as tc

s = tc.Suite("e2e-batch")
lib = s.path("lib")
db = s.path("lib.db")
for i in range(8):
    tc.make_image("%s/img%02d.png" % (lib, i), 40 + i, 30)
s.run("--db", db, "scan", lib)
good = tc.Fake(s, "--service-ms", "700")
bad = tc.Fake(s, "--fault", "server_error")
s.run("--db", db, "config", "set", "spaces", "%s\n%s" % (good.url, bad.url))

con = tc.Console(s, ["--db", db])
con.wait_for("img00.png")
con.keys("4")
s.check(con.wait_for("No batch has run") is not None, "the Batch screen before any run",
        con.screen())
con.keys("s")
scr = con.wait(lambda t: "Run #1" in t and "running" in t, 20)
s.check(scr is not None, "s starts a run and the screen follows it", con.screen())
scr = con.wait(lambda t: "images/s" in t and "%" in t and "/ 8" in t, 10)
s.check(scr is not None, "progress: bar, percent, counts, rate", con.screen())
port = str(bad.port)
scr = con.wait(lambda t: any(port in l and ("failing" in l or "waiting" in l) for l in
                             t.splitlines()), 20)
s.check(scr is not None, "the failing Space shows its state", con.screen())
bad_line = [l for l in (scr or "").splitlines()
            if port in l and ("failing" in l or "waiting" in l)]
s.check(bad_line and not bad_line[0].rstrip().endswith(" -"), "and its last error",
        con.screen())

# Resize while the run goes.
con.resize(80, 24)
scr = con.wait(lambda t: len(t.splitlines()[0]) <= 80 and "Run #1" in t and port in t, 5)
s.check(scr is not None, "80x24 mid-run: run and Spaces still shown", con.screen())
s.check(scr is not None and "Batch" in scr.splitlines()[0], "the tab line fits at 80 columns",
        con.screen())
con.resize(130, 40)
s.check(con.wait(lambda t: "Run #1" in t and len(t.splitlines()) >= 39, 5) is not None,
        "grown to 130x40", con.screen())
con.resize(30, 6)
s.check(con.wait_for("tagcon needs", 5) is not None, "too small: says so, no crash",
        con.screen())
con.resize(100, 30)
s.check(con.wait(lambda t: "Run #1" in t and "images/s" in t, 5) is not None,
        "back to 100x30", con.screen())

scr = con.wait(lambda t: "finished" in t or "stopped" in t, 60)
s.check(scr is not None, "the run ends", con.screen())
s.check(scr is not None and "ETA -" in scr, "no ETA once the run has ended", con.screen())
s.check(scr is not None and "batch" in scr.splitlines()[0], "the tab line tells it",
        con.screen())
n = tc.db_connect(db).execute("SELECT count(*) FROM images WHERE state = 1").fetchone()[0]
s.check(n == 8, "every image tagged by the healthy Space", n)
con.kill()

# --- attaching to a run another process drives ---------------------------------
now = int(time.time())
dbc = tc.db_connect(db)
dbc.execute("INSERT INTO runs(pid, host, state, model, folder, started_at, updated_at, total,"
            " done, skipped, filled, failed, rate, eta_s) VALUES (?, ?, 'running', ?, NULL,"
            " ?, ?, 1000, 250, 0, 0, 3, 12.5, 60)",
            (os.getpid(), socket.gethostname(), tc.MODEL, now, now))
run = dbc.execute("SELECT max(id) FROM runs").fetchone()[0]
for url, state in (("https://alpha.hf.space", "ready"), ("https://beta.hf.space", "busy")):
    dbc.execute("INSERT INTO run_spaces(run_id, url, state, in_flight, done, failed,"
                " latency_ms, last_error, next_retry_at) VALUES (?, ?, ?, 1, 125, 1, 900,"
                " NULL, NULL)", (run, url, state))

con = tc.Console(s, ["--db", db])
con.wait_for("img00.png")
s.check(con.wait(lambda t: "25%" in t.splitlines()[0], 5) is not None,
        "the tab line shows a run of another process on every screen", con.screen())
con.keys("4")
scr = con.wait(lambda t: "Run #%d" % run in t and "253 / 1000" in t and "alpha" in t, 5)
s.check(scr is not None, "the Batch screen attaches to it", con.screen())

dbc.execute("UPDATE runs SET done = 600, updated_at = ? WHERE id = ?", (int(time.time()), run))
dbc.execute("UPDATE run_spaces SET state = 'failing', last_error = 'HTTP 503: queue is full',"
            " next_retry_at = ? WHERE run_id = ? AND url = 'https://beta.hf.space'",
            (int(time.time()) + 30, run))
t0 = time.monotonic()
scr = con.wait(lambda t: "603 / 1000" in t and "queue is full" in t, 5)
s.check(scr is not None and time.monotonic() - t0 < 2, "updates appear within a second",
        con.screen())


def request():
    return dbc.execute("SELECT request FROM runs WHERE id = ?", (run,)).fetchone()[0]


con.keys("p")
time.sleep(0.5)
s.check(request() == "pause", "p asks the runner to pause", request())
dbc.execute("UPDATE runs SET state = 'paused', request = NULL WHERE id = ?", (run,))
s.check(con.wait(lambda t: "paused" in t, 3) is not None, "the paused state shows",
        con.screen())
s.check("ETA -" in con.screen(), "no ETA while paused", con.screen())
con.keys("p")
time.sleep(0.5)
s.check(request() == "resume", "p again asks to resume", request())
dbc.execute("UPDATE runs SET state = 'running', request = NULL WHERE id = ?", (run,))
con.keys("Down", "d")
time.sleep(0.5)
dis = dbc.execute("SELECT disabled FROM run_spaces WHERE run_id = ? AND url LIKE '%beta%'",
                  (run,)).fetchone()[0]
s.check(dis == 1, "d disables the Space under the cursor", dis)
s.check(con.wait(lambda t: "disabled" in t, 3) is not None, "shown as disabled", con.screen())
con.keys("c")
time.sleep(0.3)
s.check(request() is None, "c asks before cancelling", request())
con.keys("c")
time.sleep(0.5)
s.check(request() == "cancel", "c twice asks the runner to cancel", request())
con.keys("q")
s.check(con.wait_for("[exit 0]") is not None, "q leaves", con.screen())
s.finish()
