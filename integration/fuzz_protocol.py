#!/usr/bin/env python3
"""Protocol-level differential fuzzer: raw (often malformed) RESP bytes, ringcache node vs.
redis-server 7.0, compared byte for byte.

Each case is a byte string built from a grammar of RESP2 requests (multibulk and inline
PING/ECHO/SET/GET/DEL/INCR/LPUSH/HSET/MULTI/EXEC/..., AUTH/HELLO/QUIT) and then mutated:
wrong `*`/`$` counts (negative, 1048577, 2147483648, 9223372036854775808, non-numeric, empty,
`+3`, `-0`, `03`, ...), bare or missing `\\r`/`\\n` terminators, payloads shorter/longer than
declared, another type byte where `$` is expected, nested `*`, `*0`, `*-1`, inline commands
with quotes, escapes, unbalanced quotes, tabs, lines longer than 64 KB, NUL bytes, pipelines,
truncation. The same bytes are written to a fresh connection to each server, split into the
same writes (1 ms apart). Replies are read until the server closes the connection, or until
it has been silent for a while after the last write; the result is (reply bytes, closed/open).

Modes (picked per case): resp2; resp3 (an unmutated HELLO 3 is written first); auth (a second
pair of servers started with requirepass secret; AUTH/HELLO ... AUTH variants are frequent).

Reported: reply streams differ, one closed and the other did not, the key space differs
afterwards (DBSIZE + sorted KEYS *), and for ringcache alone: the process died, or a new
connection got no PING reply within 2 s after the case. Every mismatch found with the fast
reader is re-run twice with the slow reader (fixed 500 ms silence) and only reported if it
reproduces; then it is shrunk (fewer writes, fewer lines, fewer bytes; bounded in time).

--keep-going: mismatches are grouped by class (kind + first differing reply's type/error
prefix + closed flags); each class is confirmed, shrunk and printed once, later cases of a
known class are only counted (the crash/hang checks still run for every case); it stops after
--max-distinct classes (default 50). --sut redis runs a second redis-server as the SUT
(harness self-check; must be clean).

Waiting for silence: a small model of Redis 7.0's request parser (processInlineBuffer /
processMultibulkBuffer, sdssplitargs) predicts how many replies to expect and whether the
server closes. A server counts as finished when it closed, or when it sent at least the
predicted number of complete replies and then stayed silent for --quiet-ms (default 40),
or when it was silent for --silence-ms (default 300) in any case; at most 3 s per case.
The model only decides how long to wait, never what is correct.

Normalisation / skipped (conservative):
  * A HELLO reply (an array/map whose first element is the bulk "server") is compared by keys
    exactly and values by shape only (id and version differ).
  * Timing-dependent cases are run (crash/hang checks) but their replies are not compared: an
    inline line or a `*`/`$` header line longer than 64 KB whose terminator is in the data.
    Redis 7.0 answers "too big inline request" / "too big mbulk count string" only if one of
    its reads ends while > 64 KB of the line sit in the buffer without a terminator, and its
    read size grows with the query buffer (16 KB, then the free space of a greedily grown
    buffer), so a 100 KB line written at once is sometimes rejected and sometimes executed.
    Long lines are generated terminated only up to 60000 bytes, longer ones unterminated.
  * Valid `$` lengths above the payload sent leave both servers waiting: equal if both say
    nothing and stay open. Lengths up to proto-max-bulk-len are only declared, never sent.
  * Write errors (EPIPE/ECONNRESET after a server closed) are not compared; only what was read.
  * No command whose reply is random or time dependent (TTL, TIME, CLIENT ID, INFO, KEYS ...).

Found with it (ringcache node vs redis-server 7.0.15, each checked by hand on fresh servers).
Fixed since, each with a case in integration/cases/protocol.txt or a cargo test:
  * a quote inside an unquoted inline token opens a quoted part (sdssplitargs):
    b'ECHO a"b c"\n' -> b'$4\r\nab c\r\n', b'y"\n' -> "unbalanced quotes" + close;
  * any isspace() byte (also \x0b) separates after a closing quote;
  * a NUL before an inline line's '\n' hides it (strchr): b'PING\x00\r\n' -> no reply yet;
  * "expected '$', got ' '" for CR/LF;
  * requirepass: HELLO's NOAUTH text, HELLO SETNAME checked before auth, EXEC before AUTH ->
    -EXECABORT ... NOAUTH.
  * a `*`/`$` header line ends at '\r' plus any one byte (strchr('\r'), the next byte skipped
    unread: b'*1\r\n$4\r*PING\r\n' -> +PONG), a NUL before it hides it, and the '$' is
    looked at only once the line is complete;
  * "expected '$', got '%c'" echoes the byte raw (b'\xff');
  * HELLO options are taken in order: AUTH is checked when reached (HELLO 3 AUTH default
    secret BOGUS authenticates, then fails on BOGUS).
  * an argument quoted in an error text stops at its first NUL, as C's %s does (HELLO 2
    'FO\0O' -> "Syntax error in HELLO option 'FO'"; CLIENT LIST TYPE and CONFIG SET too).
  Since then seeds 11-15 and 30-43 x 1500 cases run clean (seeds 35 and 40 once the
  timing-dependent check walked lines as Redis reads them); .ci/run runs seed 11 x 1000.
  No crash, hang, key-space difference or reply on a new connection was seen (~10,000 cases).

Usage:
    python3 integration/fuzz_protocol.py [--seed N] [--cases N] [--time-limit SEC] [--keep-going]
                                         [--modes resp2,resp3,auth] [--sut redis] [--no-shrink]
                                         [--shrink-time SEC] [--quiet-ms MS] [--silence-ms MS]
                                         [--show-case N] [--max-distinct N]

Environment: RINGCACHE_BIN (default target/release/ringcache), RINGCACHE_CMD, REDIS_SERVER as in
differential.py (whose server start/stop and free-port helpers are reused).

Exit status: 0 clean, 1 mismatch(es), 2 setup problem.
"""

