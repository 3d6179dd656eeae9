//! Set commands: replies, intset ordering, option parsing, error texts, RESP3 shapes.

use crate::common::*;

/// Run `(command, exact reply)` steps in order on one connection.
async fn steps(c: &mut Raw, list: &[(&str, &str)]) {
    for (cmd, want) in list {
        assert_eq!(c.q(cmd).await, *want, "{cmd}");
    }
}

/// Bulk-string members of a flat array/set reply, sorted.
fn sorted_members(reply: &str) -> Vec<String> {
    let mut v: Vec<String> = reply
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.starts_with('$') && !l.is_empty())
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

#[tokio::test]
async fn sadd_srem_scard_and_intset_order() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("SADD s 5 3 10 -1 3", ":4\r\n"),
            (
                "SMEMBERS s",
                "*4\r\n$2\r\n-1\r\n$1\r\n3\r\n$1\r\n5\r\n$2\r\n10\r\n",
            ),
            ("SCARD s", ":4\r\n"),
            ("SREM s 3 nope", ":1\r\n"),
            ("SISMEMBER s 5", ":1\r\n"),
            ("SISMEMBER s 3", ":0\r\n"),
            ("SMISMEMBER s 5 x -1", "*3\r\n:1\r\n:0\r\n:1\r\n"),
            ("SMISMEMBER nope a", "*1\r\n:0\r\n"),
            ("SREM s 5 10 -1", ":3\r\n"),
            ("SCARD s", ":0\r\n"),
            ("SREM nope a", ":0\r\n"),
            (
                "SADD",
                "-ERR wrong number of arguments for 'sadd' command\r\n",
            ),
        ],
    )
    .await;
    // A non-integer member converts the set for good: order is no longer numeric,
    // but the members are all there.
    assert_eq!(c.q("SADD t 3 1 2 a").await, ":4\r\n");
    assert_eq!(c.q("SREM t a").await, ":1\r\n");
    let r = c.q("SMEMBERS t").await;
    assert_eq!(sorted_members(&r), ["1", "2", "3"]);
    // Non-canonical integers are strings.
    assert_eq!(c.q("SADD u 01 1").await, ":2\r\n");
    node.stop().await;
}

#[tokio::test]
async fn wrong_types_are_rejected() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("SET k x").await, "+OK\r\n");
    assert_eq!(c.q("SADD s a").await, ":1\r\n");
    for cmd in [
        "SADD k a",
        "SREM k a",
        "SMEMBERS k",
        "SISMEMBER k a",
        "SMISMEMBER k a",
        "SCARD k",
        "SPOP k",
        "SRANDMEMBER k",
        "SINTER s k",
        "SUNION s k",
        "SDIFF s k",
        "SINTERCARD 2 s k",
        "SINTERSTORE d s k",
        "SSCAN k 0",
        "SMOVE s k a",
        "SMOVE k s a",
    ] {
        assert_eq!(c.q(cmd).await, WRONGTYPE, "{cmd}");
    }
    // A missing source wins over a wrong-typed destination.
    assert_eq!(c.q("SMOVE nope k a").await, ":0\r\n");
    node.stop().await;
}

#[tokio::test]
async fn spop_and_srandmember() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("SADD s 1 2 3", ":3\r\n"),
            ("SPOP s -1", "-ERR value is out of range, must be positive\r\n"),
            ("SPOP s abc", "-ERR value is out of range, must be positive\r\n"),
            ("SPOP s 1 2", "-ERR syntax error\r\n"),
            ("SPOP s 0", "*0\r\n"),
            ("SRANDMEMBER s 0", "*0\r\n"),
            ("SRANDMEMBER s abc", "-ERR value is not an integer or out of range\r\n"),
            (
                "SRANDMEMBER s -9223372036854775808",
                "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
            ),
            ("SRANDMEMBER s 1 2", "-ERR syntax error\r\n"),
            ("SRANDMEMBER s 10", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            ("SRANDMEMBER nope", "$-1\r\n"),
            ("SRANDMEMBER nope 2", "*0\r\n"),
            ("SPOP nope", "$-1\r\n"),
            ("SPOP nope 2", "*0\r\n"),
        ],
    )
    .await;
    let r = c.q("SRANDMEMBER s -5").await;
    assert!(r.starts_with("*5\r\n"), "{r}");
    let r = c.q("SRANDMEMBER s 2").await;
    let m = sorted_members(&r);
    assert!(m.len() == 2 && m[0] != m[1], "{r}");
    let r = c.q("SPOP s 2").await;
    assert_eq!(sorted_members(&r).len(), 2);
    assert_eq!(c.q("SCARD s").await, ":1\r\n");
    let r = c.q("SPOP s").await;
    assert!(r.starts_with("$1\r\n"), "{r}");
    assert_eq!(c.q("SCARD s").await, ":0\r\n");
    // A count covering the whole set returns it in order and deletes the key.
    assert_eq!(c.q("SADD t 3 1 2").await, ":3\r\n");
    assert_eq!(
        c.q("SPOP t 9223372036854775807").await,
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
    assert_eq!(c.q("SCARD t").await, ":0\r\n");
    node.stop().await;
}

