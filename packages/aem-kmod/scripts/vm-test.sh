#!/usr/bin/env bash
# Builds the modules, libaem and the C tests against Debian's kernel, boots
# that kernel under qemu (TCG: no KVM needed) with a busybox initramfs,
# loads the modules, runs the tests, and reports TAP results and dmesg.
# Any oops, BUG, WARNING, leak report, missing or failed test, or a VM that
# does not finish in time fails the run.
#
#   scripts/vm-test.sh [--tests t_abi,t_ring] [--json report.json]
#
# Environment: AEM_KVER (kernel version to build for and boot),
# AEM_VM_TIMEOUT (seconds, default 480), AEM_VM_SMP (vCPUs, default 2), AEM_VM_MEM (MiB, 2048),
# AEM_VM_BENCH_ARGS (arguments of bench/b_timers, comma-separated),
# AEM_VM_TCP_BENCH_ARGS (conns,depth,size,seconds,rounds of the TCP benchmark),
# AEM_VM_OUT (the run's directory, default build/vm: a benchmark uses its own,
# so it and a test run do not clobber each other), AEM_VM_ENV (NAME=value,… for the guest's
# node in the TCP idle benchmark, b_tcp), AEM_VM_LOCK (the lock file that keeps one guest at a
# time on the machine, default /tmp/aem-vm.lock).
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

default_tests="t_abi,t_ring,t_timers,t_isolation,t_fuzz,t_kill,t_tcp,t_tcp_kill,t_tcp_fuzz,t_binding,t_conformance,t_tcp_conformance,t_tcp_userspace,t_versions"
tests="${tests:-$default_tests}"
skipped=""

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

# The Node binding's tests run the host's own node inside the guest,
# through a read-only 9p export of the host's root.
node_bin="$(command -v node || true)"
if [[ ",$tests," == *,t_binding,* || ",$tests," == *,t_conformance,* || ",$tests," == *,t_tcp_conformance,* || ",$tests," == *,t_tcp_userspace,* || ",$tests," == *,b_node,* || ",$tests," == *,b_tcp_kmod,* ]]; then
	if [ -z "$node_bin" ]; then
		why="no node on the host"
	elif ! make -C "$pkg" binding >>"$out/build.log" 2>&1; then
		why="the binding did not build (no Node headers?): see $out/build.log"
	else
		why=""
	fi
	if [ -n "$why" ]; then
		skipped="t_binding, t_conformance, t_tcp_conformance, t_tcp_userspace — $why"
		tests="$(echo ",$tests," | sed 's/,t_binding,/,/; s/,t_conformance,/,/; s/,t_tcp_conformance,/,/; s/,t_tcp_userspace,/,/; s/,b_node,/,/; s/,b_tcp_kmod,/,/; s/^,//; s/,$//')"
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
	"$pkg/tests/kmod/aem_timers_v1_2.ko" "$out/root/aem/"
cp "$pkg"/build/t_* "$pkg"/build/b_* "$out/root/aem/"
mkdir -p "$out/root/proc" "$out/root/sys" "$out/root/dev" "$out/root/tmp" \
	"$out/root/aem/9p"
# virtio and 9p are modules in Debian's kernel; this is their load order.
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
	virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
	f="$(find "/lib/modules/$AEM_KVER/kernel" -name "$m.ko" | head -1)"
	[ -n "$f" ] && cp "$f" "$out/root/aem/9p/"
	echo "$m" >>"$out/root/aem/9p/order"
done
(cd "$out/root" && find . | cpio -o -H newc --quiet | gzip -1) \
	>"$out/initramfs.cpio.gz"

append="console=ttyS0 quiet panic=-1"
# Tests run with SLUB's debugging (red zones, poisoning, owner tracking); a run of benchmarks
# alone does not, since it would measure the debug allocator.
[[ ",$tests," == *,t_* ]] && append+=" slub_debug=FZPU"
append+=" aem.tests=$tests aem.pkg=$pkg aem.node=$node_bin"
[ -n "${AEM_VM_BENCH_ARGS:-}" ] && append+=" aem.bench=$AEM_VM_BENCH_ARGS"
[ -n "${AEM_VM_TCP_BENCH_ARGS:-}" ] && append+=" aem.tcpbench=$AEM_VM_TCP_BENCH_ARGS"
# Environment for the guest's node in b_tcp: AEM_VM_ENV=NAME=value,NAME=value.
[ -n "${AEM_VM_ENV:-}" ] && append+=" aem.env=$AEM_VM_ENV"
timeout_s="${AEM_VM_TIMEOUT:-480}"

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
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	-nographic -no-reboot -monitor none -net none \
	-serial "file:$out/console.log" -serial "file:$out/results.txt" \
	-kernel "$AEM_VMLINUZ" -initrd "$out/initramfs.cpio.gz" \
	-append "$append" </dev/null >"$out/qemu.log" 2>&1
qemu_rc=$?
set -e
t2=$(date +%s)
echo "== qemu exited $qemu_rc after $((t2 - t1)) s (build + initramfs $((t1 - t0)) s)"

node "$pkg/scripts/vm-report.mjs" --dir "$out" --qemu-rc "$qemu_rc" \
	--seconds "$((t2 - t0))" --tests "$tests" ${skipped:+--skipped "$skipped"} \
	${json:+--json "$json"}
