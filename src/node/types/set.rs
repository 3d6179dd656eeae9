//! Set values.
//!
//! Redis 7.0 stores a set whose members are all canonical integers, and that never grew
//! past `set-max-intset-entries` (512), as a sorted *intset*; every reply that walks
//! such a set (SMEMBERS, SSCAN, SINTER…) is then in numeric order, and clients see it.
//! We emulate that: while `intset` holds, members are kept sorted numerically inside
//! the member table (O(n) inserts, as in Redis, bounded by 512). The flag is sticky, like
//! Redis's encoding: once a set converted to a hashtable it never converts back.

use super::table::Table;
use super::{compact, compact_cost, CompactBytes};
use crate::command::args::parse_i64;

/// Redis's `set-max-intset-entries` default.
pub const INTSET_MAX: usize = 512;

/// The member table (an IndexSet-like [`Table`], which lets a pipeline prefetch the
/// members its commands will look up). Members are [`CompactBytes`]: a short one
/// (`element:12345`, an id) lives inside the table's slot, with no allocation of its
/// own.
pub type Members = Table<()>;

/// A Redis set.
#[derive(Debug)]
pub struct SetValue {
    members: Members,
    /// True while Redis would still use the intset encoding (see the module docs).
    intset: bool,
    mem: usize,
}

/// A copy (COPY) counts its own memory, as a hash's does, rather than relying on each
/// cloned member costing what the original did (true today: members are allocated to
/// their length and never change).
impl Clone for SetValue {
    fn clone(&self) -> Self {
        let members = self.members.clone();
        let mem = members.keys().map(compact_cost).sum();
        SetValue {
            members,
            intset: self.intset,
            mem,
        }
    }
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue {
            members: Table::default(),
            intset: true,
            mem: 0,
        }
    }
}

/// The integer a member of an intset-encoded set holds.
#[inline]
fn int_of(m: &[u8]) -> i64 {
    parse_i64(m).expect("intset members are integers")
}

impl SetValue {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
    /// Approximate heap bytes.
    pub fn mem(&self) -> usize {
        self.mem + self.members.heap_bytes()
    }
    /// True while Redis would keep this set as a (sorted) intset.
    pub fn is_intset(&self) -> bool {
        self.intset
    }
    /// The member table.
    pub fn members(&self) -> &Members {
        &self.members
    }
    /// The members, in the order Redis replies them for intsets (numeric) and
    /// insertion-ish order otherwise (Redis's is undefined then).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &CompactBytes> {
        self.members.keys()
    }
    /// True if `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        self.members.contains_key(m)
    }
    /// The member at position `i` (random picks, scans).
    pub fn get_index(&self, i: usize) -> Option<&[u8]> {
        self.members.get_index(i).map(|(m, _)| &m[..])
    }
    /// Add a member (copied in only when new); true if new.
    pub fn insert(&mut self, m: &[u8]) -> bool {
        if self.members.contains_key(m) {
            return false;
        }
        let m = compact(m);
        self.mem += compact_cost(&m);
        if self.intset {
            match parse_i64(&m) {
                Some(v) if self.members.len() < INTSET_MAX => {
                    let pos = self
                        .members
                        .binary_search_keys_by(|x| int_of(x).cmp(&v))
                        .unwrap_err();
                    self.members.shift_insert(pos, m, ());
                    return true;
                }
                _ => self.intset = false,
            }
        }
        self.members.insert_full(m, ());
        true
    }
    /// Remove a member; true if it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self.members.get_index_of(m) {
            Some(i) => {
                self.remove_index(i);
                true
            }
            None => false,
        }
    }
    /// The same members as a new set, as Redis 7.0's SPOP rebuilds the few members it
    /// leaves when it takes most of a set: an intset again if they allow.
    pub fn rebuilt(&self) -> SetValue {
        let mut fresh = SetValue::new();
        for m in self.members.keys() {
            fresh.insert(m);
        }
        fresh
    }

    /// Remove the member at position `i` (keeps an intset's order; a hashtable's
    /// order does not matter, so the cheap swap-remove is used there).
    pub fn remove_index(&mut self, i: usize) -> Option<CompactBytes> {
        let (m, ()) = if self.intset {
            self.members.shift_remove_index(i)?
        } else {
            self.members.swap_remove_index(i)?
        };
        self.mem -= compact_cost(&m);
        Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(items: &[&str]) -> SetValue {
        let mut s = SetValue::new();
        for i in items {
            s.insert(i.as_bytes());
        }
        s
    }

    /// A copy counts its own memory: removing every member of a copy gives back exactly
    /// what it had.
    #[test]
    fn a_copy_returns_its_own_memory() {
        let names: Vec<String> = (0..20).map(|i| format!("{i:033}")).collect();
        let s = set_of(&names.iter().map(String::as_str).collect::<Vec<_>>());
        let mut copy = s.clone();
        for n in &names {
            assert!(copy.remove(n.as_bytes()));
        }
        assert_eq!(copy.mem, 0);
        assert!(s.mem > 0);
    }

    #[test]
    fn intsets_stay_sorted_until_they_convert() {
        let mut s = set_of(&["5", "-1", "10", "3", "3"]);
        assert!(s.is_intset());
        let got: Vec<_> = s.iter().map(|m| &m[..]).collect();
        assert_eq!(got, [&b"-1"[..], b"3", b"5", b"10"]);
        s.remove(b"3");
        assert_eq!(s.get_index(1), Some(&b"5"[..]));
        s.insert(b"01");
        assert!(!s.is_intset());
        s.remove(b"01");
        assert!(!s.is_intset(), "the encoding never converts back");
    }

    #[test]
    fn big_integer_sets_become_hashtables() {
        let mut s = SetValue::new();
        for i in 0..INTSET_MAX {
            s.insert(i.to_string().as_bytes());
        }
        assert!(s.is_intset());
        s.insert(b"100000");
        assert!(!s.is_intset());
        assert_eq!(s.len(), INTSET_MAX + 1);
    }
}
