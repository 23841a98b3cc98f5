#!/usr/bin/env bash
# Eremite's network device against the host's own network, side by side in one run:
# TCP throughput both ways, 64-byte request/response latency and HTTP requests per
# second; prints one markdown report on stdout (progress goes to stderr).
#
#   bench/net/device.sh BUILD_DIR              e.g.  bench/net/device.sh build
#
# Build first (cmake --build BUILD_DIR): it runs BUILD_DIR/bin/ehyve and the examples
# BUILD_DIR/examples/netbench and BUILD_DIR/examples/httpd, and wrk (HTTP load; the
# HTTP rows are skipped without it). The configurations, each running the same server:
#
#   native loopback    the server natively on the host, the client on 127.0.0.1
#   native veth        (root) the server natively in a second network namespace, the
#                      client in the first, over a veth pair (10.78.0.1 -> 10.78.0.2)
#   Eremite TAP        (root) the server in `ehyve --cpus 2 --net tap:...` at 10.77.0.2
#                      on a TAP device in a network namespace (host side 10.77.0.1,
#                      as tests/net/tap_netns.sh), the client natively in that namespace
#   Eremite TAP, guest as client
#                      (root) netbench's server natively at 10.77.0.1, its client in
#                      the guest
#   Eremite user       the server in `ehyve --cpus 2 --net user --forward tcp:P:...`,
#                      the client natively on 127.0.0.1:P
#   Eremite user, guest as client
#                      netbench's server natively on 127.0.0.1, its client in
#                      `ehyve --net user` connecting to 10.0.2.2
#   Linux guest        a Linux guest under QEMU/KVM with virtio-net: not run yet (the
#                      report says why)
#
# Every measurement starts a server of its own and stops it afterwards (SIGTERM; ehyve
# then exits 143), so the `ehyve --stats` network counters of each Eremite run are that
# measurement's alone. Without root the namespace rows say "skipped (needs root)";
# without a usable /dev/kvm the Eremite rows are skipped. A run that fails (a server
# that does not start or exits wrongly, a client that fails or prints no result) is
# reported in its cells and under "Errors", the other runs still happen, and the script
# exits 1 at the end. Servers, clients, namespaces and the scratch directory are removed
# however the script ends. The whole run takes about a minute on a 2-core machine.
# Each client run is stopped after EREMITE_BENCH_TIMEOUT seconds (default 60).
set -u

source "$(dirname "$0")/../lib.sh"

