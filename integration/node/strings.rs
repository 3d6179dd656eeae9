//! String commands: replies and error texts byte for byte as redis-server 7.0.15, TTLs
//! driven by the node's test clock, INCRBYFLOAT's long double results, and the lock
//! helpers beyond 7.0 (SET … IFEQ, DELIFEQ).

use crate::common::*;
use ringcache::node::types::{ListValue, Value};
use ringcache::node::NodeHandle;

/// Store a list under `key` directly (the list commands live in another family).
fn put_list(node: &NodeHandle, key: &str) {
    let mut l = ListValue::new();
    l.push_back(b"x");
    node.server
        .db
        .lock_key(key.as_bytes())
        .set(key.as_bytes(), Value::list(l), 0);
}

/// `key`'s TTL rounded up to whole seconds, like `TTL`: `None` if missing, `Some(None)`
/// if no TTL. (The wall clock keeps running under the test offset, so exact
/// milliseconds would be flaky.)
fn ttl_ms(node: &NodeHandle, key: &str) -> Option<Option<u64>> {
    let mut ks = node.server.db.lock_key(key.as_bytes());
    let now = ks.now();
    let e = ks.get(key.as_bytes())?;
    Some((e.expire_at != 0).then(|| (e.expire_at - now).div_ceil(1000) * 1000))
}

/// A raw client whose request futures are boxed: `Raw`'s 64 KiB read buffer would
/// otherwise be a stack temporary at every call site, and these long tests overflow
/// the test thread's stack in debug builds.
struct C(Raw);

impl C {
    async fn q(&mut self, line: &str) -> String {
        Box::pin(self.0.q(line)).await
    }
    async fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        Box::pin(self.0.cmd(args)).await
    }
    /// Send `line` and read exactly `want.len()` bytes: for arrays holding RESP2 nulls,
    /// which the shared decoder (RESP3-only) refuses to parse.
    async fn exact(&mut self, line: &str, want: &str) -> String {
        use tokio::io::AsyncReadExt;
        let args: Vec<&[u8]> = line.split_whitespace().map(|s| s.as_bytes()).collect();
        self.0.send_raw(&encode(&args)).await;
        let mut got = vec![0u8; want.len()];
        self.0.stream.read_exact(&mut got).await.expect("reply");
        String::from_utf8_lossy(&got).into_owned()
    }
}

async fn client(node: &NodeHandle) -> C {
    C(raw(node).await)
}

const NIL: &str = "$-1\r\n";
const OK: &str = "+OK\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const NOT_FLOAT: &str = "-ERR value is not a valid float\r\n";

