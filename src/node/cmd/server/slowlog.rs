//! SLOWLOG GET | LEN | RESET | HELP over the node's [`SlowLog`](crate::node::slowlog).

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::command::introspect;
use crate::node::dispatch::Ctx;
use bytes::Bytes;

/// SLOWLOG HELP, as Redis 7.0 prints it.
const HELP: &[&str] = &[
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
];

/// SLOWLOG, dispatched on the subcommand (arity and the subcommand's existence were
/// checked before).
pub(super) fn slowlog(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let log = &ctx.server.slowlog;
    let sub = &args[1];
    if eq_ignore_case(sub, "get") && args.len() > 3 {
        // Redis's addReplySubcommandSyntaxError.
        let name = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
        let cmd = String::from_utf8_lossy(&args[0]).to_uppercase();
        ctx.out.error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{name}'. Try {cmd} HELP."
        ))
    } else if eq_ignore_case(sub, "get") {
        let count = match args.get(2).map(|a| parse_i64(a)) {
            None => Some(10),
            Some(Some(-1)) => None,
            Some(Some(n)) if n >= 0 => Some(n as usize),
            Some(_) => {
                return ctx
                    .out
                    .error("ERR count should be greater than or equal to -1")
            }
        };
        let entries = log.newest(count);
        ctx.out.array(entries.len());
        for e in entries {
            ctx.out.array(6);
            ctx.out.int(e.id as i64);
            ctx.out.int(e.time as i64);
            ctx.out.int(e.micros as i64);
            ctx.out.array(e.args.len());
            for a in &e.args {
                ctx.out.bulk(a);
            }
            ctx.out.bulk(e.peer.as_bytes());
            ctx.out.bulk(&e.name);
        }
    } else if eq_ignore_case(sub, "len") {
        ctx.out.int(log.len() as i64)
    } else if eq_ignore_case(sub, "reset") {
        log.reset();
        ctx.out.ok()
    } else {
        introspect::help_reply(ctx.out, HELP)
    }
}
