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
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
