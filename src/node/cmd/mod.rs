//! Command handlers, one file per family. Each exports `COMMANDS`.

pub mod config;
pub mod connection;
pub mod hashes;
pub mod keys;
pub mod lists;
mod mpop;
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

/// An existing key of the type `is` accepts, for writing: `Ok(None)` if the key is
/// missing, `Err` after replying WRONGTYPE (which leaves WATCH untouched, see
/// `Keyspace::settle`). A lookup for writing: no keyspace hit or miss is counted.
pub(crate) fn existing_for_write<'k>(
    ks: &'k mut Keyspace<'_>,
    key: &[u8],
    out: &mut crate::protocol::Reply,
    is: fn(&Value) -> bool,
) -> Result<Option<crate::node::db::EntryMut<'k>>, ()> {
    match ks.get_mut(key) {
        None => Ok(None),
        Some(e) if is(&e.value) => Ok(Some(e)),
        Some(_) => {
            out.error(crate::protocol::errors::WRONGTYPE);
            Err(())
        }
    }
}

fn classify<'a, T>(found: Option<&'a Value>, pick: fn(&Value) -> Option<&T>) -> Lookup<'a, T> {
    match found {
        None => Lookup::Missing,
        Some(v) => pick(v).map_or(Lookup::WrongType, Lookup::Found),
    }
}
