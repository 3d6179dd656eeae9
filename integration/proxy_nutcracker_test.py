#!/usr/bin/env python3
"""`ringcache proxy --nutcracker FILE` places keys exactly where nutcracker (twemproxy) does.

Four redis-servers; for a named and an unnamed server list: one nutcracker.yml
(hash fnv1a_64, distribution ketama, hash_tag "{}", redis true), nutcracker started on it and
`ringcache proxy --nutcracker` on the same file with only its `listen` port changed, both in
front of the SAME four redis-servers. ≥ 2000 keys (ASCII, UTF-8, random bytes ≥ 0x80,
arbitrary bytes, hash-tagged) are written through nutcracker (set A), each server is asked which
keys it holds, the servers are flushed, the same keys are written through ringcache (set B), and
every key must be held by the same server in both sets.

    RINGCACHE_BIN=target/release/ringcache python3 integration/proxy_nutcracker_test.py
"""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nutcracker_placement import Failure, Resp, free_ports  # noqa: E402  (stdlib RESP client)

BIN = os.environ.get("RINGCACHE_BIN", "target/release/ringcache")
DEADLINE = time.monotonic() + 60.0


def wait_ping(port, proc, what, timeout=15.0):
    end = min(time.monotonic() + timeout, DEADLINE)
    last = None
    while time.monotonic() < end and proc.poll() is None:
        try:
            c = Resp(port, timeout=1.0)
            try:
                if c.call(b"PING") == b"PONG":
                    return
            finally:
                c.close()
        except (OSError, Failure) as e:
            last = e
        time.sleep(0.02)  # poll interval, bounded by the deadline
    raise Failure("%s on port %d not ready (%s)" % (what, port, last or "exited"))


def make_keys():
    rng = random.Random(20240601)
    keys = [b"foo", b"{}", b"{", b"}", b"}{", b"a{b", b"{{a}}", "{é}x".encode(), b"with space"]
    for i in range(250):
        keys.append(b"key:%d" % i)                                   # ASCII
        keys.append(b"user:%x" % ((i * 2654435761) & 0xFFFFFFFF))
        keys.append(f"café:{i}".encode())                            # UTF-8
        keys.append(f"ключ🙂{i}".encode())
        keys.append(b"{user%d}.following" % i)                       # hash-tagged
        keys.append(f"{{标签{i % 40}}}:{i}".encode())
        keys.append(bytes(rng.randrange(0x80, 0x100) for _ in range(rng.randrange(1, 17))))
        keys.append(bytes(rng.randrange(0, 0x100) for _ in range(rng.randrange(1, 25))))
    seen = set()
    keys = [k for k in keys if not (k in seen or seen.add(k))]
    assert len(keys) >= 2000, len(keys)
    return keys


def write_and_locate(port, keys, backends, value):
    """SET every key through the proxy on `port`; return {key: [backend index...]}."""
    for b in backends:
        b.call(b"FLUSHALL")
    c = Resp(port, timeout=10.0)
    try:
        replies = c.pipeline([(b"SET", k, value) for k in keys])
    finally:
        c.close()
    bad = [(k, r) for k, r in zip(keys, replies) if r != b"OK"]
    if bad:
        raise Failure("%d SETs failed, first %r" % (len(bad), bad[0]))
    where = {}
    for i, b in enumerate(backends):
        for k in b.call(b"KEYS", b"*"):
            where.setdefault(k, []).append(i)
    return where


def pool_yaml(listen, servers):
    lines = ["pool:", "  listen: 127.0.0.1:%d" % listen, "  hash: fnv1a_64",
             "  distribution: ketama", '  hash_tag: "{}"', "  redis: true",
             "  auto_eject_hosts: false", "  timeout: 5000", "  servers:"]
    return "\n".join(lines + ["   - " + s for s in servers]) + "\n"


def main():
    for tool in ("redis-server", "nutcracker"):
        if shutil.which(tool) is None:
            print("%s not installed" % tool)
            return 2
    tmp = tempfile.mkdtemp(prefix="proxy-nc-")
    procs = []
    passed = failed = 0

    def spawn(argv):
        procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, cwd=tmp))
        return procs[-1]

    def stop(p):
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)

    try:
        ports = free_ports(4 + 6)
        rports, spare = ports[:4], ports[4:]
        for p in rports:
            wait_ping(p, spawn(["redis-server", "--port", str(p), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--daemonize", "no"]),
                      "redis-server")
        backends = [Resp(p) for p in rports]
        keys = make_keys()
        lists = {
            "named": ["127.0.0.1:%d:1 server%d" % (p, i + 1) for i, p in enumerate(rports)],
            "unnamed": ["127.0.0.1:%d:1" % p for p in rports],
        }
        for kind, servers in lists.items():
            if time.monotonic() > DEADLINE:
                raise Failure("deadline exceeded")
            nc_port, rc_port, stats_port = spare.pop(), spare.pop(), spare.pop()
            nc_conf = os.path.join(tmp, "%s.yml" % kind)
            rc_conf = os.path.join(tmp, "%s-ringcache.yml" % kind)
            with open(nc_conf, "w") as f:
                f.write(pool_yaml(nc_port, servers))
            with open(rc_conf, "w") as f:  # the same file, another listen port
                f.write(pool_yaml(rc_port, servers))
            nc = spawn(["nutcracker", "-c", nc_conf, "-s", str(stats_port), "-a", "127.0.0.1",
                        "-o", os.path.join(tmp, "nc-%s.log" % kind)])
            rc = spawn([BIN, "proxy", "--nutcracker", rc_conf])
            wait_ping(nc_port, nc, "nutcracker (%s)" % kind)
            wait_ping(rc_port, rc, "ringcache proxy --nutcracker (%s)" % kind)

            set_a = write_and_locate(nc_port, keys, backends, b"nutcracker")
            set_b = write_and_locate(rc_port, keys, backends, b"ringcache")
            problems = []
            for name, where in (("nutcracker", set_a), ("ringcache", set_b)):
                odd = [k for k in keys if len(where.get(k, [])) != 1]
                if odd:
                    problems.append("%s: %d keys not on exactly one server, e.g. %r"
                                    % (name, len(odd), odd[0]))
            diff = [k for k in keys if set_a.get(k) != set_b.get(k)]
            if diff:
                problems.append("%d of %d keys on another server, e.g. %s" % (
                    len(diff), len(keys), "; ".join("%r: nutcracker %s, ringcache %s"
                                                    % (k, set_a.get(k), set_b.get(k))
                                                    for k in diff[:5])))
            counts = [sum(1 for k in keys if set_b.get(k) == [i]) for i in range(4)]
            if problems:
                failed += 1
                print("FAIL %s servers: %s" % (kind, "\n    ".join(problems)))
            elif not all(counts):
                failed += 1
                print("FAIL %s servers: a server holds no key: %s" % (kind, counts))
            else:
                passed += 1
                print("PASS %s servers: %d keys on the same server through nutcracker and "
                      "ringcache (per server %s)" % (kind, len(keys), counts))
            stop(nc)
            stop(rc)
        for b in backends:
            b.close()
        print("%d passed, %d failed" % (passed, failed))
        return 1 if failed else 0
    except Failure as e:
        print("FAIL: %s" % e)
        print("%d passed, %d failed" % (passed, failed + 1))
        return 1
    finally:
        for p in procs:
            if p.poll() is None:
                stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
