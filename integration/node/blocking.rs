//! Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN, BZPOPMAX): immediate
//! replies, blocking and waking, FIFO order, timeouts, MULTI, RESP3, disconnects.
//! No sleeps: a test waits until the node reports the expected number of blocked
//! clients before it pushes.

use crate::common::*;
use ringcache::node::NodeHandle;
use std::time::{Duration, Instant};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// Send a command without reading its reply (it blocks).
async fn send(c: &mut Raw, line: &str) {
    let args: Vec<&[u8]> = line.split_whitespace().map(|s| s.as_bytes()).collect();
    c.send_raw(&encode(&args)).await;
}

async fn reply(c: &mut Raw) -> String {
    String::from_utf8_lossy(&c.read_reply().await).into_owned()
}

/// Wait until exactly `n` clients are blocked.
async fn blocked(node: &NodeHandle, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while node.server.db.blocked.count() != n {
        assert!(
            Instant::now() < deadline,
            "never reached {n} blocked clients"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn immediate_data() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("RPUSH l a b c").await, ":3\r\n");
    assert_eq!(c.q("BLPOP none l 0").await, "*2\r\n$1\r\nl\r\n$1\r\na\r\n");
    assert_eq!(c.q("BRPOP l none 1").await, "*2\r\n$1\r\nl\r\n$1\r\nc\r\n");
    assert_eq!(c.q("BRPOPLPUSH l d 0").await, "$1\r\nb\r\n");
    assert_eq!(c.q("EXISTS l").await, ":0\r\n");
    assert_eq!(c.q("BLMOVE d d LEFT RIGHT 0").await, "$1\r\nb\r\n");
    assert_eq!(c.q("ZADD z 1.5 a 2 b").await, ":2\r\n");
    assert_eq!(
        c.q("BZPOPMIN none z 0").await,
        "*3\r\n$1\r\nz\r\n$1\r\na\r\n$3\r\n1.5\r\n"
    );
    assert_eq!(
        c.q("BZPOPMAX z 0").await,
        "*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    // Errors, in Redis's order: BLMOVE's ends, then the timeout, then the keys.
    assert_eq!(c.q("SET s x").await, "+OK\r\n");
    assert_eq!(c.q("BLPOP s d 0").await, WRONGTYPE);
    assert_eq!(c.q("BLPOP d s 0").await, "*2\r\n$1\r\nd\r\n$1\r\nb\r\n");
    assert_eq!(c.q("BZPOPMIN s 0").await, WRONGTYPE);
    assert_eq!(
        c.q("BLPOP s abc").await,
        "-ERR timeout is not a float or out of range\r\n"
    );
    assert_eq!(c.q("BLPOP s -1").await, "-ERR timeout is negative\r\n");
    assert_eq!(c.q("BRPOP s inf").await, "-ERR timeout is negative\r\n");
    assert_eq!(c.q("BLMOVE s d up LEFT x").await, "-ERR syntax error\r\n");
    assert_eq!(
        c.q("BLMOVE s d LEFT LEFT x").await,
        "-ERR timeout is not a float or out of range\r\n"
    );
    assert_eq!(c.q("RPUSH l a").await, ":1\r\n");
    assert_eq!(c.q("BLMOVE l s LEFT LEFT 0").await, WRONGTYPE);
    assert_eq!(c.q("LLEN l").await, ":1\r\n");
}

#[tokio::test]
async fn blocked_then_served_by_another_client() {
    let node = start_node().await;
    let (mut a, mut b) = (raw(&node).await, raw(&node).await);
    send(&mut a, "BLPOP l 0").await;
    blocked(&node, 1).await;
    assert!(b.q("INFO clients").await.contains("blocked_clients:1\r\n"));
    assert!(b.q("CLIENT LIST").await.contains("flags=b "));
    assert_eq!(b.q("RPUSH l x").await, ":1\r\n");
    assert_eq!(reply(&mut a).await, "*2\r\n$1\r\nl\r\n$1\r\nx\r\n");
    blocked(&node, 0).await;
    assert_eq!(b.q("EXISTS l").await, ":0\r\n");
    assert!(b.q("INFO clients").await.contains("blocked_clients:0\r\n"));
}

#[tokio::test]
async fn timeout_replies_null_array() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let t = Instant::now();
    assert_eq!(c.q("BLPOP l 0.1").await, "*-1\r\n");
    assert!(t.elapsed() >= Duration::from_millis(100));
    assert_eq!(c.q("BLMOVE l d LEFT LEFT 0.01").await, "*-1\r\n");
    assert_eq!(c.q("BZPOPMAX z 0.01").await, "*-1\r\n");
    blocked(&node, 0).await;
    c.q("HELLO 3").await;
    assert_eq!(c.q("BRPOP l 0.01").await, "_\r\n");
    assert_eq!(c.q("BRPOPLPUSH l d 0.01").await, "_\r\n");
}

#[tokio::test]
async fn fifo_between_blocked_clients() {
    let node = start_node().await;
    let (mut a, mut b, mut p) = (raw(&node).await, raw(&node).await, raw(&node).await);
    send(&mut a, "BLPOP l 0").await;
    blocked(&node, 1).await;
    send(&mut b, "BLPOP l 0").await;
    blocked(&node, 2).await;
    // One push of two elements serves both, first blocked first.
    assert_eq!(p.q("RPUSH l x y").await, ":2\r\n");
    assert_eq!(reply(&mut a).await, "*2\r\n$1\r\nl\r\n$1\r\nx\r\n");
    assert_eq!(reply(&mut b).await, "*2\r\n$1\r\nl\r\n$1\r\ny\r\n");
    // Two pushes in a row: still in blocking order.
    send(&mut b, "BRPOP l 0").await;
    blocked(&node, 1).await;
    send(&mut a, "BRPOP l 0").await;
    blocked(&node, 2).await;
    p.q("RPUSH l 1").await;
    p.q("RPUSH l 2").await;
    assert_eq!(reply(&mut b).await, "*2\r\n$1\r\nl\r\n$1\r\n1\r\n");
    assert_eq!(reply(&mut a).await, "*2\r\n$1\r\nl\r\n$1\r\n2\r\n");
    blocked(&node, 0).await;
}

#[tokio::test]
async fn multiple_keys() {
    let node = start_node().await;
    let (mut a, mut p) = (raw(&node).await, raw(&node).await);
    p.q("RPUSH k2 v2").await;
    p.q("RPUSH k3 v3").await;
    assert_eq!(
        a.q("BLPOP k1 k2 k3 0").await,
        "*2\r\n$2\r\nk2\r\n$2\r\nv2\r\n"
    );
    send(&mut a, "BLPOP k1 k2 k1 0").await;
    blocked(&node, 1).await;
    p.q("LPUSH k2 w").await;
    assert_eq!(reply(&mut a).await, "*2\r\n$2\r\nk2\r\n$1\r\nw\r\n");
    blocked(&node, 0).await;
    // Sorted sets wake only their own kind of waiter.
    send(&mut a, "BZPOPMIN z1 z2 0").await;
    blocked(&node, 1).await;
    p.q("RPUSH z1 notzset").await;
    p.q("ZADD z2 3 m").await;
    assert_eq!(
        reply(&mut a).await,
        "*3\r\n$2\r\nz2\r\n$1\r\nm\r\n$1\r\n3\r\n"
    );
}

#[tokio::test]
async fn blmove_blocked() {
    let node = start_node().await;
    let (mut a, mut p) = (raw(&node).await, raw(&node).await);
    send(&mut a, "BLMOVE src dst RIGHT LEFT 0").await;
    blocked(&node, 1).await;
    p.q("RPUSH src x y").await;
    assert_eq!(reply(&mut a).await, "$1\r\ny\r\n");
    assert_eq!(p.q("LRANGE dst 0 -1").await, "*1\r\n$1\r\ny\r\n");
    // A destination of the wrong type: WRONGTYPE when woken, source left alone.
    p.q("DEL src").await;
    p.q("SET str v").await;
    send(&mut a, "BRPOPLPUSH src str 0").await;
    blocked(&node, 1).await;
    p.q("RPUSH src z").await;
    assert_eq!(reply(&mut a).await, WRONGTYPE);
    assert_eq!(p.q("LLEN src").await, ":1\r\n");
    blocked(&node, 0).await;
}

#[tokio::test]
async fn woken_client_that_finds_nothing_waits_again() {
    let node = start_node().await;
    let (mut a, mut p) = (raw(&node).await, raw(&node).await);
    send(&mut a, "BLPOP l 0").await;
    blocked(&node, 1).await;
    // The list appears and disappears before the blocked client runs again.
    p.q("MULTI").await;
    p.q("RPUSH l gone").await;
    p.q("LPOP l").await;
    assert_eq!(p.q("EXEC").await, "*2\r\n:1\r\n$4\r\ngone\r\n");
    // A type change does not unblock it either (Redis 7.0).
    p.q("SET l str").await;
    p.q("DEL l").await;
    blocked(&node, 1).await;
    p.q("RPUSH l kept").await;
    assert_eq!(reply(&mut a).await, "*2\r\n$1\r\nl\r\n$4\r\nkept\r\n");
}

#[tokio::test]
async fn inside_multi_and_resp3() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    c.q("MULTI").await;
    for cmd in [
        "BLPOP l 0",
        "BLMOVE l d LEFT LEFT 0",
        "BRPOPLPUSH l d 0",
        "BZPOPMIN z 0",
    ] {
        assert_eq!(c.q(cmd).await, "+QUEUED\r\n");
    }
    assert_eq!(c.q("EXEC").await, "*4\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n");
    c.q("HELLO 3").await;
    c.q("MULTI").await;
    c.q("BRPOP l 0").await;
    assert_eq!(c.q("EXEC").await, "*1\r\n_\r\n");
    assert_eq!(c.q("BZPOPMIN z 0.01").await, "_\r\n");
    c.q("ZADD z 3 m").await;
    assert_eq!(
        c.q("BZPOPMIN z 0").await,
        "*3\r\n$1\r\nz\r\n$1\r\nm\r\n,3\r\n"
    );
    assert_eq!(node.server.db.blocked.count(), 0);
}

