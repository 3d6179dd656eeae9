//! Locks through the proxy (Redlock over the three nodes): the commands lock clients
//! send, quorum outcomes with nodes down or slow, restart quarantine, fencing tokens,
//! validity, refused writes, and LOCK.ACQUIRE WAIT. Exact reply bytes throughout.
//!
//! The nodes need SET NX/PX/IFEQ (strings), EVAL (lua: the fenced path, releases and
//! extensions) and INFO `run_id` (restart detection).

use crate::common::*;
use ringcache::config::ProxyConfig;
use std::time::{Duration, Instant};

/// A RESP3 connection to the proxy (LOCK.INFO replies hold nulls inside arrays, which
/// the test decoder only reads in their RESP3 form).
async fn resp3_proxy(c: &TestCluster) -> Raw {
    let mut p = raw_proxy(c).await;
    q(&mut p, "HELLO 3").await;
    p
}

/// Parse a LOCK.ACQUIRE grant `[token, fence, validity_ms]`, exactly.
fn grant(reply: &[u8]) -> (String, u64, u64) {
    let text = String::from_utf8_lossy(reply).into_owned();
    let parts: Vec<&str> = text.split("\r\n").collect();
    assert!(
        parts.len() == 6 && parts[0] == "*3" && parts[5].is_empty(),
        "not a grant: {text:?}"
    );
    let token = parts[2].to_string();
    assert_eq!(parts[1], format!("${}", token.len()), "{text:?}");
    let int = |s: &str| -> u64 {
        s.strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("not a non-negative integer: {s:?} in {text:?}"))
    };
    (token, int(parts[3]), int(parts[4]))
}

async fn acquire(p: &mut Raw, key: &str, ttl_ms: u64) -> (String, u64, u64) {
    grant(
        &cmd(
            p,
            &[
                b"LOCK.ACQUIRE",
                key.as_bytes(),
                ttl_ms.to_string().as_bytes(),
            ],
        )
        .await,
    )
}

async fn release(p: &mut Raw, key: &str, token: &str) -> String {
    String::from_utf8_lossy(&cmd(p, &[b"LOCK.RELEASE", key.as_bytes(), token.as_bytes()]).await)
        .into_owned()
}

/// Acquire `key` for 200 ms (a validity within the drift allowance), release it, and
/// record its fence.
async fn take(p: &mut Raw, key: &str, fences: &mut Vec<u64>) {
    let (tok, fence, validity) = acquire(p, key, 200).await;
    assert!(validity > 0 && validity <= 196, "validity {validity}");
    assert_eq!(release(p, key, &tok).await, ":1\r\n");
    fences.push(fence);
}

/// One node's entry in a RESP3 LOCK.INFO reply.
fn info_node(name: &str, state: &str, pttl: i64) -> String {
    format!(
        "%3\r\n$4\r\nnode\r\n${}\r\n{name}\r\n$5\r\nstate\r\n${}\r\n{state}\r\n$4\r\npttl\r\n:{pttl}\r\n",
        name.len(),
        state.len()
    )
}

/// LOCK.INFO of a key nobody holds, with each node's state.
fn info_free(fence: u64, states: [&str; 3]) -> String {
    let mut s = format!(
        "%4\r\n$6\r\nholder\r\n_\r\n$5\r\nfence\r\n:{fence}\r\n$11\r\nvalidity_ms\r\n:0\r\n$5\r\nnodes\r\n*3\r\n"
    );
    for (i, st) in states.iter().enumerate() {
        s.push_str(&info_node(&format!("node{}", i + 1), st, -2));
    }
    s
}

