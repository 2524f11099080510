#!/usr/bin/env bash
# `npm run bench:kmod`: the timer and TCP benchmarks inside the test VM
# (not a test).  Absolute numbers under emulation mean little; the ratios
# to the peers measured in the same VM are the point: timers against one
# timerfd each, @aem/tcp's echo server on the kmod backend against the same
# server on the userspace backend (node:net).  The last line is
# `BENCH kmod <json>`, with the TCP figures as tcpRatio (messages per second,
# kmod / userspace) and tcpSyscallsPerMsg ({ kmod, userspace }).
#
#   scripts/vm-bench.sh [timers] [period_us] [seconds]
#   AEM_VM_TCP_BENCH_ARGS=conns,depth,size,seconds,rounds (default 50,4,64,3,3)
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
args="${1:-2000},${2:-1000},${3:-5}"
mkdir -p "$pkg/build"
set +e
out="$pkg/build/vm-bench"
AEM_VM_OUT="$out" AEM_VM_BENCH_ARGS="$args" AEM_VM_TIMEOUT="${AEM_VM_TIMEOUT:-900}" \
	"$pkg/scripts/vm-test.sh" --tests b_timers,b_node,b_tcp_kmod \
	>"$pkg/build/bench.log" 2>&1
rc=$?
set -e
tr -d '\r' <"$out/results.txt" | grep '^#' | grep -v ' took ' || true
if [ $rc -ne 0 ]; then
	tail -20 "$pkg/build/bench.log"
	echo "bench:kmod: the VM run failed (log: $pkg/build/bench.log)" >&2
	exit 1
fi
# The C figures first (BENCH kmod-c), the JavaScript ones (the issue's
# figure) last.
results="$out/results.txt"
tr -d '\r' <"$results" | grep '^BENCH kmod-c ' | tail -1
tr -d '\r' <"$results" | grep '^BENCH kmod-tcp ' | tail -1
# The issue's line: the JavaScript timer figures plus tcpRatio and tcpSyscallsPerMsg.
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").replace(/\r/g, "").split("\n");
const last = (p) => lines.filter((l) => l.startsWith(p)).pop();
const kmod = JSON.parse(last("BENCH kmod ").slice(11));
const tcp = JSON.parse(last("BENCH kmod-tcp ").slice(15));
kmod.tcpRatio = tcp.tcpRatio;
kmod.tcpSyscallsPerMsg = tcp.tcpSyscallsPerMsg;
kmod.tcpMsgsPerSec = { kmod: tcp.kmod.msgsPerSec, userspace: tcp.userspace.msgsPerSec };
console.log(`BENCH kmod ${JSON.stringify(kmod)}`);
' "$results"
