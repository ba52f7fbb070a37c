#!/usr/bin/env python3
"""test_library.py — the Library and Log screens through the real console.

The DIRs given on the command line are indexed in the background while the
console is up; the filter bar (the query language, with completion), sorting, the folder tree,
and the Log screen's failed images with their reasons and retry.
"""
import tcconsole as tc

s = tc.Suite("e2e-library")
lib = s.path("lib")
db = s.path("lib.db")
for i in range(5):
    tc.make_image("%s/2023/a%d.png" % (lib, i), 40 + i, 30)
for i in range(3):
    tc.make_image("%s/2024/trip/b%d.png" % (lib, i), 50 + i, 30)
with open(lib + "/2024/notes.png", "w") as f:
    f.write("this is not an image\n")

# tagcon DIR: the console comes up and indexes DIR in the background.
con = tc.Console(s, ["--db", db, lib])
scr = con.wait(lambda t: "9 images" in t and "scan done" in t, 20)
s.check(scr is not None, "tagcon DIR indexes DIR in the background", con.screen())
s.check(scr is not None and "2023" in scr and "2024" in scr, "the folder tree shows the folders",
        con.screen())
s.check(scr is not None and "failed" in scr and "notes.png" in scr,
        "a file that is no image is listed as failed", con.screen())

tc.add_predictions(db, "%s/2023/a0.png" % lib, [("tree", "general", 0.9)])
con.keys("/")
con.type("state:tagged")
con.keys("Enter")
scr = con.wait(lambda t: (" 1 image" in t and " 1 images" not in t) and "a0.png" in t, 5)
s.check(scr is not None, "state:tagged filters by state", con.screen())
con.keys("/", "C-u")
con.type("folder:%s/2024 path:b1" % lib)
con.keys("Enter")
scr = con.wait(lambda t: (" 1 image" in t and " 1 images" not in t) and "b1.png" in t, 5)
s.check(scr is not None, "folder:DIR and path:TEXT filter by folder and name", con.screen())
con.keys("/", "C-u")
con.type("state:bogus")
con.keys("Enter")
s.check(con.wait_for("unknown state 'bogus'", 5) is not None, "a bad state is refused with the "
        "names it knows", con.screen())
con.keys("End", "C-u")
con.type("smile (forest")
con.keys("Enter")
s.check(con.wait_for("column 14: expected ')'", 5) is not None,
        "a syntax error names the column and what was expected", con.screen())
con.keys("Escape", "Escape")
s.check(con.wait(lambda t: "9 images" in t, 5) is not None, "Esc clears the filter",
        con.screen())

# Tags: the filter bar speaks the query language of tagcon search.
s.run("--db", db, "edit", "%s/2023/a1.png" % lib, "+forest", "+long hair")
s.run("--db", db, "edit", "%s/2024/trip/b2.png" % lib, "+forest")
con.keys("C-r", "/")
con.type("fore")
scr = con.wait(lambda t: "forest" in t.splitlines()[2], 5)
s.check(scr is not None, "known tags are offered under the word being typed", con.screen())
con.keys("Tab")
scr = con.wait(lambda t: "Filter: forest" in t, 5)
s.check(scr is not None, "Tab completes the tag", con.screen())
con.type(" long_hair -suggested:tree")
con.keys("Enter")
scr = con.wait(lambda t: (" 1 image" in t and " 1 images" not in t) and "a1.png" in t, 5)
s.check(scr is not None and "b2.png" not in scr,
        "tags, long hair = long_hair, and -suggested: filter the list", con.screen())
con.keys("R")
scr = con.wait(lambda t: "a1.png" in t.splitlines()[1] and "Review" in t, 5)
s.check(scr is not None, "R reviews a random image of the filter (its only match)",
        con.screen())
con.keys("1")
con.wait_for("Filter: forest", 5)
con.keys("/", "C-u")
con.type("suggested:tree | forest rat")
scr = con.wait(lambda t: "rating:" in t, 5)
s.check(scr is not None, "namespaces are offered too", con.screen())
con.keys("C-w")
con.type("rating:q,e orientation:po")
scr = con.wait(lambda t: "portrait" in t.splitlines()[2], 5)
s.check(scr is not None, "a namespace's values are offered", con.screen())
con.keys("C-w", "C-w")
con.keys("Enter")
scr = con.wait(lambda t: "3 images" in t and "a0.png" in t and "b2.png" in t, 5)
s.check(scr is not None, "a | b", con.screen())
s.check(con.wait_for("Filter: suggested:tree | forest", 5) is not None,
        "the bar shows the query", con.screen())
