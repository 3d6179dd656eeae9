#!/usr/bin/env python3
"""Differential test: ringcache node vs. a real redis-server, compared byte for byte.

Starts a reference redis-server and the system under test (SUT), runs every case in
integration/cases/*.txt against both over raw RESP sockets and compares the raw reply
bytes (or a normalised form of them, see "compare modes" below and integration/README.md).

Usage:
    python3 integration/differential.py                 # SUT = ringcache node
    python3 integration/differential.py --sut redis     # SUT = a second redis-server
    python3 integration/differential.py -k              # keep going, report all failures
    python3 integration/differential.py -f strings/     # only cases whose name contains this
    python3 integration/differential.py --dump          # print every command and reference reply

Environment:
    RINGCACHE_BIN   path of the ringcache binary (default target/release/ringcache)
    RINGCACHE_CMD   full SUT command; "{port}" is replaced by the chosen port
                    (default: "$RINGCACHE_BIN node --listen 127.0.0.1:{port}")
    REDIS_SERVER    reference redis-server binary (default: redis-server)

Case file format (integration/cases/<family>.txt):
    # comment                      (also blank lines are ignored)
    === case-name                  starts a case; every case runs on a fresh connection
                                   pair after FLUSHALL
    SET k "a b\\x00\\r\\n"         a command; arguments are split like redis-cli/sdssplitargs:
                                   "double quotes" understand \\n \\r \\t \\b \\a \\\\ \\" \\xHH,
                                   'single quotes' only \\'
    @sorted SMEMBERS s             a command with a compare mode (see below)
    @c2 SET k v                    send on the case's second connection (opened lazily)
    @send "raw bytes"              write raw bytes (escapes as above), read nothing
    @raw "raw bytes"               write raw bytes, then read and compare one reply
    @read                          read and compare one more reply
    @state                         compare whether the server closed the connection: sends
                                   PING; EOF/reset = closed, +PONG = open
  Token expansion inside commands:
    {{1..200:f# v#}}               expands to f1 v1 f2 v2 ... f200 v200 ('#' = the number)
    {{rep:ab:100}}                 one argument: "ab" repeated 100 times

Compare modes (prefix a command with one or more of them):
    (none)          exact raw bytes
    @sorted         parse both replies, sort the elements of the top-level array/set/push
                    (by their encoded bytes; a map by key+value pair, pairs kept together),
                    then compare bytes. Nested elements are kept intact (a RESP3
                    [field, value] pair is not itself sorted). For replies whose order Redis
                    leaves undefined: SMEMBERS/SUNION/... of hashtable sets, KEYS, RESP3
                    HGETALL of big hashes, SRANDMEMBER with count >= size.
    @pairs          top-level flat array treated as (field, value) pairs; pairs are sorted.
                    For RESP2 HGETALL of big hashes / ZRANDMEMBER ... WITHSCORES.
    @scan           [cursor, [elements]] reply (SCAN, SSCAN): the cursor is compared exactly,
                    the element array with @sorted. Use a COUNT large enough for one page.
    @scanpairs      like @scan, but the element array sorted as pairs (HSCAN, ZSCAN).
    @shape          compare only the structure: type of every node and length of every
                    aggregate; bulk/integer/double values are not compared, but simple
                    strings and errors must still match exactly.
    @member=a,b,c   @shape, plus every bulk-string leaf of both replies must be one of a,b,c.
    @range=LO,HI    both replies must be integers in [LO, HI] (PTTL and friends).
    @mapkeys        map (RESP3) or flat pair array (RESP2): keys compared exactly, values by
                    shape (HELLO, whose "id" differs by server).
    @info=f1,f2     INFO's reply: only the named fields are compared (keyspace_hits…);
                    in a `cmdstat_<command>` field the times (usec, usec_per_call) are
                    left out, the counts compared; in a `latency_percentiles_usec_<command>`
                    field the percentiles are compared, not their values.
    @sut "bytes"    a deliberate, documented difference from Redis 7.0: the SUT must reply
                    exactly these bytes (quoted, escapes as above); the reference's reply
                    is ignored. Say why in a comment above the case.
"""

import argparse
import glob
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
IO_TIMEOUT = 3.0
RUN_DEADLINE = 120.0  # hard cap on the whole case loop (normal run is a few seconds)


