#!/usr/bin/env python3
"""test_settings.py — the Settings form through the real console in tmux.

Every field of the settings table (read from `tagcon config list --json`, so
a new setting is covered without touching this test) is edited the way its
type is edited — a switch toggled, a choice cycled, a number typed, the URL
editor, the model and folder pickers — then saved, and the database must hold
exactly what was entered.  Also: an out-of-range threshold is refused in place
with its reason and never stored; Esc discards; a Space probed from the URL
editor shows its Gradio version and models (a fake Space on 127.0.0.1); a
focused threshold shows what it would change; presets go into the form (P) and the
form is saved as one; `tagcon --preset NAME` reads every setting through it.
"""
import json
import subprocess
import sys
import time
import os

import tcconsole as tc

s = tc.Suite("e2e-settings")
lib = s.path("lib")
db = s.path("lib.db")
img = tc.make_image(lib + "/a.png", 64, 48)
tc.make_image(lib + "/sub/b.png", 40, 30)
s.run("--db", db, "scan", lib)
tc.add_predictions(db, img, [("long_hair", "general", 0.92), ("hat", "general", 0.36),
                             ("smile", "general", 0.30)])
fake = tc.Fake(s)
# spaces defaults to the public Space; none here, so the editor starts empty.
s.run("--db", db, "config", "set", "spaces", "")
defs = json.loads(s.run("--db", db, "config", "list", "--json").stdout)

con = tc.Console(s, ["--db", db])
con.wait_for("a.png")
con.keys("3")
s.check(con.wait_for("Settings") is not None, "3 opens Settings", con.screen())


def focus(d):
    """Wait until the detail pane shows d's help (the field has the focus)."""
    return con.wait(lambda t: d["help"][:40] in t, 5) is not None


def number_for(d):
    lo, hi = d["min"], d["max"]
    if d["type"] == "int":
        v = int(lo + (hi - lo) * 0.3)
        return str(v), str(v)
    v = round(lo + (hi - lo) * 0.3, 2)
    return str(v), "%g" % v


expected = {}
for i, d in enumerate(defs):
    if i > 0:
        con.keys("Down")
    if not s.check(focus(d), "focus reaches %s" % d["name"], con.screen()):
        break
    t, name = d["type"], d["name"]
    if t == "bool":
        con.keys("Space")
        expected[name] = "false" if d["value"] == "true" else "true"
    elif t == "enum":
        con.keys("Right")
        ch = d["choices"]
        expected[name] = ch[(ch.index(d["value"]) + 1) % len(ch)]
    elif t in ("int", "float"):
        typed, want = number_for(d)
        con.type(typed)
        con.keys("Enter")
        expected[name] = want
    elif t == "urls":
        con.keys("Enter")
        con.type(fake.url)
        con.keys("C-p")
        scr = con.wait(lambda t: "gradio" in t and "models" in t, 15)
        s.check(scr is not None, "a Space probed from the URL editor shows version and models",
                con.screen())
        con.keys("Enter")
        con.type("ftp://nope")
        s.check(con.wait_for("not") is not None, "a bad URL line is flagged", con.screen())
        con.keys("BSpace", "C-u", "BSpace")
        con.keys("Tab")
        expected[name] = fake.url
    elif t == "path":
        con.keys("Enter")
        con.wait(lambda t: lib in t and "loading" not in t, 5)
        con.keys("Down", "Enter")
        expected[name] = lib
    elif name == "model":
        con.keys("Enter")
        con.wait_for("wd-convnext-tagger-v3", 5)
        # current, then the probed Space's models (the fake offers the 12 repos)
        con.keys("Down", "Enter")
        expected[name] = None  # the second entry: checked below against the list
    else:
        con.keys("Enter")
        con.keys("C-u")
        con.type("http://127.0.0.1:9/hook")
        con.keys("Enter")
        expected[name] = "http://127.0.0.1:9/hook"
    time.sleep(0.1)

scr = con.wait(lambda t: "unsaved" in t, 5)
s.check(scr is not None and "%d unsaved" % len(defs) in scr, "every field shows as changed",
        con.screen())
con.keys("s")
s.check(con.wait_for("saved %d settings" % len(defs)) is not None, "s saves them all",
        con.screen())
