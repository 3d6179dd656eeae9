//! List values, packed: elements are stored back to back in chunks of up to
//! [`CHUNK_BYTES`], the way Redis's quicklist strings listpacks together.
//!
//! Why not a `VecDeque<Bytes>`? That costs a 32-byte handle plus a separate
//! allocation per element: a hot list (a queue everyone LPUSHes onto) spent its time
//! in the allocator and in cache misses over scattered elements, and used ~1.5× the
//! memory of Redis. Here an LPUSH copies the element into the head chunk and records
//! where it starts (2 bytes); nothing is allocated until a chunk fills up.
//!
//! A chunk is a fixed buffer whose elements fill `data[lo..hi]`. The head chunk grows
//! to the left (`lo` goes down), the tail chunk to the right, so pushes at either end
//! never move elements. Edits in the middle (LSET with a new length, LINSERT, LREM)
//! rebuild the chunk they touch, as Redis rewrites a listpack: work bounded by the
//! chunk's size, except LREM, which repacks the whole list like Redis's scan does.

use super::alloc_cost;
use bytes::Bytes;
use std::collections::VecDeque;
use std::ops::Range;

/// Element bytes per chunk. An element longer than this gets a chunk of its own,
/// sized to fit. Offsets inside a chunk must fit a `u16`.
const CHUNK_BYTES: usize = 4096;
/// The smallest buffer a chunk starts with; it doubles as elements come.
const MIN_CHUNK_BYTES: usize = 64;
const _: () = assert!(CHUNK_BYTES <= u16::MAX as usize);

/// A run of elements stored back to back.
#[derive(Clone)]
struct Chunk {
    /// The elements are `data[lo..hi]`, head first.
    data: Box<[u8]>,
    lo: usize,
    hi: usize,
    /// Where each element starts in `data`; element `k` ends where `k + 1` starts
    /// (the last one at `hi`). An oversized chunk holds one element, at 0.
    starts: VecDeque<u16>,
}

impl Chunk {
    /// An empty chunk with room for `need` bytes, filling towards the head (from the
    /// buffer's end) or towards the tail (from its start). A `small` chunk starts
    /// with just that room and grows as elements come (a list of three short
    /// elements should not hold 4 KB); others start at full size.
    fn new(need: usize, towards_head: bool, small: bool) -> Self {
        let cap = if small {
            need.max(MIN_CHUNK_BYTES)
        } else {
            need.max(CHUNK_BYTES)
        };
        let at = if towards_head { cap } else { 0 };
        Chunk {
            data: vec![0; cap].into_boxed_slice(),
            lo: at,
            hi: at,
            starts: VecDeque::new(),
        }
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    /// Heap bytes this chunk holds.
    fn cost(&self) -> usize {
        alloc_cost(self.data.len()) + alloc_cost(self.starts.capacity() * 2)
    }

    fn get(&self, k: usize) -> &[u8] {
        let start = self.starts[k] as usize;
        let end = match self.starts.get(k + 1) {
            Some(&s) => s as usize,
            None => self.hi,
        };
        &self.data[start..end]
    }

    fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(move |k| self.get(k))
    }

    /// Make `need` bytes of room on one side: slide the elements over, or move them
    /// into a bigger buffer (doubling, up to [`CHUNK_BYTES`]). `false` if the chunk
    /// would grow past that.
    fn make_room(&mut self, need: usize, at_head: bool) -> bool {
        let used = self.hi - self.lo;
        if self.data.len() > CHUNK_BYTES || used + need > CHUNK_BYTES {
            return false;
        }
        let cap = if used + need <= self.data.len() {
            self.data.len()
        } else {
            (self.data.len() * 2).max(used + need).min(CHUNK_BYTES)
        };
        let to = if at_head { cap - used } else { 0 };
        if cap == self.data.len() {
            self.data.copy_within(self.lo..self.hi, to);
        } else {
            let mut data = vec![0; cap].into_boxed_slice();
            data[to..to + used].copy_from_slice(&self.data[self.lo..self.hi]);
            self.data = data;
        }
        for s in &mut self.starts {
            *s = (*s as usize + to - self.lo) as u16;
        }
        self.lo = to;
        self.hi = to + used;
        true
    }

