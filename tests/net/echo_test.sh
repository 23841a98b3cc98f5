#!/usr/bin/env bash
# An echo server against `netbench echo-check`: first one connection alone, which must
# get its EOF while the server goes on (a server that forgets to close would only give
# it at exit), then 20 connections at once. Each sends 256 KiB of pseudo-random bytes,
# half-closes, and must read the same bytes back, then EOF. NET_CONNECTIONS and
# NET_ECHO_BYTES change the 20 and the 256 KiB.
#
#   echo_test.sh NETBENCH PORT -- COMMAND...
#
# COMMAND starts the server: {port} becomes PORT (see lib.sh) and {connections} the
# number of connections the test makes in all (21). A server given {connections} (as in
# "--max-connections {connections}") must then exit 0 by itself once they have closed;
# any other is stopped with SIGTERM and must exit 0. It must print "echo: listening"
# once it listens.
#
#   echo_test.sh ./netbench auto -- ./echo {port} --max-connections {connections}
set -u
net_usage_prefix="NETBENCH "
source "$(dirname "$0")/lib.sh"
netbench=${1:-}
shift
net_parse_arguments "$@"
[ -x "$netbench" ] || net_fail "netbench '$netbench' is not an executable"
connections=${NET_CONNECTIONS:-20}
bytes=${NET_ECHO_BYTES:-$((256 * 1024))}

exits_by_itself=false
[[ "${net_command[*]}" == *"{connections}"* ]] && exits_by_itself=true
net_placeholders[connections]=$((connections + 1))
net_start "^echo: listening"

# check N: N connections at once through echo-check, which must succeed.
check() {
    local out status
    out=$("$netbench" echo-check "$net_host" "$net_port" --connections "$1" --bytes $bytes 2>&1)
    status=$?
    [ $status -eq 0 ] || net_fail "echo-check with $1 connection(s) exited with $status: $out"
    [[ "$out" =~ ^netbench:\ mode=echo-check\ connections=$1\ bytes=$bytes\ seconds= ]] ||
        net_fail "echo-check with $1 connection(s) printed '$out'"
}
check 1
check $connections

if $exits_by_itself; then
    net_wait_exit 5
    how="by itself after $((connections + 1)) connections"
else
    net_stop
    how="on SIGTERM"
fi
expected=0
$exits_by_itself || expected=$net_expected_term_status
[ "$net_server_status" = "$expected" ] || net_fail "the server exited with status $net_server_status ($how), expected $expected"
echo "PASS: 1, then $connections concurrent connections echoed $bytes bytes each; the server exited 0 $how"
