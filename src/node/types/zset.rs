//! Sorted set values: members ordered by (score, member).
//!
//! Representation: a member → score map plus a [`RankedSet`] of `(score, member)` for
//! order, which answers rank queries (ZRANK, ZRANGE by index) without walking from
//! the lowest score — Redis's skiplist with spans plays this part.
//!
//! The member map is a [`Table`] with swap-removal so ZSCAN can use the same "walk
//! indexes downwards" cursor as the keyspace SCAN (elements only ever move to lower
//! indexes, so none present for the whole scan is missed).
//!
//! Members are [`CompactBytes`], stored in both structures: a member of up to 23
//! bytes (`element:12345`, an id) lives inline in the map's slot and in the ordered
//! chunk, with no allocation of its own, and two inline copies cost less than one
//! shared heap string and its two handles.

use super::ranked::RankedSet;
use super::table::Table;
use super::{compact, key_cost, CompactBytes};
use std::ops::Bound;

/// Redis's `zset-max-listpack-entries` default.
pub const LISTPACK_MAX_ENTRIES: usize = 128;
/// Redis's `zset-max-listpack-value` default.
pub const LISTPACK_MAX_VALUE: usize = 64;

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

/// A score interval as ZRANGEBYSCORE takes it (`(` = exclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    /// Lower end.
    pub min: f64,
    /// True if `min` itself is excluded.
    pub minex: bool,
    /// Upper end.
    pub max: f64,
    /// True if `max` itself is excluded.
    pub maxex: bool,
}

impl ScoreRange {
    /// Redis's `zslIsInRange` emptiness test.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
    /// True if `s` lies inside.
    pub fn contains(&self, s: f64) -> bool {
        (if self.minex {
            s > self.min
        } else {
            s >= self.min
        }) && (if self.maxex {
            s < self.max
        } else {
            s <= self.max
        })
    }
}

/// One end of a lexicographic range (`-`, `+`, `[x`, `(x`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LexBound<'a> {
    /// `-`: below everything.
    Min,
    /// `+`: above everything.
    Max,
    /// `[x`
    Incl(&'a [u8]),
    /// `(x`
    Excl(&'a [u8]),
}

/// A lexicographic interval as ZRANGEBYLEX takes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LexRange<'a> {
    /// Lower end.
    pub min: LexBound<'a>,
    /// Upper end.
    pub max: LexBound<'a>,
}

impl LexRange<'_> {
    /// Redis's `zslIsInLexRange` emptiness test (`sdscmplex` with the two sentinels).
    pub fn is_empty(&self) -> bool {
        use std::cmp::Ordering::*;
        use LexBound::*;
        fn key<'b>(b: &LexBound<'b>) -> (u8, &'b [u8]) {
            match *b {
                Min => (0, b""),
                Max => (2, b""),
                Incl(x) | Excl(x) => (1, x),
            }
        }
        let ex = |b: &LexBound<'_>| !matches!(b, Incl(_));
        match key(&self.min).cmp(&key(&self.max)) {
            Greater => true,
            Equal => ex(&self.min) || ex(&self.max),
            Less => false,
        }
    }
    /// `m` is at or above the lower end.
    pub fn gte_min(&self, m: &[u8]) -> bool {
        match self.min {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Incl(x) => m >= x,
            LexBound::Excl(x) => m > x,
        }
    }
    /// `m` is at or below the upper end.
    pub fn lte_max(&self, m: &[u8]) -> bool {
        match self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Incl(x) => m <= x,
            LexBound::Excl(x) => m < x,
        }
    }
}

/// Iterator over (member, score) entries.
pub type Entries<'a> = Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a>;

/// A Redis sorted set.
#[derive(Debug, Clone)]
pub struct ZSetValue {
    scores: Table<f64>,
    order: RankedSet<(Score, CompactBytes)>,
    /// True while Redis would keep this zset as a listpack (≤ 128 entries, members
    /// ≤ 64 bytes). Sticky like Redis's encoding; ZSCAN replies all at once then.
    listpack: bool,
    /// Heap bytes of long members (both copies, each allocated to its exact length by
    /// `compact`, so the length tells what it costs, in a clone too).
    mem: usize,
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue {
            scores: Table::default(),
            order: RankedSet::default(),
            listpack: true,
            mem: 0,
        }
    }
}

