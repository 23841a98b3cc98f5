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
