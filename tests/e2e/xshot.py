"""xshot.py — real terminals under Xvfb for the pixel preview test (test_pixels.py).

Python 3 standard library only, with Debian's xvfb, xterm, kitty, xdotool and
x11-apps (xwd).  The X server listens on its Unix socket only (-nolisten tcp)
and every wait is bounded.  Screenshots are `xwd -root` read here (the XWD
format is a header and the pixel rows), and can be written as PNG.
"""
import os
import shutil
import struct
import subprocess
import time
import zlib

TOOLS = ("Xvfb", "xterm", "xwd", "xdotool")


def missing_tools(extra=()):
    return [t for t in TOOLS + tuple(extra) if shutil.which(t) is None]


class Shot:
    """One screenshot: width, height, and rgb(x, y)."""

    def __init__(self, data):
        (hsize, _ver, _fmt, _depth, self.w, self.h, _xoff, self.order, _unit, _bito, _pad,
         self.bpp, self.bpl, _vclass, _rm, _gm, _bm, _bprgb, _mapent, ncolors, _ww, _wh,
         _wx, _wy, _bw) = struct.unpack(">25I", data[:100])
        off = hsize + ncolors * 12
        self.px = data[off:off + self.bpl * self.h]
        if self.bpp not in (24, 32):
            raise ValueError("xwd: %d bits per pixel (want 24 or 32)" % self.bpp)
        self.step = self.bpp // 8

    def rgb(self, x, y):
        o = y * self.bpl + x * self.step
        b = self.px[o:o + self.step]
        if self.order == 0:  # LSBFirst: B G R [X]
            return b[2], b[1], b[0]
        return tuple(b[-3:])

    def png(self, path, box=None):
        x0, y0, x1, y1 = box or (0, 0, self.w, self.h)
        raw = bytearray()
        for y in range(y0, y1):
            raw.append(0)
            for x in range(x0, x1):
                raw += bytes(self.rgb(x, y))

        def chunk(kind, body):
            c = struct.pack(">I", len(body)) + kind + body
            return c + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" +
                    chunk(b"IHDR", struct.pack(">IIBBBBB", x1 - x0, y1 - y0, 8, 2, 0, 0, 0)) +
                    chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b""))


class Display:
    """A private Xvfb; stop() ends it."""

    def __init__(self, width=1024, height=768):
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", "%dx%dx24" % (width, height),
             "-nolisten", "tcp", "-noreset"], pass_fds=(w,), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(w)
        num = b""
        end = time.monotonic() + 20
        while not num.endswith(b"\n") and time.monotonic() < end:
            chunk = os.read(r, 16)
            if not chunk:
                break
            num += chunk
        os.close(r)
        if not num.strip():
            self.stop()
            raise RuntimeError("Xvfb did not start")
        self.name = ":" + num.decode().strip()
        self.env = {"DISPLAY": self.name}

    def run(self, *args, timeout=20):
        env = dict(os.environ)
        env.update(self.env)
        return subprocess.run(list(args), env=env, capture_output=True, timeout=timeout)

    def shot(self):
        r = self.run("xwd", "-root", "-silent")
        return Shot(r.stdout)

    def window(self, cls, timeout=20):
        """The id of the first visible window of class cls, or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            out = self.run("xdotool", "search", "--onlyvisible", "--class", cls).stdout.split()
            if out:
                return out[0].decode()
            time.sleep(0.2)
        return None

    def geometry(self, wid):
        out = self.run("xdotool", "getwindowgeometry", "--shell", wid).stdout.decode()
        g = dict(line.split("=", 1) for line in out.split() if "=" in line)
        return int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])

    def keys(self, *keys):
        """Key names as xdotool knows them (Return, Escape, c, 2), one at a time:
        the pointer rests over the terminal, so focus follows it."""
        for k in keys:
            self.run("xdotool", "key", k)
            time.sleep(0.15)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
