#!/usr/bin/env bash
# Runs ehyve on bad input and checks its contract for bad input: exit status 125,
# nothing on stdout, and exactly one line on stderr that starts with "ehyve: " and
# matches PATTERN (an extended regular expression, case-insensitive).
#
#   check.sh MODE EHYVE PATTERN [EHYVE-ARGS...]
#
# MODE is how ehyve is started:
#   plain        EHYVE EHYVE-ARGS...
#   no-kvm       in a mount namespace with an empty tmpfs on /dev (needs root, unshare)
#   kvm-denied   as user nobody, /dev/kvm being closed to it (needs root, setpriv);
#                the last EHYVE-ARG (the app) is copied where nobody can read it
#   kvm-not-kvm  in a mount namespace with /dev/null bound onto /dev/kvm (needs root,
#                unshare)
# Exit status: 0 pass, 1 fail, 2 usage error, 77 skipped.
set -u

if [ $# -lt 3 ]; then
    echo "usage: check.sh plain|no-kvm|kvm-denied|kvm-not-kvm EHYVE PATTERN [EHYVE-ARGS...]" >&2
    exit 2
fi
mode=$1
ehyve=$2
pattern=$3
shift 3
args=("$@")

skip() {
    echo "SKIPPED: $*"
    exit 77
}

if [ ! -f "$ehyve" ] || [ ! -x "$ehyve" ]; then
    echo "check.sh: '$ehyve' is not an executable file" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bad_input.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
ulimit -c 0 2>/dev/null

nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
need_root() {
    [ "$(id -u)" -eq 0 ] || skip "mode $mode needs root"
}
need_unshare() {
    need_root
    command -v unshare >/dev/null 2>&1 || skip "unshare is not installed"
}

case $mode in
plain)
    cmd=("$ehyve" "${args[@]}")
    ;;
no-kvm)
    need_unshare
    unshare -m sh -c 'mount -t tmpfs none /dev' >/dev/null 2>&1 ||
        skip "cannot mount a tmpfs on /dev in a new mount namespace"
    cmd=(unshare -m bash -c 'mount -t tmpfs none /dev && exec "$@"' bash "$ehyve" "${args[@]}")
    ;;
kvm-not-kvm)
    need_unshare
    [ -e /dev/kvm ] || skip "/dev/kvm does not exist, nothing to bind over"
    unshare -m sh -c 'mount --bind /dev/null /dev/kvm' >/dev/null 2>&1 ||
        skip "cannot bind-mount /dev/null onto /dev/kvm in a new mount namespace"
    cmd=(unshare -m bash -c 'mount --bind /dev/null /dev/kvm && exec "$@"' bash "$ehyve" "${args[@]}")
    ;;
kvm-denied)
    need_root
    command -v setpriv >/dev/null 2>&1 || skip "setpriv is not installed"
    [ ${#args[@]} -ge 1 ] || { echo "check.sh: kvm-denied needs the app as last argument" >&2; exit 2; }
    [ -e /dev/kvm ] || skip "/dev/kvm does not exist"
    "${nobody[@]}" bash -c 'exec 3<>/dev/kvm' >/dev/null 2>&1 &&
        skip "user nobody can open /dev/kvm read-write"
    "${nobody[@]}" test -x "$ehyve" || skip "user nobody cannot execute $ehyve"
    chmod 755 "$work"
    app=$work/$(basename "${args[-1]}")
    cp "${args[-1]}" "$app" && chmod 755 "$app" || exit 2
    cmd=("${nobody[@]}" "$ehyve" "${args[@]:0:${#args[@]}-1}" "$app")
    ;;
*)
    echo "check.sh: unknown mode '$mode'" >&2
    exit 2
    ;;
esac

timeout --kill-after=5 20 "${cmd[@]}" </dev/null >"$work/out" 2>"$work/err"
status=$?

problems=()
[ "$status" -eq 125 ] || problems+=("exit status is $status, not 125")
[ -s "$work/out" ] && problems+=("stdout is not empty")
lines=$(wc -l <"$work/err")
if [ ! -s "$work/err" ]; then
    problems+=("stderr is empty")
elif [ "$lines" -ne 1 ] || [ "$(tail -c 1 "$work/err" | wc -l)" -ne 1 ]; then
    problems+=("stderr is not exactly one line")
fi
[ "$(head -c 7 "$work/err")" = "ehyve: " ] || problems+=("stderr does not start with 'ehyve: '")
grep -Eiq -e "$pattern" "$work/err" || problems+=("stderr does not match /$pattern/ (case-insensitive)")

if [ ${#problems[@]} -eq 0 ]; then
    echo "PASS: $(cat "$work/err")"
    exit 0
fi
printf 'FAIL: %s\n' "${problems[@]}"
printf 'command:'
printf ' %q' "${cmd[@]}"
echo
echo "exit status: $status"
echo "---- stdout (cat -A) ----"
cat -A "$work/out" | head -n 20
echo "---- stderr (cat -A) ----"
cat -A "$work/err" | head -n 20
exit 1