if [[ $# -ne 1 ]]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
build=${1%/}
ehyve=$build/bin/ehyve
floor=$build/bin/bare-kvm-floor # probe_kvm's most direct test of /dev/kvm
netbench=$build/examples/netbench
httpd=$build/examples/httpd
for program in "$ehyve" "$netbench" "$httpd"; do
    if [[ ! -x $program ]]; then
        echo "$0: $program not found; build first (cmake --build $build)" >&2
        exit 1
    fi
done
wrk=$(command -v wrk || true)

run_timeout=${EREMITE_BENCH_TIMEOUT:-60} # seconds per client run
stream_bytes=256M
rr_size=64
rr_count=20000
wrk_threads=2
wrk_connections=32
wrk_seconds=5
guest_cpus=2

# ---------------------------------------------------------------- clean-up
tmp=$(mktemp -d "${TMPDIR:-/tmp}/eremite-bench-net-device.XXXXXX") || exit 1
server_pid=""
client_pid=""
namespaces=()
stop_process() { # PID: SIGTERM, up to 5 s, then SIGKILL
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
cleanup() {
    [[ -n $client_pid ]] && stop_process "$client_pid"
    [[ -n $server_pid ]] && stop_process "$server_pid"
    local namespace
    for namespace in "${namespaces[@]}"; do ip netns delete "$namespace" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- the machine
describe_machine
probe_kvm

declare -A run_state    # key -> ok | failed | skipped
declare -A skip_reason  # config -> why its runs are skipped (empty: they run)
declare -A server_cmd   # key -> the server's command, for the report
declare -A client_cmd   # key -> the client's command
declare -A net_counters # key -> "to_guest from_guest interrupts wakeups" (ehyve --stats)
declare -A tap_drops    # key -> "host_to_guest guest_to_host" frames dropped at the TAP
run_order=()

configs=(lo veth tap tapc user userc)
declare -A config_label=(
    [lo]="native, loopback 127.0.0.1"
    [veth]="native, veth between two namespaces"
    [tap]="Eremite, TAP (server in the guest)"
    [tapc]="Eremite, TAP (guest as client)"
    [user]="Eremite, --net user (server in the guest, forwarded port)"
    [userc]="Eremite, --net user (guest as client to 10.0.2.2)"
    [tapmem]="Eremite, TAP, files in the guest's memory (--initrd)"
    [usermem]="Eremite, --net user, files in the guest's memory (--initrd)"
)
# Where the server runs: the guest or (natively) where a guest would be. Throughput
# "guest to host" is then the client's stream-recv; for the guest-as-client rows it is
# the client's stream-send.
declare -A guest_is_client=([tapc]=1 [userc]=1)

if ((EUID != 0)); then
    root_skip="needs root"
elif [[ ! -c /dev/net/tun ]]; then
    root_skip="no /dev/net/tun"
elif ! command -v ip >/dev/null 2>&1; then
    root_skip="ip (iproute2) not installed"
else
    root_skip=""
fi
kvm_skip_short=""
[[ -n $kvm_skip ]] && kvm_skip_short="no usable /dev/kvm"
skip_reason[lo]=""
skip_reason[veth]=$root_skip
skip_reason[tap]=${root_skip:-$kvm_skip_short}
skip_reason[tapc]=${root_skip:-$kvm_skip_short}
skip_reason[user]=$kvm_skip_short
skip_reason[userc]=$kvm_skip_short
skip_reason[tapmem]=${root_skip:-$kvm_skip_short}
skip_reason[usermem]=$kvm_skip_short

# The Linux guest under QEMU/KVM: only looked for. Its image (a kernel, an initrd with
# netbench and httpd, virtio-net on a TAP) is not built by this script.
qemu=$(command -v qemu-system-x86_64 || true)
linux_kernels=$(ls /boot/vmlinuz-* 2>/dev/null | head -n 1)
qemu_reasons=()
[[ -z $qemu ]] && qemu_reasons+=("qemu-system-x86_64 is not installed")
[[ -z $linux_kernels ]] && qemu_reasons+=("there is no Linux kernel image in /boot")
if [[ -n $qemu && -n $linux_kernels ]]; then
    qemu_reasons+=("this script does not build a Linux guest image with netbench and httpd yet ($qemu, $linux_kernels)")
fi
[[ $kvm_pvm == yes ]] && qemu_reasons+=("/dev/kvm is kvm-pvm, under which a stock Linux guest is not expected to run in QEMU/KVM")
qemu_short="not run: ${qemu_reasons[0]}"
qemu_reason=$(IFS=';'; echo "${qemu_reasons[*]}" | sed 's/;/; /g')

# ---------------------------------------------------------------- namespaces
# ns_client holds the TAP device (10.77.0.1/24, the guest at 10.77.0.2) and one end of
# the veth pair (10.78.0.1/24); ns_server the other end (10.78.0.2/24). Every client of
# the TAP and veth rows runs in ns_client.
ns_client=eremite-bench-$$
ns_server=eremite-bench-$$-server
tap=ebtap$$
veth_client=ebvc$$
veth_server=ebvs$$
set_up_namespaces() {
    ip netns add "$ns_client" || return 1
    namespaces+=("$ns_client")
    ip netns add "$ns_server" || return 1
    namespaces+=("$ns_server")
    ip -n "$ns_client" link set lo up &&
        ip -n "$ns_server" link set lo up &&
        ip -n "$ns_client" tuntap add dev "$tap" mode tap &&
        ip -n "$ns_client" addr add 10.77.0.1/24 dev "$tap" &&
        ip -n "$ns_client" link set "$tap" up &&
        ip -n "$ns_client" link add "$veth_client" type veth peer name "$veth_server" netns "$ns_server" &&
        ip -n "$ns_client" addr add 10.78.0.1/24 dev "$veth_client" &&
        ip -n "$ns_server" addr add 10.78.0.2/24 dev "$veth_server" &&
        ip -n "$ns_client" link set "$veth_client" up &&
        ip -n "$ns_server" link set "$veth_server" up
}
if [[ -z $root_skip ]] && ! set_up_namespaces 2>"$tmp/namespaces.err"; then
    add_error "setting up the network namespaces failed" "$(cat "$tmp/namespaces.err")"
    for config in veth tap tapc tapmem; do skip_reason[$config]="namespace set-up failed"; done
fi

tap_counter() { # NAME: a statistics counter of the TAP device (its host side)
    ip netns exec "$ns_client" cat "/sys/class/net/$tap/statistics/$1" 2>/dev/null || echo 0
}

# ---------------------------------------------------------------- ports and files
# A free port below the ephemeral range, for servers in the host's own namespace; those
# in the private namespaces use fixed ports.
port_in_use() {
    if command -v ss >/dev/null 2>&1; then
        [[ -n $(ss -tanH "( sport = :$1 )" 2>/dev/null) ]]
    else
        local hex
        hex=$(printf '%04X' "$1")
        awk '{ print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -qi ":$hex\$"
    fi
}
pick_port() {
    local low=32768 port
    read -r low _ 2>/dev/null </proc/sys/net/ipv4/ip_local_port_range
    ((low > 11000)) || low=32768
    for _ in $(seq 100); do
        port=$((10000 + RANDOM % (low - 10000)))
        if ! port_in_use "$port"; then
            echo "$port"
            return 0
        fi
    done
    echo 5201
}

www=$tmp/www
mkdir -p "$www"
head -c 4096 /dev/urandom >"$www/4k.bin"
head -c 1048576 /dev/urandom >"$www/1m.bin"
# The same files as the guest's own in-memory root (/srv), to tell the network's cost
# from that of --mount (each open, read and close of a host file is a VM exit).
mkdir -p "$tmp/root/srv"
cp "$www/4k.bin" "$www/1m.bin" "$tmp/root/srv/"
(cd "$tmp/root" && find . | cpio -o -H newc 2>/dev/null) >"$tmp/www.cpio"

# ---------------------------------------------------------------- one measurement
# commands CONFIG TEST: server and client (arrays, {port} for a port picked at run time)
# and ready (what the server prints once it listens).
commands() {
    local config=$1 test=$2 mode_args=() file="" wrk_cmd
    case $test in
        send) mode_args=(--mode stream-send --bytes "$stream_bytes") ;;
        recv) mode_args=(--mode stream-recv --bytes "$stream_bytes") ;;
        rr) mode_args=(--mode rr --size "$rr_size" --count "$rr_count") ;;
        http4k) file=4k.bin ;;
        http1m) file=1m.bin ;;
    esac
    wrk_cmd=("$wrk" "-t$wrk_threads" "-c$wrk_connections" "-d${wrk_seconds}s")
    local in_client=(ip netns exec "$ns_client") in_server=(ip netns exec "$ns_server")
    local tap_vm=("$ehyve" --cpus "$guest_cpus" --stats --net "tap:$tap" --ip 10.77.0.2/24 --gateway 10.77.0.1
        --mac 02:00:00:77:00:02)
    local user_vm=("$ehyve" --cpus "$guest_cpus" --stats --net user)
    ready="^netbench: listening"
    [[ -n $file ]] && ready="^httpd: serving"
    case $config.${file:+http} in
        lo.)
            server=("$netbench" server --port "{port}" --address 127.0.0.1)
            client=("$netbench" client 127.0.0.1 "{port}" "${mode_args[@]}") ;;
        lo.http)
            server=("$httpd" "$www" "{port}" 127.0.0.1)
            client=("${wrk_cmd[@]}" "http://127.0.0.1:{port}/$file") ;;
        veth.)
            server=("${in_server[@]}" "$netbench" server --port 5201 --address 10.78.0.2)
            client=("${in_client[@]}" "$netbench" client 10.78.0.2 5201 "${mode_args[@]}") ;;
        veth.http)
            server=("${in_server[@]}" "$httpd" "$www" 80 10.78.0.2)
            client=("${in_client[@]}" "${wrk_cmd[@]}" "http://10.78.0.2:80/$file") ;;
        tap.)
            server=("${in_client[@]}" "${tap_vm[@]}" "$netbench" server --port 5201)
            client=("${in_client[@]}" "$netbench" client 10.77.0.2 5201 "${mode_args[@]}") ;;
        tap.http)
            server=("${in_client[@]}" "${tap_vm[@]}" --mount "$www:/srv:ro" "$httpd" /srv 80)
            client=("${in_client[@]}" "${wrk_cmd[@]}" "http://10.77.0.2:80/$file") ;;
        tapmem.http)
            server=("${in_client[@]}" "${tap_vm[@]}" --initrd "$tmp/www.cpio" "$httpd" /srv 80)
            client=("${in_client[@]}" "${wrk_cmd[@]}" "http://10.77.0.2:80/$file") ;;
        usermem.http)
            server=("${user_vm[@]}" --forward "tcp:{port}:80" --initrd "$tmp/www.cpio" "$httpd" /srv 80)
            client=("${wrk_cmd[@]}" "http://127.0.0.1:{port}/$file") ;;
        tapc.)
            server=("${in_client[@]}" "$netbench" server --port 5201 --address 10.77.0.1)
            client=("${in_client[@]}" "${tap_vm[@]}" "$netbench" client 10.77.0.1 5201 "${mode_args[@]}") ;;
        user.)
            server=("${user_vm[@]}" --forward "tcp:{port}:5201" "$netbench" server --port 5201)
            client=("$netbench" client 127.0.0.1 "{port}" "${mode_args[@]}") ;;
        user.http)
            server=("${user_vm[@]}" --forward "tcp:{port}:80" --mount "$www:/srv:ro" "$httpd" /srv 80)
            client=("${wrk_cmd[@]}" "http://127.0.0.1:{port}/$file") ;;
        userc.)
            server=("$netbench" server --port "{port}" --address 127.0.0.1)
            client=("${user_vm[@]}" "$netbench" client 10.0.2.2 "{port}" "${mode_args[@]}") ;;
        *) echo "$0: no $test for $config" >&2; exit 2 ;;
    esac
}

