"""test_pixels.py — pixel previews in real terminals, read back from the screen.

Under a private Xvfb, the real tagcon runs in `xterm -ti vt340` (sixel) and in
kitty (kitty graphics, Mesa's software GL), each finding out by itself what
the terminal shows (no preview_protocol set).  Review opens on an image of
eight colour blocks; a screenshot (xwd) is searched for those colours, and the
mean colour of every block must match the image's.  Then the step after each
event: another screen (the pixels must be gone), back (drawn again), a resize
and a key (drawn at the new place, nothing left at the old one), `c` (the next
image, a portrait one, with nothing of the wide one left), `q` (nothing left).

In tmux (allow-passthrough off, as tmux starts) the same image is drawn with
chafa's symbols; with allow-passthrough on and preview_protocol kitty, what
tagcon writes (pipe-pane) is kitty's upload, placement and deletion, each
wrapped in ESC Ptmux.

TAGCON_PIXELS_SHOT=PATH saves the xterm screenshot of the first preview as a
PNG (doc/screenshots/pixel-preview.png is one).
"""
import base64
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tcconsole as tc  # noqa: E402
import xshot  # noqa: E402

# Eight colours far (> 28 in some channel) from the 16 of xterm and kitty, which
# the theme's bars and highlights use.
PAL = [(40, 60, 120), (90, 140, 60), (200, 90, 40), (150, 60, 150), (230, 170, 60),
       (70, 170, 170), (220, 220, 150), (240, 170, 190)]
# A: 480×240, 4 × 2 blocks; B: 160×320, 2 × 4 blocks, the palette reversed.
A = (480, 240, 4, 2, lambda i: PAL[i])
B = (160, 320, 2, 4, lambda i: PAL[7 - i])

s = tc.Suite("e2e-pixels")
missing = xshot.missing_tools(("kitty",))
if missing:
    s.check(False, "the tools of this test are installed", "missing: " + " ".join(missing) +
            " (scripts/common.sh test_packages)")
    s.finish()


