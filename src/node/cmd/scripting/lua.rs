//! The node's Lua 5.1 state: the Redis 7.0 sandbox (`sandbox.lua`), the script cache,
//! the time limit, and the bridge that lets `redis.call` run commands.
//!
//! One state per node behind a mutex: scripts only run while every shard is locked, so
//! two scripts can never run at once anyway and the mutex is never contended by them.
//! A per-thread state would duplicate the cache and break `SCRIPT LOAD` on one
//! connection followed by `EVALSHA` on another.

use super::library::{self, none, rust_fn, LibError};
use super::{bit, cfuncs, convert, msgpack, structlib};
use crate::node::dispatch::Ctx;
use crate::node::types::KeyHasher;
use crate::protocol::Reply;
use bytes::Bytes;
use convert::ScriptCall;
use mlua::{
    ffi, Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Instructions between two clock checks.
const HOOK_EVERY: u32 = 10_000;
/// Lua heap cap, so `string.rep('x', 1e10)` fails inside the script instead of the node.
const MEMORY_LIMIT: usize = 512 << 20;
/// Source name of the sandbox chunk; the error handler skips its frames.
const SANDBOX: &str = "=redis_sandbox";

/// Registry name of the sandbox's weak map from each read-only proxy to the table it
/// protects (see sandbox.lua), for [`see_through`].
const READ_ONLY_PROXIES: &str = "ringcache.read_only_proxies";

/// The table a read-only proxy protects, or `t` itself: what the serialisers (cjson,
/// cmsgpack) walk, so `cjson.encode(math)` sees math's functions and fails as in
/// Redis instead of encoding an empty proxy as `{}`. They only read it.
pub fn see_through(lua: &Lua, t: Table) -> mlua::Result<Table> {
    let proxies: Table = lua.named_registry_value(READ_ONLY_PROXIES)?;
    Ok(match proxies.raw_get::<Value>(&t)? {
        Value::Table(real) => real,
        _ => t,
    })
}

/// Shared between the running script (its hook) and `SCRIPT KILL` on other connections.
#[derive(Default)]
pub struct HookState {
    /// Nanoseconds since [`epoch`] after which the running script is aborted; 0 = idle.
    deadline: AtomicU64,
    /// Set by SCRIPT KILL.
    kill: AtomicBool,
    /// The running script has executed a write command (SCRIPT KILL refuses then).
    pub wrote: AtomicBool,
    /// The time limit of the running script (`Settings::script_time_limit_ms`), for its
    /// error text.
    limit_ms: AtomicU64,
}

fn epoch() -> Instant {
    static E: OnceLock<Instant> = OnceLock::new();
    *E.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

impl HookState {
    /// A script is running.
    pub fn busy(&self) -> bool {
        self.deadline.load(Ordering::Acquire) != 0
    }
    /// Ask the running script to stop (SCRIPT KILL).
    pub fn kill(&self) {
        self.kill.store(true, Ordering::Release);
    }
    pub(super) fn expired(&self) -> bool {
        let d = self.deadline.load(Ordering::Acquire);
        d != 0 && (self.kill.load(Ordering::Acquire) || now_ns() > d)
    }
}

/// The error a script gets when it is aborted.
pub(super) fn abort_message(st: &HookState) -> String {
    if st.kill.load(Ordering::Acquire) {
        "Script killed by user with SCRIPT KILL...".into()
    } else {
        format!(
            "Script killed: it ran longer than the node's {} ms script time limit",
            st.limit_ms.load(Ordering::Relaxed)
        )
    }
}

/// Check the clock every [`HOOK_EVERY`] instructions; once the limit has passed, raise on
/// every instruction outside the sandbox's own frames, so a script's `pcall` loops cannot
/// swallow the abort.
fn install_hook(lua: &Lua, st: Arc<HookState>, every: u32) -> mlua::Result<()> {
    lua.set_global_hook(
        HookTriggers::new().every_nth_instruction(every),
        move |lua, debug| {
            if !st.expired() {
                return Ok(VmState::Continue);
            }
            if debug.source().source.as_deref() == Some(SANDBOX) {
                return Ok(VmState::Continue);
            }
            if every != 1 {
                install_hook(lua, st.clone(), 1)?;
            }
            Err(mlua::Error::RuntimeError(abort_message(&st)))
        },
    )
}

/// What a nested command needs besides the context (see [`convert::call_command`]).
pub struct CallState {
    /// EVAL_RO / EVALSHA_RO.
    pub read_only: bool,
    /// The node was over maxmemory when the script started.
    pub oom: bool,
    /// A write command has run.
    pub dirty: bool,
}

/// The Lua state and its script cache.
pub struct Engine {
    lua: Lua,
    run: Function,
    scripts: HashMap<[u8; 40], Function, KeyHasher>,
    /// Body → SHA1 of every cached script, so EVAL finds its function without
    /// hashing the body with SHA1 again: that was 8 % of a short EVAL's instructions.
    shas: HashMap<Box<[u8]>, [u8; 40], KeyHasher>,
    hook: Arc<HookState>,
    /// RESP version of nested replies (`redis.setresp`), 2 at every script start.
    resp: Arc<AtomicU8>,
}

/// The result of compiling a script body.
pub type Compiled = Result<[u8; 40], String>;

/// Push `items` as a Lua array of strings (KEYS, ARGV).
///
/// # Safety
/// `l` is a Lua state in protected mode (an out-of-memory error may be raised).
unsafe fn push_string_array(l: *mut ffi::lua_State, items: &[Bytes]) {
    ffi::luaL_checkstack(l, 2, c"too many arguments".as_ptr());
    ffi::lua_createtable(l, items.len().min(1 << 16) as std::ffi::c_int, 0);
    for (i, item) in items.iter().enumerate() {
        ffi::lua_pushlstring(l, item.as_ptr().cast(), item.len());
        ffi::lua_rawseti_(l, -2, i as std::ffi::c_int + 1);
    }
}

/// Lower-case hex SHA1 of a script body.
pub fn sha1_hex(body: &[u8]) -> [u8; 40] {
    // By hand rather than through `Display`: the formatting machinery cost as much as
    // the hashing. (A repeated EVAL no longer hashes: `Engine::load` finds its body.)
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 40];
    let digest = sha1_smol::Sha1::from(body).digest().bytes();
    for (pair, byte) in out.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX[(byte >> 4) as usize];
        pair[1] = HEX[(byte & 0xf) as usize];
    }
    out
}

