#!/usr/bin/env python3
"""test_cli.py — help, version, exit codes, config, database location, the
database file itself, and the busy exit code.

    python3 tests/integration/test_cli.py build/tui/tagcon
"""
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tctest  # noqa: E402

t = tctest.Suite("cli")
db = os.path.join(t.root, "cli.db")
lib = t.mkdir("lib")
for i, (w, h) in enumerate([(40, 20), (20, 40), (30, 30), (31, 30)]):
    t.write(os.path.join(lib, "img%d.png" % i), t.image_bytes("png", w, h))

# ---------------------------------------------------------------------------
t.section("--help, --version, usage errors")
r = t.tagcon_run("--help")
t.eq(r.rc, 0, "--help exits 0")
for cmd in ("scan", "status", "show", "config"):
    t.check(re.search(r"\b%s\b" % cmd, r.text), "--help lists %s" % cmd, r.describe())
t.check("--db" in r.text and "TAGCON_DB" in r.text, "--help mentions --db and TAGCON_DB",
        r.describe())
t.eq(r.err, b"", "--help writes nothing to stderr")
r = t.tagcon_run("--version")
t.eq(r.rc, 0, "--version exits 0")
m = re.match(r"tagcon (\d+\.\d+\.\d+)", r.text)
t.check(m is not None and r.text.count("\n") == 1, "--version prints one line 'tagcon X.Y.Z'",
        r.describe())
m = re.search(r"schema (\d+)", r.text)
schema = int(m.group(1)) if m else None

usage_cases = [
    (("frobnicate",), "unknown command"),
    (("--bogus",), "unknown global option"),
    (("--db",), "--db without a value"),
    (("scan",), "scan without DIR"),
    (("scan", "--bogus", lib), "scan with an unknown option"),
    (("show",), "show without PATH"),
    (("show", "a", "b"), "show with two PATHs"),
    (("status", "extra"), "status with an argument"),
    (("status", "--bogus"), "status with an unknown option"),
    (("config",), "config without a verb"),
    (("config", "frob"), "config with an unknown verb"),
    (("config", "get"), "config get without NAME"),
    (("config", "set", "model"), "config set without VALUE"),
    (("config", "reset"), "config reset without NAME"),
]
for args, what in usage_cases:
    r = t.tagcon_run(*args, db=db)
    t.eq(r.rc, 2, "%s: exit 2" % what)
    t.check(r.err and r.out == b"" and len(r.err.splitlines()) <= 2,
            "%s: says so on stderr (one line, or one line plus usage), nothing on stdout" % what,
            r.describe())

# ---------------------------------------------------------------------------
t.section("config list / get / set / reset")
r = t.tagcon_run("config", "list", "--json", db=db)
t.eq(r.rc, 0, "config list --json exits 0")
table = r.json() or []
by_name = {s.get("name"): s for s in table if isinstance(s, dict)}
wanted = ["spaces", "model", "general_threshold", "character_threshold", "general_mcut",
          "character_mcut", "score_floor", "upload_max_side", "auto_tag", "target_folder",
          "review_mode", "max_preview_rating", "theme", "pixel_limit", "space_inflight"]
for name in wanted:
    t.check(name in by_name, "config list has %s" % name)
for s in table:
    t.check(all(k in s for k in ("name", "type", "value", "default")),
            "config list --json %s has name, type, value, default" % s.get("name"), repr(s))
defaults = {
    "model": "SmilingWolf/wd-swinv2-tagger-v3",
    "general_threshold": 0.35,
    "character_threshold": 0.85,
    "score_floor": 0.05,
    "upload_max_side": 448,
    "pixel_limit": 100_000_000,
    "general_mcut": False,
    "character_mcut": False,
}
for name, want in defaults.items():
    v = by_name.get(name, {}).get("value")
    if isinstance(want, bool):
        ok = str(v).lower() in (("true", "1", "yes", "on") if want else ("false", "0", "no", "off"))
    elif isinstance(want, str):
        ok = v == want
    else:
        try:
            ok = abs(float(v) - want) < 1e-9
        except (TypeError, ValueError):
            ok = False
    t.check(ok, "default %s = %r" % (name, want), "got %r" % (v,))

