#!/usr/bin/env python3
"""test_install.py — `meson install` into a DESTDIR, then the installed copy.

    python3 tests/install/test_install.py BUILD_DIR
    python3 tests/install/test_install.py --binary PATH   # no install: PATH as it is

After installing BUILD_DIR into a temporary DESTDIR it checks that every file
is where Debian expects it, then runs the installed binary (PATH points at
the DESTDIR's bin): `--help` lists the commands with no synopsis cut
mid-word, `batch --help` and `help batch` print the whole help, unknown
options still exit 2 with the usage, `man -l` reads the installed pages,
completion of `tagcon search 1gi` gives `1girl` in real bash (the installed
script, found by bash-completion's loader), zsh and fish (in tmux, through
their vendor directories), and the console's first frame uses the installed
default theme (a colour changed in the DESTDIR's copy shows on screen).

--binary runs the checks that need no install against PATH (with the source
tree's completion script), to show what an old build lacks.
Python 3 standard library; tmux, zsh, fish and bash-completion from Debian.
"""
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "e2e"))
import tcconsole  # noqa: E402

binary_only = len(sys.argv) > 2 and sys.argv[1] == "--binary"
target = os.path.abspath(sys.argv[2] if binary_only else sys.argv[1])
sys.argv = [sys.argv[0], target]
suite = tcconsole.Suite("install")
check = suite.check


def run(args, env=None, timeout=60):
    e = dict(suite.env)
    e.update(env or {})
    return subprocess.run(args, env=e, capture_output=True, text=True, timeout=timeout)


# ---- the install ------------------------------------------------------------
if binary_only:
    tagcon = target
    share = None
    bash_script = os.path.join(SRC, "completions", "tagcon.bash")
else:
    opts = json.loads(subprocess.run(["meson", "introspect", target, "--buildoptions"],
                                     capture_output=True, text=True, check=True).stdout)
    opt = {o["name"]: o["value"] for o in opts}
    prefix = opt["prefix"]
    dest = suite.path("destdir")
    r = subprocess.run(["meson", "install", "-C", target, "--no-rebuild", "--quiet",
                        "--destdir", dest], capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, "meson install --destdir", r.stdout + r.stderr)
    root = dest + prefix
    share = os.path.join(root, opt["datadir"])
    tagcon = os.path.join(root, opt["bindir"], "tagcon")
    bash_dirs = [os.path.join(share, "bash-completion", "completions", "tagcon")]
    bash_script = bash_dirs[0]
    where = {
        "binary": tagcon,
        "themes": os.path.join(share, "tagcon", "themes", "default.theme"),
        "tagcon(1)": os.path.join(root, opt["mandir"], "man1", "tagcon.1"),
        "tagcon-query(7)": os.path.join(root, opt["mandir"], "man7", "tagcon-query.7"),
        "bash completion": bash_script,
        "zsh completion": os.path.join(share, "zsh", "vendor-completions", "_tagcon"),
        "fish completion": os.path.join(share, "fish", "vendor_completions.d", "tagcon.fish"),
        "user unit": os.path.join(root, "lib", "systemd", "user", "tagcon-watch.service"),
    }
    for what, path in where.items():
        check(os.path.isfile(path), "installed: %s (%s)" % (what, path[len(dest):]))
    unit = open(where["user unit"]).read() if os.path.isfile(where["user unit"]) else ""
    check("ExecStart=%s/tagcon watch" % os.path.join(prefix, opt["bindir"]) in unit,
          "the unit runs the installed binary", unit)
    suite.tagcon = tagcon

bindir = os.path.dirname(tagcon)
suite.env["PATH"] = bindir + os.pathsep + os.environ["PATH"]
if share is not None:
    suite.env["XDG_DATA_DIRS"] = share + ":/usr/local/share:/usr/share"

# ---- help --------------------------------------------------------------------
r = run([tagcon, "--help"])
lines = r.stdout.splitlines()
commands = []
if "commands:" in lines:
    for line in lines[lines.index("commands:") + 1:]:
        if not line:
            break
        m = re.match(r"^  ([a-z]+)", line)
        if m and m.group(1) not in commands:
            commands.append(m.group(1))
check(r.returncode == 0 and len(commands) >= 16, "--help: exit 0, %d commands" % len(commands),
      r.stdout + r.stderr)
# A line cut inside an option or a group leaves its brackets unbalanced.
cut = [line for line in lines if line.count("[") != line.count("]") or len(line) > 80]
check(not cut, "--help: every synopsis line whole (brackets balanced, within 80 columns)",
      "\n".join(cut))

r = run([tagcon, "batch", "--help"])
check(r.returncode == 0 and r.stdout.startswith("usage: tagcon batch ") and
      "--force" in r.stdout and "Tag again images that already have an answer." in r.stdout,
      "batch --help: exit 0, synopsis and the man page's text", r.stdout + r.stderr)
