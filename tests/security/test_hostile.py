#!/usr/bin/env python3
"""test_hostile.py — hostile hubs, files and names against the real binary.

    python3 tests/security/test_hostile.py build/tui/tagcon

Each section is one finding of the review that attacked tagcon (issue 12),
checked the way the attacker did it:
  - a hub that names a host of its own choosing for a Space page: refused by
    name, and neither the token nor an image goes there;
  - exports through planted symlinks: `--mode append` onto a caption that is
    a link to a private key, `--out DIR` with a folder below it that is a
    link out of DIR, JSON Lines onto an existing file or a link;
  - names that drive terminals: file names with C1 and bidi controls in
    every JSON Lines line and --json document; tag names holding them are
    refused, from the shell and from a caption import;
  - the run lock file planted as a symlink: never truncated through it.
"""
import http.server
import json
import os
import socket
import sqlite3
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import tctest  # noqa: E402

PAGE = "https://huggingface.co/spaces/SmilingWolf/wd-tagger"
BIDI = ("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
        "\u2069", "\u200e", "\u200f", "\u061c")


def harmful(text):
    """The first terminal-driving character of text (C0 but newline, DEL, C1,
    bidi), or None."""
    for ch in text:
        o = ord(ch)
        if (o < 0x20 and ch != "\n") or o == 0x7f or 0x80 <= o <= 0x9f or ch in BIDI:
            return repr(ch)
    return None


