#!/usr/bin/env python3
"""Seeded randomized differential fuzzer: ringcache node vs. a real redis-server 7.0.

Generates random command sequences (strings, keys, hashes, lists, sets, sorted sets) over a
small key space and small value pools full of edge values, sends every command to both
servers over raw RESP sockets and compares the raw reply bytes. Where Redis's reply order
is undefined the replies are normalised (see "Normalisation" below). Every few commands a
cheap state probe (TYPE + length + TTL class of every key, DBSIZE; now and then the full
contents) catches silent state divergence.

Usage:
    python3 integration/fuzz_differential.py [--seed N] [--commands N] [--time-limit SEC]
                                             [--keep-going] [--minimize | --no-minimize]
                                             [--resp3-share F] [--no-bulk] [--stats] [--sut redis]
                                             [--families LIST] [--shape-share F]

    --seed N          RNG seed (default: random; always printed at start)
    --commands N      number of generated commands (default 20000; probes not counted)
    --time-limit SEC  wall-clock bound of the fuzz loop (default 120)
    --keep-going      collect up to 50 distinct mismatches (deduped by command name + reply
                      shape), resynchronise (FLUSHALL) after each and print them all
    --minimize        after a mismatch, shrink the command sequence since the last FLUSHALL
                      (delta debugging, replayed on the same servers; bounded in time).
                      Default on without --keep-going, off with it.
    --resp3-share F   fraction of sessions that start with HELLO 3 (default 0.3)
    --no-bulk         skip the rare big writes (500+ set members, 120-520 hash fields, 120+
                      zset members, 100+ list items) that cross the encoding thresholds
    --stats           print, per command, how often the reference answered OK / which error
    --sut redis       run a second redis-server as the SUT (harness self-check: must be clean)
    --families LIST   comma-separated families to generate (default all): strings, keys,
                      hashes, lists, sets, zsets (data types), tx (MULTI/EXEC/DISCARD/WATCH/
                      UNWATCH scripts, incl. a second connection pair that writes watched keys),
                      expiry (EXPIRE*/PEXPIRE* with NX/XX/GT/LT, PERSIST, GETEX, SET KEEPTTL,
                      EXPIRETIME/PEXPIRETIME), conn (PING, ECHO, SELECT, CLIENT SETNAME/GETNAME/ID,
                      TIME, CONFIG GET/SET, unknown commands/subcommands, wrong arity)
    --shape-share F   share of commands given an argument-shape mutation after the key (an
                      argument repeated, two swapped, one dropped, a number made non-numeric);
                      default 0.04. Mutations that could create a short TTL are dropped.

Environment: RINGCACHE_BIN (default target/release/ringcache), RINGCACHE_CMD, REDIS_SERVER as in
differential.py, whose RESP reader, server start/stop and compare helpers are reused.

Exit status: 0 clean, 1 mismatch(es), 2 setup problem.

Found with it and fixed (each now a case in integration/cases too): hashes kept insertion
order only to 128 fields instead of 512; SELECT of an index outside the C int range; FLUSHALL /
FLUSHDB dirtying watched keys that did not exist; SET ... EXAT <past> not dirtying a watched
missing key; EXPIRETIME wrapping within 500 ms of INT64_MAX; CONFIG SET naming a refused
parameter in lowercase instead of as sent.

Normalisation (conservative: a false alarm costs more than a skipped comparison):
  * SMEMBERS / SSCAN: exact if the reference says OBJECT ENCODING intset, else sorted.
  * SINTER / SUNION / SDIFF: always sorted.
  * HGETALL / HKEYS / HVALS / HSCAN: exact if the reference hash is a listpack, else sorted
    (RESP2 HGETALL / HSCAN as pairs).
  * KEYS: sorted. SCAN / SSCAN / HSCAN / ZSCAN: only cursor 0 with COUNT 1000 (one page);
    cursor exact, elements sorted.
  * SRANDMEMBER / HRANDFIELD / ZRANDMEMBER / RANDOMKEY: whole-collection replies (count >=
    size) sorted; otherwise structure only + every returned string must be a member
    (fields/values/scores) of the reference collection.
  * SPOP: only generated when it pops the whole set (count >= SCARD, or no count on a set of
    <= 1 member), so the state stays identical; compared sorted.
  * TTL / PTTL: only the class (-2, -1, positive) is compared. All relative expire times are
    distinct multiples of 3000 s and absolute ones far in the future or the past, so
    NX/XX/GT/LT decisions never depend on the few milliseconds between the two servers.
  * ZRANGEBYLEX / ZLEXCOUNT / ZRANGE BYLEX on a sorted set whose scores are not all equal:
    Redis leaves the result unspecified, so only "error vs. non-error" (errors exactly).
  * HELLO: map keys exact, values by shape (server id/version differ).
  * CLIENT ID, TIME: shape only. CONFIG GET: sorted (name, value) pairs, without bind,
    databases, dir, port, protected-mode (set up differently); CONFIG SET is always followed by
    CONFIG GET and a restore of the start value (encoding thresholds must not drift apart).
  * EXPIRETIME / PEXPIRETIME: exact when the reference's time is one of the far-future
    absolute times the expiry family sent (int(t0) + 3000*j + 1500 s), else the class only.
  * Inside MULTI only exactly-compared commands are queued (no random picks / SCAN / TTL).
    The second connection (tx family) is RESP2; replays (--minimize) use one too.
  * SET ... EXAT/PXAT <time in the past>: Redis 7.0 keeps the (logically expired) key until
    it is looked up or the active expire cycle finds it, so DBSIZE right after it is timing
    dependent; the fuzzer sends EXISTS key right after every SET with EXAT/PXAT.
"""

import argparse
import math
import os
import random
import sys
import time
from collections import deque

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import differential as D  # noqa: E402  (RESP reader, servers, compare helpers)

DEFAULT_BIN = "target/release/ringcache"
MAX_DISTINCT = 50
HISTORY = 30

# --------------------------------------------------------------------------- pools

KEYS = ["a", "b", "c", "d", "e", "f"]
FAMILY_KEYS = {  # preferred keys per family (weighted); overlaps make WRONGTYPE paths
    "strings": ["a"] * 9 + ["b"], "hashes": ["b"] * 9 + ["c"], "lists": ["c"] * 9 + ["d"],
    "sets": ["d"] * 9 + ["e"], "zsets": ["e"] * 4 + ["f"] * 5 + ["a"], "keys": KEYS,
}
INTS = ["0", "1", "-1", "2", "3", "7", "10", "100", "-100", "9223372036854775807",
        "-9223372036854775808", "9223372036854775808", "-9223372036854775809"]
FLOATS = ["1.5", "-2.5", "0.1", "inf", "-inf", "+inf", "nan", "1e308", "-1e308", "1e-5",
          "0x10", " 1", "1 ", "3.0", "-0", "1e400", "5e-324", ".5", "1.", "1e", "17"]
LONG1 = "x" * 65
LONG2 = "y" * 100
STRS = ["", "a", "b", "c", "abc", "foo bar", LONG1, LONG2, "\x00", "\x00\xff\r\n", "\xc3\xa9",
        "01", "+1", "1a", "-"]
FIELDS = ["f1", "f2", "f3", "a", "", "1", "-1", "9223372036854775808", LONG1, "\x00b"]
SMEMBERS_INT = ["0", "1", "2", "3", "10", "-1", "100", "65536", "9223372036854775807",
                "-9223372036854775808"]
SMEMBERS_STR = ["a", "b", "c", "", LONG1, "\x00\xff", "9223372036854775808", "01", " 1"]
ZMEMBERS = ["a", "b", "c", "d", "aa", "ab", "", "\x00", LONG1, "1", "2", "B", "\xc3\xa9"]
SCORES_OK = ["0", "1", "2", "-1", "1.5", "-2.5", "10", "3", "inf", "-inf", "+inf", "1e308",
             "-0", "1e-5", "0.1"]
SCORES_BAD = ["nan", "abc", "", "0x10", " 1", "1 ", "1e400x", "--1"]
SCORE_RANGE_OK = ["-inf", "+inf", "inf", "0", "1", "(1", "2", "(2", "1.5", "(1.5", "-1",
                  "(-inf", "(+inf", "10", "1e308", "(0", "-0", "3"]
SCORE_RANGE_BAD = ["nan", "(nan", "abc", "((1", "", "[1", "(", "1 ", "0x10"]
LEX_RANGE_OK = ["-", "+", "[a", "(a", "[b", "(b", "[aa", "[c", "(d", "[", "(", "[\x00",
                "[\xc3\xa9", "(-", "[-", "(+", "[1", "(2"]
LEX_RANGE_BAD = ["a", "", "+a", "-a", "1"]
IDX_OK = ["0", "1", "2", "-1", "-2", "3", "5", "-5", "100", "-100", "9223372036854775807",
          "-9223372036854775808"]
IDX_BAD = ["9223372036854775808", "abc", "1.5", "", " 1", "-9223372036854775809", "0x1"]
COUNTS_OK = ["0", "1", "2", "3", "5", "-1", "-2", "-5", "10", "100", "9223372036854775807",
             "-9223372036854775808"]
COUNTS_BAD = ["abc", "", "1.5", "9223372036854775808"]
# random-pick counts: no huge negative values (Redis would try to reply with that many)
RCOUNTS = ["0", "1", "2", "3", "5", "-1", "-2", "-5", "10", "100", "9223372036854775807",
           "-9223372036854775808", "abc", "1.5"]
OFFSETS = ["0", "1", "3", "10", "65", "-1", "536870912", "9223372036854775807", "abc"]
PATTERNS = ["*", "a*", "?", "[a-c]", "[^a]", "*\\", "[", "h*", "\\a", "*[", "a", "z*"]
TTL_BAD = ["0", "-1", "-100", "9223372036854775807", "9223372036854775808", "abc", "1.5", "",
           "-9223372036854775808", "9223372036854775", "9223372036854"]
# (no small positive numbers: appended after a dangling EX/PX they would make a short TTL)
EXTRA = ["x", "NX", "", "WITHSCORES", "LIMIT", "0", "-5"]

BIT_COMMANDS = {"SETBIT", "GETBIT", "BITCOUNT", "BITPOS", "BITOP", "BITFIELD", "BITFIELD_RO"}
CLIENT_NAMES = ["foo", "a-b_c", "", "a b", "x\ny", "\xc3\xa9", "~!", "\x7f", "\t", LONG1,
                "a:b", "\"q\"", "N" * 300]
UNKNOWN_CMDS = [["FOO"], ["foo", "a", "b"], ["GETX", "a"], ["", "a"], ["X" * 200],
                ["FOO", "y" * 200, "z"], ["FOO", "a\r\nb"], ["NOSUCH", "", "x"],
                ["FOO"] + ["a%d" % i for i in range(40)], ["\x00"], ["g\xc3\xa9t", "k"]]
