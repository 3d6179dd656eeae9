//! Sorted set values: members ordered by (score, member).

use super::bytes_cost;
use bytes::Bytes;
use std::collections::{BTreeSet, HashMap};

/// A score with a total order (scores are never NaN).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Score(pub f64);
impl Eq for Score {}
#[allow(clippy::derive_ord_xor_partial_ord)]
impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.partial_cmp(&other.0).expect("scores are never NaN")
    }
}

/// A Redis sorted set.
#[derive(Debug, Clone, Default)]
pub struct ZSetValue {
    scores: HashMap<Bytes, f64, fnv::FnvBuildHasher>,
    order: BTreeSet<(Score, Bytes)>,
    mem: usize,
}

impl ZSetValue {
    /// An empty sorted set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of members.
    pub fn len(&self) -> usize {
        self.scores.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
    /// Approximate heap bytes.
    pub fn mem(&self) -> usize {
        self.mem
    }
    /// Score of a member.
    pub fn score(&self, m: &[u8]) -> Option<f64> {
        self.scores.get(m).copied()
    }
    /// Members in (score, member) order.
    pub fn ordered(&self) -> &BTreeSet<(Score, Bytes)> {
        &self.order
    }
    /// Insert or update; true if the member is new.
    pub fn insert(&mut self, m: Bytes, score: f64) -> bool {
        match self.scores.get_mut(&m) {
            Some(old) => {
                if *old != score {
                    self.order.remove(&(Score(*old), m.clone()));
                    *old = score;
                    self.order.insert((Score(score), m));
                }
                false
            }
            None => {
                self.mem += 2 * bytes_cost(&m) + 64;
                self.scores.insert(m.clone(), score);
                self.order.insert((Score(score), m));
                true
            }
        }
    }
    /// Remove a member; true if it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self.scores.remove_entry(m) {
            Some((k, s)) => {
                self.mem -= 2 * bytes_cost(&k) + 64;
                self.order.remove(&(Score(s), k));
                true
            }
            None => false,
        }
    }
}
