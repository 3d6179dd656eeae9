#!/usr/bin/env bash
# docker-compose.yml end to end: three node containers and a proxy container on a
# private network. Through the proxy's published port on 127.0.0.1: writes spread over
# the nodes; after one node container is killed only its keys fail, with the proxy's
# clear error; after it is restarted they work again.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! docker info >/dev/null 2>&1; then
    echo "docker_compose_test: no Docker engine here; skipped"
    echo "0 passed, 0 failed"
    exit 0
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export RINGCACHE_PROXY_PORT=$PORT
PROJECT="ringcache-test-$$"
compose() { docker-compose -p "$PROJECT" -f docker-compose.yml "$@"; }
cleanup() { compose down -t 2 >/dev/null 2>&1 || true; }
trap cleanup EXIT

bash integration/docker/build_image.sh "${RINGCACHE_BIN:-target/release/ringcache}"
compose up -d >/dev/null 2>&1
passed=0
check() { # name, expected, actual
    if [[ "$2" == "$3" ]]; then passed=$((passed + 1)); echo "PASS $1"; else echo "FAIL $1: expected [$2] got [$3]"; exit 1; fi
}
cli() { timeout 5 redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

deadline=$((SECONDS + 60))
until [[ "$(cli PING 2>/dev/null)" == "PONG" ]]; do
    (( SECONDS < deadline )) || { echo "FAIL proxy did not come up"; compose logs; exit 1; }
done
check "PING through the proxy" "PONG" "$(cli PING)"
for i in $(seq 1 60); do cli SET "key:$((i * 7919))" "v$i" >/dev/null; done
check "DBSIZE summed over the nodes" "60" "$(cli DBSIZE)"
compose kill node2 >/dev/null 2>&1
errors=0; ok=0
for i in $(seq 1 60); do
    r=$(cli GET "key:$((i * 7919))" 2>&1)
    if [[ "$r" == "v$i" ]]; then ok=$((ok + 1));
    elif [[ "$r" == "ERR ringcache: backend node2 "* ]]; then errors=$((errors + 1));
    else echo "FAIL unexpected reply for key:$((i * 7919)): $r"; exit 1; fi
done
check "keys of the other nodes still served" "60" "$((ok + errors))"
check "only node2's keys fail, the rest are served" "both" "$( (( errors > 0 && ok > 0 )) && echo both || echo "ok=$ok errors=$errors")"
compose start node2 >/dev/null 2>&1
deadline=$((SECONDS + 30))
until [[ "$(cli SET probe x 2>/dev/null)" == "OK" ]] && [[ "$(cli SET key:x y 2>&1)" == "OK" ]] && [[ "$(cli DBSIZE 2>&1)" =~ ^[0-9]+$ ]]; do
    (( SECONDS < deadline )) || { echo "FAIL node2 did not come back"; exit 1; }
done
written=0
for i in $(seq 1 60); do [[ "$(cli SET "key:$((i * 7919))" "w$i" 2>&1)" == "OK" ]] && written=$((written + 1)); done
check "all keys writable after node2 restarted" "60" "$written"
echo "$passed passed, 0 failed"