for d in defs:
    got = tc.setting(db, d["name"])
    want = expected.get(d["name"])
    if d["name"] == "model":
        s.check(got is not None and got != d["value"], "model picked from the list", got)
    elif d["type"] == "urls":
        s.check(got is not None and fake.url.split("//")[1] in got and "\n" not in got,
                "spaces saved (one URL)", got)
    else:
        s.check(got == want, "%s saved as %r" % (d["name"], want), got)

# An out-of-range threshold is refused where it was typed, with the reason.
con.keys("Home")
for d in defs:
    if d["name"] == "general_threshold":
        break
    con.keys("Down")
con.type("1.5")
con.keys("Enter")
scr = con.wait_for("out of range", 5)
s.check(scr is not None and "(0 to 1)" in scr, "1.5 is refused with the range", con.screen())
con.keys("Escape")
con.keys("s")
time.sleep(0.3)
s.check(tc.setting(db, "general_threshold") == expected["general_threshold"],
        "the refused value is never stored", tc.setting(db, "general_threshold"))

# A threshold under edit shows its effect; Esc throws the edit away.  The form picked
# another model: scores from it too, one between the stepped threshold and the saved one.
tc.add_predictions(db, img, [("long_hair", "general", 0.92), ("hat", "general", 0.36),
                             ("smile", "general", 0.285)], model=tc.setting(db, "model"))
con.keys("Left", "Left", "Left")
scr = con.wait(lambda t: "tagged images change" in t and "per tagged image" in t and
               "This image" in t, 10)
s.check(scr is not None, "the focused threshold shows the library-wide effect", con.screen())
# The step after: the console's count is the engine's (TAGCON_POSTINGS=off runs the engine on
# every image) and what `config effect` says for the same value from the shell.
import re  # noqa: E402
stepped = "%g" % (round(float(expected["general_threshold"]) * 100 - 3) / 100)
shown = re.search(r"Library: (\d+) of (\d+) tagged images change", con.screen() or "")


def effects(name, value):
    outs = {}
    for mode, extra in (("bands", {}), ("engine", {"TAGCON_POSTINGS": "off"})):
        r = subprocess.run([s.tagcon, "--db", db, "config", "effect", name, value, "--json"],
                           env=dict(s.env, **extra), capture_output=True, timeout=60)
        outs[mode] = json.loads(r.stdout) if r.returncode == 0 else r.stderr
    return outs


outs = effects("general_threshold", stepped)
got = [int(shown.group(1)), int(shown.group(2))] if shown else None
want = [outs["engine"]["changed"], outs["engine"]["images"]] \
    if isinstance(outs["engine"], dict) else outs["engine"]
s.check(got is not None and got == want and outs["bands"] == outs["engine"] and want[1] == 1,
        "general_threshold %s: the console's images that change = config effect's = the"
        " engine's" % stepped, (got, outs))
flip = "off" if tc.setting(db, "general_mcut") == "true" else "on"
outs = effects("general_mcut", flip)
s.check(outs["bands"] == outs["engine"] and isinstance(outs["engine"], dict) and
        outs["engine"]["changed"] == 1, "general_mcut %s: 1 image changes, from the bands as"
        " by the engine" % flip, outs)

con.keys("Escape")
s.check(con.wait_for("discarded 1 change") is not None, "Esc discards", con.screen())
s.check(tc.setting(db, "general_threshold") == expected["general_threshold"],
        "and nothing was stored", tc.setting(db, "general_threshold"))

# Presets: P lists them; one goes into the form unsaved, s keeps it.
s.run("--db", db, "preset", "set", "strict", "general_threshold", "0.8")
s.run("--db", db, "preset", "set", "strict", "character_mcut", "off")
con.keys("P")
scr = con.wait(lambda t: "Presets:" in t and "strict" in t, 5)
s.check(scr is not None and "character_mcut, general_threshold" in scr,
        "P lists the saved presets with their settings", con.screen())
con.keys("Enter")
scr = con.wait(lambda t: "preset strict: 2 settings in the form" in t, 5)
s.check(scr is not None and "*general_threshold" in scr and "*character_mcut" in scr,
        "a preset's values go into the form, marked unsaved", con.screen())
s.check(tc.setting(db, "general_threshold") == expected["general_threshold"],
        "and nothing is stored before s", tc.setting(db, "general_threshold"))
