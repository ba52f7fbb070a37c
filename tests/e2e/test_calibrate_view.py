#!/usr/bin/env python3
"""test_calibrate_view.py — the Calibration view (issue 15) in the console.

On the library of tests/tags/test_calibrate.py (reviewed images whose
per-tag answers are known by hand): Settings, C opens the view; it lists
smile's proposal 0.145 on 36 reviews (precision 35/36, recall 1), rare's
"too little evidence", and what the proposals would do before they are
written: the library's pending suggestions 6 now, 8 with them (smile 0.20
on new1, 0.30 on new2 and the 0.15 left out on smile05 come in; holding
0.40 on new1 goes).  Nothing is written until A; then `tagcon rules list`
holds the two thresholds and `show` follows them.  Esc goes back.

    python3 tests/e2e/test_calibrate_view.py build/tui/tagcon
"""
import json
import os
import sys

import tcconsole as tc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tags"))
import test_calibrate  # noqa: E402

s = tc.Suite("e2e-calibrate-view")
db = s.path("cal.db")
s.run("--db", db, "status")
test_calibrate.fill(db)


def thresholds():
    r = s.run("--db", db, "rules", "list", "--json")
    return {t["tag"]: t["value"] for t in json.loads(r.stdout).get("thresholds", [])}


con = tc.Console(s, ["--db", db], width=100, height=30)
con.wait_for("Library")
con.keys("3")
s.check(con.wait(lambda t: "general_threshold" in t, 5) is not None, "Settings", con.screen())
con.keys("C")
scr = con.wait(lambda t: "Calibration: 120 reviewed images" in t and "smile" in t, 15)
s.check(scr is not None, "C opens the Calibration view", con.screen())
scr = con.wait(lambda t: "0.145 (36; 0.972, 1.000)" in t, 10)
s.check(scr is not None, "smile: 0.145 on 36 reviews, precision 0.972, recall 1", con.screen())
s.check(scr is not None and "too little evidence" in scr and "no cut reaches" in scr,
        "rare and noise say why there is no proposal", con.screen())
scr = con.wait(lambda t: "6 now, 8 with the proposals" in t, 10)
s.check(scr is not None, "pending suggestions before and after, before anything is written",
        con.screen())
th = thresholds()
s.check(th == {}, "nothing written yet", repr(th))
con.keys("A")
scr = con.wait(lambda t: "wrote 2 threshold rules" in t, 10)
s.check(scr is not None, "A writes the two proposals", con.screen())
th = thresholds()
s.check(sorted(th) == ["holding", "smile"] and abs(th["smile"] - 0.145) < 1e-9,
        "rules list holds them", repr(th))
r = s.run("--db", db, "show", "--json", "/cal/new1.png")
sug = [t["tag"] if isinstance(t, dict) else t for t in json.loads(r.stdout).get("suggested", [])]
s.check(sug == ["smile"], "show follows them: smile in, holding out on new1", repr(sug))
con.keys("Escape")
s.check(con.wait(lambda t: "general_threshold" in t, 5) is not None, "Esc: back to Settings",
        con.screen())
con.keys("q")
s.finish()
