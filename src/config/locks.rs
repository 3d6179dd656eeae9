//! The proxy's `[locks]` section: which keys are Redlock locks and how the quorum behaves.
//!
//! A lock key is not hashed to one backend like a cache key: it is written to a group of
//! independent backends and held only if a majority agree, so a single backend's crash cannot
//! hand the same lock to two clients. These settings are the knobs of that algorithm, named as in
//! the Redlock description (drift factor, retry delay) so they can be checked against it.

use serde::Deserialize;

use super::servers::{find_server, ServerSpec};
use super::ValidationError;

/// Redlock settings of `ringcache proxy` (the `[locks]` table).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockConfig {
    /// Keys starting with any of these prefixes are locks; an empty list turns locking off.
    pub key_prefixes: Vec<String>,
    /// The quorum group, each entry a server's name, `host:port`, or whole `servers` entry;
    /// `None` means every server.
    pub servers: Option<Vec<String>>,
    /// How long to wait for one backend's answer while acquiring, in milliseconds.
    pub node_timeout: u64,
    /// Fraction of the TTL assumed lost to clock drift (Redlock's `CLOCK_DRIFT_FACTOR`).
    pub drift_factor: f64,
    /// Longest TTL a client may ask for, in milliseconds.
    pub max_ttl: u64,
    /// Attempts LOCK.ACQUIRE (without WAIT) makes when no quorum was reached.
    pub retry_count: u32,
    /// Upper bound of the random delay between attempts, in milliseconds.
    pub retry_delay_max: u64,
    /// How long a lock backend that restarted (or was unreachable) stays out of lock quorums,
    /// so locks it forgot have expired first; `None` means `max_ttl`.
    pub restart_quarantine: Option<u64>,
}

impl Default for LockConfig {
    fn default() -> Self {
        LockConfig {
            key_prefixes: vec!["lock:".to_string()],
            servers: None,
            node_timeout: 50,
            drift_factor: 0.01,
            max_ttl: 60_000,
            retry_count: 3,
            retry_delay_max: 200,
            restart_quarantine: None,
        }
    }
}

impl LockConfig {
    /// The quarantine after restart, in milliseconds, with the `max_ttl` fallback applied.
    pub fn restart_quarantine_ms(&self) -> u64 {
        self.restart_quarantine.unwrap_or(self.max_ttl)
    }

    /// Checks the section against the proxy's parsed `servers` (`list` as written).
    pub(crate) fn check(
        &self,
        specs: &[ServerSpec],
        list: &[String],
    ) -> Result<(), ValidationError> {
        for prefix in &self.key_prefixes {
            if prefix.is_empty() {
                return Err(ValidationError::item(
                    "locks.key_prefixes",
                    "",
                    "must not contain an empty prefix (it would make every key a lock)",
                ));
            }
        }
        if let Some(group) = &self.servers {
            if group.is_empty() {
                return Err(ValidationError::new(
                    "locks.servers",
                    "must name at least one server (remove the key to use all servers)",
                ));
            }
            let mut seen: Vec<&ServerSpec> = Vec::new();
            for reference in group {
                let Some(spec) = find_server(specs, list, reference) else {
                    return Err(ValidationError::item(
                        "locks.servers",
                        reference,
                        format!(
                            "\"{reference}\" is not one of `servers` (use its name or host:port)"
                        ),
                    ));
                };
                if seen.contains(&spec) {
                    return Err(ValidationError::item(
                        "locks.servers",
                        reference,
                        format!("\"{reference}\" names a server already in the group"),
                    ));
                }
                seen.push(spec);
            }
        }
        if self.max_ttl == 0 {
            return Err(ValidationError::new(
                "locks.max_ttl",
                "must be at least 1 ms",
            ));
        }
        if self.node_timeout == 0 || self.node_timeout >= self.max_ttl {
            return Err(ValidationError::new(
                "locks.node_timeout",
                format!(
                    "must be between 1 and max_ttl ({} ms), exclusive of max_ttl",
                    self.max_ttl
                ),
            ));
        }
        if !(0.0..0.5).contains(&self.drift_factor) {
            return Err(ValidationError::new(
                "locks.drift_factor",
                format!("must be in [0, 0.5), got {}", self.drift_factor),
            ));
        }
        Ok(())
    }
}
