//! Prometheus metrics: every metric name is a constant here with its description, so
//! names cannot drift or collide (a test checks), and labels come from small fixed
//! sets (role, command, backend, outcome) — never from keys.
//!
//! Hot paths hold pre-registered handles ([`commands`]); nothing is looked up by name
//! per request. Without `metrics_listen` no recorder is installed and every handle is
//! a no-op.

use crate::command::{self, CommandId};
use metrics::{describe_counter, describe_gauge, describe_histogram, Counter};
use std::net::SocketAddr;
use std::sync::OnceLock;

/// Commands executed, by role and command name.
pub const COMMANDS: &str = "ringcache_commands_total";
/// Client connections accepted, by role.
pub const CONNECTIONS: &str = "ringcache_connections_total";
/// Node connections moved to another event loop (to sit with the others on their hot key).
pub const CONNECTION_MOVES: &str = "ringcache_connection_moves_total";
/// Clients connected now, by role.
pub const CONNECTED: &str = "ringcache_connected_clients";
/// Bytes used by a node's dataset (same as INFO `used_memory`).
pub const USED_MEMORY: &str = "ringcache_used_memory_bytes";
/// Keys held by the nodes of this process.
pub const KEYS: &str = "ringcache_keys";
/// Keys removed because their TTL passed.
pub const EXPIRED: &str = "ringcache_expired_keys_total";
/// Keys removed by maxmemory eviction.
pub const EVICTED: &str = "ringcache_evicted_keys_total";
/// Requests a backend failed (proxy), by backend and reason.
pub const BACKEND_ERRORS: &str = "ringcache_backend_errors_total";
/// Backends taken out of the ring (proxy), by backend.
pub const EJECTIONS: &str = "ringcache_backend_ejections_total";
/// Lock acquisitions (proxy), by outcome: granted, held, no_quorum.
pub const LOCK_ACQUISITIONS: &str = "ringcache_lock_acquisitions_total";
/// Time of one lock quorum round (proxy), by operation.
pub const LOCK_QUORUM_SECONDS: &str = "ringcache_lock_quorum_seconds";
/// Lock backends quarantined after a restart (proxy), by backend.
pub const LOCK_QUARANTINES: &str = "ringcache_lock_quarantines_total";

/// Every metric name, for the uniqueness test and the docs.
pub const ALL: &[&str] = &[
    COMMANDS,
    CONNECTIONS,
    CONNECTION_MOVES,
    CONNECTED,
    USED_MEMORY,
    KEYS,
    EXPIRED,
    EVICTED,
    BACKEND_ERRORS,
    EJECTIONS,
    LOCK_ACQUISITIONS,
    LOCK_QUORUM_SECONDS,
    LOCK_QUARANTINES,
];

fn describe() {
    describe_counter!(COMMANDS, "Commands executed, by role and command.");
    describe_counter!(CONNECTIONS, "Client connections accepted, by role.");
    describe_counter!(
        CONNECTION_MOVES,
        "Node connections moved to the event loop of the shard they keep using."
    );
    describe_gauge!(CONNECTED, "Clients connected now, by role.");
    describe_gauge!(
        USED_MEMORY,
        "Bytes used by the dataset of the nodes in this process."
    );
    describe_gauge!(KEYS, "Keys held by the nodes in this process.");
    describe_counter!(EXPIRED, "Keys removed because their TTL passed.");
    describe_counter!(EVICTED, "Keys removed by maxmemory eviction.");
    describe_counter!(
        BACKEND_ERRORS,
        "Requests a backend failed, by backend and reason."
    );
    describe_counter!(EJECTIONS, "Backends taken out of the ring, by backend.");
    describe_counter!(LOCK_ACQUISITIONS, "Lock acquisitions, by outcome.");
    describe_histogram!(
        LOCK_QUORUM_SECONDS,
        metrics::Unit::Seconds,
        "Time of one lock quorum round, by operation."
    );
    describe_counter!(
        LOCK_QUARANTINES,
        "Lock backends quarantined after a restart, by backend."
    );
}

/// Serve `/metrics` on `addr` (call inside the runtime, before serving clients).
pub fn install(addr: SocketAddr) -> Result<(), String> {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()
        .map_err(|e| format!("cannot serve metrics on {addr}: {e}"))?;
    describe();
    Ok(())
}

/// The role a process-wide handle counts for.
#[derive(Debug, Clone, Copy)]
pub enum Role {
    /// The cache server.
    Node,
    /// The proxy.
    Proxy,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Node => "node",
            Role::Proxy => "proxy",
        }
    }
}

/// Per-command counter handles for a role, indexed by command id, each registered on
/// first use (so a scrape lists only commands that ran, and only after the recorder is
/// installed); afterwards an increment is one atomic add.
fn commands(role: Role) -> &'static [OnceLock<Counter>] {
    static NODE: OnceLock<Vec<OnceLock<Counter>>> = OnceLock::new();
    static PROXY: OnceLock<Vec<OnceLock<Counter>>> = OnceLock::new();
    let cell = match role {
        Role::Node => &NODE,
        Role::Proxy => &PROXY,
    };
    cell.get_or_init(|| {
        command::table::all()
            .iter()
            .map(|_| OnceLock::new())
            .collect()
    })
}

/// Count one command.
#[inline]
pub fn command(role: Role, id: CommandId) {
    commands_n(role, id, 1);
}

/// Count `n` runs of one command (callers that batch their counts).
#[inline]
pub fn commands_n(role: Role, id: CommandId, n: u64) {
    commands(role)[id as usize]
        .get_or_init(|| {
            let name = command::spec(id).name;
            metrics::counter!(COMMANDS, "role" => role.name(), "command" => name)
        })
        .increment(n);
}

/// Count a connection and track the connected gauge.
pub fn connection(role: Role, open: bool) {
    if open {
        metrics::counter!(CONNECTIONS, "role" => role.name()).increment(1);
        metrics::gauge!(CONNECTED, "role" => role.name()).increment(1.0);
    } else {
        metrics::gauge!(CONNECTED, "role" => role.name()).decrement(1.0);
    }
}

/// Count a node connection moved to another event loop.
pub fn connection_moved() {
    metrics::counter!(CONNECTION_MOVES).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_are_unique_and_prefixed() {
        let mut names = ALL.to_vec();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "two metrics share a name");
        assert!(ALL.iter().all(|n| n.starts_with("ringcache_")));
    }
}
