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

use crate::node::db::Keyspace;
use crate::node::types::Value;

/// Outcome of looking a key up as one value type.
pub(crate) enum Lookup<'a, T> {
    Missing,
    WrongType,
    Found(&'a T),
}

/// Read `key` as the type `pick` accepts (`Value::as_set`, `Value::as_zset`…).
pub(crate) fn lookup<'a, T>(
    ks: &'a mut Keyspace<'_>,
    key: &[u8],
    pick: fn(&Value) -> Option<&T>,
) -> Lookup<'a, T> {
    classify(ks.get_value(key), pick)
}

/// [`lookup`] for a command that writes the key (SMOVE's source): no keyspace hit or
/// miss is counted, as Redis's `lookupKeyWrite` counts none.
pub(crate) fn lookup_for_write<'a, T>(
    ks: &'a mut Keyspace<'_>,
    key: &[u8],
    pick: fn(&Value) -> Option<&T>,
) -> Lookup<'a, T> {
    classify(ks.get_value_for_write(key), pick)
}

fn classify<'a, T>(found: Option<&'a Value>, pick: fn(&Value) -> Option<&T>) -> Lookup<'a, T> {
    match found {
        None => Lookup::Missing,
        Some(v) => pick(v).map_or(Lookup::WrongType, Lookup::Found),
    }
}