# --------------------------------------------------------------------------- RESP reader

class Closed(Exception):
    pass


class Conn:
    """One TCP connection with a byte buffer; reads exactly one RESP reply at a time."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.closed = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def _fill(self):
        # Reads grow with the buffer: read_reply parses the buffer again after each.
        try:
            chunk = self.sock.recv(max(65536, len(self.buf)))
        except socket.timeout:
            raise TimeoutError
        except OSError:
            chunk = b""
        if not chunk:
            self.closed = True
            raise Closed
        self.buf += chunk

    def read_reply(self):
        """Raw bytes of one complete reply, or a <marker> string on close/timeout."""
        if self.closed and not self.buf:
            return "<closed>"
        try:
            while (end := reply_end(self.buf)) is None:
                self._fill()
        except Closed:
            return "<closed>" if not self.buf else "<closed after %r>" % self.buf
        except TimeoutError:
            return "<timeout, partial %r>" % self.buf
        except ValueError as e:
            return "<bad reply: %s; buffer %r>" % (e, self.buf[:200])
        raw, self.buf = self.buf[:end], self.buf[end:]
        return raw

    def state(self):
        """Probe whether the server closed the connection: send PING and look at the answer.

        'closed' (EOF or reset), 'open' (+PONG), or a description of anything else. Only
        meaningful after all expected replies were read. No fixed waits: a server that keeps
        the connection open answers PING at once, one that closed it gives EOF/RST.
        """
        if self.buf:
            return "extra %r" % self.buf
        if self.closed:
            return "closed"
        self.send(b"*1\r\n$4\r\nPING\r\n")
        got = self.read_reply()
        if got == "<closed>":
            return "closed"
        if got == b"+PONG\r\n":
            return "open"
        return "open but PING got %s" % (got if isinstance(got, str) else repr(got))


def reply_end(buf, pos=0):
    """End offset of the complete RESP2/RESP3 reply starting at `pos` in `buf`, None while
    it is incomplete, ValueError if it is malformed. The integration scripts' one RESP
    framer: Conn reads replies with it, fuzz_protocol.py splits captured streams."""
    if pos >= len(buf):
        return None
    t = buf[pos:pos + 1]
    i = buf.find(b"\r\n", pos)
    if i < 0:
        if len(buf) - pos > 512 * 1024 * 1024:
            raise ValueError("reply line too long")
        return None
    line, nxt = bytes(buf[pos + 1:i]), i + 2
    if t in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return nxt
    if t in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return nxt
        if len(buf) < nxt + n + 2:
            return None
        if buf[nxt + n:nxt + n + 2] != b"\r\n":
            raise ValueError("bulk not terminated by CRLF")
        return nxt + n + 2
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(line)
        if n < 0:
            return nxt
        if t in (b"%", b"|"):
            n *= 2
        p = nxt
        for _ in range(n):
            p = reply_end(buf, p)
            if p is None:
                return None
        if t == b"|":  # attribute: the real reply follows
            p = reply_end(buf, p)
        return p
    raise ValueError("unknown RESP type byte %r" % t)


def encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# --------------------------------------------------------------------------- RESP parse
# Only used by the non-exact compare modes: raw bytes -> tree -> canonical bytes.

def parse(raw, pos=0):
    t = raw[pos:pos + 1]
    i = raw.index(b"\r\n", pos)
    line = raw[pos + 1:i]
    nxt = i + 2
    if t in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return ("null", t, None), nxt
        return ("bulk", t, raw[nxt:nxt + n]), nxt + n + 2
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(line)
        if n < 0:
            return ("null", t, None), nxt
        if t in (b"%", b"|"):
            n *= 2
        kids = []
        for _ in range(n):
            k, nxt = parse(raw, nxt)
            kids.append(k)
        return ("agg", t, kids), nxt
    return ("line", t, line), nxt


def encode(node):
    kind, t, v = node
    if kind == "null":
        return t + b"-1\r\n"
    if kind == "bulk":
        return t + b"%d\r\n" % len(v) + v + b"\r\n"
    if kind == "line":
        return t + v + b"\r\n"
    n = len(v) // 2 if t in (b"%", b"|") else len(v)
    return t + b"%d\r\n" % n + b"".join(encode(k) for k in v)


def sort_elements(node):
    """Sort the elements of one aggregate (maps/attributes: by key+value pair)."""
    kind, t, v = node
    if kind != "agg":
        return node
    if t in (b"%", b"|"):
        pairs = sorted(zip(v[0::2], v[1::2]), key=lambda p: encode(p[0]) + encode(p[1]))
        return ("agg", t, [x for p in pairs for x in p])
    return ("agg", t, sorted(v, key=encode))


def sort_pairs(node):
    """Sort a flat array as (field, value) pairs, keeping each pair together."""
    kind, t, v = node
    if kind != "agg" or len(v) % 2:
        return node
    pairs = sorted(zip(v[0::2], v[1::2]), key=lambda p: encode(p[0]) + encode(p[1]))
    return ("agg", t, [x for p in pairs for x in p])


def sort_scan(node, inner):
    """[cursor, [elements...]]: keep the cursor, normalise the element array with inner."""
    kind, t, v = node
    if kind != "agg" or len(v) != 2:
        return node
    return ("agg", t, [v[0], inner(v[1])])


def shape(node):
    kind, t, v = node
    if kind == "agg":
        return (t, len(v), tuple(shape(k) for k in v))
    if kind == "line" and t in (b"+", b"-"):
        return (t, v)  # status and error text must still match
    return (t, kind)


def leaves(node):
    kind, t, v = node
    if kind == "agg":
        for k in v:
            yield from leaves(k)
    elif kind == "bulk":
        yield v


def mapkeys(node):
    kind, t, v = node
    if kind != "agg":
        return shape(node)
    return (t, len(v), tuple(encode(k) if i % 2 == 0 else shape(k) for i, k in enumerate(v)))


def info_fields(node, names):
    """The named `field:value` lines of an INFO reply (a bulk or verbatim string)."""
    if node[0] != "bulk" or node[2] is None:
        return None
    lines = dict(l.split(b":", 1) for l in node[2].split(b"\r\n") if b":" in l)
    return {n: without_times(lines.get(n.encode())) for n in names}


def without_times(value):
    """An INFO commandstats or latencystats value without its times, which differ
    from run to run (a latencystats percentile's value becomes `#`)."""
    if value is None:
        return None
    value = re.sub(rb"(p-?[\d.]+)=\d+\.\d{3}", rb"\1=#", value)
    return re.sub(rb"usec=\d+,usec_per_call=[\d.]+,", b"", value)


def compare(mode, a, b):
    """Return None if equivalent under mode, else a short reason."""
    if mode["kind"] == "sut":
        return None if b == mode["sut"] else "sut differs from @sut %r" % mode["sut"]
    if isinstance(a, str) or isinstance(b, str):  # markers: <closed>, <timeout ...>
        return None if a == b else "connection state differs"
    if mode["kind"] == "exact" and not mode["member"]:
        return None if a == b else "bytes differ"
    try:
        ta, _ = parse(a)
        tb, _ = parse(b)
    except (ValueError, IndexError) as e:
        return "unparsable reply (%s)" % e
    kind = mode["kind"]
    if kind == "sorted":
        ok = encode(sort_elements(ta)) == encode(sort_elements(tb))
    elif kind == "pairs":
        ok = encode(sort_pairs(ta)) == encode(sort_pairs(tb))
    elif kind == "scan":
        ok = encode(sort_scan(ta, sort_elements)) == encode(sort_scan(tb, sort_elements))
    elif kind == "scanpairs":
        ok = encode(sort_scan(ta, sort_pairs)) == encode(sort_scan(tb, sort_pairs))
    elif kind == "shape":
        ok = shape(ta) == shape(tb)
    elif kind == "mapkeys":
        ok = mapkeys(ta) == mapkeys(tb)
    elif kind == "info":
        fa, fb = info_fields(ta, mode["info"]), info_fields(tb, mode["info"])
        if fa is None or None in fa.values():
            return "reference INFO reply lacks %s (not a comparison)" % mode["info"]
        if fa != fb:
            return "INFO fields differ: reference %s, sut %s" % (fa, fb)
        ok = True
    elif kind == "range":
        lo, hi = mode["range"]
        ok = all(t[0] == "line" and t[1] == b":" and lo <= int(t[2]) <= hi for t in (ta, tb))
        if not ok:
            return "not both integers in [%d, %d]" % (lo, hi)
    else:
        ok = a == b
    if not ok:
        return "differ under @%s" % kind
    if mode["member"] is not None:
        for name, tree in (("reference", ta), ("sut", tb)):
            bad = [x for x in leaves(tree) if x not in mode["member"]]
            if bad:
                return "%s reply has non-member %r" % (name, bad[0])
    return None


# --------------------------------------------------------------------------- case files

ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "b": b"\b", "a": b"\a", '"': b'"', "\\": b"\\"}