/// Poll `LOCK.INFO key` (bounded) until `pred` holds; returns the last reply.
async fn poll_info(p: &mut Raw, key: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = q(p, &format!("LOCK.INFO {key}")).await;
        if pred(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "{what}: LOCK.INFO still {r:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Stop node `i` and start a new, empty one on the same address.
async fn restart_node(c: &mut TestCluster, i: usize) {
    let old = c.nodes.remove(i);
    let addr = old.addr;
    old.stop().await;
    let new = start_node_with(|s| s.listen = addr.to_string()).await;
    assert_eq!(new.addr, addr);
    c.nodes.insert(i, new);
}

fn one_try(cfg: &mut ProxyConfig) {
    cfg.locks.retry_count = 1;
}

#[tokio::test]
async fn set_nx_px_acquires_on_every_node_and_delifeq_releases_by_token() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    assert_eq!(q(&mut p, "SET lock:a tok1 NX PX 10000").await, "+OK\r\n");
    assert_eq!(q(&mut p, "SET lock:a tok2 NX PX 10000").await, "$-1\r\n");
    assert_eq!(q(&mut p, "SET lock:a tok2 PX 10000 NX").await, "$-1\r\n");
    for n in &c.nodes {
        assert_eq!(q(&mut raw(n).await, "GET lock:a").await, "$4\r\ntok1\r\n");
    }
    assert_eq!(q(&mut p, "GET lock:a").await, "$4\r\ntok1\r\n");
    assert_eq!(q(&mut p, "EXISTS lock:a").await, ":1\r\n");
    assert_eq!(q(&mut p, "DELIFEQ lock:a wrong").await, ":0\r\n");
    assert_eq!(q(&mut p, "GET lock:a").await, "$4\r\ntok1\r\n");
    assert_eq!(q(&mut p, "DELIFEQ lock:a tok1").await, ":1\r\n");
    assert_eq!(q(&mut p, "DELIFEQ lock:a tok1").await, ":0\r\n");
    assert_eq!(q(&mut p, "GET lock:a").await, "$-1\r\n");
    for n in &c.nodes {
        assert_eq!(q(&mut raw(n).await, "EXISTS lock:a").await, ":0\r\n");
    }
    assert_eq!(q(&mut p, "SET lock:a tok2 NX PX 10000").await, "+OK\r\n");
    // extend without Lua: SET k tok IFEQ tok PX ttl
    assert_eq!(
        q(&mut p, "SET lock:a tok2 IFEQ tok2 PX 20000").await,
        "+OK\r\n"
    );
    assert_eq!(
        q(&mut p, "SET lock:a tok1 IFEQ tok1 PX 20000").await,
        "$-1\r\n"
    );
    assert_eq!(q(&mut p, "DELIFEQ lock:a tok2").await, ":1\r\n");
    // DELEX k IFEQ tok (Redis 8.4 syntax) releases the same way.
    assert_eq!(q(&mut p, "SET lock:a tok3 NX PX 10000").await, "+OK\r\n");
    assert_eq!(q(&mut p, "DELEX lock:a IFEQ nope").await, ":0\r\n");
    assert_eq!(q(&mut p, "DELEX lock:a IFEQ tok3").await, ":1\r\n");
    assert_eq!(q(&mut p, "GET lock:a").await, "$-1\r\n");
    c.stop().await;
}

#[tokio::test]
async fn resp3_clients_get_resp3_replies_on_lock_keys() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    q(&mut p, "HELLO 3").await;
    assert_eq!(q(&mut p, "GET lock:r3").await, "_\r\n");
    assert_eq!(q(&mut p, "SET lock:r3 tok NX PX 10000").await, "+OK\r\n");
    assert_eq!(q(&mut p, "SET lock:r3 other NX PX 10000").await, "_\r\n");
    assert_eq!(q(&mut p, "GET lock:r3").await, "$3\r\ntok\r\n");
    assert_eq!(q(&mut p, "DELIFEQ lock:r3 tok").await, ":1\r\n");
    assert_eq!(q(&mut p, "GET lock:r3").await, "_\r\n");
    c.stop().await;
}

#[tokio::test]
async fn one_node_down_still_acquires_two_down_is_no_quorum() {
    let mut c = start_cluster_with(3, one_try).await;
    let mut p = raw_proxy(&c).await;
    c.nodes.remove(0).stop().await;
    assert_eq!(q(&mut p, "SET lock:q1 tok NX PX 10000").await, "+OK\r\n");
    assert_eq!(q(&mut p, "SET lock:q1 tok2 NX PX 10000").await, "$-1\r\n");
    let (tok, fence, validity) = acquire(&mut p, "lock:q2", 10_000).await;
    assert_eq!(fence, 1);
    assert!(validity > 0 && validity <= 9_898, "validity {validity}");
    assert_eq!(release(&mut p, "lock:q2", &tok).await, ":1\r\n");
    assert_eq!(q(&mut p, "DELIFEQ lock:q1 tok").await, ":1\r\n");

    c.nodes.remove(0).stop().await; // node2: only node3 is left
    assert_eq!(q(&mut p, "SET lock:q3 tok NX PX 10000").await, "$-1\r\n");
    for n in &c.nodes {
        assert_eq!(q(&mut raw(n).await, "EXISTS lock:q3").await, ":0\r\n");
    }
    let r = q(&mut p, "LOCK.ACQUIRE lock:q3 10000").await;
    assert!(
        r.starts_with("-NOQUORUM lock:q3: only 1 of 3 lock nodes answered (need 2): node1 ")
            && r.contains(", node2 ")
            && !r.contains("node3")
            && r.ends_with("\r\n")
            && r.matches("\r\n").count() == 1,
        "{r:?}"
    );
    // A lock still held by the survivor cannot be released by a minority either.
    assert_eq!(q(&mut p, "DELIFEQ lock:q1 tok").await, ":0\r\n");
    c.stop().await;
}

