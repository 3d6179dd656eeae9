//! From a parsed request to a reply: command lookup, arity and auth checks, MULTI
//! queueing, the memory limit, shard locking, and the call into the handler.
//!
//! Handlers live in `cmd/`, one file per command family; each family exports a
//! `COMMANDS` list of [`CommandDef`]s and this module indexes them by the shared
//! command table's ids.

use super::client::Session;
use super::command_stats::Stopwatch;
use super::db::{Db, HeldShard, Keyspace};
use super::server::Server;
use crate::command::{self, flags, CommandId};
use crate::protocol::{errors, Reply, Request};
use bytes::Bytes;
use std::sync::OnceLock;

/// Everything a handler may use while it runs.
pub struct Ctx<'a> {
    /// The node.
    pub server: &'a Server,
    /// The shards this command locked.
    pub ks: Keyspace<'a>,
    /// Where replies go.
    pub out: &'a mut Reply,
    /// The calling connection.
    pub session: &'a mut Session,
}

/// A command implementation. `args[0]` is the command name.
pub type Handler = fn(&mut Ctx<'_>, &[Bytes]);

/// Which shards a command locks before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The shards of the keys the command table lists.
    Keys,
    /// Every shard (whole-keyspace commands, movable keys, EXEC).
    All,
    /// None: the command touches no keys.
    Nothing,
}

/// A command the node implements.
pub struct CommandDef {
    /// Lower-case name as in the command table.
    pub name: &'static str,
    /// The implementation.
    pub run: Handler,
    /// Locking scope.
    pub scope: Scope,
}

/// A command on the keys the command table names.
pub const fn keyed(name: &'static str, run: Handler) -> CommandDef {
    CommandDef {
        name,
        run,
        scope: Scope::Keys,
    }
}
/// A command over the whole keyspace.
pub const fn global(name: &'static str, run: Handler) -> CommandDef {
    CommandDef {
        name,
        run,
        scope: Scope::All,
    }
}
/// A command that touches no keys.
pub const fn keyless(name: &'static str, run: Handler) -> CommandDef {
    CommandDef {
        name,
        run,
        scope: Scope::Nothing,
    }
}

fn families() -> impl Iterator<Item = &'static CommandDef> {
    use super::cmd::*;
    [
        connection::COMMANDS,
        server::COMMANDS,
        config::COMMANDS,
        keys::COMMANDS,
        strings::COMMANDS,
        hashes::COMMANDS,
        lists::COMMANDS,
        sets::COMMANDS,
        zsets::COMMANDS,
        transactions::COMMANDS,
        scripting::COMMANDS,
    ]
    .into_iter()
    .flatten()
}

/// Handlers indexed by command id.
fn table() -> &'static [Option<&'static CommandDef>] {
    static TABLE: OnceLock<Vec<Option<&'static CommandDef>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = vec![None; command::table::all().len()];
        for def in families() {
            let id = command::lookup(def.name.as_bytes())
                .unwrap_or_else(|| panic!("{} is not a Redis 7.0 command", def.name));
            t[id as usize] = Some(def);
        }
        t
    })
}

/// The node's implementation of a command, if it has one.
pub fn implementation(id: CommandId) -> Option<&'static CommandDef> {
    table()[id as usize]
}

/// Names of all implemented commands (COMMAND COUNT/LIST/INFO/DOCS).
pub fn implemented() -> impl Iterator<Item = CommandId> {
    table()
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_some())
        .map(|(i, _)| i as CommandId)
}

