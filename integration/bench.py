#!/usr/bin/env python3
"""redis-benchmark harness: ringcache vs redis-server vs twemproxy, side by side.

Variants (each started fresh in every round, on free 127.0.0.1 ports):
    redis        redis-server, direct
    node         ringcache node, direct
    node-1loop   ringcache node, direct, with one event loop (threads = 1)
    node-poll    ringcache node, direct, busy polling (busy_poll_us = 50)
    node-1loop-poll  both: one event loop that busy polls
    nutcracker   nutcracker (twemproxy) in front of 3 redis-servers
    proxy-redis  ringcache proxy in front of 3 redis-servers
    proxy-node   ringcache proxy in front of 3 ringcache nodes

Per round, variants run one after another (the order rotates every round, so no variant
always runs first or last); per variant the key space is prefilled (every key:NNNNNNNNNNNN
that `-r 100000` can draw holds a 64-byte value, so GETs hit), then for each depth and test

    redis-benchmark -h 127.0.0.1 -p P -c 50 -n N -r 100000 -d 64 -t TEST -P DEPTH --csv

runs once (one test per invocation so that CPU time can be attributed per test). Around each
invocation utime+stime of every server-side process is read from /proc/PID/stat; the
difference divided by the requests is "CPU seconds per million requests". The client's own
CPU (redis-benchmark, from getrusage(RUSAGE_CHILDREN)) is recorded as well.

Output: a Markdown table of medians over rounds (requests/s, ratio vs redis-server direct and
vs nutcracker, p50, p99, CPU-s/M per process), printed and written to --out; the raw
per-round numbers go to --json (default: --out with .json).

Usage:
    python3 integration/bench.py --quick --out /tmp/bench-quick.md
    python3 integration/bench.py -t set,get,incr,lpush,hset -n 200000 --rounds 5 \\
        --out integration/bench-results.md

Environment: RINGCACHE_BIN (default $CARGO_TARGET_DIR/release/ringcache, else
target/release/ringcache), REDIS_SERVER, NUTCRACKER, REDIS_BENCHMARK.
Everything is bounded: readiness polls have deadlines, every benchmark run has a timeout,
--budget-min stops starting new rounds, and all processes are killed in `finally`.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
KEYSPACE = 100_000  # -r 100000
VALUE_SIZE = 64  # -d 64
VARIANTS = ["redis", "node", "node-1loop", "node-poll", "node-1loop-poll", "nutcracker",
            "proxy-redis", "proxy-node"]
# Busy-polling window of the *-poll variants, in microseconds.
BUSY_POLL_US = 50
DESCRIPTION = {
    "redis": "redis-server direct",
    "node": "ringcache node direct",
    "node-1loop": "ringcache node direct, one event loop (`threads = 1`)",
    "node-poll": f"ringcache node direct, busy polling (`busy_poll_us = {BUSY_POLL_US}`)",
    "node-1loop-poll": f"ringcache node direct, one loop, busy polling (`threads = 1`, "
                       f"`busy_poll_us = {BUSY_POLL_US}`)",
    "nutcracker": "nutcracker → 3 redis-server",
    "proxy-redis": "ringcache proxy → 3 redis-server",
    "proxy-node": "ringcache proxy → 3 ringcache node",
}


class BenchError(Exception):
    """A server did not start, did not answer, or a benchmark run failed."""


def _terminate_handler(signum, _frame):
    # Turn SIGTERM/SIGHUP into an exception so `finally` blocks kill our children.
    raise SystemExit(128 + signum)


# ---------------------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read()
    # comm may contain spaces/parens: fields start after the last ')'.
    rest = data[data.rindex(b")") + 2:].split()
    utime, stime = int(rest[11]), int(rest[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / CLK_TCK


@dataclass
class Proc:
    name: str
    port: int
    popen: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.popen.pid


@dataclass
class Deployment:
    """Processes of one variant; `front` is what redis-benchmark talks to."""

    variant: str
    front: Proc | None = None
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, port: int, argv: list[str], log: str) -> Proc:
        logf = open(log, "ab")
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            logf.close()
        proc = Proc(name, port, p)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for p in self.procs:
            if p.popen.poll() is None:
                try:
                    p.popen.terminate()
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        for p in self.procs:
            try:
                p.popen.wait(timeout=max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait(timeout=5)

    def cpu(self) -> dict[str, float]:
        out = {}
        for p in self.procs:
            if p.popen.poll() is not None:
                raise BenchError(f"{self.variant}: {p.name} (pid {p.pid}) exited "
                                 f"with {p.popen.returncode}")
            out[p.name] = cpu_seconds(p.pid)
        return out


def recv_exact_replies(sock: socket.socket, want: int, deadline: float) -> bytes:
    buf = bytearray()
    while len(buf) < want:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise BenchError("connection closed while reading replies")
        buf += chunk
        if time.monotonic() > deadline:
            raise BenchError("timed out reading replies")
    return bytes(buf)


def wait_ready(proc: Proc, deadline_s: float = 15.0) -> None:
    """Poll PING until +PONG (no fixed sleeps; short back-off between attempts)."""
    deadline = time.monotonic() + deadline_s
    last = "no attempt"
    delay = 0.005
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise BenchError(f"{proc.name} exited with {proc.popen.returncode} before "
                             f"answering PING")
        try:
            with socket.create_connection((HOST, proc.port), timeout=1) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                s.settimeout(1)
                if s.recv(64).startswith(b"+PONG"):
                    return
                last = "unexpected reply"
        except OSError as e:
            last = str(e)
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    raise BenchError(f"{proc.name} on port {proc.port} not ready after "
                     f"{deadline_s:.0f}s ({last})")


def resp(*args: bytes) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def prefill(port: int, keys: int = KEYSPACE, batch: int = 1000, timeout: float = 120) -> None:
    """SET every key redis-benchmark's -r draws (key:%012d), pipelined in batches."""
    value = b"x" * VALUE_SIZE
    deadline = time.monotonic() + timeout
    with socket.create_connection((HOST, port), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, keys, batch):
            n = min(batch, keys - start)
            s.sendall(b"".join(resp(b"SET", b"key:%012d" % i, value)
                               for i in range(start, start + n)))
            got = recv_exact_replies(s, 5 * n, deadline)
            if got != b"+OK\r\n" * n:
                raise BenchError(f"prefill on port {port}: unexpected reply {got[:80]!r}")
        # Spot check: a GET hits.
        s.sendall(resp(b"GET", b"key:%012d" % (keys - 1)))
        got = recv_exact_replies(s, 5 + VALUE_SIZE + 2, deadline)
        if got != b"$%d\r\n%s\r\n" % (VALUE_SIZE, value):
            raise BenchError(f"prefill check on port {port}: {got[:80]!r}")


