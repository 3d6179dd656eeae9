//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP,
//! with Redis 7.0's Lua semantics (lock clients release and extend locks this way).
//!
//! Scripts run atomically: the EVAL family is registered with `global` scope, so every
//! shard stays locked while the script runs, and `redis.call` runs the node's own
//! handlers against that same locked keyspace (`dispatch::script_lookup`).
//!
//! Differences from Redis (documented, deliberate): a script running past 5 s is aborted
//! with an error (Redis keeps running it and answers BUSY to everyone else until SCRIPT
//! KILL). Meanwhile, commands that need the keyspace wait for the script without
//! blocking their event loop, and keyless ones (PING, SCRIPT KILL …) run at once: see
//! `node::script_gate`. Connections on the script's own event loop wait for it, as
//! every client of redis-server does; new connections go to the other loops.

mod bit;
mod cfuncs;
mod convert;
mod library;
mod lua;
mod msgpack;
mod structlib;

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::node::dispatch::{global, keyless, CommandDef, Ctx};
use crate::node::server::Server;
use bytes::Bytes;
use lua::{CallState, Engine, HookState};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The scripting commands this node implements.
pub const COMMANDS: &[CommandDef] = &[
    global("eval", eval),
    global("evalsha", evalsha),
    global("eval_ro", eval_ro),
    global("evalsha_ro", evalsha_ro),
    keyless("script", script),
];

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// One node's scripting state.
struct Scripting {
    engine: Mutex<Option<Engine>>,
    hook: Arc<HookState>,
}

/// Scripting state per node, keyed by the node's run id (several nodes may share a
/// process in tests). Created on first use, so nodes that never script pay nothing.
fn scripting(server: &Server) -> Arc<Scripting> {
    static NODES: OnceLock<Mutex<HashMap<String, Arc<Scripting>>>> = OnceLock::new();
    NODES
        .get_or_init(Default::default)
        .lock()
        .entry(server.run_id.clone())
        .or_insert_with(|| {
            Arc::new(Scripting {
                engine: Mutex::new(None),
                hook: Arc::new(HookState::default()),
            })
        })
        .clone()
}

/// Run `f` with the node's Lua engine, creating it on first use.
fn with_engine<R>(ctx: &mut Ctx<'_>, f: impl FnOnce(&mut Engine, &mut Ctx<'_>) -> R) -> Option<R> {
    let s = scripting(ctx.server);
    let mut guard = s.engine.lock();
    if guard.is_none() {
        match Engine::new(s.hook.clone()) {
            Ok(e) => *guard = Some(e),
            Err(e) => {
                ctx.out.error(format!(
                    "ERR Lua state could not be created: {}",
                    lua::error_text(&e)
                ));
                return None;
            }
        }
    }
    Some(f(guard.as_mut().expect("engine just created"), ctx))
}

fn eval(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    run_script(ctx, args, false, false)
}
fn evalsha(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    run_script(ctx, args, true, false)
}
fn eval_ro(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    run_script(ctx, args, false, true)
}
fn evalsha_ro(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    run_script(ctx, args, true, true)
}

thread_local! {
    static OOM_AT_START: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while a script runs on this thread: a command run now was called by it.
pub fn in_script() -> bool {
    cfuncs::in_script()
}

/// Record whether the node is over `maxmemory` before a script's shards are locked
/// (Redis's `pre_command_oom_state`; dispatch calls this on the same thread right before
/// the handler): denyoom commands are then refused until the script has written.
pub fn set_oom_at_start(oom: bool) {
    OOM_AT_START.with(|c| c.set(oom));
}

fn over_maxmemory() -> bool {
    OOM_AT_START.with(|c| c.replace(false))
}

fn run_script(ctx: &mut Ctx<'_>, args: &[Bytes], by_sha: bool, read_only: bool) {
    let Some(numkeys) = parse_i64(&args[2]) else {
        return ctx.out.error(crate::protocol::errors::NOT_INTEGER);
    };
    if numkeys > (args.len() - 3) as i64 {
        return ctx
            .out
            .error("ERR Number of keys can't be greater than number of args");
    }
    if numkeys < 0 {
        return ctx.out.error("ERR Number of keys can't be negative");
    }
    let split = 3 + numkeys as usize;
    let (keys, argv) = (&args[3..split], &args[split..]);
    let st = CallState {
        read_only,
        oom: over_maxmemory(),
        dirty: false,
    };
    with_engine(ctx, |engine, ctx| {
        let sha = if by_sha {
            match lua::sha_key(&args[1]) {
                Some(k) => k,
                None => return ctx.out.error(NOSCRIPT),
            }
        } else {
            match engine.load(&args[1]) {
                Ok(sha) => sha,
                Err(msg) => return ctx.out.error(msg),
            }
        };
        if !engine.run(ctx, &sha, keys, argv, st) {
            ctx.out.error(NOSCRIPT);
        }
    });
}

const SCRIPT_HELP: &[&str] = &[
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
];

/// SCRIPT is keyless so that SCRIPT KILL gets through while a script holds every shard;
/// the other subcommands wait for the engine's mutex instead.
fn script(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let sub = &args[1];
    if eq_ignore_case(sub, "load") {
        with_engine(ctx, |engine, ctx| match engine.load(&args[2]) {
            Ok(sha) => ctx.out.bulk(&sha),
            Err(msg) => ctx.out.error(msg),
        });
    } else if eq_ignore_case(sub, "exists") {
        with_engine(ctx, |engine, ctx| {
            ctx.out.array(args.len() - 2);
            for sha in &args[2..] {
                ctx.out.int(engine.exists(sha) as i64);
            }
        });
    } else if eq_ignore_case(sub, "flush") {
        if args.len() > 3
            || (args.len() == 3
                && !eq_ignore_case(&args[2], "sync")
                && !eq_ignore_case(&args[2], "async"))
        {
            return ctx
                .out
                .error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        }
        with_engine(ctx, |engine, ctx| {
            engine.flush();
            ctx.out.ok();
        });
    } else if eq_ignore_case(sub, "kill") {
        let hook = scripting(ctx.server).hook.clone();
        if !hook.busy() {
            ctx.out.error("NOTBUSY No scripts in execution right now.");
        } else if hook.wrote.load(std::sync::atomic::Ordering::Acquire) {
            ctx.out.error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
        } else {
            hook.kill();
            ctx.out.ok();
        }
    } else if eq_ignore_case(sub, "help") {
        ctx.out.array(SCRIPT_HELP.len());
        for l in SCRIPT_HELP {
            ctx.out.simple(l);
        }
    } else {
        // SCRIPT DEBUG: the Lua debugger is not implemented.
        ctx.out
            .error("ERR SCRIPT DEBUG is not supported by this server");
    }
}
