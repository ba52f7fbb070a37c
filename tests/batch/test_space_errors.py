#!/usr/bin/env python3
"""test_space_errors.py — failures named right on every Gradio a Space may run, and no token in
any of them (issue 12).

  - an event the Space no longer has (it expired, or the Space restarted between the call and
    its stream): the stream says "404: Not Found" (5.x, 6.x) or "404: Session not found."
    (4.x) and the connection drops.  The image is sent again and spends no attempt
    (max_attempts 1), and the Space is never called failing;
  - Gradio >= 6.15 behind its Node proxy answers 502 text/plain "Bad Gateway" while Python
    starts or restarts: `spaces` calls the Space waking; a batch waits for it without spending
    attempts and uses it once it answers, at the start and after a restart mid-run;
  - a Space that quotes the request's Authorization header back in its errors, the token
    straddling the 200th character where a message is cut (in the POST's 500 answer and in the
    stream's error event, as each Gradio words it): no 6 characters of the token in stderr,
    --json output, the database files (images.error, run_spaces.last_error) or the bodies of
    the notify_url webhook.

    python3 tests/batch/test_space_errors.py build/tui/tagcon
"""
import http.server
import os
import random
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402

PAGE = "https://huggingface.co/spaces/SmilingWolf/wd-tagger"
NOT_FOUND = {4: "404: Session not found.", 5: "404: Not Found", 6: "404: Not Found"}


def events(r):
    return [e for e in r.lines() if isinstance(e, dict)]


def space_states(ev):
    return [e.get("state") for e in ev if e.get("event") == "space"]


def library(t, name, n, seed):
    """n distinct images scanned into a fresh database: (paths, db)."""
    paths = t.tree(t.mkdir(name), t.tiles(n, size=128, seed=seed))
    db = t.path("%s.db" % name)
    t.eq(t.run("scan", t.path(name), db=db).rc, 0, "%s: scan %d images" % (name, n))
    return paths, db


def all_tagged_free(t, db, paths, what):
    """Every image tagged, and none spent an attempt on the way."""
    imgs = t.images(db)
    got = sorted({(imgs[p]["state"], imgs[p]["attempts"]) for p in paths})
    t.eq(got, [("tagged", 0)], "%s: every image tagged, no attempt spent" % what)


# -- the event is gone ------------------------------------------------------------------------

def lost_events(t, mode):
    n = 8
    what = "gradio %d, lost events" % mode
    t.section(what)
    paths, db = library(t, "lost%d" % mode, n, 40 + mode)
    fake = t.fake("--gradio", mode, "--service-ms", 30, "--fault", "lost_event:0.5",
                  "--seed", 3)
    t.config(db, "spaces", fake.url)
    t.config(db, "max_attempts", "1")
    r = t.run("batch", "--json", db=db, timeout=120)
    t.eq(r.rc, 0, "%s: batch exits 0" % what)
    st = fake.stats()
    lost = st["faults_injected"].get("lost_event", 0)
    t.check(lost >= 2, "%s: the Space lost events (%d)" % (what, lost), st["faults_injected"])
    t.eq(st["requests"].get("not_found", 0), lost,
         "%s: each lost event's stream was read and said %s" % (what, NOT_FOUND[mode]))
    t.eq(st["predictions_completed"], n, "%s: each image answered once" % what)
    all_tagged_free(t, db, paths, what)
    ev = events(r)
    retries = [e for e in ev if e.get("event") == "retry"]
    t.eq(len(retries), lost, "%s: one retry per lost event" % what)
    want = "no longer has this request, expired or lost in a restart (%s)" % NOT_FOUND[mode]
    t.check(retries and all(want in (e.get("error") or "") for e in retries),
            "%s: each retry says the Space no longer has the request" % what, retries[:1])
    t.check(retries and all(e.get("attempts") == 0 for e in retries),
            "%s: retries spent no attempt" % what, retries[:2])
    states = space_states(ev)
    t.check(states and "failing" not in states and set(states) <= {"probing", "ready", "busy"},
            "%s: the Space was never failing (states %s)" % (what, sorted(set(states))))
    row = ((t.runs(db) or [{}])[-1].get("spaces") or [{}])[0]
    t.check(row.get("state") in ("ready", "busy") and row.get("failed") == 0 and
            row.get("done") == n, "%s: run_spaces: ready, nothing failed, all done" % what,
            row)
    fake.stop()