r = t.tagcon_run("config", "list", db=db)
t.check(r.rc == 0 and len(r.text.splitlines()) == len(table),
        "config list (human): one line per setting", r.describe())


def cfg_snapshot():
    r = t.tagcon_run("config", "list", "--json", db=db)
    return {s["name"]: s["value"] for s in (r.json() or [])}


def get(name):
    r = t.tagcon_run("config", "get", name, db=db)
    return r.text.rstrip("\n") if r.rc == 0 else None


r = t.tagcon_run("config", "set", "general_threshold", "0.5", db=db)
t.check(r.rc == 0 and r.err == b"", "config set general_threshold 0.5", r.describe())
t.check(get("general_threshold") in ("0.5", "0.50", "0.500"), "config get general_threshold",
        repr(get("general_threshold")))
r = t.tagcon_run("config", "list", db=db)
line = [ln for ln in r.text.splitlines() if ln.startswith("general_threshold")]
t.check(line and "0.5" in line[0], "config list shows the new value", repr(line))
r = t.tagcon_run("config", "get", "--json", "general_threshold", db=db)
if r.rc == 0 and r.out:
    t.check((r.json() or {}).get("name") == "general_threshold",
            "config get --json gives the setting object", r.describe())
r = t.tagcon_run("config", "reset", "general_threshold", db=db)
t.eq(r.rc, 0, "config reset general_threshold")
t.eq(get("general_threshold"), "0.35", "after reset: the default 0.35")

good_values = [
    ("general_mcut", "true", "true"),
    ("general_mcut", "off", "false"),
    ("character_threshold", "0.9", "0.9"),
    ("upload_max_side", "0", "0"),
    ("space_inflight", "16", "16"),
    ("review_mode", "auto", "auto"),
    ("theme", "monochrome", "monochrome"),
    ("max_preview_rating", "s", "s"),
    ("pixel_limit", "200000000", "200000000"),
    ("model", "SmilingWolf/wd-vit-tagger-v3", "SmilingWolf/wd-vit-tagger-v3"),
    ("spaces", "https://huggingface.co/spaces/SmilingWolf/wd-tagger", None),
    ("spaces", "https://smilingwolf-wd-tagger.hf.space", None),
    ("spaces", "http://127.0.0.1:7860", None),
    ("spaces", "a1111+http://127.0.0.1:7860", None),
]
for name, value, want in good_values:
    r = t.tagcon_run("config", "set", name, value, db=db)
    t.eq(r.rc, 0, "config set %s %s accepted" % (name, value))
    if want is not None:
        t.eq(get(name), want, "config get %s after set %s" % (name, value))
    else:
        t.check(value in (get(name) or ""), "config get %s holds %s" % (name, value),
                repr(get(name)))
r = t.tagcon_run("config", "set", "spaces",
                 "https://smilingwolf-wd-tagger.hf.space\nhttp://127.0.0.1:7860", db=db)
t.eq(r.rc, 0, "config set spaces with two URLs (one per line)")
r = t.tagcon_run("config", "get", "spaces", db=db)
t.eq(r.text.splitlines(), ["https://smilingwolf-wd-tagger.hf.space", "http://127.0.0.1:7860"],
     "config get spaces prints one URL per line (so its output can be fed back to set)")
r = t.tagcon_run("config", "get", "--json", "spaces", db=db)
if r.rc == 0 and r.json():
    t.eq(r.json().get("value"), "https://smilingwolf-wd-tagger.hf.space\nhttp://127.0.0.1:7860",
         "config get --json spaces: both URLs, one per line")

