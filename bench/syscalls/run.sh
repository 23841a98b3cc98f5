#!/usr/bin/env bash
# System-call path benchmarks (issue 5, load-time syscall rewriting): native Linux,
# Eremite with rewriting (ehyve's default) and Eremite without it (`ehyve --no-rewrite`:
# every system call traps through `syscall`), side by side in one run; prints one
# markdown report on stdout (progress goes to stderr).
#
#   bench/syscalls/run.sh BUILD_DIR         e.g.  bench/syscalls/run.sh build
#
# Build first (cmake -S . -B build -G Ninja && cmake --build build, or make build):
# the programs are BUILD_DIR/bench/syscalls/*, ordinary static Linux programs that
# print "result name=NAME value=NUMBER" lines:
#
#   syscall_latency DIR   getppid (glibc's wrapper and syscall()), 1-byte write to
#                         /dev/null, 4 KiB pread from a file in DIR, futex wake with no
#                         waiter: ns per call
#   printf_loop           1,000,000 printf lines to stdout, which is /dev/null on the
#                         host in every run (for ehyve: ehyve's stdout): ms
#   wc_lines DIR          writes a 16 MiB text file in DIR, then counts its lines with
#                         4 KiB reads, a small `wc -l`: ms
#
# DIR is a tmpfs: natively a new directory in /dev/shm (in /tmp when /dev/shm is not a
# writable tmpfs: then the native column may be on disk, the report says so), under
# Eremite the guest's root tmpfs (/tmp). Each program runs natively, then under
# `ehyve --stats`, then under `ehyve --stats --no-rewrite`, back to back so that all
# three see the same load on the host; the report ends with the lines of ehyve's
# --stats that mention system calls (if this ehyve prints any).
#
# A run that fails (non-zero exit, a kernel panic, a timeout, a missing result) is
# reported in its rows and under "Errors", the other runs still happen, and the
# script exits 1 at the end. When /dev/kvm is not usable the Eremite columns say
# "skipped", and when this ehyve has no --no-rewrite option that column does (skipping
# alone is not a failure). The whole run takes about 10 s on a 2-core machine.
# Each run is stopped after EREMITE_BENCH_TIMEOUT seconds (default 60).
set -u

source "$(dirname "$0")/../lib.sh"
bench_paths syscalls "$@"

run_timeout=${EREMITE_BENCH_TIMEOUT:-60} # seconds per program run
guest_dir=/tmp                           # Eremite's root is a tmpfs

tmp=""        # this script's own scratch files (outputs of the runs)
native_dir="" # DIR for the native runs
cleanup() {
    [[ -n $native_dir && -d $native_dir ]] && rm -rf -- "$native_dir"
    [[ -n $tmp && -d $tmp ]] && rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eremite-bench-syscalls.XXXXXX") || exit 1

if [[ -d /dev/shm && -w /dev/shm && $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]]; then
    native_dir=$(mktemp -d /dev/shm/eremite-bench-syscalls.XXXXXX) || exit 1
else
    native_dir=$(mktemp -d /tmp/eremite-bench-syscalls-native.XXXXXX) || exit 1
fi
native_fs=$(stat -f -c %T "$native_dir" 2>/dev/null || echo '?')

# ---------------------------------------------------------------- the machine
describe_machine
probe_kvm

# Does this ehyve know --no-rewrite? (Before the rewriter landed it did not.)
no_rewrite_skip=""
if [[ -x $ehyve ]] && ! "$ehyve" --help 2>&1 | grep -q -- '--no-rewrite'; then
    no_rewrite_skip="this ehyve has no --no-rewrite option"
fi

host_usage_start

# ---------------------------------------------------------------- running
# Configurations: n native, e `ehyve --stats` (rewriting on), r `ehyve --stats
# --no-rewrite`. A run's key is PROGRAM.CONFIG.
declare -A run_state # key -> ok | failed | skipped
declare -A run_cmd   # key -> the command, for the report
run_order=()

# run PROGRAM CONFIG [ARGS...]   (an ARG "DIR" becomes the configuration's directory)
run() {
    local prog=$1 config=$2
    shift 2
    local key=$prog.$config exe=$bindir/$prog arg dir
    local -a args=() cmd
    dir=$native_dir
    [[ $config != n ]] && dir=$guest_dir
    for arg in "$@"; do
        [[ $arg == DIR ]] && arg=$dir
        args+=("$arg")
    done
    case $config in
        n) cmd=("$exe" "${args[@]}") ;;
        e) cmd=("$ehyve" --stats "$exe" "${args[@]}") ;;
        r) cmd=("$ehyve" --stats --no-rewrite "$exe" "${args[@]}") ;;
        *) echo "$0: bad configuration $config" >&2; exit 2 ;;
    esac
    run_cmd[$key]="${cmd[*]}"
    # printf_loop's stdout is the million lines: to the host's /dev/null, for ehyve too
    # (the guest's console goes to ehyve's stdout). Its results come on stderr.
    [[ $prog == printf_loop ]] && run_cmd[$key]+=" >/dev/null"
    run_order+=("$key")
    : >"$tmp/$key.out"
    : >"$tmp/$key.err"
    if [[ $config != n && -n $kvm_skip ]]; then
        run_state[$key]=skipped
        return
    fi
    if [[ $config == r && -n $no_rewrite_skip ]]; then
        run_state[$key]=skipped
        return
    fi
    if [[ ! -x $exe ]]; then
        run_state[$key]=failed
        add_error "$key failed" "$exe not found or not executable; build first (cmake --build $build)"
        return
    fi
    if [[ $config != n && ! -x $ehyve ]]; then
        run_state[$key]=failed
        add_error "$key failed" "$ehyve not found or not executable; build first (cmake --build $build)"
        return
    fi
    if [[ $prog == printf_loop ]]; then
        run_timed "$key" bash -c 'exec "$@" >/dev/null' printf_loop "${cmd[@]}"
        grep '^result ' "$tmp/$key.err" >"$tmp/$key.out"
    else
        run_timed "$key" "${cmd[@]}"
    fi
}