FIXED_ARITY = [("GET", 2), ("STRLEN", 2), ("TYPE", 2), ("TTL", 2), ("PTTL", 2), ("PERSIST", 2),
               ("INCR", 2), ("DECR", 2), ("GETDEL", 2), ("HLEN", 2), ("LLEN", 2), ("SCARD", 2),
               ("ZCARD", 2), ("HGETALL", 2), ("HKEYS", 2), ("SMEMBERS", 2), ("EXPIRETIME", 2),
               ("PEXPIRETIME", 2), ("ECHO", 2), ("SELECT", 2), ("APPEND", 3), ("GETSET", 3),
               ("SETNX", 3), ("INCRBY", 3), ("DECRBY", 3), ("INCRBYFLOAT", 3), ("HGET", 3),
               ("HEXISTS", 3), ("HSTRLEN", 3), ("RENAME", 3), ("RENAMENX", 3), ("LINDEX", 3),
               ("SISMEMBER", 3), ("ZSCORE", 3), ("ZRANK", 3), ("RPOPLPUSH", 3), ("SETEX", 4),
               ("PSETEX", 4), ("HSETNX", 4), ("HINCRBY", 4), ("LSET", 4), ("LRANGE", 4),
               ("LTRIM", 4), ("LREM", 4), ("GETRANGE", 4), ("SETRANGE", 4), ("SMOVE", 4),
               ("ZINCRBY", 4), ("ZCOUNT", 4), ("LINSERT", 5), ("LMOVE", 5), ("DBSIZE", 1),
               ("TIME", 1), ("RANDOMKEY", 1), ("UNWATCH", 1), ("DISCARD", 1)]
MIN_ARITY = [("DEL", 2), ("UNLINK", 2), ("EXISTS", 2), ("TOUCH", 2), ("MGET", 2), ("MSET", 3),
             ("MSETNX", 3), ("HSET", 4), ("HMSET", 4), ("HDEL", 3), ("HMGET", 3), ("LPUSH", 3),
             ("RPUSH", 3), ("LPUSHX", 3), ("LPOP", 2), ("SADD", 3), ("SREM", 3), ("SINTER", 2),
             ("SUNIONSTORE", 3), ("SINTERCARD", 3), ("ZADD", 4), ("ZREM", 3), ("ZRANGE", 4),
             ("ZRANGEBYSCORE", 4), ("EXPIRE", 3), ("PEXPIREAT", 3), ("SET", 3), ("GETEX", 2),
             ("COPY", 3), ("CONFIG", 2), ("CLIENT", 2), ("WATCH", 2), ("KEYS", 2), ("SCAN", 2),
             ("HSCAN", 3), ("LPOS", 3), ("SPOP", 2), ("ZPOPMIN", 2), ("ZMSCORE", 3)]
CONFIG_PATTERNS = ["maxmemory*", "hash-max-*", "*lazy*", "lazyfree-lazy-user-del", "MAXMEMORY-POLICY",
                   "*-max-*-entries", "zset*", "nosuch", "*", "[hl]*", "?z*", "save", "appendonly",
                   "list-max-*", "set-max-intset-entries", "", "maxmemory-policy", "*[", "timeout",
                   "Lazyfree-*", "*ziplist*"]
# harmless parameters (no eviction with maxmemory 0; encoding thresholds are restored at once)
CONFIG_SET = {
    "maxmemory-policy": ["allkeys-lru", "volatile-ttl", "noeviction", "ALLKEYS-LFU", "foo", "",
                         "allkeys-lru noeviction"],
    "lazyfree-lazy-user-del": ["yes", "no", "YES", "maybe", "", "1"],
    "lazyfree-lazy-user-flush": ["yes", "no", "No", "true"],
    "hash-max-listpack-entries": ["64", "0", "-1", "abc", "1k", "99999999999999999999", "1.5", "128"],
    "hash-max-ziplist-entries": ["64", "256", "abc"],
    "list-max-listpack-size": ["-2", "-1", "-5", "-6", "0", "8", "abc", "2147483648"],
    "set-max-intset-entries": ["512", "16", "-1", "abc", "1gb"],
    "maxmemory-samples": ["5", "10", "0", "abc", "-3"],
    "zset-max-listpack-value": ["64", "32", "1mb", "abc"],
}
# CONFIG GET values that differ between the two servers by setup, not behaviour
CONFIG_DIFFER = {b"bind", b"databases", b"dir", b"port", b"protected-mode"}
DATA_FAMILIES = {"strings", "keys", "hashes", "lists", "sets", "zsets"}
ALL_FAMILIES = ["strings", "keys", "hashes", "lists", "sets", "zsets", "tx", "expiry", "conn"]
FAMILY_WEIGHTS = {"strings": 20, "keys": 14, "hashes": 16, "lists": 16, "sets": 16, "zsets": 20,
                  "tx": 6, "expiry": 8, "conn": 6}

RANDOM_CMDS = {"SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER", "RANDOMKEY", "SPOP",
               "SCAN", "SSCAN", "HSCAN", "ZSCAN"}


class ServerDied(Exception):
    """A server process exited (crash, or killed from outside the fuzzer)."""


class Script(list):
    """A generated multi-command item: steps (conn, args, spec, mutable), conn 0 = the
    session, 1 = a second RESP2 connection pair (WATCH invalidation)."""


class Unsafe(Exception):
    """A command whose reply/effect would be random in the current state (replays only)."""


# --------------------------------------------------------------------------- generator

