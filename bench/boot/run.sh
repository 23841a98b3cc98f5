#!/usr/bin/env bash
# Boot-to-exit benchmark: measures, in one run and on one machine, the wall time
# of the hello examples run natively and under ehyve, next to the floor of a bare
# KVM VM created and run to its first exit, and prints a markdown report.
#
#   bench/boot/run.sh BUILD_DIR [RUNS]      (RUNS: default 50, at least 20)
#
# Every row is timed by BUILD_DIR/bin/boot-timer (fork+exec to waitpid, output
# to /dev/null) after 3 warm-up runs. A row that fails is reported and the other
# rows still run; the script then exits 1. Rows that need /dev/kvm are skipped
# (with the reason) when it is not usable; skipping alone is not a failure.
set -u

usage() {
    echo "usage: $0 BUILD_DIR [RUNS]   (RUNS: default 50, minimum 20)" >&2
    exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
build=${1%/}
runs=${2:-50}
[[ $runs =~ ^[0-9]+$ ]] || usage
if ((runs < 20)); then
    echo "$0: RUNS must be at least 20 (got $runs)" >&2
    exit 2
fi
warmup=3

timer=$build/bin/boot-timer
floor=$build/bin/bare-kvm-floor
ehyve=$build/bin/ehyve
kernel=$build/bin/eremite-kernel
hello=$build/examples/hello
hello_cxx=$build/examples/hello-cxx

if [[ ! -x $timer ]]; then
    echo "$0: $timer not found; build first (make build)" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eremite-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "$0")/../lib.sh"

# ---------------------------------------------------------------- the machine
describe_machine

# Is /dev/kvm usable? The floor itself is the most direct test.
kvm_skip=""
if [[ ! -e /dev/kvm ]]; then
    kvm_skip="no /dev/kvm"
