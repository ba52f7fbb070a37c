#!/usr/bin/env bash
# tests/fuzz/run_long.sh — run libFuzzer targets for a long while and sum
# up what each did: executions, coverage, corpus, and anything found.
#
#   tests/fuzz/run_long.sh [-C BUILDDIR] [-t SECONDS] [-j JOBS] [-k] [TARGET...]
#
# BUILDDIR is the fuzz build (default build-fuzz, made by scripts/test or
# `CC=clang meson setup build-fuzz -Dfuzz=true -Dbench=false -Db_lundef=false`);
# SECONDS per target (default 600); JOBS targets at a time (default 1), each
# under `nice -n 10`; TARGET a name (xmp) or fuzz-xmp, default every target
# built.  Seeds come from tests/fuzz/corpus/NAME/; new inputs go to
# BUILDDIR/tests/fuzz/corpus/NAME/ (shared with the 20 s tests), a crashing
# input to BUILDDIR/tests/fuzz/artifacts/NAME-crash-…, the whole output to
# BUILDDIR/tests/fuzz/long/NAME.log.  -k keeps going after a finding
# (libFuzzer's fork mode, one child at a time): every crashing input is
# kept, and the summary groups them by the first line each one prints.
# Exit status 1 when a target found something (crash, leak, timeout, out
# of memory).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=build-fuzz
seconds=600
jobs=1
keep=()
while getopts "C:t:j:kh" opt; do
	case $opt in
	C) build=$OPTARG ;;
	t) seconds=$OPTARG ;;
	j) jobs=$OPTARG ;;
	k) keep=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1) ;;
	*) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

out=$build/tests/fuzz
if [ $# -eq 0 ]; then
	set -- $(cd "$out" 2>/dev/null && ls fuzz-* 2>/dev/null | grep -v '\.p$')
fi
[ $# -gt 0 ] || { echo "run_long.sh: no fuzz target in $out (build it first)" >&2; exit 2; }
mkdir -p "$out/long"

run_one() { # NAME
	local name=$1 exe=$out/fuzz-$1
	local seeds=()
	[ -d "$here/corpus/$name" ] && seeds=("$here/corpus/$name")
	mkdir -p "$out/corpus/$name" "$out/artifacts"
	date +%s >"$out/long/$name.start"
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1} \
		nice -n 10 "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
		-error_exitcode=1 -print_final_stats=1 -artifact_prefix="$out/artifacts/$name-" \
		"${keep[@]}" "$out/corpus/$name" "${seeds[@]}" >"$out/long/$name.log" 2>&1
	local rc=$?
	date +%s >"$out/long/$name.end"
	# In fork mode a finding does not stop the run: count what it kept.
	[ "$rc" = 0 ] && [ -n "$(artifacts "$name")" ] && rc=1
	echo $rc >"$out/long/$name.rc"
}

# The inputs a target's run wrote (newer than its start).
artifacts() { # NAME
	local start
	start=$(cat "$out/long/$1.start" 2>/dev/null || echo 0)
	for f in "$out/artifacts/$1-"*; do
		[ -f "$f" ] && [ "$(stat -c %Y "$f")" -ge "$start" ] && echo "$f"
	done
}

# One line per target, then what a finding looked like.
report() { # NAME
	local name=$1 log=$out/long/$1.log rc
	rc=$(cat "$out/long/$name.rc" 2>/dev/null || echo '?')
	local execs rate cov ft corp found
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -a -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -a -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	corp=$(grep -a -o 'corp: [0-9]*\(/[0-9]*[a-zA-Z]*\)\{0,1\}' "$log" | tail -1 | cut -d' ' -f2)
	found=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
	if [ -z "$execs" ]; then # fork mode, or killed before the final stats
		execs=$(grep -a -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
		local took=$(($(cat "$out/long/$name.end") - $(cat "$out/long/$name.start")))
		[ -n "$execs" ] && [ "$took" -gt 0 ] && rate=$((execs / took))
	fi
	[ -n "$found" ] || found=$(artifacts "$name" | wc -l | sed 's/$/ input(s) kept/')
	printf '%-12s %12s execs %7s/s  cov %6s  ft %7s  corpus %-12s %s\n' "fuzz-$name" \
		"${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
		"$([ "$rc" = 0 ] && echo "nothing found" || echo "FOUND (exit $rc): ${found:-see $log}")"
}

# The first words of a finding: the target's own complaint or the
# sanitizer's, without addresses and process ids.
first_line() { # FILE
	grep -a -m1 -E '^(fuzz-[a-z]+: |.*runtime error:|==[0-9]+==ERROR|ERROR: libFuzzer)' "$1" |
		sed -E 's/==[0-9]+==/==/; s/0x[0-9a-f]+/0x…/g'
}

details() { # NAME
	local name=$1 log=$out/long/$1.log f
	echo "--- fuzz-$name ($log)"
	if [ ${#keep[@]} -eq 0 ]; then
		first_line "$log"
		grep -a -E '^ +#[0-9]+ ' "$log" | grep -v -E 'in (__sanitizer|fuzzer::|__pthread|raise|abort|_start|__libc)|libc\.so' | head -8
		grep -a -E '^SUMMARY:' "$log" | head -1
		return
	fi
	# Fork mode: replay each kept input, one example per kind of finding.
	for f in $(artifacts "$name"); do
		UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
			timeout 60 "$out/fuzz-$name" "$f" >"$out/long/${f##*/}.out" 2>&1
		printf '%s\t%s\n' "$(first_line "$out/long/${f##*/}.out")" "$f"
	done | sort | awk -F'\t' '{n[$1]++; if (!($1 in ex)) ex[$1] = $2}
		END {for (k in n) printf "  %d x %s\n      e.g. %s\n", n[k], k, ex[k]}'
}

echo "== $# target(s), $seconds s each, $jobs at a time, logs in $out/long/"
running=0
for name in "$@"; do
	name=${name#fuzz-}
	if [ ! -x "$out/fuzz-$name" ]; then
		echo "run_long.sh: $out/fuzz-$name not built" >&2
		echo 2 >"$out/long/$name.rc"
		continue
	fi
	run_one "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

status=0
for name in "$@"; do
	report "${name#fuzz-}"
done
for name in "$@"; do
	name=${name#fuzz-}
	if [ "$(cat "$out/long/$name.rc" 2>/dev/null)" != 0 ]; then
		details "$name"
		status=1
	fi
done
exit $status
