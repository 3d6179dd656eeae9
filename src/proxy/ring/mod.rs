//! Key placement: which backend owns a key.
//!
//! The router asks one question per key, [`Ring::server_for`], so everything that decides the
//! answer lives here behind one small facade: the twemproxy-compatible hashes ([`hash`]) and
//! distributions ([`ketama`], [`modula`], [`random`]), plus two newer ones without a
//! compatibility burden ([`jump`], [`maglev`]). A `Ring` is immutable; a topology change
//! (ejection, reload) builds a new one and swaps it in.

pub mod hash;
pub mod jump;
pub mod ketama;
pub mod maglev;
pub mod modula;
pub mod random;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

pub use hash::KeyHash;

/// Why a ring cannot be built; all are configuration mistakes, reported before any socket opens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RingError {
    /// An empty `servers` list has nowhere to put keys.
    #[error("no servers configured")]
    NoServers,
    /// Every server is ejected; the proxy must answer errors instead of routing.
    #[error("no live servers: all {0} servers are ejected")]
    NoLiveServers(usize),
    /// `live` must have one flag per server, or indexes would be ambiguous.
    #[error("{live} liveness flags given for {servers} servers")]
    LiveMismatch {
        /// Number of flags passed.
        live: usize,
        /// Number of servers passed.
        servers: usize,
    },
    /// Weight 0 would give a server no share (twemproxy rejects it too).
    #[error("server {0:?}: weight must be at least 1")]
    ZeroWeight(String),
    /// Two servers with one label would share ring points; the second would be unreachable.
    #[error("duplicate server label {0:?}")]
    DuplicateLabel(String),
    /// A `hash:` name twemproxy does not know.
    #[error("unknown hash {given:?}; valid names: {valid}")]
    UnknownHash {
        /// The name as given.
        given: String,
        /// Comma-separated valid names.
        valid: String,
    },
    /// A `distribution:` name we do not know.
    #[error("unknown distribution {0:?}; valid names: ketama, modula, random, jump, maglev")]
    UnknownDistribution(String),
}

pub use crate::config::ServerSpec;

/// How keys map onto servers; names match twemproxy's `distribution:` (plus two of ours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Distribution {
    /// twemproxy-compatible consistent hashing; the default, so migrations keep their cache.
    Ketama,
    /// `hash % total_weight`; twemproxy-compatible, reshuffles on any change.
    Modula,
    /// A random live server per request; twemproxy-compatible, for replicated read pools.
    Random,
    /// Jump consistent hash: tiny, balanced, minimal movement when servers are appended.
    Jump,
    /// Maglev table: one-read lookup, balanced, near-minimal movement.
    Maglev,
}

impl Distribution {
    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Ketama => "ketama",
            Distribution::Modula => "modula",
            Distribution::Random => "random",
            Distribution::Jump => "jump",
            Distribution::Maglev => "maglev",
        }
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Distribution {
    type Err = RingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "ketama" => Distribution::Ketama,
            "modula" => Distribution::Modula,
            "random" => Distribution::Random,
            "jump" => Distribution::Jump,
            "maglev" => Distribution::Maglev,
            _ => return Err(RingError::UnknownDistribution(s.to_owned())),
        })
    }
}

/// The part of `key` that is hashed, by twemproxy's rule: the text between the first `tag[0]`
/// and the first `tag[1]` after it, if non-empty; otherwise the whole key. Lets related keys
/// (`{user1000}.following`, `{user1000}.followers`) share a server.
#[inline]
pub fn hash_tag_slice(key: &[u8], tag: Option<[u8; 2]>) -> &[u8] {
    let Some([open, close]) = tag else {
        return key;
    };
    let Some(start) = key.iter().position(|&b| b == open) else {
        return key;
    };
    let rest = &key[start + 1..];
    match rest.iter().position(|&b| b == close) {
        Some(end) if end > 0 => &rest[..end],
        _ => key,
    }
}