#[tokio::test]
async fn set_options_and_errors() {
    let node = start_node().await;
    let mut c = client(&node).await;
    assert_eq!(c.q("SET k v").await, OK);
    assert_eq!(c.q("GET k").await, "$1\r\nv\r\n");
    assert_eq!(c.q("GET nope").await, NIL);
    assert_eq!(c.q("SET k w NX").await, NIL);
    assert_eq!(c.q("SET k2 w XX").await, NIL);
    assert_eq!(c.q("SET k w XX GET").await, "$1\r\nv\r\n");
    assert_eq!(c.q("SET k x NX GET").await, "$1\r\nw\r\n");
    assert_eq!(c.q("GET k").await, "$1\r\nw\r\n");
    assert_eq!(c.q("set k2 a nx get").await, NIL);
    assert_eq!(c.q("GET k2").await, "$1\r\na\r\n");
    // Same option twice is accepted (last wins); conflicting ones are not.
    assert_eq!(c.q("SET k v EX 10 EX 20").await, OK);
    assert_eq!(c.q("SET k v GET GET").await, "$1\r\nv\r\n");
    for bad in [
        "SET k v NX XX",
        "SET k v EX 10 PX 10",
        "SET k v EX 10 KEEPTTL",
        "SET k v KEEPTTL PXAT 1",
        "SET k v EX",
        "SET k v FOO",
        "SET k v PERSIST",
    ] {
        assert_eq!(c.q(bad).await, SYNTAX, "{bad}");
    }
    for (bad, msg) in [
        (
            "SET k v EX 0",
            "-ERR invalid expire time in 'set' command\r\n",
        ),
        (
            "SET k v PX -1",
            "-ERR invalid expire time in 'set' command\r\n",
        ),
        (
            "SET k v EX 9223372036854775",
            "-ERR invalid expire time in 'set' command\r\n",
        ),
        (
            "SET k v PX 9223372036854775807",
            "-ERR invalid expire time in 'set' command\r\n",
        ),
        (
            "SETEX k 0 v",
            "-ERR invalid expire time in 'setex' command\r\n",
        ),
        (
            "PSETEX k -5 v",
            "-ERR invalid expire time in 'psetex' command\r\n",
        ),
        ("SET k v EX 1.5", NOT_INT),
        ("SETEX k abc v", NOT_INT),
        (
            "SET",
            "-ERR wrong number of arguments for 'set' command\r\n",
        ),
    ] {
        assert_eq!(c.q(bad).await, msg, "{bad}");
    }
    // The expire time is checked before GET's type check.
    put_list(&node, "l");
    assert_eq!(
        c.q("SET l v GET EX 0").await,
        "-ERR invalid expire time in 'set' command\r\n"
    );
    assert_eq!(c.q("SET l v GET").await, WRONGTYPE);
    assert_eq!(c.q("SET l v").await, OK);
    // Binary-safe.
    assert_eq!(c.cmd(&[b"SET", b"\x00", b"a\r\nb"]).await, b"+OK\r\n");
    assert_eq!(c.cmd(&[b"GET", b"\x00"]).await, b"$4\r\na\r\nb\r\n");
    node.stop().await;
}

#[tokio::test]
async fn expiry_follows_the_test_clock() {
    let node = start_node().await;
    let db = &node.server.db;
    let mut c = client(&node).await;
    assert_eq!(c.q("SET k v EX 10").await, OK);
    assert_eq!(ttl_ms(&node, "k"), Some(Some(10_000)));
    assert_eq!(c.q("SET k w KEEPTTL").await, OK);
    assert_eq!(ttl_ms(&node, "k"), Some(Some(10_000)));
    db.advance_clock(9_000);
    assert_eq!(c.q("GET k").await, "$1\r\nw\r\n");
    // Past the expiry millisecond, through which a key lives (Redis: `now > when`).
    db.advance_clock(1_001);
    assert_eq!(c.q("GET k").await, NIL);
    // Plain SET, GETSET and MSET drop the TTL; INCR, APPEND and SETRANGE keep it.
    assert_eq!(c.q("SET k v PX 5000").await, OK);
    assert_eq!(c.q("SET k v").await, OK);
    assert_eq!(ttl_ms(&node, "k"), Some(None));
    c.q("SETEX k 100 v").await;
    assert_eq!(c.q("GETSET k w").await, "$1\r\nv\r\n");
    assert_eq!(ttl_ms(&node, "k"), Some(None));
    c.q("PSETEX n 100000 1").await;
    assert_eq!(c.q("INCR n").await, ":2\r\n");
    assert_eq!(c.q("INCRBYFLOAT n 0.5").await, "$3\r\n2.5\r\n");
    assert_eq!(c.q("APPEND n 0").await, ":4\r\n");
    assert_eq!(c.q("SETRANGE n 0 3").await, ":4\r\n");
    assert_eq!(ttl_ms(&node, "n"), Some(Some(100_000)));
    c.q("MSET n 1").await;
    assert_eq!(ttl_ms(&node, "n"), Some(None));
    // Absolute times.
    let now = db.now_ms();
    let at = (now / 1000 + 100) * 1000;
    assert_eq!(c.q(&format!("SET k v EXAT {}", at / 1000)).await, OK);
    assert_eq!(
        ttl_ms(&node, "k"),
        Some(Some((at - now).div_ceil(1000) * 1000))
    );
    assert_eq!(c.q(&format!("SET k v PXAT {}", now + 60_000)).await, OK);
    assert_eq!(ttl_ms(&node, "k"), Some(Some(60_000)));
    // In the past: the key is gone (GET still answers the old value).
    assert_eq!(c.q("SET k w PXAT 1 GET").await, "$1\r\nv\r\n");
    assert_eq!(ttl_ms(&node, "k"), None);
    node.stop().await;
}

