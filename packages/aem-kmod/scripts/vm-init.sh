#!/bin/busybox sh
# /init of the test VM (busybox).  Loads the modules, runs the C tests and
# writes everything the host parses to the second serial port (ttyS1):
#   AEM-TAP-BEGIN <name> / TAP lines / AEM-TAP-END <name> <exit status>
#   AEM-DMESG-BEGIN / dmesg / AEM-DMESG-END, then AEM-VM-END.
# The kernel command line carries aem.tests=t_a:60,t_b:120: the suites to run, each with its time
# limit in seconds (a suite past its limit is killed: exit 137).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# No tmpfs over /tmp: the root is already in memory and writable, and the staged workspace may
# itself live under /tmp (a CI clone).
mkdir -p /tmp
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec >/dev/ttyS1 2>&1

tests="t_abi:60 t_ring:60 t_timers:60 t_isolation:60 t_fuzz:60 t_kill:60 t_tcp:60 t_tcp_kill:60 t_tcp_fuzz:60 t_udp:60 t_udp_kill:120 t_udp_fuzz:60 t_versions:60"
pkg="" node=""
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	aem.pkg=*) pkg="${arg#aem.pkg=}" ;;
	aem.node=*) node="${arg#aem.node=}" ;;
	aem.tests=*) tests=$(echo "${arg#aem.tests=}" | tr , ' ') ;;
	aem.bench=*) bench_args=$(echo "${arg#aem.bench=}" | tr , ' ') ;;
	aem.tcpbench=*) tcp_bench_args=$(echo "${arg#aem.tcpbench=}" | tr , ' ') ;;
	aem.udpbench=*) udp_bench_args=$(echo "${arg#aem.udpbench=}" | tr , ' ') ;;
	aem.env=*) extra_env=$(echo "${arg#aem.env=}" | tr , ' ') ;;
	esac
done

echo "AEM-VM-BEGIN $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"

# The module load is itself a test: everything after it needs it.
echo "AEM-TAP-BEGIN load"
n=0; fail=0
tap() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
insmod /aem/aem_core.ko; tap $? "insmod aem_core.ko"
insmod /aem/aem_timers.ko; tap $? "insmod aem_timers.ko"
insmod /aem/aem_tcp.ko; tap $? "insmod aem_tcp.ko"
insmod /aem/aem_udp.ko; tap $? "insmod aem_udp.ko"
[ -c /dev/aem ]; tap $? "/dev/aem is a character device"
# Loopback for the TCP tests and benchmarks.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
# The Node suites run the host's node from the initramfs (staged at its host path by
# scripts/vm-stage.mjs with the workspace files it loads); HOME and TMPDIR are the guest's tmpfs.
[ -z "$node" ] || [ -x "$node" ]; tap $? "node is staged in the initramfs (${node:-none needed})"
echo "1..$n"
echo "AEM-TAP-END load $fail"

# A node:test suite, as TAP, under its limit. Known issue: a run of t_conformance once hung in its
# one-shot timer test while two TCG guests shared the host's two cores (vm-test.sh now takes a lock
# so that cannot recur); it has not been reproduced alone. A run killed by its limit (not one that
# fails) is reported as TAP comments and run once more, so a hang shows in the log without hiding
# a failing assertion.
node_suite() {
	local file="$1" out=/tmp/node-suite.tap rc attempt
	shift
	for attempt in 1 2; do
		env "$@" HOME=/tmp TMPDIR=/tmp \
			timeout -s KILL "$limit" "$node" --test-reporter=tap "$file" >"$out" 2>&1
		rc=$?
		if [ "$rc" -ne 137 ] || [ "$attempt" -eq 2 ]; then
			cat "$out"
			return "$rc"
		fi
		echo "# HUNG: killed after its limit of $limit s; its output follows as comments, then one more run"
		sed 's/^/#   /' "$out"
	done
}

