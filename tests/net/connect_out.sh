#!/usr/bin/env bash
# A client in the guest connects out to a server on the host: netbench's server runs
# natively, netbench's client in the guest does request/response, then streams both
# ways; each must succeed.
#
#   connect_out.sh NETBENCH HOST_ADDRESS PORT -- COMMAND...
#
# The native server listens on HOST_ADDRESS (127.0.0.1 for user-mode networking, whose
# guest reaches it as 10.0.2.2; the TAP side's address otherwise). COMMAND runs the
# guest's client: {port} becomes the server's port and {mode} the netbench mode, e.g.
#   ehyve --net user netbench client 10.0.2.2 {port} --mode {mode} --bytes 8M --count 200
set -u
net_usage_prefix="NETBENCH HOST_ADDRESS "
source "$(dirname "$0")/lib.sh"
netbench=${1:-}
address=${2:-}
shift 2
net_parse_arguments "$@"
[ -x "$netbench" ] || net_fail "netbench '$netbench' is not an executable"

guest_command=("${net_command[@]}")
net_command=("$netbench" server --port {port} --address "$address")
net_start "^netbench: listening"

for mode in rr stream-send stream-recv; do
    args=()
    for argument in "${guest_command[@]}"; do
        argument=${argument//"{port}"/$net_port}
        args+=("${argument//"{mode}"/$mode}")
    done
    out=$(timeout 60 "${args[@]}" 2>&1)
    status=$?
    [ $status -eq 0 ] || net_fail "the guest's netbench client (--mode $mode) exited with $status: $out"
    line=$(grep "^netbench: mode=$mode" <<<"$out") || net_fail "the guest's client printed no result: $out"
    echo "  $line"
    # With ehyve --stats: every frame the guest sent came as one indirect table (header
    # and frame), which is how the kernel's driver transmits when the device offers it.
    stats=$(grep -E "^  network \(" <<<"$out")
    if [[ " ${guest_command[*]} " == *" --stats "* ]] && [ -z "$stats" ]; then
        net_fail "ehyve --stats printed no network line: $out"
    fi
    if [ -n "$stats" ]; then
        sent=$(sed -n 's/.* \([0-9]*\) out (\([0-9]*\) through indirect tables).*/\1 \2/p' <<<"$stats")
        read -r out_frames indirect_frames <<<"$sent"
        [ -n "${indirect_frames:-}" ] && [ "$out_frames" -gt 0 ] && [ "$indirect_frames" -eq "$out_frames" ] ||
            net_fail "not every frame out came through an indirect table: $stats"
        echo "  $stats"
    fi
done
net_stop
echo "PASS: the guest connected out to $address:$net_port: request/response and streams both ways"
