#!/usr/bin/env python3
"""test_rules_review.py — what you review is what you commit, under tag rules.

The bug this guards against: with `rules exclude small_breasts` and
`rules alias medium_hair short_hair`, `show` suggested short_hair (and no
small_breasts), yet `commit` wrote medium_hair and small_breasts.  Every
path must commit exactly the suggestion engine's set (core/tag/suggest.h).

A library of real images (the vips CLI) is tagged by `tagcon batch` over a
fake Space on 127.0.0.1 that answers chosen scores per image: this script
starts tests/fake_space/fake_space.py in-process (`--serve-fake`) with its
answer replaced by a table keyed by the uploaded image's width×height (the
images are small, so tagcon uploads them at their own size), so the Space
answers medium_hair and small_breasts above the threshold, a tag it does not
know in its own vocabulary.  Then:

 1. shell: show --json, `commit 'path:IMG'`, show --json and sqlite3 agree:
    committed == suggested before (short_hair in, medium_hair and
    small_breasts out); also `edit IMG --commit`, and
    `commit --min-score 0.7` (the alias's merged score counts);
 2. console (tmux): Review lists short_hair as suggested and no small_breasts
    or medium_hair; `a` then `c` commits exactly show's set (sqlite3), the
    console moves to the next pending image and still answers keys;
 3. per folder: an exclusion on one folder only; an image inside and one
    outside each commit their own show --json set;
 4. review_mode auto and auto-above: the batch commits what the engine
    suggests, checked against the scores table + thresholds + rules worked
    out here, and against `show --json` on a copy of the database taken
    before the batch and tagged with review_mode required; and
    `batch --force` re-tags and commits the new answer's set.

    python3 tests/e2e/test_rules_review.py build/tui/tagcon
"""
import hashlib
import json
import os
import re
import sqlite3
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_DIR = os.path.normpath(os.path.join(HERE, "..", "fake_space"))


# ---------------------------------------------------------------------------
# The fake Space with a table of scores (run as: THIS --serve-fake TABLE ARGS)
# ---------------------------------------------------------------------------

def image_dims(data):
    """(width, height) of a PNG or JPEG in bytes, or None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:          # fill byte
            i += 1
            continue
        if marker in (0x01,) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return (w, h)
        i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    return None


def serve_fake(table_path, argv):
    """fake_space.py, answering from the table at table_path (read at every
    prediction, so a test can change it between batches):
    {"WxH": {"rating": {...}, "general": {tag: score}, "character": {...}}}."""
    sys.path.insert(0, FAKE_DIR)
    import fake_space as fs
    dims_of = {}
    lock = threading.Lock()
    resolve = fs.State.resolve_image

    def resolve_image(self, value):
        data = resolve(self, value)
        with lock:
            dims_of[hashlib.sha256(data).hexdigest()] = image_dims(data)
        return data

    def outputs(sha, model, gthr, gmcut, cthr, cmcut):
        with lock:
            dims = dims_of.get(sha)
        with open(table_path) as f:
            table = json.load(f)
        entry = table.get("%dx%d" % dims) if dims else None
        if entry is None:
            raise fs.SpaceError("the test's table has no scores for an image of %r" % (dims,))
        rating = {fs.space_name(k): v for k, v in entry["rating"].items()}
        general = {fs.space_name(k): v for k, v in entry["general"].items() if v > gthr}
        character = {fs.space_name(k): v for k, v in entry["character"].items() if v > cthr}
        names = sorted(general, key=lambda k: general[k], reverse=True)
        text = ", ".join(names).replace("(", "\\(").replace(")", "\\)")
        return [text, fs.label_value(rating), fs.label_value(character),
                fs.label_value(general)]

    fs.State.resolve_image = resolve_image
    fs.expected_outputs = outputs
    sys.exit(fs.main(argv))


class TableFake:
    """The fake above on 127.0.0.1, stopped by the Suite's cleanup."""

    def __init__(self, suite, table):
        self.table_path = suite.path("fake-table.json")
        self.set(table)
        port_file = suite.path("fake-table.port")
        self.err = open(suite.path("fake-table.stderr"), "wb")
        self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-fake",
                                   self.table_path, "--port", "0", "--port-file", port_file,
                                   "--service-ms", "10"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=self.err)
        suite.fakes.append(self)
        self.port = None
        end = time.monotonic() + 30
        while time.monotonic() < end and self.p.poll() is None:
            try:
                with open(port_file) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    break
            except OSError:
                pass
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("the fake Space did not start (see %s)" % self.err.name)

    def set(self, table):
        tmp = self.table_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(table, f)
        os.replace(tmp, self.table_path)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.err.close()


