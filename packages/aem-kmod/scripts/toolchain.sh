# Sourced by the other scripts: finds the kernel to build for and boot, and
# says what is missing.  Sets AEM_KVER and AEM_VMLINUZ, or AEM_MISSING.
#
# The build host may run another kernel (containers do), so the version is
# that of an installed Debian kernel image with its headers, never uname -r.
# AEM_KVER in the environment picks one explicitly.

aem_find_toolchain() {
	AEM_MISSING=""
	local v
	if [ -z "${AEM_KVER:-}" ]; then
		for v in $(ls /boot 2>/dev/null | sed -n 's/^vmlinuz-//p' |
			   sort -V -r); do
			if [ -e "/lib/modules/$v/build/Makefile" ]; then
				AEM_KVER="$v"
				break
			fi
		done
	fi
	if [ -z "${AEM_KVER:-}" ]; then
		AEM_MISSING+="no /boot/vmlinuz-<version> with matching /lib/modules/<version>/build (linux-image-amd64, linux-headers-amd64); "
	else
		AEM_VMLINUZ="/boot/vmlinuz-$AEM_KVER"
		[ -r "$AEM_VMLINUZ" ] || AEM_MISSING+="$AEM_VMLINUZ not readable; "
		[ -e "/lib/modules/$AEM_KVER/build/Makefile" ] ||
			AEM_MISSING+="no headers for $AEM_KVER; "
	fi
	command -v qemu-system-x86_64 >/dev/null ||
		AEM_MISSING+="no qemu-system-x86_64 (qemu-system-x86); "
	[ -x /bin/busybox ] && file_is_static /bin/busybox ||
		AEM_MISSING+="no static /bin/busybox (busybox-static); "
	command -v cpio >/dev/null || AEM_MISSING+="no cpio; "
	command -v make >/dev/null || AEM_MISSING+="no make; "
	command -v cc >/dev/null || AEM_MISSING+="no cc (gcc); "
	[ -n "$(cc -print-file-name=libc.a 2>/dev/null | grep /)" ] ||
		AEM_MISSING+="no static libc (libc6-dev); "
	AEM_MISSING="${AEM_MISSING%; }"
	export AEM_KVER AEM_VMLINUZ AEM_MISSING
}

file_is_static() {
	# A static ELF has no PT_INTERP: no "interpreter" program header.
	! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'interpreter'
}