# ---------------------------------------------------------------------------- variants

@dataclass
class Tools:
    ringcache: str
    redis_server: str
    nutcracker: str
    redis_benchmark: str


def start_redis(dep: Deployment, name: str, tools: Tools, tmp: str) -> Proc:
    port = free_port()
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    return dep.start(name, port, [
        tools.redis_server, "--port", str(port), "--bind", HOST, "--save", "",
        "--appendonly", "no", "--dir", d, "--protected-mode", "no",
        "--logfile", os.path.join(d, "redis.log"),
    ], os.path.join(d, "stdout.log"))


def start_node(dep: Deployment, name: str, tools: Tools, tmp: str, threads: int = 0,
               busy_poll_us: int = 0) -> Proc:
    """A node with `threads` event loops (0 = the default, one per core), busy polling
    for `busy_poll_us` (0 = off, the default)."""
    port = free_port()
    conf = os.path.join(tmp, f"{name}.toml")
    with open(conf, "w") as f:
        f.write(f'listen = "{HOST}:{port}"\nthreads = {threads}\nbusy_poll_us = {busy_poll_us}\n')
    return dep.start(name, port, [tools.ringcache, "node", "-c", conf],
                     os.path.join(tmp, f"{name}.log"))


def start_rc_proxy(dep: Deployment, backends: list[Proc], tools: Tools, tmp: str) -> Proc:
    port = free_port()
    conf = os.path.join(tmp, "proxy.toml")
    servers = ", ".join(f'"{HOST}:{b.port}:1"' for b in backends)
    with open(conf, "w") as f:
        f.write(f'role = "proxy"\nlisten = "{HOST}:{port}"\nservers = [{servers}]\n'
                f'hash_tag = "{{}}"\npreconnect = true\n')
    return dep.start("proxy", port, [tools.ringcache, "proxy", "-c", conf],
                     os.path.join(tmp, "proxy.log"))


