#!/usr/bin/env bash
# Installs what building and VM-testing the kernel modules needs (Debian or
# a Debian-based image, as root): Debian's kernel image and the matching
# headers, qemu, a static busybox for the initramfs, cpio, a C toolchain
# with a static libc.  Idempotent; takes about 1.5 minutes on a clean box.
set -euo pipefail
packages=(linux-headers-amd64 linux-image-amd64 qemu-system-x86 busybox-static
	  cpio gzip gcc make libc6-dev)
if [ "$(id -u)" != 0 ]; then
	echo "install-toolchain: run as root (apt-get install ${packages[*]})" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}"
echo "install-toolchain: installed ${packages[*]}"
