# Shared by the benchmark scripts (sourced): their argument, the failure log, the
# description of the machine and of the host's load that every report starts with, the
# table cells and the report's end.
# The scripts define tmp (their scratch directory), run_state and run_cmd (per run key)
# before they use what needs them.

# bench_paths FOLDER "$@": the script's one argument, BUILD_DIR (else a usage line and
# exit 2), as build, with bindir (BUILD_DIR/bench/FOLDER, else exit 1: not built), ehyve
# and floor (bench/boot's bare-kvm-floor) in it.
bench_paths() {
    local folder=$1
    shift
    if [[ $# -ne 1 ]]; then
        echo "usage: $0 BUILD_DIR" >&2
        exit 2
    fi
    build=${1%/}
    bindir=$build/bench/$folder
    ehyve=$build/bin/ehyve
    floor=$build/bin/bare-kvm-floor
    if [[ ! -d $bindir ]]; then
        echo "$0: $bindir not found; build first (cmake --build $build)" >&2
        exit 1
    fi
}

failed=0
errors=""   # markdown: one section per failure
add_error() { # TITLE TEXT
    errors+=$'\n'"**$1**"$'\n\n```\n'"$2"$'\n```\n'
    failed=1
}

# cpu, cores, kernel_release, kvm_pvm (yes, no or unknown)
describe_machine() {
    cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
    cpu=${cpu:-unknown}
    cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
    kernel_release=$(uname -r)
    # Is /dev/kvm provided by kvm-pvm (a software hypervisor) rather than VMX/SVM?
    kvm_pvm=unknown
    if [[ -d /sys/module/kvm_pvm ]]; then
        kvm_pvm=yes
    elif lsmod 2>/dev/null | grep -q '^kvm_pvm'; then
        kvm_pvm=yes
    elif dmesg 2>/dev/null | grep -q kvm-pvm; then
        kvm_pvm=yes
    elif [[ -d /sys/module/kvm ]] || lsmod >/dev/null 2>&1; then
        kvm_pvm=no  # module information was readable and showed no kvm_pvm
    fi
}

# probe_kvm: kvm_skip (why the Eremite runs are skipped, empty if /dev/kvm is usable)
# and kvm_usable (for the report). bench/boot's bare-kvm-floor ($floor, if built) is the
# most direct test.
probe_kvm() {
    kvm_skip=""
    if [[ ! -e /dev/kvm ]]; then
        kvm_skip="no /dev/kvm"
    elif [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
        kvm_skip="/dev/kvm not readable and writable by $(id -un)"
    elif [[ -x $floor ]] && ! "$floor" >/dev/null 2>"$tmp/kvm-probe" </dev/null; then
        kvm_skip="/dev/kvm not usable: $(head -n 1 "$tmp/kvm-probe")"
    fi
    kvm_usable=yes
    [[ -n $kvm_skip ]] && kvm_usable="no ($kvm_skip)"
}

# How busy the host was: CPU time of the whole machine (/proc/stat) minus this
# script's children (bash's times), against wall time x cores.
cpu_jiffies() { # -> "busy steal" in clock ticks
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat 2>/dev/null
}
# User + system seconds of this shell's finished children, from bash's times, which
# must run in this shell, not in a $(...) subshell:  times >FILE; children_cpu_s FILE
children_cpu_s() {
    sed -n 2p "$1" | awk '{
        s = 0
        for (i = 1; i <= 2; ++i) { split($i, p, /[ms]/); s += p[1] * 60 + p[2] }
        print s
    }'
}

# host_usage_start, then the runs, then host_usage_end [OTHERS_NOTE]: load_start and
# load_end (load averages), run_seconds, others_pct and steal_pct (percentages of wall
# time x cores, empty if unknown) and host_busy (a sentence, "unknown" if unknown);
# OTHERS_NOTE follows "other processes" in it. Functions, not $(...): `times` must see
# this shell's children.
host_usage_start() {
    load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
    read -r busy_start steal_start < <(cpu_jiffies)
    times >"$tmp/times-start"
    children_start=$(children_cpu_s "$tmp/times-start")
    wall_start=$(date +%s.%N)
}
host_usage_end() {
    local others_note=${1:-} busy_end steal_end children_end wall_end
    load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
    read -r busy_end steal_end < <(cpu_jiffies)
    times >"$tmp/times-end"
    children_end=$(children_cpu_s "$tmp/times-end")
    wall_end=$(date +%s.%N)
    read -r others_pct steal_pct < <(awk -v b0="${busy_start:-0}" -v b1="${busy_end:-0}" \
        -v s0="${steal_start:-0}" -v s1="${steal_end:-0}" \
        -v c0="${children_start:-0}" -v c1="${children_end:-0}" -v w0="$wall_start" -v w1="$wall_end" \
        -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" -v n="$cores" 'BEGIN {
            cap = (w1 - w0) * n
            if (cap <= 0 || b1 <= b0) exit
            others = ((b1 - b0) / hz - (c1 - c0)) / cap * 100
            if (others < 0) others = 0
            printf "%.0f %.0f\n", others, (s1 - s0) / hz / cap * 100
        }')
    host_busy=unknown
    if [[ -n ${others_pct:-} ]]; then
        host_busy="${others_pct}% of the host's CPU time went to other processes$others_note, ${steal_pct}% was stolen by the hypervisor below"
    fi
    run_seconds=$(awk -v a="$wall_start" -v b="$wall_end" 'BEGIN { printf "%.0f", b - a }')
}

# value KEY NAME: the value of result NAME in the run's output (empty if none).
value() {
    sed -n "s/^result name=$2 value=\\([-+0-9.eE]*\\)\$/\\1/p" "$tmp/$1.out" 2>/dev/null | tail -n 1
}

# run_timed KEY CMD...: runs CMD (bounded by $run_timeout seconds) with its output in
# $tmp/KEY.{out,err} and records run_state[KEY] (ok or failed); a failure is described
# in the error log with the command, the status and the end of its output.
run_timed() {
    local key=$1
    shift
    echo "running: $*" >&2
    timeout -k 5 "$run_timeout" "$@" >"$tmp/$key.out" 2>"$tmp/$key.err" </dev/null
    local rc=$?
    if ((rc == 0)); then
        run_state[$key]=ok
        return
    fi
    run_state[$key]=failed
    local detail="command: $*"$'\n'"exit status: $rc"
    if ((rc == 124 || rc == 137)); then
        detail+=" (timed out after ${run_timeout} s)"
    elif ((rc == 126)); then
        detail+=" (126: the guest kernel failed)"
    elif ((rc == 125)); then
        detail+=" (125: ehyve could not run the VM)"
    fi
    if grep -qi 'kernel panic' "$tmp/$key.err"; then
        detail+=$'\n'"the guest kernel panicked (a kernel bug)"
    fi
    if [[ -s $tmp/$key.out ]]; then
        detail+=$'\n'"stdout (last 10 lines):"$'\n'"$(tail -n 10 "$tmp/$key.out")"
    fi
    if [[ -s $tmp/$key.err ]]; then
        detail+=$'\n'"stderr (last 20 lines):"$'\n'"$(tail -n 20 "$tmp/$key.err")"
    fi
    add_error "$key failed" "$detail"
}

# report_end TITLE WIDTH KEY...: the report's last sections, the commands of the runs
# KEY... (keys padded to WIDTH) under "## TITLE" and the error log; then exits with
# $failed.
report_end() {
    local title=$1 width=$2 key
    shift 2
    echo
    echo "## $title"
    echo
    echo '```'
    for key in "$@"; do
        printf '%-*s %s\n' "$width" "$key" "${run_cmd[$key]}"
    done
    echo '```'
    if [[ -n $errors ]]; then
        echo
        echo "## Errors"
        echo "$errors"
    fi
    exit "$failed"
}

# ---------------------------------------------------------------- table cells
fmt() { # NUMBER -> 3 or 4 significant digits, no exponent
    awk -v v="$1" 'BEGIN {
        a = v < 0 ? -v : v
        if (a >= 100) printf "%.0f", v
        else if (a >= 10) printf "%.1f", v
        else if (a >= 1) printf "%.2f", v
        else printf "%.3f", v
    }'
}
ratio_of() { # A B -> A/B as "0.93x"
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (b == 0) { printf "n/a"; exit }
        r = a / b
        if (r >= 10) printf "%.1fx", r
        else if (r >= 0.1) printf "%.2fx", r
        else printf "%.3fx", r
    }'
}

