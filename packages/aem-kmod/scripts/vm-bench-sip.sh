#!/usr/bin/env bash
# `npm run bench:sip:vm`: apps/sip-uas over UDP on the kernel backend, inside the test VM
# (Debian's kernel under qemu, aem_core, aem_udp and aem_tcp loaded): sipp's uac ramped to the
# highest zero-failure rate against the server with SIP_BACKEND=kmod (aem_udp.ko), the same
# server with SIP_BACKEND=userspace (node:dgram) and Kamailio, in the same guest
# (apps/sip-uas/bench/sip-vm.bench.mjs, vm-init.sh's b_sip). Absolute rates under emulation mean
# little; the ratios between the servers in the same guest are the point. Writes its figures to
# build/bench-sip-vm.json and prints its `BENCH sip-vm` line last; `npm run bench:sip` runs this
# and adds the figures to its own line (BENCH_SIP_VM=0 skips that).
#
#   scripts/vm-bench-sip.sh
#
# AEM_VM_ENV=NAME=value,… changes the load in the guest (default
# BENCH_SIP_VM_STEP=100,BENCH_SIP_SECONDS=5; see sip-vm.bench.mjs). Exits 3, saying why, without
# the VM toolchain or sipp; 1 when the VM run fails.
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=toolchain.sh
. "$pkg/scripts/toolchain.sh"
mkdir -p "$pkg/build"
figures="$pkg/build/bench-sip-vm.json"
rm -f "$figures"
aem_find_toolchain
if [ -n "$AEM_MISSING" ]; then
	echo "bench:sip:vm: skipped, no VM toolchain ($AEM_MISSING)"
	exit 3
fi
if ! command -v sipp >/dev/null; then
	echo "bench:sip:vm: skipped, no sipp (Debian package sip-tester)"
	exit 3
fi
set +e
out="$pkg/build/vm-bench-sip"
log="$pkg/build/bench-sip.log"
AEM_VM_OUT="$out" AEM_VM_ENV="${AEM_VM_ENV:-BENCH_SIP_VM_STEP=100,BENCH_SIP_SECONDS=5}" \
	AEM_VM_TIMEOUT="${AEM_VM_TIMEOUT:-1500}" \
	"$pkg/scripts/vm-test.sh" --tests b_sip >"$log" 2>&1
rc=$?
set -e
# The guest's step lines, then the BENCH line.
tr -d '\r' <"$out/results.txt" 2>/dev/null | grep -E '^(kmod|userspace|kamailio) udp|^UDP in the VM' || true
line="$(tr -d '\r' <"$out/results.txt" 2>/dev/null | grep '^BENCH sip-vm ' | tail -1 || true)"
if [ $rc -ne 0 ] || [ -z "$line" ]; then
	tail -20 "$log"
	echo "bench:sip:vm: the VM run failed (log: $log)" >&2
	exit 1
fi
echo "${line#BENCH sip-vm }" >"$figures"
echo "$line"
