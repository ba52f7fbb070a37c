"""tagslib.py — a small tagged library for the 'tags' suite.

The images are real files (written by vips through tctest), indexed by the
real `tagcon scan`; the answers a Space would give and the decisions a
person would make are then written into the database with sqlite3, the way
a batch and a review leave them, so no Space is needed.
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tctest  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from answers import CUTS  # noqa: E402

MODEL = "SmilingWolf/wd-swinv2-tagger-v3"
CHAR = 4

# name: (w, h, rating scores g s q e or None, predictions, decisions)
# predictions: tag -> score (a trailing ":c" in the name makes it a character);
# decisions: "+tag" accepted (auto), "*tag" accepted (manual), "!tag" rejected.
IMAGES = {
    "a/girl1.png": (60, 80, (0.9, 0.1, 0.0, 0.0),
                    {"1girl": 0.99, "solo": 0.95, "long_hair": 0.8, "hatsune_miku:c": 0.97,
                     "smile": 0.5, "monochrome": 0.1, "saber_(fate):c": 0.3},
                    "+1girl +solo +hatsune_miku *long_hair *saber_(fate)"),
    "a/girl2.png": (80, 60, (0.8, 0.1, 0.0, 0.0),
                    {"1girl": 0.98, "solo": 0.9, "monochrome": 0.9},
                    "+1girl +solo +monochrome"),
    "a/pair.png": (70, 70, (0.1, 0.8, 0.0, 0.0),
                   {"1girl": 0.9, "1boy": 0.9, "^_^": 0.7},
                   "+1girl +1boy"),
    "b/boy.png": (50, 90, (0.0, 0.1, 0.1, 0.8),
                  {"1boy": 0.97, "solo": 0.9},
                  "+1boy +solo *r&b<x>"),
    "b/cat.png": (90, 50, (0.1, 0.1, 0.7, 0.1),
                  {"cat": 0.95, "animal_focus": 0.8, "no_humans": 0.9, "dog": 0.2},
                  "!dog"),
    "b/new.png": (40, 40, None, {}, ""),
    "c/odd name (1).png": (30, 60, (0.7, 0.2, 0.0, 0.0),
                           {"1girl": 0.9, "solo": 0.8},
                           "+1girl +solo"),
    "c/bad\x1bname.png": (30, 61, (0.7, 0.2, 0.0, 0.0),
                          {"1girl": 0.9, "solo": 0.8},
                          "+1girl +solo"),
}


def build(s, name="lib"):
    """Write the images, scan them, store answers and decisions; returns
    (db path, library root)."""
    root = s.mkdir(name)
    for seed, (rel, (w, h, _, _, _)) in enumerate(sorted(IMAGES.items()), start=1):
        s.write(os.path.join(root, rel), s.image_bytes("png", w, h, seed=seed))
    db = os.path.join(s.root, name + ".db")
    r = s.scan(db, root)
    s.check(r.rc == 0, "scan the test library", r.describe())
    store(db, root)
    return db, root


def store(db, root):
    con = sqlite3.connect(db)
    c = con.cursor()
    c.execute("INSERT OR IGNORE INTO models(name) VALUES (?)", (MODEL,))
    mid = c.execute("SELECT id FROM models WHERE name = ?", (MODEL,)).fetchone()[0]
    for rel, (_, _, rating, preds, decisions) in IMAGES.items():
        path = os.path.join(root, rel).encode()
        iid, cid = c.execute("SELECT id, content_id FROM images WHERE path = ?",
                             (path,)).fetchone()
        if rating is not None:
            c.execute("INSERT INTO tagged(content_id, model_id, rating_general,"
                      " rating_sensitive, rating_questionable, rating_explicit, score_floor,"
                      " space, tagged_at) VALUES (?, ?, ?, ?, ?, ?, 0.05, 'test', 0)",
                      (cid, mid) + rating)
            c.execute("UPDATE images SET state = 1 WHERE id = ?", (iid,))
        for tag, score in preds.items():
            name, cat = (tag[:-2], CHAR) if tag.endswith(":c") else (tag, 0)
            c.execute("INSERT OR IGNORE INTO tags(name, category) VALUES (?, ?)", (name, cat))
            c.execute("INSERT INTO predictions SELECT ?, ?, id, ? FROM tags WHERE name = ?",
                      (cid, mid, score, name))
        for d in decisions.split():
            c.execute("INSERT OR IGNORE INTO tags(name, category) VALUES (?, 101)", (d[1:],))
            c.execute("INSERT INTO decisions SELECT ?, id, ?, ?, 0 FROM tags WHERE name = ?",
                      (iid, -1 if d[0] == "!" else 1, 1 if d[0] == "*" else 0, d[1:]))
            c.execute("UPDATE images SET state = 2 WHERE id = ?", (iid,))
    c.execute(CUTS)
    con.commit()
    con.close()


def names(paths):
    """Base names without extension of a list of paths, sorted."""
    return sorted(os.path.splitext(os.path.basename(p))[0] for p in paths)
