//! twemproxy's `random` distribution (`nc_random.c`): every request goes to a uniformly random
//! live server.
//!
//! twemproxy 0.5 builds one slot per *live server* and picks `random() % nlive`, so weights are
//! ignored (KETAMA.md says `% total_weight`; the C code, which nutcracker runs, says otherwise and
//! wins). Only useful for read-only replicas of the same data, where any server will do.

use rand::Rng;

/// The live servers to choose among, in config order.
#[derive(Debug, Clone)]
pub struct RandomPick {
    live: Vec<u32>,
}

impl RandomPick {
    /// `live` holds the config indexes of the live servers; non-empty.
    pub fn new(live: &[usize]) -> RandomPick {
        RandomPick {
            live: live.iter().map(|&i| i as u32).collect(),
        }
    }

    /// A uniformly random live server (thread-local RNG: no lock, no allocation).
    #[inline]
    pub fn dispatch(&self) -> usize {
        let i = rand::rng().random_range(0..self.live.len());
        self.live[i] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_only_live_servers_roughly_uniformly() {
        let r = RandomPick::new(&[1, 3]);
        let mut seen = [0u32; 4];
        for _ in 0..10_000 {
            seen[r.dispatch()] += 1;
        }
        assert_eq!(seen[0] + seen[2], 0);
        assert!(seen[1] > 4_000 && seen[3] > 4_000, "{seen:?}");
    }
}
