#!/usr/bin/env python3
"""test_scan.py — tagcon scan / show / status on trees of real images.

Formats known by content, dimensions and orientation from the header, the
XXH3-128 content hash, and every kind of bad input of issue 2 recorded with
its reason without stopping the scan: empty, truncated, text named .jpg,
unreadable, over the pixel limit, symlink loops, hostile file names.

    python3 tests/integration/test_scan.py build/tui/tagcon
"""
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tctest  # noqa: E402
from tctest import NOBODY, SHOW_KEYS  # noqa: E402

t = tctest.Suite("scan")


def fsb(p):
    return p if isinstance(p, bytes) else os.fsencode(p)


def rows_by_path(db):
    """{path bytes: (state, error)} straight from the database."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(images)")]
        if "path" not in cols:
            return None
        out = {}
        for row in con.execute("SELECT path FROM images"):
            p = row[0]
            out[bytes(p) if not isinstance(p, str) else p.encode()] = True
        return out
    finally:
        con.close()


# ---------------------------------------------------------------------------
t.section("formats are known by content; dimensions, orientation and hash")

fmt_dir = t.mkdir("formats")
db = os.path.join(t.root, "formats.db")

# name -> (format written, width, height, formats tagcon may call it)
cases = {
    "land.png": ("png", 64, 32, {"png"}),
    "port.jpg": ("jpg", 30, 50, {"jpeg"}),
    "square.webp": ("webp", 40, 40, {"webp"}),
    "wide.gif": ("gif", 50, 20, {"gif"}),
    "tall.tif": ("tif", 20, 60, {"tiff"}),
    "pic.bmp": ("bmp", 33, 22, {"bmp", "magick"}),
    "png-named.jpg": ("png", 25, 26, {"png"}),       # PNG under a JPEG name
    "jpeg-no-extension": ("jpg", 48, 48, {"jpeg"}),  # no extension at all
    "webp-named.dat": ("webp", 10, 70, {"webp"}),    # unknown extension
    "gif-named.png": ("gif", 70, 10, {"gif"}),
    "sub/deeper/nested.png": ("png", 100, 99, {"png"}),
}
contents = {}
for name, (fmt, w, h, _) in cases.items():
    try:
        data = t.image_bytes(fmt, w, h)
    except RuntimeError as e:
        t.skip("%s written as %s" % (name, fmt), "vips cannot write %s here: %s" % (fmt, e))
        continue
    contents[name] = data
    t.write(os.path.join(fmt_dir, name), data)
# An exact copy: same content, same hash, its own row.
contents["copy-of-land.png"] = contents["land.png"]
t.write(os.path.join(fmt_dir, "copy-of-land.png"), contents["land.png"])
cases["copy-of-land.png"] = cases["land.png"]
# A text file with no image name: ignored, not recorded.
t.write(os.path.join(fmt_dir, "notes.txt"), b"just some notes\n")

r = t.scan(db, fmt_dir)
tot = t.scan_totals(r)
t.eq(r.rc, 0, "scan of a tree of good images exits 0")
t.eq(tot.get("files"), len(contents) + 1, "scan --json counts every regular file")
t.eq(tot.get("added"), len(contents), "scan --json: every image added")
t.eq(tot.get("failed"), 0, "scan --json: nothing failed")
t.eq(tot.get("ignored"), 1, "scan --json: notes.txt is ignored")

hashes = {}
for name, data in contents.items():
    fmt, w, h, names = cases[name]
    path = os.path.join(fmt_dir, name)
    r, o = t.show(db, path)
    if not t.check(o is not None, "show --json %s works" % name, r.describe()):
        continue
    missing = [k for k in SHOW_KEYS if k not in o]
    t.check(not missing, "show --json %s has every documented key" % name,
            "missing %s" % missing)
    t.eq(o.get("path"), path, "%s: path is the absolute path" % name)
    t.eq(o.get("state"), "new", "%s: state new" % name)
    t.eq(o.get("error"), None, "%s: no error" % name)
    t.eq((o.get("width"), o.get("height")), (w, h), "%s: width x height from the header" % name)
    want_o = "square" if w == h else ("landscape" if w > h else "portrait")
    t.eq(o.get("orientation"), want_o, "%s: orientation %s" % (name, want_o))
    if "format" in o:
        t.check(o["format"] in names, "%s: detected as %s by content" % (name, "/".join(sorted(names))),
                "format %r" % o["format"])
    if "size" in o:
        t.eq(o["size"], len(data), "%s: size in bytes" % name)
    want = tctest.xxh3_128_hex(data)
    if want is None:
        t.skip("%s: hash is XXH3-128" % name, "neither libxxhash (ctypes) nor xxhsum found")
    else:
        t.eq(o.get("hash"), want, "%s: hash is the XXH3-128 hex of the bytes" % name)
    xs = tctest.xxhsum_hex(path)
    if xs is not None:
        t.eq(o.get("hash"), xs, "%s: hash agrees with xxhsum -H2" % name)
    t.check(o.get("rating") is None and o.get("model") is None and o.get("predictions") == []
            and o.get("suggested") == [] and o.get("committed") == [] and o.get("rejected") == [],
            "%s: untagged image has null rating/model and empty lists" % name, repr(o))
    hashes[name] = o.get("hash")

t.eq(hashes.get("copy-of-land.png"), hashes.get("land.png"), "equal files have equal hashes")
distinct = {n: h for n, h in hashes.items() if n != "copy-of-land.png"}
t.eq(len(set(distinct.values())), len(distinct), "different files have different hashes")

r, o = t.show(db, os.path.join(fmt_dir, "notes.txt"))
t.check(r.rc == 1 and o is None and b"not in the library" in r.err,
        "notes.txt (not an image, no image name) is not recorded; show exits 1", r.describe())

r = t.tagcon_run("show", os.path.join(fmt_dir, "port.jpg"), db=db)
t.check(r.rc == 0 and "portrait" in r.text and "30" in r.text and "50" in r.text,
        "show (human) prints dimensions and orientation", r.describe())

# Relative paths work for show, as a user types them.
r = t.tagcon_run("show", "--json", "land.png", db=db, cwd=fmt_dir)
t.check(r.rc == 0 and (r.json() or {}).get("path") == os.path.join(fmt_dir, "land.png"),
        "show --json with a relative path", r.describe())

r, st = t.status(db)
if t.check(st is not None, "status --json works", r.describe()):
    n = len(contents)
    t.eq(st.get("images"), n, "status --json: images")
    t.eq(st.get("state", {}).get("new"), n, "status --json: state new")
    for k in ("new", "tagged", "committed", "failed", "missing"):
        t.check(k in st.get("state", {}), "status --json state has key %s" % k, repr(st.get("state")))
    want = {"landscape": 0, "portrait": 0, "square": 0}
    for name in contents:
        _, w, h, _ = cases[name]
        want["square" if w == h else ("landscape" if w > h else "portrait")] += 1
    got = {k: st.get("orientation", {}).get(k) for k in want}
    t.eq(got, want, "status --json: counts by orientation")
    t.eq(st.get("rating", {}).get("unrated"), n, "status --json: every image unrated")
    for k in ("g", "s", "q", "e"):
        t.eq(st.get("rating", {}).get(k), 0, "status --json: rating %s is 0" % k)

# ---------------------------------------------------------------------------
t.section("files that are not images and have no image name are ignored")

odir = t.mkdir("others")
odb = os.path.join(t.root, "others.db")
others = {
    # An MP4 starts 00 00 00 18 'ftyp': a photo library holds videos.
    "movie.mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" +
                 bytes((i * 37) % 251 for i in range(2000)),
    "zeros.bin": bytes(4096),
    "counting.bin": bytes(range(256)) * 8,
    "doc.pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "page.html": b"<html><body>hi</body></html>\n",
    "archive.gz": bytes.fromhex("1f8b0800000000000003") + bytes(100),
    "library.sqlite": b"SQLite format 3\x00" + bytes(4080),
    "notes.txt": b"some text\n",
}
for name, data in others.items():
    t.write(os.path.join(odir, name), data)
t.write(os.path.join(odir, "real.png"), t.image_bytes("png", 10, 10))
r = t.scan(odb, odir)
tot = t.scan_totals(r)
t.eq(r.rc, 0, "scan of a folder with one image and %d other files exits 0" % len(others))
t.eq((tot.get("added"), tot.get("ignored"), tot.get("failed")), (1, len(others), 0),
     "scan --json: (added, ignored, failed)")
for name in others:
    r, o = t.show(odb, os.path.join(odir, name))
    t.check(r.rc == 1 and o is None,
            "%s (not an image, no image name) is not recorded as an image" % name,
            "recorded as %r" % ((o and (o.get("format"), o.get("state"), o.get("error"))),))

# ---------------------------------------------------------------------------
t.section("bad input is recorded with its reason and never stops the scan")

bad = t.mkdir("bad")
bdb = os.path.join(t.root, "bad.db")
good = {}


def good_image(name, fmt="png", w=16, h=12):
    data = t.image_bytes(fmt, w, h)
    good[name] = data
    t.write(os.path.join(bad, name), data)


good_image("a-good.png")
jpg = t.image_bytes("jpg", 300, 200)
png = t.image_bytes("png", 300, 200)
gif = t.image_bytes("gif", 120, 80)
webp = t.image_bytes("webp", 300, 200)

TRUNC = re.compile(r"truncat|premature|ends before|cut short|incomplete|unexpected end", re.I)
# A file cut inside its header may be called invalid; one cut after a good
# header must be called truncated (a header-only probe would accept it).
INVALID = re.compile(TRUNC.pattern + r"|not a valid|corrupt|invalid", re.I)
# name -> (bytes, regex the recorded reason must match)
bad_files = {
    "empty.jpg": (b"", re.compile(r"empty", re.I)),
    "empty.png": (b"", re.compile(r"empty", re.I)),
    "text.jpg": (b"this is a text file, not a JPEG\nsecond line\n",
                 re.compile(r"not an image.*text", re.I)),
    "garbage.png": (bytes((i * 151 + 7) % 256 for i in range(4096)),
                    re.compile(r"not an image|unknown format|not a valid", re.I)),
    "trunc-head.jpg": (jpg[:200], INVALID),              # cut inside the headers
    "trunc-half.jpg": (jpg[:len(jpg) // 2], TRUNC),    # cut in the scan data
    "trunc-tail.jpg": (jpg[:-2], TRUNC),               # only EOI missing
    "trunc-sig.png": (png[:16], INVALID),                # signature + part of IHDR
    "trunc-ihdr.png": (png[:30], INVALID),               # IHDR cut
    "trunc-half.png": (png[:len(png) // 2], TRUNC),    # IDAT cut
    "trunc-tail.png": (png[:-12], TRUNC),              # IEND missing
    "trunc-half.gif": (gif[:len(gif) // 2], INVALID),
    # Cut a few bytes after a 0x3B (';', the GIF trailer byte) that occurs
    # inside the LZW data: the file still does not end with the trailer.
    "trunc-semicolon.gif": (gif[:gif.index(b";", len(gif) // 3) + 5], TRUNC),
    "trunc-half.webp": (webp[:len(webp) // 2], INVALID),
    "bomb.png": (tctest.png_header_only(50000, 50000),
                 re.compile(r"too large|pixel|limit|MP", re.I)),
}
for name, (data, _) in bad_files.items():
    t.write(os.path.join(bad, name), data)

# Symlink loops: a file link to itself, two links to each other, a link to
# the parent directory and one to the directory itself; a dangling link.
os.symlink("self-loop.png", os.path.join(bad, "self-loop.png"))
os.symlink("loop-b.jpg", os.path.join(bad, "loop-a.jpg"))
os.symlink("loop-a.jpg", os.path.join(bad, "loop-b.jpg"))
os.symlink("nowhere.png", os.path.join(bad, "dangling.png"))
os.makedirs(os.path.join(bad, "sub"))
good_image("sub/inner.png")
os.symlink("..", os.path.join(bad, "sub", "up"))
os.symlink(".", os.path.join(bad, "sub", "here"))
os.symlink(bad, os.path.join(bad, "sub", "abs-root"))
# A FIFO named like an image: opening it would block a naive scanner.
os.mkfifo(os.path.join(bad, "pipe.png"))

# Hostile names, each a real image that must be indexed.
hostile = [
    b"caf\xe9.png",                          # Latin-1, not UTF-8
    b"\xff\xfe-invalid-utf8.jpg",
    b"line\nbreak.png",                      # newline
    b"esc\x1b[31mred\x1b[0m.png",            # ANSI colour
    b"osc\x1b]0;pwned\x07title.png",         # OSC: set window title
    b"cr\rreturn.png",
    b"tab\tname.png",
    b"del\x7fchar.png",                      # DEL
    b"c1-csi\xc2\x9b31m.png",                # U+009B, the one-byte CSI
    b"bidi\xe2\x80\xaegnp.exe.png",          # U+202E right-to-left override
    b"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.png",  # valid UTF-8 (Japanese)
]
badb = os.fsencode(bad)
hostile_dir = os.path.join(badb, b"dir-\xe9\x1b[1m")  # a hostile directory name too
for i, name in enumerate(hostile):
    data = t.image_bytes("png" if i % 2 == 0 else "jpg", 20 + i, 10)
    good[name] = data
    t.write(os.path.join(badb, name), data)
good[b"dir-\xe9\x1b[1m/inside.png"] = t.image_bytes("png", 9, 9)
t.write(os.path.join(hostile_dir, b"inside.png"), good[b"dir-\xe9\x1b[1m/inside.png"])

r = t.scan(bdb, bad, timeout=120)
tot = t.scan_totals(r)
t.eq(r.rc, 1, "scan with bad files finishes with exit status 1 (finished with failures)")
t.check(tot.get("added", 0) >= len(good), "scan --json: at least the %d good images added"
        % len(good), "added=%r" % tot.get("added"))
t.check(tot.get("failed", 0) >= len(bad_files), "scan --json counts the failures",
        "failed=%r" % tot.get("failed"))

r2 = t.scan(bdb, bad, json_out=False)
t.check(r2.rc in (0, 1) and r2.out.count(b"\n") == 1, "human scan prints one summary line",
        r2.describe())
t.check(b"files" in r2.out, "human scan summary names the counts", r2.describe())

for name, data in good.items():
    p = os.path.join(badb, fsb(name))
    r, o = t.show(bdb, p)
    label = tctest._show(name)
    if t.check(o is not None, "hostile/good %s: show --json finds it" % label, r.describe()):
        t.eq(o.get("state"), "new", "%s: indexed as new" % label)
        want = tctest.xxh3_128_hex(data)
        if want:
            t.eq(o.get("hash"), want, "%s: hash of its bytes" % label)
    # Human output of the same file: the global output check covers the
    # escaping; here only that it works.
    r = t.tagcon_run("show", p, db=bdb)
    t.eq(r.rc, 0, "%s: show (human) exits 0" % label)

for name, (data, rx) in bad_files.items():
    r, o = t.show(bdb, os.path.join(bad, name))
    if not t.check(o is not None, "%s: recorded" % name, r.describe()):
        continue
    t.eq(o.get("state"), "failed", "%s: state failed" % name)
    err = o.get("error") or ""
    t.check(rx.search(err) is not None, "%s: reason matches /%s/" % (name, rx.pattern),
            "error %r" % err)
    t.check("()" not in err and err.strip() != "",
            "%s: reason is not empty and has no empty '()'" % name, "error %r" % err)

r, o = t.show(bdb, os.path.join(bad, "bomb.png"))
if o:
    t.eq((o.get("width"), o.get("height")), (50000, 50000),
         "bomb.png: the header's 50000x50000 is recorded, no pixel decoded")

for name in ("self-loop.png", "loop-a.jpg", "loop-b.jpg"):
    r, o = t.show(bdb, os.path.join(bad, name))
    if t.check(o is not None, "%s: symlink loop recorded" % name, r.describe()):
        t.eq(o.get("state"), "failed", "%s: state failed" % name)
        t.check(re.search(r"loop", o.get("error") or "", re.I) is not None,
                "%s: reason says symlink loop" % name, repr(o.get("error")))
r, o = t.show(bdb, os.path.join(bad, "dangling.png"))
if t.check(o is not None, "dangling.png: a dangling symlink named like an image is recorded",
           r.describe()):
    t.check(o.get("state") == "failed" and o.get("error"),
            "dangling.png: failed with a reason", repr(o))

r, o = t.show(bdb, os.path.join(bad, "pipe.png"))
t.check(o is None or o.get("state") == "failed", "pipe.png (a FIFO) is skipped or failed, "
        "and the scan did not block on it", repr(o))

# Directory loops: nothing indexed twice, nothing indexed below the links.
paths = rows_by_path(bdb)
if paths is None:
    t.skip("no path indexed through a directory symlink loop", "images table has no path column")
else:
    through = [p for p in paths if b"/sub/up/" in p or b"/sub/here/" in p or b"/abs-root/" in p]
    t.check(not through, "no image indexed through a directory symlink loop",
            repr(through[:5]))
    # every good image once, every bad file once, the loops: nothing else
    t.check(len(paths) <= len(good) + len(bad_files) + 5,
            "no duplicate rows from the loops", "%d rows" % len(paths))

r = t.scan(bdb, bad)
t.check(r.rc in (0, 1) and t.scan_totals(r).get("added") == 0,
        "rescan of the bad tree adds nothing", r.describe())

r = t.tagcon_run("status", db=bdb)
t.eq(r.rc, 0, "status (human) on the bad tree exits 0")
r, st = t.status(bdb)
if st:
    shown_failed = 0
    for name in list(bad_files) + ["self-loop.png", "loop-a.jpg", "loop-b.jpg", "dangling.png"]:
        _, o = t.show(bdb, os.path.join(bad, name))
        shown_failed += bool(o and o.get("state") == "failed")
    t.eq(st.get("state", {}).get("failed"), shown_failed,
         "status --json: failed count agrees with show")

# ---------------------------------------------------------------------------
t.section("pixel limit: refused by default, accepted when raised")

pdir = t.mkdir("pixels")
t.write(os.path.join(pdir, "bomb.png"), tctest.png_header_only(50000, 50000))
t.write(os.path.join(pdir, "fine.png"), t.image_bytes("png", 20, 20))
pdb = os.path.join(t.root, "pixels.db")
r = t.scan(pdb, pdir)
r, o = t.show(pdb, os.path.join(pdir, "bomb.png"))
t.check(o and o.get("state") == "failed", "bomb.png over the default 100 MP limit: failed",
        repr(o))
r = t.tagcon_run("config", "set", "pixel_limit", "2500000000", db=pdb)
t.eq(r.rc, 0, "config set pixel_limit 2500000000")
r = t.scan(pdb, pdir)
r, o = t.show(pdb, os.path.join(pdir, "bomb.png"))
t.check(o and o.get("state") == "new" and o.get("error") is None,
        "after raising pixel_limit, a rescan accepts the file that failed on the old limit "
        "(its size and mtime did not change)", repr(o))
pdb2 = os.path.join(t.root, "pixels2.db")
t.tagcon_run("config", "set", "pixel_limit", "2500000000", db=pdb2)
r = t.scan(pdb2, pdir)
t.eq(r.rc, 0, "scan with pixel_limit raised exits 0")
r, o = t.show(pdb2, os.path.join(pdir, "bomb.png"))
t.check(o and o.get("state") == "new" and (o.get("width"), o.get("height")) == (50000, 50000)
        and o.get("orientation") == "square",
        "with pixel_limit raised, a fresh scan indexes the 50000x50000 PNG as new", repr(o))
t.tagcon_run("config", "set", "pixel_limit", "2499999999", db=pdb2)
os.utime(os.path.join(pdir, "bomb.png"), ns=(10**18, 10**18))
r = t.scan(pdb2, pdir)
r, o = t.show(pdb2, os.path.join(pdir, "bomb.png"))
t.check(o and o.get("state") == "failed", "one pixel over the limit is refused", repr(o))

# ---------------------------------------------------------------------------
t.section("unreadable files and directories (run as an unprivileged user)")

can, why = tctest.nobody_can_run(t)
if not can:
    t.skip("unreadable file recorded as failed", why)
else:
    udir = t.mkdir("perm", mode=0o777)
    lib = t.mkdir("perm", "lib")
    udb = os.path.join(udir, "perm.db")
    t.write(os.path.join(lib, "readable.png"), t.image_bytes("png", 12, 12))
    secret = t.image_bytes("jpg", 12, 14)
    t.write(os.path.join(lib, "secret.jpg"), secret, mode=0o000)
    t.write(os.path.join(lib, "locked", "kept.png"), t.image_bytes("png", 13, 13))
    as_user = {"user": NOBODY}
    r = t.tagcon_run("status", db=udb, **as_user)
    if not t.check(r.rc == 0, "an unprivileged user can use a database in %s" % udir,
                   r.describe()):
        pass
    else:
        r = t.scan(udb, lib, **as_user)
        tot = t.scan_totals(r)
        t.eq(r.rc, 1, "scan with an unreadable file exits 1")
        t.eq(tot.get("added"), 2, "the readable images are indexed")
        t.check(b"secret.jpg" in r.err, "stderr names the unreadable file", r.describe())
        r, o = t.show(udb, os.path.join(lib, "secret.jpg"), **as_user)
        if t.check(o is not None, "unreadable secret.jpg is recorded", r.describe()):
            t.eq(o.get("state"), "failed", "unreadable secret.jpg: state failed")
            t.check(re.search(r"permission|denied|cannot read|unreadable", o.get("error") or "",
                              re.I), "unreadable secret.jpg: reason says permission denied",
                    repr(o.get("error")))
        # The owner fixes the permissions: the next scan picks it up.
        os.chmod(os.path.join(lib, "secret.jpg"), 0o644)
        r = t.scan(udb, lib, **as_user)
        r, o = t.show(udb, os.path.join(lib, "secret.jpg"), **as_user)
        t.check(o and o.get("state") == "new" and o.get("hash") == tctest.xxh3_128_hex(secret),
                "after chmod 644, a rescan indexes secret.jpg", repr(o))
        # A directory that becomes unreadable: its known images are not
        # declared missing, and the scan goes on.
        os.chmod(os.path.join(lib, "locked"), 0o000)
        r = t.scan(udb, lib, **as_user)
        t.eq(r.rc, 1, "scan with an unreadable directory exits 1")
        t.check(b"locked" in r.err, "stderr names the unreadable directory", r.describe())
        r, o = t.show(udb, os.path.join(lib, "locked", "kept.png"), **as_user)
        t.check(o and o.get("state") == "new",
                "an image inside a directory that became unreadable is not marked missing",
                repr(o))
        t.write(os.path.join(lib, "new-after.png"), t.image_bytes("png", 8, 8))
        os.chmod(os.path.join(lib, "locked"), 0o755)
        os.chmod(os.path.join(lib, "locked"), 0o000)
        r = t.scan(udb, lib, **as_user)
        r, o = t.show(udb, os.path.join(lib, "new-after.png"), **as_user)
        t.check(o and o.get("state") == "new",
                "the scan went on past the unreadable directory", repr(o))
        os.chmod(os.path.join(lib, "locked"), 0o755)

t.finish()
