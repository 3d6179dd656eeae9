//! Configuration: TOML files → validated, typed structs, before any socket is bound.
//!
//! One struct per role ([`NodeConfig`], [`ProxyConfig`], [`ClusterConfig`]), each
//! `deny_unknown_fields` so a typo is an error rather than a silently ignored key, and each with a
//! `validate()` that checks what types cannot (addresses parse, servers are unique, …). Every
//! error, syntax or semantic, is reported as `FILE:LINE:COL: what is wrong`.
//!
//! # Which file is which: the `role` key
//!
//! Every config file starts with a top-level `role = "node" | "proxy" | "cluster"`, and every
//! config struct has a matching `role` field. We chose an explicit key over guessing from the
//! file name because files get renamed and copied (`/etc/ringcache/cache-eu1.toml`), and because
//! `ringcache node -c proxy.toml` should fail with "role must be node" instead of a confusing
//! list of unknown keys. [`check_conf`] needs the key to know which schema to check; a role
//! subcommand loading its own struct treats a missing `role` as its own role.

mod cluster;
mod locate;
mod locks;
mod node;
mod nutcracker;
mod policy;
mod proxy;
mod servers;
mod size;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

pub use cluster::{ClusterConfig, ClusterProxyConfig};
pub use locks::LockConfig;
pub use node::NodeConfig;
pub use nutcracker::{from_nutcracker_yaml, load_nutcracker};
pub use policy::{EvictionPolicy, UnknownPolicy};
pub use proxy::{ProxyConfig, DISTRIBUTIONS, HASHES};
pub use servers::ServerSpec;
pub use size::{parse_memory, ByteSize};

/// The kind of config file, named by its top-level `role` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A cache server: [`NodeConfig`].
    Node,
    /// A consistent-hashing proxy: [`ProxyConfig`].
    Proxy,
    /// A proxy plus local nodes in one process: [`ClusterConfig`].
    Cluster,
}

impl Kind {
    /// The spelling used in the `role` key and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Node => "node",
            Kind::Proxy => "proxy",
            Kind::Cluster => "cluster",
        }
    }

    /// Checks a struct's `role` field against the struct's own kind.
    fn expect(self, found: Kind) -> Result<(), ValidationError> {
        if self == found {
            Ok(())
        } else {
            Err(ValidationError::new(
                "role",
                format!(
                    "must be \"{}\" in a {} config, found \"{}\"",
                    self.as_str(),
                    self.as_str(),
                    found.as_str()
                ),
            ))
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a config file could not be used. The `Display` form is what the operator sees.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file, as given.
        path: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A syntax error, unknown key, bad value or failed check that we can point at.
    #[error("{path}:{line}:{col}: {message}")]
    At {
        /// The file, as given.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// A problem with no place in the file, such as a required key that is missing.
    #[error("{path}: {message}")]
    Whole {
        /// The file, as given.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl ConfigError {
    /// An error at byte `offset` of `text` if known, else one about the whole file.
    pub(crate) fn located(path: &str, text: &str, offset: Option<usize>, message: String) -> Self {
        match offset {
            Some(at) => {
                let (line, col) = locate::line_col(text, at);
                ConfigError::At {
                    path: path.to_string(),
                    line,
                    col,
                    message,
                }
            }
            None => ConfigError::Whole {
                path: path.to_string(),
                message,
            },
        }
    }

    fn from_toml(path: &str, text: &str, err: &toml::de::Error) -> Self {
        let offset = err.span().map(|s| s.start);
        ConfigError::located(path, text, offset, err.message().trim_end().to_string())
    }

    fn from_validation(path: &str, text: &str, err: &ValidationError) -> Self {
        let offset = locate::find_toml_key(text, &err.key, err.item.as_deref());
        ConfigError::located(path, text, offset, err.to_string())
    }
}

/// A semantic error found by `validate()`: which key, optionally which element of it, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ValidationError {
    /// Dotted key path as written in the file, e.g. `locks.drift_factor`.
    pub key: String,
    /// The offending array element, as written, when the key holds a list.
    pub item: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ValidationError {
    pub(crate) fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            key: key.into(),
            item: None,
            message: message.into(),
        }
    }

    pub(crate) fn item(
        key: impl Into<String>,
        item: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ValidationError {
            key: key.into(),
            item: Some(item.into()),
            message: message.into(),
        }
    }
}

/// The checks a config must pass before anything is started with it.
pub trait Validate {
    /// The first problem found, naming the key that holds it.
    fn validate(&self) -> Result<(), ValidationError>;
}

/// Reads, parses and validates the config file at `path`.
pub fn load<T: DeserializeOwned + Validate>(path: impl AsRef<Path>) -> Result<T, ConfigError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: shown.clone(),
        source,
    })?;
    parse(&text, &shown)
}

/// Parses and validates config `text`; `path` is only used to label errors.
pub fn parse<T: DeserializeOwned + Validate>(text: &str, path: &str) -> Result<T, ConfigError> {
    let cfg: T = toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
    cfg.validate()
        .map_err(|e| ConfigError::from_validation(path, text, &e))?;
    Ok(cfg)
}

/// Checks the file at `path` as the kind its `role` key names, the way the matching role
/// subcommand would load it, and says which kind it was (`ringcache check-conf`).
pub fn check_conf(path: impl AsRef<Path>) -> Result<Kind, ConfigError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: shown.clone(),
        source,
    })?;
    check_conf_str(&text, &shown)
}

/// [`check_conf`] on text already in memory.
pub fn check_conf_str(text: &str, path: &str) -> Result<Kind, ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e| ConfigError::from_toml(path, text, &e))?;
    let kind = match table.get("role") {
        None => {
            return Err(ConfigError::Whole {
                path: path.to_string(),
                message: "missing top-level key `role` (one of \"node\", \"proxy\", \"cluster\")"
                    .to_string(),
            })
        }
        Some(value) => value.clone().try_into::<Kind>().map_err(|e| {
            let at = locate::find_toml_key(text, "role", None);
            ConfigError::located(path, text, at, format!("role: {}", e.message()))
        })?,
    };
    match kind {
        Kind::Node => parse::<NodeConfig>(text, path).map(|_| kind),
        Kind::Proxy => parse::<ProxyConfig>(text, path).map(|_| kind),
        Kind::Cluster => parse::<ClusterConfig>(text, path).map(|_| kind),
    }
}

/// Shared check: `value` parses as a socket address (`127.0.0.1:6379`, `[::1]:6379`).
pub(crate) fn check_addr(key: &str, value: &str) -> Result<std::net::SocketAddr, ValidationError> {
    value.parse().map_err(|_| {
        ValidationError::new(
            key,
            format!("invalid socket address \"{value}\" (expected IP:PORT, like 127.0.0.1:6379)"),
        )
    })
}

/// Shared check: a password key, when set, is not empty (an empty one would lock everyone out
/// or, worse, be mistaken for "no password" by one side and not the other).
pub(crate) fn check_password(key: &str, value: &Option<String>) -> Result<(), ValidationError> {
    match value {
        Some(p) if p.is_empty() => Err(ValidationError::new(
            key,
            "must not be empty (remove the key to disable it)",
        )),
        _ => Ok(()),
    }
}
