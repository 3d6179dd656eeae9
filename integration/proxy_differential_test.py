#!/usr/bin/env python3
"""The differential cases (integration/cases/*.txt) THROUGH `ringcache proxy`.

Starts 3 `ringcache node`s, a `ringcache proxy` (hash_tag "{}") in front of them, and a lone
reference `redis-server --databases 1`, then runs every case of differential.py against
(reference, proxy) with differential.py's own reader, case parser and compare modes
(imported as a module).

What the proxy answers differently by design is listed below, each with its reason:
  * TAGGED cases use keys on different backends together (RENAME, LMOVE, SINTER, MULTI…):
    they run with every key renamed to `key{t}` (keys found with the reference's COMMAND
    GETKEYS; every argument equal to one of them is renamed, on both servers alike), so
    all keys share a backend and the case is still compared byte for byte;
  * SKIP_STEPS: read-only commands the proxy answers itself or walks differently (SCAN's
    cursor encodes the backend, CONFIG, RANDOMKEY…) are not sent to either server;
  * SKIP_CASES: whole cases whose effect cannot be reproduced through the proxy.
A summary of passed / skipped (with reasons) is printed; the first real difference fails.

    RINGCACHE_BIN=target/release/ringcache python3 integration/proxy_differential_test.py [-k] [-f FILTER]
"""

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential as d  # noqa: E402  (the harness: Conn, cases, compare, Server)

DEADLINE_S = 80.0
TAG = b"{t}"

# Cases whose keys are put under one hash tag (see the module docstring), by family.
TAGGED = {
    "keys": ["binary-key", "rename-missing", "renamenx-missing", "copy-missing", "copy-types"],
    "lists": ["lmove", "rpoplpush", "list-resp3", "lmove-check-order",
              "blocking-data-present", "blocking-wrongtype-and-order", "blocking-timeout-errors",
              "blocking-short-timeouts", "blocking-inside-multi", "blocking-inside-multi-resp3",
              "blocking-from-script"],
    "zsets": ["bzpop-data-errors-timeouts"],
    "sets": ["smove", "sinter", "sintercard", "sunion", "sunion-strings", "sdiff",
             "sinterstore", "sunionstore", "resp3-set-shapes", "sintercard-multi",
             "smove-edge", "set-store-overwrites"],
    "server": ["resp3-set", "resp3-list"],
    "bits": ["bitop", "bit-commands-and-watch"],
    "strings": ["lcs"],
    "mpop": ["lmpop", "zmpop", "blmpop-bzmpop", "blocking-pops-from-a-script-do-not-block",
             "malformed-key-counts-inside-multi"],
    "zalgebra": ["zunion-zinter-basics", "z-algebra-with-sets-and-floats", "z-algebra-errors",
                 "z-store-forms", "zintercard", "zrangestore",
                 "negative-zero-scores-keep-their-sign-in-skiplist-results"],
    "stats": ["strings", "keys", "lists", "hashes", "sets", "zsets", "errors"],
    "transactions": ["multi-all-types", "multi-resp3", "watch-wrongtype-lmove-left",
                     "watch-wrongtype-rpoplpush", "watch-wrongtype-smove-m",
                     "watch-wrongtype-sinterstore", "watch-wrongtype-sunionstore",
                     "watch-wrongtype-sdiffstore"],
}

# Read-only commands not sent to either server: (command, subcommand or None) -> reason.
SKIP_STEPS = {
    (b"SCAN", None): "SCAN walks the backends one after another; its cursor encodes the "
                     "backend, so pages and cursors differ from one server's",
    (b"RANDOMKEY", None): "RANDOMKEY asks a random backend",
    (b"CONFIG", None): "CONFIG is local: GET knows a few parameters, SET/REWRITE/RESETSTAT "
                       "are refused (configure each backend)",
    (b"CLIENT", b"*"): "CLIENT is local: only ID, SETNAME, GETNAME, SETINFO, HELP are "
                       "compared (LIST/INFO describe the proxy's client; no KILL, tracking...)",
    (b"COMMAND", b"GETKEYSANDFLAGS"): "COMMAND is local: no GETKEYSANDFLAGS",
    (b"FUNCTION", None): "FUNCTION is not supported through the proxy",
    (b"INFO", None): "INFO is local (the proxy's sections plus the summed keyspace)",
    (b"OBJECT", None): "OBJECT is not supported through the proxy",
    (b"MEMORY", None): "MEMORY is not supported through the proxy",
    (b"SLOWLOG", None): "SLOWLOG is not supported through the proxy (each backend keeps its own)",
    (b"LATENCY", None): "LATENCY is not supported through the proxy (each backend keeps its own)",
}

CLIENT_LOCAL = {b"ID", b"SETNAME", b"GETNAME", b"SETINFO", b"HELP", None}

# Whole cases not run: name -> reason.
COMMANDSTATS = ("INFO commandstats is each backend's own; the proxy's INFO has none, and its "
                "EVALs name no keys")
SKIP_CASES = {
    "commandstats/calls-and-failures": COMMANDSTATS,
    "commandstats/transactions": COMMANDSTATS,
    "commandstats/scripts": COMMANDSTATS,
    "commandstats/reset": COMMANDSTATS,
    "commandstats/over-maxmemory": COMMANDSTATS,
    "scripting/number-arguments": "the script writes key 'n' without declaring it "
                                  "(numkeys 0): the proxy cannot route undeclared keys",
    "strings/set-past-exat-is-stored-until-accessed": "DBSIZE inside MULTI: a transaction "
                                                      "runs on one backend and cannot count "
                                                      "the others' keys",
}


def tagged_names():
    return {"%s/%s" % (fam, n) for fam, names in TAGGED.items() for n in names}


