//! sets commands.

use crate::node::dispatch::CommandDef;

/// The sets commands this node implements.
pub const COMMANDS: &[CommandDef] = &[];
