#!/usr/bin/env bash
# httpd against curl: every file of a served tree must come back byte for byte (one
# by one, and 50 at once), HEAD must give the sizes, and requests that try to leave the
# tree, name nothing, or are malformed must get their error status. Then SIGTERM must
# stop the server with status 0.
#
#   fetch_files.sh [--slow-get SLOW_GET] PORT -- COMMAND...
#
# COMMAND starts the server: {dir} becomes the directory to serve and {port} the port
# curl connects to on 127.0.0.1 or NET_HOST (see lib.sh). The server must print "httpd: serving"
# once it listens. With --slow-get (tests/net/slow_get.c), the large file is also
# fetched by clients with a tiny receive window, which makes the server's writes come
# back short: curl alone reads too fast for that on hosts with large socket buffers.
#
#   fetch_files.sh --slow-get ./slow_get auto -- ./httpd {dir} {port}
set -u
net_usage_prefix="[--slow-get SLOW_GET] "
source "$(dirname "$0")/lib.sh"
slow_get=
if [ "${1:-}" = --slow-get ]; then
    slow_get=${2:-}
    shift 2 2>/dev/null
    [ -x "$slow_get" ] || net_fail "--slow-get '$slow_get' is not an executable"
fi
net_parse_arguments "$@"
command -v curl >/dev/null || net_skip "curl is not installed"
command -v cmp >/dev/null || net_skip "cmp is not installed"
# Straight to the server, whatever proxy the environment names.
curl() { command curl --noproxy '*' "$@"; }

# The served tree sits one level down, beside a secret it must not give away.
www=$net_work/www
mkdir -p "$www/nested/deeper" "$www/site" "$net_work/out"
echo "SECRET-$$-outside-the-tree" >"$net_work/secret.txt"
ln -s ../secret.txt "$www/outside-link"
head -c $((1024 * 1024)) /dev/urandom >"$www/random.bin"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$www/big.bin"
printf 'hello, world\nsecond line\n' >"$www/hello.txt"
printf 'deep inside\n' >"$www/nested/deeper/file.txt"
printf 'a name with a space\n' >"$www/with space.txt"
: >"$www/empty"
printf '<!DOCTYPE html>\n<title>index</title>\n' >"$www/site/index.html"
# URL path → file, for the byte-exact checks.
declare -A files=(
    [/random.bin]=random.bin
    [/big.bin]=big.bin
    [/hello.txt]=hello.txt
    [/nested/deeper/file.txt]=nested/deeper/file.txt
    [/with%20space.txt]="with space.txt"
    [/empty]=empty
    [/site/]=site/index.html
)

net_placeholders[dir]=$www
net_start "^httpd: serving"
base=http://$net_url_host:$net_port
checks=0

# status URL_PATH [CURL_OPTIONS...]: prints the HTTP status, body to $net_work/out/body.
status() {
    local path=$1
    shift
    curl -sS --max-time 20 --path-as-is -o "$net_work/out/body" -w '%{http_code}' "$@" "$base$path"
}

for path in "${!files[@]}"; do
    out=$net_work/out/fetched
    # Redirected, not -o: curl creates no file for an empty body.
    curl -sS --fail --max-time 20 "$base$path" >"$out" || net_fail "GET $path: curl exited with $?"
    cmp -s "$out" "$www/${files[$path]}" || net_fail "GET $path: the body differs from the file ($(cmp "$out" "$www/${files[$path]}" 2>&1))"
    checks=$((checks + 1))
done

for file in random.bin big.bin empty; do
    length=$(curl -sS --fail --max-time 20 -I "$base/$file" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ll]ength: *//p')
    expected=$(stat -c %s "$www/$file")
    [ "$length" = "$expected" ] || net_fail "HEAD /$file: Content-Length '$length', expected $expected"
    checks=$((checks + 1))
done

type=$(curl -sS --fail --max-time 20 -o /dev/null -w '%{content_type}' "$base/hello.txt")
[[ "$type" == text/plain* ]] || net_fail "GET /hello.txt: Content-Type '$type', expected text/plain"
type=$(curl -sS --fail --max-time 20 -o /dev/null -w '%{content_type}' "$base/random.bin")
[ "$type" = application/octet-stream ] || net_fail "GET /random.bin: Content-Type '$type', expected application/octet-stream"
checks=$((checks + 2))

