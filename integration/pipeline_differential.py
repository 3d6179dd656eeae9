#!/usr/bin/env python3
"""Pipelined differential test: long pipelines of random commands, written at once to a
ringcache node and to redis-server 7.0, must get the same reply stream byte for byte.

The node parses a pipelined batch ahead and prefetches its keys before running it; this
checks, against the real thing, that no reply changes and none goes to the wrong request.
Per seed (even seeds after HELLO 3, odd ones in RESP2): FLUSHALL, then N commands over 12
keys of every type (wrong types, MULTI / EXEC / DISCARD in odd places, multi-key commands,
long values) and over the fields and members of a big hash, a big set and a set of
integers (the node prefetches those too), encoded into one buffer, written in pieces of
random size, and all N replies read back. Only commands with deterministic replies
are drawn (no TTL, RANDOMKEY, SPOP, nor whole sets or hashes, whose order follows the encoding).

Usage:
    python3 integration/pipeline_differential.py [--seeds A-B] [--commands N]

Environment: RINGCACHE_BIN / RINGCACHE_CMD and REDIS_SERVER as in differential.py.
Exit status: 0 same replies for every seed, 1 a difference (seed, index, command and both
replies printed), 2 setup problem. Every read has a timeout; each seed is bounded.
"""

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential as D  # noqa: E402

KEYS = ["k%d" % i for i in range(12)]
VALUES = ["1", "-5", "x" * 100, "abc", "3.5", "", "9223372036854775807"]


# Past Redis's listpack / intset limits (512), so both servers keep them as hash tables.
BIG = [["HSET", "bighash"] + [x for i in range(600) for x in ("f%d" % i, str(i))],
       ["SADD", "bigset"] + ["m%d" % i for i in range(600)]]


def inside(rng):
    """One random command on a field or member of the big hash or set, or on a set of
    integers small enough to stay an intset (so SMEMBERS replies in numeric order)."""
    f = "f%d" % rng.randrange(800)
    m = "m%d" % rng.randrange(800)
    n = str(rng.randrange(-200, 200))
    v = rng.choice(["1", "x" * 80, str(rng.randrange(100))])
    return rng.choice([
        ["HSET", "bighash", f, v], ["HGET", "bighash", f], ["HDEL", "bighash", f],
        ["HEXISTS", "bighash", f], ["HINCRBY", "bighash", f, "5"], ["HSTRLEN", "bighash", f],
        ["HMGET", "bighash", f, "f1"], ["HLEN", "bighash"],
        ["SADD", "bigset", m], ["SISMEMBER", "bigset", m], ["SREM", "bigset", m],
        ["SMISMEMBER", "bigset", m, "m1"], ["SCARD", "bigset"],
        ["SADD", "ints", n], ["SREM", "ints", n], ["SISMEMBER", "ints", n],
        ["SMEMBERS", "ints"],
    ])


def command(rng):
    """One random command with a deterministic reply."""
    if rng.random() < 0.25:
        return inside(rng)
    k = rng.choice(KEYS)
    o = rng.choice(KEYS)
    v = rng.choice(VALUES + [str(rng.randrange(100))])
    return rng.choice([
        ["SET", k, v], ["GET", k], ["INCR", k], ["DECRBY", k, "3"], ["INCRBYFLOAT", k, "1.5"],
        ["APPEND", k, v], ["STRLEN", k], ["GETRANGE", k, "0", "3"], ["SETRANGE", k, "2", v],
        ["GETDEL", k], ["MGET", k, o, "k1", "k2"], ["MSET", k, v, o, v], ["MSETNX", k, v],
        ["DEL", k, o, "k2"], ["EXISTS", k, k, o], ["TYPE", k], ["RENAME", k, o], ["COPY", k, o],
        ["EXPIRE", k, "100"], ["PERSIST", k],
        ["LPUSH", k, v], ["RPUSH", k, v, v], ["RPOP", k], ["LRANGE", k, "0", "-1"], ["LLEN", k],
        ["LMOVE", k, o, "LEFT", "RIGHT"],
        ["HSET", k, "f", v, "g", v], ["HGET", k, "f"], ["HINCRBY", k, "f", "2"], ["HLEN", k], ["HSTRLEN", k, "g"],
        ["HDEL", k, "g"],
        ["SADD", k, v, "m"], ["SCARD", k], ["SISMEMBER", k, v], ["SREM", k, "m"],
        ["SINTERCARD", "2", k, o],
        ["ZADD", k, "1", v, "2", "m"], ["ZRANGE", k, "0", "-1", "WITHSCORES"], ["ZSCORE", k, v],
        ["ZINCRBY", k, "1.5", "m"], ["ZREM", k, v],
        ["MULTI"], ["EXEC"], ["DISCARD"], ["PING"], ["ECHO", v], ["DBSIZE"], ["NOSUCH", k],
        ["GET"], ["SET", k],
    ])


def encode(args):
    return D.encode_command([a.encode() for a in args])


def replies(port, chunks, n, deadline, resp3):
    """FLUSHALL, write `chunks` (the pipeline), read `n` raw replies; with `resp3`, after
    HELLO 3 (its reply, which names the connection's id, is not compared)."""
    c = D.Conn(port)
    try:
        c.sock.settimeout(10.0)
        if resp3:
            c.send(encode(["HELLO", "3"]))
            c.read_reply()
        c.send(encode(["FLUSHALL"]))
        c.read_reply()
        for chunk in chunks:
            c.send(chunk)
        out = []
        for _ in range(n):
            if time.monotonic() > deadline:
                raise SystemExit("time limit reached while reading replies")
            out.append(c.read_reply())
        return out
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1-20", help="inclusive range A-B (default 1-20)")
    ap.add_argument("--commands", type=int, default=3000)
    ap.add_argument("--time-limit", type=float, default=120.0)
    opts = ap.parse_args()
    first, last = (int(x) for x in opts.seeds.split("-"))
    deadline = time.monotonic() + opts.time_limit
    ports = [D.free_port(), D.free_port()]
    servers = [D.Server("redis", D.redis_argv(ports[0]), ports[0]),
               D.Server("ringcache", D.sut_argv(ports[1]), ports[1])]
    try:
        for s in servers:
            s.wait_ready()
        for seed in range(first, last + 1):
            rng = random.Random(seed)
            cmds = BIG + [command(rng) for _ in range(opts.commands)]
            stream = b"".join(encode(c) for c in cmds)
            chunks, at = [], 0
            while at < len(stream):
                n = rng.randrange(1, 8192)
                chunks.append(stream[at:at + n])
                at += n
            resp3 = seed % 2 == 0
            want = replies(ports[0], chunks, len(cmds), deadline, resp3)
            got = replies(ports[1], chunks, len(cmds), deadline, resp3)
            for i, (a, b) in enumerate(zip(want, got)):
                if a != b:
                    print("seed %d: reply %d to %s differs\n  redis-server: %r\n  ringcache:    %r"
                          % (seed, i, cmds[i], a[:300], b[:300]))
                    return 1
            print("seed %d: %d pipelined replies identical (RESP%d)"
                  % (seed, len(cmds), 3 if resp3 else 2))
        return 0
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
