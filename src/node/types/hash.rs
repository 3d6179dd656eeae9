//! Hash values. Insertion order is kept (an IndexMap-like [`Table`]) because Redis
//! 7.0's small hashes (listpack encoding) reply in insertion order, and clients can
//! see it; the table also lets a pipeline prefetch the fields its commands will use.
//!
//! Redis converts a hash to a hashtable for good once it holds more than
//! `hash-max-listpack-entries` (512) fields or any field or value longer than
//! `hash-max-listpack-value` (64) bytes; from then on its order is unspecified. We mirror
//! that with the `compact` flag: while compact, deletes keep the order of the rest
//! (O(n) `shift_remove`, n ≤ 512); after, deletes are O(1) `swap_remove`, and HSCAN
//! walks with a real cursor instead of replying everything at once.

use super::table::Table;
use super::{compact, compact_cost, CompactBytes};

/// Redis 7.0's `hash-max-listpack-entries` default.
pub const LISTPACK_MAX_ENTRIES: usize = 512;
/// Redis 7.0's `hash-max-listpack-value` default.
pub const LISTPACK_MAX_VALUE: usize = 64;

/// The field table. Fields and values are [`CompactBytes`]: a short field
/// (`element:12345`) or value (a counter) lives inside the table's slot, and
/// overwriting a value reuses its allocation when it fits.
pub type Fields = Table<CompactBytes>;

/// A Redis hash.
#[derive(Debug)]
pub struct HashValue {
    fields: Fields,
    mem: usize,
    /// Still what Redis would keep as a listpack (see the module doc).
    compact: bool,
}

/// A copy (COPY) counts its own memory: a cloned long field or value is allocated to
/// its length, which can be less than an original that grew in place, and removals
/// subtract what the copy's cost.
impl Clone for HashValue {
    fn clone(&self) -> Self {
        let fields = self.fields.clone();
        let mem = fields
            .iter()
            .map(|(f, v)| compact_cost(f) + compact_cost(v))
            .sum();
        HashValue {
            fields,
            mem,
            compact: self.compact,
        }
    }
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue {
            fields: Table::default(),
            mem: 0,
            compact: true,
        }
    }
}

impl HashValue {
    /// An empty hash.
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
    /// Approximate heap bytes.
    pub fn mem(&self) -> usize {
        self.mem + self.fields.heap_bytes()
    }
    /// True while Redis would still encode this hash as a listpack: insertion order
    /// is then observable and HSCAN replies everything with cursor 0.
    pub fn is_compact(&self) -> bool {
        self.compact
    }
    /// Read access to the fields.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }
    /// Value of a field.
    pub fn get(&self, f: &[u8]) -> Option<&[u8]> {
        self.fields.get(f).map(|v| &v[..])
    }
    /// Set a field; true if it is new.
    pub fn insert(&mut self, f: &[u8], v: &[u8]) -> bool {
        if f.len() > LISTPACK_MAX_VALUE || v.len() > LISTPACK_MAX_VALUE {
            self.compact = false;
        }
        let new = match self.fields.get_mut(f) {
            Some(old) => {
                // The count changes only once the new value is in place (an allocation
                // that fails leaves both as they were).
                let before = compact_cost(old);
                if old.spilled() && old.capacity() >= v.len() && old.capacity() <= 2 * v.len() {
                    // Same-sized values (HSET in a loop) rewrite in place.
                    old.clear();
                    old.extend_from_slice(v);
                } else {
                    *old = compact(v);
                }
                self.mem = self.mem - before + compact_cost(old);
                false
            }
            None => {
                let (f, v) = (compact(f), compact(v));
                self.mem += compact_cost(&f) + compact_cost(&v);
                self.fields.insert_full(f, v);
                true
            }
        };
        if self.fields.len() > LISTPACK_MAX_ENTRIES {
            self.compact = false;
        }
        new
    }
    /// Remove a field. A compact hash keeps the order of the rest (as a listpack
    /// does); a big one swaps the last field into the hole (O(1); order is
    /// unspecified in Redis then, and HSCAN's cursor relies on only the last moving).
    pub fn remove(&mut self, f: &[u8]) -> Option<CompactBytes> {
        let (k, v) = if self.compact {
            self.fields.shift_remove_entry(f)?
        } else {
            self.fields.swap_remove_entry(f)?
        };
        self.mem -= compact_cost(&k) + compact_cost(&v);
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> &[u8] {
        s.as_bytes()
    }

    #[test]
    fn small_hash_keeps_order_on_delete_and_memory_returns_to_zero() {
        let mut h = HashValue::new();
        for f in ["z", "y", "x", "a"] {
            assert!(h.insert(b(f), b("1")));
        }
        assert!(!h.insert(b("x"), b("22")));
        h.remove(b"y");
        let keys: Vec<&[u8]> = h.fields().keys().map(|k| &k[..]).collect();
        assert_eq!(keys, [b("z"), b("x"), b("a")]);
        for f in ["z", "x", "a"] {
            h.remove(f.as_bytes());
        }
        assert_eq!(h.mem, 0);
        assert!(h.is_compact());
    }

    #[test]
    fn overwriting_values_of_any_size_keeps_the_memory_count() {
        let mut h = HashValue::new();
        let sizes = [64, 64, 40, 3, 100, 30, 0, 64];
        for (i, n) in sizes.into_iter().enumerate() {
            let v = vec![b'a' + i as u8; n];
            assert_eq!(h.insert(b("field"), &v), i == 0);
            assert_eq!(h.get(b"field"), Some(&v[..]));
            let stored = h.fields().get(b"field").unwrap();
            assert_eq!(h.mem, compact_cost(stored), "after {n} bytes");
        }
        h.remove(b"field");
        assert_eq!(h.mem, 0);
    }

    /// A copy counts its own memory: removing every field of a copy (whose values the
    /// clone allocated to their length, smaller than the grown originals') gives back
    /// exactly what it had.
    #[test]
    fn a_copy_returns_its_own_memory() {
        let mut h = HashValue::new();
        for i in 0..20 {
            let f = format!("{i:033}");
            h.insert(f.as_bytes(), f.as_bytes());
            // Rewritten in place: 30 bytes in the 33-byte allocation.
            h.insert(f.as_bytes(), &f.as_bytes()[..30]);
        }
        let mut copy = h.clone();
        assert!(
            copy.mem < h.mem,
            "the clone's values are allocated to their length"
        );
        for i in 0..20 {
            assert!(copy.remove(format!("{i:033}").as_bytes()).is_some());
        }
        assert_eq!(copy.mem, 0);
        assert!(h.mem > 0);
    }

    #[test]
    fn long_values_or_many_fields_leave_compact_for_good() {
        let mut h = HashValue::new();
        h.insert(b("f"), &[b'x'; 65]);
        h.remove(b"f");
        assert!(!h.is_compact());
        let mut h = HashValue::new();
        for i in 0..=LISTPACK_MAX_ENTRIES {
            h.insert(i.to_string().as_bytes(), b("v"));
        }
        assert!(!h.is_compact());
    }
}