class Gen:
    def __init__(self, rng, oracle, t0):
        self.r = rng
        self.o = oracle
        self.t0 = t0
        self.used_ttl = set()
        self.abs_used = set()  # absolute expire times (s) issued by abs_exp()
        self.bulk_ok = True
        self.families = list(ALL_FAMILIES)
        self.cfg_orig = {}  # CONFIG SET parameter -> value at start (reference)

    # ---- small helpers
    def pick(self, seq):
        return self.r.choice(seq)

    def kw(self, word):
        """An option keyword, sometimes in odd casing."""
        if self.r.random() < 0.25:
            return "".join(c.upper() if self.r.random() < 0.5 else c.lower() for c in word)
        return word

    def either(self, ok, bad, p_bad=0.08):
        return self.pick(bad) if self.r.random() < p_bad else self.pick(ok)

    def idx(self):
        return self.either(IDX_OK, IDX_BAD)

    def rand_pick(self, c, k, kind, with_word=None):
        """SRANDMEMBER / HRANDFIELD / ZRANDMEMBER k [count [WITHVALUES|WITHSCORES]]."""
        args = [c, k]
        cnt = None
        if self.r.random() < 0.7:
            cnt = self.pick(RCOUNTS)
            args.append(cnt)
            if with_word and self.r.random() < 0.4:
                args.append(self.kw(with_word))
        return args, ("rand", kind, k, cnt)

    def one_page_scan(self, c, k, patterns):
        """SSCAN / HSCAN / ZSCAN k 0 [MATCH p] COUNT 1000: one page covers everything."""
        args = [c, k, "0"]
        if self.r.random() < 0.3:
            args += [self.kw("MATCH"), self.pick(patterns)]
        return args + [self.kw("COUNT"), "1000"]

    def count(self):
        return self.either(COUNTS_OK, COUNTS_BAD)

    def srange(self):
        return self.either(SCORE_RANGE_OK, SCORE_RANGE_BAD)

    def lrange(self):
        return self.either(LEX_RANGE_OK, LEX_RANGE_BAD)

    def key(self, fam):
        if self.r.random() < 0.15:
            return self.pick(KEYS)
        return self.pick(FAMILY_KEYS[fam])

    def val(self):
        x = self.r.random()
        if x < 0.45:
            return self.pick(STRS)
        if x < 0.8:
            return self.pick(INTS)
        return self.pick(FLOATS)

    def ttl_s(self):
        """A relative TTL in seconds, distinct (by >= 3000 s) from every earlier one."""
        while True:
            j = self.r.randint(1, 10 ** 7)
            if j not in self.used_ttl:
                self.used_ttl.add(j)
                return 3000 * j

    def rel(self, unit):
        if self.r.random() < 0.15:
            return self.pick(TTL_BAD)
        v = self.ttl_s()
        return str(v * 1000 if unit == "ms" else v)

    def absolute(self, unit):
        x = self.r.random()
        if x < 0.1:
            return self.pick(["0", "1", "-1", "abc", "9223372036854775807"])
        if x < 0.2:  # in the past: the key is deleted at once
            v = int(self.t0) - self.r.randint(100, 10 ** 6)
        else:
            v = int(self.t0) + self.ttl_s()
        return str(v * 1000 if unit == "ms" else v)

    def nvals(self, lo, hi, f):
        out = []
        for _ in range(self.r.randint(lo, hi)):
            out += f()
        return out

    def oq(self, *args):
        return self.o.query(*args)

    # ---- families
    def gen(self):
        """One generated item: (args, spec), or a Script of steps (see Script)."""
        r = self.r.random()
        if r < 0.008 and self.bulk_ok and DATA_FAMILIES & set(self.families):
            return self.bulk()
        fam = self.r.choices(self.families, weights=[FAMILY_WEIGHTS[f] for f in self.families])[0]
        if fam in DATA_FAMILIES and fam != "keys" and self.r.random() < 0.03:
            return ["DEL", self.key(fam)], ("exact",)  # give the key back to its family
        res = getattr(self, "g_" + fam)()
        return (res, None) if isinstance(res, Script) else res

    def data_cmd(self, exact_only=False):
        """A command from the data-type families (for queueing inside MULTI: exact
        specs only, as the replies come back inside the EXEC array)."""
        fams = [f for f in ("strings", "keys", "hashes", "lists", "sets", "zsets", "expiry")]
        for _ in range(30):
            res = getattr(self, "g_" + self.pick(fams))()
            if isinstance(res, Script):
                continue
            args, spec = res
            if not exact_only or (spec == ("exact",) and args[0].upper() not in RANDOM_CMDS
                                  and args[0].upper() not in ("FLUSHALL", "FLUSHDB")):
                return args, spec
        return ["GET", self.pick(KEYS)], ("exact",)

    def g_tx(self):
        """MULTI / EXEC / DISCARD / WATCH / UNWATCH scripts. Steps: (conn, args, spec,
        mutable); conn 1 is a second connection pair (RESP2)."""
        r = self.r.random()
        st = Script()
        if r < 0.15:  # control commands outside MULTI (incl. wrong arity)
            c = self.pick(["EXEC", "DISCARD", "UNWATCH", "EXEC", "DISCARD"])
            args = [self.kw(c)] + (["x"] if self.r.random() < 0.2 else [])
            st.append((0, args, ("exact",), False))
            return st
        watched = []
        if r < 0.6:  # WATCH flavours
            watched = [self.pick(KEYS + ["zz"]) for _ in range(self.r.randint(1, 3))]
            st.append((0, [self.kw("WATCH")] + watched, ("exact",), False))
            if self.r.random() < 0.05:
                st.append((0, ["WATCH"], ("exact",), False))
            x = self.r.random()
            if x < 0.35:  # a write (or no-op write) from a second connection
                if self.r.random() < 0.05:
                    st.append((1, [self.pick(["FLUSHALL", "FLUSHDB"])], ("exact",), False))
                for _ in range(self.r.randint(1, 2)):
                    args, spec = self.data_cmd(exact_only=True)
                    if self.r.random() < 0.5:
                        args = [args[0], self.pick(watched)] + args[2:] if len(args) > 1 else args
                    st.append((1, args, spec, False))
            elif x < 0.5:  # a write from the same connection
                args, spec = self.data_cmd(exact_only=True)
                st.append((0, args, spec, False))
            elif x < 0.6:
                st.append((0, [self.kw("UNWATCH")], ("exact",), False))
                if self.r.random() < 0.5:
                    args, spec = self.data_cmd(exact_only=True)
                    st.append((1, args, spec, False))
        st.append((0, [self.kw("MULTI")], ("exact",), False))
        for _ in range(self.r.randint(0, 5)):
            y = self.r.random()
            if y < 0.05:
                st.append((0, self.pick([["MULTI"], ["WATCH", "a"], ["MULTI", "x"]]), ("exact",), False))
            elif y < 0.09:
                st.append((0, self.pick([["FOO"], ["foo", "a"], ["GET"], ["SET", "a"], ["HSET", "b", "f"],
                                         ["SELECT", "1"], ["PING"], ["ECHO", "e"], ["DBSIZE"],
                                         ["CONFIG", "FOO"], ["CLIENT", "GETNAME"]]), ("exact",), False))
            elif y < 0.12:
                st.append((0, ["UNWATCH"], ("exact",), False))
            else:
                args, spec = self.data_cmd(exact_only=True)
                st.append((0, args, spec, True))  # mutable: wrong arity -> EXECABORT
        end = "DISCARD" if self.r.random() < 0.2 else "EXEC"
        st.append((0, [self.kw(end)] + (["x"] if self.r.random() < 0.03 else []), ("exact",), False))
        if end == "EXEC" or st[-1][1][1:]:
            # EXEC x / DISCARD x inside MULTI: make sure no MULTI is left open
            st.append((0, ["DISCARD"], ("exact",), False))
        return st

    # ---- expiry (no timing dependence)
    def abs_exp(self, unit):
        """A far-future absolute time, int(t0) + 3000*j + 1500 s: distinct from every
        relative expire and every other absolute one by >= 1380 s; EXPIRETIME/PEXPIRETIME
        replies equal to one of them are compared exactly."""
        v = int(self.t0) + self.ttl_s() + 1500
        self.abs_used.add(v)
        return str(v * 1000 if unit == "ms" else v)

    def exp_value(self, c):
        x = self.r.random()
        unit = "ms" if c.startswith("P") else "s"
        if x < 0.12:
            vals = TTL_BAD + ["-9223372036854775807", "1e3", "+3000000", "03000000"]
            # Within 500 ms of INT64_MAX: EXPIRETIME's rounding must not wrap.
            vals = vals + ["9223372036854775806", "9223372036854775308"]
            return self.pick(vals)
        if c.endswith("AT"):
            if x < 0.2:  # in the past: the key is deleted at once
                v = int(self.t0) - self.r.randint(100, 10 ** 6)
                return str(v * 1000 if unit == "ms" else v)
            return self.abs_exp(unit)
        return self.rel(unit)

    def g_expiry(self):
        k = self.pick(KEYS + ["zz"])
        c = self.pick(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "EXPIREAT", "PEXPIREAT",
                       "PERSIST", "GETEX", "SETKEEP", "EXPIRETIME", "PEXPIRETIME", "EXPIRETIME",
                       "PEXPIRETIME", "TTL", "PTTL", "SETABS"])
        if c in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
            args = [c, k, self.exp_value(c)]
            for _ in range(self.r.choice([0, 1, 1, 2, 2, 3])):
                args.append(self.kw(self.pick(["NX", "XX", "GT", "LT", "NX", "XX", "GT", "LT", "FOO", ""])))
            return args, ("exact",)
        if c == "PERSIST":
            return [c, k] + (["x"] if self.r.random() < 0.05 else []), ("exact",)
        if c == "GETEX":
            args = [c, k]
            opts = []
            for _ in range(self.r.choice([0, 1, 1, 1, 2])):
                o = self.pick(["EX", "PX", "EXAT", "PXAT", "PERSIST"])
                if o == "PERSIST":
                    opts.append([self.kw(o)])
                elif o in ("EX", "PX"):
                    opts.append([self.kw(o), self.exp_value("P" if o == "PX" else "E")])
                else:
                    opts.append([self.kw(o), self.exp_value(("P" if o == "PXAT" else "E") + "AT")])
            if self.r.random() < 0.08:
                opts.append(self.pick([["EX"], ["PXAT"], ["FOO"], ["EX", "0"], ["PX", "-1"]]))
            for o in opts:
                args += o
            return args, ("exact",)
        if c == "SETKEEP":
            args = ["SET", self.pick(FAMILY_KEYS["strings"] + ["b"]), self.val(), self.kw("KEEPTTL")]
            if self.r.random() < 0.3:
                args.append(self.kw(self.pick(["NX", "XX", "GET"])))
            if self.r.random() < 0.1:
                args += self.pick([["EX", str(self.ttl_s())], ["KEEPTTL"], ["PXAT", self.abs_exp("ms")],
                                   ["PERSIST"]])
            return args, ("exact",)
        if c == "SETABS":
            o = self.pick(["EXAT", "PXAT"])
            return ["SET", self.pick(KEYS), self.val(), self.kw(o),
                    self.abs_exp("ms" if o == "PXAT" else "s")], ("exact",)
        if c in ("EXPIRETIME", "PEXPIRETIME"):
            return [c, k], ("exptime", "ms" if c[0] == "P" else "s", self.abs_used)
        return [c, k], ("ttl",)

    # ---- connection / server commands with deterministic replies
    def g_conn(self):
        c = self.pick(["PING", "ECHO", "SELECT", "DBSIZE", "CLIENT", "CLIENT", "CLIENT", "TIME",
                       "UNKNOWN", "UNKNOWN", "SUBCMD", "ARITY", "ARITY", "ARITY", "CFGGET",
                       "CFGGET", "CFGSET", "CFGSET"])
        if c == "PING":
            return [self.kw("PING")] + [self.val() for _ in range(self.r.choice([0, 1, 1, 2]))], ("exact",)
        if c == "ECHO":
            return [self.kw("ECHO")] + [self.val() for _ in range(self.r.choice([0, 1, 1, 1, 2]))], ("exact",)
        if c == "SELECT":
            vals = ["0", "0", "1", "-1", "16", "abc", "", "00", "-0", "9223372036854775808", " 0", "0.0",
                    "2147483647", "-2147483648", "2147483648", "-2147483649", "4294967296"]
            return ["SELECT", self.pick(vals)], ("exact",)
        if c == "DBSIZE":
            return ["DBSIZE"], ("exact",)
        if c == "TIME":
            return ["TIME"], ("shape",)
        if c == "CLIENT":
            x = self.r.random()
            if x < 0.4:
                return ["CLIENT", self.kw("SETNAME"), self.pick(CLIENT_NAMES)], ("exact",)
            if x < 0.75:
                return ["CLIENT", self.kw("GETNAME")], ("exact",)
            if x < 0.85:
                return ["CLIENT", self.kw("ID")], ("shape",)
            return self.pick([["CLIENT"], ["CLIENT", "SETNAME"], ["CLIENT", "SETNAME", "a", "b"],
                              ["CLIENT", "GETNAME", "x"], ["CLIENT", "ID", "x"],
                              ["CLIENT", "NOSUCH"], ["CLIENT", "nosuch", "a"]]), ("exact",)
        if c == "UNKNOWN":
            return self.pick(UNKNOWN_CMDS), ("exact",)
        if c == "SUBCMD":
            return [self.kw(self.pick(["CONFIG", "CLIENT", "COMMAND"])),
                    self.pick(["FOO", "nosuch", "", "GET_", LONG2])] + \
                [self.val() for _ in range(self.r.randint(0, 2))], ("exact",)
        if c == "ARITY":
            return self.arity(), ("exact",)
        if c == "CFGGET":
            args = ["CONFIG", self.kw("GET")] + [self.pick(CONFIG_PATTERNS)
                                                 for _ in range(self.r.choice([0, 1, 1, 1, 2, 3]))]
            return args, ("config",)
        return self.cfgset()

    def arity(self):
        if self.r.random() < 0.5:
            cmd, n = self.pick(FIXED_ARITY)
            m = self.r.choice([x for x in range(1, n + 3) if x != n])
        else:
            cmd, n = self.pick(MIN_ARITY)
            m = self.r.randint(1, n - 1)
        return [self.kw(cmd)] + [self.pick(KEYS) for _ in range(m - 1)]

    def cfgset(self):
        st = Script()
        params = []
        args = ["CONFIG", self.kw("SET")]
        for _ in range(self.r.choice([1, 1, 1, 2])):
            p = self.pick(list(CONFIG_SET))
            odd = self.r.random() < 0.1  # odd casing, also of a repeated name
            args += [self.kw(p) if odd else p, self.pick(CONFIG_SET[p])]
            params.append(p)
        if self.r.random() < 0.05:
            args += self.pick([["nosuch", "1"], ["maxmemory-policy"], [params[0], "no"]])
        if self.r.random() < 0.05:
            args = ["CONFIG", "SET", self.pick(["nosuch", "", "maxmemory-policyx"]), "1"]
        st.append((0, args, ("exact",), False))
        st.append((0, ["CONFIG", "GET"] + params, ("config",), False))
        for p in params:  # restore (encoding thresholds must not drift apart)
            st.append((0, ["CONFIG", "SET", p, self.cfg_orig[p]], ("exact",), False))
        return st

    def bulk(self):
        """Rare big writes that cross the encoding thresholds (intset 512, listpack 128)."""
        c = self.r.randrange(4)
        if c == 0:
            n = self.r.randint(505, 520)
            return ["SADD", self.key("sets")] + [str(i) for i in range(n)], ("exact",)
        if c == 1:
            n = self.r.randint(120, 135) if self.r.random() < 0.6 else self.r.randint(505, 520)
            args = ["HSET", self.key("hashes")]
            for i in range(n):
                args += ["f%d" % i, str(i)]
            return args, ("exact",)
        if c == 2:
            n = self.r.randint(120, 135)
            args = ["ZADD", self.key("zsets")]
            for i in range(n):
                args += [str(i % 7), "m%d" % i]
            return args, ("exact",)
        return ["RPUSH", self.key("lists")] + [str(i) for i in range(self.r.randint(100, 300))], ("exact",)

    def g_strings(self):
        k = self.key("strings")
        c = self.pick(["GET", "SET", "SET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL",
                       "GETEX", "MGET", "MSET", "MSETNX", "INCR", "DECR", "INCRBY", "DECRBY",
                       "INCRBYFLOAT", "INCRBYFLOAT", "APPEND", "STRLEN", "GETRANGE", "SETRANGE",
                       "SETBIT", "GETBIT", "BITCOUNT", "BITPOS", "BITOP", "BITFIELD", "BITFIELD_RO"])
        if c in BIT_COMMANDS:
            return self.g_bits(c, k), ("exact",)
        if c == "GET":
            return [c, k], ("exact",)
        if c == "SET":
            args = [c, k, self.val()]
            opts = []
            if self.r.random() < 0.5:
                e = self.pick(["EX", "PX", "EXAT", "PXAT", "KEEPTTL"])
                if e == "KEEPTTL":
                    opts.append([self.kw(e)])
                elif e in ("EX", "PX"):
                    opts.append([self.kw(e), self.rel("ms" if e == "PX" else "s")])
                else:
                    opts.append([self.kw(e), self.absolute("ms" if e == "PXAT" else "s")])
            if self.r.random() < 0.4:
                opts.append([self.kw(self.pick(["NX", "XX"]))])
            if self.r.random() < 0.3:
                opts.append([self.kw("GET")])
            if self.r.random() < 0.1:  # bad combinations / dangling options
                opts.append(self.pick([["NX"], ["XX"], ["EX"], ["KEEPTTL"], ["PX", "100000000"],
                                       ["GET"], ["FOO"], ["EX", "abc"], ["EXAT"]]))
            self.r.shuffle(opts)
            for o in opts:
                args += o
            return args, ("exact",)
        if c == "SETNX" or c == "GETSET" or c == "APPEND":
            return [c, k, self.val()], ("exact",)
        if c == "SETEX":
            return [c, k, self.rel("s"), self.val()], ("exact",)
        if c == "PSETEX":
            return [c, k, self.rel("ms"), self.val()], ("exact",)
        if c in ("GETDEL", "INCR", "DECR", "STRLEN"):
            return [c, k], ("exact",)
        if c == "GETEX":
            args = [c, k]
            x = self.r.random()
            if x < 0.2:
                args += [self.kw("EX"), self.rel("s")]
            elif x < 0.35:
                args += [self.kw("PX"), self.rel("ms")]
            elif x < 0.45:
                args += [self.kw("EXAT"), self.absolute("s")]
            elif x < 0.55:
                args += [self.kw("PXAT"), self.absolute("ms")]
            elif x < 0.7:
                args += [self.kw("PERSIST")]
            elif x < 0.8:
                args += self.pick([["EX"], ["PERSIST", "EX", "1000000"], ["FOO"],
                                   ["EX", "3000000", "PX", "3000000000"], ["PERSIST", "x"]])
            return args, ("exact",)
        if c == "MGET":
            return [c] + [self.key("strings") for _ in range(self.r.randint(1, 4))], ("exact",)
        if c in ("MSET", "MSETNX"):
            args = [c]
            for _ in range(self.r.randint(1, 3)):
                args += [self.key("strings"), self.val()]
            return args, ("exact",)
        if c in ("INCRBY", "DECRBY"):
            return [c, k, self.pick(INTS + ["1.5", "abc", "", " 1"])], ("exact",)
        if c == "INCRBYFLOAT":
            return [c, k, self.pick(FLOATS + INTS + ["abc", ""])], ("exact",)
        if c == "GETRANGE":
            return [c, k, self.idx(), self.idx()], ("exact",)
        if c == "SETRANGE":
            return [c, k, self.pick(OFFSETS), self.val()], ("exact",)
        raise AssertionError(c)

    def bit_offset(self):
        return self.pick(["0", "1", "7", "8", "15", "63", "100", "-1", "x", "4294967296", "1.5"]
                         + [str(self.r.randint(0, 200)) for _ in range(6)])

    def bit_range(self):
        """[start end [BYTE|BIT]] or a shorter, possibly malformed, tail."""
        x = self.r.random()
        if x < 0.3:
            return []
        args = [self.idx(), self.idx()]
        if x < 0.6:
            args.append(self.kw(self.pick(["BIT", "BYTE", "bit", "FOO"])))
        if self.r.random() < 0.05:
            args = args[:1] + self.pick([[], ["x"], ["0", "1", "BIT", "extra"]])
        return args

    def g_bits(self, c, k):
        if c == "SETBIT":
            return [c, k, self.bit_offset(), self.pick(["0", "1", "1", "0", "2", "-1", "x"])]
        if c == "GETBIT":
            return [c, k, self.bit_offset()]
        if c == "BITCOUNT":
            return [c, k] + self.bit_range()
        if c == "BITPOS":
            tail = self.bit_range()
            if tail and self.r.random() < 0.3:
                tail = tail[:1]
            return [c, k, self.pick(["0", "1", "1", "0", "2", "x"])] + tail
        if c == "BITOP":
            op = self.kw(self.pick(["AND", "OR", "XOR", "NOT", "NOT", "FOO"]))
            n = 1 if op.upper() == "NOT" and self.r.random() < 0.8 else self.r.randint(1, 3)
            return [c, op, self.key("strings")] + [self.key("strings") for _ in range(n)]
        ops = []
        for _ in range(self.r.randint(0, 4)):
            t = self.pick(["u8", "i8", "u1", "i64", "u63", "i5", "u16", "u64", "x8", "i0"])
            off = self.pick(["0", "#1", "3", "#0", "17", "-1", "#x", str(self.r.randint(0, 100))])
            op = self.pick(["GET", "GET", "SET", "INCRBY", "OVERFLOW", "FOO"]
                           if c == "BITFIELD" else ["GET", "GET", "GET", "SET"])
            if op == "GET":
                ops += [self.kw(op), t, off]
            elif op in ("SET", "INCRBY"):
                ops += [self.kw(op), t, off, self.pick(INTS + ["300", "-300", "x"])]
            elif op == "OVERFLOW":
                ops += [self.kw(op), self.kw(self.pick(["WRAP", "SAT", "FAIL", "FOO"]))]
            else:
                ops += [op]
        if ops and self.r.random() < 0.05:
            ops.pop()
        return [c, k] + ops

    def g_keys(self):
        k = self.key("keys")
        c = self.pick(["DEL", "UNLINK", "EXISTS", "TYPE", "EXPIRE", "PEXPIRE", "EXPIRE", "PERSIST",
                       "RENAME", "RENAMENX", "TOUCH", "COPY", "TTL", "PTTL", "KEYS", "SCAN",
                       "RANDOMKEY", "DBSIZE", "DELMANY"])
        if c == "DELMANY" or ("tx" in self.families and self.r.random() < 0.01):
            if self.r.random() < 0.2:
                return [self.kw(self.pick(["FLUSHDB", "FLUSHALL"]))] + \
                    self.pick([[], [], ["ASYNC"], ["SYNC"], ["async"], ["FOO"], ["SYNC", "ASYNC"]]), ("exact",)
            return [self.pick(["DEL", "UNLINK", "EXISTS", "TOUCH"])] + \
                [self.pick(KEYS + ["zz"]) for _ in range(self.r.randint(4, 30))], ("exact",)
        if c in ("DEL", "UNLINK", "EXISTS", "TOUCH"):
            n = self.r.randint(0 if self.r.random() < 0.05 else 1, 3)
            return [c] + [self.pick(KEYS + ["zz"]) for _ in range(n)], ("exact",)
        if c in ("TYPE", "PERSIST"):
            return [c, k], ("exact",)
        if c in ("TTL", "PTTL"):
            return [c, k], ("ttl",)
        if c in ("EXPIRE", "PEXPIRE"):
            args = [c, k, self.rel("ms" if c == "PEXPIRE" else "s")]
            for _ in range(self.r.choice([0, 0, 1, 1, 2])):
                args.append(self.kw(self.pick(["NX", "XX", "GT", "LT", "FOO"])))
            return args, ("exact",)
        if c in ("RENAME", "RENAMENX"):
            return [c, k, self.pick(KEYS + ["zz"])], ("exact",)
        if c == "COPY":
            args = [c, k, self.pick(KEYS)]
            if self.r.random() < 0.2:
                args += [self.kw("DB"), self.pick(["0", "1", "abc", "-1"])]
            if self.r.random() < 0.5:
                args.append(self.kw("REPLACE"))
            return args, ("exact",)
        if c == "KEYS":
            return [c, self.pick(PATTERNS)], ("sorted",)
        if c == "SCAN":
            if self.r.random() < 0.1:
                return [c, self.pick(["abc", "18446744073709551616", " 0", "1x"])], ("exact",)
            args = [c, "0"]
            if self.r.random() < 0.4:
                args += [self.kw("MATCH"), self.pick(PATTERNS)]
            if self.r.random() < 0.3:
                args += [self.kw("TYPE"), self.pick(["string", "hash", "list", "set", "zset",
                                                     "nosuch", "STRING"])]
            args += [self.kw("COUNT"), "1000"]
            return args, ("scan",)
        if c == "RANDOMKEY":
            return [c], ("rand", "keys", None, None)
        if c == "DBSIZE":
            return [c], ("exact",)
        raise AssertionError(c)

    def g_hashes(self):
        k = self.key("hashes")
        f = lambda: self.pick(FIELDS)  # noqa: E731
        c = self.pick(["HSET", "HSET", "HSETNX", "HGET", "HMSET", "HMGET", "HGETALL", "HDEL",
                       "HEXISTS", "HLEN", "HKEYS", "HVALS", "HSTRLEN", "HINCRBY", "HINCRBYFLOAT",
                       "HRANDFIELD", "HSCAN"])
        if c in ("HSET", "HMSET"):
            args = [c, k] + self.nvals(1, 3, lambda: [f(), self.val()])
            return args, ("exact",)
        if c == "HSETNX":
            return [c, k, f(), self.val()], ("exact",)
        if c in ("HGET", "HEXISTS", "HSTRLEN"):
            return [c, k, f()], ("exact",)
        if c in ("HMGET", "HDEL"):
            return [c, k] + [f() for _ in range(self.r.randint(1, 3))], ("exact",)
        if c == "HLEN":
            return [c, k], ("exact",)
        if c in ("HGETALL", "HKEYS", "HVALS"):
            return [c, k], ("hashenc", k)
        if c == "HINCRBY":
            return [c, k, f(), self.pick(INTS + ["1.5", "abc", ""])], ("exact",)
        if c == "HINCRBYFLOAT":
            return [c, k, f(), self.pick(FLOATS + INTS + ["abc"])], ("exact",)
        if c == "HRANDFIELD":
            return self.rand_pick(c, k, "hash", "WITHVALUES")
        if c == "HSCAN":
            return self.one_page_scan(c, k, ["f*", "*", "?", "[a-f]*"]), ("hashenc", k)
        raise AssertionError(c)

    def g_lists(self):
        k = self.key("lists")
        c = self.pick(["LPUSH", "RPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP", "RPOP", "LLEN",
                       "LRANGE", "LRANGE", "LINDEX", "LSET", "LREM", "LTRIM", "LINSERT", "LPOS",
                       "LPOS", "LMOVE", "RPOPLPUSH", "LMPOP"])
        if c == "LMPOP":
            return self.multi_pop(c, "lists", ["LEFT", "RIGHT"]), ("exact",)
        if c in ("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"):
            return [c, k] + [self.val() for _ in range(self.r.randint(1, 4))], ("exact",)
        if c in ("LPOP", "RPOP"):
            args = [c, k]
            if self.r.random() < 0.5:
                args.append(self.count())
            return args, ("exact",)
        if c == "LLEN":
            return [c, k], ("exact",)
        if c == "LRANGE":
            return [c, k, self.idx(), self.idx()], ("exact",)
        if c == "LINDEX":
            return [c, k, self.idx()], ("exact",)
        if c == "LSET":
            return [c, k, self.idx(), self.val()], ("exact",)
        if c == "LREM":
            return [c, k, self.count(), self.val()], ("exact",)
        if c == "LTRIM":
            return [c, k, self.idx(), self.idx()], ("exact",)
        if c == "LINSERT":
            return [c, k, self.kw(self.pick(["BEFORE", "AFTER", "BEFORE", "AFTER", "MIDDLE"])),
                    self.val(), self.val()], ("exact",)
        if c == "LPOS":
            args = [c, k, self.val()]
            opts = []
            if self.r.random() < 0.4:
                opts.append([self.kw("RANK"), self.pick(["1", "-1", "2", "-2", "0", "3",
                                                         "9223372036854775807",
                                                         "-9223372036854775808", "abc"])])
            if self.r.random() < 0.4:
                opts.append([self.kw("COUNT"), self.pick(["0", "1", "2", "5", "-1", "abc",
                                                          "9223372036854775807"])])
            if self.r.random() < 0.3:
                opts.append([self.kw("MAXLEN"), self.pick(["0", "1", "2", "5", "-1", "abc"])])
            if self.r.random() < 0.05:
                opts.append([self.pick(["RANK", "FOO", "COUNT"])])
            self.r.shuffle(opts)
            for o in opts:
                args += o
            return args, ("exact",)
        if c == "LMOVE":
            return [c, k, self.key("lists"), self.kw(self.pick(["LEFT", "RIGHT", "LEFT", "RIGHT", "UP"])),
                    self.kw(self.pick(["LEFT", "RIGHT"]))], ("exact",)
        if c == "RPOPLPUSH":
            return [c, k, self.key("lists")], ("exact",)
        raise AssertionError(c)

    def smember(self):
        return self.pick(SMEMBERS_INT) if self.r.random() < 0.7 else self.pick(SMEMBERS_STR)

    def g_sets(self):
        k = self.key("sets")
        c = self.pick(["SADD", "SADD", "SADD", "SREM", "SMEMBERS", "SISMEMBER", "SMISMEMBER",
                       "SCARD", "SPOP", "SRANDMEMBER", "SMOVE", "SINTER", "SINTERCARD", "SUNION",
                       "SDIFF", "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE", "SSCAN"])
        if c in ("SADD", "SREM"):
            return [c, k] + [self.smember() for _ in range(self.r.randint(1, 4))], ("exact",)
        if c == "SMEMBERS":
            return [c, k], ("setenc", k)
        if c == "SISMEMBER":
            return [c, k, self.smember()], ("exact",)
        if c == "SMISMEMBER":
            return [c, k] + [self.smember() for _ in range(self.r.randint(1, 3))], ("exact",)
        if c == "SCARD":
            return [c, k], ("exact",)
        if c == "SPOP":
            x = self.r.random()
            if x < 0.1:
                return [c, k, self.pick(["-1", "abc", "0", "-9223372036854775808"])], ("spop", k, "err")
            if x < 0.15:
                return [c, k, "1", "2"], ("exact",)
            card = self.o.card(k)
            if card is None:  # missing or wrong type: any form is deterministic
                return [c, k] + ([] if self.r.random() < 0.5 else [self.pick(["1", "5"])]), ("spop", k, "any")
            if card <= 1 and self.r.random() < 0.5:
                return [c, k], ("spop", k, None)
            n = card + self.r.choice([0, 0, 1, 5])
            return [c, k, str(n)], ("spop", k, str(n))
        if c == "SRANDMEMBER":
            return self.rand_pick(c, k, "set")
        if c == "SMOVE":
            return [c, k, self.key("sets"), self.smember()], ("exact",)
        if c in ("SINTER", "SUNION", "SDIFF"):
            return [c] + [self.key("sets") for _ in range(self.r.randint(1, 3))], ("sorted",)
        if c in ("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"):
            return [c, self.key("sets")] + [self.key("sets") for _ in range(self.r.randint(1, 3))], ("exact",)
        if c == "SINTERCARD":
            keys = [self.key("sets") for _ in range(self.r.randint(1, 3))]
            nk = str(len(keys)) if self.r.random() < 0.8 else self.pick(["0", "-1", "5", "abc"])
            args = [c, nk] + keys
            if self.r.random() < 0.4:
                args += [self.kw("LIMIT"), self.pick(["0", "1", "2", "-1", "abc", "9223372036854775807"])]
            return args, ("exact",)
        if c == "SSCAN":
            return self.one_page_scan(c, k, ["1*", "*", "?", "[a-c]"]), ("setscan", k)
        raise AssertionError(c)

    def zmember(self):
        return self.pick(ZMEMBERS)

    def score(self):
        return self.pick(SCORES_OK) if self.r.random() < 0.9 else self.pick(SCORES_BAD)

    def zkey(self):
        return self.key("zsets")

    def limit(self):
        return [self.kw("LIMIT"), self.pick(["0", "1", "2", "-1", "abc", "100"]),
                self.pick(["0", "1", "2", "-1", "-5", "abc", "100", "9223372036854775807"])]

    def multi_pop(self, c, family, sides):
        """LMPOP / ZMPOP over keys of the family (and others now and then)."""
        keys = [self.key(self.pick([family, family, family, "strings"]))
                for _ in range(self.r.randint(1, 3))]
        nk = str(len(keys)) if self.r.random() < 0.9 else self.pick(["0", "-1", "5", "abc"])
        args = [c, nk] + keys + [self.kw(self.pick(sides + ["UP"]))]
        if self.r.random() < 0.5:
            args += [self.kw("COUNT"), self.pick(["1", "2", "5", "0", "-1", "x"])]
        if self.r.random() < 0.05:
            args += self.pick([["COUNT"], ["FOO"], ["COUNT", "1"]])
        return args

    def z_algebra(self):
        """ZUNION/ZINTER/ZDIFF (and STORE forms), ZINTERCARD over sorted sets, sets and
        other types, with weights, aggregates and malformed options now and then."""
        c = self.pick(["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE",
                       "ZINTERCARD"])
        keys = [self.key(self.pick(["zsets", "zsets", "sets"])) for _ in range(self.r.randint(1, 3))]
        nk = str(len(keys)) if self.r.random() < 0.9 else self.pick(["0", "-1", "5", "abc"])
        args = [c] + ([self.zkey()] if c.endswith("STORE") else []) + [nk] + keys
        if c != "ZINTERCARD" and self.r.random() < 0.3:
            args += [self.kw("WEIGHTS")] + [self.pick(["1", "2", "0.5", "-1", "0", "inf", "x"])
                                            for _ in range(len(keys))]
        if c != "ZINTERCARD" and self.r.random() < 0.3:
            args += [self.kw("AGGREGATE"), self.kw(self.pick(["SUM", "MIN", "MAX", "AVG"]))]
        if not c.endswith("STORE") and self.r.random() < 0.5:
            args += [self.kw("WITHSCORES")]
        if c == "ZINTERCARD" and self.r.random() < 0.4:
            args += [self.kw("LIMIT"), self.pick(["0", "1", "2", "-1", "abc"])]
        return args

    def g_zsets(self):
        k = self.zkey()
        c = self.pick(["ZADD", "ZADD", "ZADD", "ZREM", "ZSCORE", "ZMSCORE", "ZINCRBY", "ZCARD",
                       "ZCOUNT", "ZLEXCOUNT", "ZRANGE", "ZRANGE", "ZRANGE", "ZRANGEBYSCORE",
                       "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGE", "ZRANK", "ZREVRANK",
                       "ZPOPMIN", "ZPOPMAX", "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE",
                       "ZRANDMEMBER", "ZSCAN", "ZALGEBRA", "ZALGEBRA", "ZRANGESTORE", "ZMPOP"])
        if c == "ZMPOP":
            return self.multi_pop(c, "zsets", ["MIN", "MAX"]), ("exact",)
        if c == "ZALGEBRA":
            return self.z_algebra(), ("exact",)
        if c == "ZRANGESTORE":
            args = [c, self.zkey(), k, self.pick(["0", "1", "-1", "(1", "[a", "-", "+inf"]),
                    self.pick(["-1", "2", "+", "(3", "[c", "inf"])]
            for o in ("BYSCORE|BYLEX", "REV", "LIMIT", "WITHSCORES"):
                if self.r.random() < 0.3:
                    args += self.limit() if o == "LIMIT" else [self.kw(self.pick(o.split("|")))]
            return args, ("exact",)
        lexkey = k == "f"  # key f mostly gets score 0 so lex ranges are well defined
        if c == "ZADD":
            args = [c, k]
            for o in ("NX|XX", "GT|LT", "CH", "INCR"):
                if self.r.random() < 0.2:
                    args.append(self.kw(self.pick(o.split("|"))))
            if self.r.random() < 0.05:
                args.append(self.kw(self.pick(["NX", "XX", "GT", "LT", "FOO"])))
            n = 1 if self.r.random() < 0.5 else self.r.randint(1, 4)
            for _ in range(n):
                args += ["0" if lexkey and self.r.random() < 0.85 else self.score(), self.zmember()]
            if self.r.random() < 0.03:
                args.append(self.score())
            return args, ("exact",)
        if c == "ZREM":
            return [c, k] + [self.zmember() for _ in range(self.r.randint(1, 3))], ("exact",)
        if c in ("ZSCORE", "ZRANK", "ZREVRANK"):
            return [c, k, self.zmember()], ("exact",)
        if c == "ZMSCORE":
            return [c, k] + [self.zmember() for _ in range(self.r.randint(1, 3))], ("exact",)
        if c == "ZINCRBY":
            return [c, k, self.score(), self.zmember()], ("exact",)
        if c == "ZCARD":
            return [c, k], ("exact",)
        if c in ("ZCOUNT", "ZREMRANGEBYSCORE"):
            return [c, k, self.srange(), self.srange()], ("exact",)
        if c == "ZLEXCOUNT":
            return [c, k, self.lrange(), self.lrange()], ("lex", k)
        if c in ("ZREVRANGE", "ZREMRANGEBYRANK"):
            args = [c, k, self.idx(), self.idx()]
            if c == "ZREVRANGE" and self.r.random() < 0.4:
                args.append(self.kw("WITHSCORES"))
            return args, ("exact",)
        if c in ("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"):
            args = [c, k, self.srange(), self.srange()]
            opts = []
            if self.r.random() < 0.4:
                opts.append([self.kw("WITHSCORES")])
            if self.r.random() < 0.4:
                opts.append(self.limit())
            self.r.shuffle(opts)
            for o in opts:
                args += o
            return args, ("exact",)
        if c == "ZRANGEBYLEX":
            args = [c, k, self.lrange(), self.lrange()]
            if self.r.random() < 0.4:
                args += self.limit()
            if self.r.random() < 0.05:
                args.append(self.kw("WITHSCORES"))
            return args, ("lex", k)
        if c == "ZRANGE":
            by = self.r.choice([None, None, "BYSCORE", "BYLEX"])
            if by == "BYSCORE":
                lo, hi = self.srange(), self.srange()
            elif by == "BYLEX":
                lo, hi = self.lrange(), self.lrange()
            else:
                lo, hi = self.idx(), self.idx()
            args = [c, k, lo, hi]
            opts = []
            if by:
                opts.append([self.kw(by)])
            if self.r.random() < 0.3:
                opts.append([self.kw("REV")])
            if self.r.random() < (0.4 if by else 0.04):
                opts.append(self.limit())
            if self.r.random() < 0.4:
                opts.append([self.kw("WITHSCORES")])
            if self.r.random() < 0.08:  # bad combos
                opts.append(self.pick([["BYSCORE"], ["BYLEX"], ["FOO"], ["LIMIT", "0"]]))
            self.r.shuffle(opts)
            for o in opts:
                args += o
            return args, ("lex", k) if any(o and o[0].upper() == "BYLEX" for o in opts) else ("exact",)
        if c in ("ZPOPMIN", "ZPOPMAX"):
            args = [c, k]
            if self.r.random() < 0.5:
                args.append(self.count())
            return args, ("exact",)
        if c == "ZRANDMEMBER":
            return self.rand_pick(c, k, "zset", "WITHSCORES")
        if c == "ZSCAN":
            return self.one_page_scan(c, k, ["a*", "*", "?", "[a-c]"]), ("scanpairs",)
        raise AssertionError(c)


