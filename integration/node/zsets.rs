//! Sorted-set commands: ZADD options, ranges, pops, random picks, ZSCAN, error texts
//! and the RESP2/RESP3 reply shapes.

use crate::common::*;

/// Run `(command, exact reply)` steps in order on one connection.
async fn steps(c: &mut Raw, list: &[(&str, &str)]) {
    for (cmd, want) in list {
        assert_eq!(c.q(cmd).await, *want, "{cmd}");
    }
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

#[tokio::test]
async fn zadd_options() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("ZADD z 1 a 2 b", ":2\r\n"),
            ("ZADD z NX 5 a 3 c", ":1\r\n"),
            ("ZADD z XX 10 a 4 d", ":0\r\n"),
            ("ZSCORE z a", "$2\r\n10\r\n"),
            ("ZSCORE z d", "$-1\r\n"),
            ("ZADD z GT 5 a", ":0\r\n"),
            ("ZADD z LT CH 5 a", ":1\r\n"),
            ("ZADD z GT CH 6 a 1 b 9 e", ":2\r\n"),
            ("ZADD z CH 6 a 3 b", ":1\r\n"),
            ("ZADD z INCR 1.5 a", "$3\r\n7.5\r\n"),
            ("ZADD z NX INCR 1 a", "$-1\r\n"),
            ("ZADD z GT INCR -1 a", "$-1\r\n"),
            ("ZADD nope XX 1 a", ":0\r\n"),
            ("ZADD nope XX INCR 1 a", "$-1\r\n"),
            ("ZCARD nope", ":0\r\n"),
            (
                "ZADD z NX XX 1 a",
                "-ERR XX and NX options at the same time are not compatible\r\n",
            ),
            (
                "ZADD z GT LT 1 a",
                "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n",
            ),
            (
                "ZADD z NX GT 1 a",
                "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n",
            ),
            (
                "ZADD z INCR 1 a 2 b",
                "-ERR INCR option supports a single increment-element pair\r\n",
            ),
            ("ZADD z 1 a 2", "-ERR syntax error\r\n"),
            ("ZADD z FOO a", "-ERR value is not a valid float\r\n"),
            ("ZADD z nan a", "-ERR value is not a valid float\r\n"),
            ("ZADD z 1e400 a", "-ERR value is not a valid float\r\n"),
            ("ZADD z 0x10 h", ":1\r\n"),
            ("ZSCORE z h", "$2\r\n16\r\n"),
            ("ZADD z inf i", ":1\r\n"),
            (
                "ZADD z INCR -inf i",
                "-ERR resulting score is not a number (NaN)\r\n",
            ),
            (
                "ZINCRBY z -inf i",
                "-ERR resulting score is not a number (NaN)\r\n",
            ),
            ("ZINCRBY z abc i", "-ERR value is not a valid float\r\n"),
            ("ZINCRBY z 1.1 new", "$18\r\n1.1000000000000001\r\n"),
        ],
    )
    .await;
    node.stop().await;
}

#[tokio::test]
async fn single_member_commands() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("ZADD z 1 a 2 b 3 c", ":3\r\n"),
            // (A RESP2 null inside an array trips the test client's RESP3 decoder:
            // ZMSCORE's nulls are checked in RESP3 below and by the differential cases.)
            ("ZMSCORE z a c", "*2\r\n$1\r\n1\r\n$1\r\n3\r\n"),
            ("ZRANK z c", ":2\r\n"),
            ("ZREVRANK z c", ":0\r\n"),
            ("ZRANK z x", "$-1\r\n"),
            ("ZRANK nope a", "$-1\r\n"),
            ("ZREM z a x", ":1\r\n"),
            ("ZCARD z", ":2\r\n"),
            ("ZREM z b c", ":2\r\n"),
            ("ZCARD z", ":0\r\n"),
            ("SET k v", "+OK\r\n"),
        ],
    )
    .await;
    for cmd in [
        "ZADD k 1 a",
        "ZINCRBY k 1 a",
        "ZREM k a",
        "ZSCORE k a",
        "ZMSCORE k a",
        "ZCARD k",
        "ZRANK k a",
        "ZCOUNT k 0 1",
        "ZLEXCOUNT k - +",
        "ZRANGE k 0 -1",
        "ZRANGEBYSCORE k 0 1",
        "ZRANGEBYLEX k - +",
        "ZPOPMIN k",
        "ZPOPMAX k 0",
        "ZREMRANGEBYRANK k 0 1",
        "ZREMRANGEBYSCORE k 0 1",
        "ZRANDMEMBER k",
        "ZSCAN k 0",
    ] {
        assert_eq!(c.q(cmd).await, WRONGTYPE, "{cmd}");
    }
    node.stop().await;
}

