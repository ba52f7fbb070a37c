#!/usr/bin/env python3
"""test_console_settings.py — the Space URL editor with a refused line, at 80×24.

1. A refused line: Tab leaves the editor with the line marked and its reason
   shown whole (wrapped, not cut at the screen's edge); `s` then saves nothing
   and types nothing into the URL (no `ftp://xs`); Esc puts back the last valid
   URLs; `s` after that keeps them.
2. A refusal goes with its line: a bad line added, refused, then deleted in
   the editor: its reason leaves the screen at once, Tab takes the rest, `s`
   stores exactly the good URLs.
3. A probe that fails (^P on a closed port) shows its error whole, below its
   line, at 80 columns.
"""
import re

import tcconsole as tc

PUBLIC = "https://huggingface.co/spaces/SmilingWolf/wd-tagger"

s = tc.Suite("e2e-console-settings")
lib = s.path("lib")
db = s.path("lib.db")
tc.make_image(lib + "/a.png", 64, 48)
s.run("--db", db, "scan", lib)
fake = tc.Fake(s)


def joined(text):
    """The screen's rows as one line (a wrapped text reads whole)."""
    return re.sub(r"\s+", " ", text)


con = tc.Console(s, ["--db", db], width=80, height=24)
con.wait_for("a.png")
con.keys("3")
s.check(con.wait(lambda t: "Space URLs, one per line" in t, 5) is not None,
        "Settings opens on the spaces field", con.screen())

# --- 1. a refused line ----------------------------------------------------------
con.keys("Enter")
con.keys("C-u")
con.type("ftp://x")
con.keys("Tab")
scr = con.wait(lambda t: "ftp://x" in t and "not an http or https URL" in t, 5)
s.check(scr is not None, "Tab with a refused line: the line stays, marked, with its reason",
        con.screen())
scr = con.screen()
s.check("not an http or https URL; use https://huggingface.co/spaces/OWNER/NAME" in joined(scr),
        "the reason is shown whole at 80 columns (wrapped, not cut)", scr)
con.keys("s")
scr = con.wait(lambda t: "not saved" in t, 5)
s.check(scr is not None, "s refuses to save the refused URL", con.screen())
scr = con.screen()
s.check("ftp://xs" not in scr, "and s typed nothing into the URL (no ftp://xs)", scr)
s.check(tc.setting(db, "spaces") is None, "nothing was stored", tc.setting(db, "spaces"))
con.keys("Escape")
scr = con.wait(lambda t: PUBLIC in t and "ftp://x" not in t, 5)
s.check(scr is not None, "Esc puts back the last valid URLs", con.screen())
scr = con.screen()
s.check("not an http" not in scr and "unsaved" not in scr,
        "no refusal and nothing unsaved left", scr)
con.keys("s")
con.wait(lambda t: "save" in t.splitlines()[-1], 3)
got = tc.setting(db, "spaces")
s.check(got in (None, PUBLIC), "s after Esc keeps the public Space", got)

# --- 2. the refusal goes with its line --------------------------------------------
con.keys("Enter")
con.keys("C-u")
con.type(fake.url)
con.keys("Enter")
con.type("not a url")
con.keys("Tab")
scr = con.wait(lambda t: "not a url" in t and "!" in t, 5)
s.check(scr is not None, "a second, bad line is refused", con.screen())
con.keys("Enter")  # the editor again, on the bad (last) line
con.keys("C-u", "BSpace")


def detail(t):
    """The detail pane: the rows below the form's separator line."""
    rows = t.splitlines()
    cut = [i for i, l in enumerate(rows) if l.startswith("─" * 20) or l.startswith("-" * 20)]
    return "\n".join(rows[cut[0] + 1:-1]) if cut else t


scr = con.wait(lambda t: "not a url" not in detail(t), 5)
s.check(scr is not None, "deleting the bad line in the editor", con.screen())
scr = con.screen()
lines = scr.splitlines()
s.check(not any(l.startswith("!") for l in lines) and "not an http" not in scr
        and "is not" not in joined(scr), "its refusal is gone with it, still in the editor",
        scr)
con.keys("Tab")
con.keys("s")
scr = con.wait(lambda t: "saved 1 setting" in t, 5)
s.check(scr is not None, "Tab, then s saves", con.screen())
got = tc.setting(db, "spaces")
s.check(got == fake.url, "exactly the good URL is stored", got)
con.keys("Down")
s.check(con.wait(lambda t: "model repo the Spaces run" in t, 3) is not None,
        "and the form goes on (Down moves to the next field)", con.screen())

# --- 3. a probe's error, whole -----------------------------------------------------
con.keys("Up")
con.wait(lambda t: "Space URLs, one per line" in t, 3)
con.keys("Enter")
con.keys("Enter")
con.type("http://127.0.0.1:9")
con.keys("C-p")
scr = con.wait(lambda t: "Couldn't connect" in joined(t) or "connect to server" in joined(t), 15)
s.check(scr is not None and "Couldn't connect to server)" in joined(detail(scr)),
        "a probe's error shows whole at 80 columns (wrapped below its line)", con.screen())
con.keys("Escape")
s.check(con.wait(lambda t: "127.0.0.1:9" not in detail(t), 3) is not None,
        "Esc leaves the editor with the stored URLs", con.screen())
con.keys("q")
s.check(con.wait_for("[exit 0]") is not None, "q leaves", con.screen())
s.finish()