#[tokio::test]
async fn algebra_and_store() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("SADD a 4 3 2 1", ":4\r\n"),
            ("SADD b 5 3 2", ":3\r\n"),
            ("SINTER a b", "*2\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            ("SINTER a nope", "*0\r\n"),
            (
                "SUNION a b",
                "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n",
            ),
            ("SDIFF a b", "*2\r\n$1\r\n1\r\n$1\r\n4\r\n"),
            ("SDIFF nope a", "*0\r\n"),
            ("SINTERCARD 2 a b", ":2\r\n"),
            ("SINTERCARD 2 a b LIMIT 1", ":1\r\n"),
            ("SINTERCARD 2 a b LIMIT 0", ":2\r\n"),
            ("SINTERCARD 2 a nope", ":0\r\n"),
            (
                "SINTERCARD 0 a",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "SINTERCARD x a",
                "-ERR numkeys should be greater than 0\r\n",
            ),
            (
                "SINTERCARD 3 a b",
                "-ERR Number of keys can't be greater than number of args\r\n",
            ),
            (
                "SINTERCARD 1 a LIMIT -1",
                "-ERR LIMIT can't be negative\r\n",
            ),
            ("SINTERCARD 1 a LIMIT", "-ERR syntax error\r\n"),
            ("SINTERCARD 1 a FOO 1", "-ERR syntax error\r\n"),
            ("SET d x", "+OK\r\n"),
            ("SINTERSTORE d a b", ":2\r\n"),
            ("SMEMBERS d", "*2\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            ("SUNIONSTORE d a b", ":5\r\n"),
            ("SDIFFSTORE d a b", ":2\r\n"),
            ("SMEMBERS d", "*2\r\n$1\r\n1\r\n$1\r\n4\r\n"),
            ("SDIFFSTORE d a a", ":0\r\n"),
            ("SCARD d", ":0\r\n"),
            ("SINTERSTORE d a nope", ":0\r\n"),
        ],
    )
    .await;
    node.stop().await;
}

#[tokio::test]
async fn smove_moves_and_creates() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("SADD a 1 2", ":2\r\n"),
            ("SMOVE a b 1", ":1\r\n"),
            ("SMOVE a b 1", ":0\r\n"),
            ("SMOVE a a 2", ":1\r\n"),
            ("SMOVE a a 9", ":0\r\n"),
            ("SMOVE a b 2", ":1\r\n"),
            ("SCARD a", ":0\r\n"),
            ("SMEMBERS b", "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
            ("SMOVE nope b 1", ":0\r\n"),
        ],
    )
    .await;
    node.stop().await;
}

#[tokio::test]
async fn sscan_small_and_large() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("SADD s 1 2 3 10", ":4\r\n"),
            (
                "SSCAN s 0",
                "*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n",
            ),
            (
                "SSCAN s 0 MATCH 1*",
                "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$2\r\n10\r\n",
            ),
            ("SSCAN s 0 COUNT 0", "-ERR syntax error\r\n"),
            (
                "SSCAN s 0 COUNT x",
                "-ERR value is not an integer or out of range\r\n",
            ),
            ("SSCAN s 0 TYPE set", "-ERR syntax error\r\n"),
            ("SSCAN s x", "-ERR invalid cursor\r\n"),
            ("SSCAN nope 0 COUNT 0", "*2\r\n$1\r\n0\r\n*0\r\n"),
        ],
    )
    .await;
    // A hashtable set is walked in steps; every member comes back exactly once
    // when nothing changes during the scan.
    let members: Vec<String> = (0..700).map(|i| format!("m{i}")).collect();
    let mut cmd: Vec<&[u8]> = vec![b"SADD", b"big"];
    cmd.extend(members.iter().map(|m| m.as_bytes()));
    assert_eq!(c.cmd(&cmd).await, b":700\r\n");
    let mut seen = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let r = c.q(&format!("SSCAN big {cursor} COUNT 50")).await;
        let lines: Vec<&str> = r.split("\r\n").collect();
        cursor = lines[2].to_string();
        seen.extend(
            lines[4..]
                .iter()
                .filter(|l| !l.starts_with('$') && !l.is_empty())
                .map(|s| s.to_string()),
        );
        if cursor == "0" {
            break;
        }
    }
    seen.sort();
    let mut want = members.clone();
    want.sort();
    assert_eq!(seen, want);
    node.stop().await;
}

#[tokio::test]
async fn resp3_replies_are_sets() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    c.q("HELLO 3").await;
    steps(
        &mut c,
        &[
            ("SADD s 2 1", ":2\r\n"),
            ("SMEMBERS s", "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
            ("SUNION s nope", "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
            ("SINTER s nope", "~0\r\n"),
            ("SDIFF s s", "~0\r\n"),
            ("SRANDMEMBER s 5", "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
            ("SPOP nope 1", "~0\r\n"),
            ("SPOP nope", "_\r\n"),
            ("SPOP s 5", "~2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
        ],
    )
    .await;
    node.stop().await;
}
