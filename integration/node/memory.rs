//! maxmemory: each eviction policy's observable behaviour, and how honest
//! `used_memory` is compared with the process's real memory (RSS).

use crate::common::*;
use ringcache::config::EvictionPolicy;
use ringcache::node::types::{HashValue, ListValue, Value};
use ringcache::node::NodeHandle;
use std::sync::atomic::Ordering;

const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
/// The dataset's limit: maxmemory is this above the startup baseline.
const MAX: u64 = 200_000;
/// One 100-byte SET costs ~300 estimated bytes; eviction runs before a write, so a
/// write may leave the node this much over the limit.
const SLACK: u64 = 400;

async fn node_with(policy: EvictionPolicy) -> NodeHandle {
    start_node_with(|s| {
        s.maxmemory = ringcache::node::db::STARTUP_MEMORY + MAX;
        s.maxmemory_policy = policy;
    })
    .await
}

fn value() -> Vec<u8> {
    vec![b'x'; 100]
}

async fn set(c: &mut Raw, key: &str) -> String {
    String::from_utf8_lossy(&c.cmd(&[b"SET", key.as_bytes(), &value()]).await).into_owned()
}

fn used(node: &NodeHandle) -> u64 {
    node.server.db.used_memory() as u64
}

/// SET keys `k0`, `k1`… until the node uses nine tenths of its limit; how many.
async fn fill_to_nine_tenths(node: &NodeHandle, c: &mut Raw) -> usize {
    let mut n = 0;
    while used(node) < MAX * 9 / 10 {
        set(c, &format!("k{n}")).await;
        n += 1;
    }
    n
}

/// SET keys `new0`, `new1`… until at least `n` keys have been evicted (bounded).
async fn evict_at_least(node: &NodeHandle, c: &mut Raw, n: u64) {
    let evicted = || node.server.db.evicted_keys.load(Ordering::Relaxed);
    let mut round = 0;
    while evicted() < n && round < 2_000 {
        set(c, &format!("new{round}")).await;
        round += 1;
    }
    assert!(evicted() >= n, "{} evicted", evicted());
}

/// The keys of `keys` the node no longer holds.
fn missing<'k>(node: &NodeHandle, keys: &'k [String]) -> Vec<&'k String> {
    keys.iter()
        .filter(|k| !node.server.db.lock_key(k.as_bytes()).exists(k.as_bytes()))
        .collect()
}

#[tokio::test]
async fn noeviction_refuses_writes_but_serves_reads_and_deletes() {
    let node = node_with(EvictionPolicy::NoEviction).await;
    let mut c = raw(&node).await;
    let mut n = 0;
    while set(&mut c, &format!("k{n}")).await == "+OK\r\n" {
        n += 1;
        assert!(n < 10_000, "never hit the limit");
    }
    assert_eq!(set(&mut c, "other").await, OOM);
    assert!(used(&node) > MAX && used(&node) <= MAX + SLACK);
    assert_eq!(c.q("GET k0").await.len(), 108);
    assert_eq!(c.q("EXISTS k0").await, ":1\r\n");
    // Writes that cannot grow memory still run; DEL frees room for more.
    assert_eq!(c.q("DEL k0 k1 k2").await, ":3\r\n");
    assert_eq!(set(&mut c, "again").await, "+OK\r\n");
    assert_eq!(node.server.db.evicted_keys.load(Ordering::Relaxed), 0);
    node.stop().await;
}

#[tokio::test]
async fn allkeys_policies_evict_to_stay_under_the_limit() {
    for policy in [
        EvictionPolicy::AllKeysLru,
        EvictionPolicy::AllKeysLfu,
        EvictionPolicy::AllKeysRandom,
    ] {
        let node = node_with(policy).await;
        let mut c = raw(&node).await;
        for i in 0..3000 {
            assert_eq!(set(&mut c, &format!("k{i}")).await, "+OK\r\n", "{policy:?}");
            assert!(used(&node) <= MAX + SLACK, "{policy:?}: {}", used(&node));
        }
        let (keys, _) = node.server.db.counts();
        assert!(keys > 300 && keys < 1000, "{policy:?}: {keys} keys");
        let evicted = node.server.db.evicted_keys.load(Ordering::Relaxed) as usize;
        assert_eq!(keys + evicted, 3000, "{policy:?}");
        node.stop().await;
    }
}

