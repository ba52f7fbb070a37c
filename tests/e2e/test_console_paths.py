#!/usr/bin/env python3
"""test_console_paths.py — paths, reasons and hints at 80 columns, the Log's
retry of a repaired file, and the `largest` sort, through the real console.

1. At 80×24: photos of the same name in different folders are told apart in
   the Library (the file name whole, the folder shortened from the left);
   `i` shows the cursor row's whole path, any key closes it and the list goes
   on; no status hint is cut mid-word; the empty library's hint is whole.
2. The Log: a row shows the file name whole and its reason, not the path
   twice; the reason is whole below the list; `i` shows path and reason.
3. A file that failed (text named .png) is repaired (a real PNG written over
   it); `r` in the Log reads it again — its row gets the new size, dimensions
   and content — and the next batch tags it under that content.
4. `s` to "largest file": rows in the order of the column shown (bytes).
5. An empty library: its hint whole at 80 columns; `A` adds a folder (typed,
   ~/ for the home), which is scanned and becomes a root; a folder that is
   not there is refused. A plain tag that finds nothing right after a batch:
   the hint names suggested:TAG, which finds the image.
"""
import os
import re
import subprocess

import tcconsole as tc

s = tc.Suite("e2e-console-paths")
lib = s.path("Pictures")
db = s.path("lib.db")
NAME = "contents_images_2560x1600.jpg"
folders = ["Wallpapers/Collection 2023", "Wallpapers/Collection 2024", "Phone/Camera roll 2025"]
for i, f in enumerate(folders):
    tc.make_image("%s/%s/%s" % (lib, f, NAME), 60 + 10 * i, 40, kind="colour", seed=i + 1)
# pixels and bytes disagree: a large flat image is a small file
tc.make_image(lib + "/big_flat.png", 900, 700)
broken = lib + "/Scans/broken_scan.png"
os.makedirs(os.path.dirname(broken))
with open(broken, "w") as f:
    f.write("not an image at all\n")
s.run("--db", db, "scan", lib)


def row_of(path):
    con_ = tc.db_connect(db)
    r = con_.execute("SELECT size, width, height, content_id, state, error FROM images"
                     " WHERE path = ?", (path.encode(),)).fetchone()
    con_.close()
    return r


before = row_of(broken)
s.check(before is not None and before[4] == 3, "the text named .png failed at the scan", before)

# --- 1. the Library at 80 columns -------------------------------------------------
con = tc.Console(s, ["--db", db], width=80, height=24)
scr = con.wait(lambda t: t.count(NAME) >= 3, 10)
s.check(scr is not None, "each photo's file name shows whole at 80 columns", con.screen())
rows = [l for l in (scr or "").splitlines() if NAME in l]
shown = [l.split(NAME)[0].split("│")[-1].strip() for l in rows]
s.check(len(set(shown)) == 3 and all(any(c.isdigit() for c in x) for x in shown),
        "and the folders' ends tell them apart", "\n".join(rows))
s.check(all(len(l) <= 80 for l in (scr or "").splitlines()), "nothing past 80 columns", scr)
con.keys("3")
scr = con.wait(lambda t: "Space URLs" in t and "help" in t.splitlines()[-1], 10)
status = (scr or con.screen()).splitlines()[-1]
s.check(scr is not None and status.rstrip().endswith("? help"),
        "Settings' hints at 80 columns: whole ones only, ? help last", status)
con.keys("1")
con.wait_for(NAME)
# to the second photo and ask for its whole path
con.keys("g")
target = None
for _ in range(6):
    scr = con.screen()
    con.keys("i")
    pop = con.wait(lambda t: "whole path" in t, 3) or ""
    flat = re.sub(r"\s+", "", pop)
    for f in folders:
        if re.sub(r"\s+", "", "%s/%s/%s" % (lib, f, NAME)) in flat:
            target = f
    con.keys("x")  # any key closes
    con.wait(lambda t: "whole path" not in t, 3)
    if target == folders[1]:
        break
    con.keys("Down")
s.check(target is not None, "i shows the cursor row's whole path", pop)
scr = con.screen()
s.check("whole path" not in scr, "any key closes it", scr)
con.keys("Down")
s.check(con.wait(lambda t: NAME in t, 3) is not None, "and the list answers keys after",
        con.screen())

# --- 2 and 3. the Log, a repaired file --------------------------------------------
con.keys("5")
scr = con.wait(lambda t: "broken_scan.png" in t and "failed image" in t, 5)
s.check(scr is not None, "the Log lists the failed file", con.screen())
scr = con.screen()
s.check(scr.count("broken_scan.png") == 1, "its path is not repeated", scr)
s.check("not an image (text file)" in scr, "its reason shows whole", scr)
con.keys("i")
pop = con.wait(lambda t: "whole path and reason" in t, 3) or ""
s.check(broken in re.sub(r"\s+", " ", pop).replace(" ", "") or
        broken.replace(" ", "") in re.sub(r"\s+", "", pop), "i shows its whole path", pop)
con.keys("Escape")
con.wait(lambda t: "whole path and reason" not in t, 3)

