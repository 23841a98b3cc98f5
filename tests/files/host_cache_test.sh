#!/usr/bin/env bash
# hostfs's cache (kernel/fs/host_cache.hpp), seen from outside the guest:
#  - a file opened, read and closed again and again costs no host calls once known
#    (counted by ehyve --stats), where each round used to cost five;
#  - changes the host makes to a mounted file reach a guest that keeps reading it within
#    validity_ns (1 s; checked against 3 s): in place through a descriptor the guest keeps
#    open (its kept contents checked against the file's new times), and by renaming a
#    new file over it through the path;
#  - one directory mounted twice behaves as on Linux; /proc files read in full; a file
#    the guest unlinked is not held open on the host.
#
#   host_cache_test.sh EHYVE PROBE
set -u
ehyve=$1
probe=$2
source "$(dirname "$0")/lib.sh"
fail=0
mkdir "$work/www"
head -c 4096 /dev/urandom >"$work/www/page"
# A file changed in the last two seconds is read from the host each time (its
# timestamps could hide a second change): this one was written a minute ago.
touch -d '-1 minute' "$work/www/page"

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

# Each version's mtime is set back, so that the guest keeps its contents (it reads a file
# changed in the last two seconds from the host each time): what must then show the
# change is the revalidation of the kept contents.
echo -n "one" >"$work/www/note" && touch -d '-1 minute' "$work/www/note"
"$ehyve" --mount "$work/www:/www" "$probe" watch /www/note /www/ready two three >"$work/watch.out" 2>&1 &
guest=$!
await() { # FILE: made by the guest within 10 s
    for _ in $(seq 100); do
        [ -e "$1" ] && return
        sleep 0.1
    done
}
await "$work/www/ready"
echo -n "two" >"$work/www/note" && touch -d '-30 seconds' "$work/www/note" # in place: the same inode
await "$work/www/ready.seen"
echo -n "three" >"$work/www/note.new" && touch -d '-20 seconds' "$work/www/note.new" &&
    mv "$work/www/note.new" "$work/www/note" # a new inode
wait $guest
status=$?
echo "watch: status $status: $(tr '\n' ' ' <"$work/watch.out")"
shown_within() { # TEXT: the guest saw it within 3 s
    local ms
    ms=$(sed -n "s/^saw $1 after \([0-9]*\) ms$/\1/p" "$work/watch.out")
    [ -n "$ms" ] && [ "$ms" -le 3000 ]
}
if [ $status -ne 0 ] || ! shown_within two || ! shown_within three; then
    echo "FAIL: the guest did not see the host's changes within 3 s"
    fail=1
fi
# One host directory mounted twice: changes through one mount show through the other,
# as natively through the same directory twice.
mkdir "$work/twice" "$work/native"
native=$("$probe" aliases "$work/native" "$work/native" 2>&1)
guest=$("$ehyve" --mount "$work/twice:/one" --mount "$work/twice:/two" "$probe" aliases /one /two 2>&1)
echo "aliases: $(tr '\n' ';' <<<"$guest")"
if [ "$native" != "$guest" ]; then
    echo "FAIL: two mounts of one directory differ from Linux:"
    diff <(echo "$native") <(echo "$guest")
    fail=1
fi

# Files whose size says nothing of their contents (/proc, /sys) read in full.
guest=$("$ehyve" --mount /proc/sys/kernel:/k:ro "$probe" repeat /k/ostype 3 2>&1)
echo "/proc/sys/kernel/ostype three times: $guest"
if [ "$guest" != "read $((3 * $(wc -c </proc/sys/kernel/ostype))) bytes" ]; then
    echo "FAIL: a /proc file read short through --mount"
    fail=1
fi

# A file the guest unlinked is not kept open on the host by what the guest remembers:
# beside the mount's root, and in a subdirectory after a name changed there (which makes
# the guest look the directory up again before the unlink).
mkdir -p "$work/space/sub"
unlinked() { # LABEL PATH [SIBLING]: in the guest, under /space
    local label=$1 path=$2 guest held status
    shift 2
    rm -f "$work/space/ready" "$work/space/done"
    "$ehyve" --mount "$work/space:/space" "$probe" unlinked "/space/$path" /space/ready /space/done \
        ${1:+"/space/$1"} >"$work/unlinked.out" 2>&1 &
    guest=$!
    await "$work/space/ready"
    held=$(ls -l "/proc/$guest/fd" 2>/dev/null | grep -c "space/$path (deleted)")
    touch "$work/space/done"
    wait $guest
    status=$?
    echo "unlinked ($label): status $status, ehyve held the deleted file $held times"
    if [ $status -ne 0 ] || ! grep -q "^unlinked$" "$work/unlinked.out" || [ "$held" -ne 0 ]; then
        echo "FAIL: the guest did not unlink /space/$path, or ehyve still holds it: $(cat "$work/unlinked.out")"
        fail=1
    fi
}
unlinked "beside the root" big
unlinked "in a subdirectory" sub/big sub/other
exit $fail
