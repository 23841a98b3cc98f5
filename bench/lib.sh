# Shared by the benchmark scripts (sourced): the failure log and the description of the
# machine that every report starts with.

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