def start_nutcracker(dep: Deployment, backends: list[Proc], tools: Tools, tmp: str) -> Proc:
    port, stats = free_port(), free_port()
    conf = os.path.join(tmp, "nutcracker.yml")
    with open(conf, "w") as f:
        f.write("bench:\n"
                f"  listen: {HOST}:{port}\n"
                "  hash: fnv1a_64\n  distribution: ketama\n  hash_tag: \"{}\"\n"
                "  redis: true\n  preconnect: true\n  auto_eject_hosts: false\n"
                "  server_connections: 1\n  timeout: 1000\n  servers:\n")
        for b in backends:
            f.write(f"    - {HOST}:{b.port}:1\n")
    return dep.start("nutcracker", port, [
        tools.nutcracker, "-c", conf, "-s", str(stats), "-a", HOST, "-v", "4",
        "-o", os.path.join(tmp, "nutcracker.log"), "-p", os.path.join(tmp, "nutcracker.pid"),
    ], os.path.join(tmp, "nutcracker.stdout"))


def deploy(variant: str, tools: Tools, tmp: str) -> Deployment:
    """Start a variant; on failure everything started so far is stopped."""
    dep = Deployment(variant)
    try:
        if variant == "redis":
            dep.front = start_redis(dep, "redis", tools, tmp)
        elif variant == "node":
            dep.front = start_node(dep, "node", tools, tmp)
        elif variant == "node-1loop":
            dep.front = start_node(dep, "node-1loop", tools, tmp, threads=1)
        elif variant == "node-poll":
            dep.front = start_node(dep, "node-poll", tools, tmp, busy_poll_us=BUSY_POLL_US)
        elif variant == "node-1loop-poll":
            dep.front = start_node(dep, "node-1loop-poll", tools, tmp, threads=1,
                                   busy_poll_us=BUSY_POLL_US)
        else:
            if variant in ("nutcracker", "proxy-redis"):
                backends = [start_redis(dep, f"redis{i}", tools, tmp) for i in (1, 2, 3)]
            else:
                backends = [start_node(dep, f"node{i}", tools, tmp) for i in (1, 2, 3)]
            for b in backends:
                wait_ready(b)
            if variant == "nutcracker":
                dep.front = start_nutcracker(dep, backends, tools, tmp)
            else:
                dep.front = start_rc_proxy(dep, backends, tools, tmp)
        wait_ready(dep.front)
        return dep
    except BaseException:
        dep.stop()
        raise


# ---------------------------------------------------------------------------- benchmark

def run_benchmark(tools: Tools, port: int, test: str, depth: int, n: int, clients: int,
                  timeout: float) -> dict:
    argv = [tools.redis_benchmark, "-h", HOST, "-p", str(port), "-c", str(clients),
            "-n", str(n), "-r", str(KEYSPACE), "-d", str(VALUE_SIZE), "-t", test,
            "-P", str(depth), "--csv"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"redis-benchmark {test} -P {depth} timed out after {timeout}s") from e
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode != 0:
        raise BenchError(f"redis-benchmark {test} -P {depth} exit {r.returncode}: "
                         f"{r.stderr.strip()[-300:]}")
    rows = [row for row in csv.DictReader(io.StringIO(r.stdout)) if row.get("test")]
    if len(rows) != 1:
        raise BenchError(f"redis-benchmark {test}: expected one CSV row, got {r.stdout!r}")
    row = rows[0]
    return {
        "rps": float(row["rps"]),
        "avg_ms": float(row["avg_latency_ms"]),
        "p50_ms": float(row["p50_latency_ms"]),
        "p99_ms": float(row["p99_latency_ms"]),
        "max_ms": float(row["max_latency_ms"]),
        "client_cpu_s_per_M": client_cpu / n * 1e6,
        "argv": " ".join(argv),
    }