# Native, rewriting and trapping runs of a program back to back.
run_set() { # PROGRAM [ARGS...]
    local config
    for config in n e r; do
        run "$1" "$config" "${@:2}"
    done
}

run_set syscall_latency DIR
run_set printf_loop
run_set wc_lines DIR

host_usage_end

# ---------------------------------------------------------------- the table
table=""
# row LABEL UNIT PROGRAM RESULT_NAME
row() {
    local label=$1 unit=$2 prog=$3 name=$4
    local native ehyve_text trap_text nv ev rv ratio="" gain=""
    cell "$prog.n" "$name" "$unit"
    native=$cell_text nv=$cell_value
    cell "$prog.e" "$name" "$unit"
    ehyve_text=$cell_text ev=$cell_value
    cell "$prog.r" "$name" "$unit"
    trap_text=$cell_text rv=$cell_value
    [[ -n $nv && -n $ev ]] && ratio=$(ratio_of "$nv" "$ev")
    [[ -n $rv && -n $ev ]] && gain=$(ratio_of "$rv" "$ev")
    table+="| $label | $native | $ehyve_text | $trap_text | $ratio | $gain |"$'\n'
}

row "getppid() (glibc wrapper: \`mov \$110,%eax; syscall\`)" ns syscall_latency getppid_ns
row "syscall(SYS_getppid) (glibc's syscall(): a lone \`syscall\`)" ns syscall_latency getppid_syscall_ns
row "write 1 byte to /dev/null" ns syscall_latency write_devnull_ns
row "pread 4 KiB at offset 0, tmpfs file" ns syscall_latency pread_4k_ns
row "futex wake (private), no waiter" ns syscall_latency futex_wake_ns
row '1,000,000 x `printf("line %d\n", i)` to /dev/null' ms printf_loop printf_1m_ms
row "wc -l: write a 16 MiB file, 4 KiB writes" ms wc_lines generate_16m_ms
row "wc -l: count its lines, 4 KiB reads" ms wc_lines wc_16m_ms

# ---------------------------------------------------------------- notes
notes=""
note() { notes+="- $1"$'\n'; }
[[ -n $no_rewrite_skip ]] && note "The \`ehyve --no-rewrite\` column was skipped: $no_rewrite_skip."
[[ -n $kvm_skip ]] && note "The Eremite columns were skipped: $kvm_skip."
if [[ $native_fs != tmpfs ]]; then
    note "The native runs' directory $native_dir is on $native_fs, not tmpfs (/dev/shm is not a writable tmpfs here): the pread and wc rows compare unlike file systems."
fi
if [[ -n ${others_pct:-} ]] && ((others_pct >= 20)); then
    note "The host was busy: other processes used ${others_pct}% of its CPU time during this run. Every number is then noisier: rerun on a quiet host before drawing conclusions."
fi

