#!/usr/bin/env bash
# Thread and system microbenchmarks, native Linux against Eremite, side by side in
# one run; prints one markdown report on stdout (progress goes to stderr).
#
#   bench/threads/run.sh BUILD_DIR          e.g.  bench/threads/run.sh build
#
# Build first (cmake -S . -B build -G Ninja && cmake --build build, or make build):
# the programs are BUILD_DIR/bench/threads/*, ordinary static Linux programs that
# print "result name=NAME value=NUMBER" lines. Each one runs natively and under
# `BUILD_DIR/bin/ehyve --cpus 2`, and the ones where the number of CPUs matters also
# natively pinned to one CPU (taskset -c 0) and under `ehyve --cpus 1`. The whole run
# takes about a minute on a 2-core machine.
#
# A run that fails (non-zero exit, a kernel panic, a timeout, a missing result) is
# reported in its rows and under "Errors", the other runs still happen, and the
# script exits 1 at the end. When /dev/kvm is not usable the Eremite columns say
# "skipped" (skipping alone is not a failure).
# Each run is stopped after EREMITE_BENCH_TIMEOUT seconds (default 30).
set -u

source "$(dirname "$0")/../lib.sh"
bench_paths threads "$@"

run_timeout=${EREMITE_BENCH_TIMEOUT:-30}   # seconds per program run
fwq_samples=200000

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eremite-bench-threads.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- the machine
describe_machine
probe_kvm
host_usage_start

# ---------------------------------------------------------------- running
# Configurations and the runner (run, run_set): bench/lib.sh.
declare -A run_state   # key -> ok | failed | skipped
declare -A run_cmd     # key -> the command, for the report

run_set syscall_getppid 2
run_set clock_gettime 2
run_set thread_create "2 1"
run_set sched_yield "2 1"
run_set futex_pingpong "2 1"
run_set mutex_contention "2 1"
run_set malloc_free 2
run_set memcpy_bw 2
run_set parallel_pi 2
# FWQ: the native run calibrates the work quantum; every other run gets the same.
run fwq n2 "$fwq_samples"
fwq_iters=$(value fwq.n2 fwq_work_iters)
fwq_iters=${fwq_iters%%.*}
[[ $fwq_iters =~ ^[0-9]+$ ]] || fwq_iters=0   # 0: each run calibrates itself
run fwq e2 "$fwq_samples" "$fwq_iters"
run fwq n1 "$fwq_samples" "$fwq_iters"
run fwq e1 "$fwq_samples" "$fwq_iters"

# One representative Eremite run with ehyve's statistics (not timed in the table).
stats_cmd="$ehyve --stats --cpus 2 $bindir/futex_pingpong"
stats_text=""
if [[ -z $kvm_skip && -x $ehyve && -x $bindir/futex_pingpong ]]; then
    echo "running: $stats_cmd" >&2
    timeout -k 5 "$run_timeout" "$ehyve" --stats --cpus 2 "$bindir/futex_pingpong" \
        >"$tmp/stats.out" 2>"$tmp/stats.err" </dev/null
    rc=$?
    stats_text=$(cat "$tmp/stats.err")
    if ((rc != 0)); then
        stats_text+=$'\n'"(exit status $rc)"
        add_error "ehyve --stats run failed" "command: $stats_cmd"$'\n'"exit status: $rc"$'\n'"$stats_text"
    fi
fi
host_usage_end

# ---------------------------------------------------------------- the table
table=""
# row LABEL UNIT PROGRAM RESULT_NAME CPUS
row() {
    local label=$1 unit=$2 prog=$3 name=$4 n=$5
    local native eremite ratio nv ev config_label
    cell "$prog.n$n" "$name" "$unit"
    native=$cell_text nv=$cell_value
    cell "$prog.e$n" "$name" "$unit"
    eremite=$cell_text ev=$cell_value
    ratio=""
    if [[ -n $nv && -n $ev ]]; then
        ratio=$(awk -v a="$ev" -v b="$nv" 'BEGIN {
            if (b == 0) { printf "n/a"; exit }
            r = a / b
            if (r >= 100) printf "%.0fx", r
            else if (r >= 10) printf "%.1fx", r
            else if (r >= 0.1) printf "%.2fx", r
            else if (r >= 0.001) printf "%.4fx", r
            else printf "%.2gx", r
        }')
    fi
    if ((n == 1)); then config_label="1 CPU"; else config_label="2 CPUs"; fi
    table+="| $label [$config_label] | $native | $eremite | $ratio |"$'\n'
}