declare -A missing_reported # KEY.NAME -> 1 once its missing result is in the error log
# cell KEY NAME [UNIT]: sets cell_text (the table cell: the number, then " UNIT", or
# "x" right after it for UNIT x) and cell_value (the number, empty unless the run
# succeeded and printed the result). KEY "-" is a combination that cannot be measured.
cell() {
    local key=$1 name=$2 unit=${3:-}
    cell_value=""
    if [[ $key == - ]]; then
        cell_text="n/a"
        return
    fi
    case ${run_state[$key]:-failed} in
        skipped) cell_text="skipped"; return ;;
        failed) cell_text="**FAILED**"; return ;;
    esac
    cell_value=$(value "$key" "$name")
    if [[ -z $cell_value ]]; then
        if [[ -z ${missing_reported[$key.$name]:-} ]]; then
            missing_reported[$key.$name]=1
            add_error "$key: no result $name" "command: ${run_cmd[$key]}"$'\n'"stdout:"$'\n'"$(cat "$tmp/$key.out")"
        fi
        cell_text="**FAILED**"
        return
    fi
    cell_text=$(fmt "$cell_value")
    case $unit in
        "") ;;
        x) cell_text+=x ;;
        *) cell_text+=" $unit" ;;
    esac
}

# ---- running a program natively and under ehyve on 2 and 1 CPUs (threads, net) ----
# Configurations: n2 native (all CPUs), n1 native pinned to CPU 0 (pin_note says how),
# e2 ehyve --cpus 2, e1 ehyve --cpus 1. A run's key is PROGRAM.CONFIG; run_order lists
# the keys as they ran. The scripts declare run_state and run_cmd (associative) first.
pin=(taskset -c 0)
pin_note="taskset -c 0"
if ! command -v taskset >/dev/null 2>&1; then
    pin=()
    pin_note="not pinned: taskset not found"