def split_args(line):
    """sdssplitargs-like splitting; returns a list of bytes."""
    out, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return out
        cur, inq, insq = bytearray(), False, False
        while True:
            if inq:
                if i >= n:
                    raise ValueError("unbalanced double quote in: %s" % line)
                c = line[i]
                if c == "\\" and i + 3 < n and line[i + 1] == "x" and \
                        re.match(r"[0-9a-fA-F]{2}", line[i + 2:i + 4]):
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == "\\" and i + 1 < n:
                    i += 1
                    cur += ESCAPES.get(line[i], line[i].encode())
                elif c == '"':
                    if i + 1 < n and line[i + 1] not in " \t":
                        raise ValueError("closing quote must be followed by space: %s" % line)
                    inq = False
                    i += 1
                    break
                else:
                    cur += c.encode()
            elif insq:
                if i >= n:
                    raise ValueError("unbalanced single quote in: %s" % line)
                c = line[i]
                if c == "\\" and i + 1 < n and line[i + 1] == "'":
                    i += 1
                    cur += b"'"
                elif c == "'":
                    insq = False
                    i += 1
                    break
                else:
                    cur += c.encode()
            else:
                if i >= n or line[i] in " \t":
                    break
                c = line[i]
                if c == '"' and not cur:
                    inq = True
                elif c == "'" and not cur:
                    insq = True
                else:
                    cur += c.encode()
            i += 1
        out.append(bytes(cur))


