//! ringcache: a Redis-protocol compatible distributed cache.
