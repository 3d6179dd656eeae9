//! List values: a deque of byte strings.

use super::heap_cost;
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
        self.mem += heap_cost(&v);
        self.items.push_front(v);
    }
    /// Push at the tail.
    pub fn push_back(&mut self, v: Bytes) {
        self.mem += heap_cost(&v);
        self.items.push_back(v);
    }
    /// Pop from the head.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        let v = self.items.pop_front()?;
        self.mem -= heap_cost(&v);
        Some(v)
    }
    /// Pop from the tail.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        let v = self.items.pop_back()?;
        self.mem -= heap_cost(&v);
        Some(v)
    }
    /// Element at `i` (0-based from the head).
    pub fn get(&self, i: usize) -> Option<&Bytes> {
        self.items.get(i)
    }
    /// Replace the element at `i` (must be in range).
    pub fn set(&mut self, i: usize, v: Bytes) {
        self.mem += heap_cost(&v);
        let old = std::mem::replace(&mut self.items[i], v);
        self.mem -= heap_cost(&old);
    }
    /// Insert before position `i` (`i == len` appends).
    pub fn insert(&mut self, i: usize, v: Bytes) {
        self.mem += heap_cost(&v);
        self.items.insert(i, v);
    }
    /// LREM: remove up to `limit` elements equal to `v` (0 = all), scanning from the
    /// head, or from the tail when `from_tail`. Returns how many went.
    pub fn remove_matching(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        let limit = if limit == 0 { usize::MAX } else { limit };
        let mut removed = 0;
        let mut freed = 0;
        if from_tail {
            // Mark from the tail, then drop the marked ones in one pass.
            let mut cut = vec![false; self.items.len()];
            for (i, it) in self.items.iter().enumerate().rev() {
                if removed == limit {
                    break;
                }
                if it[..] == *v {
                    cut[i] = true;
                    removed += 1;
                }
            }
            let mut i = 0;
            self.items.retain(|it| {
                let drop = cut[i];
                i += 1;
                if drop {
                    freed += heap_cost(it);
                }
                !drop
            });
        } else {
            self.items.retain(|it| {
                if removed < limit && it[..] == *v {
                    removed += 1;
                    freed += heap_cost(it);
                    false
                } else {
                    true
                }
            });
        }
        self.mem -= freed;
        removed
    }
    /// LTRIM: keep only `start..end` (clamped to the list).
    pub fn keep_range(&mut self, start: usize, end: usize) {
        let end = end.min(self.items.len());
        let start = start.min(end);
        for v in self.items.drain(end..) {
            self.mem -= heap_cost(&v);
        }
        for v in self.items.drain(..start) {
            self.mem -= heap_cost(&v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> ListValue {
        let mut l = ListValue::new();
        for i in items {
            l.push_back(Bytes::copy_from_slice(i.as_bytes()));
        }
        l
    }
    fn items(l: &ListValue) -> Vec<&[u8]> {
        l.items().iter().map(|b| &b[..]).collect()
    }

    #[test]
    fn remove_matching_from_either_end_keeps_memory_right() {
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_matching(b"a", 2, true), 2);
        assert_eq!(items(&l), [&b"a"[..], b"b", b"c"]);
        assert_eq!(l.remove_matching(b"a", 0, false), 1);
        l.keep_range(1, 5);
        assert_eq!(items(&l), [&b"c"[..]]);
        l.set(0, Bytes::from_static(b"zz"));
        l.insert(0, Bytes::from_static(b"y"));
        l.keep_range(2, 2);
        assert!(l.is_empty());
        assert_eq!(l.mem, 0);
    }
}
