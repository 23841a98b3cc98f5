#!/usr/bin/env bash
# tools/eremite-qemu from the outside: bad input gets one line and status 125 before
# QEMU starts (or from the kernel when the program is bad), --initrd files reach the
# program, and a program's status comes back whole (above 127 too).
#
#   runner_test.sh EREMITE_QEMU TREE_PROBE EXIT_CODE_PROGRAM SHOW_FILES ARGV_ENV BIG_MEMORY THREADS HTTPD
set -u
runner=$1
probe=$2
exit_code=$3
show_files=$4
argv_env=$5
big_memory=$6
threads=$7
httpd=$8
command -v qemu-system-x86_64 >/dev/null || {
    echo "SKIPPED: qemu-system-x86_64 is not installed"
    exit 77
}
work=$(mktemp -d "${TMPDIR:-/tmp}/eremite-qemu-test.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
fail=0

# expect_refusal STATUS TEXT ARGS...: the runner exits with STATUS and one stderr line
# containing TEXT.
expect_refusal() {
    local want=$1 text=$2 err status
    shift 2
    err=$(timeout 60 "$runner" "$@" 2>&1 >/dev/null)
    status=$?
    if [ $status -ne "$want" ] || ! grep -qF -- "$text" <<<"$err" || [ "$(wc -l <<<"$err")" -ne 1 ]; then
        echo "FAIL: eremite-qemu $*: status $status (want $want), stderr: $err"
        fail=1
    else
        echo "ok: eremite-qemu $*: $err"
    fi
}
expect_refusal 125 "no program"
expect_refusal 125 "does not exist" "$work/missing"
echo "not a program" >"$work/text"
expect_refusal 125 "not an ELF program" "$work/text"
expect_refusal 125 "at most 64" --cpus 65 "$probe"
expect_refusal 125 "--machine 'isa'" --machine isa "$probe"
expect_refusal 125 "only user" --net tap:tap0 "$probe"
expect_refusal 125 "needs --net user" --forward tcp:8080:80 "$probe"
expect_refusal 125 "PROTO:[ADDR:]HOST_PORT:GUEST_PORT" --net user --forward sctp:1:2 "$probe"
expect_refusal 125 "not under QEMU" --mount /tmp:/data "$probe"
if [ "$("$runner" --print-accel)" != kvm ]; then
    expect_refusal 125 "--accel kvm: QEMU/KVM needs hardware KVM" --accel kvm "$probe"
fi
# A file that starts like an ELF but is cut short: the kernel's loader refuses it.
head -c 100 "$probe" >"$work/truncated"
expect_refusal 125 "truncated" "$work/truncated"

# Statuses come back whole: isa-debug-exit alone would keep 7 bits of them.
for status in 0 3 200 255; do
    timeout 60 "$runner" "$exit_code" "$status"
    got=$?
    if [ $got -ne "$status" ]; then
        echo "FAIL: exit_code $status came back as $got"
        fail=1
    fi
done
echo "ok: statuses 0, 3, 200 and 255 come back"

# --stats: the kernel's counts after the exit, on stderr, the status unchanged.
err=$(timeout 60 "$runner" --stats "$exit_code" 7 2>&1 >/dev/null)
got=$?
if [ $got -ne 7 ] || ! grep -q "^eremite: stats: syscalls: " <<<"$err" ||
    ! grep -q "^eremite: stats: [0-9]* interrupts" <<<"$err"; then
    echo "FAIL: --stats: status $got (want 7), stderr: $err"
    fail=1
else
    echo "ok: --stats prints the kernel's counts"
fi

# The program's own output may hold the kernel's exit line: it is the program's, passed
# on as it is, and decides nothing.
out=$(timeout 60 "$runner" "$argv_env" $'\e]eremite-exit;42\a' 2>/dev/null)
got=$?
if [ $got -ne 0 ] || ! grep -qF $'argv[1]=[\e]eremite-exit;42\a]' <<<"$out"; then
    echo "FAIL: a program printing the exit line: status $got, stdout $(cat -v <<<"$out")"
    fail=1
else
    echo "ok: the exit line in the program's stdout stays there and sets no status"
fi
# The same on stderr (httpd names the directory it cannot serve there, and exits 1).
err=$(timeout 60 "$runner" "$httpd" $'/nope\e]eremite-exit;42\a' 80 2>&1 >/dev/null)
got=$?
if [ $got -ne 1 ] || ! grep -qF $'/nope\e]eremite-exit;42\a: No such file' <<<"$err"; then
    echo "FAIL: a program writing the exit line to stderr: status $got (want 1), stderr $(cat -v <<<"$err")"
    fail=1
else
    echo "ok: the exit line in the program's stderr stays there and sets no status"
fi

# QEMU run by hand on the kernel, under TCG: qemu_direct MACHINE INITRD COMMAND_LINE
# [QEMU_OPTIONS...], its serial output in $work/serial, QEMU's status its own.
kernel=$(dirname "$runner")/eremite-kernel
microvm=microvm,x-option-roms=off,rtc=on,pit=on,pic=off,isa-serial=on  # as eremite-qemu gives it
exit_device=(-device isa-debug-exit,iobase=0xf4,iosize=4)
qemu_direct() {
    local machine=$1 initrd=$2 command_line=$3
    shift 3
    timeout 120 qemu-system-x86_64 -M "$machine" -accel tcg -cpu max -nodefaults -display none -kernel "$kernel" \
        -initrd "$initrd" -append "$command_line" -serial "file:$work/serial" "$@" 2>"$work/qemu.err"
}

# Without isa-debug-exit: ACPI's soft-off ends the VM, on q35 and pc, with the status in
# the last line of the log; a reboot instead would loop until killed.
for machine in q35 pc; do
    qemu_direct "$machine" "$exit_code" "-- /exit_code 7" -m 256M
    got=$?
    # Exactly one exit line: a reset instead of the power-off would run the program again.
    if [ $got -ne 0 ] || [ "$(grep -ac $'\e\\]eremite-exit;7\a' "$work/serial")" -ne 1 ]; then
        echo "FAIL: $machine without isa-debug-exit: QEMU status $got, serial: $(cat -v "$work/serial")"
        fail=1
    else
        echo "ok: $machine without isa-debug-exit powers off (status 7 in the last line)"
    fi
done
# microvm has neither isa-debug-exit nor ACPI's PM1 block: the kernel ends with a triple
# fault, which QEMU turns into its end under -no-reboot.
qemu_direct "$microvm" "$exit_code" "-- /exit_code 7" -m 256M -no-reboot
got=$?
if [ $got -ne 0 ] || ! grep -aq $'\e\\]eremite-exit;7\a' "$work/serial"; then
    echo "FAIL: microvm without isa-debug-exit: QEMU status $got, serial: $(cat -v "$work/serial")"
    fail=1
else
    echo "ok: microvm without isa-debug-exit ends through a triple fault (status 7 in the last line)"
fi

# QEMU's virtio-mmio devices are legacy (version 1) by default, which the kernel does not
# drive: it says so, naming the option that gives version 2, and the program still runs.
qemu_direct "$microvm" "$exit_code" "-- /exit_code 0" -m 256M -no-reboot "${exit_device[@]}" \
    -netdev user,id=n0 -device virtio-net-device,netdev=n0
got=$?
if [ $got -ne 1 ] || ! grep -aq "legacy one (version 1).*virtio-mmio.force-legacy=false" "$work/serial"; then
    echo "FAIL: a legacy virtio-mmio device: QEMU status $got (want 1), serial: $(cat -v "$work/serial")"
    fail=1
else
    echo "ok: a legacy virtio-mmio device is named, with the option that gives version 2"
fi

# RAM above 4 GiB: with 1 GiB below QEMU's PCI hole and 1 GiB above it, a program that
# writes 1 GiB needs both, and the kernel counts both.
qemu_direct q35,max-ram-below-4g=1G "$big_memory" "loglevel=debug -- /big_memory" -m 2G -no-reboot \
    "${exit_device[@]}"
got=$?
if [ $got -ne 1 ] || ! grep -aq "^1 GiB allocated, written and freed; errors: 0" "$work/serial" ||
    ! grep -aq "memory: 204[0-8] MiB of RAM" "$work/serial"; then
    echo "FAIL: 2 GiB, half above 4 GiB: QEMU status $got, serial: $(grep -a -v "debug: boot" "$work/serial" | cat -v)"
    fail=1
else
    echo "ok: RAM above 4 GiB is used (2 GiB, half of it above the PCI hole)"
fi

# A second CPU while the heap lies above 4 GiB: a 600 MiB file in the initrd (the
# archive itself below the hole, its copy in memory mostly above) leaves the heap there,
# where the PVH entry's page tables do not reach; the CPU must start all the same.
mkdir -p "$work/high"
head -c $((600 << 20)) /dev/zero >"$work/high/filler"
cp "$threads" "$work/high/threads"
(cd "$work/high" && find . | cpio --quiet -o -H newc >"$work/high.cpio") || exit 2
rm -rf "$work/high"
qemu_direct q35,max-ram-below-4g=1G "$work/high.cpio" "loglevel=debug init=/threads --" -smp 2 -m 2G \
    -no-reboot "${exit_device[@]}"
got=$?
rm -f "$work/high.cpio"
if [ $got -ne 1 ] || ! grep -aq "smp: CPU 1 online" "$work/serial"; then
    echo "FAIL: a second CPU with the heap above 4 GiB: QEMU status $got, serial: $(grep -a -v "debug: boot" "$work/serial" | tail -5 | cat -v)"
    fail=1
else
    echo "ok: a second CPU starts while the heap lies above 4 GiB"
fi

# The kernel's own options, QEMU run by hand: init= names the program (the words after --
# are its arguments), ip= gateway= dns= set a static address that /etc follows.
qemu_direct q35 "$show_files" \
    "ip=10.0.2.20/24 gateway=10.0.2.2 dns=10.0.2.3 init=/show_files -- /etc/hosts /etc/resolv.conf" \
    -m 256M -no-reboot "${exit_device[@]}" -netdev user,id=n0 -device virtio-net-pci,netdev=n0
got=$?
if [ $got -eq 1 ] && grep -aq $'^10.0.2.20\teremite$' "$work/serial" && grep -aq '^nameserver 10.0.2.3$' "$work/serial"; then
    echo "ok: init= runs the program; ip=, gateway=, dns= give the static address in /etc"
else
    echo "FAIL: init= or ip= did not work (QEMU status $got, want 1: the program's 0): $(cat -v "$work/serial")"
    fail=1
fi

# --initrd: the archive's files are the guest's root, with the program added.
mkdir -p "$work/root/data"
echo "from the initrd" >"$work/root/data/note"
(cd "$work/root" && find . | cpio --quiet -o -H newc >"$work/root.cpio") || exit 2
out=$(timeout 60 "$runner" --initrd "$work/root.cpio" "$probe" /data/note 2>&1)
status=$?
echo "--initrd: status $status: $out"
if [ $status -ne 0 ] || ! grep -q "^/data/note: file 0644 size 16 .*from the initrd" <<<"$out"; then
    echo "FAIL: the program did not see the --initrd file"
    fail=1
fi
exit $fail
