//! Value types stored under keys. Each aggregate type tracks its own approximate heap
//! use (`mem`) as it changes, so `used_memory` stays O(1) to maintain.

pub mod hash;
pub mod list;
pub mod set;
pub mod zset;

pub use hash::HashValue;
pub use list::ListValue;
pub use set::SetValue;
pub use zset::ZSetValue;

use bytes::Bytes;

/// Approximate bytes one heap allocation of `len` costs (allocator header + rounding).
#[inline]
pub fn alloc_cost(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 16 + 15) & !15
    }
}

/// Heap bytes behind a `Bytes` stored inside an aggregate, whose slot (counted by the
/// aggregate's capacity term) already holds the 32-byte handle.
#[inline]
pub fn heap_cost(b: &Bytes) -> usize {
    alloc_cost(b.len())
}

/// Bytes a stored `Bytes` costs: the handle plus its allocation.
#[inline]
pub fn bytes_cost(b: &Bytes) -> usize {
    32 + alloc_cost(b.len())
}

/// A value stored under a key.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string (also integers and floats, stored as their text, as Redis replies them).
    Str(Bytes),
    /// A list.
    List(ListValue),
    /// A hash.
    Hash(HashValue),
    /// A set.
    Set(SetValue),
    /// A sorted set.
    ZSet(ZSetValue),
}

impl Value {
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
            Value::Str(b) => alloc_cost(b.len()),
            Value::List(v) => v.mem(),
            Value::Hash(v) => v.mem(),
            Value::Set(v) => v.mem(),
            Value::ZSet(v) => v.mem(),
        }
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
