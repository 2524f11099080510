#!/usr/bin/env bash
# `npm run bench:tcp:vm`: @aem/tcp's idle-scaling benchmark (1k → 10k → 50k idle connections)
# inside the test VM, where root can raise the fd limit that a sandboxed host cannot. Absolute
# latencies under emulation mean little; the ratio p99(50k) / p99(1k) is the point. The last
# line is `BENCH tcp-idle <json>`.
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
(cd "$pkg/../aem-core" && node ../../tools/build-package.mjs)
(cd "$pkg/../aem-tcp" && node ../../tools/build-package.mjs)
mkdir -p "$pkg/build"
set +e
out="$pkg/build/vm-bench-tcp"
AEM_VM_OUT="$out" AEM_VM_ENV="${AEM_VM_ENV:-BENCH_SAMPLES=4000,BENCH_LATENCY_ROUNDS=7,BENCH_ROUND_MS=3000}" AEM_VM_MEM="${AEM_VM_MEM:-4096}" AEM_VM_TIMEOUT="${AEM_VM_TIMEOUT:-1800}" \
	"$pkg/scripts/vm-test.sh" --tests b_tcp >"$pkg/build/bench-tcp.log" 2>&1
rc=$?
set -e
results="$out/results.txt"
tr -d '\r' <"$results" | grep -E '^(idle|BENCH)' | sed 's/^BENCH tcp /BENCH tcp-idle /' || true
if [ $rc -ne 0 ]; then
	tail -20 "$pkg/build/bench-tcp.log"
	echo "bench:tcp:vm: the VM run failed (log: $pkg/build/bench-tcp.log)" >&2
	exit 1
fi