#[tokio::test]
async fn ranges() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("ZADD z 1 a 2 b 3 c 4 d 5 e", ":5\r\n"),
            ("ZRANGE z -2 -1 WITHSCORES", "*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"),
            ("ZRANGE z 0 1 REV", "*2\r\n$1\r\ne\r\n$1\r\nd\r\n"),
            ("ZREVRANGE z 3 100", "*2\r\n$1\r\nb\r\n$1\r\na\r\n"),
            ("ZRANGE z 3 1", "*0\r\n"),
            ("ZRANGE z (1 3 BYSCORE", "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            ("ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2", "*2\r\n$1\r\nd\r\n$1\r\nc\r\n"),
            ("ZRANGEBYSCORE z -inf +inf LIMIT 3 -1", "*2\r\n$1\r\nd\r\n$1\r\ne\r\n"),
            ("ZRANGEBYSCORE z -inf +inf LIMIT -1 1", "*0\r\n"),
            ("ZREVRANGEBYSCORE z (3 (1", "*1\r\n$1\r\nb\r\n"),
            ("ZCOUNT z (1 3", ":2\r\n"),
            ("ZCOUNT z 5 1", ":0\r\n"),
            ("ZRANGE z 0 -1 LIMIT 0 -1", "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
            (
                "ZRANGE z 0 -1 LIMIT 0 1",
                "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n",
            ),
            (
                "ZRANGE z - + BYLEX WITHSCORES",
                "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n",
            ),
            ("ZRANGE z 0 -1 BYSCORE BYLEX", "-ERR syntax error\r\n"),
            ("ZRANGEBYSCORE z 1 2 REV", "-ERR syntax error\r\n"),
            ("ZRANGE z a 1", "-ERR value is not an integer or out of range\r\n"),
            ("ZRANGE z x 1 BYSCORE", "-ERR min or max is not a float\r\n"),
            ("ZCOUNT z 1 (x", "-ERR min or max is not a float\r\n"),
            ("ZRANGE z a b BYLEX", "-ERR min or max not valid string range item\r\n"),
            ("ZRANGE nope 0 -1", "*0\r\n"),
        ],
    )
    .await;
    node.stop().await;
}

#[tokio::test]
async fn lex_ranges() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("ZADD z 0 a 0 b 0 c 0 d", ":4\r\n"),
            ("ZRANGEBYLEX z [b (d", "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            ("ZREVRANGEBYLEX z + (b LIMIT 1 5", "*1\r\n$1\r\nc\r\n"),
            ("ZLEXCOUNT z - +", ":4\r\n"),
            ("ZLEXCOUNT z + -", ":0\r\n"),
            (
                "ZLEXCOUNT z [a",
                "-ERR wrong number of arguments for 'zlexcount' command\r\n",
            ),
            ("ZREMRANGEBYLEX z (a [c", ":2\r\n"),
            ("ZRANGE z 0 -1", "*2\r\n$1\r\na\r\n$1\r\nd\r\n"),
        ],
    )
    .await;
    node.stop().await;
}

