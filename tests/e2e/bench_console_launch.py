#!/usr/bin/env python3
"""bench_console_launch.py — how soon the Batch screen shows why a run did not
start, against how long the runner itself takes to give up, in the same run.

    python3 tests/e2e/bench_console_launch.py build/tui/tagcon [ROUNDS]

Baseline: `tagcon batch` from a shell with no Space set, start to exit.
Measured: in the console (tmux), from `s` to the reason on the Batch screen
(capture-pane polled every 20 ms, so up to 20 ms of the figure is polling).
Prints both medians and their ratio; no limits (a benchmark, not a test).
"""
import statistics
import subprocess
import sys
import time

import tcconsole as tc

rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
s = tc.Suite("bench-console-launch")
lib = s.path("lib")
db = s.path("lib.db")
tc.make_image(lib + "/a.png", 40, 30)
s.run("--db", db, "scan", lib)
s.run("--db", db, "config", "set", "spaces", "")

base = []
for _ in range(rounds):
    t0 = time.monotonic()
    subprocess.run([s.tagcon, "--db", db, "batch", "--quiet"], env=s.env, capture_output=True)
    base.append(time.monotonic() - t0)

shown = []
for _ in range(rounds):
    # a console per round: the reason stays on its screen once shown
    con = tc.Console(s, ["--db", db], width=100, height=30)
    con.wait_for("a.png")
    con.keys("4")
    con.wait_for("No batch has run")
    t0 = time.monotonic()
    con.tmux("send-keys", "s")
    while "did not start" not in con.screen() and time.monotonic() - t0 < 30:
        time.sleep(0.02)
    shown.append(time.monotonic() - t0)
    con.kill()
b, m = statistics.median(base), statistics.median(shown)
print("runner alone, start to exit (median of %d): %.3f s" % (rounds, b))
print("console, s to the reason on the Batch screen (median of %d): %.3f s" % (rounds, m))
print("ratio: %.2f (the console adds %.3f s; it polls every 250 ms)" % (m / b, m - b))
s.finish()