#[tokio::test]
async fn pipelined_requests_wait_for_the_blocked_one() {
    let node = start_node().await;
    let (mut a, mut p) = (raw(&node).await, raw(&node).await);
    let mut batch = encode(&[b"PING"]);
    batch.extend(encode(&[b"BLPOP", b"l", b"0"]));
    batch.extend(encode(&[b"LLEN", b"l"]));
    a.send_raw(&batch).await;
    assert_eq!(reply(&mut a).await, "+PONG\r\n");
    blocked(&node, 1).await;
    p.q("RPUSH l x y").await;
    assert_eq!(reply(&mut a).await, "*2\r\n$1\r\nl\r\n$1\r\nx\r\n");
    assert_eq!(reply(&mut a).await, ":1\r\n");
}

#[tokio::test]
async fn disconnect_while_blocked_removes_the_waiter() {
    let node = start_node().await;
    let (mut a, mut b, mut p) = (raw(&node).await, raw(&node).await, raw(&node).await);
    send(&mut a, "BLPOP l 0").await;
    blocked(&node, 1).await;
    send(&mut b, "BLPOP l 0").await;
    blocked(&node, 2).await;
    drop(a);
    blocked(&node, 1).await;
    p.q("RPUSH l x").await;
    assert_eq!(reply(&mut b).await, "*2\r\n$1\r\nl\r\n$1\r\nx\r\n");
    drop(b);
    blocked(&node, 0).await;
    p.q("RPUSH l y").await;
    assert_eq!(p.q("LLEN l").await, ":1\r\n");
}