def write_blocks(path, spec):
    w, h, nx, ny, colour = spec
    px = bytearray()
    for y in range(h):
        for x in range(w):
            px += bytes(colour((y * ny // h) * nx + x * nx // w))
    ppm = path + ".ppm"
    with open(ppm, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h) + px)
    subprocess.run(["vips", "copy", ppm, path], check=True)
    os.unlink(ppm)


lib = s.path("lib")
os.makedirs(lib)
a, b = lib + "/a.png", lib + "/b.png"
write_blocks(a, A)
write_blocks(b, B)


def library(name):
    """A fresh database with a and b waiting for review."""
    db = s.path(name + ".db")
    s.run("--db", db, "scan", lib)
    tc.add_predictions(db, a, [("1girl", "general", 0.9)])
    tc.add_predictions(db, b, [("solo", "general", 0.9)])
    return db


# --- reading the screen ------------------------------------------------------

def rgb_match(p, c):
    return max(abs(p[0] - c[0]), abs(p[1] - c[1]), abs(p[2] - c[2])) <= 28


def found(shot, region, match, step=2):
    """Pixels (sampled) of region that match a palette colour."""
    x0, y0, x1, y1 = region
    hits = []
    for y in range(y0, y1, step):
        for x in range(x0, x1, step):
            p = shot.rgb(x, y)
            if any(match(p, c) for c in PAL):
                hits.append((x, y))
    return hits


def bbox(hits, min_run=12):
    """The box of rows and columns holding many hits (text has few)."""
    rows, cols = {}, {}
    for x, y in hits:
        rows[y] = rows.get(y, 0) + 1
    ys = [y for y, n in rows.items() if n >= min_run]
    if not ys:
        return None
    y0, y1 = min(ys), max(ys)
    for x, y in hits:
        if y0 <= y <= y1:
            cols[x] = cols.get(x, 0) + 1
    xs = [x for x, n in cols.items() if n >= min_run]
    return (min(xs), y0, max(xs) + 2, y1 + 2) if xs else None


def blocks_wrong(shot, box, spec):
    """Blocks whose mean colour (inner half) is not the image's: [(i, got, want)]."""
    _, _, nx, ny, colour = spec
    x0, y0, x1, y1 = box
    bw, bh = (x1 - x0) / nx, (y1 - y0) / ny
    wrong = []
    for i in range(nx * ny):
        cx, cy = x0 + (i % nx + 0.5) * bw, y0 + (i // nx + 0.5) * bh
        pts = [shot.rgb(int(cx + dx * bw / 4), int(cy + dy * bh / 4))
               for dx in (-1, -0.5, 0, 0.5, 1) for dy in (-1, -0.5, 0, 0.5, 1)]
        got = tuple(sum(p[k] for p in pts) / len(pts) for k in range(3))
        want = colour(i)
        if not rgb_match(got, want):
            wrong.append((i, tuple(int(v) for v in got), want))
    return wrong


def aspect_ok(box, spec):
    w, h = box[2] - box[0], box[3] - box[1]
    return h > 0 and abs((w / h) / (spec[0] / spec[1]) - 1) < 0.05


class Term:
    failures = 0

    def __init__(self, disp, kind, db):
        self.disp, self.kind = disp, kind
        self.match = rgb_match
        env = dict(s.env)
        env.update(disp.env)
        for k in ("TMUX", "TMUX_PANE", "KITTY_WINDOW_ID", "TERM_PROGRAM", "LC_TERMINAL",
                  "WAYLAND_DISPLAY", "WEZTERM_PANE", "WEZTERM_EXECUTABLE", "KONSOLE_VERSION"):
            env.pop(k, None)
        cmd = [s.tagcon, "--db", db]
        if kind == "xterm":
            argv = ["xterm", "-ti", "vt340", "-xrm", "XTerm*decTerminalID: vt340",
                    "-xrm", "XTerm*numColorRegisters: 256", "-fn", "fixed",
                    "-geometry", "110x36+0+0", "-hold", "-e"] + cmd
        else:
            env["LIBGL_ALWAYS_SOFTWARE"] = "1"
            argv = ["kitty", "--config", "NONE", "-o", "font_size=9",
                    "-o", "initial_window_width=760", "-o", "initial_window_height=520",
                    "-o", "remember_window_size=no", "--hold"] + cmd
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.wid = disp.window(kind)
        if self.wid is None:
            raise RuntimeError("%s opened no window" % kind)
        self.place()

    def place(self):
        self.x, self.y, self.w, self.h = self.disp.geometry(self.wid)
        self.disp.run("xdotool", "mousemove", str(self.x + self.w // 2),
                      str(self.y + self.h // 2))

    def left(self):
        """The preview's part of the window (45% of the columns; no tab or status line)."""
        return (self.x, self.y + 30, self.x + self.w * 44 // 100, self.y + self.h - 30)

    def whole(self):
        return (self.x, self.y, self.x + self.w, self.y + self.h)

    def wait(self, pred, timeout=20):
        """Screenshots until pred(shot) gives something true; (shot, value).
        TAGCON_PIXELS_DEBUG=DIR keeps the last screenshot of each wait that failed."""
        end = time.monotonic() + timeout
        shot, v = None, None
        while time.monotonic() < end:
            shot = self.disp.shot()
            v = pred(shot)
            if v:
                return shot, v
            time.sleep(0.3)
        debug = os.environ.get("TAGCON_PIXELS_DEBUG")
        if debug and shot is not None:
            Term.failures += 1
            shot.png("%s/%s-%d.png" % (debug, self.kind, Term.failures), self.whole())
        return shot, None

    def preview(self, spec, region=None):
        """Wait for spec's blocks, all right; (shot, box, wrong blocks)."""
        last = {}

        def ready(shot):
            box = bbox(found(shot, region or self.left(), self.match))
            last["box"] = box
            if box is None or not aspect_ok(box, spec):
                return None
            last["wrong"] = blocks_wrong(shot, box, spec)
            return box if not last["wrong"] else None
        shot, box = self.wait(ready)
        return shot, box or last.get("box"), last.get("wrong")

    def gone(self, region, keep=None):
        """Wait until no palette colour is left in region (outside box keep)."""
        def clean(shot):
            # keep's edges are found on every other pixel: 4 more either side.
            hits = [p for p in found(shot, region, self.match)
                    if keep is None or not (keep[0] - 4 <= p[0] < keep[2] + 4 and
                                            keep[1] - 4 <= p[1] < keep[3] + 4)]
            # Rows of colour, not the odd pixel of anti-aliased text.
            return "clean" if bbox(hits) is None else None
        return self.wait(clean)[1] is not None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def walk(disp, kind, save=None):
    name = {"xterm": "sixel in xterm -ti vt340", "kitty": "kitty graphics in kitty"}[kind]
    t = Term(disp, kind, library(kind))
    try:
        # Enter on the Library's first row (a.png) reviews it.  A key typed
        # before the Library has read its rows finds no image: then 1, Home
        # and Enter again.
        box = None
        for attempt in range(3):
            time.sleep(1.5)
            disp.keys(*(["1", "Home", "Return"] if attempt else ["Return"]))
            shot, box, wrong = t.preview(A)
            if box is not None and not wrong:
                break
        s.check(box is not None and not wrong and aspect_ok(box, A),
                "%s: the preview's 8 blocks have the image's colours and shape" % name,
                "box %s, wrong blocks %s" % (box, wrong))
        if box is None:
            return
        s.check(box[2] - box[0] >= t.w * 0.3,
                "%s: the preview is %d px wide (of a %d px window)" % (name, box[2] - box[0],
                                                                       t.w),
                str(box))
        if save:
            shot.png(save, t.whole())

        disp.keys("1")
        s.check(t.gone(t.left()), "%s: the Library screen leaves no pixel of it" % name)
        disp.keys("2")
        shot, box2, wrong = t.preview(A)
        s.check(box2 is not None and not wrong, "%s: back in Review it is drawn again" % name,
                "box %s, wrong %s" % (box2, wrong))

        disp.run("xdotool", "windowsize", t.wid, str(t.w * 3 // 4), str(t.h * 3 // 4))
        time.sleep(1)
        t.place()
        disp.keys("j")
        shot, box3, wrong = t.preview(A)
        s.check(box3 is not None and not wrong and box3 != box2,
                "%s: after a resize and a key it is drawn at its new size" % name,
                "before %s, after %s, wrong %s" % (box2, box3, wrong))
        if box3 is not None:
            s.check(t.gone(t.whole(), keep=box3),
                    "%s: nothing is left where it was before the resize" % name)

        disp.keys("c")
        shot, boxb, wrong = t.preview(B)
        s.check(boxb is not None and not wrong,
                "%s: c shows the next image (portrait), its blocks right" % name,
                "box %s, wrong %s" % (boxb, wrong))
        if boxb is not None:
            s.check(t.gone(t.whole(), keep=boxb),
                    "%s: nothing of the wide image is left beside it" % name)

        disp.keys("q", "q")
        s.check(t.gone(t.whole()), "%s: q leaves no pixel on the terminal" % name)
    finally:
        t.stop()


disp = xshot.Display()
try:
    only = os.environ.get("TAGCON_PIXELS_ONLY", "")  # xterm, kitty or tmux: one part
    if only in ("", "xterm"):
        walk(disp, "xterm", save=os.environ.get("TAGCON_PIXELS_SHOT"))
    if only in ("", "kitty"):
        walk(disp, "kitty")
finally:
    disp.stop()
if only not in ("", "tmux"):
    s.finish()


# --- tmux: symbols without passthrough, kitty's sequences wrapped with it ----

db = library("tmux")
con = tc.Console(s, ["--db", db], width=110, height=32)
con.keys("r")
drawn = con.wait(lambda t: "1girl" in t and any(ch in t.split("1girl", 1)[1]
                                                 for ch in "▀▄▌▐▖▗▘▝▚▞█▎▊▇▆"), 15)
s.check(drawn is not None, "tmux without passthrough: the preview is drawn with symbols",
        con.screen())
# Asking for sixel there cannot work: the console says so and keeps symbols.
s.run("--db", db, "config", "set", "preview_protocol", "sixel", check=False)
said = con.wait(lambda t: "allow-passthrough is off" in t, 10)
s.check(said is not None and any(ch in said.split("1girl", 1)[-1] for ch in "▌▎▊▇▆"),
        "tmux without passthrough: preview_protocol sixel says why it stays symbols",
        said or con.screen())
s.run("--db", db, "config", "reset", "preview_protocol", check=False)
con.kill()

wrapper = s.path("passthrough.sh")
with open(wrapper, "w") as f:
    f.write("#!/bin/sh\ntmux set -p allow-passthrough on\nexec %s \"$@\"\n" % s.tagcon)
os.chmod(wrapper, 0o755)
stream = s.path("stream.out")
real = s.tagcon
s.tagcon = wrapper
con = tc.Console(s, ["--db", db], width=110, height=32)
s.tagcon = real
con.wait_for("Library", 10)
con.tmux("pipe-pane", "-o", "cat >> %s" % stream)
time.sleep(0.5)
con.keys("r")
# auto: tmux names no outer terminal (no client is attached), so symbols,
# until preview_protocol kitty is set from a shell while Review shows.
con.wait(lambda t: "1girl" in t, 10)
r = s.run("--db", db, "config", "set", "preview_protocol", "kitty", check=False)
s.check(r.returncode == 0, "preview_protocol kitty is accepted", r.stderr.decode())
s.check(con.wait(lambda t: "previews: kitty" in t, 10) is not None,
        "tmux with allow-passthrough: the status line says previews are kitty's now",
        con.screen())


def written():
    try:
        with open(stream, "rb") as f:
            return f.read()
    except OSError:
        return b""


def wait_stream(needle, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if needle in written():
            return True
        time.sleep(0.2)
    return False


upload = re.compile(rb"\x1bPtmux;\x1b\x1b_Ga=t,f=100,t=d,i=(\d+),q=2,m=[01];([A-Za-z0-9+/=]+)"
                    rb"\x1b\x1b\\\x1b\\")
s.check(wait_stream(b"\x1b\x1b_Ga=p,i="),
        "tmux with allow-passthrough: preview_protocol kitty set from a shell reaches Review; "
        "kitty's placement goes wrapped in ESC Ptmux",
        repr(written()[:300]))
m = upload.search(written())
png = base64.b64decode(m.group(2) + b"=" * (-len(m.group(2)) % 4))[:24] if m else b""
s.check(m is not None and png.startswith(b"\x89PNG"),
        "tmux with allow-passthrough: the upload is a PNG in kitty chunks, ESC doubled",
        repr(written()[:300]))
s.check(re.search(rb"\x1bPtmux;\x1b\x1b7\x1b\x1b\[\d+;\d+H\\?", written()) is not None,
        "tmux with allow-passthrough: the cursor goes to the preview's cell first",
        repr(written()[:300]))
scr = con.screen()
s.check(not any(ch in line[:45] for line in scr.splitlines() for ch in "▀▄▌▐▖▗▘▝▚▞█▎▊▇▆"),
        "tmux with allow-passthrough: no symbols under the pixels", scr)
con.keys("1")
s.check(wait_stream(b"\x1b\x1b_Ga=d,d=i,i="),
        "tmux with allow-passthrough: leaving Review deletes the placement",
        repr(written()[-300:]))
con.keys("q")
s.check(wait_stream(b"\x1b\x1b_Ga=d,d=I,i="), "tmux with allow-passthrough: q deletes its images",
        repr(written()[-300:]))
con.kill()

# At 80×24 the preview box is 36 columns: a preview hidden by rating still
# says how to show it, and v does.
db = s.path("hidden.db")
s.run("--db", db, "scan", lib)
tc.add_predictions(db, a, [("1girl", "general", 0.9)], rating=(0.02, 0.03, 0.05, 0.90))
s.run("--db", db, "config", "set", "max_preview_rating", "q")
con = tc.Console(s, ["--db", db], width=80, height=24)
con.wait_for("a.png")
con.keys("Enter")
scr = con.wait(lambda t: "preview hidden" in t, 10)
s.check(scr is not None and "v shows it" in scr and "explicit" in scr,
        "80 columns: the hidden preview's note ends with v shows it", scr or con.screen())
con.keys("v")
s.check(con.wait(lambda t: "preview hidden" not in t and "1girl" in t) is not None,
        "80 columns: v shows it", con.screen())
con.kill()

s.finish()
