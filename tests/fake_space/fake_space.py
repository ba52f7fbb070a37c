#!/usr/bin/env python3
"""fake_space.py - test fake of SmilingWolf's wd-tagger Gradio Space and of the HF hub API.

Standard library only. Listens on 127.0.0.1 only. One process = one Space (plus the hub
routes that resolve any OWNER/NAME back to this same server).

Start it from a test and discover the port:

    python3 tests/fake_space/fake_space.py --port 0 --port-file /tmp/x/port [options]
    -> prints "PORT <n>" (flushed) on stdout and writes "<n>\\n" atomically to --port-file
       once the socket listens. Stop it with SIGTERM (exits 0).

Options (see --help): --gradio 6|5|4, --gradio-version, --bad-gateway-s, --service-ms,
--concurrency, --queue-size, --fault NAME[:PROB] (repeatable), --seed, --stop-after, --token,
--stage, --wake-after-s, --retry-after, --heartbeat-s, --max-stream-s, --upload-cache-mb, --log,
--vocab-dump, --a1111, --a1111-shape flat|nested, --a1111-auth USER:PASS.

Each mode says what that Gradio says (proto §2, §2.10), where it differs:
  4 (4.44.1)  no api_prefix; an unknown or expired event's stream says "404: Session not
              found." and the connection drops; error events carry null.
  5 (5.49.1)  /gradio_api; the same stream says "404: Not Found", then drops; error events null.
  6 (6.25.0)  as 5.x, and /config has footer_links (no top-level show_api), api_visibility
              in each dependency (no show_api), every api_name a string, "buttons" props;
              from 6.13 an error event carries the whole error object ({"error": null}, or
              {"error", "duration", "visible", "title"}); from 6.15 --bad-gateway-s; from 6.25
              a /call stream finds an event filed under a session_hash.
  --gradio-version picks another version of the mode (e.g. 6.12.0: null error events).

Control routes (never subject to token, faults, sleep or --stop-after):
    GET  /__fake/stats                 counters (see State.stats_json)
    POST /__fake/reset                 zero the counters
    GET  /__fake/faults                active faults {name: prob}
    POST /__fake/fault                 {"fault": NAME, "prob": P} (P 0 removes), or {"clear": true}
    POST /__fake/sleep                 {"wake_after_s": S}: fall asleep now (next Space request wakes)
    POST /__fake/settings              {"service_ms": N, "queue_size": N, "stage": "...",
                                        "bad_gateway_s": S (6.15+: 502s for S s from now)}
    GET  /__fake/expect?sha256=H&model=M&gthr=&cthr=&gmcut=0|1&cmcut=0|1   the 4 outputs
    GET  /__fake/scores?sha256=H&model=M    every score, Danbooru names, vocabulary order
    GET  /__fake/vocab                 selected_tags.csv form (same as --vocab-dump)

Faults (--fault NAME = always, --fault NAME:0.3 = seeded probability). Where each is rolled:
    prediction POST (/call/predict, /queue/join):  queue_full rate_limit server_error
        slow_connect hang drop_stream malformed error_event error_event_msg huge_answer
        lost_event (/call only) echo_auth
    every Space request but the SSE GETs (config, info, upload, predictions): auth forbidden sleeping
    /config (and /info): not_wd_tagger html_config
  slow_connect: the prediction POST never gets a byte back.  hang: the POST succeeds, the SSE
  GET never gets a byte (not even headers).  drop_stream: one heartbeat, then the connection is
  cut mid-chunked-body.  malformed: 'complete' data rotates through truncated JSON, 2 outputs,
  a non-list and a bad Label.  error_event: the run fails (the mode's error event).
  error_event_msg: the run fails with gr.Error("Fake failure ..."): its text reaches a /call
  client only from 6.13 (null before), a /queue client always.  lost_event: the POST gets an
  event id whose event is already gone (expired, or a restart in between): its stream says the
  mode's 404 and drops.  echo_auth: the error quotes the request's Authorization header back,
  past the 170th character; even hits in the POST's 500 answer, odd ones in the stream's error
  event (before 6.13 as an unexpected error's text).  Faulted runs never count as completed
  predictions.

Other behaviour worth knowing:
  - Scores: seed = sha256(b"tagcon-fake-v1" + sha256(image bytes) + model); every vocabulary
    row gets a float32-valued score >= 0, so tests that know a file's sha256 can use
    /__fake/expect or import this module (expected_outputs, compute_scores).
  - --wake-after-s S: the hub reports SLEEPING until the first *Space* request (hub requests do
    not wake it, as on HF), then APP_STARTING for S seconds, then --stage; meanwhile every
    Space route answers 503 HTML. A --stage that is not RUNNING* also makes Space routes 503.
  - --bad-gateway-s S (6.15+): Node's proxy answers /config and /gradio_api/* with 502
    text/plain "Bad Gateway" for S seconds from the first Space request (after any wake);
    the hub says RUNNING meanwhile (the container is up).
  - --stop-after N: after the Nth successful prediction (its result is still delivered),
    every new request and every open stream goes silent; control routes still answer.
  - --token T: every Space and hub route wants "Authorization: Bearer T", else 401 HTML.
  - A /call event whose stream the client leaves while it still waits is dropped from the
    queue, as Gradio's clean_events does.
Comments that mirror Gradio or the Space cite /work/shared/docs/space-protocol.md as "proto §x".
"""

import argparse
import base64
import binascii
import collections
import hashlib
import json
import math
import os
import random
import re
import select
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

# ---------------------------------------------------------------------------------------------
# The Space's fixed facts (proto §1)
# ---------------------------------------------------------------------------------------------

MODELS = [  # proto §1.2, dropdown order
    "SmilingWolf/wd-swinv2-tagger-v3",
    "SmilingWolf/wd-convnext-tagger-v3",
    "SmilingWolf/wd-vit-tagger-v3",
    "SmilingWolf/wd-vit-large-tagger-v3",
    "SmilingWolf/wd-eva02-large-tagger-v3",
    "SmilingWolf/wd-v1-4-moat-tagger-v2",
    "SmilingWolf/wd-v1-4-swinv2-tagger-v2",
    "SmilingWolf/wd-v1-4-convnext-tagger-v2",
    "SmilingWolf/wd-v1-4-convnextv2-tagger-v2",
    "SmilingWolf/wd-v1-4-vit-tagger-v2",
    "deepghs/idolsankaku-swinv2-tagger-v1",
    "deepghs/idolsankaku-eva02-large-tagger-v1",
]
DEFAULT_MODEL = MODELS[0]
DEFAULT_GENERAL_THRESH = 0.35  # proto §1.1
DEFAULT_CHARACTER_THRESH = 0.85
TITLE = "WaifuDiffusion Tagger"
SPACE_ID = "SmilingWolf/wd-tagger"

# proto §1.3: these keep their underscores in the Space's output names.
KAOMOJIS = ["0_0", "(o)_(o)", "+_+", "+_-", "._.", "<o>_<o>", "<|>_<|>", "=_=", ">_<", "3_3",
            "6_9", ">_o", "@_@", "^_^", "o_o", "u_u", "x_x", "|_|", "||_||"]

RATINGS = ["general", "sensitive", "questionable", "explicit"]

# Danbooru general tags, roughly by frequency (earlier = more common = more often high).
GENERAL_TAGS = """
1girl solo long_hair breasts looking_at_viewer blush smile short_hair open_mouth bangs
blue_eyes simple_background shirt skirt large_breasts multiple_girls blonde_hair brown_hair
black_hair hair_ornament red_eyes long_sleeves 1boy white_background holding dress gloves hat
bow thighhighs medium_breasts ribbon navel closed_mouth cleavage brown_eyes 2girls animal_ears
jewelry hair_between_eyes sitting very_long_hair bare_shoulders standing collarbone upper_body
hair_ribbon school_uniform purple_eyes full_body tail weapon green_eyes yellow_eyes jacket
white_shirt closed_eyes :d twintails small_breasts ponytail braid silver_hair sweat hair_bow
grey_hair purple_hair pink_hair blue_hair red_hair white_hair multicolored_hair ahoge flower
short_sleeves outdoors sky day cloud tree pleated_skirt one_eye_closed sleeveless food
cowboy_shot signature teeth ;d :o detached_sleeves frills thighs earrings glasses necktie boots
heart swimsuit hairband choker ^_^ miniskirt serafuku collared_shirt belt black_gloves hand_up
tongue tongue_out parted_lips wings horns barefoot hood indoors night star_(symbol)
heart_(symbol) nose_blush animal_ear_fluff fox_ears cat_ears holding_weapon sword gun katana
shorts shoes socks kneehighs black_thighhighs white_thighhighs zettai_ryouiki bikini
off_shoulder hair_flower hairclip x_hair_ornament looking_back from_behind from_side profile
>_< lying on_back on_side kneeling arms_up arm_up outstretched_arm v hand_on_own_hip
spoken_heart musical_note english_text speech_bubble monochrome greyscale sketch
watercolor_(medium) artist_name dated twitter_username watermark blurry depth_of_field
official_art cosplay scenery no_humans water ocean beach moon o_o snow rain petals
cherry_blossoms leaf grass building city window bed pillow chair table cup book cellphone
umbrella bag blue_sky sunset starry_sky halo fang skin_fang hair_intakes sidelocks blunt_bangs
swept_bangs parted_bangs two_side_up side_ponytail hair_bun double_bun single_braid twin_braids
drill_hair wavy_hair messy_hair streaked_hair gradient_hair two-tone_hair colored_inner_hair
heterochromia slit_pupils symbol-shaped_pupils heart-shaped_pupils tears crying angry
embarrassed surprised expressionless smug grin pout frown x_x wavy_mouth half-closed_eyes
jitome tsurime tareme eyelashes makeup lipstick nail_polish red_nails mole mole_under_eye
freckles dark_skin dark-skinned_female muscular abs midriff stomach armpits feet toes ass
thigh_gap hair_over_one_eye hair_over_shoulder floating_hair wind motion_lines sparkle
light_particles glowing glowing_eyes magic fire smoke blood bandages bandaid eyepatch mask
mouth_mask headphones hair_tie scrunchie neck_ribbon red_ribbon bowtie red_bow white_bow
black_bow maid maid_headdress apron kimono japanese_clothes obi sash yukata china_dress
sweater hoodie coat cape cloak vest military_uniform armor shoulder_armor gauntlets leotard
playboy_bunny rabbit_ears fake_animal_ears wrist_cuffs bracelet necklace ring crown tiara veil
witch_hat beret baseball_cap straw_hat rose white_flower lace_trim frilled_dress frilled_skirt
black_dress white_dress blue_dress sundress plaid_skirt black_pantyhose fishnets garter_straps
high_heels sandals sneakers mary_janes holding_cup holding_book holding_phone staff wand shield
polearm bow_(weapon) arrow_(projectile) guitar microphone cat dog bird butterfly fish dragon
stuffed_toy teddy_bear candy cake fruit strawberry ice_cream drinking_straw bottle
gradient_background grey_background black_background pink_background transparent_background
border letterboxed multiple_views reference_sheet chibi solo_focus multiple_boys 2boys 3girls
6+girls hug holding_hands sleeping eating drinking running walking dancing reading waving
pointing salute head_tilt leaning_forward crossed_arms crossed_legs knees_up squatting seiza
wariza all_fours spread_arms own_hands_together hand_on_own_chest finger_to_mouth
index_finger_raised thumbs_up clenched_hand fingernails claws tattoo facial_mark
whisker_markings ! !? ? ... ^^^ speed_lines dutch_angle from_above from_below pov close-up
portrait horizon mountain forest river bridge street stairs door curtains classroom bedroom
shrine torii paper_lantern fireworks christmas halloween jack-o'-lantern :3 0_0 (o)_(o) +_+
+_- ._. <o>_<o> <|>_<|> =_= 3_3 6_9 >_o @_@ u_u |_| ||_||
""".split()

