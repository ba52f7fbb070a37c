#!/usr/bin/env python3
"""test_model.py — a wrong model never poisons the library.

  - `batch --model SmilingWolf/wd-nonexistent` (and with --force) is refused before any
    image is touched: exit 2 with the reason and what the Space offers, the fake got no
    upload and no prediction, every image keeps its state; a normal batch then tags what
    was pending;
  - a batch with another model that fails for good (a failing Space) marks failed only the
    images with nothing stored: those tagged before stay tagged, and a normal batch after
    it tags the rest;
  - `config set model` warns when no configured Space offers the model (it is set all the
    same), says so when no Space answered, and is quiet when one offers it.

    python3 tests/batch/test_model.py build/tui/tagcon
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402

WRONG = "SmilingWolf/wd-nonexistent"
VIT3 = "SmilingWolf/wd-vit-tagger-v3"


def states(t, db, paths):
    imgs = t.images(db)
    return {p: imgs[p]["state"] for p in paths}


def refused(t):
    t.section("a model no Space offers is refused before any image is touched")
    lib = t.mkdir("lib")
    tiles = t.tiles(6, size=128, seed=61)
    first = t.tree(lib, tiles[:3], names=["a%d.jpg" % i for i in range(3)])
    db = t.path("model.db")
    t.eq(t.run("scan", "--quiet", lib, db=db).rc, 0, "scan 3 images")
    fake = t.fake("--service-ms", 20, name="model")
    t.config(db, "spaces", fake.url)
    t.eq(t.run("batch", "--quiet", db=db, timeout=60).rc, 0, "a first batch tags them")
    later = t.tree(lib, tiles[3:], names=["b%d.jpg" % i for i in range(3)])
    t.eq(t.run("scan", "--quiet", lib, db=db).rc, 0, "3 more images arrive")
    paths = first + later
    before = states(t, db, paths)
    for extra in ([], ["--force"]):
        fake.post("/__fake/reset", {})
        r = t.run("batch", "--model", WRONG, *extra, db=db, timeout=60)
        what = "batch --model %s%s" % (WRONG, " --force" if extra else "")
        t.eq(r.rc, 2, "%s: exit 2" % what)
        t.check("no configured Space offers" in r.errtext and "it offers 12" in r.errtext,
                "%s: says why, and what the Space offers" % what, r.describe())
        st = fake.stats()
        t.eq((st["upload_files"], st["predictions_requested"]), (0, 0),
             "%s: no image was sent" % what)
        t.eq(states(t, db, paths), before, "%s: every image kept its state" % what)
    r = t.run("batch", "--json", db=db, timeout=60)
    t.eq(r.rc, 0, "then a normal batch: exit 0")
    t.eq(sorted(p for p, s in states(t, db, paths).items() if s == "tagged"), sorted(paths),
         "... and every image is tagged")
    fake.stop()
    return db, paths


def failing_other_model(t, db, paths):
    t.section("another model failing for good leaves tagged images tagged")
    lib = os.path.dirname(paths[0])
    extra = t.tree(lib, t.tiles(2, size=128, seed=63), names=["c0.jpg", "c1.jpg"])
    t.eq(t.run("scan", "--quiet", lib, db=db).rc, 0, "2 more images arrive")
    # Four of them, so that their backoffs (one request per Space while it fails) run
    # side by side.
    failing = [t.fake("--service-ms", 20, "--fault", "server_error:1.0", name="failing%d" % i)
               for i in range(4)]
    t.config(db, "spaces", "\n".join(f.url for f in failing))
    t.config(db, "max_attempts", "1")
    r = t.run("batch", "--model", VIT3, db=db, timeout=90)
    t.eq(r.rc, 1, "batch --model %s on a failing Space: exit 1 (failures)" % VIT3)
    got = states(t, db, paths + extra)
    t.eq(sorted(p for p, s in got.items() if s == "tagged"), sorted(paths),
         "images with an answer stay tagged")
    t.eq(sorted(p for p, s in got.items() if s == "failed"), sorted(extra),
         "images with nothing stored are failed")
    for f in failing:
        f.stop()
    good = t.fake("--service-ms", 20, name="good")
    t.config(db, "spaces", good.url)
    t.eq(t.run("batch", "--quiet", db=db, timeout=60).rc, 0, "a normal batch after it")
    t.eq(sorted(p for p, s in states(t, db, paths + extra).items() if s == "tagged"),
         sorted(paths + extra), "... tags them all")
    good.stop()


def config_warns(t):
    t.section("config set model warns when no configured Space offers it")
    db = t.path("config.db")
    fake = t.fake("--service-ms", 20, name="config")
    t.config(db, "spaces", fake.url)
    r = t.run("config", "set", "model", WRONG, db=db)
    t.eq(r.rc, 0, "config set model %s: set all the same" % WRONG)
    t.check("warning: no configured Space offers model" in r.errtext and fake.url in r.errtext,
            "... with a warning naming the Space", r.describe())
    r = t.run("config", "get", "model", db=db)
    t.eq(r.text.strip(), WRONG, "... and stored")
    r = t.run("config", "set", "model", VIT3, db=db)
    t.check(r.rc == 0 and r.errtext == "", "an offered model: no warning", r.describe())
    fake.stop()
    t.config(db, "spaces", "http://127.0.0.1:9")
    r = t.run("config", "set", "model", VIT3, db=db, timeout=60)
    t.check(r.rc == 0 and "could not check" in r.errtext, "no Space answering: says it could "
            "not check", r.describe())


def body(t):
    db, paths = refused(t)
    failing_other_model(t, db, paths)
    config_warns(t)


if __name__ == "__main__":
    batchlib.Suite("model").main(body)