row "getppid via syscall(), ns/call (lower is better)" ns syscall_getppid getppid_ns 2
row "clock_gettime(CLOCK_MONOTONIC), ns/call (lower is better)" ns clock_gettime clock_gettime_ns 2
row "pthread_create + pthread_join, µs/pair (lower is better)" µs thread_create thread_create_join_us 2
row "pthread_create + pthread_join, µs/pair (lower is better)" µs thread_create thread_create_join_us 1
row "sched_yield, 1 thread, ns/call (lower is better)" ns sched_yield sched_yield_ns 2
row "sched_yield ping-pong, 2 threads, ns/round trip (lower is better)" ns sched_yield yield_pingpong_ns 2
row "sched_yield ping-pong, 2 threads, ns/round trip (lower is better)" ns sched_yield yield_pingpong_ns 1
row "futex ping-pong, µs/round trip (lower is better)" µs futex_pingpong futex_roundtrip_us 2
row "futex ping-pong, µs/round trip (lower is better)" µs futex_pingpong futex_roundtrip_us 1
row "futex ping-pong, threads pinned to two CPUs, µs/round trip (lower is better)" µs futex_pingpong futex_roundtrip_cross_cpu_us 2
row "futex ping-pong, thousand round trips/s (higher is better)" k/s futex_pingpong futex_roundtrips_k_per_s 2
row "futex ping-pong, thousand round trips/s (higher is better)" k/s futex_pingpong futex_roundtrips_k_per_s 1
row "mutex, 1 thread, M lock+inc+unlock/s (higher is better)" M/s mutex_contention mutex_1t_mops 2
row "mutex, 2 threads contending, M ops/s total (higher is better)" M/s mutex_contention mutex_2t_mops 2
row "mutex, 2 threads contending, M ops/s total (higher is better)" M/s mutex_contention mutex_2t_mops 1
row "malloc + free 64 B, ns/pair (lower is better)" ns malloc_free malloc_free_64_ns 2
row "malloc + free 64 KiB, ns/pair (lower is better)" ns malloc_free malloc_free_64k_ns 2
row "memcpy 4 KiB, GB/s (higher is better)" GB/s memcpy_bw memcpy_4k_gbps 2
row "memcpy 1 MiB, GB/s (higher is better)" GB/s memcpy_bw memcpy_1m_gbps 2
row "memcpy 16 MiB, GB/s (higher is better)" GB/s memcpy_bw memcpy_16m_gbps 2
row "parallel pi, 1 thread, s (lower is better)" s parallel_pi pi_1t_s 2
row "parallel pi, 2 threads, s (lower is better)" s parallel_pi pi_2t_s 2
row "parallel pi, speedup 1 → 2 threads (higher is better)" x parallel_pi pi_speedup 2
for n in 1 2; do
    row "FWQ ~20 µs quantum: min, ns" ns fwq fwq_min_ns "$n"
    row "FWQ: median, ns" ns fwq fwq_median_ns "$n"
    row "FWQ: p99, ns" ns fwq fwq_p99_ns "$n"
    row "FWQ: p99.9, ns" ns fwq fwq_p999_ns "$n"
    row "FWQ: max, ns" ns fwq fwq_max_ns "$n"
    row "FWQ: standard deviation, ns (lower is better)" ns fwq fwq_stddev_ns "$n"
done

# ---------------------------------------------------------------- derived notes
notes=""
note() { notes+="- $1"$'\n'; }

# Parallel pi against the project's target.
pi_n=""; pi_e=""
[[ ${run_state[parallel_pi.n2]:-} == ok ]] && pi_n=$(value parallel_pi.n2 pi_speedup)
[[ ${run_state[parallel_pi.e2]:-} == ok ]] && pi_e=$(value parallel_pi.e2 pi_speedup)
if [[ -n $pi_e ]]; then
    verdict=$(awk -v s="$pi_e" 'BEGIN { print (s >= 1.9 ? "met" : "not met") }')
    native_text=n/a
    [[ -n $pi_n ]] && native_text="$(fmt "$pi_n")x"
    note "Parallel pi speedup from 1 to 2 threads: Eremite \`--cpus 2\` $(fmt "$pi_e")x, native $native_text. Project target ≥ 1.9x on 2 vCPUs: $verdict in this run. When the native speedup is also well below 2, other processes held a host CPU: a busy host takes CPU time from both sides."
elif [[ -n $kvm_skip ]]; then
    native_text=n/a
    [[ -n $pi_n ]] && native_text="$(fmt "$pi_n")x"
    note "Parallel pi: the Eremite run was skipped ($kvm_skip); native speedup $native_text."
fi

# A busy host: Eremite's --cpus 2 needs two host CPUs at the same moment.
if [[ -n ${others_pct:-} ]] && ((others_pct >= 20)); then
    note "The host was busy: other processes used ${others_pct}% of its CPU time during this run. Each vCPU is a host thread; when fewer host CPUs are free than the VM has vCPUs, one vCPU is descheduled by the host for a host time slice (milliseconds), and the guest thread waiting for a thread on it waits that long, whether the waiter halted (futex, join) or spins in sched_yield (the guest cannot see that the other vCPU is not running). So the [2 CPUs] rows where the threads hand work across vCPUs (thread create+join, yield and futex ping-pong) and the parallel pi speedup suffer most; natively, Linux just runs the woken thread on whichever CPU is free."
fi

