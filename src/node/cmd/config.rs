//! config commands.

use crate::node::dispatch::CommandDef;

/// The config commands this node implements.
pub const COMMANDS: &[CommandDef] = &[];
