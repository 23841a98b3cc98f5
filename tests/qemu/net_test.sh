#!/usr/bin/env bash
# The network under QEMU: examples/httpd in the kernel under eremite-qemu --net user
# --forward (QEMU's user-mode network, a virtio-net PCI function with MSI-X), its files
# from an --initrd archive; curl on the host fetches them through the forwarded port,
# byte-exact: one after the other (up to 24 MiB), 4 MiB ones 4 at once, and 50 small
# ones at once. Large on purpose: QEMU 7.2's virtio-net stops taking frames after a
# burst of 256 with event indices, and only the driver's watch (virtio_net.hpp,
# watch_transmit) gets a transfer of a few MiB through.
#
#   net_test.sh EREMITE_QEMU HTTPD [RUNNER_OPTIONS...]
set -u
runner=$1
httpd=$2
shift 2
command -v qemu-system-x86_64 >/dev/null || { echo "SKIPPED: qemu-system-x86_64 is not installed"; exit 77; }
command -v curl >/dev/null || { echo "SKIPPED: curl is not installed"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/eremite-qemu-net.XXXXXX") || exit 2
guest=
cleanup() {
    [ -n "$guest" ] && kill -- -"$guest" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/root/srv/sub"
echo "index" >"$work/root/srv/index.html"
head -c 4096 /dev/urandom >"$work/root/srv/4k.bin"
head -c $((1 << 20)) /dev/urandom >"$work/root/srv/1m.bin"
head -c $((24 << 20)) /dev/urandom >"$work/root/srv/24m.bin"
for i in $(seq 4); do head -c $((4 << 20)) /dev/urandom >"$work/root/srv/4m$i.bin"; done
for i in $(seq 50); do head -c $((i * 997)) /dev/urandom >"$work/root/srv/sub/f$i"; done
(cd "$work/root" && find . | cpio --quiet -o -H newc >"$work/www.cpio") || exit 2

# A free port below the ephemeral range, as tests/net/lib.sh picks them.
port=
for _ in $(seq 100); do
    candidate=$((10000 + RANDOM % 20000))
    if [ -z "$(ss -tan "( sport = :$candidate )" 2>/dev/null | tail -n +2)" ]; then
        port=$candidate
        break
    fi
done
[ -n "$port" ] || { echo "no free port found"; exit 1; }
setsid "$runner" "$@" --net user --forward "tcp:$port:80" --initrd "$work/www.cpio" "$httpd" /srv 80 \
    >"$work/guest.out" 2>"$work/guest.err" &
guest=$!
for _ in $(seq 240); do
    curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/index.html" && break
    kill -0 "$guest" 2>/dev/null || break
    sleep 0.25
done

fail=0
fetch() { # PATH
    if ! curl -s -m 60 -o "$work/got.$2" "http://127.0.0.1:$port/$1" || ! cmp -s "$work/got.$2" "$work/root/srv/$1"; then
        echo "FAIL: /$1 did not arrive byte-exact"
        fail=1
    fi
}
fetch index.html a
fetch 4k.bin b
fetch 1m.bin c
fetch 24m.bin d
# In the background a failure cannot set `fail`: each file is compared again after.
for i in $(seq 4); do fetch "4m$i.bin" "m$i" & done
wait $(jobs -p | grep -v "^$guest$") 2>/dev/null
for i in $(seq 4); do
    cmp -s "$work/got.m$i" "$work/root/srv/4m$i.bin" || { echo "FAIL: 4m$i.bin (in parallel) differs"; fail=1; }
done
for i in $(seq 50); do fetch "sub/f$i" "p$i" & done
wait $(jobs -p | grep -v "^$guest$") 2>/dev/null
for i in $(seq 50); do
    cmp -s "$work/got.p$i" "$work/root/srv/sub/f$i" || { echo "FAIL: sub/f$i (in parallel) differs"; fail=1; }
done
if [ $fail -ne 0 ]; then
    echo "---- guest stdout"; cat "$work/guest.out"; echo "---- guest stderr"; cat "$work/guest.err"
    exit 1
fi
echo "PASS: 4 files (up to 24 MiB), 4 of 4 MiB at once and 50 small ones at once, byte-exact, from httpd under QEMU through --forward tcp:$port:80"