# start_server KEY: starts "${server[@]}" with its output in $tmp/KEY.server.{out,err}
# and waits up to 20 s for $ready. Sets server_pid; start_problem is "port" when the
# server could not bind (try another port), else the failure's description.
start_server() {
    local key=$1 deadline
    start_problem=""
    : >"$tmp/$key.server.out"
    : >"$tmp/$key.server.err"
    echo "starting: ${server[*]}" >&2
    "${server[@]}" >"$tmp/$key.server.out" 2>"$tmp/$key.server.err" </dev/null &
    server_pid=$!
    deadline=$((SECONDS + 20))
    while ((SECONDS < deadline)); do
        grep -Eq "$ready" "$tmp/$key.server.out" "$tmp/$key.server.err" 2>/dev/null && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    local status=timeout
    if kill -0 "$server_pid" 2>/dev/null; then
        stop_process "$server_pid"
    else
        wait "$server_pid"
        status=$?
    fi
    server_pid=""
    if grep -q "Address already in use" "$tmp/$key.server.err" "$tmp/$key.server.out"; then
        start_problem=port
        return 1
    fi
    start_problem="server: ${server[*]}"$'\n'
    if [[ $status == timeout ]]; then
        start_problem+="it did not print '$ready' within 20 s"
    else
        start_problem+="it exited with status $status before it was ready"
    fi
    start_problem+=$'\n'"stdout (last 10 lines):"$'\n'"$(tail -n 10 "$tmp/$key.server.out")"
    start_problem+=$'\n'"stderr (last 20 lines):"$'\n'"$(tail -n 20 "$tmp/$key.server.err")"
    return 1
}

