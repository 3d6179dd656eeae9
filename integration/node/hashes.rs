//! Hash commands: replies, errors, RESP3 shapes, listpack-like ordering, HSCAN.

use crate::common::*;
use tokio::io::AsyncReadExt;

/// Send a whitespace-separated command and read one reply with [`reply_len`].
///
/// The shared `Raw::read_reply` decodes with redis-protocol's RESP3 decoder, which
/// rejects RESP2 nulls (`$-1`) inside arrays (HMGET, LPOS…), so the collection tests
/// frame replies themselves. Requests are never pipelined here, so one reply is all
/// the stream holds.
pub(crate) async fn q(c: &mut Raw, line: &str) -> String {
    let args: Vec<&[u8]> = line.split_whitespace().map(|s| s.as_bytes()).collect();
    c.send_raw(&encode(&args)).await;
    let mut buf = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while reply_len(&buf, 0).is_none() {
        let mut chunk = vec![0u8; 64 * 1024];
        let n = tokio::time::timeout_at(deadline, c.stream.read(&mut chunk))
            .await
            .expect("reply within 10 s")
            .expect("read");
        assert!(n > 0, "server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(reply_len(&buf, 0), Some(buf.len()), "one reply expected");
    String::from_utf8_lossy(&buf).into_owned()
}

/// End offset of the RESP2/RESP3 reply starting at `at`, if it is complete.
fn reply_len(b: &[u8], at: usize) -> Option<usize> {
    let nl = at + b.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
    let head = std::str::from_utf8(&b[at + 1..nl]).ok()?;
    let after = nl + 2;
    let n = |mul: i64| head.parse::<i64>().map(|v| v * mul).unwrap_or(0);
    match b[at] {
        b'$' | b'=' | b'!' if n(1) >= 0 => {
            let end = after + n(1) as usize + 2;
            (b.len() >= end).then_some(end)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let mul = if matches!(b[at], b'%' | b'|') { 2 } else { 1 };
            let mut pos = after;
            for _ in 0..n(mul).max(0) {
                pos = reply_len(b, pos)?;
            }
            Some(pos)
        }
        _ => Some(after),
    }
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

#[tokio::test]
async fn set_get_and_friends() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(q(&mut c, "HSET h f1 v1 f2 v2").await, ":2\r\n");
    assert_eq!(q(&mut c, "HSET h f1 x f3 v3").await, ":1\r\n");
    assert_eq!(q(&mut c, "HMSET h f4 v4").await, "+OK\r\n");
    assert_eq!(q(&mut c, "HSETNX h f4 no").await, ":0\r\n");
    assert_eq!(q(&mut c, "HSETNX h f5 v5").await, ":1\r\n");
    assert_eq!(q(&mut c, "HGET h f1").await, "$1\r\nx\r\n");
    assert_eq!(q(&mut c, "HGET h nope").await, "$-1\r\n");
    assert_eq!(q(&mut c, "HGET nope f").await, "$-1\r\n");
    assert_eq!(
        q(&mut c, "HMGET h f2 nope f3").await,
        "*3\r\n$2\r\nv2\r\n$-1\r\n$2\r\nv3\r\n"
    );
    assert_eq!(q(&mut c, "HMGET nope a").await, "*1\r\n$-1\r\n");
    assert_eq!(q(&mut c, "HLEN h").await, ":5\r\n");
    assert_eq!(q(&mut c, "HEXISTS h f2").await, ":1\r\n");
    assert_eq!(q(&mut c, "HEXISTS h zz").await, ":0\r\n");
    assert_eq!(q(&mut c, "HSTRLEN h f2").await, ":2\r\n");
    assert_eq!(q(&mut c, "HSTRLEN h zz").await, ":0\r\n");
    assert_eq!(q(&mut c, "HDEL h f1 zz f2").await, ":2\r\n");
    assert_eq!(
        q(&mut c, "HKEYS h").await,
        "*3\r\n$2\r\nf3\r\n$2\r\nf4\r\n$2\r\nf5\r\n"
    );
    assert_eq!(
        q(&mut c, "HVALS h").await,
        "*3\r\n$2\r\nv3\r\n$2\r\nv4\r\n$2\r\nv5\r\n"
    );
    assert_eq!(q(&mut c, "HDEL h f3 f4 f5").await, ":3\r\n");
    // The emptied hash is gone: a string can take its place.
    assert_eq!(q(&mut c, "HLEN h").await, ":0\r\n");
    assert_eq!(q(&mut c, "SET h s").await, "+OK\r\n");
    node.stop().await;
}

#[tokio::test]
async fn insertion_order_survives_deletes_in_small_hashes() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "HSET h z 1 y 2 x 3").await;
    q(&mut c, "HSET h a 4").await;
    q(&mut c, "HDEL h y").await;
    q(&mut c, "HSET h y 5").await;
    assert_eq!(
        q(&mut c, "HGETALL h").await,
        "*8\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\n3\r\n$1\r\na\r\n$1\r\n4\r\n$1\r\ny\r\n$1\r\n5\r\n"
    );
    node.stop().await;
}

