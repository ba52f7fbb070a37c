#!/usr/bin/env python3
"""test_examples.py — the examples of README.md and the man pages, run.

    python3 tests/docs/test_examples.py build/tui/tagcon

Every shell example (```sh blocks of README.md, the EXAMPLES sections of
doc/*.scd*) and every ```python block of the README is extracted and run, in
the order of the text, as a person following it would: `tagcon` on PATH,
HOME a temporary directory whose ~/Pictures is a generated library of real
images, the Space URLs answered by fake Spaces on 127.0.0.1 (HF_ENDPOINT is
one of them; the README's second URL, https://me-wd-tagger.hf.space, becomes
the other's address).  Each example must exit 0; a `#> TEXT` line under a
command in the README is part of what it prints (`…` stands for anything,
`~` for the home directory), and CHECKS below holds what the comment beside
a command promises, checked the step after (the edit is seen by show, the
exclusion by rules list, ...).

Examples that cannot run here are listed in NOT_RUN with the reason; one
that is neither run nor listed fails the test, so a new example is never
silently skipped.  PREMISES are what an example takes for granted of the
library (a committed cat for `random '~cat ~dog'`); they are set up with
tagcon itself right before it and said in the output.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "batch"))
import batchlib  # noqa: E402

SECOND_SPACE = "https://me-wd-tagger.hf.space"
N_CANDIDATES = 40

# Examples not run, by the start of their text: why.
NOT_RUN = {
    "scripts/run": "installs, builds and opens the console (the e2e suite drives the console)",
    "scripts/test": "is the whole test run, this test among them",
    "meson test": "runs tests of a build directory (meson runs this one)",
    "TAGCON_AGREE_SEED=": "a unit test by hand (the unit suite runs it)",
    "python3 tests/": "a test suite by hand (meson runs it)",
    "meson setup": "builds a copy to install (the install suite installs one into a DESTDIR)",
    "sudo ": "installs system-wide (the install and deb suites do it in scratch roots)",
    "dpkg-buildpackage": "builds the Debian package (the deb suite does)",
}


# ---- extraction ---------------------------------------------------------------

class Example:
    def __init__(self, where, kind, text):
        self.where, self.kind, self.text = where, kind, text
        self.expect = []  # "#>" lines

    @property
    def first_line(self):
        return self.text.split("\n", 1)[0]


def complete(cmd):
    """Whether cmd is a whole shell command (no open quote, no trailing | or \\)."""
    if cmd.rstrip().endswith(("|", "\\")):
        return False
    try:
        shlex.split(cmd, comments=True)
        return True
    except ValueError:
        return False


def readme_examples(path):
    out, kind, block, start = [], None, [], 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        if kind is None:
            m = re.match(r"^```(\w*)\s*$", line)
            if m and m.group(1) in ("sh", "python"):
                kind, block, start = m.group(1), [], n + 1
            elif m:
                kind = "other"
            continue
        if line.startswith("```"):
            if kind == "python":
                out.append(Example("README.md:%d" % start, "python", "\n".join(block)))
            elif kind == "sh":
                out.extend(shell_lines(block, start, "README.md"))
            kind = None
            continue
        block.append(line)
    return out


def shell_lines(block, start, name):
    out, cur = [], None
    for i, line in enumerate(block):
        if cur is not None and not complete(cur.text):
            cur.text += "\n" + line
            continue
        if line.startswith("#>"):
            if cur is not None:
                cur.expect.append(line[2:].strip())
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cur = Example("%s:%d" % (name, start + i), "sh", line)
        out.append(cur)
    return out


def man_examples(doc_dir):
    """`tagcon ...` lines of the EXAMPLES sections of doc/*.scd and *.scd.in."""
    out = []
    if not os.path.isdir(doc_dir):
        return out
    for name in sorted(os.listdir(doc_dir)):
        if not (name.endswith(".scd") or name.endswith(".scd.in")):
            continue
        section = None
        with open(os.path.join(doc_dir, name), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.startswith("#"):
                    section = line.strip("# \n").upper()
                    continue
                text = line.strip().replace("\\*", "*").replace("\\_", "_")
                if section == "EXAMPLES" and not line[0].isspace() and \
                        text.startswith("tagcon "):
                    out.append(Example("doc/%s:%d" % (name, n), "sh", text))
    return out


# ---- the library ----------------------------------------------------------------

def gen_images(t, folder, specs, seed):
    """specs: [(name, w, h)], w and h at most 160: distinct photo-like images,
    cut from the tiles of one picture (batchlib's tiles(): one dzsave)."""
    os.makedirs(folder, exist_ok=True)
    src = t.tiles(len(specs), size=160, seed=seed)
    paths = []
    for tile, (name, w, h) in zip(src, specs):
        p = os.path.join(folder, name)
        t.vips("crop", tile, p + ("[Q=88]" if p.endswith(".jpg") else ""), 0, 0, w, h)
        paths.append(p)
    return paths


def shown(t, db, path):
    r = t.run("show", "--json", path, db=db)
    return r.json() or {}


def pick_a(t, fake):
    """a.jpg must have 'smile' among its suggestions (the README rejects it;
    the fake suggests it for about 1 image in 9): candidates are tagged in a
    scratch library and the first that has it is kept.  Deterministic: same
    images, same fake, same answers."""
    scratch = t.mkdir("scratch")
    cands = gen_images(t, scratch, [("c%02d.jpg" % i, 100, 140) for i in range(N_CANDIDATES)],
                       100)
    db = t.path("scratch.db")
    t.config(db, "spaces", fake.url)
    t.run("scan", scratch, db=db)
    t.run("batch", "--quiet", db=db, timeout=300)
    for c in cands:
        if "smile" in shown(t, db, c).get("suggested", []):
            return c
    return None


def make_library(t, fake):
    pics = t.mkdir("home", "Pictures")
    a = pick_a(t, fake)
    t.check(a is not None, "the generated library: a portrait a.jpg with 'smile' suggested "
            "(%d candidates)" % N_CANDIDATES)
    if a is not None:
        shutil.copy(a, os.path.join(pics, "a.jpg"))
    gen_images(t, pics, [("b.png", 140, 100)], 300)
    specs = [("beach%d.jpg" % i, 150, 100) for i in range(3)] + \
        [("portrait%d.jpg" % i, 90, 130) for i in range(3)] + [("square%d.jpg" % i, 110, 110)
                                                               for i in range(2)]
    gen_images(t, pics, specs, 400)
    return pics


# ---- what the text promises -------------------------------------------------------

def search_paths(t, db, *query):
    r = t.run("search", "--json", "--all-ratings", *query, db=db)
    return [o["path"] for o in (r.json() or {}).get("images", [])]


def check_edit(t, db, pics, r):
    o = shown(t, db, os.path.join(pics, "a.jpg"))
    com = [c["tag"] for c in o.get("committed", [])]
    t.check("my_tag" in com and "smile" in o.get("rejected", []) and
            "smile" not in o.get("suggested", []),
            "edit: show --json then has my_tag committed, smile rejected and not suggested",
            json.dumps(o)[:300])


def check_search(t, db, pics, r):
    paths = [p for p in r.out.decode().split("\n") if p]
    bad = []
    for p in paths:
        o = shown(t, db, p)
        com = [c["tag"] for c in o.get("committed", [])]
        if not ("1girl" in com and "solo" in com and "monochrome" not in com and
                (o.get("rating") or {}).get("label") == "g" and
                o.get("orientation") == "portrait"):
            bad.append(p)
    t.check(paths and not bad, "search: %d images, each a committed 1girl solo, no "
            "monochrome, rated g, portrait" % len(paths), repr(bad or r.out[:200]))


def check_random(t, db, pics, r):
    p = r.out.decode().strip()
    o = shown(t, db, p) if p else {}
    t.check(o.get("orientation") == "landscape" and
            (o.get("rating") or {}).get("label") in ("g", "s"),
            "random: one path, a landscape image rated g or s", repr(r.out[:200]))


def check_random_cat(t, db, pics, r):
    o = shown(t, db, r.out.decode().strip())
    com = [c["tag"] for c in o.get("committed", [])]
    t.check(("cat" in com or "dog" in com) and
            (o.get("rating") or {}).get("label") in ("g", "s"),
            "random ~cat ~dog: a g or s image with a cat or a dog", repr(r.out[:200]))


def check_export(t, db, pics, r):
    caps = [n for n in os.listdir(pics) if n.endswith(".txt")]
    g = [os.path.splitext(os.path.basename(p))[0] for p in search_paths(t, db, "rating:g")]
    t.check(caps and all(os.path.splitext(c)[0] in g for c in caps),
            "export: captions beside the images, for images rated g only (%d)" % len(caps),
            repr(caps))


def check_rules(t, db, pics, r):
    r2 = t.run("rules", "list", "--json", db=db)
    t.check(any(e.get("tag") == "watermark*" for e in (r2.json() or {}).get("exclusions", [])),
            "rules exclude: rules list --json has watermark*")


def check_preset(t, db, pics, r):
    r2 = t.run("preset", "show", "strict", "--json", db=db)
    t.eq(r2.json(), {"general_threshold": "0.35", "character_threshold": "0.85"},
         "preset save: preset show has the two current values")


def check_lines_open(t, db, pics, r):
    lines = [ln for ln in r.out.decode().split("\n") if ln.strip()]
    t.check(lines and all(os.path.exists(ln.split()[-1]) for ln in lines),
            "the listing names files that exist (%d lines)" % len(lines), repr(r.out[:300]))


def contains(*words):
    def check(t, db, pics, r):
        text = r.out.decode("utf-8", "replace")
        t.check(all(w in text for w in words), "prints %s" % ", ".join(words), text[:300])
    return check


def check_unsure(t, db, pics, r):
    """tagcon(1)'s `search --sort unsure --limit 5`: five of the library's images
    (the library has more), each once, each a file that exists."""
    lines = [ln for ln in r.out.decode().split("\n") if ln]
    n = int(t.run("search", "--count", db=db).out.decode().strip() or -1)
    t.check(n > 5 and len(lines) == 5 and len(set(lines)) == 5 and
            all(os.path.exists(p) for p in lines),
            "search --sort unsure --limit 5: 5 different images of %d" % n, repr(lines))


def check_preview_protocol(t, db, pics, r):
    r2 = t.run("config", "get", "preview_protocol", db=db)
    t.eq(r2.out.decode().strip(), "symbols", "config get preview_protocol: symbols")


# By the start of the example's text.
CHECKS = {
    "tagcon search --sort unsure --limit 5": check_unsure,
    "tagcon config set preview_protocol": check_preview_protocol,
    "tagcon spaces": contains("gradio", "models", "SmilingWolf/wd-swinv2-tagger-v3"),
    "tagcon tag a.jpg b.png": contains("a.jpg", "b.png", "rating"),
    "tagcon batch  ": contains("finished:"),
    "tagcon show a.jpg": contains("path", "a.jpg", "suggested"),
    "tagcon edit a.jpg": check_edit,
    "tagcon config list": contains("spaces", "general_threshold"),
    "tagcon search '1girl solo -monochrome rating:g orientation:portrait'": check_search,
    "tagcon random 'rating:g,s landscape'": check_random,
    "tagcon random 'rating:g,s ~cat ~dog'": check_random_cat,
    "tagcon export --format txt 'rating:g'": check_export,
    "tagcon rules exclude": check_rules,
    "tagcon preset save strict": check_preset,
    "tagcon search -0 1girl | xargs -0 ls -l": check_lines_open,
    "tagcon search --json 1girl | jq": check_lines_open,
}


# ---- premises ---------------------------------------------------------------------

def premise_girl(t, db, pics):
    """A portrait rated g with 1girl and solo committed, monochrome not."""
    if search_paths(t, db, "1girl solo -monochrome rating:g orientation:portrait"):
        return "already there"
    cands = search_paths(t, db, "rating:g orientation:portrait -monochrome")
    if not cands:
        return None
    t.run("edit", cands[0], "+1girl", "+solo", db=db)
    return "edit %s +1girl +solo" % os.path.basename(cands[0])


def premise_cat(t, db, pics):
    if search_paths(t, db, "rating:g,s ~cat ~dog"):
        return "already there"
    cands = search_paths(t, db, "rating:g,s")
    if not cands:
        return None
    t.run("edit", cands[0], "+cat", db=db)
    return "edit %s +cat" % os.path.basename(cands[0])


PREMISES = {
    "tagcon search '1girl solo -monochrome rating:g orientation:portrait'": premise_girl,
    "tagcon random 'rating:g,s ~cat ~dog'": premise_cat,
}


# ---- running ----------------------------------------------------------------------

class Runner:
    def __init__(self, t, fake, fake2, slow):
        self.t, self.fake, self.fake2, self.slow = t, fake, fake2, slow
        self.bindir = t.mkdir("bin")
        os.symlink(t.tagcon, os.path.join(self.bindir, "tagcon"))
        self.home = t.path("home")
        self.db = t.path("xdg-data", "tagcon", "tagcon.db")  # where the README says
        self.cwd = self.home
        self.pics = None

    def env(self):
        return self.t.env({"PATH": self.bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin"),
                           "HF_ENDPOINT": self.fake.url})

    def text_of(self, ex):
        return ex.text.replace(SECOND_SPACE, self.fake2.url)

    def shell(self, text, timeout=180):
        argv = ["bash", "-e", "-o", "pipefail", "-c", text] if not text.startswith("python") \
            else ["python3", "-c", text[len("python\n"):]]
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                               env=self.env(), cwd=self.cwd, timeout=timeout)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = None, e.stdout or b"", e.stderr or b""
        return batchlib.Run(["sh", text[:200]], rc, out, err, time.monotonic() - t0)

    def background_run(self):
        """A slow batch over every image: something for status and pause."""
        return self.t.spawn("batch", "--force", "--quiet", "--space", self.slow.url, db=self.db)

    def wait_running(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.t.run("batch", "status", "--json", db=self.db, check_output=False)
            if (r.json() or {}).get("state") == "running" and (r.json() or {}).get("done", 0):
                return True
            time.sleep(0.2)
        return False

    def run(self, ex):
        t = self.t
        first = ex.first_line
        if first.startswith("cd "):
            self.cwd = os.path.expanduser(first[3:].strip().replace("~", self.home, 1))
            t.check(os.path.isdir(self.cwd), "%s: %s" % (ex.where, first))
            return
        for prefix, premise in PREMISES.items():
            if first.startswith(prefix):
                how = premise(t, self.db, self.pics)
                t.check(how is not None, "%s: premise of `%s` set up (%s)" % (
                    ex.where, first[:60], how or "the generated library cannot"))
        special = {"tagcon batch status --follow": self.run_follow,
                   "tagcon batch pause": self.run_pause,
                   "tagcon watch": self.run_watch}
        for prefix, fn in special.items():
            if first.startswith(prefix):
                return fn(ex)
        r = self.shell(self.text_of(ex) if ex.kind == "sh" else "python\n" + ex.text)
        self.judge(ex, r)
        return r

    def judge(self, ex, r):
        t = self.t
        t.eq(r.rc, 0, "%s: `%s` exits 0" % (ex.where, ex.first_line[:90]))
        if r.rc != 0:
            t.note("stdout %r stderr %r" % (r.out[:300], r.err[:500]))
        text = r.out.decode("utf-8", "replace")
        for want in ex.expect:
            rx = re.escape(want.replace("~", self.home)).replace("…", ".*")
            t.check(re.search(rx, text, re.M), "%s: prints '%s'" % (ex.where, want), text[:300])
        for prefix, check in CHECKS.items():
            if (ex.first_line + " ").startswith(prefix):
                check(t, self.db, self.pics, r)

    def run_follow(self, ex):
        bg = self.background_run()
        self.t.check(self.wait_running(), "a batch runs in the background (for %s)"
                     % ex.first_line[:40])
        r = self.shell(self.text_of(ex), timeout=120)
        self.judge(ex, r)
        self.t.check(b"finished" in r.out, "batch status --follow: follows the run to its end",
                     r.out[-300:])
        bg.wait(60)

    def run_pause(self, ex):
        bg = self.background_run()
        self.t.check(self.wait_running(), "a batch runs in the background (for %s)"
                     % ex.first_line[:40])
        r = self.shell(self.text_of(ex), timeout=60)
        self.judge(ex, r)
        deadline = time.monotonic() + 20
        state = None
        while time.monotonic() < deadline and state != "paused":
            state = (self.t.run("batch", "status", "--json", db=self.db).json() or {}).get("state")
            time.sleep(0.2)
        self.t.eq(state, "paused", "batch pause: the run is paused (batch status --json)")
        for verb in ("resume", "cancel"):
            self.t.eq(self.t.run("batch", verb, db=self.db).rc, 0, "batch %s too" % verb)
        bg.wait(60)
        self.t.check(bg.rc is not None, "the cancelled run ends")

    def run_watch(self, ex):
        t = self.t
        p = subprocess.Popen(["bash", "-c", "exec " + self.text_of(ex)], env=self.env(),
                             cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            found = []
            new = os.path.join(self.pics, "arrived.jpg")
            time.sleep(1.0)
            gen_images(t, t.gen, [("arrival.jpg", 120, 90)], 500)
            shutil.move(os.path.join(t.gen, "arrival.jpg"), new)
            while time.monotonic() < deadline and not found:
                time.sleep(0.3)
                found = search_paths(t, self.db, "path:arrived")
            t.check(found, "%s: watch indexes a file that arrives (search finds it)" % ex.where)
        finally:
            p.send_signal(signal.SIGINT)
            try:
                out, err = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
        t.eq(p.returncode, 0, "%s: `tagcon watch` ends with 0 on Ctrl-C" % ex.where)
        t.check(b"watching" in err, "watch says what it watches", err[:200])


def body(t):
    readme = os.path.join(SRC, "README.md")
    examples = readme_examples(readme) + man_examples(os.path.join(SRC, "doc"))
    runnable = []
    for ex in examples:
        why = next((w for k, w in NOT_RUN.items() if ex.first_line.startswith(k)), None)
        if why is not None:
            t.note("not run: %s `%s`: %s" % (ex.where, ex.first_line, why))
        elif ex.kind == "python" or ex.first_line.startswith(("tagcon ", "cd ")):
            runnable.append(ex)
        else:
            t.check(False, "%s: `%s` is neither run nor listed in NOT_RUN" % (
                ex.where, ex.first_line))
    t.check(len(runnable) >= 20, "%d examples to run (README and %d from the man pages)" % (
        len(runnable), sum(ex.where.startswith("doc/") for ex in runnable)))

    fake = t.fake("--service-ms", "5")
    fake2 = t.fake("--service-ms", "5")
    slow = t.fake("--service-ms", "700")
    runner = Runner(t, fake, fake2, slow)
    runner.pics = make_library(t, fake)
    for ex in runnable:
        t.section("%s: %s" % (ex.where, ex.first_line[:70]))
        runner.run(ex)


if __name__ == "__main__":
    batchlib.Suite("docs").main(body)
