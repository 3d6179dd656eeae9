//! lists commands.

use crate::node::dispatch::CommandDef;

/// The lists commands this node implements.
pub const COMMANDS: &[CommandDef] = &[];
