#!/usr/bin/env bash
# Differential test: Linux is the oracle.
#
#   differential.sh EHYVE APP [--stdin FILE] [--env K=V]... [--ehyve-arg ARG]...
#                   [--scratch tmpfs|mount] [-- ARGS...]
#
# Runs APP natively as `env -i K=V... APP ARGS...` and then under Eremite as
# `env -i EHYVE [ARG...] --env K=V... APP ARGS...`. Both runs get stdin from FILE
# (default /dev/null) and stdout into a file, so both see the same kind of stdout and
# stdio buffers identically. stdout (byte-exact) and the exit status must match; a
# death by signal counts as 128+signal, as a shell reports it. stderr is not compared
# but is shown on failure.
#
#   --stdin FILE       feed FILE on standard input to both runs
#   --env K=V          one environment entry (repeatable, kept in order); the program's
#                      environment is exactly these entries in both runs
#   --ehyve-arg ARG    an extra option for ehyve only, placed before the --env options
#                      (repeatable; e.g. --ehyve-arg --memory --ehyve-arg 1G)
#   --scratch WHERE    a fresh, empty directory for the program to work in, named by the
#                      environment variable SCRATCH: natively a new host directory; under
#                      Eremite /tmp/scratch in its tmpfs (WHERE = tmpfs; the program makes
#                      it) or a new host directory mapped with --mount at /scratch
#                      (WHERE = mount). Both host directories are removed afterwards.
#
# ehyve itself runs with an empty environment too, so the guest's environment is the
# --env entries whether or not ehyve forwards its own.
#
# Exit status: 0 match, 1 mismatch, 2 usage or set-up error, 77 skipped (no usable
# /dev/kvm). DIFFERENTIAL_TIMEOUT (seconds, default 25) bounds each of the two runs.
set -u

usage() {
    echo "usage: differential.sh EHYVE APP [--stdin FILE] [--env K=V]... [--ehyve-arg ARG]... [--scratch tmpfs|mount] [-- ARGS...]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
ehyve=$1
app=$2
shift 2

stdin=/dev/null
envs=()
ehyve_args=()
scratch=
while [ $# -gt 0 ]; do
    case $1 in
    --stdin)
        [ $# -ge 2 ] || usage
        stdin=$2
        shift 2
        ;;
    --env)
        [ $# -ge 2 ] || usage
        case $2 in
        =* | "") echo "differential.sh: --env needs K=V, got '$2'" >&2; exit 2 ;;
        *=*) ;;
        *) echo "differential.sh: --env needs K=V, got '$2'" >&2; exit 2 ;;
        esac
        envs+=("$2")
        shift 2
        ;;
    --ehyve-arg)
        [ $# -ge 2 ] || usage
        ehyve_args+=("$2")
        shift 2
        ;;
    --scratch)
        [ $# -ge 2 ] || usage
        case $2 in tmpfs | mount) ;; *) usage ;; esac
        scratch=$2
        shift 2
        ;;
    --)
        shift
        break
        ;;
    *)
        usage
        ;;
    esac
done
args=("$@")

# A runner that needs no KVM (eremite-qemu under TCG) says so: DIFFERENTIAL_NEEDS_KVM=0.
if [ "${DIFFERENTIAL_NEEDS_KVM:-1}" = 0 ]; then
    :
elif [ ! -e /dev/kvm ]; then
    echo "SKIPPED: /dev/kvm does not exist"
    exit 77
elif ! (exec 3<>/dev/kvm) 2>/dev/null; then
    echo "SKIPPED: /dev/kvm cannot be opened read-write by $(id -un 2>/dev/null || id -u)"
    exit 77
fi

for f in "$ehyve" "$app"; do
    if [ ! -f "$f" ] || [ ! -x "$f" ]; then
        echo "differential.sh: '$f' is not an executable file" >&2
        exit 2
    fi
done
if [ ! -r "$stdin" ]; then
    echo "differential.sh: cannot read stdin file '$stdin'" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/differential.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

ulimit -c 0 2>/dev/null # a crashing test program must not leave core files behind
limit=${DIFFERENTIAL_TIMEOUT:-25}

# run NAME CMD...: runs CMD with stdout/stderr in $work/NAME.{out,err}; sets $status.
# The braces' 2>/dev/null swallows the shell's own "Segmentation fault" report.
run() {
    local name=$1
    shift
    {
        timeout --kill-after=5 "$limit" "$@" <"$stdin" >"$work/$name.out" 2>"$work/$name.err"
        status=$?
    } 2>/dev/null
}

ehyve_env=()
for e in "${envs[@]}"; do
    ehyve_env+=(--env "$e")
done

native_env=("${envs[@]}")
if [ -n "$scratch" ]; then
    mkdir "$work/native-scratch" "$work/ehyve-scratch" || exit 2
    native_env+=("SCRATCH=$work/native-scratch")
    if [ "$scratch" = mount ]; then
        ehyve_args+=(--mount "$work/ehyve-scratch:/scratch")
        ehyve_env+=(--env SCRATCH=/scratch)
    else
        ehyve_env+=(--env SCRATCH=/tmp/scratch)
    fi
fi

run native env -i "${native_env[@]}" "$app" "${args[@]}"
native_status=$status
run ehyve env -i "$ehyve" "${ehyve_args[@]}" "${ehyve_env[@]}" "$app" "${args[@]}"
ehyve_status=$status

name=$(basename "$app")
describe() {
    case $1 in
    124) echo "124 (timed out after ${limit}s?)" ;;
    129 | 1[3-9][0-9])
        local sig
        sig=$(kill -l $(($1 - 128)) 2>/dev/null) && echo "$1 (SIG$sig)" || echo "$1"
        ;;
    *) echo "$1" ;;
    esac
}

ok=1
if ! cmp -s "$work/native.out" "$work/ehyve.out"; then
    ok=0
    echo "FAIL: $name: stdout differs (--- native, +++ ehyve)"
    diff -u -a --label native --label ehyve "$work/native.out" "$work/ehyve.out" | head -n 200
fi
if [ "$native_status" -ne "$ehyve_status" ]; then
    ok=0
    echo "FAIL: $name: exit status differs: native $(describe "$native_status"), ehyve $(describe "$ehyve_status")"
fi

if [ $ok -eq 1 ]; then
    echo "PASS: $name: exit status $(describe "$native_status"), $(wc -c <"$work/native.out") bytes of identical stdout"
    exit 0
fi

echo "native exit status: $(describe "$native_status")"
echo "ehyve exit status:  $(describe "$ehyve_status")"
for which in native ehyve; do
    if [ -s "$work/$which.err" ]; then
        echo "---- $which stderr (last 40 lines) ----"
        tail -n 40 "$work/$which.err"
    fi
done
exit 1