#[tokio::test]
async fn a_slow_node_does_not_block_the_grant_and_is_named() {
    let slow = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow_addr = slow.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((s, _)) = slow.accept().await {
            conns.push(s); // never read, never answer
        }
    });
    let mut c = start_cluster_with(3, |cfg| {
        cfg.servers[2] = format!("{slow_addr}:1 slow");
        cfg.locks.node_timeout = 50;
        cfg.locks.retry_count = 1;
    })
    .await;
    let mut p = raw_proxy(&c).await;
    let t0 = Instant::now();
    assert_eq!(q(&mut p, "SET lock:s1 tok NX PX 10000").await, "+OK\r\n");
    let (tok, fence, validity) = acquire(&mut p, "lock:s2", 10_000).await;
    let took = t0.elapsed();
    assert_eq!(fence, 1);
    assert!(validity <= 9_898, "validity {validity}");
    // two quorum round trips of at most node_timeout each, plus scheduling slack
    assert!(took < Duration::from_millis(900), "grants took {took:?}");
    let info = q(&mut resp3_proxy(&c).await, "LOCK.INFO lock:s2").await;
    assert!(
        info.contains("$4\r\nslow\r\n$5\r\nstate\r\n$16\r\ndown (timed out)\r\n"),
        "{info:?}"
    );
    assert_eq!(release(&mut p, "lock:s2", &tok).await, ":1\r\n");
    assert_eq!(q(&mut p, "DELIFEQ lock:s1 tok").await, ":1\r\n");
    // with one real node gone, the slow one is among the failures that deny the quorum
    c.nodes.remove(0).stop().await;
    let t0 = Instant::now();
    let r = q(&mut p, "LOCK.ACQUIRE lock:s3 10000").await;
    assert!(
        r.starts_with("-NOQUORUM lock:s3: only 1 of 3 lock nodes answered (need 2): node1 ")
            && r.ends_with(", slow timed out\r\n"),
        "{r:?}"
    );
    assert!(
        t0.elapsed() < Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(q(&mut p, "SET lock:s3 tok NX PX 10000").await, "$-1\r\n");
    hold.abort();
    c.stop().await;
}

#[tokio::test]
async fn a_restarted_node_is_quarantined() {
    let mut c = start_cluster_with(3, one_try).await;
    let mut p = raw_proxy(&c).await;
    assert_eq!(
        q(&mut resp3_proxy(&c).await, "LOCK.INFO lock:rs").await,
        info_free(0, ["free", "free", "free"])
    );
    restart_node(&mut c, 1).await;
    let r = poll_info(
        &mut resp3_proxy(&c).await,
        "lock:rs",
        "restart detection",
        |r| r.contains("quarantined"),
    )
    .await;
    assert_eq!(r, info_free(0, ["free", "quarantined", "free"]));
    // it does not vote: with node1 gone as well, there is no majority
    let (tok, fence, _) = acquire(&mut p, "lock:rs", 10_000).await;
    assert_eq!(fence, 1);
    assert_eq!(release(&mut p, "lock:rs", &tok).await, ":1\r\n");
    c.nodes.remove(0).stop().await;
    let r = q(&mut p, "LOCK.ACQUIRE lock:rs 10000").await;
    assert!(
        r.starts_with("-NOQUORUM lock:rs: only 1 of 3 lock nodes answered (need 2): node1 ")
            && r.ends_with(", node2 is quarantined after a restart\r\n"),
        "{r:?}"
    );
    assert_eq!(q(&mut p, "SET lock:rs tok NX PX 10000").await, "$-1\r\n");
    c.stop().await;
}

