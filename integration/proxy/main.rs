//! In-process tests of the proxy role: three nodes and a proxy on 127.0.0.1:0.

#[path = "../common/mod.rs"]
mod common;

mod compat;
mod locks;
mod routing;
