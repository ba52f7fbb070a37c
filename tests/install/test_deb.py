#!/usr/bin/env python3
"""test_deb.py — the Debian package: built, lintian-clean of errors, installed
into a scratch root, run.

    python3 tests/install/test_deb.py [SOURCE_DIR]   (default: this tree)

Copies the source tree's files (git ls-files: tracked and new, not ignored)
to a temporary directory, runs `dpkg-buildpackage -us -uc -b` there (dh with
meson; DEB_BUILD_OPTIONS=nocheck, as scripts/test runs the unit suite itself), `lintian --fail-on error` on the .deb,
installs it with `dpkg --root` into an empty root with its own dpkg
database, deletes the build tree, and runs the installed copy: --help,
`batch --help`, `man -l` on its page, completion of `tagcon search 1gi`
in bash with its script, and the console's first frame with the packaged
default theme found.  Takes about 2 minutes on 2 cores (dpkg-dev, debhelper,
lintian and the build dependencies from Debian).
"""
import glob
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.normpath(
    os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(os.path.normpath(os.path.join(HERE, "..")), "e2e"))
import tcconsole  # noqa: E402

sys.argv = [sys.argv[0], "/bin/false"]
suite = tcconsole.Suite("deb")
check = suite.check


def run(args, cwd=None, env=None, timeout=120):
    e = dict(os.environ if env is None else env)
    return subprocess.run(args, cwd=cwd, env=e, capture_output=True, text=True,
                          timeout=timeout)


# ---- build ------------------------------------------------------------------
files = run(["git", "-C", SRC, "ls-files", "-co", "--exclude-standard", "-z"]).stdout
tree = suite.path("tagcon")
for f in files.split("\0"):
    if f and os.path.isfile(os.path.join(SRC, f)) and not f.startswith("build"):
        os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
        shutil.copy2(os.path.join(SRC, f), os.path.join(tree, f))
r = run(["dpkg-checkbuilddeps"], cwd=tree)
check(r.returncode == 0, "build dependencies installed", r.stderr)
# nocheck: the unit suite the package build runs is run by scripts/test anyway.
env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=2 nocheck")
r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=tree, env=env, timeout=1200)
debs = glob.glob(suite.path("tagcon_*.deb"))
check(r.returncode == 0 and len(debs) == 1, "dpkg-buildpackage -us -uc -b: tagcon_*.deb",
      (r.stdout + r.stderr)[-3000:])
if not debs:
    suite.finish()
deb = debs[0]

r = run(["lintian", "--fail-on", "error", deb], timeout=300)
errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
check(r.returncode == 0 and not errors, "lintian: no errors", r.stdout + r.stderr)
for line in r.stdout.splitlines():
    print("     lintian: " + line)

# ---- install into a scratch root, with its own dpkg database ----------------------
root = suite.path("root")
for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates"):
    os.makedirs(os.path.join(root, d))
open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
r = run(["dpkg", "--root=" + root, "--force-depends", "--force-script-chrootless",
         "--log=/dev/null", "-i", deb])
check(r.returncode == 0, "dpkg --root ROOT -i", r.stdout + r.stderr)
r = run(["dpkg", "--root=" + root, "-s", "tagcon"])
check("Status: install ok installed" in r.stdout, "dpkg says it is installed", r.stdout)
# Nothing may come from the build tree any more.
shutil.rmtree(tree)

tagcon = os.path.join(root, "usr", "bin", "tagcon")
suite.tagcon = tagcon
suite.env["PATH"] = os.path.dirname(tagcon) + os.pathsep + os.environ["PATH"]
r = run([tagcon, "--help"], env=suite.env)
check(r.returncode == 0 and "batch" in r.stdout, "installed tagcon --help", r.stderr)
r = run([tagcon, "batch", "--help"], env=suite.env)
check(r.returncode == 0 and "Tag again images that already have an answer." in r.stdout,
      "installed tagcon batch --help", r.stdout + r.stderr)
page = os.path.join(root, "usr", "share", "man", "man1", "tagcon.1.gz")
r = run(["man", "-l", page], env=dict(suite.env, MANPAGER="cat", MANWIDTH="80"))
check(r.returncode == 0 and "EXIT STATUS" in r.stdout and "general_threshold" in r.stdout,
      "man -l usr/share/man/man1/tagcon.1.gz", r.stderr)

pics = suite.path("pics")
tcconsole.make_image(os.path.join(pics, "a.png"))
suite.env["TAGCON_DB"] = suite.path("lib.db")
suite.run("scan", pics)
suite.run("edit", os.path.join(pics, "a.png"), "+1girl", "+long_hair")
script = os.path.join(root, "usr", "share", "bash-completion", "completions", "tagcon")
r = run(["bash", "--norc", "-c",
         'source %s; COMP_WORDS=(tagcon search 1gi); COMP_CWORD=2; _tagcon; '
         'printf "%%s\\n" "${COMPREPLY[@]}"' % script], env=suite.env)
check(r.stdout.split() == ["1girl"], "bash: tagcon search 1gi<Tab> -> 1girl",
      r.stdout + r.stderr)

con = tcconsole.Console(suite, [], width=100, height=30)
screen = con.wait(lambda t: "Library" in t and "a.png" in t, timeout=15)
check(screen is not None and not re.search("theme .* not found", screen),
      "console: first frame, the packaged default theme found",
      screen or getattr(con, "last", ""))
con.keys("q")
con.kill()
suite.finish()