    /// Prepend `v` if it fits.
    fn push_front(&mut self, v: &[u8]) -> bool {
        if self.lo < v.len() && !self.make_room(v.len(), true) {
            return false;
        }
        self.lo -= v.len();
        self.data[self.lo..self.lo + v.len()].copy_from_slice(v);
        self.starts.push_front(self.lo as u16);
        true
    }

    /// Append `v` if it fits.
    fn push_back(&mut self, v: &[u8]) -> bool {
        if self.data.len() - self.hi < v.len() && !self.make_room(v.len(), false) {
            return false;
        }
        self.starts.push_back(self.hi as u16);
        self.data[self.hi..self.hi + v.len()].copy_from_slice(v);
        self.hi += v.len();
        true
    }

    /// Remove the head element; returns where its bytes are (still in `data`).
    fn pop_front(&mut self) -> Range<usize> {
        let start = self.lo;
        self.starts.pop_front();
        self.lo = self.starts.front().map_or(self.hi, |&s| s as usize);
        start..self.lo
    }

    /// Remove the tail element; returns where its bytes are (still in `data`).
    fn pop_back(&mut self) -> Range<usize> {
        let start = self.starts.pop_back().expect("chunks are never empty") as usize;
        let end = std::mem::replace(&mut self.hi, start);
        start..end
    }
}

/// Pack elements into as few chunks as they fit in, in order.
fn pack<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Vec<Chunk> {
    let mut chunks: Vec<Chunk> = Vec::new();
    for v in items {
        if !chunks.last_mut().is_some_and(|c| c.push_back(v)) {
            let mut c = Chunk::new(v.len(), false, true);
            c.push_back(v);
            chunks.push(c);
        }
    }
    chunks
}

/// A Redis list.
#[derive(Default)]
pub struct ListValue {
    chunks: VecDeque<Chunk>,
    len: usize,
    /// Heap bytes of the chunks (the deque of chunk handles is added in `mem`).
    mem: usize,
}

/// A copy (COPY) counts its own memory: cloned buffers need not have the capacities
/// the originals had, and removals subtract what the copy's chunks cost.
impl Clone for ListValue {
    fn clone(&self) -> Self {
        let chunks = self.chunks.clone();
        let mem = chunks.iter().map(Chunk::cost).sum();
        ListValue {
            chunks,
            len: self.len,
            mem,
        }
    }
}

impl std::fmt::Debug for ListValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

impl ListValue {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True when empty (the key is then deleted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Approximate heap bytes.
    pub fn mem(&self) -> usize {
        self.mem + alloc_cost(self.chunks.capacity() * std::mem::size_of::<Chunk>())
    }

    /// The elements, head first (reversible).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.chunks.iter().flat_map(Chunk::iter)
    }

    /// The elements from index `start` on, for `count` elements at most.
    pub fn range(&self, start: usize, count: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (c, k) = self.locate(start.min(self.len));
        self.chunks
            .range(c.min(self.chunks.len())..)
            .enumerate()
            .flat_map(move |(j, chunk)| {
                let from = if j == 0 { k } else { 0 };
                (from..chunk.len()).map(move |x| chunk.get(x))
            })
            .take(count)
    }

    /// Chunk and position inside it of element `i` (`i == len` gives one past the
    /// end), walking from the nearer end.
    fn locate(&self, i: usize) -> (usize, usize) {
        if i < self.len / 2 {
            let mut i = i;
            for (c, chunk) in self.chunks.iter().enumerate() {
                if i < chunk.len() {
                    return (c, i);
                }
                i -= chunk.len();
            }
        } else {
            let mut from_tail = self.len - i;
            for (c, chunk) in self.chunks.iter().enumerate().rev() {
                if from_tail <= chunk.len() {
                    return (c, chunk.len() - from_tail);
                }
                from_tail -= chunk.len();
            }
        }
        (self.chunks.len(), 0)
    }

    /// Change chunk `c` with `f`, keeping the memory count right.
    fn with_chunk<R>(&mut self, c: usize, f: impl FnOnce(&mut Chunk) -> R) -> R {
        let chunk = &mut self.chunks[c];
        let before = chunk.cost();
        let r = f(chunk);
        self.mem = self.mem + chunk.cost() - before;
        r
    }

