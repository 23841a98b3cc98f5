#!/usr/bin/env bash
# Runs COMMAND with DIR's files as the guest's /srv: packs them into a cpio archive beside
# DIR (in the caller's scratch directory, which it removes) and appends
# --initrd ARCHIVE to COMMAND's options, then becomes COMMAND (signals reach it). For
# tests/net/fetch_files.sh, whose {dir} is a host directory ehyve would --mount:
#
#   serve_directory.sh DIR EREMITE_QEMU [RUNNER_OPTIONS...] -- PROGRAM [ARGS...]
set -u
dir=$1
runner=$2
shift 2
options=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    options+=("$1")
    shift
done
shift  # --
scratch=$(dirname "$dir")
rm -rf "$scratch/initrd-root"
mkdir -p "$scratch/initrd-root"
cp -a "$dir" "$scratch/initrd-root/srv" || exit 2
(cd "$scratch/initrd-root" && find . | cpio --quiet -o -H newc >"$scratch/www.cpio") || exit 2
exec "$runner" "${options[@]}" --initrd "$scratch/www.cpio" "$@"