r2 = run([tagcon, "help", "batch"])
check(r2.returncode == 0 and r2.stdout == r.stdout, "help batch = batch --help",
      r2.stdout + r2.stderr)
r = run([tagcon, "search", "1girl", "-h"])
check(r.returncode == 0 and r.stdout.startswith("usage: tagcon search"),
      "search QUERY -h: the help", r.stdout + r.stderr)
bare = [c for c in commands if "no more help" in run([tagcon, c, "--help"]).stdout or
        run([tagcon, c, "--help"]).returncode != 0]
check(commands and not bare, "every command's --help has its man page section", bare)

# Every option a synopsis shows is described in the help's text (after the
# synopses): a new option without its line in the man page source fails here.
undescribed, seen = [], 0
for c in commands:
    text = run([tagcon, c, "--help"]).stdout
    usage, _, body = text.partition("\n\n")
    for o in sorted(set(re.findall(r"(?<![\w-])(--?[a-z0-9][a-z0-9-]*)", usage))):
        seen += 1
        if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(o), body):
            undescribed.append("%s %s" % (c, o))
check(seen > 40 and not undescribed,
      "every option in a synopsis (%d) is described in --help" % seen,
      undescribed)

r = run([tagcon, "scan", "--bogus"])
check(r.returncode == 2 and "unknown option '--bogus'" in r.stderr and
      "usage: tagcon scan" in r.stderr and r.stdout == "",
      "unknown option: exit 2, one-line error and the usage", r.stderr)
r = run([tagcon, "help", "nosuch"])
check(r.returncode == 2 and "nosuch" in r.stderr, "help of an unknown command: exit 2", r.stderr)