    fn add_chunk(&mut self, chunk: Chunk, at_head: bool) {
        if self.chunks.capacity() == 0 {
            // Most lists fit one chunk: no room for four.
            self.chunks.reserve_exact(1);
        }
        self.mem += chunk.cost();
        if at_head {
            self.chunks.push_front(chunk);
        } else {
            self.chunks.push_back(chunk);
        }
    }

    /// Push at the head.
    pub fn push_front(&mut self, v: &[u8]) {
        self.len += 1;
        if !self.chunks.is_empty() && self.with_chunk(0, |c| c.push_front(v)) {
            return;
        }
        let mut chunk = Chunk::new(v.len(), true, self.chunks.is_empty());
        chunk.push_front(v);
        self.add_chunk(chunk, true);
    }

    /// Push at the tail.
    pub fn push_back(&mut self, v: &[u8]) {
        self.len += 1;
        let last = self.chunks.len().wrapping_sub(1);
        if !self.chunks.is_empty() && self.with_chunk(last, |c| c.push_back(v)) {
            return;
        }
        let mut chunk = Chunk::new(v.len(), false, self.chunks.is_empty());
        chunk.push_back(v);
        self.add_chunk(chunk, false);
    }

    /// Drop chunk `c` if it has no elements left.
    fn drop_if_empty(&mut self, c: usize) {
        if self.chunks[c].len() == 0 {
            let chunk = self.chunks.remove(c).expect("in range");
            self.mem -= chunk.cost();
        }
    }

    /// Pop from the head or the tail, handing the element to `f` before its bytes
    /// can be reused (so LPOP writes it into the reply without a copy of its own).
    pub fn pop_with<R>(&mut self, at_head: bool, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if self.len == 0 {
            return None;
        }
        let c = if at_head { 0 } else { self.chunks.len() - 1 };
        let chunk = &mut self.chunks[c];
        let at = if at_head {
            chunk.pop_front()
        } else {
            chunk.pop_back()
        };
        let r = f(&chunk.data[at]);
        self.drop_if_empty(c);
        self.len -= 1;
        Some(r)
    }

