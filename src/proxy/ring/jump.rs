//! Jump Consistent Hash (Lamping & Veach, 2014) over weighted buckets.
//!
//! Chosen for pools that do not need twemproxy compatibility: no memory beyond a bucket map,
//! near-perfect balance, and when a server is appended only `w_new / W` of the keys move, all of
//! them to the new server.
//!
//! Weights: each configured server owns `weight` consecutive buckets, in config order, so its
//! share is `weight / total_weight`. Growth is minimal only when servers are appended at the end
//! (jump can only add or drop its *last* buckets); reordering or removing a middle server from
//! the config remaps keys of the servers after it.
//!
//! Ejection: buckets of ejected servers stay in place; a key that lands on one is jumped again
//! with a re-mixed key (bounded retries, then a deterministic pick among live servers), so only
//! the ejected server's keys move and they come back when it does.

/// How many times a key is re-jumped off ejected servers before the deterministic fallback.
const MAX_REJUMPS: u32 = 32;

/// The classic jump hash: a bucket in `0..buckets` for `key`; `buckets` must be >= 1.
#[inline]
pub fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    let mut b: i64 = -1;
    let mut j: i64 = 0;
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b as u32
}

/// splitmix64's finalizer: spreads a 32-bit key hash over 64 bits before jumping, so weak key
/// hashes (e.g. `crc32`'s 15 bits are not helped, but short-key FNV is) still balance.
#[inline]
pub fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Bucket map plus liveness; see the module doc for how weights and ejection behave.
#[derive(Debug, Clone)]
pub struct Jump {
    /// bucket -> config index.
    buckets: Vec<u32>,
    /// config index -> live?
    live: Vec<bool>,
    /// config indexes of live servers (fallback pick).
    live_list: Vec<u32>,
}

impl Jump {
    /// `weights[i]` and `live[i]` for every configured server; weights >= 1, at least one live.
    pub fn new(weights: &[u32], live: &[bool]) -> Jump {
        let mut buckets = Vec::new();
        for (i, &w) in weights.iter().enumerate() {
            buckets.extend(std::iter::repeat_n(i as u32, w as usize));
        }
        let live_list = (0..live.len() as u32)
            .filter(|&i| live[i as usize])
            .collect();
        Jump {
            buckets,
            live: live.to_vec(),
            live_list,
        }
    }

    /// The live server owning a key whose hash is `hash`.
    #[inline]
    pub fn dispatch(&self, hash: u32) -> usize {
        let n = self.buckets.len() as u32;
        let mut key = mix64(u64::from(hash));
        for _ in 0..=MAX_REJUMPS {
            let s = self.buckets[jump_hash(key, n) as usize];
            if self.live[s as usize] {
                return s as usize;
            }
            key = mix64(key);
        }
        self.live_list[(key % self.live_list.len() as u64) as usize] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of the paper's reference code (the same vectors other ports test against).
    #[test]
    fn jump_hash_reference_values() {
        assert_eq!(jump_hash(1, 1), 0);
        assert_eq!(jump_hash(42, 57), 43);
        assert_eq!(jump_hash(0xDEAD_10CC, 666), 361);
        assert_eq!(jump_hash(256, 1024), 520);
        assert_eq!(jump_hash(u64::MAX, 100), 92);
        assert_eq!(jump_hash(0, 1), 0);
        assert_eq!(jump_hash(0, 100), 0);
        for k in 0..1000u64 {
            let b = jump_hash(k, 10);
            assert!(b < 10);
            // Growing from 10 to 11 buckets either keeps a key or moves it to the new bucket.
            let b2 = jump_hash(k, 11);
            assert!(b2 == b || b2 == 10, "key {k}: {b} -> {b2}");
        }
    }

    #[test]
    fn weights_expand_to_buckets_and_ejected_servers_are_skipped() {
        let j = Jump::new(&[1, 2, 1], &[true, false, true]);
        assert_eq!(j.buckets, [0, 1, 1, 2]);
        for h in 0..10_000u32 {
            assert_ne!(j.dispatch(h), 1);
        }
        let all = Jump::new(&[1, 2, 1], &[true; 3]);
        for h in 0..10_000u32 {
            let a = all.dispatch(h);
            if a != 1 {
                assert_eq!(j.dispatch(h), a, "only the ejected server's keys move");
            }
        }
    }
}
