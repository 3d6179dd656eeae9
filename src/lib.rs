//! ringcache: a Redis-protocol (RESP) compatible distributed cache.
//!
//! One binary, three roles:
//! - [`node`]: an in-memory cache server answering like redis-server 7.0;
//! - [`proxy`]: consistent-hashes keys over backend nodes (twemproxy-compatible ketama);
//! - `cluster`: a proxy plus local nodes in one process.
//!
//! Shared layers: [`protocol`] (RESP decoding via `redis-protocol`, reply encoding,
//! Redis's error texts), [`command`] (the Redis 7.0 command table), [`config`],
//! [`net`] (the accept loop and graceful shutdown), [`metrics`].
//! `node` and `proxy` never import each other.

pub mod command;
pub mod config;
pub mod metrics;
pub mod net;
pub mod node;
pub mod protocol;
pub mod proxy;