for entry in $tests; do
	t="${entry%%:*}" limit="${entry#*:}"
	[ "$limit" = "$entry" ] && limit=60
	echo "AEM-TAP-BEGIN $t"
	start=$(cut -d' ' -f1 /proc/uptime)
	args=""
	case "$t" in b_*) args="${bench_args:-}" ;; esac
	if [ "$t" = b_node ]; then
		ulimit -n 65536	# one fd per timer for the timerfd baseline
		env AEM_KMOD_BINDING="$pkg/build/aem.node" HOME=/tmp TMPDIR=/tmp \
			timeout -s KILL "$limit" "$node" "$pkg/binding/bench/kmod.bench.mjs" $args
	elif [ "$t" = b_tcp ]; then
		# @aem/tcp's idle-scaling benchmark, where root may raise the fd limit
		# to hold 50k idle connections (the host sandbox caps it at 20k).
		ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
		ulimit -n 200000
		# shellcheck disable=SC2086
		env HOME=/tmp TMPDIR=/tmp BENCH_PARTS=idle ${extra_env:-} \
			timeout -s KILL "$limit" "$node" --expose-gc "$pkg/../aem-tcp/bench/tcp.bench.mjs" &&
			echo "ok 1 - the idle-scaling benchmark ran" && echo "1..1"
	elif [ "$t" = t_conformance ]; then
		# @aem/timers on @aem/core's kmod backend: the conformance subset.
		node_suite "$pkg/../aem-timers/test/kmod-conformance.test.mjs" \
			AEM_KMOD_BINDING="$pkg/build/aem.node"
	elif [ "$t" = b_tcp_kmod ]; then
		# @aem/tcp's echo server on the kmod and userspace backends, one C load generator.
		ulimit -n 65536
		# shellcheck disable=SC2086
		env AEM_KMOD_BINDING="$pkg/build/aem.node" AEM_TCP_LOAD="$pkg/build/b_tcp_echo" \
			HOME=/tmp TMPDIR=/tmp timeout -s KILL "$limit" "$node" \
			"$pkg/../aem-tcp/bench/tcp-kmod.bench.mjs" ${tcp_bench_args:-}
	elif [ "$t" = b_udp_kmod ]; then
		# @aem/udp's echo server on the kmod and userspace backends, one C load generator.
		ulimit -n 65536
		# shellcheck disable=SC2086
		env AEM_KMOD_BINDING="$pkg/build/aem.node" AEM_UDP_LOAD="$pkg/build/b_udp_echo" \
			HOME=/tmp TMPDIR=/tmp timeout -s KILL "$limit" "$node" \
			"$pkg/../aem-udp/bench/udp-kmod.bench.mjs" ${udp_bench_args:-}
	elif [ "$t" = t_tcp_conformance ]; then
		# @aem/tcp on the kmod backend (aem_tcp.ko): the same suite as on the host.
		ulimit -n 65536
		node_suite "$pkg/../aem-tcp/test/tcp-conformance.test.mjs" \
			AEM_KMOD_BINDING="$pkg/build/aem.node" AEM_BACKEND=kmod
	elif [ "$t" = t_udp_conformance ]; then
		# @aem/udp on the kmod backend (aem_udp.ko): the same suite as on the host.
		ulimit -n 65536
		node_suite "$pkg/../aem-udp/test/udp-conformance.test.mjs" \
			AEM_KMOD_BINDING="$pkg/build/aem.node" AEM_BACKEND=kmod
	elif [ "$t" = t_sip_kmod ]; then
		# apps/sip-uas with SIP_BACKEND=kmod, driven by sipp over UDP and TCP.
		ulimit -n 65536
		node_suite "$pkg/../../apps/sip-uas/test/kmod-vm.test.mjs" \
			AEM_KMOD_BINDING="$pkg/build/aem.node"
	elif [ "$t" = b_sip ]; then
		# apps/sip-uas over UDP on the kmod and userspace backends and Kamailio, sipp's uac ramped.
		ulimit -n 65536
		# shellcheck disable=SC2086
		env AEM_KMOD_BINDING="$pkg/build/aem.node" HOME=/tmp TMPDIR=/tmp ${extra_env:-} \
			timeout -s KILL "$limit" "$node" "$pkg/../../apps/sip-uas/bench/sip-vm.bench.mjs" &&
			echo "ok 1 - the SIP benchmark ran" && echo "1..1"
	elif [ "$t" = t_tcp_userspace ]; then
		# The same suite on the userspace backend (node:net), in the same guest kernel.
		ulimit -n 65536
		node_suite "$pkg/../aem-tcp/test/tcp-conformance.test.mjs" AEM_BACKEND=userspace
	elif [ "$t" = t_binding ]; then
		env AEM_KMOD_BINDING="$pkg/build/aem.node" HOME=/tmp TMPDIR=/tmp \
			timeout -s KILL "$limit" "$node" --expose-gc \
			--test-reporter=tap "$pkg/binding/test/binding.test.mjs"
	else
		# shellcheck disable=SC2086
		ulimit -n 65536
		AEM_MODDIR=/aem timeout -s KILL "$limit" /aem/$t $args
	fi
	rc=$?
	[ "$rc" -eq 137 ] && echo "# $t: killed by its time limit of $limit s"
	echo "# $t took $(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime) s"
	echo "AEM-TAP-END $t $rc"
done

# Unload: refcounts back to zero and rmmod succeeds.
echo "AEM-TAP-BEGIN unload"
n=0; fail=0
for m in aem_timers_v1_2 aem_timers aem_tcp aem_udp; do
	[ -d /sys/module/$m ] || continue
	r=$(cat /sys/module/$m/refcnt)
	[ "$r" = 0 ]; tap $? "$m refcnt is 0 after the tests ($r)"
	rmmod $m; tap $? "rmmod $m"
done
r=$(cat /sys/module/aem_core/refcnt)
[ "$r" = 0 ]; tap $? "aem_core refcnt is 0 after the tests ($r)"
rmmod aem_core; tap $? "rmmod aem_core"
[ ! -e /dev/aem ]; tap $? "/dev/aem is gone"
echo "1..$n"
echo "AEM-TAP-END unload $fail"

echo "AEM-DMESG-BEGIN"
dmesg
echo "AEM-DMESG-END"
echo "AEM-VM-END"
sync
poweroff -f
