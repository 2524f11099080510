#!/usr/bin/env bash
# Builds the modules, libaem and the C tests against Debian's kernel, boots
# that kernel under qemu (TCG: no KVM needed) with a busybox initramfs,
# loads the modules, runs the tests, and reports TAP results and dmesg.
# Any oops, BUG, WARNING, leak report, missing or failed test, or a VM that
# does not finish in time fails the run.
#
#   scripts/vm-test.sh [--tests t_abi,t_ring] [--json report.json]
#
# Each suite runs under its own time limit (the table below), and the VM as a whole under the sum
# of the selected suites' limits plus the boot's; the report says which suite ran out of time and
# how long every suite took.
#
# Environment: AEM_VM_TESTS (the suites when --tests is not given; `npm test` passes it through, as
# CI does to run only t_binding on its second Node.js line), AEM_KVER (kernel version to build for and boot),
# AEM_VM_TIMEOUT (seconds: overrides the derived whole-VM limit), AEM_VM_SMP (vCPUs, default 2),
# AEM_VM_MEM (MiB, 2048),
# AEM_VM_BENCH_ARGS (arguments of bench/b_timers, comma-separated),
# AEM_VM_TCP_BENCH_ARGS (conns,depth,size,seconds,rounds of the TCP benchmark),
# AEM_VM_UDP_BENCH_ARGS (inFlight,size,seconds,rounds of the UDP benchmark),
# AEM_VM_OUT (the run's directory, default build/vm: a benchmark uses its own,
# so it and a test run do not clobber each other), AEM_VM_ENV (NAME=value,… for the guest's
# node in the TCP idle benchmark, b_tcp, and the SIP benchmark, b_sip), AEM_VM_LOCK (the lock
# file that keeps one guest at a time on the machine, default /tmp/aem-vm.lock).
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=toolchain.sh
. "$pkg/scripts/toolchain.sh"

tests="" json=""
while [ $# -gt 0 ]; do
	case "$1" in
	--tests) tests="$2"; shift 2 ;;
	--json) json="$2"; shift 2 ;;
	*) echo "vm-test: unknown argument $1" >&2; exit 2 ;;
	esac
done

aem_find_toolchain
if [ -n "$AEM_MISSING" ]; then
	echo "vm-test: toolchain incomplete: $AEM_MISSING" >&2
	echo "vm-test: run $pkg/scripts/install-toolchain.sh" >&2
	exit 3
fi

default_tests="t_abi,t_ring,t_timers,t_isolation,t_fuzz,t_kill,t_tcp,t_tcp_kill,t_tcp_fuzz,t_udp,t_udp_kill,t_udp_fuzz,t_binding,t_conformance,t_tcp_conformance,t_tcp_userspace,t_udp_conformance,t_sip_kmod,t_versions"
tests="${tests:-${AEM_VM_TESTS:-$default_tests}}"
skipped=""

# Each suite's time limit in seconds: at least twice the slowest run measured on this machine class
# (2 cores, TCG, slub_debug, other work on the host), so a busy hour does not fail a good run while a
# hang still ends in minutes. The figures behind each limit are in the package README ("VM tests").
declare -A limit=(
	[t_abi]=60 [t_ring]=60 [t_timers]=60 [t_isolation]=60 [t_fuzz]=60 [t_kill]=60
	[t_tcp]=60 [t_tcp_kill]=300 [t_tcp_fuzz]=60 [t_versions]=60
	[t_udp]=60 [t_udp_kill]=120 [t_udp_fuzz]=60
	[t_binding]=60 [t_conformance]=90 [t_tcp_conformance]=120 [t_tcp_userspace]=120
	[t_udp_conformance]=120 [t_sip_kmod]=120
	[b_timers]=240 [b_node]=240 [b_tcp_kmod]=600 [b_tcp]=1500 [b_udp_kmod]=600 [b_sip]=1200
)
# Booting, loading the modules, unloading them and collecting dmesg.
boot_limit=120