con.keys("s")
con.wait_for("saved 2 settings", 5)
s.check(tc.setting(db, "general_threshold") == "0.8" and
        tc.setting(db, "character_mcut") == "false", "s stores the preset's values",
        (tc.setting(db, "general_threshold"), tc.setting(db, "character_mcut")))
# The form saved as a new preset: every value that is not the default.
con.keys("P", "Home", "Enter")
s.check(con.wait_for("new preset's name", 5) is not None, "the first row names a new preset",
        con.screen())
con.type("bad name")
con.keys("Enter")
s.check(con.wait_for("is not a preset name", 5) is not None, "a bad name is refused",
        con.screen())
con.keys("C-u")
con.type("mine")
con.keys("Enter")
s.check(con.wait_for("saved preset mine", 5) is not None, "Enter saves it", con.screen())
shown = json.loads(s.run("--db", db, "preset", "show", "mine", "--json").stdout)
now = json.loads(s.run("--db", db, "config", "list", "--json").stdout)
differ = {d["name"]: d["value"] for d in now if d["value"] != d["default"]}
s.check(shown == differ and shown.get("general_threshold") == "0.8" and
        "character_mcut" not in shown, "it holds the values that differ from the defaults",
        (shown, differ))
con.keys("q")
s.check(con.wait_for("[exit 0]") is not None, "q leaves", con.screen())

# tagcon --preset NAME opens the console reading its settings through it.
s.run("--db", db, "preset", "set", "loose", "general_threshold", "0.2")
s.run("--db", db, "preset", "set", "loose", "general_mcut", "off")
s.run("--db", db, "preset", "set", "loose", "model", tc.MODEL)  # the form picked another
con = tc.Console(s, ["--db", db, "--preset", "loose"])
con.wait_for("a.png")
scr = con.wait(lambda t: any("a.png" in l and l.split()[-2:] == ["3", "0"]
                             for l in t.splitlines()), 5)
s.check(scr is not None, "the Library counts suggestions under the preset (3 above 0.2)",
        con.screen())
con.keys("3")
scr = con.wait(lambda t: "read through preset loose" in t, 5)
s.check(scr is not None and "0.2" in scr, "Settings shows the preset's values and says so",
        con.screen())
# a.png's general scores 0.92 0.36 0.30: above 0.2 all three, above 0.5 one.
con.keys("Down", "Down")
con.type("0.5")
con.keys("Enter")
scr = con.wait(lambda t: "Pending suggestions in the library: 3 → 1 (-66.7 %)" in t, 10)
s.check(scr is not None, "a threshold under edit shows the library's pending suggestions "
        "before and after", con.screen())
con.keys("Down", "Down", "Space")  # general_mcut on: 0.92 alone above the largest drop
scr = con.wait(lambda t: "Pending suggestions in the library: 3 → 1 (-66.7 %)" in t and
               "[x] on" in t.splitlines()[6], 10)
s.check(scr is not None, "and under MCut, from the stored cuts", con.screen())
# The counts are kept while the library stays as it was: another shell
# rejects long_hair (0.92), and stepping back to a cut counted before must
# count it again (0.2: hat and smile; 0.5: none left).
s.run("--db", db, "edit", img, "-long_hair")
con.keys("Space")  # MCut off: (0.5, off) was counted before the edit
scr = con.wait(lambda t: "Pending suggestions in the library: 2 → 0 (-100.0 %)" in t and
               "[ ] off" in t.splitlines()[6], 10)
s.check(scr is not None, "a change from another shell is in the next step's counts",
        con.screen())
con.keys("Escape")
con.keys("s")
s.check(con.wait_for("not saved: this console reads its settings through preset loose", 5)
        is not None, "and does not save", con.screen())
s.check(tc.setting(db, "general_threshold") == "0.8", "the stored value is untouched",
        tc.setting(db, "general_threshold"))
con.keys("q")
s.check(con.wait_for("[exit 0]") is not None, "q leaves", con.screen())
r = s.run("--db", db, "--preset", "nope", check=False)
s.check(r.returncode == 2 and b"no preset named 'nope'" in r.stderr,
        "an unknown preset is refused before the console starts", r.stderr)
s.finish()
