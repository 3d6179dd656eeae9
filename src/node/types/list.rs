//! List values: a deque of byte strings.

use super::bytes_cost;
use bytes::Bytes;
use std::collections::VecDeque;

/// A Redis list.
#[derive(Debug, Clone, Default)]
pub struct ListValue {
    items: VecDeque<Bytes>,
    mem: usize,
}

impl ListValue {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// True when empty (the key is then deleted).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Approximate heap bytes.
    pub fn mem(&self) -> usize {
        self.mem + self.items.capacity() * 32
    }
    /// Read access to the elements.
    pub fn items(&self) -> &VecDeque<Bytes> {
        &self.items
    }
    /// Push at the head.
    pub fn push_front(&mut self, v: Bytes) {
        self.mem += bytes_cost(&v);
        self.items.push_front(v);
    }
    /// Push at the tail.
    pub fn push_back(&mut self, v: Bytes) {
        self.mem += bytes_cost(&v);
        self.items.push_back(v);
    }
    /// Pop from the head.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        let v = self.items.pop_front()?;
        self.mem -= bytes_cost(&v);
        Some(v)
    }
    /// Pop from the tail.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        let v = self.items.pop_back()?;
        self.mem -= bytes_cost(&v);
        Some(v)
    }
}