def run_variant(variant: str, tools: Tools, args, tmp: str) -> list[dict]:
    results = []
    vtmp = tempfile.mkdtemp(prefix=f"{variant}-", dir=tmp)
    dep = deploy(variant, tools, vtmp)
    try:
        t0 = time.monotonic()
        prefill(dep.front.port)
        prefill_s = time.monotonic() - t0
        for depth in args.depths:
            for test in args.tests:
                c0 = dep.cpu()
                w0 = time.monotonic()
                res = run_benchmark(tools, dep.front.port, test, depth, args.requests,
                                    args.clients, args.run_timeout)
                wall = time.monotonic() - w0
                c1 = dep.cpu()
                res.update(
                    variant=variant, test=test, depth=depth, wall_s=round(wall, 3),
                    prefill_s=round(prefill_s, 3),
                    cpu_s_per_M={k: (c1[k] - c0[k]) / args.requests * 1e6 for k in c0},
                    loadavg=os.getloadavg()[0],
                )
                results.append(res)
                print(f"  {variant:<12} {test:<6} -P {depth:<2} {res['rps']:>11,.0f} rps  "
                      f"p50 {res['p50_ms']:.3f}  p99 {res['p99_ms']:.3f} ms  cpu/M "
                      + " ".join(f"{k}={v:.2f}" for k, v in res["cpu_s_per_M"].items()),
                      flush=True)
    finally:
        dep.stop()
    return results


# ---------------------------------------------------------------------------- report

def median(xs):
    return statistics.median(xs) if xs else float("nan")


def summarize(raw: list[dict], tests: list[str], depths: list[int]) -> list[dict]:
    rows = []
    for depth in depths:
        for test in tests:
            base = {}
            for v in VARIANTS:
                rs = [r for r in raw if r["variant"] == v and r["test"] == test
                      and r["depth"] == depth]
                if not rs:
                    continue
                procs = list(rs[0]["cpu_s_per_M"])
                row = {
                    "variant": v, "test": test, "depth": depth, "n": len(rs),
                    "rps": median([r["rps"] for r in rs]),
                    "rps_min": min(r["rps"] for r in rs), "rps_max": max(r["rps"] for r in rs),
                    "p50": median([r["p50_ms"] for r in rs]),
                    "p99": median([r["p99_ms"] for r in rs]),
                    "cpu": {p: median([r["cpu_s_per_M"][p] for r in rs]) for p in procs},
                    "client_cpu": median([r["client_cpu_s_per_M"] for r in rs]),
                }
                # Median of per-round sums, not the sum of per-process medians: which
                # backend holds a single key (lpush's `mylist`) changes with the ports.
                row["cpu_total"] = median([sum(r["cpu_s_per_M"].values()) for r in rs])
                base[v] = row["rps"]
                rows.append(row)
            for row in rows:
                if row["test"] == test and row["depth"] == depth:
                    row["vs_redis"] = row["rps"] / base["redis"] if "redis" in base else None
                    row["vs_nut"] = (row["rps"] / base["nutcracker"]
                                     if "nutcracker" in base else None)
    return rows


def fmt_ratio(x):
    return "—" if x is None else f"{x:.2f}"