#[tokio::test]
async fn wrong_type_and_argument_errors() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "SET s x").await;
    for cmd in [
        "HSET s f v",
        "HSETNX s f v",
        "HGET s f",
        "HMGET s f",
        "HGETALL s",
        "HKEYS s",
        "HVALS s",
        "HDEL s f",
        "HEXISTS s f",
        "HLEN s",
        "HSTRLEN s f",
        "HINCRBY s f 1",
        "HINCRBYFLOAT s f 1",
        "HRANDFIELD s",
        "HRANDFIELD s 2",
        "HSCAN s 0",
    ] {
        assert_eq!(q(&mut c, cmd).await, WRONGTYPE, "{cmd}");
    }
    assert_eq!(
        q(&mut c, "HSET h f v g").await,
        "-ERR wrong number of arguments for 'hset' command\r\n"
    );
    assert_eq!(
        q(&mut c, "HMSET h f v g").await,
        "-ERR wrong number of arguments for 'hmset' command\r\n"
    );
    // Argument errors come before the type check, as in Redis.
    assert_eq!(
        q(&mut c, "HINCRBY s f x").await,
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        q(&mut c, "HINCRBYFLOAT s f x").await,
        "-ERR value is not a valid float\r\n"
    );
    assert_eq!(q(&mut c, "HSCAN s x").await, "-ERR invalid cursor\r\n");
    assert_eq!(
        q(&mut c, "HRANDFIELD h 1 FOO").await,
        "-ERR syntax error\r\n"
    );
    node.stop().await;
}

#[tokio::test]
async fn incr_commands() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(q(&mut c, "HINCRBY h n 5").await, ":5\r\n");
    assert_eq!(q(&mut c, "HINCRBY h n -10").await, ":-5\r\n");
    q(&mut c, "HSET h s abc big 9223372036854775807").await;
    assert_eq!(
        q(&mut c, "HINCRBY h s 1").await,
        "-ERR hash value is not an integer\r\n"
    );
    assert_eq!(
        q(&mut c, "HINCRBY h big 1").await,
        "-ERR increment or decrement would overflow\r\n"
    );
    assert_eq!(q(&mut c, "HINCRBYFLOAT h f 1.5").await, "$3\r\n1.5\r\n");
    assert_eq!(q(&mut c, "HINCRBYFLOAT h f 0.1").await, "$3\r\n1.6\r\n");
    assert_eq!(q(&mut c, "HINCRBYFLOAT h n 0.5").await, "$4\r\n-4.5\r\n");
    assert_eq!(
        q(&mut c, "HINCRBYFLOAT h s 1").await,
        "-ERR hash value is not a float\r\n"
    );
    assert_eq!(
        q(&mut c, "HINCRBYFLOAT h f inf").await,
        "-ERR value is NaN or Infinity\r\n"
    );
    // A failed increment on a missing key leaves no empty hash behind.
    assert_eq!(
        q(&mut c, "HINCRBYFLOAT h2 f inf").await,
        "-ERR value is NaN or Infinity\r\n"
    );
    assert_eq!(q(&mut c, "SET h2 x").await, "+OK\r\n");
    node.stop().await;
}