# Danbooru character tags (note ':' ''' '.' and parentheses in some names).
CHARACTER_TAGS = """
hatsune_miku hakurei_reimu kirisame_marisa remilia_scarlet flandre_scarlet izayoi_sakuya
konpaku_youmu saigyouji_yuyuko cirno patchouli_knowledge komeiji_koishi komeiji_satori
fujiwara_no_mokou shameimaru_aya kagamine_rin megurine_luka kaname_madoka akemi_homura
souryuu_asuka_langley ayanami_rei artoria_pendragon_(fate) tohsaka_rin matou_sakura
jeanne_d'arc_alter_(fate) gawr_gura hoshimachi_suisei houshou_marine usada_pekora
inugami_korone nakano_miku rem_(re:zero) emilia_(re:zero) megumin aqua_(konosuba)
zero_two_(darling_in_the_franxx) yor_briar anya_(spy_x_family) makima_(chainsaw_man)
power_(chainsaw_man) raiden_shogun hu_tao_(genshin_impact) lumine_(genshin_impact)
d.va_(overwatch) 2b_(nier:automata)
""".split()

CAT_RATING, CAT_GENERAL, CAT_CHARACTER = 9, 0, 4  # proto §1.6


def _build_vocab():
    """Rows in selected_tags.csv order: 4 ratings, then general, then character (proto §1.6)."""
    rows, seen = [], set()
    for cat, names in ((CAT_RATING, RATINGS), (CAT_GENERAL, GENERAL_TAGS),
                       (CAT_CHARACTER, CHARACTER_TAGS)):
        for rank, name in enumerate(names):
            if name in seen:
                raise SystemExit("fake_space: duplicate tag in vocabulary: " + name)
            seen.add(name)
            tag_id = 9999990 + len(rows) if cat == CAT_RATING else \
                int(hashlib.sha256(name.encode()).hexdigest()[:6], 16) % 2000000 + 1000
            count = 0 if cat == CAT_RATING else int(5000000 / (rank + 1) ** 0.85)
            rows.append((tag_id, name, cat, count))
    return rows


VOCAB = _build_vocab()
RATING_IDX = [i for i, r in enumerate(VOCAB) if r[2] == CAT_RATING]
GENERAL_IDX = [i for i, r in enumerate(VOCAB) if r[2] == CAT_GENERAL]
CHARACTER_IDX = [i for i, r in enumerate(VOCAB) if r[2] == CAT_CHARACTER]


def space_name(name):
    """proto §1.3: '_' -> ' ' except for the kaomoji."""
    return name if name in KAOMOJIS else name.replace("_", " ")


SPACE_NAMES = [space_name(r[1]) for r in VOCAB]


def vocab_csv():
    lines = ["tag_id,name,category,count"]
    for tag_id, name, cat, count in VOCAB:
        field = '"%s"' % name.replace('"', '""') if ("," in name or '"' in name) else name
        lines.append("%d,%s,%d,%d" % (tag_id, field, cat, count))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Deterministic scores. Seed = sha256(b"tagcon-fake-v1" + sha256(image bytes) + model), so a
# test that knows only a file's sha256 can ask /__fake/expect. Word stream = SHAKE-256 of the
# seed, 12 bytes per vocabulary row (three big-endian uint32 -> u0, u1, u2 in [0, 1)).
# ---------------------------------------------------------------------------------------------

def f32(x):
    """The model runs in float32; the Space sends float32 values as JSON doubles."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def _uniforms(seed, n):
    raw = hashlib.shake_256(seed).digest(12 * n)
    return [struct.unpack_from(">III", raw, 12 * i) for i in range(n)]


def compute_scores(image_sha256_hex, model):
    """Every vocabulary row's probability, float32-valued, all >= 0."""
    seed = hashlib.sha256(b"tagcon-fake-v1" + bytes.fromhex(image_sha256_hex)
                          + model.encode("utf-8")).digest()
    words = [(a / 2.0 ** 32, b / 2.0 ** 32, c / 2.0 ** 32) for a, b, c in _uniforms(seed, len(VOCAB))]
    scores = [0.0] * len(VOCAB)
    # ratings: softmax of biased logits, so they sum to ~1 and "general" wins most often
    logits = [bias + 4.0 * words[i][0] for i, bias in zip(RATING_IDX, (2.0, 1.0, 0.0, -0.5))]
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    for i, e in zip(RATING_IDX, exps):
        scores[i] = f32(e / sum(exps))
    # general: K "present" tags (0.5-0.99), M mid tags (0.05-0.5), a long low tail.
    # Weighted sampling without replacement by exponential races: common tags win more often.
    n_high, n_mid = 3 + seed[0] % 12, 2 + seed[1] % 6
    race = sorted(GENERAL_IDX, key=lambda i: -math.log(1.0 - words[i][0]) * (i + 8) ** 0.8)
    for rank, i in enumerate(race):
        u = words[i][1]
        if rank < n_high:
            p = 0.5 + 0.49 * u
        elif rank < n_high + n_mid:
            p = 0.05 + 0.45 * u
        else:
            p = 0.0001 + 0.08 * u ** 3
        scores[i] = f32(p)
    # characters: 0 (50 %), 1 (35 %) or 2 (15 %) high; the rest tiny
    n_char = 0 if seed[2] % 20 < 10 else (1 if seed[2] % 20 < 17 else 2)
    race = sorted(CHARACTER_IDX, key=lambda i: words[i][0])
    for rank, i in enumerate(race):
        u = words[i][1]
        scores[i] = f32(0.6 + 0.39 * u if rank < n_char else 0.00001 + 0.06 * u ** 4)
    return scores


# ---------------------------------------------------------------------------------------------
# The Space's predict() and Gradio's postprocessing (proto §1.3, §1.4, §2.7)
# ---------------------------------------------------------------------------------------------

def mcut_threshold(probs):
    """proto §1.4: numpy argsort()[::-1], argmax of gaps (first on ties), midpoint."""
    s = sorted(probs, reverse=True)
    if len(s) < 2:
        return s[0] if s else 0.0
    difs = [s[i] - s[i + 1] for i in range(len(s) - 1)]
    t = difs.index(max(difs))
    return (s[t] + s[t + 1]) / 2


def label_value(d):
    """gr.Label.postprocess: empty -> {}, else top label + confidences sorted desc (stable)."""
    if not d:
        return {}
    items = sorted(d.items(), key=lambda kv: kv[1], reverse=True)
    return {"label": items[0][0],
            "confidences": [{"label": k, "confidence": v} for k, v in items]}


def space_outputs(scores, gthr, gmcut, cthr, cmcut):
    """Mirror of the Space's Predictor.predict + output postprocessing: 4 outputs."""
    rating = {SPACE_NAMES[i]: scores[i] for i in RATING_IDX}
    general = [(SPACE_NAMES[i], scores[i]) for i in GENERAL_IDX]
    if gmcut:
        gthr = mcut_threshold([p for _, p in general])
    general_res = dict(x for x in general if x[1] > gthr)
    character = [(SPACE_NAMES[i], scores[i]) for i in CHARACTER_IDX]
    if cmcut:
        cthr = max(0.15, mcut_threshold([p for _, p in character]))
    character_res = dict(x for x in character if x[1] > cthr)
    names = [k for k, _ in sorted(general_res.items(), key=lambda kv: kv[1], reverse=True)]
    text = ", ".join(names).replace("(", "\\(").replace(")", "\\)")
    return [text, label_value(rating), label_value(character_res), label_value(general_res)]


def expected_outputs(image_sha256_hex, model=DEFAULT_MODEL, gthr=DEFAULT_GENERAL_THRESH,
                     gmcut=False, cthr=DEFAULT_CHARACTER_THRESH, cmcut=False):
    """What the fake answers for an image with this sha256 (importable by tests)."""
    return space_outputs(compute_scores(image_sha256_hex, model), gthr, gmcut, cthr, cmcut)


class SpaceError(Exception):
    """A failed run. message None = Gradio hides it (show_error=False, non-gr.Error)."""

    def __init__(self, message=None):
        super().__init__(message or "error")
        self.message = message


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# ---------------------------------------------------------------------------------------------
# Gradio /config and /info (proto §2.1, §2.10), shaped like gradio 6.25.0 / 5.49.1 / 4.44.1
# serve them
# ---------------------------------------------------------------------------------------------

VERSIONS = {4: "4.44.1", 5: "5.49.1", 6: "6.25.0"}  # what each --gradio mode says it runs


def version_tuple(version):
    """'6.13.0' -> (6, 13, 0); a pre-release '6.0.0-dev.5' -> (6, 0, 0)."""
    return tuple(int(x) for x in re.findall(r"\d+", version.split("-")[0])[:3])

FILE_SCHEMA = {
    "properties": {
        "path": {"title": "Path", "type": "string"},
        "url": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Url"},
        "size": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None, "title": "Size"},
        "orig_name": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None,
                      "title": "Orig Name"},
        "mime_type": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None,
                      "title": "Mime Type"},
        "is_stream": {"default": False, "title": "Is Stream", "type": "boolean"},
        "meta": {"default": {"_type": "gradio.FileData"}, "title": "Meta", "type": "object"},
    },
    "required": ["path"], "title": "ImageData", "type": "object",
    "description": "For input, either path or url must be provided. For output, path is always provided.",
}
_LABEL_ANY = {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "number"},
                        {"type": "null"}], "default": None, "title": "Label"}
LABEL_SCHEMA = {
    "$defs": {"LabelConfidence": {"properties": {
        "label": _LABEL_ANY,
        "confidence": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": None,
                       "title": "Confidence"}}, "title": "LabelConfidence", "type": "object"}},
    "properties": {"label": _LABEL_ANY, "confidences": {
        "anyOf": [{"items": {"$ref": "#/$defs/LabelConfidence"}, "type": "array"}, {"type": "null"}],
        "default": None, "title": "Confidences"}},
    "title": "LabelData", "type": "object"}
LABEL_PYTYPE = ("Dict(label: str | int | float | None, confidences: List[Dict(label: str | int | "
                "float | None, confidence: float | None)] | None)")
EXAMPLE_URL = "https://raw.githubusercontent.com/gradio-app/gradio/main/test/test_files/bus.png"

DESCRIPTION = ("Demo for the WaifuDiffusion tagger models\n\n"
               "Example image by [\u307b\u3057\u3044\u30ce](https://www.pixiv.net/en/users/43565085)")

# ids as gr.Blocks numbers them for the wd-tagger layout (Blocks root = 0; forms added on exit)
C_IMAGE, C_MODEL, C_GTHR, C_GMCUT, C_CTHR, C_CMCUT = 6, 7, 9, 10, 12, 13
C_CLEAR, C_SUBMIT, C_TEXT, C_RATING, C_CHARS, C_TAGS, C_EXAMPLES = 15, 16, 18, 19, 20, 21, 22
INPUT_IDS = [C_IMAGE, C_MODEL, C_GTHR, C_GMCUT, C_CTHR, C_CMCUT]
OUTPUT_IDS = [C_TEXT, C_RATING, C_CHARS, C_TAGS]
PREDICT_FN = 2  # ClearButton adds two js-only dependencies first (proto §1.1: fn_index 2)