elif [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
    kvm_skip="/dev/kvm not readable and writable by $(id -un)"
elif [[ ! -x $floor ]]; then
    kvm_skip=""  # reported as a failure of the floor row below
elif ! "$floor" 2>"$tmp/kvm-probe" >/dev/null; then
    kvm_skip="/dev/kvm not usable: $(head -n 1 "$tmp/kvm-probe")"
fi

# ---------------------------------------------------------------- measuring
declare -a row_label row_cells
declare -A median_of   # row key -> median in us, for ratios

ms() { # microseconds -> milliseconds with 3 decimals
    awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'
}

# Value of KEY in boot-timer's "k=v k=v ..." line.
field() { # LINE KEY
    local kv
    for kv in $1; do
        if [[ ${kv%%=*} == "$2" ]]; then
            echo "${kv#*=}"
            return
        fi
    done
}

# measure KEY LABEL SKIP_REASON COMMAND [ARGS...]
# Appends a row; on failure records the error and marks the run failed.
measure() {
    local key=$1 label=$2 skip=$3
    shift 3
    skip=${skip//|/\\|}  # keep the table intact
    row_label+=("$label")
    if [[ -n $skip ]]; then
        row_cells+=("skipped ($skip) | | | | |")
        return
    fi
    echo "measuring: $label ..." >&2
    local out
    if out=$("$timer" --runs "$runs" --warmup "$warmup" -- "$@" 2>"$tmp/timer-err"); then
        local med p10 p90 min max
        med=$(field "$out" median_us)
        p10=$(field "$out" p10_us)
        p90=$(field "$out" p90_us)
        min=$(field "$out" min_us)
        max=$(field "$out" max_us)
        median_of[$key]=$med
        row_cells+=("$(ms "$med") | $(ms "$p10") | $(ms "$p90") | $(ms "$min") | $(ms "$max") | @RATIO@")
    else
        # boot-timer discards the program's output; run it once more to show it.
        local detail
        detail=$(cat "$tmp/timer-err")
        "$@" >/dev/null 2>"$tmp/cmd-err" </dev/null
        local rc=$?
        detail+=$'\n'"one more run of: $*"$'\n'"exit status: $rc"
        if [[ -s $tmp/cmd-err ]]; then
            detail+=$'\n'"stderr (last 20 lines):"$'\n'"$(tail -n 20 "$tmp/cmd-err")"
        fi
        add_error "$label failed" "$detail"
        row_cells+=("failed (see Errors below) | | | | |")
    fi
}

# Like measure, but a program that is missing (and not skipped) is a failure row.
measure_prog() { # KEY LABEL SKIP PROGRAM [ARGS...]
    local key=$1 label=$2 skip=$3 prog=$4
    if [[ -z $skip && ! -x $prog ]]; then
        row_label+=("$label")
        row_cells+=("failed ($prog not found) | | | | |")
        add_error "$label failed" "$prog not found or not executable; build first (make build)"
        return
    fi
    measure "$@"
}

measure_prog native_hello "native hello" "" "$hello"
measure_prog native_hello_cxx "native hello-cxx" "" "$hello_cxx"
measure_prog ehyve_hello "ehyve hello" "$kvm_skip" "$ehyve" "$hello"
measure_prog ehyve_hello_cxx "ehyve hello-cxx" "$kvm_skip" "$ehyve" "$hello_cxx"
measure_prog floor "bare KVM VM to first HLT (bare-kvm-floor: real mode, no irqchip)" "$kvm_skip" "$floor"
measure_prog floor_irqchip "bare KVM VM to first exit, long mode + KVM_CREATE_IRQCHIP" "$kvm_skip" \
    "$floor" --mode long --irqchip full
measure_prog floor_split "bare KVM VM to first exit, long mode + split irqchip" "$kvm_skip" \
    "$floor" --mode long --irqchip split

# Ratio of a row's median to the native row it is compared with.
declare -A native_for=(
    [native_hello]=native_hello [native_hello_cxx]=native_hello_cxx
    [ehyve_hello]=native_hello [ehyve_hello_cxx]=native_hello_cxx
    [floor]=native_hello [floor_irqchip]=native_hello [floor_split]=native_hello
)
row_keys=(native_hello native_hello_cxx ehyve_hello ehyve_hello_cxx floor floor_irqchip floor_split)

ratio() { # KEY
    local key=$1 base=${native_for[$1]}
    if [[ -n ${median_of[$key]:-} && -n ${median_of[$base]:-} ]]; then
        awk -v a="${median_of[$key]}" -v b="${median_of[$base]}" \
            'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "n/a" }'
    else
        echo "n/a"
    fi
}

# ---------------------------------------------------------------- sizes
size_line() { # LABEL FILE
    local bytes
    if bytes=$(stat -c %s "$2" 2>/dev/null); then
        awk -v l="$1" -v b="$bytes" 'BEGIN { printf "- %s: %d bytes (%.1f KiB)\n", l, b, b / 1024 }'
    else
        echo "- $1: not found"
        return 1
    fi
}

# Sum of the memory sizes of the PT_LOAD segments of an ELF file.
loadable_bytes() { # FILE
    local total=0 type memsz
    while read -r type _ _ _ _ memsz _; do
        [[ $type == LOAD ]] && total=$((total + memsz))
    done < <(readelf -lW "$1" 2>/dev/null | grep '^[[:space:]]*LOAD')
    echo "$total"
}

# ---------------------------------------------------------------- the report
echo "# Eremite boot-to-exit benchmark"
echo
echo "Machine: $cpu, $cores cores, Linux $kernel_release, /dev/kvm is kvm-pvm: $kvm_pvm"
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo
echo "Each row: $runs timed runs after $warmup warm-up runs of the whole process, from fork to"
echo "waitpid (boot-timer), stdout and stderr to /dev/null. Times in ms. \"ratio to native\" is"
echo "the median over the median of the native run of the same program; the bare-KVM rows are"
echo "compared with native hello."
echo
echo "| what | median | p10 | p90 | min | max | ratio to native |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for i in "${!row_keys[@]}"; do
    cells=${row_cells[$i]}
    cells=${cells/@RATIO@/$(ratio "${row_keys[$i]}")}
    echo "| ${row_label[$i]} | $cells |"
done
echo
echo "The bare-KVM rows open /dev/kvm, create a VM with 2 MiB of memory and one vCPU, and"
echo "run it to its first exit to userspace: \`hlt\` without an irqchip; \`out\` with one,"
echo "since KVM then handles \`hlt\` in the kernel. The first is the floor for ehyve."
echo
echo "## Sizes"
echo
if size_line "kernel image $kernel" "$kernel"; then
    loadable=$(loadable_bytes "$kernel")
    awk -v b="$loadable" 'BEGIN { printf "- kernel loadable size (sum of PT_LOAD memsz): %d bytes (%.1f KiB)\n", b, b / 1024 }'
else
    add_error "kernel image missing" "$kernel not found; build first (make build)"
fi
size_line "$hello" "$hello" || true
size_line "$hello_cxx" "$hello_cxx" || true

if [[ -n $errors ]]; then
    echo
    echo "## Errors"
    echo "$errors"
fi

# One sample of ehyve's own phase times and VM-exit counts, if it has --stats.
if [[ -z $kvm_skip && -x $ehyve && -x $hello ]]; then
    help=$("$ehyve" --help 2>&1 </dev/null)
    "$ehyve" --stats "$hello" >/dev/null 2>"$tmp/stats" </dev/null
    rc=$?
    if grep -q -- '--stats' <<<"$help" || ((rc == 0)); then
        echo
        echo "## Sample: ehyve --stats $hello (stderr)"
        echo
        echo '```'
        cat "$tmp/stats"
        if ((rc != 0)); then
            echo "(exit status $rc)"
            failed=1
        fi
        echo '```'
    fi
fi

exit "$failed"
