#!/usr/bin/env bash
# A guest without --net has only its loopback interface: a connection or a datagram to
# anywhere else must fail at once with ENETUNREACH, never hang. The oracle is Linux with
# the same interfaces: the program runs natively in a fresh network namespace whose only
# interface is lo (when we are root), and in ehyve; the outputs must match.
#
#   unreachable_test.sh PROGRAM -- EHYVE...
set -u
program=$1
shift 2
guest=$(timeout 20 "$@" "$program" 2>&1)
status=$?
[ $status -eq 0 ] || { echo "FAIL: the guest run exited with $status: $guest"; exit 1; }
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null; then
    namespace=eremite-unreachable-$$
    trap 'ip netns delete "$namespace" 2>/dev/null' EXIT
    ip netns add "$namespace" && ip -n "$namespace" link set lo up || { echo "FAIL: no network namespace"; exit 1; }
    native=$(timeout 20 ip netns exec "$namespace" "$program" 2>&1)
    oracle="Linux with only lo"
else
    # Without root: what Linux printed there (tests/net/unreachable.expected).
    native=$(cat "$(dirname "$0")/unreachable.expected")
    oracle="tests/net/unreachable.expected (recorded from Linux with only lo)"
fi
if [ "$guest" != "$native" ]; then
    echo "FAIL: the guest differs from $oracle"
    diff <(echo "$native") <(echo "$guest")
    exit 1
fi
echo "$guest"
echo "PASS: as $oracle"
