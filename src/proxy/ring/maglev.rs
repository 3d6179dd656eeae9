//! Maglev hashing (Eisenbud et al., NSDI 2016): a prime-sized lookup table filled from
//! per-server permutations.
//!
//! Chosen for its O(1) lookup (one table read) and near-perfect balance; on a topology change a
//! little more than the minimal share of keys moves (the paper's trade-off).
//!
//! Weights are honored by fill turns: in each round server `i` claims `weight_i / g` entries
//! (`g` = gcd of all live weights) before the next server's turn, so shares are proportional up
//! to one round's granularity. Permutations come from the MD5 of the server's label, so the
//! table is the same on every proxy, build and platform.

use super::hash::md5_digest;

/// Table size: prime, so every `skip` in `1..M` visits every slot; 65537 gives < 0.01%
/// imbalance for up to hundreds of servers at 4 bytes per entry (256 KiB).
pub const TABLE_SIZE: u32 = 65_537;

/// The filled lookup table.
#[derive(Debug, Clone)]
pub struct Maglev {
    table: Vec<u32>,
}

/// A live server as Maglev sees it.
#[derive(Debug, Clone, Copy)]
pub struct Backend<'a> {
    /// Index in the configured server list; what lookups return.
    pub index: usize,
    /// Ring label; seeds the server's permutation.
    pub label: &'a [u8],
    /// Fill turns per round (relative share).
    pub weight: u32,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Maglev {
    /// Fills the table from the live backends (non-empty, weights >= 1) in config order.
    pub fn new(backends: &[Backend<'_>]) -> Maglev {
        let m = u64::from(TABLE_SIZE);
        let g = backends.iter().fold(0, |g, b| gcd(g, b.weight));
        let perms: Vec<(u64, u64, u32)> = backends
            .iter()
            .map(|b| {
                let d = md5_digest(b.label);
                let h1 = u64::from_le_bytes(d[0..8].try_into().expect("8 bytes"));
                let h2 = u64::from_le_bytes(d[8..16].try_into().expect("8 bytes"));
                (h1 % m, h2 % (m - 1) + 1, b.weight / g)
            })
            .collect();
        let mut next = vec![0u64; backends.len()];
        let mut table = vec![u32::MAX; TABLE_SIZE as usize];
        let mut filled = 0u32;
        'fill: loop {
            for (i, &(offset, skip, turns)) in perms.iter().enumerate() {
                for _ in 0..turns {
                    let mut c = (offset + next[i] * skip) % m;
                    while table[c as usize] != u32::MAX {
                        next[i] += 1;
                        c = (offset + next[i] * skip) % m;
                    }
                    table[c as usize] = backends[i].index as u32;
                    next[i] += 1;
                    filled += 1;
                    if filled == TABLE_SIZE {
                        break 'fill;
                    }
                }
            }
        }
        Maglev { table }
    }

    /// The server owning a key whose (pre-mixed) hash is `hash`: one table read.
    #[inline]
    pub fn dispatch(&self, hash: u64) -> usize {
        self.table[(hash % u64::from(TABLE_SIZE)) as usize] as usize
    }

    /// Entries owned by each config index (`len` = number of configured servers); for tests.
    pub fn shares(&self, len: usize) -> Vec<u32> {
        let mut s = vec![0u32; len];
        for &e in &self.table {
            s[e as usize] += 1;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backends<'a>(labels: &'a [String], weights: &[u32]) -> Vec<Backend<'a>> {
        labels
            .iter()
            .zip(weights)
            .enumerate()
            .map(|(index, (l, &weight))| Backend {
                index,
                label: l.as_bytes(),
                weight,
            })
            .collect()
    }

    #[test]
    fn equal_weights_fill_equal_shares() {
        let labels: Vec<String> = (1..=4).map(|i| format!("server{i}")).collect();
        let m = Maglev::new(&backends(&labels, &[1; 4]));
        // 65537 = 4 * 16384 + 1: the first server in fill order gets the odd entry.
        assert_eq!(m.shares(4), [16385, 16384, 16384, 16384]);
    }

    #[test]
    fn weights_are_honored_by_turns() {
        let labels: Vec<String> = (1..=3).map(|i| format!("server{i}")).collect();
        let m = Maglev::new(&backends(&labels, &[2, 4, 2]));
        let s = m.shares(3);
        assert_eq!(s.iter().sum::<u32>(), TABLE_SIZE);
        // 1:2:1 turns per round -> 16384.25 : 32768.5 : 16384.25, cut mid-round.
        assert!(
            s[0].abs_diff(16384) <= 2 && s[2].abs_diff(16384) <= 2,
            "{s:?}"
        );
        assert!(s[1].abs_diff(32768) <= 2, "{s:?}");
    }
}
