#!/usr/bin/env python3
"""test_paths.py — every file name comes back out of tagcon so a script can open it.

    python3 tests/tags/test_paths.py build/tui/tagcon

A corpus of hostile names (Latin-1 bytes, newline, tab, ESC, C1 U+009B, bidi
U+202E, a leading dash, blanks, backslash, quotes, invalid UTF-8, an overlong
form, an encoded surrogate, a truncated sequence, a 240-byte name, a folder
whose name is no UTF-8) is scanned and tagged against the fake Space
(127.0.0.1), with a webhook receiver on 127.0.0.1.  Then, for each output
that carries paths — search --json, show --json, random --json, export
--format jsonl, batch --json, tag --json, the webhook, rules --json — every
path is decoded the documented way (README, "Paths in scripts"):

    base64.b64decode(o["path_b64"]) if "path_b64" in o else o["path"].encode()

and the file is opened from Python; the same outputs go through a jq
pipeline (`.path_b64 // (.path|@base64)` | base64 -d) run by bash, which
opens every file too.  Plain output: `search | xargs -d '\\n'` and
`search -0 | xargs -0` (and random -0) open the files; on a terminal (tmux)
the names are shown escaped and drive nothing.
"""
import base64
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "batch"))
import batchlib  # noqa: E402

NAMES = [
    b"caf\xe9.jpg",                      # Latin-1
    b"new\nline.jpg",
    b"tab\there.jpg",
    b"esc\x1b[31mred.jpg",
    "csi\u009b2J.jpg".encode(),          # C1 CSI
    "rtl\u202egpj.exe.jpg".encode(),     # bidi override
    b"-leading-dash.jpg",
    b"  spaces  in  name .jpg",
    b"back\\slash.jpg",
    b"quo\"te's.jpg",
    b"bad\xff\xfeseq.jpg",               # bytes UTF-8 never uses
    b"overlong\xc0\xaf.jpg",             # "/" in two bytes
    b"surrogate\xed\xa0\x80.jpg",        # U+D800 encoded
    b"trunc\xe2\x82.jpg",                # a sequence cut short
    "日本語 ünïcode.jpg".encode(),
    b"del\x7fcr\r.jpg",
    b"L" * 240 + b".jpg",                # near NAME_MAX
    b"dir\xe9 latin/inside.jpg",         # the folder is no UTF-8
    b"plain.jpg",
]


class Receiver(http.server.BaseHTTPRequestHandler):
    bodies = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Receiver.lock:
            Receiver.bodies.append(body)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def receiver():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    srv.timeout = 5
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, "http://127.0.0.1:%d/hook" % srv.server_address[1]