def render(rows: list[dict], meta: dict) -> str:
    out = []
    out.append(f"# ringcache benchmark — {meta['date']}\n")
    out.append("## Machine and run\n")
    out.append(f"- host: `{meta['host']}`, {meta['nproc']} CPUs (`nproc`), {meta['cpu_model']}")
    out.append(f"- load average (1/5/15 min) before: {meta['load_before']}, "
               f"after: {meta.get('load_after', '?')}; min/median/max 1-min load sampled "
               f"during runs: {meta.get('load_during', '?')}")
    out.append(f"- tools: {meta['versions']}")
    out.append(f"- command: `{meta['command']}`")
    out.append(f"- rounds completed: {meta['rounds_done']} of {meta['rounds']} "
               f"(variant order rotated each round), wall time {meta['wall_min']:.1f} min")
    out.append("- each redis-benchmark run: `" + meta["bench_argv"] + "`")
    out.append("- prefill: all 100000 `key:%012d` keys SET (64 B) through the front end "
               "before the runs, so GETs hit; lpush/hset use a single key "
               "(`mylist`, `myhash`), so behind a proxy they all go to one backend.")
    out.append("- proxies: 3 backends, ketama + fnv1a_64, hash_tag `{}`, 1 server "
               "connection per backend, preconnect; ringcache with its defaults: "
               "the proxy on one event loop, each node with one event loop per core.\n")
    out.append("## Medians over rounds\n")
    out.append("rps = requests/s (median; [min–max] over rounds); ×redis / ×nut = ratio of "
               "median rps to redis-server direct / to nutcracker in front of the same 3 "
               "redis-servers; p50/p99 in ms (median over rounds); CPU-s/M = CPU seconds "
               "(utime+stime) per million requests, per server-side process (median), "
               "Σ = median over rounds of the per-round sum over server-side processes "
               "(backend names follow ports, so for single-key tests the per-process "
               "medians do not add up); client = redis-benchmark itself.\n")
    out.append("| variant | test | -P | rps | [min–max] | ×redis | ×nut | p50 | p99 "
               "| CPU-s/M per process | Σ server | client |")
    out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|")
    for r in rows:
        cpu = " · ".join(f"{k} {v:.2f}" for k, v in r["cpu"].items())
        out.append(
            f"| {r['variant']} | {r['test']} | {r['depth']} | {r['rps']:,.0f} "
            f"| {r['rps_min']/1e3:,.0f}k–{r['rps_max']/1e3:,.0f}k "
            f"| {fmt_ratio(r['vs_redis'])} | {fmt_ratio(r['vs_nut'])} "
            f"| {r['p50']:.3f} | {r['p99']:.3f} | {cpu} | {r['cpu_total']:.2f} "
            f"| {r['client_cpu']:.2f} |")
    out.append("")
    out.append("Variants: " + "; ".join(f"`{k}` = {v}" for k, v in DESCRIPTION.items()) + ".")
    out.append("")
    return "\n".join(out)


def versions(tools: Tools) -> str:
    def first_line(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, subprocess.TimeoutExpired, IndexError):
            return "?"
    rev = first_line(["git", "rev-parse", "--short", "HEAD"])
    return (f"{first_line([tools.redis_server, '--version'])}; "
            f"{first_line([tools.nutcracker, '--version'])}; "
            f"{first_line([tools.redis_benchmark, '--version'])}; "
            f"{first_line([tools.ringcache, '--version'])} (git {rev}, release build)")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


# ---------------------------------------------------------------------------- main

def default_ringcache() -> str:
    if os.environ.get("RINGCACHE_BIN"):
        return os.environ["RINGCACHE_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    return os.path.join(target, "release", "ringcache")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-t", "--tests", default="set,get,incr,lpush,hset",
                    help="comma-separated redis-benchmark tests (default %(default)s)")
    ap.add_argument("-P", "--depths", default="1,16", help="pipeline depths (default 1,16)")
    ap.add_argument("-n", "--requests", type=int, default=200_000)
    ap.add_argument("-c", "--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 round, set,get, 20000 requests")
    ap.add_argument("--out", required=True, help="Markdown result file")
    ap.add_argument("--json", help="raw per-round JSON (default: --out with .json)")
    ap.add_argument("--run-timeout", type=float, default=180,
                    help="seconds allowed per redis-benchmark run")
    ap.add_argument("--budget-min", type=float, default=30,
                    help="start no new round after this many minutes")
    ap.add_argument("--from-json", metavar="JSON",
                    help="run nothing: re-render --out from an earlier run's raw JSON")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.requests = 1, 20_000
        args.tests = "set,get"
    args.tests = [t.strip() for t in args.tests.split(",") if t.strip()]
    args.depths = [int(d) for d in args.depths.split(",")]
    args.variants = [v for v in args.variants.split(",") if v]
    for v in args.variants:
        if v not in VARIANTS:
            ap.error(f"unknown variant {v!r}; choose from {VARIANTS}")
    if args.json is None:
        args.json = os.path.splitext(args.out)[0] + ".json"
    return args