EXPAND_RE = re.compile(r"\{\{(.*?)\}\}")


def expand(line):
    """Expand {{a..b:fmt}} and {{rep:s:n}} tokens before splitting."""
    def sub(m):
        body = m.group(1)
        r = re.fullmatch(r"(\d+)\.\.(\d+):(.*)", body)
        if r:
            a, b, fmt = int(r.group(1)), int(r.group(2)), r.group(3)
            return " ".join(fmt.replace("#", str(k)) for k in range(a, b + 1))
        r = re.fullmatch(r"rep:(.*):(\d+)", body)
        if r:
            return r.group(1) * int(r.group(2))
        raise ValueError("bad expansion {{%s}}" % body)
    return EXPAND_RE.sub(sub, line)


def parse_mode_tokens(line):
    """Strip leading @modifiers. Returns (mode dict, conn index, rest of line)."""
    mode = {"kind": "exact", "member": None, "range": None, "info": None}
    conn = 0
    while line.startswith("@"):
        tok, _, rest = line.partition(" ")
        if tok == "@c2":
            conn = 1
        elif tok == "@sut":
            m = re.match(r'"(?:[^"\\]|\\.)*"(?=\s)', rest)
            if not m:
                raise ValueError('@sut needs a quoted reply: @sut "+OK\\r\\n" CMD ...')
            mode["kind"] = "sut"
            mode["sut"] = split_args(m.group(0))[0]
            rest = rest[m.end():]
        elif tok in ("@sorted", "@pairs", "@scan", "@scanpairs", "@shape", "@mapkeys"):
            mode["kind"] = tok[1:]
        elif tok.startswith("@member="):
            mode["kind"] = "shape" if mode["kind"] == "exact" else mode["kind"]
            mode["member"] = set(x.encode() for x in tok[len("@member="):].split(","))
        elif tok.startswith("@info="):
            mode["kind"] = "info"
            mode["info"] = tok[len("@info="):].split(",")
        elif tok.startswith("@range="):
            lo, hi = tok[len("@range="):].split(",")
            mode["kind"] = "range"
            mode["range"] = (int(lo), int(hi))
        else:
            break
        line = rest.lstrip()
    return mode, conn, line


