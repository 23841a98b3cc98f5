#!/usr/bin/env bash
# The guest answers ping (ICMP and ICMPv6 echo) while its program runs: run inside
# tap_netns.sh, which gives the guest 10.77.0.2 and fe80::ff:fe77:2 on {tap}.
#
#   tap_netns.sh -- ping_test.sh TAP -- EHYVE...
#
# EHYVE... runs a program that prints a line once it runs, then waits (it is stopped with
# SIGTERM at the end).
set -u
tap=$1
shift 2
command -v ping >/dev/null || { echo "SKIPPED: ping (iputils-ping) is not installed"; exit 77; }
log=$(mktemp)
"$@" >"$log" 2>&1 &
vm=$!
trap 'kill -TERM $vm 2>/dev/null; wait $vm 2>/dev/null; rm -f "$log"' EXIT
fail() {
    echo "FAIL: $*"
    sed 's/^/  vm| /' "$log"
    exit 1
}
for _ in $(seq 200); do
    [ -s "$log" ] && break
    kill -0 $vm 2>/dev/null || fail "the VM ended"
    sleep 0.05
done
[ -s "$log" ] || fail "the guest's program did not start within 10 s"
# The guest's IPv4 address works at once; its link-local IPv6 address after duplicate
# address detection (about a second), so the first IPv6 echoes may go unanswered.
ping -c 3 -i 0.2 -W 2 10.77.0.2 >"$log.ping" 2>&1 || fail "no answer to ping 10.77.0.2: $(tail -2 "$log.ping")"
grep -E "3 received" "$log.ping" || fail "ping 10.77.0.2: $(tail -2 "$log.ping")"
ping -6 -c 3 -i 0.5 -w 10 "fe80::ff:fe77:2%$tap" >"$log.ping" 2>&1 || fail "no answer to ping -6: $(tail -2 "$log.ping")"
grep -E "[1-9] received" "$log.ping" || fail "ping -6: $(tail -2 "$log.ping")"
rm -f "$log.ping"
echo PASS
