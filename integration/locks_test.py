#!/usr/bin/env python3
"""Distributed locks through `ringcache proxy`, driven by real lock clients.

Each test starts three backends as separate processes (by default `ringcache node`;
LOCK_BACKEND=redis uses `redis-server --save '' --appendonly no`) and a `ringcache proxy`
in front of them whose [locks] group is the three backends, then checks (see
/work/shared/docs/LOCKS.md, "How experts test a lock service"):

  a. redis-py Lock through the proxy: acquire, extend, release, blocking acquire,
     blocking_timeout, expiry frees the lock after its TTL.
  b. pottery Redlock (one master: the proxy): acquire/release, context manager, locked(),
     extend.
  c. Contention: 8 processes increment a file counter under redis-py Lock while one backend
     is killed -9 part way: no lost update, no overlapping holds, finished in < 60 s.
  d. Fenced register: a holder SIGSTOPped past its TTL makes a late write that the fence
     check rejects; accepted writes carry strictly increasing fences. Then a few hundred
     sequential grants with a backend killed and restarted (quarantined, then rejoining):
     fences strictly increase.

Environment: RINGCACHE_BIN (default target/release/ringcache), LOCK_BACKEND (node|redis),
LOCK_SEED (randomness; printed). Exit 0 = all passed.
"""

import fcntl
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

import redis
from redis.exceptions import LockNotOwnedError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("RINGCACHE_BIN", os.path.join(ROOT, "target", "release", "ringcache"))
BACKEND = os.environ.get("LOCK_BACKEND", "node")
SEED = int(os.environ.get("LOCK_SEED", str(random.SystemRandom().randrange(1 << 31))))
HOST = "127.0.0.1"

RESULTS = []  # (name, ok, detail)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def client(port, timeout=10.0):
    return redis.Redis(host=HOST, port=port, socket_timeout=timeout, socket_connect_timeout=2)


def wait_ready(port, proc, what, deadline_s=15.0):
    """Poll PING until it answers or the deadline passes (no fixed sleeps)."""
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before answering PING")
        try:
            if client(port, 0.5).ping():
                return
        except redis.RedisError as e:
            last = e
        time.sleep(0.02)
    raise RuntimeError(f"{what} on port {port} did not answer PING within {deadline_s}s: {last}")


