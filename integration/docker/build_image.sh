#!/usr/bin/env bash
# Build the `ringcache:local` Docker image without pulling anything: no registry is
# reachable here, so instead of `FROM debian` the image is imported from a tiny root
# file system holding the release binary and the shared libraries it links (ldd).
# Usage: integration/docker/build_image.sh [path/to/ringcache]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-${RINGCACHE_BIN:-target/release/ringcache}}"
[[ -x "$BIN" ]] || cargo build --release
ROOT="$(mktemp -d)"
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/usr/local/bin" "$ROOT/conf" "$ROOT/tmp"
cp "$BIN" "$ROOT/usr/local/bin/ringcache"
cp conf/*.toml "$ROOT/conf/"
# Every library the binary needs, at the same path (the dynamic loader included).
ldd "$BIN" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
done
tar -C "$ROOT" -c . | docker import \
    --change 'ENTRYPOINT ["/usr/local/bin/ringcache"]' \
    --change 'CMD ["--help"]' \
    - ringcache:local >/dev/null
echo "built ringcache:local from $BIN"
