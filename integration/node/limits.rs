//! Connection limits: maxclients, idle timeout, proto-max-bulk-len, requirepass set at
//! run time through CONFIG SET.

use crate::common::*;

use std::time::Duration;

#[tokio::test]
async fn maxclients_refuses_with_redis_text_and_closes() {
    let node = start_node_with(|s| s.maxclients = 1).await;
    let mut a = raw(&node).await;
    assert_eq!(q(&mut a, "PING").await, "+PONG\r\n");
    let mut b = raw(&node).await;
    assert_eq!(
        read_reply(&mut b).await,
        b"-ERR max number of clients reached\r\n"
    );
    assert!(b.closed().await);
    assert_eq!(
        node.server
            .stats
            .rejected
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // CONFIG SET maxclients takes effect for the next connection.
    assert_eq!(q(&mut a, "CONFIG SET maxclients 2").await, "+OK\r\n");
    let mut c = raw(&node).await;
    assert_eq!(q(&mut c, "PING").await, "+PONG\r\n");
    node.stop().await;
}

/// CONFIG SET timeout reaches connections already waiting (Redis sweeps its clients
/// in clientsCron): a client idle since before the change is closed, one blocked in
/// BLPOP is not (its command has its own timeout).
#[tokio::test]
async fn idle_timeout_reaches_connections_already_idle() {
    let node = start_node().await;
    let mut admin = raw(&node).await;
    let mut idle = raw(&node).await;
    assert_eq!(q(&mut idle, "PING").await, "+PONG\r\n");
    let mut blocked = raw(&node).await;
    blocked.send_raw(&encode(&[b"BLPOP", b"list", b"0"])).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !q(&mut admin, "CLIENT LIST").await.contains("flags=b") {
        assert!(std::time::Instant::now() < deadline, "BLPOP never blocked");
        tokio::task::yield_now().await;
    }
    assert_eq!(q(&mut admin, "CONFIG SET timeout 1").await, "+OK\r\n");
    let start = std::time::Instant::now();
    assert!(idle.closed().await, "the idle client was not closed");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    // The blocked client is still there, and served.
    assert_eq!(q(&mut raw(&node).await, "RPUSH list x").await, ":1\r\n");
    assert_eq!(
        read_reply(&mut blocked).await,
        b"*2\r\n$4\r\nlist\r\n$1\r\nx\r\n"
    );
    node.stop().await;
}

#[tokio::test]
async fn idle_timeout_closes_silently() {
    let node = start_node().await;
    let mut a = raw(&node).await;
    assert_eq!(q(&mut a, "CONFIG SET timeout 1").await, "+OK\r\n");
    assert_eq!(
        q(&mut a, "CONFIG GET timeout").await,
        "*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n"
    );
    let mut b = raw(&node).await;
    assert_eq!(q(&mut b, "PING").await, "+PONG\r\n");
    let start = std::time::Instant::now();
    assert!(b.closed().await);
    assert!(start.elapsed() >= Duration::from_millis(900));
    node.stop().await;
}

#[tokio::test]
async fn proto_max_bulk_len_via_config_set() {
    let node = start_node().await;
    let mut a = raw(&node).await;
    assert_eq!(
        q(&mut a, "CONFIG SET proto-max-bulk-len 1").await,
        "-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive\r\n"
    );
    assert_eq!(
        q(&mut a, "CONFIG SET proto-max-bulk-len 1mb").await,
        "+OK\r\n"
    );
    // Applies to this (already open) connection too: a 2 MB bulk header is refused
    // at once, with Redis's text, and the connection closes.
    a.send_raw(b"*2\r\n$4\r\nECHO\r\n$2097152\r\n").await;
    assert_eq!(
        read_reply(&mut a).await,
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(a.closed().await);
    // In one write: the limit lowered by a request applies to the next request in the
    // same buffer, as Redis parses each request after running the one before it. The
    // 2 MB SET, even a whole one (parsed ahead under the old limit), is refused.
    for payload_sent in [16, 2_000_000] {
        let mut c = raw(&node).await;
        assert_eq!(
            q(&mut c, "CONFIG SET proto-max-bulk-len 512mb").await,
            "+OK\r\n"
        );
        let mut batch = b"*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n".to_vec();
        batch.extend_from_slice(
            b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$18\r\nproto-max-bulk-len\r\n$3\r\n1mb\r\n",
        );
        batch.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n");
        batch.extend(std::iter::repeat_n(b'v', payload_sent));
        if payload_sent == 2_000_000 {
            batch.extend_from_slice(b"\r\n");
        }
        c.send_raw(&batch).await;
        assert_eq!(read_reply(&mut c).await, b"$1\r\nx\r\n");
        assert_eq!(read_reply(&mut c).await, b"+OK\r\n");
        assert_eq!(
            read_reply(&mut c).await,
            b"-ERR Protocol error: invalid bulk length\r\n",
            "{payload_sent} bytes of the payload sent"
        );
        assert!(c.closed().await);
    }
    let mut b = raw(&node).await;
    b.send_raw(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n").await;
    assert_eq!(
        read_reply(&mut b).await,
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(b.closed().await);
    node.stop().await;
}

#[tokio::test]
async fn requirepass_via_config_set_applies_to_new_connections() {
    let node = start_node().await;
    let mut a = raw(&node).await;
    assert_eq!(q(&mut a, "CONFIG SET requirepass s3cret").await, "+OK\r\n");
    // The connection that set it stays authenticated, as in Redis.
    assert_eq!(q(&mut a, "PING").await, "+PONG\r\n");
    let mut b = raw(&node).await;
    assert_eq!(
        q(&mut b, "GET x").await,
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(q(&mut b, "AUTH s3cret").await, "+OK\r\n");
    assert_eq!(q(&mut b, "GET x").await, "$-1\r\n");
    assert_eq!(
        q(&mut a, "CONFIG GET requirepass").await,
        "*2\r\n$11\r\nrequirepass\r\n$6\r\ns3cret\r\n"
    );
    node.stop().await;
}
