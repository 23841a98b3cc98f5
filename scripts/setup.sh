#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test Eremite.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
    build-essential   # make, g++ (the kernel and ehyve), glibc's static libraries
    cmake ninja-build
    libgtest-dev      # unit tests
    musl-tools        # musl-gcc: differential tests also run musl-linked programs
    cpio              # tests/files: --initrd archives made by cpio -H newc
    # ehyve's load-time syscall rewriter decodes x86 with Zydis, built from Debian's
    # source package (cmake/zydis.cmake: Debian ships no static libZydis, and ehyve links
    # statically); libzycore-dev has the headers it needs, dpkg-dev unpacks the source.
    libzycore-dev dpkg-dev
    # ehyve-net-user (hyve/net_user: --net user) links libslirp, found by pkg-config;
    # slirp.pc requires glib-2.0.pc, which libslirp-dev does not pull in itself.
    libslirp-dev pkg-config libglib2.0-dev
    # tests/net: curl fetches from the guest's httpd; ip (iproute2) makes the network
    # namespaces and TAP devices of the TAP tests; ping checks that the guest answers.
    curl iproute2 iputils-ping
    wrk # bench/net: HTTP requests per second against examples/httpd
    # tests/qemu and tools/eremite-qemu: the kernel under QEMU (TCG here, KVM on hardware
    # KVM hosts); perl filters the serial ports' output in eremite-qemu.
    qemu-system-x86 perl
)

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

# apt-get source (scripts/debian_source.sh) needs a deb-src entry: add one for the
# suites the machine already uses, once.
if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "setup: adding a deb-src entry (/etc/apt/sources.list.d/eremite-sources.sources)"
    uris=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/debian.sources | head -n1 | cut -d' ' -f2-)
    [ -n "$uris" ] || uris=http://deb.debian.org/debian
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    printf 'Types: deb-src\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uris" "$codename" "$codename" | $sudo tee /etc/apt/sources.list.d/eremite-sources.sources >/dev/null
    $sudo apt-get update -qq >/dev/null
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
if ! $sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
