#!/usr/bin/env bash
# Runs COMMAND... when eremite-qemu would use QEMU with KVM here (/dev/kvm is hardware
# KVM); reports SKIPPED with the reason otherwise (kvm-pvm, a software hypervisor, runs
# no QEMU guest).
#
#   with_hardware_kvm.sh EREMITE_QEMU COMMAND...
runner=$1
shift
accel=$("$runner" --print-accel) || exit 2
if [ "$accel" != kvm ]; then
    echo "SKIPPED: QEMU/KVM tests need hardware KVM (eremite-qemu: ${accel})"
    exit 77
fi
exec "$@"
