//! Generic key commands, active expiry and SCAN's guarantee, with exact reply bytes.

use crate::common::*;
use ringcache::node::types::{ListValue, Value};
use std::collections::HashSet;
use std::time::Duration;

/// Put a one-element list under `key` directly (the list commands live elsewhere).
fn put_list(node: &ringcache::node::NodeHandle, key: &str) {
    let mut l = ListValue::new();
    l.push_back(b"x");
    node.server
        .db
        .lock_key(key.as_bytes())
        .set(key.as_bytes(), Value::list(l), 0);
}

/// Send each command, comparing its reply to the expected bytes.
async fn check(c: &mut Raw, steps: &[(&str, &str)]) {
    for (cmd, want) in steps {
        assert_eq!(c.q(cmd).await, *want, "{cmd}");
    }
}

#[tokio::test]
async fn del_exists_type_touch() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    put_list(&node, "l");
    check(
        &mut c,
        &[
            ("SET a 1", "+OK\r\n"),
            ("SET b 2", "+OK\r\n"),
            ("EXISTS a a b nope", ":3\r\n"),
            ("TOUCH a l nope", ":2\r\n"),
            ("TYPE a", "+string\r\n"),
            ("TYPE l", "+list\r\n"),
            ("TYPE nope", "+none\r\n"),
            ("DEL a a c", ":1\r\n"),
            ("UNLINK b l", ":2\r\n"),
            ("EXISTS a b l", ":0\r\n"),
            (
                "DEL",
                "-ERR wrong number of arguments for 'del' command\r\n",
            ),
        ],
    )
    .await;
    node.stop().await;
}

#[tokio::test]
async fn expire_options_and_errors() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    c.q("SET k v").await;
    check(
        &mut c,
        &[
            ("EXPIRE nope 10", ":0\r\n"),
            ("TTL nope", ":-2\r\n"),
            ("TTL k", ":-1\r\n"),
            ("EXPIRE k 100 XX", ":0\r\n"),
            ("EXPIRE k 100 GT", ":0\r\n"),
            ("EXPIRE k 100 NX", ":1\r\n"),
            ("EXPIRE k 200 NX", ":0\r\n"),
            ("EXPIRE k 50 GT", ":0\r\n"),
            ("EXPIRE k 200 gt", ":1\r\n"),
            ("EXPIRE k 300 LT", ":0\r\n"),
            ("TTL k", ":200\r\n"),
            (
                "EXPIRE k 1 NX GT",
                "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
            ),
            (
                "EXPIRE k abc GT LT",
                "-ERR GT and LT options at the same time are not compatible\r\n",
            ),
            ("EXPIRE k 1 foo", "-ERR Unsupported option foo\r\n"),
            (
                "EXPIRE k 9223372036854775807",
                "-ERR invalid expire time in 'expire' command\r\n",
            ),
            (
                "PEXPIRE k 9223372036854775807",
                "-ERR invalid expire time in 'pexpire' command\r\n",
            ),
            (
                "EXPIRE k 1.5",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("EXPIREAT k 4102444800", ":1\r\n"),
            ("EXPIRETIME k", ":4102444800\r\n"),
            ("PEXPIRETIME k", ":4102444800000\r\n"),
            ("PERSIST k", ":1\r\n"),
            ("PERSIST k", ":0\r\n"),
            ("PEXPIRETIME k", ":-1\r\n"),
            ("PEXPIREAT k 1", ":1\r\n"),
            ("EXISTS k", ":0\r\n"),
        ],
    )
    .await;
    node.stop().await;
}

#[tokio::test]
async fn ttl_counts_down_with_the_clock() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    c.q("SET k v").await;
    c.q("PEXPIRE k 10000").await;
    node.server.db.advance_clock(4_400);
    assert_eq!(c.q("TTL k").await, ":6\r\n");
    // Past the expiry millisecond, through which a key lives (Redis: `now > when`).
    node.server.db.advance_clock(5_601);
    assert_eq!(c.q("GET k").await, "$-1\r\n");
    assert_eq!(c.q("TTL k").await, ":-2\r\n");
    node.stop().await;
}

/// Writing over an expired key expires it first, and INFO's expired_keys counts it,
/// as Redis's lookupKeyWrite does for SET and MSET.
#[tokio::test]
async fn overwriting_an_expired_key_counts_it_as_expired() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("SET a v PX 100").await, "+OK\r\n");
    assert_eq!(c.q("SET b v PX 100").await, "+OK\r\n");
    node.server.db.advance_clock(101);
    assert_eq!(c.q("MSET a 1 b 2").await, "+OK\r\n");
    let expired = node
        .server
        .db
        .expired_keys
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(expired, 2);
    assert_eq!(c.q("PTTL a").await, ":-1\r\n");
    node.stop().await;
}