out="${AEM_VM_OUT:-$pkg/build/vm}"
rm -rf "$out"
mkdir -p "$out/root/aem" "$out/root/bin"
t0=$(date +%s)

echo "== build for $AEM_KVER"
if ! make -C "$pkg" KVER="$AEM_KVER" all >"$out/build.log" 2>&1; then
	tail -40 "$out/build.log"
	echo "vm-test: build failed (log: $out/build.log)" >&2
	exit 1
fi
if grep -E "warning:|error:" "$out/build.log"; then
	echo "vm-test: the build has warnings (log: $out/build.log)" >&2
	exit 1
fi

# The suites and benchmarks that run the host's own node inside the guest (staged into the
# initramfs below); all but b_tcp load the binding.
node_suites='^(t_binding|t_conformance|t_tcp_conformance|t_tcp_userspace|t_udp_conformance|t_sip_kmod|b_node|b_tcp|b_tcp_kmod|b_udp_kmod|b_sip)$'
# The suites that run apps/sip-uas (with sipp, and Kamailio for b_sip) in the guest.
sip_suites=',(t_sip_kmod|b_sip),'
node_bin="$(command -v node || true)"
if [[ ",$tests," =~ ,(t_binding|t_conformance|t_tcp_conformance|t_tcp_userspace|t_udp_conformance|t_sip_kmod|b_node|b_tcp_kmod|b_udp_kmod|b_sip), ]]; then
	if [ -z "$node_bin" ]; then
		why="no node on the host"
	elif ! make -C "$pkg" binding >>"$out/build.log" 2>&1; then
		why="the binding did not build (no Node headers?): see $out/build.log"
	else
		why=""
	fi
	if [ -n "$why" ]; then
		skipped="t_binding, t_conformance, t_tcp_conformance, t_tcp_userspace, t_udp_conformance, t_sip_kmod — $why"
		tests="$(echo ",$tests," | sed 's/,t_binding,/,/; s/,t_conformance,/,/; s/,t_tcp_conformance,/,/; s/,t_tcp_userspace,/,/; s/,t_udp_conformance,/,/; s/,t_sip_kmod,/,/; s/,b_node,/,/; s/,b_tcp_kmod,/,/; s/,b_udp_kmod,/,/; s/,b_sip,/,/; s/^,//; s/,$//')"
	fi
fi
# @aem/tcp's conformance suite (on both backends) and the TCP benchmark: build core and tcp.
if [[ ",$tests," == *,t_tcp_conformance,* || ",$tests," == *,t_tcp_userspace,* || ",$tests," == *,b_tcp_kmod,* ]]; then
	if ! (cd "$pkg/../aem-core" && node ../../tools/build-package.mjs &&
		cd ../aem-tcp && node ../../tools/build-package.mjs) >>"$out/build.log" 2>&1; then
		skipped="t_tcp_conformance, t_tcp_userspace — @aem/core or @aem/tcp did not build: see $out/build.log"
		tests="$(echo ",$tests," | sed 's/,t_tcp_conformance,/,/; s/,t_tcp_userspace,/,/; s/,b_tcp_kmod,/,/; s/^,//; s/,$//')"
	fi
fi
# @aem/udp's conformance suite on the kmod backend and the UDP benchmark: build core and udp.
if [[ ",$tests," == *,t_udp_conformance,* || ",$tests," == *,b_udp_kmod,* ]]; then
	if ! (cd "$pkg/../aem-core" && node ../../tools/build-package.mjs &&
		cd ../aem-udp && node ../../tools/build-package.mjs) >>"$out/build.log" 2>&1; then
		skipped="t_udp_conformance — @aem/core or @aem/udp did not build: see $out/build.log"
		tests="$(echo ",$tests," | sed 's/,t_udp_conformance,/,/; s/,b_udp_kmod,/,/; s/^,//; s/,$//')"
	fi
