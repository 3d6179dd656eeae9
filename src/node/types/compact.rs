//! [`CompactBytes`]: how keys, string values, hash fields and set members are stored.
//!
//! Up to [`INLINE`] bytes live inside the 24-byte handle itself, longer ones in one
//! heap allocation. A lookup that must follow a pointer to compare the key, and
//! another to read the value, misses the cache twice more than one that finds both in
//! the table's slot. Most keys of a cache (`user:1234:session`) and counters (INCR's
//! digits) are short, so they live in the slot, and INCR rewrites its digits in place,
//! allocating nothing.
//!
//! The handle is `compact_bytes::CompactBytes` (the compact_str author's byte
//! string): 24 bytes, as a `Vec<u8>`, where `SmallVec<[u8; 24]>` took 32. Every key,
//! field and member is such a handle, some twice (a sorted set's score map and its
//! order), so those 8 bytes are paid once per stored item. It also clones a spilled
//! handle to exactly its length, so a copy's memory is what its length says.
//!
//! It is wrapped here because tables and sorted sets need what a foreign type cannot
//! be given: byte-wise order, `Borrow<[u8]>`, and a `Hash` equal to `[u8]`'s.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};

use super::alloc_cost;

// compact_bytes tells a heap handle from an inline one by the handle's last byte, the
// top byte of the heap capacity on a little-endian machine only.
const _: () = assert!(cfg!(target_endian = "little"));

/// Longest key or string value kept inside the handle.
pub const INLINE: usize = compact_bytes::CompactBytes::MAX_INLINE;

/// A byte string stored inline when it is at most [`INLINE`] bytes long. Compares,
/// orders and hashes as the `[u8]` it holds.
#[derive(Clone, Default)]
pub struct CompactBytes(compact_bytes::CompactBytes);

impl CompactBytes {
    /// An empty string (inline; allocates nothing).
    #[inline]
    pub const fn new() -> Self {
        CompactBytes(compact_bytes::CompactBytes::empty())
    }

    /// Whether the bytes are in a heap allocation rather than in the handle.
    #[inline]
    pub fn spilled(&self) -> bool {
        self.0.spilled()
    }

    /// Bytes the handle or its allocation can hold without growing.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.0.capacity()
    }

    /// Appends `b`, growing the allocation geometrically (APPEND's amortized cost).
    #[inline]
    pub fn extend_from_slice(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b)
    }

    /// Empties the string; the allocation is kept, for the bytes about to be written.
    #[inline]
    pub fn clear(&mut self) {
        self.0.clear()
    }

    /// Shortens to `len` bytes; the allocation is kept.
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len)
    }

    /// Lengthens to `len` bytes filled with `byte` (SETRANGE past the end), or shortens.
    pub fn resize(&mut self, len: usize, byte: u8) {
        match len.checked_sub(self.len()) {
            Some(mut more) => {
                self.0.reserve(more);
                let fill = [byte; 4096];
                while more > 0 {
                    let n = more.min(fill.len());
                    self.0.extend_from_slice(&fill[..n]);
                    more -= n;
                }
            }
            None => self.truncate(len),
        }
    }

    /// The bytes as a `Vec`, reusing a spilled allocation.
    #[inline]
    pub fn into_vec(self) -> Vec<u8> {
        self.0.into_vec()
    }
}

impl Deref for CompactBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl DerefMut for CompactBytes {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.0.as_mut_slice()
    }
}

impl Borrow<[u8]> for CompactBytes {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self
    }
}

