#!/usr/bin/env bash
# Runs a network test on a TAP device of its own: makes a network namespace with a TAP
# device (host side 10.77.0.1/24 and fd77::1/64; the guest is expected at 10.77.0.2 with
# the MAC 02:00:00:77:00:02, so its IPv6 link-local address is fe80::ff:fe77:2), runs
# COMMAND inside it with {tap} replaced by the device's name, and removes the namespace
# (and with it the device) however it ends. Needs root and /dev/net/tun; otherwise the
# test is skipped (status 77).
#
#   tap_netns.sh [--ipv6] [--mtu BYTES] -- COMMAND...
#
# NET_HOST is exported for COMMAND: the guest's address (its link-local one with
# --ipv6), and NET_GUEST_GATEWAY the host side's (what the guest connects out to).
set -u
ipv6=false
mtu=1500
while true; do
    case "${1:-}" in
        --ipv6) ipv6=true; shift ;;
        --mtu) mtu=$2; shift 2 ;;
        *) break ;;
    esac
done
[ "${1:-}" = -- ] || {
    echo "usage: $(basename "$0") [--ipv6] [--mtu BYTES] -- COMMAND..." >&2
    exit 2
}
shift
[ "$(id -u)" -eq 0 ] || { echo "SKIPPED: a network namespace and a TAP device need root"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIPPED: no /dev/net/tun"; exit 77; }
command -v ip >/dev/null || { echo "SKIPPED: ip (iproute2) is not installed"; exit 77; }

namespace=eremite-net-$$
tap=etap$$
cleanup() { ip netns delete "$namespace" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ip netns add "$namespace" || { echo "FAIL: cannot make network namespace $namespace"; exit 1; }
in_namespace() { ip netns exec "$namespace" "$@"; }
in_namespace ip link set lo up &&
    in_namespace ip tuntap add dev "$tap" mode tap &&
    # The host side's own link-local address is usable at once (no duplicate address
    # detection on a link with one other node), so IPv6 tests time only the guest's.
    in_namespace sysctl -qw "net.ipv6.conf.$tap.accept_dad=0" &&
    in_namespace ip addr add 10.77.0.1/24 dev "$tap" &&
    in_namespace ip addr add fd77::1/64 dev "$tap" nodad &&
    in_namespace ip link set "$tap" mtu "$mtu" up || { echo "FAIL: cannot set up TAP device $tap"; exit 1; }

args=()
for argument in "$@"; do args+=("${argument//\{tap\}/$tap}"); done
export NET_GUEST_GATEWAY=10.77.0.1
if $ipv6; then export NET_HOST="fe80::ff:fe77:2%$tap"; else export NET_HOST=10.77.0.2; fi
in_namespace "${args[@]}"
