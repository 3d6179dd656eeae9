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
    // redis-server 7.0.15's replies, byte for byte: wrong arity is reported before
    // NOAUTH, a refused EXEC is an EXECABORT, HELLO checks a name before auth.
    assert_eq!(
        c.q("GET").await,
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        c.q("EXEC").await,
        "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        c.q("HELLO").await,
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the \
         HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
         the RESP protocol version at the same time\r\n"
    );
    assert_eq!(
        c.cmd(&[b"HELLO", b"3", b"SETNAME", b"a b", b"AUTH", b"default", b"secret"])
            .await,
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    // Options are taken in order: AUTH succeeds, then the bad option fails the command,
    // and the connection stays authenticated (RESP2 still).
    let mut e = raw(&node).await;
    assert_eq!(
        e.q("HELLO 3 AUTH default secret BOGUS").await,
        "-ERR Syntax error in HELLO option 'BOGUS'\r\n"
    );
    assert_eq!(e.q("GET a").await, "$-1\r\n");
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

/// A pipelined batch runs exactly as the same commands sent one at a time: the node
/// parses a batch's requests ahead and prefetches their keys (and hash fields and set
/// members), which must change no reply. Random commands over a few keys of every type
/// (wrong types included), the fields of a big hash and the members of a big set and
/// of a set of integers (kept in numeric order), sent in random-sized pieces to one
/// node and one by one to another.
#[tokio::test]
async fn pipelined_batches_reply_as_commands_sent_one_at_a_time() {
    use rand::{Rng, SeedableRng};
    let seed: u64 = rand::rng().random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let long = "x".repeat(100);
    // A hash past the listpack limit (its deletes swap fields, not shift them).
    let mut big_hash: Vec<String> = vec!["HSET".into(), "big".into()];
    for i in 0..600 {
        big_hash.extend([format!("f{i}"), i.to_string()]);
    }
    let mut big_set: Vec<String> = vec!["SADD".into(), "bigset".into()];
    big_set.extend((0..600).map(|i| format!("m{i}")));
    let mut commands: Vec<Vec<String>> = vec![big_hash, big_set];
    for _ in 0..3000 {
        let k = format!("k{}", rng.random_range(0..12));
        let v = if rng.random_bool(0.3) {
            long.clone()
        } else {
            rng.random_range(0..50).to_string()
        };
        let f = format!("f{}", rng.random_range(0..800));
        let h = if rng.random_bool(0.8) {
            "big".into()
        } else {
            k.clone()
        };
        let (set, m) = match rng.random_range(0..3) {
            0 => (
                "bigset".to_string(),
                format!("m{}", rng.random_range(0..800)),
            ),
            1 => ("ints".to_string(), rng.random_range(-300..300).to_string()),
            _ => (k.clone(), v.clone()),
        };
        let args: Vec<String> = match rng.random_range(0..25) {
            0 => vec!["SET".into(), k, v],
            1 => vec!["GET".into(), k],
            2 => vec!["INCR".into(), k],
            3 => vec!["DEL".into(), k],
            4 => vec!["APPEND".into(), k, v],
            5 => vec!["LPUSH".into(), k, v],
            6 => vec!["LRANGE".into(), k, "0".into(), "-1".into()],
            7 => vec!["HSET".into(), k, "f".into(), v],
            8 => vec!["HGETALL".into(), k],
            9 => vec!["SADD".into(), k, v],
            10 => vec!["SCARD".into(), k],
            11 => vec!["MGET".into(), k, "k1".into(), "k2".into()],
            12 => vec!["GETDEL".into(), k],
            13 => vec!["EXPIRE".into(), k, "1000".into(), "NX".into()],
            14 => vec!["EXISTS".into(), k, "k3".into()],
            15 => vec!["HSET".into(), h, f, v],
            16 => vec!["HGET".into(), h, f],
            17 => vec!["HDEL".into(), h, f],
            18 => vec!["HINCRBY".into(), h, f, "7".into()],
            19 => vec!["HSCAN".into(), h, "0".into(), "COUNT".into(), "5".into()],
            20 => vec!["SADD".into(), set, m],
            21 => vec!["SISMEMBER".into(), set, m],
            22 => vec!["SREM".into(), set, m],
            23 => vec!["SSCAN".into(), set, "0".into(), "COUNT".into(), "5".into()],
            _ => vec!["PING".into()],
        };
        commands.push(args);
    }
    let encoded: Vec<Vec<u8>> = commands
        .iter()
        .map(|c| encode(&c.iter().map(|a| a.as_bytes()).collect::<Vec<_>>()))
        .collect();

    let one_by_one = start_node().await;
    let mut c = raw(&one_by_one).await;
    let mut want = Vec::new();
    for e in &encoded {
        c.send_raw(e).await;
        want.push(c.read_reply().await);
    }
    one_by_one.stop().await;

    let pipelined = start_node().await;
    let mut c = raw(&pipelined).await;
    let stream = encoded.concat();
    let mut at = 0;
    while at < stream.len() {
        let n = rng.random_range(1..4096).min(stream.len() - at);
        c.send_raw(&stream[at..at + n]).await;
        at += n;
    }
    for (i, w) in want.iter().enumerate() {
        let got = c.read_reply().await;
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(w),
            "seed {seed}: reply {i} to {:?}",
            commands[i]
        );
    }
    pipelined.stop().await;
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

/// WATCH and key expiry, as Redis 7.0 (`isWatchedKeyExpired`, `touchWatchedKey`): a
/// key live at WATCH that has expired by EXEC aborts it even if nothing deleted it;
/// one already expired at WATCH that another client's read then deletes does not,
/// but one that another client writes does. The clock moves instead of sleeping.
#[tokio::test]
async fn watch_and_expired_keys() {
    let node = start_node().await;
    let mut c = raw(&node).await;
    let mut d = raw(&node).await;
    let later = |ms| node.server.db.advance_clock(ms);
    // Live when watched, expired at EXEC.
    assert_eq!(c.q("SET k v PX 100").await, "+OK\r\n");
    assert_eq!(c.q("WATCH k").await, "+OK\r\n");
    later(101);
    assert_eq!(c.q("MULTI").await, "+OK\r\n");
    assert_eq!(c.q("PING").await, "+QUEUED\r\n");
    assert_eq!(c.q("EXEC").await, "*-1\r\n");
    // Expired when watched, then deleted by another client's lookup.
    assert_eq!(c.q("SET k v PX 100").await, "+OK\r\n");
    later(101);
    assert_eq!(c.q("WATCH k").await, "+OK\r\n");
    assert_eq!(d.q("GET k").await, "$-1\r\n");
    assert_eq!(c.q("MULTI").await, "+OK\r\n");
    assert_eq!(c.q("PING").await, "+QUEUED\r\n");
    assert_eq!(c.q("EXEC").await, "*1\r\n+PONG\r\n");
    // Expired when watched, then written by another client.
    assert_eq!(c.q("SET k v PX 100").await, "+OK\r\n");
    later(101);
    assert_eq!(c.q("WATCH k").await, "+OK\r\n");
    assert_eq!(d.q("SET k w").await, "+OK\r\n");
    assert_eq!(c.q("MULTI").await, "+OK\r\n");
    assert_eq!(c.q("PING").await, "+QUEUED\r\n");
    assert_eq!(c.q("EXEC").await, "*-1\r\n");
    node.stop().await;
}

/// `ringcache node` spreads connections over per-core event loops (each a
/// single-threaded runtime on its own thread): commands, a BLPOP woken by a push from
/// a connection on the other loop, CLIENT KILL across loops, and shutdown all work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_on_event_loops() {
    serve_on_event_loops(LoopNode::start(Default::default()).await).await;
}