/// Outcome of checking a request before running it.
pub enum Checked {
    /// Run this command.
    Run(CommandId, &'static CommandDef),
    /// Rejected: the command or subcommand, if it is one the node runs (INFO
    /// commandstats counts the rejection under it), and the error reply text.
    Reject(Option<CommandId>, Vec<u8>),
}

/// Look up and validate a request: unknown command, unknown subcommand, arity — the
/// checks Redis makes (in this order) before anything else.
pub fn check(args: &[Bytes]) -> Checked {
    let Some(id) = command::lookup(&args[0]) else {
        return Checked::Reject(None, errors::unknown_command(args));
    };
    let spec = command::spec(id);
    let def = implementation(id);
    let Some(def) = def else {
        return Checked::Reject(None, errors::unknown_command(args));
    };
    if !spec.arity_ok(args.len()) {
        return Checked::Reject(Some(id), errors::arity(spec.name).into_bytes());
    }
    // `COMMAND` alone is valid (arity -1): only look for a subcommand when one is given.
    if spec.has_subcommands && args.len() > 1 {
        match command::lookup_sub(spec.name, &args[1]) {
            None => {
                let msg = errors::unknown_subcommand(&args[1], spec.name);
                return Checked::Reject(None, msg);
            }
            Some(sub) if !command::spec(sub).arity_ok(args.len()) => {
                let msg = errors::arity(command::spec(sub).name).into_bytes();
                return Checked::Reject(Some(sub), msg);
            }
            Some(_) => {}
        }
    }
    Checked::Run(id, def)
}

/// What [`dispatch`] did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Dispatched {
    /// It ran, was rejected, or was queued by MULTI: its reply is in `out`.
    Done,
    /// A script holds the keyspace: nothing ran yet. Wait for
    /// [`ScriptGate::finished`](super::script_gate::ScriptGate::finished), then
    /// [`resume`] it.
    WaitForScript,
}

/// Run one request on behalf of a connection, writing its reply to `out`. `held` is
/// the shard lock kept from the batch's previous command: reused when this command's
/// key is on that shard, released before anything else is locked.
pub fn dispatch<'a>(
    server: &'a Server,
    session: &mut Session,
    out: &mut Reply,
    args: &[Bytes],
    held: &mut HeldShard<'a>,
) -> Dispatched {
    let (id, def) = match check(args) {
        Checked::Run(id, def) => (id, def),
        Checked::Reject(id, msg) => return reject(server, session, out, (args, id), &msg, held),
    };
    let spec = command::spec(id);
    let single = single_shard(spec, def.scope, args);
    if single.is_none() || held.shard() != single {
        // This command locks something else (or some handler path locks shards itself).
        held.release();
    }
    // CLIENT LIST `cmd=`: containers record their subcommand.
    let shown = stats_id(id, spec, args);
    session
        .info
        .last_cmd
        .store(shown as u32, std::sync::atomic::Ordering::Relaxed);
    if !session.authed && !spec.has(flags::NO_AUTH) {
        let msg = errors::NOAUTH.as_bytes();
        return reject(server, session, out, (args, Some(shown)), msg, held);
    }
    // Queuing takes memory: over `maxmemory` Redis refuses every command but EXEC,
    // DISCARD, QUIT and RESET inside MULTI (a nested MULTI and WATCH too), and EXEC
    // then aborts.
    if session.in_multi()
        && !matches!(spec.name, "exec" | "discard" | "quit" | "reset")
        && super::evict::over_limit(server)
    {
        held.release(); // eviction locks shards itself
        if !super::evict::make_room(server) {
            let msg = errors::OOM.as_bytes();
            return reject(server, session, out, (args, Some(shown)), msg, held);
        }
    }
    if session.in_multi() && !super::cmd::transactions::runs_inside_multi(spec.name) {
        session.queue(args);
        out.simple("QUEUED");
        return Dispatched::Done;
    }
    // Where the connection belongs: recorded for commands that lock what they name
    // now (a queued command locks nothing until EXEC, which locks every shard).
    match (def.scope, single) {
        (Scope::Nothing, _) => {} // says nothing about where the connection belongs
        (Scope::All, None) => session.affinity.command(Some(super::affinity::ALL_SHARDS)),
        (_, single) => session.affinity.command(single),
    }
    let done = execute(server, session, out, args, (id, spec, def, single), held);
    if !spec.has(flags::FAST) {
        held.time_passed();
    }
    done
}

/// The id a command's calls count under (INFO commandstats, CLIENT LIST `cmd=`): a
/// container's (CLIENT, CONFIG…) is its subcommand's, which takes a second lookup.
fn stats_id(id: CommandId, spec: &command::CommandSpec, args: &[Bytes]) -> CommandId {
    match args.get(1) {
        Some(sub) if spec.has_subcommands => command::lookup_sub(spec.name, sub).unwrap_or(id),
        _ => id,
    }
}

