//! An insertion-ordered hash map from byte strings to `V`, laid out like
//! `indexmap::IndexMap` (a hash index of positions into a dense `Vec` of slots), with
//! one thing IndexMap cannot offer: [prefetch hints](prefetch_all) that start
//! loading an entry's cache lines before the command that needs them runs. It holds a
//! shard's keys (`db::KeyTable`), every hash's fields and every set's members.
//!
//! Why dense positions: SCAN walks a shard by position and RANDOMKEY and eviction pick
//! one at random (see `Keyspace::scan`), HSCAN, SSCAN, HRANDFIELD, SRANDMEMBER and SPOP
//! do the same in a hash or a set, and removal swaps the last entry into the hole, so a
//! position only ever moves down. (Small hashes and sets that Redis keeps in order —
//! listpacks, intsets — shift entries instead, and are scanned whole.) The index
//! stores `u32` positions (half the size of IndexMap's `usize`, so more of it stays in
//! cache); a table holds at most `u32::MAX` entries.
//!
//! Why prefetching: with many entries a lookup is three cache misses in a row — the
//! index slot, the slot, a long value's bytes — each waiting for the one before.
//! Issued for the next requests of a pipelined batch in three passes, the loads of
//! different lookups overlap instead, as Redis 8 does for pipelines
//! (`memory_prefetch.c`).

use super::{CompactBytes, KeyHasher};
use hashbrown::HashTable;
use smallvec::SmallVec;
use std::hash::BuildHasher;

/// One entry. Its hash is not kept: the index's control byte already rules out all
/// but ~1/128 of the wrong candidates, and 8 bytes on every key, field and member of
/// the node cost more than hashing keys again when the index grows.
#[derive(Debug, Clone)]
struct Slot<V> {
    key: CompactBytes,
    value: V,
}

/// Byte-string keys → `V`, in insertion order (see the module docs).
#[derive(Clone)]
pub struct Table<V> {
    /// Positions into `slots`, found by the key's hash.
    index: HashTable<u32>,
    slots: Vec<Slot<V>>,
    hasher: KeyHasher,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table {
            index: HashTable::new(),
            slots: Vec::new(),
            hasher: KeyHasher::default(),
        }
    }
}

impl<V> std::fmt::Debug for Table<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("len", &self.slots.len())
            .finish()
    }
}

/// What the last prefetch stage loads: the part of a value kept outside its slot
/// (a long string's bytes, an aggregate's header).
pub trait Prefetch {
    /// Issue the loads; read nothing else, change nothing.
    fn prefetch_outside(&self);
}

impl Prefetch for () {
    #[inline]
    fn prefetch_outside(&self) {}
}

impl Prefetch for CompactBytes {
    #[inline]
    fn prefetch_outside(&self) {
        if self.spilled() {
            prefetch(self.as_ptr());
            prefetch(self.as_ptr().wrapping_add(self.len().min(64)));
        }
    }
}

