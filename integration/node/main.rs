//! In-process tests of the node role: each starts a node on 127.0.0.1:0 and checks
//! exact reply bytes. One module per command family.

#[path = "../common/mod.rs"]
mod common;

mod connection;
mod scripting;
