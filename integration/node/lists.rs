//! List commands: replies, errors, RESP3 shapes, argument-check order.

use crate::common::*;
use crate::hashes::q;

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

#[tokio::test]
async fn push_pop_range() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(q(&mut c, "LPUSH l a b c").await, ":3\r\n");
    assert_eq!(q(&mut c, "RPUSH l x y").await, ":5\r\n");
    assert_eq!(q(&mut c, "LPUSHX nope a").await, ":0\r\n");
    assert_eq!(q(&mut c, "RPUSHX l z").await, ":6\r\n");
    assert_eq!(
        q(&mut c, "LRANGE l 0 -1").await,
        "*6\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n"
    );
    assert_eq!(
        q(&mut c, "LRANGE l -2 100").await,
        "*2\r\n$1\r\ny\r\n$1\r\nz\r\n"
    );
    assert_eq!(q(&mut c, "LRANGE l 3 1").await, "*0\r\n");
    assert_eq!(q(&mut c, "LPOP l").await, "$1\r\nc\r\n");
    assert_eq!(q(&mut c, "RPOP l 2").await, "*2\r\n$1\r\nz\r\n$1\r\ny\r\n");
    assert_eq!(q(&mut c, "LPOP l 0").await, "*0\r\n");
    assert_eq!(q(&mut c, "LPOP nope").await, "$-1\r\n");
    assert_eq!(q(&mut c, "LPOP nope 2").await, "*-1\r\n");
    assert_eq!(
        q(&mut c, "LPOP l -1").await,
        "-ERR value is out of range, must be positive\r\n"
    );
    assert_eq!(
        q(&mut c, "LPOP l 1 2").await,
        "-ERR wrong number of arguments for 'lpop' command\r\n"
    );
    assert_eq!(q(&mut c, "LLEN l").await, ":3\r\n");
    assert_eq!(
        q(&mut c, "LPOP l 10").await,
        "*3\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nx\r\n"
    );
    // Emptied: the key is gone and can hold a string.
    assert_eq!(q(&mut c, "SET l s").await, "+OK\r\n");
    node.stop().await;
}

#[tokio::test]
async fn index_set_rem_trim_insert() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "RPUSH l a b a c a b").await;
    assert_eq!(q(&mut c, "LINDEX l -1").await, "$1\r\nb\r\n");
    assert_eq!(q(&mut c, "LINDEX l 6").await, "$-1\r\n");
    assert_eq!(q(&mut c, "LSET l 1 B").await, "+OK\r\n");
    assert_eq!(q(&mut c, "LSET l 6 x").await, "-ERR index out of range\r\n");
    assert_eq!(q(&mut c, "LSET nope 0 x").await, "-ERR no such key\r\n");
    assert_eq!(q(&mut c, "LREM l -2 a").await, ":2\r\n");
    assert_eq!(
        q(&mut c, "LRANGE l 0 -1").await,
        "*4\r\n$1\r\na\r\n$1\r\nB\r\n$1\r\nc\r\n$1\r\nb\r\n"
    );
    assert_eq!(q(&mut c, "LINSERT l BEFORE c x").await, ":5\r\n");
    assert_eq!(q(&mut c, "LINSERT l after b y").await, ":6\r\n");
    assert_eq!(q(&mut c, "LINSERT l AFTER nope y").await, ":-1\r\n");
    assert_eq!(q(&mut c, "LINSERT nope AFTER a y").await, ":0\r\n");
    assert_eq!(
        q(&mut c, "LINSERT l MIDDLE a y").await,
        "-ERR syntax error\r\n"
    );
    assert_eq!(q(&mut c, "LTRIM l 1 -2").await, "+OK\r\n");
    assert_eq!(
        q(&mut c, "LRANGE l 0 -1").await,
        "*4\r\n$1\r\nB\r\n$1\r\nx\r\n$1\r\nc\r\n$1\r\nb\r\n"
    );
    assert_eq!(q(&mut c, "LTRIM l 5 10").await, "+OK\r\n");
    assert_eq!(q(&mut c, "LLEN l").await, ":0\r\n");
    node.stop().await;
}