LAYOUT = {"id": 0, "children": [{"id": 1, "children": [
    {"id": 2}, {"id": 3}, {"id": 4, "children": [
        {"id": 5, "children": [
            {"id": 6}, {"id": 25, "children": [{"id": 7}]},
            {"id": 8, "children": [{"id": 23, "children": [{"id": 9}, {"id": 10}]}]},
            {"id": 11, "children": [{"id": 24, "children": [{"id": 12}, {"id": 13}]}]},
            {"id": 14, "children": [{"id": 15}, {"id": 16}]}]},
        {"id": 17, "children": [{"id": 26, "children": [{"id": 18}]},
                                {"id": 19}, {"id": 20}, {"id": 21}]}]}]},
    {"id": 22}]}


def _component(cid, ctype, props, api=None, example=None):
    base = {"visible": True, "elem_classes": [], "name": ctype}
    if api is not None:
        base.update({"show_label": True, "container": True, "min_width": 160, "_selectable": False})
    base.update(props)
    comp = {"id": cid, "type": ctype, "props": base, "skip_api": api is None,
            "component_class_id": hashlib.sha256(ctype.encode()).hexdigest(), "key": None}
    if api is not None:
        comp.update({"api_info": api, "api_info_as_input": api, "api_info_as_output": api,
                     "example_inputs": example})
    return comp


def _components(root, prefix, major):
    example_path = "/tmp/gradio/0d1a4a9a8b2f4f5c6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f/power.jpg"
    example_file = {"path": example_path, "url": "%s%s/file=%s" % (root, prefix, example_path),
                    "orig_name": "power.jpg", "mime_type": "image/jpeg", "is_stream": False,
                    "meta": {"_type": "gradio.FileData"}}
    image_example = {"path": EXAMPLE_URL, "meta": {"_type": "gradio.FileData"},
                     "orig_name": "bus.png", "url": EXAMPLE_URL}
    column = lambda cid, variant: _component(cid, "column", {
        "variant": variant, "scale": 1, "min_width": 320, "show_progress": False})
    row = lambda cid: _component(cid, "row", {"variant": "default", "equal_height": False,
                                              "show_progress": False})
    form = lambda cid: _component(cid, "form", {"scale": 0, "min_width": 0})
    # 6.x: show_*_button props give way to a "buttons" list (proto §2.10)
    slider_buttons = {"buttons": None} if major >= 6 else {"show_reset_button": True}
    slider = lambda cid, value, label: _component(cid, "slider", dict({
        "minimum": 0, "maximum": 1, "step": 0.05, "value": value, "label": label, "scale": 3,
        "interactive": True}, **slider_buttons),
        {"maximum": 1, "minimum": 0, "type": "number"}, 0)
    checkbox = lambda cid: _component(cid, "checkbox", {
        "value": False, "label": "Use MCut threshold", "scale": 1, "interactive": True},
        {"type": "boolean"}, True)
    label = lambda cid, text: _component(cid, "label", {"label": text, "show_heading": True},
                                         LABEL_SCHEMA, {"label": "Cat", "confidences": None})
    markdown = lambda cid, value: _component(cid, "markdown", {
        "value": value, "show_label": False, "rtl": False, "sanitize_html": True,
        "line_breaks": False, "header_links": False, "container": False,
        "latex_delimiters": [{"left": "$$", "right": "$$", "display": True}]},
        {"type": "string"}, "Hello!!")
    button = lambda cid, value, variant: _component(cid, "button", {
        "value": value, "variant": variant, "size": "lg", "interactive": True},
        {"type": "string"}, "Run")
    if major >= 6:
        image_buttons = {"buttons": ["download", "share", "fullscreen"]}
        text_buttons = {"buttons": None}
    else:
        image_buttons = {"show_download_button": True, "show_share_button": True,
                         "show_fullscreen_button": True}
        text_buttons = {"show_copy_button": False}
    return [
        column(1, "default"),
        markdown(2, "<h1 style='text-align: center; margin-bottom: 1rem'>%s</h1>" % TITLE),
        markdown(3, DESCRIPTION),
        row(4), column(5, "panel"),
        _component(C_IMAGE, "image", dict({
            "image_mode": "RGBA", "sources": ["upload", "webcam", "clipboard"], "type": "pil",
            "label": "Input", "streaming": False, "mirror_webcam": True, "format": "webp",
            "interactive": True}, **image_buttons), FILE_SCHEMA, image_example),
        _component(C_MODEL, "dropdown", {
            "choices": [[m, m] for m in MODELS], "value": DEFAULT_MODEL, "type": "value",
            "allow_custom_value": False, "filterable": True, "label": "Model",
            "interactive": True},
            {"enum": list(MODELS), "title": "Dropdown", "type": "string"}, DEFAULT_MODEL),
        row(8), slider(C_GTHR, DEFAULT_GENERAL_THRESH, "General Tags Threshold"),
        checkbox(C_GMCUT),
        row(11), slider(C_CTHR, DEFAULT_CHARACTER_THRESH, "Character Tags Threshold"),
        checkbox(C_CMCUT),
        row(14), button(C_CLEAR, "Clear", "secondary"), button(C_SUBMIT, "Submit", "primary"),
        column(17, "panel"),
        _component(C_TEXT, "textbox", dict({
            "value": "", "lines": 1, "max_lines": 20, "label": "Output (string)",
            "autofocus": False, "autoscroll": True, "type": "text", "rtl": False},
            **text_buttons), {"type": "string"}, "Hello!!"),
        label(C_RATING, "Rating"), label(C_CHARS, "Output (characters)"),
        label(C_TAGS, "Output (tags)"),
        _component(C_EXAMPLES, "dataset", {
            "components": ["image", "dropdown", "slider", "checkbox", "slider", "checkbox"],
            "headers": ["Input", "Model", "General Tags Threshold", "Use MCut threshold",
                        "Character Tags Threshold", "Use MCut threshold"],
            "samples": [[example_file, DEFAULT_MODEL, 0.35, False, 0.85, False]],
            "type": "index", "label": "Examples", "samples_per_page": 10, "layout": "gallery"},
            {"type": "integer"}, 0),
        form(23), form(24), form(25), form(26),
    ]


def _dependency(major, fid, targets, inputs, outputs, fn, js, queue, api_name, visibility,
                show_progress="full"):
    """visibility: 6.x api_visibility (public / undocumented / private); before 6 it is
    show_api (True for public) and an unnamed function's api_name is null in 4.x."""
    dep = {"id": fid, "targets": targets, "inputs": inputs, "outputs": outputs,
           "backend_fn": fn, "js": js, "queue": queue, "api_name": api_name,
           "scroll_to_output": False, "show_progress": show_progress, "batch": False,
           "max_batch_size": 4, "cancels": [], "types": {"generator": False, "cancel": False},
           "collects_event_data": False, "trigger_after": None, "trigger_only_on_success": False,
           "trigger_mode": "once", "rendered_in": None,
           "connection": "sse", "time_limit": None, "stream_every": 0.5,
           "event_specific_args": None}
    if major >= 6:
        dep.update({"api_description": None, "show_progress_on": None,
                    "trigger_only_on_failure": False, "api_visibility": visibility,
                    "render_id": None, "component_prop_inputs": [], "js_implementation": None})
        return dep
    dep.update({"show_api": visibility == "public", "like_user_message": False})
    if major == 5:
        dep.update({"show_progress_on": None, "render_id": None, "js_implementation": None})
    else:
        dep.update({"every": None, "zerogpu": False})
        dep["types"]["continuous"] = False
    return dep


def _dependencies(major):
    clear_in = "() => [null, null, 0, false, 0, false]"
    clear_out = "() => [null, null, null, null]"
    # 4.x leaves a js-only function unnamed (null); 5.x names it; 6.x names every function
    # with a string (proto §2.10)
    js_name = (lambda n: n) if major >= 5 else (lambda n: None)
    return [
        _dependency(major, 0, [[C_CLEAR, "click"]], [], INPUT_IDS, False, clear_in, False,
                    js_name("js_fn"), "private"),
        _dependency(major, 1, [[C_CLEAR, "click"]], [], OUTPUT_IDS, False, clear_out, False,
                    js_name("js_fn_1"), "private"),
        _dependency(major, PREDICT_FN, [[C_SUBMIT, "click"]], INPUT_IDS, OUTPUT_IDS, True, None,
                    True, "predict", "public"),
        _dependency(major, 3, [[C_EXAMPLES, "click"]], [C_EXAMPLES], INPUT_IDS, True, None, False,
                    "load_example", "undocumented", "hidden"),
    ]


def _not_wd_tagger_parts(major):
    """A different Gradio app (a text 'greet' demo): no /predict, no image input."""
    comps = [_component(1, "textbox", {"value": "", "label": "name", "lines": 1},
                        {"type": "string"}, "Hello!!"),
             _component(2, "textbox", {"value": "", "label": "output", "lines": 1},
                        {"type": "string"}, "Hello!!"),
             _component(3, "button", {"value": "Submit", "variant": "primary"},
                        {"type": "string"}, "Run")]
    deps = [_dependency(major, 0, [[3, "click"]], [1], [2], True, None, True, "greet", "public")]
    layout = {"id": 0, "children": [{"id": 1}, {"id": 2}, {"id": 3}]}
    return comps, deps, layout


def gradio_config(version, root, app_id, not_wd_tagger=False):
    major = version_tuple(version)[0]
    prefix = "/gradio_api" if major >= 5 else ""
    if not_wd_tagger:
        comps, deps, layout = _not_wd_tagger_parts(major)
        title = "Greeter"
    else:
        comps, deps, layout, title = (_components(root, prefix, major), _dependencies(major),
                                      LAYOUT, TITLE)
    cfg = {"version": version, "mode": "blocks", "app_id": app_id,
           "dev_mode": False, "analytics_enabled": True, "components": comps, "css": None,
           "connect_heartbeat": False, "js": None, "head": None, "title": title,
           "space_id": SPACE_ID, "enable_queue": True, "show_error": False,
           "is_colab": False, "max_file_size": None,
           "stylesheets": ["https://fonts.googleapis.com/css2?family=Source+Sans+Pro:wght@400;600&display=swap"],
           "theme": "default", "protocol": "sse_v3",
           "body_css": {"body_background_fill": "white", "body_text_color": "#1f2937",
                        "body_background_fill_dark": "#0b0f19", "body_text_color_dark": "#f3f4f6"},
           "fill_height": False, "fill_width": False,
           "theme_hash": hashlib.sha256(b"default-theme").hexdigest(),
           "layout": layout, "dependencies": deps, "root": root}
    if major >= 6:
        # top-level show_api gives way to footer_links (proto §2.10)
        cfg.update({"vibe_mode": False, "footer_links": ["api", "gradio", "settings", "runs"],
                    "run_history": True})
    else:
        cfg["show_api"] = True
    if major >= 5:
        cfg.update({"api_prefix": prefix, "pwa": True, "pages": [["", "Home"]],
                    "page": {"": {"layout": layout, "components": [c["id"] for c in comps],
                                  "dependencies": [d["id"] for d in deps]}},
                    "mcp_server": False, "i18n_translations": None, "username": None,
                    "deep_link_state": "none", "current_page": ""})
    return cfg