/// A blocked command counts as a call when it blocks and, if it fails once woken
/// (BLMOVE onto a string), as a failed call then: INFO commandstats as Redis 7.0.
#[tokio::test]
async fn a_woken_command_that_fails_counts_as_failed() {
    let node = start_node().await;
    let (mut a, mut b) = (raw(&node).await, raw(&node).await);
    assert_eq!(a.q("SET d s").await, "+OK\r\n");
    assert_eq!(a.q("CONFIG RESETSTAT").await, "+OK\r\n");
    send(&mut b, "BLMOVE l d LEFT LEFT 0").await;
    blocked(&node, 1).await;
    assert_eq!(a.q("RPUSH l x").await, ":1\r\n");
    assert_eq!(reply(&mut b).await, WRONGTYPE);
    let info = a.q("INFO commandstats").await;
    let line = info
        .lines()
        .find(|l| l.starts_with("cmdstat_blmove:"))
        .unwrap_or_else(|| panic!("no blmove line in {info:?}"));
    assert!(
        line.starts_with("cmdstat_blmove:calls=1,")
            && line.ends_with(",rejected_calls=0,failed_calls=1"),
        "{line}"
    );
    node.stop().await;
}

/// A blocked command goes to the slow log when it is served, after the command that
/// served it, as Redis logs it at unblock; one that times out is not logged.
#[tokio::test]
async fn a_blocked_command_is_slow_logged_once_served() {
    let node = start_node().await;
    let (mut a, mut b) = (raw(&node).await, raw(&node).await);
    assert_eq!(a.q("CONFIG SET slowlog-log-slower-than 0").await, "+OK\r\n");
    assert_eq!(a.q("SLOWLOG RESET").await, "+OK\r\n");
    send(&mut b, "BLPOP q 0").await;
    blocked(&node, 1).await;
    assert_eq!(a.q("LPUSH q v").await, ":1\r\n");
    assert_eq!(reply(&mut b).await, "*2\r\n$1\r\nq\r\n$1\r\nv\r\n");
    assert_eq!(b.q("BLPOP empty 0.01").await, "*-1\r\n");
    let logged: Vec<Vec<u8>> = (node.server.slowlog.newest(None).iter().rev())
        .map(|e| e.args.join(&b' '))
        .collect();
    assert_eq!(
        logged,
        [&b"SLOWLOG RESET"[..], b"LPUSH q v", b"BLPOP q 0"],
        "{:?}",
        logged
            .iter()
            .map(|l| String::from_utf8_lossy(l))
            .collect::<Vec<_>>()
    );
    node.stop().await;
}

