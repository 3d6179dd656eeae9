//! Set values.

use super::bytes_cost;
use bytes::Bytes;
use indexmap::IndexSet;

/// A Redis set.
#[derive(Debug, Clone, Default)]
pub struct SetValue {
    members: IndexSet<Bytes, fnv::FnvBuildHasher>,
    mem: usize,
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
        self.mem + self.members.capacity() * 48
    }
    /// Read access to the members.
    pub fn members(&self) -> &IndexSet<Bytes, fnv::FnvBuildHasher> {
        &self.members
    }
    /// Add a member; true if new.
    pub fn insert(&mut self, m: Bytes) -> bool {
        let cost = bytes_cost(&m);
        let added = self.members.insert(m);
        if added {
            self.mem += cost;
        }
        added
    }
    /// Remove a member; true if it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self.members.swap_remove_full(m) {
            Some((_, k)) => {
                self.mem -= bytes_cost(&k);
                true
            }
            None => false,
        }
    }
}
