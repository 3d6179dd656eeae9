//! The proxy's settings, named and defaulted as in twemproxy's `nutcracker.yml`.
//!
//! Keys that exist in twemproxy keep its name, unit (milliseconds) and default, so a pool
//! definition reads the same in both and [`super::from_nutcracker_yaml`] is a plain copy.
//! `hash` and `distribution` stay strings here: the `ring` module owns their implementations and
//! parses them; this module only guarantees they name one that exists.

use serde::Deserialize;

use super::servers::{check_servers, ServerSpec};
use super::{check_addr, check_password, Kind, LockConfig, Validate, ValidationError};

/// twemproxy's hash functions, all of which the ring implements.
pub const HASHES: [&str; 12] = [
    "one_at_a_time",
    "md5",
    "crc16",
    "crc32",
    "crc32a",
    "fnv1_32",
    "fnv1a_32",
    "fnv1_64",
    "fnv1a_64",
    "hsieh",
    "jenkins",
    "murmur",
];

/// Key distributions: twemproxy's three plus jump and maglev hashing.
pub const DISTRIBUTIONS: [&str; 5] = ["ketama", "modula", "random", "jump", "maglev"];

/// Settings of `ringcache proxy`. Only `servers` is required; see `conf/proxy.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyConfig {
    /// Must be [`Kind::Proxy`]; present so `check-conf` knows the schema.
    pub role: Kind,
    /// Address the client-facing RESP listener binds to.
    pub listen: String,
    /// Backends, each `host:port:weight [name]`; see [`ProxyConfig::server_specs`].
    pub servers: Vec<String>,
    /// Hash function for keys, one of [`HASHES`].
    pub hash: String,
    /// How hashes map to servers, one of [`DISTRIBUTIONS`].
    pub distribution: String,
    /// Two characters such as `"{}"`: only the part of a key between them is hashed, so related
    /// keys land together. Empty means the whole key is hashed.
    pub hash_tag: String,
    /// Milliseconds to wait for a backend reply before failing the request.
    pub timeout: u64,
    /// Multiplexed connections kept to each backend.
    pub server_connections: u32,
    /// Open backend connections at startup instead of on first use (twemproxy's `preconnect`).
    pub preconnect: bool,
    /// Take a failing backend off the ring temporarily, rehashing its keys to the others.
    pub auto_eject_hosts: bool,
    /// Milliseconds an ejected backend stays off the ring before it is retried.
    pub server_retry_timeout: u64,
    /// Consecutive failures that eject a backend (when `auto_eject_hosts` is on).
    pub server_failure_limit: u32,
    /// Password clients must `AUTH` with at the proxy; `None` means no authentication.
    pub requirepass: Option<String>,
    /// Password the proxy sends to backends (`AUTH`) when connecting.
    pub backend_password: Option<String>,
    /// Connected clients beyond this many are refused.
    pub maxclients: u32,
    /// Event-loop threads. `1` (the default) is one loop, as twemproxy runs: on a
    /// shared box it costs the least CPU per request; `0` means one per core.
    pub threads: usize,
    /// Address of the Prometheus `/metrics` endpoint; `None` means no endpoint.
    pub metrics_listen: Option<String>,
    /// Distributed locks (Redlock).
    pub locks: LockConfig,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            role: Kind::Proxy,
            listen: "127.0.0.1:22121".to_string(),
            servers: Vec::new(),
            hash: "fnv1a_64".to_string(),
            distribution: "ketama".to_string(),
            hash_tag: String::new(),
            timeout: 1000,
            server_connections: 1,
            preconnect: false,
            auto_eject_hosts: false,
            server_retry_timeout: 30_000,
            server_failure_limit: 2,
            requirepass: None,
            backend_password: None,
            maxclients: 10_000,
            threads: 1,
            metrics_listen: None,
            locks: LockConfig::default(),
        }
    }
}

impl ProxyConfig {
    /// The parsed `servers`, in file order. Only meaningful after `validate()` passed; entries
    /// that do not parse are skipped.
    pub fn server_specs(&self) -> Vec<ServerSpec> {
        self.servers
            .iter()
            .filter_map(|s| ServerSpec::parse(s).ok())
            .collect()
    }

    /// Indexes (into `servers`) of the lock group: `[locks] servers`, or every server.
    /// Only meaningful after `validate()` passed.
    pub fn lock_group(&self) -> Vec<usize> {
        let specs = self.server_specs();
        match &self.locks.servers {
            None => (0..specs.len()).collect(),
            Some(group) => group
                .iter()
                .filter_map(|r| {
                    let hit = super::servers::find_server(&specs, &self.servers, r)?;
                    specs.iter().position(|s| s == hit)
                })
                .collect(),
        }
    }
}

impl Validate for ProxyConfig {
    fn validate(&self) -> Result<(), ValidationError> {
        Kind::Proxy.expect(self.role)?;
        let listen = check_addr("listen", &self.listen)?;
        let specs = check_servers("servers", &self.servers)?;
        check_ring("", &self.hash, &self.distribution, &self.hash_tag)?;
        check_timeout("timeout", self.timeout)?;
        check_connections("server_connections", self.server_connections)?;
        if self.auto_eject_hosts && self.server_failure_limit == 0 {
            return Err(ValidationError::new(
                "server_failure_limit",
                "must be at least 1 when auto_eject_hosts is true",
            ));
        }
        check_password("requirepass", &self.requirepass)?;
        check_password("backend_password", &self.backend_password)?;
        if self.maxclients == 0 {
            return Err(ValidationError::new("maxclients", "must be at least 1"));
        }
        if let Some(metrics) = &self.metrics_listen {
            if check_addr("metrics_listen", metrics)? == listen {
                return Err(ValidationError::new(
                    "metrics_listen",
                    format!("must differ from listen ({listen})"),
                ));
            }
        }
        self.locks.check(&specs, &self.servers)
    }
}

/// Checks `hash`, `distribution` and `hash_tag`, with keys under `table` (`""` or `"proxy"`).
pub(crate) fn check_ring(
    table: &str,
    hash: &str,
    distribution: &str,
    hash_tag: &str,
) -> Result<(), ValidationError> {
    let key = |k: &str| {
        if table.is_empty() {
            k.to_string()
        } else {
            format!("{table}.{k}")
        }
    };
    if !HASHES.contains(&hash) {
        return Err(ValidationError::new(
            key("hash"),
            format!(
                "unknown hash \"{hash}\", expected one of: {}",
                HASHES.join(", ")
            ),
        ));
    }
    if !DISTRIBUTIONS.contains(&distribution) {
        return Err(ValidationError::new(
            key("distribution"),
            format!(
                "unknown distribution \"{distribution}\", expected one of: {}",
                DISTRIBUTIONS.join(", ")
            ),
        ));
    }
    if !(hash_tag.is_empty() || (hash_tag.len() == 2 && hash_tag.is_ascii())) {
        return Err(ValidationError::new(
            key("hash_tag"),
            format!(
                "must be empty or exactly 2 ASCII characters like \"{{}}\", got \"{hash_tag}\""
            ),
        ));
    }
    Ok(())
}

/// A backend timeout of 0 would mean "fail everything" or "wait forever"; both are mistakes.
pub(crate) fn check_timeout(key: &str, ms: u64) -> Result<(), ValidationError> {
    if ms == 0 {
        return Err(ValidationError::new(key, "must be at least 1 ms"));
    }
    Ok(())
}

pub(crate) fn check_connections(key: &str, n: u32) -> Result<(), ValidationError> {
    if n == 0 {
        return Err(ValidationError::new(key, "must be at least 1"));
    }
    Ok(())
}
