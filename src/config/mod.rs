//! Configuration files (placeholder until the config module lands).
pub mod policy;
pub use policy::EvictionPolicy;
