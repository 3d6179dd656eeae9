//! keys commands.

use crate::node::dispatch::CommandDef;

/// The keys commands this node implements.
pub const COMMANDS: &[CommandDef] = &[];
