#!/usr/bin/env bash
# Boot-to-exit under QEMU, in one run on one machine: the static hello in the Eremite
# kernel (booted through its PVH entry) against Debian's Linux kernel with a
# one-program initramfs, same QEMU, same machine type (microvm), same memory, same
# accelerator: KVM where /dev/kvm is hardware KVM, TCG otherwise (kvm-pvm cannot run
# QEMU guests). Prints a markdown report.
#
#   bench/boot/qemu.sh BUILD_DIR [RUNS]      (RUNS: default 5, at least 3)
#
# Rows (each timed by BUILD_DIR/bin/boot-timer: fork+exec to waitpid, output to
# /dev/null, one warm-up run):
#   Eremite, QEMU directly   qemu-system-x86_64 -M microvm -kernel eremite-kernel
#                            -initrd hello -append '-- /hello' (+ isa-debug-exit)
#   Eremite, eremite-qemu    the same through tools/eremite-qemu (its bash and perl)
#   Linux                    -kernel vmlinuz (Debian's linux-image-amd64, fetched once
#                            by scripts/debian_kernel.sh into BUILD_DIR/_debian_packages)
#                            -initrd with /init = bench/boot/linux-init (prints the
#                            hello line, then reboot(): a triple fault, reboot=t, with
#                            which -no-reboot ends QEMU),
#                            quiet console
set -u

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 BUILD_DIR [RUNS]" >&2; exit 2; }
build=${1%/}
runs=${2:-5}
[[ $runs =~ ^[0-9]+$ ]] && ((runs >= 3)) || { echo "$0: RUNS must be a number, at least 3" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"

timer=$build/bin/boot-timer
kernel=$build/bin/eremite-kernel
runner=$build/bin/eremite-qemu
hello=$build/examples/hello
linux_init=$build/bench/boot/linux-init
for f in "$timer" "$kernel" "$runner" "$hello" "$linux_init"; do
    [[ -x $f || -f $f ]] || { echo "$0: $f not found; build first (cmake --build $build)" >&2; exit 1; }
done
qemu=$(command -v qemu-system-x86_64) || { echo "$0: qemu-system-x86_64 is not installed (scripts/setup.sh)" >&2; exit 1; }
linux_dir=$build/_debian_packages/linux
"$here/../../scripts/debian_kernel.sh" "$linux_dir" || exit 1
linux_version=$(cat "$linux_dir/version")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/eremite-bench-qemu.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/root"
cp "$linux_init" "$tmp/root/init"
(cd "$tmp/root" && echo init | cpio --quiet -o -H newc >"$tmp/linux-initrd.cpio") || exit 1

describe_machine
# As eremite-qemu --accel auto chooses: "kvm", or "tcg: WHY".
accel_choice=$("$runner" --print-accel) || exit 1
accel=${accel_choice%%:*}
accel_why="TCG (${accel_choice#tcg: })"
[[ $accel == kvm ]] && accel_why="KVM (hardware)"
cpu_model=max
[[ $accel == kvm ]] && cpu_model=host
memory=512M
common=(-M microvm,acpi=off -accel "$accel" -cpu "$cpu_model" -m "$memory" -nodefaults -no-user-config
    -display none -no-reboot -serial "file:$tmp/serial")

# Eremite ends through isa-debug-exit: QEMU's status 1 is the program's 0.
eremite=(sh -c '"$@"; test $? -eq 1' sh "$qemu" "${common[@]}" -kernel "$kernel" -initrd "$hello"
    -append "-- /hello" -device isa-debug-exit,iobase=0xf4,iosize=4)
wrapped=("$runner" --machine microvm --accel "$accel" --memory "$memory" --kernel "$kernel" "$hello")
linux=("$qemu" "${common[@]}" -kernel "$linux_dir/vmlinuz" -initrd "$tmp/linux-initrd.cpio"
    -append "console=ttyS0 quiet panic=-1 reboot=t")

declare -A result command_text
failed=0
measure() { # KEY COMMAND...
    local key=$1
    shift
    command_text[$key]="$*"
    echo "running: $key ($runs runs)" >&2
    # Once with its output kept: it must print the hello line.
    rm -f "$tmp/serial"
    timeout 300 "$@" >"$tmp/$key.out" 2>"$tmp/$key.err" </dev/null
    local rc=$?
    if ((rc != 0)) || ! grep -qi "hello" "$tmp/$key.out" "$tmp/serial" 2>/dev/null; then
        result[$key]="failed (status $rc: $(tail -c 300 "$tmp/$key.err" "$tmp/serial" 2>/dev/null | tr '\n' ' '))"
        failed=1
        return
    fi
    # A bound on the whole series (the run above ended, but a later one may hang).
    if out=$(timeout $((300 * (runs + 1))) "$timer" --runs "$runs" --warmup 1 -- "$@" 2>"$tmp/timer.err"); then
        result[$key]=$out
    else
        result[$key]="failed: $(cat "$tmp/timer.err")"
        failed=1
    fi
}
field() { # KEY NAME -> milliseconds
    sed -n "s/.*\\b$2=\\([0-9]*\\).*/\\1/p" <<<"${result[$1]}" | awk '{printf "%.1f", $1 / 1000}'
}

measure eremite "${eremite[@]}"
measure wrapped "${wrapped[@]}"
measure linux "${linux[@]}"

echo "# Boot to exit under QEMU (bench/boot/qemu.sh)"
echo
echo "Machine: $cpu, $cores cores, Linux $kernel_release, /dev/kvm is kvm-pvm: $kvm_pvm"
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); QEMU $("$qemu" --version | head -n 1 | sed 's/.*version //'); accelerator: $accel_why;"
echo "-M microvm,acpi=off (eremite-qemu: its own microvm options), $memory, one CPU. $runs timed runs each after one warm-up, fork+exec to waitpid."
echo
echo "| guest | median ms | p10 ms | p90 ms | min ms | Linux / this |"
echo "|---|---:|---:|---:|---:|---:|"
linux_median=$(field linux median_us)
for key in eremite wrapped linux; do
    case $key in
        eremite) label="Eremite: static hello (PVH entry, QEMU directly)" ;;
        wrapped) label="Eremite: the same through eremite-qemu" ;;
        linux) label="Linux $linux_version (Debian), initramfs /init = static hello + reboot" ;;
    esac
    if [[ ${result[$key]} == failed* ]]; then
        echo "| $label | ${result[$key]} | | | | |"
        continue
    fi
    median=$(field "$key" median_us)
    echo "| $label | $median | $(field "$key" p10_us) | $(field "$key" p90_us) | $(field "$key" min_us) |" \
        "$(ratio_of "$linux_median" "$median") |"
done
echo
echo "Target: Eremite at least 10x faster than the Linux microVM on the same accelerator."
echo
echo '```'
for key in eremite wrapped linux; do echo "$key: ${command_text[$key]}"; done
echo '```'
exit $failed
