//! ringcache: a Redis-protocol compatible distributed cache.

pub mod proxy;
