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
/// A node serving its connections on two event loops (as `threads = 2` runs it):
/// consecutive connections land on different loops. The node (its accept loop and
/// background tasks included) runs on threads of its own, so a node thread that
/// blocked could not stall the test's runtime: the test's reply timeouts still fire.
struct TwoLoops {
    addr: std::net::SocketAddr,
    shutdown: tokio_util::sync::CancellationToken,
    thread: std::thread::JoinHandle<()>,
}

impl TwoLoops {
    async fn start(settings: ringcache::node::Settings) -> TwoLoops {
        use ringcache::net::EventLoops;
        use std::sync::Arc;
        let shutdown = tokio_util::sync::CancellationToken::new();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::spawn({
            let shutdown = shutdown.clone();
            move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let loops = EventLoops::start(2).expect("loops start");
                    assert_eq!(loops.len(), 2);
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let addr = listener.local_addr().unwrap();
                    let server = Arc::new(ringcache::node::Server::new(settings, addr.port()));
                    tx.send(addr).unwrap();
                    ringcache::node::run_on(server, listener, shutdown, Some(&loops)).await;
                });
            }
        });
        let addr = rx.await.expect("node started");
        TwoLoops {
            addr,
            shutdown,
            thread,
        }
    }

    /// Shut the node down and wait for it.
    async fn stop(self) {
        self.shutdown.cancel();
        let thread = self.thread;
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .unwrap()
            .expect("node thread");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_on_event_loops() {
    let node = TwoLoops::start(Default::default()).await;
    let addr = node.addr;
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
    node.stop().await;
    assert!(waiter.closed().await);
    assert!(pusher.closed().await);
}

/// Pipelined commands on one shard share its lock for a run of commands: the runs of
/// two connections on two loops must still not interleave inside a command. Every
/// INCR of a hot key, from either connection, gets a distinct value, and each
/// connection sees its own values rise. Keyless and multi-key commands in between
/// make each connection let go of the lock and take it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_runs_on_one_key_stay_atomic_across_loops() {
    const PER_CONNECTION: usize = 3000;
    let node = TwoLoops::start(Default::default()).await;
    let mut pipeline = Vec::new();
    for i in 0..PER_CONNECTION {
        pipeline.extend_from_slice(&encode(&[b"INCR", b"hot"]));
        match i % 50 {
            10 => pipeline.extend_from_slice(&encode(&[b"PING"])),
            20 => pipeline.extend_from_slice(&encode(&[b"MSET", b"a", b"1", b"b", b"2"])),
            _ => {}
        }
    }
    let extra = (0..PER_CONNECTION)
        .filter(|i| matches!(i % 50, 10 | 20))
        .count();
    let pipeline = std::sync::Arc::new(pipeline);
    let mut clients = Vec::new();
    for _ in 0..2 {
        let mut c = Raw::connect(node.addr).await;
        let pipeline = pipeline.clone();
        clients.push(tokio::spawn(async move {
            c.send_raw(&pipeline).await;
            let mut replies = Vec::with_capacity(PER_CONNECTION + extra);
            for _ in 0..PER_CONNECTION + extra {
                replies.push(String::from_utf8(read_reply(&mut c).await).unwrap());
            }
            replies
        }));
    }
    let mut all = Vec::new();
    for client in clients {
        let replies = client.await.unwrap();
        let incrs: Vec<i64> = replies
            .iter()
            .filter_map(|r| r.strip_prefix(':'))
            .map(|r| r.trim_end().parse().unwrap())
            .collect();
        assert_eq!(incrs.len(), PER_CONNECTION);
        assert!(
            incrs.windows(2).all(|w| w[0] < w[1]),
            "a connection's INCRs went back"
        );
        assert_eq!(
            replies.iter().filter(|r| *r == "+PONG\r\n").count(),
            extra / 2
        );
        assert_eq!(
            replies.iter().filter(|r| *r == "+OK\r\n").count(),
            extra / 2
        );
        all.extend(incrs);
    }
    all.sort_unstable();
    let want: Vec<i64> = (1..=2 * PER_CONNECTION as i64).collect();
    assert_eq!(all, want, "INCRs from the two loops overlapped");
    let mut c = Raw::connect(node.addr).await;
    assert_eq!(
        c.q("GET hot").await,
        format!("$4\r\n{}\r\n", 2 * PER_CONNECTION)
    );
    node.stop().await;
}

/// A write over `maxmemory` evicts, and eviction locks shards itself: a pipelined run
/// on one key must let go of the key's shard first (or the connection would wait on
/// its own lock forever). Each SET's value alone is over the limit, so every SET
/// evicts the key the previous one stored.
///
/// The node runs on its own loop threads, so that if it did wait, the test's reply
/// timeout would still fire and fail the test rather than hang it.
#[tokio::test]
async fn pipelined_writes_that_evict_do_not_wait_on_their_own_lock() {
    let settings = ringcache::node::Settings {
        maxmemory: 1000,
        maxmemory_policy: ringcache::config::EvictionPolicy::AllKeysLru,
        ..Default::default()
    };
    let node = TwoLoops::start(settings).await;
    let mut c = Raw::connect(node.addr).await;
    let value = vec![b'x'; 2000];
    let mut pipeline = Vec::new();
    for _ in 0..20 {
        pipeline.extend_from_slice(&encode(&[b"SET", b"big", &value]));
    }
    c.send_raw(&pipeline).await;
    for _ in 0..20 {
        assert_eq!(
            String::from_utf8(read_reply(&mut c).await).unwrap(),
            "+OK\r\n"
        );
    }
    assert_eq!(c.q("STRLEN big").await, ":2000\r\n");
    let info = c.q("INFO stats").await;
    assert!(info.contains("evicted_keys:19\r\n"), "{info}");
    node.stop().await;
}
