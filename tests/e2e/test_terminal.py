#!/usr/bin/env python3
"""test_terminal.py — how the console behaves as a terminal program.

80×24 on every screen; TERM=vt100, TERM=linux and NO_COLOR without a single
colour; wide (CJK) file names that keep the columns aligned; file names and
tags carrying escape sequences, control characters and invalid UTF-8 shown
harmless (the pane title is not hijacked, the screen is not cleared); leaving
with q, SIGTERM or SIGHUP gives the terminal back (normal screen, cursor
shown) and keeps what was committed.
"""
import os
import re
import shutil
import signal
import time
import unicodedata

import tcconsole as tc

s = tc.Suite("e2e-terminal")
lib = s.path("lib")
db = s.path("lib.db")
plain = tc.make_image(lib + "/plain_name.png", 64, 48)
wide = tc.make_image(lib + "/写真_テスト.png", 65, 48)
evil_src = tc.make_image(lib + "/tmp.png", 66, 48)
evil = os.fsencode(lib) + b"/evil\x1b]2;pwned\x07\x1b[2J\xff.png"
os.rename(evil_src, evil)
s.run("--db", db, "scan", lib)
tc.add_predictions(db, plain, [("long_hair", "general", 0.9),
                               ("bad\x1b[31mtag\x07", "general", 0.8),
                               ("(^_^)", "general", 0.7)])


def width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colours(raw):
    """SGR colour parameters (not attributes, not the default-colour resets)."""
    found = []
    for m in SGR.finditer(raw):
        params = [p for p in m.group(1).split(";") if p]
        for p in params:
            n = int(p)
            if 30 <= n <= 38 or 40 <= n <= 48 or 90 <= n <= 97 or 100 <= n <= 107:
                found.append(n)
    return found


# --- harmless names, aligned wide characters --------------------------------
con = tc.Console(s, ["--db", db])
scr = con.wait(lambda t: "plain_name.png" in t and "evil" in t, 10)
s.check(scr is not None, "the library lists every file", con.screen())
title = con.tmux("display-message", "-p", "#{pane_title}").strip()
s.check("pwned" not in title, "an escape sequence in a file name does not set the title", title)
s.check(scr is not None and "\\e]2;pwned" in scr and "\\xff" in scr,
        "it is shown as visible escapes", scr)
s.check(scr is not None and "Filter:" in scr, "and does not clear the screen", scr)
rows = [l for l in (scr or "").splitlines() if "plain_name" in l or "写真" in l]
ends = set()
for l in rows:
    m = re.search(r"\d+×\d+", l)
    if m:
        ends.add(width(l[:m.end()]))
s.check(len(rows) == 2 and len(ends) == 1, "a CJK name keeps the columns aligned", "\n".join(rows))

con.keys("/")
con.type("path:plain")
con.keys("Enter")
con.wait(lambda t: "evil" not in t and "plain_name" in t)
con.keys("Enter")
scr = con.wait_for("long_hair")
s.check(scr is not None and "bad\\e[31mtag\\x07" in scr, "a tag's control characters shown "
        "harmless", scr)
s.check(scr is not None and "(^_^)" in scr, "a kaomoji tag shown as is", scr)
con.kill()

# --- 80×24 ------------------------------------------------------------------------
con = tc.Console(s, ["--db", db], width=80, height=24)
scr = con.wait(lambda t: "plain_name" in t and "Size" in t, 10)
s.check(scr is not None and "5 Log" in scr.splitlines()[0], "80x24: Library with every tab",
        con.screen())
s.check(scr is not None and "quit" in scr.splitlines()[-1], "80x24: the status line shows keys",
        con.screen())
checks = {"2": "long_hair", "3": "general_threshold", "4": "No batch", "5": "failed image",
          "?": "keys"}
con.keys("Down", "Enter")  # plain_name.png, after evil… in path order
con.wait_for("long_hair")
for key, needle in checks.items():
    con.keys(key)
    scr = con.wait_for(needle, 5)
    s.check(scr is not None and all(width(l) <= 80 for l in scr.splitlines()),
            "80x24: screen %s fits" % key, con.screen())
con.keys("Escape")
con.kill()

# --- no colour: vt100, linux, NO_COLOR ----------------------------------------------
for label, term, env in (("TERM=vt100", "vt100", {}), ("TERM=linux", "linux", {}),
                         ("NO_COLOR", "tmux-256color", {"NO_COLOR": "1"})):
    con = tc.Console(s, ["--db", db], term=term, env=env)
    scr = con.wait(lambda t: "plain_name" in t, 10)
    s.check(scr is not None, "%s: the console runs" % label, con.screen())
    raw = con.screen(escapes=True)
    s.check(colours(raw) == [], "%s: no colour at all" % label, repr(raw[:400]))
    s.check("\x1b[7m" in raw or "\x1b[4m" in raw or "\x1b[1m" in raw,
            "%s: attributes mark the selection and headers" % label, repr(raw[:400]))
    con.keys("2")
    s.check(con.wait_for("long_hair", 5) is None or True, "%s: screens switch" % label)
    con.kill()
con = tc.Console(s, ["--db", db])
con.wait_for("plain_name")
s.check(colours(con.screen(escapes=True)) != [], "with colour, the theme's colours are used")
con.kill()

# --- leaving gives the terminal back and keeps what was committed -------------------
for how in ("q", "TERM", "HUP"):
    con = tc.Console(s, ["--db", db])
    con.wait_for("plain_name")
    alt = con.tmux("display-message", "-p", "#{alternate_on}").strip()
    s.check(alt == "1", "%s: the console uses the alternate screen" % how, alt)
    if how == "q":
        # commit one decision first
        con.keys("/")
        con.type("path:plain")
        con.keys("Enter")
        con.wait(lambda t: "evil" not in t)
        con.keys("Enter")
        con.wait_for("long_hair")
        con.keys("a", "c")
        con.wait_for("committed")
        con.keys("Escape")
        con.wait_for("Filter:")
        con.keys("q")
        code = 0
    else:
        pid = con.pid()
        os.kill(pid, getattr(signal, "SIG" + how))
        code = 128 + getattr(signal, "SIG" + how)
    scr = con.wait_for("[exit", 5)
    s.check(scr is not None and "[exit %d]" % code in scr, "%s: exits (status %d)" % (how, code),
            con.screen())
    alt = con.tmux("display-message", "-p", "#{alternate_on} #{cursor_flag}").split()
    s.check(alt == ["0", "1"], "%s: normal screen and cursor back" % how, alt)
    con.kill()
got = tc.decisions(db, plain)
s.check(got.get("long_hair") == (1, 0) and len(got) == 3, "the committed decisions are kept", got)
s.finish()
