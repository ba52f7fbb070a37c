#!/usr/bin/env python3
"""test_unsure.py — uncertainty-first review in the console (issue 15).

Three pending images whose least sure tag sits 0.10 (a.png: smile 0.45),
0.01 (b.png: hat 0.36) and 0.30 (c.png: cup 0.65, dog 0.05) from the 0.35
cut.  In the Library, `u` sorts "least sure" first and lists b, a, c; `r`
opens b; `a` `c` commits it and the next image is a (least sure of the
rest), where path order would have given c.  The shell's `search --sort
unsure` gives the same order.

    python3 tests/e2e/test_unsure.py build/tui/tagcon
"""
import tcconsole as tc

s = tc.Suite("e2e-unsure")
lib = s.path("lib")
db = s.path("lib.db")
a = tc.make_image(lib + "/a.png", 300, 200, "colour", seed=1)
b = tc.make_image(lib + "/b.png", 320, 200, "colour", seed=2)
c = tc.make_image(lib + "/c.png", 200, 300, "colour", seed=3)
s.run("--db", db, "scan", lib)
tc.add_predictions(db, a, [("smile", "general", 0.45), ("sky", "general", 0.90)])
tc.add_predictions(db, b, [("hat", "general", 0.36), ("tree", "general", 0.90)])
tc.add_predictions(db, c, [("cup", "general", 0.65), ("dog", "general", 0.05)])

r = s.run("--db", db, "search", "--sort", "unsure", check=False)
names = [p.rsplit("/", 1)[-1] for p in r.stdout.decode().split("\n") if p]
s.check(names == ["b.png", "a.png", "c.png"], "search --sort unsure: b, a, c", repr(names))

con = tc.Console(s, ["--db", db])
s.check(con.wait_for("a.png") is not None, "the library lists the images", con.screen())
con.keys("u")
scr = con.wait(lambda t: "sort: least sure" in t, 5)
s.check(scr is not None, "u sorts least sure first", con.screen())
scr = con.wait(lambda t: "b.png" in t and "a.png" in t and "c.png" in t
               and t.index("b.png") < t.index("a.png") < t.index("c.png"), 5)
s.check(scr is not None, "the list is b, a, c", con.screen())
con.keys("r")
scr = con.wait(lambda t: " hat" in t and "tree" in t, 10)
s.check(scr is not None, "r opens the least sure pending image (b.png)", con.screen())
con.keys("a")
con.wait(lambda t: "+ hat" in t)
con.keys("c")
scr = con.wait(lambda t: "smile" in t and "sky" in t, 10)
s.check(scr is not None, "after the commit, the next is a.png (least sure of the rest)",
        con.screen())
s.check(tc.decisions(db, b) == {"hat": (1, 0), "tree": (1, 0)}, "b's tags committed",
        tc.decisions(db, b))
con.keys("Escape", "1")
con.wait(lambda t: "sort: least sure" in t, 5)
con.keys("u")
s.check(con.wait(lambda t: "sort: path" in t, 5) is not None, "u again: by path",
        con.screen())
con.keys("s", "s")
s.check(con.wait(lambda t: "sort: largest" in t, 5) is not None, "s: newest, largest",
        con.screen())
con.keys("s")
s.check(con.wait(lambda t: "sort: path" in t, 5) is not None,
        "s: back to path, not to least sure", con.screen())
con.keys("q")
s.finish()
