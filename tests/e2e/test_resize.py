#!/usr/bin/env python3
"""test_resize.py — the console through resizes, with keys after each one.

A resize alone proves little: the console hung at full CPU on the first key
pressed after a resize (KEY_RESIZE answered by resizeterm(), which queued
the next KEY_RESIZE), so every check here presses keys after the resize
and looks at what they did, then at the CPU the process burns while idle,
then quits with q.
"""
import os
import random
import time

import tcconsole as tc

s = tc.Suite("e2e-resize")
lib = s.path("lib")
db = s.path("lib.db")
for i in range(12):
    tc.make_image("%s/img%02d.png" % (lib, i), 40 + i, 30)
s.run("--db", db, "scan", lib)


def cpu_s(pid):
    """User + system CPU seconds of pid so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(con, seconds=1.5):
    """CPU seconds the console burns in `seconds` with nothing to do."""
    pid = con.pid()
    before = cpu_s(pid)
    time.sleep(seconds)
    return cpu_s(pid) - before


def quits(con, what, keys=("q",)):
    con.keys(*keys)
    scr = con.wait(lambda t: "[exit 0]" in t, 5)
    s.check(scr is not None, "%s: q leaves the console (exit 0)" % what, con.screen())


# --- one resize, then a key -------------------------------------------------------
con = tc.Console(s, ["--db", db], width=120, height=40)
s.check(con.wait_for("img11.png") is not None, "the library at 120x40", con.screen())
con.resize(80, 24)
time.sleep(0.3)
con.keys("2")
scr = con.wait(lambda t: "Review" in t.splitlines()[0] and len(t.splitlines()[0]) <= 80 and
               "1 Library" in t, 5)
s.check(scr is not None, "after 120x40 -> 80x24, a key still works (2 shows Review)",
        con.screen())
con.keys("1")
scr = con.wait(lambda t: "img00.png" in t and "Filter:" in t, 5)
s.check(scr is not None, "and the next key too (1 back to the Library, redrawn at 80x24)",
        con.screen())
burn = idle_cpu(con)
s.check(burn < 0.3, "idle after the resize: no busy loop (%.2f s CPU in 1.5 s)" % burn)
quits(con, "after one resize")
con.kill()

# --- resizes with keys between them, as over SSH ----------------------------------
con = tc.Console(s, ["--db", db], width=100, height=30)
s.check(con.wait_for("img11.png") is not None, "the library at 100x30", con.screen())
rnd = random.Random(7)
for i in range(12):
    w, h = rnd.choice([(80, 24), (132, 43), (100, 30), (60, 20), (200, 50), (81, 25)])
    con.resize(w, h)
    con.keys(rnd.choice(["j", "k", "Down", "Up", "PageDown", "Home"]))
con.resize(90, 28)
con.keys("End")
scr = con.wait(lambda t: "img11.png" in t, 5)
s.check(scr is not None, "after 12 resizes with keys between, End shows the last image",
        con.screen())
con.keys("Enter")
scr = con.wait(lambda t: "img11.png" in t.splitlines()[1] if len(t.splitlines()) > 1 else
               False, 5)
s.check(scr is not None, "and Enter reviews the image under the cursor (img11.png)",
        con.screen())
burn = idle_cpu(con)
s.check(burn < 0.3, "idle after many resizes: no busy loop (%.2f s CPU in 1.5 s)" % burn)
lines = (con.screen() or "").splitlines()
s.check(len(lines) >= 28 and all(len(x) <= 90 for x in lines),
        "the screen fits 90x28 after the last resize", "\n".join(lines[:3]))
quits(con, "after many resizes")
con.kill()

# --- Home and End as tmux sends them under TERM=xterm-256color -------------------------
con = tc.Console(s, ["--db", db], width=100, height=12, term="xterm-256color")
s.check(con.wait_for("img00.png") is not None, "the library under TERM=xterm-256color",
        con.screen())
con.keys("\033[4~", literal=True)
scr = con.wait(lambda t: "img11.png" in t, 5)
s.check(scr is not None and "Filter:" in scr, "ESC[4~ is End: the last image, still the "
        "Library (not Esc, '[', '4' = Batch, '~')", con.screen())
con.keys("\033[1~", literal=True)
scr = con.wait(lambda t: "img00.png" in t, 5)
s.check(scr is not None and "Filter:" in scr, "ESC[1~ is Home: the first image again",
        con.screen())
con.keys("Enter")
con.wait(lambda t: "img00.png" in (t.splitlines()[1] if len(t.splitlines()) > 1 else ""), 5)
con.keys("+")
con.type("my_tag")
con.keys("Enter")
con.keys("Right")
scr = con.wait(lambda t: "again" in t, 5)
s.check(scr is not None and "press → again" in scr and "KEY_" not in scr,
        "a key that would drop edits is named as on the keycap (→), not KEY_RIGHT",
        con.screen())
quits(con, "Home/End (q twice: an edit is pending)", keys=("q", "q"))
con.kill()
s.finish()