import argparse
import os
import random
import selectors
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import differential as D  # noqa: E402

DEFAULT_BIN = "target/release/ringcache"
PASSWORD = b"secret"
CASE_CAP = 3.0          # max seconds of reading per case after the last write
MAX_REPLY = 4 << 20     # stop collecting reply bytes beyond this
INLINE_MAX = 64 * 1024  # PROTO_INLINE_MAX_SIZE
PAUSE = 0.001           # between the writes of one case


# --------------------------------------------------------------------------- Redis parser model

def string2ll(s):
    """Redis util.c string2ll: strict decimal, no '+', no leading zeros, no '-0'."""
    if not s or len(s) > 20:
        return None
    if s == b"0":
        return 0
    neg = s[:1] == b"-"
    d = s[1:] if neg else s
    if not d or not (49 <= d[0] <= 57) or not all(48 <= c <= 57 for c in d):
        return None
    v = int(d)
    if neg:
        return -v if v <= 2 ** 63 else None
    return v if v < 2 ** 63 else None


ISSPACE = b" \t\n\v\f\r"
HEX = b"0123456789abcdefABCDEF"


def sdssplitargs(line):
    """Port of sds.c sdssplitargs (line has no NUL). Returns a list of bytes, or None."""
    out, p, n = [], 0, len(line)

    def at(i):
        return line[i] if i < n else 0
    while True:
        while p < n and line[p] in ISSPACE:
            p += 1
        if p >= n:
            return out
        cur, inq, insq, done = bytearray(), False, False, False
        while not done:
            c = at(p)
            if inq:
                if c == 92 and at(p + 1) == 120 and at(p + 2) in HEX and at(p + 3) in HEX \
                        and at(p + 2) and at(p + 3):
                    cur.append(int(line[p + 2:p + 4], 16))
                    p += 3
                elif c == 92 and at(p + 1):
                    p += 1
                    e = line[p]
                    cur.append({110: 10, 114: 13, 116: 9, 98: 8, 97: 7}.get(e, e))
                elif c == 34:
                    if at(p + 1) and at(p + 1) not in ISSPACE:
                        return None
                    done = True
                elif not c:
                    return None
                else:
                    cur.append(c)
            elif insq:
                if c == 92 and at(p + 1) == 39:
                    p += 1
                    cur.append(39)
                elif c == 39:
                    if at(p + 1) and at(p + 1) not in ISSPACE:
                        return None
                    done = True
                elif not c:
                    return None
                else:
                    cur.append(c)
            else:
                if c in (32, 10, 13, 9, 0):
                    done = True
                elif c == 34:
                    inq = True
                elif c == 39:
                    insq = True
                else:
                    cur.append(c)
            if c:
                p += 1
        out.append(bytes(cur))


def timing_dependent(data):
    """True if some inline line or `*`/`$` header line is longer than 64 KB and still gets its
    terminator within `data`. Redis 7.0 answers "too big ..." only if one of its reads ends
    while more than 64 KB of that line are buffered without the terminator, and its read sizes
    grow with the query buffer (16 KB, then whatever the greedy sds allocation leaves free), so
    the outcome depends on timing. Such cases are run (crash/hang checks) but not compared.

    Lines are walked as Redis reads them: a request starting with '*' is a multibulk (its
    count and `$` lines end at '\r' plus one skipped byte, each payload is followed by two
    skipped bytes), anything else an inline line ending at '\n' (a '$' outside a multibulk
    starts an inline line too); a NUL before a terminator hides it (strchr)."""
    pos, n, bulks_left = 0, len(data), 0
    while pos < n:
        header = bulks_left > 0 or data[pos:pos + 1] == b"*"
        ch = b"\r" if header else b"\n"
        i = data.find(ch, pos)
        z = data.find(b"\x00", pos)
        if i < 0 or (0 <= z < i):
            return False
        if i - pos >= INLINE_MAX:
            return True
        if not header:
            pos = i + 1
            continue
        ll = string2ll(data[pos + 1:i])
        if ll is None or data[pos:pos + 1] not in (b"*", b"$"):
            return False  # protocol error: the connection closes here
        if bulks_left == 0:  # the count line
            bulks_left = max(ll, 0)
            pos = i + 2
        elif ll < 0 or ll > 1 << 20:  # invalid, or a big payload only declared
            return False
        else:
            bulks_left -= 1
            pos = i + 2 + ll + 2
    return False


