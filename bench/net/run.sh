#!/usr/bin/env bash
# TCP and UDP over loopback (127.0.0.1), native Linux against Eremite, side by side in
# one run; prints one markdown report on stdout (progress goes to stderr).
#
#   bench/net/run.sh BUILD_DIR              e.g.  bench/net/run.sh build
#
# Build first (cmake -S . -B build -G Ninja && cmake --build build, or make build):
# the programs are BUILD_DIR/bench/net/*, ordinary static Linux programs that run a
# client and a server as two threads of one process and print
# "result name=NAME value=NUMBER" lines:
#
#   tcp_pingpong   1-byte request, 1-byte reply over TCP (TCP_NODELAY on both ends):
#                  µs per round trip, median of 5 batches of 20,000
#   udp_pingpong   the same with 1-byte UDP datagrams
#   tcp_stream     256 MiB in 64 KiB writes over TCP, the receiver reads and counts:
#                  MB/s (10^6 bytes/s) from the first write to the last byte read
#
# Each program runs natively and under `BUILD_DIR/bin/ehyve --cpus 2`, then natively
# pinned to one CPU (taskset -c 0) and under `ehyve --cpus 1`, back to back so that
# native and Eremite see the same load on the host. Natively the traffic goes through
# the host kernel's loopback; under Eremite through the guest kernel's own stack (the
# host's network is not involved). The whole run takes about 10 s on a 2-core machine.
#
# A run that fails (non-zero exit, a kernel panic, a timeout, a missing result) is
# reported in its rows and under "Errors", the other runs still happen, and the
# script exits 1 at the end. When /dev/kvm is not usable the Eremite columns say
# "skipped" (skipping alone is not a failure).
# Each run is stopped after EREMITE_BENCH_TIMEOUT seconds (default 60).
set -u

source "$(dirname "$0")/../lib.sh"
bench_paths net "$@"

run_timeout=${EREMITE_BENCH_TIMEOUT:-60} # seconds per program run

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eremite-bench-net.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- the machine
describe_machine
probe_kvm
host_usage_start

# ---------------------------------------------------------------- running
# Configurations and the runner (run, run_set): bench/lib.sh.
declare -A run_state # key -> ok | failed | skipped
declare -A run_cmd   # key -> the command, for the report

run_set tcp_pingpong "2 1"
run_set udp_pingpong "2 1"
run_set tcp_stream "2 1"

host_usage_end

# ---------------------------------------------------------------- the table
table=""
# row LABEL UNIT PROGRAM RESULT_NAME CPUS
row() {
    local label=$1 unit=$2 prog=$3 name=$4 n=$5
    local native eremite ratio="" nv ev config_label
    cell "$prog.n$n" "$name" "$unit"
    native=$cell_text nv=$cell_value
    cell "$prog.e$n" "$name" "$unit"
    eremite=$cell_text ev=$cell_value
    [[ -n $nv && -n $ev ]] && ratio=$(ratio_of "$ev" "$nv")
    if ((n == 1)); then config_label="1 CPU"; else config_label="2 CPUs"; fi
    table+="| $label [$config_label] | $native | $eremite | $ratio |"$'\n'
}

for n in 2 1; do
    row "TCP ping-pong, 1 byte each way, µs/round trip (lower is better)" µs tcp_pingpong tcp_roundtrip_us "$n"
    row "UDP ping-pong, 1-byte datagrams, µs/round trip (lower is better)" µs udp_pingpong udp_roundtrip_us "$n"
    row "TCP stream, 256 MiB in 64 KiB writes, MB/s (higher is better)" MB/s tcp_stream tcp_stream_mbps "$n"
done

# ---------------------------------------------------------------- notes
notes=""
note() { notes+="- $1"$'\n'; }
[[ -n $kvm_skip ]] && note "The Eremite columns were skipped: $kvm_skip."
if [[ -n ${others_pct:-} ]] && ((others_pct >= 20)); then
    note "The host was busy: other processes used ${others_pct}% of its CPU time during this run. Every number is then noisier: rerun on a quiet host before drawing conclusions."
fi

# ---------------------------------------------------------------- the report
echo "# Eremite TCP and UDP over loopback (bench/net)"
echo
echo "Machine: $cpu, $cores cores, Linux $kernel_release, /dev/kvm is kvm-pvm: $kvm_pvm, /dev/kvm usable: $kvm_usable"
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); the run took $run_seconds s; host load average (1, 5, 15 min) $load_start at the start, $load_end at the end"
echo
echo "Host CPU during the run: $host_busy."
echo
echo "Each benchmark is an ordinary static Linux program (BUILD_DIR/bench/net, gcc -O2"
echo "-static, glibc) whose client and server are two threads of one process talking"
echo "over 127.0.0.1. [2 CPUs]: native unpinned against \`ehyve --cpus 2\`; [1 CPU]: native"
echo "pinned ($pin_note) against \`ehyve --cpus 1\`; each pair back to back. The ratio is"
echo "Eremite/native: for times, below 1 means Eremite is faster; for MB/s, above 1 does."
echo
echo "| benchmark | native | Eremite | ratio (Eremite/native) |"
echo "|---|---:|---:|---:|"
printf '%s' "$table"
echo
echo "## Notes"
echo
printf '%s' "$notes"
cat <<'EOF'
- Natively the bytes go through the host kernel's loopback device (the whole Linux
  TCP/IP stack, softirqs and all); under Eremite through the guest kernel's own
  loopback stack, and no packet leaves the VM: these rows compare two network stacks
  and the system-call paths into them, not network hardware.
- Ping-pong rows are the median of 5 batches of 20,000 round trips after 2,000 warm-up
  round trips. The TCP stream is one transfer of 256 MiB, timed from just before the
  first write to the read that brings the last byte.
- The host is shared (other builds may run) and, with kvm-pvm, Eremite's vCPUs are
  ordinary host threads: expect noise of tens of percent between runs; compare orders
  of magnitude, not digits.
EOF

report_end "Commands, in order" 18 "${run_order[@]}"