#[derive(Debug, Clone)]
enum Placement {
    Single(usize),
    Ketama(ketama::Continuum),
    Modula(modula::Modula),
    Random(random::RandomPick),
    Jump(jump::Jump),
    Maglev(maglev::Maglev),
}

/// An immutable key -> server map for one topology (server list + liveness).
#[derive(Debug, Clone)]
pub struct Ring {
    hash: KeyHash,
    hash_tag: Option<[u8; 2]>,
    placement: Placement,
}

impl Ring {
    /// Builds the map. `live[i]` false = ejected server i (left out exactly as twemproxy does:
    /// not counted in the server count nor the weight total).
    pub fn new(
        dist: Distribution,
        hash: KeyHash,
        hash_tag: Option<[u8; 2]>,
        servers: &[ServerSpec],
        live: &[bool],
    ) -> Result<Ring, RingError> {
        if servers.is_empty() {
            return Err(RingError::NoServers);
        }
        if live.len() != servers.len() {
            return Err(RingError::LiveMismatch {
                live: live.len(),
                servers: servers.len(),
            });
        }
        let labels: Vec<String> = servers.iter().map(ServerSpec::label).collect();
        let mut seen = HashSet::new();
        for (s, l) in servers.iter().zip(&labels) {
            if s.weight == 0 {
                return Err(RingError::ZeroWeight(l.clone()));
            }
            if !seen.insert(l.as_str()) {
                return Err(RingError::DuplicateLabel(l.clone()));
            }
        }
        let live_idx: Vec<usize> = (0..servers.len()).filter(|&i| live[i]).collect();
        if live_idx.is_empty() {
            return Err(RingError::NoLiveServers(servers.len()));
        }
        let placement = if live_idx.len() == 1 {
            Placement::Single(live_idx[0])
        } else {
            match dist {
                Distribution::Ketama => {
                    let members: Vec<ketama::Member<'_>> = live_idx
                        .iter()
                        .map(|&i| ketama::Member {
                            index: i,
                            label: labels[i].as_bytes(),
                            weight: servers[i].weight,
                        })
                        .collect();
                    Placement::Ketama(ketama::Continuum::new(&members))
                }
                Distribution::Modula => {
                    let lw: Vec<(usize, u32)> =
                        live_idx.iter().map(|&i| (i, servers[i].weight)).collect();
                    Placement::Modula(modula::Modula::new(&lw))
                }
                Distribution::Random => Placement::Random(random::RandomPick::new(&live_idx)),
                Distribution::Jump => {
                    let weights: Vec<u32> = servers.iter().map(|s| s.weight).collect();
                    Placement::Jump(jump::Jump::new(&weights, live))
                }
                Distribution::Maglev => {
                    let backends: Vec<maglev::Backend<'_>> = live_idx
                        .iter()
                        .map(|&i| maglev::Backend {
                            index: i,
                            label: labels[i].as_bytes(),
                            weight: servers[i].weight,
                        })
                        .collect();
                    Placement::Maglev(maglev::Maglev::new(&backends))
                }
            }
        };
        Ok(Ring {
            hash,
            hash_tag,
            placement,
        })
    }

    /// Index into `servers` owning `key` (after hash-tag extraction). Hot path: no allocation.
    #[inline]
    pub fn server_for(&self, key: &[u8]) -> usize {
        let h = || {
            let k = hash_tag_slice(key, self.hash_tag);
            // twemproxy's server_pool_hash: an empty key hashes to 0 whatever the hash.
            if k.is_empty() {
                0
            } else {
                self.hash.hash(k)
            }
        };
        match &self.placement {
            Placement::Single(i) => *i,
            Placement::Ketama(c) => c.dispatch(h()),
            Placement::Modula(m) => m.dispatch(h()),
            Placement::Random(r) => r.dispatch(),
            Placement::Jump(j) => j.dispatch(h()),
            Placement::Maglev(m) => m.dispatch(jump::mix64(u64::from(h()))),
        }
    }

    /// The key hash in use (for diagnostics and config round-trips).
    pub fn key_hash(&self) -> KeyHash {
        self.hash
    }
}
