//! The consistent-hashing proxy role: routes each key to the backend that owns it.
//!
//! Placement (which backend owns a key) is kept apart from I/O in [`ring`], so it can be
//! verified bit for bit against twemproxy without sockets.

pub mod backend;
pub mod ring;
