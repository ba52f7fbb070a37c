"""batchlib.py — plumbing shared by the batch / Space-client tests (tests/batch/).

Python 3 standard library only.  Every test script runs as

    python3 tests/batch/test_X.py /path/to/tagcon

(meson passes the built binary; `TAGCON=/path/to/tagcon python3 ...` works
too).  A script makes a Suite: a fresh temporary directory (HOME, XDG_*,
HF_HOME and every database live inside it), one line per check, exit 0 when
every check passed, 1 otherwise.  TAGCON_KEEP=1 keeps the directory.

What the Suite gives a test:
  - run(): tagcon to completion, output captured, checked on the way:
    UTF-8, no raw control byte, every stderr line "tagcon: ..." or
    "usage: ...", --json output one JSON document (batch/watch: one JSON
    object per line), and no secret of the suite anywhere in it;
  - spawn(): tagcon in the background (batch, watch) with its output in
    files, for signals and kills;
  - fake(): a fake Space (tests/fake_space/fake_space.py) on 127.0.0.1,
    started with the interpreter running the test, its port discovered
    through --port-file;
  - tiles(): real images written by the `vips` command-line tool: a
    photo-like picture (smooth colour fields from upscaled noise) cut into
    distinct tiles by one `vips dzsave` call, so a tree of tens of distinct
    JPEGs costs a handful of vips processes;
  - db helpers (sqlite3, read-only) for images, runs and run_spaces;
  - concurrently() and Suite.cases(): independent sub-cases (each waiting out
    deadlines and backoffs of its own) at the same time; their checks are
    then reported in order, as if they had run one after the other.
Every process started through the Suite is killed by finish(), whatever
happened (scripts call finish() from a finally block).  run(), spawn(),
fake() and the checks may be called from several threads at once.
"""
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.normpath(os.path.join(HERE, "..", "fake_space", "fake_space.py"))
CONFORMANCE = os.path.normpath(os.path.join(HERE, "..", "conformance"))
DYING = os.path.join(HERE, "dyingfake.py")

sys.path.insert(0, os.path.dirname(FAKE))
import fake_space  # noqa: E402  (its scoring functions: expected answers)

DEFAULT_MODEL = fake_space.DEFAULT_MODEL
STATE_NAMES = {0: "new", 1: "tagged", 2: "committed", 3: "failed", 4: "missing"}

_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Run:
    """One finished tagcon invocation."""

    def __init__(self, argv, rc, out, err, elapsed):
        self.argv, self.rc, self.out, self.err, self.elapsed = argv, rc, out, err, elapsed

    @property
    def text(self):
        return self.out.decode("utf-8", "replace")

    @property
    def errtext(self):
        return self.err.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.out.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def lines(self):
        """stdout as JSON lines (None for a line that does not parse)."""
        out = []
        for ln in self.out.decode("utf-8", "replace").splitlines():
            try:
                out.append(json.loads(ln))
            except ValueError:
                out.append(None)
        return out

    def describe(self):
        return "tagcon %s -> exit %s in %.1f s, stdout %r, stderr %r" % (
            " ".join(self.argv[1:]), self.rc, self.elapsed, self.out[:300], self.err[:400])


