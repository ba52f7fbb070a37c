#!/usr/bin/env python3
"""test_export.py — captions, JSON Lines and XMP sidecars written by the
real binary and read back (XMP with an XML parser), the keep / replace /
append modes, atomic writes, and captions imported as committed tags.

    python3 tests/tags/test_export.py build/tui/tagcon
"""
import json
import os
import shutil
import sqlite3
import xml.etree.ElementTree as ET

import tagslib
import tctest

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "darktable": "http://darktable.sf.net/",
}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def temp_files(root):
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if ".tagcon-" in f]


def export(s, db, *args, **kw):
    return s.tagcon_run("export", *args, db=db, **kw)


def test_txt(s, db, root):
    s.section("txt captions")
    r = export(s, db, "--format", "txt", "--json")
    s.eq(r.json(), {"written": 6, "kept": 0, "empty": 2, "failed": 0},
         "export --format txt: six captions, two images without tags")
    s.eq(read(os.path.join(root, "a/girl1.txt")),
         "hatsune_miku, saber_(fate), 1girl, solo, long_hair\n",
         "characters first, then by score")
    s.eq(read(os.path.join(root, "a/pair.txt")), "1boy, 1girl\n", "equal scores by name")
    s.check(not os.path.exists(os.path.join(root, "b/new.txt")), "no caption without tags")
    s.eq(temp_files(root), [], "no temporary file left behind")
    with open(os.path.join(root, "a/girl1.txt"), "w") as f:
        f.write("hand edited\n")
    r = export(s, db, "--format", "txt")
    s.check(r.rc == 0 and "0 written, 6 kept" in r.text, "keep mode leaves captions", r.describe())
    s.eq(read(os.path.join(root, "a/girl1.txt")), "hand edited\n", "hand edit kept")
    r = export(s, db, "--format", "txt", "--mode", "replace", "--spaces", "--escape",
               "--rating-tag", "--separator", ", ", "folder:" + root + "/a")
    s.eq(read(os.path.join(root, "a/girl1.txt")),
         "general, hatsune miku, saber \\(fate\\), 1girl, solo, long hair\n",
         "replace with spaces, escaped parentheses, rating tag")
    with open(os.path.join(root, "a/girl2.txt"), "w") as f:
        f.write("custom tag, 1girl\n")
    export(s, db, "--format", "txt", "--mode", "append", "folder:" + root + "/a/")
    s.eq(read(os.path.join(root, "a/girl2.txt")), "custom tag, 1girl, monochrome, solo\n",
         "append adds only the missing tags")
    r = export(s, db, "--format", "txt", "--mode", "append", "--json", "folder:" + root + "/a")
    s.eq(r.json() and r.json()["written"], 0, "append again changes nothing")
    export(s, db, "--format", "txt", "--mode", "replace", "--include-suggested",
           "--spaces", "folder:" + root + "/a")
    s.eq(read(os.path.join(root, "a/pair.txt")), "1boy, 1girl, ^_^\n",
         "--include-suggested adds pending tags; kaomoji keep their underscore")
    out = s.mkdir("captions")
    r = export(s, db, "--format", "txt", "--out", out, "--separator", " ", "1girl")
    s.check(r.rc == 0 and os.path.exists(os.path.join(out, "c/odd name (1).txt")),
            "--out mirrors the library below the directory", r.describe())
    s.eq(read(os.path.join(out, "a/girl2.txt")), "1girl monochrome solo\n", "--separator ' '")
    r = export(s, db, "--format", "txt", "--max-rating", "g", "--out", s.mkdir("safe"),
               "--json")
    s.eq(r.json() and r.json()["written"], 4, "--max-rating g exports only safe images")
    r = export(s, db, "--format", "doc")
    s.eq(r.rc, 2, "unknown format is a usage error")
    r = export(s, db, "1girl")
    s.eq(r.rc, 2, "--format is required")


