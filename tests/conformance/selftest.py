#!/usr/bin/env python3
"""Raw-HTTP self-test of tests/fake_space/fake_space.py (standard library only).

    python3 tests/conformance/selftest.py [-v] [NAME_SUBSTRING...]

Starts the fake in many configurations on 127.0.0.1 and checks every route, the three Gradio
modes (what each version says where they differ), every fault, the queue limit, the token,
the hub routes, sleep/wake, 6.x's 502 phase, --stop-after, the stats and the A1111 mode. Prints one line per test and then 'N passed, N failed';
exits 0 when nothing failed.  Each test has fakes of its own: four run at a time (mostly they
wait on the fakes' service times and timeouts), reported in order.
"""
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.normpath(os.path.join(HERE, "..", "fake_space", "fake_space.py"))
sys.path.insert(0, os.path.dirname(FAKE))
import fake_space as fs  # noqa: E402

MODEL = "SmilingWolf/wd-vit-tagger-v3"
P5 = "/gradio_api"
MODES = ((6, P5), (5, P5), (4, ""))  # --gradio, api prefix
NOT_FOUND = {4: '"404: Session not found."', 5: '"404: Not Found"', 6: '"404: Not Found"'}
TESTS = []
VERBOSE = False


def test(fn):
    TESTS.append(fn)
    return fn


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


# ---------------------------------------------------------------------------------------------
# harness
# ---------------------------------------------------------------------------------------------

class Fake:
    """One fake_space process; port discovered through --port-file and the PORT line."""

    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="fake-selftest-")
        port_file = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file",
                                      port_file] + [str(a) for a in args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace")
                self.stop()
                raise AssertionError("fake did not start: %s" % err.strip()[-500:])
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())
        r, _, _ = select.select([self.proc.stdout], [], [], 5)
        line = self.proc.stdout.readline().decode() if r else ""
        check(line == "PORT %d\n" % self.port, "stdout said %r" % line)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc

    # -- HTTP helpers ---------------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, timeout=15):
        """(status, lower-case headers, body bytes, complete?)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            try:
                return resp.status, hdrs, resp.read(), True
            except http.client.IncompleteRead as e:
                return resp.status, hdrs, e.partial, False
        finally:
            conn.close()

    def get(self, path, headers=None, timeout=15):
        return self.request("GET", path, None, headers, timeout)[:3]

    def get_json(self, path, headers=None):
        status, hdrs, body = self.get(path, headers)
        return status, json.loads(body) if body else None

    def post_json(self, path, obj, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        status, hdrs, body, _ = self.request("POST", path, json.dumps(obj).encode(), h)
        try:
            return status, json.loads(body), hdrs
        except ValueError:
            return status, body, hdrs

    def upload(self, files, prefix=P5, headers=None):
        """files: [(filename, bytes)] -> list of server paths."""
        body, ctype = multipart(files)
        h = {"Content-Type": ctype}
        h.update(headers or {})
        status, _, data, _ = self.request("POST", prefix + "/upload", body, h)
        check(status == 200, "upload -> %d %r" % (status, data[:200]))
        return json.loads(data)

    def stats(self):
        return self.get_json("/__fake/stats")[1]

    def call(self, image_value, model=MODEL, gthr=0.35, gmcut=False, cthr=0.85, cmcut=False,
             prefix=P5, headers=None):
        status, body, _ = self.post_json(prefix + "/call/predict", {
            "data": [image_value, model, gthr, gmcut, cthr, cmcut]}, headers)
        check(status == 200 and "event_id" in body, "call -> %d %r" % (status, body))
        return body["event_id"]

    def call_stream(self, event_id, prefix=P5, headers=None, timeout=15):
        status, hdrs, body, complete = self.request(
            "GET", "%s/call/predict/%s" % (prefix, event_id), None, headers, timeout)
        return status, hdrs, parse_sse(body), complete, body

    def predict(self, image_bytes, name="img.png", prefix=P5, **kw):
        path = self.upload([(name, image_bytes)], prefix)[0]
        eid = self.call({"path": path, "meta": {"_type": "gradio.FileData"}}, prefix=prefix, **kw)
        return self.call_stream(eid, prefix)

    def raw(self, method, path, body=b"", wait=1.0, headers=""):
        """Send a request on a raw socket; 'timeout' if not one byte comes back in `wait` s,
        'closed' if the server hung up, else the first bytes."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=wait)
        try:
            s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n%s\r\n" % (method, path, len(body), headers)
                       ).encode() + body)
            data = s.recv(64)
            return data if data else "closed"
        except socket.timeout:
            return "timeout"
        finally:
            s.close()


def multipart(files):
    boundary = "selftest" + uuid.uuid4().hex
    out = b""
    for name, data in files:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"%s\"\r\n"
                "Content-Type: image/png\r\n\r\n" % (boundary, name)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=" + boundary


def parse_sse(body):
    """[(event or None, data string)] from an SSE body."""
    frames = []
    for block in body.decode("utf-8", "replace").split("\n\n"):
        if not block.strip():
            continue
        event, data = None, []
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        frames.append((event, "\n".join(data)))
    return frames


def image(n):
    return b"\x89PNG\r\n\x1a\n selftest image %d " % n + hashlib.sha256(b"%d" % n).digest() * 4


def sha(data):
    return hashlib.sha256(data).hexdigest()