def model(data, auth_mode):
    """Predict (replies, closes) for `data` sent to a fresh Redis 7.0 connection."""
    pos, n, replies = 0, len(data), 0
    authed = not auth_mode
    resp = 2

    def cstr_find(ch, start):
        """strchr: stops at the first NUL."""
        i = data.find(ch, start)
        z = data.find(b"\x00", start)
        if i < 0 or (0 <= z < i):
            return -1
        return i
    while pos < n:
        args = None
        if data[pos:pos + 1] != b"*":
            nl = cstr_find(b"\n", pos)
            if nl < 0:
                return replies + (1 if n - pos > INLINE_MAX else 0), n - pos > INLINE_MAX
            end = nl - 1 if nl > pos and data[nl - 1:nl] == b"\r" else nl
            args = sdssplitargs(data[pos:end])
            if args is None:
                return replies + 1, True
            pos = nl + 1
        else:
            cr = cstr_find(b"\r", pos)
            if cr < 0:
                return replies + (1 if n - pos > INLINE_MAX else 0), n - pos > INLINE_MAX
            if cr - pos > n - pos - 2:
                return replies, False
            ll = string2ll(data[pos + 1:cr])
            if ll is None or ll > 2 ** 31 - 1:
                return replies + 1, True
            if ll > 10 and not authed:
                return replies + 1, True
            pos = cr + 2
            if ll <= 0:
                continue
            args = []
            while len(args) < ll:
                cr = cstr_find(b"\r", pos)
                if cr < 0:
                    return replies + (1 if n - pos > INLINE_MAX else 0), n - pos > INLINE_MAX
                if cr - pos > n - pos - 2:
                    return replies, False
                if data[pos:pos + 1] != b"$":
                    return replies + 1, True
                bl = string2ll(data[pos + 1:cr])
                if bl is None or bl < 0 or bl > 512 * 1024 * 1024:
                    return replies + 1, True
                if bl > 16384 and not authed:
                    return replies + 1, True
                pos = cr + 2
                if n - pos < bl + 2:
                    return replies, False
                args.append(data[pos:pos + bl])
                pos += bl + 2
        if not args:
            continue
        replies += 1
        name = args[0].lower()
        if name == b"quit":
            return replies, True
        if name == b"auth" and args[1:] in ([PASSWORD], [b"default", PASSWORD]) and auth_mode:
            authed = True
        if name == b"hello" and len(args) >= 2:
            v = string2ll(args[1])
            rest = [a.lower() for a in args[2:]]
            ok = v in (2, 3)
            if ok and auth_mode and b"auth" in rest:
                i = rest.index(b"auth")
                if args[2 + i + 1:2 + i + 3] == [b"default", PASSWORD]:
                    authed = True
            if ok and authed:
                resp = v
    return replies, False


# --------------------------------------------------------------------------- reply parsing

def split_replies(buf):
    """(list of complete reply bytes, trailing bytes that do not form a complete reply)."""
    out, pos = [], 0
    buf = bytes(buf)
    while pos < len(buf):
        try:
            e = D.reply_end(buf, pos)
        except ValueError:
            e = None
        if e is None:
            break
        out.append(buf[pos:e])
        pos = e
    return out, buf[pos:]


def normalise(reply):
    """HELLO replies: keys exact, values by shape. Everything else: raw bytes."""
    try:
        tree, _ = D.parse(reply)
    except (ValueError, IndexError):
        return reply

    def walk(node):
        kind, t, v = node
        if kind != "agg":
            return node
        if v and v[0] == ("bulk", b"$", b"server") and t in (b"*", b"%"):
            return ("hello", t, tuple(D.encode(k) if i % 2 == 0 else D.shape(k)
                                      for i, k in enumerate(v)))
        return ("agg", t, tuple(walk(k) for k in v))
    norm = walk(tree)
    return reply if norm == tree else repr(norm)


# --------------------------------------------------------------------------- generator

KEYS = [b"k", b"k2", b"n", b"l", b"h", b"a b"]
VALS = [b"v", b"", b"a b", b"\x00", b"\r\n", b'"q"', b"it's", b"\xc3\xa9", b"10", b"-1",
        b"9223372036854775807", b"x" * 100, b"\\x41", b"\t", b"*1", b"$3"]
HUGE_COUNTS = [b"-1", b"-5", b"0", b"1048577", b"2147483648", b"2147483647", b"9223372036854775808",
               b"9223372036854775807", b"abc", b"", b"+3", b"-0", b"03", b" 3", b"3 ", b"1.5",
               b"0x3", b"-2147483649", b"99999999999999999999", b"11", b"10"]
BULK_LENS = [b"-1", b"-2", b"", b"abc", b"+3", b"-0", b"03", b"536870912", b"536870913",
             b"2147483648", b"9223372036854775808", b"1048577", b"16384", b"16385", b" 3",
             b"99999999999999999999", b"0"]
TERMS = [b"\n", b"\r", b"", b"\r\r\n", b"\n\r", b"\rX", b"\r\n\r\n", b"\r\x00", b" \r\n"]
TYPE_BYTES = [b":", b"+", b"-", b"*", b"%", b"\x00", b"a", b"\r", b"\n", b"\xff", b"\t", b"~",
              b"#", b"$$"]


