#!/usr/bin/env python3
"""test_claims.py — two consoles never get the same image from `r` (issue 15).

Three pending images a, b, c.  Console A presses r and gets a.png; console
B, its Library cursor on a.png too, presses r and gets b.png (a.png is
claimed by A); B's previous pending image (p) passes over a.png while A
holds it.  A quits, which drops its claim: B's p then reaches a.png.
R (a random image) passes over a.png while A holds it.  Opening an image
by name that another console holds still works, with a warning.

    python3 tests/e2e/test_claims.py build/tui/tagcon
"""
import time

import tcconsole as tc

s = tc.Suite("e2e-claims")
lib = s.path("lib")
db = s.path("lib.db")
imgs = {}
for k, name in enumerate(("a", "b", "c"), start=1):
    imgs[name] = tc.make_image(lib + "/%s.png" % name, 300 + k, 200, "colour", seed=k)
s.run("--db", db, "scan", lib)
tc.add_predictions(db, imgs["a"], [("apple", "general", 0.9)])
tc.add_predictions(db, imgs["b"], [("banana", "general", 0.9)])
tc.add_predictions(db, imgs["c"], [("cherry", "general", 0.9)])

ca = tc.Console(s, ["--db", db])
cb = tc.Console(s, ["--db", db])
for con in (ca, cb):
    con.wait_for("a.png")
ca.keys("r")
s.check(ca.wait(lambda t: "apple" in t, 10) is not None, "A: r opens a.png", ca.screen())
cb.keys("r")
s.check(cb.wait(lambda t: "banana" in t, 10) is not None,
        "B: r passes over a.png, which A has open, to b.png", cb.screen())
cb.keys("p")
scr = cb.wait(lambda t: "cherry" in t, 10)
s.check(scr is not None and "apple" not in scr,
        "B: the previous pending image is c.png (wrapping), not a.png", cb.screen())


def review_path(con):
    """The image the Review screen shows once it has settled, or None."""
    last = None
    for _ in range(50):
        scr = con.screen()
        lines = scr.splitlines()
        head = lines[1] if len(lines) > 1 else ""
        name = next((n for n in ("a.png", "b.png", "c.png") if n in head), None)
        if "Review" in scr and name is not None and name == last:
            return name
        last = name
        time.sleep(0.2)
    return None


# R (a random image of the filter) passes over a.png too while A has it:
# eight draws over three images, each from the Library.
drawn = []
for _ in range(8):
    cb.keys("1")
    cb.wait_for("3 images", 10)
    cb.keys("R")
    drawn.append(review_path(cb))
s.check(None not in drawn and "a.png" not in drawn,
        "B: R never draws a.png, which A has open (drew %s)" % ", ".join(map(str, drawn)),
        cb.screen())
if drawn[-1] == "b.png":  # back on c.png for what follows (n from b.png is c.png)
    cb.keys("n")
    s.check(cb.wait(lambda t: "cherry" in t, 10) is not None,
            "B: n from b.png is c.png while A has a.png", cb.screen())
ca.keys("q")


def claims():
    """A's claims on a.png (-1: the library has no claims table)."""
    con = tc.db_connect(db)
    try:
        return con.execute("SELECT count(*) FROM claims WHERE image_id = (SELECT id FROM"
                           " images WHERE path = ?)", (imgs["a"].encode(),)).fetchone()[0]
    except Exception:
        return -1
    finally:
        con.close()


for _ in range(100):  # A's exit drops its claim; wait for the process to end
    if claims() == 0:
        break
    time.sleep(0.1)
s.check(claims() == 0, "A's claim is gone once it quits")
cb.keys("n")
s.check(cb.wait(lambda t: "apple" in t, 10) is not None,
        "then B's next image (from c.png, wrapping) is a.png", cb.screen())
cb.keys("q")
s.finish()