/// `sha` as a cache key (EVALSHA accepts upper case, as Redis does).
pub fn sha_key(sha: &[u8]) -> Option<[u8; 40]> {
    let mut k: [u8; 40] = sha.try_into().ok()?;
    k.make_ascii_lowercase();
    Some(k)
}

impl Engine {
    /// A fresh state with the Redis sandbox installed.
    pub fn new(hook: Arc<HookState>) -> mlua::Result<Engine> {
        let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
        // SAFETY: `debug` is only kept as a local of the sandbox chunk (the error handler
        // needs getinfo) and removed from the globals scripts can see.
        let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::default()) };
        let _ = lua.set_memory_limit(MEMORY_LIMIT);
        let real = lua.globals();
        let errmsg = lua.create_function(|_, v: Value| {
            Ok(match v {
                Value::Error(e) => error_text(&e),
                other => format!("{other:?}"),
            })
        })?;
        let sha = rust_fn(&lua, |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(LibError::redis("wrong number of arguments"));
            }
            let body = match &args[0] {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Integer(i) => i.to_string().into_bytes(),
                Value::Number(n) => lua_number_text(*n).into_bytes(),
                _ => Vec::new(),
            };
            Ok(MultiValue::from_iter([Value::String(
                lua.create_string(sha1_hex(&body))?,
            )]))
        })?;
        let resp = Arc::new(AtomicU8::new(2));
        let r = resp.clone();
        let set_resp = rust_fn(&lua, move |_, args: MultiValue| {
            if args.len() != 1 {
                return Err(LibError::redis("redis.setresp() requires one argument."));
            }
            match number(&args[0]) {
                Some(v) if v == 2.0 || v == 3.0 => r.store(v as u8, Ordering::Relaxed),
                _ => return Err(LibError::redis("RESP version must be 2 or 3.")),
            }
            none()
        })?;
        // Logging is accepted and dropped: the node has no Redis-style log file.
        let log = rust_fn(&lua, |_, args: MultiValue| {
            if args.len() < 2 {
                return Err(LibError::redis(
                    "redis.log() requires two arguments or more.",
                ));
            }
            match number(&args[0]) {
                None => Err(LibError::redis("First argument must be a number")),
                Some(l) if !(0.0..=3.0).contains(&l) => {
                    Err(LibError::redis("Invalid debug level."))
                }
                Some(_) => none(),
            }
        })?;
        let set_repl = rust_fn(&lua, |_, args: MultiValue| {
            if args.len() != 1 {
                return Err(LibError::redis("redis.set_repl() requires one argument."));
            }
            match number(&args[0]) {
                Some(f) if (0.0..=3.0).contains(&f) => none(),
                _ => Err(LibError::redis(
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                )),
            }
        })?;
        // SAFETY: these C functions only use the Lua C API on their own stack frame and
        // hold no Rust values across calls that may raise.
        let (ccall, cpcall, acl_check, crandom, crandomseed, iterators, raw_functions) = unsafe {
            (
                lua.create_c_function(cfuncs::redis_call)?,
                lua.create_c_function(cfuncs::redis_pcall)?,
                lua.create_c_function(cfuncs::redis_acl_check_cmd)?,
                lua.create_c_function(cfuncs::math_random)?,
                lua.create_c_function(cfuncs::math_randomseed)?,
                lua.create_c_function(cfuncs::iterators)?,
                lua.create_c_function(cfuncs::raw_functions)?,
            )
        };
        let h = hook.clone();
        let killed = lua.create_function(move |_, ()| Ok(h.expired()))?;
        let dbg: Table = real.get("debug")?;
        // Redis's extra libraries: cjson (Lua, see cjson.lua), bit and cmsgpack (Rust).
        let wrap = lua.create_function(|lua, f: Function| library::through_c(lua, f))?;
        let see_through = lua.create_function(|lua, t: Table| see_through(lua, t))?;
        let cjson: Table = lua
            .load(include_str!("cjson.lua"))
            .set_name(SANDBOX)
            .call((
                Value::LightUserData(mlua::LightUserData(std::ptr::null_mut())),
                wrap,
                see_through,
            ))?;
        real.set("cjson", cjson)?;
        real.set("bit", bit::module(&lua)?)?;
        real.set("cmsgpack", msgpack::module(&lua)?)?;
        real.set("struct", structlib::module(&lua)?)?;
        let (globals, run, read_only): (Table, Function, Table) = lua
            .load(include_str!("sandbox.lua"))
            .set_name(SANDBOX)
            .call((
                real,
                dbg,
                errmsg,
                sha,
                ccall,
                cpcall,
                acl_check,
                crandom,
                crandomseed,
                set_resp,
                log,
                set_repl,
                killed,
                iterators,
                raw_functions,
            ))?;
        lua.set_named_registry_value(READ_ONLY_PROXIES, read_only)?;
        lua.set_globals(globals)?;
        install_hook(&lua, hook.clone(), HOOK_EVERY)?;
        Ok(Engine {
            lua,
            run,
            scripts: HashMap::default(),
            shas: HashMap::default(),
            hook,
            resp,
        })
    }

    /// Compile and cache `body` (EVAL, SCRIPT LOAD); returns its SHA1 or Redis's error.
    pub fn load(&mut self, body: &[u8]) -> Compiled {
        if let Some(sha) = self.shas.get(body) {
            return Ok(*sha);
        }
        let sha = sha1_hex(body);
        match self.lua.load(body).set_name("@user_script").into_function() {
            Ok(f) => {
                self.scripts.insert(sha, f);
                self.shas.insert(body.into(), sha);
                Ok(sha)
            }
            Err(e) => Err(format!(
                "ERR Error compiling script (new function): {}",
                error_text(&e)
            )),
        }
    }

    /// Is this SHA1 cached?
    pub fn exists(&self, sha: &[u8]) -> bool {
        sha_key(sha).is_some_and(|k| self.scripts.contains_key(&k))
    }

    /// SCRIPT FLUSH.
    pub fn flush(&mut self) {
        self.scripts.clear();
        self.shas.clear();
        let _ = self.lua.gc_collect();
    }

    /// Run a cached script, writing its reply to `ctx.out`. `false` = not cached.
    pub fn run(
        &mut self,
        ctx: &mut Ctx<'_>,
        sha: &[u8; 40],
        keys: &[Bytes],
        argv: &[Bytes],
        st: CallState,
    ) -> bool {
        let Some(f) = self.scripts.get(sha).cloned() else {
            return false;
        };
        let hook = self.hook.clone();
        hook.kill.store(false, Ordering::Release);
        hook.wrote.store(false, Ordering::Release);
        let limit_ms = ctx.server.settings().script_time_limit_ms;
        hook.limit_ms.store(limit_ms, Ordering::Relaxed);
        hook.deadline
            .store(now_ns() + limit_ms * 1_000_000, Ordering::Release);
        self.resp.store(2, Ordering::Relaxed);
        let mut call = ScriptCall {
            ctx: &mut *ctx,
            st,
            hook: &hook,
            resp: &self.resp,
            reply: Reply::default(),
        };
        let run = &self.run;
        let result = cfuncs::with_call(&mut call, || {
            // SAFETY: the closure only pushes two tables of strings and calls `run`
            // (which protects the script with xpcall); mlua runs it in protected
            // mode, and it holds nothing a Lua error could skip the clean-up of.
            unsafe {
                self.lua.exec_raw::<(bool, Value)>((run, f), |l| {
                    push_string_array(l, keys);
                    push_string_array(l, argv);
                    ffi::lua_call(l, 3, 2);
                })
            }
        });
        let tripped = hook.expired();
        hook.deadline.store(0, Ordering::Release);
        if tripped {
            let _ = install_hook(&self.lua, hook.clone(), HOOK_EVERY);
        }
        let hex = std::str::from_utf8(sha).unwrap_or("");
        if let Ok((_, v)) = &result {
            ctx.session.error_counted = convert::error_already_counted(v);
        }
        match result {
            Ok((true, v)) => {
                let setresp3 = self.resp.load(Ordering::Relaxed) == 3;
                convert::lua_to_reply(ctx.out, &v, setresp3, 0, &ctx.server.stats)
            }
            Ok((false, v)) => convert::script_error(ctx.out, &v, hex),
            Err(e) => ctx.out.error(crate::protocol::errors::one_line(
                format!("ERR {} script: {hex}", error_text(&e)).into_bytes(),
            )),
        }
        true
    }
}

/// The message of an mlua error without mlua's own decoration ("runtime error: ...").
pub fn error_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::MemoryError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => error_text(cause),
        other => other.to_string(),
    }
}

/// A Lua number, or a string Lua would convert to one (`lua_isnumber`).
pub(super) fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => s.to_str().ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// Redis turns a Lua number argument into text with `%.17g`.
pub fn lua_number_text(n: f64) -> String {
    let mut out = Vec::with_capacity(24);
    crate::command::args::format_g17(n, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::cfuncs::{lrand48, srand48};

    #[test]
    fn rand48_matches_redis() {
        // Redis 7.0: after `math.randomseed(5)`, `math.random(1000)` → 525.
        srand48(5);
        let r = (lrand48() % i32::MAX) as f64 / i32::MAX as f64;
        assert_eq!((r * 1000.0).floor() as i64 + 1, 525);
    }

    #[test]
    fn sha1_hex_is_lower_case_hex() {
        // `redis-cli SCRIPT LOAD "return 1"` on redis-server 7.0.
        assert_eq!(
            &super::sha1_hex(b"return 1"),
            b"e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
        );
    }
}