/// Refuse a command before it runs (Redis's `rejectCommand`): the error, counted
/// under the command (`stats_id`) if known, and a MULTI in progress will fail at EXEC;
/// a refused EXEC itself ends the transaction with `EXECABORT` (Redis's
/// `execCommandAbort`), whatever the reason — wrong arity or NOAUTH alike.
fn reject(
    server: &Server,
    session: &mut Session,
    out: &mut Reply,
    (args, stats_id): (&[Bytes], Option<CommandId>),
    msg: &[u8],
    held: &mut HeldShard,
) -> Dispatched {
    held.release();
    if args[0].eq_ignore_ascii_case(b"exec") {
        if server.scripts.is_running() && !session.watched.is_empty() {
            return Dispatched::WaitForScript; // unwatching locks shards
        }
        super::cmd::transactions::abort(server, session);
        count_rejected(server, stats_id);
        let reason = msg.strip_prefix(b"ERR ").unwrap_or(msg);
        let mut text = b"EXECABORT Transaction discarded because of: ".to_vec();
        text.extend_from_slice(reason);
        reply_error(server, out, text);
        return Dispatched::Done;
    }
    session.flag_multi_error();
    count_rejected(server, stats_id);
    reply_error(server, out, msg);
    Dispatched::Done
}

/// Count a refusal under the command refused, if it is one the node runs.
pub fn count_rejected(server: &Server, stats_id: Option<CommandId>) {
    if let Some(id) = stats_id {
        server.stats.by_command.rejected(id);
    }
}

/// Reply an error that no command's run counts (a refusal, a protocol error), and
/// count it in INFO's error stats.
pub fn reply_error(server: &Server, out: &mut Reply, msg: impl AsRef<[u8]>) {
    server.stats.error_reply(msg.as_ref());
    out.error(msg);
}

/// Run a request that [`dispatch`] deferred with [`Dispatched::WaitForScript`]. It was
/// checked and counted then, unless it was a rejected EXEC, whose abort had to wait.
pub fn resume(
    server: &Server,
    session: &mut Session,
    out: &mut Reply,
    args: &[Bytes],
) -> Dispatched {
    let Checked::Run(id, def) = check(args) else {
        return dispatch(server, session, out, args, &mut HeldShard::default());
    };
    let spec = command::spec(id);
    let single = single_shard(spec, def.scope, args);
    let mut held = HeldShard::default();
    execute(
        server,
        session,
        out,
        args,
        (id, spec, def, single),
        &mut held,
    )
}

/// The part of [`dispatch`] after the checks: wait for a running script, make room
/// under `maxmemory`, lock, run.
fn execute<'a>(
    server: &'a Server,
    session: &mut Session,
    out: &mut Reply,
    args: &[Bytes],
    (id, spec, def, single): (CommandId, &command::CommandSpec, &CommandDef, Option<usize>),
    held: &mut HeldShard<'a>,
) -> Dispatched {
    let must_wait = || server.scripts.is_running() && !runs_during_script(spec, def, args);
    if must_wait() {
        held.release();
        return Dispatched::WaitForScript;
    }
    // Over maxmemory, every command evicts first (Redis's `processCommand`), so reads
    // bring the node back under a lowered limit too; only those that may grow memory
    // are refused when that fails. The check is one load: EXEC's flags walk its queue.
    // Not while a script runs (Redis skips evicting inside a busy script): eviction
    // would wait for the shards the script holds, and the commands let through
    // meanwhile (SCRIPT KILL, PING…) must answer at once.
    if super::evict::over_limit(server) && !server.scripts.is_running() {
        held.release(); // eviction locks shards itself
        if !super::evict::make_room(server) && denies_oom(spec, session) {
            // EXEC ends the transaction with EXECABORT.
            let refused = (args, Some(stats_id(id, spec, args)));
            return reject(server, session, out, refused, errors::OOM.as_bytes(), held);
        }
        if must_wait() {
            return Dispatched::WaitForScript; // one may have started while evicting
        }
    }
    let is_eval = is_script(spec);
    let exec_runs_script = spec.name == "exec"
        && (session.multi.as_ref()).is_some_and(|queued| {
            queued
                .iter()
                .any(|r| command::lookup(&r[0]).is_some_and(|id| is_script(command::spec(id))))
        });
    let mut run = move || {
        let ks = match single {
            Some(shard) => held.lock(&server.db, shard),
            None => lock_for(server, spec, def.scope, args),
        };
        if ks.waited() {
            session.affinity.contended();
        }
        let mut ctx = Ctx {
            server,
            ks,
            out,
            session,
        };
        run_and_count(&mut ctx, id, def, args);
    };
    if !is_eval && !exec_runs_script {
        run();
        return Dispatched::Done;
    }
    // Other connections wait for the script without blocking their loops.
    let _running = server.scripts.enter();
    if is_eval {
        // Scripts check memory per command inside; record the state before locking.
        super::cmd::scripting::set_oom_at_start(!super::evict::make_room(server));
    }
    // A script may run for up to its time limit: hand this worker's queued tasks
    // (other connections, SCRIPT KILL) to another thread meanwhile, or they would
    // wait for the script to end.
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(run);
    } else {
        run();
    }
    Dispatched::Done
}

