//! Configuration: TOML files → validated, typed structs, before any socket is bound.

mod policy;
mod size;

pub use policy::{EvictionPolicy, UnknownPolicy};
pub use size::{parse_memory, ByteSize};
