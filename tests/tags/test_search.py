#!/usr/bin/env python3
"""test_search.py — search, random, the rating filter, rules and presets,
driven through the real binary on a small tagged library.

    python3 tests/tags/test_search.py build/tui/tagcon
"""
import collections
import os
import sqlite3

import tagslib
import tctest


def paths_of(r):
    return [l for l in r.text.split("\n") if l]


def search(s, db, *args, **kw):
    # To a pipe, plain output is each name's bytes as they are (README, "Paths in
    # scripts"): control bytes are expected there, not in --json.
    if "--json" not in args:
        kw.setdefault("check_output", False)
    return s.tagcon_run("search", *args, db=db, **kw)


def test_queries(s, db, root):
    s.section("search")
    cases = [
        ("1girl solo -monochrome rating:g orientation:portrait",
         ["bad\x1bname", "girl1", "odd name (1)"]),
        ("1girl", ["bad\x1bname", "girl1", "girl2", "odd name (1)", "pair"]),
        ("1girl | 1boy", ["bad\x1bname", "boy", "girl1", "girl2", "odd name (1)", "pair"]),
        ("~monochrome ~1boy", ["boy", "girl2", "pair"]),
        ('"long hair"', ["girl1"]),
        ("long_hair", ["girl1"]),
        ("*_hair", ["girl1"]),
        ("character:hatsune_miku", ["girl1"]),
        ("rating:e", ["boy"]),
        ("rating:unrated", ["new"]),
        ("suggested:*", ["cat", "girl1", "pair"]),
        ("suggested:smile", ["girl1"]),
        ("suggested:^_^", ["pair"]),
        ("-suggested:* folder:b", ["boy", "new"]),
        ("source:manual", ["boy", "girl1"]),
        ("width:>=80", ["cat", "girl2"]),
        ("size:>0 height:<=50", ["cat", "new"]),
        ("state:new", ["new"]),
        ("score:1girl>0.95", ["girl1", "girl2"]),
        ("model:SmilingWolf/*", ["bad\x1bname", "boy", "cat", "girl1", "girl2", "odd name (1)",
                                 "pair"]),
        ("(1girl solo) | suggested:cat", ["bad\x1bname", "cat", "girl1", "girl2",
                                          "odd name (1)"]),
    ]
    for q, want in cases:
        r = search(s, db, q, cwd=root)
        s.eq((r.rc, tagslib.names(paths_of(r))), (0, sorted(want)), "search %s" % q)
    # Words may come as separate arguments, '-tag' included.
    r = search(s, db, "1girl", "solo", "-monochrome", "rating:g", "orientation:portrait")
    s.eq(tagslib.names(paths_of(r)), ["bad\x1bname", "girl1", "odd name (1)"],
         "query words as arguments")
    r = search(s, db, "--", "-1girl", "folder:" + root + "/b")
    s.eq(tagslib.names(paths_of(r)), ["boy", "cat", "new"], "-- before a negated first word")