#[tokio::test]
async fn volatile_policies_evict_only_keys_with_a_ttl() {
    for policy in [
        EvictionPolicy::VolatileLru,
        EvictionPolicy::VolatileLfu,
        EvictionPolicy::VolatileRandom,
        EvictionPolicy::VolatileTtl,
    ] {
        let node = node_with(policy).await;
        let mut c = raw(&node).await;
        for i in 0..200 {
            assert_eq!(set(&mut c, &format!("p{i}")).await, "+OK\r\n");
        }
        for i in 0..2000 {
            assert_eq!(set(&mut c, &format!("v{i}")).await, "+OK\r\n", "{policy:?}");
            assert_eq!(c.q(&format!("EXPIRE v{i} 1000")).await, ":1\r\n");
        }
        assert!(used(&node) <= MAX + SLACK);
        let persistent = (0..200)
            .filter(|i| {
                node.server
                    .db
                    .lock_key(format!("p{i}").as_bytes())
                    .exists(format!("p{i}").as_bytes())
            })
            .count();
        assert_eq!(persistent, 200, "{policy:?}: a key without TTL was evicted");
        // Now only keys without a TTL grow: once the volatile ones are gone, OOM.
        let mut i = 200;
        loop {
            let r = set(&mut c, &format!("p{i}")).await;
            if r != "+OK\r\n" {
                assert_eq!(r, OOM, "{policy:?}");
                break;
            }
            i += 1;
            assert!(i < 10_000, "{policy:?}: never refused");
        }
        assert_eq!(node.server.db.counts(), (i, 0), "{policy:?}");
        node.stop().await;
    }
}

#[tokio::test]
async fn volatile_ttl_evicts_the_nearest_expiry_first() {
    let node = node_with(EvictionPolicy::VolatileTtl).await;
    let mut c = raw(&node).await;
    // Later keys expire sooner, so "oldest first" would pick the opposite keys.
    let n = 2000;
    for i in 0..n {
        set(&mut c, &format!("v{i}")).await;
        c.q(&format!("EXPIRE v{i} {}", 100_000 - i * 10)).await;
    }
    let survivors: Vec<usize> = (0..n)
        .filter(|i| {
            let k = format!("v{i}");
            node.server.db.lock_key(k.as_bytes()).exists(k.as_bytes())
        })
        .collect();
    let early = survivors.iter().filter(|&&i| i < n / 2).count();
    println!(
        "{} survivors, {early} with the farthest expiry",
        survivors.len()
    );
    // Approximate (5 samples per round, as Redis): a random choice would keep ~50%.
    assert!(
        early * 3 >= survivors.len() * 2,
        "{early}/{}",
        survivors.len()
    );
    node.stop().await;
}

#[tokio::test]
async fn allkeys_lru_keeps_the_hot_set() {
    let node = node_with(EvictionPolicy::AllKeysLru).await;
    let mut c = raw(&node).await;
    let n = fill_to_nine_tenths(&node, &mut c).await;
    let hot: Vec<String> = (0..n).step_by(10).map(|i| format!("k{i}")).collect();
    node.server.db.advance_clock(100_000);
    for round in 0..300 {
        if round % 30 == 0 {
            for k in &hot {
                c.q(&format!("GET {k}")).await;
            }
        }
        set(&mut c, &format!("new{round}")).await;
    }
    assert!(node.server.db.evicted_keys.load(Ordering::Relaxed) > 100);
    let alive = hot.len() - missing(&node, &hot).len();
    println!("hot keys alive: {alive}/{}", hot.len());
    assert!(alive * 100 >= hot.len() * 95, "{alive}/{}", hot.len());
    node.stop().await;
}

/// A key made by LPUSH, HSET, SADD or ZADD counts as just used, as one made by SET
/// does (Redis stamps every new object): idle strings are evicted, not the new keys.
#[tokio::test]
async fn keys_made_by_any_write_count_as_just_used() {
    for policy in [EvictionPolicy::AllKeysLru, EvictionPolicy::AllKeysLfu] {
        let node = node_with(policy).await;
        let mut c = raw(&node).await;
        fill_to_nine_tenths(&node, &mut c).await;
        // Ten idle minutes: the strings' LRU age grows and their LFU counters decay.
        node.server.db.advance_clock(600_000);
        let mut made = Vec::new();
        for i in 0..10 {
            for line in [
                format!("LPUSH list{i} a"),
                format!("HSET hash{i} f v"),
                format!("SADD set{i} m"),
                format!("ZADD zset{i} 1 m"),
            ] {
                assert_eq!(c.q(&line).await, ":1\r\n", "{policy:?}: {line}");
                made.push(line.split(' ').nth(1).unwrap_or_default().to_string());
            }
        }
        evict_at_least(&node, &mut c, 100).await;
        let gone = missing(&node, &made);
        assert!(gone.is_empty(), "{policy:?} evicted new keys {gone:?}");
        node.stop().await;
    }
}