# ---------------------------------------------------------------------------
# The scores each image gets, and what the engine must make of them
# ---------------------------------------------------------------------------

GENERAL_CUT, CHARACTER_CUT = 0.35, 0.85   # the defaults (strict '>')
RATING = {"general": 0.80, "sensitive": 0.15, "questionable": 0.03, "explicit": 0.02}
BASE_GENERAL = {"1girl": 0.97, "solo": 0.93, "smile": 0.74, "looking_at_viewer": 0.62,
                "blush": 0.48, "outdoors": 0.21, "open_mouth": 0.12}
BASE_CHARACTER = {"hatsune_miku": 0.95, "kagamine_rin": 0.55}
ALIASES = {"medium_hair": "short_hair"}
EXCLUDED = {"small_breasts"}          # everywhere
PIN = "outdoors"                      # pinned on the auto/ and above/ folders (scored 0.21)
FOLDER_EXCLUDED = "smile"             # excluded on per/excl only


def entry(**general):
    """A table entry: the base scores with these general tags set (None drops one)."""
    g = dict(BASE_GENERAL)
    for k, v in general.items():
        if v is None:
            g.pop(k, None)
        else:
            g[k] = v
    return {"rating": dict(RATING), "general": g, "character": dict(BASE_CHARACTER)}


# name: (folder below lib, width, height, scores)
IMAGES = {
    "a": ("shell", 64, 48, entry(medium_hair=0.88, small_breasts=0.81)),
    "b": ("shell", 66, 48, entry(medium_hair=0.66, small_breasts=0.57, short_hair=0.30)),
    # short_hair 0.55 itself, 0.78 through its alias: --min-score 0.7 takes it
    "c": ("shell", 68, 48, entry(medium_hair=0.78, small_breasts=0.90, short_hair=0.55)),
    "d1": ("console", 70, 48, entry(medium_hair=0.86, small_breasts=0.79)),
    "d2": ("console", 72, 48, entry(medium_hair=0.45, small_breasts=0.83, short_hair=0.20)),
    "e": ("per/excl", 74, 48, entry(medium_hair=0.71, small_breasts=0.76)),
    "f": ("per/other", 76, 48, entry(medium_hair=0.71, small_breasts=0.76)),
    # tagged under review_mode required first, then re-tagged with K2 by --force
    "k": ("force", 86, 48, entry(medium_hair=0.30, small_breasts=0.20, smile=0.25,
                                 blush=0.60)),
}
K2 = entry(medium_hair=0.91, small_breasts=0.92, smile=0.81, blush=0.20)
# Made after the first batch: tagged under review_mode auto / auto-above.
LATER = {
    "g1": ("auto", 78, 48, entry(medium_hair=0.84, small_breasts=0.92)),
    # short_hair above its alias source: one entry, the higher score
    "g2": ("auto", 80, 48, entry(medium_hair=0.40, small_breasts=0.50, short_hair=0.90)),
    "h1": ("above", 82, 48, entry(medium_hair=0.77, small_breasts=0.95)),
    # short_hair 0.52 < 0.7: suggested, not auto-committed
    "h2": ("above", 84, 48, entry(medium_hair=0.52, small_breasts=0.80)),
}
MIN_SCORE = 0.7


def expected(scores, folder):
    """{tag: score} the engine must suggest for an undecided image in folder
    (below lib) with these scores (-1 for a pin the model scored at or below
    the floor), worked out from the thresholds and the rules."""
    out = {}
    for cat, cut in (("general", GENERAL_CUT), ("character", CHARACTER_CUT)):
        for tag, score in scores[cat].items():
            if score <= cut:
                continue
            name = ALIASES.get(tag, tag)
            excl = set(EXCLUDED)
            if folder == "per/excl":
                excl.add(FOLDER_EXCLUDED)
            if tag in excl or name in excl:
                continue
            out[name] = max(out.get(name, -1.0), score)
    if folder in ("auto", "above"):
        out.setdefault(PIN, scores["general"].get(PIN, -1.0))
    return out


def table(images):
    return {"%dx%d" % (w, h): sc for _, w, h, sc in images.values()}


# ---------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------

