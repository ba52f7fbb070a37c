#!/usr/bin/env python3
"""test_crash_postings.py — the posting lists (db/postings.h) and the score bands
(db/bands.h) survive SIGKILL at any moment: after every kill the count of each query from the
bitmaps equals plain SQL's (TAGCON_POSTINGS=off), the images a threshold step or MCut switched
changes (`tagcon config effect`) from the bands equal the engine's on every image, and then the
step after: more writes, then counts again.

Four kinds of kill, at seeded random moments:
  - build: the first count builds the bitmaps in short transactions; killed part-way K
    times, an edit after each, then the next count builds them again;
  - batch: `tagcon batch` with review_mode auto (every answer committed as it is stored,
    decisions written in the answer's transaction) against the fake Space, killed K times,
    then run to its end;
  - bulk commit: `tagcon commit` over a generated library of 10,000 images
    (tests/bench-tags/gen_tags_db.py: tens of thousands of decisions in one command),
    killed K times part-way, an edit after each;
  - fold: a script flips thousands of verdicts in SQL, then the `tagcon search --count` that
    finds more log than it applies itself folds it into the bitmaps (a write transaction of
    its own): killed K times part-way;
  - bands build: the first `config effect` builds the score bands in chunks (here of 500
    images), killed K times part-way, an edit after each; the next one builds them again;
  - score sets (db/scores.h): their build killed K times part-way, an edit after each; the
    batch above folds their log every few answers (kills land in folds); a script nudges
    thousands of scores, then the count that folds the log is killed K times part-way.
After each kill: PRAGMA integrity_check is ok; the bitmaps are built and in use (the log or the
bitmaps hold the writes: this fails on a binary without them); every query's count from the
bitmaps equals plain SQL's, suggested:, score:, rating: and the rating filter included.

    python3 tests/batch/test_crash_postings.py build/tui/tagcon [--seed S] [--kills K]
"""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "bench-tags", "gen_tags_db.py")
N = 60
SEED = 20261206
KILLS = 3
BULK = 10000
for flag in ("--seed", "--kills"):
    if flag in sys.argv:
        i = sys.argv.index(flag)
        val = int(sys.argv[i + 1])
        del sys.argv[i:i + 2]
        if flag == "--seed":
            SEED = val
        else:
            KILLS = val

OFF = {"TAGCON_POSTINGS": "off"}
# The score sets' log folded past 300 entries (a few answers) rather than 500,000.
FOLD_OFTEN = {"TAGCON_SCORES_FOLD": "300"}


def queries(t, db):
    """State terms (schema 14's state sets), a folder term, size terms (schema 17's bit
    slices, stored by the first count after the score sets); tag queries over the library's
    most committed tags: plain, AND, NOT, OR, patterns; and
    the score sets' terms (db/scores.h) over its most predicted general and character tags:
    suggested:, score: on and off the hundredths, rating:, and the rating filter."""
    rows = t.sql(db, "SELECT g.name FROM decisions d JOIN tags g ON g.id = d.tag_id"
                 " WHERE d.verdict = 1 GROUP BY g.id ORDER BY count(*) DESC, g.name LIMIT 4")
    names = [r[0] for r in rows] or ["none_yet"]
    a, b, c, d = (names * 4)[:4]
    rows = t.sql(db, "SELECT g.name FROM predictions p JOIN tags g ON g.id = p.tag_id"
                 " WHERE g.category = 0 GROUP BY g.id ORDER BY count(*) DESC, g.name LIMIT 2")
    e, f = ([r[0] for r in rows] * 2 or ["none_yet"] * 2)[:2]
    rows = t.sql(db, "SELECT g.name FROM predictions p JOIN tags g ON g.id = p.tag_id"
                 " WHERE g.category = 4 GROUP BY g.id ORDER BY count(*) DESC, g.name LIMIT 1")
    ch = rows[0][0] if rows else "none_yet"
    rows = t.sql(db, "SELECT CAST(path AS TEXT) FROM folders ORDER BY path LIMIT 1")
    folder = rows[0][0] if rows else "/none_yet"
    return ["state:tagged", "state:committed %s -%s" % (a, b), "state:missing | %s" % a,
            "folder:%s -%s" % (folder, a), "orientation:portrait | %s" % a,
            "landscape size:>2mb -%s" % b,
            a, "-" + a, "%s %s" % (a, b), "%s -%s" % (a, b), "%s | %s -%s" % (b, c, a),
            "-%s -%s height:<=1024 | width:40..100" % (c, d), "%s*" % a[:2], "tag:%s" % d,
            "suggested:%s" % e, "suggested:%s -%s" % (e, f), "suggested:%s" % ch,
            "score:%s>0.5" % e, "score:%s<0.355" % f, "score:%s>=0.2 rating:g" % e,
            "rating:s | rating:q", "%s -rating:e" % a,
            ("--max-rating", "q", "suggested:%s | %s" % (f, a))]