#[tokio::test]
async fn hrandfield_shapes_in_resp2_and_resp3() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "HSET h a 1").await;
    assert_eq!(q(&mut c, "HRANDFIELD h").await, "$1\r\na\r\n");
    assert_eq!(
        q(&mut c, "HRANDFIELD h -2 WITHVALUES").await,
        "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(q(&mut c, "HRANDFIELD h 0").await, "*0\r\n");
    assert_eq!(q(&mut c, "HRANDFIELD nope").await, "$-1\r\n");
    assert_eq!(q(&mut c, "HRANDFIELD nope 3").await, "*0\r\n");
    assert_eq!(
        q(&mut c, "HRANDFIELD h -9223372036854775808").await,
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    assert_eq!(
        q(&mut c, "HRANDFIELD h -9223372036854775807 WITHVALUES").await,
        "-ERR value is out of range\r\n"
    );
    q(&mut c, "HSET h b 2 c 3").await;
    let all = q(&mut c, "HRANDFIELD h 5").await;
    assert_eq!(all, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    let two = q(&mut c, "HRANDFIELD h 2").await;
    assert!(two.starts_with("*2\r\n"), "{two}");
    q(&mut c, "HELLO 3").await;
    assert_eq!(
        q(&mut c, "HRANDFIELD h 3 WITHVALUES").await,
        "*3\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
    assert_eq!(
        q(&mut c, "HGETALL h").await,
        "%3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
    assert_eq!(q(&mut c, "HGETALL nope").await, "%0\r\n");
    assert_eq!(q(&mut c, "HGET h nope").await, "_\r\n");
    assert_eq!(q(&mut c, "HMGET h a nope").await, "*2\r\n$1\r\n1\r\n_\r\n");
    assert_eq!(q(&mut c, "HRANDFIELD nope").await, "_\r\n");
    node.stop().await;
}

#[tokio::test]
async fn hscan_small_and_big() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    q(&mut c, "HSET h foo 1 bar 2 baz 3").await;
    assert_eq!(
        q(&mut c, "HSCAN h 0 COUNT 1").await,
        "*2\r\n$1\r\n0\r\n*6\r\n$3\r\nfoo\r\n$1\r\n1\r\n$3\r\nbar\r\n$1\r\n2\r\n$3\r\nbaz\r\n$1\r\n3\r\n"
    );
    assert_eq!(
        q(&mut c, "HSCAN h 0 MATCH b[a-y]r").await,
        "*2\r\n$1\r\n0\r\n*2\r\n$3\r\nbar\r\n$1\r\n2\r\n"
    );
    assert_eq!(q(&mut c, "HSCAN nope 0").await, "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(
        q(&mut c, "HSCAN h 0 COUNT 0").await,
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        q(&mut c, "HSCAN h 0 TYPE hash").await,
        "-ERR syntax error\r\n"
    );

    // A big hash (over hash-max-listpack-entries, 512) is walked page by page; fields
    // deleted mid-scan do not hide others.
    let mut args: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"big".to_vec()];
    for i in 0..600 {
        args.push(format!("f{i}").into_bytes());
        args.push(b"v".to_vec());
    }
    let refs: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
    c.cmd(&refs).await;
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    let mut pages = 0;
    loop {
        let reply = q(&mut c, &format!("HSCAN big {cursor} COUNT 20")).await;
        pages += 1;
        if pages == 3 {
            q(&mut c, "HDEL big f0 f1 f2 f3").await;
        }
        let lines: Vec<&str> = reply.split("\r\n").collect();
        cursor = lines[2].to_string();
        for (i, l) in lines.iter().enumerate().skip(5) {
            if (i - 5) % 4 == 0 && l.starts_with('f') {
                seen.insert(l.to_string());
            }
        }
        if cursor == "0" {
            break;
        }
    }
    assert!(pages > 10, "{pages}");
    for i in 4..600 {
        assert!(seen.contains(&format!("f{i}")), "f{i} missed");
    }
    node.stop().await;
}
