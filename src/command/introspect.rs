//! Introspection replies both roles give the same way: the `HELP` texts of COMMAND
//! and CLIENT (Redis 7.0's, word for word) and COMMAND GETKEYS from the command table.

use super::table as command;
use crate::protocol::Reply;
use bytes::Bytes;

/// COMMAND HELP, as Redis 7.0 prints it.
pub const COMMAND_HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
];

/// CLIENT HELP, as Redis 7.0 prints it.
pub const CLIENT_HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
];

/// A `HELP` subcommand's reply: one status line per line of text, as Redis sends it.
pub fn help_reply(out: &mut Reply, lines: &[&str]) {
    out.array(lines.len());
    for l in lines {
        out.simple(l);
    }
}

/// COMMAND GETKEYS cmd arg…: the key arguments, from the command table's key specs.
/// `cmd` must not be empty (COMMAND GETKEYS's arity is -3).
pub fn getkeys(out: &mut Reply, cmd: &[Bytes]) {
    let Some(mut id) = command::lookup(&cmd[0]) else {
        return out.error("ERR Invalid command specified");
    };
    if command::spec(id).has_subcommands {
        match cmd
            .get(1)
            .and_then(|s| command::lookup_sub(command::spec(id).name, s))
        {
            Some(sub) => id = sub,
            None => return out.error("ERR Invalid command specified"),
        }
    }
    let spec = command::spec(id);
    if !spec.arity_ok(cmd.len()) {
        return out.error("ERR Invalid number of arguments specified for command");
    }
    if let Some(kind) = super::movable::kind(spec.name) {
        // Redis answers an empty list when the key count is malformed.
        let mut keys = super::movable::keys(kind, cmd).unwrap_or_default();
        if kind == super::movable::Movable::FirstArg {
            // SORT … STORE dest: the destination is a key too.
            let store = cmd.iter().position(|a| a.eq_ignore_ascii_case(b"store"));
            keys.extend(store.map(|i| i + 1).filter(|&i| i < cmd.len()));
        }
        out.array(keys.len());
        for k in keys {
            out.bulk(&cmd[k]);
        }
        return;
    }
    let keys: Vec<usize> = spec.key_indexes(cmd.len()).collect();
    if keys.is_empty() {
        return out.error("ERR The command has no key arguments");
    }
    out.array(keys.len());
    for k in keys {
        out.bulk(&cmd[k]);
    }
}
