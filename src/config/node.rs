//! The cache server's settings, named after their `redis.conf` counterparts.
//!
//! Names use `_` where Redis uses `-` (TOML keys), but mean the same thing with the same
//! defaults, so an operator's Redis knowledge carries over unchanged.

use serde::Deserialize;

use super::{
    check_addr, check_password, ByteSize, EvictionPolicy, Kind, Validate, ValidationError,
};

/// Redis refuses `proto-max-bulk-len` below 1 MiB; so do we, for the same reason (a smaller
/// limit breaks ordinary clients in surprising ways).
const MIN_PROTO_MAX_BULK_LEN: u64 = 1024 * 1024;

/// A longer busy-polling window is a misconfiguration: the loop would spin through
/// pauses that are not bursts any more.
const MAX_BUSY_POLL_US: u64 = 1_000_000;

/// Settings of `ringcache node`. Every key is optional; see `conf/node.toml` for the defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Must be [`Kind::Node`]; present so `check-conf` knows the schema.
    pub role: Kind,
    /// Address the RESP listener binds to.
    pub listen: String,
    /// Memory limit for data; `0` means no limit (Redis's `maxmemory`).
    pub maxmemory: ByteSize,
    /// What to do when `maxmemory` is reached.
    pub maxmemory_policy: EvictionPolicy,
    /// Password clients must `AUTH` with; `None` means no authentication.
    pub requirepass: Option<String>,
    /// Connected clients beyond this many are refused with `-ERR max number of clients reached`.
    pub maxclients: u32,
    /// Close a client idle for this many seconds; `0` means never.
    pub timeout: u64,
    /// Largest bulk string a client may send.
    pub proto_max_bulk_len: ByteSize,
    /// Event loops (threads, each a single-threaded runtime, connections dealt to them
    /// in turn); `0` means one per CPU core, `1` runs everything on one thread.
    pub threads: usize,
    /// After serving a request, an event loop keeps polling its sockets for this many
    /// microseconds before it sleeps (see `net::busy_poll`); `0` (the default) means
    /// it sleeps at once, as redis-server does.
    pub busy_poll_us: u64,
    /// Address of the Prometheus `/metrics` endpoint; `None` means no endpoint.
    pub metrics_listen: Option<String>,
}

impl NodeConfig {
    /// The busy-polling window, `None` when busy polling is off.
    pub fn busy_poll(&self) -> Option<std::time::Duration> {
        (self.busy_poll_us > 0).then(|| std::time::Duration::from_micros(self.busy_poll_us))
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            role: Kind::Node,
            listen: "127.0.0.1:6379".to_string(),
            maxmemory: ByteSize(0),
            maxmemory_policy: EvictionPolicy::NoEviction,
            requirepass: None,
            maxclients: 10_000,
            timeout: 0,
            proto_max_bulk_len: ByteSize(512 * 1024 * 1024),
            threads: 0,
            busy_poll_us: 0,
            metrics_listen: None,
        }
    }
}

impl Validate for NodeConfig {
    fn validate(&self) -> Result<(), ValidationError> {
        Kind::Node.expect(self.role)?;
        let listen = check_addr("listen", &self.listen)?;
        check_password("requirepass", &self.requirepass)?;
        if self.maxclients == 0 {
            return Err(ValidationError::new("maxclients", "must be at least 1"));
        }
        if self.proto_max_bulk_len.0 < MIN_PROTO_MAX_BULK_LEN {
            return Err(ValidationError::new(
                "proto_max_bulk_len",
                format!(
                    "must be at least 1mb ({MIN_PROTO_MAX_BULK_LEN} bytes), got {}",
                    self.proto_max_bulk_len
                ),
            ));
        }
        if self.busy_poll_us > MAX_BUSY_POLL_US {
            return Err(ValidationError::new(
                "busy_poll_us",
                format!(
                    "must be at most {MAX_BUSY_POLL_US} (one second), got {}",
                    self.busy_poll_us
                ),
            ));
        }
        if let Some(metrics) = &self.metrics_listen {
            let metrics = check_addr("metrics_listen", metrics)?;
            if metrics == listen {
                return Err(ValidationError::new(
                    "metrics_listen",
                    format!("must differ from listen ({listen})"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    fn err(text: &str) -> String {
        parse::<NodeConfig>(text, "node.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(
            parse::<NodeConfig>("", "node.toml").unwrap(),
            NodeConfig::default()
        );
    }

    #[test]
    fn sizes_and_policy_parse() {
        let cfg: NodeConfig = parse(
            "maxmemory = \"256mb\"\nmaxmemory_policy = \"allkeys-lfu\"\nproto_max_bulk_len = 2097152\n",
            "node.toml",
        )
        .unwrap();
        assert_eq!(cfg.maxmemory, ByteSize(256 * 1024 * 1024));
        assert_eq!(cfg.maxmemory_policy, EvictionPolicy::AllKeysLfu);
        assert_eq!(cfg.proto_max_bulk_len, ByteSize(2 * 1024 * 1024));
    }

    #[test]
    fn bad_values_are_pointed_at() {
        assert_eq!(
            err("listen = \"127.0.0.1:6379\"\nmaxmemory = \"1.5gb\"\n"),
            "node.toml:2:13: invalid size \"1.5gb\": expected bytes, optionally followed by \
             k, kb, m, mb, g or gb (like \"256mb\")"
        );
        assert_eq!(
            err("maxmemory_policy = \"lru\"\n"),
            "node.toml:1:20: unknown maxmemory_policy \"lru\", expected one of: noeviction, \
             allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, \
             volatile-random, volatile-ttl"
        );
        assert_eq!(
            err("\nlisten = \"localhost\"\n"),
            "node.toml:2:1: listen: invalid socket address \"localhost\" \
             (expected IP:PORT, like 127.0.0.1:6379)"
        );
        assert_eq!(
            err("proto_max_bulk_len = \"1kb\""),
            "node.toml:1:1: proto_max_bulk_len: must be at least 1mb (1048576 bytes), got 1024"
        );
        assert_eq!(
            err("maxclients = 0"),
            "node.toml:1:1: maxclients: must be at least 1"
        );
        assert_eq!(
            err("requirepass = \"\""),
            "node.toml:1:1: requirepass: must not be empty (remove the key to disable it)"
        );
        assert_eq!(
            err("metrics_listen = \"127.0.0.1:6379\""),
            "node.toml:1:1: metrics_listen: must differ from listen (127.0.0.1:6379)"
        );
        assert_eq!(
            err("role = \"proxy\""),
            "node.toml:1:1: role: must be \"node\" in a node config, found \"proxy\""
        );
    }
}