/// A blocked command goes to its latency histogram once served, as in Redis; one
/// that times out does not (INFO commandstats counts both calls).
#[tokio::test]
async fn latency_histogram_records_served_blocked_commands_only() {
    let node = start_node().await;
    let (mut a, mut b) = (raw(&node).await, raw(&node).await);
    assert_eq!(b.q("CONFIG RESETSTAT").await, "+OK\r\n");
    assert_eq!(a.q("BLPOP l 0.01").await, "*-1\r\n");
    assert_eq!(b.q("LATENCY HISTOGRAM blpop").await, "*0\r\n");
    send(&mut a, "BLPOP l 0").await;
    blocked(&node, 1).await;
    assert_eq!(b.q("RPUSH l x").await, ":1\r\n");
    assert_eq!(reply(&mut a).await, "*2\r\n$1\r\nl\r\n$1\r\nx\r\n");
    let histogram = b.q("LATENCY HISTOGRAM blpop").await;
    assert!(
        histogram.starts_with("*2\r\n$5\r\nblpop\r\n*4\r\n$5\r\ncalls\r\n:1\r\n"),
        "{histogram}"
    );
    let stats = b.q("INFO commandstats").await;
    assert!(stats.contains("cmdstat_blpop:calls=2,"), "{stats}");
}

/// BLMPOP and BZMPOP block on every key like BLPOP and, once served, pop up to COUNT
/// from the key that got data, with the key in the reply.
#[tokio::test]
async fn blmpop_and_bzmpop_are_served_with_their_count() {
    let node = start_node().await;
    let (mut a, mut b) = (raw(&node).await, raw(&node).await);
    send(&mut a, "BLMPOP 0 2 l1 l2 RIGHT COUNT 2").await;
    blocked(&node, 1).await;
    assert_eq!(b.q("RPUSH l2 x y z").await, ":3\r\n");
    assert_eq!(
        reply(&mut a).await,
        "*2\r\n$2\r\nl2\r\n*2\r\n$1\r\nz\r\n$1\r\ny\r\n"
    );
    blocked(&node, 0).await;
    send(&mut a, "BZMPOP 0 1 z MIN COUNT 5").await;
    blocked(&node, 1).await;
    assert_eq!(b.q("ZADD z 2 m 1 n").await, ":2\r\n");
    assert_eq!(
        reply(&mut a).await,
        "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nn\r\n$1\r\n1\r\n*2\r\n$1\r\nm\r\n$1\r\n2\r\n"
    );
    assert_eq!(a.q("BLMPOP 0.01 1 nokey LEFT").await, "*-1\r\n");
    assert_eq!(
        a.q("LMPOP 1 l2 LEFT").await,
        "*2\r\n$2\r\nl2\r\n*1\r\n$1\r\nx\r\n"
    );
}