/// Is this command refused over `maxmemory`? Those flagged DENYOOM are, and EXEC when
/// it would run one (Redis's `is_denyoom_command` looks at the queued commands' flags).
fn denies_oom(spec: &command::CommandSpec, session: &Session) -> bool {
    if spec.name == "exec" {
        let mut queued = session.multi.iter().flatten();
        let flagged = |r: &Request| {
            command::lookup(&r[0]).is_some_and(|id| command::spec(id).has(flags::DENYOOM))
        };
        return queued.any(flagged);
    }
    spec.has(flags::DENYOOM)
}

/// EVAL, EVALSHA, EVAL_RO or EVALSHA_RO?
fn is_script(spec: &command::CommandSpec) -> bool {
    matches!(spec.name, "eval" | "evalsha" | "eval_ro" | "evalsha_ro")
}

/// May this command run while a script holds the keyspace? Only keyless commands whose
/// handlers lock no shard (nor the Lua engine) may; everything else waits for the
/// script. An allowlist, so a new command waits unless added here.
fn runs_during_script(spec: &command::CommandSpec, def: &CommandDef, args: &[Bytes]) -> bool {
    let sub_is = |name: &str| {
        args.get(1)
            .is_some_and(|s| s.eq_ignore_ascii_case(name.as_bytes()))
    };
    def.scope == Scope::Nothing
        && match spec.name {
            "ping" | "echo" | "time" | "lastsave" | "quit" | "hello" | "auth" | "select"
            | "multi" | "client" | "command" | "function" => true,
            "config" => !sub_is("resetstat"), // resets the shards' hit counters
            "script" => sub_is("kill"),       // the others use the Lua engine
            // INFO counts keys; RESET, DISCARD and UNWATCH drop WATCHed keys.
            _ => false,
        }
}

/// The one shard a command's key lives on, for commands with exactly one key.
fn single_shard(spec: &command::CommandSpec, scope: Scope, args: &[Bytes]) -> Option<usize> {
    if scope != Scope::Keys || spec.has(flags::MOVABLEKEYS) {
        return None;
    }
    let mut idx = key_spec(spec, args).key_indexes(args.len());
    match (idx.next(), idx.next()) {
        (Some(i), None) => Some(Db::shard_of(&args[i])),
        _ => None,
    }
}

/// The spec that says where a command's keys are: a container's (OBJECT, MEMORY)
/// subcommand's, whose key follows the subcommand.
fn key_spec<'s>(spec: &'s command::CommandSpec, args: &[Bytes]) -> &'s command::CommandSpec {
    if !spec.has_subcommands {
        return spec;
    }
    match args
        .get(1)
        .and_then(|sub| command::lookup_sub(spec.name, sub))
    {
        Some(sub) => command::spec(sub),
        None => spec,
    }
}

/// Lock what a command needs.
pub fn lock_for<'a>(
    server: &'a Server,
    spec: &command::CommandSpec,
    scope: Scope,
    args: &[Bytes],
) -> Keyspace<'a> {
    if let Some(shard) = single_shard(spec, scope, args) {
        return server.db.lock_shard(shard);
    }
    match scope {
        Scope::Nothing => server.db.lock_none(),
        // No key, or several (one key was handled above).
        Scope::Keys if !spec.has(flags::MOVABLEKEYS) => server.db.lock_keys(
            key_spec(spec, args)
                .key_indexes(args.len())
                .map(|i| &args[i][..]),
        ),
        Scope::Keys | Scope::All => server.db.lock_all(),
    }
}

