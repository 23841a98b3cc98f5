#!/usr/bin/env bash
# Escape test for --mount: a guest program tries to reach host files outside the mapped
# directories and to change a read-only one. It must not see the secret, the files
# outside must stay untouched, and the read-only directory must hash the same after.
#
#   escape_test.sh EHYVE PROBE
set -u
ehyve=$1
probe=$2
source "$(dirname "$0")/lib.sh"
base=$work
mkdir "$base/shared" "$base/outside" "$base/ro" "$base/ro/sub"
echo "HOST-SECRET-$$" >"$base/outside/secret"
echo "inside" >"$base/shared/file"
echo "keep" >"$base/ro/keep"
ln -s "$base/outside/secret" "$base/shared/abs_link"
ln -s ../outside/secret "$base/shared/rel_link"
ln -s ../outside "$base/shared/dir_link"

snapshot() { # every file, link and mode below $1, with contents
    (cd "$1" && find . -printf '%p %y %m %s %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
}
outside_before=$(snapshot "$base/outside")
ro_before=$(snapshot "$base/ro")

out=$("$ehyve" --mount "$base/shared:/shared" --mount "$base/ro:/ro:ro" "$probe" 2>&1)
status=$?
echo "$out"
fail=0
if [ $status -ne 0 ]; then
    echo "FAIL: the probe exited with $status"
    fail=1
fi
if grep -q "HOST-SECRET" <<<"$out"; then
    echo "FAIL: the guest read the host secret"
    fail=1
fi
if ! grep -q "^read /shared/file: 7 bytes: inside" <<<"$out"; then
    echo "FAIL: the guest could not read its own mounted file"
    fail=1
fi
# Every write attempt on /ro must have been refused.
if grep -E "^(open /ro|create /ro|unlink /ro|mkdir /ro|rmdir /ro|rename /ro|chmod /ro|truncate /ro|symlink in /ro|utimensat /ro|rename /shared/file /ro|link /ro|rename /ro/keep /shared).*: done" <<<"$out"; then
    echo "FAIL: a write to the read-only mount went through"
    fail=1
fi
if [ "$(snapshot "$base/outside")" != "$outside_before" ]; then
    echo "FAIL: files outside the mounts changed"
    fail=1
fi
if [ "$(snapshot "$base/ro")" != "$ro_before" ]; then
    echo "FAIL: the read-only mount changed"
    fail=1
fi
[ $fail -eq 0 ] && echo "PASS: no escape, read-only mount untouched"
exit $fail