def body(s, tc):
    lib = s.path("lib")
    db = s.path("lib.db")
    path = {}
    for name, (folder, w, h, _) in IMAGES.items():
        path[name] = tc.make_image("%s/%s/%s.png" % (lib, folder, name), w, h)

    def tagcon(*args, db_path=db, timeout=60):
        r = s.run("--db", db_path, *args, check=False, timeout=timeout)
        return r

    def ok_run(what, *args, db_path=db, timeout=60):
        r = tagcon(*args, db_path=db_path, timeout=timeout)
        s.check(r.returncode == 0, what, "exit %d\nstdout %s\nstderr %s" % (
            r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")))
        return r

    def show(p, db_path=db):
        r = tagcon("show", "--json", p, db_path=db_path)
        if r.returncode != 0:
            s.check(False, "show --json %s" % os.path.basename(p), r.stderr.decode())
            return {"suggested": [], "committed": [], "rejected": [], "predictions": [],
                    "state": None}
        return json.loads(r.stdout)

    def committed_of(sh):
        return sorted(c["tag"] for c in sh["committed"])

    def accepted(p, db_path=db):
        """Tags with verdict 1, read with sqlite3 from the database file."""
        return sorted(t for t, (v, _) in tc.decisions(db_path, p).items() if v == 1)

    def all_decisions(db_path=db):
        con = tc.db_connect(db_path)
        rows = con.execute("SELECT i.path, g.name, d.verdict, d.source FROM decisions d"
                           " JOIN tags g ON g.id = d.tag_id JOIN images i"
                           " ON i.id = d.image_id").fetchall()
        con.close()
        return sorted((p.decode(), n, v, src) for p, n, v, src in rows)

    def merged_score(sh, tag):
        """A suggestion's score as the engine sees it: the highest of the
        predictions that are tag or whose alias is tag."""
        return max([p["score"] for p in sh["predictions"]
                    if ALIASES.get(p["tag"], p["tag"]) == tag] or [-1.0])

    def rule_checks(name, sug):
        s.check("short_hair" in sug and "medium_hair" not in sug and
                "small_breasts" not in sug,
                "%s: show suggests short_hair, not medium_hair nor small_breasts" % name, sug)

    ok_run("scan the library", "scan", lib)
    fake = TableFake(s, table(IMAGES))
    ok_run("config set spaces (the fake Space)", "config", "set", "spaces", fake.url)
    ok_run("batch tags every image over the fake Space", "batch", "--quiet", timeout=120)
    for name, p in path.items():
        sh = show(p)
        got = {x["tag"] for x in sh["predictions"]}
        want = set(IMAGES[name][3]["general"]) | set(IMAGES[name][3]["character"])
        s.check(sh["state"] == "tagged" and got == want,
                "%s: tagged with the fake's answer for its size" % name, (sh["state"], got, want))

    # -- 1. the shell ------------------------------------------------------
    print("# 1. shell: show, commit, edit --commit, commit --min-score")
    ok_run("rules exclude small_breasts", "rules", "exclude", "small_breasts")
    ok_run("rules alias medium_hair short_hair", "rules", "alias", "medium_hair", "short_hair")

    a = path["a"]
    before = show(a)
    sug = before["suggested"]
    rule_checks("a", sug)
    s.check(sorted(sug) == sorted(expected(IMAGES["a"][3], "shell")),
            "a: show suggests the scores above the cuts after the rules",
            (sug, expected(IMAGES["a"][3], "shell")))
    r = ok_run("commit 'path:a.png'", "commit", "--json", "path:" + a)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = {}
    s.check(out.get("tags") == len(sug) and out.get("images") == 1,
            "commit counts the %d suggested tags on 1 image" % len(sug), r.stdout)
    after = show(a)
    com = committed_of(after)
    s.check("short_hair" in com and "medium_hair" not in com and "small_breasts" not in com,
            "a: committed holds short_hair, neither medium_hair nor small_breasts", com)
    s.check(com == sorted(sug), "a: committed == suggested before the commit", (com, sug))
    s.check(after["suggested"] == [] and after["state"] == "committed",
            "a: nothing left pending, state committed", after)
    s.check(tc.decisions(db, a) == {t: (1, 0) for t in sug},
            "a: sqlite3: exactly the suggested tags, accepted, source auto",
            tc.decisions(db, a))
    for other in ("b", "c", "d1", "d2"):
        s.check(tc.decisions(db, path[other]) == {},
                "commit 'path:a.png' left %s alone" % other, tc.decisions(db, path[other]))

    b = path["b"]
    before = show(b)
    sug = before["suggested"]
    rule_checks("b", sug)
    ok_run("edit b.png --commit", "edit", b, "--commit")
    after = show(b)
    s.check(committed_of(after) == sorted(sug) and accepted(b) == sorted(sug),
            "b: edit --commit commits exactly show's suggestions (show and sqlite3)",
            (committed_of(after), accepted(b), sug))
    s.check(after["suggested"] == [] and len(tc.decisions(db, b)) == len(sug),
            "b: nothing pending and no other decision", tc.decisions(db, b))

    c = path["c"]
    before = show(c)
    sug = before["suggested"]
    rule_checks("c", sug)
    high = sorted(t for t in sug if merged_score(before, t) >= MIN_SCORE)
    low = sorted(t for t in sug if merged_score(before, t) < MIN_SCORE)
    s.check("short_hair" in high and low,
            "c: short_hair scores 0.78 through its alias; some suggestions score below 0.7",
            (high, low))
    ok_run("commit --min-score 0.7 'path:c.png'", "commit", "--min-score", str(MIN_SCORE),
           "path:" + c)
    after = show(c)
    s.check(committed_of(after) == high and accepted(c) == high,
            "c: commit --min-score 0.7 commits show's suggestions scoring >= 0.7 "
            "(show and sqlite3)", (committed_of(after), accepted(c), high))
    s.check(sorted(after["suggested"]) == low,
            "c: the suggestions below 0.7 stay suggested", (after["suggested"], low))

    # -- 2. the console ----------------------------------------------------
    print("# 2. console: Review, a, c")
    d1, d2 = path["d1"], path["d2"]
    sug1 = show(d1)["suggested"]
    sug2 = show(d2)["suggested"]
    rule_checks("d1", sug1)
    rule_checks("d2", sug2)
    con = tc.Console(s, ["--db", db], width=120, height=40)
    s.check(con.wait_for("a.png") is not None, "the console lists the library", con.screen())
    con.keys("/")
    con.type("path:/console/")
    con.keys("Enter")
    scr = con.wait(lambda t: "d1.png" in t and "d2.png" in t and "a.png" not in t)
    s.check(scr is not None, "the filter bar narrows the list to console/", con.screen())
    con.keys("Enter")

    def review_of(name, t):
        head = "\n".join(t.splitlines()[:3])
        return "/console/%s.png" % name in head and "short_hair" in t

    scr = con.wait(lambda t: review_of("d1", t))
    s.check(scr is not None, "Enter opens the Review of d1.png", con.screen())
    scr = scr or ""
    s.check("small_breasts" not in scr and "medium_hair" not in scr,
            "Review shows no small_breasts and no medium_hair line", scr)
    lines = scr.splitlines()
    marked = [t for t in sug1 if any(("· %s " % t) in ln for ln in lines)]
    s.check(sorted(marked) == sorted(sug1),
            "Review marks exactly show's suggestions as suggested (·), short_hair among them",
            (marked, sug1, scr))
    rows = [m.group(1) for ln in lines for m in re.finditer(r"· (\S+) +\d\.\d\d", ln)]
    s.check(sorted(rows) == sorted(sug1), "no other tag is marked suggested", (rows, sug1))
    con.keys("a")
    scr = con.wait(lambda t: all(("+ %s " % x) in t for x in sug1))
    s.check(scr is not None, "a accepts every suggestion (+)", con.screen())
    s.check(tc.decisions(db, d1) == {}, "nothing stored before c", tc.decisions(db, d1))
    con.keys("c")
    scr = con.wait(lambda t: "committed %d changes" % len(sug1) in t and review_of("d2", t))
    s.check(scr is not None, "c commits %d changes and moves to the next pending image, d2.png"
            % len(sug1), con.screen())
    got = tc.decisions(db, d1)
    s.check(got == {t: (1, 0) for t in sug1},
            "d1: sqlite3: the committed tags are exactly what show suggested before",
            (got, sug1))
    s.check(committed_of(show(d1)) == sorted(sug1), "d1: show agrees", show(d1))
    scr = con.screen()
    s.check("small_breasts" not in scr and "medium_hair" not in scr and
            all(("· %s " % t) in scr for t in sug2),
            "d2's Review lists its own suggestions under the rules", scr)
    rows = re.findall(r"([·+ ]) short_hair +(\d\.\d\d)", scr)
    s.check(rows == [("·", "0.45")],
            "d2: one short_hair row, suggested, with its alias source's higher score "
            "(0.45 over its own 0.20)", rows)
    # It still answers keys: accept all, undo, the Library.
    con.keys("a")
    s.check(con.wait(lambda t: all(("+ %s " % x) in t for x in sug2)) is not None,
            "a on d2 marks its suggestions accepted", con.screen())
    con.keys("u")
    s.check(con.wait(lambda t: all(("· %s " % x) in t for x in sug2) and
                      not any(("+ %s " % x) in t for x in sug2))
            is not None, "u takes it back", con.screen())
    con.keys("1")
    s.check(con.wait(lambda t: "d1.png" in t and "d2.png" in t and "short_hair" not in t)
            is not None, "1 goes back to the Library", con.screen())
    con.keys("q")
    s.check(con.wait_for("[exit 0]") is not None, "q leaves", con.screen())
    s.check(tc.decisions(db, d2) == {}, "d2: nothing committed", tc.decisions(db, d2))
    con.kill()

    # -- 3. per folder -----------------------------------------------------
    print("# 3. an exclusion on one folder")
    e, f = path["e"], path["f"]
    excl_dir = os.path.dirname(e)
    ok_run("rules exclude --folder per/excl smile", "rules", "exclude", "--folder", excl_dir,
           FOLDER_EXCLUDED)
    r = tagcon("rules", "list", "--json")
    try:
        listed = json.loads(r.stdout)["exclusions"]
    except (ValueError, KeyError):
        listed = None
    s.check(listed is not None and {"tag": FOLDER_EXCLUDED, "folder": os.path.realpath(excl_dir)} in listed and
            {"tag": "small_breasts", "folder": None} in listed,
            "rules list shows both exclusions with their folders", r.stdout)
    for name, p, folder in (("e", e, "per/excl"), ("f", f, "per/other")):
        sh = show(p)
        sug = sh["suggested"]
        rule_checks(name, sug)
        s.check((FOLDER_EXCLUDED in sug) == (name == "f"),
                "%s: smile %s" % (name, "suggested outside per/excl" if name == "f"
                                  else "not suggested inside per/excl"), sug)
        s.check(sorted(sug) == sorted(expected(IMAGES[name][3], folder)),
                "%s: show suggests what the scores and rules give" % name,
                (sug, expected(IMAGES[name][3], folder)))
        ok_run("commit 'path:%s.png'" % name, "commit", "path:" + p)
        s.check(committed_of(show(p)) == sorted(sug) and
                tc.decisions(db, p) == {t: (1, 0) for t in sug},
                "%s: committed == its own show --json suggestions (show and sqlite3)" % name,
                (tc.decisions(db, p), sug))

    # -- 4. review_mode auto / auto-above ---------------------------------
    print("# 4. review_mode auto and auto-above")
    later = {}
    all_images = dict(IMAGES)
    all_images.update(LATER)
    fake.set(table(all_images))
    for folder in ("auto", "above"):
        ok_run("rules pin --folder %s %s" % (folder, PIN), "rules", "pin", "--folder",
               os.path.join(lib, folder), PIN)

    def copy_db(name):
        """A consistent copy of the library (sqlite3's backup API), to be
        tagged with review_mode required: its show --json is the engine's
        answer before any commit."""
        dst = s.path(name)
        src_con, dst_con = sqlite3.connect(db), sqlite3.connect(dst)
        src_con.backup(dst_con)
        src_con.close()
        dst_con.close()
        return dst

    def auto_round(mode, names, folder):
        for name in names:   # fresh images, made now: only this batch tags them
            _, w, h, _ = LATER[name]
            later[name] = tc.make_image("%s/%s/%s.png" % (lib, folder, name), w, h)
        ok_run("config set review_mode %s" % mode, "config", "set", "review_mode", mode)
        copy = copy_db("copy-%s.db" % mode)
        ok_run("copy: review_mode required", "config", "set", "review_mode", "required",
               db_path=copy)
        others = [d for d in all_decisions() if "/%s/" % folder not in d[0]]
        ok_run("scan the new images in %s/" % folder, "scan", lib)
        ok_run("batch under review_mode %s" % mode, "batch", "--quiet", timeout=120)
        ok_run("copy: scan", "scan", lib, db_path=copy)
        ok_run("copy: the same batch under review_mode required", "batch", "--quiet",
               db_path=copy, timeout=120)
        now = [d for d in all_decisions() if "/%s/" % folder not in d[0]]
        s.check(now == others, "the %s batch changed no other image's decisions" % mode,
                (set(now) ^ set(others)))
        for name in names:
            p = later[name]
            want = expected(LATER[name][3], folder)
            engine = show(p, db_path=copy)["suggested"]
            rule_checks(name + " (copy)", engine)
            s.check(sorted(engine) == sorted(want) and PIN in engine,
                    "%s: the engine suggests what scores, cuts, rules and the pin give" % name,
                    (engine, want))
            if mode == "auto":
                commit_want = sorted(engine)
            else:
                commit_want = sorted(t for t in engine if want[t] >= MIN_SCORE or t == PIN)
            got = accepted(p)
            sh = show(p)
            s.check(got == commit_want and committed_of(sh) == commit_want,
                    "%s: review_mode %s committed %s (sqlite3 and show)" % (
                        name, mode, "every suggestion" if mode == "auto"
                        else "the suggestions scoring >= %.1f and the pin" % MIN_SCORE),
                    (got, committed_of(sh), commit_want))
            s.check(sorted(sh["suggested"]) == sorted(set(engine) - set(commit_want)) and
                    len(tc.decisions(db, p)) == len(commit_want),
                    "%s: the rest stays suggested, no other decision" % name,
                    (sh["suggested"], tc.decisions(db, p)))
            s.check("short_hair" in got or mode != "auto",
                    "%s: short_hair committed" % name, got)
            s.check("medium_hair" not in got and "small_breasts" not in got,
                    "%s: neither medium_hair nor small_breasts committed" % name, got)
        return copy

    auto_round("auto", ["g1", "g2"], "auto")
    ok_run("config set review_min_score 0.7", "config", "set", "review_min_score",
           str(MIN_SCORE))
    auto_round("auto-above", ["h1", "h2"], "above")
    s.check("short_hair" in accepted(later["h1"]) and
            "short_hair" not in accepted(later["h2"]),
            "auto-above: short_hair at 0.77 committed, at 0.52 left pending",
            (accepted(later["h1"]), accepted(later["h2"])))

    # batch --force under review_mode auto: the new answer's set is committed.
    k = path["k"]
    old = show(k)["suggested"]
    s.check(sorted(old) == sorted(expected(IMAGES["k"][3], "force")) and
            tc.decisions(db, k) == {},
            "k: pending with the first answer's suggestions", (old, tc.decisions(db, k)))
    want = expected(K2, "force")
    s.check(sorted(want) != sorted(old), "k: the second answer suggests otherwise",
            (want, old))
    all_images["k"] = ("force", 86, 48, K2)
    fake.set(table(all_images))
    ok_run("config set review_mode auto", "config", "set", "review_mode", "auto")
    others = [d for d in all_decisions() if "/force/" not in d[0]]
    ok_run("batch --force --folder force/", "batch", "--quiet", "--force", "--folder",
           os.path.dirname(k), timeout=120)
    sh = show(k)
    s.check(sorted(p["tag"] for p in sh["predictions"]) ==
            sorted(set(K2["general"]) | set(K2["character"])) and
            abs(merged_score(sh, "short_hair") - 0.91) < 1e-3,
            "k: --force stored the new answer", sh["predictions"])
    s.check(accepted(k) == sorted(want) and committed_of(sh) == sorted(want),
            "k: batch --force under review_mode auto committed the new answer's suggestions",
            (accepted(k), want))
    s.check("medium_hair" not in accepted(k) and "small_breasts" not in accepted(k),
            "k: neither medium_hair nor small_breasts committed", accepted(k))
    s.check([d for d in all_decisions() if "/force/" not in d[0]] == others,
            "batch --force --folder touched no other image", None)


def main():
    sys.path.insert(0, HERE)
    import tcconsole as tc
    t0 = time.monotonic()
    s = tc.Suite("e2e-rules-review")
    try:
        body(s, tc)
    except Exception as e:  # noqa: BLE001 - a crash of the script is a failure
        import traceback
        traceback.print_exc()
        s.check(False, "the test script ran to its end", "%s: %s" % (type(e).__name__, e))
    print("# %.1f s" % (time.monotonic() - t0))
    s.finish()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-fake":
        serve_fake(sys.argv[2], sys.argv[3:])
    else:
        main()
