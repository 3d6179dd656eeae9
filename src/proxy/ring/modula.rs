//! twemproxy's `modula` distribution (`nc_modula.c`): `hash % total_weight` over weight slots.
//!
//! Kept for users migrating pools that used it; it reshuffles almost every key when the server
//! list changes, so new deployments should prefer ketama, jump or maglev.

/// One slot per unit of weight per live server, in config order, as twemproxy lays them out.
#[derive(Debug, Clone)]
pub struct Modula {
    slots: Vec<u32>,
}

impl Modula {
    /// `live` holds `(config index, weight)` of each live server in config order; non-empty,
    /// weights >= 1.
    pub fn new(live: &[(usize, u32)]) -> Modula {
        let mut slots = Vec::new();
        for &(index, weight) in live {
            slots.extend(std::iter::repeat_n(index as u32, weight as usize));
        }
        Modula { slots }
    }

    /// The server owning `hash`: slot `hash % total_weight`.
    #[inline]
    pub fn dispatch(&self, hash: u32) -> usize {
        self.slots[(hash % self.slots.len() as u32) as usize] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_weights_in_config_order() {
        // server 1 is ejected by the caller and so absent.
        let m = Modula::new(&[(0, 1), (2, 2), (3, 1)]);
        let got: Vec<usize> = (0..8).map(|h| m.dispatch(h)).collect();
        assert_eq!(got, [0, 2, 2, 3, 0, 2, 2, 3]);
        assert_eq!(m.dispatch(u32::MAX), 3); // u32::MAX % 4 == 3
    }
}