class Gen:
    def __init__(self, rng):
        self.r = rng

    def key(self):
        return self.r.choice(KEYS)

    def val(self):
        return self.r.choice(VALS)

    def command(self, mode):
        r = self.r
        auth = [[b"AUTH", PASSWORD], [b"AUTH", b"wrong"], [b"AUTH", b"default", PASSWORD],
                [b"AUTH", b"default", b"wrong"], [b"AUTH", b"nobody", PASSWORD], [b"AUTH"],
                [b"AUTH", b"a", b"b", b"c"], [b"auth", PASSWORD]]
        hello = [[b"HELLO"], [b"HELLO", b"2"], [b"HELLO", b"3"], [b"HELLO", b"4"], [b"HELLO", b"1"],
                 [b"HELLO", b"0"], [b"HELLO", b"-1"], [b"HELLO", b"abc"], [b"HELLO", b"3", b"AUTH",
                 b"default", PASSWORD], [b"HELLO", b"2", b"AUTH", b"default", b"wrong"],
                 [b"HELLO", b"3", b"AUTH", b"default"], [b"HELLO", b"3", b"SETNAME", b"x"],
                 [b"HELLO", b"3", b"AUTH", b"nobody", PASSWORD], [b"HELLO", b"2", b"FOO"],
                 [b"HELLO", b"4", b"AUTH", b"default", PASSWORD], [b"HELLO", b"3", b"SETNAME", b"a b"]]
        if mode == "auth" and r.random() < 0.35:
            return list(r.choice(auth + hello))
        if r.random() < 0.04:
            return list(r.choice(auth[:2] + hello))
        k, v = self.key(), self.val()
        c = r.choice([
            [b"PING"], [b"PING", v], [b"ECHO", v], [b"SET", k, v], [b"SET", k, v, b"NX"],
            [b"SET", k, v, b"GET"], [b"SET", k, v, b"EX", b"100"], [b"GET", k], [b"DEL", k, self.key()],
            [b"EXISTS", k], [b"INCR", b"n"], [b"INCRBY", b"n", v], [b"DECR", b"n"], [b"APPEND", k, v],
            [b"STRLEN", k], [b"MGET", k, self.key()], [b"MSET", k, v, self.key(), self.val()],
            [b"LPUSH", b"l", v, self.val()], [b"RPUSH", b"l", v], [b"LRANGE", b"l", b"0", b"-1"],
            [b"LLEN", b"l"], [b"HSET", b"h", v, self.val()], [b"HGET", b"h", v], [b"HGETALL", b"h"],
            [b"TYPE", k], [b"MULTI"], [b"EXEC"], [b"DISCARD"], [b"MULTI"], [b"EXEC"],
            [b"FOO", v], [b"GET"], [b""], [b"SELECT", b"0"], [b"SELECT", b"1"], [b"PING", v, v],
            [b"DBSIZE"], [b"ECHO"], [b"GET", k, k]])
        if r.random() < 0.015:
            c = [b"QUIT"]
        if r.random() < 0.1:
            c[0] = c[0].lower()
        return list(c)

    # -- rendering into pieces: (kind, bytes); kinds: count, len, payload, crlf, raw
    def multibulk(self, args):
        p = [("count", b"*%d" % len(args)), ("crlf", b"\r\n")]
        for a in args:
            p += [("len", b"$%d" % len(a)), ("crlf", b"\r\n"), ("payload", a), ("crlf", b"\r\n")]
        return p

    def inline_arg(self, a):
        r = self.r
        plain_ok = a and not any(c in b" \t\n\r\v\f\"'\x00" for c in a)
        x = r.random()
        if plain_ok and x < 0.6:
            return a
        if x < 0.85 or b"\n" in a or b"\r" in a or b"\x00" in a:
            out = bytearray(b'"')
            for c in a:
                if c in (34, 92):
                    out += b"\\" + bytes([c])
                elif c == 10:
                    out += b"\\n"
                elif c == 13:
                    out += b"\\r"
                elif c == 9:
                    out += r.choice([b"\\t", b"\t"])
                elif 32 <= c < 127 and r.random() < 0.8:
                    out.append(c)
                else:
                    out += (b"\\x%02x" if r.random() < 0.5 else b"\\x%02X") % c
            return bytes(out) + b'"'
        return b"'" + a.replace(b"'", b"\\'") + b"'"

    def inline(self, args):
        r = self.r
        seps = [b" ", b" ", b"  ", b"\t", b" \t "]
        parts = [self.inline_arg(a) for a in args]
        line = parts[0] if parts else b""
        for p in parts[1:]:
            line += r.choice(seps) + p
        if r.random() < 0.1:
            line = r.choice([b" ", b"\t", b"  "]) + line
        if r.random() < 0.1:
            line += r.choice([b" ", b"\t", b"\v"])
        term = r.choice([b"\r\n"] * 6 + [b"\n"] * 3 + [b"\r"])
        return [("inline", line), ("crlf", term)]

    def special(self):
        """A request that is not from the command grammar."""
        r = self.r
        x = r.random()
        if x < 0.15:
            return [("raw", r.choice([b"*0\r\n", b"*-1\r\n", b"*-5\r\n", b"\r\n", b"\n", b"   \r\n",
                                      b"\t\n", b"*0\n", b"*-1\n"]))]
        if x < 0.3:   # long inline line
            n = r.choice([30000, 60000, 70000, 100000])
            term = b"\r\n" if n <= 60000 else b""  # terminated long lines: timing dependent
            return [("inline", b"ECHO " + b"y" * n), ("crlf", term)]
        if x < 0.4:   # long bulk count / multibulk count string without \r
            return [("raw", r.choice([b"*", b"*1\r\n$"]) + b"1" * r.choice([100000, 120000]))]
        if x < 0.5:   # big, valid argument
            n = r.choice([16384, 16385, 32768, 70000])
            return self.multibulk([b"SET", b"big", b"z" * n])
        if x < 0.6:   # unbalanced / badly closed quotes
            return [("inline", r.choice([b'SET "a b', b"SET 'a b", b'SET "a"b c', b"SET 'a'b c",
                                         b'ECHO "\\x4"', b'ECHO "\\xZZ"', b'ECHO "\\x41\\x4a"',
                                         b'ECHO "a\\', b"ECHO 'it\\'s'", b'ECHO a"b c"',
                                         b'ECHO ""', b"ECHO ''", b'"" ECHO', b'ECHO "\\"'])),
                    ("crlf", r.choice([b"\r\n", b"\n"]))]
        if x < 0.7:   # nested / odd multibulk
            return [("raw", r.choice([b"*1\r\n*1\r\n$4\r\nPING\r\n", b"*2\r\n$4\r\nECHO\r\n*0\r\n",
                                      b"**1\r\n", b"*\r\n", b"$4\r\nPING\r\n", b"*1\r\n$4\r\nPING",
                                      b"*1\r\n$4\r\nPINGXX", b"*1\r\n$4\r\nPING\r\n\r\n",
                                      b"*1\r\n$0\r\n\r\n", b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"]))]
        if x < 0.8:   # NUL in an inline line
            return [("inline", r.choice([b"PING\x00", b"\x00", b"ECHO a\x00b", b"SET k \x00"])),
                    ("crlf", b"\r\n")]
        return [("inline", r.choice([b"*", b"+PING", b"-ERR", b":1", b"$4", b"%1", b"_", b">1"])),
                ("crlf", r.choice([b"\r\n", b"\n"]))]

    def mutate(self, pieces):
        r = self.r
        idx = lambda kind: [i for i, p in enumerate(pieces) if p[0] == kind]  # noqa: E731
        m = r.randrange(9)
        if m == 0 and idx("count"):
            i = r.choice(idx("count"))
            pieces[i] = ("count", b"*" + r.choice(HUGE_COUNTS))
        elif m == 1 and idx("len"):
            i = r.choice(idx("len"))
            n = len(pieces[i + 2][1]) if i + 2 < len(pieces) else 0
            pieces[i] = ("len", b"$" + r.choice(BULK_LENS + [b"%d" % (n + 1), b"%d" % max(n - 1, 0),
                                                            b"%d" % (n + 2), b"%d" % (n + 5)]))
        elif m == 2 and idx("crlf"):
            i = r.choice(idx("crlf"))
            pieces[i] = ("crlf", r.choice(TERMS))
        elif m == 3 and idx("len"):
            i = r.choice(idx("len"))
            pieces[i] = ("len", r.choice(TYPE_BYTES) + pieces[i][1][1:])
        elif m == 4 and idx("payload"):
            i = r.choice(idx("payload"))
            p = pieces[i][1]
            pieces[i] = ("payload", p[:-1] if p and r.random() < 0.5 else p + r.choice([b"x", b"xy", b"\r\n"]))
        elif m == 5 and pieces:
            i = r.randrange(len(pieces))
            k, p = pieces[i]
            j = r.randrange(len(p) + 1)
            pieces[i] = (k, p[:j] + b"\x00" + p[j:])
        elif m == 6 and idx("len"):
            i = r.choice(idx("len"))
            del pieces[i:i + 3]
            pieces[i:i] = [("raw", r.choice([b"*1\r\n$4\r\nPING", b"*0", b"*-1", b"*1\r\n*1\r\n$1\r\nx"]))]
        elif m == 7 and idx("inline"):
            i = r.choice(idx("inline"))
            p = pieces[i][1]
            j = r.randrange(len(p) + 1)
            pieces[i] = ("inline", p[:j] + r.choice([b'"', b"'", b"\\", b"\t", b"\\x", b'" ', b"\r",
                                                      b"\x00", b"\\x4", b"\n"]) + p[j:])
        elif pieces:
            i = r.randrange(len(pieces))
            k, p = pieces[i]
            if p:
                j = r.randrange(len(p))
                pieces[i] = (k, p[:j] + bytes([r.choice([0, 10, 13, 32, 34, 36, 42, 255, r.randrange(256)])])
                             + p[j + 1:])

    def case(self, mode):
        """Returns (prefix bytes written unmutated first, body bytes, split offsets in body)."""
        r = self.r
        reqs = []
        for _ in range(r.choice([1, 1, 2, 2, 3, 4, 6])):
            if r.random() < 0.15:
                reqs.append(self.special())
            else:
                args = self.command(mode)
                reqs.append(self.inline(args) if r.random() < 0.25 else self.multibulk(args))
        muts = r.choice([0, 0, 1, 1, 1, 2, 2, 3])
        for _ in range(muts):
            self.mutate(r.choice(reqs))
        body = b"".join(p for req in reqs for _, p in req)
        if r.random() < 0.08 and body:
            body = body[:r.randrange(len(body))]
        if r.random() < 0.05 and mode != "auth":  # the tail of a valid request follows later
            body += self.multibulk([b"PING"])[0][1] + b"\r\n$4\r\nPING\r\n"
        splits = []
        if len(body) > 1 and r.random() < 0.5:
            k = r.choice([1, 1, 2, 3, 5])
            cand = set(r.randrange(1, len(body)) for _ in range(k))
            if r.random() < 0.5:   # split inside a CRLF
                crs = [i + 1 for i in range(len(body) - 1) if body[i:i + 2] == b"\r\n"]
                if crs:
                    cand.add(r.choice(crs))
            splits = sorted(cand)
        prefix = b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n" if mode == "resp3" else b""
        return prefix, body, splits


def lit(b):
    """Python expression for bytes b, with runs of >= 32 equal bytes written as b'x' * n."""
    parts, i, n = [], 0, len(b)
    plain = bytearray()
    while i < n:
        j = i
        while j < n and b[j] == b[i]:
            j += 1
        if j - i >= 32:
            if plain:
                parts.append(repr(bytes(plain)))
                plain = bytearray()
            parts.append("%r * %d" % (b[i:i + 1], j - i))
        else:
            plain += b[i:j]
        i = j
    if plain or not parts:
        parts.append(repr(bytes(plain)))
    return " + ".join(parts)


def writes_of(prefix, body, splits):
    out = [prefix] if prefix else []
    last = 0
    for s in splits:
        out.append(body[last:s])
        last = s
    out.append(body[last:])
    return [w for w in out if w]


# --------------------------------------------------------------------------- running one case

class Side:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=2.0)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.closed = False
        self.write_failed = False
        self.last_rx = time.monotonic()

    def pump(self):
        while not self.closed:
            try:
                chunk = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.closed = True
                return
            if not chunk:
                self.closed = True
                return
            self.last_rx = time.monotonic()
            if len(self.buf) < MAX_REPLY:
                self.buf += chunk

    def send(self, data, deadline):
        view = memoryview(data)
        while view and not self.write_failed and time.monotonic() < deadline:
            self.pump()
            try:
                k = self.sock.send(view)
                view = view[k:]
            except (BlockingIOError, InterruptedError):
                sel = selectors.DefaultSelector()
                sel.register(self.sock, selectors.EVENT_WRITE | selectors.EVENT_READ)
                sel.select(0.01)
                sel.close()
            except OSError:
                self.write_failed = True
        if view:
            self.write_failed = True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def run_case(ports, writes, expect, quiet, silence):
    """Send `writes` to a fresh connection to each port; returns [(bytes, closed), ...]."""
    sides = [Side(p) for p in ports]
    try:
        for i, w in enumerate(writes):
            deadline = time.monotonic() + 2.0
            for s in sides:
                s.send(w, deadline)
            if i + 1 < len(writes):
                time.sleep(PAUSE)
        t_w = time.monotonic()
        sel = selectors.DefaultSelector()
        for s in sides:
            sel.register(s.sock, selectors.EVENT_READ, s)
        n_exp, closes = expect
        try:
            while True:
                now = time.monotonic()
                waits = []
                for s in sides:
                    s.pump()
                    if s.closed:
                        continue
                    idle = now - max(s.last_rx, t_w)
                    enough = not closes and n_exp is not None and len(split_replies(s.buf)[0]) >= n_exp
                    limit = quiet if enough else silence
                    if idle < limit:
                        waits.append(limit - idle)
                if not waits or now - t_w > CASE_CAP:
                    break
                sel.select(min(min(waits), t_w + CASE_CAP - now) + 0.001)
        finally:
            sel.close()
        return [(bytes(s.buf), s.closed) for s in sides]
    finally:
        for s in sides:
            s.close()


def describe(res):
    reps, tail = split_replies(res[0])
    return reps, tail, res[1]


def compare(results):
    """None if equal, else a short reason."""
    (ra, ta, ca), (rb, tb, cb) = describe(results[0]), describe(results[1])
    na = [normalise(x) for x in ra]
    nb = [normalise(x) for x in rb]
    if na == nb and ta == tb and ca == cb:
        return None
    if na == nb and ta == tb:
        return "closed" if cb else "open"
    if len(nb) > len(na) and nb[:len(na)] == na:
        return "extra-replies"
    if len(nb) < len(na) and na[:len(nb)] == nb:
        return "missing-replies"
    return "bytes"


def signature(why, res):
    """Coarse class of a mismatch, to shrink/report each kind once (--keep-going)."""
    if not res:
        return (why,)
    (ra, ta, ca), (rb, tb, cb) = describe(res[0]), describe(res[1])
    i = 0
    while i < min(len(ra), len(rb)) and normalise(ra[i]) == normalise(rb[i]):
        i += 1

    def cls(reps, tail):
        x = reps[i] if i < len(reps) else tail
        x = bytes(x[:40])
        return x.split(b"'")[0] if x[:1] == b"-" else x[:1]
    return (why, cls(ra, ta), cls(rb, tb), ca, cb)


# --------------------------------------------------------------------------- servers / control

class Control:
    """Authenticated control connection (FLUSHALL, key space)."""

    def __init__(self, port, auth):
        self.port, self.auth = port, auth
        self.c = D.Conn(port)
        if auth:
            self.c.send(D.encode_command([b"AUTH", PASSWORD]))
            got = self.c.read_reply()
            if got != b"+OK\r\n":
                raise RuntimeError("control AUTH on %d failed: %r" % (port, got))

    def cmd(self, *args):
        self.c.send(D.encode_command(list(args)))
        return self.c.read_reply()

    def keyspace(self):
        size = self.cmd(b"DBSIZE")
        keys = self.cmd(b"KEYS", b"*")
        try:
            ks = sorted(D.encode(k) for k in D.parse(keys)[0][2])
        except Exception:  # noqa: BLE001
            ks = keys
        return size, ks

    def close(self):
        self.c.close()


def ping_new(port, timeout=2.0):
    """True if a new connection gets +PONG (or -NOAUTH) within timeout."""
    deadline = time.monotonic() + timeout
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError:
        return False
    try:
        s.settimeout(timeout)
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        buf = b""
        while time.monotonic() < deadline:
            chunk = s.recv(4096)
            if not chunk:
                return False
            buf += chunk
            if buf.endswith(b"\r\n"):
                return buf == b"+PONG\r\n" or buf.startswith(b"-NOAUTH")
        return False
    except OSError:
        return False
    finally:
        s.close()


def wait_ready(server, timeout=15.0):
    """Poll PING (+PONG, or -NOAUTH under requirepass) until the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        if ping_new(server.port, 1.0):
            return
        time.sleep(0.05)  # poll interval, bounded by the deadline
    server.stop()
    sys.stderr.write("%s did not become ready on port %d; log:\n%s\n"
                     % (server.name, server.port, server.log_tail()))
    raise SystemExit(2)


class Servers:
    """Reference + SUT, one pair for modes resp2/resp3 and one (requirepass) for auth."""

    def __init__(self, opts):
        self.opts = opts
        self.pairs = {}
        self.ctl = {}
        self.restarts = 0

    def start(self, auth):
        key = "auth" if auth else "plain"
        self.stop(key)
        extra = ["--requirepass", PASSWORD.decode()] if auth else []
        ref_port = D.free_port()
        ref = D.Server("redis-" + key, D.redis_argv(ref_port) + extra, ref_port,
                       cwd=D.tempfile.gettempdir())
        self.pairs[key] = [ref]  # registered at once: stop_all() must find it if the SUT fails
        sut_port = D.free_port()
        while sut_port == ref_port:
            sut_port = D.free_port()
        argv = D.redis_argv(sut_port) if self.opts.sut == "redis" else D.sut_argv(sut_port)
        sut = D.Server("%s-%s" % (self.opts.sut, key), argv + extra, sut_port,
                       cwd=D.tempfile.gettempdir() if self.opts.sut == "redis" else None)
        self.pairs[key].append(sut)
        for s in (ref, sut):
            wait_ready(s)
        self.ctl[key] = [Control(ref_port, auth), Control(sut_port, auth)]
        print("%s: reference redis-server on %d (pid %d), sut %s on %d (pid %d)"
              % (key, ref_port, ref.proc.pid, self.opts.sut, sut_port, sut.proc.pid), flush=True)

    def ports(self, mode):
        return tuple(s.port for s in self.pairs["auth" if mode == "auth" else "plain"])

    def stop(self, key):
        for c in self.ctl.pop(key, []):
            c.close()
        for s in self.pairs.pop(key, []):
            s.stop()

    def stop_all(self):
        for key in list(self.pairs):
            self.stop(key)


class Fuzzer:
    def __init__(self, opts, servers):
        self.opts = opts
        self.srv = servers
        self.found = {}
        self.seen = {}
        self.dups = 0
        self.uncompared = 0
        self.cases_run = 0

    def attempt(self, mode, prefix, body, splits, slow=False):
        """Run one case; returns (reason or None, results, extra info).
        Timing-dependent cases (see timing_dependent) only get the crash/hang checks."""
        exact = not timing_dependent(prefix + body)
        key = "auth" if mode == "auth" else "plain"
        if key not in self.srv.pairs:
            self.srv.start(mode == "auth")
        ctl = self.srv.ctl[key]
        for c in ctl:
            if c.cmd(b"FLUSHALL") != b"+OK\r\n":
                return "flushall-failed", None, ""
        ports = self.srv.ports(mode)
        expect = model(prefix + body, mode == "auth")
        if slow:
            expect = (None, False)
        q, sil = self.opts.quiet_ms / 1000.0, (500 if slow else self.opts.silence_ms) / 1000.0
        writes = writes_of(prefix, body, splits)
        try:
            res = run_case(ports, writes, expect, q, sil)
        except OSError as e:
            res = None
            why, info = "connect-failed", str(e)
        else:
            why, info = (compare(res) if exact else None), ""
        sut = self.srv.pairs[key][1]
        if sut.proc.poll() is not None:
            info = "sut exited with %s; log tail:\n%s" % (sut.proc.returncode, sut.log_tail())
            self.srv.start(mode == "auth")
            self.srv.restarts += 1
            return "sut-died", res, info
        if not ping_new(ports[1]):
            alive = sut.proc.poll() is None
            info = "no PING reply on a new connection within 2 s (process %s)" % (
                "still running" if alive else "exited")
            self.srv.start(mode == "auth")
            self.srv.restarts += 1
            return "sut-hang", res, info
        if why is None and exact:
            ka, kb = ctl[0].keyspace(), ctl[1].keyspace()
            if ka != kb:
                return "keyspace", res, "reference %r\n  sut       %r" % (ka, kb)
        return why, res, info

    def confirm(self, mode, prefix, body, splits, why):
        """Re-run a fast-path mismatch with the slow reader; keep it only if it reproduces."""
        if why in ("sut-died", "sut-hang"):
            again = self.attempt(mode, prefix, body, splits, slow=True)[0]
            return again == why or why == "sut-died"
        hits = 0
        for _ in range(2):
            if self.attempt(mode, prefix, body, splits, slow=True)[0] is not None:
                hits += 1
        return hits == 2

    def shrink(self, mode, prefix, body, splits, why, sig=None):
        """Smaller case with the same mismatch class (signature); bounded by --shrink-time."""
        deadline = time.monotonic() + self.opts.shrink_time
        tries = 0

        def same(b, s):
            nonlocal tries
            tries += 1
            w, res, _ = self.attempt(mode, prefix, b, s)
            return w == why and (sig is None or signature(w, res) == sig)

        # fewer writes
        for s in list(splits):
            if time.monotonic() > deadline:
                break
            cand = [x for x in splits if x != s]
            if same(body, cand):
                splits = cand

        def remove(b, s, lo, hi):
            nb = b[:lo] + b[hi:]
            ns = sorted(set(x if x <= lo else x - (hi - lo) for x in s if not lo < x < hi))
            return nb, [x for x in ns if 0 < x < len(nb)]
        chunk = max(1, len(body) // 2)
        while chunk >= 1 and time.monotonic() < deadline:
            i, progress = 0, False
            while i < len(body) and time.monotonic() < deadline:
                nb, ns = remove(body, splits, i, min(len(body), i + chunk))
                if nb and same(nb, ns):
                    body, splits, progress = nb, ns, True
                else:
                    i += chunk
            if not progress:
                if chunk == 1:
                    break
                chunk //= 2
        return body, splits, tries

    def report(self, n, mode, prefix, body, splits, why, res, info, seed):
        print("=" * 78)
        print("MISMATCH seed %d case %d mode %s: %s" % (seed, n, mode, why))
        print("  writes: [%s]" % ", ".join(lit(w) for w in writes_of(prefix, body, splits)))
        print("  body:   %s" % lit(body))
        print("  splits: %r%s" % (splits, "  (prefix %r written first)" % prefix if prefix else ""))
        if res:
            for name, (b, closed) in zip(("reference", "sut      "), res):
                print("  %s %s %s" % (name, "closed" if closed else "open  ", lit(b[:4000])))
        if info:
            print("  " + info)
        sys.stdout.flush()

    def run(self):
        o = self.opts
        rng = random.Random(o.seed)
        gen = Gen(rng)
        t0 = time.monotonic()
        modes = o.modes
        for n in range(1, o.cases + 1):
            if time.monotonic() - t0 > o.time_limit:
                print("time limit reached after %d cases" % (n - 1))
                break
            mode = rng.choice(modes)
            prefix, body, splits = gen.case(mode)
            if timing_dependent(prefix + body):
                self.uncompared += 1
            if o.show_case == n:
                print("case %d mode %s writes [%s]" % (n, mode, ", ".join(
                    lit(w) for w in writes_of(prefix, body, splits))))
            why, res, info = self.attempt(mode, prefix, body, splits)
            self.cases_run = n
            if why is None:
                continue
            sig0 = signature(why, res)
            if sig0 in self.seen and o.keep_going:
                # a class already confirmed and reported: count it, do not re-run or shrink
                self.dups += 1
                continue
            if not self.confirm(mode, prefix, body, splits, why):
                print("case %d (%s): fast-path difference %s did not reproduce with the slow reader; "
                      "ignored (expected %r; ref %s %s; sut %s %s)" % (
                          n, mode, why, model(prefix + body, mode == "auth"),
                          "closed" if res[0][1] else "open", lit(res[0][0][:300]),
                          "closed" if res[1][1] else "open", lit(res[1][0][:300])) if res else "",
                      flush=True)
                continue
            if sig0 in self.seen:
                self.dups += 1
                print("case %d (%s): %s, same class as case %d (not shrunk again): body %s" % (
                    n, mode, why, self.seen[sig0], lit(body)[:300]), flush=True)
                if not o.keep_going:
                    break
                continue
            self.seen[sig0] = n
            self.report(n, mode, prefix, body, splits, why, res, info, o.seed)
            if o.shrink:
                b2, s2, tries = self.shrink(mode, prefix, body, splits, why, sig0)
                if (b2, s2) != (body, splits) and self.confirm(mode, prefix, b2, s2, why):
                    w2, r2, i2 = self.attempt(mode, prefix, b2, s2, slow=True)
                    print("  shrunk (%d attempts):" % tries)
                    self.report(n, mode, prefix, b2, s2, w2 or why, r2, i2, o.seed)
                    sig = (mode, why, b2)
                else:
                    sig = (mode, why, body)
            else:
                sig = (mode, why, body)
            self.found[sig] = n
            if not o.keep_going or len(self.found) >= o.max_distinct:
                break
        return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--keep-going", action="store_true")
    ap.add_argument("--modes", default="resp2,resp3,auth")
    ap.add_argument("--sut", choices=["ringcache", "redis"], default="ringcache")
    ap.add_argument("--no-shrink", dest="shrink", action="store_false")
    ap.add_argument("--shrink-time", type=float, default=60.0)
    ap.add_argument("--quiet-ms", type=float, default=40.0)
    ap.add_argument("--silence-ms", type=float, default=300.0)
    ap.add_argument("--show-case", type=int, default=None, help="print the bytes of case N")
    ap.add_argument("--max-distinct", type=int, default=50,
                    help="with --keep-going: stop after this many distinct mismatch classes")
    o = ap.parse_args()
    o.modes = [m.strip() for m in o.modes.split(",") if m.strip()]
    if not o.modes or any(m not in ("resp2", "resp3", "auth") for m in o.modes):
        ap.error("--modes: resp2, resp3, auth")
    if o.seed is None:
        o.seed = random.SystemRandom().randrange(2 ** 32)
    os.environ.setdefault("RINGCACHE_BIN", DEFAULT_BIN)
    print("seed %d (cases=%d, time limit=%gs, modes=%s%s)" % (
        o.seed, o.cases, o.time_limit, ",".join(o.modes), ", keep going" if o.keep_going else ""),
        flush=True)
    srv = Servers(o)
    try:
        try:
            if any(m != "auth" for m in o.modes):
                srv.start(False)
            if "auth" in o.modes:
                srv.start(True)
        except (RuntimeError, OSError) as e:
            print("setup failed: %s" % e)
            return 2
        fz = Fuzzer(o, srv)
        dt = fz.run()
        if fz.found:
            print("=" * 78)
            print("seed %d: %d distinct mismatch(es) (+%d of an already reported class) in %d cases, "
                  "%.1fs, %d server restart(s)" % (o.seed, len(fz.found), fz.dups, fz.cases_run, dt,
                                                   srv.restarts))
            for (mode, why, body), n in fz.found.items():
                print("  case %d %s %s %s" % (n, mode, why, lit(body)[:300]))
            return 1
        print("seed %d: clean, %d cases (%d of them timing dependent: crash/hang checks only), "
              "%.1fs, %d server restart(s)" % (o.seed, fz.cases_run, fz.uncompared, dt, srv.restarts))
        return 0
    finally:
        srv.stop_all()


if __name__ == "__main__":
    sys.exit(main())