#[tokio::test]
async fn getex_getset_getdel_setnx() {
    let node = start_node().await;
    let mut c = client(&node).await;
    assert_eq!(
        c.q("GETEX nope EX 0").await,
        NIL,
        "missing key before expire check"
    );
    c.q("SET k v").await;
    assert_eq!(c.q("GETEX k").await, "$1\r\nv\r\n");
    assert_eq!(ttl_ms(&node, "k"), Some(None));
    assert_eq!(c.q("GETEX k EX 100").await, "$1\r\nv\r\n");
    assert_eq!(ttl_ms(&node, "k"), Some(Some(100_000)));
    assert_eq!(c.q("GETEX k PX 5000").await, "$1\r\nv\r\n");
    assert_eq!(ttl_ms(&node, "k"), Some(Some(5_000)));
    assert_eq!(c.q("GETEX k PERSIST").await, "$1\r\nv\r\n");
    assert_eq!(ttl_ms(&node, "k"), Some(None));
    for bad in [
        "GETEX k KEEPTTL",
        "GETEX k PERSIST EX 1",
        "GETEX k EX",
        "GETEX k GET",
    ] {
        assert_eq!(c.q(bad).await, SYNTAX, "{bad}");
    }
    assert_eq!(
        c.q("GETEX k EX 0").await,
        "-ERR invalid expire time in 'getex' command\r\n"
    );
    assert_eq!(c.q("GETEX k PXAT 1").await, "$1\r\nv\r\n");
    assert_eq!(ttl_ms(&node, "k"), None);

    assert_eq!(c.q("SETNX k v").await, ":1\r\n");
    assert_eq!(c.q("SETNX k w").await, ":0\r\n");
    assert_eq!(c.q("GETSET k w").await, "$1\r\nv\r\n");
    assert_eq!(c.q("GETSET new w").await, NIL);
    assert_eq!(c.q("GETDEL k").await, "$1\r\nw\r\n");
    assert_eq!(c.q("GETDEL k").await, NIL);
    put_list(&node, "l");
    for cmd in [
        "GETEX l",
        "GETSET l v",
        "GETDEL l",
        "GET l",
        "SETRANGE l 0 x",
    ] {
        assert_eq!(c.q(cmd).await, WRONGTYPE, "{cmd}");
    }
    assert_eq!(c.q("SETNX l v").await, ":0\r\n");
    node.stop().await;
}

#[tokio::test]
async fn mget_mset_msetnx() {
    let node = start_node().await;
    let mut c = client(&node).await;
    put_list(&node, "l");
    assert_eq!(c.q("MSET a 1 b 2 a 3").await, OK);
    let want = "*4\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n$-1\r\n";
    assert_eq!(c.exact("MGET a b c l", want).await, want);
    assert_eq!(
        c.q("MSET a 1 b").await,
        "-ERR wrong number of arguments for 'mset' command\r\n"
    );
    assert_eq!(
        c.q("MSETNX a 1 b").await,
        "-ERR wrong number of arguments for 'msetnx' command\r\n"
    );
    assert_eq!(c.q("MSETNX x 1 a 2").await, ":0\r\n");
    assert_eq!(c.q("GET x").await, NIL);
    assert_eq!(c.q("MSETNX x 1 y 2 x 3").await, ":1\r\n");
    assert_eq!(c.q("MGET x y").await, "*2\r\n$1\r\n3\r\n$1\r\n2\r\n");
    assert_eq!(c.q("MSETNX l 1").await, ":0\r\n");
    node.stop().await;
}

