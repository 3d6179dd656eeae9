//! OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP: what Redis 7.0 would say about
//! the object behind a key. `redis-cli --hotkeys` is built on OBJECT FREQ.
//!
//! None of these counts as an access (Redis looks the key up with `LOOKUP_NOTOUCH`),
//! but each counts a keyspace hit or miss, as there.
//! The encodings are those Redis 7.0 would use for the same commands, which the
//! value types track where it matters (sticky conversions of hashes, sets and
//! sorted sets; strings changed in place).
//!
//! Two quirks of Redis's shared small integers (0..9999) are not copied: there all
//! keys holding one share its idle time and LFU counter (here each key has its own),
//! and whether a key holds the shared object depends on the settings when it was
//! written (here REFCOUNT asks the current ones).

use crate::command::args::parse_i64;
use crate::command::introspect;
use crate::config::EvictionPolicy;
use crate::node::db::{Entry, StrEncoding};
use crate::node::dispatch::Ctx;
use crate::node::types::Value;
use crate::protocol::errors;
use bytes::Bytes;

/// OBJECT HELP, as Redis 7.0 prints it.
const HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

const NO_LFU: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
     Please note that when switching between policies at runtime LRU and LFU data will take \
     some time to adjust.";
const NO_LRU: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please \
     note that when switching between policies at runtime LRU and LFU data will take some \
     time to adjust.";

/// Redis's refcount of a shared object: the small integers 0..9999 every key holding
/// one of them shares.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// OBJECT, dispatched on the subcommand (arity and the subcommand's existence were
/// checked before).
pub(super) fn object(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let sub = args[1].to_ascii_lowercase();
    if sub == b"help" {
        return introspect::help_reply(ctx.out, HELP);
    }
    let (policy, maxmemory) = {
        let s = ctx.server.settings();
        (s.maxmemory_policy, s.maxmemory)
    };
    let now = ctx.ks.now();
    let Some(e) = ctx.ks.peek_counted(&args[2]) else {
        return ctx.out.null();
    };
    match sub.as_slice() {
        b"encoding" => ctx.out.bulk(encoding(e).as_bytes()),
        b"freq" if !is_lfu(policy) => ctx.out.error(NO_LFU),
        b"freq" => ctx.out.int(e.lfu_now(now, &ctx.server.db.lfu) as i64),
        b"idletime" if is_lfu(policy) => ctx.out.error(NO_LRU),
        b"idletime" => ctx.out.int(e.idle_secs(now) as i64),
        b"refcount" => {
            // Redis stores a small integer as the shared object unless LRU/LFU
            // eviction needs each key's own access data.
            let shares = maxmemory == 0 || !(is_lfu(policy) || is_lru(policy));
            let small_int = e.str_encoding == StrEncoding::ByContent
                && matches!(&e.value, Value::Str(s) if parse_i64(s).is_some_and(|n| (0..10_000).contains(&n)));
            ctx.out.int(if shares && small_int {
                SHARED_REFCOUNT
            } else {
                1
            })
        }
        _ => ctx
            .out
            .error(errors::unknown_subcommand(&args[1], "object")),
    }
}

fn is_lfu(p: EvictionPolicy) -> bool {
    matches!(p, EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu)
}

fn is_lru(p: EvictionPolicy) -> bool {
    matches!(p, EvictionPolicy::AllKeysLru | EvictionPolicy::VolatileLru)
}

/// The encoding Redis 7.0 would report. Lists are always quicklists in 7.0.
fn encoding(e: &Entry) -> &'static str {
    match &e.value {
        Value::Str(s) => {
            let by_content = matches!(
                e.str_encoding,
                StrEncoding::ByContent | StrEncoding::Unshared
            );
            let int = by_content && parse_i64(s).is_some();
            match e.str_encoding {
                StrEncoding::Raw => "raw",
                _ if int => "int",
                _ if s.len() <= 44 => "embstr", // Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT
                _ => "raw",
            }
        }
        Value::List(_) => "quicklist",
        Value::Hash(h) if h.is_compact() => "listpack",
        Value::Set(s) if s.is_intset() => "intset",
        Value::ZSet(z) if z.is_listpack() => "listpack",
        Value::ZSet(_) => "skiplist",
        Value::Hash(_) | Value::Set(_) => "hashtable",
    }
}