# stop_server KEY: SIGTERM; a native server exits 0, ehyve 143 (its guest's handlers do
# not run yet); anything else is an error.
stop_server() {
    local key=$1 status
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=""
        run_state[$key]=failed
        add_error "$key: the server did not stop within 5 s of SIGTERM" "server: ${server_cmd[$key]}"
        return
    fi
    wait "$server_pid"
    status=$?
    server_pid=""
    if ((status != 0 && status != 143)); then
        run_state[$key]=failed
        local detail="server: ${server_cmd[$key]}"$'\n'"exit status: $status"
        grep -qi 'kernel panic' "$tmp/$key.server.err" && detail+=$'\n'"the guest kernel panicked (a kernel bug)"
        detail+=$'\n'"stderr (last 20 lines):"$'\n'"$(tail -n 20 "$tmp/$key.server.err")"
        add_error "$key: the server exited with status $status" "$detail"
    fi
}

# run_client KEY: runs "${client[@]}" bounded by $run_timeout seconds, its output in
# $tmp/KEY.{out,err}; in the background, so that a signal to this script is handled at
# once. Sets run_state[KEY].
run_client() {
    local key=$1 rc
    echo "running: ${client[*]}" >&2
    timeout -k 5 "$run_timeout" "${client[@]}" >"$tmp/$key.out" 2>"$tmp/$key.err" </dev/null &
    client_pid=$!
    wait "$client_pid"
    rc=$?
    client_pid=""
    if ((rc == 0)); then
        run_state[$key]=ok
        return
    fi
    run_state[$key]=failed
    local detail="client: ${client_cmd[$key]}"$'\n'"server: ${server_cmd[$key]}"$'\n'"exit status: $rc"
    if ((rc == 124 || rc == 137)); then
        detail+=" (timed out after ${run_timeout} s)"
    elif ((rc == 125)); then
        detail+=" (125: ehyve could not run the VM)"
    elif ((rc == 126)); then
        detail+=" (126: the guest kernel failed)"
    fi
    grep -qi 'kernel panic' "$tmp/$key.err" "$tmp/$key.server.err" 2>/dev/null &&
        detail+=$'\n'"the guest kernel panicked (a kernel bug)"
    [[ -s $tmp/$key.out ]] && detail+=$'\n'"stdout (last 10 lines):"$'\n'"$(tail -n 10 "$tmp/$key.out")"
    [[ -s $tmp/$key.err ]] && detail+=$'\n'"stderr (last 20 lines):"$'\n'"$(tail -n 20 "$tmp/$key.err")"
    [[ -s $tmp/$key.server.err ]] &&
        detail+=$'\n'"server stderr (last 20 lines):"$'\n'"$(tail -n 20 "$tmp/$key.server.err")"
    add_error "$key failed" "$detail"
}

