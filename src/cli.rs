//! Command-line interface: `ringcache node | proxy | cluster | check-conf`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// ringcache: a Redis-compatible cache node, consistent-hashing proxy and lock service.
#[derive(Debug, Parser)]
#[command(name = "ringcache", version, about, propagate_version = true)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The roles.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an in-memory cache server that answers like redis-server 7.0.
    Node(NodeArgs),
    /// Run the consistent-hashing proxy in front of backend nodes or redis-servers.
    Proxy(ProxyArgs),
    /// Run a proxy and local nodes in one process (the quick start: then `redis-cli -p 7000`).
    Cluster(ClusterArgs),
    /// Validate a ringcache config file: exit 0, or print FILE:LINE:COL: problem and exit 64.
    CheckConf {
        /// The file to check (node, proxy or cluster config).
        file: PathBuf,
    },
}

/// `ringcache node` flags; each overrides the config file.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// Config file (see conf/node.toml).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:6379.
    #[arg(long)]
    pub listen: Option<String>,
    /// Memory limit, e.g. 256mb or 1gb (0 = none).
    #[arg(long)]
    pub maxmemory: Option<String>,
    /// Eviction policy: noeviction, allkeys-lru, allkeys-lfu, allkeys-random,
    /// volatile-lru, volatile-lfu, volatile-random, volatile-ttl.
    #[arg(long)]
    pub maxmemory_policy: Option<String>,
    /// Password clients must send with AUTH.
    #[arg(long)]
    pub requirepass: Option<String>,
}

/// `ringcache proxy` flags.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Config file (see conf/proxy.toml).
    #[arg(short, long, conflicts_with = "nutcracker")]
    pub config: Option<PathBuf>,
    /// Read a twemproxy (nutcracker) YAML file as is and serve its first pool.
    #[arg(long)]
    pub nutcracker: Option<PathBuf>,
    /// Address to listen on (overrides the file).
    #[arg(long)]
    pub listen: Option<String>,
}

/// `ringcache cluster` flags; each overrides conf/cluster.toml-style settings.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Config file (see conf/cluster.toml).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Proxy address (default 127.0.0.1:7000).
    #[arg(long)]
    pub listen: Option<String>,
    /// Number of nodes (default 3).
    #[arg(long)]
    pub nodes: Option<u16>,
    /// Port of the first node (default 7001).
    #[arg(long)]
    pub node_base_port: Option<u16>,
    /// Memory limit of each node, e.g. 256mb.
    #[arg(long)]
    pub node_maxmemory: Option<String>,
}
