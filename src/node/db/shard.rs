//! One shard of the keyspace: the key → entry map, the index of keys with a TTL (for
//! sampling by active expiry and volatile eviction), memory accounting and WATCH
//! versions.

use crate::node::types::Value;
use bytes::Bytes;
use fnv::{FnvBuildHasher, FnvHashMap};
use indexmap::{IndexMap, IndexSet};

/// Estimated bytes per key beyond the key and value bytes themselves (map slot,
/// index entry, the Entry struct, the key's allocation header).
pub const KEY_OVERHEAD: usize = 96;

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
}

impl Entry {
    /// A fresh entry with no TTL.
    pub fn new(value: Value) -> Self {
        Entry {
            value,
            expire_at: 0,
            lru: 0,
            lfu: 5, // Redis's LFU_INIT_VAL: new keys are not evicted first.
        }
    }
}

/// One shard.
#[derive(Debug, Default)]
pub struct Shard {
    pub(super) map: IndexMap<Bytes, Entry, FnvBuildHasher>,
    /// Keys with a TTL, sampled by the expiry sweep and volatile-* eviction.
    pub(super) volatile: IndexSet<Bytes, FnvBuildHasher>,
    /// Approximate bytes used by this shard's keys and values.
    pub(super) mem: usize,
    /// WATCHed keys → version, bumped on every change; empty when nobody watches.
    pub(super) watched: FnvHashMap<Bytes, WatchSlot>,
}

/// Version and watcher count of a watched key.
#[derive(Debug, Default, Clone, Copy)]
pub struct WatchSlot {
    /// Bumped on each modification.
    pub version: u64,
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
    /// Approximate bytes used by this shard (INFO `used_memory` inside EXEC).
    pub fn mem(&self) -> usize {
        self.mem
    }

    pub(super) fn entry_cost(key: &[u8], e: &Entry) -> usize {
        KEY_OVERHEAD + super::super::types::alloc_cost(key.len()) + e.value.mem()
    }

    /// Mark a key modified for WATCH.
    #[inline]
    pub(super) fn touch(&mut self, key: &[u8]) {
        if !self.watched.is_empty() {
            if let Some(slot) = self.watched.get_mut(key) {
                slot.version += 1;
            }
        }
    }

    /// Remove the entry at `idx` (swap-remove: see SCAN's cursor design in keyspace.rs).
    pub(super) fn remove_index(&mut self, idx: usize) -> Option<(Bytes, Entry)> {
        let (k, e) = self.map.swap_remove_index(idx)?;
        self.mem = self.mem.saturating_sub(Self::entry_cost(&k, &e));
        if e.expire_at != 0 {
            self.volatile.swap_remove(&k);
        }
        self.touch(&k);
        Some((k, e))
    }

    /// Bump every watched key (FLUSHALL).
    pub(super) fn touch_all(&mut self) {
        for slot in self.watched.values_mut() {
            slot.version += 1;
        }
    }
}
