//! A shard's key → entry table: an insertion-ordered hash map, laid out like
//! `indexmap::IndexMap` (a hash index of positions into a dense `Vec` of entries), with
//! one thing IndexMap cannot offer: [prefetch hints](KeyTable::prefetch) that start
//! loading a key's cache lines before the command that needs them runs.
//!
//! Why dense positions: SCAN walks a shard by position and RANDOMKEY and eviction pick
//! one at random (see `Keyspace::scan`), and removal swaps the last entry into the
//! hole, so a position only ever moves down. The index stores `u32` positions (half the
//! size of IndexMap's `usize`, so more of it stays in cache); a shard holds at most
//! `u32::MAX` keys.
//!
//! Why prefetching: with many keys a lookup is three cache misses in a row — the index
//! slot, the entry, a long value's bytes — each waiting for the one before. Issued for
//! the next requests of a pipelined batch in three passes, the loads of different keys
//! overlap instead, as Redis 8 does for pipelines (`memory_prefetch.c`).

use crate::node::types::{CompactBytes, KeyHasher, Value};
use hashbrown::HashTable;
use std::hash::BuildHasher;

use super::Entry;

/// One key with its entry and its hash (kept to rehash the index without rehashing keys).
#[derive(Debug, Clone)]
struct Slot {
    hash: u64,
    key: CompactBytes,
    entry: Entry,
}

/// Keys → entries, in insertion order (see the module docs).
#[derive(Default)]
pub struct KeyTable {
    /// Positions into `slots`, found by the key's hash.
    index: HashTable<u32>,
    slots: Vec<Slot>,
    hasher: KeyHasher,
}

impl std::fmt::Debug for KeyTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyTable")
            .field("len", &self.slots.len())
            .finish()
    }
}

/// The stage a [`KeyTable::prefetch`] pass issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The index slot the hash leads to.
    Index,
    /// The entry that slot points at.
    Entry,
    /// A long string value's bytes.
    Value,
}

impl KeyTable {
    /// The hash the table files `key` under.
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Number of keys.
    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when the table is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Position of `key`.
    #[inline]
    pub fn get_index_of(&self, key: &[u8]) -> Option<usize> {
        let hash = self.hash(key);
        let slots = &self.slots;
        self.index
            .find(hash, |&i| {
                let s = &slots[i as usize];
                s.hash == hash && s.key[..] == *key
            })
            .map(|&i| i as usize)
    }

    /// Position, key and entry of `key`.
    pub fn get_full(&self, key: &[u8]) -> Option<(usize, &CompactBytes, &Entry)> {
        let i = self.get_index_of(key)?;
        let s = &self.slots[i];
        Some((i, &s.key, &s.entry))
    }