#[tokio::test]
async fn fences_increase_across_grants_with_a_node_stopped_and_restarted() {
    let mut c = start_cluster_with(3, |cfg| {
        cfg.locks.restart_quarantine = Some(300); // above every TTL granted here
    })
    .await;
    let mut p = raw_proxy(&c).await;
    let mut info_conn = resp3_proxy(&c).await;
    let key = "lock:fence";
    let mut fences = Vec::new();
    for _ in 0..20 {
        take(&mut p, key, &mut fences).await;
    }
    let stopped = c.nodes.remove(2);
    let addr = stopped.addr;
    stopped.stop().await;
    for _ in 0..20 {
        take(&mut p, key, &mut fences).await;
    }
    c.nodes
        .push(start_node_with(|s| s.listen = addr.to_string()).await);
    // keep granting while the proxy notices the restart, then while it is quarantined
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = false;
    loop {
        take(&mut p, key, &mut fences).await;
        let info = q(&mut info_conn, &format!("LOCK.INFO {key}")).await;
        let quarantined = info.contains("$5\r\nnode3\r\n$5\r\nstate\r\n$11\r\nquarantined\r\n");
        if seen && !quarantined {
            break;
        }
        seen |= quarantined;
        assert!(
            Instant::now() < deadline,
            "node3 never quarantined and back: {info}"
        );
    }
    for _ in 0..20 {
        take(&mut p, key, &mut fences).await;
    }
    let n = fences.len() as u64;
    assert_eq!(fences, (1..=n).collect::<Vec<u64>>());
    // the rejoined node's counter was raised again by the grants after its return
    for node in &c.nodes {
        assert_eq!(
            q(
                &mut raw(node).await,
                &format!("GET __ringcache_fence:{key}")
            )
            .await,
            format!("${}\r\n{n}\r\n", n.to_string().len())
        );
    }
    c.stop().await;
}

#[tokio::test]
async fn validity_never_exceeds_ttl_minus_drift() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    for ttl in [50u64, 1_000, 10_000, 60_000] {
        let key = format!("lock:v{ttl}");
        let t0 = Instant::now();
        let (tok, fence, validity) = acquire(&mut p, &key, ttl).await;
        let took = t0.elapsed().as_millis() as u64;
        let drift = ttl / 100 + 2;
        assert_eq!(fence, 1);
        assert!(
            validity <= ttl - drift && validity + took + 2 >= ttl - drift,
            "ttl {ttl}: validity {validity}, took {took} ms"
        );
        if ttl >= 1_000 {
            let r = cmd(
                &mut p,
                &[b"LOCK.EXTEND", key.as_bytes(), tok.as_bytes(), b"5000"],
            )
            .await;
            let v: u64 = String::from_utf8_lossy(&r)
                .strip_prefix(':')
                .and_then(|s| s.strip_suffix("\r\n"))
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{r:?}"));
            assert!(v <= 5_000 - 52 && v > 4_000, "extend validity {v}");
            assert_eq!(release(&mut p, &key, &tok).await, ":1\r\n");
        }
    }
    assert_eq!(
        q(&mut p, "LOCK.EXTEND lock:v10000 nobody 5000").await,
        "-NOTOWNER lock:v10000 is not held with this token (it expired or was never acquired)\r\n"
    );
    assert_eq!(
        q(&mut p, "LOCK.ACQUIRE lock:v 60001").await,
        "-ERR ringcache: lock TTL is above max_ttl (60000 ms)\r\n"
    );
    assert_eq!(
        q(&mut p, "SET lock:v t NX PX 60001").await,
        "-ERR ringcache: lock TTL is above max_ttl (60000 ms)\r\n"
    );
    assert_eq!(
        q(&mut p, "LOCK.ACQUIRE lock:v 0").await,
        "-ERR ringcache: ttl_ms must be a positive integer\r\n"
    );
    c.stop().await;
}

