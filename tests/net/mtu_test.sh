#!/usr/bin/env bash
# The device's MTU (ehyve --stats names it): a TAP device's own unless --mtu says
# otherwise, 9000 for --net user. Run inside tap_netns.sh --mtu 9000.
#
#   tap_netns.sh --mtu 9000 -- mtu_test.sh TAP EHYVE PROGRAM
set -u
tap=$1
ehyve=$2
program=$3
fail() {
    echo "FAIL: $*"
    exit 1
}
# expect_mtu MTU ARGS...: ehyve ARGS... runs PROGRAM; --stats must report MTU.
expect_mtu() {
    local mtu=$1 out
    shift
    out=$(timeout 30 "$ehyve" --stats "$@" "$program" /etc/hostname 2>&1) || fail "ehyve $*: $out"
    grep -Eq "^  network \([^,]*, MTU $mtu\):" <<<"$out" || fail "ehyve $*: no 'MTU $mtu' in: $(grep network <<<"$out")"
    echo "ehyve $*: MTU $mtu"
}
expect_mtu 9000 --net "tap:$tap" --ip 10.77.0.2/24
expect_mtu 1500 --net "tap:$tap" --ip 10.77.0.2/24 --mtu 1500
expect_mtu 9000 --net user
expect_mtu 1500 --net user --mtu 1500
echo PASS
