#!/usr/bin/env bash
# Real Redis tools (redis-cli, redis-benchmark) against a `ringcache node`.
#
#   RINGCACHE_BIN=target/release/ringcache bash integration/redis_tools.sh
#   RINGCACHE_CMD="redis-server --port {port} --save '' --appendonly no" bash integration/redis_tools.sh
#
# RINGCACHE_CMD (optional) is the full server command; "{port}" is replaced by a free port.
# Default: "$RINGCACHE_BIN node --listen 127.0.0.1:{port}".
# Every step prints PASS/FAIL; the script exits 1 if any step failed.
set -euo pipefail

RINGCACHE_BIN="${RINGCACHE_BIN:-target/release/ringcache}"
PORT_PLACEHOLDER="{port}"
DEFAULT_CMD="$RINGCACHE_BIN node --listen 127.0.0.1:$PORT_PLACEHOLDER"
CMD_TEMPLATE="${RINGCACHE_CMD:-$DEFAULT_CMD}"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
WORK="$(mktemp -d -t redis-tools.XXXXXX)"
TMUX_SOCK="ringcache-tools-$$"
NODE_PID=""

cleanup() {
    tmux -L "$TMUX_SOCK" kill-server >/dev/null 2>&1 || true
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TMUX_SOCK"
    if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
        kill "$NODE_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$NODE_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

# ---------------------------------------------------------------- start the node
NODE_CMD="${CMD_TEMPLATE//"$PORT_PLACEHOLDER"/$PORT}"
echo "starting: $NODE_CMD"
(cd "$WORK" && exec bash -c "exec $NODE_CMD") >"$WORK/node.log" 2>&1 &
NODE_PID=$!

ready=0
for _ in $(seq 1 150); do   # up to ~15 s
    if ! kill -0 "$NODE_PID" 2>/dev/null; then break; fi
    if [[ "$(cli PING 2>/dev/null || true)" == "PONG" ]]; then ready=1; break; fi
    sleep 0.1
done
if [[ $ready -ne 1 ]]; then
    echo "FAIL start: server did not answer PING on port $PORT; log:"
    tail -n 50 "$WORK/node.log" || true
    exit 1
fi
echo "server ready on 127.0.0.1:$PORT"

source "$(dirname "${BASH_SOURCE[0]}")/steps.sh"

# wait_pane PATTERN: poll the tmux pane (bounded) until it contains PATTERN (fixed string)
wait_pane() {
    local pat="$1" pane=""
    for _ in $(seq 1 50); do
        pane="$(tmux -L "$TMUX_SOCK" capture-pane -p -t cli 2>/dev/null || true)"
        if grep -qF -- "$pat" <<<"$pane"; then return 0; fi
        sleep 0.1
    done
    echo "tmux pane never showed '$pat'; pane was:"; printf '%s\n' "$pane"
    return 1
}

# ---------------------------------------------------------------- (a) redis-cli sessions
step_cli() {
    local docs out
    docs="$(cli COMMAND DOCS get)"
    [[ -n "$docs" ]] || { echo "COMMAND DOCS get returned nothing"; return 1; }
    grep -qx "summary" <<<"$docs" || { echo "COMMAND DOCS get lacks 'summary':"; echo "$docs"; return 1; }

    cli FLUSHALL >/dev/null
    # piped session, raw output (stdout is not a tty)
    out="$(printf 'SET a 1\nGET a\n' | cli)"
    expect_eq "piped session" $'OK\n1' "$out"
    # same, with tty-style formatting forced
    out="$(printf 'SET a 1\nGET a\nGET nope\nRPUSH l x y\nLRANGE l 0 -1\n' | cli --no-raw)"
    expect_eq "piped --no-raw session" $'OK\n"1"\n(nil)\n(integer) 2\n1) "x"\n2) "y"' "$out"

    # interactive session in a detached tmux pane: typed commands, formatted replies, and the
    # argument hint redis-cli shows after "SET " (built from COMMAND DOCS)
    tmux -L "$TMUX_SOCK" new-session -d -s cli -x 200 -y 50 \
        "redis-cli -h 127.0.0.1 -p $PORT"
    wait_pane "127.0.0.1:$PORT>"
    tmux -L "$TMUX_SOCK" send-keys -t cli 'SET tmuxkey hello' Enter
    wait_pane "OK"
    tmux -L "$TMUX_SOCK" send-keys -t cli 'GET tmuxkey' Enter
    wait_pane '"hello"'
    tmux -L "$TMUX_SOCK" send-keys -t cli 'SET '
    wait_pane 'key value'
    tmux -L "$TMUX_SOCK" send-keys -t cli C-u 'quit' Enter
    for _ in $(seq 1 50); do
        tmux -L "$TMUX_SOCK" has-session -t cli 2>/dev/null || break
        sleep 0.1
    done
    tmux -L "$TMUX_SOCK" kill-server >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------- (b) --scan
step_scan() {
    local got want
    cli FLUSHALL >/dev/null
    for i in $(seq 0 499); do printf 'SET k:%d v%d\n' "$i" "$i"; done | cli >"$WORK/set.out"
    [[ "$(grep -c '^OK$' "$WORK/set.out")" -eq 500 ]] || { echo "not 500 OKs"; head "$WORK/set.out"; return 1; }
    expect_eq "DBSIZE" "500" "$(cli DBSIZE)"
    want="$(for i in $(seq 0 499); do echo "k:$i"; done | LC_ALL=C sort)"
    got="$(cli --scan | LC_ALL=C sort)"
    expect_eq "--scan" "$want" "$got"
    want="$(grep '^k:1' <<<"$want")"
    got="$(cli --scan --pattern 'k:1*' | LC_ALL=C sort)"
    expect_eq "--scan --pattern k:1*" "$want" "$got"
    [[ "$(wc -l <<<"$got")" -eq 111 ]] || { echo "expected 111 keys for k:1*"; return 1; }
    # redis-cli --scan never repeats a key here (no rehashing during the scan)
    got="$(cli --scan | LC_ALL=C sort | uniq -d)"
    expect_eq "duplicates in --scan" "" "$got"
}

# ---------------------------------------------------------------- (c) --stat
step_stat() {
    local rc=0
    # stdbuf: redis-cli block-buffers stdout when it is not a tty and timeout's SIGTERM
    # would discard the buffer
    timeout 5 stdbuf -oL redis-cli -h 127.0.0.1 -p "$PORT" --stat >"$WORK/stat.out" 2>&1 || rc=$?
    [[ $rc -eq 0 || $rc -eq 124 ]] || { echo "redis-cli --stat exited $rc"; cat "$WORK/stat.out"; return 1; }
    cat "$WORK/stat.out"
    grep -Eq '^keys +mem +clients' "$WORK/stat.out" || { echo "no 'keys mem clients' header"; return 1; }
    # at least two data lines: "<keys> <mem> <clients> ..."
    [[ "$(grep -Ec '^[0-9]+ +[0-9.]+[BKMG] +[0-9]+' "$WORK/stat.out")" -ge 2 ]] \
        || { echo "fewer than 2 data lines"; return 1; }
}

# ---------------------------------------------------------------- (d) --bigkeys
step_bigkeys() {
    cli RPUSH big:list a b c d e >/dev/null
    cli HSET big:hash f1 v1 f2 v2 >/dev/null
    cli SADD big:set m1 m2 m3 >/dev/null
    cli ZADD big:zset 1 a 2 b >/dev/null
    cli SET big:string "$(printf 'x%.0s' $(seq 1 300))" >/dev/null
    redis-cli -h 127.0.0.1 -p "$PORT" --bigkeys >"$WORK/bigkeys.out" 2>&1
    tail -n 12 "$WORK/bigkeys.out"
    grep -q 'Biggest string found' "$WORK/bigkeys.out" || { echo "no 'Biggest string found'"; return 1; }
    grep -q "Biggest   list found '\"big:list\"' has 5 items" "$WORK/bigkeys.out" \
        || { echo "list not reported"; return 1; }
}

# ------------------------------------------------------- (e) --memkeys and --hotkeys
# --memkeys asks MEMORY USAGE of every key; --hotkeys asks OBJECT FREQ, which needs an
# LFU policy: a key read 300 times must come out hotter than one never read (5, the
# new-key level; the first read makes 6 for certain, 7 takes ~11 more on average).
step_memkeys_hotkeys() {
    local counter
    cli FLUSHALL >/dev/null # --hotkeys lists 16 keys: only this step's
    cli RPUSH big:list a b c d e >/dev/null
    cli SET small:string x >/dev/null
    redis-cli -h 127.0.0.1 -p "$PORT" --memkeys >"$WORK/memkeys.out" 2>&1
    tail -n 8 "$WORK/memkeys.out"
    grep -q "Warning" "$WORK/memkeys.out" && { echo "MEMORY USAGE failed"; return 1; }
    grep -Eq "Biggest +list found '\"big:list\"' has [0-9]+ bytes" "$WORK/memkeys.out" \
        || { echo "list not reported"; return 1; }
    cli CONFIG SET maxmemory-policy allkeys-lfu >/dev/null
    cli SET hot:key v >/dev/null
    cli SET cold:key v >/dev/null
    for _ in $(seq 1 300); do echo "GET hot:key"; done | cli >/dev/null
    redis-cli -h 127.0.0.1 -p "$PORT" --hotkeys >"$WORK/hotkeys.out" 2>&1
    cli CONFIG SET maxmemory-policy noeviction >/dev/null
    tail -n 4 "$WORK/hotkeys.out"
    counter="$(sed -nE 's/.*hot key found with counter: ([0-9]+)[[:space:]]+keyname: "hot:key".*/\1/p' \
        "$WORK/hotkeys.out")"
    [[ -n "$counter" && "$counter" -ge 7 ]] || { echo "hot:key counter '$counter', want >= 7"; return 1; }
    grep -Eq 'hot key found with counter: 5[[:space:]]+keyname: "cold:key"' "$WORK/hotkeys.out" \
        || { echo "cold:key not at 5"; return 1; }
}

# ---------------------------------------------------------------- (f) redis-benchmark
step_benchmark() {
    local lines n
    redis-benchmark -h 127.0.0.1 -p "$PORT" -t set,get,incr,lpush,hset,sadd,zadd,mset \
        -n 20000 -q >"$WORK/bench.out" 2>&1
    lines="$(tr '\r' '\n' <"$WORK/bench.out" | grep 'requests per second' || true)"
    printf '%s\n' "$lines"
    n="$(grep -c . <<<"$lines" || true)"
    [[ "$n" -eq 8 ]] || { echo "expected 8 result lines, got $n"; cat "$WORK/bench.out"; return 1; }
    if grep -Eq ': (0|0\.0+) requests per second|nan|inf' <<<"$lines"; then
        echo "a zero/invalid rate"; return 1
    fi
}

run_step "redis-cli: COMMAND DOCS, piped and interactive (tmux) sessions" step_cli
run_step "redis-cli --scan (500 keys, --pattern k:1*)" step_scan
run_step "redis-cli --stat (timeout 5)" step_stat
run_step "redis-cli --bigkeys" step_bigkeys
run_step "redis-cli --memkeys and --hotkeys (allkeys-lfu)" step_memkeys_hotkeys
run_step "redis-benchmark -t set,get,incr,lpush,hset,sadd,zadd,mset -n 20000 -q" step_benchmark

if ! kill -0 "$NODE_PID" 2>/dev/null; then
    echo "FAIL server exited during the run; log:"; tail -n 50 "$WORK/node.log" || true
    FAILED=1
fi
if [[ $FAILED -ne 0 ]]; then echo "redis_tools: FAIL"; exit 1; fi
echo "redis_tools: all steps PASS"