fi
# apps/sip-uas on the kmod backend (t_sip_kmod) and its UDP benchmark (b_sip): build the app and
# every package it loads, and find sipp (and Kamailio for the benchmark) to stage.
sip_tools=""
if [[ ",$tests," =~ $sip_suites ]]; then
	why=""
	sipp="$(command -v sipp || true)"
	[ -n "$sipp" ] || why="no sipp on the host (Debian package sip-tester)"
	if [ -z "$why" ] && ! (for p in aem-core aem-timers aem-tcp aem-udp aem-app-kit ../apps/sip-uas; do
		(cd "$pkg/../$p" && node "$pkg/../../tools/build-package.mjs") || exit 1
	done) >>"$out/build.log" 2>&1; then
		why="apps/sip-uas or a package it loads did not build: see $out/build.log"
	fi
	if [ -n "$why" ]; then
		skipped="${skipped:+$skipped; }t_sip_kmod, b_sip — $why"
		tests="$(echo ",$tests," | sed 's/,t_sip_kmod,/,/; s/,b_sip,/,/; s/^,//; s/,$//')"
	else
		sip_tools="$(readlink -f "$sipp")"
		# Kamailio, the benchmark's peer, with the two modules its stateless configuration loads
		# (without it the benchmark measures the two backends only, and says so).
		kamailio="$(command -v kamailio || ls /usr/sbin/kamailio 2>/dev/null || true)"
		modules=/usr/lib/x86_64-linux-gnu/kamailio/modules
		if [[ ",$tests," == *,b_sip,* && -n "$kamailio" && -r "$modules/sl.so" ]]; then
			sip_tools+=",$(readlink -f "$kamailio"),$modules/sl.so,$modules/pv.so"
		fi
	fi
fi
# The conformance suite runs @aem/timers on @aem/core's kmod backend: build both.
if [[ ",$tests," == *,t_conformance,* ]]; then
	if ! (cd "$pkg/../aem-core" && node ../../tools/build-package.mjs &&
		cd ../aem-timers && node ../../tools/build-package.mjs) >>"$out/build.log" 2>&1; then
		skipped="t_conformance — @aem/core or @aem/timers did not build: see $out/build.log"
		tests="$(echo ",$tests," | sed 's/,t_conformance,/,/; s/^,//; s/,$//')"
	fi
fi
node_bin="$(readlink -f "$node_bin" 2>/dev/null || true)"

echo "== initramfs"
cp /bin/busybox "$out/root/bin/busybox"
cp "$pkg/scripts/vm-init.sh" "$out/root/init"
cp "$pkg/src/aem_core.ko" "$pkg/src/aem_timers.ko" "$pkg/src/aem_tcp.ko" \
	"$pkg/src/aem_udp.ko" "$pkg/tests/kmod/aem_timers_v1_2.ko" "$out/root/aem/"
# t_udp fills a socket's send buffer through a dummy device that never answers ARP.
dummy="/lib/modules/$AEM_KVER/kernel/drivers/net/dummy.ko"
[ -r "$dummy" ] && cp "$dummy" "$out/root/aem/"
cp "$pkg"/build/t_* "$pkg"/build/b_* "$out/root/aem/"
mkdir -p "$out/root/proc" "$out/root/sys" "$out/root/dev" "$out/root/tmp"
# The Node suites run the host's node in the guest, from the initramfs: the binary, its libraries
# and the workspace's runtime files at their host paths (scripts/vm-stage.mjs says why).
staged_node=""
if tr , '\n' <<<"$tests" | grep -qE "$node_suites"; then
	staged_node="$node_bin"
	# b_tcp_kmod counts the servers' system calls with strace, where the host has it.
	tools=""
	[[ ",$tests," =~ ,(b_tcp_kmod|b_udp_kmod), ]] && tools="$(command -v strace || true)"
	# sipp (and Kamailio) for the SIP suites.
	[ -n "$sip_tools" ] && tools="${tools:+$tools,}$sip_tools"
	apps="" packages=aem-core,aem-timers,aem-tcp,aem-udp,aem-kmod
	[[ ",$tests," =~ $sip_suites ]] && apps=sip-uas packages+=,aem-app-kit
	node "$pkg/scripts/vm-stage.mjs" --root "$out/root" --node "$node_bin" \
		--workspace "$(cd "$pkg/../.." && pwd)" --packages "$packages" \
		${apps:+--apps "$apps"} ${tools:+--tools "$tools"}