class Proc:
    """tagcon running in the background; stdout and stderr go to files."""

    def __init__(self, suite, argv, env, name):
        self.suite = suite
        self.argv = argv
        self.out_path = suite.path("%s.out" % name)
        self.err_path = suite.path("%s.err" % name)
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.started = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._out,
                                  stderr=self._err, env=env, cwd=suite.root)
        self.pid = self.p.pid
        self.rc = None
        self.elapsed = None

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.p.poll() is None:
            try:
                os.kill(self.p.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        """Exit status, or None if still running after timeout seconds."""
        try:
            self.rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.elapsed = time.monotonic() - self.started
        self._out.close()
        self._err.close()
        return self.rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        return self.wait(10)

    def stdout(self):
        if not self._out.closed:
            self._out.flush()
        with open(self.out_path, "rb") as f:
            return f.read()

    def stderr(self):
        if not self._err.closed:
            self._err.flush()
        with open(self.err_path, "rb") as f:
            return f.read()

    def events(self):
        """stdout as JSON lines; a line cut by a kill is returned as None."""
        out = []
        for ln in self.stdout().decode("utf-8", "replace").splitlines():
            try:
                out.append(json.loads(ln))
            except ValueError:
                out.append(None)
        return out


class Fake:
    """One fake Space process on 127.0.0.1."""

    def __init__(self, suite, args, port=0, name=None, dying=None):
        self.suite = suite
        with suite._lock:
            suite._fakes_started += 1
            self.name = name or "fake%d" % suite._fakes_started
        self.args = list(args)
        self.port_file = suite.path("%s.port" % self.name)
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.log = suite.path("%s.log" % self.name)
        self.stats_file = suite.path("%s.stats" % self.name)
        self._err = open(suite.path("%s.stderr" % self.name), "ab")
        script = [FAKE]
        if dying is not None:  # (mode, n): dyingfake.py's wrapper around the fake
            script = [DYING, dying[0], str(dying[1]), "--stats-file", self.stats_file]
        argv = [sys.executable] + script + ["--port", str(port), "--port-file",
                                            self.port_file, "--log", self.log] + \
            [str(a) for a in args]
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=self._err, cwd=suite.root)
        with suite._lock:
            suite._fakes.append(self)
        deadline = time.monotonic() + 20
        self.port = None
        while time.monotonic() < deadline:
            try:
                with open(self.port_file) as f:
                    txt = f.read().strip()
                if txt:
                    self.port = int(txt)
                    break
            except OSError:
                pass
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        if self.port is None:
            self.stop()
            raise RuntimeError("fake Space did not start: %s (see %s)" % (
                " ".join(argv), self._err.name))

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def get(self, route):
        with urllib.request.urlopen(self.base + route, timeout=10) as r:
            return json.loads(r.read())

    def post(self, route, obj):
        req = urllib.request.Request(self.base + route, data=json.dumps(obj).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
            return json.loads(body) if body else None

    def stats(self):
        """/__fake/stats; from a dying fake that has exited, what it wrote before."""
        if self.p.poll() is not None and os.path.exists(self.stats_file):
            with open(self.stats_file) as f:
                return json.load(f)
        return self.get("/__fake/stats")

    def completed(self):
        return self.stats()["completed_by_sha256"]

    def idle(self, timeout=10):
        """Wait until nothing is running or queued; the last stats."""
        deadline = time.monotonic() + timeout
        st = self.stats()
        while time.monotonic() < deadline and (st["in_flight"] or st["queue_len"]):
            time.sleep(0.05)
            st = self.stats()
        return st

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self._err.close()


class _Kept:
    """A view of a Suite for Suite.cases(): everything goes to the suite but sections, notes
    and checks, which are kept until report()."""

    def __init__(self, suite):
        self._suite = suite
        self._kept = []

    def __getattr__(self, name):
        return getattr(self._suite, name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._suite, name, value)

    def check(self, cond, what, detail=""):
        self._kept.append(("check", (cond, what, detail)))
        return bool(cond)

    def eq(self, got, want, what):
        return self.check(got == want, what, "got %r, want %r" % (got, want))

    def skip(self, what, why):
        self._kept.append(("skip", (what, why)))

    def note(self, text):
        self._kept.append(("note", (text,)))

    def section(self, title):
        self._kept.append(("section", (title, time.monotonic())))

    def report(self):
        for kind, args in self._kept:
            getattr(self._suite, kind)(*args)


class Suite:
    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passed = 0
        self.skips = []
        self.commands = 0
        self.secrets = []          # strings that must never appear in any output
        self.leaks = []
        self._fakes = []
        self._fakes_started = 0
        self._procs = []
        self._lock = threading.RLock()  # counters, lists and stdout, for concurrently()
        arg = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TAGCON", "")
        if not arg or not os.access(arg, os.X_OK):
            print("usage: %s /path/to/tagcon (or TAGCON=...)" % sys.argv[0], file=sys.stderr)
            sys.exit(2)
        self.tagcon = os.path.abspath(arg)
        if shutil.which("vips") is None:
            print("FAIL - the vips command-line tool (Debian libvips-tools) is needed",
                  file=sys.stderr)
            sys.exit(1)
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="tagcon-%s-" % name))
        self.home = self.mkdir("home")
        self.gen = self.mkdir("gen")
        self.t0 = time.monotonic()
        print("# %s: tagcon %s, temporary directory %s" % (name, self.tagcon, self.root))
        sys.stdout.flush()

    # -- bookkeeping ----------------------------------------------------------

    def check(self, cond, what, detail=""):
        with self._lock:
            if cond:
                self.passed += 1
                print("ok   - %s" % what)
            else:
                self.failures.append(what)
                print("FAIL - %s%s" % (what, (": " + str(detail)) if detail else ""))
            sys.stdout.flush()
        return bool(cond)

    def eq(self, got, want, what):
        return self.check(got == want, what, "got %r, want %r" % (got, want))

    def skip(self, what, why):
        self.skips.append(what)
        print("SKIP - %s: %s" % (what, why))

    def note(self, text):
        print("# %s" % text)
        sys.stdout.flush()

    def section(self, title, at=None):
        with self._lock:
            print("# -- %s (%.1f s)" % (title, (at or time.monotonic()) - self.t0))
            sys.stdout.flush()

    def cases(self, *cases):
        """Call each case(t) in a thread of its own, all at once; then report their sections,
        notes and checks, case by case.  Each gets a view of this suite whose checks are
        kept until then (and answer at once, so a case may branch on one)."""
        views = [_Kept(self) for _ in cases]
        concurrently(*[lambda c=c, v=v: c(v) for c, v in zip(cases, views)])
        for v in views:
            v.report()

    def cleanup(self):
        for p in self._procs:
            if p.p.poll() is None:
                p.p.kill()
                try:
                    p.p.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        for f in self._fakes:
            try:
                f.stop()
            except Exception:  # noqa: BLE001 - best effort at the end
                pass

    def finish(self):
        self.cleanup()
        print("# %d tagcon commands run and checked for control bytes, UTF-8, JSON form, "
              "stderr form and secrets" % self.commands)
        print("# %s: %d passed, %d failed, %d skipped in %.1f s" % (
            self.name, self.passed, len(self.failures), len(self.skips),
            time.monotonic() - self.t0))
        for f in self.failures:
            print("#   failed: %s" % f)
        if os.environ.get("TAGCON_KEEP"):
            print("# kept %s" % self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        sys.stdout.flush()
        sys.exit(1 if self.failures else 0)

    def main(self, body):
        """Run body(self); whatever happens, kill everything and report."""
        try:
            body(self)
        except Exception as e:  # noqa: BLE001 - a crash of the test is a failure
            import traceback
            traceback.print_exc()
            self.check(False, "the test script ran to its end", "%s: %s" % (
                type(e).__name__, e))
        finally:
            self.finish()

    # -- files ----------------------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def mkdir(self, *parts):
        p = os.path.join(self.root, *parts)
        os.makedirs(p, exist_ok=True)
        return p

    def env(self, extra=None):
        e = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "XDG_DATA_HOME": self.path("xdg-data"),
            "XDG_CONFIG_HOME": self.path("xdg-config"),
            "XDG_CACHE_HOME": self.path("xdg-cache"),
            "HF_HOME": self.path("hf-home"),
            "HF_ENDPOINT": "http://127.0.0.1:9",  # never the real hub
            "LC_ALL": "C.UTF-8",
            "TERM": "dumb",
        }
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LD_LIBRARY_PATH"):
            if k in os.environ:
                e[k] = os.environ[k]
        for k, v in (extra or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    # -- tagcon ---------------------------------------------------------------

    def argv(self, args, db):
        argv = [self.tagcon]
        if db is not None:
            argv += ["--db", db]
        return argv + [str(a) for a in args]

    def run(self, *args, db=None, env=None, timeout=120, check_output=True):
        """Run tagcon to its end.  A run still going after timeout seconds is
        killed and returned with rc None."""
        argv = self.argv(args, db)
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env(env), cwd=self.root)
        try:
            out, err = p.communicate(timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            rc = None
        r = Run(argv, rc, out, err, time.monotonic() - t0)
        self.counted()
        if check_output:
            self.check_output(r.out, r.err, args, r.describe())
        return r

    def spawn(self, *args, db=None, env=None, name="tagcon"):
        with self._lock:
            p = Proc(self, self.argv(args, db), self.env(env),
                     "%s-%d" % (name, len(self._procs) + 1))
            self._procs.append(p)
        return p

    def counted(self):
        """One more tagcon command run (and its output checked)."""
        with self._lock:
            self.commands += 1

    def check_proc_output(self, proc, args):
        self.counted()
        self.check_output(proc.stdout(), proc.stderr(), args,
                          "tagcon %s (pid %d)" % (" ".join(map(str, args)), proc.pid),
                          killed=proc.rc is not None and proc.rc < 0)

    def check_output(self, out, err, args, where, killed=False):
        args = [str(a) for a in args]
        problems = []
        for name, data in (("stdout", out), ("stderr", err)):
            m = _CONTROL.search(data)
            if m:
                lo = max(0, m.start() - 40)
                problems.append("raw control byte %r in %s near %r" % (
                    m.group(0), name, data[lo:m.end() + 20]))
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as e:
                if not killed:
                    problems.append("%s is not valid UTF-8 (%s)" % (name, e))
            for s in self.secrets:
                if s.encode() in data:
                    problems.append("the token appears in %s" % name)
                    self.leaks.append(where)
        control = len(args) > 1 and args[0] == "batch" and args[1] in (
            "status", "pause", "resume", "cancel")
        streaming = bool(args) and args[0] in ("batch", "watch") and not control
        if "--json" in args and out:
            text = out.decode("utf-8", "replace")
            if control and "--follow" in args:
                for ln in text.splitlines():
                    try:
                        json.loads(ln)
                    except ValueError:
                        problems.append("stdout line is not JSON: %.200s" % ln)
                        break
            elif streaming:
                lines = text.splitlines()
                if killed and lines and not text.endswith("\n"):
                    lines = lines[:-1]  # the line the kill cut
                for ln in lines:
                    try:
                        o = json.loads(ln)
                        if not isinstance(o, dict) or "event" not in o:
                            problems.append("JSON line without 'event': %.200s" % ln)
                            break
                    except ValueError:
                        problems.append("stdout line is not JSON: %.200s" % ln)
                        break
            else:
                try:
                    json.loads(text)
                except ValueError as e:
                    problems.append("stdout is not one JSON document: %s" % e)
        lines = err.splitlines()
        if killed and lines and not err.endswith(b"\n"):
            lines = lines[:-1]
        for line in lines:
            if not (line.startswith(b"tagcon: ") or line.startswith(b"usage: ")):
                problems.append("stderr line not in the form 'tagcon: ...': %r" % line[:200])
                break
        if problems:
            self.check(False, "output is harmless and well-formed: " + where[:160],
                       "; ".join(problems))

    def config(self, db, name, value):
        r = self.run("config", "set", name, value, db=db)
        if r.rc != 0:
            raise RuntimeError("config set %s %s failed: %s" % (name, value, r.describe()))
        return r

    # -- fakes ----------------------------------------------------------------

    def fake(self, *args, port=0, name=None):
        return Fake(self, args, port=port, name=name)

    def dying(self, mode, n, *args, name=None):
        """A fake that stops answering after n predictions: mode hang, heartbeats, refuse
        or 503 (see dyingfake.py)."""
        return Fake(self, args, name=name, dying=(mode, n))

    # -- images ---------------------------------------------------------------

    def vips(self, *args):
        p = subprocess.run(["vips"] + [str(a) for a in args], capture_output=True)
        if p.returncode != 0:
            raise RuntimeError("vips %s: %s" % (" ".join(map(str, args)),
                                                p.stderr.decode("utf-8", "replace")))

    def _octave(self, tmp, width, height, factor, mean, sigma, seed):
        """Colour noise at 1/factor scale, upscaled with a cubic kernel: smooth
        colour fields about factor pixels across."""
        sw, sh = width // factor + 3, height // factor + 3
        self.vips("gaussnoise", tmp + "n.v", sw * 3, sh, "--mean", mean, "--sigma", sigma,
                  "--seed", seed)
        self.vips("bandfold", tmp + "n.v", tmp + "c.v", "--factor", 3)
        self.vips("resize", tmp + "c.v", tmp + "u.v", factor, "--kernel", "cubic")
        out = tmp + "o%d.v" % factor
        self.vips("extract_area", tmp + "u.v", out, factor, factor, width, height)
        return out

    def photo(self, out, width, height, seed, coarse=96, fine=12, grain=0.0, q=None):
        """A photo-like image: large soft colour regions (noise at 1/coarse
        scale, upscaled), finer texture on top (1/fine scale), optional sensor
        grain.  out ends in .v (vips' own format) or .jpg; q = JPEG quality."""
        tmp = os.path.join(self.gen, "ph%d-" % seed)
        made = [self._octave(tmp, width, height, coarse, 128, 70, seed)]
        made.append(self._octave(tmp, width, height, fine, 0, 22, seed + 1))
        self.vips("add", made[0], made[1], tmp + "s.v")
        src = tmp + "s.v"
        if grain > 0:
            self.vips("gaussnoise", tmp + "g.v", width, height, "--mean", 0, "--sigma", grain,
                      "--seed", seed + 7919)
            self.vips("add", tmp + "s.v", tmp + "g.v", tmp + "a.v")
            src = tmp + "a.v"
        target = out + ("[Q=%d]" % q if q else "")
        self.vips("cast", src, target, "uchar")
        for name in os.listdir(self.gen):
            if name.startswith(os.path.basename(tmp)):
                os.unlink(os.path.join(self.gen, name))
        return out

    def tiles(self, n, size=160, seed=1, fmt="jpg", q=85):
        """n distinct photo-like images of size×size, cut from one picture by
        one dzsave call; returns their paths (in self.gen, to be copied)."""
        cols = 8
        rows = (n + cols - 1) // cols
        base = self.photo(os.path.join(self.gen, "base%d.v" % seed), cols * size, rows * size,
                          seed, coarse=max(8, size // 3), fine=max(2, size // 24), grain=3.0)
        out = os.path.join(self.gen, "tiles%d" % seed)
        suffix = ".%s[Q=%d]" % (fmt, q) if fmt == "jpg" else "." + fmt
        self.vips("dzsave", base, out, "--layout", "google", "--tile-size", size,
                  "--overlap", 0, "--depth", "one", "--suffix", suffix)
        paths = []
        for r in range(rows):
            for c in range(cols):
                p = os.path.join(out, "0", str(r), "%d.%s" % (c, fmt))
                if os.path.exists(p) and len(paths) < n:
                    paths.append(p)
        os.unlink(base)
        if len(paths) != n:
            raise RuntimeError("dzsave wrote %d tiles, wanted %d" % (len(paths), n))
        return paths

    def tree(self, dirpath, sources, names=None):
        """Copy sources into dirpath; returns the new paths."""
        os.makedirs(dirpath, exist_ok=True)
        out = []
        for i, src in enumerate(sources):
            name = names[i] if names else "img%03d%s" % (i, os.path.splitext(src)[1])
            dst = os.path.join(dirpath, name)
            shutil.copyfile(src, dst)
            out.append(dst)
        return out

    # -- the database -----------------------------------------------------------

    def sql(self, db, query, args=()):
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
        try:
            return con.execute(query, args).fetchall()
        finally:
            con.close()

    def images(self, db):
        """{path: {"state", "error", "attempts", "content_id"}}."""
        rows = self.sql(db, "SELECT path, state, error, attempts, content_id FROM images")
        out = {}
        for path, state, error, attempts, cid in rows:
            p = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path
            out[p] = {"state": STATE_NAMES.get(state, state), "error": error,
                      "attempts": attempts, "content_id": cid}
        return out

    def tagged_paths(self, db, model=DEFAULT_MODEL):
        """Paths whose content has an answer from model."""
        rows = self.sql(db, "SELECT i.path FROM images i JOIN tagged t ON t.content_id ="
                        " i.content_id JOIN models m ON m.id = t.model_id WHERE m.name = ?",
                        (model,))
        return {(p.decode("utf-8", "surrogateescape") if isinstance(p, bytes) else p)
                for (p,) in rows}

    def runs(self, db):
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
        con.row_factory = sqlite3.Row
        try:
            runs = [dict(r) for r in con.execute("SELECT * FROM runs ORDER BY id")]
            for r in runs:
                r["spaces"] = [dict(s) for s in con.execute(
                    "SELECT * FROM run_spaces WHERE run_id = ? ORDER BY url", (r["id"],))]
            return runs
        finally:
            con.close()

    def integrity(self, db):
        con = sqlite3.connect(db, timeout=10)
        try:
            return con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()

    def status(self, db):
        r = self.run("status", "--json", db=db)
        return r.json() if r.rc == 0 else None

    def show(self, db, path):
        r = self.run("show", "--json", path, db=db)
        return r.json() if r.rc == 0 else None


def space_label(name):
    """The Space's output name back to tagcon's canonical (Danbooru) form."""
    return name if name in fake_space.KAOMOJIS else name.replace(" ", "_")


def events_summary(events):
    kinds = {}
    for e in events:
        if isinstance(e, dict):
            kinds[e.get("event")] = kinds.get(e.get("event"), 0) + 1
    return kinds


def wait_for(pred, timeout, step=0.1):
    """Poll pred() until it returns something true or timeout passes; returns
    its last value."""
    deadline = time.monotonic() + timeout
    v = pred()
    while not v and time.monotonic() < deadline:
        time.sleep(step)
        v = pred()
    return v


def concurrently(*calls):
    """Call each function (no arguments) in a thread of its own, all at once; their results,
    in order.  An exception in one is raised here once all have ended."""
    results = [None] * len(calls)
    errors = []

    def one(i, call):
        try:
            results[i] = call()
        except BaseException as e:  # noqa: BLE001 - raised again below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(calls)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return results


def kill_quietly(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def split_stream(events):
    """A batch --json stream: (finish event or None, events after it).  A run that exits
    non-zero may add one "error" event after "finish" giving the reason."""
    finish_at = None
    for i, e in enumerate(events):
        if isinstance(e, dict) and e.get("event") == "finish":
            finish_at = i
    if finish_at is None:
        return None, []
    return events[finish_at], events[finish_at + 1:]


def stream_ends_well(events, rc):
    """None when the stream ends with finish (exit 0), or finish + one error event (exit
    not 0); else what is wrong."""
    finish, after = split_stream(events)
    if finish is None:
        return "no finish event"
    if rc == 0 and after:
        return "events after finish: %r" % after[:2]
    if rc != 0 and not (len(after) <= 1 and all(isinstance(e, dict) and e.get("event") ==
                                                 "error" and e.get("error") for e in after)):
        return "after finish, expected at most one error event: %r" % after[:3]
    return None