#[tokio::test]
async fn rename_copy() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    check(
        &mut c,
        &[
            ("RENAME nope x", "-ERR no such key\r\n"),
            ("RENAMENX nope nope", "-ERR no such key\r\n"),
            ("SET a 1", "+OK\r\n"),
            ("EXPIRE a 100", ":1\r\n"),
            ("RENAME a a", "+OK\r\n"),
            ("RENAME a b", "+OK\r\n"),
            ("TTL b", ":100\r\n"),
            ("SET c 3", "+OK\r\n"),
            ("RENAMENX b c", ":0\r\n"),
            ("RENAMENX b d", ":1\r\n"),
            (
                "COPY d d",
                "-ERR source and destination objects are the same\r\n",
            ),
            ("COPY d c", ":0\r\n"),
            ("COPY d c REPLACE", ":1\r\n"),
            ("GET c", "$1\r\n1\r\n"),
            ("TTL c", ":100\r\n"),
            ("COPY d e DB 0", ":1\r\n"),
            ("COPY d f DB 1", "-ERR DB index is out of range\r\n"),
            (
                "COPY d f DB x",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("COPY d f DB", "-ERR syntax error\r\n"),
            ("COPY nope f", ":0\r\n"),
        ],
    )
    .await;
    node.stop().await;
}

#[tokio::test]
async fn keys_scan_randomkey_on_empty_and_small() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    check(
        &mut c,
        &[
            ("KEYS *", "*0\r\n"),
            ("SCAN 0", "*2\r\n$1\r\n0\r\n*0\r\n"),
            ("RANDOMKEY", "$-1\r\n"),
            ("SCAN abc", "-ERR invalid cursor\r\n"),
            ("SCAN 0 COUNT 0", "-ERR syntax error\r\n"),
            ("SCAN 0 COUNT", "-ERR syntax error\r\n"),
            (
                "SCAN 0 COUNT x",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("SET ab 1", "+OK\r\n"),
            ("SET a* 1", "+OK\r\n"),
        ],
    )
    .await;
    put_list(&node, "al");
    check(
        &mut c,
        &[
            ("KEYS a\\*", "*1\r\n$2\r\na*\r\n"),
            ("KEYS ?b", "*1\r\n$2\r\nab\r\n"),
            (
                "SCAN 0 TYPE list COUNT 100",
                "*2\r\n$1\r\n0\r\n*1\r\n$2\r\nal\r\n",
            ),
            (
                "SCAN 0 MATCH a[l] TYPE LIST",
                "*2\r\n$1\r\n0\r\n*1\r\n$2\r\nal\r\n",
            ),
            ("SCAN 0 TYPE nosuch", "*2\r\n$1\r\n0\r\n*0\r\n"),
        ],
    )
    .await;
    let k = c.q("RANDOMKEY").await;
    assert!(
        ["$2\r\nab\r\n", "$2\r\na*\r\n", "$2\r\nal\r\n"].contains(&k.as_str()),
        "{k}"
    );
    node.stop().await;
}

/// Parse a SCAN reply into (cursor, keys).
fn parse_scan(reply: &[u8]) -> (String, Vec<String>) {
    let text = String::from_utf8_lossy(reply);
    let mut lines = text.split("\r\n");
    assert_eq!(lines.next(), Some("*2"));
    lines.next();
    let cursor = lines.next().unwrap().to_string();
    let n: usize = lines.next().unwrap()[1..].parse().unwrap();
    let mut keys = Vec::new();
    for _ in 0..n {
        lines.next();
        keys.push(lines.next().unwrap().to_string());
    }
    (cursor, keys)
}

/// Redis's guarantee: every key present for the whole iteration is returned, even when
/// other keys are added and deleted between the calls.
#[tokio::test]
async fn scan_returns_every_stable_key_despite_churn() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    for i in 0..1000 {
        c.q(&format!("SET k{i} v")).await;
    }
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut step = 0;
    loop {
        let (next, keys) = parse_scan(&c.cmd(&[b"SCAN", cursor.as_bytes(), b"COUNT", b"7"]).await);
        seen.extend(keys);
        // Churn: delete some keys that are not part of the stable set, add new ones.
        c.q(&format!("DEL k{}", 900 + step % 100)).await;
        c.q(&format!("SET new{step} v")).await;
        step += 1;
        assert!(step < 10_000, "scan did not terminate");
        if next == "0" {
            break;
        }
        cursor = next;
    }
    for i in 0..900 {
        assert!(seen.contains(&format!("k{i}")), "k{i} missing");
    }
    node.stop().await;
}

/// Wait (bounded) until the keyspace holds `want` keys without anyone reading them.
async fn wait_counts(node: &ringcache::node::NodeHandle, want: (usize, usize)) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while node.server.db.counts() != want {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("counts {:?}, want {want:?}", node.server.db.counts()));
}

