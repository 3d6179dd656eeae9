//! zsets commands.

use crate::node::dispatch::CommandDef;

/// The zsets commands this node implements.
pub const COMMANDS: &[CommandDef] = &[];