def args_tests(data: dict) -> list[str]:
    return list(dict.fromkeys(r["test"] for r in data["runs"]))


def args_depths(data: dict) -> list[int]:
    return list(dict.fromkeys(r["depth"] for r in data["runs"]))


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            data = json.load(f)
        text = render(summarize(data["runs"], args_tests(data), args_depths(data)), data["meta"])
        with open(args.out, "w") as f:
            f.write(text)
        print(text)
        return 0
    signal.signal(signal.SIGTERM, _terminate_handler)
    signal.signal(signal.SIGHUP, _terminate_handler)
    tools = Tools(
        ringcache=default_ringcache(),
        redis_server=os.environ.get("REDIS_SERVER", "redis-server"),
        nutcracker=os.environ.get("NUTCRACKER", "nutcracker"),
        redis_benchmark=os.environ.get("REDIS_BENCHMARK", "redis-benchmark"),
    )
    for name, path in vars(tools).items():
        if not (os.path.isfile(path) and os.access(path, os.X_OK)) and not shutil.which(path):
            print(f"bench.py: {name} not found: {path}", file=sys.stderr)
            return 2
    tools.ringcache = os.path.abspath(tools.ringcache) if os.path.isfile(tools.ringcache) \
        else tools.ringcache

    started = time.monotonic()
    meta = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "host": platform.node(), "nproc": os.cpu_count(), "cpu_model": cpu_model(),
        "load_before": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
        "versions": versions(tools),
        "command": "python3 " + " ".join([os.path.relpath(__file__)] + sys.argv[1:]),
        "rounds": args.rounds, "rounds_done": 0,
        "bench_argv": (f"redis-benchmark -h {HOST} -p P -c {args.clients} -n {args.requests} "
                       f"-r {KEYSPACE} -d {VALUE_SIZE} -t <test> -P <depth> --csv"),
    }
    raw: list[dict] = []
    loads = []
    status = 0
    tmp = tempfile.mkdtemp(prefix="ringcache-bench-")
    try:
        for rnd in range(args.rounds):
            elapsed = (time.monotonic() - started) / 60
            if rnd > 0 and elapsed > args.budget_min:
                print(f"budget of {args.budget_min} min reached after {rnd} rounds",
                      flush=True)
                break
            k = rnd % len(args.variants)
            order = args.variants[k:] + args.variants[:k]
            print(f"round {rnd + 1}/{args.rounds} (load {os.getloadavg()[0]:.2f}, "
                  f"{elapsed:.1f} min): {' → '.join(order)}", flush=True)
            for v in order:
                for r in run_variant(v, tools, args, tmp):
                    r["round"] = rnd + 1
                    raw.append(r)
                    loads.append(r["loadavg"])
            meta["rounds_done"] = rnd + 1
    except BenchError as e:
        print(f"bench.py: {e}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("bench.py: interrupted", file=sys.stderr)
        status = 130
    finally:
        if status == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"bench.py: logs kept in {tmp}", file=sys.stderr)
    meta["wall_min"] = (time.monotonic() - started) / 60
    meta["load_after"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    if loads:
        meta["load_during"] = (f"{min(loads):.2f} / {statistics.median(loads):.2f} / "
                               f"{max(loads):.2f}")
    if not raw:
        return status or 1
    rows = summarize(raw, args.tests, args.depths)
    text = render(rows, meta)
    if status != 0:
        text += f"\n**Incomplete run** (exit status {status}); medians over what finished.\n"
    print()
    print(text)
    with open(args.out, "w") as f:
        f.write(text)
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "runs": raw, "summary": rows}, f, indent=1)
    print(f"wrote {args.out} and {args.json}")
    return status


if __name__ == "__main__":
    sys.exit(main())