# ---------------------------------------------------------------- the report
echo "# Eremite system-call path benchmarks (bench/syscalls)"
echo
echo "Machine: $cpu, $cores cores, Linux $kernel_release, /dev/kvm is kvm-pvm: $kvm_pvm, /dev/kvm usable: $kvm_usable"
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); the run took $run_seconds s; host load average (1, 5, 15 min) $load_start at the start, $load_end at the end"
echo
echo "Host CPU during the run: $host_busy."
echo
echo "Each benchmark is an ordinary static Linux program (BUILD_DIR/bench/syscalls, gcc -O2"
echo "-static, glibc), run natively (files in $native_dir, $native_fs), under"
echo "\`ehyve --stats\` (load-time syscall rewriting on, the default; files in the guest's"
echo "tmpfs root) and under \`ehyve --stats --no-rewrite\` (every system call traps), back"
echo "to back. Every number is a time: lower is better. \"native/ehyve\" is the share of"
echo "native speed that Eremite with rewriting reaches (above 1: faster than native);"
echo "\"no-rewrite/ehyve\" is what rewriting gains over trapping (above 1: rewriting helps)."
echo
echo "| operation | native | ehyve | ehyve --no-rewrite | ratio native/ehyve | ratio no-rewrite/ehyve |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s' "$table"
echo
echo "## Notes"
echo
printf '%s' "$notes"
cat <<'EOF'
- Latencies are the median of 11 timed batches of at least 20 ms each (batch size found
  by doubling, which also warms up). The printf loop and the wc steps are the median of
  3 rounds in one process (one VM).
- The printf loop's stdout is /dev/null on the host: natively glibc sees a character
  device and buffers fully (4 KiB writes); under Eremite, stdout is the guest console
  that ehyve copies to its own stdout, so the row also shows how the guest's stdout is
  buffered and what each console write costs.
- The host is shared (other builds may run) and, with kvm-pvm, Eremite's vCPUs are
  ordinary host threads: expect noise of tens of percent between runs; compare orders
  of magnitude, not digits.
EOF

# ehyve's --stats lines about system calls, for every Eremite run.
stats_text=""
for key in "${run_order[@]}"; do
    [[ $key == *.n ]] && continue
    [[ ${run_state[$key]:-} == skipped ]] && continue
    lines=$(grep -i 'syscall' "$tmp/$key.err" 2>/dev/null | grep -v '^result ')
    stats_text+="\$ ${run_cmd[$key]}"$'\n'
    if [[ -n $lines ]]; then
        stats_text+="$lines"$'\n'
    else
        stats_text+="(no --stats line mentions system calls)"$'\n'
    fi
done
if [[ -n $stats_text ]]; then
    echo
    echo "## ehyve --stats: the lines about system calls (stderr)"
    echo
    echo '```'
    printf '%s' "$stats_text"
    echo '```'
fi

# Rewritten-site coverage: what the load-time pass did to each program (from a cold
# plan cache, so the analysis really runs), and what the analysis costs at start-up.
coverage_programs=("$build/examples/hello" "$build/examples/hello-cxx" "$bindir/syscall_latency"
    "$build/tests/apps/syscall_paths.glibc" "$build/tests/apps/syscall_paths.musl"
    "$build/tests/apps/threads_cxx.glibc" "$build/tests/apps/openmp.glibc" /bin/busybox)
if [[ -x $ehyve && -w /dev/kvm ]]; then
    echo
    echo "## Rewritten syscall sites"
    echo
    echo "| program | sites | direct calls | call *%rax | site stubs | trapping: red zone | number not known | outside functions | other |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for program in "${coverage_programs[@]}"; do
        [[ -x $program ]] || continue
        line=$(XDG_CACHE_HOME=$tmp/coverage-cache timeout "$run_timeout" "$ehyve" --stats "$program" true \
            2>&1 >/dev/null </dev/null | grep -m1 'syscall sites')
        read -r -a n <<<"$(grep -oE '[0-9]+' <<<"$line" | tr '\n' ' ')"
        [[ ${#n[@]} -ge 10 ]] || continue
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${program#"$build"/}" "${n[0]}" "${n[1]}" \
            "${n[2]}" "${n[3]}" "${n[5]}" "${n[6]}" "${n[7]}" "$((n[8] + n[9]))"
    done
    # The analysis at start-up: VM set-up with the plan cache cold, then warm, then without.
    setup_ms() { grep -m1 'VM set-up' | grep -oE '[0-9]+\.[0-9]+'; }
    cold=() warm=() off=()
    for round in 1 2 3 4 5; do
        rm -rf "$tmp/setup-cache"
        cold+=("$(XDG_CACHE_HOME=$tmp/setup-cache "$ehyve" --stats "$build/examples/hello-cxx" 2>&1 >/dev/null | setup_ms)")
        warm+=("$(XDG_CACHE_HOME=$tmp/setup-cache "$ehyve" --stats "$build/examples/hello-cxx" 2>&1 >/dev/null | setup_ms)")
        off+=("$(XDG_CACHE_HOME=$tmp/setup-cache "$ehyve" --stats --no-rewrite "$build/examples/hello-cxx" 2>&1 >/dev/null | setup_ms)")
    done
    median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
    echo
    echo "ehyve's VM set-up for hello-cxx (median of 5): $(median "${cold[@]}") ms when the pass runs" \
        "(cold plan cache), $(median "${warm[@]}") ms with the plan from the cache, $(median "${off[@]}") ms with --no-rewrite."
fi

report_end "Commands, in order" 20 "${run_order[@]}"
