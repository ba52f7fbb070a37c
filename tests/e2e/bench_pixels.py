#!/usr/bin/env python3
"""bench_pixels.py — how soon `c` shows the next image's pixels (printed, not judged).

    python3 bench_pixels.py TAGCON

A library of 24 MP JPEGs (6000×4000), all waiting for review.  The console
runs on a pseudo-terminal (110×34, 10×20 pixel cells, xterm-256color) that
answers DA1 as a sixel terminal; preview_protocol is set to sixel, then to
kitty.  Enter opens the first image; once its pixels are written and the
next image has had the time a person takes to look (1.5 s) to be prepared
ahead, `c` commits and the time to the last byte of the next image's pixels
is measured (sixel: the image's ST; kitty: its placement).  The baseline,
measured in the same run, is Enter on an image nobody prepared: decode,
shrink, encode and write; the ideal, also in the same run, is cat writing the
bytes tagcon wrote after c through the same kind of pseudo-terminal (from
exec, so it includes starting cat).  Figures: medians of TAGCON_BENCH_ROUNDS
(3), and the ratio c / Enter.  TAGCON_BENCH_LOOK sets the
look (seconds).
"""
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_console as bc  # noqa: E402  (Pty, make_jpeg, env_for)
import tcconsole as tc  # noqa: E402  (add_predictions)

# Where an image's bytes start; they end at the next ST (ESC \\).
HEADS = {"sixel": b"\x1bP", "kitty": b"\x1b_Ga=p,"}


class Term(bc.Pty):
    """A Pty that answers the console's questions as a sixel terminal with
    10×20 pixel cells would, so that nothing waits for a timeout."""

    def __init__(self, argv, env):
        super().__init__(argv, env, cols=110, rows=34)
        self.out = bytearray()
        self.answered = False

    def pump(self, pred, timeout):
        """Read until pred(bytes so far) holds: the time, or None.  Bytes, not
        text: decoding megabytes of pixels on every read would be the figure."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if not r:
                continue
            try:
                self.out += os.read(self.fd, 1 << 20)
            except OSError:
                return None
            now = time.monotonic()
            if not self.answered and self.out.find(b"\x1b[c") >= 0:
                self.send(b"\x1b[6;20;10t\x1b[?62;4;22c")
                self.answered = True
            if pred(self.out):
                return now
        return None


def pixels_after(proto, mark):
    """pred: the whole of an image written after offset mark.  It looks only
    at bytes it has not seen (a sixel is hundreds of kilobytes)."""
    st = {"head": -1, "scan": mark}

    def pred(out):
        if st["head"] < 0:
            i = out.find(HEADS[proto], max(mark, st["scan"] - 8))
            st["scan"] = len(out)
            if i < 0:
                return False
            st["head"], st["scan"] = i, i + 2
        j = out.find(b"\x1b\\", max(st["head"] + 2, st["scan"] - 1))
        st["scan"] = len(out)
        return j >= 0
    return pred


def round_trip(tagcon, db, env, proto):
    """(Enter → first pixels, c → next pixels) in ms, or None."""
    p = Term([tagcon, "--db", db], env)
    try:
        if p.pump(lambda out: b"photo0.jpg" in out, 30) is None:
            return None
        mark = len(p.out)
        t = time.monotonic()
        p.send(b"\r")
        enter = p.pump(pixels_after(proto, mark), 30)
        # A person looks at it: the next one is prepared meanwhile.
        p.pump(lambda out: False, float(os.environ.get("TAGCON_BENCH_LOOK", "1.5")))
        mark = len(p.out)
        t2 = time.monotonic()
        p.send(b"c")
        commit = p.pump(pixels_after(proto, mark), 30)
        if enter is None or commit is None:
            return None
        return (enter - t) * 1000, (commit - t2) * 1000, bytes(p.out[mark:])
    finally:
        p.close()


def ideal(data, work):
    """ms for cat to write data through the same kind of pseudo-terminal to
    the same reader: what the bytes alone cost on this machine now."""
    path = work + "/bytes"
    with open(path, "wb") as f:
        f.write(data)
    times = []
    for _ in range(3):
        p = Term(["/bin/cat", path], dict(os.environ))
        t = p.t0
        done = p.pump(lambda out: len(out) >= len(data), 30)
        if done:
            times.append((done - t) * 1000)
        p.close()
    times.sort()
    return times[len(times) // 2] if times else None


def main():
    tagcon = os.path.abspath(sys.argv[1])
    rounds = int(os.environ.get("TAGCON_BENCH_ROUNDS", "3"))
    work = tempfile.mkdtemp(prefix="tagcon-bench-pixels-")
    try:
        lib = work + "/lib"
        os.makedirs(lib)
        bc.make_jpeg(lib + "/photo0.jpg")
        for i in range(1, 3):
            shutil.copy(lib + "/photo0.jpg", lib + "/photo%d.jpg" % i)
            # Different bytes: a copy would share the content (and its answer).
            with open(lib + "/photo%d.jpg" % i, "ab") as f:
                f.write(b"\0" * i)
        env = bc.env_for(work)
        env["TERM"] = "xterm-256color"
        print("c to the next image's pixels, 24 MP JPEGs (%s, %d cores, load %.1f)" % (
            os.uname().machine, os.cpu_count(), os.getloadavg()[0]))
        for proto in ("sixel", "kitty"):
            enters, commits, sizes = [], [], []
            for r in range(rounds):
                db = "%s/%s-%d.db" % (work, proto, r)
                subprocess.run([tagcon, "--db", db, "scan", lib], check=True,
                               stdout=subprocess.DEVNULL)
                subprocess.run([tagcon, "--db", db, "config", "set", "preview_protocol", proto],
                               check=True)
                for i in range(3):
                    tc.add_predictions(db, "%s/photo%d.jpg" % (lib, i),
                                       [("1girl", "general", 0.9)])
                got = round_trip(tagcon, db, env, proto)
                if got:
                    enters.append(got[0])
                    commits.append(got[1])
                    sizes.append(ideal(got[2], work) or 0)
            if not commits:
                print("  %-6s no figures (the pixels never came)" % proto)
                continue
            enters.sort()
            commits.sort()
            e, c = enters[len(enters) // 2], commits[len(commits) // 2]
            sizes.sort()
            i = sizes[len(sizes) // 2]
            print("  %-6s c → next pixels %5.1f ms median (%.1f–%.1f); cat of the same bytes "
                  "%.1f ms; Enter, nothing prepared %5.1f ms; c / Enter %.2f" % (
                      proto, c, commits[0], commits[-1], i, e, c / e))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