/// The same with loops that busy poll (`busy_poll_us`): a loop polling its sockets
/// still serves every connection, is woken for a push from the other loop, and stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_on_busy_polling_event_loops() {
    let window = Some(std::time::Duration::from_micros(200));
    serve_on_event_loops(LoopNode::start_with(Default::default(), window).await).await;
}

async fn serve_on_event_loops(node: LoopNode) {
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
    let node = LoopNode::start(Default::default()).await;
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
/// evicts the key the previous one stored, and the command after the last SET (any
/// command, as in Redis) evicts that one.
///
/// The node runs on its own loop threads, so that if it did wait, the test's reply
/// timeout would still fire and fail the test rather than hang it.
#[tokio::test]
async fn pipelined_writes_that_evict_do_not_wait_on_their_own_lock() {
    let settings = ringcache::node::Settings {
        maxmemory: ringcache::node::db::STARTUP_MEMORY + 1000,
        maxmemory_policy: ringcache::config::EvictionPolicy::AllKeysLru,
        ..Default::default()
    };
    let node = LoopNode::start(settings).await;
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
    assert_eq!(c.q("STRLEN big").await, ":0\r\n");
    let info = c.q("INFO stats").await;
    assert!(info.contains("evicted_keys:20\r\n"), "{info}");
    node.stop().await;
}

/// A connection that keeps working on one shard, and finds it locked by the other
/// event loop, moves to that shard's home loop (`node::affinity`) and carries on there
/// as itself: same client id and name, its half-sent request completed, its replies
/// in order. Of two connections on one hot key, one per loop, exactly one moves (the
/// other is already home).
///
/// The contention is made on purpose: a test thread holds the key's shard while a
/// batch arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_contending_for_a_hot_shard_moves_to_its_loop() {
    moves_once(&[&[b"INCR", b"hot"]], |server, ms| {
        hold_for(server, ms, |server, wait| {
            let _locked = server.db.lock_key(b"hot");
            wait();
        })
    })
    .await;
}