# Whether clock_gettime trapped (a system call costs microseconds in a VM).
cg_e=""
[[ ${run_state[clock_gettime.e2]:-} == ok ]] && cg_e=$(value clock_gettime.e2 clock_gettime_ns)
if [[ -n $cg_e ]]; then
    if awk -v v="$cg_e" 'BEGIN { exit !(v > 1000) }'; then
        note "clock_gettime in Eremite costs about a system call ($(fmt "$cg_e") ns): it traps into the kernel (no vDSO in this build)."
    else
        note "clock_gettime in Eremite ($(fmt "$cg_e") ns) does not trap into the kernel: the clock is read in user mode (a vDSO or equivalent)."
    fi
fi

# FWQ spread: p99.9 - min and standard deviation, per configuration.
for n in 1 2; do
    sn=""; se=""
    [[ ${run_state[fwq.n$n]:-} == ok ]] && sn=$(value "fwq.n$n" fwq_stddev_ns)
    [[ ${run_state[fwq.e$n]:-} == ok ]] && se=$(value "fwq.e$n" fwq_stddev_ns)
    if [[ -n $sn && -n $se ]]; then
        spread_n=$(awk -v a="$(value "fwq.n$n" fwq_p999_ns)" -v b="$(value "fwq.n$n" fwq_min_ns)" 'BEGIN { printf "%.0f", a - b }')
        spread_e=$(awk -v a="$(value "fwq.e$n" fwq_p999_ns)" -v b="$(value "fwq.e$n" fwq_min_ns)" 'BEGIN { printf "%.0f", a - b }')
        if ((n == 1)); then which="native pinned to CPU 0 against \`--cpus 1\`"; else which="native against \`--cpus 2\`"; fi
        less=$(awk -v a="$se" -v b="$sn" 'BEGIN { print (a < b ? "smaller" : "not smaller") }')
        note "FWQ spread, $which: p99.9 − min is $spread_n ns native and $spread_e ns in Eremite; standard deviation $(fmt "$sn") ns native, $(fmt "$se") ns in Eremite (Eremite's is $less)."
    fi
done

# ---------------------------------------------------------------- the report
echo "# Eremite thread and system microbenchmarks (bench/threads)"
echo
echo "Machine: $cpu, $cores cores, Linux $kernel_release, /dev/kvm is kvm-pvm: $kvm_pvm, /dev/kvm usable: $kvm_usable"
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); host load average (1, 5, 15 min) $load_start at the start, $load_end at the end"
echo
echo "Host CPU during the run: $host_busy."
echo
echo "Each benchmark is an ordinary static Linux program (BUILD_DIR/bench/threads, gcc -O2"
echo "-static, glibc), run natively and then under ehyve right after it. Rows marked"
echo "[2 CPUs] compare native on all ${cores} host CPUs with \`ehyve --cpus 2\`; rows marked"
echo "[1 CPU] compare native pinned to one CPU ($pin_note) with \`ehyve --cpus 1\`."
echo "The ratio is Eremite / native: below 1 is better for Eremite on a \"lower is better\""
echo "row, above 1 on a \"higher is better\" row."
echo
echo "| benchmark | native | Eremite | ratio (Eremite/native) |"
echo "|---|---:|---:|---:|"
printf '%s' "$table"
echo
echo "## Notes"
echo
printf '%s' "$notes"
cat <<EOF
- Latencies are the median of 11 timed batches of at least 20 ms each (batch size
  found by doubling, which also warms up); thread create+join is the median of 5
  rounds of 1000 pairs; mutex throughput the median of 3 rounds of 300 ms; parallel pi
  (400 million midpoint steps, split evenly) the median of 3 rounds each.
- sched_yield ping-pong: two threads pass a turn back and forth and call sched_yield
  while they wait for it. On one CPU each hand-off needs the scheduler to switch to
  the other thread; on two CPUs both threads spin-yield on their own CPU.
- futex ping-pong: raw FUTEX_WAIT/FUTEX_WAKE (private) on two words, one per
  direction; every post wakes, a wait sleeps only if its word is not yet set.
- FWQ: $fwq_samples samples of a fixed loop of ${fwq_iters:-?} dependent multiply-adds
  (calibrated to about 20 µs by the native run and given to every other run), each
  timed with lfence+rdtsc (a clock_gettime that traps would itself add microseconds
  in a VM). Everything above the minimum is time taken away from the loop by the OS,
  the hypervisor or the host.
- The host is shared (other builds may run) and, with kvm-pvm, Eremite's vCPUs are
  ordinary host threads: expect noise of tens of percent between runs; compare
  orders of magnitude, not digits.
EOF

if [[ -n $stats_text ]]; then
    echo
    echo "## Sample: \`ehyve --stats --cpus 2 futex_pingpong\` (stderr)"
    echo
    echo "ehyve's own counts: \`VM exits\` are the returns of KVM_RUN to ehyve (exits that KVM"
    echo "handles itself, such as \`hlt\` and APIC accesses, are not in them); \`hypercalls\` are"
    echo "the guest's calls to ehyve; the \`eremite: stats\` line is the guest kernel's."
    echo
    echo '```'
    printf '%s\n' "$stats_text"
    echo '```'
fi

# shellcheck disable=SC2046 # the keys are PROGRAM.CONFIG, no spaces
report_end Commands 22 $(printf '%s\n' "${!run_cmd[@]}" | sort)
