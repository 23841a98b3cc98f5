# Shared by the network tests (sourced). A test gets the server's command line after
# "--", with placeholders such as {port} and {dir} in any argument, so that the same
# test can drive a native server or one inside a VM whose port is forwarded:
#
#   fetch_files.sh auto -- ./httpd {dir} {port}
#   fetch_files.sh 8123 -- ehyve --mount {dir}:/srv --net user --forward tcp:{port}:80 httpd /srv 80
#
# PORT "auto" picks a free port below the ephemeral range (ports in it come and go
# with every outgoing connection), at random so that parallel tests (ctest -j) do not
# meet; should one be taken between the check and the bind, the server is started
# again on another. The work directory and a still-running server are removed at exit.

# Where clients connect: 127.0.0.1 (a native server, or a VM's forwarded port) unless
# NET_HOST names another address (a VM's own address on a TAP network, IPv6 with its
# zone as fe80::1%tap0). net_url_host is the same for a URL ([v6], %25 for the zone).
net_host=${NET_HOST:-127.0.0.1}
net_url_host=$net_host
if [[ $net_host == *:* ]]; then net_url_host="[${net_host//%/%25}]"; fi

net_work=$(mktemp -d "${TMPDIR:-/tmp}/eremite-net.XXXXXX") || exit 2
net_server_pid=
net_server_status=
declare -A net_placeholders=()

net_cleanup() {
    local pids
    pids=$(jobs -pr)
    if [ -n "$net_server_pid" ] && kill -0 "$net_server_pid" 2>/dev/null; then
        kill -TERM "$net_server_pid" 2>/dev/null
        for _ in $(seq 40); do kill -0 "$net_server_pid" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$net_server_pid" 2>/dev/null
    fi
    # Clients left in the background by a failed check.
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    wait 2>/dev/null
    rm -rf "$net_work"
}
trap net_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints the server's output (it explains most failures), then one FAIL line; exits 1.
net_fail() {
    if [ -s "$net_work/server.log" ]; then sed 's/^/  server| /' "$net_work/server.log"; fi
    echo "FAIL: $*"
    exit 1
}

net_skip() {
    echo "SKIPPED: $*"
    exit 77
}

# net_parse_arguments PORT -- COMMAND...: sets net_port_request and net_command.
net_parse_arguments() {
    if [ $# -lt 3 ] || [ "$2" != "--" ]; then
        echo "usage: $(basename "$0") ${net_usage_prefix:-}PORT -- COMMAND... (PORT: a number or auto)" >&2
        exit 2
    fi
    net_port_request=$1
    if [ "$net_port_request" != auto ] && ! [[ "$net_port_request" =~ ^[0-9]+$ && $net_port_request -ge 1 && $net_port_request -le 65535 ]]; then
        echo "$(basename "$0"): bad port '$net_port_request' (a number or auto)" >&2
        exit 2
    fi
    shift 2
    net_command=("$@")
}

net_port_in_use() {
    if command -v ss >/dev/null; then
        [ -n "$(ss -tan "( sport = :$1 )" 2>/dev/null | tail -n +2)" ]
    else
        local hex
        hex=$(printf '%04X' "$1")
        cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '{print $2}' | grep -qi ":$hex\$"
    fi
}

net_pick_port() {
    local low=32768 port
    read -r low _ 2>/dev/null </proc/sys/net/ipv4/ip_local_port_range
    [ "$low" -gt 11000 ] || low=32768
    for _ in $(seq 100); do
        port=$((10000 + RANDOM % (low - 10000)))
        if ! net_port_in_use "$port"; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# net_start READY_PATTERN: starts net_command with its placeholders replaced (net_port
# and net_placeholders), its output in $net_work/server.log, and waits up to 20 s for
# a line matching READY_PATTERN (grep -E). Sets net_port and net_server_pid.
net_start() {
    local ready=$1 attempt argument key args deadline
    for attempt in 1 2 3; do
        if [ "$net_port_request" = auto ]; then
            net_port=$(net_pick_port) || net_fail "no free port found"
        else
            net_port=$net_port_request
        fi
        net_placeholders[port]=$net_port
        args=()
        for argument in "${net_command[@]}"; do
            for key in "${!net_placeholders[@]}"; do
                argument=${argument//"{$key}"/"${net_placeholders[$key]}"}
            done
            args+=("$argument")
        done
        # Created here: the background child opens it only when it gets to run.
        : >"$net_work/server.log"
        "${args[@]}" >"$net_work/server.log" 2>&1 &
        net_server_pid=$!
        deadline=$((SECONDS + 20))
        while [ $SECONDS -lt $deadline ]; do
            if grep -Eq "$ready" "$net_work/server.log"; then return 0; fi
            if ! kill -0 "$net_server_pid" 2>/dev/null; then break; fi
            sleep 0.05
        done
        if kill -0 "$net_server_pid" 2>/dev/null; then
            net_fail "the server did not print '$ready' within 20 s: ${args[*]}"
        fi
        wait "$net_server_pid"
        local status=$?
        net_server_pid=
        # Someone took the port we picked between our check and the server's bind.
        if [ "$net_port_request" = auto ] && grep -q "Address already in use" "$net_work/server.log"; then continue; fi
        net_fail "the server exited with status $status before it was ready: ${args[*]}"
    done
    net_fail "no port could be bound in 3 attempts"
}

# net_wait_exit SECONDS: waits for the server to exit by itself; sets
# net_server_status, or fails if it is still running after SECONDS.
net_wait_exit() {
    local deadline=$((SECONDS + $1))
    while kill -0 "$net_server_pid" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || net_fail "the server was still running $1 s later"
        sleep 0.05
    done
    # bash has reaped it already (kill -0 fails) and keeps its status for wait.
    wait "$net_server_pid"
    net_server_status=$?
    net_server_pid=
}

# net_stop: SIGTERM, then up to 5 s to exit; sets net_server_status.
net_stop() {
    kill -TERM "$net_server_pid" 2>/dev/null
    net_wait_exit 5
}

# The status a server must exit with on SIGTERM: 0 (it handles the signal), or what
# NET_TERM_STATUS says. ehyve ends the VM on SIGTERM with 143, as a shell reports a
# program killed by it: Eremite does not run the guest's signal handlers yet.
net_expected_term_status=${NET_TERM_STATUS:-0}