/// The same for transactions: EXEC locks every shard, and waiting for a shard
/// another loop holds counts, whichever command takes the lock. A connection that
/// keeps running MULTI/INCR/EXEC while another loop holds a shard moves to the loop
/// of the "all shards" slot (the queued INCR, which locks nothing, does not count).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_whose_exec_waits_for_shards_moves_to_the_all_shards_loop() {
    moves_once(
        &[&[b"MULTI"], &[b"INCR", b"hot"], &[b"EXEC"]],
        |server, ms| {
            hold_for(server, ms, |server, wait| {
                let _locked = server.db.lock_key(b"other");
                wait();
            })
        },
    )
    .await;
}

/// The same for scripts, which lock every shard: a connection that keeps running
/// scripts, and keeps waiting for scripts from the other loop, moves to the loop of
/// the "all shards" slot. The test thread stands in for the other loop's script by
/// holding the script gate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_waiting_for_scripts_moves_to_the_scripts_loop() {
    let script = b"return redis.call('incr', KEYS[1])";
    moves_once(&[&[b"EVAL", script, b"1", b"hot"]], |server, ms| {
        hold_for(server, ms, |server, wait| {
            let _running = server.scripts.enter();
            wait();
        })
    })
    .await;
}

/// Two connections (one per loop of a two-loop node) send `unit` — commands whose
/// last reply ends with the next integer (INCR, or MULTI, INCR, EXEC) — over and
/// over in batches, in pieces that end mid-unit so that a connection moves with part
/// of a request unread. The first
/// batch of every streak meets contention made by `contend(server, ms)` (which
/// returns once it holds what it holds, and is joined after the batch). How long a
/// loop takes to reach the contended resource is not observable, so the hold grows
/// until a connection moves (bounded). Exactly one must move; both keep their id and
/// name, replies stay in order, and the count is exact.
async fn moves_once<F>(unit: &[&[&[u8]]], contend: F)
where
    F: Fn(&std::sync::Arc<ringcache::node::Server>, u64) -> std::thread::JoinHandle<()>,
{
    use ringcache::node::affinity::STREAK;
    use std::sync::atomic::Ordering;
    let node = LoopNode::start(Default::default()).await;
    let server = node.server.clone();
    // Round robin: `a` on the first loop, `b` on the second.
    let mut conns = Vec::new();
    for name in ["a", "b"] {
        let mut c = Raw::connect(node.addr).await;
        assert_eq!(c.q(&format!("CLIENT SETNAME {name}")).await, "+OK\r\n");
        let id = c.q("CLIENT ID").await;
        conns.push((c, name, id));
    }
    let one: Vec<u8> = unit.iter().flat_map(|r| encode(r)).collect();
    let stream = one.repeat(6);
    let piece = one.len() * 4 + one.len() / 2;
    let mut sent = [0usize; 2];
    let mut last = 0i64;
    let mut hold_ms = 5;
    while server.stats.moves.load(Ordering::Relaxed) == 0 {
        assert!(hold_ms <= 2000, "no connection moved");
        for (i, (c, _, _)) in conns.iter_mut().enumerate() {
            for batch in 0..STREAK {
                let holder = (batch == 0).then(|| contend(&server, hold_ms));
                // The stream goes on where the last piece stopped.
                let start = sent[i] % one.len();
                c.send_raw(&stream[start..start + piece]).await;
                let complete = (sent[i] + piece) / one.len() - sent[i] / one.len();
                sent[i] += piece;
                for _ in 0..complete {
                    let v = read_unit(c, unit.len()).await;
                    assert_eq!(v, last + 1);
                    last = v;
                }
                if let Some(h) = holder {
                    h.join().unwrap();
                }
            }
        }
        hold_ms *= 2;
    }
    assert_eq!(server.stats.moves.load(Ordering::Relaxed), 1);
    // Both still themselves; the half-sent request completes.
    for (i, (c, name, id)) in conns.iter_mut().enumerate() {
        let rest = one.len() - sent[i] % one.len();
        if rest != one.len() {
            c.send_raw(&one[one.len() - rest..]).await;
            assert_eq!(read_unit(c, unit.len()).await, last + 1);
            last += 1;
        }
        assert_eq!(c.q("CLIENT ID").await, *id);
        assert_eq!(
            c.q("CLIENT GETNAME").await,
            format!("${}\r\n{name}\r\n", name.len())
        );
    }
    let mut c = Raw::connect(node.addr).await;
    let want = last.to_string();
    assert_eq!(
        c.q("GET hot").await,
        format!("${}\r\n{want}\r\n", want.len())
    );
    node.stop().await;
}