def count(t, db, q, env=None):
    """q: a query, or a tuple of options and a query."""
    args = list(q) if isinstance(q, tuple) else [q]
    r = t.run("search", "--count", *args, db=db, env=env)
    if r.rc != 0:
        return "exit %s: %s" % (r.rc, r.errtext[:200])
    return r.text.strip()


def in_use(t, db):
    """built, and the bitmaps plus the log hold something (they were kept); the same of the
    score sets."""
    rows = t.sql(db, "SELECT (SELECT built FROM postings_state),"
                 " (SELECT count(*) FROM postings) + (SELECT count(*) FROM postings_log),"
                 " (SELECT scores FROM postings_state),"
                 " (SELECT count(*) FROM scores) + (SELECT count(*) FROM scores_log)")
    return rows[0] if rows else None


def agree(t, db, what):
    t.eq(t.integrity(db), [("ok",)], "%s: PRAGMA integrity_check ok" % what)
    wrong = []
    qs = queries(t, db)
    for q in qs:
        plain = count(t, db, q, env=OFF)
        fast = count(t, db, q)
        if plain != fast:
            wrong.append("%r: SQL %s, bitmaps %s" % (q, plain, fast))
    t.eq(wrong, [], "%s: %d queries counted from the bitmaps equal plain SQL" % (what, len(qs)))
    try:
        use = in_use(t, db)
    except Exception as e:  # an old binary has no such tables
        use = str(e)
    t.check(isinstance(use, tuple) and use[0] == 1 and use[1] > 0,
            "%s: the posting lists are built and hold the writes" % what, str(use))
    t.check(isinstance(use, tuple) and use[2] == 1 and use[3] > 0,
            "%s: the score sets are built and hold the writes" % what, str(use))


# Cuts whose effect is compared: a step on a hundredth, one off them, MCut switched on.
EFFECTS = [("general_threshold", "0.36"), ("general_threshold", "0.345"),
           ("character_mcut", "on"), ("general_mcut", "on")]


def effect(t, db, name, value, env=None):
    r = t.run("config", "effect", name, value, "--json", db=db, env=env)
    if r.rc != 0:
        return "exit %s: %s" % (r.rc, r.errtext[:200])
    return r.text.strip()


def bands_in_use(t, db):
    try:
        return t.sql(db, "SELECT (SELECT bands FROM postings_state),"
                     " (SELECT count(*) FROM postings WHERE set_id >= 1099511627776)"
                     " + (SELECT count(*) FROM bands_dirty)")[0]
    except sqlite3.Error as e:  # an old binary has no bands
        return str(e)


