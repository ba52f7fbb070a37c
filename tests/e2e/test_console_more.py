#!/usr/bin/env python3
"""test_console_more.py — small console promises (issue 13's leftovers), each
through the real console in tmux, each followed by the step after.

1. Enter or r typed before the Library has its first rows (typed into the
   terminal before the console even starts, so they are read before any page
   can come back) opens Review on the first image / the next one waiting —
   never an empty Review ("No image"); then Esc goes back to a working
   Library.
2. Help at 80x24, on every screen: each help line is whole (wrapped between
   words beside the key column) — every text read back off the screen is one
   of the help texts in the sources, none cut at the edge; scrolling to the
   end reaches the "Everywhere" keys.
3. A message wider than the status line (Settings' refusal under a preset;
   a refused folder with a long path), at 80 columns, can be read whole on
   the screen; keys still work after it, and it goes away.
4. A batch run from the Batch screen, when finished, shows the run's average
   rate (images / its length) and its length in tenths ("finished after
   6.4s"), not the last window's rate and whole seconds; the database's run
   row holds the same average.
"""
import os
import re
import time

import tcconsole as tc

s = tc.Suite("e2e-console-more")
SRC = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def library(name, n, predicted=0):
    lib = s.path(name)
    for i in range(n):
        tc.make_image("%s/%s%02d.png" % (lib, name, i), 40 + i, 30 + (i % 3))
    db = s.path(name + ".db")
    s.run("--db", db, "scan", lib)
    for i in range(predicted):
        tc.add_predictions(db, "%s/%s%02d.png" % (lib, name, i),
                           [("1girl", "general", 0.9), ("solo", "general", 0.8)])
    return lib, db


def early_console(db, key):
    """A console with key already typed when it starts."""
    con = tc.Console(s, ["--db", db], width=100, height=30)
    con.tmux("send-keys", key)
    return con


# --- 1. a key before the rows ---------------------------------------------------
lib, db = library("early", 12, predicted=12)
REVIEW = "a accept all"  # Review's own line, drawn only with an image open
con = early_console(db, "Enter")
scr = con.wait(lambda t: REVIEW in t and "early00.png" in t, 10)
s.check(scr is not None and "No image" not in scr,
        "Enter typed before the first rows opens Review on the first image", con.screen())
s.check(scr is not None and "Still loading" not in scr,
        "no \"Still loading\" left on the status line once it has opened", con.screen())
con.keys("Escape")
scr = con.wait(lambda t: "early05.png" in t and REVIEW not in t, 5)
s.check(scr is not None, "then Esc: the Library with its rows", con.screen())
con.keys("j", "Enter")
scr = con.wait(lambda t: REVIEW in t and "early01.png" in t, 5)
s.check(scr is not None, "and Enter there opens the row under the cursor", con.screen())
con.kill()

con = early_console(db, "r")
scr = con.wait(lambda t: REVIEW in t and "early0" in t, 10)
s.check(scr is not None and "No image" not in scr,
        "r typed before the first rows opens Review on an image waiting for review",
        con.screen())
con.keys("n")
scr = con.wait(lambda t: REVIEW in t and "No image" not in t, 5)
s.check(scr is not None, "and n goes on to the next", con.screen())
con.kill()

# --- 2. help, whole at 80x24 ----------------------------------------------------
ENTRY = re.compile(r'\{\s*"((?:[^"\\]|\\.)*)"\s*,\s*((?:"(?:[^"\\]|\\.)*"\s*)+),\s*(?:true|false)\s*\}')
texts = set()
for f in os.listdir(os.path.join(SRC, "tui")):
    if f.endswith(".c"):
        with open(os.path.join(SRC, "tui", f), encoding="utf-8") as fh:
            for m in ENTRY.finditer(fh.read()):
                what = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
                texts.add(what.replace('\\"', '"'))
s.check(len(texts) > 40, "the help texts read from the sources (%d)" % len(texts))

KW = 24  # key column at 80 columns: keys at 2, text at 27


def help_entries(scr):
    """Whole entries of one capture: (keys, text); the last one may be cut by
    the window's bottom and is left out."""
    rows = scr.splitlines()[1:23]
    out, cur, cur_end = [], None, False
    for i, line in enumerate(rows):
        line = line.rstrip()
        if not line:
            continue
        if not line.startswith(" "):
            cur = None  # a title
            continue
        keys, text = line[2:2 + KW].strip(), line[3 + KW:].strip()
        if keys:
            cur = [keys, text, i == len(rows) - 1]
            out.append(cur)
        elif cur is not None and text and cur[1] not in texts:
            cur[1] += " " + text  # the entry's next row
            cur[2] = i == len(rows) - 1
        elif text:
            cur = ["", text, i == len(rows) - 1]  # a note without keys
            out.append(cur)
    return [(k, t) for k, t, at_end in out if not at_end]


