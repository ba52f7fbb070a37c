"""tctest.py — plumbing shared by tagcon's integration tests.

Python 3 standard library only.  Every test script is run as

    python3 test_X.py /path/to/tagcon

(meson passes the built binary; `TAGCON=/path/to/tagcon python3 test_X.py`
works too).  A script makes a Suite, which owns a fresh temporary directory
(HOME, XDG_* and every database live inside it, never in the real home),
prints one line per check and exits 0 when every check passed, 1 otherwise.
Set TAGCON_KEEP=1 to keep the temporary directory for a post-mortem.

Every tagcon command a test runs is checked on the way, whatever the test
itself is about:
  - stdout and stderr are valid UTF-8 and hold no raw control character
    (C0 other than the newline that ends a line, DEL, C1 U+0080..U+009F),
    so no file name or message can drive the terminal;
  - with --json, stdout is exactly one valid JSON document;
  - every stderr line starts with "tagcon: " or "usage: ".
"""
import atexit
import ctypes
import ctypes.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

# The keys `tagcon show --json` promises (issue 2).
SHOW_KEYS = ("path", "hash", "width", "height", "orientation", "state", "error",
             "rating", "model", "predictions", "suggested", "committed", "rejected")

NOBODY = 65534

_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


def _show(b):
    """A byte string as a readable one-line Python literal."""
    if isinstance(b, str):
        return repr(b)
    return repr(bytes(b))