def gradio_info(version, not_wd_tagger=False):
    """GET {prefix}/info: what the JS client's view_api() reads (proto §2.1). 6.x says each
    endpoint's api_visibility and description where 5.x said show_api."""
    shown = {"api_visibility": "public", "description": ""} \
        if version_tuple(version)[0] >= 6 else {"show_api": True}
    if not_wd_tagger:
        return {"named_endpoints": {"/greet": {
            "parameters": [{"label": "name", "parameter_name": "name",
                            "parameter_has_default": True, "parameter_default": "",
                            "type": {"type": "string"},
                            "python_type": {"type": "str", "description": ""},
                            "component": "Textbox", "example_input": "Hello!!"}],
            "returns": [{"label": "output", "type": {"type": "string"},
                         "python_type": {"type": "str", "description": ""},
                         "component": "Textbox"}], **shown}}, "unnamed_endpoints": {}}
    models_literal = "Literal[%s]" % ", ".join("'%s'" % m for m in MODELS)
    num = {"type": "float", "description": "numeric value between 0 and 1"}
    boolean = {"type": "bool", "description": ""}
    example_image = {"path": EXAMPLE_URL, "meta": {"_type": "gradio.FileData"},
                     "orig_name": "bus.png", "url": EXAMPLE_URL}

    def param(label, name, has_default, default, schema, pytype, component, example):
        return {"label": label, "parameter_name": name, "parameter_has_default": has_default,
                "parameter_default": default, "type": schema, "python_type": pytype,
                "component": component, "example_input": example}

    params = [
        param("Input", "image", False, None, FILE_SCHEMA,
              {"type": "filepath", "description": ""}, "Image", example_image),
        param("Model", "model_repo", True, DEFAULT_MODEL,
              {"enum": list(MODELS), "title": "Dropdown", "type": "string"},
              {"type": models_literal, "description": ""}, "Dropdown", DEFAULT_MODEL),
        param("General Tags Threshold", "general_thresh", True, DEFAULT_GENERAL_THRESH,
              {"type": "number"}, num, "Slider", 0),
        param("Use MCut threshold", "general_mcut_enabled", True, False, {"type": "boolean"},
              boolean, "Checkbox", True),
        param("Character Tags Threshold", "character_thresh", True, DEFAULT_CHARACTER_THRESH,
              {"type": "number"}, num, "Slider", 0),
        param("Use MCut threshold", "character_mcut_enabled", True, False, {"type": "boolean"},
              boolean, "Checkbox", True),
    ]
    label_type = {"type": LABEL_PYTYPE, "description": ""}
    returns = [
        {"label": "Output (string)", "type": {"type": "string"},
         "python_type": {"type": "str", "description": ""}, "component": "Textbox"},
        {"label": "Rating", "type": LABEL_SCHEMA, "python_type": label_type, "component": "Label"},
        {"label": "Output (characters)", "type": LABEL_SCHEMA, "python_type": label_type,
         "component": "Label"},
        {"label": "Output (tags)", "type": LABEL_SCHEMA, "python_type": label_type,
         "component": "Label"},
    ]
    return {"named_endpoints": {"/predict": dict({"parameters": params, "returns": returns},
                                                 **shown)},
            "unnamed_endpoints": {}}


# ---------------------------------------------------------------------------------------------
# A1111 WD14 tagger extension (proto §5)
# ---------------------------------------------------------------------------------------------

A1111_MODELS = {
    "flat": ["wd14-vit-v2", "wd14-convnext-v2", "wd14-swinv2-v2", "wd14-convnextv2-v2",
             "wd14-vit-v2-git", "wd14-convnext-v2-git", "wd14-convnextv2-v2-git",
             "wd14-swinv2-v2-git", "wd14-vit", "wd14-convnext"],
    "nested": ["wd14-vit.v1", "wd14-vit.v2", "wd14-convnext.v1", "wd14-convnext.v2",
               "wd14-convnextv2.v1", "wd14-swinv2-v1", "wd-v1-4-moat-tagger.v2",
               "mld-caformer.dec-5-97527", "mld-tresnetd.6-30000"],
}


def a1111_caption(scores, shape, threshold):
    """toriato: flat {ratings..., tags >= thr}; picobyte: {"tag": {> thr}, "rating": {...}}.
    Raw Danbooru names (underscores), tags sorted by confidence descending."""
    ratings = {VOCAB[i][1]: scores[i] for i in RATING_IDX}
    tag_idx = GENERAL_IDX + CHARACTER_IDX
    if shape == "flat":
        tags = [(VOCAB[i][1], scores[i]) for i in tag_idx if scores[i] >= threshold]
    else:
        tags = [(VOCAB[i][1], scores[i]) for i in tag_idx if scores[i] > threshold]
    tags.sort(key=lambda kv: kv[1], reverse=True)
    if shape == "flat":
        caption = dict(ratings)
        caption.update(tags)
        return {"caption": caption}
    return {"caption": {"tag": dict(tags), "rating": ratings}}


# ---------------------------------------------------------------------------------------------
# Canned non-JSON bodies
# ---------------------------------------------------------------------------------------------

HTML_401 = """<!DOCTYPE html>
<html class="" lang="en">
<head><meta charset="utf-8"><title>401 - Hugging Face</title></head>
<body><div class="flex flex-col items-center"><h1>401</h1>
<p>Invalid credentials in Authorization header</p>
<p><a href="https://huggingface.co/settings/tokens">Get a token</a></p></div></body>
</html>
"""
HTML_403 = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>403 - Hugging Face</title></head>
<body><h1>403</h1><p>You don't have access to this Space.</p></body></html>
"""
HTML_SLEEPING = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Space is sleeping - Hugging Face</title>
<meta http-equiv="refresh" content="5"></head>
<body><h1>This Space is sleeping due to inactivity.</h1>
<p>It is waking up, this can take a few minutes. This page refreshes by itself.</p></body></html>
"""
HTML_CONFIG = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wd-tagger - a Hugging Face Space by SmilingWolf</title></head>
<body><div id="app">Loading...</div><script src="/assets/index.js"></script></body></html>
"""
HTML_APP = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title></head>
<body><gradio-app></gradio-app><script>window.gradio_config = {"version": "%s"};</script></body></html>
"""

FAULTS = ["queue_full", "rate_limit", "server_error", "sleeping", "auth", "forbidden",
          "slow_connect", "hang", "malformed", "drop_stream", "error_event", "error_event_msg",
          "not_wd_tagger", "huge_answer", "html_config", "lost_event", "echo_auth"]
GATE_FAULTS = ["auth", "forbidden", "sleeping"]                  # every non-SSE Space request
PREDICT_FAULTS = ["slow_connect", "rate_limit", "queue_full", "server_error",
                  "hang", "drop_stream", "malformed", "error_event", "error_event_msg",
                  "huge_answer", "lost_event", "echo_auth"]       # prediction POSTs, this order
CALL_ONLY_FAULTS = {"lost_event"}                                 # /call, not /queue/join
STREAM_FAULTS = {"hang", "drop_stream", "malformed", "error_event", "error_event_msg",
                 "huge_answer", "echo_auth"}                      # decided at POST, shown later
RUNNING_STAGES = {"RUNNING", "RUNNING_BUILDING", "RUNNING_APP_STARTING"}
HUGE_BYTES = 21 * 1024 * 1024
MAX_BODY = 64 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Shared state: uploads, queue, workers, sessions, stats. One Condition guards it all.
# ---------------------------------------------------------------------------------------------

class Event:
    __slots__ = ("id", "session", "data", "fault", "kind", "state", "sha", "variant", "echo",
                 "queued")

    def __init__(self, session, data, fault, kind):
        self.id = uuid.uuid4().hex  # Gradio: uuid4().hex
        self.session, self.data, self.fault, self.kind = session, data, fault, kind
        self.state, self.sha, self.variant = "waiting", None, 0
        self.echo = None  # echo_auth: the error text that quotes the request back
        self.queued = time.monotonic()


def echo_text(authorization):
    """echo_auth: an error that quotes the request back, as a debugging proxy or app might.
    The Authorization value starts past the 170th character, so that a message cut at 200
    characters before the token is removed keeps a piece of it (issue 12)."""
    lead = "Request refused; the request as received follows. "
    return "%s authorization: %s, user-agent: tagcon, accept: */*" % (
        lead.ljust(160, "."), authorization or "(none)")


class Session:
    __slots__ = ("msgs", "pending")

    def __init__(self):
        self.msgs = collections.deque()   # wire-shaped message dicts (+ "_" internal keys)
        self.pending = {}                 # event_id -> Event not yet completed


