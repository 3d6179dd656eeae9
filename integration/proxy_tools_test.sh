#!/usr/bin/env bash
# redis-cli and redis-benchmark through `ringcache proxy`, in front of 3 ringcache nodes and
# then in front of 3 redis-servers:
#   1. a piped redis-cli session (--no-raw) with exact expected output;
#   2. 500 keys; `redis-cli --scan` returns exactly them (walks every backend), no duplicates;
#   3. redis-benchmark -t set,get,incr,lpush,hset,sadd,zadd,mset -r 100000 -n 20000 -q exits 0
#      with 8 non-zero rates.
#
#   RINGCACHE_BIN=target/release/ringcache bash integration/proxy_tools_test.sh
set -euo pipefail

RINGCACHE_BIN="${RINGCACHE_BIN:-target/release/ringcache}"
WORK="$(mktemp -d -t proxy-tools.XXXXXX)"
PIDS=()

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# 4 distinct free ports (held open together so none repeats)
read -r -a PORTS <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"

wait_ping() {  # wait_ping PORT PID WHAT
    for _ in $(seq 1 150); do   # up to ~15 s
        kill -0 "$2" 2>/dev/null || break
        [[ "$(redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null || true)" == "PONG" ]] && return 0
        sleep 0.1
    done
    echo "FAIL $3 on port $1 did not answer PING"; tail -n 30 "$WORK"/*.log || true
    exit 1
}

source "$(dirname "${BASH_SOURCE[0]}")/steps.sh"

cli() { redis-cli -h 127.0.0.1 -p "$PROXY_PORT" "$@"; }

step_cli() {
    local out
    cli FLUSHALL >/dev/null
    out="$(printf '%s\n' 'SET a 1' 'GET a' 'GET nope' 'MSET {u}x 1 {u}y 2 b 3 c 4' \
        'MGET c {u}y nope b {u}x' 'RPUSH l x y' 'LRANGE l 0 -1' 'INCR a' 'DEL a b c nope' \
        'DBSIZE' 'RENAME {u}x {u}z' 'GET {u}z' 'EXISTS {u}x {u}y {u}z l' 'PING' | cli --no-raw)"
    expect_eq "piped --no-raw session" \
        "$(printf '%s\n' OK '"1"' '(nil)' OK '1) "4"' '2) "2"' '3) (nil)' '4) "3"' '5) "1"' \
            '(integer) 2' '1) "x"' '2) "y"' '(integer) 2' '(integer) 3' '(integer) 3' OK '"1"' \
            '(integer) 3' PONG)" "$out"
    out="$(printf 'SET a 1\nGET a\n' | cli)"
    expect_eq "piped raw session" $'OK\n1' "$out"
}

step_scan() {
    local got want
    cli FLUSHALL >/dev/null
    # twemproxy's (32-bit) "fnv1a_64" clusters short sequential names (k:0..k:499 all miss
    # one of three servers, as behind nutcracker), so spread the names as real ids are
    keyname() { printf 'k:%x' $(( ($1 * 2654435761) & 0xffffffff )); }
    for i in $(seq 0 499); do printf 'SET %s v%d\n' "$(keyname "$i")" "$i"; done | cli >"$WORK/set.out"
    [[ "$(grep -c '^OK$' "$WORK/set.out")" -eq 500 ]] || { echo "not 500 OKs"; head "$WORK/set.out"; return 1; }
    expect_eq "DBSIZE (summed over backends)" "500" "$(cli DBSIZE)"
    # the keys are really spread: every backend holds some
    for p in "${BACKEND_PORTS[@]}"; do
        n="$(redis-cli -h 127.0.0.1 -p "$p" DBSIZE)"
        echo "backend $p holds $n keys"
        [[ "$n" -gt 0 ]] || { echo "backend $p holds no key"; return 1; }
    done
    want="$(for i in $(seq 0 499); do keyname "$i"; echo; done | LC_ALL=C sort)"
    [[ "$(uniq <<<"$want" | wc -l)" -eq 500 ]] || { echo "key names not distinct"; return 1; }
    got="$(cli --scan | LC_ALL=C sort)"
    expect_eq "--scan" "$want" "$got"
    expect_eq "duplicates in --scan" "" "$(cli --scan | LC_ALL=C sort | uniq -d)"
    got="$(cli --scan --pattern 'k:1*' | LC_ALL=C sort)"
    expect_eq "--scan --pattern k:1*" "$(grep '^k:1' <<<"$want")" "$got"
}

step_benchmark() {
    local lines n
    redis-benchmark -h 127.0.0.1 -p "$PROXY_PORT" -t set,get,incr,lpush,hset,sadd,zadd,mset \
        -r 100000 -n 20000 -q >"$WORK/bench.out" 2>&1
    lines="$(tr '\r' '\n' <"$WORK/bench.out" | grep 'requests per second' || true)"
    printf '%s\n' "$lines"
    n="$(grep -c . <<<"$lines" || true)"
    [[ "$n" -eq 8 ]] || { echo "expected 8 result lines, got $n"; cat "$WORK/bench.out"; return 1; }
    if grep -Eq ': (0|0\.0+) requests per second|nan|inf' <<<"$lines"; then
        echo "a zero/invalid rate"; return 1
    fi
    if grep -qi 'err' "$WORK/bench.out"; then echo "errors in the output"; return 1; fi
}

# run_suite KIND: KIND = node | redis
run_suite() {
    local kind="$1" i p
    BACKEND_PORTS=("${PORTS[@]:1:3}")
    PROXY_PORT="${PORTS[0]}"
    local started=()
    for i in 0 1 2; do
        p="${BACKEND_PORTS[$i]}"
        if [[ "$kind" == node ]]; then
            "$RINGCACHE_BIN" node --listen "127.0.0.1:$p" >"$WORK/$kind$i.log" 2>&1 &
        else
            (cd "$WORK" && exec redis-server --port "$p" --bind 127.0.0.1 --save '' \
                --appendonly no --daemonize no) >"$WORK/$kind$i.log" 2>&1 &
        fi
        PIDS+=($!); started+=($!)
        wait_ping "$p" "$!" "$kind$i"
    done
    cat >"$WORK/proxy-$kind.toml" <<EOF
role = "proxy"
listen = "127.0.0.1:$PROXY_PORT"
hash_tag = "{}"
servers = ["127.0.0.1:${BACKEND_PORTS[0]}:1 b1", "127.0.0.1:${BACKEND_PORTS[1]}:1 b2", "127.0.0.1:${BACKEND_PORTS[2]}:1 b3"]
EOF
    "$RINGCACHE_BIN" proxy -c "$WORK/proxy-$kind.toml" >"$WORK/proxy-$kind.log" 2>&1 &
    PIDS+=($!); started+=($!)
    wait_ping "$PROXY_PORT" "$!" "proxy ($kind backends)"
    echo "== proxy on $PROXY_PORT in front of 3 $( [[ $kind == node ]] && echo ringcache-nodes || echo redis-servers) (${BACKEND_PORTS[*]})"

    run_step "[$kind] piped redis-cli session, exact output" step_cli
    run_step "[$kind] redis-cli --scan returns exactly the 500 keys" step_scan
    run_step "[$kind] redis-benchmark -t set,get,incr,lpush,hset,sadd,zadd,mset -r 100000 -n 20000 -q" step_benchmark

    for p in "${started[@]}"; do
        kill -0 "$p" 2>/dev/null || { echo "FAIL [$kind] a server exited during the run"; FAILED=$((FAILED + 1)); }
        kill "$p" 2>/dev/null || true
    done
    for p in "${started[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    done
}

run_suite node
run_suite redis

echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