    /// Pop from the head.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        self.pop_with(true, Bytes::copy_from_slice)
    }

    /// Pop from the tail.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        self.pop_with(false, Bytes::copy_from_slice)
    }

    /// Element at `i` (0-based from the head).
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let (c, k) = self.locate(i);
        Some(self.chunks[c].get(k))
    }

    /// Replace chunk `c` by its elements, repacked, with element `k` replaced by `v`
    /// or with `v` inserted before element `k`.
    fn rebuild(&mut self, c: usize, k: usize, v: &[u8], replace: bool) {
        let old = self.chunks.remove(c).expect("in range");
        self.mem -= old.cost();
        let mut items: Vec<&[u8]> = old.iter().collect();
        if replace {
            items[k] = v;
        } else {
            items.insert(k, v);
            self.len += 1;
        }
        for (j, chunk) in pack(items).into_iter().enumerate() {
            self.mem += chunk.cost();
            self.chunks.insert(c + j, chunk);
        }
    }

    /// Replace the element at `i` (must be in range).
    pub fn set(&mut self, i: usize, v: &[u8]) {
        let (c, k) = self.locate(i);
        let chunk = &mut self.chunks[c];
        let old = chunk.get(k);
        if old.len() == v.len() {
            let start = chunk.starts[k] as usize;
            chunk.data[start..start + v.len()].copy_from_slice(v);
        } else {
            self.rebuild(c, k, v, true);
        }
    }

    /// Insert before position `i` (`i == len` appends).
    pub fn insert(&mut self, i: usize, v: &[u8]) {
        if i == 0 {
            return self.push_front(v);
        }
        if i >= self.len {
            return self.push_back(v);
        }
        // Into the chunk holding element i - 1, after it: that chunk is never empty.
        let (c, k) = self.locate(i - 1);
        self.rebuild(c, k + 1, v, false);
    }

    /// LREM: remove up to `limit` elements equal to `v` (0 = all), scanning from the
    /// head, or from the tail when `from_tail`. Returns how many went.
    pub fn remove_matching(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        if self.len == 0 {
            return 0;
        }
        let limit = if limit == 0 { usize::MAX } else { limit };
        // Mark what goes first (so that scanning from the tail removes the last ones).
        let mut cut = vec![false; self.len];
        let mut removed = 0;
        let mut mark = |(i, item): (usize, &[u8])| {
            if removed < limit && item == v {
                cut[i] = true;
                removed += 1;
            }
        };
        if from_tail {
            let last = self.len - 1;
            self.iter()
                .rev()
                .enumerate()
                .for_each(|(i, item)| mark((last - i, item)));
        } else {
            self.iter().enumerate().for_each(&mut mark);
        }
        if removed == 0 {
            return 0;
        }
        let kept = pack(self.iter().zip(&cut).filter(|(_, &c)| !c).map(|(it, _)| it));
        *self = Self::from_chunks(kept);
        removed
    }

    fn from_chunks(chunks: Vec<Chunk>) -> Self {
        let mut l = ListValue::new();
        for c in chunks {
            l.len += c.len();
            l.add_chunk(c, false);
        }
        l
    }

    /// LTRIM: keep only `start..end` (clamped to the list).
    pub fn keep_range(&mut self, start: usize, end: usize) {
        let end = end.min(self.len);
        let start = start.min(end);
        self.drop_from_end(self.len - end, false);
        self.drop_from_end(start, true);
    }

    /// Drop `n` elements from the head or the tail: whole chunks while they fit, then
    /// element by element.
    fn drop_from_end(&mut self, mut n: usize, at_head: bool) {
        loop {
            let chunk = if at_head {
                self.chunks.front()
            } else {
                self.chunks.back()
            };
            let Some(c) = chunk.filter(|c| c.len() <= n) else {
                break;
            };
            n -= c.len();
            self.len -= c.len();
            self.mem -= c.cost();
            if at_head {
                self.chunks.pop_front();
            } else {
                self.chunks.pop_back();
            }
        }
        for _ in 0..n {
            self.pop_with(at_head, |_| ());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn list(items: &[&str]) -> ListValue {
        let mut l = ListValue::new();
        for i in items {
            l.push_back(i.as_bytes());
        }
        l
    }
    fn items(l: &ListValue) -> Vec<&[u8]> {
        l.iter().collect()
    }
    /// The memory count kept incrementally equals a recount.
    fn recounted(l: &ListValue) -> usize {
        l.chunks.iter().map(Chunk::cost).sum()
    }

    /// A copy counts its own memory (cloned buffers need not keep the originals'
    /// capacities): emptying it gives back exactly what it had.
    #[test]
    fn a_copy_returns_its_own_memory() {
        let mut l = ListValue::new();
        for i in 0..500 {
            l.push_front(format!("{i:040}").as_bytes());
            l.push_back(b"x");
        }
        let mut copy = l.clone();
        assert_eq!(copy.mem, recounted(&copy));
        while copy.pop_front().is_some() {}
        assert_eq!(copy.mem, 0);
        assert_eq!(l.mem, recounted(&l));
    }

    #[test]
    fn remove_matching_from_either_end_keeps_memory_right() {
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_matching(b"a", 2, true), 2);
        assert_eq!(items(&l), [&b"a"[..], b"b", b"c"]);
        assert_eq!(l.remove_matching(b"a", 0, false), 1);
        l.keep_range(1, 5);
        assert_eq!(items(&l), [&b"c"[..]]);
        l.set(0, b"zz");
        l.insert(0, b"y");
        l.keep_range(2, 2);
        assert!(l.is_empty());
        assert_eq!(l.mem, 0);
    }

    #[test]
    fn pushes_at_either_end_fill_chunks_without_moving_elements() {
        let mut l = ListValue::new();
        let v = [7u8; 64];
        for _ in 0..1000 {
            l.push_front(&v);
        }
        // 64 elements of 64 bytes fill a 4 KB chunk exactly.
        assert_eq!(l.chunks.len(), 1000_usize.div_ceil(CHUNK_BYTES / 64));
        assert!(l.chunks.iter().skip(1).all(|c| c.lo == 0 && c.len() == 64));
        // Memory per element: 64 bytes plus a 2-byte offset, plus chunk overhead.
        assert!(l.mem() < 1000 * 72, "{}", l.mem());
        assert_eq!(l.mem, recounted(&l));
    }

    #[test]
    fn a_short_list_holds_a_small_buffer() {
        let l = list(&["first", "second", "third"]);
        assert_eq!(l.chunks.len(), 1);
        assert_eq!(l.chunks[0].data.len(), MIN_CHUNK_BYTES);
        assert!(l.mem() < 256, "{}", l.mem());
        let mut l = list(&[]);
        for _ in 0..10 {
            l.push_front(b"0123456789");
        }
        assert_eq!(l.chunks[0].data.len(), 128);
        assert_eq!(l.mem, recounted(&l));
    }

    #[test]
    fn an_element_larger_than_a_chunk_gets_its_own() {
        let big = vec![b'x'; CHUNK_BYTES * 3];
        let mut l = list(&["a"]);
        l.push_back(&big);
        l.push_back(b"b");
        l.push_front(&big);
        assert_eq!(items(&l), [&big[..], b"a", &big[..], b"b"]);
        l.set(2, b"c");
        l.insert(2, &big);
        assert_eq!(items(&l), [&big[..], b"a", &big[..], b"c", b"b"]);
        assert_eq!(l.mem, recounted(&l));
    }

    /// Random operations against a `VecDeque<Vec<u8>>` model.
    #[test]
    fn behaves_like_a_deque_under_random_operations() {
        let seed: u64 = rand::rng().random();
        println!("seed {seed}");
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut l = ListValue::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for step in 0..20_000 {
            // Mostly small elements, some large; few distinct so LREM finds matches.
            let size = match rng.random_range(0..20) {
                0 => rng.random_range(1000..9000),
                _ => rng.random_range(0..40),
            };
            let v = vec![b'a' + rng.random_range(0..3u8); size];
            let len = model.len();
            match rng.random_range(0..100) {
                0..=29 => {
                    l.push_front(&v);
                    model.push_front(v);
                }
                30..=59 => {
                    l.push_back(&v);
                    model.push_back(v);
                }
                60..=69 => assert_eq!(l.pop_front().as_deref(), model.pop_front().as_deref()),
                70..=79 => assert_eq!(l.pop_back().as_deref(), model.pop_back().as_deref()),
                80..=86 if len > 0 => {
                    let i = rng.random_range(0..len);
                    l.set(i, &v);
                    model[i] = v;
                }
                87..=93 => {
                    let i = rng.random_range(0..=len);
                    l.insert(i, &v);
                    model.insert(i, v);
                }
                94..=95 => {
                    let limit = rng.random_range(0..3);
                    let from_tail = rng.random();
                    let n = l.remove_matching(&v, limit, from_tail);
                    let limit = if limit == 0 { usize::MAX } else { limit };
                    let mut hits: Vec<usize> = (0..len).filter(|&i| model[i] == v).collect();
                    if from_tail {
                        hits.reverse();
                    }
                    hits.truncate(limit);
                    hits.sort_unstable();
                    for &i in hits.iter().rev() {
                        model.remove(i);
                    }
                    assert_eq!(n, hits.len(), "step {step}");
                }
                96 => {
                    let a = rng.random_range(0..=len + 2);
                    let b = rng.random_range(0..=len + 2);
                    l.keep_range(a, b);
                    let b = b.min(len);
                    let a = a.min(b);
                    model = model.range(a..b).cloned().collect();
                }
                _ => {
                    let a = rng.random_range(0..=len);
                    let n = rng.random_range(0..20);
                    let got: Vec<&[u8]> = l.range(a, n).collect();
                    let want: Vec<&[u8]> = model.iter().skip(a).take(n).map(|v| &v[..]).collect();
                    assert_eq!(got, want, "step {step}");
                }
            }
            assert_eq!(l.len(), model.len(), "step {step}");
            if step % 97 == 0 {
                assert!(l.iter().eq(model.iter().map(|v| &v[..])), "step {step}");
                assert!(l.iter().rev().eq(model.iter().rev().map(|v| &v[..])));
                assert!(l.chunks.iter().all(|c| c.len() > 0), "no empty chunks");
                assert_eq!(l.mem, recounted(&l), "step {step}");
                if let Some(i) = (len > 0).then(|| rng.random_range(0..model.len().max(1))) {
                    assert_eq!(l.get(i), model.get(i).map(|v| &v[..]));
                }
            }
        }
    }
}