class State:
    def __init__(self, args):
        self.args = args
        self.gradio = args.gradio
        self.version = args.gradio_version or VERSIONS[args.gradio]
        self.vt = version_tuple(self.version)
        self.prefix = "/gradio_api" if args.gradio >= 5 else ""
        self.bad_gateway_s = args.bad_gateway_s   # --bad-gateway-s: 502 phase to come
        self.bad_gateway_until = None             # monotonic end of the 502 phase under way
        self.cond = threading.Condition()
        self.shutdown = threading.Event()
        self.rng = random.Random(args.seed)
        self.faults = {}
        for spec in args.fault:
            name, _, prob = spec.partition(":")
            self.faults[name] = float(prob) if prob else 1.0
        self.service_ms = args.service_ms
        self.queue_size = args.queue_size
        self.stage = args.stage
        self.app_id = random.Random(args.seed).getrandbits(64)
        self.uploads = collections.OrderedDict()  # server path -> bytes, oldest first
        self.upload_bytes = 0                  # bounded by --upload-cache-mb (LRU)
        self.waiting = collections.deque()     # Events waiting for a worker
        self.sessions = collections.OrderedDict()
        self.running = 0
        self.stopped = False                   # --stop-after reached: answer nothing more
        self.asleep = args.wake_after_s is not None
        self.wake_after_s = args.wake_after_s or 0.0
        self.wake_at = None                    # monotonic time the Space is up again
        self.avg_duration = None
        self.reset_stats()

    # -- stats --------------------------------------------------------------------------------
    def reset_stats(self):
        with self.cond:
            self.st = collections.Counter()
            self.requests = collections.Counter()
            self.fault_hits = collections.Counter()
            self.completed_by_sha = collections.Counter()
            self.processed_by_sha = collections.Counter()
            self.uploads_by_sha = collections.Counter()
            self.models = collections.Counter()
            self.max_concurrent = 0
            self.max_queue = 0
            self.open_streams = 0
            self.max_open_streams = 0

    def stats_json(self):
        with self.cond:
            return {
                "uploads": self.st["uploads"], "upload_files": self.st["upload_files"],
                "bytes_uploaded": self.st["bytes_uploaded"],
                "upload_cache_bytes": self.upload_bytes, "upload_cache_files": len(self.uploads),
                "uploads_by_sha256": dict(self.uploads_by_sha),
                "predictions_requested": self.st["requested"],
                "predictions_started": self.st["started"],
                "predictions_completed": self.st["completed"],
                "predictions_failed": self.st["failed"],
                "predictions_faulted": self.st["faulted"],
                "predictions_cancelled": self.st["cancelled"],
                "completed_by_sha256": dict(self.completed_by_sha),
                "processed_by_sha256": dict(self.processed_by_sha),
                "models": dict(self.models),
                "in_flight": self.running, "max_concurrent": self.max_concurrent,
                "queue_len": len(self.waiting), "max_queue_len": self.max_queue,
                "rejected_queue_full": self.st["queue_full"],
                "auth_failures": self.st["auth_failures"],
                "faults_injected": dict(self.fault_hits), "requests": dict(self.requests),
                "open_streams": self.open_streams, "max_open_streams": self.max_open_streams,
                "stopped": self.stopped, "awake": self.space_stage() in RUNNING_STAGES,
                "stage": self.space_stage(), "faults": dict(self.faults),
            }

    # -- faults -------------------------------------------------------------------------------
    def roll(self, names):
        """First fault of `names` that fires (seeded RNG, one draw per configured fault)."""
        with self.cond:
            for name in names:
                prob = self.faults.get(name, 0.0)
                if prob > 0 and (prob >= 1.0 or self.rng.random() < prob):
                    self.fault_hits[name] += 1
                    return name
        return None

    # -- what this Gradio version says (proto §2.4, §2.10) ------------------------------------
    def not_found_text(self):
        """A stream whose event or session the queue no longer has: an HTTPException(404)
        caught in the stream, sent as its text, then the connection drops."""
        return "404: Session not found." if self.gradio == 4 else "404: Not Found"

    def error_objects(self):
        """From 6.13 a /call stream's error event carries the whole error output (message,
        title, ...); before, only its 'data' key, null for a failed run."""
        return self.vt >= (6, 13)

    def finds_call_session(self):
        """6.25 finds the session of a /call event filed under a session_hash."""
        return self.vt >= (6, 25)

    def session_key_of(self, event_id):
        """The session a /call stream for event_id reads (caller holds cond)."""
        if event_id in self.sessions or not self.finds_call_session():
            return event_id
        for key, sess in self.sessions.items():
            if event_id in sess.pending or any(m.get("event_id") == event_id for m in sess.msgs):
                return key
        return event_id

    # -- Gradio >= 6.15's Node proxy while Python starts (proto §2.10) ------------------------
    def proxy_502(self):
        """Whether the proxy answers 502 now: for --bad-gateway-s seconds from the first Space
        request (or from a /__fake/settings restart)."""
        with self.cond:
            now = time.monotonic()
            if self.bad_gateway_until is None and self.bad_gateway_s > 0:
                self.bad_gateway_until = now + self.bad_gateway_s
                self.bad_gateway_s = 0
            return self.bad_gateway_until is not None and now < self.bad_gateway_until

    # -- sleep / wake (proto §3.3) ------------------------------------------------------------
    def space_stage(self):
        """Runtime stage as the hub reports it."""
        if self.asleep:
            if self.wake_at is None:
                return "SLEEPING"
            if time.monotonic() < self.wake_at:
                return "APP_STARTING"
            self.asleep = False
        return self.stage

    def space_up(self):
        """Called for each Space request: the first one starts waking a sleeping Space."""
        with self.cond:
            if self.asleep and self.wake_at is None:
                self.wake_at = time.monotonic() + self.wake_after_s
            return self.space_stage() in RUNNING_STAGES

    def fall_asleep(self, seconds):
        with self.cond:
            self.asleep, self.wake_after_s, self.wake_at = True, float(seconds), None

    # -- uploads ------------------------------------------------------------------------------
    def store_upload(self, filename, data):
        sha = hashlib.sha256(data).hexdigest()
        name = sanitize_filename(filename) if filename else "tmp" + uuid.uuid4().hex[:10]
        path = "/tmp/gradio/%s/%s" % (sha, name)
        with self.cond:
            old = self.uploads.pop(path, None)
            self.upload_bytes += len(data) - (len(old) if old is not None else 0)
            self.uploads[path] = data
            limit = self.args.upload_cache_mb * 1024 * 1024
            while self.upload_bytes > limit and len(self.uploads) > 1:  # like delete_cache
                _, gone = self.uploads.popitem(last=False)
                self.upload_bytes -= len(gone)
            self.st["upload_files"] += 1
            self.st["bytes_uploaded"] += len(data)
            self.uploads_by_sha[sha] += 1
        return path

    # -- queue (proto §1.7, §2.8) -------------------------------------------------------------
    def session(self, key, create):
        s = self.sessions.get(key)
        if s is None and create:
            s = self.sessions[key] = Session()
            while len(self.sessions) > 2000:  # Gradio keeps an LRU of 2,000
                old, olds = next(iter(self.sessions.items()))
                if olds.pending:
                    break
                del self.sessions[old]
        return s

    def push(self, session_key, data, fault, kind):
        """Queue a prediction. Returns (event, None) or (None, 'Queue is full...')."""
        with self.cond:
            if self.queue_size is not None and len(self.waiting) >= self.queue_size:
                self.st["queue_full"] += 1
                return None, "Queue is full. Max size is %d and size is %d." % (
                    self.queue_size, len(self.waiting))
            ev = Event(session_key, data, fault, kind)
            ev.variant = self.fault_hits[fault] - 1 if fault else 0
            if session_key is None:
                ev.session = ev.id  # /call without session_hash: the event is its own session
            sess = self.session(ev.session, True)
            sess.pending[ev.id] = ev
            self.st["requested"] += 1
            if fault != "hang":  # a hung event never reaches a worker
                self.waiting.append(ev)
                self.max_queue = max(self.max_queue, len(self.waiting))
                rank = len(self.waiting) - 1
                sess.msgs.append({"msg": "estimation", "event_id": ev.id, "rank": rank,
                                  "queue_size": len(self.waiting), "rank_eta": self._eta(rank)})
            self.cond.notify_all()
            return ev, None

    def _eta(self, rank):
        if self.avg_duration is None:
            return None
        return (rank + 1) * self.avg_duration / max(1, self.args.concurrency)

    def clean_session(self, key):
        """Client left its stream: drop its still-waiting events (Gradio clean_events)."""
        with self.cond:
            sess = self.sessions.get(key)
            if sess is None:
                return
            for ev in list(sess.pending.values()):
                if ev.state == "waiting":
                    if ev in self.waiting:
                        self.waiting.remove(ev)
                    del sess.pending[ev.id]
                    self.st["cancelled"] += 1
            self.cond.notify_all()

    def worker(self):
        due = None  # when this worker's previous prediction was due to end
        while not self.shutdown.is_set():
            with self.cond:
                while (not self.waiting or self.stopped) and not self.shutdown.is_set():
                    self.cond.wait(1.0)
                if self.shutdown.is_set():
                    return
                ev = self.waiting.popleft()
                ev.state = "processing"
                self.running += 1
                self.max_concurrent = max(self.max_concurrent, self.running)
                self.st["started"] += 1
                sess = self.session(ev.session, True)
                sess.msgs.append({"msg": "process_starts", "event_id": ev.id,
                                  "eta": self.avg_duration})
                for rank, other in enumerate(self.waiting):  # live estimation updates
                    osess = self.sessions.get(other.session)
                    if osess is not None:
                        osess.msgs.append({"msg": "estimation", "event_id": other.id,
                                           "rank": rank, "queue_size": len(self.waiting),
                                           "rank_eta": self._eta(rank)})
                self.cond.notify_all()
                service = self.service_ms / 1000.0
            # --service-ms is the time per prediction, as a model's would be: a prediction
            # starts when the one before was due to end if it was queued by then (else when
            # it came).  This thread wakes late (timer slack, the GIL, a loaded machine) and
            # computes the answer after the wait: 2-4 ms a prediction, measured, which made
            # the fake serve 2-4 % slower than it says.  At most one service is made up.
            now = time.monotonic()
            start = now if due is None else max(due, ev.queued, now - service)
            due = start + service
            self.shutdown.wait(max(0.0, due - now))
            msg = self.run_event(ev, time.monotonic() - start)
            with self.cond:
                self.running -= 1
                ev.state = "done"
                sess = self.session(ev.session, True)
                sess.pending.pop(ev.id, None)
                if self.stopped:      # frozen: nothing more is delivered
                    continue
                sess.msgs.append(msg)
                if ev.sha:
                    self.processed_by_sha[ev.sha] += 1
                if ev.fault:
                    self.st["faulted"] += 1
                elif msg["success"]:
                    self.st["completed"] += 1
                    self.completed_by_sha[ev.sha] += 1
                    if self.args.stop_after and self.st["completed"] >= self.args.stop_after:
                        self.stopped = True
                else:
                    self.st["failed"] += 1
                self.cond.notify_all()

    def run_event(self, ev, duration):
        """Run the Space's predict for an event; returns the process_completed message."""
        try:
            out = self.predict(ev)
            ok = {"data": out, "is_generating": False, "duration": duration,
                  "average_duration": None, "render_config": None, "changed_state_ids": []}
            with self.cond:
                n = self.st["completed"] + 1
                self.avg_duration = duration if self.avg_duration is None else \
                    self.avg_duration + (duration - self.avg_duration) / n
                ok["average_duration"] = self.avg_duration
            msg = {"msg": "process_completed", "event_id": ev.id, "output": ok,
                   "success": True}
        except SpaceError as e:
            output = error_payload(e.message, self.gradio)
            msg = {"msg": "process_completed", "event_id": ev.id, "output": output,
                   "success": False}
        if self.gradio >= 5:  # 4.x's process_completed has no title
            msg["title"] = msg["output"].get("title") if not msg["success"] else None
        if ev.fault in STREAM_FAULTS:
            msg["_fault"], msg["_variant"], msg["_echo"] = ev.fault, ev.variant, ev.echo
        return msg

    def predict(self, ev):
        data = ev.data
        if not isinstance(data, list) or len(data) < 6:
            raise SpaceError(None)  # "didn't receive enough input values"
        image = self.resolve_image(data[0])
        ev.sha = hashlib.sha256(image).hexdigest()
        model = data[1]
        if model is None:
            raise SpaceError(None)  # the Space's load_model(None) fails
        if model not in MODELS:     # gr.Dropdown.preprocess raises gr.Error
            raise SpaceError("Value: %r is not in the list of choices: %r" % (model, MODELS))
        gthr, gmcut, cthr, cmcut = data[2:6]
        if not _is_number(gthr) or not _is_number(cthr):
            raise SpaceError(None)  # comparing a float with a str in the Space
        with self.cond:
            self.models[model] += 1
        out = expected_outputs(ev.sha, model, gthr, bool(gmcut), cthr, bool(cmcut))
        return huge_outputs(out) if ev.fault == "huge_answer" else out

    def resolve_image(self, value):
        """gr.Image input (proto §2.2): uploaded FileData path, or (5.x) a data: URL."""
        if isinstance(value, dict):
            path = value.get("path")
            if isinstance(path, str):
                with self.cond:
                    data = self.uploads.get(path)
                    if data is not None:
                        self.uploads.move_to_end(path)
                if data is None:
                    raise SpaceError(None)  # not in the upload folder / URL we cannot fetch
                return data
            url = value.get("url")
            if self.gradio >= 5 and isinstance(url, str) and url.startswith("data:"):
                try:
                    return base64.b64decode(url.split(",", 1)[1], validate=True)
                except (IndexError, binascii.Error, ValueError):
                    raise SpaceError(None)
        raise SpaceError(None)