# The client's results, once it succeeded (empty when missing).
netbench_value() { # KEY FIELD
    sed -n "s/^netbench: mode=.* $2=\\([0-9.]*\\).*/\\1/p" "$tmp/$1.out" | tail -n 1
}
wrk_rps() { # KEY
    sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' "$tmp/$1.out" | tail -n 1
}
wrk_latency() { # KEY -> "AVG / MAX" of wrk's latency line
    awk '$1 == "Latency" { print $2 " / " $4; exit }' "$tmp/$1.out"
}
wrk_errors() { # KEY -> "none" or what wrk counted
    local socket non2xx text=""
    socket=$(sed -n 's/^[[:space:]]*Socket errors:[[:space:]]*//p' "$tmp/$1.out")
    non2xx=$(sed -n 's/^[[:space:]]*Non-2xx or 3xx responses:[[:space:]]*//p' "$tmp/$1.out")
    # "connect 0, read 0, write 0, timeout 4": only the counts that are not 0.
    socket=$(tr ',' '\n' <<<"$socket" | awk 'NF == 2 && $2 != 0 { printf "%s%s %s", sep, $1, $2; sep = ", " }')
    [[ -n $socket ]] && text="socket errors: $socket"
    [[ -n $non2xx ]] && text+="${text:+; }$non2xx non-2xx/3xx responses"
    echo "${text:-none}"
}

# measure CONFIG TEST: one measurement, with a server of its own.
measure() {
    local config=$1 test=$2 key=$1.$2 attempt port use_port=false
    run_order+=("$key")
    if [[ -n ${skip_reason[$config]} ]]; then
        run_state[$key]=skipped
        return
    fi
    if [[ $test == http* && -z $wrk ]]; then
        run_state[$key]=skipped
        return
    fi
    commands "$config" "$test"
    [[ "${server[*]} ${client[*]}" == *"{port}"* ]] && use_port=true
    local template_server=("${server[@]}") template_client=("${client[@]}")
    for attempt in 1 2 3; do
        port=5201
        $use_port && port=$(pick_port)
        server=("${template_server[@]//"{port}"/$port}")
        client=("${template_client[@]//"{port}"/$port}")
        server_cmd[$key]="${server[*]}"
        client_cmd[$key]="${client[*]}"
        start_server "$key" && break
        # Someone took the port between our check and the server's bind.
        [[ $start_problem == port ]] && $use_port && ((attempt < 3)) && continue
        [[ $start_problem == port ]] && start_problem="server: ${server[*]}"$'\n'"no port could be bound"
        run_state[$key]=failed
        add_error "$key: the server did not start" "$start_problem"
        return
    done
    local tx_dropped rx_dropped
    if [[ $config == tap* ]]; then
        tx_dropped=$(tap_counter tx_dropped)
        rx_dropped=$(tap_counter rx_dropped)
    fi
    run_client "$key"
    if [[ $config == tap* ]]; then
        tap_drops[$key]="$(($(tap_counter tx_dropped) - tx_dropped)) $(($(tap_counter rx_dropped) - rx_dropped))"
    fi
    stop_server "$key"
    [[ ${run_state[$key]} == ok ]] || return
    # A result that is missing makes the run a failure.
    local result
    case $test in
        rr) result=$(netbench_value "$key" p99_us) ;;
        http*) result=$(wrk_rps "$key") ;;
        *) result=$(netbench_value "$key" MBps) ;;
    esac
    if [[ -z $result ]]; then
        run_state[$key]=failed
        add_error "$key: no result" "client: ${client_cmd[$key]}"$'\n'"stdout:"$'\n'"$(cat "$tmp/$key.out")"
    fi
    # ehyve --stats: "network (...): N frames in, N out (N through indirect tables), N interrupts, N device wake-ups".
    local stats_file=$tmp/$key.server.err
    [[ -n ${guest_is_client[$config]:-} ]] && stats_file=$tmp/$key.err
    local counters
    counters=$(sed -n 's/^ *network ([^)]*): \([0-9]*\) frames in, \([0-9]*\) out ([0-9]* through indirect tables), \([0-9]*\) interrupts, \([0-9]*\) device wake-ups.*/\1 \2 \3 \4/p' \
        "$stats_file" | tail -n 1)
    [[ -n $counters ]] && net_counters[$key]=$counters
}

