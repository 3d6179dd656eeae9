//! ringcache: a Redis-protocol compatible distributed cache.

pub mod config;