bad_values = [
    ("general_threshold", "abc", "bad float"),
    ("general_threshold", "0.5x", "trailing junk"),
    ("general_threshold", "", "empty"),
    ("general_threshold", "1.5", "float above range"),
    ("general_threshold", "-0.1", "float below range"),
    ("general_threshold", "nan", "NaN"),
    ("general_threshold", "inf", "infinity"),
    ("score_floor", "0", "float below its 0.01 minimum"),
    ("upload_max_side", "12.5", "int with a fraction"),
    ("upload_max_side", "99999", "int above range"),
    ("upload_max_side", "-1", "negative int"),
    ("pixel_limit", "0", "pixel_limit 0"),
    ("space_inflight", "0", "int below range"),
    ("space_inflight", "17", "int above range"),
    ("general_mcut", "maybe", "bad bool"),
    ("review_mode", "sometimes", "bad enum"),
    ("theme", "neon", "bad enum"),
    ("max_preview_rating", "x", "bad enum"),
    ("spaces", "ftp://example.com/space", "bad URL scheme"),
    ("spaces", "not a url", "not a URL"),
    ("spaces", "http://", "URL with no host"),
    ("spaces", "https://ok.hf.space\nhttps://bad host", "second URL bad"),
    ("model", "", "empty model"),
    ("target_folder", "a\nb", "path with a newline"),
    ("target_folder", "a\x1b[31mb", "path with an escape"),
]
before = cfg_snapshot()
for name, value, what in bad_values:
    r = t.tagcon_run("config", "set", name, value, db=db)
    t.eq(r.rc, 2, "refused (%s): config set %s %r exits 2" % (what, name, value))
    lines = r.err.splitlines()
    t.check(len(lines) == 1 and name.encode() in lines[0] and r.out == b"",
            "refused (%s): one clear stderr line naming %s" % (what, name), r.describe())
after = cfg_snapshot()
t.eq(after, before, "no refused value changed any setting")

for verb in (("get", "nope"), ("set", "nope", "1"), ("reset", "nope")):
    r = t.tagcon_run("config", *verb, db=db)
    t.check(r.rc == 2 and b"nope" in r.err and len(r.err.splitlines()) == 1,
            "config %s of an unknown setting: exit 2, one line" % verb[0], r.describe())
t.eq(cfg_snapshot(), before, "unknown settings changed nothing")

# ---------------------------------------------------------------------------
t.section("where the database lives: --db, TAGCON_DB, XDG_DATA_HOME, HOME")
env_db = os.path.join(t.root, "env", "from-env.db")
r = t.scan(None, lib, env={"TAGCON_DB": env_db})
t.eq(r.rc, 0, "scan with TAGCON_DB (parent directory created)")
t.check(os.path.exists(env_db), "TAGCON_DB is the database written")
r, st = t.status(None, env={"TAGCON_DB": env_db})
t.check(st and st.get("images") == 4, "status reads TAGCON_DB", r.describe())
if st and "database" in st:
    t.eq(st["database"], env_db, "status --json names the TAGCON_DB database")
flag_db = os.path.join(t.root, "flag.db")
r, st = t.status(flag_db, env={"TAGCON_DB": env_db})
t.check(st and st.get("images") == 0 and os.path.exists(flag_db),
        "--db wins over TAGCON_DB", r.describe())
r = t.tagcon_run("--db=" + flag_db, "status", "--json")
t.check(r.rc == 0 and (r.json() or {}).get("images") == 0, "--db=PATH form", r.describe())

xdg = os.path.join(t.root, "xdg")
r = t.scan(None, lib, env={"XDG_DATA_HOME": xdg})
want = os.path.join(xdg, "tagcon", "tagcon.db")
t.check(r.rc == 0 and os.path.exists(want),
        "default database is $XDG_DATA_HOME/tagcon/tagcon.db", r.describe())
r, st = t.status(None, env={"XDG_DATA_HOME": xdg})
t.check(st and st.get("images") == 4, "status finds the XDG default", r.describe())
home = t.mkdir("home2")
r = t.scan(None, lib, env={"XDG_DATA_HOME": None, "HOME": home})
t.check(r.rc == 0 and os.path.exists(os.path.join(home, ".local", "share", "tagcon",
                                                    "tagcon.db")),
        "without XDG_DATA_HOME: $HOME/.local/share/tagcon/tagcon.db", r.describe())