impl<V> Table<V> {
    /// The hash the table files `key` under.
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when the table is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Heap bytes of the table itself: its slots (with spare capacity) and its index
    /// (a `u32` and a control byte per bucket). What keys and values keep outside
    /// their slots is not counted.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot<V>>() + self.index.allocation_size()
    }

    /// Position of `key`.
    #[inline]
    pub fn get_index_of(&self, key: &[u8]) -> Option<usize> {
        self.get_index_hashed(self.hash(key), key)
    }

    /// Position of `key`, whose [`hash`](Self::hash) the caller has: a lookup that
    /// may be followed by [`insert_absent`](Self::insert_absent) hashes the key once.
    #[inline]
    pub fn get_index_hashed(&self, hash: u64, key: &[u8]) -> Option<usize> {
        let slots = &self.slots;
        self.index
            .find(hash, |&i| slots[i as usize].key[..] == *key)
            .map(|&i| i as usize)
    }

    /// Append `key`, which the caller has just looked up and not found, under its
    /// [`hash`](Self::hash); its position.
    pub fn insert_absent(&mut self, hash: u64, key: CompactBytes, value: V) -> usize {
        debug_assert!(self.get_index_hashed(hash, &key).is_none(), "key present");
        let Table {
            index,
            slots,
            hasher,
        } = self;
        let i = slots.len();
        let pos = u32::try_from(i).expect("a table holds at most u32::MAX entries");
        index.insert_unique(hash, pos, |&i| hasher.hash_one(&slots[i as usize].key[..]));
        slots.push(Slot { key, value });
        i
    }

    /// Position, key and value of `key`.
    pub fn get_full(&self, key: &[u8]) -> Option<(usize, &CompactBytes, &V)> {
        let i = self.get_index_of(key)?;
        let s = &self.slots[i];
        Some((i, &s.key, &s.value))
    }

    /// Value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.get_full(key).map(|(_, _, v)| v)
    }

    /// Mutable value of `key`.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let i = self.get_index_of(key)?;
        Some(&mut self.slots[i].value)
    }

    /// Stored key and value of `key`.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&CompactBytes, &V)> {
        self.get_full(key).map(|(_, k, v)| (k, v))
    }

    /// True if `key` is in the table.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get_index_of(key).is_some()
    }

    /// Key and value at position `i`.
    #[inline]
    pub fn get_index(&self, i: usize) -> Option<(&CompactBytes, &V)> {
        self.slots.get(i).map(|s| (&s.key, &s.value))
    }

    /// Key and mutable value at position `i`.
    #[inline]
    pub fn get_index_mut(&mut self, i: usize) -> Option<(&CompactBytes, &mut V)> {
        self.slots.get_mut(i).map(|s| (&s.key, &mut s.value))
    }

    /// Every key and value, in position order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&CompactBytes, &V)> {
        self.slots.iter().map(|s| (&s.key, &s.value))
    }

    /// Every key, in position order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &CompactBytes> {
        self.slots.iter().map(|s| &s.key)
    }

    /// Store `value` under `key`: replaces the value of a present key in place (its
    /// position kept, the old value returned), appends a new key at the end.
    pub fn insert_full(&mut self, key: CompactBytes, value: V) -> (usize, Option<V>) {
        let hash = self.hash(&key);
        let Table {
            index,
            slots,
            hasher,
        } = self;
        match index.entry(
            hash,
            |&i| slots[i as usize].key == key,
            |&i| hasher.hash_one(&slots[i as usize].key[..]),
        ) {
            hashbrown::hash_table::Entry::Occupied(o) => {
                let i = *o.get() as usize;
                (i, Some(std::mem::replace(&mut slots[i].value, value)))
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                let i = slots.len();
                let pos = u32::try_from(i).expect("a table holds at most u32::MAX entries");
                v.insert(pos);
                slots.push(Slot { key, value });
                (i, None)
            }
        }
    }

    /// Remove the entry at position `i`; the last entry takes its place (so positions
    /// only move down: see the module docs).
    pub fn swap_remove_index(&mut self, i: usize) -> Option<(CompactBytes, V)> {
        self.unindex(i)?;
        let last = self.slots.len() - 1;
        if i != last {
            let moved = self.hash(&self.slots[last].key);
            let last = last as u32;
            *self
                .index
                .find_mut(moved, |&p| p == last)
                .expect("every slot is indexed") = i as u32;
        }
        let s = self.slots.swap_remove(i);
        Some((s.key, s.value))
    }

    /// Remove `key`, the last entry taking its place; O(1).
    pub fn swap_remove_entry(&mut self, key: &[u8]) -> Option<(CompactBytes, V)> {
        self.swap_remove_index(self.get_index_of(key)?)
    }

    /// Remove `key`, keeping the order of the rest (see
    /// [`shift_remove_index`](Self::shift_remove_index)).
    pub fn shift_remove_entry(&mut self, key: &[u8]) -> Option<(CompactBytes, V)> {
        self.shift_remove_index(self.get_index_of(key)?)
    }

    /// Remove the entry at position `i`, keeping the order of the rest: every later
    /// entry moves down one position. O(capacity): for small tables (a
    /// listpack-sized hash, an intset-sized set).
    pub fn shift_remove_index(&mut self, i: usize) -> Option<(CompactBytes, V)> {
        self.unindex(i)?;
        let i = i as u32;
        for p in self.index.iter_mut() {
            if *p > i {
                *p -= 1;
            }
        }
        let s = self.slots.remove(i as usize);
        Some((s.key, s.value))
    }

    /// Insert `key`, which must not be present, at position `pos` (at most `len`):
    /// every entry from `pos` on moves up one position. O(capacity): for small
    /// tables (an intset kept in numeric order).
    pub fn shift_insert(&mut self, pos: usize, key: CompactBytes, value: V) {
        debug_assert!(!self.contains_key(&key), "shift_insert of a present key");
        u32::try_from(self.len() + 1).expect("a table holds at most u32::MAX entries");
        let at = pos as u32;
        for p in self.index.iter_mut() {
            if *p >= at {
                *p += 1;
            }
        }
        let hash = self.hash(&key);
        self.slots.insert(pos, Slot { key, value });
        let Table {
            index,
            slots,
            hasher,
        } = self;
        index.insert_unique(hash, at, |&i| hasher.hash_one(&slots[i as usize].key[..]));
    }

    /// Binary search over the keys in position order (which `f` must be sorted by):
    /// as `slice::binary_search_by`.
    pub fn binary_search_keys_by(
        &self,
        mut f: impl FnMut(&CompactBytes) -> std::cmp::Ordering,
    ) -> Result<usize, usize> {
        self.slots.binary_search_by(|s| f(&s.key))
    }

    /// Take position `i` out of the index (its slot stays); `None` if out of range.
    fn unindex(&mut self, i: usize) -> Option<()> {
        let hash = self.hash(&self.slots.get(i)?.key);
        let pos = i as u32;
        self.index
            .find_entry(hash, |&p| p == pos)
            .expect("every slot is indexed")
            .remove();
        Some(())
    }
}

