#!/usr/bin/env python3
"""test_outside.py — a running console sees what a shell changes.

Settings, tag rules and presets changed with `tagcon config set`, `rules`
and `preset apply` from another shell reach a console that is already
open: the Settings form shows the stored values, Review re-derives the
image's tags and hides a preview above a lowered max_preview_rating — and
the console goes on answering keys afterwards.
"""
import tcconsole as tc

s = tc.Suite("e2e-outside")
lib = s.path("lib")
db = s.path("lib.db")
img = tc.make_image(lib + "/photo.png", 64, 48, kind="colour")
s.run("--db", db, "scan", lib)
tc.add_predictions(db, img, [("long_hair", "general", 0.9), ("smile", "general", 0.8),
                             ("hat", "general", 0.5)], rating=(0.1, 0.8, 0.05, 0.05))

con = tc.Console(s, ["--db", db], width=120, height=36)
s.check(con.wait_for("photo.png") is not None, "the library", con.screen())

# --- Settings shows what a shell stored ---------------------------------------
con.keys("3")
s.check(con.wait(lambda t: "general_threshold" in t and "0.35" in t, 5) is not None,
        "Settings shows general_threshold 0.35", con.screen())
s.run("--db", db, "config", "set", "general_threshold", "0.55")
scr = con.wait(lambda t: "0.55" in t, 5)
s.check(scr is not None, "config set from a shell: Settings shows 0.55 without a key",
        con.screen())
s.run("--db", db, "preset", "set", "wide", "character_threshold", "0.42")
s.run("--db", db, "preset", "apply", "wide")
scr = con.wait(lambda t: "0.42" in t, 5)
s.check(scr is not None, "preset apply from a shell: Settings shows 0.42", con.screen())
con.keys("Down")
scr = con.wait(lambda t: "0.55" in t, 3)
s.check(scr is not None, "and the form still answers keys", con.screen())

# --- Review re-derives and hides what it must ---------------------------------
con.keys("1")
con.wait_for("photo.png")
con.keys("Enter")
scr = con.wait(lambda t: "smile" in t and "long_hair" in t, 5)
s.check(scr is not None, "Review lists long_hair and smile", con.screen())
s.run("--db", db, "rules", "exclude", "smile")
scr = con.wait(lambda t: "smile" not in t and "long_hair" in t, 5)
s.check(scr is not None, "rules exclude from a shell: smile leaves Review", con.screen())
s.run("--db", db, "rules", "alias", "long_hair", "very_long_hair")
scr = con.wait(lambda t: "very_long_hair" in t, 5)
s.check(scr is not None, "rules alias from a shell: Review shows very_long_hair",
        con.screen())
s.run("--db", db, "config", "set", "max_preview_rating", "g")
scr = con.wait(lambda t: "preview hidden" in t, 5)
s.check(scr is not None, "max_preview_rating lowered from a shell: the preview is hidden",
        con.screen())
con.keys("v")
scr = con.wait(lambda t: "preview hidden" not in t, 5)
s.check(scr is not None, "and v still shows it on demand", con.screen())
con.keys("q")
s.check(con.wait(lambda t: "[exit 0]" in t, 5) is not None, "q leaves the console",
        con.screen())
con.kill()
s.finish()