#[tokio::test]
async fn integer_counters() {
    let node = start_node().await;
    let mut c = client(&node).await;
    assert_eq!(c.q("INCR n").await, ":1\r\n");
    assert_eq!(c.q("INCRBY n 10").await, ":11\r\n");
    assert_eq!(c.q("DECR n").await, ":10\r\n");
    assert_eq!(c.q("DECRBY n -5").await, ":15\r\n");
    assert_eq!(c.q("GET n").await, "$2\r\n15\r\n");
    for v in ["abc", "1.5", "01", "+1", "-0", "12345678901234567890"] {
        c.q(&format!("SET n {v}")).await;
        assert_eq!(c.q("INCR n").await, NOT_INT, "{v}");
    }
    c.cmd(&[b"SET", b"n", b" 1"]).await;
    assert_eq!(c.q("INCR n").await, NOT_INT);
    c.q("SET n 9223372036854775807").await;
    assert_eq!(
        c.q("INCR n").await,
        "-ERR increment or decrement would overflow\r\n"
    );
    c.q("SET n -9223372036854775808").await;
    assert_eq!(
        c.q("DECRBY n 1").await,
        "-ERR increment or decrement would overflow\r\n"
    );
    assert_eq!(
        c.q("DECRBY n -9223372036854775808").await,
        "-ERR decrement would overflow\r\n"
    );
    assert_eq!(c.q("INCRBY n abc").await, NOT_INT);
    put_list(&node, "l");
    assert_eq!(c.q("INCRBY l abc").await, NOT_INT, "argument parsed first");
    assert_eq!(c.q("INCR l").await, WRONGTYPE);
    node.stop().await;
}

#[tokio::test]
async fn incrbyfloat_uses_long_double() {
    let node = start_node().await;
    let mut c = client(&node).await;
    let f = |s: &str| format!("${}\r\n{}\r\n", s.len(), s);
    c.q("SET x 0").await;
    assert_eq!(
        c.q("INCRBYFLOAT x 1234.1").await,
        f("1234.09999999999999998")
    );
    c.q("SET x 0.1").await;
    assert_eq!(c.q("INCRBYFLOAT x 0.2").await, f("0.3"));
    assert_eq!(c.q("INCRBYFLOAT new 1.5").await, f("1.5"));
    assert_eq!(c.q("INCRBYFLOAT new -1.5").await, f("0"));
    assert_eq!(c.q("INCRBYFLOAT h 0x10").await, f("16"));
    assert_eq!(c.q("INCRBYFLOAT h 1e2").await, f("116"));
    assert_eq!(c.q("INCRBYFLOAT h 5.0e3").await, f("5116"));
    assert_eq!(c.q("GET h").await, f("5116"));
    c.q("SET big 1.7e308").await;
    let sum = "340000000000000000006273556050395193590540427779388267466087171526404912102411641988123739177800600673957047683771263425322806997836001586961457274820033393094901317200013624802610872515245814124760542925564488876540887382670905522638137419003805178364056052028734561012664811529831035124023358619554802565120";
    assert_eq!(c.q("INCRBYFLOAT big 1.7e308").await, f(sum));
    for bad in ["abc", "nan", "1e5000", "0x", "1e"] {
        assert_eq!(
            c.q(&format!("INCRBYFLOAT x {bad}")).await,
            NOT_FLOAT,
            "{bad}"
        );
    }
    assert_eq!(
        c.cmd(&[b"INCRBYFLOAT", b"x", b" 1"]).await,
        NOT_FLOAT.as_bytes()
    );
    assert_eq!(
        c.cmd(&[b"INCRBYFLOAT", b"x", b"1 "]).await,
        NOT_FLOAT.as_bytes()
    );
    assert_eq!(
        c.q("INCRBYFLOAT x inf").await,
        "-ERR increment would produce NaN or Infinity\r\n"
    );
    c.q("SET s hello").await;
    assert_eq!(c.q("INCRBYFLOAT s 1").await, NOT_FLOAT);
    put_list(&node, "l");
    assert_eq!(
        c.q("INCRBYFLOAT l abc").await,
        WRONGTYPE,
        "type checked first"
    );
    node.stop().await;
}