# ---------------------------------------------------------------- running
# Metric by metric, every configuration back to back, so that native and Eremite see
# the same load on the host.
host_usage_start
for test in send recv rr; do
    for config in "${configs[@]}"; do measure "$config" "$test"; done
done
for test in http4k http1m; do
    for config in lo veth tap tapmem user usermem; do measure "$config" "$test"; done
done
host_usage_end

# ---------------------------------------------------------------- the tables
# value_cell KEY VALUE: the cell of a run's number (fmt), or why there is none.
value_cell() {
    local key=$1 value=$2 config=${1%%.*}
    case ${run_state[$key]:-failed} in
        skipped)
            if [[ -n ${skip_reason[$config]} ]]; then
                echo "skipped (${skip_reason[$config]})"
            else
                echo "skipped (wrk not installed)"
            fi
            return ;;
        failed) echo "**FAILED**"; return ;;
    esac
    if [[ -z $value ]]; then echo "**FAILED**"; else fmt "$value"; fi
}
number() { # KEY FIELD: a run's number, empty unless it succeeded
    [[ ${run_state[$1]:-} == ok ]] || return 0
    case $2 in
        rps) wrk_rps "$1" ;;
        *) netbench_value "$1" "$2" ;;
    esac
}
ratio_cell() { # VALUE BASE
    [[ -n $1 && -n $2 ]] && ratio_of "$1" "$2"
}
# The native rows an Eremite row is compared with: loopback always, veth for TAP rows.
ratios() { # CONFIG VALUE BASE_LOOPBACK BASE_VETH -> "a / b" cells text
    local config=$1 value=$2 lo=$3 veth=$4 text
    if [[ $config == lo ]]; then
        [[ -n $value ]] && echo "(baseline)"
        return 0
    fi
    text=$(ratio_cell "$value" "$lo")
    if [[ $config == tap* ]]; then
        local r
        r=$(ratio_cell "$value" "$veth")
        text+="${text:+ }${r:+(veth $r)}"
    fi
    echo "$text"
}

direction_test() { # CONFIG DIRECTION(g2h|h2g) -> send|recv
    local config=$1 direction=$2
    if [[ -n ${guest_is_client[$config]:-} ]]; then
        [[ $direction == g2h ]] && echo send || echo recv
    else
        [[ $direction == g2h ]] && echo recv || echo send
    fi
}

throughput_table=""
declare -A ratio_text # direction -> the ratio cell
for config in "${configs[@]}"; do
    cells=()
    for direction in g2h h2g; do
        test=$(direction_test "$config" "$direction")
        value=$(number "$config.$test" MBps)
        lo_value=$(number "lo.$(direction_test lo "$direction")" MBps)
        veth_value=$(number "veth.$(direction_test veth "$direction")" MBps)
        cells+=("$(value_cell "$config.$test" "$value")")
        ratio_text[$direction]=$(ratios "$config" "$value" "$lo_value" "$veth_value")
    done
    throughput_table+="| ${config_label[$config]} | ${cells[0]} | ${cells[1]} | ${ratio_text[g2h]:-} | ${ratio_text[h2g]:-} |"$'\n'
done
throughput_table+="| Linux guest, QEMU/KVM, virtio-net | $qemu_short | | | |"$'\n'

