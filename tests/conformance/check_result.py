#!/usr/bin/env python3
"""Check what client.mjs printed against what the fake computes for the same bytes.

    python3 check_result.py PORT IMAGE MODEL GTHR CTHR RESULT_FILE

Exit 0 if RESULT_FILE holds one JSON line equal to the fake's own outputs for sha256(IMAGE),
with the 4 outputs shaped as Gradio sends them, and /__fake/stats shows the official client
went through upload + queue/join + queue/data exactly once. Standard library only.
"""
import hashlib
import json
import os
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fake_space"))
import fake_space  # noqa: E402


def label_ok(v, allow_empty):
    if v == {}:
        return allow_empty
    if not isinstance(v, dict) or set(v) != {"label", "confidences"}:
        return False
    confs = v["confidences"]
    if not confs or confs[0]["label"] != v["label"]:
        return False
    values = [c["confidence"] for c in confs]
    return all(set(c) == {"label", "confidence"} for c in confs) and \
        values == sorted(values, reverse=True)


def main(argv):
    port, image, model, gthr, cthr, result_file = argv
    errors = []
    with open(result_file, encoding="utf-8") as f:
        lines = [ln for ln in f.read().splitlines() if ln.strip()]
    if len(lines) != 1:
        print("check: expected one JSON line from client.mjs, got %d" % len(lines))
        return 1
    got = json.loads(lines[0])
    if not (isinstance(got, list) and len(got) == 4):
        print("check: result is not a list of 4 outputs: %.200r" % got)
        return 1
    if not isinstance(got[0], str):
        errors.append("output 0 is not a string")
    if not label_ok(got[1], False) or len(got[1].get("confidences", [])) != 4:
        errors.append("output 1 is not a Label of the 4 ratings")
    if not label_ok(got[2], True):
        errors.append("output 2 is not a Label (or {})")
    if not label_ok(got[3], True):
        errors.append("output 3 is not a Label (or {})")
    with open(image, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    want = fake_space.expected_outputs(sha, model, float(gthr), False, float(cthr), False)
    if got != want:
        errors.append("result differs from fake_space.expected_outputs(%s...)" % sha[:12])
    base = "http://127.0.0.1:%s" % port
    url = "%s/__fake/expect?sha256=%s&model=%s&gthr=%s&cthr=%s" % (base, sha, model, gthr, cthr)
    with urllib.request.urlopen(url, timeout=10) as r:
        if json.loads(r.read()) != want:
            errors.append("/__fake/expect disagrees with expected_outputs")
    with urllib.request.urlopen(base + "/__fake/stats", timeout=10) as r:
        stats = json.loads(r.read())
    req = stats["requests"]
    checks = [("uploads", stats["uploads"], 1), ("predictions_completed",
              stats["predictions_completed"], 1), ("queue_join", req.get("queue_join"), 1),
              ("queue_data", req.get("queue_data"), 1), ("call", req.get("call", 0), 0),
              ("completed_by_sha256", stats["completed_by_sha256"], {sha: 1})]
    for name, value, expect in checks:
        if value != expect:
            errors.append("stats %s = %r, expected %r" % (name, value, expect))
    for e in errors:
        print("check: " + e)
    if not errors:
        print("check: ok: 4 outputs, %d general tags, %d characters, rating %s" % (
            len(got[3].get("confidences", [])), len(got[2].get("confidences", [])),
            got[1]["label"]))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
