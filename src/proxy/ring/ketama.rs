//! twemproxy 0.5's ketama continuum (`nc_ketama.c`), reproduced point for point.
//!
//! A user switching from twemproxy keeps their hit rate only if the continuum is identical, so
//! the point count uses the same `f32` arithmetic (hence 156 instead of 160 points for some
//! server counts), point values are MD5 of `label-i`, the sort keeps config order on ties, and
//! lookup is the same lower-bound binary search with wrap-around.

use super::hash::md5_digest;

/// Points per server at equal weights (40 MD5 digests x 4 points); twemproxy's constant.
pub const POINTS_PER_SERVER: u32 = 160;
/// Points taken from each MD5 digest (one per 4-byte word).
pub const POINTS_PER_HASH: u32 = 4;
/// twemproxy formats `label-i` into a fixed buffer; longer text is cut to this many bytes.
/// Some upstream revisions use an 86-byte buffer; nutcracker 0.5 (Debian) cuts at 272, which
/// `integration/nutcracker_placement.py` confirms with 301-byte names (both cut to the same
/// text, so the later server's points tie and lose, and it owns no keys, there as here).
pub const MAX_LABEL_BYTES: usize = 272;

/// One point on the ring: the 32-bit value and the index (into the caller's server list) of the
/// server that owns the arc ending at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Position on the 32-bit circle.
    pub value: u32,
    /// Index of the owning server in the configured list (not among live servers).
    pub server: u32,
}

/// A live server as the continuum sees it: where it sits in the config, its ring label, weight.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// Index in the configured server list; what lookups return.
    pub index: usize,
    /// The label whose MD5s place the server's points (see `ServerSpec::label`).
    pub label: &'a [u8],
    /// Relative capacity; twemproxy allots points proportionally, rounded down to groups of 4.
    pub weight: u32,
}

/// Number of points twemproxy gives a server, in its exact `f32` arithmetic:
/// `floorf((float)(pct * 160 / 4 * (float)nlive + 1e-10)) * 4`, `pct = weight / total` in `f32`.
/// The `+ 1e-10` is a `double` addition, so the `f32` product is widened, nudged and narrowed back.
pub fn points_for(weight: u32, total_weight: u32, nlive: u32) -> u32 {
    let pct = weight as f32 / total_weight as f32;
    let x = pct * POINTS_PER_SERVER as f32 / POINTS_PER_HASH as f32 * nlive as f32;
    let groups = ((x as f64 + 0.000_000_000_1) as f32).floor();
    groups as u32 * POINTS_PER_HASH
}

/// The four point values of group `group` of `label`: MD5 of `label-group` (decimal, no NUL,
/// cut to [`MAX_LABEL_BYTES`]) read as four little-endian `u32`s.
pub fn group_points(label: &[u8], group: u32) -> [u32; 4] {
    let mut buf = Vec::with_capacity(label.len() + 11);
    buf.extend_from_slice(label);
    buf.push(b'-');
    buf.extend_from_slice(group.to_string().as_bytes());
    buf.truncate(MAX_LABEL_BYTES);
    let d = md5_digest(&buf);
    std::array::from_fn(|a| {
        u32::from_le_bytes([d[4 * a], d[4 * a + 1], d[4 * a + 2], d[4 * a + 3]])
    })
}

/// The sorted ring of points; built once per topology change, read on every request.
#[derive(Debug, Clone)]
pub struct Continuum {
    points: Vec<Point>,
}

impl Continuum {
    /// Builds the ring from the live members in config order. `members` must be non-empty with
    /// non-zero weights (the facade validates that).
    pub fn new(members: &[Member<'_>]) -> Continuum {
        let nlive = members.len() as u32;
        let total: u32 = members.iter().map(|m| m.weight).sum();
        let mut points = Vec::new();
        for m in members {
            let groups = points_for(m.weight, total, nlive) / POINTS_PER_HASH;
            for g in 0..groups {
                for value in group_points(m.label, g) {
                    points.push(Point {
                        value,
                        server: m.index as u32,
                    });
                }
            }
        }
        // Stable: equal values stay in config order, as glibc's merge-sort qsort leaves them.
        points.sort_by_key(|p| p.value);
        Continuum { points }
    }

    /// All points, ascending; exposed for tests and diagnostics.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The server owning `hash`: the first point with value >= `hash`, wrapping past the end.
    #[inline]
    pub fn dispatch(&self, hash: u32) -> usize {
        let i = self.points.partition_point(|p| p.value < hash);
        let p = self.points.get(i).unwrap_or(&self.points[0]);
        p.server as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_points_of_server1_8() {
        let p = group_points(b"server1", 8);
        assert_eq!(p[0], 3_853_726_576);
        assert_eq!(p[3], 2_667_054_752);
    }

    #[test]
    fn point_counts_match_twemproxy_f32_arithmetic() {
        assert_eq!(points_for(1, 4, 4), 160);
        assert_eq!(points_for(1, 25, 25), 156);
        assert_eq!(points_for(1, 3, 2), 104);
        assert_eq!(points_for(2, 3, 2), 212);
        for n in [47, 50, 55, 61, 71, 94, 100] {
            assert_eq!(points_for(1, n, n), 156, "n = {n}");
        }
        for n in [1, 2, 3, 5, 10, 16, 24, 26, 48] {
            assert_eq!(points_for(1, n, n), 160, "n = {n}");
        }
    }

    #[test]
    fn continuum_has_all_points_sorted_and_wraps() {
        let labels: Vec<String> = (1..=4).map(|i| format!("server{i}")).collect();
        let members: Vec<Member<'_>> = labels
            .iter()
            .enumerate()
            .map(|(index, l)| Member {
                index,
                label: l.as_bytes(),
                weight: 1,
            })
            .collect();
        let c = Continuum::new(&members);
        assert_eq!(c.points().len(), 640);
        assert!(c.points().windows(2).all(|w| w[0].value <= w[1].value));
        let first = c.points()[0];
        let last = *c.points().last().unwrap();
        assert_eq!(c.dispatch(0), first.server as usize);
        assert_eq!(c.dispatch(last.value), last.server as usize);
        assert_eq!(c.dispatch(u32::MAX), first.server as usize);
    }

    #[test]
    fn long_labels_are_cut() {
        let long = vec![b'x'; 400];
        assert_eq!(group_points(&long, 1), group_points(&long, 2));
        assert_ne!(group_points(&long[..260], 1), group_points(&long[..260], 2));
    }
}
