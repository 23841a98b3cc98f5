#!/usr/bin/env bash
# Runs COMMAND... when /dev/kvm is hardware KVM (which runs QEMU guests); reports
# SKIPPED with the reason otherwise (kvm-pvm, a software hypervisor, does not).
if ! (exec 3<>/dev/kvm) 2>/dev/null; then
    echo "SKIPPED: /dev/kvm is not usable"
    exit 77
fi
if [ -d /sys/module/kvm_pvm ]; then
    echo "SKIPPED: /dev/kvm is kvm-pvm, which cannot run QEMU guests (QEMU/KVM tests need hardware KVM)"
    exit 77
fi
exec "$@"