def always_lost(t):
    """A Space that loses every request is broken, not restarting: the batch ends."""
    what = "a Space that loses every request"
    t.section(what)
    paths, db = library(t, "alwayslost", 2, 61)
    fake = t.fake("--service-ms", 10, "--fault", "lost_event:1.0")
    t.config(db, "spaces", fake.url)
    t.config(db, "max_attempts", "2")
    r = t.run("batch", "--json", db=db, timeout=120)
    t.check(r.rc == 1 and r.elapsed < 90, "%s: the batch ends, exit 1" % what, r.describe())
    imgs = t.images(db)
    t.eq(sorted(imgs[p]["state"] for p in paths), ["failed", "failed"],
         "%s: its images fail with their attempts spent" % what)
    calls = fake.stats()["faults_injected"].get("lost_event", 0)
    t.check(calls < 60, "%s: a bounded number of requests (%d)" % (what, calls))
    fake.stop()


# -- 502 Bad Gateway: a Space starting behind Gradio 6's Node proxy -------------------------------

def bad_gateway(t):
    what = "gradio 6, 502 while starting"
    t.section(what)
    n = 6
    paths, db = library(t, "gateway", n, 50)
    fake = t.fake("--gradio", 6, "--service-ms", 30, "--bad-gateway-s", 4)
    r = t.run("spaces", "--json", fake.url, db=db, timeout=30)
    err = ((r.json() or [{}])[0].get("error") or {})
    t.check(err.get("class") == "waking" and "Bad Gateway" in (err.get("message") or ""),
            "%s: spaces calls it waking (Bad Gateway)" % what, r.describe())
    t.config(db, "spaces", fake.url)
    t.config(db, "max_attempts", "1")
    r = t.run("batch", "--json", db=db, timeout=120)
    t.eq(r.rc, 0, "%s: batch exits 0" % what)
    st = fake.stats()
    t.check(st["requests"].get("bad_gateway", 0) >= 2, "%s: the Space did answer 502 to the "
            "probe and the batch" % what, st["requests"])
    t.eq(st["predictions_completed"], n, "%s: each image answered once" % what)
    all_tagged_free(t, db, paths, what)
    states = space_states(events(r))
    t.check("waking" in states and "failing" not in states and
            states[-1:] in (["ready"], ["busy"]) and states.index("waking") <
            max(i for i, s in enumerate(states) if s in ("ready", "busy")),
            "%s: waking, then ready; never failing" % what, states)

    what = "gradio 6, a restart mid-run"
    t.section(what)
    n = 12
    paths, db = library(t, "restart", n, 51)
    fake.post("/__fake/settings", {"service_ms": 150})
    before = fake.stats()["predictions_completed"]
    t.config(db, "spaces", fake.url)
    t.config(db, "max_attempts", "1")
    t.config(db, "space_inflight", "1")
    proc = t.spawn("batch", "--json", db=db, name="batch-restart")
    started = batchlib.wait_for(lambda: fake.stats()["predictions_completed"] - before >= 3, 60)
    t.check(started, "%s: three images tagged before the restart" % what)
    fake.post("/__fake/settings", {"bad_gateway_s": 3})
    rc = proc.wait(120)
    if rc is None:
        proc.kill()
    t.check_proc_output(proc, ["batch", "--json"])
    t.eq(rc, 0, "%s: batch exits 0" % what)
    all_tagged_free(t, db, paths, what)
    ev = [e for e in proc.events() if isinstance(e, dict)]
    states = space_states(ev)
    t.check("waking" in states and "failing" not in states and states[-1:] in (["ready"],
                                                                              ["busy"]),
            "%s: the Space went waking and came back; never failing" % what, states)
    t.check(any("Space starting (HTTP 502: Bad Gateway)" in (e.get("error") or "") for e in ev
                if e.get("event") == "retry"), "%s: the retry says the Space is starting" % what)
    fake.stop()


# -- the token echoed back ---------------------------------------------------------------------

class Hook(http.server.BaseHTTPRequestHandler):
    """notify_url: keeps every body posted to it."""

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.server.bodies.append(self.rfile.read(n))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def token_pieces(token):
    return [token[i:i + 6].encode() for i in range(len(token) - 5)]


def leaked(data, pieces):
    return [p.decode() for p in pieces if p in data]


