#!/usr/bin/env bash
# The kernel part of `npm run bench:udp`: @aem/udp's echo server on the kmod backend (aem_udp.ko)
# against the same server on the userspace backend (node:dgram), inside the test VM, driven by
# one C load generator (bench/b_udp_echo.c: request/response, many requests in flight), with the
# server's system calls counted by strace (packages/aem-udp/bench/udp-kmod.bench.mjs). Absolute
# rates under emulation mean little; the ratio between the backends in the same guest is the
# point. Writes its figures to build/bench-udp-kmod.json and prints its `BENCH udp-kmod` line.
#
#   scripts/vm-bench-udp.sh [--host]
#
# --host: then runs the host benchmark (packages/aem-udp/bench/udp.bench.mjs) with
# BENCH_UDP_KMOD pointing at that file, so its last line, `BENCH udp`, carries kmodRatio and
# kmodSyscallsPerMsg (`npm run bench:udp` does this). Without the VM toolchain the kernel part is
# skipped, says why, and the host part still runs (the kmod figures are then null).
# AEM_VM_UDP_BENCH_ARGS=inFlight,size,seconds,rounds changes the load (default 256,64,3,3).
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
host=0
[ "${1:-}" = --host ] && host=1
# shellcheck source=toolchain.sh
. "$pkg/scripts/toolchain.sh"
mkdir -p "$pkg/build"
figures="$pkg/build/bench-udp-kmod.json"
rm -f "$figures"
aem_find_toolchain
if [ -n "$AEM_MISSING" ]; then
	echo "bench:udp: the kernel part is skipped, no VM toolchain ($AEM_MISSING)"
else
	set +e
	out="$pkg/build/vm-bench-udp"
	AEM_VM_OUT="$out" AEM_VM_TIMEOUT="${AEM_VM_TIMEOUT:-900}" \
		"$pkg/scripts/vm-test.sh" --tests b_udp_kmod >"$pkg/build/bench-udp.log" 2>&1
	rc=$?
	set -e
	tr -d '\r' <"$out/results.txt" | grep '^#' | grep -v ' took ' || true
	line="$(tr -d '\r' <"$out/results.txt" | grep '^BENCH udp-kmod ' | tail -1 || true)"
	if [ $rc -ne 0 ] || [ -z "$line" ]; then
		tail -20 "$pkg/build/bench-udp.log"
		echo "bench:udp: the VM run failed (log: $pkg/build/bench-udp.log)" >&2
		exit 1
	fi
	echo "$line"
	echo "${line#BENCH udp-kmod }" >"$figures"
fi
if [ $host = 1 ]; then
	cd "$pkg/../.."
	if [ -f "$figures" ]; then
		BENCH_UDP_KMOD="$figures" exec node --expose-gc packages/aem-udp/bench/udp.bench.mjs
	fi
	exec node --expose-gc packages/aem-udp/bench/udp.bench.mjs
fi
