//! One shard of the keyspace: the key → entry map, the index of keys with a TTL (for
//! sampling by active expiry and volatile eviction), memory accounting and WATCH
//! versions.

use crate::node::types::table::{prefetch, Prefetch, Table};
use crate::node::types::{key_cost, CompactBytes, KeyHasher, Value};
use bytes::Bytes;
use indexmap::IndexSet;
use rand::Rng;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// Estimated bytes per key beyond the heap bytes of a long key or value: the table
/// slot (24-byte key handle + 48-byte `Entry` = 72 B, short keys and values inline)
/// and its 4-byte index slot and control byte, rounded up for the spare capacity
/// after doubling. Calibrated against RSS: `integration/node/memory.rs` (200k 100-byte
/// strings) and redis-benchmark (951k SETs of 64 bytes: used_memory 145.2 MiB, RSS
/// 144.7 MiB including the empty process's 9; commit e733d9e).
pub const KEY_OVERHEAD: usize = 80;

// A key's slot and its index bucket must fit in the estimate.
const _: () = assert!(KEY_OVERHEAD >= std::mem::size_of::<(CompactBytes, Entry)>() + 5);

/// What a key maps to.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Absolute expiry time in Unix ms; 0 = no TTL.
    pub expire_at: u64,
    /// Last access (Unix seconds, wrapping) for approximate LRU.
    pub lru: u32,
    /// Logarithmic access counter for approximate LFU.
    pub lfu: u8,
    /// How Redis would encode this value if a string, where its bytes alone do not
    /// tell (OBJECT ENCODING). In what was padding: the entry does not grow.
    pub str_encoding: StrEncoding,
}

/// How Redis would encode a string value (OBJECT ENCODING `int`, `embstr`, `raw`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StrEncoding {
    /// As its bytes say, as Redis's `tryObjectEncoding` encodes what SET and the like
    /// store: `int` for a canonical 64-bit integer, `embstr` up to 44 bytes, else `raw`.
    #[default]
    ByContent,
    /// `raw` whatever the bytes: changed in place by APPEND or SETRANGE, or made by
    /// SETRANGE.
    Raw,
    /// Never `int`: INCRBYFLOAT's result (`embstr` up to 44 bytes, else `raw`), even
    /// when it reads as an integer.
    NoInt,
    /// As its bytes say, but never Redis's shared object for a small integer: COPY's
    /// duplicate of one (OBJECT REFCOUNT 1).
    Unshared,
}

/// Redis's `lfu-log-factor` and `lfu-decay-time`, which CONFIG SET changes while
/// running: atomics, so an access under the shard lock reads them without the
/// settings lock.
#[derive(Debug)]
pub struct LfuTuning {
    log_factor: AtomicU32,
    decay_minutes: AtomicU32,
}

impl Default for LfuTuning {
    /// Redis's defaults: log factor 10, one step of decay per minute.
    fn default() -> Self {
        LfuTuning {
            log_factor: AtomicU32::new(10),
            decay_minutes: AtomicU32::new(1),
        }
    }
}

impl LfuTuning {
    /// Take new values (CONFIG SET).
    pub fn set(&self, log_factor: u32, decay_minutes: u32) {
        self.log_factor.store(log_factor, Ordering::Relaxed);
        self.decay_minutes.store(decay_minutes, Ordering::Relaxed);
    }

    /// `e`'s counter as of `now_ms`: one less per `lfu-decay-time` minutes since its
    /// last access, none with a decay time of 0 (Redis's `LFUDecrAndReturn`). `lru`
    /// doubles as the last-access time.
    pub fn decayed(&self, e: &Entry, now_ms: u64) -> u8 {
        let period = self.decay_minutes.load(Ordering::Relaxed);
        if period == 0 {
            return e.lfu;
        }
        let periods = ((now_ms / 1000) as u32).wrapping_sub(e.lru) / 60 / period;
        e.lfu.saturating_sub(periods.min(255) as u8)
    }

    /// `counter` after one access: up by one with probability 1 / ((counter - 5) *
    /// lfu-log-factor + 1), so it grows logarithmically (Redis's `LFULogIncr`).
    pub fn incremented(&self, counter: u8) -> u8 {
        if counter == 255 {
            return 255;
        }
        let factor = self.log_factor.load(Ordering::Relaxed) as f64;
        let base = (counter as f64 - 5.0).max(0.0);
        if rand::random::<f64>() < 1.0 / (base * factor + 1.0) {
            counter + 1
        } else {
            counter
        }
    }
}

impl Entry {
    /// The LFU counter as of `now_ms`, decayed per `lfu`'s `lfu-decay-time`.
    pub fn lfu_now(&self, now_ms: u64, lfu: &LfuTuning) -> u8 {
        lfu.decayed(self, now_ms)
    }

    /// True once `now_ms` is past the key's TTL. As in Redis's `keyIsExpired`
    /// (`now > when`), a key still lives during its expiry millisecond.
    #[inline]
    pub fn expired(&self, now_ms: u64) -> bool {
        self.expire_at != 0 && now_ms > self.expire_at
    }

