#!/usr/bin/env python3
"""test_review.py — the Review screen through the real console in tmux.

Reject one tag, add one, commit: the database then holds exactly those two
decisions, in one transaction, and the rejected tag never comes back for that
image.  Also: accept all, undo, the add prompt's completion, the next pending
image after a commit, a preview drawn with chafa symbols, and the placeholder
for an image rated above max_preview_rating (revealed with v).
"""
import json
import time

import tcconsole as tc

s = tc.Suite("e2e-review")
lib = s.path("lib")
db = s.path("lib.db")
a = tc.make_image(lib + "/a.png", 300, 200, "colour", seed=1)
b = tc.make_image(lib + "/b.png", 320, 200, "colour", seed=2)
c = tc.make_image(lib + "/c.png", 200, 300, "colour", seed=3)
s.run("--db", db, "scan", lib)
tc.add_predictions(db, a, [
    ("hatsune_miku", "character", 0.95), ("long_hair", "general", 0.92),
    ("smile", "general", 0.71), ("hat", "general", 0.40), ("outdoors", "general", 0.20),
])
tc.add_predictions(db, b, [("1girl", "general", 0.99), ("solo", "general", 0.80),
                           ("blue_eyes", "general", 0.10)])
# blue_sky: a known tag name for the completion below.
tc.add_predictions(db, c, [("landscape_view", "general", 0.90), ("blue_sky", "general", 0.3)],
                   rating=(0.02, 0.03, 0.05, 0.90))

con = tc.Console(s, ["--db", db])
s.check(con.wait_for("a.png") is not None, "library lists the images", con.screen())

# Enter on the first row (a.png) opens its review.
con.keys("Enter")
scr = con.wait_for("hatsune_miku")
s.check(scr is not None and "Character" in scr and "General" in scr and "Rating" in scr,
        "tags grouped rating / character / general", scr)
s.check(scr is not None and scr.index("long_hair") < scr.index("smile") < scr.index(" hat "),
        "general tags sorted by score", scr)
s.check(scr is not None and "0.92" in scr, "scores shown", scr)
drawn = con.wait(lambda t: any(ch in t for ch in "▀▄▌▐▖▗▘▝▚▞█▁▂▃▅▆▇"), 15)
s.check(drawn is not None, "the preview is drawn with chafa symbols", con.screen())

# The cursor starts on the first tag: hatsune_miku, long_hair, smile, hat.
con.keys("Down", "Down", "Down", "x")
s.check(con.wait(lambda t: "✗ hat" in t) is not None, "x marks hat rejected", con.screen())
con.keys("u")
s.check(con.wait(lambda t: "✗ hat" not in t) is not None, "u undoes it", con.screen())
con.keys("x")
con.wait(lambda t: "✗ hat" in t)

con.keys("+")
con.type("blue_s")
scr = con.wait_for("blue_sky", 5)
s.check(scr is not None, "the add prompt completes from known tags", con.screen())
con.keys("Tab", "Enter")
s.check(con.wait(lambda t: "+ blue_sky" in t) is not None, "blue_sky added, pending",
        con.screen())
s.check(tc.decisions(db, a) == {}, "nothing stored before the commit", tc.decisions(db, a))

con.keys("c")
scr = con.wait(lambda t: "committed 2 changes" in t and "b.png" in t.splitlines()[1])
s.check(scr is not None, "c commits and moves to the next pending image", con.screen())
got = tc.decisions(db, a)
s.check(got == {"hat": (-1, 1), "blue_sky": (1, 1)},
        "the database holds exactly the two decisions", got)

show = json.loads(s.run("--db", db, "show", "--json", a).stdout)
s.check("hat" not in show["suggested"] and "hat" in show["rejected"],
        "the rejected tag is no longer suggested", show)
s.run("--db", db, "config", "set", "general_threshold", "0.1")
show = json.loads(s.run("--db", db, "show", "--json", a).stdout)
s.check("hat" not in show["suggested"] and "outdoors" in show["suggested"],
        "nor at a lower threshold", show["suggested"])
s.run("--db", db, "config", "set", "general_threshold", "0.35")
# The console sees settings changed from a shell (within a second): let it
# settle on 0.35 again before the next keys.
time.sleep(2.5)

# b.png: accept all, commit.
con.keys("a")
s.check(con.wait(lambda t: "+ 1girl" in t and "+ solo" in t) is not None,
        "a accepts every suggestion", con.screen())
s.check(con.wait(lambda t: "+ blue_eyes" not in t) is not None, "but not near misses",
        con.screen())
con.keys("c")
con.wait(lambda t: "committed 2 changes" in t)
s.check(tc.decisions(db, b) == {"1girl": (1, 0), "solo": (1, 0)},
        "accepted suggestions are stored as automatic tags", tc.decisions(db, b))

# c.png is rated explicit; hide previews above q.
con.kill()
s.run("--db", db, "config", "set", "max_preview_rating", "q")
con = tc.Console(s, ["--db", db])
con.wait_for("c.png")
con.keys("/")
con.type("path:c.png")
con.keys("Enter")
con.wait(lambda t: "a.png" not in t and "c.png" in t)
con.keys("Enter")
scr = con.wait_for("preview hidden")
s.check(scr is not None and "explicit" in scr, "a preview rated above the maximum is hidden",
        con.screen())
con.keys("v")
s.check(con.wait(lambda t: "preview hidden" not in t) is not None, "v reveals it",
        con.screen())

# Leaving with edits asks first; the committed work stays.
con.keys("Down", "x", "q")
s.check(con.wait_for("uncommitted edit") is not None, "q with uncommitted edits asks",
        con.screen())
con.keys("q")
s.check(con.wait_for("[exit 0]") is not None, "q again leaves", con.screen())
s.check(tc.decisions(db, a) == {"hat": (-1, 1), "blue_sky": (1, 1)},
        "committed decisions are intact", tc.decisions(db, a))
s.finish()