def file_data(path):
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def wait_for(pred, seconds=5.0, step=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def shape_ok(out):
    if not (isinstance(out, list) and len(out) == 4 and isinstance(out[0], str)):
        return False
    for i, v in enumerate(out[1:], 1):
        if v == {} and i != 1:
            continue
        if not (isinstance(v, dict) and set(v) == {"label", "confidences"}):
            return False
    return len(out[1]["confidences"]) == 4


# ---------------------------------------------------------------------------------------------
# pure logic (no server)
# ---------------------------------------------------------------------------------------------

def idx(name):
    return [r[1] for r in fs.VOCAB].index(name)


@test
def space_outputs_logic():
    scores = [0.0] * len(fs.VOCAB)
    for name, p in (("star_(symbol)", 0.9), ("^_^", 0.8), ("long_hair", 0.7), ("1girl", 0.35),
                    ("hatsune_miku", 0.9), ("rem_(re:zero)", 0.85), ("general", 0.6),
                    ("sensitive", 0.3), ("questionable", 0.07), ("explicit", 0.03)):
        scores[idx(name)] = p
    text, rating, chars, tags = fs.space_outputs(scores, 0.35, False, 0.85, False)
    check(text == "star \\(symbol\\), ^_^, long hair", "text %r" % text)  # strict >, escaping
    check(rating == {"label": "general", "confidences": [
        {"label": "general", "confidence": 0.6}, {"label": "sensitive", "confidence": 0.3},
        {"label": "questionable", "confidence": 0.07}, {"label": "explicit", "confidence": 0.03}]})
    check(chars == {"label": "hatsune miku", "confidences": [
        {"label": "hatsune miku", "confidence": 0.9}]}, "chars %r (0.85 is not > 0.85)" % chars)
    check([c["label"] for c in tags["confidences"]] == ["star (symbol)", "^_^", "long hair"])
    # MCut: general gaps 0.1, 0.1, 0.35, 0.35 -> first largest -> midpoint of 0.7 and 0.35
    text, _, chars, _ = fs.space_outputs(scores, 0.99, True, 0.99, True)
    check(text == "star \\(symbol\\), ^_^, long hair", "mcut text %r" % text)
    check([c["label"] for c in chars["confidences"]] == ["hatsune miku", "rem (re:zero)"])
    check(fs.mcut_threshold([0.9, 0.6, 0.3, 0.0]) == 0.75, "first largest gap wins")
    low = [0.0] * len(fs.VOCAB)
    low[idx("hatsune_miku")] = 0.1
    _, _, chars, tags = fs.space_outputs(low, 0.5, False, 0.0, True)
    check(chars == {} and tags == {}, "character MCut floor is 0.15; empty Label is {}")
    check(fs.space_name("x_x") == "x_x" and fs.space_name("long_hair") == "long hair")
    check(all(fs.space_name(k) == k for k in fs.KAOMOJIS) and len(fs.KAOMOJIS) == 19)


@test
def scores_realistic():
    for n in range(40):
        s = fs.compute_scores(sha(image(n)), fs.MODELS[n % 12])
        check(all(0.0 <= x < 1.0 for x in s), "score range")
        check(s == [fs.f32(x) for x in s], "float32 values")
        r = sum(s[i] for i in fs.RATING_IDX)
        check(abs(r - 1.0) < 1e-5, "ratings sum %r" % r)
        high = sum(1 for i in fs.GENERAL_IDX if s[i] >= 0.5)
        check(3 <= high <= 14, "high general %d" % high)
        check(sum(1 for i in fs.CHARACTER_IDX if s[i] > 0.5) <= 2, "at most 2 characters")
        check(sum(1 for i in fs.GENERAL_IDX if s[i] > 0.05) > high, "a tail above 0.05")
    check(fs.compute_scores(sha(b"a"), MODEL) != fs.compute_scores(sha(b"a"), fs.MODELS[0]),
          "the model changes the scores")


@test
def vocab_dump():
    out = subprocess.run([sys.executable, FAKE, "--vocab-dump"], capture_output=True, text=True,
                         timeout=20)
    check(out.returncode == 0)
    lines = out.stdout.splitlines()
    check(lines[0] == "tag_id,name,category,count")
    rows = [ln.split(",") for ln in lines[1:]]
    check([r[1] for r in rows[:4]] == fs.RATINGS and all(r[2] == "9" for r in rows[:4]))
    cats = [r[2] for r in rows]
    check(cats.count("0") >= 300 and cats.count("4") >= 40, "sizes %d %d" % (
        cats.count("0"), cats.count("4")))
    names = {r[1]: r[2] for r in rows}
    for n in ("long_hair", "1girl", "solo", "smile", "open_mouth", "shirt", "looking_at_viewer",
              "hair_ornament", "star_(symbol)") + tuple(fs.KAOMOJIS):
        check(names.get(n) == "0", "general tag %s" % n)
    check(names.get("hatsune_miku") == "4")
    with Fake() as f:
        check(f.get("/__fake/vocab")[2].decode() == out.stdout)


# ---------------------------------------------------------------------------------------------
# discovery: /config and /info in every mode
# ---------------------------------------------------------------------------------------------

def check_config(cfg, port, version):
    check(cfg["version"] == version and cfg["protocol"] == "sse_v3" and cfg["enable_queue"])
    check(cfg["root"] == "http://127.0.0.1:%d" % port, "root %r" % cfg["root"])
    check(cfg["space_id"] == "SmilingWolf/wd-tagger" and isinstance(cfg["app_id"], int))
    comps = {c["id"]: c for c in cfg["components"]}
    names = [d["api_name"] for d in cfg["dependencies"] if d["api_name"] is not None]
    check(len(set(names)) == len(names), "api_names are unique")
    dep = [d for d in cfg["dependencies"] if d["api_name"] == "predict"]
    check(len(dep) == 1, "one predict dependency")
    dep = dep[0]
    check(dep["id"] == 2 and dep["queue"] is True and dep["backend_fn"] is True)
    check(dep["targets"] and all(len(t) == 2 for t in dep["targets"]))
    types = [comps[i]["type"] for i in dep["inputs"]]
    check(types == ["image", "dropdown", "slider", "checkbox", "slider", "checkbox"], types)
    check([comps[i]["type"] for i in dep["outputs"]] == ["textbox", "label", "label", "label"])
    dd = comps[dep["inputs"][1]]["props"]
    check(dd["choices"] == [[m, m] for m in fs.MODELS] and dd["value"] == fs.MODELS[0])
    check(comps[dep["inputs"][2]]["props"]["value"] == 0.35 and
          comps[dep["inputs"][4]]["props"]["value"] == 0.85)
    labels = [comps[i]["props"]["label"] for i in dep["inputs"] + dep["outputs"]]
    check(labels == ["Input", "Model", "General Tags Threshold", "Use MCut threshold",
                     "Character Tags Threshold", "Use MCut threshold", "Output (string)",
                     "Rating", "Output (characters)", "Output (tags)"], labels)


@test
def config_gradio5():
    with Fake("--gradio", 5) as f:
        status, cfg = f.get_json("/config")
        check(status == 200)
        check_config(cfg, f.port, "5.49.1")
        check(cfg["api_prefix"] == "/gradio_api" and "" in cfg["page"])
        check(f.get_json(P5 + "/config")[1] == cfg, "config also under the prefix")
        check(f.get("/info")[0] == 404, "5.x has no /info at the root")
        status, _, body = f.get("/config")
        check(b'":' in body and b'": ' not in body.split(b'"value"')[0], "compact (orjson) JSON")


@test
def config_gradio6():
    with Fake("--gradio", 6) as f:
        status, cfg = f.get_json("/config")
        check(status == 200)
        check_config(cfg, f.port, "6.25.0")
        check(cfg["api_prefix"] == "/gradio_api" and f.get_json(P5 + "/config")[1] == cfg)
        check("show_api" not in cfg and cfg["footer_links"] == ["api", "gradio", "settings",
                                                                  "runs"], "footer_links")
        deps = cfg["dependencies"]
        check(all(isinstance(d["api_name"], str) for d in deps), "every api_name a string")
        check(all("show_api" not in d for d in deps), "no show_api in dependencies")
        check([(d["api_name"], d["api_visibility"]) for d in deps] == [
            ("js_fn", "private"), ("js_fn_1", "private"), ("predict", "public"),
            ("load_example", "undocumented")], [(d["api_name"], d.get("api_visibility"))
                                                for d in deps])
        image_props = {c["id"]: c for c in cfg["components"]}[fs.C_IMAGE]["props"]
        check(image_props["buttons"] == ["download", "share", "fullscreen"] and
              "show_download_button" not in image_props, "6.x image buttons")
        ep = f.get_json(P5 + "/info")[1]["named_endpoints"]["/predict"]
        check(ep["api_visibility"] == "public" and "show_api" not in ep)
        check(f.get_json("/api/spaces/a/b")[1]["sdkVersion"] == "6.25.0")
    with Fake("--gradio", 6, "--gradio-version", "6.0.0-dev.5") as f:
        check(f.get_json("/config")[1]["version"] == "6.0.0-dev.5")


@test
def config_gradio4():
    with Fake("--gradio", 4) as f:
        status, cfg = f.get_json("/config")
        check(status == 200)
        check_config(cfg, f.port, "4.44.1")
        check("api_prefix" not in cfg)
        check(f.get(P5 + "/info")[0] == 404 and f.get("/info")[0] == 200)


@test
def info_every_mode():
    for mode, prefix in MODES:
        with Fake("--gradio", mode) as f:
            status, info = f.get_json(prefix + "/info")
            check(status == 200 and info["unnamed_endpoints"] == {})
            ep = info["named_endpoints"]["/predict"]
            check([p["parameter_name"] for p in ep["parameters"]] == [
                "image", "model_repo", "general_thresh", "general_mcut_enabled",
                "character_thresh", "character_mcut_enabled"])
            check([p["component"] for p in ep["parameters"]] == [
                "Image", "Dropdown", "Slider", "Checkbox", "Slider", "Checkbox"])
            check(ep["parameters"][0]["parameter_has_default"] is False)
            check([p["parameter_default"] for p in ep["parameters"][1:]] == [
                fs.MODELS[0], 0.35, False, 0.85, False])
            check([r["component"] for r in ep["returns"]] == ["Textbox", "Label", "Label", "Label"])


# ---------------------------------------------------------------------------------------------
# prediction paths
# ---------------------------------------------------------------------------------------------

@test
def call_every_mode():
    for mode, prefix in MODES:
        with Fake("--gradio", mode, "--service-ms", 20) as f:
            img = image(1)
            status, hdrs, frames, complete, body = f.predict(img, prefix=prefix)
            check(status == 200 and complete, "stream ended cleanly")
            check(hdrs["content-type"].startswith("text/event-stream"))
            check(hdrs.get("transfer-encoding") == "chunked", "SSE is chunked on HTTP/1.1")
            check(frames[-1][0] == "complete", frames)
            out = json.loads(frames[-1][1])
            check(out == fs.expected_outputs(sha(img), MODEL, 0.35, False, 0.85, False))
            check(shape_ok(out), "shape")
            check(b'data: ["' in body and b'", {"label": "' in body, "json.dumps separators")
            path = f.upload([("img.png", img)], prefix)[0]
            eid = f.call(file_data(path), gthr=0.05, cthr=0.05, gmcut=True, cmcut=True,
                         prefix=prefix)
            out = json.loads(f.call_stream(eid, prefix)[2][-1][1])
            check(out == fs.expected_outputs(sha(img), MODEL, 0.05, True, 0.05, True), "mcut")
            eid = f.call({"path": path}, gthr=0.05, cthr=0.05, prefix=prefix)
            out = json.loads(f.call_stream(eid, prefix)[2][-1][1])
            check(out == fs.expected_outputs(sha(img), MODEL, 0.05, False, 0.05, False),
                  "a path without meta is accepted")
            st = f.stats()
            check(st["predictions_completed"] == 3 and st["completed_by_sha256"] == {sha(img): 3})


@test
def queue_every_mode():
    for mode, prefix in MODES:
        with Fake("--gradio", mode, "--service-ms", 20) as f:
            img = image(2)
            path = f.upload([("x.png", img)], prefix)[0]
            body = {"data": [file_data(path), MODEL, 0.05, False, 0.05, False],
                    "event_data": None, "fn_index": 2, "trigger_id": None, "session_hash": "abc123"}
            status, resp, _ = f.post_json(prefix + "/queue/join", body)
            check(status == 200 and len(resp["event_id"]) == 32, resp)
            status, hdrs, data = f.get(prefix + "/queue/data?session_hash=abc123")
            msgs = [json.loads(d) for _, d in parse_sse(data)]
            check([m["msg"] for m in msgs] == ["estimation", "process_starts",
                                               "process_completed", "close_stream"],
                  [m["msg"] for m in msgs])
            check(msgs[0]["rank"] == 0 and msgs[0]["queue_size"] == 1)
            done = msgs[2]
            check(done["success"] is True and done["event_id"] == resp["event_id"])
            check(set(done["output"]) == {"data", "is_generating", "duration", "average_duration",
                                          "render_config", "changed_state_ids"})
            check(done["output"]["data"] == fs.expected_outputs(sha(img), MODEL, 0.05, False,
                                                                0.05, False))
            check(msgs[3] == {"msg": "close_stream", "event_id": None})
            # bad requests
            check(f.post_json(prefix + "/queue/join", dict(body, session_hash=None))[:2] ==
                  (400, {"detail": "Session hash not found."}))
            check(f.post_json(prefix + "/queue/join", dict(body, fn_index=0))[0] == 400)
            check(f.post_json(prefix + "/queue/join", {"fn_index": 2})[0] == 422)
            status, _, _, _ = f.request("POST", prefix + "/queue/join", b"{nope",
                                        {"Content-Type": "application/json"})
            check(status == 422)
            # unknown session: the 404's text in an unexpected_error message, then a dropped
            # connection (the exception goes on after the message)
            status, _, data, complete = f.request("GET",
                                                  prefix + "/queue/data?session_hash=nosuch")
            msgs = [json.loads(d) for _, d in parse_sse(data)]
            want = {"msg": "unexpected_error", "event_id": None,
                    "message": json.loads(NOT_FOUND[mode]), "success": False}
            if mode >= 5:
                want["session_not_found"] = True
            check(status == 200 and msgs == [want] and not complete, (mode, msgs, complete))


@test
def queue_two_events_one_session():
    with Fake("--service-ms", 50) as f:
        ids = []
        for n in (3, 4):
            path = f.upload([("x.png", image(n))])[0]
            ids.append(f.post_json(P5 + "/queue/join", {
                "data": [file_data(path), MODEL, 0.35, False, 0.85, False], "fn_index": 2,
                "session_hash": "two"})[1]["event_id"])
        msgs = [json.loads(d) for _, d in parse_sse(f.get(P5 + "/queue/data?session_hash=two")[2])]
        done = [m["event_id"] for m in msgs if m["msg"] == "process_completed"]
        check(sorted(done) == sorted(ids), msgs)
        check(msgs[-1]["msg"] == "close_stream" and
              sum(m["msg"] == "close_stream" for m in msgs) == 1)


@test
def call_unknown_event_and_session_hash():
    for mode, prefix in MODES:
        with Fake("--gradio", mode, "--service-ms", 10) as f:
            # the version's 404 text, then the connection drops (no last chunk)
            status, _, frames, complete, _ = f.call_stream("0" * 32, prefix)
            check(status == 200 and not complete and frames == [("error", NOT_FOUND[mode])],
                  (mode, frames, complete))
            # a session_hash on /call files the event under that session (proto §2.4): its
            # stream 404s, up to 6.24
            path = f.upload([("x.png", image(5))], prefix)[0]
            status, resp, _ = f.post_json(prefix + "/call/predict", {
                "data": [file_data(path), MODEL, 0.35, False, 0.85, False], "session_hash": "s1"})
            check(status == 200)
            frames = f.call_stream(resp["event_id"], prefix)[2]
            if mode == 6:  # 6.25 looks the event's session up
                check(frames[-1][0] == "complete", frames)
            else:
                check(frames == [("error", NOT_FOUND[mode])], (mode, frames))
            check(f.stats()["requests"]["not_found"] == (1 if mode == 6 else 2))
    with Fake("--gradio", 6, "--gradio-version", "6.24.0", "--service-ms", 10) as f:
        path = f.upload([("x.png", image(5))])[0]
        status, resp, _ = f.post_json(P5 + "/call/predict", {
            "data": [file_data(path), MODEL, 0.35, False, 0.85, False], "session_hash": "s1"})
        check(f.call_stream(resp["event_id"])[2] == [("error", NOT_FOUND[6])], "6.24")


@test
def data_url_input():
    img = image(6)
    url = "data:image/png;base64," + base64.b64encode(img).decode()
    with Fake("--gradio", 5, "--service-ms", 10) as f:
        frames = f.call_stream(f.call({"url": url}))[2]
        check(frames[-1][0] == "complete")
        check(json.loads(frames[-1][1]) == fs.expected_outputs(sha(img), MODEL))
        frames = f.call_stream(f.call({"url": "data:image/png;base64,!!!"}))[2]
        check(frames == [("error", "null")], frames)
    with Fake("--gradio", 4, "--service-ms", 10) as f:
        frames = f.call_stream(f.call({"url": url}, prefix=""), prefix="")[2]
        check(frames == [("error", "null")], "4.x needs a path: %r" % frames)


@test
def bad_inputs():
    with Fake("--service-ms", 10) as f:
        path = f.upload([("x.png", image(7))])[0]
        for value in ({"path": "/tmp/gradio/nope/x.png", "meta": {"_type": "gradio.FileData"}},
                      "data:image/png;base64,AAAA", None):
            check(f.call_stream(f.call(value))[2] == [("error", "null")], repr(value))
        check(f.call_stream(f.call(file_data(path), model="nope/model"))[2] == [("error", "null")])
        check(f.call_stream(f.call(file_data(path), gthr="0.35"))[2] == [("error", "null")])
        status, _, _ = f.post_json(P5 + "/call/predict", {"nodata": 1})
        check(status == 422)
        # on the queue the gr.Error text of the Dropdown is visible
        f.post_json(P5 + "/queue/join", {"data": [file_data(path), "nope/model", 0.35, False,
                                                  0.85, False], "fn_index": 2, "session_hash": "q"})
        msgs = [json.loads(d) for _, d in parse_sse(f.get(P5 + "/queue/data?session_hash=q")[2])]
        done = [m for m in msgs if m["msg"] == "process_completed"][0]
        check(done["success"] is False and "not in the list of choices" in done["output"]["error"])
        check(done["output"]["title"] == "Error" and done["output"]["visible"] is True and
              done["output"]["duration"] == 10)
        st = f.stats()
        check(st["predictions_failed"] == 6 and st["predictions_completed"] == 0, st)


@test
def upload_route():
    with Fake() as f:
        a, b = image(8), image(9)
        paths = f.upload([("a b$%.png", a), ("dir/../b.png", b)])
        check(paths == ["/tmp/gradio/%s/a b.png" % sha(a), "/tmp/gradio/%s/b.png" % sha(b)], paths)
        check(f.upload([("a b.png", a)]) == paths[:1], "same bytes, same name, same path")
        status, hdrs, body = f.get(P5 + "/file=" + paths[1])
        check(status == 200 and body == b and hdrs["content-type"] == "image/png")
        status, body, _ = f.post_json(P5 + "/upload", {"files": []})
        check((status, body) == (400, {"detail": "Invalid content type."}))
        st = f.stats()
        check(st["uploads"] == 2 and st["upload_files"] == 3 and
              st["bytes_uploaded"] == 2 * len(a) + len(b) and st["uploads_by_sha256"][sha(a)] == 2)


@test
def upload_cache_is_bounded():
    with Fake("--upload-cache-mb", 0.001, "--service-ms", 1) as f:  # 1 KiB
        paths = [f.upload([("u%d.png" % n, image(90 + n))])[0] for n in range(10)]
        st = f.stats()
        check(st["upload_cache_bytes"] <= 1024 and st["upload_cache_files"] < 10, st)
        check(f.call_stream(f.call(file_data(paths[0])))[2] == [("error", "null")], "evicted")
        check(f.call_stream(f.call(file_data(paths[-1])))[2][-1][0] == "complete")


@test
def legacy_run_closed():
    msg = ("This API endpoint does not accept direct HTTP POST requests. Please join the queue "
           "to use this API.")
    with Fake() as f:
        check(f.post_json(P5 + "/run/predict", {"data": []})[:2] == (404, {"detail": msg}))
    with Fake("--gradio", 4) as f:
        check(f.post_json("/run/predict", {"data": []})[:2] == (404, {"detail": msg}))
        check(f.post_json("/api/predict", {"data": []})[:2] == (404, {"detail": msg}))


@test
def keep_alive():
    with Fake("--service-ms", 10) as f:
        conn = http.client.HTTPConnection("127.0.0.1", f.port, timeout=10)
        conn.request("GET", "/config")
        r = conn.getresponse()
        r.read()
        sock = conn.sock
        body, ctype = multipart([("k.png", image(10))])
        conn.request("POST", P5 + "/upload", body, {"Content-Type": ctype})
        path = json.loads(conn.getresponse().read())[0]
        conn.request("POST", P5 + "/call/predict", json.dumps({"data": [
            file_data(path), MODEL, 0.35, False, 0.85, False]}), {"Content-Type": "application/json"})
        eid = json.loads(conn.getresponse().read())["event_id"]
        conn.request("GET", P5 + "/call/predict/" + eid)
        frames = parse_sse(conn.getresponse().read())
        conn.request("GET", P5 + "/info")
        r = conn.getresponse()
        check(r.status == 200 and json.loads(r.read())["named_endpoints"])
        check(conn.sock is sock, "all five requests used one connection")
        check(frames[-1][0] == "complete")
        conn.close()


@test
def heartbeats():
    with Fake("--heartbeat-s", 0.2, "--service-ms", 900) as f:
        frames = f.predict(image(11))[2]
        kinds = [e for e, _ in frames]
        check(kinds.count("heartbeat") >= 2 and kinds[-1] == "complete", kinds)
        check(all(d == "null" for e, d in frames if e == "heartbeat"))
        path = f.upload([("x.png", image(12))])[0]
        f.post_json(P5 + "/queue/join", {"data": [file_data(path), MODEL, 0.35, False, 0.85,
                                                  False], "fn_index": 2, "session_hash": "hb"})
        msgs = [json.loads(d) for _, d in parse_sse(f.get(P5 + "/queue/data?session_hash=hb")[2])]
        check({"msg": "heartbeat"} in msgs and msgs[-1]["msg"] == "close_stream")
        s = socket.create_connection(("127.0.0.1", f.port), timeout=2)
        s.sendall(b"GET /gradio_api/heartbeat/abc HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b"ALIVE") < 2:
            chunk = s.recv(4096)
            check(chunk, "heartbeat route closed early")
            data += chunk
        s.close()
        check(b"text/event-stream" in data and b"data: ALIVE" in data)


# ---------------------------------------------------------------------------------------------
# queue limit, concurrency, stats, disconnects
# ---------------------------------------------------------------------------------------------

@test
def queue_full_at_size():
    with Fake("--service-ms", 4000, "--concurrency", 1, "--queue-size", 3) as f:
        path = f.upload([("x.png", image(13))])[0]
        f.call(file_data(path))
        check(wait_for(lambda: f.stats()["in_flight"] == 1), "first one runs")
        for _ in range(3):
            f.call(file_data(path))
        status, body, _ = f.post_json(P5 + "/call/predict", {"data": [file_data(path), MODEL,
                                                                      0.35, False, 0.85, False]})
        check((status, body) == (503, {"detail": "Queue is full. Max size is 3 and size is 3."}),
              (status, body))
        status, body, _ = f.post_json(P5 + "/queue/join", {"data": [file_data(path), MODEL, 0.35,
                                                                    False, 0.85, False],
                                                           "fn_index": 2, "session_hash": "z"})
        check(status == 503 and body["detail"].startswith("Queue is full."))
        st = f.stats()
        check(st["queue_len"] == 3 and st["rejected_queue_full"] == 2, st)


@test
def concurrency_and_stats():
    with Fake("--service-ms", 300, "--concurrency", 2, "--queue-size", 10) as f:
        imgs = [image(20 + i) for i in range(4)]
        results = [None] * 4

        def one(i):
            results[i] = f.predict(imgs[i], name="c%d.png" % i)[2]

        threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        elapsed = time.monotonic() - t0
        for i in range(4):
            check(results[i] and results[i][-1][0] == "complete", "request %d" % i)
            check(json.loads(results[i][-1][1]) == fs.expected_outputs(sha(imgs[i]), MODEL))
        st = f.stats()
        check(st["max_concurrent"] == 2, st["max_concurrent"])
        check(0.55 < elapsed < 3.0, "2 at a time, 300 ms each: %.2f s" % elapsed)
        check(st["predictions_completed"] == 4 and
              st["completed_by_sha256"] == {sha(x): 1 for x in imgs})
        check(st["bytes_uploaded"] == sum(map(len, imgs)) and st["uploads"] == 4)
        check(st["models"] == {MODEL: 4} and st["requests"]["call_stream"] == 4)
        f.post_json("/__fake/reset", {})
        st = f.stats()
        check(st["predictions_completed"] == 0 and st["completed_by_sha256"] == {})


@test
def disconnect_drops_waiting_event():
    with Fake("--service-ms", 1500, "--concurrency", 1) as f:
        path = f.upload([("x.png", image(30))])[0]
        f.call(file_data(path))
        check(wait_for(lambda: f.stats()["in_flight"] == 1))
        second = f.call(file_data(path))
        s = socket.create_connection(("127.0.0.1", f.port), timeout=5)
        s.sendall(("GET %s/call/predict/%s HTTP/1.1\r\nHost: x\r\n\r\n" % (P5, second)).encode())
        check(s.recv(100).startswith(b"HTTP/1.1 200"))
        s.close()
        check(wait_for(lambda: f.stats()["predictions_cancelled"] == 1, 4), "cancelled")
        check(wait_for(lambda: f.stats()["predictions_completed"] == 1, 4))
        time.sleep(0.3)
        check(f.stats()["predictions_started"] == 1, "the waiting event never ran")


# ---------------------------------------------------------------------------------------------
# token, hub, sleep/wake, stop-after, shutdown
# ---------------------------------------------------------------------------------------------

@test
def token_required():
    auth = {"Authorization": "Bearer hf_secret"}
    with Fake("--token", "hf_secret", "--service-ms", 10) as f:
        for path in ("/config", P5 + "/info", "/api/spaces/a/b/host", "/api/spaces/a/b/runtime",
                     P5 + "/call/predict/" + "0" * 32, P5 + "/queue/data?session_hash=x"):
            for hdrs in ({}, {"Authorization": "Bearer wrong"}):
                status, h, body = f.get(path, hdrs)
                check(status == 401 and h["content-type"].startswith("text/html"), path)
                try:
                    json.loads(body)
                    check(False, "401 body must not be JSON")
                except ValueError:
                    pass
        check(f.get("/config", auth)[0] == 200 and f.get("/api/spaces/a/b/host", auth)[0] == 200)
        path = f.upload([("x.png", image(31))], headers=auth)[0]
        eid = f.call(file_data(path), headers=auth)
        check(f.call_stream(eid, headers={"Authorization": "Bearer no"})[0] == 401)
        frames = f.call_stream(eid, headers=auth)[2]
        check(frames[-1][0] == "complete")
        check(f.stats()["auth_failures"] >= 13, "control routes need no token")


@test
def hub_routes():
    with Fake() as f:
        status, body = f.get_json("/api/spaces/SmilingWolf/wd-tagger/host")
        check(status == 200 and body["host"] == "http://127.0.0.1:%d" % f.port, body)
        status, rt = f.get_json("/api/spaces/SmilingWolf/wd-tagger/runtime")
        check(status == 200 and rt["stage"] == "RUNNING" and rt["gcTimeout"] == 172800 and
              rt["hardware"] == {"current": "cpu-basic", "requested": "cpu-basic"} and
              rt["storage"] is None)
        status, sp = f.get_json("/api/spaces/SmilingWolf/wd-tagger")
        check(status == 200 and sp["id"] == "SmilingWolf/wd-tagger" and
              sp["subdomain"] == "smilingwolf-wd-tagger" and sp["runtime"]["stage"] == "RUNNING"
              and sp["host"] == body["host"])
        for path in ("/api/spaces/x/missing-space/host", "/api/spaces/x/space_missing/runtime",
                     "/api/spaces/x/missing"):
            check(f.get_json(path) == (404, {"error": "Repository not found"}), path)
    with Fake("--stage", "PAUSED") as f:
        check(f.get_json("/api/spaces/a/b/runtime")[1]["stage"] == "PAUSED")
        status, h, _ = f.get("/config")
        check(status == 503 and h["content-type"].startswith("text/html"), "not running")


@test
def sleep_then_wake():
    with Fake("--wake-after-s", 1.0) as f:
        rt = lambda: f.get_json("/api/spaces/a/b/runtime")[1]["stage"]
        check(rt() == "SLEEPING" and rt() == "SLEEPING", "the hub does not wake the Space")
        status, h, _ = f.get("/config")
        check(status == 503 and h["content-type"].startswith("text/html"))
        check(rt() == "APP_STARTING")
        check(f.get("/config")[0] == 503)
        time.sleep(1.1)
        check(f.get("/config")[0] == 200 and rt() == "RUNNING" and f.stats()["awake"])
        f.post_json("/__fake/sleep", {"wake_after_s": 0.3})
        check(rt() == "SLEEPING" and f.get("/config")[0] == 503)
        check(wait_for(lambda: f.get("/config")[0] == 200, 3))


@test
def stop_after():
    with Fake("--stop-after", 1, "--service-ms", 10) as f:
        frames = f.predict(image(32))[2]
        check(frames[-1][0] == "complete", "the Nth result is delivered")
        check(wait_for(lambda: f.stats()["stopped"]))
        check(f.raw("GET", "/config") == "timeout", "then nothing answers")
        check(f.raw("POST", P5 + "/upload", b"x") == "timeout")
        st = f.stats()
        check(st["predictions_completed"] == 1 and st["stopped"] is True)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@test
def stop_after_silences_open_streams():
    with Fake("--stop-after", 1, "--concurrency", 2, "--service-ms", 300,
              "--heartbeat-s", 0.2) as f:
        paths = [f.upload([("s%d.png" % i, image(34 + i))])[0] for i in range(2)]
        ids = [f.call(file_data(p)) for p in paths]
        socks = []
        for eid in ids:
            s = socket.create_connection(("127.0.0.1", f.port), timeout=5)
            s.sendall(("GET %s/call/predict/%s HTTP/1.1\r\nHost: x\r\n\r\n" % (P5, eid)).encode())
            socks.append(s)
        check(wait_for(lambda: f.stats()["stopped"], 5))
        got = []
        for s in socks:  # one stream got its result, the other goes silent
            data = b""
            s.settimeout(1.0)
            try:
                while b"event: complete" not in data:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                pass
            got.append(b"event: complete" in data)
        check(sorted(got) == [False, True], got)
        c0 = cpu_seconds(f.proc.pid)
        silent = socks[got.index(False)]
        silent.settimeout(1.5)
        try:
            data = silent.recv(100)
            check(False, "after the stop the stream must stay open and silent: %r" % data)
        except socket.timeout:
            pass
        check(cpu_seconds(f.proc.pid) - c0 < 0.5, "holding silent streams must not spin")
        for s in socks:
            s.close()


@test
def sigterm_exits_cleanly():
    f = Fake("--fault", "hang", "--service-ms", 10)
    try:
        path = f.upload([("x.png", image(33))])[0]
        eid = f.call(file_data(path))
        s = socket.create_connection(("127.0.0.1", f.port), timeout=5)
        s.sendall(("GET %s/call/predict/%s HTTP/1.1\r\nHost: x\r\n\r\n" % (P5, eid)).encode())
        time.sleep(0.2)
        t0 = time.monotonic()
        rc = f.stop()
        check(rc == 0 and time.monotonic() - t0 < 4, "rc %r in %.1f s" % (rc, time.monotonic() - t0))
        s.close()
    finally:
        if f.proc.poll() is None:
            f.stop()


# ---------------------------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------------------------

def with_fault(name, *extra):
    return Fake("--fault", name, "--service-ms", 10, *extra)


@test
def fault_request_level():
    with with_fault("queue_full") as f:
        path = f.upload([("x.png", image(40))])[0]
        body = {"data": [file_data(path), MODEL, 0.35, False, 0.85, False]}
        check(f.post_json(P5 + "/call/predict", body)[:2] ==
              (503, {"detail": "Queue is full. Max size is 10 and size is 10."}))
        check(f.post_json(P5 + "/queue/join", dict(body, fn_index=2, session_hash="a"))[0] == 503)
    with with_fault("rate_limit", "--retry-after", 7) as f:
        path = f.upload([("x.png", image(40))])[0]
        status, _, hdrs = f.post_json(P5 + "/call/predict", {"data": [file_data(path)]})
        check(status == 429 and hdrs["retry-after"] == "7", (status, hdrs))
    with with_fault("server_error") as f:
        status, body, _ = f.post_json(P5 + "/call/predict", {"data": []})
        check(status == 500 and "error" in body)
    for name, code in (("sleeping", 503), ("auth", 401), ("forbidden", 403)):
        with with_fault(name) as f:
            for path in ("/config", P5 + "/info"):
                status, h, _ = f.get(path)
                check(status == code and h["content-type"].startswith("text/html"), (name, path))
            check(f.post_json(P5 + "/call/predict", {"data": []})[0] == code)
            check(f.stats()["faults_injected"][name] == 3)
    with with_fault("slow_connect") as f:
        body = json.dumps({"data": [None, MODEL, 0.35, False, 0.85, False]}).encode()
        check(f.raw("POST", P5 + "/call/predict", body) == "timeout")
        check(f.get("/config")[0] == 200, "only predictions hang")


@test
def fault_config_level():
    with with_fault("html_config") as f:
        status, h, body = f.get("/config")
        check(status == 200 and h["content-type"].startswith("text/html") and b"<html" in body)
    with with_fault("not_wd_tagger") as f:
        cfg = f.get_json("/config")[1]
        check(not any(d["api_name"] == "predict" for d in cfg["dependencies"]))
        check("/predict" not in f.get_json(P5 + "/info")[1]["named_endpoints"])


@test
def fault_stream_level():
    with with_fault("hang") as f:
        path = f.upload([("x.png", image(41))])[0]
        eid = f.call(file_data(path))
        check(f.raw("GET", "%s/call/predict/%s" % (P5, eid)) == "timeout", "no byte at all")
    with with_fault("drop_stream") as f:
        status, _, frames, complete, _ = f.predict(image(42))
        check(status == 200 and not complete and frames == [("heartbeat", "null")], frames)
    with with_fault("error_event") as f:
        check(f.predict(image(43))[2] == [("error", "null")])
    with with_fault("error_event_msg") as f:
        check(f.predict(image(44))[2] == [("error", "null")], "5.x: gr.Error's text is not "
              "forwarded on /call")
    with with_fault("malformed") as f:
        bad = set()
        for n in range(4):
            frames = f.predict(image(45 + n))[2]
            check(frames[-1][0] == "complete")
            try:
                out = json.loads(frames[-1][1])
                check(not shape_ok(out), "variant %d has a wrong shape" % n)
                bad.add("shape")
            except ValueError:
                bad.add("json")
        check(bad == {"json", "shape"})
        st = f.stats()
        check(st["predictions_faulted"] == 4 and st["predictions_completed"] == 0, st)
    with with_fault("huge_answer") as f:
        _, _, frames, complete, body = f.predict(image(49))
        check(complete and len(body) > 20 * 1024 * 1024)
        check(shape_ok(json.loads(frames[-1][1])))


def error_frames(f, n, **kw):
    return f.predict(image(n), **kw)[2]


@test
def error_events_by_version():
    """What a /call stream's error event carries: null up to 6.12, the whole error output from
    6.13 (proto §2.4, §2.10), in 4.x, 5.x and 6.x alike for the three kinds of failure."""
    cases = ((("--gradio", 4), "", False), (("--gradio", 5), P5, False),
             (("--gradio", 6, "--gradio-version", "6.12.0"), P5, False),
             (("--gradio", 6, "--gradio-version", "6.13.0"), P5, True), (("--gradio", 6), P5, True))
    for args, prefix, objects in cases:
        with Fake("--service-ms", 5, *args) as f:
            f.post_json("/__fake/fault", {"fault": "error_event"})
            plain = error_frames(f, 80, prefix=prefix)
            f.post_json("/__fake/fault", {"clear": True, "fault": "error_event_msg"})
            msg = error_frames(f, 81, prefix=prefix)
            f.post_json("/__fake/fault", {"clear": True})
            path = f.upload([("x.png", image(82))], prefix)[0]
            bad = f.call_stream(f.call(file_data(path), model="nope/model", prefix=prefix),
                                prefix)[2]
            if not objects:
                check(plain == msg == bad == [("error", "null")], (args, plain, msg, bad))
                continue
            check(plain == [("error", '{"error": null}')], (args, plain))
            data = json.loads(msg[0][1])
            check(msg[0][0] == "error" and data["error"].startswith("Fake failure") and
                  data["title"] == "Error" and data["duration"] == 10 and data["visible"] is True,
                  (args, msg))
            data = json.loads(bad[0][1])
            check("not in the list of choices" in data["error"] and data["title"] == "Error",
                  (args, bad))


@test
def fault_lost_event():
    for mode, prefix in MODES:
        with Fake("--gradio", mode, "--fault", "lost_event", "--service-ms", 5) as f:
            path = f.upload([("x.png", image(83))], prefix)[0]
            eid = f.call(file_data(path), prefix=prefix)
            status, _, frames, complete, _ = f.call_stream(eid, prefix)
            check(status == 200 and frames == [("error", NOT_FOUND[mode])] and not complete,
                  (mode, frames, complete))
            st = f.stats()
            check(st["faults_injected"] == {"lost_event": 1} and st["predictions_requested"] == 0)
            # the queue protocol never rolls it
            status, resp, _ = f.post_json(prefix + "/queue/join", {
                "data": [file_data(path), MODEL, 0.35, False, 0.85, False], "fn_index": 2,
                "session_hash": "q"})
            msgs = [json.loads(d) for _, d in parse_sse(f.get(
                prefix + "/queue/data?session_hash=q")[2])]
            check(status == 200 and msgs[-2]["success"] is True, msgs)


@test
def fault_echo_auth():
    token = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
    auth = {"Authorization": "Bearer " + token}
    for mode, prefix in MODES:
        with Fake("--gradio", mode, "--fault", "echo_auth", "--service-ms", 5,
                  "--token", token) as f:
            path = f.upload([("x.png", image(84))], prefix, headers=auth)[0]
            body = {"data": [file_data(path), MODEL, 0.35, False, 0.85, False]}
            status, resp, _ = f.post_json(prefix + "/call/predict", body, auth)
            text = resp["detail"]
            check(status == 500 and 170 < text.index(token) < 200 < text.index(token) + len(token),
                  "the token straddles the 200th character: %r" % resp)
            eid = f.call(file_data(path), prefix=prefix, headers=auth)
            frames = f.call_stream(eid, prefix, headers=auth)[2]
            check(len(frames) == 1 and frames[0][0] == "error", frames)
            data = json.loads(frames[0][1])
            text = data if mode < 6 else data["error"]
            check(isinstance(text, str) and "authorization: Bearer " + token in text,
                  (mode, frames))
            st = f.stats()
            check(st["faults_injected"]["echo_auth"] == 2 and st["predictions_faulted"] == 1, st)


@test
def bad_gateway_phase():
    with Fake("--gradio", 6, "--bad-gateway-s", 1.0, "--service-ms", 5) as f:
        check(f.get_json("/api/spaces/a/b/runtime")[1]["stage"] == "RUNNING")
        for path in ("/config", P5 + "/info", P5 + "/call/predict/" + "0" * 32):
            status, h, body = f.get(path)
            check((status, h["content-type"], body) == (502, "text/plain", b"Bad Gateway"),
                  (path, status, h, body))
        check(f.post_json(P5 + "/call/predict", {"data": []})[:2] == (502, b"Bad Gateway"))
        check(f.get("/__fake/stats")[0] == 200, "control routes answer")
        check(wait_for(lambda: f.get("/config")[0] == 200, 3.0), "up after the phase")
        check(f.predict(image(85))[2][-1][0] == "complete")
        check(f.stats()["requests"]["bad_gateway"] >= 4)
        check(f.post_json("/__fake/settings", {"bad_gateway_s": 0.5})[0] == 200)
        check(f.get("/config")[0] == 502, "a restart: 502 again")
        check(wait_for(lambda: f.get("/config")[0] == 200, 3.0))
    with Fake("--gradio", 5) as f:
        check(f.post_json("/__fake/settings", {"bad_gateway_s": 1})[0] == 400, "5.x: no proxy")


@test
def fault_queue_protocol():
    def run(f, n):
        path = f.upload([("x.png", image(n))])[0]
        f.post_json(P5 + "/queue/join", {"data": [file_data(path), MODEL, 0.35, False, 0.85,
                                                  False], "fn_index": 2, "session_hash": "s"})
        status, _, body, complete = f.request("GET", P5 + "/queue/data?session_hash=s")
        return [d for _, d in parse_sse(body)], complete

    with with_fault("error_event") as f:
        msgs, complete = run(f, 50)
        done = [json.loads(m) for m in msgs if "process_completed" in m][0]
        check(done["success"] is False and done["output"] == {"error": None} and complete)
    with with_fault("error_event_msg") as f:
        done = [json.loads(m) for m in run(f, 51)[0] if "process_completed" in m][0]
        check(done["success"] is False and isinstance(done["output"]["error"], str))
    with with_fault("drop_stream") as f:
        msgs, complete = run(f, 52)
        check(not complete and not any("close_stream" in m for m in msgs), msgs)
    with with_fault("malformed") as f:
        msgs, _ = run(f, 53)
        try:
            json.loads([m for m in msgs if "process_completed" in m][0])
            check(False, "first malformed variant is invalid JSON")
        except ValueError:
            pass


@test
def fault_probability_is_seeded():
    def sequence(seed):
        with Fake("--fault", "error_event:0.5", "--seed", seed, "--service-ms", 1) as f:
            path = f.upload([("x.png", image(60))])[0]
            seq = "".join("E" if f.call_stream(f.call(file_data(path)))[2][-1][0] == "error"
                          else "." for _ in range(16))
            st = f.stats()
            check(st["faults_injected"].get("error_event", 0) == seq.count("E"))
            check(st["predictions_completed"] == seq.count("."))
            return seq

    a, b, c = sequence(7), sequence(7), sequence(8)
    check(a == b, "same seed, same faults: %s %s" % (a, b))
    check(2 <= a.count("E") <= 14 and a != c, "%s vs %s" % (a, c))


@test
def control_routes():
    with Fake("--service-ms", 10) as f:
        path = f.upload([("x.png", image(70))])[0]
        body = {"data": [file_data(path), MODEL, 0.35, False, 0.85, False]}
        check(f.post_json("/__fake/fault", {"fault": "server_error"})[1] == {"server_error": 1.0})
        check(f.post_json(P5 + "/call/predict", body)[0] == 500)
        f.post_json("/__fake/fault", {"fault": "server_error", "prob": 0})
        check(f.post_json(P5 + "/call/predict", body)[0] == 200)
        f.post_json("/__fake/fault", {"fault": "auth", "prob": 0.5})
        check(f.post_json("/__fake/fault", {"clear": True})[1] == {})
        check(f.post_json("/__fake/fault", {"fault": "bogus"})[0] == 400)
        check(f.get_json("/__fake/faults")[1] == {})
        h = sha(image(70))
        status, out = f.get_json("/__fake/expect?sha256=%s&model=%s&gthr=0.1&cthr=0.2&gmcut=1"
                                 % (h, MODEL))
        check(status == 200 and out == fs.expected_outputs(h, MODEL, 0.1, True, 0.2, False))
        status, scores = f.get_json("/__fake/scores?sha256=%s&model=%s" % (h, MODEL))
        check(len(scores) == len(fs.VOCAB) and scores[4]["name"] == fs.VOCAB[4][1] and
              [s["score"] for s in scores] == fs.compute_scores(h, MODEL))
        check(f.get_json("/__fake/expect?sha256=xyz")[0] == 400)
        f.post_json("/__fake/settings", {"stage": "BUILDING"})
        check(f.get_json("/api/spaces/a/b/runtime")[1]["stage"] == "BUILDING")
        check(f.get("/config")[0] == 503)


# ---------------------------------------------------------------------------------------------
# A1111
# ---------------------------------------------------------------------------------------------

@test
def a1111_flat():
    with Fake("--a1111", "--a1111-shape", "flat", "--service-ms", 10) as f:
        status, models = f.get_json("/tagger/v1/interrogators")
        check(status == 200 and "wd14-vit-v2" in models["models"])
        img = image(80)
        status, body, _ = f.post_json("/tagger/v1/interrogate", {
            "image": base64.b64encode(img).decode(), "model": "wd14-vit-v2", "threshold": 0.35})
        check(status == 200, body)
        cap = body["caption"]
        keys = list(cap)
        check(keys[:4] == fs.RATINGS, keys[:5])
        scores = fs.compute_scores(sha(img), "wd14-vit-v2")
        want = {r[1]: s for r, s in zip(fs.VOCAB, scores) if r[2] != 9 and s >= 0.35}
        check(dict(list(cap.items())[4:]) == want and "_" in "".join(keys[4:]))
        vals = list(cap.values())[4:]
        check(vals == sorted(vals, reverse=True))
        status, body, _ = f.post_json("/tagger/v1/interrogate", {
            "image": "data:image/png;base64," + base64.b64encode(img).decode(),
            "model": "wd14-vit-v2"})
        check(body["caption"] == cap, "data URL form, default threshold 0.35")
        check(f.post_json("/tagger/v1/interrogate", {"image": "x", "model": "nope"})[:2] ==
              (404, {"detail": "Model not found"}))
        check(f.post_json("/tagger/v1/interrogate", {"model": "wd14-vit-v2"})[:2] ==
              (404, {"detail": "Image not found"}))
        check(f.stats()["completed_by_sha256"] == {sha(img): 2})


@test
def a1111_nested_and_auth():
    with Fake("--a1111", "--a1111-shape", "nested", "--a1111-auth", "u:p") as f:
        check(f.get("/tagger/v1/interrogators")[0] == 401)
        auth = {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}
        status, models = f.get_json("/tagger/v1/interrogators", auth)
        check(status == 200 and "wd14-vit.v2" in models["models"])
        img = image(81)
        status, body, _ = f.post_json("/tagger/v1/interrogate", {
            "image": base64.b64encode(img).decode(), "model": "wd14-vit.v2"}, auth)
        check(status == 200 and set(body["caption"]) == {"tag", "rating"})
        check(list(body["caption"]["rating"]) == fs.RATINGS)
        check(len(body["caption"]["tag"]) == len(fs.GENERAL_IDX) + len(fs.CHARACTER_IDX),
              "threshold 0.0 by default: every tag with a score")


# ---------------------------------------------------------------------------------------------

def main(argv):
    global VERBOSE
    VERBOSE = "-v" in argv
    wanted = [a for a in argv if a != "-v"]
    passed = failed = 0

    def run(fn):
        """fn's report line, and the traceback of its failure."""
        t0 = time.monotonic()
        try:
            fn()
            return "ok   %-36s %.2f s" % (fn.__name__, time.monotonic() - t0), None
        except Exception as e:  # noqa: BLE001 - report any failure and go on
            return "FAIL %-36s %s: %s" % (fn.__name__, type(e).__name__, e), \
                traceback.format_exc()

    chosen = [fn for fn in TESTS if not wanted or any(w in fn.__name__ for w in wanted)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for line, trace in pool.map(run, chosen):
            if trace is None:
                passed += 1
            else:
                failed += 1
            print(line, flush=True)
            if trace and VERBOSE:
                print(trace, end="", file=sys.stderr, flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