# Repair it: a real PNG (another size than the text file had) in its place.
subprocess.run(["vips", "black", broken + ".new.png", "77", "55"], check=True)
os.replace(broken + ".new.png", broken)
size = os.path.getsize(broken)
con.keys("r")
scr = con.wait(lambda t: "read again" in t or "77×55" in t, 10)
s.check(scr is not None, "r reads the file again and says what it found", con.screen())
after = row_of(broken)
s.check(after is not None and after[0] == size and (after[1], after[2]) == (77, 55),
        "the row has the repaired file's size and dimensions", (before, after, size))
s.check(after is not None and after[3] is not None and after[3] != before[3],
        "and its new content", (before, after))
s.check(after is not None and after[4] == 0 and after[5] is None,
        "it is new again, no reason left", after)
scr = con.wait(lambda t: "Nothing failed" in t, 5)
s.check(scr is not None, "the Log no longer lists it", con.screen())
con.kill()

fake = tc.Fake(s)
s.run("--db", db, "config", "set", "spaces", fake.url)
s.run("--db", db, "batch", "--quiet", check=False, timeout=120)
c2 = tc.db_connect(db)
t = c2.execute("SELECT i.state, i.width, t.content_id FROM images i LEFT JOIN tagged t"
               " ON t.content_id = i.content_id WHERE i.path = ?", (broken.encode(),)).fetchone()
c2.close()
s.check(t is not None and t[0] == 1 and t[2] == after[3],
        "the next batch tags it under its new content", t)

# --- 4. largest: by what the column shows ------------------------------------------
con = tc.Console(s, ["--db", db], width=100, height=30)
con.wait_for(NAME)
con.keys("s", "s")
scr = con.wait(lambda t: "largest" in t.splitlines()[1], 5)
s.check(scr is not None, "s twice sorts by the largest", con.screen())
scr = con.screen()
header = [l for l in scr.splitlines() if "Sug" in l and "Com" in l]
s.check(header and "File size" in header[0], "the column shows file sizes while it sorts",
        scr)


def as_bytes(txt):
    m = re.search(r"([\d.]+) (MB|kB|B)\b", txt)
    return float(m.group(1)) * {"MB": 1e6, "kB": 1e3, "B": 1}[m.group(2)] if m else None


vals = [as_bytes(l) for l in scr.splitlines()[3:] if as_bytes(l) is not None]
s.check(len(vals) >= 5 and vals == sorted(vals, reverse=True),
        "rows go by the column, largest first", "%s\n%s" % (vals, scr))
con.keys("s")
scr = con.wait(lambda t: "sort: path" in t, 3)
s.check(scr is not None and "File size" not in scr and "×" in scr,
        "back to path: the column shows pixels", con.screen())

# --- the empty library: its hint whole; A adds a folder ----------------------------
empty = s.path("empty.db")
con = tc.Console(s, ["--db", empty], width=80, height=24)
scr = con.wait(lambda t: "No images yet" in t, 10)
flat = re.sub(r"\s+", " ", scr or "")
s.check(scr is not None and "tagcon ~/Pictures" in flat and "tagcon scan DIR" in flat,
        "the empty library's hint is whole at 80 columns", scr)
more = s.path("More photos")
for i in range(2):
    tc.make_image("%s/extra%d.png" % (more, i), 50 + i, 40)
con.keys("A")
s.check(con.wait(lambda t: "Add folder" in t, 3) is not None, "A asks for a folder",
        con.screen())
con.type("~/More photos")
con.keys("Enter")
scr = con.wait(lambda t: "extra0.png" in t and "extra1.png" in t, 15)
s.check(scr is not None, "the folder (~/ is the home) is scanned and its images listed",
        con.screen())
roots = [r[0] for r in tc.db_connect(empty).execute("SELECT path FROM roots").fetchall()]
s.check(any(os.fsdecode(r) == more for r in roots), "and it is a root of the library", roots)
con.keys("A")
con.type("/no/such/folder")
con.keys("Enter")
s.check(con.wait(lambda t: "no such folder" in t, 3) is not None,
        "a folder that is not there: said, nothing scanned", con.screen())

# --- plain tags right after a batch: the hint names suggested: ----------------------
if not any(os.fsdecode(r) == more for r in roots):
    s.run("--db", empty, "scan", more)  # A did not add it: index it for what follows
tc.add_predictions(empty, more + "/extra0.png", [("long_hair", "general", 0.9)])
con.keys("/")
con.type("long_hair")
con.keys("Enter")
scr = con.wait(lambda t: "Nothing matches" in t, 5)
flat = re.sub(r"\s+", " ", scr or "")
s.check(scr is not None and "suggested:TAG" in flat,
        "a plain tag finding nothing: the hint names suggested:TAG", scr)
con.keys("/", "C-u")
con.type("suggested:long_hair")
con.keys("Enter")
scr = con.wait(lambda t: "extra0.png" in t and "1 image" in t, 5)
s.check(scr is not None and "extra1.png" not in scr, "and suggested:long_hair finds it",
        con.screen())
con.keys("q")
s.check(con.wait_for("[exit 0]") is not None, "q leaves", con.screen())
s.finish()