code=$(status /no-such-file) || net_fail "GET /no-such-file: curl exited with $?"
[ "$code" = 404 ] || net_fail "GET /no-such-file: status $code, expected 404"
checks=$((checks + 1))

# Ways out of the tree: literal and encoded "..", and a symbolic link pointing out.
for path in /../secret.txt /nested/../../secret.txt /%2e%2e/secret.txt /nested/%2E%2E/%2e%2e/secret.txt \
    /..%2fsecret.txt /outside-link /nested/deeper/../../../secret.txt; do
    code=$(status "$path") || net_fail "GET $path: curl exited with $?"
    [[ "$code" =~ ^(400|403|404)$ ]] || net_fail "GET $path: status $code, expected 403 or 404"
    if grep -q SECRET "$net_work/out/body"; then net_fail "GET $path: the file outside the tree was served"; fi
    checks=$((checks + 1))
done

# A directory: without its "/" a redirect, with it a listing (or its index.html, above).
code=$(status /nested -D "$net_work/out/headers") || net_fail "GET /nested: curl exited with $?"
[ "$code" = 301 ] && grep -qi '^Location: /nested/' "$net_work/out/headers" ||
    net_fail "GET /nested: status $code, expected 301 to /nested/"
code=$(status /nested/) || net_fail "GET /nested/: curl exited with $?"
[ "$code" = 200 ] && grep -q 'href="deeper/"' "$net_work/out/body" ||
    net_fail "GET /nested/: status $code, or the listing lacks deeper/"
checks=$((checks + 2))

code=$(status /hello.txt -X DELETE) || net_fail "DELETE /hello.txt: curl exited with $?"
[ "$code" = 405 ] || net_fail "DELETE /hello.txt: status $code, expected 405"
# A method with a space in it makes a request line of four parts.
code=$(status /hello.txt -X "GE T") || net_fail "a malformed request line: curl exited with $?"
[ "$code" = 400 ] || net_fail "a malformed request line: status $code, expected 400"
checks=$((checks + 2))

# Keep-alive: the second request reuses the first one's connection...
connects=$(curl -sS --fail --max-time 20 -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "$base/hello.txt" "$base/random.bin") || net_fail "two GETs on one connection: curl exited with $?"
[ "$connects" = "1 0 " ] || net_fail "two GETs on one connection: new connections per request '$connects', expected '1 0 '"
# ...unless the client asks to close.
curl -sS --fail --max-time 20 -o /dev/null -D "$net_work/out/headers" -H "Connection: close" "$base/hello.txt" ||
    net_fail "GET with Connection: close: curl exited with $?"
grep -qi '^Connection: close' "$net_work/out/headers" || net_fail "GET with Connection: close: the answer lacks Connection: close"
checks=$((checks + 2))

pids=()
for i in $(seq 50); do
    curl -sS --fail --max-time 30 -o "$net_work/out/parallel.$i" "$base/random.bin" &
    pids+=($!)
done
for i in $(seq 50); do
    wait "${pids[$((i - 1))]}" || net_fail "parallel GET $i of 50: curl exited with $?"
done
for i in $(seq 50); do
    cmp -s "$net_work/out/parallel.$i" "$www/random.bin" || net_fail "parallel GET $i of 50: the body differs from the file"
done
checks=$((checks + 50))

if [ -n "$slow_get" ]; then
    pids=()
    for i in 1 2; do
        "$slow_get" "$net_host" "$net_port" /big.bin >"$net_work/out/slow.$i" 2>"$net_work/out/slow.$i.err" &
        pids+=($!)
    done
    for i in 1 2; do
        wait "${pids[$((i - 1))]}" || net_fail "slow GET /big.bin $i: $(cat "$net_work/out/slow.$i.err")"
        cmp -s "$net_work/out/slow.$i" "$www/big.bin" ||
            net_fail "slow GET /big.bin $i: the body differs from the file ($(cmp "$net_work/out/slow.$i" "$www/big.bin" 2>&1))"
    done
    checks=$((checks + 2))
fi

net_stop
[ "$net_server_status" = "$net_expected_term_status" ] ||
    net_fail "after SIGTERM the server exited with status $net_server_status, expected $net_expected_term_status"
echo "PASS: $checks checks; the server exited 0 on SIGTERM"
