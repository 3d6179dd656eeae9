//! Hash values. Insertion order is kept (IndexMap) because Redis 7.0's small hashes
//! (listpack encoding) reply in insertion order, and clients can see it.

use super::bytes_cost;
use bytes::Bytes;
use indexmap::IndexMap;

/// A Redis hash.
#[derive(Debug, Clone, Default)]
pub struct HashValue {
    fields: IndexMap<Bytes, Bytes, fnv::FnvBuildHasher>,
    mem: usize,
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
        self.mem + self.fields.capacity() * 80
    }
    /// Read access to the fields.
    pub fn fields(&self) -> &IndexMap<Bytes, Bytes, fnv::FnvBuildHasher> {
        &self.fields
    }
    /// Value of a field.
    pub fn get(&self, f: &[u8]) -> Option<&Bytes> {
        self.fields.get(f)
    }
    /// Set a field; true if it is new.
    pub fn insert(&mut self, f: Bytes, v: Bytes) -> bool {
        self.mem += bytes_cost(&v);
        match self.fields.get_mut(&f) {
            Some(old) => {
                self.mem -= bytes_cost(old);
                *old = v;
                false
            }
            None => {
                self.mem += bytes_cost(&f);
                self.fields.insert(f, v);
                true
            }
        }
    }
    /// Remove a field, keeping the order of the rest (as a listpack does).
    pub fn remove(&mut self, f: &[u8]) -> Option<Bytes> {
        let (k, v) = self.fields.shift_remove_entry(f)?;
        self.mem -= bytes_cost(&k) + bytes_cost(&v);
        Some(v)
    }
}