#[tokio::test]
async fn lpos_options() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "RPUSH l a b c a b c a").await;
    assert_eq!(q(&mut c, "LPOS l a").await, ":0\r\n");
    assert_eq!(q(&mut c, "LPOS l a RANK -2").await, ":3\r\n");
    assert_eq!(
        q(&mut c, "LPOS l a COUNT 0").await,
        "*3\r\n:0\r\n:3\r\n:6\r\n"
    );
    assert_eq!(
        q(&mut c, "LPOS l a RANK 2 COUNT 5").await,
        "*2\r\n:3\r\n:6\r\n"
    );
    assert_eq!(
        q(&mut c, "LPOS l a COUNT 0 MAXLEN 4").await,
        "*2\r\n:0\r\n:3\r\n"
    );
    assert_eq!(q(&mut c, "LPOS l zz").await, "$-1\r\n");
    assert_eq!(q(&mut c, "LPOS nope a COUNT 1").await, "*0\r\n");
    assert_eq!(
        q(&mut c, "LPOS l a RANK 0").await,
        "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"
    );
    assert_eq!(
        q(&mut c, "LPOS l a COUNT -1").await,
        "-ERR COUNT can't be negative\r\n"
    );
    assert_eq!(
        q(&mut c, "LPOS l a MAXLEN x").await,
        "-ERR MAXLEN can't be negative\r\n"
    );
    assert_eq!(q(&mut c, "LPOS l a FOO").await, "-ERR syntax error\r\n");
    node.stop().await;
}

#[tokio::test]
async fn lmove_and_rpoplpush() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "RPUSH src a b c").await;
    assert_eq!(q(&mut c, "LMOVE src dst LEFT RIGHT").await, "$1\r\na\r\n");
    assert_eq!(q(&mut c, "RPOPLPUSH src dst").await, "$1\r\nc\r\n");
    assert_eq!(
        q(&mut c, "LRANGE dst 0 -1").await,
        "*2\r\n$1\r\nc\r\n$1\r\na\r\n"
    );
    // Same-key rotation keeps a one-element list alive.
    assert_eq!(q(&mut c, "RPOPLPUSH src src").await, "$1\r\nb\r\n");
    assert_eq!(q(&mut c, "LLEN src").await, ":1\r\n");
    // A wrong-type destination is detected before anything is popped.
    q(&mut c, "SET s x").await;
    assert_eq!(q(&mut c, "LMOVE src s LEFT RIGHT").await, WRONGTYPE);
    assert_eq!(q(&mut c, "LLEN src").await, ":1\r\n");
    assert_eq!(q(&mut c, "LMOVE nope s LEFT RIGHT").await, "$-1\r\n");
    assert_eq!(
        q(&mut c, "LMOVE src dst UP RIGHT").await,
        "-ERR syntax error\r\n"
    );
    assert_eq!(q(&mut c, "LMOVE src dst LEFT LEFT").await, "$1\r\nb\r\n");
    assert_eq!(q(&mut c, "LLEN src").await, ":0\r\n");
    node.stop().await;
}

#[tokio::test]
async fn wrong_type_check_order_and_resp3() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "SET s x").await;
    for cmd in [
        "LPUSH s a",
        "RPUSHX s a",
        "LPOP s",
        "RPOP s 2",
        "LLEN s",
        "LRANGE s 0 -1",
        "LINDEX s x",
        "LSET s x v",
        "LREM s 0 a",
        "LTRIM s 0 1",
        "LINSERT s BEFORE a b",
        "LPOS s a",
        "RPOPLPUSH s d",
    ] {
        assert_eq!(q(&mut c, cmd).await, WRONGTYPE, "{cmd}");
    }
    // These parse their numbers before looking at the key.
    for cmd in ["LRANGE s x 0", "LREM s x a", "LTRIM s 0 x"] {
        assert_eq!(
            q(&mut c, cmd).await,
            "-ERR value is not an integer or out of range\r\n",
            "{cmd}"
        );
    }
    q(&mut c, "HELLO 3").await;
    assert_eq!(q(&mut c, "LPOP nope").await, "_\r\n");
    assert_eq!(q(&mut c, "LPOP nope 2").await, "_\r\n");
    assert_eq!(q(&mut c, "LINDEX nope 0").await, "_\r\n");
    assert_eq!(q(&mut c, "LPOS nope a").await, "_\r\n");
    assert_eq!(q(&mut c, "LMOVE nope d LEFT LEFT").await, "_\r\n");
    node.stop().await;
}
