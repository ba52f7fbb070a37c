#!/usr/bin/env python3
"""test_watch.py — `tagcon watch` with auto_tag on, against a fake Space (issue 4).

  - files that arrive by `cp`, `mv` (a rename into the tree), `rsync` (a dot-temp renamed
    into place), a `.part` download renamed, a new subfolder (mkdir + cp, and cp -r of a
    folder) are indexed and then tagged by the same engine; temporary names never show up;
  - two copies of the same bytes arriving together cost one call;
  - a file deleted becomes missing;
  - files that arrive while the watcher is stopped are picked up when it starts again;
  - when the only Space is down, arrivals are indexed and stay pending (not failed), and are
    tagged when the Space comes back;
  - auto_tag per folder (an override, also one set while the watcher runs): only the
    images of folders where it is on are tagged, at start and on arrival; auto_tag turned
    on while the watcher runs starts the tagging then; turned off and on again (globally or
    for a folder), it takes the images that arrived in between, with no restart;
  - SIGTERM stops the watcher cleanly.

    python3 tests/batch/test_watch.py build/tui/tagcon
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batchlib  # noqa: E402
from batchlib import wait_for  # noqa: E402


def events_for(proc, kind):
    return [e.get("path") for e in proc.events() if isinstance(e, dict) and e.get("event") == kind]


def wait_tagged(proc, paths, timeout):
    want = set(paths)
    return wait_for(lambda: want <= set(events_for(proc, "tagged")), timeout, 0.2)


def start_watch(t, db, name):
    proc = t.spawn("watch", "--json", db=db, name=name)
    return proc


def stop_watch(t, proc, what):
    proc.signal(signal.SIGTERM)
    rc = proc.wait(10)
    if rc is None:
        proc.kill()
    t.check_proc_output(proc, ["watch", "--json"])
    t.eq(rc, 0, "%s: SIGTERM stops the watcher, exit 0" % what)


def body(t):
    lib = t.mkdir("lib")
    src = t.tiles(25, size=128, seed=51)
    stage = t.mkdir("stage")  # same file system as lib: mv is a rename
    first = t.tree(lib, src[0:3])
    db = t.path("watch.db")
    t.eq(t.run("scan", lib, db=db).rc, 0, "scan the root")
    fake = t.fake("--service-ms", 50, name="space")
    port = fake.port
    t.config(db, "spaces", fake.url)
    t.config(db, "auto_tag", "on")
    t.config(db, "upload_max_side", "0")
    t.config(db, "request_deadline", "5")
    sha = {}

    def note(paths):
        for p in paths:
            sha[p] = batchlib.sha256_file(p)
        return paths

    note(first)
    before = note(t.tree(lib, src[3:4], ["before-start.jpg"]))

    t.section("start: catch up")
    w = start_watch(t, db, "watch1")
    t.check(wait_tagged(w, first + before, 30), "at start, pending images and a file that "
            "arrived before are tagged", events_for(w, "tagged"))

    t.section("arrivals")
    arrivals = []
    p = os.path.join(lib, "cp1.jpg")
    subprocess.run(["cp", src[4], p], check=True)
    arrivals.append(p)
    p = os.path.join(lib, "mv1.jpg")
    shutil.copyfile(src[5], os.path.join(stage, "mv1.jpg"))
    subprocess.run(["mv", os.path.join(stage, "mv1.jpg"), p], check=True)
    arrivals.append(p)
    p = os.path.join(lib, "rs1.jpg")
    have_rsync = shutil.which("rsync") is not None
    if have_rsync:
        subprocess.run(["rsync", src[6], p], check=True)
        arrivals.append(p)
    else:
        t.skip("rsync arrival", "rsync not installed")
    p = os.path.join(lib, "dl.jpg")
    with open(p + ".part", "wb") as f, open(src[7], "rb") as s:
        data = s.read()
        f.write(data[:len(data) // 2])
        f.flush()
        time.sleep(0.3)
        f.write(data[len(data) // 2:])
    os.rename(p + ".part", p)
    arrivals.append(p)
    sub = os.path.join(lib, "sub")
    os.mkdir(sub)
    p = os.path.join(sub, "s1.jpg")
    subprocess.run(["cp", src[8], p], check=True)
    arrivals.append(p)
    folder = t.mkdir("stage", "album")
    album = t.tree(folder, src[9:12])
    subprocess.run(["cp", "-r", folder, os.path.join(lib, "album")], check=True)
    arrivals += [os.path.join(lib, "album", os.path.basename(a)) for a in album]
    dup_a, dup_b = os.path.join(lib, "dupA.jpg"), os.path.join(lib, "dupB.jpg")
    subprocess.run(["cp", src[12], dup_a], check=True)
    subprocess.run(["cp", src[12], dup_b], check=True)
    arrivals += [dup_a, dup_b]
    again = os.path.join(lib, "again.jpg")  # the same file written twice in a row
    subprocess.run(["cp", src[17], again], check=True)
    subprocess.run(["cp", src[17], again], check=True)
    arrivals.append(again)
    with open(os.path.join(lib, "notes.txt"), "w") as f:
        f.write("not an image\n")
    note(arrivals)
    ok = wait_tagged(w, arrivals, 60)
    tagged = set(events_for(w, "tagged"))
    t.check(ok, "every arrival is tagged (cp, mv, rsync, .part renamed, new subfolder, cp -r, "
            "copies)", sorted(os.path.relpath(a, lib) for a in arrivals if a not in tagged))
    for a, how in zip(arrivals, ["cp", "mv", "rsync" if have_rsync else "part", "part"]):
        t.check(a in tagged, "%s: %s tagged" % (how, os.path.relpath(a, lib)))
    indexed = events_for(w, "indexed")
    temp = [p for p in indexed if os.path.basename(p).startswith(".") or p.endswith(".part")]
    t.eq(temp, [], "no temporary name (rsync dot-temp, .part) was indexed")
    t.check(not any(p.endswith("notes.txt") for p in indexed), "a text file is not indexed")
    imgs = t.images(db)
    t.eq(sorted(p for p in imgs if os.path.basename(p).startswith(".") or p.endswith(".part")),
         [], "no temporary name in the library")
    t.eq(sorted(imgs.get(a, {}).get("state") for a in arrivals), ["tagged"] * len(arrivals),
         "the library says tagged for every arrival")
    fake.idle(5)
    completed = fake.completed()
    t.eq(completed.get(sha[dup_a]), 1, "two copies arriving together: one call")
    t.eq(completed.get(sha[again]), 1, "one file written twice in a row: one call")
    twice = sorted(os.path.relpath(p, lib) for p, h in sha.items() if completed.get(h, 0) > 1)
    t.eq(twice, [], "no image was sent twice")
    t.eq(sum(completed.values()), len(set(sha.values())), "one call per distinct image")
    t.eq(events_for(w, "failed"), [], "no failure")

    os.unlink(os.path.join(lib, "cp1.jpg"))
    gone = wait_for(lambda: t.images(db).get(os.path.join(lib, "cp1.jpg"), {}).get("state") ==
                    "missing", 10)
    t.check(gone, "a deleted file becomes missing")
    stop_watch(t, w, "first watcher")

    t.section("arrivals while stopped")
    late = [os.path.join(lib, "late1.jpg"), os.path.join(lib, "late", "late2.jpg")]
    os.makedirs(os.path.dirname(late[1]))
    shutil.copyfile(src[13], late[0])
    shutil.copyfile(src[14], late[1])
    note(late)
    w = start_watch(t, db, "watch2")
    t.check(wait_tagged(w, late, 30), "files that arrived while the watcher was stopped are "
            "tagged at restart", events_for(w, "tagged"))

    t.section("the only Space down")
    fake.stop()
    down = [os.path.join(lib, "down1.jpg"), os.path.join(lib, "sub", "down2.jpg")]
    shutil.copyfile(src[15], down[0])
    subprocess.run(["cp", src[16], down[1]], check=True)
    note(down)
    t.check(wait_for(lambda: set(down) <= set(events_for(w, "indexed")), 15),
            "while the Space is down, arrivals are indexed at once")
    time.sleep(4)
    imgs = t.images(db)
    t.eq([imgs.get(p, {}).get("state") for p in down], ["new", "new"],
         "while the Space is down they wait, pending (not failed)")
    t.eq(events_for(w, "failed"), [], "no failure while the Space is down")
    t.check(w.alive(), "the watcher keeps running")
    fake = t.fake("--service-ms", 50, port=port, name="space-back")
    t.check(wait_tagged(w, down, 90), "when the Space comes back they are tagged",
            events_for(w, "tagged"))
    imgs = t.images(db)
    t.eq([imgs.get(p, {}).get("state") for p in down], ["tagged", "tagged"],
         "the library says tagged")
    fake.idle(5)
    t.eq(sum(fake.completed().values()), 2, "the Space that came back got exactly 2 calls")
    stop_watch(t, w, "second watcher")
    st = t.status(db) or {}
    t.eq(st.get("state", {}).get("new"), 0, "status: nothing left pending")

    t.section("auto_tag per folder")
    # Off for the library, on below keep/ (an override); a file waiting there
    # and one waiting at the top when the watcher starts.
    t.config(db, "auto_tag", "off")
    keep = t.mkdir("lib", "keep")
    t.eq(t.run("rules", "set", keep, "auto_tag", "on", db=db).rc, 0, "override auto_tag on keep/")
    waiting = [os.path.join(keep, "w1.jpg"), os.path.join(lib, "w2.jpg")]
    shutil.copyfile(src[18], waiting[0])
    shutil.copyfile(src[19], waiting[1])
    w = start_watch(t, db, "watch3")
    t.check(wait_tagged(w, waiting[:1], 30), "at start, the waiting image of keep/ is tagged",
            events_for(w, "tagged"))
    arrive = [os.path.join(keep, "a1.jpg"), os.path.join(lib, "a2.jpg")]
    subprocess.run(["cp", src[20], arrive[0]], check=True)
    subprocess.run(["cp", src[21], arrive[1]], check=True)
    t.check(wait_tagged(w, arrive[:1], 30), "an arrival in keep/ is tagged",
            events_for(w, "tagged"))
    t.check(wait_for(lambda: arrive[1] in events_for(w, "indexed"), 10),
            "an arrival elsewhere is indexed")
    # An override set while the watcher runs: off again below keep/.
    t.eq(t.run("rules", "set", keep, "auto_tag", "off", db=db).rc, 0, "override auto_tag off")
    time.sleep(1.5)
    late = os.path.join(keep, "a3.jpg")
    subprocess.run(["cp", src[22], late], check=True)
    t.check(wait_for(lambda: late in events_for(w, "indexed"), 10), "a3 is indexed")
    time.sleep(3)
    imgs = t.images(db)
    t.eq([imgs.get(p, {}).get("state") for p in [waiting[1], arrive[1], late]],
         ["new", "new", "new"], "where auto_tag is off they stay pending, untagged")
    t.eq(sorted(set(events_for(w, "tagged"))), sorted([waiting[0], arrive[0]]),
         "only keep/'s images were tagged")
    stop_watch(t, w, "per-folder watcher")

    t.section("auto_tag turned on while the watcher runs")
    w = start_watch(t, db, "watch4")  # auto_tag off everywhere: no engine yet
    marker = os.path.join(lib, "m1.jpg")  # indexed: the watcher is past its start
    time.sleep(3)  # its catch-up scan would index the marker silently
    subprocess.run(["cp", src[23], marker], check=True)
    t.check(wait_for(lambda: marker in events_for(w, "indexed"), 10), "the watcher is up")
    time.sleep(1)
    t.eq(events_for(w, "tagged"), [], "nothing is tagged while auto_tag is off")
    t.config(db, "auto_tag", "on")
    t.check(wait_tagged(w, [waiting[1], arrive[1], marker], 30), "the images waiting where "
            "auto_tag is now on get tagged", events_for(w, "tagged"))
    time.sleep(2)
    t.eq(t.images(db).get(late, {}).get("state"), "new", "keep/, still off, stays pending")

    t.section("auto_tag off and on again while the watcher runs")
    t.config(db, "auto_tag", "off")
    time.sleep(1.5)  # the watcher reads the rules again twice a second
    between = os.path.join(lib, "off1.jpg")
    subprocess.run(["cp", src[24], between], check=True)
    t.check(wait_for(lambda: between in events_for(w, "indexed"), 10), "an arrival while off "
            "is indexed")
    time.sleep(2)
    t.eq(t.images(db).get(between, {}).get("state"), "new", "... and waits, untagged")
    t.config(db, "auto_tag", "on")
    t.check(wait_tagged(w, [between], 30), "auto_tag on again: the image that arrived while "
            "it was off is tagged, no restart", events_for(w, "tagged"))
    t.eq(t.run("rules", "set", keep, "auto_tag", "on", db=db).rc, 0, "override auto_tag on "
         "keep/ again")
    t.check(wait_tagged(w, [late], 30), "keep/ switched on: its waiting image is tagged",
            events_for(w, "tagged"))
    stop_watch(t, w, "late auto_tag watcher")


if __name__ == "__main__":
    batchlib.Suite("watch").main(body)
