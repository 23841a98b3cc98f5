#!/usr/bin/env bash
# --initrd: an archive made by cpio(1) (newc) is unpacked into the guest's root, and bad
# archives end the run with one clear line and status 125, never a kernel crash.
#
#   initrd_test.sh EHYVE PROBE
set -u
ehyve=$1
probe=$2
if ! command -v cpio >/dev/null; then
    echo "SKIPPED: cpio(1) is not installed"
    exit 77
fi
source "$(dirname "$0")/lib.sh"
fail=0

# A tree with directories, modes, a symlink, a hard link and an /etc file of its own.
mkdir -p "$work/tree/app/data" "$work/tree/etc"
echo "first line" >"$work/tree/app/data/text"
chmod 0640 "$work/tree/app/data/text"
ln "$work/tree/app/data/text" "$work/tree/app/data/hard"
ln -s data/text "$work/tree/app/link"
echo "from-initrd" >"$work/tree/etc/hostname"
chmod 0750 "$work/tree/app"
(cd "$work/tree" && find . | cpio -o -H newc --quiet) >"$work/good.cpio"

out=$("$ehyve" --initrd "$work/good.cpio" --cwd /app "$probe" /app /app/data/text /app/data/hard /app/link \
    link /etc/hostname /tmp 2>&1)
status=$?
expected="/app: dir 0750
/app/data/text: file 0640 size 11 links 2: first line
/app/data/hard: file 0640 size 11 links 2: first line
/app/link: link -> data/text
link: link -> data/text
/etc/hostname: file 0644 size 12 links 1: from-initrd
/tmp: dir 1777"
if [ $status -ne 0 ] || [ "$out" != "$expected" ]; then
    echo "FAIL: the unpacked tree differs (status $status)"
    diff <(echo "$expected") <(echo "$out")
    fail=1
fi

# Bad archives: each must give one line naming the problem and status 125.
head -c 200 "$work/good.cpio" >"$work/truncated.cpio"
# A name that climbs out of the root, written by hand in newc: the header fields are
# magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
# rdevminor, namesize, check.
header() { # NAME MODE SIZE
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        1 "$2" 0 0 1 0 "$3" 0 0 0 0 $((${#1} + 1)) 0
    printf '%s\0' "$1"
    local pad=$(((4 - (110 + ${#1} + 1) % 4) % 4))
    head -c $pad /dev/zero
}
{ header "../escape" $((0100644)) 0; header "TRAILER!!!" 0 0; } >"$work/dotdot.cpio"
{ header "big" $((0100644)) 999999999; header "TRAILER!!!" 0 0; } >"$work/absurd.cpio"
for bad in truncated dotdot absurd; do
    out=$("$ehyve" --initrd "$work/$bad.cpio" "$probe" / 2>&1)
    status=$?
    lines=$(printf '%s\n' "$out" | grep -c .)
    if [ $status -ne 125 ] || [ "$lines" -ne 1 ] || ! grep -q initramfs <<<"$out"; then
        echo "FAIL: $bad archive: status $status, output:"
        echo "$out"
        fail=1
    else
        echo "ok: $bad archive: $out"
    fi
done
[ $fail -eq 0 ] && echo "PASS: initramfs unpacked, bad archives refused"
exit $fail
