#!/usr/bin/python3
"""psnr_pil.py — what the wd-tagger app's model sees of an upload against what it sees of
the original, computed with PIL itself (the app's own steps, space-protocol.md §1.5): open,
EXIF turn, RGBA, composite onto white, pad to a white square, resize to 448 with BICUBIC
when the side is not 448.  PSNR over the whole 448×448×3 input; the upload's bytes against
the file's; how the upload is coded.  The uploads are what bench-prepare makes (it writes
them with TAGCON_BENCH_OUT; this script runs it).  Prints; asserts nothing.

    /usr/bin/python3 tests/bench/psnr_pil.py build/tests/bench/bench-prepare [PHOTO...]

Debian's python3-pil and python3-numpy (/usr/bin/python3).  Without photos: the lomiri
wallpapers bench-prepare measures (apt-get install lomiri-wallpapers-20.04
lomiri-wallpapers-16.04).
"""
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy
from PIL import Image, ImageOps

SIDE = 448


def model_input(path):
    """The app's predict() preprocessing, up to the float array (RGB order kept)."""
    im = Image.open(path)
    im = ImageOps.exif_transpose(im)  # Gradio's gr.Image preprocess does this
    im = im.convert("RGBA")
    canvas = Image.new("RGBA", im.size, (255, 255, 255))
    canvas.alpha_composite(im)
    im = canvas.convert("RGB")
    side = max(im.size)
    sq = Image.new("RGB", (side, side), (255, 255, 255))
    sq.paste(im, ((side - im.size[0]) // 2, (side - im.size[1]) // 2))
    if side != SIDE:
        sq = sq.resize((SIDE, SIDE), Image.BICUBIC)
    return numpy.asarray(sq, dtype=numpy.float64)


def coding(path):
    with open(path, "rb") as f:
        data = f.read()
    i, sof = 2, None
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker, size = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            sof = marker
            break
        i += 2 + size
    return {0xC0: "baseline Huffman", 0xC1: "extended Huffman", 0xC2: "progressive Huffman",
            0xC9: "arithmetic", 0xCA: "progressive arithmetic"}.get(sof, "SOF %s" % sof)


def main():
    bench, photos = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory(prefix="psnr-pil-") as out:
        env = dict(os.environ, TAGCON_BENCH_OUT=out, VIPS_CONCURRENCY="1")
        text = subprocess.run([bench] + photos, env=env, check=True, stdout=subprocess.PIPE,
                              universal_newlines=True).stdout
        if not photos:
            photos = re.findall(r"^(/\S+): \d+×\d+", text, re.M)
        for photo in photos:
            up = os.path.join(out, os.path.basename(photo) + ".upload.jpg")
            if not os.path.exists(up):
                print("%s: no upload (bench-prepare: %s)" % (photo, text.strip()[-200:]))
                continue
            a, b = model_input(photo), model_input(up)
            mse = float(numpy.mean((a - b) ** 2))
            db = 99.0 if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)
            size, sent = os.path.getsize(photo), os.path.getsize(up)
            w, h = Image.open(photo).size
            print("%-40s %5.1f MP %8d B  upload %6d B %5.2f %%  %-22s PIL: %.2f dB" % (
                os.path.basename(photo), w * h / 1e6, size, sent, 100.0 * sent / size,
                coding(up), db))


if __name__ == "__main__":
    main()
