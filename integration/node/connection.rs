//! PING, ECHO, HELLO, AUTH, SELECT, QUIT, pipelining and protocol errors.

use crate::common::*;

#[tokio::test]
async fn ping_echo_and_unknown_command() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("PING").await, "+PONG\r\n");
    assert_eq!(c.q("PING hi").await, "$2\r\nhi\r\n");
    assert_eq!(c.q("ECHO hello").await, "$5\r\nhello\r\n");
    assert_eq!(
        c.q("ECHO").await,
        "-ERR wrong number of arguments for 'echo' command\r\n"
    );
    assert_eq!(
        c.q("FOO a b").await,
        "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n"
    );
    node.stop().await;
}

#[tokio::test]
async fn hello_switches_to_resp3() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let reply = c.q("HELLO 3").await;
    assert!(reply.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"), "{reply}");
    assert_eq!(c.q("GET missing").await, "_\r\n");
    assert_eq!(
        c.q("HELLO 4").await,
        "-NOPROTO unsupported protocol version\r\n"
    );
    c.q("HELLO 2").await;
    assert_eq!(c.q("GET missing").await, "$-1\r\n");
    node.stop().await;
}

#[tokio::test]
async fn requirepass_gates_commands() {
    let node = start_node_with(|s| s.requirepass = Some(b"secret".to_vec())).await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("GET a").await, "-NOAUTH Authentication required.\r\n");
    assert_eq!(
        c.q("AUTH wrong").await,
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(c.q("AUTH secret").await, "+OK\r\n");
    assert_eq!(c.q("GET a").await, "$-1\r\n");
    let mut d = raw(&node).await;
    assert!(d
        .q("HELLO 3 AUTH default secret")
        .await
        .starts_with("%7\r\n"));
    node.stop().await;
}

#[tokio::test]
async fn select_only_db_zero() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("SELECT 0").await, "+OK\r\n");
    assert_eq!(c.q("SELECT 1").await, "-ERR DB index is out of range\r\n");
    assert_eq!(
        c.q("SELECT x").await,
        "-ERR value is not an integer or out of range\r\n"
    );
    node.stop().await;
}

#[tokio::test]
async fn ten_thousand_pipelined_commands_in_one_write() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let mut batch = Vec::new();
    for i in 0..10_000 {
        let k = format!("k{i}");
        let v = format!("v{i}");
        batch.extend_from_slice(&encode(&[b"SET", k.as_bytes(), v.as_bytes()]));
        batch.extend_from_slice(&encode(&[b"GET", k.as_bytes()]));
    }
    c.send_raw(&batch).await;
    for i in 0..10_000 {
        assert_eq!(c.read_reply().await, b"+OK\r\n");
        let v = format!("v{i}");
        assert_eq!(
            c.read_reply().await,
            format!("${}\r\n{}\r\n", v.len(), v).into_bytes()
        );
    }
    node.stop().await;
}

#[tokio::test]
async fn inline_commands_and_protocol_errors_close() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    c.send_raw(b"PING\r\nSET a \"x y\"\r\nGET a\r\n").await;
    assert_eq!(c.read_reply().await, b"+PONG\r\n");
    assert_eq!(c.read_reply().await, b"+OK\r\n");
    assert_eq!(c.read_reply().await, b"$3\r\nx y\r\n");
    c.send_raw(b"*1\r\n$-1\r\n").await;
    assert_eq!(
        c.read_reply().await,
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(c.closed().await);
    node.stop().await;
}

#[tokio::test]
async fn quit_replies_then_closes() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("QUIT").await, "+OK\r\n");
    assert!(c.closed().await);
    node.stop().await;
}

#[tokio::test]
async fn exec_aborts_after_a_queuing_error() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("MULTI").await, "+OK\r\n");
    assert_eq!(c.q("SET a 1").await, "+QUEUED\r\n");
    assert_eq!(
        c.q("NOSUCH x").await,
        "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n"
    );
    assert_eq!(
        c.q("EXEC").await,
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(c.q("GET a").await, "$-1\r\n");
    node.stop().await;
}

#[tokio::test]
async fn watch_conflict_returns_null_exec() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let mut d = raw(&node).await;
    assert_eq!(c.q("WATCH k").await, "+OK\r\n");
    assert_eq!(d.q("SET k other").await, "+OK\r\n");
    assert_eq!(c.q("MULTI").await, "+OK\r\n");
    assert_eq!(c.q("SET k mine").await, "+QUEUED\r\n");
    assert_eq!(c.q("EXEC").await, "*-1\r\n");
    assert_eq!(c.q("GET k").await, "$5\r\nother\r\n");
    assert_eq!(c.q("MULTI").await, "+OK\r\n");
    assert_eq!(c.q("SET k mine").await, "+QUEUED\r\n");
    assert_eq!(c.q("EXEC").await, "*1\r\n+OK\r\n");
    node.stop().await;
}

/// `ringcache node` spreads connections over per-core event loops (each a
/// single-threaded runtime on its own thread): commands, a BLPOP woken by a push from
/// a connection on the other loop, CLIENT KILL across loops, and shutdown all work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_on_event_loops() {
    use ringcache::net::EventLoops;
    use std::sync::Arc;
    let loops = EventLoops::start(2).expect("loops start");
    assert_eq!(loops.len(), 2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Arc::new(ringcache::node::Server::new(
        ringcache::node::Settings::default(),
        addr.port(),
    ));
    let shutdown = tokio_util::sync::CancellationToken::new();
    let run = tokio::spawn({
        let (server, shutdown) = (server.clone(), shutdown.clone());
        async move {
            ringcache::node::run_on(server, listener, shutdown, Some(&loops)).await;
        }
    });
    // Round robin: consecutive connections land on different loops.
    let mut waiter = Raw::connect(addr).await;
    let mut pusher = Raw::connect(addr).await;
    let mut victim = Raw::connect(addr).await;
    assert_eq!(pusher.q("SET k v").await, "+OK\r\n");
    assert_eq!(waiter.q("GET k").await, "$1\r\nv\r\n");
    waiter.send_raw(&encode(&[b"BLPOP", b"list", b"0"])).await;
    // The waiter is parked once CLIENT LIST shows it blocked (bounded wait).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !pusher.q("CLIENT LIST").await.contains("flags=b") {
        assert!(std::time::Instant::now() < deadline, "BLPOP never blocked");
        tokio::task::yield_now().await;
    }
    assert_eq!(pusher.q("RPUSH list x").await, ":1\r\n");
    assert_eq!(
        String::from_utf8(waiter.read_reply().await).unwrap(),
        "*2\r\n$4\r\nlist\r\n$1\r\nx\r\n"
    );
    let id = victim.q("CLIENT ID").await;
    let id = id.trim_start_matches(':').trim_end();
    assert_eq!(pusher.q(&format!("CLIENT KILL ID {id}")).await, ":1\r\n");
    assert!(victim.closed().await);
    shutdown.cancel();
    run.await.unwrap();
    assert!(waiter.closed().await);
    assert!(pusher.closed().await);
}
