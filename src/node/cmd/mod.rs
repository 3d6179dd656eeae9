//! Command handlers, one file per family. Each exports `COMMANDS`.

pub mod config;
pub mod connection;
pub mod hashes;
pub mod keys;
pub mod lists;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod strings;
pub mod transactions;
pub mod zsets;