/// A lookup to prefetch: the table, the key's [`hash`](Table::hash), the key.
pub type Probe<'t, 'k, V> = (&'t Table<V>, u64, &'k [u8]);

/// Prefetch groups hold up to this many lookups without allocating.
pub const GROUP: usize = 16;

/// Prefetch hints for the lookups of `items` (each a table, a key's
/// [`hash`](Table::hash) and the key), in three passes: the index slot each hash leads to, then
/// the slot that index slot points at, then what the value keeps outside the slot
/// ([`Prefetch`]). Each pass issues the loads of every item before the next pass reads
/// them, so the cache misses of different lookups overlap instead of each lookup
/// waiting for its own; each pass starts where the one before left off.
///
/// Returns, per item, the value the lookup will almost certainly find: the slot of
/// the first candidate the index offers, if its key is the same (a long key, kept
/// outside the slot, only by its length, not to wait for its bytes). A hint for
/// prefetching the next level: the fields of a hash, the members of a set.
///
/// Reads nothing a lookup would not read; changes nothing.
pub fn prefetch_all<'t, V: Prefetch>(
    items: &[Probe<'t, '_, V>],
) -> SmallVec<[Option<&'t V>; GROUP]> {
    // The index slot of the first candidate the control bytes offer for each hash:
    // the one a lookup of a present key almost always ends at.
    let positions: SmallVec<[Option<&'t u32>; GROUP]> = items
        .iter()
        .map(|&(table, hash, _)| {
            let bucket = table.index.iter_hash_buckets(hash).next()?;
            let pos = table.index.get_bucket(bucket)?;
            prefetch(pos);
            Some(pos)
        })
        .collect();
    let slots: SmallVec<[Option<&'t Slot<V>>; GROUP]> = items
        .iter()
        .zip(&positions)
        .map(|(&(table, _, _), pos)| {
            let slot = table.slots.get(**pos.as_ref()? as usize)?;
            let p = slot as *const Slot<V> as *const u8;
            prefetch(p);
            prefetch(p.wrapping_add(std::mem::size_of::<Slot<V>>() - 1));
            Some(slot)
        })
        .collect();
    items
        .iter()
        .zip(&slots)
        .map(|(&(_, _, key), slot)| {
            let slot = slot
                .filter(|s| s.key.len() == key.len() && (s.key.spilled() || s.key[..] == *key))?;
            slot.value.prefetch_outside();
            Some(&slot.value)
        })
        .collect()
}

impl<V> std::ops::Index<usize> for Table<V> {
    type Output = V;
    #[inline]
    fn index(&self, i: usize) -> &V {
        &self.slots[i].value
    }
}

impl<V> std::ops::IndexMut<usize> for Table<V> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut V {
        &mut self.slots[i].value
    }
}

/// Ask the CPU to start loading the cache line holding `p` into L1.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
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

    /// Same positions, keys and values as `indexmap::IndexMap` under a random mix of
    /// inserts, replacements, swap-removals, shift-removals and shift-inserts (SCAN and
    /// HSCAN cursors rely on the positions; small hashes reply in insertion order,
    /// small sets of integers in numeric order).
    #[test]
    fn behaves_like_indexmap() {
        let seed: u64 = rand::rng().random();
        println!("seed {seed}");
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut ours: Table<u32> = Table::default();
        let mut model: indexmap::IndexMap<Vec<u8>, u32> = indexmap::IndexMap::new();
        for step in 0..20_000 {
            let key = format!("k{}", rng.random_range(0..500)).into_bytes();
            match rng.random_range(0..5) {
                0 | 1 => {
                    let n: u32 = rng.random();
                    let (i, old) = ours.insert_full(compact(&key), n);
                    let (j, old_model) = model.insert_full(key.clone(), n);
                    assert_eq!((i, old), (j, old_model), "step {step}");
                }
                2 => {
                    let got = ours.get_index_of(&key);
                    assert_eq!(got, model.get_index_of(&key), "step {step}");
                    if let Some(i) = got {
                        let (k, v) = ours.swap_remove_index(i).unwrap();
                        let (mk, mv) = model.swap_remove_index(i).unwrap();
                        assert_eq!((&k[..], v), (&mk[..], mv), "step {step}");
                    }
                }
                3 => {
                    let got = ours.shift_remove_entry(&key).map(|(k, v)| (k.to_vec(), v));
                    assert_eq!(got, model.shift_remove_entry(&key), "step {step}");
                }
                _ => {
                    if !model.contains_key(&key) {
                        let pos = rng.random_range(0..=model.len());
                        ours.shift_insert(pos, compact(&key), step);
                        model.shift_insert(pos, key, step);
                    }
                }
            }
            assert_eq!(ours.len(), model.len());
            assert_eq!(
                ours.index.len(),
                ours.slots.len(),
                "step {step}: index entries"
            );
        }
        // Change values in place, by key and by position.
        if let Some(k) = model.keys().next().cloned() {
            *ours.get_mut(&k).unwrap() += 1;
            *model.get_mut(&k).unwrap() += 1;
            ours[0] += 1;
            model[0] += 1;
        }
        for (i, (k, v)) in model.iter().enumerate() {
            let (ok, ov) = ours.get_index(i).unwrap();
            assert_eq!((&ok[..], ov), (&k[..], v));
            assert_eq!(ours.get_index_of(k), Some(i));
            assert_eq!(ours[i], *v);
            assert_eq!(ours.get(k), Some(v));
        }
        assert!(ours.keys().map(|k| &k[..]).eq(model.keys().map(|k| &k[..])));
        assert_eq!(ours.get_index(model.len()).map(|(k, _)| k.to_vec()), None);
        assert!(!ours.contains_key(b"absent"));
        assert_eq!(ours.swap_remove_entry(b"absent"), None);
    }

    /// Prefetching reads only, and finds the values lookups will find: present, absent
    /// and long values, an empty table.
    #[test]
    fn prefetch_changes_nothing() {
        let mut t: Table<CompactBytes> = Table::default();
        assert_eq!(prefetch_all(&[(&t, t.hash(b"k"), b"k")]).as_slice(), [None]);
        t.insert_full(compact(b"short"), compact(b"1"));
        t.insert_full(compact(b"long"), compact(&[b'x'; 100]));
        let items: Vec<Probe<'_, '_, CompactBytes>> = [&b"short"[..], b"long", b"absent"]
            .iter()
            .map(|k| (&t, t.hash(k), *k))
            .collect();
        let found = prefetch_all(&items);
        // A present key's value, unless another key with the same control byte sits
        // in its first bucket (the hint then finds nothing, rightly); never a wrong one.
        assert!(found[0].is_none_or(|v| v[..] == b"1"[..]));
        assert!(found[1].is_none_or(|v| v.len() == 100));
        assert!(found[2].is_none());
        assert!(found.iter().any(Option::is_some), "two keys both missed");
        assert_eq!(t.len(), 2);
        assert_eq!(t.get_index_of(b"long"), Some(1));
    }

    /// The heap estimate (used_memory of big hashes and sets) counts every slot and
    /// index bucket, spare ones included, and no more than doubling leaves.
    #[test]
    fn heap_bytes_counts_slots_and_index() {
        let mut t: Table<()> = Table::default();
        assert_eq!(t.heap_bytes(), 0);
        for i in 0..1000 {
            t.insert_full(compact(format!("m{i}").as_bytes()), ());
        }
        let slot = std::mem::size_of::<Slot<()>>();
        assert_eq!(slot, 24, "a member handle, no stored hash");
        let (slots, buckets) = (t.slots.capacity() * slot, t.index.num_buckets());
        // A u32 and a control byte per bucket, plus hashbrown's trailing group.
        let index = t.heap_bytes() - slots;
        assert!((buckets * 5..=buckets * 5 + 64).contains(&index), "{index}");
        let least = 1000 * slot + 1000 * 8 / 7 * 5;
        assert!((least..=2 * least).contains(&t.heap_bytes()));
    }
}
