#!/usr/bin/env bash
# The network under QEMU: examples/httpd in the kernel under eremite-qemu --net user
# --forward (QEMU's user-mode network: virtio-mmio on microvm, a virtio-net PCI function
# with MSI-X on q35 and pc), its files from an --initrd archive; curl on the host fetches
# them through the forwarded port, byte-exact: one after the other (up to 24 MiB), 4 MiB
# ones 4 at once, and 50 small ones at once. Large on purpose: QEMU 7.2's virtio-net
# stops taking frames after a burst of 256 with event indices, and only the driver's
# watch (virtio_net.hpp, watch_transmit) gets a transfer of a few MiB through. The
# kernel's log also says how it reached the device: ACCESS is "ECAM" or "ports" (PCI
# configuration space), or "mmio" (no PCI function).
#
#   net_test.sh EREMITE_QEMU HTTPD ACCESS [RUNNER_OPTIONS...]
set -u
source "$(dirname "$0")/../net/lib.sh"
runner=$1
httpd=$2
access=$3
shift 3
command -v qemu-system-x86_64 >/dev/null || net_skip "qemu-system-x86_64 is not installed"
command -v curl >/dev/null || net_skip "curl is not installed"
command -v cpio >/dev/null || net_skip "cpio is not installed"
# Straight to the server, whatever proxy the environment names.
curl() { command curl --noproxy '*' "$@"; }

root=$net_work/root
mkdir -p "$root/srv/sub"
echo "index" >"$root/srv/index.html"
head -c 4096 /dev/urandom >"$root/srv/4k.bin"
head -c $((1 << 20)) /dev/urandom >"$root/srv/1m.bin"
head -c $((24 << 20)) /dev/urandom >"$root/srv/24m.bin"
for i in $(seq 4); do head -c $((4 << 20)) /dev/urandom >"$root/srv/4m$i.bin"; done
for i in $(seq 50); do head -c $((i * 997)) /dev/urandom >"$root/srv/sub/f$i"; done
(cd "$root" && find . | cpio --quiet -o -H newc >"$net_work/www.cpio") || exit 2

net_parse_arguments auto -- "$runner" "$@" --log debug --net user --forward "tcp:{port}:80" \
    --initrd "$net_work/www.cpio" "$httpd" /srv 80
net_start "^httpd: serving"

case $access in
    mmio) ! grep -q "network: virtio-net at PCI" "$net_work/server.log" ||
        net_fail "the kernel drove a PCI function, not the virtio-mmio device" ;;
    *) grep -q "network: virtio-net at PCI .*(configuration space through $access)" "$net_work/server.log" ||
        net_fail "the kernel did not reach the virtio-net function through $access" ;;
esac

fetch() { # PATH LABEL: byte-exact, or a FAIL line (and a mark for the caller)
    if ! curl -s -m 60 -o "$net_work/got.$2" "http://127.0.0.1:$net_port/$1" ||
        ! cmp -s "$net_work/got.$2" "$root/srv/$1"; then
        echo "FAIL: /$1 did not arrive byte-exact"
        touch "$net_work/failed"
    fi
}
fetch_all() { # PATH...: at once
    local pids=() path
    for path in "$@"; do
        fetch "$path" "${path//\//_}" &
        pids+=($!)
    done
    wait "${pids[@]}"
}
fetch index.html a
fetch 4k.bin b
fetch 1m.bin c
fetch 24m.bin d
fetch_all 4m1.bin 4m2.bin 4m3.bin 4m4.bin
fetch_all $(for i in $(seq 50); do echo "sub/f$i"; done)
[ -e "$net_work/failed" ] && net_fail "not every file arrived byte-exact"
echo "PASS: 4 files (up to 24 MiB), 4 of 4 MiB at once and 50 small ones at once, byte-exact, from httpd under QEMU through --forward tcp:$net_port:80 ($access)"
