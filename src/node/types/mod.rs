//! Value types stored under keys. Each aggregate type tracks its own approximate heap
//! use (`mem`) as it changes, so `used_memory` stays O(1) to maintain.

pub mod compact;
pub mod hash;
pub mod list;
pub mod ranked;
pub mod set;
pub mod table;
pub mod zset;

pub use compact::{compact, compact_cost, compact_vec, key_cost, CompactBytes};
pub use hash::HashValue;
pub use list::ListValue;
pub use set::SetValue;
pub use zset::ZSetValue;

/// The hasher of every table the node keeps keys, fields and members in.
///
/// Keys come from clients, so a table's hash must not be predictable: with a fixed
/// function (FNV, say) a client can send keys that all land in one bucket and turn
/// every lookup into a scan — why Redis seeds SipHash at random. foldhash's
/// `RandomState` is seeded per process and per table, and on short keys costs a
/// fraction of SipHash (or of FNV's byte-at-a-time loop). It also mixes every input
/// bit into the low bits hashbrown picks buckets with, which FNV's last multiply
/// does not.
pub type KeyHasher = foldhash::fast::RandomState;

/// Approximate bytes one heap allocation of `len` costs (allocator header + rounding).
#[inline]
pub fn alloc_cost(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 16 + 15) & !15
    }
}

/// A value stored under a key.
///
/// Aggregates are boxed so that a `Value` is little more than a string's handle:
/// every key's entry sits inline in its shard's table, and most keys of a cache are
/// strings, so a small entry means fewer cache lines per lookup.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string (also integers and floats, stored as their text, as Redis replies them).
    Str(CompactBytes),
    /// A list.
    List(Box<ListValue>),
    /// A hash.
    Hash(Box<HashValue>),
    /// A set.
    Set(Box<SetValue>),
    /// A sorted set.
    ZSet(Box<ZSetValue>),
}

/// Heap bytes of an aggregate's box (its inline part; the aggregate counts the rest).
fn boxed<T>() -> usize {
    alloc_cost(std::mem::size_of::<T>())
}

impl Value {
    /// The set, if this is one.
    pub fn as_set(&self) -> Option<&SetValue> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The sorted set, if this is one.
    pub fn as_zset(&self) -> Option<&ZSetValue> {
        match self {
            Value::ZSet(z) => Some(z),
            _ => None,
        }
    }

    /// The name TYPE replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// Approximate heap bytes held by the value.
    pub fn mem(&self) -> usize {
        match self {
            Value::Str(b) => compact_cost(b),
            Value::List(v) => boxed::<ListValue>() + v.mem(),
            Value::Hash(v) => boxed::<HashValue>() + v.mem(),
            Value::Set(v) => boxed::<SetValue>() + v.mem(),
            Value::ZSet(v) => boxed::<ZSetValue>() + v.mem(),
        }
    }

    /// A new list value.
    pub fn list(l: ListValue) -> Self {
        Value::List(Box::new(l))
    }
    /// A new hash value.
    pub fn hash(h: HashValue) -> Self {
        Value::Hash(Box::new(h))
    }
    /// A new set value.
    pub fn set(s: SetValue) -> Self {
        Value::Set(Box::new(s))
    }
    /// A new sorted-set value.
    pub fn zset(z: ZSetValue) -> Self {
        Value::ZSet(Box::new(z))
    }

    /// Aggregates that became empty are deleted, as in Redis.
    pub fn is_empty_aggregate(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(v) => v.is_empty(),
            Value::Hash(v) => v.is_empty(),
            Value::Set(v) => v.is_empty(),
            Value::ZSet(v) => v.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyHasher, Value};
    use std::hash::BuildHasher;

    #[test]
    fn a_value_is_a_string_handle_and_a_tag() {
        assert_eq!(std::mem::size_of::<Value>(), 32);
    }

    #[test]
    fn every_table_hashes_keys_with_its_own_seed() {
        // What keeps a client from choosing keys that collide: the same key hashes
        // differently in two tables (a fixed function would give one value).
        let (a, b) = (KeyHasher::default(), KeyHasher::default());
        let key: &[u8] = b"key:000000012345";
        assert_ne!(a.hash_one(key), b.hash_one(key));
        assert_eq!(a.hash_one(key), a.hash_one(key));
    }
}