MALFORMED_DATA = [  # rotated per injected 'malformed' fault, in this order
    '["long hair, solo", {"label": "general", "confid',                          # truncated JSON
    '["long hair, solo", {"label": "general", "confidences": []}]',              # 2 outputs, not 4
    '{"data": "not a list of outputs"}',                                         # not a list
    '["long hair", {"label": "general", "confidences": {"general": 0.9}}, {}, {}]',  # bad Label
]


def error_payload(message, gradio):
    """utils.error_payload: the message only for a gr.Error (None otherwise: show_error is off
    on the Space), with its duration (10 by default), visibility and, from 5.x, title."""
    output = {"error": message}
    if message is not None:
        output.update({"duration": 10, "visible": True})
        if gradio >= 5:
            output["title"] = "Error"
    return output


def failed_output(msg, gradio):
    """A process_completed message's error output, faults included; None if it succeeded."""
    fault = msg.get("_fault")
    if fault == "error_event":
        return error_payload(None, gradio)
    if fault in ("error_event_msg", "echo_auth"):
        text = msg["_echo"] if fault == "echo_auth" else "Fake failure for event %s" % \
            msg["event_id"]
        return error_payload(text, gradio)
    return None if msg["success"] else msg["output"]


def malformed_data(variant):
    return MALFORMED_DATA[variant % len(MALFORMED_DATA)]


