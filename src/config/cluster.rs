//! The all-in-one local cluster: a proxy plus N nodes in one process.
//!
//! This is the newcomer's path (`ringcache cluster`, then `redis-cli -p 7000`), so it asks for
//! almost nothing: how many nodes, where. It is not a third server implementation: it expands
//! into one [`ProxyConfig`] and N [`NodeConfig`]s ([`ClusterConfig::proxy_config`],
//! [`ClusterConfig::node_configs`]) that the ordinary roles run.
//!
//! # The `[proxy]` table
//!
//! Routing knobs worth trying locally (hash, distribution, hash tag, timeout, connections,
//! client password) live in an optional `[proxy]` table with exactly the proxy's key names and
//! defaults, so a setting can be moved between `cluster.toml` and `proxy.toml` unchanged. Keys
//! that only make sense for remote backends (ejection, backend passwords, lock groups) are not
//! offered: the local nodes run and die with the process.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use serde::Deserialize;

use super::proxy::{check_connections, check_ring, check_timeout};
use super::{
    check_addr, check_password, ByteSize, EvictionPolicy, Kind, NodeConfig, ProxyConfig, Validate,
    ValidationError,
};

/// Settings of `ringcache cluster`; see `conf/cluster.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// Must be [`Kind::Cluster`]; present so `check-conf` knows the schema.
    pub role: Kind,
    /// Address of the proxy, the one clients use. Nodes bind on the same IP.
    pub listen: String,
    /// How many nodes to start, at least 1.
    pub nodes: u16,
    /// Port of the first node; the others take the following ports.
    pub node_base_port: u16,
    /// `maxmemory` of each node; `0` means no limit.
    pub node_maxmemory: ByteSize,
    /// `maxmemory_policy` of each node.
    pub node_maxmemory_policy: EvictionPolicy,
    /// Address of the process's Prometheus `/metrics` endpoint (proxy and nodes together).
    pub metrics_listen: Option<String>,
    /// Overrides of the proxy's routing settings.
    pub proxy: ClusterProxyConfig,
}

/// The `[proxy]` table of a cluster file: same names and defaults as in [`ProxyConfig`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterProxyConfig {
    /// See [`ProxyConfig::hash`].
    pub hash: String,
    /// See [`ProxyConfig::distribution`].
    pub distribution: String,
    /// See [`ProxyConfig::hash_tag`].
    pub hash_tag: String,
    /// See [`ProxyConfig::timeout`] (milliseconds).
    pub timeout: u64,
    /// See [`ProxyConfig::server_connections`].
    pub server_connections: u32,
    /// See [`ProxyConfig::requirepass`].
    pub requirepass: Option<String>,
}

impl Default for ClusterProxyConfig {
    fn default() -> Self {
        let p = ProxyConfig::default();
        ClusterProxyConfig {
            hash: p.hash,
            distribution: p.distribution,
            hash_tag: p.hash_tag,
            timeout: p.timeout,
            server_connections: p.server_connections,
            requirepass: p.requirepass,
        }
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            role: Kind::Cluster,
            listen: "127.0.0.1:7000".to_string(),
            nodes: 3,
            node_base_port: 7001,
            node_maxmemory: ByteSize(0),
            node_maxmemory_policy: EvictionPolicy::AllKeysLru,
            metrics_listen: None,
            proxy: ClusterProxyConfig::default(),
        }
    }
}

impl ClusterConfig {
    /// The nodes' addresses: `listen`'s IP, ports `node_base_port..node_base_port + nodes`.
    /// Only meaningful after `validate()` passed.
    pub fn node_addrs(&self) -> Vec<SocketAddr> {
        let Ok(listen) = self.listen.parse::<SocketAddr>() else {
            return Vec::new();
        };
        (0..self.nodes)
            .filter_map(|i| self.node_base_port.checked_add(i))
            .map(|port| SocketAddr::new(listen.ip(), port))
            .collect()
    }

    /// One node config per node: its address, the cluster's memory settings, other defaults.
    pub fn node_configs(&self) -> Vec<NodeConfig> {
        self.node_addrs()
            .into_iter()
            .map(|addr| NodeConfig {
                listen: addr.to_string(),
                maxmemory: self.node_maxmemory,
                maxmemory_policy: self.node_maxmemory_policy,
                ..NodeConfig::default()
            })
            .collect()
    }