#[tokio::test]
async fn append_strlen_getrange_setrange() {
    let node = start_node().await;
    let mut c = client(&node).await;
    assert_eq!(c.q("APPEND k abc").await, ":3\r\n");
    assert_eq!(c.q("APPEND k def").await, ":6\r\n");
    assert_eq!(c.q("STRLEN k").await, ":6\r\n");
    assert_eq!(c.q("STRLEN nope").await, ":0\r\n");
    assert_eq!(c.q("GET k").await, "$6\r\nabcdef\r\n");
    assert_eq!(c.cmd(&[b"APPEND", b"e", b""]).await, b":0\r\n");
    assert_eq!(c.q("STRLEN e").await, ":0\r\n");
    assert_eq!(c.q("GET e").await, "$0\r\n\r\n");

    c.cmd(&[b"SET", b"h", b"Hello World"]).await;
    for (range, want) in [
        ("0 4", "Hello"),
        ("-5 -1", "World"),
        ("5 2", ""),
        ("-1 -5", ""),
        ("100 200", ""),
        ("-100 3", "Hell"),
        ("0 -100", "H"),
    ] {
        let reply = c.q(&format!("GETRANGE h {range}")).await;
        assert_eq!(reply, format!("${}\r\n{}\r\n", want.len(), want), "{range}");
    }
    assert_eq!(c.q("GETRANGE nope 0 -1").await, "$0\r\n\r\n");
    assert_eq!(c.q("GETRANGE h a 1").await, NOT_INT);

    assert_eq!(c.q("SETRANGE s 3 ab").await, ":5\r\n");
    assert_eq!(c.q("GET s").await, "$5\r\n\0\0\0ab\r\n");
    assert_eq!(c.q("SETRANGE s 0 xyz").await, ":5\r\n");
    assert_eq!(c.q("GET s").await, "$5\r\nxyzab\r\n");
    assert_eq!(c.cmd(&[b"SETRANGE", b"s", b"99", b""]).await, b":5\r\n");
    assert_eq!(c.cmd(&[b"SETRANGE", b"m", b"3", b""]).await, b":0\r\n");
    assert_eq!(c.q("STRLEN m").await, ":0\r\n");
    assert_eq!(
        c.q("SETRANGE s -1 x").await,
        "-ERR offset is out of range\r\n"
    );
    assert_eq!(c.q("SETRANGE s x x").await, NOT_INT);
    let too_long = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    assert_eq!(c.q("SETRANGE s 536870912 x").await, too_long);
    assert_eq!(c.q("SETRANGE new 536870912 x").await, too_long);
    assert_eq!(
        c.cmd(&[b"SETRANGE", b"s", b"536870912", b""]).await,
        b":5\r\n"
    );
    put_list(&node, "l");
    for cmd in ["APPEND l x", "STRLEN l", "GETRANGE l 0 1", "SETRANGE l 0 x"] {
        assert_eq!(c.q(cmd).await, WRONGTYPE, "{cmd}");
    }
    node.stop().await;
}

#[tokio::test]
async fn string_size_limit_is_proto_max_bulk_len() {
    let node = start_node_with(|s| s.proto_max_bulk_len = 10).await;
    let mut c = client(&node).await;
    let too_long = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    assert_eq!(c.q("APPEND k 123456").await, ":6\r\n");
    assert_eq!(c.q("APPEND k 12345").await, too_long);
    assert_eq!(c.q("APPEND k 1234").await, ":10\r\n");
    assert_eq!(c.q("SETRANGE k 10 x").await, too_long);
    assert_eq!(c.q("SETRANGE k 9 x").await, ":10\r\n");
    assert_eq!(c.q("SETRANGE new 8 abc").await, too_long);
    assert_eq!(c.q("SETRANGE new 8 ab").await, ":10\r\n");
    node.stop().await;
}

