//! Every routing class: single-key, split multi-key, broadcast, local, scan,
//! transactions, cross-backend errors, and pipelines that fan out.

use crate::common::*;

/// Which node index holds `key` (asked of the nodes directly).
async fn holder(c: &TestCluster, key: &str) -> Vec<usize> {
    let mut out = vec![];
    for (i, n) in c.nodes.iter().enumerate() {
        let mut r = raw(n).await;
        if r.q(&format!("EXISTS {key}")).await == ":1\r\n" {
            out.push(i);
        }
    }
    out
}

#[tokio::test]
async fn single_key_commands_land_on_exactly_one_node() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    // twemproxy's "fnv1a_64" is a 32-bit FNV that clusters short sequential keys
    // (key:0..key:59 all miss one of three servers, exactly as behind nutcracker), so
    // spread the key names the way real ids are spread.
    let key = |i: u64| format!("{:x}", i.wrapping_mul(2654435761) & 0xffff_ffff);
    let mut spread = [0usize; 3];
    for i in 0..60 {
        assert_eq!(p.q(&format!("SET {} v{i}", key(i))).await, "+OK\r\n");
        let h = holder(&c, &key(i)).await;
        assert_eq!(h.len(), 1, "{} on {h:?}", key(i));
        spread[h[0]] += 1;
    }
    assert!(spread.iter().all(|&n| n > 0), "all nodes used: {spread:?}");
    for i in 0..60 {
        let v = format!("v{i}");
        assert_eq!(
            p.q(&format!("GET {}", key(i))).await,
            format!("${}\r\n{v}\r\n", v.len())
        );
    }
    c.stop().await;
}

#[tokio::test]
async fn mget_mset_del_exists_split_and_merge_in_order() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    assert_eq!(p.q("MSET a 1 b 2 c 3 d 4 e 5 f 6").await, "+OK\r\n");
    assert_eq!(
        p.q("MGET f e missing d c b a").await,
        "*7\r\n$1\r\n6\r\n$1\r\n5\r\n$-1\r\n$1\r\n4\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n"
    );
    assert_eq!(p.q("EXISTS a b c x y").await, ":3\r\n");
    assert_eq!(p.q("DEL a b c x").await, ":3\r\n");
    assert_eq!(p.q("DBSIZE").await, ":3\r\n");
    c.stop().await;
}

#[tokio::test]
async fn pipelines_mixing_single_and_multi_key_keep_their_order() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    let mut batch = Vec::new();
    for i in 0..500 {
        batch.extend_from_slice(&encode(&[
            b"SET",
            format!("k{i}").as_bytes(),
            format!("{i}").as_bytes(),
        ]));
        batch.extend_from_slice(&encode(&[
            b"MGET",
            format!("k{i}").as_bytes(),
            b"k0",
            b"nope",
        ]));
        batch.extend_from_slice(&encode(&[b"PING"]));
    }
    p.send_raw(&batch).await;
    for i in 0..500 {
        assert_eq!(p.read_reply().await, b"+OK\r\n");
        let v = i.to_string();
        assert_eq!(
            String::from_utf8(p.read_reply().await).unwrap(),
            format!("*3\r\n${}\r\n{v}\r\n$1\r\n0\r\n$-1\r\n", v.len())
        );
        assert_eq!(p.read_reply().await, b"+PONG\r\n");
    }
    c.stop().await;
}

#[tokio::test]
async fn keys_on_different_backends_get_a_clear_error_unless_hash_tagged() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    // Find two keys on different backends.
    let mut keys = vec![];
    for i in 0..50 {
        let k = format!("s{i}");
        p.q(&format!("SADD {k} x")).await;
        keys.push((k.clone(), holder(&c, &k).await[0]));
    }
    let a = &keys[0];
    let b = keys.iter().find(|k| k.1 != a.1).unwrap();
    let reply = p.q(&format!("SINTER {} {}", a.0, b.0)).await;
    assert!(
        reply.starts_with("-ERR ringcache: the keys of 'sinter' live on different backends"),
        "{reply}"
    );
    assert_eq!(p.q("SADD {t}x 1 2").await, ":2\r\n");
    assert_eq!(p.q("SADD {t}y 2 3").await, ":2\r\n");
    assert_eq!(p.q("SINTER {t}x {t}y").await, "*1\r\n$1\r\n2\r\n");
    c.stop().await;
}