def test_output_forms(s, db, root):
    s.section("output forms")
    r = search(s, db, "--json", "1girl", "solo")
    doc = r.json()
    s.check(r.rc == 0 and doc is not None and doc["count"] == 4 and
            len(doc["images"]) == 4, "search --json: count and images", r.describe())
    if doc:
        keys = {"path", "hash", "size", "width", "height", "orientation", "state", "rating"}
        s.eq(set(doc["images"][0]), keys, "search --json image keys")
        bad = [i for i in doc["images"] if "name.png" in i["path"] and "bad" in i["path"]]
        s.check(bad and bad[0]["path"].endswith("bad\x1bname.png"),
                "JSON carries the file name exactly (escaped by JSON, not altered)")
    r = search(s, db, "--count", "1girl")
    s.eq((r.rc, r.text.strip()), (0, "5"), "search --count")
    r = search(s, db, "--count", "--json", "1girl")
    s.eq(r.json() and r.json()["count"], 5, "search --count --json")
    r = search(s, db, "--null", "1girl", "solo", check_output=False)
    parts = [p for p in r.out.split(b"\0") if p]
    s.check(r.rc == 0 and os.path.join(root, "c/bad\x1bname.png").encode() in parts and
            len(parts) == 4, "search --null writes raw NUL-ended paths for xargs -0")
    r = search(s, db, "--long", "rating:g,s")
    s.check(r.rc == 0 and any(l.startswith("g  60x80") for l in r.text.splitlines()),
            "search --long shows rating and size", r.describe())
    r = search(s, db, "--sort", "-width", "--limit", "2")
    s.eq(tagslib.names(paths_of(r)), ["cat", "girl2"], "--sort -width --limit 2")
    r = search(s, db, "--sort", "width", "--reverse", "--limit", "1", "--offset", "1")
    s.eq(tagslib.names(paths_of(r)), ["girl2"], "--reverse --offset")
    r = search(s, db, "--sort", "path", "folder:" + root + "/a")
    s.eq([os.path.basename(p) for p in paths_of(r)], ["girl1.png", "girl2.png", "pair.png"],
         "--sort path order")
    r = search(s, db, "--explain", "1girl")
    s.check(r.rc == 0 and "SELECT" in r.text and "plan:" in r.text, "search --explain")
    for bad in (["--sort", "colour"], ["--limit", "x"], ["--max-rating", "z"],
                ["--json", "--long"], ["--max-rating", "g", "--all-ratings"]):
        r = search(s, db, *bad)
        s.eq(r.rc, 2, "usage error: %s" % " ".join(bad))


def test_errors(s, db):
    s.section("query errors")
    for q, col, what in [
            ("1girl solo |", 13, "expected a tag or '(' after '|'"),
            ("(a b", 5, "expected ')'"),
            ("rating:x", 8, "unknown rating 'x'"),
            ("a )", 3, "unexpected ')'"),
            ("width:>x", 8, "expected a number")]:
        r = search(s, db, q)
        first = r.errtext.splitlines()[0] if r.err else ""
        s.check(r.rc == 2 and first == "tagcon: query: column %d: %s" % (col, what) or
                first.startswith("tagcon: query: column %d: %s" % (col, what)),
                "error for %r names column %d" % (q, col), r.describe())
        lines = r.errtext.splitlines()
        s.check(len(lines) == 3 and lines[2].index("^") - (lines[1].index("  " + q) + 2) == col - 1,
                "caret under column %d of %r" % (col, q), r.errtext)


def test_hostile(s, db):
    s.section("hostile text stays data")
    before = sqlite3.connect(db).execute("SELECT count(*) FROM images").fetchone()[0]
    for q in ['"\'; DROP TABLE images; --"', "folder:\"/x' OR '1'='1\"",
              "model:\"x' OR 1=1 --\"", "suggested:\"a') OR 1=1 --\"", "\"[*]\" | \"?\"",
              "\"\x1b[31mred\"", "score:\"a'--<0.5\""]:
        r = search(s, db, q)
        s.check(r.rc in (0, 2), "hostile query %r runs or is refused" % q, r.describe())
    after = sqlite3.connect(db).execute("SELECT count(*) FROM images").fetchone()[0]
    s.eq(after, before, "images table intact after hostile queries")


def test_rating_filter_and_random(s, db):
    s.section("max rating and random")
    r = s.tagcon_run("config", "set", "max_rating", "g", db=db)
    s.eq(r.rc, 0, "config set max_rating g")
    r = search(s, db, "")
    s.eq(tagslib.names(paths_of(r)), ["bad\x1bname", "girl1", "girl2", "new", "odd name (1)"],
         "max_rating g hides s, q, e (unrated stays)")
    r = search(s, db, "--all-ratings", "--count")
    s.eq(r.text.strip(), "8", "--all-ratings shows everything")
    r = search(s, db, "--max-rating", "q", "--count")
    s.eq(r.text.strip(), "7", "--max-rating q")
    seen = collections.Counter()
    for _ in range(60):
        r = s.tagcon_run("random", "1girl", db=db, check_output=False)  # raw to a pipe
        seen[tagslib.names(paths_of(r))[0] if r.rc == 0 and paths_of(r) else "?"] += 1
    s.eq(set(seen), {"bad\x1bname", "girl1", "girl2", "odd name (1)"},
         "random 1girl draws only safe matches, each of them (60 draws)")
    r = s.tagcon_run("random", "--json", "rating:e", db=db)
    s.check(r.rc == 1 and "no image matches" in r.errtext, "random honours max_rating",
            r.describe())
    r = s.tagcon_run("random", "--json", "--all-ratings", "rating:e", db=db)
    s.check(r.rc == 0 and r.json() and r.json()["path"].endswith("boy.png"),
            "random --all-ratings --json", r.describe())
    s.tagcon_run("config", "reset", "max_rating", db=db)


