#!/usr/bin/env bash
# netbench's client against a netbench server: each mode once with small sizes, two
# clients at once, a client with a bad header that the server must drop while it goes
# on serving, then SIGTERM must stop the server with status 0, and a client must then
# fail with one line.
#
#   netbench_test.sh NETBENCH PORT -- COMMAND...
#
# NETBENCH is the client; COMMAND starts the server, {port} becoming PORT (see
# lib.sh). The server must print "netbench: listening" once it listens.
#
#   netbench_test.sh ./netbench auto -- ./netbench server --port {port}
set -u
net_usage_prefix="NETBENCH "
source "$(dirname "$0")/lib.sh"
netbench=${1:-}
shift
net_parse_arguments "$@"
[ -x "$netbench" ] || net_fail "netbench '$netbench' is not an executable"
net_start "^netbench: listening"

number='[0-9]+(\.[0-9]+)?'
# client EXPECTED_REGEX ARGUMENTS...: runs one client, which must exit 0 and print one
# line matching EXPECTED_REGEX.
client() {
    local expected=$1 out status
    shift
    out=$("$netbench" client "$net_host" "$net_port" "$@" 2>&1)
    status=$?
    [ $status -eq 0 ] || net_fail "client $*: exit status $status: $out"
    [[ "$out" =~ ^$expected$ ]] || net_fail "client $*: printed '$out'"
    echo "$out"
}

client "netbench: mode=rr size=64 count=2000 mean_us=$number p50_us=$number p99_us=$number" --mode rr --count 2000
# Messages bigger than a TCP segment and a socket buffer.
client "netbench: mode=rr size=300000 count=20 mean_us=$number p50_us=$number p99_us=$number" \
    --mode rr --size 300000 --count 20
client "netbench: mode=stream-send bytes=67108864 seconds=$number MBps=$number" --mode stream-send --bytes 64M
client "netbench: mode=stream-recv bytes=67108864 seconds=$number MBps=$number" --mode stream-recv --bytes 64M

# Two clients at once: the server serves each on its own.
client "netbench: mode=stream-send bytes=33554432 seconds=$number MBps=$number" --mode stream-send --bytes 32M \
    >"$net_work/concurrent" &
concurrent=$!
client "netbench: mode=rr size=64 count=1000 mean_us=$number p50_us=$number p99_us=$number" --mode rr --count 1000
wait $concurrent || net_fail "the concurrent stream-send client failed: $(cat "$net_work/concurrent")"

# echo-check's random bytes are not a header: the server drops that client, serves on.
if "$netbench" echo-check "$net_host" "$net_port" --connections 1 --bytes 64 >/dev/null 2>&1; then
    net_fail "a client with a bad header was served"
fi
client "netbench: mode=rr size=64 count=10 mean_us=$number p50_us=$number p99_us=$number" --mode rr --count 10

net_stop
[ "$net_server_status" = "$net_expected_term_status" ] ||
    net_fail "after SIGTERM the server exited with status $net_server_status, expected $net_expected_term_status"

out=$("$netbench" client "$net_host" "$net_port" --mode rr --count 10 2>&1)
status=$?
[ $status -ne 0 ] || net_fail "a client of a stopped server exited 0: $out"
[ "$(wc -l <<<"$out")" -eq 1 ] && [[ "$out" == netbench:* ]] ||
    net_fail "a client of a stopped server printed more or other than one error line: $out"
echo "PASS: rr, stream-send, stream-recv and two clients at once; the server exited 0 on SIGTERM"