    /// Seconds since the last access (wrapping clock, as Redis's LRU clock).
    pub fn idle_secs(&self, now_ms: u64) -> u32 {
        ((now_ms / 1000) as u32).wrapping_sub(self.lru)
    }

    /// A fresh entry with no TTL, created at `now_ms`: just used as far as LRU and
    /// LFU can tell, as Redis's `createObject` stamps a new object.
    pub fn new(value: Value, now_ms: u64) -> Self {
        Entry {
            value,
            expire_at: 0,
            lru: (now_ms / 1000) as u32,
            lfu: 5, // Redis's LFU_INIT_VAL: new keys are not evicted first.
            str_encoding: StrEncoding::ByContent,
        }
    }
}

/// A shard's keys → entries.
pub type KeyTable = Table<Entry>;

impl Prefetch for Entry {
    /// A long string's bytes, or an aggregate's header (which a lookup of one of its
    /// members reads first).
    #[inline]
    fn prefetch_outside(&self) {
        match &self.value {
            Value::Str(v) => v.prefetch_outside(),
            Value::List(v) => prefetch(&**v),
            Value::Hash(v) => prefetch(&**v),
            Value::Set(v) => prefetch(&**v),
            Value::ZSet(v) => prefetch(&**v),
        }
    }
}

/// One shard.
#[derive(Debug, Default)]
pub struct Shard {
    pub(super) map: KeyTable,
    /// Keys with a TTL, sampled by the expiry sweep and volatile-* eviction.
    pub(super) volatile: IndexSet<CompactBytes, KeyHasher>,
    /// Where the active-expiry sweep goes on in `volatile`: the positions from it up
    /// are still to look at in this pass (see [`expire_sample`](Self::expire_sample)).
    pub(super) expire_cursor: usize,
    /// Approximate bytes used by this shard's keys and values.
    pub(super) mem: usize,
    /// The part of `mem` already added to [`Db`](super::Db)'s global counter; the
    /// difference is published when the command's lock is released.
    pub(super) mem_published: usize,
    /// WATCHed keys → their change counters; empty when nobody watches.
    pub(super) watched: HashMap<Bytes, WatchSlot, KeyHasher>,
    /// Watched keys changed in place by the running command, signalled when it ends
    /// without an error (see [`Keyspace::settle`](super::Keyspace::settle)).
    pub(super) pending_touch: Vec<Bytes>,
    /// Successful key lookups (INFO `keyspace_hits`). Counted here, under the shard's
    /// lock, rather than in a node-wide atomic that every core would fight over.
    pub(super) hits: u64,
    /// Failed key lookups (INFO `keyspace_misses`).
    pub(super) misses: u64,
}

/// Change counters and watcher count of a watched key.
///
/// Writes and deletions are counted apart because Redis 7.0 tells them apart for a
/// key that had already expired (but was still stored) when it was WATCHed: its
/// deletion, by lazy or active expiry or anything else, changes nothing logically
/// and leaves that watcher's EXEC alone, while any write still aborts it (see
/// [`WatchMark`](super::WatchMark)).
#[derive(Debug, Default, Clone, Copy)]
pub struct WatchSlot {
    /// Bumped on each change that leaves the key stored (a write).
    pub version: u64,
    /// Bumped on each change that leaves the key gone (a deletion or flush).
    pub deletions: u64,
    /// Clients watching the key.
    pub watchers: u32,
}

impl Shard {
    /// Number of keys (expired ones not yet removed included).
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// True when the shard holds no keys.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    /// Number of keys with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }
    /// Keyspace hits counted in this shard.
    pub fn hits(&self) -> u64 {
        self.hits
    }
    /// Keyspace misses counted in this shard.
    pub fn misses(&self) -> u64 {
        self.misses
    }
    /// Zero the hit and miss counters (CONFIG RESETSTAT).
    pub fn reset_hits_misses(&mut self) {
        self.hits = 0;
        self.misses = 0;
    }
    /// Approximate bytes used by this shard (INFO `used_memory` inside EXEC).
    pub fn mem(&self) -> usize {
        self.mem
    }

    /// The bytes a key and its entry count for (`used_memory`, MEMORY USAGE).
    pub fn entry_cost(key: &[u8], e: &Entry) -> usize {
        KEY_OVERHEAD + key_cost(key.len()) + e.value.mem()
    }

    /// Mark a key written for WATCH.
    #[inline]
    pub(super) fn touch(&mut self, key: &[u8]) {
        Self::touch_in(&mut self.watched, key);
    }

    /// [`touch`](Self::touch) on the WATCH table alone, for callers that hold a
    /// borrow of the key inside `map`.
    #[inline]
    pub(super) fn touch_in(watched: &mut HashMap<Bytes, WatchSlot, KeyHasher>, key: &[u8]) {
        if !watched.is_empty() {
            if let Some(slot) = watched.get_mut(key) {
                slot.version += 1;
            }
        }
    }

    /// Mark a key deleted for WATCH.
    #[inline]
    fn touch_deleted(&mut self, key: &[u8]) {
        if !self.watched.is_empty() {
            if let Some(slot) = self.watched.get_mut(key) {
                slot.deletions += 1;
            }
        }
    }