#[tokio::test]
async fn pops_removals_and_random() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("ZADD z 1 a 2 b 3 c 4 d 5 e 6 f", ":6\r\n"),
            ("ZPOPMIN z", "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
            ("ZPOPMAX z 2", "*4\r\n$1\r\nf\r\n$1\r\n6\r\n$1\r\ne\r\n$1\r\n5\r\n"),
            ("ZPOPMIN z 0", "*0\r\n"),
            ("ZPOPMIN z -1", "-ERR value is out of range, must be positive\r\n"),
            ("ZPOPMIN z 1 2", "-ERR syntax error\r\n"),
            ("ZPOPMIN nope", "*0\r\n"),
            ("ZREMRANGEBYRANK z -1 -1", ":1\r\n"),
            ("ZREMRANGEBYSCORE z (2 +inf", ":1\r\n"),
            ("ZREMRANGEBYRANK z x 1", "-ERR value is not an integer or out of range\r\n"),
            ("ZREMRANGEBYSCORE z x 1", "-ERR min or max is not a float\r\n"),
            ("ZRANDMEMBER z 5", "*1\r\n$1\r\nb\r\n"),
            ("ZRANDMEMBER z -2 WITHSCORES", "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
            ("ZRANDMEMBER z", "$1\r\nb\r\n"),
            ("ZRANDMEMBER z 0", "*0\r\n"),
            ("ZRANDMEMBER z 1 FOO", "-ERR syntax error\r\n"),
            ("ZRANDMEMBER z x", "-ERR value is not an integer or out of range\r\n"),
            (
                "ZRANDMEMBER z -9223372036854775808",
                "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
            ),
            ("ZRANDMEMBER nope", "$-1\r\n"),
            ("ZRANDMEMBER nope 2", "*0\r\n"),
            ("ZREMRANGEBYRANK z 0 -1", ":1\r\n"),
            ("ZCARD z", ":0\r\n"),
        ],
    )
    .await;
    node.stop().await;
}

#[tokio::test]
async fn zscan_listpack_and_skiplist() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    steps(
        &mut c,
        &[
            ("ZADD z 1 a 2 b 3.5 c", ":3\r\n"),
            (
                "ZSCAN z 0 COUNT 1",
                "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$3\r\n3.5\r\n",
            ),
            ("ZSCAN z 0 MATCH b", "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
            ("ZSCAN z x", "-ERR invalid cursor\r\n"),
            ("ZSCAN z 0 COUNT 0", "-ERR syntax error\r\n"),
            ("ZSCAN nope 0", "*2\r\n$1\r\n0\r\n*0\r\n"),
        ],
    )
    .await;
    // Past 128 entries the zset is walked in steps: all members come back.
    let args: Vec<String> = (0..300)
        .flat_map(|i| [i.to_string(), format!("m{i}")])
        .collect();
    let mut cmd: Vec<&[u8]> = vec![b"ZADD", b"big"];
    cmd.extend(args.iter().map(|a| a.as_bytes()));
    assert_eq!(c.cmd(&cmd).await, b":300\r\n");
    let mut seen = 0;
    let mut cursor = "0".to_string();
    let mut steps_taken = 0;
    loop {
        let r = c.q(&format!("ZSCAN big {cursor} COUNT 40")).await;
        let lines: Vec<&str> = r.split("\r\n").collect();
        cursor = lines[2].to_string();
        seen += lines[3][1..].parse::<usize>().unwrap() / 2;
        steps_taken += 1;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, 300);
    assert!(steps_taken > 1);
    node.stop().await;
}

#[tokio::test]
async fn listpack_loses_the_sign_of_zero() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let long = "m".repeat(70);
    steps(
        &mut c,
        &[
            ("ZADD z -0 a", ":1\r\n"),
            ("ZSCORE z a", "$1\r\n0\r\n"),
            (&format!("ZADD z 1 {long}"), ":1\r\n"),
            ("ZADD z -0 b", ":1\r\n"),
            ("ZSCORE z b", "$2\r\n-0\r\n"),
        ],
    )
    .await;
    node.stop().await;
}