/// Overwriting a key keeps its LFU counter, as Redis's SET does: hot keys refreshed
/// with SET stay hot instead of starting over like new keys.
#[tokio::test]
async fn allkeys_lfu_keeps_hot_keys_across_overwrites() {
    let node = node_with(EvictionPolicy::AllKeysLfu).await;
    let mut c = raw(&node).await;
    let n = fill_to_nine_tenths(&node, &mut c).await;
    let hot: Vec<String> = (0..n).step_by(10).map(|i| format!("k{i}")).collect();
    let stored = format!("$100\r\n{}\r\n", "x".repeat(100));
    for _ in 0..100 {
        for k in &hot {
            assert_eq!(c.q(&format!("GET {k}")).await, stored, "{k}");
        }
    }
    for k in &hot {
        assert_eq!(set(&mut c, k).await, "+OK\r\n");
    }
    evict_at_least(&node, &mut c, 100).await;
    let gone = missing(&node, &hot);
    assert!(gone.is_empty(), "hot keys evicted: {gone:?}");
    node.stop().await;
}

/// RENAME moves a key's LFU counter with it, as Redis moves the object that holds
/// it; COPY makes a new object, whose counter starts at the new-key level even when
/// it REPLACEs a hot key.
#[tokio::test]
async fn rename_moves_the_lfu_counter_and_copy_starts_a_new_one() {
    const NEW_KEY: u8 = 5; // Redis's LFU_INIT_VAL
    let node = node_with(EvictionPolicy::AllKeysLfu).await;
    let mut c = raw(&node).await;
    let lfu = |k: &str| {
        let mut ks = node.server.db.lock_key(k.as_bytes());
        ks.peek(k.as_bytes()).map(|e| e.lfu)
    };
    for k in ["hot", "cold"] {
        assert_eq!(set(&mut c, k).await, "+OK\r\n");
    }
    for _ in 0..2_000 {
        assert_eq!(c.q("TOUCH hot").await, ":1\r\n");
    }
    let hot = lfu("hot").expect("hot exists");
    assert!(hot > NEW_KEY + 5, "2000 accesses left the counter at {hot}");
    assert_eq!(c.q("RENAME hot cold").await, "+OK\r\n");
    let renamed = lfu("cold").expect("renamed");
    assert!(
        renamed >= hot,
        "RENAME left {renamed}, the source had {hot}"
    );
    assert_eq!(c.q("COPY cold copied").await, ":1\r\n");
    assert_eq!(lfu("copied"), Some(NEW_KEY));
    assert_eq!(set(&mut c, "other").await, "+OK\r\n");
    assert_eq!(c.q("COPY other cold REPLACE").await, ":1\r\n");
    assert_eq!(lfu("cold"), Some(NEW_KEY), "COPY REPLACE over a hot key");
    node.stop().await;
}

/// RENAME looks its source up once, as Redis: a fresh key (counter 5) renamed has
/// exactly 6, the one certain increment. A second lookup would make it 7 one time in
/// 11: across 100 keys, all at 6 that way has odds below 1 in 10,000.
#[tokio::test]
async fn rename_counts_one_access_of_its_source() {
    let node = node_with(EvictionPolicy::AllKeysLfu).await;
    let mut c = raw(&node).await;
    for i in 0..100 {
        assert_eq!(set(&mut c, &format!("src{i}")).await, "+OK\r\n");
        assert_eq!(c.q(&format!("RENAME src{i} dst{i}")).await, "+OK\r\n");
        assert_eq!(
            c.q(&format!("OBJECT FREQ dst{i}")).await,
            ":6\r\n",
            "dst{i}"
        );
    }
    node.stop().await;
}

#[tokio::test]
async fn policy_switch_at_runtime_takes_effect() {
    let node = node_with(EvictionPolicy::NoEviction).await;
    let mut c = raw(&node).await;
    let mut n = 0;
    while set(&mut c, &format!("k{n}")).await == "+OK\r\n" {
        n += 1;
    }
    node.server
        .update_settings(|s| s.maxmemory_policy = EvictionPolicy::AllKeysRandom);
    assert_eq!(set(&mut c, "k-after").await, "+OK\r\n");
    node.server.update_settings(|s| s.maxmemory = 0);
    assert_eq!(set(&mut c, "unlimited").await, "+OK\r\n");
    node.stop().await;
}

