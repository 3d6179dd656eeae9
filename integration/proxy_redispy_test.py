#!/usr/bin/env python3
"""redis-py (PyPI `redis`) through `ringcache proxy` in front of 3 ringcache nodes.

Checks, each printed as PASS/FAIL:
  * basics (RESP2 and protocol=3): set/get/mget/mset/delete/exists/incr/hset/hgetall/lpush/
    lrange/sadd/smembers/zadd/zrange/expire/ttl, scan_iter over every backend (keys spread
    over all three, checked by asking the nodes);
  * a transaction=False pipeline of 1,000 mixed commands with exact results;
  * transaction=True pipelines (MULTI/EXEC) on hash-tagged keys, and WATCH;
  * a connection pool shared by 8 threads doing a bounded number of INCR/HINCRBY/SADD,
    with exact final counters.

    RINGCACHE_BIN=target/release/ringcache python3 integration/proxy_redispy_test.py
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis

BIN = os.environ.get("RINGCACHE_BIN", "target/release/ringcache")
DEADLINE = time.monotonic() + 90.0


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_ping(port, proc, what, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            if redis.Redis(port=port, socket_timeout=1).ping():
                return
        except redis.RedisError:
            pass
        time.sleep(0.05)  # poll interval, bounded by the deadline
    raise SystemExit("%s on port %d did not answer PING" % (what, port))


def spread(i):
    # twemproxy's 32-bit "fnv1a_64" clusters short sequential names; spread them
    return "%x" % ((i * 2654435761) & 0xFFFFFFFF)


def eq(what, want, got):
    if want != got:
        raise AssertionError("%s: expected %r, got %r" % (what, want, got))


def basics(r, nodes, tag):
    r.flushall()
    eq("set", True, r.set("greeting", "hello"))
    eq("get", b"hello", r.get("greeting"))
    eq("get missing", None, r.get("nope"))
    keys = ["k:" + spread(i) for i in range(60)]
    eq("mset", True, r.mset({k: "v" + k for k in keys}))
    eq("mget", [("v" + k).encode() for k in keys] + [None], r.mget(keys + ["nope"]))
    held = [redis.Redis(port=p).dbsize() for p in nodes]
    if not all(held):
        raise AssertionError("keys not spread over all backends: %r" % held)
    eq("exists", 60, r.exists(*keys))
    eq("delete", 10, r.delete(*keys[:10], "nope"))
    eq("exists after delete", 50, r.exists(*keys))
    eq("incr", 1, r.incr("counter"))
    eq("incrby", 11, r.incr("counter", 10))
    eq("hset", 2, r.hset("h", mapping={"a": "1", "b": "2"}))
    eq("hgetall", {b"a": b"1", b"b": b"2"}, r.hgetall("h"))
    eq("lpush", 3, r.lpush("l", "a", "b", "c"))
    eq("lrange", [b"c", b"b", b"a"], r.lrange("l", 0, -1))
    eq("sadd", 3, r.sadd("s", "x", "y", "z"))
    eq("smembers", {b"x", b"y", b"z"}, r.smembers("s"))
    eq("zadd", 3, r.zadd("z", {"one": 1, "two": 2, "three": 3}))
    eq("zrange", [b"one", b"two", b"three"], r.zrange("z", 0, -1))
    # (redis-py gives tuples in RESP2, lists in RESP3)
    eq("zrange withscores", [(b"one", 1.0), (b"two", 2.0)],
       [tuple(x) for x in r.zrange("z", 0, 1, withscores=True)])
    eq("expire", True, r.expire("greeting", 100))
    eq("ttl", 100, r.ttl("greeting"))
    eq("ttl no expire", -1, r.ttl("h"))
    want = set(k.encode() for k in keys[10:]) | {b"greeting", b"counter", b"h", b"l", b"s", b"z"}
    got = list(r.scan_iter(count=7))
    eq("scan_iter has no duplicates", len(set(got)), len(got))
    eq("scan_iter over all backends", want, set(got))
    eq("scan_iter match", set(k.encode() for k in keys[10:]), set(r.scan_iter(match="k:*")))
    eq("dbsize", len(want), r.dbsize())
    # hash-tagged keys share a backend: multi-key commands work
    eq("rename", True, r.rename("{%s}a" % tag, "{%s}b" % tag) if r.set("{%s}a" % tag, 1) else None)
    eq("sinterstore", 1, r.sadd("{%s}s1" % tag, "m") and r.sadd("{%s}s2" % tag, "m", "n")
       and r.sinterstore("{%s}d" % tag, ["{%s}s1" % tag, "{%s}s2" % tag]))


def big_pipeline(r):
    r.flushall()
    p = r.pipeline(transaction=False)
    want = []
    for i in range(200):
        k = "p:" + spread(i)
        p.set(k, i)
        want.append(True)
        p.incr(k)
        want.append(i + 1)
        p.get(k)
        want.append(str(i + 1).encode())
        p.rpush("pl:" + spread(i % 7), i)
        want.append(i // 7 + 1)
        p.mget(k, "nope", "p:" + spread(0))
        want.append([str(i + 1).encode(), None, b"1"])
    eq("pipeline length", 1000, len(p.command_stack))
    got = p.execute()
    for n, (w, g) in enumerate(zip(want, got)):
        eq("pipeline reply %d" % n, w, g)
    eq("pipeline reply count", 1000, len(got))


def transactions(r):
    r.flushall()
    p = r.pipeline(transaction=True)
    p.set("{acct}:a", 100).set("{acct}:b", 0).decrby("{acct}:a", 30).incrby("{acct}:b", 30)
    p.mget("{acct}:a", "{acct}:b")
    eq("multi/exec", [True, True, 70, 30, [b"70", b"30"]], p.execute())

    def move(pipe):
        a = int(pipe.get("{acct}:a"))
        pipe.multi()
        pipe.set("{acct}:a", a - 5)
        pipe.incrby("{acct}:b", 5)
    eq("transaction() with watch", [True, 35], r.transaction(move, "{acct}:a"))
    eq("after watch tx", [b"65", b"35"], r.mget("{acct}:a", "{acct}:b"))
    # a WATCHed key changed by another client: EXEC aborts
    with r.pipeline(transaction=True) as p:
        p.watch("{acct}:a")
        r.set("{acct}:a", 0)
        p.multi()
        p.set("{acct}:a", 1)
        try:
            p.execute()
            raise AssertionError("EXEC should have been aborted by WATCH")
        except redis.WatchError:
            pass
    eq("after aborted tx", b"0", r.get("{acct}:a"))
    # a transaction over keys on different backends is refused with the proxy's error
    p = r.pipeline(transaction=True)
    for i in range(20):
        p.set("x:" + spread(i), i)
    try:
        p.execute()
        raise AssertionError("cross-backend transaction should fail")
    except redis.ResponseError as e:
        if "ringcache" not in str(e) and "EXECABORT" not in str(e):
            raise
    eq("nothing of the refused transaction was written", 0,
       r.exists(*["x:" + spread(i) for i in range(20)]))


def threads(port):
    pool = redis.ConnectionPool(host="127.0.0.1", port=port, max_connections=8)
    r = redis.Redis(connection_pool=pool)
    r.flushall()
    n_threads, per = 8, 400
    errors = []

    def work(t):
        try:
            c = redis.Redis(connection_pool=pool)
            for i in range(per):
                c.incr("ctr:total")
                c.incr("ctr:" + spread(i % 16))
                c.hincrby("ctr:h", "t%d" % t, 1)
                c.sadd("ctr:set", "%d:%d" % (t, i))
                if i % 50 == 0:
                    p = c.pipeline(transaction=False)
                    for j in range(10):
                        p.incr("ctr:piped")
                    p.execute()
        except Exception as e:  # reported below
            errors.append(repr(e))

    ths = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(max(1.0, DEADLINE - time.monotonic()))
        if t.is_alive():
            raise AssertionError("a worker thread did not finish before the deadline")
    if errors:
        raise AssertionError("worker errors: %s" % errors[:3])
    eq("total", str(n_threads * per).encode(), r.get("ctr:total"))
    eq("per-key", [str(n_threads * per // 16).encode()] * 16,
       r.mget(["ctr:" + spread(i) for i in range(16)]))
    eq("hash", {("t%d" % t).encode(): str(per).encode() for t in range(n_threads)}, r.hgetall("ctr:h"))
    eq("set", n_threads * per, r.scard("ctr:set"))
    eq("piped", str(n_threads * (per // 50) * 10).encode(), r.get("ctr:piped"))
    pool.disconnect()


def main():
    tmp = tempfile.mkdtemp(prefix="proxy-redispy-")
    procs = []
    passed = failed = 0
    try:
        ports = free_ports(4)
        proxy_port, nodes = ports[0], ports[1:]
        for p in nodes:
            procs.append(subprocess.Popen([BIN, "node", "--listen", "127.0.0.1:%d" % p],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            wait_ping(p, procs[-1], "node")
        conf = os.path.join(tmp, "proxy.toml")
        with open(conf, "w") as f:
            f.write('role = "proxy"\nlisten = "127.0.0.1:%d"\nhash_tag = "{}"\n' % proxy_port)
            f.write("servers = [%s]\n" % ", ".join(
                '"127.0.0.1:%d:1 n%d"' % (p, i) for i, p in enumerate(nodes)))
        procs.append(subprocess.Popen([BIN, "proxy", "-c", conf], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_ping(proxy_port, procs[-1], "proxy")
        print("redis-py %s; proxy on %d over nodes %s" % (redis.__version__, proxy_port, nodes))

        r2 = redis.Redis(port=proxy_port, socket_timeout=10)
        r3 = redis.Redis(port=proxy_port, socket_timeout=10, protocol=3)
        steps = [
            ("basics (RESP2)", lambda: basics(r2, nodes, "t2")),
            ("basics (protocol=3, RESP3)", lambda: basics(r3, nodes, "t3")),
            ("pipeline transaction=False, 1000 mixed commands", lambda: big_pipeline(r2)),
            ("pipeline transaction=False, 1000 commands (RESP3)", lambda: big_pipeline(r3)),
            ("pipeline transaction=True on hash-tagged keys, WATCH", lambda: transactions(r2)),
            ("pipeline transaction=True (RESP3)", lambda: transactions(r3)),
            ("connection pool, 8 threads, exact counters", lambda: threads(proxy_port)),
        ]
        for name, fn in steps:
            t0 = time.monotonic()
            if time.monotonic() > DEADLINE:
                print("FAIL %s: deadline exceeded before it ran" % name)
                failed += 1
                continue
            try:
                fn()
                passed += 1
                print("PASS %s (%.1fs)" % (name, time.monotonic() - t0))
            except Exception as e:
                failed += 1
                print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
        for p in procs:
            if p.poll() is not None:
                print("FAIL a server exited (rc %s)" % p.returncode)
                failed += 1
        print("%d passed, %d failed" % (passed, failed))
        return 1 if failed else 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