def load_cases(pattern=None):
    cases = []
    seen = set()
    for path in sorted(glob.glob(os.path.join(CASES_DIR, "*.txt"))):
        family = os.path.splitext(os.path.basename(path))[0]
        cur = None
        with open(path, encoding="utf-8") as f:
            for lineno, raw in enumerate(f, 1):
                line = raw.rstrip("\n").strip()
                if not line or line.startswith("#"):
                    continue
                where = "%s:%d" % (os.path.relpath(path), lineno)
                if line.startswith("==="):
                    name = "%s/%s" % (family, line[3:].strip())
                    if name in seen:
                        raise SystemExit("duplicate case name %s at %s" % (name, where))
                    seen.add(name)
                    cur = {"name": name, "steps": [], "where": where}
                    cases.append(cur)
                    continue
                if cur is None:
                    raise SystemExit("%s: command outside a case" % where)
                try:
                    cur["steps"].append(parse_step(line, where))
                except ValueError as e:
                    raise SystemExit("%s: %s" % (where, e))
    for c in cases:
        if not c["steps"]:
            raise SystemExit("%s: empty case %s" % (c["where"], c["name"]))
    if pattern:
        cases = [c for c in cases if pattern in c["name"]]
    return cases


def parse_step(line, where):
    mode, conn, rest = parse_mode_tokens(line)
    word, _, arg = rest.partition(" ")
    step = {"mode": mode, "conn": conn, "text": line, "where": where}
    if word in ("@send", "@raw"):
        parts = split_args(expand(arg))
        if len(parts) != 1:
            raise ValueError("%s takes exactly one quoted argument" % word)
        step.update(op=word[1:], data=parts[0])
    elif word in ("@read", "@state"):
        step.update(op=word[1:])
    elif word.startswith("@"):
        raise ValueError("unknown directive %s" % word)
    else:
        args = split_args(expand(rest))
        if not args:
            raise ValueError("empty command")
        step.update(op="cmd", data=encode_command(args))
    return step