/// The replies to one unit of [`moves_once`]: `n` replies, the last ending with an
/// integer (`:7` or EXEC's `*1 :7`); the ones before must be MULTI's `+OK` and
/// `+QUEUED`.
async fn read_unit(c: &mut Raw, n: usize) -> i64 {
    for i in 0..n - 1 {
        let r = read_reply(c).await;
        assert_eq!(
            r,
            if i == 0 {
                &b"+OK\r\n"[..]
            } else {
                b"+QUEUED\r\n"
            }
        );
    }
    let r = String::from_utf8(read_reply(c).await).unwrap();
    let int = r.trim_end().rsplit(':').next().unwrap();
    int.parse()
        .unwrap_or_else(|_| panic!("not an integer reply: {r:?}"))
}

/// On a thread of its own: `hold` takes something (a shard lock, the script gate),
/// then calls the `wait` it is given, which returns `ms` milliseconds later; then it
/// lets go. Returns once it is taken.
fn hold_for(
    server: &std::sync::Arc<ringcache::node::Server>,
    ms: u64,
    hold: impl FnOnce(&ringcache::node::Server, &dyn Fn()) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let server = server.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let h = std::thread::spawn(move || {
        hold(&server, &|| {
            tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(ms));
        })
    });
    rx.recv().unwrap();
    h
}

/// GET `key` as a number (0 when missing).
async fn counter(c: &mut Raw, key: &str) -> u64 {
    let reply = c.q(&format!("GET {key}")).await;
    match reply.split("\r\n").nth(1) {
        Some(n) if !reply.starts_with("$-1") => n.parse().expect(&reply),
        _ => 0,
    }
}

/// Wait (bounded) until CLIENT LIST no longer shows client `id`.
async fn wait_client_gone(c: &mut Raw, id: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while c.q(&format!("CLIENT LIST ID {id}")).await != "$0\r\n\r\n" {
        assert!(
            std::time::Instant::now() < deadline,
            "killed client {id} still connected"
        );
        tokio::task::yield_now().await;
    }
}

/// A raw connection that will not read its replies; and its client id.
async fn silent_client(addr: std::net::SocketAddr) -> (tokio::net::TcpStream, u64) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"CLIENT ID\r\n").await.unwrap();
    let mut reply = Vec::new();
    while !reply.ends_with(b"\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(s.read(&mut byte).await.unwrap(), 1, "CLIENT ID reply");
        reply.push(byte[0]);
    }
    let id = std::str::from_utf8(&reply[1..reply.len() - 2])
        .unwrap()
        .parse()
        .unwrap();
    (s, id)
}