#[tokio::test]
async fn active_expiry_removes_unread_keys() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let mut batch = Vec::new();
    for i in 0..5000 {
        batch.extend(encode(&[b"SET", format!("t{i}").as_bytes(), b"v"]));
        batch.extend(encode(&[b"PEXPIRE", format!("t{i}").as_bytes(), b"1000"]));
    }
    for i in 0..50 {
        batch.extend(encode(&[b"SET", format!("p{i}").as_bytes(), b"v"]));
    }
    c.send_raw(&batch).await;
    for _ in 0..10_050 {
        c.read_reply().await;
    }
    assert_eq!(node.server.db.counts(), (5050, 5000));
    node.server.db.advance_clock(1_500);
    wait_counts(&node, (50, 0)).await;
    assert_eq!(
        node.server
            .db
            .expired_keys
            .load(std::sync::atomic::Ordering::Relaxed),
        5000
    );
    assert_eq!(c.q("EXISTS p0 p49").await, ":2\r\n");
    node.stop().await;
}

#[tokio::test]
async fn scan_honours_count_and_walks_with_a_cursor() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    for i in 0..200 {
        assert_eq!(c.q(&format!("SET k{i} x")).await, "+OK\r\n");
    }
    let mut cursor = "0".to_string();
    let mut seen = std::collections::HashSet::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 1000, "scan does not terminate");
        let r =
            String::from_utf8(c.cmd(&[b"SCAN", cursor.as_bytes(), b"COUNT", b"10"]).await).unwrap();
        let lines: Vec<&str> = r.split("\r\n").collect();
        cursor = lines[2].to_string();
        let n: usize = lines[3][1..].parse().unwrap();
        assert!(n <= 20, "COUNT 10 returned {n} keys");
        for i in 0..n {
            seen.insert(lines[5 + 2 * i].to_string());
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 200);
    assert!(rounds >= 10, "took {rounds} rounds");
    node.stop().await;
}

/// MGET, MSET, DEL and EXISTS work through their keys a prefetch group (16) at a time:
/// 40 keys, with missing keys, a list and duplicates falling into different groups.
#[tokio::test]
async fn multi_key_commands_across_prefetch_groups() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let keys: Vec<String> = (0..40).map(|i| format!("key:{i}")).collect();
    let mut mset: Vec<&[u8]> = vec![b"MSET"];
    let values: Vec<String> = (0..40).map(|i| format!("v{i}")).collect();
    for i in (0..40).step_by(3) {
        mset.push(keys[i].as_bytes());
        mset.push(values[i].as_bytes());
    }
    assert_eq!(c.cmd(&mset).await, b"+OK\r\n");
    assert_eq!(c.q("LPUSH key:20 x").await, ":1\r\n");
    let mut mget: Vec<&[u8]> = vec![b"MGET"];
    mget.extend(keys.iter().map(|k| k.as_bytes()));
    let mut want = b"*40\r\n".to_vec();
    for (i, v) in values.iter().enumerate() {
        if i % 3 == 0 {
            want.extend(format!("${}\r\n{}\r\n", v.len(), v).bytes());
        } else {
            want.extend_from_slice(b"$-1\r\n");
        }
    }
    assert_eq!(c.cmd(&mget).await, want);
    // Every key twice: 14 strings and the list, each counted twice.
    let mut exists: Vec<&[u8]> = vec![b"EXISTS"];
    exists.extend(keys.iter().chain(keys.iter()).map(|k| k.as_bytes()));
    assert_eq!(c.cmd(&exists).await, b":30\r\n");
    let mut del: Vec<&[u8]> = vec![b"DEL"];
    del.extend(keys.iter().chain(keys.iter()).map(|k| k.as_bytes()));
    assert_eq!(c.cmd(&del).await, b":15\r\n");
    assert_eq!(c.q("DBSIZE").await, ":0\r\n");
    node.stop().await;
}

/// Which commands are accesses (LRU/LFU refreshed), as in Redis 7.0: EXISTS, TYPE and
/// the TTL family look without touching (`LOOKUP_NOTOUCH`), so a key that is only
/// checked still ages towards eviction; TOUCH, GET and PERSIST (a write's lookup, even
/// on a key without a TTL) are accesses. A new key's LFU counter is 5 and its first
/// access always makes it 6.
#[tokio::test]
async fn only_accesses_refresh_lru_and_lfu() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "CONFIG SET maxmemory-policy allkeys-lfu").await;
    assert_eq!(q(&mut c, "SET k v").await, "+OK\r\n");
    for look in ["EXISTS", "TYPE", "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        q(&mut c, &format!("{look} k")).await;
        assert_eq!(q(&mut c, "OBJECT FREQ k").await, ":5\r\n", "{look} touched");
    }
    for access in ["TOUCH", "GET", "PERSIST"] {
        assert_eq!(q(&mut c, &format!("SET {access} v")).await, "+OK\r\n");
        q(&mut c, &format!("{access} {access}")).await;
        let freq = q(&mut c, &format!("OBJECT FREQ {access}")).await;
        assert_eq!(freq, ":6\r\n", "{access}");
    }
    q(&mut c, "CONFIG RESETSTAT").await;
    for look in [
        "EXISTS",
        "TYPE",
        "TTL",
        "PTTL",
        "EXPIRETIME",
        "PEXPIRETIME",
        "TOUCH",
    ] {
        q(&mut c, &format!("{look} k")).await;
        q(&mut c, &format!("{look} nokey")).await;
    }
    q(&mut c, "PERSIST k").await;
    let stats = q(&mut c, "INFO stats").await;
    assert!(
        stats.contains("keyspace_hits:7\r\nkeyspace_misses:7\r\n"),
        "{stats}"
    );
}