def test_jsonl(s, db, root):
    s.section("JSON Lines")
    r = export(s, db, "--format", "jsonl", "--include-suggested")
    lines = [json.loads(l) for l in r.text.splitlines()]
    s.eq(len(lines), 8, "one object per image")
    by = {os.path.basename(o["path"]): o for o in lines}
    g = by.get("girl1.png", {})
    s.eq(sorted(g), ["hash", "height", "model", "orientation", "path", "rating", "size",
                     "tags", "width"], "object keys")
    s.eq((g.get("width"), g.get("height"), g.get("orientation")), (60, 80, "portrait"), "dims")
    s.eq(g.get("rating", {}).get("label"), "g", "rating label")
    s.eq(sorted(g.get("rating", {}).get("scores", {})),
         ["explicit", "general", "questionable", "sensitive"], "four rating scores")
    tags = [(t["tag"], t["source"], t["category"]) for t in g.get("tags", [])]
    s.eq(tags, [("hatsune_miku", "auto", "character"), ("saber_(fate)", "manual", "character"),
                ("1girl", "auto", "general"), ("solo", "auto", "general"),
                ("long_hair", "manual", "general"), ("smile", "suggested", "general")],
         "tags with source, category, in order")
    s.eq(by.get("new.png", {}).get("rating"), None, "unrated image: rating null")
    bad = [o for o in lines if "bad" in o["path"]]
    s.check(bad and bad[0]["path"].endswith("bad\x1bname.png"), "path exact in JSON")
    xxh = tctest.xxh3_128_hex(open(os.path.join(root, "a/girl1.png"), "rb").read())
    if xxh:
        s.eq(g.get("hash"), xxh, "hash is the file's XXH3-128")
    path = os.path.join(s.root, "out.jsonl")
    r = export(s, db, "--format", "jsonl", "--out", path, "--json", "1girl")
    s.check(r.rc == 0 and r.json()["written"] == 5 and
            len(read(path).splitlines()) == 5, "jsonl --out FILE", r.describe())
    s.eq(temp_files(s.root), [], "no temporary file left by jsonl --out")


def subjects(path):
    tree = ET.parse(path)
    return [li.text for li in tree.getroot().iterfind(".//dc:subject/rdf:Bag/rdf:li", NS)]