con.keys("Escape")
s.check(con.wait(lambda t: "9 images" in t, 5) is not None, "Esc clears it", con.screen())

con.keys("s")
scr = con.wait(lambda t: "sort: newest" in t, 5)
s.check(scr is not None, "s changes the sort", con.screen())
con.keys("s")
scr = con.wait(lambda t: "sort: largest file" in t, 5)
names = [r[0].rsplit("/", 1)[1] for r in tc.db_connect(db).execute(
    "SELECT CAST(path AS TEXT) FROM images WHERE state != 4 ORDER BY size DESC, id DESC")]


def shown_order(t):
    """The file names of the rows, top to bottom."""
    order = []
    for line in t.splitlines():
        for n in names:
            if n in line and n not in order:
                order.append(n)
    return order


s.check(scr is not None and shown_order(scr) == names,
        "largest file first: the rows in SQL's order by size", (names, con.screen()))
# The step after: a size term counted in the same console (schema 17's bit slices, stored
# by this first size count), its rows still by size.
sizes = sorted(r[0] for r in tc.db_connect(db).execute(
    "SELECT size FROM images WHERE state != 4"))
cut = sizes[len(sizes) // 2]
want = [n for n, in tc.db_connect(db).execute(
    "SELECT CAST(path AS TEXT) FROM images WHERE state != 4 AND size >= ?"
    " ORDER BY size DESC, id DESC", (cut,))]
want = [w.rsplit("/", 1)[1] for w in want]
con.keys("/", "C-u")
con.type("size:>=%d" % cut)
con.keys("Enter")
scr = con.wait(lambda t: " %d images" % len(want) in t, 5)
s.check(scr is not None and [n for n in shown_order(scr) if n in want] == want
        and not [n for n in shown_order(scr) if n not in want],
        "size:>=N in the filter bar: its count and rows, by size", (want, con.screen()))
con.keys("Escape")
con.wait(lambda t: "9 images" in t, 5)
con.keys("s")
con.wait(lambda t: "sort: path" in t, 5)

# Folder tree: every folder, the root, 2023, 2024 (closed), and inside it trip.
con.keys("f", "Down", "Down", "Down", "Right")
s.check(con.wait_for("trip", 5) is not None, "→ opens a folder of the tree", con.screen())
con.keys("Down", "Enter")
scr = con.wait(lambda t: "/trip" in t.splitlines()[1] and "3 images" in t, 5)
s.check(scr is not None, "Enter on a folder filters the list to it", con.screen())
con.keys("Escape")
s.check(con.wait(lambda t: "9 images" in t, 5) is not None, "Esc shows every folder again",
        con.screen())

# The Log lists failed images with their reason; r retries one.
con.keys("5")
scr = con.wait(lambda t: "1 failed image" in t and "notes.png" in t, 5)
s.check(scr is not None and "not an image" in scr, "the Log shows the reason", con.screen())
con.keys("r")
# r reads the file again first: a text file is still no image, so it stays
# failed (test_console_paths.py retries a repaired one).
s.check(con.wait_for("still failing", 5) is not None, "r reads it again: still failing",
        con.screen())
state = tc.db_connect(db).execute("SELECT state FROM images"
                                  " WHERE CAST(path AS TEXT) LIKE '%notes.png'").fetchone()[0]
s.check(state == 3, "the image stays failed (a batch would only fail it again)", state)
s.check(con.wait(lambda t: "1 failed image" in t, 5) is not None, "the Log still lists it",
        con.screen())
con.keys("?")
s.check(con.wait(lambda t: "Log keys" in t and "retry" in t, 5) is not None,
        "? lists the keys of the screen it came from", con.screen())
con.keys("Escape")
s.check(con.wait_for("failed image", 5) is not None, "Esc goes back", con.screen())
con.keys("q")
s.check(con.wait_for("[exit 0]") is not None, "q leaves", con.screen())
s.finish()
