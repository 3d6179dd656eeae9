//! Facts about commands shared by every role: the Redis 7.0 command table and the
//! argument parsers whose error texts must match Redis's.

pub mod args;
mod extra;
#[allow(clippy::all)]
mod generated;
pub mod glob;
pub mod hello;
pub mod introspect;
pub mod long_double;
pub mod movable;
pub mod table;

pub use table::{flags, lookup, lookup_sub, spec, CommandId, CommandSpec};
