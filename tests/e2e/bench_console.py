#!/usr/bin/env python3
"""bench_console.py — the console's figures (DESIGN.md §8), printed, not judged.

    python3 bench_console.py TAGCON BENCH_PREVIEW

  - start to first frame on a generated library of TAGCON_BENCH_IMAGES images
    (default 1,000,000, 30 predictions each): the time from exec to the tab
    line on the terminal, and to the first page of rows;
  - memory: VmRSS and VmHWM after the first page, after scrolling to the
    end and back, and after opening an image;
  - Settings: how soon a threshold step (and MCut switched on) shows the
    library's pending suggestions before and after, and the images that change;
  - the preview of a 24 MP JPEG: bench-preview (decode + render, cold and
    warm), and in the console from Enter to the first chafa cells drawn.

The console runs on a pseudo-terminal (100×30, xterm-256color); output is
read as it is written, so the times are the terminal's.  The generated
database is kept in TAGCON_BENCH_DIR when set (reused if it exists), else in
a temporary directory that is removed.
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

    def __init__(self, argv, env, cols=100, rows=30):
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


def first_frame(tagcon, db, env, figures):
    p = Pty([tagcon, "--db", db], env)
    t_tabs = p.read_until(lambda t: "Library" in t and "Settings" in t, 30)
    t_rows = p.read_until(lambda t: "img0000001" in t, 30)
    figures["first frame (tab line)"] = ms(t_tabs, p.t0)
    figures["first page of rows"] = ms(t_rows, p.t0)
    m = p.mem()
    figures["RSS after first page"] = "%.1f MiB" % m["VmRSS"]
    # Scroll: a hundred pages down, the end, back home (keys as terminfo says).
    for _ in range(100):
        p.send(key("knp"))
    p.send(key("kend"))
    p.read_until(lambda s: False, 2)
    p.send(key("khome"))
    mark = len(p.text())
    p.read_until(lambda s: "img0000001" in s[mark:], 20)
    t = time.monotonic()
    mark = len(p.text())
    p.send(b"\r")
    done = p.read_until(lambda s: "Rating" in s[mark:], 10)
    figures["open an image's review"] = ms(done, t)
    m = p.mem()
    figures["RSS after scrolling and a review"] = "%.1f MiB" % m["VmRSS"]
    figures["peak RSS (VmHWM)"] = "%.1f MiB" % m["VmHWM"]
    p.close()


def jump_to_end(tagcon, db, env, figures):
    """End on the list: the last page is read at offset n - 120 (tmux, polled)."""
    sock = "tagcon-bench-%d" % os.getpid()
    env = dict(env, TERM="tmux-256color")
    tmux = ["tmux", "-L", sock, "-f", "/dev/null"]
    subprocess.run(tmux + ["new-session", "-d", "-x", "100", "-y", "30", "-e",
                           "LANG=C.UTF-8", tagcon, "--db", db], env=env, check=True)
    try:
        last = "img%07d" % int(os.environ.get("TAGCON_BENCH_IMAGES", "1000000"))
        cap = lambda: subprocess.run(tmux + ["capture-pane", "-p"], capture_output=True,
                                     text=True).stdout
        end = time.monotonic() + 30
        while "img0000001" not in cap() and time.monotonic() < end:
            time.sleep(0.02)
        t = time.monotonic()
        subprocess.run(tmux + ["send-keys", "End"], check=True)
        while last not in cap() and time.monotonic() < end:
            time.sleep(0.01)
        figures["End: the last rows shown (tmux, polled)"] = ms(
            time.monotonic() if last in cap() else None, t)
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
        try:
            os.unlink(os.path.join(os.environ.get("TMUX_TMPDIR", "/tmp"),
                                   "tmux-%d" % os.getuid(), sock))
        except OSError:
            pass


class Tmux:
    """The console in a tmux server of its own, read with capture-pane."""

    def __init__(self, tagcon, db, env, width=130, height=40):
        self.sock = "tagcon-bench-%d" % os.getpid()
        self.cmd = ["tmux", "-L", self.sock, "-f", "/dev/null"]
        subprocess.run(self.cmd + ["new-session", "-d", "-x", str(width), "-y", str(height),
                                   "-e", "LANG=C.UTF-8", tagcon, "--db", db],
                       env=dict(env, TERM="tmux-256color"), check=True)

    def screen(self):
        return subprocess.run(self.cmd + ["capture-pane", "-p"], capture_output=True,
                              text=True).stdout

    def keys(self, *keys):
        for k in keys:
            subprocess.run(self.cmd + ["send-keys", k], check=True)

    def line(self, prefix):
        lines = [l.strip() for l in self.screen().splitlines() if prefix in l]
        return lines[0] if lines else None

    def close(self):
        subprocess.run(self.cmd + ["kill-server"], capture_output=True)


def threshold_effect(tagcon, db, env, figures):
    """Settings, general_threshold focused: each step of the value until the
    library's pending suggestions before and after are on the screen (the
    suggestion histogram), then the same for general MCut switched on; the
    slower count of the images that change is timed too."""
    t = Tmux(tagcon, db, env)
    try:
        end = time.monotonic() + 30
        while "Library" not in t.screen() and time.monotonic() < end:
            time.sleep(0.02)
        t.keys("3", "Down", "Down")
        time.sleep(1.0)

        def timed(keys, prefix, before):
            start = time.monotonic()
            t.keys(*keys)
            while time.monotonic() - start < 120:
                l = t.line(prefix)
                if l and "counting" not in l and l != before:
                    return (time.monotonic() - start) * 1000, l
                time.sleep(0.005)
            return None, before

        pending, images = [], []
        for _ in range(3):
            p0, i0 = t.line("Pending"), t.line("Library:")
            ms_p, _ = timed(["Left"], "Pending", p0)
            ms_i, _ = timed([], "Library:", i0)
            pending.append(ms_p)
            images.append(ms_i)
        p0, i0 = t.line("Pending"), t.line("Library:")
        t.keys("Down", "Down")
        time.sleep(1.0)
        p0, i0 = t.line("Pending"), t.line("Library:")
        ms_mp, _ = timed(["Space"], "Pending", p0)
        ms_mi, _ = timed([], "Library:", i0)
        fmt = lambda v: "-" if None in v else "%.0f–%.0f ms" % (min(v), max(v))
        figures["threshold step: pending suggestions shown"] = fmt(pending)
        figures["threshold step: images that change shown"] = fmt(images)
        figures["MCut on: pending suggestions shown"] = fmt([ms_mp])
        figures["MCut on: images that change shown"] = fmt([ms_mi])
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


def main():
    tagcon, bench_preview = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    n = int(os.environ.get("TAGCON_BENCH_IMAGES", "1000000"))
    keep = os.environ.get("TAGCON_BENCH_DIR")
    work = keep or tempfile.mkdtemp(prefix="tagcon-bench-console-")
    os.makedirs(work, exist_ok=True)
    env = env_for(work)
    db = "%s/lib-%d.db" % (work, n)
    figures = {}
    if not os.path.exists(db):
        t = time.monotonic()
        subprocess.run([sys.executable, HERE + "/gen_library.py", tagcon, db, "--images", str(n)],
                       check=True)
        figures["generating the library"] = "%.0f s" % (time.monotonic() - t)
    # Whatever migration this build has to run happens here, not in the timing.
    subprocess.run([tagcon, "--db", db, "status"], check=True, stdout=subprocess.DEVNULL)
    first_frame(tagcon, db, env, figures)
    jump_to_end(tagcon, db, env, figures)
    threshold_effect(tagcon, db, env, figures)
    jpeg = console_preview(tagcon, work, env, figures)
    out = subprocess.run([bench_preview, jpeg, "45", "27", "256", "11"], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        k, _, v = line.partition(" ")
        if k.startswith("preview_"):
            figures["bench-preview " + k[8:].replace("_ms", "")] = v + " ms"
    print("console, %d images (%s, %d cores, load %.1f)" % (
        n, os.uname().machine, os.cpu_count(), os.getloadavg()[0]))
    for k, v in figures.items():
        print("  %-44s %s" % (k, v))
    if not keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