# --------------------------------------------------------------------------- oracle

class Oracle:
    """A separate RESP2 connection to the reference redis-server, for read-only look-ups
    (OBJECT ENCODING, SCARD, members) that choose how to compare a reply."""

    def __init__(self, port):
        self.port = port
        self.c = D.Conn(port)

    def query(self, *args):
        self.c.send(D.encode_command([a.encode("latin-1") if isinstance(a, str) else a for a in args]))
        raw = self.c.read_reply()
        if isinstance(raw, str):
            raise RuntimeError("oracle connection: %s" % raw)
        return D.parse(raw)[0]

    def encoding(self, key):
        t = self.query("OBJECT", "ENCODING", key)
        return t[2] if t[0] == "bulk" else None

    def card(self, key):
        if self.query("TYPE", key)[2] != b"set":
            return None
        return int(self.query("SCARD", key)[2])

    def members(self, kind, key):
        """(size, set of strings that may appear in a random pick), or None."""
        if kind == "keys":
            t = self.query("KEYS", "*")
            return len(t[2]), set(x[2] for x in t[2])
        typ = self.query("TYPE", key)[2]
        if kind == "set" and typ == b"set":
            t = self.query("SMEMBERS", key)
            return len(t[2]), set(x[2] for x in t[2])
        if kind == "hash" and typ == b"hash":
            t = self.query("HGETALL", key)
            return len(t[2]) // 2, set(x[2] for x in t[2])
        if kind == "zset" and typ == b"zset":
            t = self.query("ZRANGE", key, "0", "-1", "WITHSCORES")
            return len(t[2]) // 2, set(x[2] for x in t[2])
        return None

    def zscores_equal(self, key):
        if self.query("TYPE", key)[2] != b"zset":
            return True
        t = self.query("ZRANGE", key, "0", "-1", "WITHSCORES")
        return len(set(x[2] for x in t[2][1::2])) <= 1