/// The smallest double above `v` (for turning inclusive bounds into tree bounds).
fn next_up(v: f64) -> f64 {
    if v.is_nan() || v == f64::INFINITY {
        return v;
    }
    if v == 0.0 {
        return f64::from_bits(1);
    }
    let bits = v.to_bits();
    f64::from_bits(if v > 0.0 { bits + 1 } else { bits - 1 })
}

fn entry(e: &(Score, CompactBytes)) -> (&[u8], f64) {
    (&e.1, e.0 .0)
}

/// Orders an element of the ordered chunks against `(score, m)`, for finding a member
/// there without building an owned copy of it (`RankedSet::*_by`).
fn against(score: f64, m: &[u8]) -> impl Fn(&(Score, CompactBytes)) -> std::cmp::Ordering + '_ {
    move |(es, em)| (*es, &em[..]).cmp(&(Score(score), m))
}

impl ZSetValue {
    /// An empty sorted set.
    pub fn new() -> Self {
        Self::default()
    }
    /// An empty sorted set built as Redis builds a command's result (ZUNION, ZINTER,
    /// ZDIFF, and ZRANGESTORE past 128 members): a skiplist, which keeps the sign of
    /// -0 scores. See [`into_stored`](Self::into_stored).
    pub fn new_skiplist() -> Self {
        ZSetValue {
            listpack: false,
            ..Self::default()
        }
    }
    /// Redis's `zsetConvertToListpackIfNeeded` for a result about to be stored: a
    /// small one (≤ 128 members of ≤ 64 bytes) becomes a listpack, which loses the
    /// sign of -0.
    pub fn into_stored(self) -> Self {
        let small = self.len() <= LISTPACK_MAX_ENTRIES
            && self.iter().all(|(m, _)| m.len() <= LISTPACK_MAX_VALUE);
        if self.listpack || !small {
            return self;
        }
        let mut z = ZSetValue::new();
        for (m, s) in self.iter() {
            z.insert(m, s);
        }
        z
    }
    /// Number of members.
    pub fn len(&self) -> usize {
        self.scores.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
    /// Approximate heap bytes: the map's allocations, the ordered chunks' elements
    /// (a quarter more for the chunks' spare room) and the long members.
    pub fn mem(&self) -> usize {
        let element = std::mem::size_of::<(Score, CompactBytes)>();
        self.mem + self.scores.heap_bytes() + self.order.len() * element * 5 / 4
    }
    /// True while Redis would use the listpack encoding.
    pub fn is_listpack(&self) -> bool {
        self.listpack
    }
    /// Score of a member.
    pub fn score(&self, m: &[u8]) -> Option<f64> {
        self.scores.get(m).copied()
    }
    /// All entries in (score, member) order; `.rev()` for descending.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&[u8], f64)> + '_ {
        self.order.iter().map(entry)
    }
    /// The entry at map position `i` (arbitrary order; for ZSCAN and random picks).
    pub fn get_index(&self, i: usize) -> Option<(&[u8], f64)> {
        self.scores.get_index(i).map(|(m, s)| (&m[..], *s))
    }
    /// 0-based rank of a member in ascending order.
    pub fn rank(&self, m: &[u8]) -> Option<usize> {
        let s = *self.scores.get(m)?;
        Some(self.order.rank_by(against(s, m)))
    }
    /// Entries with rank in `start..=end` (both already clamped to the set), ascending
    /// or, with `rev`, counting ranks from the highest score.
    pub fn by_rank(&self, start: usize, end: usize, rev: bool) -> Entries<'_> {
        if rev {
            let len = self.order.len();
            Box::new(
                self.order
                    .by_position(len - 1 - end, len - start)
                    .rev()
                    .map(entry),
            )
        } else {
            Box::new(self.order.by_position(start, end + 1).map(entry))
        }
    }
    /// Entries whose score lies in `r` (which must not be empty), ascending or
    /// descending.
    pub fn by_score(&self, r: &ScoreRange, rev: bool) -> Entries<'_> {
        let lo = match (r.minex, r.min) {
            (false, v) if v == f64::NEG_INFINITY => Bound::Unbounded,
            (true, v) if v == f64::INFINITY => return Box::new(std::iter::empty()),
            (false, v) => Bound::Included((Score(v), CompactBytes::new())),
            (true, v) => Bound::Included((Score(next_up(v)), CompactBytes::new())),
        };
        let hi = match (r.maxex, r.max) {
            (false, v) if v == f64::INFINITY => Bound::Unbounded,
            (false, v) => Bound::Excluded((Score(next_up(v)), CompactBytes::new())),
            (true, v) => Bound::Excluded((Score(v), CompactBytes::new())),
        };
        let it = self.order.range(lo.as_ref(), hi.as_ref()).map(entry);
        if rev {
            Box::new(it.rev())
        } else {
            Box::new(it)
        }
    }
    /// Entries whose member lies in `r` (which must not be empty), as Redis walks them:
    /// from the first entry at/above `min`, while at/below `max` (reverse: mirrored).
    /// Meaningful when all scores are equal, as ZRANGEBYLEX documents.
    pub fn by_lex<'a>(&'a self, r: &LexRange<'a>, rev: bool) -> Entries<'a> {
        let r = *r;
        let (first, last) = match (self.order.first(), self.order.last()) {
            (Some(f), Some(l)) => (f.0, l.0),
            _ => return Box::new(std::iter::empty()),
        };
        if first == last {
            // One score: the tree order is the member order, so seek directly.
            let bound = |b: LexBound<'_>| match b {
                LexBound::Min | LexBound::Max => Bound::Unbounded,
                LexBound::Incl(x) => Bound::Included((first, compact(x))),
                LexBound::Excl(x) => Bound::Excluded((first, compact(x))),
            };
            let (lo, hi) = (bound(r.min), bound(r.max));
            let it = self.order.range(lo.as_ref(), hi.as_ref()).map(entry);
            return if rev {
                Box::new(it.rev())
            } else {
                Box::new(it)
            };
        }
        if rev {
            Box::new(
                self.iter()
                    .rev()
                    .skip_while(move |(m, _)| !r.lte_max(m))
                    .take_while(move |(m, _)| r.gte_min(m)),
            )
        } else {
            Box::new(
                self.iter()
                    .skip_while(move |(m, _)| !r.gte_min(m))
                    .take_while(move |(m, _)| r.lte_max(m)),
            )
        }
    }
    /// The score as Redis keeps it: a listpack stores scores as text and loses the
    /// sign of -0 (a skiplist keeps it).
    fn stored(&self, score: f64) -> f64 {
        if self.listpack && score == 0.0 {
            0.0
        } else {
            score
        }
    }
    /// Insert or update; true if the member is new.
    pub fn insert(&mut self, m: &[u8], score: f64) -> bool {
        if self.set_score(m, score) {
            return false;
        }
        if m.len() > LISTPACK_MAX_VALUE || self.scores.len() >= LISTPACK_MAX_ENTRIES {
            self.listpack = false;
        }
        let score = self.stored(score);
        self.mem += 2 * key_cost(m.len());
        self.order.insert((Score(score), compact(m)));
        self.scores.insert_full(compact(m), score);
        true
    }
    /// Change an existing member's score, moving it in the order (no allocation: the
    /// ordered copy is taken out and put back); as in Redis, -0 == 0 moves nothing.
    /// Returns false if `m` is not a member.
    pub fn set_score(&mut self, m: &[u8], score: f64) -> bool {
        let score = self.stored(score);
        let Some(old) = self.scores.get_mut(m) else {
            return false;
        };
        if *old != score {
            let at = std::mem::replace(old, score);
            let (_, member) = self
                .order
                .remove_by(against(at, m))
                .expect("every member is in the order");
            self.order.insert((Score(score), member));
        }
        true
    }
    /// Remove a member; its score if it was there.
    pub fn remove(&mut self, m: &[u8]) -> Option<f64> {
        let (_, s) = self.scores.swap_remove_entry(m)?;
        self.mem -= 2 * key_cost(m.len());
        self.order
            .remove_by(against(s, m))
            .expect("every member is in the order");
        Some(s)
    }
    /// Remove and return the lowest (or, with `max`, highest) entry.
    pub fn pop(&mut self, max: bool) -> Option<(CompactBytes, f64)> {
        let (s, m) = if max {
            self.order.pop_last()?
        } else {
            self.order.pop_first()?
        };
        self.scores.swap_remove_entry(&m);
        self.mem -= 2 * key_cost(m.len());
        Some((m, s.0))
    }
}

