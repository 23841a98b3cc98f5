#!/usr/bin/env bash
# Checks one behaviour of ehyve's command line that the differential tests cannot see
# (they compare only the app's stdout and status): the tracer, the statistics, logging,
# the boot-ABI check, stopping on signals. Usage: cli_test.sh EHYVE HELLO CASE SLEEPER
set -u
ehyve=$1 hello=$2 case=$3 sleeper=${4:-}
# Bad options are refused before /dev/kvm is opened: those cases run without it.
if [[ $case != bad_* && ( ! -r /dev/kvm || ! -w /dev/kvm ) ]]; then
    echo "SKIPPED: /dev/kvm is not usable here"
    exit 77
fi
out=$(mktemp) err=$(mktemp) scratch=$(mktemp -d)
trap 'rm -rf "$out" "$err" "$scratch"' EXIT

run() {
    "$ehyve" "$@" >"$out" 2>"$err" </dev/null
    status=$?
}
expect_status() {
    if [[ $status -ne $1 ]]; then
        echo "FAIL: exit status $status, expected $1"; cat "$err"; exit 1
    fi
}
expect_one_line_error() {  # TEXT: status 125 and exactly one line on stderr, naming TEXT
    expect_status 125
    expect_in "$err" "$1"
    if [[ $(wc -l <"$err") -ne 1 || -s $out ]]; then
        echo "FAIL: expected one line on stderr and nothing on stdout"; cat "$out" "$err"; exit 1
    fi
}
expect_in() {  # FILE TEXT: TEXT must appear literally
    if ! grep -qF -- "$2" "$1"; then
        echo "FAIL: expected in $(basename "$1"): $2"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1
    fi
}