# --------------------------------------------------------------------------- servers

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, name, argv, port, cwd=None):
        self.name, self.port = name, port
        self.log = tempfile.NamedTemporaryFile(prefix="diff-%s-" % name, suffix=".log", delete=False)
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=subprocess.STDOUT, cwd=cwd)
        except OSError as e:
            self.log.close()
            os.unlink(self.log.name)
            sys.stderr.write("cannot start %s: %s: %s\n" % (name, " ".join(argv), e))
            raise SystemExit(2)

    def wait_ready(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                c = Conn(self.port)
                try:
                    c.sock.settimeout(1.0)
                    c.send(b"*1\r\n$4\r\nPING\r\n")
                    if c.read_reply() == b"+PONG\r\n":
                        return
                finally:
                    c.close()
            except OSError as e:
                last = e
            time.sleep(0.05)  # poll interval, bounded by the deadline
        self.stop()
        sys.stderr.write("%s did not become ready on port %d (%s); log:\n%s\n"
                         % (self.name, self.port, last or "exited", self.log_tail()))
        raise SystemExit(2)

    def log_tail(self):
        try:
            with open(self.log.name, "rb") as f:
                return f.read()[-3000:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


def redis_argv(port):
    # `--databases 1`: a ringcache node has only database 0 by design, so the reference
    # runs the same way (SELECT 1, COPY … DB 1 then fail identically on both).
    binary = os.environ.get("REDIS_SERVER", "redis-server")
    return [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no",
            "--databases", "1", "--logfile", ""]


def sut_argv(port):
    cmd = os.environ.get("RINGCACHE_CMD")
    if not cmd:
        binary = os.environ.get("RINGCACHE_BIN", "target/release/ringcache")
        cmd = shlex.quote(binary) + " node --listen 127.0.0.1:{port}"
    return shlex.split(cmd.replace("{port}", str(port)))


# --------------------------------------------------------------------------- runner

class Pair:
    """The same logical connection to both servers."""

    def __init__(self, ports):
        self.c = [Conn(p) for p in ports]

    def close(self):
        for c in self.c:
            c.close()


def show(x):
    return repr(x) if isinstance(x, bytes) else x


def run_cases(cases, ports, servers, keep_going, deadline, dump=False):
    """Run `cases` in order against the (reference, sut) `ports`, printing each failure.

    Returns (passed, failed), or None when the run must stop early: past `deadline`
    (a time.monotonic() value), a server exited, or a failure without `keep_going`.
    """
    passed, failed = 0, 0
    for case in cases:
        if time.monotonic() > deadline:
            print("FAIL: run exceeded its time limit, aborting")
            return None
        if dump:
            print(case["name"])
        why = run_case(case, ports, dump)
        if why is None:
            passed += 1
            continue
        failed += 1
        print("FAIL " + why)
        for s in servers:
            if s.proc.poll() is not None:
                print("%s exited with %s; log tail:\n%s" % (s.name, s.proc.returncode, s.log_tail()))
                return None
        if not keep_going:
            return None
    return passed, failed


def run_case(case, ports, dump=False):
    """Return None on success, or a failure description."""
    pairs = [Pair(ports)]
    try:
        flush = encode_command([b"FLUSHALL"])
        for c in pairs[0].c:
            c.send(flush)
        got = [c.read_reply() for c in pairs[0].c]
        if got != [b"+OK\r\n", b"+OK\r\n"]:
            return "FLUSHALL before case failed: ref=%s sut=%s" % (show(got[0]), show(got[1]))
        for step in case["steps"]:
            while len(pairs) <= step["conn"]:
                pairs.append(Pair(ports))
            pair = pairs[step["conn"]]
            op = step["op"]
            if op in ("cmd", "raw", "send"):
                for c in pair.c:
                    c.send(step["data"])
            if op == "send":
                continue
            if op == "state":
                got = [c.state() for c in pair.c]
                why = None if got[0] == got[1] else "connection state differs"
            else:
                got = [c.read_reply() for c in pair.c]
                why = compare(step["mode"], got[0], got[1])
            if dump:
                print("  %-50s -> %s" % (step["text"][:50], show(got[0])[:150]))
            if why:
                return ("%s\n  at %s\n  command:   %s\n  reason:    %s\n  reference: %s\n  sut:       %s"
                        % (case["name"], step["where"], step["text"], why, show(got[0]), show(got[1])))
        return None
    finally:
        for p in pairs:
            p.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sut", choices=["ringcache", "redis"], default="ringcache",
                    help="system under test (redis = a second redis-server, for harness work)")
    ap.add_argument("--sut-port", type=int, help="use an already running SUT on this port")
    ap.add_argument("-f", "--filter", help="only cases whose family/name contains this")
    ap.add_argument("-k", "--keep-going", action="store_true", help="report all failures")
    ap.add_argument("--dump", action="store_true", help="print commands and reference replies")
    ap.add_argument("--list", action="store_true", help="list cases per family and exit")
    args = ap.parse_args()

    cases = load_cases(args.filter)
    if args.list:
        fams = {}
        for c in cases:
            fams.setdefault(c["name"].split("/")[0], []).append(c)
        for f, cs in sorted(fams.items()):
            print("%-14s %4d cases" % (f, len(cs)))
        print("%-14s %4d cases" % ("total", len(cases)))
        return 0
    if not cases:
        print("no cases selected")
        return 2
    if not shutil.which(os.environ.get("REDIS_SERVER", "redis-server")):
        print("redis-server not found")
        return 2

    servers = []
    try:
        ref_port = free_port()
        servers.append(Server("redis", redis_argv(ref_port), ref_port, cwd=tempfile.gettempdir()))
        if args.sut_port:
            sut_port = args.sut_port
        else:
            sut_port = free_port()
            while sut_port == ref_port:
                sut_port = free_port()
            argv = redis_argv(sut_port) if args.sut == "redis" else sut_argv(sut_port)
            servers.append(Server(args.sut, argv, sut_port,
                                  cwd=tempfile.gettempdir() if args.sut == "redis" else None))
        for s in servers:
            s.wait_ready()
        print("reference redis-server on %d, sut (%s) on %d; %d cases"
              % (ref_port, args.sut, sut_port, len(cases)))
        t0 = time.monotonic()
        counts = run_cases(cases, (ref_port, sut_port), servers, args.keep_going,
                           t0 + RUN_DEADLINE, args.dump)
        if counts is None:
            return 1
        passed, failed = counts
        print("%d passed, %d failed (%.1fs)" % (passed, failed, time.monotonic() - t0))
        return 1 if failed else 0
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
