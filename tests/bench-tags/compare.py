#!/usr/bin/env python3
"""compare.py — two bench-tags outputs side by side: each case's median in
both, and the second over the first (issue 16: at 5M no figure more than
5x its 1M value).

    python3 compare.py SMALL.txt LARGE.txt [WORD...]

With WORDs, only the cases whose name holds one of them (score: rating:
suggested: for the score sets' searches).
"""
import re
import sys

LINE = re.compile(r"^(.*?)\s+([0-9.]+) ms (?:median|once)")


def cases(path):
    out = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(line.rstrip("\n"))
        if m and not line.startswith(" "):
            out.setdefault(m.group(1).strip(), float(m.group(2)))
    return out


def main():
    a, b = cases(sys.argv[1]), cases(sys.argv[2])
    words = sys.argv[3:]
    print("| case | %s | %s | ratio |" % (sys.argv[1].rsplit("/", 1)[-1],
                                         sys.argv[2].rsplit("/", 1)[-1]))
    print("|---|---:|---:|---:|")
    for name, x in a.items():
        if name not in b or (words and not any(w in name for w in words)):
            continue
        y = b[name]
        r = "%.1fx" % (y / x) if x > 0 else "-"
        print("| %s | %.2f ms | %.2f ms | %s |" % (name.replace("|", "\\|"), x, y, r))


if __name__ == "__main__":
    main()