fi
run_order=()

# run PROGRAM CONFIG [ARGS...]
run() {
    local prog=$1 config=$2
    shift 2
    local key=$prog.$config exe=$bindir/$prog
    local -a cmd
    case $config in
        n2) cmd=("$exe" "$@") ;;
        n1) cmd=("${pin[@]}" "$exe" "$@") ;;
        e2) cmd=("$ehyve" --cpus 2 "$exe" "$@") ;;
        e1) cmd=("$ehyve" --cpus 1 "$exe" "$@") ;;
        *) echo "$0: bad configuration $config" >&2; exit 2 ;;
    esac
    run_cmd[$key]="${cmd[*]}"
    run_order+=("$key")
    : >"$tmp/$key.out"
    : >"$tmp/$key.err"
    if [[ $config == e* && -n $kvm_skip ]]; then
        run_state[$key]=skipped
        return
    fi
    if [[ ! -x $exe ]]; then
        run_state[$key]=failed
        add_error "$key failed" "$exe not found or not executable; build first (cmake --build $build)"
        return
    fi
    if [[ $config == e* && ! -x $ehyve ]]; then
        run_state[$key]=failed
        add_error "$key failed" "$ehyve not found or not executable; build first (cmake --build $build)"
        return
    fi
    run_timed "$key" "${cmd[@]}"
}

# Native and Eremite runs of a program back to back, so that they see the same load on
# the host.
run_set() { # PROGRAM CPU_COUNTS [ARGS...]   CPU_COUNTS: "2" or "2 1"
    local prog=$1 counts=$2 n
    shift 2
    for n in $counts; do
        run "$prog" "n$n" "$@"
        run "$prog" "e$n" "$@"
    done
}
