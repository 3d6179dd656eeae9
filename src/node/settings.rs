//! The node's live settings: what the config file and flags set at start, and what
//! `CONFIG SET` may change while running.

use crate::config::EvictionPolicy;

/// Settings the node acts on. Read under a short `RwLock` read; changed by CONFIG SET.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on (informational once bound).
    pub listen: String,
    /// Memory limit in bytes; 0 = none.
    pub maxmemory: u64,
    /// What to do when over the limit.
    pub maxmemory_policy: EvictionPolicy,
    /// Password for the default user; `None` = no AUTH needed.
    pub requirepass: Option<Vec<u8>>,
    /// Maximum simultaneous clients.
    pub maxclients: u32,
    /// Close clients idle for this many seconds; 0 = never.
    pub timeout_secs: u64,
    /// Largest bulk string a client may send.
    pub proto_max_bulk_len: u64,
    /// Keys sampled per eviction (Redis `maxmemory-samples`).
    pub maxmemory_samples: u32,
    /// How slowly LFU counters grow (`lfu-log-factor`).
    pub lfu_log_factor: u32,
    /// Minutes per step of LFU counter decay; 0: none (`lfu-decay-time`).
    pub lfu_decay_time: u32,
    /// A Lua script running longer than this is aborted (Redis's `lua-time-limit` /
    /// `busy-reply-threshold`, which there only starts answering BUSY).
    pub script_time_limit_ms: u64,
    /// Commands running at least this many microseconds go to the slow log;
    /// negative: none (`slowlog-log-slower-than`).
    pub slowlog_log_slower_than: i64,
    /// Entries the slow log keeps (`slowlog-max-len`).
    pub slowlog_max_len: u64,
    /// Record each command's latency histogram (`latency-tracking`).
    pub latency_tracking: bool,
    /// The percentiles INFO latencystats shows (`latency-tracking-info-percentiles`).
    pub latency_percentiles: Vec<f64>,
    /// Commands running at least this many milliseconds are latency monitor samples;
    /// 0: none (`latency-monitor-threshold`).
    pub latency_monitor_threshold_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:6379".into(),
            maxmemory: 0,
            maxmemory_policy: EvictionPolicy::NoEviction,
            requirepass: None,
            maxclients: 10000,
            timeout_secs: 0,
            proto_max_bulk_len: 512 * 1024 * 1024,
            maxmemory_samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            script_time_limit_ms: 5000,
            slowlog_log_slower_than: super::slowlog::DEFAULT_SLOWER_THAN_US,
            slowlog_max_len: super::slowlog::DEFAULT_MAX_LEN,
            latency_tracking: true,
            latency_percentiles: vec![50.0, 99.0, 99.9],
            latency_monitor_threshold_ms: 0,
        }
    }
}

impl From<&crate::config::NodeConfig> for Settings {
    fn from(c: &crate::config::NodeConfig) -> Self {
        Settings {
            listen: c.listen.clone(),
            maxmemory: c.maxmemory.bytes(),
            maxmemory_policy: c.maxmemory_policy,
            requirepass: c.requirepass.as_ref().map(|p| p.clone().into_bytes()),
            maxclients: c.maxclients,
            timeout_secs: c.timeout,
            proto_max_bulk_len: c.proto_max_bulk_len.bytes(),
            ..Settings::default()
        }
    }
}
