//! In-process tests of the node role: each starts a node on 127.0.0.1:0 and checks
//! exact reply bytes. One module per command family.

#[path = "../common/mod.rs"]
mod common;

mod blocking;
mod connection;
mod hashes;
mod keys;
mod limits;
mod lists;
mod memory;
mod scripting;
mod server;
mod sets;
mod strings;
mod zsets;