def test_rules(s, db, root):
    s.section("rules")
    run = lambda *a: s.tagcon_run("rules", *a, db=db, cwd=root)  # noqa: E731
    s.eq(run("exclude", "no humans").rc, 0, "rules exclude with a blank in the name")
    r = search(s, db, "suggested:no_humans")
    s.eq(paths_of(r), [], "an exclusion hides the suggestion at once")
    s.eq(run("alias", "animal focus -> animal").rc, 0, "rules alias 'a -> b'")
    r = search(s, db, "suggested:animal")
    s.eq(tagslib.names(paths_of(r)), ["cat"], "an alias renames the suggestion")
    s.eq(run("pin", "--folder", "b", "wip").rc, 0, "rules pin on a relative folder")
    r = search(s, db, "suggested:wip")
    s.eq(tagslib.names(paths_of(r)), ["boy", "cat", "new"], "a pin is suggested below its folder")
    s.eq(run("set", "a", "general_threshold", "0.96").rc, 0, "rules set DIR KEY VALUE")
    r = search(s, db, "suggested:smile")
    s.eq(paths_of(r), [], "a folder override applies to its images")
    r = run("set", "a", "model", "x")
    s.check(r.rc == 1 and "cannot be set per folder" in r.errtext, "override of an unknown key")
    r = run("alias", "animal", "beast")
    s.check(r.rc == 1 and "itself an alias" in r.errtext or "chain" in r.errtext,
            "alias chains refused", r.describe())
    r = run("list", "--json")
    doc = r.json() or {}
    s.eq([len(doc.get(k, [])) for k in ("exclusions", "aliases", "pins", "overrides")],
         [1, 1, 1, 1], "rules list --json")
    s.check(doc and doc["pins"][0]["folder"] == root + "/b", "pin folder is absolute")
    r = run()
    s.check(r.rc == 0 and "animal_focus -> animal" in r.text, "rules (list) as text", r.describe())
    for a in (["rm", "exclude", "no_humans"], ["rm", "alias", "animal_focus"],
              ["rm", "pin", "--folder", "b", "wip"], ["unset", "a", "general_threshold"]):
        s.eq(run(*a).rc, 0, "rules %s" % " ".join(a))
    r = run("rm", "pin", "--folder", "b", "wip")
    s.check(r.rc == 1 and "no pin for wip" in r.errtext, "removing a missing rule fails")
    r = search(s, db, "suggested:no_humans suggested:smile")
    s.eq(len(paths_of(r)), 0, "rules gone")
    s.eq(tagslib.names(paths_of(search(s, db, "suggested:smile"))), ["girl1"], "override gone")


def test_mcut(s, db, root):
    """MCut from the cuts stored with each answer: girl1 cuts general at 0.3
    (0.5 | 0.1), pair at 0.8 (0.9 | 0.7), cat at 0.5 (0.8 | 0.2)."""
    s.section("MCut")
    config = lambda *a: s.tagcon_run("config", *a, db=db)  # noqa: E731
    s.eq(config("set", "general_mcut", "true").rc, 0, "config set general_mcut")
    for q, want in [("suggested:*", ["cat", "girl1"]), ("suggested:smile", ["girl1"]),
                    ("suggested:^_^", []), ("suggested:animal_focus", ["cat"])]:
        r = search(s, db, q, cwd=root)
        s.eq((r.rc, tagslib.names(paths_of(r))), (0, want), "general MCut: search %s" % q)
    s.eq(s.tagcon_run("rules", "set", "a", "general_mcut", "false", db=db, cwd=root).rc, 0,
         "rules set DIR general_mcut false")
    r = search(s, db, "suggested:^_^", cwd=root)
    s.eq(tagslib.names(paths_of(r)), ["pair"], "no MCut below a folder that turns it off")
    s.tagcon_run("rules", "unset", "a", "general_mcut", db=db, cwd=root)
    config("reset", "general_mcut")