fi
# Uncompressed: the guest unpacks it with a copy instead of inflating ~110 MB under emulation.
# The tree itself goes once packed: under the workspace it would be a second copy of its packages.
(cd "$out/root" && find . | cpio -o -H newc --quiet) >"$out/initramfs.cpio"
rm -rf "$out/root"

append="console=ttyS0 quiet panic=-1"
# Tests run with SLUB's debugging (red zones, poisoning, owner tracking); a run of benchmarks
# alone does not, since it would measure the debug allocator.
[[ ",$tests," == *,t_* ]] && append+=" slub_debug=FZPU"
# Each suite with its limit (name:seconds); the whole VM's limit is their sum plus the boot's, plus
# one more run of the slowest Node suite (vm-init.sh runs a suite killed by its limit once more).
with_limits="" budget=$boot_limit retry=0
for t in ${tests//,/ }; do
	l="${limit[$t]:-60}"
	with_limits+="${with_limits:+,}$t:$l"
	budget=$((budget + l))
	[[ "$t" =~ $node_suites && "$t" == t_* && "$l" -gt "$retry" ]] && retry=$l
done
budget=$((budget + retry))
append+=" aem.tests=$with_limits aem.pkg=$pkg${staged_node:+ aem.node=$staged_node}"
[ -n "${AEM_VM_BENCH_ARGS:-}" ] && append+=" aem.bench=$AEM_VM_BENCH_ARGS"
[ -n "${AEM_VM_TCP_BENCH_ARGS:-}" ] && append+=" aem.tcpbench=$AEM_VM_TCP_BENCH_ARGS"
[ -n "${AEM_VM_UDP_BENCH_ARGS:-}" ] && append+=" aem.udpbench=$AEM_VM_UDP_BENCH_ARGS"
# Environment for the guest's node in b_tcp: AEM_VM_ENV=NAME=value,NAME=value.
[ -n "${AEM_VM_ENV:-}" ] && append+=" aem.env=$AEM_VM_ENV"
timeout_s="${AEM_VM_TIMEOUT:-$budget}"

# Two TCG guests at once starve each other on this class of machine (suites have hung under that
# load), so every guest of this script, from any checkout, takes one machine-wide lock first.
lock="${AEM_VM_LOCK:-/tmp/aem-vm.lock}"
exec 9>"$lock"
if ! flock -n 9; then
	echo "== waiting for another VM run to finish (lock $lock)"
	flock 9
fi

echo "== boot $AEM_VMLINUZ under qemu (TCG, timeout ${timeout_s}s)"
t1=$(date +%s)
set +e
# -no-reboot turns the guest's panic (panic=-1) or reboot into an exit;
# the host-side timeout bounds everything else.
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
	-accel tcg -cpu max -smp "${AEM_VM_SMP:-2}" -m "${AEM_VM_MEM:-2048}" \
	-nographic -no-reboot -monitor none -net none \
	-serial "file:$out/console.log" -serial "file:$out/results.txt" \
	-kernel "$AEM_VMLINUZ" -initrd "$out/initramfs.cpio" \
	-append "$append" </dev/null >"$out/qemu.log" 2>&1
qemu_rc=$?
set -e
t2=$(date +%s)
echo "== qemu exited $qemu_rc after $((t2 - t1)) s (build + initramfs $((t1 - t0)) s)"

node "$pkg/scripts/vm-report.mjs" --dir "$out" --qemu-rc "$qemu_rc" \
	--seconds "$((t2 - t0))" --vm-seconds "$((t2 - t1))" --vm-limit "$timeout_s" \
	--tests "$with_limits" ${skipped:+--skipped "$skipped"} \
	${json:+--json "$json"}