    /// The proxy in front of the nodes, with weight 1 each and the `[proxy]` overrides. When
    /// `listen` is a wildcard (`0.0.0.0`, `[::]`) the proxy reaches the nodes over loopback.
    pub fn proxy_config(&self) -> ProxyConfig {
        let p = &self.proxy;
        let servers = self.node_addrs().into_iter().map(|mut addr| {
            if addr.ip().is_unspecified() {
                addr.set_ip(match addr.ip() {
                    IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                    IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
                });
            }
            format!("{addr}:1")
        });
        ProxyConfig {
            listen: self.listen.clone(),
            servers: servers.collect(),
            hash: p.hash.clone(),
            distribution: p.distribution.clone(),
            hash_tag: p.hash_tag.clone(),
            timeout: p.timeout,
            server_connections: p.server_connections,
            requirepass: p.requirepass.clone(),
            metrics_listen: self.metrics_listen.clone(),
            ..ProxyConfig::default()
        }
    }
}

impl Validate for ClusterConfig {
    fn validate(&self) -> Result<(), ValidationError> {
        Kind::Cluster.expect(self.role)?;
        let listen = check_addr("listen", &self.listen)?;
        if self.nodes == 0 {
            return Err(ValidationError::new("nodes", "must be at least 1"));
        }
        let last = u32::from(self.node_base_port) + u32::from(self.nodes) - 1;
        if self.node_base_port == 0 || last > u32::from(u16::MAX) {
            return Err(ValidationError::new(
                "node_base_port",
                format!(
                    "nodes would use ports {}..={last}, which must lie in 1..65535",
                    self.node_base_port
                ),
            ));
        }
        let node_ports = u32::from(self.node_base_port)..=last;
        if node_ports.contains(&u32::from(listen.port())) {
            return Err(ValidationError::new(
                "listen",
                format!(
                    "port {} is also a node port ({}..={last})",
                    listen.port(),
                    self.node_base_port
                ),
            ));
        }
        if let Some(metrics) = &self.metrics_listen {
            let metrics = check_addr("metrics_listen", metrics)?;
            let clashes = metrics == listen
                || (metrics.ip() == listen.ip() && node_ports.contains(&u32::from(metrics.port())));
            if clashes {
                return Err(ValidationError::new(
                    "metrics_listen",
                    format!("{metrics} is already used by the proxy or a node"),
                ));
            }
        }
        let p = &self.proxy;
        check_ring("proxy", &p.hash, &p.distribution, &p.hash_tag)?;
        check_timeout("proxy.timeout", p.timeout)?;
        check_connections("proxy.server_connections", p.server_connections)?;
        check_password("proxy.requirepass", &p.requirepass)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    fn err(text: &str) -> String {
        parse::<ClusterConfig>(text, "cluster.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn expands_into_proxy_and_nodes() {
        let cfg: ClusterConfig = parse(
            "nodes = 2\nnode_maxmemory = \"64mb\"\n[proxy]\nhash_tag = \"{}\"\n",
            "cluster.toml",
        )
        .unwrap();
        let nodes = cfg.node_configs();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[1].listen, "127.0.0.1:7002");
        assert_eq!(nodes[1].maxmemory, ByteSize(64 << 20));
        assert_eq!(nodes[1].maxmemory_policy, EvictionPolicy::AllKeysLru);
        nodes[0].validate().unwrap();
        let proxy = cfg.proxy_config();
        assert_eq!(proxy.servers, ["127.0.0.1:7001:1", "127.0.0.1:7002:1"]);
        assert_eq!(proxy.hash_tag, "{}");
        assert_eq!(proxy.listen, "127.0.0.1:7000");
        proxy.validate().unwrap();

        let open: ClusterConfig = parse("listen = \"[::]:7000\"\nnodes = 1\n", "c").unwrap();
        assert_eq!(open.node_configs()[0].listen, "[::]:7001");
        assert_eq!(open.proxy_config().servers, ["[::1]:7001:1"]);
    }

    #[test]
    fn bad_values_are_pointed_at() {
        assert_eq!(
            err("nodes = 0"),
            "cluster.toml:1:1: nodes: must be at least 1"
        );
        assert_eq!(
            err("nodes = 10\nnode_base_port = 65530"),
            "cluster.toml:2:1: node_base_port: nodes would use ports 65530..=65539, \
             which must lie in 1..65535"
        );
        assert_eq!(
            err("listen = \"127.0.0.1:7002\""),
            "cluster.toml:1:1: listen: port 7002 is also a node port (7001..=7003)"
        );
        assert_eq!(
            err("metrics_listen = \"127.0.0.1:7003\""),
            "cluster.toml:1:1: metrics_listen: 127.0.0.1:7003 is already used by the proxy \
             or a node"
        );
        assert_eq!(
            err("nodes = 1\n\n[proxy]\ndistribution = \"rendezvous\"\n"),
            "cluster.toml:4:1: proxy.distribution: unknown distribution \"rendezvous\", \
             expected one of: ketama, modula, random, jump, maglev"
        );
        assert_eq!(
            err("[proxy]\nservers = []\n"),
            "cluster.toml:2:1: unknown field `servers`, expected one of `hash`, \
             `distribution`, `hash_tag`, `timeout`, `server_connections`, `requirepass`"
        );
    }
}