#[tokio::test]
async fn other_writes_on_lock_keys_are_refused() {
    let c = start_cluster(3).await;
    let mut p = raw_proxy(&c).await;
    let refused = |cmd: &str, key: &str| {
        format!("-ERR ringcache: '{cmd}' is not allowed on lock key '{key}': locks live on a quorum of backends; use SET key token NX PX ttl, DELIFEQ key token, or LOCK.ACQUIRE/RELEASE/EXTEND\r\n")
    };
    assert_eq!(q(&mut p, "INCR lock:w").await, refused("incr", "lock:w"));
    assert_eq!(q(&mut p, "DEL lock:w").await, refused("del", "lock:w"));
    assert_eq!(
        q(&mut p, "EXPIRE lock:w 10").await,
        refused("expire", "lock:w")
    );
    assert_eq!(
        q(&mut p, "LPUSH lock:w x").await,
        refused("lpush", "lock:w")
    );
    let set_form = "-ERR ringcache: on lock keys SET must be 'SET key token NX PX|EX ttl' (acquire) or 'SET key token IFEQ token PX|EX ttl' (extend)\r\n";
    assert_eq!(q(&mut p, "SET lock:w v").await, set_form);
    assert_eq!(q(&mut p, "SET lock:w v NX").await, set_form);
    assert_eq!(q(&mut p, "SET lock:w v XX PX 100").await, set_form);
    assert_eq!(q(&mut p, "SET lock:w v IFEQ other PX 100").await, set_form);
    assert_eq!(
        q(&mut p, "MSET lock:w 1 plain 2").await,
        "-ERR ringcache: 'mset' mixes lock keys with other keys (or several lock keys); locks are taken one key at a time\r\n"
    );
    assert_eq!(
        q(&mut p, "MULTI").await,
        "+OK\r\n",
        "transactions still work on other keys"
    );
    assert_eq!(
        q(&mut p, "GET lock:w").await,
        "-ERR ringcache: lock keys cannot be used inside MULTI\r\n"
    );
    q(&mut p, "DISCARD").await;
    // nothing reached any node
    for n in &c.nodes {
        assert_eq!(q(&mut raw(n).await, "DBSIZE").await, ":0\r\n");
    }
    c.stop().await;
}

