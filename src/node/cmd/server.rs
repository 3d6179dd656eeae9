//! server commands.

use crate::node::dispatch::CommandDef;

/// The server commands this node implements.
pub const COMMANDS: &[CommandDef] = &[];

/// CLIENT SETNAME's rule: no spaces, newlines or other special characters.
pub fn validate_client_name(name: &[u8]) -> Result<(), &'static str> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    Ok(())
}