    /// Remove the entry at `idx` (swap-remove: see SCAN's cursor design in keyspace.rs).
    pub(super) fn remove_index(&mut self, idx: usize) -> Option<(CompactBytes, Entry)> {
        let (k, e) = self.map.swap_remove_index(idx)?;
        self.mem = self.mem.saturating_sub(Self::entry_cost(&k, &e));
        if e.expire_at != 0 {
            self.volatile.swap_remove(&k);
        }
        self.touch_deleted(&k);
        Some((k, e))
    }

    /// Publish this shard's memory change since the last call into the global counter
    /// (so `used_memory()` is one atomic load instead of locking every shard).
    pub(super) fn publish_mem(&mut self, total: &AtomicUsize) {
        if self.mem > self.mem_published {
            total.fetch_add(self.mem - self.mem_published, Ordering::Relaxed);
        } else if self.mem < self.mem_published {
            total.fetch_sub(self.mem_published - self.mem, Ordering::Relaxed);
        }
        self.mem_published = self.mem;
    }

    /// Call `f` on up to `n` randomly chosen entries: among all keys, or only those with
    /// a TTL (`volatile`). Small shards are walked whole. Eviction's sampler.
    pub fn sample(&self, n: usize, volatile: bool, mut f: impl FnMut(&[u8], &Entry)) {
        let len = if volatile {
            self.volatile.len()
        } else {
            self.map.len()
        };
        let pick = |i: usize| -> Option<(&CompactBytes, &Entry)> {
            if volatile {
                let k = self.volatile.get_index(i)?;
                self.map.get_key_value(k)
            } else {
                self.map.get_index(i)
            }
        };
        if len <= n {
            (0..len).filter_map(pick).for_each(|(k, e)| f(k, e));
        } else {
            let mut rng = rand::rng();
            for _ in 0..n {
                if let Some((k, e)) = pick(rng.random_range(0..len)) {
                    f(k, e);
                }
            }
        }
    }

    /// One active-expiry probe: look at the next `n` keys of the TTL index in the
    /// sweep's order and delete the expired ones. Returns (looked at, deleted).
    ///
    /// Like Redis 7.0, which walks its expires dict with a cursor, the sweep goes
    /// through the index in passes rather than drawing keys at random: random draws
    /// keep landing on keys already found live, so the stale share they leave behind
    /// shrinks ever more slowly, while a pass reaches every key. It walks positions
    /// upwards, oldest TTL first (keys given a TTL are appended), so with TTLs of one
    /// length it follows the order keys expire in. Deleting a key swaps the last one
    /// into its place, which is looked at next: the sweep's own deletions make it
    /// skip no key. (A key moved behind the cursor by another deletion waits for the
    /// next pass.) A shard with no more than `n` such keys is looked at whole.
    pub fn expire_sample(&mut self, now: u64, n: usize) -> (usize, usize) {
        let len = self.volatile.len();
        let mut expired = 0;
        if len <= n {
            // Walk down so swap-removal only moves already-visited keys.
            for i in (0..len).rev() {
                if self.expire_volatile_at(i, now) {
                    expired += 1;
                }
            }
            self.expire_cursor = 0;
            return (len, expired);
        }
        for _ in 0..n {
            if self.expire_cursor >= self.volatile.len() {
                self.expire_cursor = 0; // a new pass
            }
            if self.expire_volatile_at(self.expire_cursor, now) {
                expired += 1;
            } else {
                self.expire_cursor += 1;
            }
        }
        (n, expired)
    }

    /// Delete the key at position `i` of the TTL index if its time has passed.
    fn expire_volatile_at(&mut self, i: usize, now: u64) -> bool {
        let Some(k) = self.volatile.get_index(i) else {
            return false;
        };
        let Some((idx, _, e)) = self.map.get_full(k) else {
            return false;
        };
        if e.expired(now) {
            self.remove_index(idx);
            return true;
        }
        false
    }

    /// A key's entry, expired or not, without touching it (eviction re-checks).
    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.map.get(key)
    }

    /// Delete `key` outright (eviction). True if it was there.
    pub fn evict(&mut self, key: &[u8]) -> bool {
        match self.map.get_index_of(key) {
            Some(idx) => self.remove_index(idx).is_some(),
            None => false,
        }
    }

    /// Mark deleted every watched key that exists, before a FLUSHALL/FLUSHDB empties
    /// the shard. Like Redis (`touchAllWatchedKeysInDb`), a watched key that was not
    /// there is not changed by emptying the database, and its EXEC goes through; nor
    /// is one that had already expired when it was watched.
    pub(super) fn touch_all_present(&mut self) {
        for (k, slot) in self.watched.iter_mut() {
            if self.map.contains_key(&k[..]) {
                slot.deletions += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CompactBytes, Entry};

    /// KEY_OVERHEAD rests on the slot's size: a key handle and an entry, whose value
    /// is a string handle and a tag.
    #[test]
    fn a_key_slot_is_72_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 48);
        assert_eq!(std::mem::size_of::<(CompactBytes, Entry)>(), 72);
    }
}
