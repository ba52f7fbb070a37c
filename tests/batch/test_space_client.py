#!/usr/bin/env python3
"""test_space_client.py — `tagcon tag` and `tagcon spaces` against the fake Space (issue 3).

  - Gradio 5.x and 4.x: spaces reports version, api prefix, models; tag stores exactly the
    scores the fake computed for the bytes it received (every score >= floor, names in
    Danbooru form, categories right), prints the tags above the user's thresholds;
  - a page URL https://huggingface.co/spaces/OWNER/NAME resolved by the fake hub
    (HF_ENDPOINT), with its runtime stage; a sleeping Space's stage;
  - a Space that wants a token: none (a clear "token" message, exit 3), HF_TOKEN,
    $HF_HOME/token, ~/.cache/huggingface/token, a wrong one; the token never appears in any
    output, in the database files or anywhere tagcon writes;
  - every fault of the fake gives its own clear one-line message and the right exit status
    (1: this image failed; 3: no Space could be used), within request_deadline for hangs;
  - the official Gradio JS client (tests/conformance/client.mjs) gets the same answer as
    tagcon for the same bytes (upload_max_side 0), in 5.x and 4.x modes;
  - the A1111 WD14 tagger API in both response shapes.

    python3 tests/batch/test_space_client.py build/tui/tagcon
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402
from batchlib import fake_space  # noqa: E402

FLOOR = 0.05
GTHR, CTHR = 0.35, 0.85
VIT3 = "SmilingWolf/wd-vit-tagger-v3"
PAGE = "https://huggingface.co/spaces/SmilingWolf/wd-tagger"


def expected_scores(sha, model):
    """{canonical name: (category, score)} for every tag >= floor, and the 4 ratings."""
    scores = fake_space.compute_scores(sha, model)
    tags, ratings = {}, {}
    for i, (_tid, name, cat, _count) in enumerate(fake_space.VOCAB):
        if cat == fake_space.CAT_RATING:
            ratings[name] = scores[i]
        elif scores[i] >= FLOOR:
            tags[name] = ("character" if cat == fake_space.CAT_CHARACTER else "general",
                          scores[i])
    return tags, ratings


def stored(show):
    """{tag: (category, score)} and {rating: score} from show --json."""
    tags = {p["tag"]: (p["category"], p["score"]) for p in show.get("predictions", [])
            if p.get("category") in ("general", "character")}
    ratings = dict(show.get("rating", {}).get("scores", {}))
    return tags, ratings


def close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def same_scores(got, want, with_category=True):
    """None if equal, else a short description of the first differences."""
    diffs = []
    for name in sorted(set(got) | set(want)):
        if name not in got:
            diffs.append("missing %s" % name)
        elif name not in want:
            diffs.append("extra %s" % name)
        else:
            g, w = got[name], want[name]
            if isinstance(g, tuple):
                if with_category and g[0] != w[0]:
                    diffs.append("%s category %s, want %s" % (name, g[0], w[0]))
                g, w = g[1], w[1]
            if not close(g, w):
                diffs.append("%s score %r, want %r" % (name, g, w))
    return None if not diffs else "; ".join(diffs[:6]) + (" (+%d)" % (len(diffs) - 6)
                                                          if len(diffs) > 6 else "")


def only_upload(fake):
    ups = fake.stats()["uploads_by_sha256"]
    return next(iter(ups)) if len(ups) == 1 else None


def one_line(r):
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    return len(lines) == 1 and lines[0].startswith(b"tagcon: ")


def gradio_modes(t, db, img):
    for mode in (5, 4):
        t.section("Gradio %d.x: spaces and tag" % mode)
        fake = t.fake("--gradio", mode, "--service-ms", 20)
        r = t.run("spaces", "--json", fake.url, db=db)
        doc = r.json()
        info = doc[0] if isinstance(doc, list) and doc else {}
        t.eq(r.rc, 0, "gradio %d: spaces exits 0" % mode)
        t.check(str(info.get("gradio_version", "")).startswith("%d." % mode),
                "gradio %d: spaces reports the Gradio version" % mode, info.get("gradio_version"))
        t.eq(info.get("api_prefix"), "/gradio_api" if mode == 5 else "",
             "gradio %d: spaces reports the api prefix" % mode)
        t.eq(info.get("models"), fake_space.MODELS, "gradio %d: spaces lists the 12 models" % mode)
        t.eq(info.get("error"), None, "gradio %d: spaces reports no error" % mode)
        t.check(isinstance(info.get("config_ms"), (int, float)),
                "gradio %d: spaces gives the /config answer time" % mode, info.get("config_ms"))
        r = t.run("spaces", fake.url, db=db)
        t.check(r.rc == 0 and ("%d." % mode) in r.text and "models" in r.text,
                "gradio %d: human spaces output names version and models" % mode, r.describe())

        r = t.run("tag", "--json", "--space", fake.url, img, db=db)
        t.eq(r.rc, 0, "gradio %d: tag exits 0" % mode)
        doc = r.json()
        res = doc[0] if isinstance(doc, list) and len(doc) == 1 else {}
        sha = only_upload(fake)
        t.check(sha is not None, "gradio %d: one upload reached the fake" % mode)
        if sha is None or not res:
            t.check(False, "gradio %d: tag --json gives one result" % mode, r.describe())
            fake.stop()
            continue
        want_tags, want_ratings = expected_scores(sha, batchlib.DEFAULT_MODEL)
        show = t.show(db, img)
        got_tags, got_ratings = stored(show or {})
        t.check(same_scores(got_tags, want_tags) is None,
                "gradio %d: stored predictions = the fake's scores >= floor, Danbooru names, "
                "categories" % mode, same_scores(got_tags, want_tags))
        t.check(same_scores(got_ratings, want_ratings) is None,
                "gradio %d: the 4 rating scores stored" % mode,
                same_scores(got_ratings, want_ratings))
        top = max(want_ratings, key=want_ratings.get)
        t.eq(res.get("rating", {}).get("label"), top[0],
             "gradio %d: the rating is the argmax of the 4 scores" % mode)
        want_general = sorted(n for n, (c, s) in want_tags.items() if c == "general" and s > GTHR)
        want_chars = sorted(n for n, (c, s) in want_tags.items() if c == "character" and s > CTHR)
        t.eq(sorted(e["tag"] for e in res.get("general", [])), want_general,
             "gradio %d: tag prints the general tags above 0.35" % mode)
        t.eq(sorted(e["tag"] for e in res.get("character", [])), want_chars,
             "gradio %d: tag prints the characters above 0.85" % mode)
        st = fake.stats()
        t.eq(st["models"], {batchlib.DEFAULT_MODEL: 1}, "gradio %d: asked with the model" % mode)
        t.check(res.get("bytes_sent", 0) >= st["bytes_uploaded"] > 0,
                "gradio %d: tag counts the bytes it sent" % mode,
                "bytes_sent %s, fake received %s" % (res.get("bytes_sent"), st["bytes_uploaded"]))
        r = t.run("tag", "--space", fake.url, img, db=db)
        t.check(r.rc == 0 and re.search(r"rating\s+[gsqe]\b", r.text) is not None,
                "gradio %d: human tag output shows the rating" % mode, r.describe())
        fake.stop()


def hub(t, db, img):
    t.section("page URL resolved by the fake hub")
    fake = t.fake("--service-ms", 20)
    env = {"HF_ENDPOINT": fake.url}
    r = t.run("spaces", "--json", PAGE, db=db, env=env)
    info = (r.json() or [{}])[0]
    t.eq(r.rc, 0, "page URL: spaces exits 0")
    t.eq(info.get("host"), fake.url, "page URL: the host comes from $HF_ENDPOINT/api/spaces/"
         "OWNER/NAME/host")
    t.eq(info.get("repo"), "SmilingWolf/wd-tagger", "page URL: spaces names the repo")
    t.eq(info.get("stage"), "RUNNING", "page URL: spaces shows the hub's runtime stage")
    r = t.run("tag", "--json", "--space", PAGE, img, db=db, env=env)
    t.eq(r.rc, 0, "page URL: tag works through the hub")
    t.eq(fake.stats()["predictions_completed"], 1, "page URL: the prediction reached the Space")
    t.config(db, "spaces", PAGE)
    r = t.run("tag", img, db=db, env=env)
    t.eq(r.rc, 0, "page URL from the spaces setting: tag works")
    t.config(db, "spaces", "")
    fake.stop()

    sleepy = t.fake("--service-ms", 20, "--wake-after-s", 60)
    env = {"HF_ENDPOINT": sleepy.url}
    r = t.run("spaces", "--json", PAGE, db=db, env=env)
    info = (r.json() or [{}])[0]
    t.check(info.get("stage") in ("SLEEPING", "APP_STARTING"),
            "sleeping Space: spaces shows the hub stage", info.get("stage"))
    t.eq((info.get("error") or {}).get("class"), "waking", "sleeping Space: error class waking")
    t.eq(r.rc, 3, "sleeping Space: spaces exits 3 (no Space can tag now)")
    sleepy.stop()

    r = t.run("spaces", "--json", "ftp://example.org/x", db=db)
    info = (r.json() or [{}])[0]
    msg = (info.get("error") or {}).get("message", "")
    t.check("huggingface.co/spaces/OWNER/NAME" in msg and "a1111+" in msg,
            "a refused URL form: the message shows the accepted forms", msg)
    t.eq(r.rc, 3, "a refused URL alone: spaces exits 3")


def tokens(t, db, img):
    """The token goes to the hub and to the Space the hub names (here both are the fake,
    on loopback), never to a Gradio app at an arbitrary URL."""
    t.section("token")
    token = "hf_" + secrets.token_hex(17)
    wrong = "hf_" + secrets.token_hex(17)
    t.secrets += [token, wrong]
    fake = t.fake("--service-ms", 20, "--token", token)
    hub_env = {"HF_ENDPOINT": fake.url}

    def env(**kw):
        e = dict(hub_env)
        e.update(kw)
        return e

    none = env(HF_TOKEN=None)
    r = t.run("tag", "--space", PAGE, img, db=db, env=none)
    t.check(r.rc == 3 and one_line(r) and b"token" in r.err.lower(),
            "no token: tag says a token is needed, one line, exit 3", r.describe())
    t.check(r.rc is not None and r.rc != 0, "no token: tag fails", r.describe())
    r = t.run("spaces", "--json", PAGE, db=db, env=none)
    err = ((r.json() or [{}])[0].get("error") or {})
    t.check(err.get("class") == "auth" and "token" in err.get("message", "").lower()
            and r.rc == 3, "no token: spaces reports class auth with a token message, exit 3",
            r.describe())
    r = t.run("spaces", PAGE, db=db, env=none)
    t.check("token" in r.text.lower(), "no token: human spaces output says token", r.describe())

    r = t.run("tag", "--space", PAGE, img, db=db, env=env(HF_TOKEN=token))
    t.eq(r.rc, 0, "HF_TOKEN: tag works")
    r = t.run("spaces", "--json", PAGE, db=db, env=env(HF_TOKEN=token))
    info = (r.json() or [{}])[0]
    t.check(info.get("error") is None and info.get("stage") == "RUNNING",
            "HF_TOKEN: spaces works, the hub answers the stage", r.describe())

    hf_home = t.mkdir("hf-home")
    tok_file = os.path.join(hf_home, "token")
    with open(tok_file, "w") as f:
        f.write(token + "\n")
    os.chmod(tok_file, 0o600)
    r = t.run("tag", "--space", PAGE, img, db=db, env=none)
    t.eq(r.rc, 0, "$HF_HOME/token: tag works")
    os.unlink(tok_file)

    cache = os.path.join(t.home, ".cache", "huggingface")
    os.makedirs(cache, exist_ok=True)
    default_file = os.path.join(cache, "token")
    with open(default_file, "w") as f:
        f.write(token)
    os.chmod(default_file, 0o600)
    r = t.run("tag", "--space", PAGE, img, db=db, env=env(HF_TOKEN=None, HF_HOME=None))
    t.eq(r.rc, 0, "~/.cache/huggingface/token (HF_HOME unset): tag works")
    os.unlink(default_file)

    r = t.run("tag", "--space", PAGE, img, db=db, env=env(HF_TOKEN=wrong))
    t.check(r.rc == 3 and one_line(r) and b"refused" in r.err.lower(),
            "wrong token: tag says the token was refused, one line, exit 3", r.describe())
    t.check(r.rc is not None and r.rc != 0 and b"token" in r.err.lower(),
            "wrong token: tag fails with a token message", r.describe())

    # A Gradio app at a plain URL is not Hugging Face: the HF token is not sent there.
    r = t.run("tag", "--space", fake.url, img, db=db, env={"HF_TOKEN": token})
    t.check(r.rc != 0 and b"401" in r.err, "plain URL: the HF token is not sent to a host "
            "that is not Hugging Face's", r.describe())
    t.check(b"set HF_TOKEN" not in r.err, "plain URL with HF_TOKEN set: the message does not "
            "tell the user to set HF_TOKEN (it is set; tagcon withholds it from this host)",
            r.errtext.strip())

    # a batch with the token: JSON events, progress rows
    t.config(db, "spaces", PAGE)
    r = t.run("batch", "--json", "--force", db=db, env=env(HF_TOKEN=token), timeout=120)
    t.check(r.rc == 0, "batch with the token works", r.describe())
    r = t.run("batch", "--json", "--force", db=db, env=env(HF_TOKEN=wrong), timeout=120)
    t.eq(r.rc, 3, "batch with a refused token exits 3")
    r = t.run("batch", "--force", db=db, env=env(HF_TOKEN=wrong), timeout=120)
    t.check(r.rc == 3 and b"token" in r.err.lower(), "batch with a refused token says so",
            r.describe())
    r = t.run("status", "--json", db=db, env=env(HF_TOKEN=token))
    t.eq(r.rc, 0, "status runs with a token set")
    t.config(db, "spaces", "")
    r = t.run("config", "list", db=db, env=env(HF_TOKEN=token))
    t.eq(r.rc, 0, "config list runs with a token set")
    fake.stop()


def leak_scan(t):
    """The token in no file tagcon could have written: databases, WAL, locks, XDG dirs."""
    t.section("the token in no file")
    skip_dirs = {t.gen}
    found = []
    for dirpath, dirnames, filenames in os.walk(t.root):
        if dirpath in skip_dirs:
            dirnames[:] = []
            continue
        for name in filenames:
            p = os.path.join(dirpath, name)
            if name.startswith("fake") or name == "token":
                continue  # the fake's own logs; token files we wrote ourselves
            try:
                with open(p, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            for s in t.secrets:
                if s.encode() in data:
                    found.append(os.path.relpath(p, t.root))
    t.eq(found, [], "no file (database, WAL, lock, settings, cache) holds a token")
    t.eq(t.leaks, [], "no command printed a token")


# fault -> (exit status of tag, regex its one line must match, spaces class or None)
FAULTS = {
    "queue_full": (1, r"queue (is )?full", None),
    "rate_limit": (1, r"rate.limit.*(7 ?s|retry)", None),
    "server_error": (1, r"server error.*500", None),
    "sleeping": ((1, 3), r"not running|asleep|sleeping|waking", "waking"),
    "auth": (3, r"token.*401|401.*token", "auth"),
    "forbidden": (3, r"403", "auth"),
    "slow_connect": (1, r"timed out|timeout", None),
    "hang": (1, r"timed out|timeout", None),
    "malformed": (1, r"JSON|malformed|unexpected|answer|output", None),
    "drop_stream": (1, r"dropped|closed|cut", None),
    "error_event": (1, r"Space failed|error", None),
    "error_event_msg": (1, r"Fake failure", None),
    "not_wd_tagger": (3, r"wd-tagger|predict", "not-tagger"),
    "huge_answer": (1, r"too large|too big", None),
    "html_config": (3, r"HTML", ("malformed", "not-tagger")),
}


def normalise(msg, path):
    msg = msg.replace(path, "PATH")
    msg = re.sub(r"\b[0-9a-f]{32}\b", "ID", msg)
    msg = re.sub(r"127\.0\.0\.1:\d+", "HOST", msg)
    msg = re.sub(r"port \d+", "port N", msg)
    return re.sub(r"\d+ ms", "N ms", msg)


def fault_runs(t, lib, img, name):
    """tag and spaces against a Space with one fault, on a database of its own (request_deadline
    5 s): the two runs.  Each fault waits out its own retries and deadline, all at once."""
    db = t.path("fault-%s.db" % name)
    t.run("scan", lib, db=db)
    t.config(db, "request_deadline", "5")
    # Only Gradio 6.13+ forwards an error's text on the stream (5.x sends null).
    extra = ("--gradio", "6") if name == "error_event_msg" else ()
    fake = t.fake("--service-ms", 20, "--fault", name, "--retry-after", 7,
                  "--max-stream-s", 60, *extra)
    r = t.run("tag", "--space", fake.url, img, db=db, timeout=25)
    s = t.run("spaces", "--json", fake.url, db=db, timeout=25)
    fake.stop()
    return r, s


def faults(t, db, img):
    t.section("faults: one clear line each")
    t.config(db, "request_deadline", "5")
    lib = os.path.dirname(img)
    runs = batchlib.concurrently(*[lambda name=name: fault_runs(t, lib, img, name)
                                   for name in FAULTS])
    messages = {}
    for (name, (want_rc, pattern, space_class)), (r, spaces) in zip(FAULTS.items(), runs):
        rcs = want_rc if isinstance(want_rc, tuple) else (want_rc,)
        line = r.errtext.strip()
        messages[name] = normalise(line, os.path.realpath(img))
        t.check(r.rc in rcs, "%s: tag exits %s" % (name, " or ".join(map(str, rcs))),
                r.describe())
        t.check(one_line(r), "%s: one line on stderr" % name, r.describe())
        t.check(re.search(pattern, line, re.I) is not None,
                "%s: the message says what happened (/%s/)" % (name, pattern), line)
        if name in ("hang", "slow_connect"):
            t.check(r.rc is not None and r.elapsed < 5 + 8,
                    "%s: tag gives up after request_deadline (5 s)" % name,
                    "took %.1f s%s" % (r.elapsed, " and was killed" if r.rc is None else ""))
        if space_class is not None:
            err = ((spaces.json() or [{}])[0].get("error") or {})
            classes = space_class if isinstance(space_class, tuple) else (space_class,)
            t.check(err.get("class") in classes and spaces.rc == 3,
                    "%s: spaces reports class %s and exits 3" % (name, "/".join(classes)),
                    spaces.describe())
        else:
            t.eq(spaces.rc, 0, "%s: spaces (config only) still finds the Space usable" % name)
    distinct = {}
    for name, msg in messages.items():
        distinct.setdefault(msg, []).append(name)
    same = [names for names in distinct.values() if len(names) > 1]
    t.eq(same, [], "every fault has its own message")
    for name, msg in messages.items():
        t.note("%-16s %s" % (name, msg))

    t.section("unreachable Space, and failover to a second Space")
    dead = "http://127.0.0.1:9"  # discard port: nothing listens
    r = t.run("tag", "--space", dead, img, db=db, timeout=30)
    t.check(r.rc == 3 and one_line(r) and re.search(r"connect", r.errtext, re.I),
            "unreachable: tag says it cannot connect, exit 3", r.describe())
    r = t.run("spaces", "--json", dead, db=db, timeout=30)
    t.eq(((r.json() or [{}])[0].get("error") or {}).get("class"), "unreachable",
         "unreachable: spaces error class")
    t.eq(r.rc, 3, "unreachable: spaces exits 3")
    good = t.fake("--service-ms", 20)
    r = t.run("tag", "--space", dead, "--space", good.url, img, db=db, timeout=30)
    t.eq(r.rc, 0, "tag: a dead first Space, a working second one: tagged")
    r = t.run("spaces", dead, good.url, db=db, timeout=30)
    t.eq(r.rc, 1, "spaces: one of two Spaces works: exit 1")
    good.stop()
    t.config(db, "request_deadline", "120")


def conformance(t, db, img):
    t.section("official Gradio JS client vs tagcon (same bytes)")
    client = os.path.join(batchlib.CONFORMANCE, "client.mjs")
    if shutil.which("node") is None or not os.path.isdir(
            os.path.join(batchlib.CONFORMANCE, "node_modules", "@gradio", "client")):
        t.skip("JS client conformance", "node or tests/conformance/node_modules missing "
               "(run npm ci in tests/conformance)")
        return
    t.config(db, "upload_max_side", "0")
    file_sha = batchlib.sha256_file(img)
    for mode in (5, 4):
        fake = t.fake("--gradio", mode, "--service-ms", 20)
        p = subprocess.run(["node", client, fake.url + "/", img, VIT3, str(FLOOR), str(FLOOR)],
                           capture_output=True, timeout=90, env=dict(os.environ, HF_TOKEN=""),
                           cwd=batchlib.CONFORMANCE)
        if not t.check(p.returncode == 0, "gradio %d: the JS client answers" % mode,
                       p.stderr.decode("utf-8", "replace")[-400:]):
            fake.stop()
            continue
        data = json.loads(p.stdout.decode().strip().splitlines()[-1])
        fake.post("/__fake/reset", {})
        r = t.run("tag", "--json", "--model", VIT3, "--space", fake.url, img, db=db)
        t.eq(r.rc, 0, "gradio %d: tagcon tags the same file" % mode)
        t.eq(list(fake.stats()["uploads_by_sha256"]), [file_sha],
             "gradio %d: upload_max_side 0 sends the file's own bytes" % mode)
        t.config(db, "model", VIT3)
        show = t.show(db, img) or {}
        t.config(db, "model", batchlib.DEFAULT_MODEL)
        got_tags, got_ratings = stored(show)
        js_ratings = {c["label"]: c["confidence"] for c in data[1]["confidences"]}
        js_tags = {}
        for idx, cat in ((2, "character"), (3, "general")):
            for c in (data[idx] or {}).get("confidences", []):
                js_tags[batchlib.space_label(c["label"])] = (cat, c["confidence"])
        above = {k: v for k, v in got_tags.items() if v[1] > FLOOR}
        t.check(len(js_tags) > 0, "gradio %d: the JS client got tags" % mode)
        t.check(same_scores(above, js_tags) is None,
                "gradio %d: tagcon's predictions above the floor = the JS client's" % mode,
                same_scores(above, js_tags))
        t.check(same_scores(got_ratings, js_ratings) is None,
                "gradio %d: tagcon's 4 rating scores = the JS client's" % mode,
                same_scores(got_ratings, js_ratings))
        fake.stop()
    t.config(db, "upload_max_side", "768")


def a1111(t, db, img):
    t.section("A1111 WD14 tagger API, both shapes")
    t.config(db, "upload_max_side", "0")
    file_sha = batchlib.sha256_file(img)
    model = "SmilingWolf/wd-v1-4-vit-tagger-v2"
    for shape, key in (("flat", "wd14-vit-v2"), ("nested", "wd14-vit.v2")):
        fake = t.fake("--a1111", "--a1111-shape", shape, "--service-ms", 20)
        url = "a1111+" + fake.url
        r = t.run("spaces", "--json", url, db=db)
        info = (r.json() or [{}])[0]
        t.check(r.rc == 0 and key in info.get("models", []),
                "a1111 %s: spaces lists the extension's models" % shape, r.describe())
        r = t.run("tag", "--json", "--model", model, "--space", url, img, db=db)
        t.eq(r.rc, 0, "a1111 %s: tag works" % shape)
        st = fake.stats()
        t.eq(st["models"], {key: 1}, "a1111 %s: the Space repo maps to the extension's key"
             % shape)
        t.eq(list(st["completed_by_sha256"]), [file_sha], "a1111 %s: the file's bytes sent"
             % shape)
        t.config(db, "model", model)
        show = t.show(db, img) or {}
        t.config(db, "model", batchlib.DEFAULT_MODEL)
        got_tags, got_ratings = stored(show)
        want_tags, want_ratings = expected_scores(file_sha, key)
        if shape == "nested":  # picobyte: strictly above the threshold
            want_tags = {k: v for k, v in want_tags.items() if v[1] > FLOOR}
        t.check(same_scores(got_tags, want_tags, with_category=False) is None,
                "a1111 %s: stored tags and scores = the extension's answer" % shape,
                same_scores(got_tags, want_tags, with_category=False))
        t.check(same_scores(got_ratings, want_ratings) is None,
                "a1111 %s: the 4 rating scores" % shape, same_scores(got_ratings, want_ratings))
        rating_named = [p["tag"] for p in show.get("predictions", [])
                        if p["tag"] in fake_space.RATINGS and p.get("category") != "rating"]
        t.eq(rating_named, [], "a1111 %s: rating keys are not stored as tags" % shape)
        wrong_cat = sorted(n for n, (c, _s) in got_tags.items() if want_tags.get(n, (c,))[0] != c)
        if wrong_cat:
            t.note("a1111 %s: the API gives no categories; stored as general though they are "
                   "characters: %s" % (shape, ", ".join(wrong_cat)))
        r = t.run("tag", "--space", url, img, db=db)
        t.check(r.rc == 1 and one_line(r) and "not offered" in r.errtext,
                "a1111 %s: a model the extension lacks: one clear line" % shape, r.describe())
        fake.stop()
    t.config(db, "upload_max_side", "768")


def body(t):
    lib = t.mkdir("lib")
    imgs = t.tree(lib, t.tiles(4, size=320, seed=11))
    db = t.path("lib.db")
    r = t.run("scan", lib, db=db)
    t.eq(r.rc, 0, "scan the library")
    gradio_modes(t, db, imgs[0])
    hub(t, db, imgs[1])
    tokens(t, db, imgs[2])
    faults(t, db, imgs[3])
    conformance(t, db, imgs[0])
    a1111(t, db, imgs[1])
    leak_scan(t)


if __name__ == "__main__":
    batchlib.Suite("space-client").main(body)