case $case in
    version)
        run --version; expect_status 0; expect_in "$out" "ehyve (Eremite)" ;;
    help)
        run --help; expect_status 0; expect_in "$out" "usage: ehyve"; expect_in "$out" "--memory SIZE" ;;
    strace)
        run --strace "$hello" traced
        expect_status 0
        expect_in "$out" "Hello from Eremite! traced"
        expect_in "$err" 'write(1, "Hello from Eremite! traced\n", 27) = 27'
        expect_in "$err" 'rseq() = -1 ENOSYS (38)'
        expect_in "$err" 'exit_group(0) = ?' ;;
    stats)
        run --stats "$hello"
        expect_status 0
        for text in "VM set-up" "kernel boot" "app run" "total" "VM exits: io 1" "hypercalls: exit 1" \
                    "syscall sites" "rewritten as direct calls" "through rewritten direct calls" \
                    "trapping instructions:"; do
            expect_in "$err" "$text"
        done
        # hello's own write and exit_group go through rewritten sites.
        if ! grep -qE "syscalls: [1-9][0-9]* through rewritten direct calls" "$err"; then
            echo "FAIL: no syscall took a rewritten path"; cat "$err"; exit 1
        fi ;;
    rewrite_cache)
        # The first run analyses and stores the plan, the second takes it from the cache
        # and behaves the same; a damaged cache file is ignored.
        export XDG_CACHE_HOME=$scratch/cache
        run --stats "$hello" first; expect_status 0; expect_in "$out" "Hello from Eremite! first"
        if grep -q "plan from the cache" "$err"; then echo "FAIL: a cache hit on an empty cache"; exit 1; fi
        sites=$(grep -o "syscall sites [^;]*" "$err")
        run --stats "$hello" second; expect_status 0; expect_in "$out" "Hello from Eremite! second"
        expect_in "$err" "plan from the cache"
        expect_in "$err" "$sites"
        for file in "$scratch"/cache/eremite/rewrites/*; do printf 'garbage' >"$file"; done
        run --stats "$hello" third; expect_status 0; expect_in "$out" "Hello from Eremite! third"
        if grep -q "plan from the cache" "$err"; then echo "FAIL: a damaged cache file was used"; exit 1; fi
        expect_in "$err" "$sites" ;;
    syscall_pages)
        # With rewriting the slide and the stubs are in the app's address space, listed and
        # sealed; with --no-rewrite page 0 is unmapped, as on Linux.
        probe=$(dirname "$sleeper")/syscall_pages
        run "$probe"; expect_status 0
        expect_in "$out" "maps lists [syscalls]: yes"
        expect_in "$out" "munmap of page 0: Invalid argument"
        expect_in "$out" "mprotect of page 0: Invalid argument"
        run --no-rewrite "$probe"; expect_status 0
        expect_in "$out" "maps lists [syscalls]: no"
        expect_in "$out" "munmap of page 0: 0"
        expect_in "$out" "mprotect of page 0: Cannot allocate memory" ;;
    stats_no_rewrite)
        run --no-rewrite --stats "$hello"
        expect_status 0
        expect_in "$out" "Hello from Eremite!"
        expect_in "$err" "syscall sites not rewritten (--no-rewrite)"
        expect_in "$err" "syscalls: 0 through rewritten direct calls, 0 through call *%rax" ;;
    log_unimplemented)
        run -v "$hello"
        expect_status 0
        expect_in "$err" "syscall rseq (334) is not implemented: returning -ENOSYS" ;;
    quiet_by_default)
        run "$hello"
        expect_status 0
        if [[ -s $err ]]; then echo "FAIL: stderr not empty:"; cat "$err"; exit 1; fi ;;
    boot_abi_mismatch)
        run --test-boot-abi-version 99 "$hello"
        expect_status 126
        expect_in "$err" "kernel panic"
        expect_in "$err" "boot info not understood" ;;
    sigterm|sigint)
        # ehyve stops the VM cleanly when it is told to, with the shell's 128+signal.
        signal=TERM expected=143
        [[ $case == sigint ]] && signal=INT expected=130
        "$ehyve" --cpus 2 "$sleeper" >"$out" 2>"$err" &
        pid=$!
        sleep 0.5
        kill -s $signal $pid
        for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
        if kill -0 $pid 2>/dev/null; then kill -9 $pid; echo "FAIL: ehyve did not stop after SIG$signal"; exit 1; fi
        wait $pid
        status=$?
        expect_status $expected ;;
    enomem)
        # A 64 MiB VM refuses a 1 GiB allocation up front, as Linux's overcommit heuristic
        # would on a 64 MiB machine (the program is tests/apps/enomem.c).
        run --memory 64M "$(dirname "$hello")/../tests/apps/enomem.glibc"
        expect_status 0
        expect_in "$out" "malloc(1 GiB): NULL"
        expect_in "$out" "mmap(1 GiB): ENOMEM" ;;
    oom)
        # Touching more than the VM has ends the app as Linux's OOM killer would.
        run --memory 32M "$(dirname "$hello")/../tests/apps/oom_touch.glibc"
        expect_status 137
        expect_in "$err" "out of memory" ;;
    affinity)
        # vCPU threads pinned to host CPUs; a list shorter than the vCPUs is cycled.
        run --cpus 2 --affinity 0 "$hello" pinned
        expect_status 0; expect_in "$out" "Hello from Eremite! pinned" ;;
    tty)
        # isatty() and the terminal ioctls answer as natively, on a pty and on pipes.
        probe=$(dirname "$sleeper")/tty_probe
        if ! command -v script >/dev/null; then echo "SKIPPED: no script(1) to make a pty"; exit 77; fi
        native_pty=$(script -qec "$probe" /dev/null | tr -d '\r')
        eremite_pty=$(script -qec "$ehyve $probe" /dev/null | tr -d '\r')
        native_pipe=$("$probe" </dev/null | cat)
        eremite_pipe=$("$ehyve" "$probe" </dev/null | cat)
        if [[ $native_pty != "$eremite_pty" || $native_pipe != "$eremite_pipe" ]]; then
            echo "FAIL: pty: native '$native_pty', Eremite '$eremite_pty'; pipes: native '$native_pipe', Eremite '$eremite_pipe'"
            exit 1
        fi ;;
    bad_mount_missing)
        run --mount "$scratch/missing:/data" "$hello"
        expect_one_line_error "ehyve: --mount '$scratch/missing:/data': the host directory $scratch/missing does not exist" ;;
    bad_mount_file)
        touch "$scratch/file"
        run --mount "$scratch/file:/data:ro" "$hello"
        expect_one_line_error "$scratch/file is not a directory" ;;
    bad_mount_root)
        run --mount "$scratch:/" "$hello"
        expect_one_line_error "cannot mount on /" ;;
    bad_mount_guest)
        run --mount "$scratch:data" "$hello"
        expect_one_line_error "the guest path must be absolute" ;;
    bad_initrd_missing)
        run --initrd "$scratch/root.cpio" "$hello"
        expect_one_line_error "ehyve: --initrd $scratch/root.cpio: No such file or directory" ;;
    bad_initrd_not_cpio)
        echo "not an archive" >"$scratch/root.cpio"
        run --initrd "$scratch/root.cpio" "$hello"
        expect_one_line_error "--initrd $scratch/root.cpio is not a cpio archive in the newc format" ;;
    bad_cwd)
        run --cwd data "$hello"
        expect_one_line_error "ehyve: --cwd 'data': the guest path must be absolute"
        run --cwd /a/../b "$hello"
        expect_one_line_error "'..' is not allowed" ;;
    bad_sandbox)
        run --sandbox off "$hello"
        expect_one_line_error "--sandbox: unknown mode 'off' (use none, normal or strict)" ;;
    sandbox)
        # The default (normal) confines ehyve with Landlock where the host has it; strict
        # runs here too, or says clearly that this host kernel cannot.
        for mode in none normal strict; do
            run --sandbox $mode --mount "$scratch:/data:ro" "$hello" $mode
            if [[ $mode == strict && $status -eq 125 ]] && grep -qF "Landlock" "$err"; then
                echo "note: no Landlock on this host: $(cat "$err")"; continue
            fi
            expect_status 0; expect_in "$out" "Hello from Eremite! $mode"
        done ;;
    explicit_kernel)
        run --kernel "$(dirname "$ehyve")/eremite-kernel" "$hello"
        expect_status 0; expect_in "$out" "Hello from Eremite!" ;;
    *)
        echo "unknown case $case"; exit 2 ;;
esac
echo "ok"
