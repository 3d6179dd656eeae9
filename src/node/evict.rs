//! maxmemory enforcement: before a command runs, evict keys according to the policy
//! until the node is under its limit (as Redis's `performEvictions` in
//! `processCommand`); a command that may grow memory is refused if that fails.
//!
//! Redis's approximated algorithms: rather than keeping keys ordered by age or
//! frequency (memory and time per access), sample `maxmemory-samples` keys from a
//! random shard — all keys, or only the TTL index for `volatile-*` — and merge them
//! into a small pool of the best candidates seen so far, which persists across calls
//! so the choice improves over time. Evict the pool's best, repeat until under the
//! limit. Pool entries are re-scored when picked, so a key read since it was sampled
//! is not evicted on stale data.

use super::db::{Db, Entry, SHARDS};
use super::server::Server;
use super::types::compact;
use crate::config::EvictionPolicy;
use bytes::Bytes;
use rand::Rng;
use std::sync::atomic::Ordering;

/// Candidates kept between rounds (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

/// The eviction pool: best candidates so far, ascending by score (last = evict next).
#[derive(Debug, Default)]
pub struct Pool {
    policy: Option<EvictionPolicy>,
    entries: Vec<(u64, Bytes)>,
}

/// Make room for a write. `false` means the node is over `maxmemory` and could not
/// evict enough (noeviction, or nothing evictable): the command gets `-OOM`.
pub fn make_room(server: &Server) -> bool {
    if !over_limit(server) {
        return true;
    }
    let max = server.maxmemory();
    let (policy, samples) = {
        let s = server.settings();
        (s.maxmemory_policy, s.maxmemory_samples)
    };
    evict_until(&server.db, max, policy, samples.max(1) as usize)
}

/// True when a `maxmemory` is set and `used_memory` (the dataset and the startup
/// baseline) is above it: keys must be evicted first, and a write refused if they
/// cannot be.
#[inline]
pub fn over_limit(server: &Server) -> bool {
    let max = server.maxmemory();
    max != 0 && server.db.used_memory_with_startup() > max
}

/// Evict per `policy` until `used_memory_with_startup() <= max`; false if that is
/// impossible (below the startup baseline it always is, as in Redis).
pub fn evict_until(db: &Db, max: u64, policy: EvictionPolicy, samples: usize) -> bool {
    use EvictionPolicy::*;
    let volatile = matches!(
        policy,
        VolatileLru | VolatileLfu | VolatileRandom | VolatileTtl
    );
    while db.used_memory_with_startup() > max {
        let evicted = match policy {
            NoEviction => return false,
            AllKeysRandom | VolatileRandom => evict_random(db, volatile),
            _ => evict_best(db, policy, volatile, samples),
        };
        if !evicted {
            return false;
        }
        db.evicted_keys.fetch_add(1, Ordering::Relaxed);
    }
    true
}

/// Higher = evict sooner.
fn score(db: &Db, policy: EvictionPolicy, e: &Entry, now: u64) -> u64 {
    match policy {
        EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu => {
            255 - e.lfu_now(now, &db.lfu) as u64
        }
        EvictionPolicy::VolatileTtl => u64::MAX - e.expire_at,
        _ => e.idle_secs(now) as u64,
    }
}

/// Evict one random key (from a random non-empty shard).
fn evict_random(db: &Db, volatile: bool) -> bool {
    let start = rand::rng().random_range(0..SHARDS);
    for n in 0..SHARDS {
        let mut ks = db.lock_shard((start + n) % SHARDS);
        let shard = ks.shards_mut().next().expect("one shard locked");
        let mut victim = None;
        shard.sample(1, volatile, |k, _| victim = Some(compact(k)));
        if let Some(k) = victim {
            return shard.evict(&k);
        }
    }
    false
}

/// Sample into the pool, then evict its best still-valid candidate.
fn evict_best(db: &Db, policy: EvictionPolicy, volatile: bool, samples: usize) -> bool {
    // Bounded: each try either evicts, drops a stale candidate or re-scores one.
    for _ in 0..POOL_SIZE * 4 {
        let found = sample_into_pool(db, policy, volatile, samples);
        let candidate = {
            let mut pool = db.evict_pool.lock();
            pool.entries.pop()
        };
        let Some((old_score, key)) = candidate else {
            if found {
                continue;
            }
            return false;
        };
        let mut ks = db.lock_shard(Db::shard_of(&key));
        let now = ks.now();
        let shard = ks.shards_mut().next().expect("one shard locked");
        let Some(e) = shard.get(&key) else {
            continue; // deleted since it was sampled
        };
        if volatile && e.expire_at == 0 {
            continue; // PERSISTed since
        }
        let s = score(db, policy, e, now);
        if s < old_score {
            // Used since it was sampled: put it back with its real score.
            drop(ks);
            insert(&mut db.evict_pool.lock(), s, key);
            continue;
        }
        return shard.evict(&key);
    }
    false
}

/// Sample `samples` keys from one random non-empty shard into the pool. False when
/// every shard is empty (of keys the policy may evict).
fn sample_into_pool(db: &Db, policy: EvictionPolicy, volatile: bool, samples: usize) -> bool {
    let start = rand::rng().random_range(0..SHARDS);
    let mut got: smallvec::SmallVec<[(u64, Bytes); 8]> = smallvec::SmallVec::new();
    for n in 0..SHARDS {
        let mut ks = db.lock_shard((start + n) % SHARDS);
        let now = ks.now();
        let shard = ks.shards_mut().next().expect("one shard locked");
        shard.sample(samples, volatile, |k, e| {
            got.push((score(db, policy, e, now), Bytes::copy_from_slice(k)))
        });
        if !got.is_empty() {
            break;
        }
    }
    if got.is_empty() {
        return false;
    }
    let mut pool = db.evict_pool.lock();
    if pool.policy != Some(policy) {
        pool.entries.clear();
        pool.policy = Some(policy);
    }
    for (s, k) in got {
        insert(&mut pool, s, k);
    }
    true
}

/// Insert keeping the pool sorted and at most `POOL_SIZE` long (dropping the worst).
fn insert(pool: &mut Pool, s: u64, key: Bytes) {
    let v = &mut pool.entries;
    if let Some(i) = v.iter().position(|(_, k)| *k == key) {
        v.remove(i);
    }
    if v.len() >= POOL_SIZE && v.first().is_some_and(|(w, _)| *w >= s) {
        return;
    }
    let at = v.partition_point(|(w, _)| *w <= s);
    v.insert(at, (s, key));
    if v.len() > POOL_SIZE {
        v.remove(0);
    }
}
