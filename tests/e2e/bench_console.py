#!/usr/bin/env python3
"""bench_console.py — the console's figures (DESIGN.md §8), printed, not judged.

    python3 bench_console.py TAGCON BENCH_PREVIEW

The library is generated (TAGCON_BENCH_IMAGES images, default 1,000,000, 30
predictions each, by gen_library.py; kept in TAGCON_BENCH_DIR when set, reused
if it exists) or an existing one, TAGCON_BENCH_TAGS_DB=PATH (the tags
benchmark's gen_tags_db.py libraries of 1M, 2M, 5M images).  An existing one is
copied first (TAGCON_BENCH_COPY=PATH, default scratch-NAME beside it; removed
at the end) because the console writes to it: a migration when its schema is
older, the posting lists at the first count, a claim when an image is opened.
TAGCON_BENCH_IN_PLACE=1 runs on PATH itself (a copy already).

  - start to first frame: from exec to the tab line on the terminal, and to
    the first page of rows; TAGCON_BENCH_ROUNDS starts (default 5): the first
    is the first console on the file (on a copy, its pages are in the page
    cache from the copy; not a cold disk), the others warm;
  - End and back Home: the key to the last (first) row on the screen; memory,
    VmRSS and VmHWM, after the first page, after End and after opening an
    image's review (Enter);
  - the Library by size: `s` to the largest file first, End to the smallest,
    Home back, each from the key to the row on the screen;
  - Settings, general_threshold focused: each step of the value (Left) to the
    library's pending suggestions before and after, and to the count of the
    images that change, both timed from the key; then general MCut switched
    on and off (Space), the same two lines; VmRSS and VmHWM after them;
  - generated library only: the preview of a 24 MP JPEG, bench-preview
    (decode + render, cold and warm), and in the console from Enter to the
    first chafa cells drawn.

What a library builds once shows in the first run on it: the first start on a
file of an older schema includes its migration, End on one whose posting lists
are not built yet (schema 10) includes their build, and the first Settings
lines ("general_threshold focused") on one without score bands (schema 12)
wait for theirs.

First frames run on a pseudo-terminal (100x30, xterm-256color) read as it is
written, so those times are the terminal's; End, Home, Enter and Settings run
in a tmux server of their own, polled with capture-pane every 10 ms (a
resolution of about 15 ms).
"""
import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCKS = "▀▄▌▐▖▗▘▝▚▞▁▂▃▅▆▇█▉▊▋▍▎▏▙▛▜▟"
CSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|[()][0-9A-Za-z]|.)")


def plain(text):
    """Terminal output without its control sequences (cursor moves, colours)."""
    return CSI.sub("", text)