class Cluster:
    """Three backend processes and a proxy in front of them."""

    def __init__(self, tmp, name, locks_extra=""):
        self.tmp = tmp
        self.name = name
        self.locks_extra = locks_extra
        self.ports = [free_port() for _ in range(3)]
        self.procs = [None, None, None]
        self.proxy = None
        self.proxy_port = None
        self.generation = [0, 0, 0]

    def _backend_cmd(self, port):
        if BACKEND == "redis":
            return ["redis-server", "--port", str(port), "--bind", HOST, "--save", "",
                    "--appendonly", "no"]
        return [BIN, "node", "--listen", f"{HOST}:{port}"]

    def start_backend(self, i):
        self.generation[i] += 1
        log = open(os.path.join(self.tmp, f"{self.name}-b{i}-{self.generation[i]}.log"), "wb")
        p = subprocess.Popen(self._backend_cmd(self.ports[i]), stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        self.procs[i] = p
        wait_ready(self.ports[i], p, f"backend b{i + 1}")

    def kill_backend(self, i):
        p = self.procs[i]
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
        self.procs[i] = None

    def start(self):
        for i in range(3):
            self.start_backend(i)
        self.proxy_port = free_port()
        servers = ",\n    ".join(f'"{HOST}:{p}:1 b{i + 1}"' for i, p in enumerate(self.ports))
        conf = os.path.join(self.tmp, f"{self.name}-proxy.toml")
        with open(conf, "w") as f:
            f.write(f"""role = "proxy"
listen = "{HOST}:{self.proxy_port}"
servers = [
    {servers},
]
hash_tag = "{{}}"
timeout = 2000

[locks]
# pottery's Redlock puts its keys under "redlock:"
key_prefixes = ["lock:", "redlock:"]
node_timeout = 50
{self.locks_extra}
""")
        log = open(os.path.join(self.tmp, f"{self.name}-proxy.log"), "wb")
        self.proxy = subprocess.Popen([BIN, "proxy", "-c", conf], stdout=log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_ready(self.proxy_port, self.proxy, "proxy")
        return self

    def stop(self):
        for p in self.procs + [self.proxy]:
            if p is not None and p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass

    def log_tail(self, n=15):
        out = []
        for fn in sorted(os.listdir(self.tmp)):
            if fn.startswith(self.name) and fn.endswith(".log"):
                with open(os.path.join(self.tmp, fn), "rb") as f:
                    lines = f.read().decode(errors="replace").splitlines()[-n:]
                if lines:
                    out.append(f"--- {fn}\n" + "\n".join(lines))
        return "\n".join(out)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def lock_info(r, key):
    """LOCK.INFO as a dict, with 'nodes' a list of dicts."""
    def as_dict(x):  # a RESP3 map, or a RESP2 flat pair array
        return x if isinstance(x, dict) else dict(zip(x[0::2], x[1::2]))

    d = as_dict(r.execute_command("LOCK.INFO", key))
    nodes = [as_dict(n) for n in d[b"nodes"]]
    return {"holder": d[b"holder"], "fence": d[b"fence"], "validity_ms": d[b"validity_ms"],
            "nodes": {n[b"node"].decode(): n[b"state"].decode() for n in nodes}}


# ---------------------------------------------------------------------------- a

def test_a_redis_py_lock(cl):
    r = client(cl.proxy_port)
    r2 = client(cl.proxy_port)
    # acquire / owned / locked / held by someone else
    lk = r.lock("lock:a", timeout=2)
    check(lk.acquire(blocking=False) is True, "first acquire")
    token = lk.local.token
    check(r.get("lock:a") == token, f"GET lock:a = {r.get('lock:a')!r}, want {token!r}")
    check(lk.owned() and lk.locked(), "owned/locked after acquire")
    other = r2.lock("lock:a", timeout=2)
    check(other.acquire(blocking=False) is False, "second acquirer must fail while held")
    check(not other.owned() and other.locked(), "other sees it locked, not owned")
    pttl = r.pttl("lock:a")
    check(0 < pttl <= 2000, f"PTTL after acquire {pttl}")
    # extend adds to the remaining TTL; replace_ttl sets it
    check(lk.extend(2) is True, "extend")
    pttl = r.pttl("lock:a")
    check(2000 < pttl <= 4000, f"PTTL after extend(2) {pttl}")
    check(lk.extend(1, replace_ttl=True) is True, "extend replace_ttl")
    pttl = r.pttl("lock:a")
    check(0 < pttl <= 1000, f"PTTL after extend(1, replace_ttl) {pttl}")
    check(lk.reacquire() is True, "reacquire")
    pttl = r.pttl("lock:a")
    check(1000 < pttl <= 2000, f"PTTL after reacquire {pttl}")
    try:
        other.extend(1)
        check(False, "extend by a non-owner must fail")
    except redis.exceptions.LockError:
        pass
    lk.release()
    check(r.get("lock:a") is None and not lk.locked(), "released")
    check(other.acquire(blocking=False) is True, "acquire after release")
    other.release()

    # blocking acquire: B blocks until A releases (A holds for 300 ms of "work")
    a = r.lock("lock:block", timeout=5)
    check(a.acquire(blocking=False), "A acquires")
    ret = {}

    def b_thread():
        b = client(cl.proxy_port).lock("lock:block", timeout=5, sleep=0.01)
        t0 = time.monotonic()
        ret["got"] = b.acquire(blocking=True, blocking_timeout=5)
        ret["at"] = time.monotonic()
        ret["waited"] = ret["at"] - t0
        if ret["got"]:
            b.release()

    import threading
    th = threading.Thread(target=b_thread)
    th.start()
    time.sleep(0.3)  # A's critical section
    released_at = time.monotonic()
    a.release()
    th.join(timeout=10)
    check(not th.is_alive(), "blocked acquirer finished")
    check(ret.get("got") is True, "B acquired after A released")
    check(ret["at"] >= released_at, f"B acquired {released_at - ret['at']:.3f}s before A released")
    check(ret["at"] - released_at < 1.0, f"B took {ret['at'] - released_at:.3f}s after release")

    # blocking_timeout bounds the wait
    a = r.lock("lock:block", timeout=5)
    check(a.acquire(blocking=False), "A acquires again")
    t0 = time.monotonic()
    got = r2.lock("lock:block", timeout=5, sleep=0.05).acquire(blocking=True, blocking_timeout=0.3)
    waited = time.monotonic() - t0
    check(got is False, "blocking_timeout acquire must give up")
    check(0.2 <= waited < 1.5, f"gave up after {waited:.3f}s (blocking_timeout 0.3)")
    a.release()

    # expiry: a lock never released is free again after its TTL
    crashed = r.lock("lock:expire", timeout=0.5)
    check(crashed.acquire(blocking=False), "acquire with 500 ms TTL")
    t0 = time.monotonic()
    nxt = r2.lock("lock:expire", timeout=2, sleep=0.01)
    check(nxt.acquire(blocking=True, blocking_timeout=3), "acquire after expiry")
    waited = time.monotonic() - t0
    check(0.4 <= waited < 1.5, f"expired lock freed after {waited:.3f}s (TTL 0.5 s)")
    try:
        crashed.release()
        check(False, "releasing an expired lock now held by another must fail")
    except LockNotOwnedError:
        pass
    check(nxt.owned(), "new holder still owns it")
    nxt.release()
    return f"redis-py Lock ok; blocked acquirer waited {ret['waited']:.3f}s, expiry after {waited:.3f}s"


# ---------------------------------------------------------------------------- b

def test_b_pottery(cl):
    from pottery import Redlock
    masters = {client(cl.proxy_port)}
    a = Redlock(key="printer", masters=masters, auto_release_time=2)
    b = Redlock(key="printer", masters=masters, auto_release_time=2)
    check(a.locked() == 0, "not locked before acquire")
    check(a.acquire(blocking=False) is True, "pottery acquire")
    left = a.locked()
    check(1.5 < left <= 2, f"locked() right after acquire = {left}")
    check(b.acquire(blocking=False) is False, "second Redlock must not acquire")
    check(b.locked() == 0, "locked() of a non-holder is 0")
    a.extend()
    left = a.locked()
    check(1.5 < left <= 2, f"locked() after extend = {left}")
    a.release()
    check(a.locked() == 0, "locked() after release")
    check(b.acquire(blocking=False) is True, "acquire after release")
    b.release()
    with Redlock(key="printer", masters=masters, auto_release_time=2) as c:
        check(c.locked() > 0, "context manager holds")
        check(a.acquire(blocking=False) is False, "held by the context manager")
    check(a.acquire(blocking=False) is True, "free after the with block")
    a.release()
    return "pottery Redlock acquire/release/extend/locked/context manager ok"


# ---------------------------------------------------------------------------- c

def _contention_worker(wid, port, counter, n, seed, stop_at, q):
    rnd = random.Random(seed * 1000 + wid)
    r = client(port)
    done, holds, timeouts, errors, late = 0, [], 0, 0, 0
    while done < n and time.monotonic() < stop_at:
        lk = r.lock("lock:counter", timeout=3, sleep=0.01)
        try:
            # An explicit random token: redis-py's default is uuid1(), and libuuid's
            # time-based state is copied into forked children, so workers forked from a
            # parent that already made one generate identical tokens (seen here: one
            # worker's failed attempt then releases another's lock by compare-and-delete).
            got = lk.acquire(blocking=True, blocking_timeout=5, token=uuid.uuid4().hex)
        except redis.RedisError:
            errors += 1
            continue
        if not got:
            timeouts += 1
            continue
        t0 = time.monotonic()
        with open(counter) as f:
            v = int(f.read())
        time.sleep(rnd.uniform(0.005, 0.02))
        tmp = f"{counter}.{wid}"
        with open(tmp, "w") as f:
            f.write(str(v + 1))
        os.replace(tmp, counter)
        t1 = time.monotonic()
        done += 1
        holds.append((t0, t1, wid, lk.local.token.decode()))
        try:
            lk.release()
        except LockNotOwnedError:
            late += 1
        except redis.RedisError:
            errors += 1
    q.put({"wid": wid, "done": done, "holds": holds, "timeouts": timeouts, "errors": errors,
           "late": late})


def test_c_contention(cl, tmp):
    procs, n = 8, 20
    counter = os.path.join(tmp, "counter")
    with open(counter, "w") as f:
        f.write("0")
    rnd = random.Random(SEED)
    victim = rnd.randrange(3)
    kill_after = rnd.randrange(n * procs // 4, n * procs // 2)
    t_start = time.monotonic()
    stop_at = t_start + 55
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    ps = [ctx.Process(target=_contention_worker, args=(w, cl.proxy_port, counter, n, SEED, stop_at, q))
          for w in range(procs)]
    for p in ps:
        p.start()
    killed_at = None
    kill_time = t_start
    try:
        while time.monotonic() < stop_at and any(p.is_alive() for p in ps):
            with open(counter) as f:
                v = f.read()
            if killed_at is None and v and int(v) >= kill_after:
                kill_time = time.monotonic()
                cl.kill_backend(victim)
                killed_at = int(v)
            time.sleep(0.005)
        results = [q.get(timeout=10) for _ in ps]
    finally:
        for p in ps:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
    elapsed = time.monotonic() - t_start
    done = sum(x["done"] for x in results)
    with open(counter) as f:
        final = int(f.read())
    holds = sorted(h for x in results for h in x["holds"])
    overlapping = [(a, b) for a, b in zip(holds, holds[1:]) if b[0] < a[1]]
    overlaps = len(overlapping)
    for a, b in overlapping:
        print(f"  overlap: w{a[2]} {a[3]} held {a[0] - t_start:.3f}..{a[1] - t_start:.3f}s, "
              f"w{b[2]} {b[3]} from {b[0] - t_start:.3f}s (kill at {kill_time - t_start:.3f}s)")
    detail = (f"{procs} procs x {n}: critical sections {done}, counter {final}, lost updates "
              f"{done - final}, overlapping holds {overlaps}, backend b{victim + 1} killed at "
              f"{killed_at}, acquire timeouts {sum(x['timeouts'] for x in results)}, client errors "
              f"{sum(x['errors'] for x in results)}, expired before release "
              f"{sum(x['late'] for x in results)}, {elapsed:.1f}s")
    check(killed_at is not None, "backend was killed part way: " + detail)
    check(final == done, "lost update: " + detail)
    check(overlaps == 0, "overlapping holds: " + detail)
    check(done == procs * n, "not every worker finished its increments: " + detail)
    check(elapsed < 60, "took too long: " + detail)
    return detail


# ---------------------------------------------------------------------------- d

class Register:
    """The protected resource: accepts a write only if its fence >= the highest seen."""

    def __init__(self, path):
        self.path = path
        with open(path, "w") as f:
            json.dump({"max": 0, "writes": [], "rejected": []}, f)

    def write(self, fence, who):
        with open(self.path + ".lk", "w") as lf:
            fcntl.flock(lf, fcntl.LOCK_EX)
            with open(self.path) as f:
                st = json.load(f)
            ok = fence >= st["max"]
            if ok:
                st["max"] = fence
                st["writes"].append([fence, who])
            else:
                st["rejected"].append([fence, who])
            with open(self.path, "w") as f:
                json.dump(st, f)
            return ok

    def state(self):
        with open(self.path) as f:
            return json.load(f)


def _paused_holder(port, key, ttl, reg_path, conn):
    r = client(port)
    tok, fence, validity = r.execute_command("LOCK.ACQUIRE", key, ttl)
    conn.send((tok, fence, validity, time.monotonic()))
    conn.recv()  # "go": sent while this process is SIGSTOPped
    # Still believes it holds the lock; writes with its (now stale) fence.
    held = r.get(key) == tok
    accepted = Register.__new__(Register)
    accepted.path = reg_path
    conn.send((held, accepted.write(fence, "paused")))


def proc_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def test_d_fenced_register(cl, tmp):
    r = client(cl.proxy_port)
    reg = Register(os.path.join(tmp, "register.json"))
    key, ttl, rounds = "lock:register", 600, 5
    ctx = mp.get_context("fork")
    late_unfenced_would_accept = 0
    last_fence = 0
    for rd in range(rounds):
        # an ordinary holder writes first
        tok, fence, validity = r.execute_command("LOCK.ACQUIRE", key, ttl)
        check(0 < validity <= ttl, f"validity {validity} for ttl {ttl}")
        check(fence > last_fence, f"fence {fence} after {last_fence}")
        check(reg.write(fence, f"normal{rd}"), "normal write accepted")
        check(r.execute_command("LOCK.RELEASE", key, tok) == 1, "release")
        # the holder that will be paused
        parent, child = ctx.Pipe()
        p = ctx.Process(target=_paused_holder, args=(cl.proxy_port, key, ttl, reg.path, child))
        p.start()
        try:
            check(parent.poll(10), "paused holder acquired")
            ptok, pfence, pvalidity, granted_at = parent.recv()
            os.kill(p.pid, signal.SIGSTOP)
            deadline = time.monotonic() + 5
            while proc_state(p.pid) != "T" and time.monotonic() < deadline:
                time.sleep(0.002)
            check(proc_state(p.pid) == "T", "holder is stopped")
            parent.send("go")  # it will act on this only after SIGCONT
            check(pfence > fence, f"paused holder's fence {pfence} after {fence}")
            # Another client waits for the lock; it is free only once the paused one's TTL ran out.
            t0 = time.monotonic()
            tok2, fence2, _ = client(cl.proxy_port, 15).execute_command(
                "LOCK.ACQUIRE", key, ttl, "WAIT", 5000)
            got_at = time.monotonic()
            check(got_at - granted_at >= pvalidity / 1000,
                  f"second grant {got_at - granted_at:.3f}s after the first, validity {pvalidity} ms")
            check(fence2 > pfence, f"fence {fence2} after paused holder's {pfence}")
            check(reg.write(fence2, f"next{rd}"), "write of the new holder accepted")
            check(r.execute_command("LOCK.RELEASE", key, tok2) == 1, "release 2")
            os.kill(p.pid, signal.SIGCONT)
            check(parent.poll(10), "paused holder answered after SIGCONT")
            held, accepted = parent.recv()
            check(not held, "paused holder's lock expired")
            check(not accepted, f"late write with fence {pfence} must be rejected (round {rd})")
            late_unfenced_would_accept += 1  # it did not hold the lock, yet would have written
            last_fence = fence2
        finally:
            if p.is_alive():
                os.kill(p.pid, signal.SIGCONT)
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
        _ = t0
    st = reg.state()
    fences = [w[0] for w in st["writes"]]
    check(all(a < b for a, b in zip(fences, fences[1:])), f"accepted fences not increasing: {fences}")
    check(len(st["rejected"]) == rounds, f"rejected {st['rejected']}")
    return (f"{rounds} rounds: accepted {len(fences)} writes, fences {fences[0]}..{fences[-1]} "
            f"strictly increasing; late writes of paused holders rejected {len(st['rejected'])}/"
            f"{rounds} (an unfenced register would have taken {late_unfenced_would_accept})")


def test_d_sequential_fences(cl):
    r = client(cl.proxy_port)
    key, ttl = "lock:seq", 1000
    rnd = random.Random(SEED + 1)
    victim = rnd.randrange(3)
    vname = f"b{victim + 1}"
    fences = []
    t_start = time.monotonic()

    def grant():
        # retried on NOQUORUM (e.g. the instant the victim dies); bounded
        for _ in range(20):
            try:
                tok, fence, validity = r.execute_command("LOCK.ACQUIRE", key, ttl)
            except redis.ResponseError as e:
                if str(e).startswith("NOQUORUM"):
                    continue
                raise
            check(0 < validity <= ttl, f"validity {validity}")
            check(r.execute_command("LOCK.RELEASE", key, tok) == 1, "release")
            fences.append(fence)
            return
        raise AssertionError("no grant in 20 attempts")

    for _ in range(100):
        grant()
    cl.kill_backend(victim)
    for _ in range(50):
        grant()
    info = lock_info(r, key)
    check(info["nodes"][vname].startswith("down"), f"killed backend shows {info['nodes']}")
    cl.start_backend(victim)  # a new process on the same port, empty
    seen_quarantine = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        grant()
        if lock_info(r, key)["nodes"][vname] == "quarantined":
            seen_quarantine = len(fences)
            break
    check(seen_quarantine is not None, f"restarted {vname} never showed quarantined")
    deadline = time.monotonic() + 15
    rejoined = None
    while time.monotonic() < deadline:
        grant()
        if lock_info(r, key)["nodes"][vname] != "quarantined":
            rejoined = len(fences)
            break
    check(rejoined is not None, f"{vname} still quarantined after the quarantine period")
    for _ in range(100):
        grant()
    direct = client(cl.ports[victim]).get(b"__ringcache_fence:" + key.encode())
    check(all(a < b for a, b in zip(fences, fences[1:])),
          f"fences not strictly increasing: {[(i, a, b) for i, (a, b) in enumerate(zip(fences, fences[1:])) if a >= b][:5]}")
    check(direct == str(fences[-1]).encode(),
          f"rejoined {vname} fence counter {direct!r}, last fence {fences[-1]}")
    gaps = sum(1 for a, b in zip(fences, fences[1:]) if b != a + 1)
    return (f"{len(fences)} sequential grants, fences {fences[0]}..{fences[-1]} strictly increasing "
            f"(gaps {gaps}); {vname} killed after 100, restarted after 150, quarantined at grant "
            f"{seen_quarantine}, rejoined at {rejoined} with its counter repaired; "
            f"{time.monotonic() - t_start:.1f}s")


# ---------------------------------------------------------------------------- main

def run(name, fn, workdir, locks_extra="", **kw):
    only = os.environ.get("LOCK_ONLY")
    if only and only not in name:
        return
    cl = Cluster(workdir, name, locks_extra)
    t0 = time.monotonic()
    try:
        cl.start()
        detail = fn(cl, **kw)
        RESULTS.append((name, True, detail))
        print(f"PASS {name}: {detail} [{time.monotonic() - t0:.1f}s]", flush=True)
    except Exception as e:
        RESULTS.append((name, False, str(e)))
        print(f"FAIL {name}: {e}", flush=True)
        traceback.print_exc()
        print(cl.log_tail(), flush=True)
    finally:
        cl.stop()


def main():
    if BACKEND not in ("node", "redis"):
        print(f"LOCK_BACKEND must be node or redis, not {BACKEND!r}")
        return 2
    if not os.path.exists(BIN):
        print(f"ringcache binary not found: {BIN} (set RINGCACHE_BIN)")
        return 2
    print(f"locks_test: backends={BACKEND} bin={BIN} seed={SEED} (rerun with LOCK_SEED={SEED})",
          flush=True)
    tmp = tempfile.mkdtemp(prefix="ringcache-locks-")
    t0 = time.monotonic()
    try:
        run("a-redis-py-lock", test_a_redis_py_lock, tmp)
        run("b-pottery-redlock", test_b_pottery, tmp)
        run("c-contention-kill9", test_c_contention, tmp, tmp=tmp)
        run("d-fenced-register-sigstop", test_d_fenced_register, tmp, tmp=tmp)
        # a short quarantine (above every TTL used here) so the restarted backend rejoins
        run("d-sequential-fences-restart", test_d_sequential_fences, tmp,
            locks_extra="restart_quarantine = 2000")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = [n for n, ok, _ in RESULTS if not ok]
    print(f"locks_test: {len(RESULTS) - len(failed)} passed, {len(failed)} failed "
          f"in {time.monotonic() - t0:.1f}s (seed {SEED})", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
