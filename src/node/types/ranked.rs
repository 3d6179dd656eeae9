//! `RankedSet`: a sorted set of values that also answers "how many are smaller?" and
//! "which is the i-th?" without walking from the start — what ZRANK and ZRANGE by
//! index need. Redis uses a skiplist with spans for this; here it is a list of sorted
//! chunks (the design of Python's `sortedcontainers`), which keeps elements
//! contiguous in memory and needs no unsafe code.
//!
//! Costs, for n elements in chunks of at most [`MAX_CHUNK`]: finding a value is a
//! binary search over the chunks' last elements and then inside one chunk,
//! O(log n); insert and remove add a shift inside one chunk, O(MAX_CHUNK); rank and
//! position add a sum over the chunk lengths before it, O(n / MAX_CHUNK) additions
//! over one contiguous array (a few microseconds at a million elements, where
//! walking a tree to the rank took milliseconds).

use std::cmp::Ordering;
use std::ops::Bound;

/// A chunk that grows past this many elements is split in two halves.
pub const MAX_CHUNK: usize = 512;

/// A sorted set of distinct values with rank queries.
#[derive(Debug, Clone)]
pub struct RankedSet<T> {
    /// Non-empty sorted chunks, each one's elements all below the next one's.
    chunks: Vec<Vec<T>>,
    /// `chunks[i].len()`, kept apart so that summing them reads one small array.
    lens: Vec<u32>,
    len: usize,
}

impl<T> Default for RankedSet<T> {
    fn default() -> Self {
        RankedSet {
            chunks: Vec::new(),
            lens: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Ord> RankedSet<T> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk that holds `x` if present, or where it would go (clamped to the
    /// last chunk). `None` when empty.
    fn chunk_for(&self, x: &T) -> Option<usize> {
        self.chunk_by(|e| e.cmp(x))
    }

    /// [`chunk_for`](Self::chunk_for) the element `cmp` finds: `cmp(e)` orders `e`
    /// against it, as `slice::binary_search_by` wants.
    fn chunk_by(&self, cmp: impl Fn(&T) -> Ordering) -> Option<usize> {
        if self.chunks.is_empty() {
            return None;
        }
        let i = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|l| cmp(l) == Ordering::Less));
        Some(i.min(self.chunks.len() - 1))
    }

    /// Add `x`; false if it was already there.
    pub fn insert(&mut self, x: T) -> bool {
        let Some(ci) = self.chunk_for(&x) else {
            self.chunks.push(vec![x]);
            self.lens.push(1);
            self.len = 1;
            return true;
        };
        let chunk = &mut self.chunks[ci];
        let at = match chunk.binary_search(&x) {
            Ok(_) => return false,
            Err(at) => at,
        };
        chunk.insert(at, x);
        self.lens[ci] += 1;
        self.len += 1;
        if chunk.len() > MAX_CHUNK {
            let upper = chunk.split_off(chunk.len() / 2);
            // The lower half keeps the whole allocation, just doubled for the element
            // that overflowed it: four times what its elements need.
            chunk.shrink_to_fit();
            self.lens[ci] = chunk.len() as u32;
            self.lens.insert(ci + 1, upper.len() as u32);
            self.chunks.insert(ci + 1, upper);
        }
        true
    }

    /// Remove `x`; false if it was not there.
    pub fn remove(&mut self, x: &T) -> bool {
        self.remove_by(|e| e.cmp(x)).is_some()
    }

    /// Remove and return the element `cmp` finds (`cmp(e)` orders `e` against it), so
    /// that a caller holding a borrowed form of the element need not build one.
    pub fn remove_by(&mut self, cmp: impl Fn(&T) -> Ordering) -> Option<T> {
        let ci = self.chunk_by(&cmp)?;
        let at = self.chunks[ci].binary_search_by(cmp).ok()?;
        Some(self.remove_at(ci, at))
    }

    /// Remove the element at offset `at` of chunk `ci`, dropping the chunk if it
    /// empties and merging it into its successor when both are small.
    fn remove_at(&mut self, ci: usize, at: usize) -> T {
        let x = self.chunks[ci].remove(at);
        self.lens[ci] -= 1;
        self.len -= 1;
        if self.chunks[ci].is_empty() {
            self.chunks.remove(ci);
            self.lens.remove(ci);
        } else if ci + 1 < self.chunks.len()
            && self.chunks[ci].len() + self.chunks[ci + 1].len() <= MAX_CHUNK / 2
        {
            let next = self.chunks.remove(ci + 1);
            self.lens.remove(ci + 1);
            self.chunks[ci].extend(next);
            self.lens[ci] = self.chunks[ci].len() as u32;
        }
        x
    }

    /// The smallest element.
    pub fn first(&self) -> Option<&T> {
        self.chunks.first().and_then(|c| c.first())
    }

    /// The largest element.
    pub fn last(&self) -> Option<&T> {
        self.chunks.last().and_then(|c| c.last())
    }

    /// Remove and return the smallest element.
    pub fn pop_first(&mut self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        Some(self.remove_at(0, 0))
    }

    /// Remove and return the largest element.
    pub fn pop_last(&mut self) -> Option<T> {
        let ci = self.chunks.len().checked_sub(1)?;
        let at = self.chunks[ci].len() - 1;
        Some(self.remove_at(ci, at))
    }

    /// Elements before chunk `ci`.
    fn before_chunk(&self, ci: usize) -> usize {
        self.lens[..ci].iter().map(|&n| n as usize).sum()
    }

    /// Number of elements below `x` (`x`'s 0-based rank when it is present).
    pub fn rank(&self, x: &T) -> usize {
        self.rank_by(|e| e.cmp(x))
    }

    /// [`rank`](Self::rank) of the element `cmp` finds (`cmp(e)` orders `e` against
    /// it).
    pub fn rank_by(&self, cmp: impl Fn(&T) -> Ordering) -> usize {
        match self.chunk_by(&cmp) {
            None => 0,
            Some(ci) => {
                self.before_chunk(ci)
                    + self.chunks[ci].partition_point(|e| cmp(e) == Ordering::Less)
            }
        }
    }

    /// Number of elements at or below `x`.
    fn rank_after(&self, x: &T) -> usize {
        match self.chunk_for(x) {
            None => 0,
            Some(ci) => self.before_chunk(ci) + self.chunks[ci].partition_point(|e| e <= x),
        }
    }

    /// All elements, ascending (`.rev()` for descending).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flatten()
    }