class Pty:
    """tagcon on a pseudo-terminal; out collects everything it wrote."""

    # xterm's answer to DA1 (no sixel): the console's terminal probe (tui/termcap.c)
    # waits for it up to 150 ms, and every real terminal answers at once.
    DA1 = b"\x1b[c"
    DA1_REPLY = b"\x1b[?64;1;2;6;9;15;18;21;22c"

    def __init__(self, argv, env, cols=100, rows=30, answer=True):
        self.answer = answer
        self.t0 = time.monotonic()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execve(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.out = b""

    def read_until(self, pred, timeout):
        """Read until pred(text) holds; seconds since start, or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                try:
                    self.out += os.read(self.fd, 65536)
                except OSError:
                    return None
                if self.answer and self.DA1 in self.out:
                    self.answer = False
                    self.send(self.DA1_REPLY)
                if pred(plain(self.out.decode("utf-8", "replace"))):
                    return time.monotonic()
        return None

    def text(self):
        return plain(self.out.decode("utf-8", "replace"))

    def send(self, data):
        os.write(self.fd, data)

    def mem(self):
        fields = {}
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    fields[k] = int(v.split()[0]) / 1024
        return fields

    def close(self):
        """q, reading what it still writes (endwin) so it never blocks on a full pty."""
        try:
            self.send(b"\x1bq")
        except OSError:
            pass
        end = time.monotonic() + 5
        while time.monotonic() < end:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                break
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                try:
                    os.read(self.fd, 65536)
                except OSError:
                    pass
        else:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def key(cap):
    """A key's bytes in keypad-transmit mode, as the console's terminfo has it."""
    return subprocess.run(["tput", "-T", "xterm-256color", cap], capture_output=True,
                          check=True).stdout


def ms(done, start):
    return "%.0f ms" % ((done - start) * 1000) if done else "-"


def make_jpeg(path, w=6000, h=4000):
    tmp = tempfile.mkdtemp()
    bands = []
    for b in range(3):
        n, s = "%s/n%d.v" % (tmp, b), "%s/s%d.v" % (tmp, b)
        subprocess.run(["vips", "perlin", n, str(w), str(h), "--cell-size", str(300 + 150 * b),
                        "--seed", str(b)], check=True)
        subprocess.run(["vips", "linear", n, s, "127", "128"], check=True)
        bands.append(s)
    subprocess.run(["vips", "bandjoin", " ".join(bands), tmp + "/rgb.v"], check=True)
    subprocess.run(["vips", "cast", tmp + "/rgb.v", tmp + "/u.v", "uchar"], check=True)
    subprocess.run(["vips", "copy", tmp + "/u.v", path + "[Q=90]", "--interpretation", "srgb"],
                   check=True)
    shutil.rmtree(tmp, ignore_errors=True)


def env_for(home):
    env = dict(os.environ)
    env.update({"TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": home,
                "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data"})
    env.pop("NO_COLOR", None)
    return env


def sql_one(db, q):
    """One value from the library, read-only (before the console migrates it)."""
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(q).fetchone()[0]
    finally:
        con.close()


def first_name(db, order):
    """The name of the Library's first row in an order (missing images hidden), as
    the Path column shows its end."""
    p = sql_one(db, "SELECT path FROM images WHERE state != 4 ORDER BY %s LIMIT 1" % order)
    return os.path.basename(bytes(p).decode() if not isinstance(p, str) else p)


def row_names(db):
    """The names of the Library's first and last rows in path order."""
    return first_name(db, "path"), first_name(db, "path DESC")


def mib(m, k):
    return "%.1f MiB" % m[k]


def first_frame(tagcon, db, env, first, answer=True):
    """One start: exec to the tab line and to the first row; memory then."""
    p = Pty([tagcon, "--db", db], env, answer=answer)
    t_tabs = p.read_until(lambda t: "Library" in t and "Settings" in t, 120)
    t_rows = p.read_until(lambda t: first in t, 120)
    m = p.mem()
    p.close()
    return ((t_tabs - p.t0) * 1000 if t_tabs else None,
            (t_rows - p.t0) * 1000 if t_rows else None, m)


class Tmux:
    """The console in a tmux server of its own, read with capture-pane."""

    def __init__(self, tagcon, db, env, width=130, height=40):
        self.sock = "tagcon-bench-%d" % os.getpid()
        self.cmd = ["tmux", "-L", self.sock, "-f", "/dev/null"]
        subprocess.run(self.cmd + ["new-session", "-d", "-x", str(width), "-y", str(height),
                                   "-e", "LANG=C.UTF-8", tagcon, "--db", db],
                       env=dict(env, TERM="tmux-256color"), check=True)
        self.pid = int(subprocess.run(self.cmd + ["display-message", "-p", "#{pane_pid}"],
                                      capture_output=True, text=True, check=True).stdout)

    def screen(self):
        return subprocess.run(self.cmd + ["capture-pane", "-p"], capture_output=True,
                              text=True).stdout

    def keys(self, *keys):
        for k in keys:
            subprocess.run(self.cmd + ["send-keys", k], check=True)

    def timed(self, key, pred, timeout=60):
        """The key, then the time until pred(screen) holds, as a figure."""
        start = time.monotonic()
        self.keys(key)
        return ms(self.wait(pred, timeout), start)

    def rss(self):
        """VmRSS and VmHWM, as a figure."""
        m = self.mem()
        return "%s, %s" % (mib(m, "VmRSS"), mib(m, "VmHWM"))

    def line(self, prefix, scr=None):
        lines = [l.strip() for l in (scr or self.screen()).splitlines() if prefix in l]
        return lines[0] if lines else None

    def wait(self, pred, timeout):
        """Poll until pred(screen) holds: the time it first held, or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred(self.screen()):
                return time.monotonic()
            time.sleep(0.01)
        return None

    def mem(self):
        fields = {}
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    fields[k] = int(v.split()[0]) / 1024
        return fields

    def close(self):
        subprocess.run(self.cmd + ["kill-server"], capture_output=True)
        try:
            os.unlink(os.path.join(os.environ.get("TMUX_TMPDIR", "/tmp"),
                                   "tmux-%d" % os.getuid(), self.sock))
        except OSError:
            pass


def navigate(tagcon, db, env, first, last, figures):
    """End, Home and Enter on the Library's list, with memory after each."""
    t = Tmux(tagcon, db, env, 100, 30)
    try:
        t.wait(lambda s: first in s, 120)
        time.sleep(0.5)
        figures["End: the last row shown"] = t.timed("End", lambda s: last in s)
        time.sleep(0.5)
        figures["RSS, VmHWM after End"] = t.rss()
        figures["Home (back): the first row shown"] = t.timed("Home", lambda s: first in s)
        time.sleep(0.5)
        figures["Enter: an image's review shown"] = t.timed("Enter", lambda s: "Rating" in s)
        time.sleep(1.0)
        figures["RSS, VmHWM after opening an image"] = t.rss()
    finally:
        t.close()


def by_size(tagcon, db, env, figures):
    """The Library sorted by size (`s` twice: newest, then largest file), its first row
    shown, then End to the smallest and Home back: an index walked from either end
    (schema 16), where every page sorted the library before."""
    largest = first_name(db, "size DESC, id DESC")
    smallest = first_name(db, "size, id")
    t = Tmux(tagcon, db, env, 100, 30)
    try:
        t.wait(lambda s: "sort: path" in s, 120)
        t.keys("s")
        t.wait(lambda s: "sort: newest" in s, 60)
        time.sleep(0.5)
        figures["s to largest first: the first row shown"] = t.timed(
            "s", lambda s: "sort: largest file" in s and largest in s)
        time.sleep(0.5)
        figures["End by size: the smallest shown"] = t.timed("End", lambda s: smallest in s)
        time.sleep(0.5)
        figures["Home by size: the largest shown"] = t.timed("Home", lambda s: largest in s)
        figures["RSS, VmHWM after the pages by size"] = t.rss()
    finally:
        t.close()


def threshold_effect(tagcon, db, env, figures, steps=3):
    """Settings, general_threshold focused: each step of the value (Left)
    until the library's pending suggestions before and after are on the
    screen, and until the count of the images that change is, both from the
    key; then general MCut switched on and off (Space), the same."""
    t = Tmux(tagcon, db, env)
    settled = lambda l: l and "counting" not in l and "could not" not in l
    try:
        t.wait(lambda s: "Library" in s, 120)
        t.keys("3")
        t.wait(lambda s: "general_threshold" in s, 30)
        start = time.monotonic()
        t.keys("Down", "Down")
        done = t.wait(lambda s: settled(t.line("Pending", s)) and settled(t.line("Library:", s)),
                      900)
        # The first lines on a library whose score bands (schema 12) are not
        # built yet wait for their build: once per library.
        figures["general_threshold focused: both lines shown"] = ms(done, start)

        def timed(key):
            scr = t.screen()
            p0, i0 = t.line("Pending", scr), t.line("Library:", scr)
            start = time.monotonic()
            t.keys(key)
            tp = ti = None
            while time.monotonic() - start < 600 and (tp is None or ti is None):
                scr = t.screen()
                now = time.monotonic()
                p, i = t.line("Pending", scr), t.line("Library:", scr)
                if tp is None and settled(p) and p != p0:
                    tp = now
                if ti is None and settled(i) and i != i0:
                    ti = now
                time.sleep(0.01)
            return ((tp - start) * 1000 if tp else None, (ti - start) * 1000 if ti else None,
                    p, i)

        step = [timed("Left") for _ in range(steps)]
        t.keys("Down", "Down")  # general_mcut
        time.sleep(1.0)
        mcut = [timed("Space"), timed("Space")]
        m = t.mem()
        figures["RSS, VmHWM after the Settings lines"] = "%s, %s" % (mib(m, "VmRSS"),
                                                                    mib(m, "VmHWM"))
        fmt = lambda v: "-" if None in v else (
            "%.0f ms" % v[0] if len(v) == 1 else "%.0f–%.0f ms" % (min(v), max(v)))
        figures["threshold step: pending suggestions shown"] = fmt([x[0] for x in step])
        figures["threshold step: images that change shown"] = fmt([x[1] for x in step])
        figures["MCut on: pending suggestions shown"] = fmt([mcut[0][0]])
        figures["MCut on: images that change shown"] = fmt([mcut[0][1]])
        figures["MCut off again: pending suggestions shown"] = fmt([mcut[1][0]])
        figures["MCut off again: images that change shown"] = fmt([mcut[1][1]])
        figures["  (last step's lines)"] = "%s | %s" % (step[-1][2], step[-1][3])
        figures["  (MCut on lines)"] = "%s | %s" % (mcut[0][2], mcut[0][3])
    finally:
        t.close()


def console_preview(tagcon, work, env, figures):
    lib = work + "/pv"
    os.makedirs(lib, exist_ok=True)
    jpeg = lib + "/photo24.jpg"
    if not os.path.exists(jpeg):
        make_jpeg(jpeg)
    db = work + "/pv.db"
    subprocess.run([tagcon, "--db", db, "scan", lib], check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(5):
        p = Pty([tagcon, "--db", db], env)
        p.read_until(lambda t: "photo24.jpg" in t, 20)
        mark = len(p.text())
        t = time.monotonic()
        p.send(b"\r")
        done = p.read_until(lambda s: sum(s.count(ch, mark) for ch in BLOCKS) > 50, 20)
        if done:
            times.append((done - t) * 1000)
        p.close()
    times.sort()
    figures["24 MP preview in the console (Enter to cells)"] = (
        "%.0f ms median, %.0f ms first" % (times[len(times) // 2], times[0]) if times else "-")
    return jpeg


def copy_library(src, dst):
    """src (and its WAL, if any) to dst; seconds taken."""
    t = time.monotonic()
    for suffix in ("", "-wal"):
        if suffix and not os.path.exists(src + suffix):
            continue
        shutil.copyfile(src + suffix, dst + suffix)
    for suffix in ("-wal", "-shm"):
        if not os.path.exists(src + suffix) and os.path.exists(dst + suffix):
            os.unlink(dst + suffix)
    # On disk before the first start: else its first fsync (a checkpoint)
    # writes the whole copy, seconds that are the copy's, not the console's.
    for suffix in ("", "-wal"):
        if os.path.exists(dst + suffix):
            fd = os.open(dst + suffix, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
    return time.monotonic() - t


def remove_library(db):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(db + suffix)
        except OSError:
            pass


def main():
    tagcon, bench_preview = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    src = os.environ.get("TAGCON_BENCH_TAGS_DB")
    keep = os.environ.get("TAGCON_BENCH_DIR")
    work = keep or tempfile.mkdtemp(prefix="tagcon-bench-console-")
    os.makedirs(work, exist_ok=True)
    env = env_for(work)
    figures = {}
    copied = None
    if src:
        src = os.path.abspath(src)
        if os.environ.get("TAGCON_BENCH_IN_PLACE") == "1":
            db = src
        else:
            db = copied = os.environ.get("TAGCON_BENCH_COPY") or os.path.join(
                os.path.dirname(src), "scratch-" + os.path.basename(src))
            figures["copying the library"] = "%.0f s" % copy_library(src, db)
        n = sql_one(db, "SELECT count(*) FROM images")
        schema = sql_one(db, "PRAGMA user_version")
        label = "%s (schema %d at the start)" % (src, schema)
    else:
        n = int(os.environ.get("TAGCON_BENCH_IMAGES", "1000000"))
        db = "%s/lib-%d.db" % (work, n)
        if not os.path.exists(db):
            t = time.monotonic()
            subprocess.run([sys.executable, HERE + "/gen_library.py", tagcon, db, "--images",
                            str(n)], check=True)
            figures["generating the library"] = "%.0f s" % (time.monotonic() - t)
        # Whatever migration this build has to run happens here, not in the timing.
        subprocess.run([tagcon, "--db", db, "status"], check=True, stdout=subprocess.DEVNULL)
        label = "generated"
    figures["database size per image"] = "%.0f bytes" % (os.path.getsize(db) / n)
    first, last = row_names(db)
    try:
        rounds = int(os.environ.get("TAGCON_BENCH_ROUNDS", "5"))
        runs = [first_frame(tagcon, db, env, first) for _ in range(rounds)]
        fmt = lambda v: "-" if None in v else (
            "%.0f ms" % v[0] if len(v) == 1 else "%.0f–%.0f ms (median %.0f)" % (
                min(v), max(v), sorted(v)[len(v) // 2]))
        figures["first frame (tab line): first start; the next"] = "%s; %s" % (
            fmt([r[0] for r in runs[:1]]), fmt([r[0] for r in runs[1:]]))
        figures["first page of rows: first start; the next"] = "%s; %s" % (
            fmt([r[1] for r in runs[:1]]), fmt([r[1] for r in runs[1:]]))
        mute = first_frame(tagcon, db, env, first, answer=False)
        figures["the same, a terminal that answers no query"] = "%s; rows %s" % (
            fmt(mute[:1]), fmt(mute[1:2]))
        figures["RSS, VmHWM after the first page"] = "%.1f–%.1f MiB, %.1f–%.1f MiB" % (
            min(r[2]["VmRSS"] for r in runs), max(r[2]["VmRSS"] for r in runs),
            min(r[2]["VmHWM"] for r in runs), max(r[2]["VmHWM"] for r in runs))
        navigate(tagcon, db, env, first, last, figures)
        by_size(tagcon, db, env, figures)
        threshold_effect(tagcon, db, env, figures)
        if not src:
            jpeg = console_preview(tagcon, work, env, figures)
            out = subprocess.run([bench_preview, jpeg, "45", "27", "256", "11"],
                                 capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                k, _, v = line.partition(" ")
                if k.startswith("preview_"):
                    figures["bench-preview " + k[8:].replace("_ms", "")] = v + " ms"
    finally:
        if copied:
            remove_library(copied)
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    print("console, %d images, %s (%s, %d cores, load %.1f)" % (
        n, label, os.uname().machine, os.cpu_count(), os.getloadavg()[0]))
    for k, v in figures.items():
        print("  %-50s %s" % (k, v))


if __name__ == "__main__":
    main()