    /// Entry of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.get_full(key).map(|(_, _, e)| e)
    }

    /// Stored key and entry of `key`.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&CompactBytes, &Entry)> {
        self.get_full(key).map(|(_, k, e)| (k, e))
    }

    /// True if `key` is in the table.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get_index_of(key).is_some()
    }

    /// Key and entry at position `i`.
    #[inline]
    pub fn get_index(&self, i: usize) -> Option<(&CompactBytes, &Entry)> {
        self.slots.get(i).map(|s| (&s.key, &s.entry))
    }

    /// Key and mutable entry at position `i`.
    #[inline]
    pub fn get_index_mut(&mut self, i: usize) -> Option<(&CompactBytes, &mut Entry)> {
        self.slots.get_mut(i).map(|s| (&s.key, &mut s.entry))
    }

    /// Every key and entry, in position order.
    pub fn iter(&self) -> impl Iterator<Item = (&CompactBytes, &Entry)> {
        self.slots.iter().map(|s| (&s.key, &s.entry))
    }

    /// Store `entry` under `key`: replaces the entry of a present key in place (its
    /// position kept, the old entry returned), appends a new key at the end.
    pub fn insert_full(&mut self, key: CompactBytes, entry: Entry) -> (usize, Option<Entry>) {
        let hash = self.hash(&key);
        let slots = &mut self.slots;
        match self.index.entry(
            hash,
            |&i| {
                let s = &slots[i as usize];
                s.hash == hash && s.key == key
            },
            |&i| slots[i as usize].hash,
        ) {
            hashbrown::hash_table::Entry::Occupied(o) => {
                let i = *o.get() as usize;
                (i, Some(std::mem::replace(&mut slots[i].entry, entry)))
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                let i = slots.len();
                let pos = u32::try_from(i).expect("a shard holds at most u32::MAX keys");
                v.insert(pos);
                slots.push(Slot { hash, key, entry });
                (i, None)
            }
        }
    }

    /// Remove the entry at position `i`; the last entry takes its place (so positions
    /// only move down: see the module docs).
    pub fn swap_remove_index(&mut self, i: usize) -> Option<(CompactBytes, Entry)> {
        let hash = self.slots.get(i)?.hash;
        let pos = i as u32;
        self.index
            .find_entry(hash, |&p| p == pos)
            .expect("every slot is indexed")
            .remove();
        let last = self.slots.len() - 1;
        if i != last {
            let moved = self.slots[last].hash;
            let last = last as u32;
            *self
                .index
                .find_mut(moved, |&p| p == last)
                .expect("every slot is indexed") = pos;
        }
        let s = self.slots.swap_remove(i);
        Some((s.key, s.entry))
    }

    /// One stage of the prefetch of `hash`'s key (computed by [`hash`](Self::hash)):
    /// issue the load of the cache lines that a lookup reads at that step, assuming the
    /// earlier stages' lines have arrived (if they have not, this stage waits for them,
    /// which is no slower than the lookup itself would be). Reads nothing but what a
    /// lookup reads; changes nothing.
    pub fn prefetch(&self, hash: u64, stage: Stage) {
        // The first candidate the index's control bytes offer for this hash: the one a
        // lookup of a present key almost always ends at.
        let Some(bucket) = self.index.iter_hash_buckets(hash).next() else {
            return;
        };
        let Some(pos) = self.index.get_bucket(bucket) else {
            return;
        };
        match stage {
            Stage::Index => prefetch(pos as *const u32),
            Stage::Entry => {
                if let Some(s) = self.slots.get(*pos as usize) {
                    let p = s as *const Slot as *const u8;
                    prefetch(p);
                    prefetch(p.wrapping_add(std::mem::size_of::<Slot>() - 1));
                }
            }
            Stage::Value => {
                if let Some(s) = self.slots.get(*pos as usize) {
                    if s.hash == hash {
                        if let Value::Str(v) = &s.entry.value {
                            if v.spilled() {
                                prefetch(v.as_ptr());
                                prefetch(v.as_ptr().wrapping_add(v.len().min(64)));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Prefetch every `(table, hash)` in three passes, one per [`Stage`]: the loads of a
/// pass are all on their way before the next pass needs them.
pub fn prefetch_all(items: &[(&KeyTable, u64)]) {
    for stage in [Stage::Index, Stage::Entry, Stage::Value] {
        for &(table, hash) in items {
            table.prefetch(hash, stage);
        }
    }
}

impl std::ops::Index<usize> for KeyTable {
    type Output = Entry;
    #[inline]
    fn index(&self, i: usize) -> &Entry {
        &self.slots[i].entry
    }
}

impl std::ops::IndexMut<usize> for KeyTable {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut Entry {
        &mut self.slots[i].entry
    }
}

/// Ask the CPU to start loading the cache line holding `p` into L1.
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults and changes no state the program
    // can observe, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::types::compact;
    use rand::{Rng, SeedableRng};

    fn entry(n: u8) -> Entry {
        let mut e = Entry::new(Value::Str(compact(&[n])));
        e.lru = n as u32;
        e
    }

    /// Same positions, keys and entries as `indexmap::IndexMap` under a random mix of
    /// inserts, replacements and swap-removals (the SCAN cursor relies on them).
    #[test]
    fn behaves_like_indexmap() {
        let seed: u64 = rand::rng().random();
        println!("seed {seed}");
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut ours = KeyTable::default();
        let mut model: indexmap::IndexMap<Vec<u8>, u32> = indexmap::IndexMap::new();
        for step in 0..20_000 {
            let key = format!("k{}", rng.random_range(0..500)).into_bytes();
            match rng.random_range(0..3) {
                0 | 1 => {
                    let n: u8 = rng.random();
                    let (i, old) = ours.insert_full(compact(&key), entry(n));
                    let (j, old_model) = model.insert_full(key.clone(), n as u32);
                    assert_eq!(i, j, "step {step}");
                    assert_eq!(old.map(|e| e.lru), old_model, "step {step}");
                }
                _ => {
                    let got = ours.get_index_of(&key);
                    assert_eq!(got, model.get_index_of(&key), "step {step}");
                    if let Some(i) = got {
                        let (k, e) = ours.swap_remove_index(i).unwrap();
                        let (mk, mv) = model.swap_remove_index(i).unwrap();
                        assert_eq!((&k[..], e.lru), (&mk[..], mv), "step {step}");
                    }
                }
            }
            assert_eq!(ours.len(), model.len());
        }
        for (i, (k, v)) in model.iter().enumerate() {
            let (ok, oe) = ours.get_index(i).unwrap();
            assert_eq!((&ok[..], oe.lru), (&k[..], *v));
            assert_eq!(ours.get_index_of(k), Some(i));
            assert_eq!(ours[i].lru, *v);
        }
        assert_eq!(ours.get_index(model.len()).map(|(k, _)| k.to_vec()), None);
        assert!(!ours.contains_key(b"absent"));
    }

    /// Prefetching reads only: any stage, present or absent key, empty table.
    #[test]
    fn prefetch_changes_nothing() {
        let mut t = KeyTable::default();
        for stage in [Stage::Index, Stage::Entry, Stage::Value] {
            t.prefetch(t.hash(b"k"), stage);
        }
        t.insert_full(compact(b"short"), entry(1));
        let long = Entry::new(Value::Str(compact(&[b'x'; 100])));
        t.insert_full(compact(b"long"), long);
        for key in [&b"short"[..], b"long", b"absent"] {
            for stage in [Stage::Index, Stage::Entry, Stage::Value] {
                t.prefetch(t.hash(key), stage);
            }
        }
        assert_eq!(t.len(), 2);
        assert_eq!(t.get_index_of(b"long"), Some(1));
    }
}