def a_token():
    """An hf_ token of 34 letters that cannot be mistaken for anything a database holds: no
    hex digit (hashes), alternating case (no word)."""
    rnd = random.SystemRandom()
    letters = "ghijklmnopqrstuvwxyz"
    return "hf_" + "".join(rnd.choice(letters).upper() if i % 2 else rnd.choice(letters)
                           for i in range(34))


def echoed_token(t, mode):
    """A webhook of its own: what it gets is this mode's alone."""
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    hook.bodies = []
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        echo_run(t, mode, hook)
    finally:
        hook.shutdown()
        hook.server_close()


def echo_run(t, mode, hook):
    what = "gradio %d, the token echoed" % mode
    t.section(what)
    token = a_token()
    t.secrets.append(token)
    pieces = token_pieces(token)
    paths, db = library(t, "echo%d" % mode, 3, 60 + mode)
    fake = t.fake("--gradio", mode, "--service-ms", 20, "--token", token, "--fault", "echo_auth")
    env = {"HF_ENDPOINT": fake.url, "HF_TOKEN": token}
    t.config(db, "spaces", PAGE)
    t.config(db, "max_attempts", "1")  # a failing Space backs off: one request per image
    t.config(db, "notify_url", "http://127.0.0.1:%d/hook" % hook.server_address[1])
    t.config(db, "notify_each", "on")
    del hook.bodies[:]
    runs = [t.run("batch", "--json", db=db, env=env, timeout=120),
            t.run("batch", "--force", db=db, env=env, timeout=120),
            t.run("tag", "--space", PAGE, paths[0], db=db, env=env, timeout=60),
            t.run("tag", "--json", "--space", PAGE, paths[1], db=db, env=env, timeout=60),
            t.run("show", "--json", paths[2], db=db, env=env),
            t.run("batch", "status", "--json", db=db, env=env)]
    t.note("%s: %s" % (what, ", ".join("%.1f s" % r.elapsed for r in runs)))
    hits = fake.stats()["faults_injected"].get("echo_auth", 0)
    t.check(hits >= 4, "%s: the Space echoed the token in both ways (%d times)" % (what, hits))
    t.eq(runs[0].rc, 1, "%s: batch --json: the images failed" % what)
    out = b"".join(r.out + r.err for r in runs)
    t.eq(leaked(out, pieces), [], "%s: no 6 characters of the token in any output" % what)
    t.check(b"Bearer [token]" in runs[0].out and b"Bearer [token]" in runs[1].err and
            b"Bearer [token]" in runs[2].err,
            "%s: the messages quote the echo with the token redacted (--json, stderr)" % what,
            runs[1].err[-300:])

    errors = [e for (e,) in t.sql(db, "SELECT error FROM images WHERE error IS NOT NULL")]
    last = [e for (e,) in t.sql(db, "SELECT last_error FROM run_spaces WHERE last_error IS NOT "
                                "NULL")]
    t.check(errors and all("[token]" in e for e in errors),
            "%s: images.error holds the redacted echo" % what, errors[:1])
    t.check(last and all("[token]" in e for e in last),
            "%s: run_spaces.last_error holds the redacted echo" % what, last[:1])
    t.eq(leaked("\n".join(errors + last).encode(), pieces), [],
         "%s: no 6 characters of the token in images.error, run_spaces.last_error" % what)
    files = [n for n in os.listdir(t.root) if n.startswith("echo%d.db" % mode)]
    data = b"".join(open(t.path(n), "rb").read() for n in files)
    t.eq(leaked(data, pieces), [], "%s: no 6 characters of the token in the database files "
         "(%s)" % (what, ", ".join(sorted(files))))

    batchlib.wait_for(lambda: any(b"[token]" in b for b in hook.bodies), 10)
    bodies = b"\n".join(hook.bodies)
    t.check(b"[token]" in bodies, "%s: the webhook got the redacted failures" % what,
            "%d bodies" % len(hook.bodies))
    t.eq(leaked(bodies, pieces), [], "%s: no 6 characters of the token in the webhook" % what)
    fake.stop()


def body(t):
    # Eight cases, each with its libraries, Spaces and webhook: they wait out their backoffs at
    # once, and their checks are reported case by case.
    t.cases(*[lambda u, m=m: lost_events(u, m) for m in (6, 5, 4)], always_lost, bad_gateway,
            *[lambda u, m=m: echoed_token(u, m) for m in (6, 5, 4)])


if __name__ == "__main__":
    batchlib.Suite("space-errors").main(body)