class Hub(http.server.BaseHTTPRequestHandler):
    """A hub that answers every Space with a host of its own choosing."""
    host_answer = "https://evil.example.net"
    seen = []

    def do_GET(self):
        Hub.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.endswith("/host"):
            body = json.dumps({"host": Hub.host_answer}).encode()
        else:
            body = json.dumps({"runtime": {"stage": "RUNNING"}, "stage": "RUNNING"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def hostile_hub(s, db, img):
    s.section("a hub naming another host for a Space page")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    hub = "http://127.0.0.1:%d" % srv.server_address[1]
    token = "hf_" + os.urandom(17).hex()
    env = {"HF_ENDPOINT": hub, "HF_TOKEN": token}
    for answer in ("https://evil.example.net", "https://huggingface.co.evil.example.net",
                   "https://evil.example.net/.hf.space", "http://x.hf.space"):
        Hub.host_answer = answer
        Hub.seen.clear()
        r = s.tagcon_run("spaces", "--json", PAGE, db=db, env=env)
        err = ((r.json() or [{}])[0].get("error") or {})
        host = answer.split("//", 1)[1].split("/", 1)[0]
        s.check(r.rc == 3 and host in err.get("message", "") and "refused" in err.get(
            "message", ""), "hub answers %s: spaces refuses it by name, exit 3" % answer,
            r.describe())
        r = s.tagcon_run("tag", "--space", PAGE, img, db=db, env=env)
        s.check(r.rc == 3 and host.encode() in r.err and r.err.count(b"\n") == 1,
                "hub answers %s: tag refuses it by name on one line, exit 3" % answer,
                r.describe())
        s.check(token.encode() not in r.out + r.err, "hub answers %s: the token is never "
                "printed" % answer)
    srv.shutdown()


def export_links(s, db, root):
    s.section("exports through planted symlinks")
    key = os.path.join(s.root, "id_key")
    s.write(key, b"-----BEGIN PRIVATE KEY-----\nsecret\n", mode=0o600)
    cap = os.path.join(root, "a.txt")
    os.symlink(key, cap)
    r = s.tagcon_run("export", "--format", "txt", "--mode", "append", db=db)
    s.check(r.rc == 1 and b"a.txt" in r.err and b"symbolic link" in r.err,
            "append onto a caption that is a link: refused, naming it", r.describe())
    with open(key, "rb") as f:
        s.eq(f.read(), b"-----BEGIN PRIVATE KEY-----\nsecret\n", "the link's target is intact")
    s.check(os.path.islink(cap) and os.readlink(cap) == key, "the link itself is intact")
    s.eq(os.stat(key).st_mode & 0o777, 0o600, "the key keeps its mode")
    for mode in ("keep", "replace"):
        r = s.tagcon_run("export", "--format", "txt", "--mode", mode, db=db)
        s.check(r.rc == 1 and os.path.islink(cap) and open(key, "rb").read().startswith(
            b"-----BEGIN"), "--mode %s onto the link: refused, nothing changed" % mode,
            r.describe())
    os.unlink(cap)

    out = s.mkdir("out")
    outside = s.mkdir("outside")
    os.symlink(outside, os.path.join(out, "sub"))
    r = s.tagcon_run("export", "--format", "txt", "--out", out, db=db)
    s.check(r.rc == 1 and b"out/sub" in r.err and b"symbolic link" in r.err,
            "--out with a folder below it that is a link out: refused", r.describe())
    s.check(os.path.isfile(os.path.join(out, "a.txt")), "the caption beside it is written")
    s.eq(os.listdir(outside), [], "nothing was written outside --out")

    jl = os.path.join(s.root, "all.jsonl")
    s.write(jl, b"precious\n")
    r = s.tagcon_run("export", "--format", "jsonl", "--out", jl, db=db)
    s.check(r.rc != 0 and b"exists" in r.err and open(jl, "rb").read() == b"precious\n",
            "JSON Lines onto an existing file without --mode: refused, kept", r.describe())
    r = s.tagcon_run("export", "--format", "jsonl", "--out", jl, "--mode", "append", db=db)
    lines = open(jl, "rb").read().splitlines()
    s.check(r.rc == 0 and lines[0] == b"precious" and len(lines) > 1,
            "--mode append adds lines after what was there", r.describe())
    r = s.tagcon_run("export", "--format", "jsonl", "--out", jl, "--mode", "replace", db=db)
    lines = open(jl, "rb").read().splitlines()
    s.check(r.rc == 0 and b"precious" not in lines and all(json.loads(x) for x in lines),
            "--mode replace writes the file anew", r.describe())
    link = os.path.join(s.root, "link.jsonl")
    os.symlink(key, link)
    for mode in ("replace", "append"):
        r = s.tagcon_run("export", "--format", "jsonl", "--out", link, "--mode", mode, db=db)
        s.check(r.rc != 0 and b"symbolic link" in r.err and os.path.islink(link) and
                open(key, "rb").read().startswith(b"-----BEGIN"),
                "JSON Lines --mode %s onto a link: refused, the target intact" % mode,
                r.describe())


def terminal_names(s, db, root):
    s.section("names that drive terminals")
    for name in ("rtl\u202eevil.png", "csi\u009b2J.png", "iso\u2066late.png"):
        s.write(os.path.join(root, name), s.image_bytes("png", 12, 9))
    r = s.scan(db, root)
    s.check(r.rc in (0, 1), "scan the hostile names", r.describe())
    for tag in ("bad\u202etag", "csi\u009btag", "del\x7ftag"):
        r = s.tagcon_run("edit", os.path.join(root, "a.png"), "+" + tag, db=db)
        s.check(r.rc != 0 and b"tag name" in r.err, "edit +%r: refused" % tag, r.describe())
    for name in ("rtl\u202eevil.png", "csi\u009b2J.png"):
        r = s.tagcon_run("edit", os.path.join(root, name), "+plain", db=db)
        s.check(r.rc == 0, "a manual tag on %r" % name, r.describe())
    r = s.tagcon_run("export", "--format", "jsonl", db=db)
    text = r.out.decode("utf-8", "replace")
    s.check(r.rc == 0 and harmful(text) is None and len(text.splitlines()) >= 2,
            "JSON Lines: no raw C1 or bidi control, whatever the names", harmful(text) or "")
    docs = [json.loads(x) for x in text.splitlines()]
    paths = {d.get("path") for d in docs}
    s.check(any(p and "\u202e" in p for p in paths),
            "JSON Lines: the bidi control is in the path, as an escape JSON reads back",
            repr(paths))
    for args in (("search", "--json", "tag:plain"), ("show", "--json",
                                                     os.path.join(root, "rtl\u202eevil.png"))):
        r = s.tagcon_run(*args, db=db)
        s.check(r.rc == 0 and harmful(r.out.decode("utf-8", "replace")) is None,
                "%s --json: no raw C1 or bidi control" % args[0], r.describe())
    cap = os.path.join(root, "a.txt")
    s.write(cap, "fine, bad\u202etag, csi\u009btag\n".encode())
    r = s.tagcon_run("import", "--format", "txt", root, db=db)
    con = sqlite3.connect(db)
    bad = [n for (n,) in con.execute("SELECT name FROM tags") if harmful(n)]
    con.close()
    s.check(r.rc in (0, 1) and bad == [], "a caption's hostile tag names are not stored",
            repr(bad))
    os.unlink(cap)


def lock_link(s, db):
    s.section("the run lock file as a planted symlink")
    victim = os.path.join(s.root, "victim")
    s.write(victim, b"keep me\n")
    os.symlink(victim, db + ".lock")
    r = s.tagcon_run("batch", "--space", "http://127.0.0.1:9", db=db, timeout=60)
    s.check(r.rc != 0 and b"lock" in r.err and b"symbolic link" in r.err,
            "batch with a planted lock link: refused, naming it", r.describe())
    s.eq(open(victim, "rb").read(), b"keep me\n", "the link's target is not truncated")
    os.unlink(db + ".lock")


def main():
    s = tctest.Suite("security")
    root = s.mkdir("lib")
    img = s.write(os.path.join(root, "a.png"), s.image_bytes("png", 16, 12)).decode()
    deep = s.write(os.path.join(root, "sub", "b.png"), s.image_bytes("png", 14, 12)).decode()
    db = os.path.join(s.root, "lib.db")
    r = s.scan(db, root)
    s.check(r.rc == 0, "scan the library", r.describe())
    for path in (img, deep):
        r = s.tagcon_run("edit", path, "+long_hair", "+smile", db=db)
        s.check(r.rc == 0, "manual tags to export", r.describe())
    hostile_hub(s, db, img)
    export_links(s, db, root)
    terminal_names(s, db, root)
    lock_link(s, db)
    s.finish()


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    main()
