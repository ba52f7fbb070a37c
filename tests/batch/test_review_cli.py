#!/usr/bin/env python3
"""test_review_cli.py — headless review (issue 6): `tagcon commit` and `tagcon edit` do what
the console's review keys do, with the same remembered rejections.

  - edit +TAG adds a manual committed tag; -TAG rejects a suggestion (it never comes back,
    whatever the threshold) or removes a committed tag; an unknown -TAG is refused;
  - edit --commit accepts the image's pending suggestions at the same time;
  - commit --min-score X accepts only suggestions scoring at least X; the rest stay pending;
  - commit QUERY limits it to matching images; --dry-run changes nothing;
  - the database holds exactly those decisions (read with python's sqlite3).

    python3 tests/batch/test_review_cli.py build/tui/tagcon
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402


def decisions(t, db, path):
    rows = t.sql(db, "SELECT g.name, d.verdict, d.source FROM decisions d"
                 " JOIN tags g ON g.id = d.tag_id JOIN images i ON i.id = d.image_id"
                 " WHERE i.path = ?", (path.encode(),))
    return {name: (verdict, source) for name, verdict, source in rows}


def show(t, db, path):
    return t.run("show", "--json", path, db=db).json()


def body(t):
    lib = t.mkdir("lib")
    paths = t.tree(lib, t.tiles(6, size=128, seed=7))
    fake = t.fake("--service-ms", "10")
    db = t.path("lib.db")
    t.eq(t.run("scan", lib, db=db).rc, 0, "scan")
    t.config(db, "spaces", fake.url)
    t.eq(t.run("batch", "--quiet", db=db).rc, 0, "batch tags every image")

    t.section("edit")
    p = paths[0]
    before = show(t, db, p)
    sug = before["suggested"]
    t.check(len(sug) >= 2, "the image has suggestions to work with", str(sug))
    rejected, kept = sug[0], sug[1]
    r = t.run("edit", p, "+hand_made", "-" + rejected, db=db)
    t.eq(r.rc, 0, "edit +hand_made -%s" % rejected)
    d = decisions(t, db, p)
    t.eq(d.get("hand_made"), (1, 1), "hand_made is accepted, source manual")
    t.eq(d.get(rejected), (-1, 1), "%s is rejected" % rejected)
    t.eq(len(d), 2, "exactly those two decisions")
    after = show(t, db, p)
    t.check(rejected not in after["suggested"], "a rejected tag is no longer suggested")
    t.check(rejected in after["rejected"], "show lists it as rejected")
    t.check(kept in after["suggested"], "the other suggestions stay pending")
    t.eq(t.run("config", "set", "general_threshold", "0.05", db=db).rc, 0, "lower threshold")
    t.eq(t.run("config", "set", "character_threshold", "0.05", db=db).rc, 0, "lower threshold")
    low = show(t, db, p)
    t.check(rejected not in low["suggested"], "the rejection holds at any threshold")
    t.run("config", "reset", "general_threshold", db=db)
    t.run("config", "reset", "character_threshold", db=db)
    r = t.run("edit", p, "-hand_made", db=db)
    t.eq(r.rc, 0, "edit -hand_made removes a committed tag")
    t.eq(decisions(t, db, p).get("hand_made"), (-1, 1), "removed means rejected for good")
    r = t.run("edit", p, "-no_such_tag_here", db=db)
    t.eq(r.rc, 1, "an unknown -TAG is refused")
    t.check("no such tag" in r.errtext, "and says so", r.errtext)
    r = t.run("edit", paths[1], "--commit", db=db)
    t.eq(r.rc, 0, "edit --commit")
    s1 = show(t, db, paths[1])
    t.eq(s1["suggested"], [], "edit --commit leaves nothing pending")
    t.eq(s1["state"], "committed", "the image is committed")

    t.section("commit")
    p2 = paths[2]
    scores = {x["tag"]: x["score"] for x in show(t, db, p2)["predictions"]}
    pending = show(t, db, p2)["suggested"]
    r = t.run("commit", "--dry-run", db=db)
    t.eq(r.rc, 0, "commit --dry-run")
    t.eq(show(t, db, p2)["suggested"], pending, "a dry run changes nothing")
    r = t.run("commit", "--min-score", "0.8", "--json", db=db)
    t.eq(r.rc, 0, "commit --min-score 0.8")
    high = [x for x in pending if scores[x] >= 0.8]
    committed = [c["tag"] for c in show(t, db, p2)["committed"]]
    t.eq(sorted(committed), sorted(high), "only suggestions scoring >= 0.8 were accepted")
    left = show(t, db, p2)["suggested"]
    t.eq(sorted(left), sorted(x for x in pending if scores[x] < 0.8), "the rest stay pending")
    r = t.run("commit", "--json", db=db)
    t.eq(r.rc, 0, "commit everything left")
    t.check(r.json()["tags"] >= len(left), "it counts what it accepted", r.text)
    for q in paths:
        t.eq(show(t, db, q)["suggested"], [], "%s: nothing pending" % os.path.basename(q))
    r = t.run("commit", "rating:(", db=db)
    t.eq(r.rc, 2, "a query syntax error is a usage error")


if __name__ == "__main__":
    batchlib.Suite("review-cli").main(body)