/// OBJECT answers Redis 7.0's encodings (strings by content, raw once changed in
/// place, never int from INCRBYFLOAT; sticky conversions of aggregates), its shared
/// small integers' refcount, and the LFU counter under an LFU policy only; MEMORY
/// USAGE the bytes the node counts for the key. Neither is an access.
#[tokio::test]
async fn object_encoding_refcount_freq_and_memory_usage() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    for (setup, key, encoding) in [
        ("SET i 123", "i", "int"),
        ("SET e hello", "e", "embstr"),
        ("SET lead 007", "lead", "embstr"),
        ("APPEND a 12", "a", "int"),
        ("APPEND a 3", "a", "raw"),
        ("INCRBYFLOAT f 3", "f", "embstr"),
        ("RPUSH l x", "l", "quicklist"),
        ("SADD s 1 2", "s", "intset"),
        ("SADD s x", "s", "hashtable"),
        ("SREM s x", "s", "hashtable"),
        ("HSET h f v", "h", "listpack"),
        ("ZADD z 1 m", "z", "listpack"),
    ] {
        q(&mut c, setup).await;
        let want = format!("${}\r\n{encoding}\r\n", encoding.len());
        assert_eq!(
            q(&mut c, &format!("OBJECT ENCODING {key}")).await,
            want,
            "{setup}"
        );
    }
    assert_eq!(q(&mut c, "OBJECT ENCODING nokey").await, "$-1\r\n");
    assert_eq!(q(&mut c, "OBJECT REFCOUNT i").await, ":2147483647\r\n");
    assert_eq!(q(&mut c, "OBJECT REFCOUNT e").await, ":1\r\n");
    assert_eq!(q(&mut c, "COPY i i2").await, ":1\r\n");
    assert_eq!(q(&mut c, "OBJECT REFCOUNT i2").await, ":1\r\n");
    assert!(q(&mut c, "OBJECT FREQ e")
        .await
        .starts_with("-ERR An LFU maxmemory policy is not selected"));
    assert_eq!(q(&mut c, "OBJECT IDLETIME e").await, ":0\r\n");
    q(&mut c, "CONFIG SET maxmemory-policy allkeys-lfu").await;
    assert_eq!(q(&mut c, "SET hot v").await, "+OK\r\n");
    assert_eq!(q(&mut c, "OBJECT FREQ hot").await, ":5\r\n", "a new key");
    assert_eq!(q(&mut c, "GET hot").await, "$1\r\nv\r\n");
    assert_eq!(q(&mut c, "OBJECT FREQ hot").await, ":6\r\n", "one read");
    assert_eq!(
        q(&mut c, "OBJECT FREQ hot").await,
        ":6\r\n",
        "OBJECT is no access"
    );
    assert!(q(&mut c, "OBJECT IDLETIME hot")
        .await
        .starts_with("-ERR An LFU maxmemory policy is selected"));
    let usage = q(&mut c, "MEMORY USAGE e").await;
    let bytes: usize = usage
        .trim_start_matches(':')
        .trim_end()
        .parse()
        .expect(&usage);
    assert_eq!(
        bytes,
        ringcache::node::db::Shard::entry_cost(
            b"e",
            node.server.db.lock_key(b"e").peek(b"e").unwrap()
        )
    );
    assert_eq!(q(&mut c, "MEMORY USAGE nokey").await, "$-1\r\n");
    assert_eq!(
        q(&mut c, "MEMORY USAGE e SAMPLES -1").await,
        "-ERR syntax error\r\n"
    );
    // An expired key not yet removed still answers, as Redis's dictFind finds it.
    assert_eq!(q(&mut c, "SET ek v PX 20").await, "+OK\r\n");
    node.server.db.advance_clock(30);
    assert!(q(&mut c, "MEMORY USAGE ek").await.starts_with(':'));
    assert_eq!(q(&mut c, "EXISTS ek").await, ":0\r\n");
    node.stop().await;
}