def agree_bands(t, db, what):
    wrong = []
    for name, value in EFFECTS:
        engine = effect(t, db, name, value, env=OFF)
        bands = effect(t, db, name, value)
        if engine != bands:
            wrong.append("%s %s: engine %s, bands %s" % (name, value, engine, bands))
    t.eq(wrong, [], "%s: the images %d cut changes change, from the bands, equal the engine's"
         % (what, len(EFFECTS)))
    use = bands_in_use(t, db)
    t.check(isinstance(use, tuple) and use[0] == 1 and use[1] > 0,
            "%s: the score bands are built and hold the writes" % what, str(use))


def kill_batch(t, rng):
    t.section("SIGKILL during a batch that commits as it goes")
    lib = t.mkdir("lib")
    t.tree(lib, t.tiles(N, size=96, seed=41))
    db = t.path("batch.db")
    t.eq(t.run("scan", lib, db=db).rc, 0, "scan")
    fake = t.fake("--service-ms", 60, "--concurrency", 2)
    t.config(db, "spaces", fake.url)
    t.config(db, "review_mode", "auto")
    # The first count builds the (empty) bitmaps, the first suggested: count the (empty)
    # score sets, the first effect the (empty) bands; from then on every write is logged.
    # The batch folds the score sets' log every few answers, so kills land in folds too.
    count(t, db, "x")
    count(t, db, "suggested:x")
    effect(t, db, "general_threshold", "0.5")
    for k in range(KILLS):
        delay = rng.uniform(0.2, 2.0)
        proc = t.spawn("batch", "--quiet", db=db, name="batch-killed", env=FOLD_OFTEN)
        time.sleep(delay)
        if proc.alive():
            proc.signal(signal.SIGKILL)
        proc.wait(30)
        fake.idle(10)
        n = t.sql(db, "SELECT count(*) FROM decisions WHERE verdict = 1")[0][0]
        t.note("kill %d at %.2f s: %d accepted decisions" % (k + 1, delay, n))
        agree(t, db, "batch kill %d" % (k + 1))
        agree_bands(t, db, "batch kill %d" % (k + 1))
    r = t.run("batch", "--quiet", db=db, timeout=180)
    t.eq(r.rc, 0, "the batch after the kills finishes")
    agree(t, db, "after the batch finished")
    agree_bands(t, db, "after the batch finished")


def kill_during(t, rng, db, args, what, lo, hi, env=None):
    """Start tagcon ARGS, SIGKILL it after a random delay in [lo, hi) s; whether it was still
    running."""
    delay = rng.uniform(lo, hi)
    proc = t.spawn(*args, db=db, env=env, name=what)
    time.sleep(delay)
    alive = proc.alive()
    if alive:
        proc.signal(signal.SIGKILL)
    proc.wait(60)
    return delay, alive


def flip(db, k):
    """A script's write: the verdicts of one image in three flipped, by hand in SQL (tens of
    thousands of log entries: more than a count applies itself, so the next one folds)."""
    con = sqlite3.connect(db, timeout=30)
    with con:
        con.execute("UPDATE decisions SET verdict = -verdict WHERE image_id % 3 = ?", (k % 3,))
    con.close()


def log_size(t, db):
    try:
        return t.sql(db, "SELECT count(*) FROM postings_log")[0][0]
    except sqlite3.Error:  # a binary without posting lists
        return -1


def scores_log_size(t, db):
    try:
        return t.sql(db, "SELECT count(*) FROM scores_log")[0][0]
    except sqlite3.Error:  # a binary without score sets
        return -1


