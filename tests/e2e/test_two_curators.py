#!/usr/bin/env python3
"""test_two_curators.py — two consoles on one library, one image (issue 15).

Curator A opens a.png and accepts everything; meanwhile curator B, in
another console, rejects hat on the same image and commits.  When A
commits, nothing of A's is written over B's decision: A is told the image
"changed since you opened it" and sees it as it is now (hat rejected);
the database holds B's decision only.  Then A commits from there.

    python3 tests/e2e/test_two_curators.py build/tui/tagcon
"""
import tcconsole as tc

s = tc.Suite("e2e-two-curators")
lib = s.path("lib")
db = s.path("lib.db")
a = tc.make_image(lib + "/a.png", 300, 200, "colour", seed=1)
b = tc.make_image(lib + "/b.png", 320, 200, "colour", seed=2)
s.run("--db", db, "scan", lib)
tc.add_predictions(db, a, [("sky", "general", 0.90), ("hat", "general", 0.60)])
tc.add_predictions(db, b, [("tree", "general", 0.90)])

ca = tc.Console(s, ["--db", db])
cb = tc.Console(s, ["--db", db])
for name, con in (("A", ca), ("B", cb)):
    s.check(con.wait_for("a.png") is not None, "%s: the library" % name, con.screen())
    con.keys("Enter")
    s.check(con.wait(lambda t: " hat" in t and "sky" in t, 10) is not None,
            "%s: a.png under review" % name, con.screen())

# A: accept all (marks only).  B: the cursor starts on sky; hat is next.
ca.keys("a")
s.check(ca.wait(lambda t: "+ hat" in t and "+ sky" in t, 5) is not None, "A accepts all",
        ca.screen())
cb.keys("Down", "x")
s.check(cb.wait(lambda t: "✗ hat" in t, 5) is not None, "B rejects hat", cb.screen())
cb.keys("c")
s.check(cb.wait(lambda t: "committed 1 change" in t, 10) is not None, "B commits first",
        cb.screen())
ca.keys("c")
scr = ca.wait(lambda t: "changed since you opened it" in t, 10)
s.check(scr is not None, "A is told the image changed since it opened it", ca.screen())
s.check(tc.decisions(db, a) == {"hat": (-1, 1)},
        "A's accept-all did not undo B's rejection", tc.decisions(db, a))
s.check(ca.wait(lambda t: "+ hat" not in t and "+ sky" not in t, 5) is not None,
        "A's marks are dropped: it shows the image as it is now", ca.screen())
ca.keys("a", "c")
# B went on to b.png and holds it, so A stays on a.png ("no image waits").
s.check(ca.wait(lambda t: "✓ sky" in t, 10) is not None, "from there A commits (sky)",
        ca.screen())
s.check(tc.decisions(db, a) == {"hat": (-1, 1), "sky": (1, 0)},
        "both decisions stand", tc.decisions(db, a))
ca.keys("q")
cb.keys("q")
s.finish()