#[cfg(test)]
mod tests {
    use super::super::alloc_cost;
    use super::*;

    fn z(items: &[(f64, &str)]) -> ZSetValue {
        let mut z = ZSetValue::new();
        for (s, m) in items {
            z.insert(m.as_bytes(), *s);
        }
        z
    }
    fn names(it: Entries<'_>) -> Vec<String> {
        it.map(|(m, _)| String::from_utf8_lossy(m).into_owned())
            .collect()
    }

    /// Long members are charged by length, so popping, removing or updating them in
    /// the set or in a copy of it gives back exactly what inserting took.
    #[test]
    fn long_members_return_their_memory() {
        let long = |i: u8| [b'a' + i; 33];
        let mut z = ZSetValue::new();
        for i in 0..4 {
            z.insert(&long(i), i as f64);
        }
        z.insert(b"short", 9.0);
        assert_eq!(z.mem, 8 * alloc_cost(33));
        let mut copy = z.clone();
        for zs in [&mut z, &mut copy] {
            assert!(!zs.insert(&long(0), 7.5));
            assert_eq!(zs.pop(false).map(|(m, _)| m.len()), Some(33));
            assert_eq!(zs.remove(&long(2)), Some(2.0));
            assert!(zs.set_score(&long(3), -1.0));
            assert_eq!(zs.pop(false).map(|(m, s)| (m.len(), s)), Some((33, -1.0)));
            assert_eq!(zs.pop(true).map(|(m, _)| m.len()), Some(5));
            assert_eq!(zs.pop(true).map(|(m, s)| (m.len(), s)), Some((33, 7.5)));
            assert_eq!(zs.mem, 0);
        }
    }

