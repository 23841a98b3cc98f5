#!/usr/bin/env bash
# UDP request/response both ways between host and guest, with tests/net/src/udp_echo.c
# on both sides: first the guest's client against a server on the host, then the host's
# client against a server in the guest.
#
#   udp_test.sh UDP_ECHO GUEST_SEES_HOST_AS GUEST_ADDRESS PORT -- CLIENT_VM... -- SERVER_VM...
#
# CLIENT_VM and SERVER_VM run a program in the guest (the udp_echo arguments are
# appended), with {port} replaced, e.g. `ehyve --net user` and `ehyve --net user
# --forward udp:{port}:{port}`. The guest reaches the host's server as
# GUEST_SEES_HOST_AS (10.0.2.2 for user-mode networking, which is the host's 127.0.0.1),
# and the host reaches the guest's server at GUEST_ADDRESS (127.0.0.1 through a
# forwarded port).
set -u
net_usage_prefix="UDP_ECHO GUEST_SEES_HOST_AS GUEST_ADDRESS "
source "$(dirname "$0")/lib.sh"
udp_echo=${1:-}
host_as_seen=${2:-}
guest_address=${3:-}
shift 3
net_parse_arguments "$@"
[ -x "$udp_echo" ] || net_fail "udp_echo '$udp_echo' is not an executable"
count=200
size=1200
client_vm=()
server_vm=()
seen_separator=false
for argument in "${net_command[@]}"; do
    if [ "$argument" = -- ] && ! $seen_separator; then
        seen_separator=true
    elif $seen_separator; then
        server_vm+=("$argument")
    else
        client_vm+=("$argument")
    fi
done
[ ${#server_vm[@]} -gt 0 ] || net_fail "give CLIENT_VM... -- SERVER_VM..."

# 1. The guest's client, the host's server.
net_command=("$udp_echo" server {port} $count)
net_start "^udp_echo: listening"
args=()
for argument in "${client_vm[@]}"; do args+=("${argument//"{port}"/$net_port}"); done
out=$(timeout 60 "${args[@]}" "$udp_echo" client "$host_as_seen" "$net_port" $count $size 2>&1)
status=$?
[ $status -eq 0 ] || net_fail "the guest's client exited with $status: $out"
net_wait_exit 5
[ "$net_server_status" = 0 ] || net_fail "the host's server exited with $net_server_status"
echo "  guest to host: $(grep '^udp_echo:' <<<"$out")"

# 2. The host's client, the guest's server.
net_command=("${server_vm[@]}" "$udp_echo" server {port} $count)
net_start "^udp_echo: listening"
out=$(timeout 60 "$udp_echo" client "$guest_address" "$net_port" $count $size 2>&1)
status=$?
[ $status -eq 0 ] || net_fail "the host's client exited with $status: $out"
net_wait_exit 10
[ "$net_server_status" = 0 ] || net_fail "the guest's server exited with $net_server_status"
echo "  host to guest: $(grep '^udp_echo:' <<<"$out")"
echo "PASS: $count datagrams of $size bytes each way"