#[tokio::test]
async fn set_ifeq_and_delifeq_for_lock_clients() {
    let node = start_node().await;
    let mut c = client(&node).await;
    assert_eq!(c.q("SET lock a IFEQ a").await, NIL, "missing key");
    c.q("SET lock token1").await;
    assert_eq!(c.q("SET lock token2 IFEQ other").await, NIL);
    assert_eq!(c.q("GET lock").await, "$6\r\ntoken1\r\n");
    assert_eq!(c.q("SET lock token2 IFEQ token1 PX 5000").await, OK);
    assert_eq!(ttl_ms(&node, "lock"), Some(Some(5_000)));
    assert_eq!(
        c.q("SET lock token3 ifeq token2 KEEPTTL GET").await,
        "$6\r\ntoken2\r\n"
    );
    assert_eq!(ttl_ms(&node, "lock"), Some(Some(5_000)));
    assert_eq!(
        c.q("SET lock token4 IFEQ nope GET").await,
        "$6\r\ntoken3\r\n"
    );
    assert_eq!(c.q("GET lock").await, "$6\r\ntoken3\r\n");
    assert_eq!(
        c.q("SET lock x IFEQ token3 EX 0").await,
        "-ERR invalid expire time in 'set' command\r\n"
    );
    for bad in [
        "SET lock x IFEQ",
        "SET lock x IFEQ a NX",
        "SET lock x NX IFEQ a",
        "SET lock x XX IFEQ a",
        "SET lock x IFEQ a IFEQ b",
    ] {
        assert_eq!(c.q(bad).await, SYNTAX, "{bad}");
    }
    put_list(&node, "l");
    assert_eq!(c.q("SET l x IFEQ x").await, WRONGTYPE);
    assert_eq!(c.q("SET l x IFEQ x GET").await, WRONGTYPE);

    assert_eq!(c.q("DELIFEQ lock token2").await, ":0\r\n");
    assert_eq!(c.q("DELIFEQ lock token3").await, ":1\r\n");
    assert_eq!(c.q("DELIFEQ lock token3").await, ":0\r\n");
    assert_eq!(c.q("GET lock").await, NIL);
    assert_eq!(c.q("DELIFEQ l x").await, WRONGTYPE);
    assert_eq!(
        c.q("DELIFEQ lock").await,
        "-ERR wrong number of arguments for 'delifeq' command\r\n"
    );
    // Expired keys do not match.
    c.q("SET lock t PX 100").await;
    node.server.db.advance_clock(101);
    assert_eq!(c.q("DELIFEQ lock t").await, ":0\r\n");
    assert_eq!(c.q("SET lock u IFEQ t").await, NIL);
    node.stop().await;
}

#[tokio::test]
async fn delex_deletes_unconditionally_or_by_value() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("SET k v").await, "+OK\r\n");
    assert_eq!(c.q("DELEX k IFEQ other").await, ":0\r\n");
    assert_eq!(c.q("DELEX k IFNE v").await, ":0\r\n");
    assert_eq!(c.q("DELEX k IFEQ v").await, ":1\r\n");
    assert_eq!(c.q("DELEX k").await, ":0\r\n");
    assert_eq!(c.q("SET k v").await, "+OK\r\n");
    assert_eq!(c.q("DELEX k IFNE x").await, ":1\r\n");
    assert_eq!(c.q("SET k v").await, "+OK\r\n");
    assert_eq!(c.q("DELEX k").await, ":1\r\n");
    assert_eq!(c.q("RPUSH l a").await, ":1\r\n");
    assert_eq!(
        c.q("DELEX l IFEQ a").await,
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(c.q("DELEX l").await, ":1\r\n");
    assert_eq!(c.q("DELEX k BOGUS v").await, "-ERR syntax error\r\n");
    node.stop().await;
}

