#!/usr/bin/env bash
# Conformance: the official @gradio/client must talk to tests/fake_space in each Gradio mode
# (6.x, 5.x, 4.x), and get exactly what the fake computes. Exits non-zero on any disagreement.
#
#   tests/conformance/run.sh
#
# Installs node_modules with `npm ci` only when missing (offline-safe once installed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fake="$here/../fake_space/fake_space.py"
model="SmilingWolf/wd-vit-tagger-v3"
gthr=0.05
cthr=0.05

if [ ! -d "$here/node_modules/@gradio/client" ]; then
	(cd "$here" && npm ci --no-audit --no-fund)
fi

work=$(mktemp -d)
fake_pid=""
cleanup() {
	if [ -n "$fake_pid" ]; then
		kill "$fake_pid" 2>/dev/null || true
		wait "$fake_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# A small real RGBA PNG (bytes are opaque to the fake, but keep it honest).
python3 - "$work/test.png" <<'EOF'
import struct, sys, zlib
w = h = 16
raw = b"".join(b"\0" + b"".join(bytes((x * 16, y * 16, 128, 255)) for x in range(w))
              for y in range(h))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) + \
      chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
EOF

failures=0
modes="6 5 4"
for mode in $modes; do
	echo "== gradio $mode"
	rm -f "$work/port"
	python3 "$fake" --port 0 --gradio "$mode" --service-ms 50 --port-file "$work/port" \
		--log "$work/fake-$mode.log" >/dev/null &
	fake_pid=$!
	for _ in $(seq 100); do
		[ -s "$work/port" ] && break
		sleep 0.1
	done
	if [ ! -s "$work/port" ]; then
		echo "run.sh: fake did not start (gradio $mode)" >&2
		exit 1
	fi
	port=$(cat "$work/port")
	if timeout 60 node "$here/client.mjs" "http://127.0.0.1:$port/" "$work/test.png" "$model" \
		"$gthr" "$cthr" >"$work/result-$mode.json" 2>"$work/client-$mode.err" &&
		python3 "$here/check_result.py" "$port" "$work/test.png" "$model" "$gthr" "$cthr" \
			"$work/result-$mode.json"; then
		echo "gradio $mode: ok"
	else
		echo "gradio $mode: FAILED" >&2
		sed 's/^/  client: /' "$work/client-$mode.err" >&2
		sed 's/^/  fake:   /' "$work/fake-$mode.log" >&2
		failures=$((failures + 1))
	fi
	kill "$fake_pid"
	wait "$fake_pid" || true
	fake_pid=""
done

echo "$(($(echo $modes | wc -w) - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