/// Run a woken blocked client's command again, under a normal lock of its keys.
/// Its call was counted when it first ran (as Redis counts a blocked command once);
/// an error now (BLMOVE onto a key of the wrong type) counts as a failed call, and it
/// goes to the slow log and its latency histogram now, as in Redis (one that times
/// out goes to neither).
pub fn rerun(server: &Server, session: &mut Session, out: &mut Reply, args: &[Bytes]) {
    if let Checked::Run(id, def) = check(args) {
        let spec = command::spec(id);
        let ks = lock_for(server, spec, def.scope, args);
        let mut ctx = Ctx {
            server,
            ks,
            out,
            session,
        };
        let Timed {
            stats_id,
            nanos,
            failed,
            ..
        } = run_timed(&mut ctx, id, def, args);
        // Served now (not back to waiting: another client took the data first).
        let served = ctx.session.blocking.parked.is_none();
        if served && server.stats.latency.enabled() {
            server.stats.latency.record(stats_id, nanos, 1);
        }
        if failed {
            server.stats.by_command.failed(stats_id);
        }
    }
}

/// Run a command inside an already-locked context (EXEC, scripts).
pub fn run_locked(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match check(args) {
        Checked::Run(id, def) => run_and_count(ctx, id, def, args),
        Checked::Reject(id, msg) => {
            count_rejected(ctx.server, id);
            reply_error(ctx.server, ctx.out, msg)
        }
    }
}

/// Run a command and count it (INFO `total_commands_processed` and commandstats) once
/// it ran, as Redis's `call` counts: a command queued by MULTI counts when EXEC runs
/// it, each command a script or EXEC runs counts (and their time is also EXEC's or
/// the script's), and an INFO reports the calls before its own. Its time goes to its
/// latency histogram (a command that blocked: once served, see [`rerun`], as Redis
/// records it), and to the latency monitor if long enough.
#[inline(always)]
pub fn run_and_count(ctx: &mut Ctx<'_>, id: CommandId, def: &CommandDef, args: &[Bytes]) {
    let Timed {
        stats_id,
        ticks,
        nanos,
        failed,
    } = run_timed(ctx, id, def, args);
    let server = ctx.server;
    let latency = ctx.session.blocking.parked.is_none().then_some(nanos);
    ctx.session
        .tally
        .count(server, (stats_id, id), (ticks, latency), failed);
    if server.latency_monitor.is_sample(nanos) {
        latency_sample(server, stats_id, nanos);
    }
}

/// A command that ran at least `latency-monitor-threshold` ms: a sample of Redis's
/// `fast-command` or `command` event.
#[cold]
fn latency_sample(server: &Server, id: CommandId, nanos: u64) {
    let event = if command::spec(id).has(flags::FAST) {
        "fast-command"
    } else {
        "command"
    };
    server.latency_monitor.add(event, nanos / 1_000_000);
}

/// How a command ran ([`run_timed`]).
struct Timed {
    /// The id its calls count under ([`stats_id`]).
    stats_id: CommandId,
    /// Its time in clock ticks, and in nanoseconds.
    ticks: u64,
    nanos: u64,
    /// Whether it replied an error.
    failed: bool,
}

/// [`run_and_settle`], timed: a slow run goes to the slow log.
fn run_timed(ctx: &mut Ctx<'_>, id: CommandId, def: &CommandDef, args: &[Bytes]) -> Timed {
    let watch = Stopwatch::start();
    let failed = run_and_settle(ctx, def, args);
    let ticks = watch.elapsed_ticks();
    let stats_id = stats_id(id, command::spec(id), args);
    let nanos = super::command_stats::nanos(ticks);
    if ctx.server.slowlog.is_slow(nanos) {
        log_slow(ctx, stats_id, args, nanos);
    }
    Timed {
        stats_id,
        ticks,
        nanos,
        failed,
    }
}