t.check(not os.path.exists(os.path.join(t.home, ".local")),
        "no command above wrote into HOME when a database was named")

# ---------------------------------------------------------------------------
t.section("the database file: WAL, integrity, schema version")
r = t.scan(db, lib)
t.eq(r.rc, 0, "scan into cli.db")
con = sqlite3.connect(db)
try:
    t.eq(con.execute("PRAGMA journal_mode").fetchone()[0].lower(), "wal", "journal_mode is wal")
    t.eq(con.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity_check ok")
    t.eq(con.execute("PRAGMA foreign_key_check").fetchall(), [], "foreign_key_check clean")
    uv = con.execute("PRAGMA user_version").fetchone()[0]
    t.check(uv > 0, "user_version > 0", "user_version %d" % uv)
    if schema is not None:
        t.eq(uv, schema, "user_version equals the schema --version prints")
finally:
    con.close()

r, st = t.status(db)
if st:
    t.eq(st.get("images"), 4, "status --json images")
    t.eq({k: st.get("orientation", {}).get(k) for k in ("landscape", "portrait", "square")},
         {"landscape": 2, "portrait": 1, "square": 1}, "status --json orientation counts")
    t.eq(st.get("state", {}).get("new"), 4, "status --json state new")
    t.eq(sum(v for v in st.get("state", {}).values()), st.get("images"),
         "status --json: states add up to images")
    t.eq(sum(v for v in st.get("rating", {}).values()), st.get("images"),
         "status --json: ratings (with unrated) add up to images")
r = t.tagcon_run("status", db=db)
t.check(r.rc == 0 and "landscape" in r.text and "new" in r.text,
        "status (human) prints states and orientations", r.describe())

# A database from a newer tagcon is refused, not damaged.
newer = os.path.join(t.root, "newer.db")
t.scan(newer, lib)
con = sqlite3.connect(newer)
con.execute("PRAGMA user_version = 9999")
con.commit()
con.close()
r = t.tagcon_run("status", db=newer)
t.check(r.rc != 0 and r.err and len(r.err.splitlines()) == 1,
        "a database with a newer schema is refused with one line", r.describe())
con = sqlite3.connect(newer)
t.eq(con.execute("PRAGMA user_version").fetchone()[0], 9999, "the newer database is untouched")
con.close()

# Not a database at all.
junk = os.path.join(t.root, "junk.db")
t.write(junk, b"this is not a database" * 100)
r = t.tagcon_run("status", db=junk)
t.check(r.rc != 0 and len(r.err.splitlines()) == 1 and b"junk.db" in r.err,
        "a file that is not a database: one line naming it", r.describe())

# ---------------------------------------------------------------------------
t.section("exit status 4 while another process holds the write lock")
locker = sqlite3.connect(db, timeout=1, isolation_level=None)
locker.execute("BEGIN IMMEDIATE")
try:
    r = t.tagcon_run("status", "--json", db=db, timeout=60)
    t.eq(r.rc, 0, "status (a reader) works while a writer holds the lock")
    r = t.scan(db, lib, timeout=60)
    t.eq(r.rc, 4, "scan while the database is locked by another writer: exit 4")
    t.check(b"lock" in r.err or b"busy" in r.err, "scan under lock says locked/busy",
            r.describe())
    r = t.tagcon_run("config", "set", "general_threshold", "0.4", db=db, timeout=60)
    t.eq(r.rc, 4, "config set while the database is locked by another writer: exit 4")
    r = t.tagcon_run("config", "reset", "general_threshold", db=db, timeout=60)
    t.eq(r.rc, 4, "config reset while the database is locked by another writer: exit 4")
finally:
    locker.execute("ROLLBACK")
    locker.close()
r = t.tagcon_run("config", "set", "general_threshold", "0.4", db=db)
t.eq(r.rc, 0, "config set works again once the lock is released")

t.finish()