def resolve(spec, args, oracle, resp3):
    """Turn a compare spec into a concrete compare mode (may consult the oracle)."""
    kind = spec[0]
    mode = {"kind": "exact", "member": None, "range": None}
    if kind in ("exact", "sorted", "pairs", "scan", "scanpairs", "mapkeys"):
        mode["kind"] = kind
        return mode
    if kind in ("ttl", "config", "shape"):
        mode["kind"] = kind
        return mode
    if kind == "exptime":
        mode["kind"] = "exptime"
        mode["unit"], mode["abs"] = spec[1], spec[2]
        return mode
    cmd = args[0].upper()
    if kind == "hashenc":
        enc = oracle.encoding(spec[1])
        if enc in (None, b"listpack", b"ziplist"):
            return mode
        if cmd == "HSCAN":
            mode["kind"] = "scanpairs"
        elif cmd == "HGETALL" and not resp3:
            mode["kind"] = "pairs"
        else:
            mode["kind"] = "sorted"
        return mode
    if kind == "setenc":
        enc = oracle.encoding(spec[1])
        if enc in (None, b"intset"):
            return mode
        mode["kind"] = "scan" if cmd == "SSCAN" else "sorted"
        return mode
    if kind == "setscan":
        mode["kind"] = "scan"
        return mode
    if kind == "lex":
        if not oracle.zscores_equal(spec[1]):
            mode["kind"] = "errclass"
        return mode
    if kind == "spop":
        card = oracle.card(spec[1])
        cnt = spec[2]
        if cnt in ("err", "any") or card is None:
            if cnt == "err" or card is None:
                mode["kind"] = "sorted"
                return mode
            raise Unsafe()
        if cnt is None:
            if card > 1:
                raise Unsafe()
            return mode
        if int(cnt) < card:
            raise Unsafe()
        mode["kind"] = "sorted"
        return mode
    if kind == "rand":
        what, key, cnt = spec[1], spec[2], spec[3]
        info = oracle.members(what, key)
        if info is None:  # missing key or wrong type: deterministic
            return mode
        size, members = info
        n = None
        if cnt is not None:
            try:
                n = int(cnt)
            except ValueError:
                return mode  # error reply
        if n is not None and n >= size:
            with_pairs = any(a.upper() in ("WITHVALUES", "WITHSCORES") for a in args[3:])
            mode["kind"] = "pairs" if (with_pairs and not resp3) else "sorted"
            return mode
        mode["kind"] = "shape"
        mode["member"] = members
        return mode
    raise AssertionError(spec)