#[tokio::test]
async fn resp3_shapes() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    c.q("HELLO 3").await;
    steps(
        &mut c,
        &[
            ("ZADD z 1 a 2.5 b", ":2\r\n"),
            (
                "ZRANGE z 0 -1 WITHSCORES",
                "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n",
            ),
            (
                "ZRANGEBYSCORE z 2 3 WITHSCORES",
                "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n",
            ),
            ("ZSCORE z b", ",2.5\r\n"),
            ("ZMSCORE z b x", "*2\r\n,2.5\r\n_\r\n"),
            ("ZMSCORE nope a", "*1\r\n_\r\n"),
            ("ZINCRBY z 1 a", ",2\r\n"),
            ("ZADD z XX INCR 1 nope", "_\r\n"),
            ("ZRANK z nope", "_\r\n"),
            // One member, so the random pick is deterministic.
            ("ZADD one 2 a", ":1\r\n"),
            (
                "ZRANDMEMBER one -1 WITHSCORES",
                "*1\r\n*2\r\n$1\r\na\r\n,2\r\n",
            ),
            (
                "ZSCAN z 0",
                "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$3\r\n2.5\r\n",
            ),
            ("ZPOPMIN z", "*2\r\n$1\r\na\r\n,2\r\n"),
            ("ZPOPMAX z 1", "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"),
            ("ZPOPMIN z 1", "*0\r\n"),
        ],
    )
    .await;
    node.stop().await;
}

/// ZUNION/ZINTER/ZDIFF weigh and aggregate scores (a plain set's members score 1),
/// the STORE forms and ZRANGESTORE overwrite or delete their destination, ZINTERCARD
/// counts up to its limit.
#[tokio::test]
async fn union_inter_diff_and_range_store() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("ZADD a 1 x 2 y 3 z").await, ":3\r\n");
    assert_eq!(c.q("ZADD b 10 y 20 z 30 w").await, ":3\r\n");
    assert_eq!(c.q("SADD s x w").await, ":2\r\n");
    assert_eq!(
        c.q("ZUNION 3 a b s WEIGHTS 1 2 10 WITHSCORES").await,
        "*8\r\n$1\r\nx\r\n$2\r\n11\r\n$1\r\ny\r\n$2\r\n22\r\n$1\r\nz\r\n$2\r\n43\r\n$1\r\nw\r\n$2\r\n70\r\n"
    );
    assert_eq!(
        c.q("ZINTER 2 a b AGGREGATE MIN WITHSCORES").await,
        "*4\r\n$1\r\ny\r\n$1\r\n2\r\n$1\r\nz\r\n$1\r\n3\r\n"
    );
    assert_eq!(c.q("ZDIFF 2 a b").await, "*1\r\n$1\r\nx\r\n");
    assert_eq!(c.q("ZINTERCARD 2 a b LIMIT 1").await, ":1\r\n");
    assert_eq!(c.q("SET d v EX 100").await, "+OK\r\n");
    assert_eq!(c.q("ZINTERSTORE d 2 a b").await, ":2\r\n");
    assert_eq!(c.q("TTL d").await, ":-1\r\n");
    assert_eq!(c.q("ZDIFFSTORE d 2 a a").await, ":0\r\n");
    assert_eq!(c.q("EXISTS d").await, ":0\r\n");
    assert_eq!(c.q("ZRANGESTORE d b (10 +inf BYSCORE").await, ":2\r\n");
    assert_eq!(c.q("ZRANGE d 0 -1").await, "*2\r\n$1\r\nz\r\n$1\r\nw\r\n");
    assert_eq!(
        c.q("ZUNION 0 a").await,
        "-ERR at least 1 input key is needed for 'zunion' command\r\n"
    );
    assert_eq!(
        c.q("ZUNION 1 a WEIGHTS x").await,
        "-ERR weight value is not a float\r\n"
    );
    assert_eq!(c.q("ZDIFF 1 a WEIGHTS 1").await, "-ERR syntax error\r\n");
    assert_eq!(
        c.q("ZRANGESTORE d a 0 -1 WITHSCORES").await,
        "-ERR syntax error\r\n"
    );
    node.stop().await;
}
