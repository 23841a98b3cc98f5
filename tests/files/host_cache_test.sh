#!/usr/bin/env bash
# hostfs's cache (kernel/fs/host_cache.hpp), seen from outside the guest:
#  - a file opened, read and closed again and again costs no host calls once known
#    (counted by ehyve --stats), where each round used to cost five;
#  - changes the host makes to a mounted file, in place or by renaming a new file over
#    it, reach a guest that keeps reading it (within validity_ns: 1 s).
#
#   host_cache_test.sh EHYVE PROBE
set -u
ehyve=$1
probe=$2
source "$(dirname "$0")/lib.sh"
fail=0
mkdir "$work/www"
head -c 4096 /dev/urandom >"$work/www/page"

rounds=2000
out=$("$ehyve" --stats --mount "$work/www:/www:ro" "$probe" repeat /www/page $rounds 2>&1)
status=$?
calls=$(sed -n 's/.*hypercalls:.* host_file \([0-9]*\).*/\1/p' <<<"$out")
echo "repeat: status $status, $(grep '^read' <<<"$out"), host_file calls: ${calls:-none}"
if [ $status -ne 0 ] || ! grep -q "^read $((rounds * 4096)) bytes" <<<"$out"; then
    echo "FAIL: the probe did not read the file $rounds times"
    echo "$out"
    fail=1
elif [ -z "$calls" ] || [ "$calls" -ge $((rounds / 20)) ]; then
    # A few calls per second of the run are the revalidations; per round would be 2000+.
    echo "FAIL: $rounds rounds made ${calls:-no counted} host file calls"
    echo "$out"
    fail=1
fi

echo -n "one" >"$work/www/note"
"$ehyve" --mount "$work/www:/www" "$probe" watch /www/note /www/ready two three >"$work/watch.out" 2>&1 &
guest=$!
await() { # FILE: made by the guest within 10 s
    for _ in $(seq 100); do
        [ -e "$1" ] && return
        sleep 0.1
    done
}
await "$work/www/ready"
echo -n "two" >"$work/www/note" # in place: the same inode
await "$work/www/ready.seen"
echo -n "three" >"$work/www/note.new" && mv "$work/www/note.new" "$work/www/note" # a new inode
wait $guest
status=$?
echo "watch: status $status: $(tr '\n' ' ' <"$work/watch.out")"
if [ $status -ne 0 ] || ! grep -q "saw twosaw three" "$work/watch.out"; then
    echo "FAIL: the guest did not see the host's changes"
    fail=1
fi
exit $fail