latency_table=""
for config in "${configs[@]}"; do
    key=$config.rr
    mean=$(number "$key" mean_us)
    p50=$(number "$key" p50_us)
    p99=$(number "$key" p99_us)
    latency_table+="| ${config_label[$config]} | $(value_cell "$key" "$mean") | $(value_cell "$key" "$p50") | $(value_cell "$key" "$p99")"
    latency_table+=" | $(ratios "$config" "$mean" "$(number lo.rr mean_us)" "$(number veth.rr mean_us)")"
    latency_table+=" | $(ratios "$config" "$p99" "$(number lo.rr p99_us)" "$(number veth.rr p99_us)") |"$'\n'
done
latency_table+="| Linux guest, QEMU/KVM, virtio-net | $qemu_short | | | | |"$'\n'

http_table=""
wrk_trouble=()
for config in lo veth tap tapmem user usermem; do
    row="| ${config_label[$config]}"
    ratio_cells=""
    error_cells=""
    for test in http4k http1m; do
        key=$config.$test
        rps=$(number "$key" rps)
        row+=" | $(value_cell "$key" "$rps")"
        if [[ $test == http1m && -n $rps ]]; then
            row+=" ($(fmt "$(awk -v r="$rps" 'BEGIN { print r * 1.048576 }')") MB/s)"
        fi
        ratio_cells+=" | $(ratios "$config" "$rps" "$(number "lo.$test" rps)" "$(number "veth.$test" rps)")"
        if [[ ${run_state[$key]:-} == ok ]]; then
            errors_text=$(wrk_errors "$key")
            [[ $errors_text != none ]] && wrk_trouble+=("$key: $errors_text")
            error_cells+="${error_cells:+; }${test#http}: $(wrk_latency "$key"), errors: $errors_text"
        fi
    done
    http_table+="$row$ratio_cells | ${error_cells} |"$'\n'
done
http_table+="| Linux guest, QEMU/KVM, virtio-net | $qemu_short | | | | |"$'\n'

counters_table=""
for key in "${run_order[@]}"; do
    [[ -n ${net_counters[$key]:-} ]] || continue
    read -r frames_in frames_out interrupts wakeups <<<"${net_counters[$key]}"
    per_interrupt=$(awk -v f=$((frames_in + frames_out)) -v i="$interrupts" 'BEGIN { if (i > 0) printf "%.1f", f / i; else printf "n/a" }')
    drops=""
    if [[ -n ${tap_drops[$key]:-} ]]; then
        read -r drop_to_guest drop_from_guest <<<"${tap_drops[$key]}"
        drops="$drop_to_guest / $drop_from_guest"
    fi
    counters_table+="| $key | $frames_in | $frames_out | $interrupts | $per_interrupt | $wakeups | $drops |"$'\n'
done

# ---------------------------------------------------------------- notes
notes=""
note() { notes+="- $1"$'\n'; }
[[ -n $kvm_skip ]] && note "The Eremite rows were skipped: $kvm_skip (the check: bench/lib.sh's probe_kvm)."
[[ -n $root_skip ]] && note "The veth and TAP rows were skipped: they need root (network namespaces, a TAP device)."
[[ -z $wrk ]] && note "The HTTP rows were skipped: wrk is not installed."
note "Linux guest under QEMU/KVM, not run: $qemu_reason."
for trouble in "${wrk_trouble[@]}"; do note "wrk counted errors in $trouble."; done
total_drops=0
for key in "${!tap_drops[@]}"; do
    read -r a b <<<"${tap_drops[$key]}"
    total_drops=$((total_drops + a + b))
done
((total_drops > 0)) &&
    note "The TAP device's host side dropped $total_drops frames in all (the counters' last column): tx_dropped counts frames towards the guest that found the TAP's queue to ehyve full, i.e. ehyve did not read the TAP fast enough."
if [[ -n ${others_pct:-} ]] && ((others_pct >= 20)); then
    note "The host was busy: other processes used ${others_pct}% of its CPU time during this run. Every number is then noisier: rerun on a quiet host before drawing conclusions."
fi