class Run:
    """The result of one tagcon invocation."""

    def __init__(self, argv, rc, out, err):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err
        self._json = None
        self.json_error = None

    @property
    def text(self):
        return self.out.decode("utf-8", "replace")

    @property
    def errtext(self):
        return self.err.decode("utf-8", "replace")

    def json(self):
        if self._json is None and self.json_error is None:
            try:
                self._json = json.loads(self.out.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                self.json_error = str(e)
        return self._json

    def describe(self):
        args = " ".join(_show(a) if isinstance(a, bytes) else a for a in self.argv[1:])
        return "tagcon %s -> exit %d, stdout %s, stderr %s" % (
            args, self.rc, _show(self.out[:300]), _show(self.err[:300]))


class Suite:
    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passed = 0
        self.skips = []
        self.commands = 0
        self.output_failures = 0
        arg = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TAGCON", "")
        if not arg or not os.access(arg, os.X_OK):
            print("usage: %s /path/to/tagcon (or TAGCON=...); %r is not an executable "
                  "(exists: %s)" % (sys.argv[0], arg, os.path.exists(arg) if arg else False),
                  file=sys.stderr)
            sys.exit(2)
        self.tagcon = os.path.abspath(arg)
        if shutil.which("vips") is None:
            print("FAIL - the vips command-line tool (Debian libvips-tools) is needed "
                  "to write test images", file=sys.stderr)
            sys.exit(1)
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="tagcon-%s-" % name))
        atexit.register(self._cleanup)
        # Readable by an unprivileged user (the permission tests run as one).
        os.chmod(self.root, 0o755)
        self.home = self.mkdir("home")
        self.gen = self.mkdir("gen")
        self._gen_count = 0
        print("# %s: tagcon %s, temporary directory %s" % (name, self.tagcon, self.root))

    # -- bookkeeping --------------------------------------------------------

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print("ok   - %s" % what)
        else:
            self.failures.append(what)
            print("FAIL - %s%s" % (what, (": " + detail) if detail else ""))
        sys.stdout.flush()
        return bool(cond)

    def eq(self, got, want, what):
        return self.check(got == want, what, "got %r, want %r" % (got, want))

    def skip(self, what, why):
        self.skips.append(what)
        print("SKIP - %s: %s" % (what, why))

    def section(self, title):
        print("# -- %s" % title)

    def finish(self):
        print("# %d commands run; their output checked for control bytes, UTF-8, JSON, "
              "stderr form (%d failed)" % (self.commands, self.output_failures))
        print("# %s: %d passed, %d failed, %d skipped" % (
            self.name, self.passed, len(self.failures), len(self.skips)))
        for f in self.failures:
            print("#   failed: %s" % f)
        sys.exit(1 if self.failures else 0)

    def _cleanup(self):
        # Also after an uncaught exception (which exits 1: a failure).
        if os.environ.get("TAGCON_KEEP"):
            print("# kept %s" % self.root)
        elif os.path.isdir(self.root):
            self.rmtree(self.root)

    @staticmethod
    def rmtree(path):
        # Undo chmod 000 left by permission tests before removing.
        for dirpath, dirnames, filenames in os.walk(path):
            for d in dirnames:
                p = os.path.join(dirpath, d)
                if not os.path.islink(p):
                    try:
                        os.chmod(p, 0o755)
                    except OSError:
                        pass
        shutil.rmtree(path, ignore_errors=True)

    # -- files --------------------------------------------------------------

    def mkdir(self, *parts, mode=None):
        p = os.path.join(self.root, *parts)
        os.makedirs(p, exist_ok=True)
        if mode is not None:
            os.chmod(p, mode)
        return p

    def base_env(self):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "XDG_DATA_HOME": os.path.join(self.root, "xdg-data"),
            "XDG_CONFIG_HOME": os.path.join(self.root, "xdg-config"),
            "XDG_CACHE_HOME": os.path.join(self.root, "xdg-cache"),
            "LC_ALL": "C.UTF-8",
            "TERM": "dumb",
            # spaces defaults to the public Space: a closed loopback port
            # as its hub, so no test ever reaches the internet.
            "HF_ENDPOINT": "http://127.0.0.1:9",
        }
        # Sanitizer builds: keep their options.
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LD_LIBRARY_PATH"):
            if k in os.environ:
                env[k] = os.environ[k]
        return env

    # -- running tagcon -----------------------------------------------------

    def tagcon_run(self, *args, db=None, env=None, user=None, cwd=None, timeout=300,
                   check_output=True):
        """Run tagcon; db=PATH adds --db PATH.  user=NOBODY runs it as an
        unprivileged user when we are root.  Returns a Run."""
        argv = [self.tagcon]
        if db is not None:
            argv += ["--db", db]
        argv += list(args)
        e = self.base_env()
        if env:
            for k, v in env.items():
                if v is None:
                    e.pop(k, None)
                else:
                    e[k] = v
        cmd = argv
        if user is not None and os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
                   "--clear-groups", "--"] + argv
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=e,
                           cwd=cwd or self.root, timeout=timeout)
        r = Run(argv, p.returncode, p.stdout, p.stderr)
        self.commands += 1
        if check_output:
            self._check_output(r, "--json" in args)
        return r

    def _check_output(self, r, want_json):
        problems = []
        for name, data in (("stdout", r.out), ("stderr", r.err)):
            m = _CONTROL.search(data)
            if m:
                lo = max(0, m.start() - 40)
                problems.append("raw control byte %s in %s near %s" % (
                    _show(m.group(0)), name, _show(data[lo:m.end() + 20])))
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as e:
                problems.append("%s is not valid UTF-8 (%s)" % (name, e))
        if want_json and (r.rc == 0 or (r.rc == 1 and r.out)):
            if r.json() is None and r.json_error is not None:
                problems.append("stdout is not one JSON document: %s" % r.json_error)
        for line in r.err.splitlines():
            if not (line.startswith(b"tagcon: ") or line.startswith(b"usage: ")):
                problems.append("stderr line not in the form 'tagcon: ...': %s" % _show(line))
                break
        if problems:
            self.output_failures += 1
            cmd = " ".join(_show(a) if isinstance(a, bytes) else a for a in r.argv[1:])
            cmd = cmd.replace(self.root, "$TMP")
            self.check(False, "output of `tagcon %s` is harmless and well-formed" % cmd[:120],
                       "; ".join(problems) + " [" + r.describe() + "]")

    def scan(self, db, *dirs, json_out=True, **kw):
        args = ["scan"] + (["--json"] if json_out else []) + list(dirs)
        return self.tagcon_run(*args, db=db, **kw)

    def show(self, db, path, **kw):
        """show --json PATH; returns (Run, dict or None)."""
        r = self.tagcon_run("show", "--json", path, db=db, **kw)
        return r, (r.json() if r.rc == 0 else None)

    def status(self, db, **kw):
        r = self.tagcon_run("status", "--json", db=db, **kw)
        return r, (r.json() if r.rc == 0 else None)

    def scan_totals(self, r):
        """Sum the per-directory objects of scan --json."""
        doc = r.json()
        tot = {}
        if isinstance(doc, list):
            for o in doc:
                for k, v in o.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        tot[k] = tot.get(k, 0) + v
        return tot

    # -- images -------------------------------------------------------------

    def vips(self, *args):
        p = subprocess.run(["vips"] + [str(a) for a in args], capture_output=True)
        if p.returncode != 0:
            raise RuntimeError("vips %s: %s" % (" ".join(map(str, args)),
                                                p.stderr.decode("utf-8", "replace")))

    def image_bytes(self, fmt, w, h, seed=None):
        """Bytes of a real noise image in fmt (png jpg webp gif tif bmp),
        written by vips; seed picks the content (distinct seeds, distinct
        hashes)."""
        self._gen_count += 1
        if seed is None:
            seed = self._gen_count
        out = os.path.join(self.gen, "%d.%s" % (self._gen_count, fmt))
        target = out + ("[Q=90]" if fmt == "jpg" else "")
        self.vips("gaussnoise", target, w, h, "--seed", seed)
        with open(out, "rb") as f:
            return f.read()

    def write(self, path, data, mode=None):
        if isinstance(path, str):
            path = path.encode()
        d = os.path.dirname(path)
        if d:
            os.makedirs(d, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(path, mode)
        return path


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def png_header_only(width, height, comment=b""):
    """A small, well-formed PNG whose header claims width x height: valid
    IHDR, a tiny IDAT (one zlib stream of a few rows), IEND."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunks = png_chunk(b"IHDR", ihdr)
    if comment:
        chunks += png_chunk(b"tEXt", b"Comment\x00" + comment)
    chunks += png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunks + png_chunk(b"IEND", b"")


def png_with_text(png, text):
    """Insert a tEXt chunk right after IHDR: same pixels, other bytes."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    ihdr_end = 8 + 8 + struct.unpack(">I", png[8:12])[0] + 4
    return png[:ihdr_end] + png_chunk(b"tEXt", b"Comment\x00" + text) + png[ihdr_end:]


_xxh = None


def xxh3_128_hex(data):
    """XXH3-128 of data in canonical (big-endian) hex, computed by the system
    libxxhash through ctypes; falls back to xxhsum -H2; None when neither is
    there."""
    global _xxh
    if _xxh is None:
        _xxh = False
        name = ctypes.util.find_library("xxhash")
        for cand in ([name] if name else []) + ["libxxhash.so.0"]:
            try:
                lib = ctypes.CDLL(cand)

                class H128(ctypes.Structure):
                    _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]

                lib.XXH3_128bits.restype = H128
                lib.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
                _xxh = lib
                break
            except (OSError, AttributeError):
                continue
    if _xxh:
        h = _xxh.XXH3_128bits(data, len(data))
        return "%016x%016x" % (h.high64, h.low64)
    if shutil.which("xxhsum"):
        p = subprocess.run(["xxhsum", "-H2", "-"], input=data, capture_output=True)
        if p.returncode == 0:
            return p.stdout.split()[0].decode()
    return None


def xxhsum_hex(path):
    """xxhsum -H2 PATH (Debian package xxhash), or None if not installed."""
    if not shutil.which("xxhsum"):
        return None
    p = subprocess.run(["xxhsum", "-H2", path], capture_output=True)
    if p.returncode != 0:
        return None
    # "XXH128 (file) = hex" (BSD style) or "hex  file" (GNU style).
    out = p.stdout.decode("utf-8", "replace").strip()
    m = re.search(r"\b([0-9a-f]{32})\b", out)
    return m.group(1) if m else None


def nobody_can_run(suite):
    """Whether commands can run as an unprivileged user here.  Returns
    (True, None) or (False, reason)."""
    if os.geteuid() != 0:
        return True, None
    if shutil.which("setpriv") is None:
        return False, "running as root and setpriv (util-linux) is missing"
    p = subprocess.run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                        "--clear-groups", "--", suite.tagcon, "--version"],
                       capture_output=True, env=suite.base_env(), cwd="/")
    if p.returncode != 0:
        return False, ("uid %d cannot run %s (exit %d: %s); the build directory must be "
                       "world-readable" % (NOBODY, suite.tagcon, p.returncode,
                                           p.stderr.decode("utf-8", "replace").strip()))
    return True, None
