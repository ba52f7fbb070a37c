"""tcconsole.py — plumbing of the console's end-to-end tests.

Python 3 standard library only.  Each test script runs as

    python3 test_X.py /path/to/tagcon

and builds what it needs in a fresh temporary directory (HOME and XDG_* point
inside it; TAGCON_KEEP=1 keeps it for a post-mortem):

  - Library: images written with the `vips` CLI, indexed by `tagcon scan`,
    predictions inserted with sqlite3 into the real schema (the rows the
    batch runner writes: models, tags, tagged, predictions);
  - Console: the real binary inside a private tmux server
    (`tmux -L <unique socket>`), driven with send-keys and read with
    capture-pane; every wait is bounded.

Checks print one line each; the script exits 0 when all passed.
"""
import atexit
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import answers  # noqa: E402  (the MCut cuts an answer stores)

MODEL = "SmilingWolf/wd-swinv2-tagger-v3"
FAKE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                     "fake_space", "fake_space.py"))
CATEGORY = {"general": 0, "character": 4}


class Suite:
    def __init__(self, name):
        self.name = name
        self.tagcon = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ["TAGCON"])
        self.tmp = tempfile.mkdtemp(prefix="tagcon-e2e-")
        self.failed = 0
        self.passed = 0
        self.env = dict(os.environ)
        self.env.update({
            "HOME": self.tmp, "XDG_DATA_HOME": self.tmp + "/data",
            "XDG_CONFIG_HOME": self.tmp + "/config", "XDG_CACHE_HOME": self.tmp + "/cache",
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TAGCON_DB": "",
            # spaces defaults to the public Space: its hub is a closed port
            # here, so a test that forgot to set its Spaces never goes out.
            "HF_ENDPOINT": "http://127.0.0.1:9",
        })
        self.env.pop("NO_COLOR", None)
        self.env.pop("HF_TOKEN", None)
        self.consoles = []
        self.fakes = []
        # A test that dies half-way must not leave tmux servers or fakes behind.
        atexit.register(self._cleanup)

    def _cleanup(self):
        for c in self.consoles:
            c.kill()
        for f in self.fakes:
            f.stop()
        self.consoles, self.fakes = [], []
        if not os.environ.get("TAGCON_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % what)
        else:
            self.failed += 1
            print("FAIL %s" % what)
            if detail:
                for line in str(detail).splitlines():
                    print("     | %s" % line)
        return ok

    def run(self, *args, check=True, timeout=60):
        r = subprocess.run([self.tagcon] + list(args), env=self.env, capture_output=True,
                           timeout=timeout)
        if check and r.returncode not in (0, 1):
            raise RuntimeError("tagcon %s -> %d: %s" % (" ".join(args), r.returncode,
                                                         r.stderr.decode(errors="replace")))
        return r

    def finish(self):
        self._cleanup()
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        if os.environ.get("TAGCON_KEEP"):
            print("kept %s" % self.tmp)
        sys.exit(1 if self.failed else 0)


def make_image(path, w=64, h=48, kind="black", seed=1):
    """An image file written by the vips CLI (libvips-tools): black, or
    "colour" (smooth noise in three bands, so a preview has something to show).
    Different sizes or seeds give different contents (and hashes)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    if kind != "colour":
        subprocess.run(["vips", "black", path, str(w), str(h)], check=True)
        return path
    tmp = tempfile.mkdtemp(prefix="img-")
    bands = []
    for b in range(3):
        noise, scaled = "%s/n%d.v" % (tmp, b), "%s/s%d.v" % (tmp, b)
        subprocess.run(["vips", "perlin", noise, str(w), str(h), "--cell-size",
                        str(max(8, w // (3 + b))), "--seed", str(seed * 3 + b)], check=True)
        subprocess.run(["vips", "linear", noise, scaled, "127", "128"], check=True)
        bands.append(scaled)
    joined = "%s/rgb.v" % tmp
    subprocess.run(["vips", "bandjoin", " ".join(bands), joined], check=True)
    subprocess.run(["vips", "cast", joined, path, "uchar"], check=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return path


def db_connect(db):
    con = sqlite3.connect(db, timeout=10, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    return con


def add_predictions(db, image_path, preds, rating=(0.9, 0.05, 0.03, 0.02), model=MODEL,
                    floor=0.05):
    """Store an answer for the image at image_path, as the runner would:
    preds is [(tag, "general"|"character", score)]."""
    con = db_connect(db)
    con.execute("BEGIN IMMEDIATE")
    cid = con.execute("SELECT content_id FROM images WHERE path = ?",
                      (image_path.encode(),)).fetchone()[0]
    con.execute("INSERT OR IGNORE INTO models(name) VALUES (?)", (model,))
    mid = con.execute("SELECT id FROM models WHERE name = ?", (model,)).fetchone()[0]
    con.execute("DELETE FROM tagged WHERE content_id = ? AND model_id = ?", (cid, mid))
    con.execute("INSERT INTO tagged(content_id, model_id, rating_general, rating_sensitive,"
                " rating_questionable, rating_explicit, score_floor, space, tagged_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'https://fake.hf.space', ?)",
                (cid, mid) + tuple(rating) + (floor, int(time.time())))
    for tag, cat, score in preds:
        con.execute("INSERT OR IGNORE INTO tags(name, category) VALUES (?, ?)",
                    (tag, CATEGORY[cat]))
        tid = con.execute("SELECT id FROM tags WHERE name = ?", (tag,)).fetchone()[0]
        con.execute("INSERT INTO predictions(content_id, model_id, tag_id, score)"
                    " VALUES (?, ?, ?, ?)", (cid, mid, tid, score))
    con.execute(answers.CUTS + " WHERE content_id = ? AND model_id = ?", (cid, mid))
    con.execute("UPDATE images SET state = 1 WHERE content_id = ? AND state = 0", (cid,))
    con.execute("COMMIT")
    con.close()


def decisions(db, image_path):
    """{tag: (verdict, source)} of one image."""
    con = db_connect(db)
    rows = con.execute("SELECT g.name, d.verdict, d.source FROM decisions d"
                       " JOIN tags g ON g.id = d.tag_id JOIN images i ON i.id = d.image_id"
                       " WHERE i.path = ?", (image_path.encode(),)).fetchall()
    con.close()
    return {name: (verdict, source) for name, verdict, source in rows}


def setting(db, key):
    con = db_connect(db)
    row = con.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    con.close()
    return row[0] if row else None


class Console:
    """The console inside its own tmux server."""

    def __init__(self, suite, args, width=100, height=30, env=None, term="tmux-256color"):
        self.suite = suite
        self.socket = "tagcon-e2e-%d-%d" % (os.getpid(), len(suite.consoles))
        self.env = dict(suite.env)
        self.env.update(env or {})
        self.env["TERM"] = term
        suite.consoles.append(self)
        inner = " ".join(_quote(a) for a in [suite.tagcon] + list(args))
        # The pane keeps its exit status visible after tagcon leaves.
        script = "TERM=%s %s; echo \"[exit $?]\"; sleep 600" % (_quote(term), inner)
        envs = []
        for k, v in self.env.items():
            if k in ("TMUX", "TMUX_PANE"):
                continue
            envs += ["-e", "%s=%s" % (k, v)]
        self.tmux("-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y", str(height),
                  *envs, "sh", "-c", script)
        self.tmux("set-option", "-g", "default-terminal", term)

    def tmux(self, *args, check=True):
        env = {k: v for k, v in self.suite.env.items() if not k.startswith("TMUX")}
        r = subprocess.run(["tmux", "-L", self.socket] + list(args), env=env,
                           capture_output=True, timeout=20)
        if check and r.returncode != 0:
            raise RuntimeError("tmux %s: %s" % (" ".join(args), r.stderr.decode()))
        return r.stdout.decode("utf-8", "replace")

    def screen(self, escapes=False):
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []))

    def keys(self, *keys, literal=False):
        for k in keys:
            self.tmux("send-keys", *(["-l"] if literal else []), k)
            time.sleep(0.05)

    def type(self, text):
        self.tmux("send-keys", "-l", text)
        time.sleep(0.05)

    def wait(self, pred, timeout=10.0, what="screen"):
        """Poll the screen until pred(text) holds; the text, or None after timeout."""
        end = time.monotonic() + timeout
        text = ""
        while time.monotonic() < end:
            text = self.screen()
            if pred(text):
                return text
            time.sleep(0.1)
        self.last = text
        return None

    def wait_for(self, needle, timeout=10.0):
        return self.wait(lambda t: needle in t, timeout)

    def resize(self, width, height):
        self.tmux("resize-window", "-x", str(width), "-y", str(height))

    def pid(self):
        """The tagcon process in the pane."""
        shell = self.tmux("display-message", "-p", "#{pane_pid}").strip()
        out = subprocess.run(["pgrep", "-P", shell], capture_output=True).stdout.decode().split()
        return int(out[0]) if out else None

    def kill(self):
        self.tmux("kill-server", check=False)
        sock = os.path.join(os.environ.get("TMUX_TMPDIR", "/tmp"), "tmux-%d" % os.getuid(),
                            self.socket)
        try:
            os.unlink(sock)
        except OSError:
            pass


class Fake:
    """A fake wd-tagger Space (tests/fake_space/fake_space.py) on 127.0.0.1."""

    def __init__(self, suite, *args):
        n = len(suite.fakes)
        port_file = suite.path("fake%d.port" % n)
        self.err = open(suite.path("fake%d.stderr" % n), "wb")
        self.p = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", port_file]
                                  + [str(a) for a in args], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=self.err)
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
        self.err.close()


def _quote(s):
    return "'" + s.replace("'", "'\\''") + "'"
