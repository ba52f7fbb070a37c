#!/usr/bin/env python3
"""test_workflow.py — the tags put to work, from first scan to captions, as a
new user does it: a library tagged by `tagcon batch` over a fake Space, a few
tags added by hand and every suggestion committed from the shell, then

  - `tagcon search '1girl solo -monochrome rating:g orientation:portrait'`
    finds exactly the images the database says match (worked out here from
    the decisions, ratings and sizes with sqlite3, not by tagcon);
  - the console's filter bar, given the same query, lists the same images;
  - `tagcon random` with max_rating s only ever picks images rated g or s,
    and `tagcon random QUERY` only matches;
  - `tagcon export --format txt QUERY --out DIR` writes one caption per
    match that a training script reads back as the image's committed tags.
"""
import os
import sqlite3

import tcconsole as tc

QUERY = "1girl solo -monochrome rating:g orientation:portrait"

s = tc.Suite("e2e-workflow")
lib = s.path("lib")
db = s.path("lib.db")
sizes = [(40, 60), (44, 66), (30, 50), (36, 72), (50, 80), (42, 64), (46, 70), (38, 58),
         (60, 40), (70, 44), (50, 50), (64, 36)]
for i, (w, h) in enumerate(sizes):
    tc.make_image("%s/%s/img%02d.png" % (lib, "p" if h > w else "o", i), w, h, "colour", i + 1)
s.run("--db", db, "scan", lib)
fake = tc.Fake(s)
s.run("--db", db, "config", "set", "spaces", fake.url)
r = s.run("--db", db, "batch", "--quiet", check=False, timeout=120)
s.check(r.returncode == 0, "tagcon batch tags the library over the fake Space", r.stderr.decode())


def rating_of(con, path):
    row = con.execute("SELECT t.rating_general, t.rating_sensitive, t.rating_questionable,"
                      " t.rating_explicit FROM images i JOIN tagged t"
                      " ON t.content_id = i.content_id WHERE i.path = ?",
                      (path.encode(),)).fetchone()
    if row is None:
        return None
    # argmax, ties to the milder label (db_counts' rule)
    return "gsqe"[max(range(4), key=lambda k: (row[k], -k))]


con = tc.db_connect(db)
paths = sorted(p.decode() for (p,) in con.execute("SELECT path FROM images"))
ratings = {p: rating_of(con, p) for p in paths}
s.check(all(ratings.values()), "every image has an answer", ratings)
# A person adds what the model missed: 1girl solo on every portrait but one,
# monochrome on one more, and commits every pending suggestion.
portraits = [p for p in paths if "/p/" in p]
for p in portraits[1:]:
    s.run("--db", db, "edit", p, "+1girl", "+solo")
s.run("--db", db, "edit", portraits[2], "+monochrome")
s.run("--db", db, "edit", paths[-1], "+1girl", "+solo")
r = s.run("--db", db, "commit")
s.check(b"committed" in r.stdout, "tagcon commit commits the pending suggestions", r.stdout)

# What the query means, from the database itself.
def committed(p):
    return {n for (n,) in con.execute(
        "SELECT g.name FROM decisions d JOIN tags g ON g.id = d.tag_id JOIN images i"
        " ON i.id = d.image_id WHERE i.path = ? AND d.verdict = 1", (p.encode(),))}


def dims(p):
    return con.execute("SELECT width, height FROM images WHERE path = ?",
                       (p.encode(),)).fetchone()


want = sorted(p for p in paths if {"1girl", "solo"} <= committed(p)
              and "monochrome" not in committed(p) and ratings[p] == "g"
              and dims(p)[1] > dims(p)[0])
s.check(len(want) >= 1, "the library holds matches (fixed images, seeded fake scores)",
        ratings)

r = s.run("--db", db, "search", "--all-ratings", QUERY)
got = sorted(l for l in r.stdout.decode().splitlines() if l)
s.check(got == want, "tagcon search finds exactly the matches", (got, want))

# The console: the same query in the filter bar.
console = tc.Console(s, ["--db", db], width=120)
console.wait_for("img00.png")
console.keys("/")
console.type(QUERY)
console.keys("Enter")
shown = console.wait(lambda t: "%d images" % len(want) in t and "~" not in t.splitlines()[1],
                     10)
names = [os.path.basename(p) for p in want]
s.check(shown is not None and all(n in shown for n in names) and
        sum(".png" in l for l in shown.splitlines()) == len(want),
        "the console's filter bar lists the same images", console.screen())
console.keys("q")
console.wait_for("[exit 0]")

# random: max_rating s keeps q and e out; a query picks only matches.
s.run("--db", db, "config", "set", "max_rating", "s")
safe = {p for p in paths if ratings[p] in "gs"}
picks = {s.run("--db", db, "random").stdout.decode().strip() for _ in range(25)}
s.check(picks and picks <= safe, "tagcon random picks only images rated g or s",
        (picks - safe, ratings))
picks = {s.run("--db", db, "random", QUERY).stdout.decode().strip() for _ in range(10)}
s.check(picks <= set(want) and picks, "tagcon random QUERY picks a match", picks)

# Captions a training script reads: DIR/<path below the root>.txt, "tag, tag".
out = s.path("captions")
r = s.run("--db", db, "export", "--format", "txt", "--out", out, QUERY)
files = sorted(os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out)
               for f in fs)
caption = {p: os.path.relpath(p, lib)[:-4] + ".txt" for p in want}
s.check(files == sorted(caption.values()), "one caption per match, as the library lies",
        (files, caption))
for p in want:
    try:
        with open(os.path.join(out, caption[p]), encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        text = str(e)
    tags = {t.strip().replace(" ", "_") for t in text.strip().split(",")}
    s.check("\n" not in text.strip() and tags == committed(p),
            "%s: the caption holds its committed tags" % caption[p], (text, committed(p)))
con.close()
s.finish()