def looks_int(a):
    t = a.strip()
    return bool(t) and t.lstrip("+-").isdigit()


def looks_float(a):
    try:
        float(a)
        return True
    except ValueError:
        return False


def ttl_safe(args, t0):
    """False if args could set a short (timing-dependent) expire: a relative time
    below 3000 s or an absolute time from just before now to 3000 s ahead. Anything that
    could be read as a number counts (conservative)."""
    cmd = args[0].upper()
    checks = []
    if cmd in ("SETEX", "EXPIRE", "GETEX", "SET", "PSETEX", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        if cmd in ("SETEX", "EXPIRE", "PSETEX", "PEXPIRE", "EXPIREAT", "PEXPIREAT") and len(args) > 2:
            checks.append((args[2], {"SETEX": "EX", "EXPIRE": "EX", "PSETEX": "PX", "PEXPIRE": "PX",
                                     "EXPIREAT": "EXAT", "PEXPIREAT": "PXAT"}[cmd]))
        for i in range(1, len(args) - 1):
            if args[i].upper() in ("EX", "PX", "EXAT", "PXAT"):
                checks.append((args[i + 1], args[i].upper()))
    for v, unit in checks:
        try:
            n = float(v.strip())
        except ValueError:
            continue
        if unit in ("PX", "PXAT"):
            n /= 1000.0
        if unit in ("EXAT", "PXAT"):
            n -= t0
            if n >= -200 and n < 3000:
                return False
        elif 0 < n < 3000:
            return False
    return True


def classify_ttl(raw):
    if isinstance(raw, bytes) and raw.startswith(b":"):
        v = int(raw[1:-2])
        return b"-2" if v == -2 else b"-1" if v == -1 else b"pos" if v > 0 else raw
    return raw


def is_error(raw):
    return isinstance(raw, bytes) and raw[:1] in (b"-", b"!")


def config_pairs(raw):
    """CONFIG GET reply -> sorted (name, value) pairs without the setup-dependent names."""
    t = D.parse(raw)[0]
    if t[0] != "agg":
        return raw
    v = t[2]
    pairs = sorted((D.encode(x), D.encode(y)) for x, y in zip(v[0::2], v[1::2])
                   if not (x[0] == "bulk" and x[2] in CONFIG_DIFFER))
    return t[1], len(v) % 2, pairs


def compare(mode, a, b):
    if mode["kind"] == "ttl":
        return None if classify_ttl(a) == classify_ttl(b) else "TTL class differs"
    if mode["kind"] == "exptime":
        # exact when the reference's time is one of the absolute times the fuzzer sent
        exact = False
        if isinstance(a, bytes) and a.startswith(b":"):
            v = int(a[1:-2])
            exact = v < 0 or (v in mode["abs"] if mode["unit"] == "s"
                              else v % 1000 == 0 and v // 1000 in mode["abs"])
        if exact or is_error(a):
            return None if a == b else "bytes differ"
        return None if classify_ttl(a) == classify_ttl(b) else "EXPIRETIME class differs"
    if mode["kind"] == "config":
        if isinstance(a, str) or isinstance(b, str) or is_error(a) or is_error(b):
            return None if a == b else "bytes differ"
        try:
            return None if config_pairs(a) == config_pairs(b) else "differ as sorted pairs"
        except (ValueError, IndexError) as e:
            return "unparsable reply (%s)" % e
    if mode["kind"] == "errclass":
        if isinstance(a, str) or isinstance(b, str):
            return None if a == b else "connection state differs"
        if is_error(a) or is_error(b):
            return None if a == b else "error differs (unspecified-order lex range)"
        return None
    return D.compare(mode, a, b)


def shape_sig(raw):
    if isinstance(raw, str):
        return raw[:40]
    try:
        t = D.parse(raw)[0]
    except (ValueError, IndexError):
        return "unparsable"
    def s(node):
        kind, typ, v = node
        if kind == "agg":
            return typ.decode() + "[" + ",".join(sorted(set(s(x) for x in v))) + "]"
        if kind == "line" and typ == b"-":
            return "-" + " ".join(w for w in v.decode("latin-1").split()[:6] if not any(ch.isdigit() for ch in w))
        return typ.decode() + kind
    return s(t)


def fmt_arg(a):
    if isinstance(a, bytes):
        a = a.decode("latin-1")
    if a and all(33 <= ord(ch) < 127 and ch not in "\"'\\" for ch in a):
        return a
    out = []
    for ch in a:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif 32 <= o < 127:
            out.append(ch)
        else:
            out.append("\\x%02x" % o)
    return '"' + "".join(out) + '"'


def fmt_cmd(args):
    return " ".join(fmt_arg(a) for a in args)


def short(x, n=200):
    s = repr(x) if isinstance(x, bytes) else str(x)
    return s if len(s) <= n else s[:n] + "...(%d bytes)" % len(x)


# --------------------------------------------------------------------------- runner

class Session:
    """A connection pair (reference, SUT) plus a RESP2/RESP3 flag."""

    def __init__(self, ports, resp3):
        self.ports = ports
        self.c = [D.Conn(p) for p in ports]
        self.resp3 = resp3

    def close(self):
        for c in self.c:
            c.close()

    def roundtrip(self, args):
        data = D.encode_command([a.encode("latin-1") if isinstance(a, str) else a for a in args])
        for c in self.c:
            c.send(data)
        return [c.read_reply() for c in self.c]


class Fuzzer:
    def __init__(self, opts, servers, restart):
        self.opts = opts
        self.servers = servers
        self.ports = tuple(s.port for s in servers)
        self.restart_servers = restart
        self.restarts = 0
        self.rng = random.Random(opts.seed)
        self.oracle = Oracle(self.ports[0])
        self.gen = Gen(self.rng, self.oracle, time.time())
        self.gen.bulk_ok = not opts.no_bulk
        self.gen.families = list(opts.families)
        self.gen.cfg_orig = self.config_originals()
        self.session = None
        self.session2 = None  # second connection pair (RESP2), for WATCH invalidation
        self.history = deque(maxlen=HISTORY)  # (index, args, ref reply)
        self.segment = []  # (args, spec) since the last FLUSHALL, for --minimize
        self.last_ref = None
        self.force_flush = False
        self.stats = {}  # command -> {reply class: count} (reference replies, not probes)
        self.mismatches = {}  # signature -> report text
        self.sent = 0
        self.idx = 0

    # -- plumbing
    def config_originals(self):
        out = {}
        for p in CONFIG_SET:
            t = self.oracle.query("CONFIG", "GET", p)
            out[p] = t[2][1][2].decode("latin-1")
        return out

    def restore_config(self):
        for p, v in self.gen.cfg_orig.items():
            self.session.roundtrip(["CONFIG", "SET", p, v])

    def second(self):
        if self.session2 is None:
            self.session2 = Session(self.ports, False)
        return self.session2

    def new_session(self):
        if self.session:
            self.session.close()
        resp3 = self.rng.random() < self.opts.resp3_share
        self.session = Session(self.ports, resp3)
        if self.rng.random() < 0.5 or len(self.segment) > 1500 or self.force_flush:
            if self.force_flush and "conn" in self.opts.families:
                self.restore_config()
            self.force_flush = False
            self.flush()
        if resp3:
            self.step(["HELLO", "3"], ("mapkeys",), probe=True)
        elif self.rng.random() < 0.1:
            self.step(["HELLO", "2"], ("mapkeys",), probe=True)

    def flush(self):
        got = self.session.roundtrip(["FLUSHALL"])
        if got != [b"+OK\r\n", b"+OK\r\n"]:
            self.check_alive(wait=[i for i, x in enumerate(got) if isinstance(x, str)])
            raise SystemExit("FLUSHALL failed: %r" % (got,))
        self.segment = []

    def step(self, args, spec, probe=False, conn=0):
        """Send one command to both servers and compare. Returns (ok, ref, sut).
        conn 1: the second connection pair (RESP2)."""
        self.idx += 1
        sess = self.session if conn == 0 else self.second()
        try:
            mode = resolve(spec, args, self.oracle, sess.resp3)
        except RuntimeError:
            self.check_alive()
            raise
        a, b = sess.roundtrip(args)
        self.sent += 1
        if isinstance(a, str) or isinstance(b, str):
            self.check_alive(wait=[i for i, x in enumerate((a, b)) if isinstance(x, str)])
        if args[0].upper() != "HELLO" or conn:  # replays send HELLO 3 themselves
            self.segment.append((args, spec) if conn == 0 else (args, spec, conn))
        self.last_ref = a
        self.history.append((self.idx, args, a, b, probe))
        if not probe:
            st = self.stats.setdefault(args[0].upper(), {})
            cls = "err:" + a[1:].split(b" ")[0].decode("latin-1") if is_error(a) else \
                "ok" if isinstance(a, bytes) else "closed"
            st[cls] = st.get(cls, 0) + 1
        why = compare(mode, a, b)
        if why:
            self.report(args, spec, mode, why, a, b)
            return False
        if isinstance(a, str) or isinstance(b, str):
            # both closed or timed out identically: reconnect
            sess.close()
            if conn == 0:
                self.session = Session(self.ports, False)
            else:
                self.session2 = None
        return True

    def check_alive(self, wait=()):
        """Raise ServerDied if a server exited. `wait`: indexes of servers whose connection
        just closed; give them a moment to finish exiting (bounded)."""
        for i in wait:
            try:
                self.servers[i].proc.wait(2.0)
            except D.subprocess.TimeoutExpired:
                pass
        dead = [s for s in self.servers if s.proc.poll() is not None]
        if dead:
            raise ServerDied(dead)

    def handle_death(self, dead):
        """A server exited. A ringcache crash is a finding; a redis-server or ringcache that
        was sent SIGTERM from outside (other jobs on this machine) is restarted."""
        for s in dead:
            rc = s.proc.returncode
            tail = s.log_tail()
            external = (rc in (0, -15, 143) and (s.name != "ringcache" or rc != 0)) or \
                "Received SIGTERM" in tail or (s.name == "ringcache" and rc == 0 and "shutting down" in tail)
            if s.name == "ringcache" and not external:
                sig = ("<ringcache exited rc=%s>" % rc, "", "")
                lines = ["=" * 78,
                         "MISMATCH #%d  seed=%d  command index=%d: ringcache exited with %s"
                         % (len(self.mismatches) + 1, self.opts.seed, self.idx, rc),
                         "  last %d commands:" % len(self.history)]
                for i, ar, ra, rb, probe in self.history:
                    lines.append("    %6d%s %s -> %s" % (i, "p" if probe else " ", fmt_cmd(ar)[:160],
                                                         short(ra, 120)))
                lines.append("  log tail:\n" + tail)
                self.mismatches.setdefault(sig, "\n".join(lines))
                print(self.mismatches[sig], flush=True)
            else:
                print("NOTE: %s (pid %d) exited with %s at command index %d, apparently killed from "
                      "outside the fuzzer; restarting both servers. Log tail: %s"
                      % (s.name, s.proc.pid, rc, self.idx, tail.strip().splitlines()[-3:]),
                      flush=True)
        self.restarts += 1
        if self.restarts > 10:
            raise SystemExit("too many server restarts")
        if self.session:
            self.session.close()
            self.session = None
        if self.session2:
            self.session2.close()
            self.session2 = None
        self.oracle.c.close()
        self.servers = self.restart_servers()
        self.ports = tuple(s.port for s in self.servers)
        self.oracle = Oracle(self.ports[0])
        self.gen.o = self.oracle
        self.segment = []

    def report(self, args, spec, mode, why, a, b):
        sig = (args[0].upper(), shape_sig(a), shape_sig(b))
        lines = []
        lines.append("=" * 78)
        lines.append("MISMATCH #%d  seed=%d  command index=%d  (%s)  %s"
                     % (len(self.mismatches) + 1, self.opts.seed, self.idx,
                        "RESP3" if self.session.resp3 else "RESP2", why))
        lines.append("  command:   %s" % fmt_cmd(args))
        lines.append("  mode:      %s" % mode["kind"])
        lines.append("  reference: %s" % short(a, 2000))
        lines.append("  ringcache: %s" % short(b, 2000))
        lines.append("  last %d commands (index, command -> reference reply):" % len(self.history))
        for i, ar, ra, rb, probe in self.history:
            lines.append("    %6d%s %s -> %s" % (i, "p" if probe else " ", fmt_cmd(ar)[:160], short(ra, 120)))
        seg = list(self.segment)
        if self.opts.minimize:
            lines.append("  minimized sequence (%s, after FLUSHALL; last line mismatches):"
                         % ("RESP3" if self.session.resp3 else "RESP2"))
            mini = self.minimize(seg, sig, self.session.resp3)
            if mini is None:
                lines.append("    (did not reproduce on replay)")
            else:
                for item in mini:
                    lines.append("    " + ("[conn 2] " if len(item) > 2 else "") + fmt_cmd(item[0]))
                got = self.replay(mini, self.session.resp3, want=None)
                if got:
                    lines.append("    -> reference: %s" % short(got[0], 500))
                    lines.append("    -> ringcache: %s" % short(got[1], 500))
        if sig not in self.mismatches:
            self.mismatches[sig] = "\n".join(lines)
            print(self.mismatches[sig], flush=True)
        else:
            print("(duplicate mismatch %s at index %d: %s)" % (sig[0], self.idx, fmt_cmd(args)[:100]),
                  flush=True)

    # -- minimisation by replay
    def replay(self, seq, resp3, want):
        """Replay seq after FLUSHALL on fresh connections. Return (ref, sut) of the last
        command if it mismatches (with signature want, if given), else None."""
        s = Session(self.ports, resp3)
        s2 = Session(self.ports, False)
        try:
            if "conn" in self.opts.families:
                for p, v in self.gen.cfg_orig.items():
                    s.roundtrip(["CONFIG", "SET", p, v])
            got = s.roundtrip(["FLUSHALL"])
            if got != [b"+OK\r\n", b"+OK\r\n"]:
                return None
            if resp3:
                s.roundtrip(["HELLO", "3"])
            a = b = None
            mode = None
            for item in seq:
                args, spec = item[0], item[1]
                conn = item[2] if len(item) > 2 else 0
                try:
                    mode = resolve(spec, args, self.oracle, resp3 if conn == 0 else False)
                except Unsafe:
                    return None
                a, b = (s if conn == 0 else s2).roundtrip(args)
            if mode is None or isinstance(a, str) or isinstance(b, str) or not compare(mode, a, b):
                return None
            if want is not None and (seq[-1][0][0].upper(), shape_sig(a), shape_sig(b)) != want:
                return None
            return a, b
        finally:
            s.close()
            s2.close()

    def minimize(self, seq, sig, resp3):
        deadline = time.monotonic() + self.opts.minimize_time
        if not seq or not self.replay(seq, resp3, sig):
            return None
        body, last = seq[:-1], seq[-1]
        test = lambda b: time.monotonic() < deadline and self.replay(b + [last], resp3, sig)  # noqa
        n = 2
        while len(body) >= 2 and time.monotonic() < deadline:
            chunk = int(math.ceil(len(body) / n))
            removed = False
            for i in range(0, len(body), chunk):
                cand = body[:i] + body[i + chunk:]
                if test(cand):
                    body, removed = cand, True
                    n = max(n - 1, 2)
                    break
            if not removed:
                if n >= len(body):
                    break
                n = min(len(body), n * 2)
        i = 0
        while i < len(body) and time.monotonic() < deadline:  # one-by-one pass
            cand = body[:i] + body[i + 1:]
            if test(cand):
                body = cand
            else:
                i += 1
        return body + [last]

    # -- probes
    def probe(self, full):
        for k in KEYS:
            if not self.step(["TYPE", k], ("exact",), probe=True):
                return False
            typ = self.last_ref
            t = typ[1:-2].decode() if isinstance(typ, bytes) else "none"
            lencmd = {"string": "STRLEN", "hash": "HLEN", "list": "LLEN", "set": "SCARD",
                      "zset": "ZCARD"}.get(t)
            if lencmd and not self.step([lencmd, k], ("exact",), probe=True):
                return False
            if not self.step(["PTTL", k], ("ttl",), probe=True):
                return False
            if full and t != "none":
                cmd, spec = {"string": (["GET", k], ("exact",)),
                             "hash": (["HGETALL", k], ("hashenc", k)),
                             "list": (["LRANGE", k, "0", "-1"], ("exact",)),
                             "set": (["SMEMBERS", k], ("setenc", k)),
                             "zset": (["ZRANGE", k, "0", "-1", "WITHSCORES"], ("exact",))}[t]
                if not self.step(cmd, spec, probe=True):
                    return False
        return self.step(["DBSIZE"], ("exact",), probe=True)

    def mutate(self, args):
        """Wrong arity / extra argument / odd command casing, now and then."""
        # Truncation could make a valid RANDOMKEY (say) of a wrong-arity probe sent in
        # odd casing, or COMMAND / TIME / CLIENT ID: none of them exact-comparable.
        if args[0].upper() in RANDOM_CMDS or args[0].upper() in ("COMMAND", "TIME", "CLIENT"):
            return args
        x = self.rng.random()
        if x < 0.02 and len(args) > 1:
            args = args[:self.rng.randint(1, len(args) - 1)]
        elif x < 0.04:
            args = args + [self.rng.choice(EXTRA)]
        elif x < 0.04 + self.opts.shape_share and len(args) > 2 and len(args) < 40:
            m = self.shape_mutate(args)
            if ttl_safe(m, self.gen.t0):
                args = m
        if self.rng.random() < 0.15:
            args = ["".join(c.upper() if self.rng.random() < 0.5 else c.lower() for c in args[0])] + args[1:]
        return args

    def shape_mutate(self, args):
        """Argument-shape mutation after the key: an argument repeated, two swapped, one
        dropped (missing option value), or a number made non-numeric."""
        args = list(args)
        r = self.rng
        i = r.randrange(2, len(args))
        c = r.randrange(4)
        if c == 0:
            args.insert(i, args[i])
        elif c == 1 and len(args) > 3:
            j = r.randrange(2, len(args))
            args[i], args[j] = args[j], args[i]
        elif c == 2:
            del args[i]
        else:
            nums = [j for j in range(2, len(args)) if looks_int(args[j]) or looks_float(args[j])]
            if nums:
                args[r.choice(nums)] = r.choice(["abc", "1.5", "", " 1", "1e", "0x1", "9223372036854775808",
                                                 "-", "+", "1abc"])
        return args

    def run_script(self, st):
        """Run a Script; returns False on a mismatch."""
        exists = []
        for conn, args, spec, mutable in st:
            if mutable:
                args = self.mutate(args)
            if args and args[0].upper() == "SET" and len(args) > 1 and \
                    any(a.upper() in ("EXAT", "PXAT") for a in args[3:]):
                exists.append(args[1])
            if not self.step(args, spec, conn=conn):
                return False
        for k in exists:  # see the SET ... EXAT note in run()
            if not self.step(["EXISTS", k], ("exact",), probe=True):
                return False
        return True

    def run(self):
        deadline = time.monotonic() + self.opts.time_limit
        n = 0
        session_left = 0
        next_probe = self.rng.randint(3, 15)
        next_full = self.rng.randint(50, 150)
        try:
            while n < self.opts.commands and time.monotonic() < deadline:
                n += 1
                session_left -= 1
                try:
                    if session_left < 0:
                        self.new_session()
                        session_left = self.rng.randint(200, 2000)
                    args, spec = self.gen.gen()
                    if isinstance(args, Script):
                        ok = self.run_script(args)
                        args = ["SCRIPT"]
                    else:
                        args = self.mutate(args)
                        ok = self.step(args, spec)
                    if ok and args[0].upper() == "SET" and len(args) > 1 and \
                            any(a.upper() in ("EXAT", "PXAT") for a in args[3:]):
                        # Redis 7.0 stores SET ... EXAT/PXAT <past> and drops it lazily, so
                        # DBSIZE would count it until the active expire cycle runs. EXISTS
                        # makes both servers drop it now.
                        ok = self.step(["EXISTS", args[1]], ("exact",), probe=True)
                    if ok:
                        next_probe -= 1
                        next_full -= 1
                        if next_probe <= 0 or next_full <= 0:
                            ok = self.probe(full=next_full <= 0)
                            next_probe = self.rng.randint(3, 15)
                            if next_full <= 0:
                                next_full = self.rng.randint(50, 150)
                except (ServerDied, RuntimeError, OSError) as e:
                    if isinstance(e, ServerDied):
                        dead = e.args[0]
                    else:
                        try:
                            self.check_alive(wait=(0, 1))
                            dead = []
                        except ServerDied as e2:
                            dead = e2.args[0]
                    if not dead:
                        raise
                    before = len(self.mismatches)
                    self.handle_death(dead)
                    session_left = 0
                    if len(self.mismatches) > before and not self.opts.keep_going:
                        break
                    continue
                if not ok:
                    if not self.opts.keep_going or len(self.mismatches) >= MAX_DISTINCT:
                        break
                    # resynchronise: the next session starts with FLUSHALL
                    self.force_flush = True
                    session_left = 0
            else:
                if n < self.opts.commands:
                    print("time limit reached after %d commands" % n)
            if not self.mismatches and self.session:
                try:
                    self.probe(full=True)
                except (ServerDied, RuntimeError):
                    print("NOTE: a server exited during the final probe")
        finally:
            if self.session:
                self.session.close()
        return n


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        usage="%(prog)s [--seed N] [--commands N] [--time-limit SEC] [--keep-going] "
              "[--minimize|--no-minimize] [--resp3-share F] [--no-bulk] [--stats] [--sut {ringcache,redis}] "
              "[--families LIST] [--shape-share F]")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--commands", type=int, default=20000)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--keep-going", action="store_true")
    ap.add_argument("--minimize", dest="minimize", action="store_true", default=None)
    ap.add_argument("--no-minimize", dest="minimize", action="store_false")
    ap.add_argument("--minimize-time", type=float, default=30.0, help="seconds per mismatch")
    ap.add_argument("--resp3-share", type=float, default=0.3)
    ap.add_argument("--stats", action="store_true", help="print reply classes per command")
    ap.add_argument("--no-bulk", action="store_true",
                    help="never send the rare big writes that cross the encoding thresholds")
    ap.add_argument("--sut", choices=["ringcache", "redis"], default="ringcache")
    ap.add_argument("--families", default=",".join(ALL_FAMILIES),
                    help="comma-separated families to generate (default all: %s)" % ",".join(ALL_FAMILIES))
    ap.add_argument("--shape-share", type=float, default=0.04,
                    help="share of commands given an argument-shape mutation (default 0.04)")
    opts = ap.parse_args()
    fams = [f.strip() for f in opts.families.split(",") if f.strip()]
    bad = [f for f in fams if f not in ALL_FAMILIES]
    if bad or not fams:
        ap.error("unknown families %s (known: %s)" % (bad, ",".join(ALL_FAMILIES)))
    opts.families = fams
    if opts.seed is None:
        opts.seed = random.SystemRandom().randrange(2 ** 32)
    if opts.minimize is None:
        opts.minimize = not opts.keep_going
    os.environ.setdefault("RINGCACHE_BIN", DEFAULT_BIN)
    print("seed %d (commands=%d, time limit=%gs%s)" % (opts.seed, opts.commands, opts.time_limit,
                                                       ", keep going" if opts.keep_going else ""),
          flush=True)

    servers = []

    def start():
        """(Re)start both servers; returns [reference, sut]."""
        for s in servers:
            s.stop()
        servers.clear()
        ref_port = D.free_port()
        servers.append(D.Server("redis", D.redis_argv(ref_port), ref_port,
                                cwd=D.tempfile.gettempdir()))
        sut_port = D.free_port()
        while sut_port == ref_port:
            sut_port = D.free_port()
        argv = D.redis_argv(sut_port) if opts.sut == "redis" else D.sut_argv(sut_port)
        servers.append(D.Server(opts.sut, argv, sut_port,
                                cwd=D.tempfile.gettempdir() if opts.sut == "redis" else None))
        for s in servers:
            s.wait_ready()
        print("reference redis-server on %d (pid %d), sut (%s) on %d (pid %d)"
              % (ref_port, servers[0].proc.pid, opts.sut, sut_port, servers[1].proc.pid), flush=True)
        return list(servers)

    try:
        start()
        t0 = time.monotonic()
        fz = Fuzzer(opts, list(servers), start)
        n = fz.run()
        dt = time.monotonic() - t0
        if opts.stats:
            print("reference reply classes per command (generated commands only):")
            for name in sorted(fz.stats):
                st = fz.stats[name]
                print("  %-18s %6d  %s" % (name, sum(st.values()), "  ".join(
                    "%s=%d" % kv for kv in sorted(st.items(), key=lambda kv: -kv[1]))))
        if fz.mismatches:
            print("=" * 78)
            print("seed %d: %d distinct mismatch(es) in %d generated commands (%d sent incl. probes), "
                  "%.1fs, %d server restart(s)" % (opts.seed, len(fz.mismatches), n, fz.sent, dt, fz.restarts))
            for sig in fz.mismatches:
                print("  %s  ref=%s  sut=%s" % sig)
            return 1
        print("seed %d: clean, %d generated commands (%d sent incl. probes), %.1fs, %d server restart(s)"
              % (opts.seed, n, fz.sent, dt, fz.restarts))
        return 0
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
