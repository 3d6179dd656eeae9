//! The eviction policy names, spelled as Redis spells them.
//!
//! Kept as a closed enum so the node's eviction code can `match` on it exhaustively, while the
//! config file, `CONFIG SET maxmemory-policy` and `CONFIG GET` all see Redis's own strings.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::Deserialize;

/// What a node does when a write would take it past `maxmemory` (Redis's `maxmemory-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EvictionPolicy {
    /// Refuse writes with `-OOM` once full; never delete data on its own.
    #[default]
    NoEviction,
    /// Evict the least recently used key among all keys.
    AllKeysLru,
    /// Evict the least frequently used key among all keys.
    AllKeysLfu,
    /// Evict a random key among all keys.
    AllKeysRandom,
    /// Evict the least recently used key among keys with a TTL.
    VolatileLru,
    /// Evict the least frequently used key among keys with a TTL.
    VolatileLfu,
    /// Evict a random key among keys with a TTL.
    VolatileRandom,
    /// Evict the key with the nearest expiry among keys with a TTL.
    VolatileTtl,
}

impl EvictionPolicy {
    /// Every policy, in the order Redis documents them.
    pub const ALL: [EvictionPolicy; 8] = [
        EvictionPolicy::NoEviction,
        EvictionPolicy::AllKeysLru,
        EvictionPolicy::AllKeysLfu,
        EvictionPolicy::AllKeysRandom,
        EvictionPolicy::VolatileLru,
        EvictionPolicy::VolatileLfu,
        EvictionPolicy::VolatileRandom,
        EvictionPolicy::VolatileTtl,
    ];

    /// The Redis name, as `CONFIG GET maxmemory-policy` replies it.
    pub fn as_str(self) -> &'static str {
        match self {
            EvictionPolicy::NoEviction => "noeviction",
            EvictionPolicy::AllKeysLru => "allkeys-lru",
            EvictionPolicy::AllKeysLfu => "allkeys-lfu",
            EvictionPolicy::AllKeysRandom => "allkeys-random",
            EvictionPolicy::VolatileLru => "volatile-lru",
            EvictionPolicy::VolatileLfu => "volatile-lfu",
            EvictionPolicy::VolatileRandom => "volatile-random",
            EvictionPolicy::VolatileTtl => "volatile-ttl",
        }
    }
}

/// The error for a name that is not one of the eight policies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown maxmemory_policy \"{0}\", expected one of: noeviction, allkeys-lru, allkeys-lfu, \
     allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl"
)]
pub struct UnknownPolicy(pub String);

/// Case-insensitive, like Redis's config enums.
impl FromStr for EvictionPolicy {
    type Err = UnknownPolicy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EvictionPolicy::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownPolicy(s.to_string()))
    }
}

impl fmt::Display for EvictionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EvictionPolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in EvictionPolicy::ALL {
            assert_eq!(p.as_str().parse::<EvictionPolicy>(), Ok(p));
            assert_eq!(p.to_string(), p.as_str());
        }
        assert_eq!(
            "AllKeys-LRU".parse::<EvictionPolicy>(),
            Ok(EvictionPolicy::AllKeysLru)
        );
        assert_eq!(EvictionPolicy::default(), EvictionPolicy::NoEviction);
    }

    #[test]
    fn unknown_name_lists_the_valid_ones() {
        assert_eq!(
            "lru".parse::<EvictionPolicy>().unwrap_err().to_string(),
            "unknown maxmemory_policy \"lru\", expected one of: noeviction, allkeys-lru, \
             allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl"
        );
    }
}
