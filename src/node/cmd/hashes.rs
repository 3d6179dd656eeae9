//! hashes commands.

use crate::node::dispatch::CommandDef;

/// The hashes commands this node implements.
pub const COMMANDS: &[CommandDef] = &[];