def kill_commit(t, rng):
    t.section("SIGKILL during a bulk commit")
    db = t.path("bulk.db")
    p = subprocess.run([sys.executable, GEN, t.tagcon, db, "--images", str(BULK)],
                       capture_output=True, text=True, timeout=600)
    t.eq(p.returncode, 0, "gen_tags_db.py: %d images %s" % (BULK, p.stderr[-200:]))
    # The first count builds the bitmaps, in short transactions (here of 500 rows, so that
    # there are many): killed part-way, the next count builds again.
    small = {"TAGCON_POSTINGS_CHUNK": "500"}
    for k in range(KILLS):
        delay, alive = kill_during(t, rng, db, ["search", "--count", "1girl"], "build-killed",
                                   0.05, 0.8, env=small)
        try:
            stored, ready = t.sql(db, "SELECT count(*), count(*) FILTER (WHERE set_id = -1)"
                                  " FROM postings")[0]
        except sqlite3.Error:  # a binary without posting lists
            stored, ready = -1, 0
        t.note("build kill %d at %.2f s (%s): %d bitmaps stored, %s" % (
            k + 1, delay, "killed" if alive else "had ended", stored,
            "complete" if ready else "not complete"))
        r = t.run("edit", "/bench/tags/f0009/0008%03d.jpg" % (k + 1), "+during_build", db=db)
        t.eq(r.rc, 0, "an edit after build kill %d" % (k + 1))
    agree(t, db, "generated, after the killed builds")

    t.section("SIGKILL while the score bands are built")
    # Their own draws, so that the other kills keep theirs.
    brng = random.Random(SEED + 1)
    tiny = {"TAGCON_POSTINGS_CHUNK": "50"}
    for k in range(KILLS):
        if k > 0:
            # As a script might: logging off, so the next question builds them again.
            con = sqlite3.connect(db, timeout=30)
            with con:
                con.execute("UPDATE postings_state SET bands = 0")
            con.close()
        delay, alive = kill_during(t, brng, db, ["config", "effect", "general_threshold",
                                                 "0.36"], "bands-killed", 0.03, 0.4, env=tiny)
        try:
            stored, ready = t.sql(db, "SELECT count(*), count(*) FILTER (WHERE set_id = -3)"
                                  " FROM postings WHERE set_id >= 1099511627776"
                                  " OR set_id = -3")[0]
        except sqlite3.Error:  # a binary without bands
            stored, ready = -1, 0
        t.note("bands build kill %d at %.2f s (%s): %d band sets stored, %s" % (
            k + 1, delay, "killed" if alive else "had ended", stored,
            "complete" if ready else "not complete"))
        r = t.run("edit", "/bench/tags/f0008/0007%03d.jpg" % (k + 1), "+during_bands", db=db)
        t.eq(r.rc, 0, "an edit after bands build kill %d" % (k + 1))
    agree_bands(t, db, "after the killed bands builds")

    t.section("SIGKILL while the score sets are built")
    srng = random.Random(SEED + 2)
    # Copies of 2,000 images with ids in four more blocks of 65,536 (a script's write): the
    # build stores a block per transaction, so a kill can land between two.
    con = sqlite3.connect(db, timeout=30)
    with con:
        for k in range(1, 5):
            con.execute("INSERT INTO images(id, folder_id, path, content_id, state, added_at,"
                        " updated_at) SELECT 65536 * ? + id, folder_id,"
                        " CAST(printf('/bench/tags/far%d/%07d.jpg', ?, id) AS BLOB), content_id,"
                        " state, 0, 0 FROM images WHERE id <= 2000", (k, k))
    con.close()
    for k in range(KILLS):
        # As a script might: logging off, so the next count builds them again.
        con = sqlite3.connect(db, timeout=30)
        with con:
            con.execute("UPDATE postings_state SET scores = 0")
        con.close()
        delay, alive = kill_during(t, srng, db, ["search", "--count", "suggested:1girl"],
                                   "scores-killed", 0.1, 2.0)
        try:
            stored, ready = t.sql(db, "SELECT count(*), count(*) FILTER (WHERE id = -1)"
                                  " FROM scores")[0]
        except sqlite3.Error:  # a binary without score sets
            stored, ready = -1, 0
        t.note("score sets build kill %d at %.2f s (%s): %d rows stored, %s" % (
            k + 1, delay, "killed" if alive else "had ended", stored,
            "complete" if ready else "not complete"))
        r = t.run("edit", "/bench/tags/f0007/0006%03d.jpg" % (k + 1), "+during_scores", db=db)
        t.eq(r.rc, 0, "an edit after score sets build kill %d" % (k + 1))
    agree(t, db, "after the killed score sets builds")
    killed = 0
    for k in range(KILLS):
        before = t.sql(db, "SELECT count(*) FROM decisions")[0][0]
        delay, alive = kill_during(t, rng, db, ["commit"], "commit-killed", 0.2, 2.0)
        after = t.sql(db, "SELECT count(*) FROM decisions")[0][0]
        killed += alive and after > before
        t.note("commit kill %d at %.2f s (%s): decisions %d -> %d, log %d" % (
            k + 1, delay, "killed" if alive else "had ended", before, after, log_size(t, db)))
        agree(t, db, "commit kill %d" % (k + 1))
        agree_bands(t, db, "commit kill %d" % (k + 1))
        # The step after: more writes on top of what the kill left, then counts again.
        r = t.run("edit", "/bench/tags/f%04d/%07d.jpg" % (k + 1, 1000 * k + 7), "+after_kill",
                  db=db)
        t.eq(r.rc, 0, "an edit after commit kill %d" % (k + 1))
        agree(t, db, "an edit after commit kill %d" % (k + 1))
        agree_bands(t, db, "an edit after commit kill %d" % (k + 1))
    t.check(killed > 0, "at least one commit was killed part-way (decisions stored, not all)",
            str(killed))
    r = t.run("commit", db=db, timeout=600)
    t.eq(r.rc, 0, "a full commit after the kills")
    agree(t, db, "after the full commit")
    agree_bands(t, db, "after the full commit")

    t.section("SIGKILL during the fold of a long log into the bitmaps")
    interrupted = 0
    for k in range(KILLS):
        flip(db, k)
        log = log_size(t, db)
        delay, alive = kill_during(t, rng, db, ["search", "--count", "1girl"], "fold-killed",
                                   0.02, 0.6)
        left = log_size(t, db)
        interrupted += alive and left == log
        t.note("fold kill %d at %.2f s (%s): log %d -> %d entries" % (
            k + 1, delay, "killed" if alive else "had ended", log, left))
        t.check(left in (0, log), "fold kill %d: the fold happened whole or not at all" % (k + 1),
                "%d -> %d" % (log, left))
        agree(t, db, "fold kill %d" % (k + 1))
        agree_bands(t, db, "fold kill %d" % (k + 1))
    t.check(interrupted > 0, "at least one fold was killed part-way", str(interrupted))

    t.section("SIGKILL during the fold of the score sets' log")
    interrupted = 0
    for k in range(KILLS):
        # A script's write: the scores of one content in three nudged (a log entry for each
        # image and set a prediction leaves and joins).
        con = sqlite3.connect(db, timeout=30)
        with con:
            con.execute("UPDATE predictions SET score = min(1.0, score * 1.07)"
                        " WHERE content_id % 3 = ?", (k % 3,))
        con.close()
        log = scores_log_size(t, db)
        delay, alive = kill_during(t, rng, db, ["search", "--count", "suggested:1girl"],
                                   "scores-fold-killed", 0.02, 0.6, env=FOLD_OFTEN)
        left = scores_log_size(t, db)
        interrupted += alive and left == log
        t.note("score sets fold kill %d at %.2f s (%s): log %d -> %d entries" % (
            k + 1, delay, "killed" if alive else "had ended", log, left))
        t.check(left in (0, log), "score sets fold kill %d: whole or not at all" % (k + 1),
                "%d -> %d" % (log, left))
        agree(t, db, "score sets fold kill %d" % (k + 1))
    t.check(interrupted > 0, "at least one fold of the score sets was killed part-way",
            str(interrupted))


def body(t):
    rng = random.Random(SEED)
    t.note("seed %d, %d kills of each kind" % (SEED, KILLS))
    kill_batch(t, rng)
    kill_commit(t, rng)


if __name__ == "__main__":
    batchlib.Suite("crash-postings").main(body)