#[tokio::test]
async fn local_commands_answer_without_backends() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    assert_eq!(p.q("PING").await, "+PONG\r\n");
    assert_eq!(p.q("ECHO hi").await, "$2\r\nhi\r\n");
    assert_eq!(p.q("SELECT 0").await, "+OK\r\n");
    assert_eq!(p.q("SELECT 3").await, "-ERR DB index is out of range\r\n");
    assert_eq!(
        p.q("CONFIG GET save").await,
        "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
    );
    assert_eq!(p.q("CLIENT SETNAME me").await, "+OK\r\n");
    assert_eq!(p.q("CLIENT GETNAME").await, "$2\r\nme\r\n");
    assert_eq!(
        p.q("NOSUCH a").await,
        "-ERR unknown command 'NOSUCH', with args beginning with: 'a' \r\n"
    );
    assert_eq!(
        p.q("GET").await,
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert!(p.q("HELLO 3").await.starts_with("%7\r\n"));
    assert_eq!(p.q("GET nothing").await, "_\r\n");
    c.stop().await;
}

#[tokio::test]
async fn scan_walks_every_backend() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    for i in 0..300 {
        p.q(&format!("SET scan:{i} x")).await;
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    for _ in 0..1000 {
        let reply = p.cmd(&[b"SCAN", cursor.as_bytes(), b"COUNT", b"50"]).await;
        let text = String::from_utf8(reply).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        cursor = lines[2].to_string();
        for l in lines.iter().skip(5).step_by(2) {
            if !l.is_empty() {
                seen.insert(l.to_string());
            }
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(cursor, "0");
    assert_eq!(seen.len(), 300);
    c.stop().await;
}

#[tokio::test]
async fn transactions_pin_one_backend() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    assert_eq!(p.q("MULTI").await, "+OK\r\n");
    assert_eq!(p.q("SET {u1}a 1").await, "+QUEUED\r\n");
    assert_eq!(p.q("SET {u1}b 2").await, "+QUEUED\r\n");
    assert_eq!(p.q("EXEC").await, "*2\r\n+OK\r\n+OK\r\n");
    assert_eq!(
        p.q("MGET {u1}a {u1}b").await,
        "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
    // WATCH + a conflicting write from another client → null EXEC.
    let mut q = raw_proxy(&c).await;
    assert_eq!(p.q("WATCH {u1}a").await, "+OK\r\n");
    assert_eq!(q.q("SET {u1}a changed").await, "+OK\r\n");
    assert_eq!(p.q("MULTI").await, "+OK\r\n");
    assert_eq!(p.q("SET {u1}a mine").await, "+QUEUED\r\n");
    assert_eq!(p.q("EXEC").await, "*-1\r\n");
    assert_eq!(p.q("GET {u1}a").await, "$7\r\nchanged\r\n");
    c.stop().await;
}

#[tokio::test]
async fn a_transaction_touching_two_backends_is_discarded() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    let mut keys = vec![];
    for i in 0..30 {
        let k = format!("t{i}");
        p.q(&format!("SET {k} 0")).await;
        keys.push((k.clone(), holder(&c, &k).await[0]));
    }
    let a = &keys[0];
    let b = keys.iter().find(|k| k.1 != a.1).unwrap();
    assert_eq!(p.q("MULTI").await, "+OK\r\n");
    assert_eq!(p.q(&format!("SET {} 1", a.0)).await, "+QUEUED\r\n");
    assert!(p
        .q(&format!("SET {} 1", b.0))
        .await
        .starts_with("-ERR ringcache: this transaction is pinned to backend"));
    assert_eq!(
        p.q("EXEC").await,
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(p.q(&format!("GET {}", a.0)).await, "$1\r\n0\r\n");
    c.stop().await;
}

#[tokio::test]
async fn requirepass_on_the_proxy_and_toward_backends() {
    let c = start_cluster_with(3, |cfg| cfg.requirepass = Some("pw".into())).await;
    let mut p = raw_proxy(&c).await;
    assert_eq!(p.q("GET a").await, "-NOAUTH Authentication required.\r\n");
    assert_eq!(
        p.q("EXEC").await,
        "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        p.cmd(&[b"HELLO", b"3", b"SETNAME", b"a b", b"AUTH", b"default", b"pw"])
            .await,
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(
        p.q("AUTH nope").await,
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(p.q("AUTH pw").await, "+OK\r\n");
    assert_eq!(p.q("SET a 1").await, "+OK\r\n");
    c.stop().await;

    // Backends with a password: the proxy authenticates with backend_password.
    let mut nodes = vec![];
    for _ in 0..2 {
        nodes.push(start_node_with(|s| s.requirepass = Some(b"backend".to_vec())).await);
    }
    let cfg = ringcache::config::ProxyConfig {
        listen: "127.0.0.1:0".into(),
        servers: nodes.iter().map(|n| format!("{}:1", n.addr)).collect(),
        backend_password: Some("backend".into()),
        ..Default::default()
    };
    let proxy = ringcache::proxy::spawn(&cfg).await.unwrap();
    let mut p = Raw::connect(proxy.addr).await;
    assert_eq!(p.q("SET x 1").await, "+OK\r\n");
    assert_eq!(p.q("GET x").await, "$1\r\n1\r\n");
    proxy.stop().await;
    for n in nodes {
        n.stop().await;
    }
}

#[tokio::test]
async fn a_dead_backend_fails_only_its_keys_and_recovers_after_restart() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    let mut keys = vec![];
    for i in 0..60 {
        let k = format!("d{i}");
        assert_eq!(p.q(&format!("SET {k} v")).await, "+OK\r\n");
        keys.push((k.clone(), holder(&c, &k).await[0]));
    }
    let TestCluster { mut nodes, proxy } = c;
    let dead = nodes.remove(1);
    let addr = dead.addr;
    dead.stop().await;
    for (k, h) in &keys {
        let reply = p.q(&format!("GET {k}")).await;
        if *h == 1 {
            assert!(
                reply.starts_with("-ERR ringcache: backend node2 "),
                "{k}: {reply}"
            );
        } else {
            assert_eq!(reply, "$1\r\nv\r\n", "{k}");
        }
    }
    // Restart a node on the same address: its keys work again (empty: no persistence).
    let restarted = ringcache::node::spawn(ringcache::node::Settings {
        listen: addr.to_string(),
        ..Default::default()
    })
    .await
    .expect("rebind");
    let (k, _) = keys.iter().find(|(_, h)| *h == 1).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let r = p.q(&format!("SET {k} again")).await;
        if r == "+OK\r\n" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "backend did not recover: {r}"
        );
        tokio::task::yield_now().await;
    }
    assert_eq!(p.q(&format!("GET {k}")).await, "$5\r\nagain\r\n");
    proxy.stop().await;
    restarted.stop().await;
    for n in nodes {
        n.stop().await;
    }
}

#[tokio::test]
async fn auto_eject_moves_a_dead_backends_keys_to_the_others() {
    let c = start_cluster_with(3, |cfg| {
        cfg.auto_eject_hosts = true;
        cfg.server_failure_limit = 2;
        cfg.server_retry_timeout = 60_000;
    })
    .await;
    let mut p = raw_proxy(&c).await;
    let key = |i: u64| format!("{:x}", i.wrapping_mul(2654435761) & 0xffff_ffff);
    let mut on_dead = None;
    for i in 0..60 {
        assert_eq!(p.q(&format!("SET {} v", key(i))).await, "+OK\r\n");
        if on_dead.is_none() && holder(&c, &key(i)).await == vec![1] {
            on_dead = Some(key(i));
        }
    }
    let k = on_dead.expect("some key lives on node2");
    let TestCluster { mut nodes, proxy } = c;
    nodes.remove(1).stop().await;
    // Failures until the limit: each is the clear backend error.
    let mut errors = 0;
    let mut reply = String::new();
    for _ in 0..10 {
        reply = p.q(&format!("SET {k} moved")).await;
        if reply == "+OK\r\n" {
            break;
        }
        assert!(
            reply.starts_with("-ERR ringcache: backend node2 "),
            "{reply}"
        );
        errors += 1;
    }
    assert_eq!(reply, "+OK\r\n", "the key was not rehashed after ejection");
    assert!((1..=2).contains(&errors), "ejected after {errors} failures");
    assert_eq!(p.q(&format!("GET {k}")).await, "$5\r\nmoved\r\n");
    proxy.stop().await;
    for n in nodes {
        n.stop().await;
    }
}

#[tokio::test]
async fn maxclients_refuses_extra_clients() {
    let c = start_cluster_with(1, |cfg| cfg.maxclients = 2).await;
    let mut a = raw_proxy(&c).await;
    let mut b = raw_proxy(&c).await;
    assert_eq!(a.q("PING").await, "+PONG\r\n");
    assert_eq!(b.q("PING").await, "+PONG\r\n");
    let mut third = raw_proxy(&c).await;
    assert_eq!(
        third.read_reply().await,
        b"-ERR max number of clients reached\r\n"
    );
    assert!(third.closed().await);
    c.stop().await;
}

#[tokio::test]
async fn blocking_pops_wait_on_a_dedicated_connection() {
    let c = start_cluster(3).await;
    let mut waiter = raw_proxy(&c).await;
    let mut pusher = raw_proxy(&c).await;
    // Data already there: served at once.
    assert_eq!(pusher.q("RPUSH q:1 a").await, ":1\r\n");
    assert_eq!(
        waiter.q("BLPOP q:1 1").await,
        "*2\r\n$3\r\nq:1\r\n$1\r\na\r\n"
    );
    // Nothing there: the pop waits (on its own backend connection, so the pusher's
    // commands, even to the same backend, keep flowing) and is served by the push.
    waiter.send_raw(&encode(&[b"BLPOP", b"q:1", b"0"])).await;
    let node = holder_of_new_key(&c, &mut pusher, "q:1").await;
    wait_until_blocked(&c.nodes[node]).await;
    assert_eq!(pusher.q("GET other").await, "$-1\r\n");
    assert_eq!(pusher.q("RPUSH q:1 b").await, ":1\r\n");
    assert_eq!(waiter.read_reply().await, b"*2\r\n$3\r\nq:1\r\n$1\r\nb\r\n");
    // Timeout: the null array, as from Redis.
    assert_eq!(waiter.q("BLPOP q:1 0.05").await, "*-1\r\n");
    // Keys on different backends cannot block together.
    let mut keys = vec![];
    for i in 0..30 {
        let k = format!("bq{i}");
        pusher.q(&format!("RPUSH {k} x")).await;
        keys.push((k.clone(), holder(&c, &k).await[0]));
        pusher.q(&format!("DEL {k}")).await;
    }
    let a = &keys[0];
    let b = keys.iter().find(|k| k.1 != a.1).unwrap();
    let r = waiter.q(&format!("BLPOP {} {} 1", a.0, b.0)).await;
    assert!(
        r.starts_with("-ERR ringcache: the keys of 'blpop' live on different backends"),
        "{r}"
    );
    c.stop().await;
}

/// BLMPOP and BZMPOP find their keys after the key count and wait on a dedicated
/// connection too, never on the shared one.
#[tokio::test]
async fn multi_key_blocking_pops_wait_on_a_dedicated_connection() {
    let c = start_cluster(3).await;
    let mut waiter = raw_proxy(&c).await;
    let mut pusher = raw_proxy(&c).await;
    waiter
        .send_raw(&encode(&[
            b"BLMPOP", b"0", b"2", b"{m}a", b"{m}b", b"LEFT", b"COUNT", b"5",
        ]))
        .await;
    let node = holder_of_new_key(&c, &mut pusher, "m").await;
    wait_until_blocked(&c.nodes[node]).await;
    assert_eq!(pusher.q("GET other").await, "$-1\r\n");
    assert_eq!(pusher.q("RPUSH {m}b x y").await, ":2\r\n");
    assert_eq!(
        waiter.read_reply().await,
        b"*2\r\n$4\r\n{m}b\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
    );
    assert_eq!(waiter.q("BZMPOP 0.05 1 {m}z MIN").await, "*-1\r\n");
    assert_eq!(
        waiter.q("BLMPOP 0 x {m}a LEFT").await,
        "-ERR numkeys should be greater than 0\r\n"
    );
    c.stop().await;
}

/// A client that leaves while blocked takes its wait with it: the backend forgets the
/// waiter, and the next push stays in the list (it used to be popped for nobody).
#[tokio::test]
async fn a_blocked_client_that_leaves_loses_no_data() {
    let c = start_cluster(3).await;
    let mut pusher = raw_proxy(&c).await;
    let node = holder_of_new_key(&c, &mut pusher, "gone").await;
    let mut waiter = raw_proxy(&c).await;
    waiter
        .send_raw(&encode(&[
            b"BLMPOP", b"0", b"1", b"gone", b"LEFT", b"COUNT", b"5",
        ]))
        .await;
    wait_until_blocked(&c.nodes[node]).await;
    drop(waiter);
    // The node sees the dedicated connection close and unblocks it.
    let mut r = raw(&c.nodes[node]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !r.q("INFO clients").await.contains("blocked_clients:0\r\n") {
        assert!(
            std::time::Instant::now() < deadline,
            "the wait was not given up"
        );
        tokio::task::yield_now().await;
    }
    assert_eq!(pusher.q("RPUSH gone a b").await, ":2\r\n");
    assert_eq!(pusher.q("LLEN gone").await, ":2\r\n");
    // The proxy keeps serving blocking pops on fresh dedicated connections.
    assert_eq!(
        pusher.q("BLPOP gone 1").await,
        "*2\r\n$4\r\ngone\r\n$1\r\na\r\n"
    );
    c.stop().await;
}

/// The node a (not yet existing) key will live on, found by creating and deleting it.
async fn holder_of_new_key(c: &TestCluster, p: &mut Raw, key: &str) -> usize {
    // With hash_tag "{}", "{q:1}probe" hashes "q:1", exactly like the key "q:1".
    let probe = format!("{{{key}}}probe");
    p.q(&format!("SET {probe} 1")).await;
    let h = holder(c, &probe).await[0];
    p.q(&format!("DEL {probe}")).await;
    h
}

/// Wait (bounded) until the node reports a blocked client.
async fn wait_until_blocked(node: &ringcache::node::NodeHandle) {
    let mut r = raw(node).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let info = r.q("INFO clients").await;
        if info.contains("blocked_clients:1\r\n") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no blocked client: {info}"
        );
        tokio::task::yield_now().await;
    }
}