def step_args(step):
    tree, _ = d.parse(step["data"])
    return [k[2] for k in tree[2]]


def skip_reason(args):
    name = args[0].upper()
    sub = args[1].upper() if len(args) > 1 else None
    if name == b"CLIENT" and sub not in CLIENT_LOCAL:
        return SKIP_STEPS[(b"CLIENT", b"*")]
    return SKIP_STEPS.get((name, sub)) or SKIP_STEPS.get((name, None))


def getkeys(conn, args):
    conn.send(d.encode_command([b"COMMAND", b"GETKEYS"] + args))
    raw = conn.read_reply()
    if not isinstance(raw, bytes) or raw[:1] != b"*":
        return []
    tree, _ = d.parse(raw)
    return [k[2] for k in tree[2] if k[0] == "bulk"]


def tag_case(case, ref_port):
    """Rename every key of the case to key{t} (both servers see the same commands)."""
    c = d.Conn(ref_port)
    try:
        keys = set()
        for step in case["steps"]:
            if step["op"] == "cmd":
                keys.update(getkeys(c, step_args(step)))
    finally:
        c.close()
    steps = []
    for step in case["steps"]:
        if step["op"] == "cmd":
            args = step_args(step)
            args = args[:1] + [a + TAG if a in keys else a for a in args[1:]]
            step = dict(step, data=d.encode_command(args))
        steps.append(step)
    return dict(case, steps=steps), sorted(keys)


def filter_steps(case, skipped):
    steps = []
    for step in case["steps"]:
        if step["op"] == "cmd":
            why = skip_reason(step_args(step))
            if why:
                skipped.setdefault(why, []).append("%s: %s" % (case["name"], step["text"][:60]))
                continue
        steps.append(step)
    return dict(case, steps=steps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-f", "--filter", help="only cases whose family/name contains this")
    ap.add_argument("-k", "--keep-going", action="store_true", help="report all failures")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every skipped step")
    args = ap.parse_args()

    binary = os.environ.get("RINGCACHE_BIN", "target/release/ringcache")
    if not shutil.which(os.environ.get("REDIS_SERVER", "redis-server")):
        print("redis-server not found")
        return 2
    cases = d.load_cases(args.filter)
    known = {c["name"] for c in d.load_cases()}
    stale = [n for n in tagged_names() | set(SKIP_CASES) if n not in known]
    if stale:
        print("skip/tag lists name cases that do not exist: %s" % ", ".join(sorted(stale)))
        return 1

    tmp = tempfile.mkdtemp(prefix="proxy-diff-")
    servers = []
    t_start = time.monotonic()
    try:
        ports = []
        while len(ports) < 5:
            p = d.free_port()
            if p not in ports:
                ports.append(p)
        ref_port, proxy_port, node_ports = ports[0], ports[1], ports[2:]
        servers.append(d.Server("redis", d.redis_argv(ref_port), ref_port, cwd=tmp))
        for i, p in enumerate(node_ports):
            servers.append(d.Server("node%d" % (i + 1),
                                    [binary, "node", "--listen", "127.0.0.1:%d" % p], p))
        conf = os.path.join(tmp, "proxy.toml")
        with open(conf, "w") as f:
            f.write('role = "proxy"\nlisten = "127.0.0.1:%d"\nhash_tag = "{}"\n' % proxy_port)
            # SETRANGE k 536870911 x allocates 512 MB on a node: more than the 1 s default
            f.write("timeout = 10000\n")
            f.write("servers = [%s]\n" % ", ".join(
                '"127.0.0.1:%d:1 node%d"' % (p, i + 1) for i, p in enumerate(node_ports)))
        for s in servers:
            s.wait_ready()
        servers.append(d.Server("proxy", [binary, "proxy", "-c", conf], proxy_port))
        servers[-1].wait_ready()
        print("reference redis-server on %d; proxy on %d over nodes %s; %d cases"
              % (ref_port, proxy_port, node_ports, len(cases)))
        print("command: %s" % " ".join(shlex.quote(a) for a in servers[-1].proc.args))

        tagged = tagged_names()
        n_tagged = 0
        skipped_cases, skipped_steps = {}, {}
        to_run = []
        for case in cases:
            if case["name"] in SKIP_CASES:
                skipped_cases.setdefault(SKIP_CASES[case["name"]], []).append(case["name"])
                continue
            if case["name"] in tagged:
                case, _ = tag_case(case, ref_port)
                n_tagged += 1
            to_run.append(filter_steps(case, skipped_steps))
        counts = d.run_cases(to_run, (ref_port, proxy_port), servers, args.keep_going,
                             t_start + DEADLINE_S)
        if counts is None:
            return 1
        passed, failed = counts

        print("skipped cases:")
        for why, names in sorted(skipped_cases.items()):
            print("  %3d  %s (%s)" % (len(names), why, ", ".join(names)))
        print("skipped steps (not sent to either server; the rest of the case still ran):")
        for why, where in sorted(skipped_steps.items()):
            print("  %3d  %s" % (len(where), why))
            if args.verbose:
                for w in where:
                    print("         %s" % w)
        n_skip = sum(len(v) for v in skipped_cases.values())
        print("%d cases ran with their keys under hash tag %s (cross-backend keys by design "
              "get \"-ERR ringcache: the keys of ... live on different backends\")"
              % (n_tagged, TAG.decode()))
        print("%d passed, %d failed, %d cases and %d steps skipped (%.1fs)"
              % (passed, failed, n_skip, sum(len(v) for v in skipped_steps.values()),
                 time.monotonic() - t_start))
        return 1 if failed else 0
    finally:
        for s in reversed(servers):
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