/// Resident set size of this process, from /proc.
fn vm_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS");
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// The measurement itself; it only runs inside the child process that
/// [`used_memory_tracks_rss`] starts, so no other test's allocations disturb RSS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_child() {
    if std::env::var_os("RINGCACHE_RSS_CHILD").is_none() {
        return;
    }
    let node = start_node().await;
    let mut c = raw(&node).await;
    assert_eq!(set(&mut c, "warmup").await, "+OK\r\n");
    let (rss0, used0) = (vm_rss(), used(&node));
    // 200k strings with 100-byte values, pipelined 1000 at a time.
    let v = value();
    for b in 0..200 {
        let mut batch = Vec::new();
        for i in 0..1000 {
            batch.extend(encode(&[b"SET", format!("key:{b}:{i}").as_bytes(), &v]));
        }
        c.send_raw(&batch).await;
        for _ in 0..1000 {
            c.read_reply().await;
        }
    }
    // 2000 hashes of 50 fields and 2000 lists of 50 elements (written directly: the
    // hash and list commands live in other modules).
    for i in 0..2000 {
        let k = format!("hash:{i}");
        let mut h = HashValue::new();
        for f in 0..50 {
            h.insert(
                format!("field:{f}").as_bytes(),
                format!("value-{f}-{i}").as_bytes(),
            );
        }
        node.server
            .db
            .lock_key(k.as_bytes())
            .set(k.as_bytes(), Value::hash(h), 0);
        let k = format!("list:{i}");
        let mut l = ListValue::new();
        for e in 0..50 {
            l.push_back(format!("element-{e}-{i}").as_bytes());
        }
        node.server
            .db
            .lock_key(k.as_bytes())
            .set(k.as_bytes(), Value::list(l), 0);
    }
    let (rss1, used1) = (vm_rss(), used(&node));
    let (d_rss, d_used) = (rss1 - rss0, used1 - used0);
    let ratio = d_used as f64 / d_rss as f64;
    println!("RSS-RESULT used_memory delta {d_used} B, RSS delta {d_rss} B, ratio {ratio:.3}");
    assert!((0.6..=1.5).contains(&ratio), "ratio {ratio:.3}");
    node.stop().await;
}

/// used_memory must track reality: run [`rss_child`] alone in a fresh process and
/// compare the estimate's growth with RSS growth while filling ~30 MB.
#[test]
fn used_memory_tracks_rss() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "memory::rss_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RINGCACHE_RSS_CHILD", "1")
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.contains("RSS-RESULT"));
    println!("{}", line.unwrap_or("no result line"));
    assert!(
        out.status.success() && line.is_some(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Kills the spawned node however the test ends.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `used_memory` from an `INFO memory` reply; `None` if the node has no INFO.
async fn info_used_memory(c: &mut Raw) -> Option<u64> {
    let r = c.q("INFO memory").await;
    r.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .map(|v| v.trim().parse().expect("number"))
}

fn pid_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("procfs");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 1024
}

/// Pipeline `cmds` in batches of 1000 and wait for every reply.
async fn pipeline(c: &mut Raw, cmds: impl Iterator<Item = Vec<Vec<u8>>>) {
    let cmds: Vec<Vec<Vec<u8>>> = cmds.collect();
    for chunk in cmds.chunks(1000) {
        let mut batch = Vec::new();
        for args in chunk {
            let refs: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
            batch.extend(encode(&refs));
        }
        c.send_raw(&batch).await;
        for _ in chunk {
            let r = c.read_reply().await;
            assert!(!r.starts_with(b"-"), "{}", String::from_utf8_lossy(&r));
        }
    }
}

/// The same comparison against the real binary, reading `used_memory` from `INFO
/// memory` and RSS from /proc/PID/status. Skipped (with a message) while the node has
/// no INFO command.
#[tokio::test]
async fn binary_used_memory_tracks_rss() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_ringcache"))
            .args(["node", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn ringcache"),
    );
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let stream = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => break s,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
    })
    .await
    .expect("node listens within 10 s");
    drop(stream);
    let mut c = Raw::connect(addr).await;
    let Some(used0) = info_used_memory(&mut c).await else {
        println!("INFO memory not available in this build: skipped");
        return;
    };
    let pid = child.0.id();
    let rss0 = pid_rss(pid);
    let v = value();
    pipeline(
        &mut c,
        (0..200_000).map(|i| vec![b"SET".to_vec(), format!("key:{i}").into_bytes(), v.clone()]),
    )
    .await;
    let (used1, rss1) = (info_used_memory(&mut c).await.unwrap(), pid_rss(pid));
    pipeline(
        &mut c,
        (0..2000).map(|i| {
            let mut a = vec![b"HSET".to_vec(), format!("hash:{i}").into_bytes()];
            for f in 0..50 {
                a.push(format!("field:{f}").into_bytes());
                a.push(format!("value-{f}-{i}").into_bytes());
            }
            a
        }),
    )
    .await;
    pipeline(
        &mut c,
        (0..2000).map(|i| {
            let mut a = vec![b"RPUSH".to_vec(), format!("list:{i}").into_bytes()];
            a.extend((0..50).map(|e| format!("element-{e}-{i}").into_bytes()));
            a
        }),
    )
    .await;
    pipeline(
        &mut c,
        (0..2000).map(|i| {
            let mut a = vec![b"SADD".to_vec(), format!("set:{i}").into_bytes()];
            a.extend((0..50).map(|m| format!("member-{m}-{i}").into_bytes()));
            a
        }),
    )
    .await;
    pipeline(
        &mut c,
        (0..2000).map(|i| {
            let mut a = vec![b"ZADD".to_vec(), format!("zset:{i}").into_bytes()];
            for m in 0..50 {
                a.push(format!("{}.5", m * 3).into_bytes());
                a.push(format!("member-{m}-{i}").into_bytes());
            }
            a
        }),
    )
    .await;
    let (used2, rss2) = (info_used_memory(&mut c).await.unwrap(), pid_rss(pid));
    let strings = (used1 - used0) as f64 / (rss1 - rss0) as f64;
    let aggregates = (used2 - used1) as f64 / (rss2 - rss1) as f64;
    let total = (used2 - used0) as f64 / (rss2 - rss0) as f64;
    println!(
        "binary: used_memory +{} B, RSS +{} B; ratio strings {strings:.3}, hashes+lists+sets+zsets {aggregates:.3}, total {total:.3}",
        used2 - used0,
        rss2 - rss0
    );
    assert!((0.6..=1.5).contains(&total), "ratio {total:.3}");
    assert!(
        (0.6..=1.5).contains(&aggregates),
        "aggregates ratio {aggregates:.3}"
    );
}

