//! MEMORY USAGE | PURGE | HELP. `redis-cli --memkeys` is built on MEMORY USAGE.

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::command::introspect;
use crate::node::db::Shard;
use crate::node::dispatch::Ctx;
use crate::protocol::errors;
use bytes::Bytes;

/// MEMORY HELP, as Redis 7.0 prints it.
const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

/// MEMORY, dispatched on the subcommand (arity and the subcommand's existence were
/// checked before).
pub(super) fn memory(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let sub = &args[1];
    if eq_ignore_case(sub, "usage") {
        usage(ctx, args)
    } else if eq_ignore_case(sub, "help") {
        introspect::help_reply(ctx.out, HELP)
    } else if eq_ignore_case(sub, "purge") {
        ctx.out.ok() // nothing to hand back: the allocator returns pages itself
    } else {
        ctx.out.error(format!(
            "ERR MEMORY {} is not supported by ringcache",
            String::from_utf8_lossy(sub).to_uppercase()
        ))
    }
}

/// MEMORY USAGE key [SAMPLES n]: the bytes the node counts for the key, its entry and
/// its value — the same figure `used_memory` and eviction add up, so it is exact
/// where Redis samples. The figure differs from Redis's, whose structures differ.
/// Neither an access nor a hit or miss; a key expired but not yet removed still
/// answers, as Redis's `dictFind` there finds it.
fn usage(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let mut j = 3;
    while j < args.len() {
        if eq_ignore_case(&args[j], "samples") && j + 1 < args.len() {
            match parse_i64(&args[j + 1]) {
                Some(n) if n >= 0 => {}
                Some(_) => return ctx.out.error(errors::SYNTAX),
                None => return ctx.out.error(errors::NOT_INTEGER),
            }
            j += 2;
        } else {
            return ctx.out.error(errors::SYNTAX);
        }
    }
    let key = &args[2];
    match ctx.ks.entry_as_stored(key) {
        Some(e) => {
            let cost = Shard::entry_cost(key, e);
            ctx.out.int(cost as i64)
        }
        None => ctx.out.null(),
    }
}