/// Bitmaps: SETBIT pads with zeros and answers the old bit, BITCOUNT and BITPOS take
/// byte or bit ranges, BITOP writes the longest source's length, BITFIELD packs
/// fields at any bit offset with wrapping, saturating or failing overflow.
#[tokio::test]
async fn bitmaps_set_count_find_combine_and_pack_fields() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("SETBIT b 7 1").await, ":0\r\n");
    assert_eq!(c.q("SETBIT b 7 1").await, ":1\r\n");
    assert_eq!(c.q("SETBIT b 17 1").await, ":0\r\n");
    assert_eq!(c.q("GET b").await, "$3\r\n\x01\x00\x40\r\n");
    assert_eq!(c.q("GETBIT b 17").await, ":1\r\n");
    assert_eq!(c.q("GETBIT b 1000").await, ":0\r\n");
    assert_eq!(c.q("BITCOUNT b").await, ":2\r\n");
    assert_eq!(c.q("BITCOUNT b 8 16 BIT").await, ":0\r\n");
    assert_eq!(c.q("BITCOUNT b 8 17 BIT").await, ":1\r\n");
    assert_eq!(c.q("BITPOS b 1").await, ":7\r\n");
    assert_eq!(c.q("BITPOS b 1 8 23 BIT").await, ":17\r\n");
    assert_eq!(c.q("BITPOS b 0 0 0").await, ":0\r\n");
    assert_eq!(c.q("SET f \u{7f}").await, "+OK\r\n");
    assert_eq!(c.q("BITPOS f 0 1 7 BIT").await, ":-1\r\n");
    assert_eq!(c.q("BITOP OR d b f").await, ":3\r\n");
    assert_eq!(c.q("GET d").await, "$3\r\n\x7f\x00\x40\r\n");
    assert_eq!(c.q("BITOP AND d nokey").await, ":0\r\n");
    assert_eq!(c.q("EXISTS d").await, ":0\r\n");
    assert_eq!(
        c.q("BITFIELD x SET u8 #1 300 GET u8 #1 INCRBY i5 0 100 OVERFLOW FAIL INCRBY u2 14 9")
            .await,
        "*4\r\n:0\r\n:44\r\n:4\r\n$-1\r\n"
    );
    assert_eq!(c.q("BITFIELD_RO x GET u8 8").await, "*1\r\n:44\r\n");
    assert_eq!(
        c.q("BITFIELD_RO x SET u8 0 1").await,
        "-ERR BITFIELD_RO only supports the GET subcommand\r\n"
    );
    assert_eq!(
        c.q("SETBIT b 4294967296 1").await,
        "-ERR bit offset is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.q("SETBIT b 0 2").await,
        "-ERR bit is not an integer or out of range\r\n"
    );
    assert_eq!(c.q("BITCOUNT b 0 1 FOO").await, "-ERR syntax error\r\n");
    assert_eq!(
        c.q("BITPOS b 2").await,
        "-ERR The bit argument must be 1 or 0.\r\n"
    );
    node.stop().await;
}

/// LCS: the common subsequence, its length, or its matching runs (last first) with
/// their lengths, as Redis 7.0 walks its table.
#[tokio::test]
async fn lcs_answers_the_subsequence_its_length_or_its_runs() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    c.q("SET a ohmytext").await;
    c.q("SET b mynewtext").await;
    assert_eq!(c.q("LCS a b").await, "$6\r\nmytext\r\n");
    assert_eq!(c.q("LCS a b LEN").await, ":6\r\n");
    assert_eq!(
        c.q("LCS a b IDX MINMATCHLEN 3 WITHMATCHLEN").await,
        "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
    );
    assert_eq!(
        c.q("LCS a b LEN IDX").await,
        "-ERR If you want both the length and indexes, please just use IDX.\r\n"
    );
    c.q("RPUSH l x").await;
    assert_eq!(
        c.q("LCS a l").await,
        "-ERR The specified keys must contain string values\r\n"
    );
    node.stop().await;
}