/// CLIENT KILL stops its target at once, as Redis frees the client inside the
/// command: a client streaming a long pipeline (and reading none of the replies) runs
/// at most the command in progress once the kill is answered, and its connection
/// closes though its replies fill the socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_kill_stops_a_pipelining_client_at_once() {
    use tokio::io::AsyncWriteExt;
    const INCRS: u64 = 200_000;
    let node = LoopNode::start(Default::default()).await;
    let mut killer = Raw::connect(node.addr).await;
    let (mut victim, id) = silent_client(node.addr).await;
    let mut pipeline = Vec::new();
    for _ in 0..INCRS {
        pipeline.extend_from_slice(&encode(&[b"INCR", b"c"]));
    }
    let writer = tokio::spawn(async move {
        let _ = victim.write_all(&pipeline).await; // fails once the node closes it
        victim
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while counter(&mut killer, "c").await == 0 {
        assert!(std::time::Instant::now() < deadline, "no INCR ran");
        tokio::task::yield_now().await;
    }
    // The kill and a GET in one write: the GET runs right after the kill, while the
    // victim's batch (hundreds of INCRs per read) would still be running.
    let id_arg = id.to_string();
    let mut kill_then_get = encode(&[b"CLIENT", b"KILL", b"ID", id_arg.as_bytes()]);
    kill_then_get.extend_from_slice(&encode(&[b"GET", b"c"]));
    killer.send_raw(&kill_then_get).await;
    assert_eq!(killer.read_reply().await, b":1\r\n");
    let got = String::from_utf8(killer.read_reply().await).unwrap();
    let at_kill: u64 = got.split("\r\n").nth(1).unwrap().parse().expect(&got);
    wait_client_gone(&mut killer, id).await;
    let at_close = counter(&mut killer, "c").await;
    assert!(
        at_close <= at_kill + 1,
        "{} INCRs ran after the kill was answered",
        at_close - at_kill
    );
    assert!(at_close < INCRS, "the whole pipeline ran");
    drop(writer.await.unwrap());
    node.stop().await;
}

/// A client that reads nothing, its socket full of replies, is closed by CLIENT KILL
/// all the same (the node gives up the write), and its memory goes with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_kill_closes_a_client_that_does_not_read() {
    use tokio::io::AsyncWriteExt;
    let node = LoopNode::start(Default::default()).await;
    let mut killer = Raw::connect(node.addr).await;
    let big = vec![b'x'; 1 << 20];
    assert_eq!(killer.cmd(&[b"SET", b"big", &big]).await, b"+OK\r\n");
    let (mut victim, id) = silent_client(node.addr).await;
    let gets: Vec<u8> = (0..60).flat_map(|_| encode(&[b"GET", b"big"])).collect();
    victim.write_all(&gets).await.unwrap();
    // The node is stuck writing 60 MB nobody reads once CLIENT LIST shows the GETs ran.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !killer
        .q(&format!("CLIENT LIST ID {id}"))
        .await
        .contains("cmd=get")
    {
        assert!(std::time::Instant::now() < deadline, "the GETs never ran");
        tokio::task::yield_now().await;
    }
    assert_eq!(killer.q(&format!("CLIENT KILL ID {id}")).await, ":1\r\n");
    wait_client_gone(&mut killer, id).await;
    drop(victim);
    node.stop().await;
}

/// Clearing `requirepass` with CONFIG SET lets in the clients that connected while it
/// was set, as Redis (whose check reads the live setting); setting one later does not
/// log out clients that connected without one.
#[tokio::test]
async fn requirepass_changes_reach_open_connections() {
    let node = start_node_with(|s| s.requirepass = Some(b"secret".to_vec())).await;
    let mut early = raw(&node).await;
    let mut admin = raw(&node).await;
    assert_eq!(
        early.q("GET x").await,
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(admin.q("AUTH secret").await, "+OK\r\n");
    assert_eq!(
        admin.cmd(&[b"CONFIG", b"SET", b"requirepass", b""]).await,
        b"+OK\r\n"
    );
    assert_eq!(early.q("GET x").await, "$-1\r\n");
    // More than the 10 arguments an unauthenticated client may send.
    assert_eq!(early.q("MSET a 1 b 2 c 3 d 4 e 5").await, "+OK\r\n");
    let mut late = raw(&node).await;
    assert_eq!(
        admin
            .cmd(&[b"CONFIG", b"SET", b"requirepass", b"again"])
            .await,
        b"+OK\r\n"
    );
    assert_eq!(early.q("GET a").await, "$1\r\n1\r\n");
    assert_eq!(late.q("GET a").await, "$1\r\n1\r\n");
    assert_eq!(
        raw(&node).await.q("GET a").await,
        "-NOAUTH Authentication required.\r\n"
    );
    node.stop().await;
}