DARKTABLE = """<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:darktable="http://darktable.sf.net/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
   darktable:xmp_version="5">
   <darktable:history>
    <rdf:Seq>
     <rdf:li darktable:operation="exposure" darktable:enabled="1"/>
    </rdf:Seq>
   </darktable:history>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>kept &amp; sound</rdf:li>
     <rdf:li>1girl</rdf:li>
    </rdf:Bag>
   </dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""

NO_SUBJECT = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="3">
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def test_xmp(s, db, root):
    s.section("XMP sidecars")
    side = os.path.join(root, "a/girl2.png.xmp")
    with open(side, "w") as f:
        f.write(DARKTABLE)
    with open(os.path.join(root, "a/pair.png.xmp"), "w") as f:
        f.write(NO_SUBJECT)
    r = export(s, db, "--format", "xmp", "--json")
    s.eq(r.json(), {"written": 4, "kept": 2, "empty": 2, "failed": 0},
         "export --format xmp keeps existing sidecars")
    g1 = os.path.join(root, "a/girl1.png.xmp")
    try:
        s.eq(subjects(g1), ["hatsune_miku", "saber_(fate)", "1girl", "solo", "long_hair"],
             "dc:subject read back with an XML parser")
        root_el = ET.parse(g1).getroot()
        s.check(root_el.get("{adobe:ns:meta/}xmptk", "").startswith("tagcon"), "x:xmptk")
        s.eq(subjects(os.path.join(root, "b/boy.png.xmp")), ["1boy", "solo", "r&b<x>"],
             "markup characters escaped")
        bad = os.path.join(root, "c/bad\x1bname.png.xmp")
        s.eq(subjects(bad), ["1girl", "solo"], "sidecar beside an odd file name")
    except ET.ParseError as e:
        s.check(False, "sidecars are well-formed XML", str(e))
    r = export(s, db, "--format", "xmp", "--mode", "append", "--rating-tag", "--spaces",
               "folder:" + root + "/a")
    s.eq(r.rc, 0, "append into foreign sidecars")
    try:
        s.eq(subjects(side), ["kept & sound", "1girl", "general", "monochrome", "solo"],
             "append keeps the sidecar's tags and adds ours")
        ops = ET.parse(side).getroot().findall(".//darktable:history/rdf:Seq/rdf:li", NS)
        s.eq(len(ops), 1, "darktable history untouched")
        s.eq(subjects(os.path.join(root, "a/pair.png.xmp")), ["sensitive", "1boy", "1girl"],
             "append adds a dc:subject where there was none")
        s.check(ET.parse(os.path.join(root, "a/pair.png.xmp")).getroot().find(
            ".//rdf:Description", NS).get("{http://ns.adobe.com/xap/1.0/}Rating") == "3",
            "the sidecar's other properties stay")
    except ET.ParseError as e:
        s.check(False, "appended sidecars are well-formed XML", str(e))
    with open(os.path.join(root, "b/boy.png.xmp"), "w") as f:
        f.write("<not xmp/>")
    r = export(s, db, "--format", "xmp", "--mode", "append", "folder:" + root + "/b")
    s.check(r.rc == 1 and "no dc:subject" in r.errtext, "append refuses a file it cannot place "
            "tags in", r.describe())
    export(s, db, "--format", "xmp", "--mode", "replace", "folder:" + root + "/b")
    s.eq(subjects(os.path.join(root, "b/boy.png.xmp")), ["1boy", "solo", "r&b<x>"],
         "replace rewrites it")
    s.eq(temp_files(root), [], "no temporary file left behind")


def show(s, db, path):
    r = s.tagcon_run("show", "--json", path, db=db)
    doc = r.json() or {}
    return {c["tag"]: c["source"] for c in doc.get("committed", [])}


def test_import(s, db, root):
    s.section("import")
    with open(os.path.join(root, "b/new.txt"), "w") as f:
        f.write("new tag, another_tag, general, \\(x\\), new_tag\n")
    with open(os.path.join(root, "b/cat.txt"), "w") as f:
        f.write("cat,animal focus,dog")
    r = s.tagcon_run("import", "--format", "txt", "--dry-run", "--json", root + "/b", db=db)
    doc = r.json() or {}
    s.eq((doc.get("images"), doc.get("tags"), doc.get("unchanged")), (2, 6, 1),
         "import --dry-run counts (boy.txt from the export adds nothing)")
    s.eq(show(s, db, os.path.join(root, "b/new.png")), {}, "dry run writes nothing")
    r = s.tagcon_run("import", "--format", "txt", root + "/b", db=db)
    s.check(r.rc == 0 and r.text.startswith("imported: 6 tags into 2 images, 1 unchanged"), "import",
            r.describe())
    s.eq(show(s, db, os.path.join(root, "b/new.png")),
         {"new_tag": "manual", "another_tag": "manual", "(x)": "manual"},
         "caption tags became manual committed tags; the rating label is skipped")
    s.eq(show(s, db, os.path.join(root, "b/cat.png")),
         {"cat": "manual", "animal_focus": "manual", "dog": "manual"},
         "a rejected tag the caption names becomes accepted")
    r = s.tagcon_run("import", "--format", "txt", "--json", root + "/b", db=db)
    s.eq(r.json() and r.json()["tags"], 0, "importing again adds nothing")
    r = s.tagcon_run("import", "--format", "csv", db=db)
    s.eq(r.rc, 2, "import reads txt only")

    s.section("round trip: export, forget, import")
    copy = os.path.join(s.root, "copy.db")
    shutil.copy(db, copy)
    export(s, copy, "--format", "txt", "--mode", "replace", "--escape", "--spaces")
    before = {p: show(s, copy, os.path.join(root, p)) for p in tagslib.IMAGES}
    con = sqlite3.connect(copy)
    con.execute("DELETE FROM decisions")
    con.commit()
    con.close()
    s.tagcon_run("import", "--format", "txt", db=copy)
    after = {p: show(s, copy, os.path.join(root, p)) for p in tagslib.IMAGES}
    s.eq({p: sorted(t) for p, t in after.items()}, {p: sorted(t) for p, t in before.items()},
         "every committed tag comes back from the captions")


def main():
    s = tctest.Suite("tags-export")
    db, root = tagslib.build(s)
    test_txt(s, db, root)
    test_jsonl(s, db, root)
    test_xmp(s, db, root)
    test_import(s, db, root)
    s.finish()


if __name__ == "__main__":
    main()