    #[test]
    fn ranks_and_score_ranges() {
        let zs = z(&[(1.0, "a"), (2.0, "b"), (2.0, "c"), (3.0, "d")]);
        assert_eq!(zs.rank(b"c"), Some(2));
        assert_eq!(zs.rank(b"x"), None);
        let r = ScoreRange {
            min: 1.0,
            minex: true,
            max: 3.0,
            maxex: false,
        };
        assert_eq!(names(zs.by_score(&r, false)), ["b", "c", "d"]);
        assert_eq!(names(zs.by_score(&r, true)), ["d", "c", "b"]);
        assert_eq!(names(zs.by_rank(1, 2, true)), ["c", "b"]);
    }

    #[test]
    fn lex_ranges_seek_or_walk() {
        let zs = z(&[(0.0, "a"), (0.0, "b"), (0.0, "c")]);
        let r = LexRange {
            min: LexBound::Excl(b"a"),
            max: LexBound::Max,
        };
        assert_eq!(names(zs.by_lex(&r, false)), ["b", "c"]);
        assert_eq!(names(zs.by_lex(&r, true)), ["c", "b"]);
        let mixed = z(&[(0.0, "a"), (1.0, "b"), (2.0, "c")]);
        assert_eq!(names(mixed.by_lex(&r, false)), ["b", "c"]);
    }
}
