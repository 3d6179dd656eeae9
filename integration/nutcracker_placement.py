#!/usr/bin/env python3
"""Checks ringcache's key placement against the real twemproxy (nutcracker 0.5).

Starts redis-servers and one nutcracker with several pools in front of them, writes keys through
each pool, asks every redis-server which keys it holds, and compares with what the `place`
example prints for the same server list. Exits non-zero with a diff on any mismatch.

Env: PLACE_BIN = path of the built `place` example (else it is built with cargo, in the
debug profile: `cargo test` has already compiled its dev-dependencies there, and hashing
a few thousand keys needs no optimiser).
Stdlib only; 127.0.0.1 only; every loop is bounded and the whole run has a deadline.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUN_SECONDS = 55.0  # budget for the run itself, counted after the place binary is built
DEADLINE = time.monotonic() + RUN_SECONDS
N_BACKENDS = 25  # 25 equal servers is where twemproxy's f32 arithmetic gives 156 points
KEYS_PER_POOL = 2500
ALL_HASHES = [
    "one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64",
    "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins",
]


class Failure(Exception):
    pass


def check_deadline(what: str) -> None:
    if time.monotonic() > DEADLINE:
        raise Failure(f"deadline exceeded while {what}")


def free_ports(n: int) -> list[int]:
    """n distinct free ports: all are held open until every one is chosen, so none repeats."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Resp:
    """A minimal RESP2 client over one socket: pipelined writes, binary-safe replies."""

    def __init__(self, port: int, timeout: float = 5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.rd = self.sock.makefile("rb")

    def close(self) -> None:
        self.rd.close()
        self.sock.close()

    @staticmethod
    def encode(*args: bytes) -> bytes:
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def read(self):
        line = self.rd.readline()
        if not line.endswith(b"\r\n"):
            raise Failure(f"connection closed or bad reply line {line!r}")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            return Failure(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rd.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            return [self.read() for _ in range(max(n, 0))]
        raise Failure(f"unknown reply type {line!r}")

    def call(self, *args: bytes):
        self.sock.sendall(self.encode(*args))
        return self.read()

    def pipeline(self, cmds: list[tuple[bytes, ...]], batch: int = 500) -> list:
        replies = []
        for i in range(0, len(cmds), batch):
            check_deadline("pipelining")
            chunk = cmds[i : i + batch]
            self.sock.sendall(b"".join(self.encode(*c) for c in chunk))
            replies.extend(self.read() for _ in chunk)
        return replies


def wait_ping(port: int, what: str, deadline_s: float = 10.0) -> None:
    end = min(time.monotonic() + deadline_s, DEADLINE)
    last = None
    while time.monotonic() < end:
        try:
            c = Resp(port, timeout=1.0)
            try:
                if c.call(b"PING") == b"PONG":
                    return
            finally:
                c.close()
        except (OSError, Failure) as e:
            last = e
        time.sleep(0.02)  # poll interval, not a fixed wait: we return as soon as it answers
    raise Failure(f"{what} on port {port} not ready: {last}")


def make_keys(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    keys: list[bytes] = [
        b"foo", b"bar", b"hello", b"user:1000", b"{user1000}.following", b"apple",
        "café".encode(), "naïve".encode(), "ключ".encode(), "鍵".encode(),
        "😀".encode(), "emoji:🚀🔥".encode(), b"{}x", b"x{", b"{", b"}", b"}{", b"{}",
        b"a{b", b"{{a}}", b"}a{b}", "{é}x".encode(), "{😀}.a".encode(), b"with space",
    ]
    for i in range(300):
        keys.append(b"key:%d" % i)
        keys.append(b"{user%d}.following" % i)
        keys.append(b"{user%d}.followers" % i)
        keys.append(f"café:{i}".encode())
        keys.append(f"🙂{i}".encode())
        keys.append(b"{}x%d" % i)
        keys.append(b"x%d{" % i)
        # High bytes only (>= 0x80), then arbitrary bytes except the place tool's '\n'.
        keys.append(bytes(rng.randrange(0x80, 0x100) for _ in range(rng.randrange(1, 17))))
        keys.append(
            bytes(rng.choice([b for b in range(256) if b != 0x0A]) for _ in range(rng.randrange(1, 25)))
        )
    seen: set[bytes] = set()
    unique = [k for k in keys if not (k in seen or seen.add(k))]
    assert len(unique) >= 2000, len(unique)
    return unique[:KEYS_PER_POOL]


def place(bin_path: str, hash_name: str, dist: str, servers: list[str], keys: list[bytes]) -> list[str]:
    cmd = [bin_path, "--hash", hash_name, "--distribution", dist, "--hash-tag", "{}", *servers]
    out = subprocess.run(
        cmd, input=b"".join(k + b"\n" for k in keys), capture_output=True, timeout=20, check=False
    )
    if out.returncode != 0:
        raise Failure(f"place failed: {out.stderr.decode(errors='replace')}")
    labels = out.stdout.decode().split("\n")[:-1]
    if len(labels) != len(keys):
        raise Failure(f"place printed {len(labels)} labels for {len(keys)} keys")
    return labels


def find_place_bin() -> str:
    env = os.environ.get("PLACE_BIN")
    if env:
        return env
    subprocess.run(["cargo", "build", "--example", "place"], cwd=REPO, check=True, timeout=900)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return str(target / "debug" / "examples" / "place")


def main() -> int:
    for tool in ("redis-server", "nutcracker"):
        if shutil.which(tool) is None:
            print(f"nutcracker_placement: {tool} not installed", file=sys.stderr)
            return 2
    global DEADLINE
    place_bin = find_place_bin()
    DEADLINE = time.monotonic() + RUN_SECONDS
    tmp = Path(tempfile.mkdtemp(prefix="ringcache-nc-"))
    procs: list[subprocess.Popen] = []
    try:
        # 25 backends, up to 30 pools, one stats port: chosen together so they are distinct.
        spare = free_ports(N_BACKENDS + 31)
        ports, spare = spare[:N_BACKENDS], spare[N_BACKENDS:]
        for p in ports:
            procs.append(
                subprocess.Popen(
                    ["redis-server", "--port", str(p), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--daemonize", "no", "--dir", str(tmp)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            )
        for p in ports:
            wait_ping(p, "redis-server")

        four = ports[:4]
        long_a, long_b = "a" * 90, "b" * 300
        # (pool name, hash, distribution, server lines, check kind)
        pools: list[tuple[str, str, str, list[str], str]] = []
        for h in ALL_HASHES:
            pools.append((f"named_{h}", h, "ketama",
                          [f"127.0.0.1:{p}:1 server{i + 1}" for i, p in enumerate(four)], "exact"))
        for h in ("fnv1a_64", "murmur", "md5"):
            pools.append((f"unnamed_{h}", h, "ketama", [f"127.0.0.1:{p}:1" for p in four], "exact"))
        pools.append(("weighted", "fnv1a_64", "ketama",
                      [f"127.0.0.1:{p}:{w} server{w}" for w, p in zip((1, 2, 3, 4), four)], "exact"))
        pools.append(("twentyfive", "fnv1a_64", "ketama",
                      [f"127.0.0.1:{p}:1 node{i}" for i, p in enumerate(ports)], "exact"))
        # Labels past 272 bytes are cut: servers 3 and 4 get identical points, and the tie goes to
        # the first in config order, so server 4 owns nothing (nutcracker agrees).
        pools.append(("longnames", "fnv1a_64", "ketama",
                      [f"127.0.0.1:{four[0]}:1 {long_a}1", f"127.0.0.1:{four[1]}:1 {long_a}2",
                       f"127.0.0.1:{four[2]}:1 {long_b}3", f"127.0.0.1:{four[3]}:1 {long_b}4"],
                      "exact"))
        pools.append(("modula", "fnv1a_64", "modula",
                      [f"127.0.0.1:{p}:{w} server{i + 1}" for i, (w, p) in enumerate(zip((1, 2, 1, 1), four))],
                      "exact"))
        pools.append(("random", "fnv1a_64", "random",
                      [f"127.0.0.1:{p}:{w} server{i + 1}" for i, (w, p) in enumerate(zip((1, 3, 1, 1), four))],
                      "uniform"))

        assert len(pools) < len(spare), "more pools than reserved ports"
        stats_port = spare.pop()
        listen = {name: spare.pop() for name, *_ in pools}
        conf = []
        for name, h, dist, servers, _ in pools:
            conf += [f"{name}:", f"  listen: 127.0.0.1:{listen[name]}", f"  hash: {h}",
                     '  hash_tag: "{}"', f"  distribution: {dist}", "  redis: true",
                     "  auto_eject_hosts: false", "  timeout: 5000", "  servers:"]
            conf += [f"   - {s}" for s in servers]
        conf_path = tmp / "nutcracker.yml"
        conf_path.write_text("\n".join(conf) + "\n")
        test = subprocess.run(["nutcracker", "-t", "-c", str(conf_path)], capture_output=True, timeout=10)
        if test.returncode != 0:
            raise Failure(f"nutcracker -t rejected the config:\n{test.stderr.decode()}")
        procs.append(
            subprocess.Popen(
                ["nutcracker", "-c", str(conf_path), "-s", str(stats_port), "-a", "127.0.0.1",
                 "-o", str(tmp / "nutcracker.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )
        for name in listen:
            wait_ping(listen[name], f"nutcracker pool {name}")

        keys = make_keys(seed=20240501)
        backends = {p: Resp(p) for p in ports}
        failures = 0
        total = 0
        for name, h, dist, servers, kind in pools:
            check_deadline(f"pool {name}")
            for c in backends.values():
                c.call(b"FLUSHALL")
            nc = Resp(listen[name])
            replies = nc.pipeline([(b"SET", k, b"1") for k in keys])
            nc.close()
            errors = [(k, r) for k, r in zip(keys, replies) if r != b"OK"]
            if errors:
                raise Failure(f"{name}: {len(errors)} SETs failed, first: {errors[0]!r}")
            holder: dict[bytes, list[int]] = {}
            for i, line in enumerate(servers):
                port = int(line.split()[0].split(":")[1])
                for k in backends[port].call(b"KEYS", b"*"):
                    holder.setdefault(k, []).append(i)
            missing = [k for k in keys if len(holder.get(k, [])) != 1]
            if missing:
                raise Failure(f"{name}: {len(missing)} keys not on exactly one backend, e.g. {missing[0]!r}")
            labels = [s.split()[1] if len(s.split()) > 1 else s.rsplit(":", 1)[0] for s in servers]
            if kind == "uniform":
                counts = [sum(1 for k in keys if holder[k][0] == i) for i in range(len(servers))]
                shares = [c / len(keys) for c in counts]
                print(f"{name}: per-server counts {counts} (weights 1:3:1:1)")
                if not all(0.18 <= s <= 0.32 for s in shares):
                    print(f"MISMATCH {name}: random is not uniform over live servers: {shares}")
                    failures += 1
                continue
            want = place(place_bin, h, dist, servers, keys)
            got = [labels[holder[k][0]] for k in keys]
            diff = [(k, w, g) for k, w, g in zip(keys, want, got) if w != g]
            total += len(keys)
            if diff:
                failures += 1
                print(f"MISMATCH {name} (hash {h}, {dist}): {len(diff)} of {len(keys)} keys differ")
                for k, w, g in diff[:15]:
                    print(f"  key {k!r}: ringcache {w[:24]!r}, nutcracker {g[:24]!r}")
            else:
                counts = [got.count(label) for label in labels]
                print(f"ok {name} (hash {h}, {dist}): {len(keys)} keys, per server {counts}")
        for c in backends.values():
            c.close()
        if failures:
            print(f"FAILED: {failures} pool(s) disagree with nutcracker")
            return 1
        print(f"all {len(pools)} pools agree with nutcracker 0.5 ({total} key placements compared)")
        return 0
    except Failure as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
