# scripts/common.sh — what scripts/run and scripts/test share: the Debian 12
# packages tagcon needs, and a configured, built build directory.
# Sourced, not run.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Build dependencies (pkg-config names are checked, Debian packages installed);
# scdoc writes the man pages, bash-completion says where its scripts go.
build_packages="meson ninja-build pkg-config gcc libncurses-dev libcurl4-openssl-dev
libsqlite3-dev libcjson-dev libchafa-dev libvips-dev libxxhash-dev libroaring-dev scdoc
bash-completion"
# What the tests drive: the fake Space (python3), the console (tmux), image
# generation (libvips-tools), inspection (sqlite3), the official Gradio client
# (nodejs, npm), file arrival (rsync), fuzzers (clang), hash cross-checks
# (xxhash's xxhsum), work counted without a clock (valgrind's callgrind),
# paths read back by a jq pipeline (jq), the installed copy's man pages and
# completions (man-db, zsh, fish), the Debian package built and checked
# (dpkg-dev, debhelper, lintian), pixel previews in real terminals (xvfb, xterm,
# kitty, xdotool, x11-apps' xwd), the upload's PSNR through PIL as the Space
# reads it (python3-pil, python3-numpy: tests/bench/psnr_pil.py).
test_packages="python3 tmux libvips-tools sqlite3 rsync nodejs npm clang xxhash valgrind jq
man-db zsh fish dpkg-dev debhelper lintian xvfb xterm kitty xdotool x11-apps python3-pil
python3-numpy"

missing_packages() {
	local missing=""
	for p in $*; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	echo "$missing"
}

# install_packages PKG...: apt-get them if missing (as root), else say how.
install_packages() {
	local missing
	missing=$(missing_packages "$@")
	[ -z "$missing" ] && return 0
	# A tool present from elsewhere (e.g. node from nodesource) is enough.
	local still=""
	for p in $missing; do
		case "$p" in
		nodejs) command -v node >/dev/null || still="$still $p" ;;
		npm) command -v npm >/dev/null || still="$still $p" ;;
		python3) command -v python3 >/dev/null || still="$still $p" ;;
		*) still="$still $p" ;;
		esac
	done
	[ -z "$still" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "tagcon needs these Debian packages; install them with:" >&2
		echo "  sudo apt-get install -y$still" >&2
		exit 2
	fi
	echo "installing:$still" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || true
	apt-get install -y -qq --no-install-recommends $still >/dev/null ||
		{ echo "apt-get install failed for:$still" >&2; exit 2; }
}

# build DIR [MESON_OPTIONS...]: configure if needed, then build.
build() {
	local dir=$1
	shift
	if [ ! -f "$top/$dir/build.ninja" ]; then
		meson setup "$top/$dir" "$top" "$@" >/dev/null ||
			{ echo "meson setup $dir failed" >&2; return 1; }
	fi
	ninja -C "$top/$dir" >/dev/null || ninja -C "$top/$dir"
}
