//! Server commands: CLIENT, COMMAND, INFO, LATENCY, MEMORY, SLOWLOG (submodules), and the small ones here —
//! DBSIZE, FLUSHDB/FLUSHALL, TIME, LASTSAVE, ROLE, FUNCTION FLUSH/LIST/…, RESET.
//!
//! Test harnesses and client libraries call these on connect or between tests
//! (`FLUSHALL`, `FUNCTION FLUSH`, `INFO`), so they answer exactly like Redis 7.0 even
//! where the node has nothing to do (no scripts, no persistence).

mod client;
mod command;
mod info;
mod latency;
mod memory;
mod slowlog;

use crate::command::args::eq_ignore_case;
use crate::node::dispatch::{global, keyed, keyless, CommandDef, Ctx};
use crate::protocol::errors;
use bytes::Bytes;
use std::time::{SystemTime, UNIX_EPOCH};

/// The server commands this node implements.
pub const COMMANDS: &[CommandDef] = &[
    keyless("client", client::client),
    keyless("command", command::command),
    keyless("info", info::info),
    global("dbsize", dbsize),
    global("flushdb", flush),
    global("flushall", flush),
    keyless("time", time),
    keyless("lastsave", lastsave),
    keyless("role", role),
    keyless("function", function),
    keyed("memory", memory::memory),
    keyless("slowlog", slowlog::slowlog),
    keyless("latency", latency::latency),
    keyless("reset", reset),
];

/// What INFO reports about the dataset, gathered from the shards.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DatasetCounts {
    /// Keys.
    pub keys: usize,
    /// Keys with a TTL.
    pub expires: usize,
    /// Bytes used.
    pub used: usize,
    /// Keyspace hits.
    pub hits: u64,
    /// Keyspace misses.
    pub misses: u64,
}

/// Counts of the dataset. Inside EXEC every shard is already locked by this command,
/// so read through the held guards instead of locking again (the shard mutexes are
/// not re-entrant).
pub(crate) fn dataset_counts(ctx: &mut Ctx<'_>) -> DatasetCounts {
    if ctx.ks.holds_all() {
        ctx.ks
            .shards_mut()
            .fold(DatasetCounts::default(), |c, s| DatasetCounts {
                keys: c.keys + s.len(),
                expires: c.expires + s.volatile_len(),
                used: c.used + s.mem(),
                hits: c.hits + s.hits(),
                misses: c.misses + s.misses(),
            })
    } else {
        let db = &ctx.server.db;
        let (keys, expires) = db.counts();
        let (hits, misses) = db.hits_misses();
        DatasetCounts {
            keys,
            expires,
            used: db.used_memory(),
            hits,
            misses,
        }
    }
}

fn dbsize(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    let keys: usize = ctx.ks.shards_mut().map(|s| s.len()).sum();
    ctx.out.int(keys as i64);
}

/// FLUSHDB / FLUSHALL [ASYNC|SYNC]: there is one database, so both clear it; the
/// free happens inline either way (it is a drop of the shard maps).
fn flush(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match args.get(1) {
        None => {}
        Some(a) if args.len() == 2 && (eq_ignore_case(a, "async") || eq_ignore_case(a, "sync")) => {
        }
        Some(_) => return ctx.out.error(errors::SYNTAX),
    }
    ctx.ks.clear();
    ctx.out.ok();
}

fn time(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut f = itoa::Buffer::new();
    ctx.out.array(2);
    ctx.out.bulk(f.format(now.as_secs()).as_bytes());
    ctx.out.bulk(f.format(now.subsec_micros()).as_bytes());
}

/// Nothing is ever saved: like a fresh redis-server, report the start time.
fn lastsave(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    ctx.out.int(ctx.server.started_unix as i64);
}

/// ROLE: a master with no replicas (Sentinel-aware clients ask before they trust a
/// server), replication offset 0 as INFO's `master_repl_offset`.
fn role(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    ctx.out.array(3);
    ctx.out.bulk(b"master");
    ctx.out.int(0);
    ctx.out.array(0);
}

/// FUNCTION: the node runs no scripts, so the library list is always empty. Test
/// suites call `FUNCTION FLUSH` between tests; it must succeed.
fn function(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let sub = &args[1];
    let out = &mut *ctx.out;
    if eq_ignore_case(sub, "flush") {
        match args.get(2) {
            None => out.ok(),
            Some(a)
                if args.len() == 3 && (eq_ignore_case(a, "async") || eq_ignore_case(a, "sync")) =>
            {
                out.ok()
            }
            Some(_) => out.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"),
        }
    } else if eq_ignore_case(sub, "list") {
        out.array(0);
    } else if eq_ignore_case(sub, "delete") {
        out.error("ERR Library not found");
    } else if eq_ignore_case(sub, "kill") {
        out.error("NOTBUSY No scripts in execution right now.");
    } else if eq_ignore_case(sub, "stats") {
        out.map(2);
        out.bulk(b"running_script");
        out.null();
        out.bulk(b"engines");
        out.map(1);
        out.bulk(b"LUA");
        out.map(2);
        out.bulk(b"libraries_count");
        out.int(0);
        out.bulk(b"functions_count");
        out.int(0);
    } else if eq_ignore_case(sub, "help") {
        crate::command::introspect::help_reply(out, FUNCTION_HELP);
    } else {
        // LOAD, DUMP, RESTORE: the node has no script engine.
        out.error(format!(
            "ERR FUNCTION {} is not supported by ringcache (no script engine)",
            String::from_utf8_lossy(sub).to_uppercase()
        ));
    }
}

const FUNCTION_HELP: &[&str] = &[
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
];

/// RESET: back to a fresh connection — leave MULTI, drop WATCHes and the name,
/// RESP2, and unauthenticated again when a password is set.
fn reset(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    let s = &mut *ctx.session;
    s.multi = None;
    s.multi_error = false;
    crate::node::cmd::transactions::unwatch_all(ctx.server, s);
    s.authed = ctx.server.settings().requirepass.is_none();
    {
        let mut st = s.info.state.lock();
        st.name = None;
        st.resp = 2;
        st.multi = None;
    }
    ctx.out.resp3 = false;
    ctx.out.simple("RESET");
}
