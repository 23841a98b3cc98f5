#!/usr/bin/env bash
# /etc/hosts and /etc/resolv.conf follow the network's configuration: with --net user,
# DHCP's address (10.0.2.15) carries the host name and DHCP's name server (10.0.2.3) is
# in resolv.conf; with a static --ip and --dns (on a TAP device, when root), those.
#
#   etc_files_test.sh EHYVE SHOW_FILES
set -u
ehyve=$1
show=$2
fail() {
    echo "FAIL: $*"
    exit 1
}
# expect OUTPUT PATTERN...: every pattern (grep -E) matches a line of OUTPUT.
expect() {
    local out=$1
    shift
    for pattern in "$@"; do grep -Eq "$pattern" <<<"$out" || fail "no line matches '$pattern' in:"$'\n'"$out"; done
}

out=$(timeout 30 "$ehyve" --net user "$show" /etc/hosts /etc/resolv.conf 2>&1) || fail "--net user: $out"
expect "$out" $'^10\\.0\\.2\\.15\teremite$' '^nameserver 10\.0\.2\.3$' $'^127\\.0\\.0\\.1\tlocalhost$'
echo "--net user: DHCP's address and name server"

out=$(timeout 30 "$ehyve" "$show" /etc/hosts /etc/resolv.conf 2>&1) || fail "no --net: $out"
expect "$out" $'^127\\.0\\.1\\.1\teremite$' '^nameserver 127\.0\.0\.1$'
echo "no --net: the host name on 127.0.1.1, no name server"

if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null; then
    namespace=eremite-etc-$$
    trap 'ip netns delete "$namespace" 2>/dev/null' EXIT
    ip netns add "$namespace" && ip -n "$namespace" tuntap add dev etc$$ mode tap || fail "no TAP device"
    out=$(timeout 30 ip netns exec "$namespace" "$ehyve" --net tap:etc$$ --ip 192.168.77.9/24 \
        --gateway 192.168.77.1 --dns 192.168.77.53 "$show" /etc/hosts /etc/resolv.conf 2>&1) || fail "--net tap: $out"
    expect "$out" $'^192\\.168\\.77\\.9\teremite$' '^nameserver 192\.168\.77\.53$'
    echo "--net tap with --ip and --dns: those"
fi
echo PASS