def huge_outputs(outputs):
    """The same well-formed answer, its tag string padded so the JSON exceeds 20 MiB."""
    chunk = ", long hair" * 1000
    return [outputs[0] + chunk * (HUGE_BYTES // len(chunk) + 1)] + outputs[1:]


def sanitize_filename(filename, max_bytes=200):
    """gradio_client.utils.strip_invalid_filename_characters on the basename."""
    filename = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name, dot, ext = filename.rpartition(".")
    if not dot or not name:
        name, ext = filename, ""
    else:
        ext = "." + ext
    name = "".join(c for c in name if c.isalnum() or c in "._- ")
    while len((name + ext).encode()) > max_bytes and name:
        name = name[:-1]
    return name + ext


def parse_multipart(body, content_type):
    """Minimal multipart/form-data parser: [(name, filename, bytes)]."""
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        raise ValueError("no boundary")
    delim = b"--" + m.group(1).encode("latin-1")
    parts = []
    for chunk in body.split(delim)[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, payload = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("bad part")
        if payload.endswith(b"\r\n"):
            payload = payload[:-2]
        disp = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                disp = line
        name = re.search(r'\bname="([^"]*)"', disp)
        fname = re.search(r'\bfilename="((?:[^"\\]|\\.)*)"', disp)
        fname_star = re.search(r"\bfilename\*=UTF-8''([^;]+)", disp, re.I)
        filename = unquote(fname_star.group(1)) if fname_star else \
            (unquote(fname.group(1).replace('\\"', '"')) if fname else None)
        parts.append((name.group(1) if name else None, filename, payload))
    return parts


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------

def dumps_compact(obj):
    """Gradio answers plain routes with orjson: compact separators."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 300  # idle keep-alive connections give up eventually

    # -- plumbing -----------------------------------------------------------------------------
    @property
    def st(self):
        return self.server.state

    def version_string(self):
        return "uvicorn"

    def log_message(self, fmt, *args):
        log = self.server.log
        if log is not None:
            with self.server.log_lock:
                log.write("%.3f %s %s\n" % (time.time(), self.address_string(), fmt % args))
                log.flush()

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def send_body(self, status, body, ctype, headers=None):
        data = body.encode("utf-8") if isinstance(body, str) else body
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def send_json(self, status, obj, headers=None):
        self.send_body(status, dumps_compact(obj), "application/json", headers)

    def send_html(self, status, html, headers=None):
        self.send_body(status, html, "text/html; charset=utf-8", headers)

    def read_body(self):
        """Request body (Content-Length or chunked); None after answering 413."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            for _ in range(1 << 20):  # bounded: at most a million chunks
                size = int(self.rfile.readline(70).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    self.close_connection = True
                    self.send_json(413, {"detail": "Request body too large."})
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self.send_json(413, {"detail": "Request body too large."})
            return None
        return self.rfile.read(length) if length > 0 else b""

    def read_json(self):
        """(ok, value). On failure a FastAPI-style 422 has been sent."""
        body = self.read_body()
        if body is None:
            return False, None
        try:
            return True, json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            self.send_json(422, {"detail": [{"type": "json_invalid", "loc": ["body", 0],
                                             "msg": "JSON decode error", "input": {},
                                             "ctx": {"error": str(e)}}]})
            return False, None

    def client_gone(self, timeout):
        """Wait up to `timeout` s; True if the peer closed the connection."""
        try:
            r, _, _ = select.select([self.connection], [], [], timeout)
            if r:
                if not self.connection.recv(1, socket.MSG_PEEK):
                    return True
                self.st.shutdown.wait(timeout)  # peer sent bytes we won't read: don't spin
        except (OSError, ValueError):
            return True
        return False

    def hold(self):
        """Accept, then never send a byte (hang faults, --stop-after). Ends when the peer
        leaves, on shutdown, or after --max-stream-s."""
        self.close_connection = True
        self.log_message('"%s" HOLD', self.requestline)
        deadline = time.monotonic() + self.server.args.max_stream_s
        while not self.st.shutdown.is_set() and time.monotonic() < deadline:
            if self.client_gone(1.0):
                break

    # -- SSE framing: chunked on HTTP/1.1 (as uvicorn), raw + close on HTTP/1.0 ----------------
    def sse_start(self):
        self.chunked = self.request_version == "HTTP/1.1"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            if self.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
        except OSError:
            return False
        return True

    def sse_write(self, text):
        data = text.encode("utf-8")
        try:
            if self.chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            else:
                self.wfile.write(data)
            return True
        except OSError:
            self.close_connection = True
            return False

    def sse_end(self):
        if self.chunked:
            try:
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                self.close_connection = True

    def sse_abort(self):
        """Drop the connection mid-stream (no terminating chunk)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- dispatch -----------------------------------------------------------------------------
    def dispatch(self, method):
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if path.startswith("/__fake/"):
            return self.control(method, path, query)
        st = self.st
        with st.cond:
            stopped = st.stopped
        if stopped:
            return self.hold()
        if self.server.args.a1111:
            return self.a1111(method, path)
        if self.server.args.token and not self.token_ok():
            with st.cond:
                st.st["auth_failures"] += 1
            return self.send_html(401, HTML_401)
        if path.startswith("/api/spaces/"):
            return self.hub(method, path)
        return self.space(method, path, query)

    def token_ok(self):
        return self.headers.get("Authorization", "") == "Bearer " + self.server.args.token

    def count(self, name):
        with self.st.cond:
            self.st.requests[name] += 1

    # -- hub (proto §3.1, §3.2) ---------------------------------------------------------------
    def hub(self, method, path):
        m = re.match(r"^/api/spaces/([^/]+)/([^/]+)(?:/(host|runtime|jwt))?/?$", path)
        if not m or method != "GET":
            return self.send_json(404, {"error": "Sorry, we can't find the page you are looking for."})
        owner, name, what = m.group(1), m.group(2), m.group(3)
        self.count("hub_" + (what or "info"))
        if "missing" in name.lower():
            return self.send_json(404, {"error": "Repository not found"})
        host = "http://" + (self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_port)
        with self.st.cond:
            stage = self.st.space_stage()
        runtime = {"stage": stage, "hardware": {"current": "cpu-basic" if stage in RUNNING_STAGES
                                                else None, "requested": "cpu-basic"},
                   "storage": None, "gcTimeout": 172800, "replicas": {"current": 1, "requested": 1},
                   "devMode": False, "domains": [{"domain": "%s-%s.hf.space" % (
                       owner.lower(), name.lower().replace("_", "-")), "stage": "READY"}]}
        if what == "host":
            return self.send_json(200, {"subdomain": "%s-%s" % (owner.lower(), name.lower()),
                                        "host": host})
        if what == "runtime":
            return self.send_json(200, runtime)
        if what == "jwt":
            return self.send_json(200, {"token": "fake-jwt-" + uuid.uuid4().hex, "accessToken":
                                        None, "exp": int(time.time()) + 3600})
        return self.send_json(200, {
            "_id": hashlib.sha1(("%s/%s" % (owner, name)).encode()).hexdigest()[:24],
            "id": "%s/%s" % (owner, name), "author": owner, "sdk": "gradio",
            "sdkVersion": self.st.version, "private": False,
            "subdomain": "%s-%s" % (owner.lower(), name.lower().replace("_", "-")),
            "host": host, "runtime": runtime, "likes": 1234, "tags": ["gradio", "region:us"]})

    # -- the Space ----------------------------------------------------------------------------
    def space(self, method, path, query):
        st = self.st
        p = st.prefix
        is_stream = method == "GET" and (path.startswith(p + "/call/") or
                                         path == p + "/queue/data" or
                                         path.startswith(p + "/heartbeat/"))
        if not st.space_up():
            self.count("asleep")
            return self.send_html(503, HTML_SLEEPING, {"Retry-After": "5"})
        if (path in ("/config", "/config/") or (p and path.startswith(p + "/"))) and \
                st.proxy_502():
            # Node's http-proxy (6.15+, SSR) with no Python behind it yet (proto §2.10)
            self.count("bad_gateway")
            if method == "POST":
                self.read_body()
            return self.send_body(502, "Bad Gateway", "text/plain")
        if not is_stream:
            fault = st.roll(GATE_FAULTS)
            if fault == "auth":
                return self.send_html(401, HTML_401)
            if fault == "forbidden":
                return self.send_html(403, HTML_403)
            if fault == "sleeping":
                return self.send_html(503, HTML_SLEEPING, {"Retry-After": "5"})
        if method == "GET":
            if path in ("/config", "/config/") or (p and path in (p + "/config", p + "/config/")):
                return self.config()
            if path in (p + "/info", p + "/info/"):
                return self.info()
            if path.startswith(p + "/call/") and path.count("/") - p.count("/") == 3:
                return self.call_stream(path.rsplit("/", 1)[1])
            if path == p + "/queue/data":
                return self.queue_stream(query.get("session_hash", [None])[0])
            if path.startswith(p + "/heartbeat/"):
                return self.heartbeat_stream()
            if path.startswith(p + "/file="):
                return self.file(unquote(path[len(p) + 6:]))
            if path in (p + "/app_id", "/app_id", p + "/app_id/"):
                return self.send_json(200, {"app_id": st.app_id})
            if path in ("/", ""):
                return self.send_html(200, HTML_APP % (TITLE, st.version))
        elif method == "POST":
            if path in (p + "/upload", p + "/upload/"):
                return self.upload()
            if path in (p + "/call/predict", p + "/call/predict/"):
                return self.predict_post("call")
            if path in (p + "/queue/join", p + "/queue/join/"):
                return self.predict_post("queue")
            if path in (p + "/cancel", p + "/reset"):
                self.read_body()
                return self.send_json(200, {"success": True})
            if re.match(r"^%s/(run|api)/[^/]+/?$" % re.escape(p), path) or \
                    (not p and re.match(r"^/api/[^/]+/?$", path)):
                # proto §2.6: api_open is False on Spaces with Gradio >= 4
                self.read_body()
                return self.send_json(404, {"detail": "This API endpoint does not accept direct "
                                                      "HTTP POST requests. Please join the queue "
                                                      "to use this API."})
            if path.startswith(p + "/call/"):
                self.read_body()
                return self.send_json(404, {"detail": "Not Found"})
        else:
            return self.send_json(405, {"detail": "Method Not Allowed"})
        if method == "POST":
            self.read_body()
        return self.send_json(404, {"detail": "Not Found"})

    def config(self):
        self.count("config")
        fault = self.st.roll(["html_config", "not_wd_tagger"])
        if fault == "html_config":
            return self.send_html(200, HTML_CONFIG)
        root = "http://" + (self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_port)
        self.send_json(200, gradio_config(self.st.version, root, self.st.app_id,
                                          fault == "not_wd_tagger"))

    def info(self):
        self.count("info")
        with self.st.cond:
            other = self.st.faults.get("not_wd_tagger", 0) >= 1.0
        self.send_json(200, gradio_info(self.st.version, other))

    def file(self, path):
        self.count("file")
        with self.st.cond:
            data = self.st.uploads.get(path)
        if data is None:
            return self.send_json(404, {"detail": "File not found."})
        ext = path.rsplit(".", 1)[-1].lower()
        ctype = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                 "webp": "image/webp", "gif": "image/gif"}.get(ext, "application/octet-stream")
        self.send_body(200, data, ctype)

    def upload(self):
        """proto §2.3: multipart parts named 'files' -> JSON list of server paths."""
        self.count("upload")
        ctype = self.headers.get("Content-Type", "")
        body = self.read_body()
        if body is None:
            return
        if ctype.split(";")[0].strip().lower() != "multipart/form-data":
            return self.send_json(400, {"detail": "Invalid content type."})
        try:
            parts = parse_multipart(body, ctype)
        except ValueError as e:
            return self.send_body(400, "Malformed multipart body: %s" % e, "text/plain")
        with self.st.cond:
            self.st.st["uploads"] += 1
        paths = [self.st.store_upload(fname, data) for name, fname, data in parts
                 if name == "files"]
        self.send_json(200, paths)

    def predict_post(self, kind):
        """POST /call/predict (proto §2.4) or /queue/join (proto §2.5)."""
        st = self.st
        self.count("call" if kind == "call" else "queue_join")
        ok, body = self.read_json()
        if not ok:
            return
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            return self.send_json(422, {"detail": [{"type": "missing", "loc": ["body", "data"],
                                                    "msg": "Field required", "input": body}]})
        session = body.get("session_hash")
        if kind == "queue":
            if not session:
                return self.send_json(400, {"detail": "Session hash not found."})
            if body.get("fn_index") != PREDICT_FN:
                return self.send_json(400, {"detail": "Invalid fn_index: %r" % body.get("fn_index")})
        fault = st.roll(PREDICT_FAULTS if kind == "call" else
                        [f for f in PREDICT_FAULTS if f not in CALL_ONLY_FAULTS])
        if fault == "slow_connect":
            return self.hold()
        if fault == "lost_event":
            # an event id whose event is gone before its stream is read: it expired, or the
            # app restarted in between; the stream then says so (not_found_text)
            return self.send_json(200, {"event_id": uuid.uuid4().hex})
        echo = None
        if fault == "echo_auth":
            echo = echo_text(self.headers.get("Authorization"))
            with st.cond:
                variant = st.fault_hits["echo_auth"] - 1
            if variant % 2 == 0:  # in the HTTP answer; odd variants: in the stream
                return self.send_json(500, {"detail": echo})
        if fault == "rate_limit":
            retry = "%d" % max(0, round(self.server.args.retry_after))
            return self.send_body(429, "Too Many Requests", "text/plain; charset=utf-8", {
                "Retry-After": retry, "RateLimit": '"api";r=0;t=%s' % retry,
                "RateLimit-Policy": '"fixed window";"api";q=500;w=300'})
        if fault == "queue_full":
            with st.cond:
                st.st["queue_full"] += 1
            size = st.queue_size if st.queue_size is not None else 10
            return self.send_json(503, {"detail": "Queue is full. Max size is %d and size is %d."
                                                  % (size, size)})
        if fault == "server_error":
            return self.send_json(500, {"error": "Internal Server Error"})
        ev, err = st.push(session if session else None, body["data"], fault, kind)
        if ev is None:
            return self.send_json(503, {"detail": err})
        ev.echo = echo
        self.send_json(200, {"event_id": ev.id})

    # -- streams ------------------------------------------------------------------------------
    def stream_open(self, delta):
        with self.st.cond:
            self.st.open_streams += delta
            self.st.max_open_streams = max(self.st.max_open_streams, self.st.open_streams)

    def wait_messages(self, sess, deadline_hb):
        """Block until the session has messages, a heartbeat is due, or 1 s passed. Returns
        (messages, idle, hung, stopped) read atomically; idle = no event of it is pending."""
        st = self.st
        with st.cond:
            if not sess.msgs and not st.shutdown.is_set():
                st.cond.wait(max(0.0, min(1.0, deadline_hb - time.monotonic())))
            msgs = list(sess.msgs)
            sess.msgs.clear()
            hung = any(ev.fault == "hang" for ev in sess.pending.values())
            return msgs, not sess.pending, hung, st.stopped

    def call_stream(self, event_id):
        """GET /call/predict/{event_id}: 'event: X\\ndata: Y' frames (proto §2.4)."""
        st = self.st
        self.count("call_stream")
        with st.cond:
            key = st.session_key_of(event_id)
            sess = st.sessions.get(key)
            hung = sess is not None and any(e.fault == "hang" for e in sess.pending.values())
        if hung:
            return self.hold()
        if not self.sse_start():
            return
        if sess is None:  # unknown or expired event: a 404 in the stream, then a dropped line
            self.count("not_found")
            self.sse_write("event: error\ndata: %s\n\n" % json.dumps(st.not_found_text()))
            return self.sse_abort()
        self.stream_open(1)
        try:
            self.pump(sess, key, self.call_frame)
        finally:
            self.stream_open(-1)

    def queue_stream(self, session_hash):
        """GET /queue/data?session_hash=H: 'data: {json}' frames (proto §2.5)."""
        st = self.st
        self.count("queue_data")
        with st.cond:
            sess = st.sessions.get(session_hash) if session_hash else None
            hung = sess is not None and any(e.fault == "hang" for e in sess.pending.values())
        if hung:
            return self.hold()
        if not self.sse_start():
            return
        if sess is None:  # as in call_stream: the 404's text, then a dropped line
            self.count("not_found")
            msg = {"msg": "unexpected_error", "event_id": None, "message": st.not_found_text()}
            if st.gradio >= 5:
                msg["session_not_found"] = True
            msg["success"] = False
            self.sse_write("data: %s\n\n" % json.dumps(msg))
            return self.sse_abort()
        self.stream_open(1)
        try:
            self.pump(sess, session_hash, self.queue_frame)
        finally:
            self.stream_open(-1)

    def pump(self, sess, key, frame):
        """Write frames until a terminal one; heartbeat every --heartbeat-s; bounded.
        sse_v3 (queue_frame): after a process_completed, close_stream once nothing is pending."""
        st, args = self.st, self.server.args
        start = time.monotonic()
        next_hb = start + args.heartbeat_s
        while not st.shutdown.is_set() and time.monotonic() - start < args.max_stream_s:
            msgs, idle, hung, stopped = self.wait_messages(sess, next_hb)
            completed = False
            for msg in msgs:
                text, action = frame(msg)
                if text is not None and not self.sse_write(text):
                    return st.clean_session(key)
                if action == "end":
                    return self.sse_end()
                if action == "abort":
                    return self.sse_abort()
                completed = completed or msg["msg"] == "process_completed"
            if completed and idle and frame == self.queue_frame:
                self.sse_write('data: {"msg": "close_stream", "event_id": null}\n\n')
                return self.sse_end()
            now = time.monotonic()
            if hung or stopped:  # hang/--stop-after: stay silent, not even heartbeats
                next_hb = now + args.heartbeat_s  # keeps wait_messages() waiting, not spinning
                if self.client_gone(0):
                    return st.clean_session(key)
                continue
            if now >= next_hb:
                next_hb = now + args.heartbeat_s
                if not self.sse_write(frame({"msg": "heartbeat"})[0]):
                    return st.clean_session(key)
            elif not msgs and self.client_gone(0):
                return st.clean_session(key)
        self.sse_end()

    def call_frame(self, msg):
        """Internal message -> /call SSE text and action (None | 'end' | 'abort')."""
        kind = msg["msg"]
        if kind == "heartbeat":
            return "event: heartbeat\ndata: null\n\n", None
        if kind != "process_completed":
            return None, None  # estimation/process_starts are not forwarded on /call
        fault = msg.get("_fault")
        if fault == "drop_stream":
            return "event: heartbeat\ndata: null\n\n", "abort"
        if fault == "malformed":
            return "event: complete\ndata: %s\n\n" % malformed_data(msg["_variant"]), "end"
        if fault == "echo_auth" and not self.st.error_objects():
            # before 6.13 only an unexpected error's text reaches a /call client
            return "event: error\ndata: %s\n\n" % json.dumps(msg["_echo"]), "end"
        output = failed_output(msg, self.st.gradio)
        if output is None:
            return "event: complete\ndata: %s\n\n" % json.dumps(msg["output"]["data"]), "end"
        if self.st.error_objects():  # >= 6.13: the whole output (proto §2.4)
            return "event: error\ndata: %s\n\n" % json.dumps(output), "end"
        # 4.20-6.12 forward only output["data"]: absent for failures -> null
        return "event: error\ndata: null\n\n", "end"

    def queue_frame(self, msg):
        """Internal message -> sse_v3 'data: {...}' text and action."""
        kind = msg["msg"]
        if kind == "heartbeat":
            return 'data: {"msg": "heartbeat"}\n\n', None
        wire = {k: v for k, v in msg.items() if not k.startswith("_")}
        if kind != "process_completed":
            return "data: %s\n\n" % json.dumps(wire), None
        fault = msg.get("_fault")
        if fault == "drop_stream":
            return 'data: {"msg": "heartbeat"}\n\n', "abort"
        if fault == "malformed":
            text = 'data: {"msg": "process_completed", "event_id": "%s", "output": {"data": %s}, ' \
                   '"success": true}\n\n' % (msg["event_id"], malformed_data(msg["_variant"]))
        else:
            output = failed_output(msg, self.st.gradio)
            if output is not None:
                wire.update({"success": False, "output": output})
                if "title" in wire:
                    wire["title"] = output.get("title")
            text = "data: %s\n\n" % json.dumps(wire)
        return text, None

    def heartbeat_stream(self):
        """GET /heartbeat/{session} (4.25+): 'data: ALIVE' every interval until the peer leaves."""
        self.count("heartbeat")
        if not self.sse_start():
            return
        st, args = self.st, self.server.args
        start = time.monotonic()
        while not st.shutdown.is_set() and time.monotonic() - start < args.max_stream_s:
            if not self.sse_write("data: ALIVE\n\n"):
                return
            if self.client_gone(args.heartbeat_s):
                return self.sse_abort()
        self.sse_end()

    # -- A1111 (proto §5) ---------------------------------------------------------------------
    def a1111(self, method, path):
        st, args = self.st, self.server.args
        if args.a1111_auth:
            expect = "Basic " + base64.b64encode(args.a1111_auth.encode()).decode()
            if self.headers.get("Authorization", "") != expect:
                with st.cond:
                    st.st["auth_failures"] += 1
                if method == "POST":
                    self.read_body()
                return self.send_json(401, {"detail": "Incorrect username or password"},
                                      {"WWW-Authenticate": "Basic"})
        shape = args.a1111_shape
        if method == "GET" and path == "/tagger/v1/interrogators":
            self.count("a1111_interrogators")
            return self.send_json(200, {"models": A1111_MODELS[shape]})
        if method == "POST" and path == "/tagger/v1/interrogate":
            return self.a1111_interrogate(shape)
        if method == "POST":
            self.read_body()
        return self.send_json(404, {"detail": "Not Found"})

    def a1111_interrogate(self, shape):
        st = self.st
        self.count("a1111_interrogate")
        ok, body = self.read_json()
        if not ok:
            return
        if not isinstance(body, dict):
            return self.send_json(422, {"detail": [{"type": "dict_type", "loc": ["body"],
                                                    "msg": "Input should be a valid dictionary"}]})
        fault = st.roll(GATE_FAULTS + PREDICT_FAULTS)
        if fault in ("hang", "slow_connect"):
            return self.hold()
        if fault == "auth":
            return self.send_json(401, {"detail": "Not authenticated"})
        if fault == "forbidden":
            return self.send_json(403, {"detail": "Forbidden"})
        if fault in ("sleeping", "queue_full"):
            return self.send_html(503, HTML_SLEEPING)
        if fault == "rate_limit":
            return self.send_body(429, "Too Many Requests", "text/plain",
                                  {"Retry-After": "%d" % round(self.server.args.retry_after)})
        if fault in ("server_error", "error_event", "error_event_msg", "echo_auth"):
            errors = echo_text(self.headers.get("Authorization")) if fault == "echo_auth" \
                else "fake failure"
            return self.send_json(500, {"error": "RuntimeError", "detail": "", "body": "",
                                        "errors": errors})
        image, model = body.get("image"), body.get("model")
        if not image:
            return self.send_json(404, {"detail": "Image not found"})
        if model not in A1111_MODELS[shape]:
            return self.send_json(404, {"detail": "Model not found"})
        try:
            raw = base64.b64decode(image.split(";base64,", 1)[-1], validate=True)
            if not raw:
                raise ValueError("empty")
        except (binascii.Error, ValueError, AttributeError):
            return self.send_json(500, {"detail": "Invalid encoded image"})
        threshold = body.get("threshold", 0.35 if shape == "flat" else 0.0)
        if not _is_number(threshold):
            return self.send_json(422, {"detail": [{"type": "float_parsing",
                                                    "loc": ["body", "threshold"]}]})
        sha = hashlib.sha256(raw).hexdigest()
        with self.server.a1111_slots:  # --concurrency interrogations at once
            with st.cond:
                st.running += 1
                st.max_concurrent = max(st.max_concurrent, st.running)
                st.st["requested"] += 1
                st.st["started"] += 1
                st.processed_by_sha[sha] += 1
            st.shutdown.wait(st.service_ms / 1000.0)
            with st.cond:
                st.running -= 1
        if fault == "drop_stream":
            return self.sse_abort()
        with st.cond:
            if fault:
                st.st["faulted"] += 1
            else:
                st.st["completed"] += 1
                st.completed_by_sha[sha] += 1
                st.models[model] += 1
                if self.server.args.stop_after and st.st["completed"] >= self.server.args.stop_after:
                    st.stopped = True
        if fault == "malformed":
            return self.send_body(200, '{"caption": {"general": 0.9, "1girl', "application/json")

        if fault == "huge_answer":
            big = {"caption": {"tag_%07d" % i: 0.5 for i in range(HUGE_BYTES // 20)}}
            return self.send_json(200, big)
        self.send_json(200, a1111_caption(compute_scores(sha, model), shape, threshold))

    # -- control routes -----------------------------------------------------------------------
    def control(self, method, path, query):
        st = self.st
        q = lambda k, d=None: query.get(k, [d])[0]
        if method == "GET" and path == "/__fake/stats":
            return self.send_json(200, st.stats_json())
        if method == "GET" and path == "/__fake/faults":
            with st.cond:
                return self.send_json(200, dict(st.faults))
        if method == "GET" and path == "/__fake/vocab":
            return self.send_body(200, vocab_csv(), "text/csv; charset=utf-8")
        if method == "GET" and path in ("/__fake/expect", "/__fake/scores"):
            sha, model = (q("sha256") or "").lower(), q("model", DEFAULT_MODEL)
            if not re.fullmatch(r"[0-9a-f]{64}", sha):
                return self.send_json(400, {"detail": "sha256 must be 64 hex digits"})
            if path == "/__fake/scores":
                scores = compute_scores(sha, model)
                return self.send_json(200, [{"name": r[1], "category": r[2], "score": s}
                                            for r, s in zip(VOCAB, scores)])
            try:
                out = expected_outputs(sha, model, float(q("gthr", DEFAULT_GENERAL_THRESH)),
                                       q("gmcut", "0") in ("1", "true"),
                                       float(q("cthr", DEFAULT_CHARACTER_THRESH)),
                                       q("cmcut", "0") in ("1", "true"))
            except ValueError:
                return self.send_json(400, {"detail": "bad threshold"})
            return self.send_json(200, out)
        if method != "POST":
            return self.send_json(404, {"detail": "Not Found"})
        ok, body = self.read_json()
        if not ok:
            return
        body = body if isinstance(body, dict) else {}
        if path == "/__fake/reset":
            st.reset_stats()
            return self.send_json(200, {"ok": True})
        if path == "/__fake/fault":
            with st.cond:
                if body.get("clear"):
                    st.faults.clear()
                name = body.get("fault")
                if name is not None:
                    if name not in FAULTS:
                        return self.send_json(400, {"detail": "unknown fault %r" % name})
                    prob = float(body.get("prob", 1.0))
                    if prob > 0:
                        st.faults[name] = prob
                    else:
                        st.faults.pop(name, None)
                return self.send_json(200, dict(st.faults))
        if path == "/__fake/sleep":
            st.fall_asleep(float(body.get("wake_after_s", 5)))
            return self.send_json(200, {"ok": True})
        if path == "/__fake/settings":
            with st.cond:
                if "service_ms" in body:
                    st.service_ms = float(body["service_ms"])
                if "queue_size" in body:
                    st.queue_size = body["queue_size"]
                if "stage" in body:
                    st.stage = str(body["stage"])
                if "bad_gateway_s" in body:  # Python restarts behind the proxy now
                    if st.vt < (6, 15):
                        return self.send_json(400, {"detail": "no Node proxy before 6.15"})
                    st.bad_gateway_s = 0
                    st.bad_gateway_until = time.monotonic() + float(body["bad_gateway_s"])
            return self.send_json(200, {"ok": True})
        return self.send_json(404, {"detail": "Not Found"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    def server_bind(self):
        """As HTTPServer.server_bind minus socket.getfqdn(): a reverse DNS lookup that can
        take seconds in a sandbox."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        """Peers that hang up (aborted SSE, killed clients) are normal here: stay quiet."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description="Fake wd-tagger Gradio Space + HF hub API "
                                             "(127.0.0.1 only).")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--gradio", type=int, choices=(4, 5, 6), default=5)
    ap.add_argument("--gradio-version", help="the version /config says (default 4.44.1, "
                    "5.49.1, 6.25.0); its major must be --gradio's. 6.x before 6.13 sends "
                    "null error events, before 6.25 404s a /call with session_hash")
    ap.add_argument("--bad-gateway-s", type=float, default=0.0,
                    help="Gradio >= 6.15 behind its Node proxy: /config and /gradio_api/* "
                    "answer 502 text/plain 'Bad Gateway' for S s from the first Space request")
    ap.add_argument("--service-ms", type=float, default=100.0, help="time per prediction")
    ap.add_argument("--concurrency", type=int, default=1, help="predictions at once (Space: 1)")
    ap.add_argument("--queue-size", type=int, default=10, help="max waiting events (Space: 10)")
    ap.add_argument("--fault", action="append", default=[], metavar="NAME[:PROB]",
                    help="inject a fault: " + ", ".join(FAULTS))
    ap.add_argument("--seed", type=int, default=0, help="seed for probabilistic faults")
    ap.add_argument("--stop-after", type=int, default=0,
                    help="after N completed predictions answer nothing more")
    ap.add_argument("--token", help="require 'Authorization: Bearer TOKEN' everywhere")
    ap.add_argument("--stage", default="RUNNING", help="runtime stage once awake")
    ap.add_argument("--wake-after-s", type=float, default=None,
                    help="start asleep; up S seconds after the first Space request")
    ap.add_argument("--retry-after", type=float, default=2.0, help="Retry-After for rate_limit")
    ap.add_argument("--heartbeat-s", type=float, default=15.0, help="SSE heartbeat interval")
    ap.add_argument("--max-stream-s", type=float, default=900.0,
                    help="upper bound on any held connection or stream")
    ap.add_argument("--upload-cache-mb", type=float, default=1024.0,
                    help="keep at most this many MiB of uploads (oldest dropped first)")
    ap.add_argument("--log", help="append one line per request to this file")
    ap.add_argument("--vocab-dump", action="store_true",
                    help="print the vocabulary as selected_tags.csv and exit")
    ap.add_argument("--a1111", action="store_true", help="serve the A1111 WD14 tagger API instead")
    ap.add_argument("--a1111-shape", choices=("flat", "nested"), default="flat",
                    help="flat = toriato, nested = picobyte response form")
    ap.add_argument("--a1111-auth", metavar="USER:PASS", help="require HTTP Basic auth (A1111)")
    args = ap.parse_args(argv)
    for spec in args.fault:
        name, _, prob = spec.partition(":")
        if name not in FAULTS:
            ap.error("unknown fault %r (known: %s)" % (name, ", ".join(FAULTS)))
        if prob:
            try:
                if not 0.0 <= float(prob) <= 1.0:
                    raise ValueError
            except ValueError:
                ap.error("bad probability in --fault %s" % spec)
    if args.concurrency < 1 or args.queue_size < 0 or args.heartbeat_s <= 0:
        ap.error("--concurrency >= 1, --queue-size >= 0, --heartbeat-s > 0")
    version = args.gradio_version or VERSIONS[args.gradio]
    if not re.match(r"^\d+\.\d+\.\d+", version) or version_tuple(version)[0] != args.gradio:
        ap.error("--gradio-version %r is not a %d.x version" % (version, args.gradio))
    if args.bad_gateway_s < 0 or (args.bad_gateway_s > 0 and version_tuple(version) < (6, 15)):
        ap.error("--bad-gateway-s: Gradio's Node proxy exists from 6.15 (--gradio 6)")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.vocab_dump:
        sys.stdout.write(vocab_csv())
        return 0
    state = State(args)
    server = Server(("127.0.0.1", args.port), Handler)
    server.state, server.args = state, args
    server.a1111_slots = threading.BoundedSemaphore(args.concurrency)
    server.log = open(args.log, "a", encoding="utf-8") if args.log else None
    server.log_lock = threading.Lock()
    port = server.server_address[1]
    for _ in range(args.concurrency):
        threading.Thread(target=state.worker, daemon=True, name="worker").start()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     daemon=True, name="http").start()

    def on_signal(signum, frame):
        state.shutdown.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    sys.stdout.write("PORT %d\n" % port)
    sys.stdout.flush()
    while not state.shutdown.wait(1.0):
        pass
    with state.cond:
        state.cond.notify_all()
    server.shutdown()
    server.server_close()
    if server.log:
        server.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