    /// Chunk and offset of position `pos` (`(chunk count, 0)` for `pos == len`).
    fn locate(&self, pos: usize) -> (usize, usize) {
        let (mut ci, mut off) = (0, pos);
        while ci < self.lens.len() && off >= self.lens[ci] as usize {
            off -= self.lens[ci] as usize;
            ci += 1;
        }
        (ci, off)
    }

    /// Elements at positions `start..end` (clamped), ascending (`.rev()` for
    /// descending).
    pub fn by_position(&self, start: usize, end: usize) -> impl DoubleEndedIterator<Item = &T> {
        let end = end.min(self.len);
        let start = start.min(end);
        let (first, from) = self.locate(start);
        let (last, to) = self.locate(end);
        let chunks = &self.chunks;
        // Chunks `first..=last`, the first from `from`, the last up to `to` (when
        // `end == len`, `last` is one past the final chunk and is left out).
        (first..(last + 1).min(chunks.len())).flat_map(move |k| {
            let c = &chunks[k];
            let lo = if k == first { from } else { 0 };
            let hi = if k == last { to } else { c.len() };
            c[lo..hi].iter()
        })
    }

    /// Elements within the bounds, ascending (`.rev()` for descending).
    pub fn range<'a>(
        &'a self,
        lo: Bound<&T>,
        hi: Bound<&T>,
    ) -> impl DoubleEndedIterator<Item = &'a T> + use<'a, T> {
        let start = match lo {
            Bound::Unbounded => 0,
            Bound::Included(x) => self.rank(x),
            Bound::Excluded(x) => self.rank_after(x),
        };
        let end = match hi {
            Bound::Unbounded => self.len,
            Bound::Included(x) => self.rank_after(x),
            Bound::Excluded(x) => self.rank(x),
        };
        self.by_position(start, end.max(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeSet;

    /// Random inserts, removals and pops checked against `BTreeSet`, with chunks
    /// small enough in count to split and merge many times. Prints its seed.
    #[test]
    fn behaves_like_a_btreeset() {
        let seed: u64 = rand::random();
        println!("seed {seed}");
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut ours = RankedSet::default();
        let mut model = BTreeSet::new();
        for step in 0..20_000 {
            let x: u32 = rng.random_range(0..3000);
            match rng.random_range(0..10) {
                0..=5 => assert_eq!(ours.insert(x), model.insert(x), "seed {seed} step {step}"),
                6 => assert_eq!(ours.remove(&x), model.remove(&x), "seed {seed} step {step}"),
                7 => assert_eq!(
                    ours.remove_by(|e| e.cmp(&x)),
                    model.take(&x),
                    "seed {seed} step {step}"
                ),
                8 => assert_eq!(
                    ours.pop_first(),
                    model.pop_first(),
                    "seed {seed} step {step}"
                ),
                _ => assert_eq!(ours.pop_last(), model.pop_last(), "seed {seed} step {step}"),
            }
            assert_eq!(ours.len(), model.len());
            if step % 500 == 0 {
                let all: Vec<u32> = model.iter().copied().collect();
                assert!(ours.iter().copied().eq(all.iter().copied()), "seed {seed}");
                assert!(ours.iter().rev().copied().eq(all.iter().rev().copied()));
                assert_eq!(ours.first(), model.first());
                assert_eq!(ours.last(), model.last());
                for _ in 0..50 {
                    let x: u32 = rng.random_range(0..3100);
                    assert_eq!(ours.rank(&x), model.range(..x).count(), "seed {seed}");
                    let (a, b) = (
                        rng.random_range(0..=all.len()),
                        rng.random_range(0..=all.len()),
                    );
                    let (a, b) = (a.min(b), a.max(b));
                    assert!(ours
                        .by_position(a, b)
                        .copied()
                        .eq(all[a..b].iter().copied()));
                    assert!(ours
                        .by_position(a, b)
                        .rev()
                        .copied()
                        .eq(all[a..b].iter().rev().copied()));
                    let y: u32 = rng.random_range(0..3100);
                    let (lo, hi) = (x.min(y), x.max(y));
                    let bounds = [
                        (Bound::Included(&lo), Bound::Included(&hi)),
                        (Bound::Excluded(&lo), Bound::Excluded(&hi)),
                        (Bound::Unbounded, Bound::Excluded(&hi)),
                        (Bound::Excluded(&lo), Bound::Unbounded),
                    ];
                    for (l, h) in bounds {
                        // BTreeSet panics on an empty excluded-excluded range; it is empty.
                        let empty =
                            matches!((l, h), (Bound::Excluded(a), Bound::Excluded(b)) if a == b);
                        let want: Vec<u32> = if empty {
                            Vec::new()
                        } else {
                            model.range((l, h)).copied().collect()
                        };
                        assert!(
                            ours.range(l, h).copied().eq(want.iter().copied()),
                            "seed {seed}"
                        );
                        assert!(ours
                            .range(l, h)
                            .rev()
                            .copied()
                            .eq(want.iter().rev().copied()));
                    }
                }
            }
        }
        // Chunks stay within bounds and sorted across chunk edges.
        assert!(ours
            .chunks
            .iter()
            .all(|c| !c.is_empty() && c.len() <= MAX_CHUNK));
        assert!(ours.iter().zip(ours.iter().skip(1)).all(|(a, b)| a < b));
        assert_eq!(
            ours.lens.iter().map(|&n| n as usize).sum::<usize>(),
            ours.len()
        );
    }

    #[test]
    fn ranks_in_a_large_set() {
        let mut s = RankedSet::default();
        for i in (0..100_000u32).rev() {
            assert!(s.insert(i * 2));
        }
        assert!(s.chunks.len() > 100_000 / MAX_CHUNK);
        assert_eq!(s.rank(&0), 0);
        assert_eq!(s.rank(&100_000), 50_000);
        assert_eq!(s.rank(&100_001), 50_001);
        assert_eq!(
            s.by_position(99_998, 100_005).copied().collect::<Vec<_>>(),
            [199_996, 199_998]
        );
    }
}