# ---------------------------------------------------------------- the report
echo "# Eremite's network device against the host's network (bench/net/device.sh)"
echo
echo "Machine: $cpu, $cores cores, Linux $kernel_release, /dev/kvm is kvm-pvm: $kvm_pvm, /dev/kvm usable: $kvm_usable"
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); the run took $run_seconds s; host load average (1, 5, 15 min) $load_start at the start, $load_end at the end"
echo
echo "Host CPU during the run: $host_busy."
echo
echo "The same servers (BUILD_DIR/examples/netbench, BUILD_DIR/examples/httpd: ordinary static"
echo "Linux programs) run natively and inside \`ehyve --cpus $guest_cpus\`; every client runs natively"
echo "(for the \"guest as client\" rows the client runs in the guest and the server natively)."
echo "Each measurement starts a server of its own. The ratios divide a row's number by native"
echo "loopback's (the baseline), and the TAP rows' also by native veth's, \"(veth ...)\": the"
echo "same kind of path, one virtual link between two network stacks. For MB/s and"
echo "requests/s a ratio below 1 means slower than native, for µs one above 1 does."
echo
echo "## TCP throughput, MB/s (10^6 bytes/s; higher is better)"
echo
echo "netbench stream-send / stream-recv, $stream_bytes in one connection, timed until the receiver has"
echo "all of it. \"guest to host\": from the server in the guest (or the native server) to the"
echo "client, or from the guest's client for the guest-as-client rows."
echo
echo "| configuration | guest to host | host to guest | ratio, guest to host | ratio, host to guest |"
echo "|---|---:|---:|---:|---:|"
printf '%s' "$throughput_table"
echo
echo "## TCP request/response, $rr_size bytes each way, µs per round trip (lower is better)"
echo
echo "netbench rr: $rr_count round trips on one connection, TCP_NODELAY on both ends."
echo
echo "| configuration | mean | p50 | p99 | ratio, mean | ratio, p99 |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s' "$latency_table"
echo
echo "## HTTP requests per second (higher is better)"
echo
echo "wrk -t$wrk_threads -c$wrk_connections -d${wrk_seconds}s against httpd (one thread, epoll) serving a 4 KiB and a 1 MiB file;"
echo "wrk runs natively (in the client namespace for veth and TAP). wrk counts a request that
takes over 2 s as a timeout error."
echo
echo "| configuration | 4 KiB file, requests/s | 1 MiB file, requests/s | ratio, 4 KiB | ratio, 1 MiB | wrk: latency avg / max, errors |"
echo "|---|---:|---:|---:|---:|---|"
printf '%s' "$http_table"
echo
echo "## ehyve --stats network counters, per Eremite run"
echo
echo "\"to the guest\" and \"from the guest\" are ehyve's frames in and out; a device wake-up is"
echo "its device thread waking (a kick or a back-end that became readable). TAP drops are the"
echo "TAP device's host-side tx_dropped / rx_dropped (ip -s link) during the run: frames the"
echo "host could not queue towards the guest / frames from the guest the host dropped."
echo
if [[ -n $counters_table ]]; then
    echo "| run | frames to the guest | frames from the guest | interrupts | frames per interrupt | device wake-ups | TAP drops to / from the guest |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    printf '%s' "$counters_table"
else
    echo "(no Eremite run printed its counters)"
fi
echo
echo "## Notes"
echo
printf '%s' "$notes"
cat <<'EOF'
- Loopback has a 64 KiB MTU and no per-packet device; veth and the TAP device carry
  1500-byte frames, and veth lets the host stack hand whole 64 KiB segments across
  (GSO). Eremite's virtio-net negotiates neither checksum offload nor TSO/GSO, so every
  frame to or from the guest is at most 1514 bytes with its checksum computed by the
  guest (lwIP) and checked by the host.
- With --net user every frame also passes through ehyve-net-user (libslirp), which
  turns the guest's TCP into host socket calls: the forwarded rows measure that proxy too.
- Under kvm-pvm, Eremite's vCPUs are ordinary host threads and every VM exit or
  interrupt costs more than on VMX/SVM hardware; the host is shared, so expect noise of
  tens of percent between runs: compare orders of magnitude, not digits.
EOF

echo
echo "## Commands, in order"
echo
echo '```'
for key in "${run_order[@]}"; do
    if [[ -n ${server_cmd[$key]:-} ]]; then
        printf '%-12s server: %s\n' "$key" "${server_cmd[$key]}"
        printf '%-12s client: %s\n' "" "${client_cmd[$key]}"
    else
        printf '%-12s skipped\n' "$key"
    fi
done
echo '```'
if [[ -n $errors ]]; then
    echo
    echo "## Errors"
    echo "$errors"
fi
exit "$failed"