#[tokio::test]
async fn lock_acquire_wait_blocks_until_release() {
    let c = start_cluster(3).await;
    let mut a = raw_proxy(&c).await;
    let mut b = raw_proxy(&c).await;
    let (tok, fence, _) = acquire(&mut a, "lock:wait", 10_000).await;
    assert_eq!(fence, 1);
    let held = q(&mut a, "LOCK.ACQUIRE lock:wait 10000").await;
    assert!(
        held.starts_with("-LOCKED lock:wait is held by another owner for ")
            && held.ends_with(" ms more\r\n"),
        "{held:?}"
    );
    // WAIT shorter than the hold: gives up after about WAIT
    let t0 = Instant::now();
    let r = q(&mut b, "LOCK.ACQUIRE lock:wait 10000 WAIT 200").await;
    let waited = t0.elapsed();
    assert!(
        r.starts_with("-LOCKED lock:wait is held by another owner for "),
        "{r:?}"
    );
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    // WAIT longer than the hold: answered only after the release
    b.send_raw(&encode(&[
        b"LOCK.ACQUIRE",
        b"lock:wait",
        b"10000",
        b"WAIT",
        b"8000",
    ]))
    .await;
    let info = q(&mut resp3_proxy(&c).await, "LOCK.INFO lock:wait").await;
    assert!(
        info.starts_with(&format!("%4\r\n$6\r\nholder\r\n$40\r\n{tok}\r\n")),
        "{info}"
    );
    let mut buf = [0u8; 64];
    assert!(
        matches!(b.stream.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "WAIT answered while the lock was held"
    );
    assert_eq!(release(&mut a, "lock:wait", &tok).await, ":1\r\n");
    let (tok2, fence2, validity2) = grant(&read_reply(&mut b).await);
    assert_ne!(tok2, tok);
    assert_eq!(fence2, 2);
    assert!(validity2 <= 9_898);
    assert_eq!(release(&mut b, "lock:wait", &tok2).await, ":1\r\n");
    c.stop().await;
}

#[tokio::test]
async fn ttl_reads_take_the_value_a_quorum_reaches() {
    // Nodes that set a lock a millisecond apart report PTTLs a millisecond apart; the
    // proxy answers with the TTL at least a majority still has.
    let c = start_cluster(3).await;
    for (n, px) in c.nodes.iter().zip(["50000", "40000", ""]) {
        if !px.is_empty() {
            assert_eq!(
                q(&mut raw(n).await, &format!("SET lock:ttl tok PX {px}")).await,
                "+OK\r\n"
            );
        }
    }
    let mut p = raw_proxy(&c).await;
    let r = q(&mut p, "PTTL lock:ttl").await;
    let v: i64 = r
        .strip_prefix(':')
        .and_then(|s| s.strip_suffix("\r\n"))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{r:?}"));
    assert!(v > 39_000 && v <= 40_000, "{r:?}");
    assert_eq!(q(&mut p, "TTL lock:ttl").await, ":40\r\n");
    assert_eq!(q(&mut p, "GET lock:ttl").await, "$3\r\ntok\r\n");
    c.stop().await;
}

/// Bounded poll until member `pos` was quarantined more than `before` times and votes
/// again (quarantine over, fence counters repaired, run_id confirmed).
async fn wait_rejoined(c: &TestCluster, pos: usize, before: u64) {
    let proxy = &c.proxy.proxy;
    let locks = proxy.locks.as_ref().expect("locks on");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(locks.quarantines(pos) > before && locks.not_voting(pos, &proxy.backends).is_none()) {
        assert!(
            Instant::now() < deadline,
            "node{} not quarantined and back: {} quarantines, {:?}",
            pos + 1,
            locks.quarantines(pos),
            locks.not_voting(pos, &proxy.backends)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_node_reconnected_to_a_new_process_does_not_vote_before_its_run_id_is_read() {
    let mut c = start_cluster_with(3, one_try).await;
    let proxy = c.proxy.proxy.clone();
    let locks = proxy.locks.as_ref().expect("locks on");
    let mut p = raw_proxy(&c).await;
    // a cache key node1 serves, to make the proxy reconnect to node1 on demand
    let mut probe = None;
    for i in 0..200 {
        let k = format!("probe{i}");
        assert_eq!(q(&mut p, &format!("SET {k} v")).await, "+OK\r\n");
        if q(&mut raw(&c.nodes[0]).await, &format!("GET {k}")).await == "$1\r\nv\r\n" {
            probe = Some(k);
            break;
        }
    }
    let probe = probe.expect("some key lands on node1");
    assert_eq!(q(&mut p, "SET lock:x a NX PX 30000").await, "+OK\r\n");
    // node3 missed the grant (as if it had timed out): held on node1 and node2 only
    assert_eq!(q(&mut raw(&c.nodes[2]).await, "DEL lock:x").await, ":1\r\n");
    let reconnects = proxy.backends.list[0].health.reconnects();
    // no watcher poll from here on: it cannot notice the restart below
    let paused = locks.pause_watcher().await;
    restart_node(&mut c, 0).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // errors until the proxy's connection to node1 is open again, to the new process
        let r = q(&mut p, &format!("GET {probe}")).await;
        if r == "$-1\r\n" {
            break;
        }
        assert!(
            r.starts_with("-ERR ringcache: backend node1 ") && Instant::now() < deadline,
            "{r:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(proxy.backends.list[0].health.reconnects(), reconnects + 1);
    // The new node1 is empty and node3 never had it: both would say OK, a second holder.
    assert_eq!(q(&mut p, "SET lock:x b NX PX 30000").await, "$-1\r\n");
    let r = q(&mut p, "LOCK.ACQUIRE lock:x 30000").await;
    assert!(
        r.starts_with("-NOQUORUM lock:x: only 1 of 3 lock nodes answered (need 2): node1 reconnected and is not confirmed yet")
            || r.starts_with("-LOCKED lock:x is held by another owner"),
        "{r:?}"
    );
    assert_eq!(
        q(&mut raw(&c.nodes[0]).await, "EXISTS lock:x").await,
        ":0\r\n"
    );
    assert_eq!(
        q(&mut raw(&c.nodes[1]).await, "GET lock:x").await,
        "$1\r\na\r\n"
    );
    assert_eq!(
        q(&mut raw(&c.nodes[2]).await, "EXISTS lock:x").await,
        ":0\r\n"
    );
    let info = q(&mut resp3_proxy(&c).await, "LOCK.INFO lock:x").await;
    assert!(
        info.contains(&info_node("node1", "reconnected", -2)),
        "{info:?}"
    );
    // once the watcher reads node1's new run_id, node1 is quarantined as a restart
    let quarantines = locks.quarantines(0);
    drop(paused);
    poll_info(
        &mut resp3_proxy(&c).await,
        "lock:x",
        "restart detection",
        |r| r.contains(&info_node("node1", "quarantined", -2)),
    )
    .await;
    assert_eq!(locks.quarantines(0), quarantines + 1);
    assert_eq!(q(&mut p, "SET lock:x b NX PX 30000").await, "$-1\r\n");
    c.stop().await;
}

#[tokio::test]
async fn fences_increase_when_restarted_nodes_form_the_next_majority() {
    // Per round: restart y, then v (each rejoins with no grant during its quarantine),
    // then stop x, the one node that kept its counters: the next majority is {v, y}.
    // Without the repair both would read 0 and the fence would go back to 1.
    let mut c = start_cluster_with(3, |cfg| {
        cfg.locks.restart_quarantine = Some(300); // above every TTL granted here
    })
    .await;
    let mut p = raw_proxy(&c).await;
    let key = "lock:fr";
    let mut fences = Vec::new();
    async fn restart(c: &mut TestCluster, i: usize) {
        let before = c.proxy.proxy.locks.as_ref().unwrap().quarantines(i);
        restart_node(c, i).await;
        wait_rejoined(c, i, before).await;
    }
    for round in 0..3 {
        let (v, y, x) = (round, (round + 1) % 3, (round + 2) % 3);
        for _ in 0..9 {
            take(&mut p, key, &mut fences).await;
        }
        restart(&mut c, y).await;
        restart(&mut c, v).await;
        let stopped = c.nodes.remove(x);
        let addr = stopped.addr;
        stopped.stop().await;
        for _ in 0..9 {
            take(&mut p, key, &mut fences).await;
        }
        let before = c.proxy.proxy.locks.as_ref().unwrap().quarantines(x);
        c.nodes
            .insert(x, start_node_with(|s| s.listen = addr.to_string()).await);
        wait_rejoined(&c, x, before).await;
    }
    let n = fences.len() as u64;
    assert_eq!(n, 54);
    assert_eq!(fences, (1..=n).collect::<Vec<u64>>());
    // every node holds the last counter: the rejoined x by repair alone
    for node in &c.nodes {
        assert_eq!(
            q(
                &mut raw(node).await,
                &format!("GET __ringcache_fence:{key}")
            )
            .await,
            format!("${}\r\n{n}\r\n", n.to_string().len())
        );
    }
    c.stop().await;
}

/// The Rust `rslock` crate (Redlock client), unmodified, through the proxy: it sends
/// `SET k v NX PX`, an EVALSHA/EVAL compare-and-`SET PX` extend and a compare-and-delete.
#[tokio::test]
async fn rslock_client_works_through_the_proxy() {
    let c = start_cluster(3).await;
    let url = format!("redis://{}/", c.proxy.addr);
    let mut a = rslock::LockManager::new(vec![url.clone()]);
    let mut b = rslock::LockManager::new(vec![url]);
    a.set_retry(1, Duration::from_millis(10));
    b.set_retry(1, Duration::from_millis(10));
    let held = a
        .lock("lock:rs-crate", Duration::from_secs(10))
        .await
        .expect("a acquires");
    assert!(
        held.validity_time > 9_000 && held.validity_time < 10_000,
        "{}",
        held.validity_time
    );
    assert!(
        b.lock("lock:rs-crate", Duration::from_secs(10))
            .await
            .is_err(),
        "b must not acquire"
    );
    let extended = a
        .extend(&held, Duration::from_secs(20))
        .await
        .expect("a extends");
    assert!(
        extended.validity_time > 10_000,
        "{}",
        extended.validity_time
    );
    for n in &c.nodes {
        let pttl = q(&mut raw(n).await, "PTTL lock:rs-crate").await;
        let ms: i64 = pttl[1..pttl.len() - 2].parse().unwrap();
        assert!(ms > 10_000, "extended on every node: {pttl}");
    }
    a.unlock(&extended).await;
    assert_eq!(
        q(&mut raw_proxy(&c).await, "GET lock:rs-crate").await,
        "$-1\r\n"
    );
    let again = b
        .lock("lock:rs-crate", Duration::from_secs(10))
        .await
        .expect("b acquires after release");
    b.unlock(&again).await;
    c.stop().await;
}