# ---- man pages ---------------------------------------------------------------
if share is not None:
    for page, needles in [(where["tagcon(1)"], ["COMMANDS", "tagcon batch", "general_threshold",
                                                "EXIT STATUS", "TAGCON_DB"]),
                          (where["tagcon-query(7)"], ["NAMESPACES", "rating:"])]:
        r = run(["man", "-l", page], env={"MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "80"})
        missing = [n for n in needles if n not in r.stdout]
        check(r.returncode == 0 and not missing and "warning" not in r.stderr,
              "man -l %s" % os.path.basename(page), "missing %s\n%s" % (missing, r.stderr))
    # The settings listed are core/settings.c's, every one of them.
    man1 = run(["man", "-l", where["tagcon(1)"]], env={"MANPAGER": "cat", "MANWIDTH": "200"})
    names = run([tagcon, "config", "list"]).stdout
    names = [line.split()[0] for line in names.splitlines() if line.strip()]
    lost = [n for n in names if n not in man1.stdout]
    check(names and not lost, "tagcon(1) lists all %d settings" % len(names), lost)

# ---- completion ---------------------------------------------------------------
pics = suite.path("pics")
tcconsole.make_image(os.path.join(pics, "a.png"))
suite.env["TAGCON_DB"] = suite.path("lib.db")
suite.run("scan", pics)
suite.run("edit", os.path.join(pics, "a.png"), "+1girl", "+1boy", "+long_hair")

BASH = r'''
%s
COMP_WORDS=(tagcon search 1gi); COMP_CWORD=2
COMP_LINE="tagcon search 1gi"; COMP_POINT=${#COMP_LINE}
_tagcon tagcon 1gi search
printf '%%s\n' "${COMPREPLY[@]}"
'''
r = run(["bash", "--norc", "-c", BASH % ("source " + bash_script)])
check(r.stdout.split() == ["1girl"], "bash: tagcon search 1gi<Tab> -> 1girl", r.stdout + r.stderr)
if share is not None:
    # As an interactive bash finds it: bash-completion's loader, XDG_DATA_DIRS.
    loader = ("source /usr/share/bash-completion/bash_completion; "
              "_completion_loader tagcon; complete -p tagcon >&2")
    r = run(["bash", "--norc", "-c", BASH % loader])
    check(r.stdout.split() == ["1girl"] and "_tagcon" in r.stderr,
          "bash-completion loads the installed script; 1gi -> 1girl", r.stdout + r.stderr)
r = run(["bash", "--norc", "-c", BASH.replace("search 1gi", "search rating:g")
         .replace("COMP_CWORD=2", "COMP_CWORD=2").replace("_tagcon tagcon 1gi search", "_tagcon")
         % ("source /usr/share/bash-completion/bash_completion; source " + bash_script)
         .replace("(tagcon search rating:g)", "(tagcon search rating : g)")
         .replace("COMP_CWORD=2", "COMP_CWORD=4")])
check(sorted(r.stdout.split()) == ["g", "general"], "bash: rating:g<Tab> -> g, general",
      r.stdout + r.stderr)
suite.run("preset", "save", "mine", "general_threshold")
CASES = [  # words after tagcon, what kind of names the shell adds, completions among them
    (["config", "set", "review_mode", ""], "none", ["required", "auto", "auto-above"]),
    (["batch", "--f"], "none", ["--folder", "--force", "--follow"]),
    (["--theme", "l"], "none", ["light"]),
    (["edit", "f.png", "+lo"], "files", ["+long_hair"]),
    (["search", "-lo"], "none", ["-long_hair"]),
    (["search", "orientation:p"], "none", ["orientation:portrait"]),
    (["preset", "apply", ""], "none", ["mine"]),
    (["scan", ""], "dirs", []),
    (["help", "bat"], "none", ["batch"]),
]
for words, kind, want in CASES:
    r = run([tagcon, "complete", "--"] + words)
    got = r.stdout.splitlines()
    # At least those (a setting may gain a value), and only what the word starts.
    check(r.returncode == 0 and got[:1] == [kind] and set(want) <= set(got[1:]) and
          all(g.startswith(words[-1]) for g in got[1:]) and (want or not got[1:]),
          "complete: %s -> %s %s" % (" ".join(words), kind, " ".join(want)), r.stdout + r.stderr)
r = run([tagcon, "complete", "--shell", "fish", "--", "conf"])
check(r.stdout.splitlines()[1:] == ["config\tshow or change settings"],
      "complete --shell fish: a description after a tab", r.stdout + r.stderr)


def shell_in_tmux(name, argv, setup, env):
    """Type `tagcon search 1gi`, Tab, in a real interactive shell."""
    if shutil.which(argv[0]) is None:
        check(False, "%s installed (scripts/common.sh test_packages)" % argv[0])
        return
    c = tcconsole.Console.__new__(tcconsole.Console)
    c.suite, c.socket = suite, "tagcon-install-%d-%s" % (os.getpid(), name)
    suite.consoles.append(c)
    e = []
    for k, v in dict(suite.env, **env).items():
        if not k.startswith("TMUX"):
            e += ["-e", "%s=%s" % (k, v)]
    c.tmux("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "20", *e, *argv)
    for line in setup:
        c.type(line)
        c.keys("Enter")
    c.wait(lambda t: "ready" in t, timeout=20)
    c.type("tagcon search 1gi")
    c.keys("Tab")
    screen = c.wait(lambda t: "tagcon search 1girl" in t, timeout=15)
    check(screen is not None, "%s: tagcon search 1gi<Tab> -> 1girl" % name,
          getattr(c, "last", ""))
    c.kill()


if share is not None:
    cfg = suite.path("config")
    os.makedirs(cfg, exist_ok=True)
    shell_in_tmux("zsh", ["zsh", "-f"],
                  ["fpath=(%s $fpath); autoload -U compinit; compinit -u; PS1='%% '; echo ready"
                   % os.path.dirname(where["zsh completion"])], {})
    shell_in_tmux("fish", ["fish"], ["echo ready"], {"XDG_CONFIG_HOME": cfg})
    # Interactive bash: bash-completion loads the installed script on the first Tab.
    shell_in_tmux("bash-tmux", ["bash", "--norc", "--noprofile"],
                  ["source /usr/share/bash-completion/bash_completion; PS1='$ '; echo ready"],
                  {})

# ---- the console: the default theme, from where it was installed ----------------
if share is not None:
    # The installed copy's header goes magenta (#ff00ff = xterm colour 201):
    # seen on screen, it was read from the DESTDIR, not the source tree.
    theme = where["themes"]
    text = open(theme).read()
    open(theme, "w").write(re.sub(r"(?m)^header=.*$", "header=black #ff00ff", text))
# No DIR: a background scan's message would replace the theme's warning.
con = tcconsole.Console(suite, [], width=100, height=30)
screen = con.wait(lambda t: "Library" in t and "a.png" in t, timeout=15)
check(screen is not None and "not found" not in screen,
      "console: first frame, no 'theme not found'", screen or getattr(con, "last", ""))
if share is not None:
    esc = con.screen(escapes=True)
    check(re.search(r"\x1b\[[0-9;]*5;201[;m]", esc) is not None,
          "console: the installed default.theme's colours", esc[:400])
con.keys("q")
con.kill()

if share is not None:
    # A build outside the source tree, not installed: the build's binary
    # copied elsewhere still finds the themes (the source tree's).
    away = suite.path("elsewhere", "bin", "tagcon")
    os.makedirs(os.path.dirname(away))
    shutil.copy2(os.path.join(sys.argv[1], "tui", "tagcon"), away)
    suite.tagcon = away
    con = tcconsole.Console(suite, [], width=100, height=30)
    screen = con.wait(lambda t: "Library" in t and "a.png" in t, timeout=15)
    check(screen is not None and "not found" not in screen,
          "a build's binary run from outside the tree: no 'theme not found'",
          screen or getattr(con, "last", ""))
    con.keys("q")
    con.kill()

suite.finish()
