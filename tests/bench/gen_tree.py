#!/usr/bin/env python3
"""gen_tree.py — write a tree of N small, real, distinct images, fast.

A handful of base images (noise PNGs and JPEGs, written once by the `vips`
command-line tool) are copied N times, each copy made distinct by a counter
in a metadata block that decoders skip: a PNG tEXt chunk after IHDR, a JPEG
COM segment after SOI.  Every file is a valid image with its own bytes (so
its own XXH3-128 hash), and 100k of them are written in a few seconds.

Layout: DIR/dNN/dNN/imgNNNNNNN.{png,jpg}, at most 1000 files per folder.

    python3 tests/bench/gen_tree.py DIR [N]        (N defaults to 100000)
"""
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib

# (format, width, height): a mix of sizes, landscape / portrait / square.
BASES = [
    ("png", 64, 48),
    ("jpg", 64, 48),
    ("png", 32, 32),
    ("jpg", 48, 64),
    ("png", 40, 60),
    ("jpg", 32, 32),
]
PER_DIR = 1000


def _png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def make_bases():
    """Bytes of each base image, written by vips."""
    out = []
    with tempfile.TemporaryDirectory(prefix="tagcon-gen-") as tmp:
        for i, (fmt, w, h) in enumerate(BASES):
            path = os.path.join(tmp, "base%d.%s" % (i, fmt))
            target = path + ("[Q=85]" if fmt == "jpg" else "")
            subprocess.run(["vips", "gaussnoise", target, str(w), str(h), "--seed", str(i + 1)],
                           check=True, capture_output=True)
            with open(path, "rb") as f:
                out.append((fmt, f.read()))
    return out


def variant(fmt, data, n):
    """data made distinct by the counter n, still a valid image."""
    tag = b"tagcon bench %d" % n
    if fmt == "png":
        ihdr_end = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4
        return data[:ihdr_end] + _png_chunk(b"tEXt", b"Comment\x00" + tag) + data[ihdr_end:]
    # JPEG: a COM segment right after SOI (FF D8).
    return data[:2] + b"\xff\xfe" + struct.pack(">H", len(tag) + 2) + tag + data[2:]


def generate(root, n, progress=None):
    """Write n images below root; returns (files, bytes)."""
    bases = make_bases()
    total = 0
    d = None
    for i in range(n):
        if i % PER_DIR == 0:
            k = i // PER_DIR
            d = os.path.join(root, "d%02d" % (k // 100), "d%02d" % (k % 100))
            os.makedirs(d, exist_ok=True)
            if progress and i:
                progress(i)
        fmt, data = bases[i % len(bases)]
        blob = variant(fmt, data, i)
        fd = os.open(os.path.join(d, "img%07d.%s" % (i, fmt)),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, blob)
        finally:
            os.close(fd)
        total += len(blob)
    return n, total


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    root = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    t0 = time.monotonic()
    files, size = generate(root, n)
    print("%d files, %.1f MB in %.2f s" % (files, size / 1e6, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