lib2, db2 = library("help", 3)
con = tc.Console(s, ["--db", db2], width=80, height=24)
con.wait_for("help00.png")
for n, name in [("1", "Library"), ("2", "Review"), ("3", "Settings"), ("4", "Batch"),
                ("5", "Log")]:
    con.keys(n)
    time.sleep(0.3)
    con.keys("?")
    scr = con.wait(lambda t: name + " keys" in t, 5)
    seen, bad, last, everywhere = {}, [], None, False
    for _ in range(60):
        scr = con.screen()
        everywhere = everywhere or "Everywhere keys" in scr
        for k, t in help_entries(scr):
            seen[k + "\0" + t] = t
        if scr == last:
            break
        last = scr
        con.keys("j")
        time.sleep(0.05)
    bad = sorted(t for t in seen.values() if t not in texts)
    s.check(len(seen) >= 8 and not bad and everywhere,
            "%s help at 80x24: %d lines, each whole" % (name, len(seen)),
            "not a help text (cut?): %r\n%s" % (bad, scr))
    con.keys("Escape")
    time.sleep(0.2)
scr = con.wait(lambda t: "Log keys" not in t, 3)
s.check(scr is not None and "Everywhere keys" not in scr, "Esc closes the help (step after)",
        con.screen())
con.kill()

# --- 3. a long message at 80 columns --------------------------------------------
def joined(scr):
    """The screen's rows run together without blanks (a wrapped path is cut
    mid-word)."""
    return "".join(scr.split())


# Settings' s in a console started under a preset: a refusal of 118 columns.
s.run("--db", db2, "preset", "set", "calm", "character_threshold", "0.42")
con = tc.Console(s, ["--db", db2, "--preset", "calm"], width=80, height=24)
con.wait_for("help00.png")
con.keys("3")
con.wait_for("Settings")
time.sleep(0.3)
con.keys("s")
want = ("not saved: this console reads its settings through preset calm (tagcon --preset);"
        " start it without to change them")
scr = con.wait(lambda t: "not saved" in t, 5)
s.check(scr is not None and joined(want) in joined(scr),
        "a refusal longer than the status line (Settings under a preset) is on the screen whole",
        con.screen())
s.check(scr is not None and all(len(l) <= 80 for l in scr.splitlines()),
        "within 80 columns", con.screen())
con.keys("1")
scr = con.wait(lambda t: "not saved" not in t and "help00.png" in t, 12)
s.check(scr is not None, "it goes away, and the next screen is whole", con.screen())
con.kill()

# A refused folder (A) with a long path: the path and the reason both read.
con = tc.Console(s, ["--db", db2], width=80, height=24)
con.wait_for("help00.png")
missing = s.path("a-folder-whose-name-is-long-enough", "and-then-one-more-level-of-it",
                 "and-another-so-the-status-line-cannot-hold-it")
con.keys("A")
time.sleep(0.3)
con.type(missing)
con.keys("Enter")
want = "add folder: %s: no such folder" % missing
scr = con.wait(lambda t: "no such folder" in t, 5)
s.check(scr is not None and joined(want) in joined(scr),
        "a refused folder with a long path: path and reason on the screen whole",
        con.screen())
con.keys("j")
scr = con.wait(lambda t: "no such folder" not in t and "help00.png" in t, 12)
s.check(scr is not None, "it goes away, and the Library is whole again", con.screen())
con.keys("4")
scr = con.wait(lambda t: "Run #" in t or "No batch" in t or "Space" in t, 5)
s.check(scr is not None, "and keys still switch screens", con.screen())
con.kill()

# --- 4. a finished run's rate and length ----------------------------------------
fake = tc.Fake(s, "--concurrency", "2", "--service-ms", "250")
lib3, db3 = library("rate", 24)
s.run("--db", db3, "config", "set", "spaces", fake.url)
con = tc.Console(s, ["--db", db3], width=120, height=30)
con.wait_for("rate00.png")
con.keys("4")
time.sleep(0.3)
con.keys("s")
scr = con.wait(lambda t: "Run #1" in t and "finished after" in t, 90)
s.check(scr is not None, "the run finishes on the Batch screen", con.screen())
scr = scr or ""
m_len = re.search(r"finished after (\d+)\.(\d)s", scr)
m_rate = re.search(r"rate (\d+\.\d) images/s average", scr)
s.check(m_len is not None, "its length in tenths of a second",
        re.findall(r"finished after \S+", scr))
s.check(m_rate is not None, "its rate said to be the average",
        re.findall(r"rate [^·]*", scr))
if m_len and m_rate:
    length = float(m_len.group(1) + "." + m_len.group(2))
    rate = float(m_rate.group(1))
    s.check(abs(24 / length - rate) <= 0.051 + 24 / length * 0.1 / length,
            "the rate is images / length (24 / %.1f s = %.2f/s; shown %.1f)"
            % (length, 24 / length, rate))
con2 = tc.db_connect(db3)
row = con2.execute("SELECT rate, started_at, finished_at, done FROM runs ORDER BY id DESC"
                   " LIMIT 1").fetchone()
con2.close()
s.check(row is not None and row[3] == 24 and row[0] > 0
        and abs(24 / row[0] - (row[2] - row[1])) <= 1.0,
        "the run row's rate is the average over the run's length", row)
con.keys("1")
scr = con.wait(lambda t: "rate00.png" in t, 5)
s.check(scr is not None, "step after: back to the Library", con.screen())
con.kill()

s.finish()