/// Put a command that ran long in the slow log, unless Redis leaves its kind out
/// (EXEC: its commands are logged each). A command a script called is logged as the
/// script's own client, which has no address or name.
///
/// A command that blocked is logged once served ([`rerun`]), as Redis logs it at
/// unblock; one that times out or whose client leaves is not.
#[cold]
fn log_slow(ctx: &Ctx<'_>, id: CommandId, args: &[Bytes], nanos: u64) {
    if command::spec(id).has(flags::SKIP_SLOWLOG) || ctx.session.blocking.parked.is_some() {
        return;
    }
    let (peer, name) = if super::cmd::scripting::in_script() {
        ("?:0".to_string(), Bytes::new())
    } else {
        let info = &ctx.session.info;
        (
            info.addr.clone(),
            info.state.lock().name.clone().unwrap_or_default(),
        )
    };
    ctx.server.slowlog.push(args, nanos, peer, name);
}

/// Run a handler, then signal WATCH for what it changed in place — unless its reply
/// is an error, in which case it changed nothing (see [`Keyspace::settle`]). An error
/// reply is counted in INFO's error stats here. True if the reply was an error.
pub fn run_and_settle(ctx: &mut Ctx<'_>, def: &CommandDef, args: &[Bytes]) -> bool {
    let start = ctx.out.len();
    (def.run)(ctx, args);
    let failed = matches!(ctx.out.buf.get(start), Some(b'-' | b'!'));
    let counted = std::mem::take(&mut ctx.session.error_counted);
    if failed && !counted {
        ctx.server.stats.error_reply(&ctx.out.buf[start..]);
    }
    ctx.ks.settle(!failed);
    failed
}

/// A command called from a script (`redis.call`): its id, the spec of the command or
/// subcommand called, and the handler.
pub type ScriptCommand = (
    CommandId,
    &'static command::CommandSpec,
    &'static CommandDef,
);

/// Look up a command called from a script (`redis.call`). `Err`: Redis's script-side
/// error text (the caller adds `ERR ` and the script position), and the command (or
/// subcommand) it refuses if the node runs it, which Redis counts as rejected.
pub fn script_lookup(args: &[Bytes]) -> Result<ScriptCommand, (Option<CommandId>, &'static str)> {
    const UNKNOWN: (Option<CommandId>, &str) = (None, "Unknown Redis command called from script");
    const ARITY: &str = "Wrong number of args calling Redis command from script";
    // Redis's order: the command, its subcommand, the arity; a command of the table
    // this node does not run is unknown only after that.
    let id = command::lookup(&args[0]).ok_or(UNKNOWN)?;
    let mut spec = command::spec(id);
    let mut stats_id = id;
    if spec.has_subcommands && args.len() >= 2 {
        stats_id = command::lookup_sub(spec.name, &args[1]).ok_or(UNKNOWN)?;
        spec = command::spec(stats_id);
    }
    if !spec.arity_ok(args.len()) {
        return Err((Some(stats_id), ARITY));
    }
    let def = implementation(id).ok_or(UNKNOWN)?;
    Ok((id, spec, def))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_implemented_command_has_command_info_and_docs() {
        // COMMAND's reply header counts implemented commands: one without recorded
        // bytes would leave clients waiting for an element that never comes.
        for id in implemented() {
            let s = command::spec(id);
            assert!(
                !s.info_resp2.is_empty() && !s.info_resp3.is_empty(),
                "{} has no COMMAND INFO",
                s.name
            );
            assert!(
                !s.docs_resp2.is_empty() && !s.docs_resp3.is_empty(),
                "{} has no COMMAND DOCS",
                s.name
            );
        }
    }

    #[test]
    fn every_handler_matches_the_command_table() {
        for def in families() {
            let id = command::lookup(def.name.as_bytes()).expect("known command");
            let spec = command::spec(id);
            if def.scope == Scope::Keys {
                // A container's keys are its subcommands' (`key_spec`).
                let prefix = format!("{}|", def.name);
                let sub_has_keys = command::table::all()
                    .iter()
                    .any(|s| s.name.starts_with(&prefix) && s.first_key > 0);
                assert!(
                    spec.first_key > 0 || spec.has(flags::MOVABLEKEYS) || sub_has_keys,
                    "{} has no keys: use keyless/global",
                    def.name
                );
            }
        }
    }
}
