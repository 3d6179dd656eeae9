//! Active expiry: keys whose TTL passed are removed in the background even if no one
//! reads them again, so expired data cannot hold memory indefinitely.
//!
//! Redis's adaptive sampling: every 100 ms, per shard, probe up to 20 keys from the TTL
//! index and delete the expired ones; while more than a quarter of a probe was expired
//! the shard probably holds many more, so probe it again. A ~25 ms budget per cycle
//! bounds how long this can hold up clients; the next cycle resumes where it stopped.
//! One shard is locked at a time and never across an `.await`.

use super::db::SHARDS;
use super::server::Server;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How often a cycle runs (Redis's `hz 10`).
pub const PERIOD: Duration = Duration::from_millis(100);
/// Keys probed per shard per round (`ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const KEYS_PER_PROBE: usize = 20;
/// Upper bound on one cycle's work (25% of the period, as Redis's slow cycle).
pub const CYCLE_BUDGET: Duration = Duration::from_millis(25);

/// Sweep for expired keys until shutdown.
pub async fn active_expire_loop(server: Arc<Server>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut resume = 0;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        resume = expire_cycle(&server, resume, CYCLE_BUDGET);
    }
}

/// One cycle over all shards starting at `start`; returns the shard the next cycle
/// should start at (where this one ran out of time or met a running script, else
/// `start`). A running script holds every shard: the cycle stops rather than block
/// this task's thread on a shard lock (Redis does not expire during scripts either).
pub fn expire_cycle(server: &Server, start: usize, budget: Duration) -> usize {
    let db = &server.db;
    let t0 = Instant::now();
    for n in 0..SHARDS {
        let i = (start + n) % SHARDS;
        loop {
            if server.scripts.is_running() {
                return i;
            }
            let (sampled, expired) = {
                let mut ks = db.lock_shard(i);
                let now = ks.now();
                let shard = ks.shards_mut().next().expect("one shard locked");
                shard.expire_sample(now, KEYS_PER_PROBE)
            };
            if expired > 0 {
                db.expired_keys.fetch_add(expired as u64, Ordering::Relaxed);
            }
            if t0.elapsed() >= budget {
                return i;
            }
            // Stop when at most 25% of the probe had expired.
            if sampled == 0 || expired * 4 <= sampled {
                break;
            }
        }
    }
    start
}