def test_presets(s, db):
    s.section("presets")
    run = lambda *a: s.tagcon_run("preset", *a, db=db)  # noqa: E731
    s.eq(run("set", "safe", "max_rating", "g").rc, 0, "preset set")
    s.eq(run("set", "safe", "general_threshold", "0.4").rc, 0, "preset set another key")
    r = run("set", "safe", "general_threshold", "7")
    s.check(r.rc == 1 and "out of range" in r.errtext, "preset values are validated")
    r = run("show", "safe", "--json")
    s.eq(r.json(), {"general_threshold": "0.4", "max_rating": "g"}, "preset show --json")
    r = search(s, db, "--preset", "safe", "--count")
    s.eq(r.text.strip(), "5", "--preset applies to one command")
    r = search(s, db, "--count")
    s.eq(r.text.strip(), "8", "... and only to it")
    r = search(s, db, "--preset", "nope")
    s.check(r.rc == 2 and "no preset named 'nope'" in r.errtext, "unknown preset")
    s.eq(run("save", "snap", "model").rc, 0, "preset save NAME KEY")
    r = run("list")
    s.check("safe: general_threshold, max_rating" in r.text and "snap: model" in r.text,
            "preset list", r.describe())
    s.eq(run("apply", "safe").rc, 0, "preset apply")
    r = s.tagcon_run("config", "get", "max_rating", db=db)
    s.eq(r.text.strip(), "g", "apply writes the settings")
    s.tagcon_run("config", "reset", "max_rating", db=db)
    s.tagcon_run("config", "reset", "general_threshold", db=db)
    s.eq(run("delete", "snap").rc, 0, "preset delete")
    s.eq(run("delete", "snap").rc, 1, "deleting again fails")


def test_surprises(s, db, root):
    """What issue 14 found surprising, checked as a new user meets it."""
    s.section("orientation words, preset save, import of an unscanned folder, --preset")
    pair = os.path.join(root, "a/pair.png")  # square, with a committed tag 'landscape'
    s.eq(s.tagcon_run("edit", pair, "+landscape", db=db).rc, 0, "edit a square +landscape")
    for q, want in (("landscape", ["cat", "girl2"]), ("rating:g,s landscape", ["girl2"]),
                    ('"landscape"', ["pair"]), ("tag:landscape", ["pair"]),
                    ("portrait -rating:e", ["bad\x1bname", "girl1", "odd name (1)"]),
                    ("square", ["new", "pair"])):
        r = search(s, db, "--all-ratings", q)
        s.eq((r.rc, tagslib.names(paths_of(r))), (0, sorted(want)),
             "search %s: the bare word is the orientation, quoted or tag: the tag" % q)
    r = s.tagcon_run("preset", "save", "told", "general_threshold", db=db)
    s.check(r.rc == 0 and b"with the current values" in r.out and
            b"general_threshold" in r.out, "preset save says it stored the current values, "
            "and which", r.describe())
    fresh = s.mkdir("never-scanned")
    with open(os.path.join(fresh, "x.txt"), "w") as f:
        f.write("1girl, solo\n")
    r = s.tagcon_run("import", "--format", "txt", fresh, db=db)
    s.check(r.rc == 1 and b"run tagcon scan" in r.err and b"no image of the library" in r.err,
            "import on a folder never scanned: says to scan first, exit 1", r.describe())
    r = s.tagcon_run("--preset", db=db)
    s.check(r.rc == 2 and b"--preset" in r.err and b"needs" in r.err and
            b"unknown option" not in r.err, "tagcon --preset without a name says it needs "
            "one", r.describe())


def main():
    s = tctest.Suite("tags-search")
    db, root = tagslib.build(s)
    test_queries(s, db, root)
    test_output_forms(s, db, root)
    test_errors(s, db)
    test_hostile(s, db)
    test_rating_filter_and_random(s, db)
    test_rules(s, db, root)
    test_mcut(s, db, root)
    test_presets(s, db)
    test_surprises(s, db, root)
    s.finish()


if __name__ == "__main__":
    main()