def run(t, *args, db=None, timeout=120, check_output=True):
    """tagcon with arguments that may be bytes (batchlib's run() takes str)."""
    argv = [t.tagcon.encode()] + ([b"--db", db.encode()] if db else []) + [
        a if isinstance(a, bytes) else str(a).encode() for a in args]
    t0 = time.monotonic()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=t.env(),
                       cwd=t.root, timeout=timeout)
    r = batchlib.Run([a.decode("utf-8", "replace") for a in argv], p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
    t.commands += 1
    if check_output:
        shown = [a.decode("utf-8", "replace") if isinstance(a, bytes) else a for a in args]
        t.check_output(r.out, r.err, shown, r.describe())
    return r


def decoded(o, key="path"):
    """The documented way back to the bytes."""
    if key + "_b64" in o:
        return base64.b64decode(o[key + "_b64"], validate=True)
    return o[key].encode()


def opens(paths, want):
    """Which of paths fail to open, and which wanted ones are missing."""
    bad = []
    for p in paths:
        try:
            with open(p, "rb") as f:
                if want.get(p) != f.read():
                    bad.append("%r: other content" % p)
        except OSError as e:
            bad.append("%r: %s" % (p, e.strerror))
    missing = sorted(set(want) - set(paths))
    return bad, missing


def check_paths(t, what, paths, want, every=True):
    bad, missing = opens(paths, want)
    ok = not bad and (not every or not missing)
    t.check(ok, "%s: %d paths, each opens from Python%s" % (
        what, len(paths), " (all %d files)" % len(want) if every else ""),
        "; ".join(bad[:4] + ["missing %r" % m for m in missing[:4]]))


JQ = r"""
set -u
n=0 bad=0
while IFS= read -r b; do
	f=$(printf '%s' "$b" | base64 -d; printf x)
	f=${f%x}
	if [ -f "$f" ] && cat -- "$f" >/dev/null; then n=$((n + 1)); else bad=$((bad + 1)); fi
done < <(jq -r "$1" < "$2")
echo "$n $bad"
"""


def jq_opens(t, what, doc_file, filt, n_want):
    """The jq pipeline of the README over a saved output; counts files opened."""
    p = subprocess.run(["bash", "-c", JQ, "jq-pipeline", filt, doc_file], capture_output=True,
                       timeout=120)
    got = p.stdout.decode().split()
    t.check(p.returncode == 0 and got == [str(n_want), "0"],
            "%s through jq (%s): %d files open, none fails" % (what, filt, n_want),
            "rc %d, opened/failed %r, %s" % (p.returncode, got, p.stderr.decode()[-300:]))


def make_corpus(t, lib):
    src = t.tiles(len(NAMES), size=96, seed=23)
    want = {}
    for s, n in zip(src, NAMES):
        p = os.path.join(lib.encode(), n)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(s, "rb") as f:
            data = f.read()
        with open(p, "wb") as g:
            g.write(data)
        want[p] = data
    return want


def save(t, name, data):
    p = t.path(name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def json_outputs(t, db, lib, want, fake):
    """search, show, random, export, rules: JSON forms."""
    t.section("search --json")
    r = t.run("search", "--json", "--all-ratings", db=db)
    doc = r.json() or {}
    check_paths(t, "search --json", [decoded(o) for o in doc.get("images", [])], want)
    jq_opens(t, "search --json", save(t, "search.json", r.out),
             ".images[] | .path_b64 // (.path|@base64)", len(want))
    t.check(all(("path_b64" in o) == (decoded(o) != o["path"].encode())
                for o in doc.get("images", [])),
            "path_b64 appears exactly when the name is no UTF-8")
    t.check(any("\\x" in o["path"] for o in doc.get("images", [])),
            "a name that is no UTF-8 still has a readable \"path\" (\\xNN)")

    t.section("show --json")
    shown, lines = [], b""
    for p in sorted(want):
        r = run(t, "show", "--json", "--", p, db=db)
        if r.rc == 0:
            shown.append(decoded(r.json()))
            lines += r.out
    check_paths(t, "show --json of every file", shown, want)
    jq_opens(t, "show --json", save(t, "show.jsonl", lines), ".path_b64 // (.path|@base64)",
             len(want))

    t.section("random --json")
    picks, lines = [], b""
    for _ in range(12):
        r = t.run("random", "--json", "--all-ratings", db=db)
        picks.append(decoded(r.json() or {"path": ""}))
        lines += r.out
    check_paths(t, "random --json, 12 picks", picks, want, every=False)
    jq_opens(t, "random --json", save(t, "random.jsonl", lines), ".path_b64 // (.path|@base64)",
             12)

    t.section("export --format jsonl")
    r = t.run("export", "--format", "jsonl", "--all-ratings", "--include-suggested", db=db)
    rows = [json.loads(ln) for ln in r.out.splitlines() if ln.strip()]
    check_paths(t, "export --format jsonl", [decoded(o) for o in rows], want)
    jq_opens(t, "export jsonl", save(t, "export.jsonl", r.out), ".path_b64 // (.path|@base64)",
             len(want))

    t.section("status --json, scan --json")
    odd_db = os.path.join(t.mkdir("dbs").encode(), b"lib\xe9\x1b.db")
    r = run(t, "--db", odd_db, "status", "--json")
    t.eq(decoded(r.json() or {"database": ""}, "database"), odd_db,
         "status --json: a database path that is no UTF-8 comes back byte for byte")
    latin = os.path.join(lib.encode(), b"dir\xe9 latin")
    r = run(t, "scan", "--json", latin, db=db)
    docs = r.json() or []
    t.eq([decoded(o, "dir") for o in docs], [latin], "scan --json: the folder comes back too")

    t.section("rules --json folders")
    folder = os.path.join(lib.encode(), b"dir\xe9 latin")
    r = run(t, "rules", "set", folder, "general_threshold", "0.5", db=db)
    t.eq(r.rc, 0, "rules set on a folder whose name is no UTF-8")
    r = t.run("rules", "list", "--json", db=db)
    doc = r.json() or {}
    got = [decoded(o, "folder") for o in doc.get("overrides", [])]
    t.eq(got, [folder], "rules list --json gives the folder back byte for byte")


def plain_outputs(t, db, want):
    """Plain output to a pipe: the bytes as they are; -0 for xargs -0."""
    t.section("plain output to a pipe")
    r = t.run("search", "--all-ratings", "--sort", "path", db=db, check_output=False)
    t.eq(r.out, b"".join(p + b"\n" for p in sorted(want)),
         "search to a pipe: each path's bytes as they are, one a line, as ls does")
    env = t.env()
    cmd = [t.tagcon, "--db", db, "search", "--all-ratings"]
    # Every name but the one holding a newline survives `xargs -d '\n'`.
    p = subprocess.run(cmd + ["-path:line"], stdout=subprocess.PIPE, env=env, timeout=60)
    x = subprocess.run(["xargs", "-d", "\n", "cat", "--"], input=p.stdout,
                       capture_output=True, env=env, timeout=60)
    t.check(x.returncode == 0 and len(x.stdout) == sum(
        len(d) for k, d in want.items() if b"\n" not in k),
        "search | xargs -d '\\n' cat: every file but new\\nline.jpg opens",
        "rc %d %s" % (x.returncode, x.stderr[-300:]))
    for args in (["search", "-0", "--all-ratings"], ["search", "--null", "--all-ratings"]):
        p = subprocess.run([t.tagcon, "--db", db] + args, stdout=subprocess.PIPE, env=env,
                           timeout=60)
        x = subprocess.run(["xargs", "-0", "ls", "-d", "--"], input=p.stdout,
                           capture_output=True, env=env, timeout=60)
        t.check(p.returncode == 0 and x.returncode == 0 and
                sorted(p.stdout.split(b"\0")[:-1]) == sorted(want),
                "%s | xargs -0 ls: every file, NUL-terminated raw bytes" % " ".join(args),
                "rc %d/%d %s" % (p.returncode, x.returncode, x.stderr[-300:]))
    picks = set()
    for _ in range(8):
        p = subprocess.run([t.tagcon, "--db", db, "random", "-0", "--all-ratings"],
                           stdout=subprocess.PIPE, env=env, timeout=60)
        if p.stdout.endswith(b"\0"):
            picks.add(p.stdout[:-1])
    bad, _ = opens(sorted(picks), want)
    t.check(picks and not bad, "random -0: a NUL-terminated raw path that opens (%d picks)"
            % len(picks), "; ".join(bad))
    # watch -0 / --json: the event of a file that arrives with a hostile name.
    for flag in ("-0", "--json"):
        name = b"arr\xe9\nived %s.jpg" % flag.encode()
        w = t.spawn("watch", flag, os.path.dirname(sorted(want)[0]).decode(), db=db,
                    name="watch%s" % flag)
        # Plain mode says "watching" once ready; --json says nothing on stderr.
        deadline = time.monotonic() + (10 if flag == "-0" else 1)
        while time.monotonic() < deadline and b"watching" not in w.stderr():
            time.sleep(0.1)
        dest = os.path.join(os.path.dirname(sorted(want)[0]), name)
        with open(sorted(want)[0], "rb") as f, open(dest + b".part", "wb") as g:
            g.write(f.read()[:-2] + b"\xff\xd9" + flag.encode())  # other content
        os.rename(dest + b".part", dest)
        got, deadline = None, time.monotonic() + 20
        while time.monotonic() < deadline and got is None:
            time.sleep(0.1)
            out = w.stdout()
            if flag == "-0":
                recs = out.split(b"\0")[:-1]
                got = next((r.split(b" ", 1)[1] for r in recs if r.startswith(b"indexed ")
                            and r.endswith(b".jpg") and b"arr" in r), None)
            else:
                for ln in out.splitlines():
                    o = json.loads(ln)
                    if o.get("event") == "indexed" and "arr" in o.get("path", ""):
                        got = decoded(o)
        w.signal(signal.SIGINT)
        w.wait(20)
        t.eq(got, dest, "watch %s: the arrival's event gives its exact bytes" % flag)
        os.unlink(dest)

    # A report (show) stays escaped everywhere; its --json carries the bytes.
    latin = [k for k in want if b"caf" in k][0]
    r = run(t, "show", "--", latin, db=db)
    t.check(r.rc == 0 and latin.replace(b"\xe9", b"\\xe9") in r.out,
            "show (a report) to a pipe: the path escaped", r.out[:120])


def terminal_output(t, db, want):
    """On a terminal the names are escaped: nothing drives it."""
    t.section("plain output on a terminal (tmux)")
    if shutil.which("tmux") is None:
        t.check(False, "tmux is installed (scripts/common.sh test_packages)")
        return
    sock = "tagcon-paths-%d" % os.getpid()
    env = t.env({"TERM": "xterm-256color", "TMUX": None})
    script = t.path("term.sh")
    with open(script, "w") as f:
        f.write("%s --db %s search --all-ratings --sort path; echo '[search-done]'; "
                "%s --db %s random -0 --all-ratings 'path:del'; echo; echo '[random-done]'; "
                "sleep 60\n" % (t.tagcon, db, t.tagcon, db))
    tmux = ["tmux", "-L", sock, "-f", "/dev/null"]
    try:
        subprocess.run(tmux + ["new-session", "-d", "-x", "320", "-y", "40", "bash", script],
                       env=env, check=True, timeout=20)
        screen = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and b"[random-done]" not in screen:
            time.sleep(0.2)
            screen = subprocess.run(tmux + ["capture-pane", "-p", "-e", "-J"], env=env,
                                    capture_output=True, timeout=20).stdout
        text = screen.decode("utf-8", "replace")
        for shown in ("caf\\xe9.jpg", "new\\nline.jpg", "tab\\there.jpg", "esc\\e[31mred.jpg",
                      "csi\\u{9b}2J.jpg", "rtl\\u{202e}gpj.exe.jpg", "bad\\xff\\xfeseq.jpg",
                      "del\\x7fcr\\r.jpg"):
            t.check(shown in text, "terminal shows %s escaped" % shown)
        t.check("\x1b[31m" not in text, "no name turned the terminal red (capture-pane -e)")
        after = text.split("[search-done]", 1)[-1].split("[random-done]", 1)[0]
        t.check("del\\x7fcr\\r.jpg" in after and "\x7f" not in after,
                "random -0 on a terminal: escaped too", repr(after[-200:]))
    finally:
        subprocess.run(tmux + ["kill-server"], env=env, capture_output=True, timeout=20)


def body(t):
    lib = t.mkdir("lib")
    want = make_corpus(t, lib)
    db = t.path("lib.db")
    fake = t.fake("--service-ms", "5")
    srv, url = receiver()
    t.config(db, "spaces", fake.url)
    t.config(db, "notify_url", url)
    t.config(db, "notify_each", "true")
    t.config(db, "max_rating", "e")

    t.section("scan and batch --json over the corpus")
    r = t.run("scan", lib, db=db, check_output=False)
    t.eq(r.rc, 0, "scan of %d hostile names" % len(want))
    r = t.run("batch", "--json", db=db, timeout=300)
    t.eq(r.rc, 0, "batch --json over the corpus")
    events = [json.loads(ln) for ln in r.out.splitlines() if ln.strip()]
    done = [decoded(e) for e in events if e.get("event") == "done"]
    check_paths(t, "batch --json done events", done, want)
    jq_opens(t, "batch --json", save(t, "batch.jsonl", r.out),
             'select(.event == "done") | .path_b64 // (.path|@base64)', len(want))

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(b'"finish"' in b for b in Receiver.bodies):
        time.sleep(0.1)
    srv.shutdown()
    hooks, broken = [], []
    for b in Receiver.bodies:
        try:
            hooks.append(json.loads(b.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as e:
            broken.append("%r: %s" % (b[:60], e))
    t.check(hooks and not broken, "every webhook body is valid JSON (%d bodies)"
            % len(Receiver.bodies), "; ".join(broken[:3]))
    tagged = [decoded(h) for h in hooks if h.get("event") == "tagged"]
    check_paths(t, "webhook bodies (notify_each)", tagged, want)
    jq_opens(t, "webhook", save(t, "hooks.jsonl", b"\n".join(Receiver.bodies) + b"\n"),
             'select(.event == "tagged") | .path_b64 // (.path|@base64)', len(want))

    t.section("tag --json")
    some = sorted(want)[:6]
    r = run(t, "tag", "--json", "--", *some, db=db, timeout=120)
    rows = r.json() or []
    check_paths(t, "tag --json of 6 files (one array)", [decoded(o) for o in rows],
                {k: want[k] for k in some})
    jq_opens(t, "tag --json", save(t, "tag.json", r.out), ".[] | .path_b64 // (.path|@base64)",
             len(some))

    json_outputs(t, db, lib, want, fake)
    plain_outputs(t, db, want)
    terminal_output(t, db, want)
    fake.stop()


if __name__ == "__main__":
    batchlib.Suite("paths").main(body)