/// `maxmemory` limits what INFO shows as `used_memory` (the dataset and the startup
/// baseline), as in Redis: a node that has evicted shows at most one write above it.
#[tokio::test]
async fn info_used_memory_stays_within_maxmemory() {
    let node = node_with(EvictionPolicy::AllKeysLru).await;
    let mut c = raw(&node).await;
    evict_at_least(&node, &mut c, 10).await;
    let info = c.q("INFO memory").await;
    let field = |name: &str| -> u64 {
        let line = info
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no {name} in {info}"));
        line.parse().unwrap_or_else(|_| panic!("{name}:{line}"))
    };
    let (used, max) = (field("used_memory"), field("maxmemory"));
    assert_eq!(max, ringcache::node::db::STARTUP_MEMORY + MAX);
    assert!(used <= max + SLACK, "used_memory {used} > maxmemory {max}");
    assert!(
        used > max - 1_000,
        "used_memory {used} far below maxmemory {max}"
    );
    node.stop().await;
}

/// `lfu-log-factor` and `lfu-decay-time` take effect, as in Redis: with factor 0
/// every access counts (a new key's 5 plus 20 GETs is 25); a counter loses one per
/// `lfu-decay-time` minutes without access, and none with a decay time of 0.
#[tokio::test]
async fn lfu_log_factor_and_decay_time_apply() {
    let node = node_with(EvictionPolicy::AllKeysLfu).await;
    let mut c = raw(&node).await;
    assert_eq!(c.q("CONFIG SET lfu-log-factor 0").await, "+OK\r\n");
    assert_eq!(set(&mut c, "a").await, "+OK\r\n");
    for _ in 0..20 {
        c.q("GET a").await;
    }
    assert_eq!(c.q("OBJECT FREQ a").await, ":25\r\n");
    node.server.db.advance_clock(5 * 60_000);
    assert_eq!(
        c.q("OBJECT FREQ a").await,
        ":20\r\n",
        "five minutes, one a minute"
    );
    assert_eq!(c.q("CONFIG SET lfu-decay-time 2").await, "+OK\r\n");
    assert_eq!(
        c.q("OBJECT FREQ a").await,
        ":23\r\n",
        "five minutes, one per two"
    );
    assert_eq!(c.q("CONFIG SET lfu-decay-time 0").await, "+OK\r\n");
    assert_eq!(c.q("OBJECT FREQ a").await, ":25\r\n", "no decay");
    node.stop().await;
}