impl AsRef<[u8]> for CompactBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl PartialEq for CompactBytes {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for CompactBytes {}

impl PartialOrd for CompactBytes {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CompactBytes {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl Hash for CompactBytes {
    /// As `[u8]` hashes, so a table keyed by handles is searched with plain slices.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

impl std::fmt::Debug for CompactBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.escape_ascii())
    }
}

/// A [`CompactBytes`] holding a copy of `b`; a long one is allocated to exactly its
/// length.
#[inline]
pub fn compact(b: &[u8]) -> CompactBytes {
    CompactBytes(compact_bytes::CompactBytes::new(b))
}

/// A [`CompactBytes`] made from built text: a short one is copied inline (a `Vec`'s
/// allocation would otherwise be kept), a long one keeps its allocation.
#[inline]
pub fn compact_vec(v: Vec<u8>) -> CompactBytes {
    if v.len() <= INLINE {
        compact(&v)
    } else {
        CompactBytes(compact_bytes::CompactBytes::from(v))
    }
}

/// Heap bytes behind a stored key of `len` bytes (keys are copied in exactly and never
/// change, so the length tells).
#[inline]
pub fn key_cost(len: usize) -> usize {
    if len <= INLINE {
        0
    } else {
        alloc_cost(len)
    }
}

/// Heap bytes behind a stored string value (APPEND and SETRANGE may have grown its
/// allocation past its length).
#[inline]
pub fn compact_cost(b: &CompactBytes) -> usize {
    if b.spilled() {
        alloc_cost(b.capacity())
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::{compact, compact_cost, compact_vec, key_cost, CompactBytes, INLINE};

    #[test]
    fn short_strings_live_inline_and_cost_no_heap() {
        assert_eq!(std::mem::size_of::<CompactBytes>(), 24);
        assert_eq!(INLINE, 23);
        let key = compact(b"user:00000012345:session");
        assert!(key.spilled(), "24 bytes go to the heap");
        assert_eq!(key_cost(key.len()), 48);
        assert_eq!(compact_cost(&key), 48, "allocated to exactly its length");
        let key = compact(b"user:0000012345:session");
        assert!(!key.spilled(), "23 bytes stay inline");
        assert_eq!(key_cost(key.len()), 0);
        let mut counter = compact(b"-9223372036854775808");
        assert_eq!(compact_cost(&counter), 0);
        // APPEND grows the allocation geometrically: the cost counts its capacity.
        counter.extend_from_slice(&[b'0'; 20]);
        assert!(counter.spilled());
        assert_eq!(&counter[..], b"-922337203685477580800000000000000000000");
        assert_eq!(compact_cost(&counter), (counter.capacity() + 31) & !15);
        // Built text is copied inline when short, so no spare allocation is kept.
        assert!(!compact_vec(Vec::with_capacity(64)).spilled());
        assert!(compact_vec(vec![b'x'; 25]).spilled());
    }

    #[test]
    fn a_clone_of_a_grown_string_is_allocated_to_its_length() {
        // What keeps COPY's memory count exact: the clone's cost follows its length.
        let mut s = compact(&[b'a'; 30]);
        s.extend_from_slice(&[b'b'; 10]);
        assert!(s.capacity() > 40);
        let c = s.clone();
        assert_eq!((c.capacity(), &c[..]), (40, &s[..]));
    }

    #[test]
    fn resize_pads_and_truncates() {
        let mut s = compact(b"ab");
        s.resize(5, 0);
        assert_eq!(&s[..], b"ab\0\0\0");
        s.resize(40, b'x');
        assert_eq!(s.len(), 40);
        assert_eq!(&s[35..], b"xxxxx");
        s.resize(10_000, b'y');
        assert_eq!(s.capacity(), 10_000, "one allocation of the final length");
        assert!(s[40..].iter().all(|&b| b == b'y'));
        s.resize(1, 0);
        assert_eq!(&s[..], b"a");
    }

    #[test]
    fn orders_and_hashes_as_its_bytes() {
        use std::hash::BuildHasher;
        let h = super::super::KeyHasher::default();
        for (a, b) in [(&b"a"[..], &b"b"[..]), (b"", b"a"), (b"ab", &[b'a'; 30])] {
            assert_eq!(compact(a).cmp(&compact(b)), a.cmp(b));
            assert_eq!(h.hash_one(compact(a)), h.hash_one(a));
        }
        assert_eq!(compact(b"x"), compact(b"x"));
        assert_eq!(CompactBytes::new().len(), 0);
    }
}
