#!/usr/bin/env bash
# `npm run bench:kmod`: the timer benchmark inside the test VM (not a
# test).  Absolute numbers under emulation mean little; the ratio to the
# timerfd baseline, measured in the same VM, is the point.  The last line
# is `BENCH kmod <json>`.
#
#   scripts/vm-bench.sh [timers] [period_us] [seconds]
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
args="${1:-2000},${2:-1000},${3:-5}"
mkdir -p "$pkg/build"
set +e
AEM_VM_BENCH_ARGS="$args" "$pkg/scripts/vm-test.sh" --tests b_timers,b_node \
	>"$pkg/build/bench.log" 2>&1
rc=$?
set -e
tr -d '\r' <"$pkg/build/vm/results.txt" | grep '^#' | grep -v ' took ' || true
if [ $rc -ne 0 ]; then
	tail -20 "$pkg/build/bench.log"
	echo "bench:kmod: the VM run failed (log: $pkg/build/bench.log)" >&2
	exit 1
fi
# The C figures first (BENCH kmod-c), the JavaScript ones (the issue's
# figure) last.
tr -d '\r' <"$pkg/build/vm/results.txt" | grep '^BENCH kmod-c ' | tail -1
tr -d '\r' <"$pkg/build/vm/results.txt" | grep '^BENCH kmod ' | tail -1
