#!/usr/bin/env bash
# Puts Debian's Linux kernel (the image linux-image-amd64 depends on) at DEST/vmlinuz,
# once: downloaded as Debian's package (apt-get download) and unpacked with dpkg-deb,
# never installed on the host. For bench/boot/qemu.sh, which boots it as a microVM next
# to Eremite.
#
#   scripts/debian_kernel.sh DEST
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 DEST" >&2; exit 2; }
dest=$1
[[ -f $dest/vmlinuz && -f $dest/version ]] && exit 0

package=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
[[ -n $package ]] || { echo "apt knows no linux-image-amd64 (apt-get update?)" >&2; exit 1; }
mkdir -p "$dest"
work=$(mktemp -d "$dest/.kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && apt-get download -qq "$package" >log 2>&1); then
    echo "cannot download Debian's $package: $(grep -m1 '^E:' "$work/log" || tail -n1 "$work/log")" >&2
    exit 1
fi
dpkg-deb -x "$work"/*.deb "$work/root"
image=$(find "$work/root/boot" -name 'vmlinuz-*' | head -n1)
[[ -n $image ]] || { echo "$package holds no /boot/vmlinuz-*" >&2; exit 1; }
cp "$image" "$dest/vmlinuz"
echo "${package#linux-image-}" >"$dest/version"
