#!/usr/bin/env python3
"""test_webhook.py — the notification URL as a hostile or broken peer.

    python3 tests/security/test_webhook.py build/tui/tagcon

A batch over a fake Space posts to receivers this script runs on 127.0.0.1:
  - names that are not UTF-8 and names with bidi controls: every body that
    arrives is valid JSON, with no raw control character;
  - a receiver slow to answer the first message: the others still arrive,
    and "finish" is the last one that does;
  - a receiver that is down: the run's exit is not held by it (compared with
    the same run without notify_url), and what was not delivered is said;
  - credentials in notify_url: never printed (warnings, config list).
"""
import http.server
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "batch"))
import batchlib  # noqa: E402

BIDI = ("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
        "\u2069", "\u200e", "\u200f", "\u061c")


class Receiver(http.server.BaseHTTPRequestHandler):
    bodies = []
    slow_first_s = 0.0
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Receiver.lock:
            first = not Receiver.bodies
            Receiver.bodies.append(body)
        if first and Receiver.slow_first_s:
            time.sleep(Receiver.slow_first_s)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def receiver():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, "http://127.0.0.1:%d/hook" % srv.server_address[1]


def dead_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def bad_names(t, lib):
    """Images whose names a terminal or a JSON parser would choke on."""
    src = t.tiles(6, size=96, seed=11)
    names = [b"caf\xe9.jpg", "rtl\u202eevil.jpg".encode(), b"plain.jpg", "csi\u009b.jpg"
             .encode(), b"sp ace.jpg", b"x.jpg"]
    for s, n in zip(src, names):
        with open(s, "rb") as f, open(os.path.join(lib.encode(), n), "wb") as g:
            g.write(f.read())


def body(t):
    lib = t.mkdir("lib")
    bad_names(t, lib)
    db = t.path("lib.db")
    fake = t.fake("--service-ms", "20")
    t.config(db, "spaces", fake.url)
    t.config(db, "notify_each", "true")
    srv, url = receiver()

    t.section("bodies are valid JSON whatever the names")
    t.config(db, "notify_url", url)
    t.run("scan", lib, db=db)
    r = t.run("batch", "--quiet", db=db)
    t.eq(r.rc, 0, "batch over names that are no UTF-8 and bidi controls")
    time.sleep(0.2)
    docs, bad = [], []
    for b in Receiver.bodies:
        try:
            docs.append(json.loads(b.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as e:
            bad.append("%r: %s" % (b[:80], e))
        if any(c in b.decode("utf-8", "replace") for c in BIDI) or b"\xc2\x9b" in b:
            bad.append("raw control in %r" % b[:80])
    t.check(not bad and len(docs) == 7, "7 bodies (6 images, finish), each valid JSON without "
            "a raw control", "; ".join(bad) or "%d bodies" % len(docs))
    t.eq(docs[-1].get("event") if docs else None, "finish", "finish is the last body")

    t.section("a slow first answer holds no other message")
    Receiver.bodies.clear()
    Receiver.slow_first_s = 6.0
    r = t.run("batch", "--force", "--quiet", db=db)
    time.sleep(0.5)
    events = [json.loads(b).get("event") for b in Receiver.bodies]
    t.check(r.rc == 0 and len(events) == 7 and events[-1] == "finish",
            "every message arrives and finish is the last", repr(events))
    Receiver.slow_first_s = 0.0
    srv.shutdown()

    t.section("a dead receiver does not hold the exit")
    t.config(db, "notify_url", "")
    r0 = t.run("batch", "--force", "--quiet", db=db)
    t.config(db, "notify_url", "http://user:s3cret-pw@127.0.0.1:%d/hook" % dead_port())
    r1 = t.run("batch", "--force", "--quiet", db=db)
    t.check(r1.rc == 0 and b"not delivered" in r1.err, "the run says what was not delivered",
            r1.describe())
    t.check(r1.elapsed - r0.elapsed < 6.0, "the exit comes within a few seconds of the same "
            "run without a receiver (%.1f s vs %.1f s; it was 15 s more)" % (r1.elapsed,
                                                                           r0.elapsed))
    t.check(b"s3cret-pw" not in r1.err + r1.out, "the URL's password is not printed",
            r1.describe())
    r = t.run("config", "list", db=db)
    t.check(b"s3cret-pw" not in r.out + r.err and b"notify_url" in r.out,
            "config list masks the URL's password", r.describe())
    r = t.run("config", "get", "notify_url", db=db)
    t.check(r.rc == 0, "config get notify_url still gives the value to scripts", r.describe())
    fake.stop()


if __name__ == "__main__":
    batchlib.Suite("webhook").main(body)
