//! The few sandbox functions that must be C functions, as in Redis: `redis.call` and
//! `redis.pcall` (a Lua wrapper would lose the script's frame in `return redis.call(…)`
//! tail calls, and only C can raise a table as the error value), `redis.acl_check_cmd`,
//! `math.random` (Redis's rand48 generator with `luaL_argcheck` error positions), and
//! `next`, `pairs`, `rawget`, `rawset`, `setmetatable`, `getmetatable` and
//! `table.insert` (which must see through, or refuse, the read-only proxies without
//! handing out what is behind them, and raise their argument errors at the script's
//! position).

use super::convert::{self, ScriptCall};
use crate::command::args::format_g17;
use bytes::{Bytes, BytesMut};
use mlua::ffi::{self, lua_State};
use std::cell::Cell;
use std::ffi::c_int;
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    /// The running script's [`ScriptCall`], while [`with_call`] runs it on this thread.
    static CALL: Cell<*mut ()> = const { Cell::new(std::ptr::null_mut()) };
}

/// Run `f` (which runs a script) with `call` as the context of its `redis.call`s.
/// One permanent C function serves every script this way: no per-script callback to
/// create, and a nested command goes from the Lua stack to the handler and back
/// without converting through mlua's values.
pub fn with_call<R>(call: &mut ScriptCall<'_, '_>, f: impl FnOnce() -> R) -> R {
    struct Restore(*mut ());
    impl Drop for Restore {
        fn drop(&mut self) {
            CALL.with(|c| c.set(self.0));
        }
    }
    let outer = CALL.with(|c| c.replace((call as *mut ScriptCall<'_, '_>).cast()));
    let _restore = Restore(outer);
    f()
}

/// True while a script runs on this thread (its `redis.call`s are running).
pub fn in_script() -> bool {
    !CALL.with(Cell::get).is_null()
}

/// Where `redis.call` copies its arguments, kept per thread between calls so a call
/// allocates nothing once the buffers have grown to its size.
///
/// Each argument is split off `buf` as its own `Bytes`; `buf` reuses its allocation
/// only once every `Bytes` split from it has been dropped (the `bytes` crate checks
/// the refcount), so an argument a command keeps stays intact, and the next call
/// copies into a fresh buffer instead. (Commands copy what they store, see
/// `db::owned`, so normally the buffer is reused.)
#[derive(Default)]
struct ArgArena {
    buf: BytesMut,
    args: Vec<Bytes>,
    /// Number formatting (`format_g17` writes to a `Vec`).
    num: Vec<u8>,
}

/// Past either of these a call's arena is dropped after it rather than kept: one huge
/// call should not leave its buffers pinned to the thread.
const ARENA_KEEP_BYTES: usize = 64 * 1024;
const ARENA_KEEP_ARGS: usize = 1024;

/// Longest `%.17g` text of a double ("-2.2250738585072014e-308" is 24).
const NUM_MAX: usize = 32;

thread_local! {
    /// This thread's [`ArgArena`]; taken out while a call uses it (`None` then, so
    /// a nested call would just use a fresh one).
    static ARENA: Cell<Option<ArgArena>> = const { Cell::new(None) };
}

impl ArgArena {
    /// Copy the arguments of `redis.call` off the Lua stack into `self.args`; `Err` is
    /// Redis's script-side complaint about them. Raises no Lua error. Returns the
    /// bytes the arguments take, for [`Self::recycle`].
    unsafe fn fill(&mut self, l: *mut lua_State) -> Result<usize, &'static str> {
        let n = ffi::lua_gettop(l);
        if n == 0 {
            return Err("Please specify at least one argument for this redis lib call");
        }
        // First check the types and size them, so the buffer is reserved once (and
        // reclaimed from its start when the previous call's arguments are gone).
        let mut total = 0;
        for i in 1..=n {
            total += match ffi::lua_type(l, i) {
                ffi::LUA_TSTRING => {
                    let mut len = 0;
                    ffi::lua_tolstring(l, i, &mut len);
                    len
                }
                ffi::LUA_TNUMBER => NUM_MAX,
                _ => return Err("Lua redis lib command arguments must be strings or integers"),
            };
        }
        self.buf.reserve(total);
        self.args.reserve(n as usize);
        for i in 1..=n {
            if ffi::lua_type(l, i) == ffi::LUA_TSTRING {
                let mut len = 0;
                let p = ffi::lua_tolstring(l, i, &mut len);
                self.buf
                    .extend_from_slice(std::slice::from_raw_parts(p.cast::<u8>(), len));
            } else {
                // Redis formats numbers with %.17g (Lua's own tostring loses precision).
                self.num.clear();
                format_g17(ffi::lua_tonumber(l, i), &mut self.num);
                self.buf.extend_from_slice(&self.num);
            }
            self.args.push(self.buf.split().freeze());
        }
        Ok(total)
    }

    /// Ready for the next call: drop this call's arguments (so the buffer can be
    /// reused), or the whole arena if the call was a large one.
    fn recycle(mut self, total: usize) -> Option<Self> {
        if total > ARENA_KEEP_BYTES || self.args.len() > ARENA_KEEP_ARGS {
            return None;
        }
        self.args.clear();
        Some(self)
    }
}

/// The running script's call context, if a script is running on this thread.
///
/// # Safety
/// `with_call` set the pointer for the duration of the running script, on this thread;
/// the caller must not keep the reference past the current C function.
unsafe fn running_call() -> Option<&'static mut ScriptCall<'static, 'static>> {
    CALL.with(Cell::get)
        .cast::<ScriptCall<'static, 'static>>()
        .as_mut()
}

unsafe fn command(l: *mut lua_State, raise: bool) -> c_int {
    let Some(call) = running_call() else {
        return ffi::luaL_error(l, c"redis.call is only available inside a script".as_ptr());
    };
    // The Rust part: owns values with destructors, so it must not raise a Lua error
    // (a longjmp would skip them) — and does not.
    let mut from_command = false;
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut arena = ARENA.take().unwrap_or_default();
        let filled = arena.fill(l);
        from_command = filled.is_ok();
        convert::call_command(call, filled.map(|_| &arena.args[..]));
        ARENA.set(arena.recycle(filled.unwrap_or(0)));
    }))
    .is_err()
    {
        return ffi::luaL_error(l, c"internal error running the command".as_ptr());
    }
    // The Lua part: only borrows from here on. The arguments go first, as Redis pops
    // them, so a call may use the whole Lua stack for arguments.
    ffi::lua_settop(l, 0);
    let is_err = convert::push_reply(l, &call.reply.buf, from_command);
    if raise && is_err {
        ffi::lua_error(l);
    }
    1
}

/// `redis.acl_check_cmd(command, args…)`: may the running user call this command?
/// There are no ACL users here (every connection is Redis's default user, allowed
/// everything), so: true for any command Redis 7.0 knows (subcommand included, as
/// Redis's `lookupCommand` resolves it), Redis's error otherwise; the arguments are
/// checked as `redis.call` checks them.
pub unsafe extern "C-unwind" fn redis_acl_check_cmd(l: *mut lua_State) -> c_int {
    let mut arena = ARENA.take().unwrap_or_default();
    let filled = arena.fill(l);
    let verdict = filled.and_then(|_| {
        if is_known_command(&arena.args) {
            Ok(())
        } else {
            Err("Invalid command passed to redis.acl_check_cmd()")
        }
    });
    ARENA.set(arena.recycle(filled.unwrap_or(0)));
    ffi::lua_settop(l, 0);
    match verdict {
        Ok(()) => {
            ffi::lua_pushboolean(l, 1);
            1
        }
        Err(msg) => {
            {
                let reply = format!("-ERR {msg}\r\n");
                convert::push_reply(l, reply.as_bytes(), false);
            } // dropped before the error unwinds the C stack
            ffi::lua_error(l)
        }
    }
}

/// Is `argv` a command Redis 7.0 knows: a plain command, a container alone, or a
/// container with one of its subcommands?
fn is_known_command(argv: &[Bytes]) -> bool {
    use crate::command::table;
    let Some(id) = table::lookup(&argv[0]) else {
        return false;
    };
    let spec = table::spec(id);
    if spec.name.contains('|') {
        return false; // `client|list` is the table's name for it, not a command
    }
    match argv.get(1) {
        Some(sub) if spec.has_subcommands => table::lookup_sub(spec.name, sub).is_some(),
        _ => true,
    }
}

/// `redis.call`: errors are raised (as the `{err=…}` table).
pub unsafe extern "C-unwind" fn redis_call(l: *mut lua_State) -> c_int {
    command(l, true)
}

/// `redis.pcall`: errors are returned as the `{err=…}` table.
pub unsafe extern "C-unwind" fn redis_pcall(l: *mut lua_State) -> c_int {
    command(l, false)
}

/// `iterators(ro)`: the sandbox's `next` and `pairs`, as closures over `ro`, the weak
/// table from each read-only proxy to the table it protects. They iterate a proxy's
/// table as Lua 5.1's `next`/`pairs` iterate a table, but never hand it to the script:
/// `pairs(proxy)` returns the proxy itself as the state (as Redis, whose read-only
/// tables are the tables themselves, returns `_G` for `pairs(_G)`), and `next` looks the
/// protected table up on every call. Being C functions, their argument errors carry the
/// script's position and name the function as the script called it, as in Redis.
pub unsafe extern "C-unwind" fn iterators(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::lua_settop(l, 1);
    ffi::lua_pushvalue(l, 1);
    ffi::lua_pushcclosure(l, sandbox_next, 1); // `next`, at index 2
                                               // `pairs` has its own `next` as an upvalue, as in Lua 5.1 (`pairs(t) ~= next`).
    ffi::lua_pushvalue(l, 1);
    ffi::lua_pushvalue(l, 1);
    ffi::lua_pushcclosure(l, sandbox_next, 1);
    ffi::lua_pushcclosure(l, sandbox_pairs, 2);
    2
}

/// Replace the table at `idx` with the table it protects, if it is a read-only proxy
/// (`ro`, the weak proxy → table map, is the running closure's first upvalue).
unsafe fn unproxy(l: *mut lua_State, idx: c_int) {
    if push_protected(l, idx) {
        ffi::lua_replace(l, idx);
    } else {
        ffi::lua_pop(l, 1);
    }
}

/// Push `ro[v]` for the value at `idx` (`ro` being the running closure's first
/// upvalue): the table it protects if it is a read-only proxy (true), else nil.
unsafe fn push_protected(l: *mut lua_State, idx: c_int) -> bool {
    ffi::lua_pushvalue(l, idx);
    ffi::lua_rawget_(l, ffi::lua_upvalueindex(1));
    ffi::lua_type(l, -1) != ffi::LUA_TNIL
}

/// Lua 5.1's `luaB_next`, through read-only proxies.
unsafe extern "C-unwind" fn sandbox_next(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::lua_settop(l, 2); // a nil key if there is none
    unproxy(l, 1);
    if ffi::lua_next(l, 1) != 0 {
        2
    } else {
        ffi::lua_pushnil(l);
        1
    }
}

/// Lua 5.1's `luaB_pairs`: `next, t, nil`, with `t` as given (a proxy stays a proxy).
unsafe extern "C-unwind" fn sandbox_pairs(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(2));
    ffi::lua_pushvalue(l, 1);
    ffi::lua_pushnil(l);
    3
}

/// `raw_functions(ro)`: the sandbox's `rawget`, `rawset`, `setmetatable`,
/// `getmetatable` and `table.insert`, as closures over `ro` (see [`iterators`]): the
/// functions that could otherwise reach around a read-only proxy. `rawget` reads what
/// a proxy protects; `rawset`, `setmetatable` and `table.insert` refuse a proxy with
/// Redis's read-only error; `getmetatable` never returns a proxy's own metatable (whose
/// `__index` is the protected table). Otherwise they are Lua 5.1's, argument checks
/// and error texts included. With every writer guarded, nothing a script does can
/// leave a value in a proxy for the next script to see.
pub unsafe extern "C-unwind" fn raw_functions(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::lua_settop(l, 1);
    let funcs: [ffi::lua_CFunction; 5] = [
        sandbox_rawget,
        sandbox_rawset,
        sandbox_setmetatable,
        sandbox_getmetatable,
        sandbox_table_insert,
    ];
    for f in funcs {
        ffi::lua_pushvalue(l, 1);
        ffi::lua_pushcclosure(l, f, 1);
    }
    5
}

/// Is the value at `idx` a read-only proxy?
unsafe fn is_proxy(l: *mut lua_State, idx: c_int) -> bool {
    let proxy = push_protected(l, idx);
    ffi::lua_pop(l, 1);
    proxy
}

/// Redis's error for a write to a read-only table: the text alone, no position.
unsafe fn readonly_error(l: *mut lua_State) -> c_int {
    ffi::lua_pushstring(l, c"Attempt to modify a readonly table".as_ptr());
    ffi::lua_error(l)
}

/// Lua 5.1's `luaB_rawget`, through read-only proxies.
unsafe extern "C-unwind" fn sandbox_rawget(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::luaL_checkany(l, 2);
    ffi::lua_settop(l, 2);
    unproxy(l, 1);
    ffi::lua_rawget_(l, 1);
    1
}

/// Lua 5.1's `luaB_rawset`; a proxy is read-only.
unsafe extern "C-unwind" fn sandbox_rawset(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    ffi::luaL_checkany(l, 2);
    ffi::luaL_checkany(l, 3);
    if is_proxy(l, 1) {
        return readonly_error(l);
    }
    ffi::lua_settop(l, 3);
    ffi::lua_rawset(l, 1);
    1
}

/// Lua 5.1's `luaB_setmetatable`; a proxy is read-only. Redis checks that (in
/// `lua_setmetatable`) after the `__metatable` field, but `_G`'s proxy has one (what
/// `getmetatable(_G)` shows) where Redis's read-only `_G` answers the read-only
/// error: so the proxy check comes first.
unsafe extern "C-unwind" fn sandbox_setmetatable(l: *mut lua_State) -> c_int {
    let t = ffi::lua_type(l, 2);
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    if t != ffi::LUA_TNIL && t != ffi::LUA_TTABLE {
        return ffi::luaL_argerror(l, 2, c"nil or table expected".as_ptr());
    }
    if is_proxy(l, 1) {
        return readonly_error(l);
    }
    if ffi::luaL_getmetafield_(l, 1, c"__metatable".as_ptr()) != 0 {
        return ffi::luaL_error(l, c"cannot change a protected metatable".as_ptr());
    }
    ffi::lua_settop(l, 2);
    ffi::lua_setmetatable(l, 1);
    1
}

/// Lua 5.1's `luaB_getmetatable`, except that a proxy shows the `__metatable` field of
/// its own metatable, or nothing: Redis's read-only tables are the tables themselves,
/// and `getmetatable(redis)` is nil there, while a proxy's metatable has the protected
/// table as its `__index`.
unsafe extern "C-unwind" fn sandbox_getmetatable(l: *mut lua_State) -> c_int {
    ffi::luaL_checkany(l, 1);
    if ffi::lua_getmetatable(l, 1) == 0 {
        ffi::lua_pushnil(l);
        return 1;
    }
    if is_proxy(l, 1) {
        ffi::lua_pushstring(l, c"__metatable".as_ptr());
        ffi::lua_rawget_(l, -2);
        return 1;
    }
    ffi::luaL_getmetafield_(l, 1, c"__metatable".as_ptr());
    1
}

/// Lua 5.1's `tinsert` (`table.insert`); a proxy is read-only. Redis checks that in
/// `lua_rawseti`, so the argument errors come first, as here; every path writes.
unsafe extern "C-unwind" fn sandbox_table_insert(l: *mut lua_State) -> c_int {
    ffi::luaL_checktype(l, 1, ffi::LUA_TTABLE);
    let mut end = ffi::lua_objlen(l, 1) as c_int + 1; // the first empty element
    let pos = match ffi::lua_gettop(l) {
        2 => end,
        3 => {
            let pos = ffi::luaL_checkinteger(l, 2) as c_int;
            end = end.max(pos);
            pos
        }
        _ => return ffi::luaL_error(l, c"wrong number of arguments to 'insert'".as_ptr()),
    };
    if is_proxy(l, 1) {
        return readonly_error(l);
    }
    // Move elements up to make room (`t[i] = t[i-1]`), then `t[pos] = v`. A far-off
    // `pos` (`table.insert(t, -2^31, v)`) makes this a loop of 2^31 steps, in C, where
    // the instruction hook never runs: check the script's time limit along the way.
    let mut i = end;
    let mut steps: u32 = 0;
    while i > pos {
        ffi::lua_rawgeti_(l, 1, i - 1);
        ffi::lua_rawseti_(l, 1, i);
        i -= 1;
        steps = steps.wrapping_add(1);
        if steps.is_multiple_of(1 << 16) && script_over_time_limit(l) {
            ffi::lua_error(l);
        }
    }
    ffi::lua_rawseti_(l, 1, pos);
    0
}

/// Has the running script passed its time limit (or been killed)? If so, pushes the
/// message the instruction hook raises, for the caller to raise. For loops in C, where
/// that hook does not run.
unsafe fn script_over_time_limit(l: *mut lua_State) -> bool {
    let Some(call) = running_call().filter(|call| call.hook.expired()) else {
        return false;
    };
    {
        let msg = super::lua::abort_message(call.hook);
        ffi::lua_pushlstring(l, msg.as_ptr().cast(), msg.len());
    } // dropped before the error unwinds the C stack
    true
}

/// rand48 state, process-wide like Redis 7.0's: starts at rand48's default state and is
/// only reseeded by `math.randomseed` (Redis 7.0 no longer reseeds before each script).
static RAND: AtomicU64 = AtomicU64::new(0x1234_ABCD_330E);

/// Redis's `redisLrand48`: the next 31-bit value.
pub fn lrand48() -> i32 {
    let next = (RAND.load(Ordering::Relaxed).wrapping_mul(0x5_DEEC_E66D) + 0xB) & ((1 << 48) - 1);
    RAND.store(next, Ordering::Relaxed);
    (next >> 17) as i32
}

/// Redis's `redisSrand48`.
pub fn srand48(seed: i32) {
    RAND.store(((seed as u32 as u64) << 16) | 0x330E, Ordering::Relaxed);
}

unsafe fn checkint(l: *mut lua_State, arg: c_int) -> i64 {
    ffi::luaL_checkinteger(l, arg) as c_int as i64
}

/// Redis's patched `math.random`.
pub unsafe extern "C-unwind" fn math_random(l: *mut lua_State) -> c_int {
    let r = (lrand48() % i32::MAX) as f64 / i32::MAX as f64;
    match ffi::lua_gettop(l) {
        0 => ffi::lua_pushnumber(l, r),
        1 => {
            let u = checkint(l, 1);
            if u < 1 {
                ffi::luaL_argerror(l, 1, c"interval is empty".as_ptr());
            }
            ffi::lua_pushnumber(l, (r * u as f64).floor() + 1.0);
        }
        2 => {
            let lo = checkint(l, 1);
            let u = checkint(l, 2);
            if lo > u {
                ffi::luaL_argerror(l, 2, c"interval is empty".as_ptr());
            }
            ffi::lua_pushnumber(l, (r * (u - lo + 1) as f64).floor() + lo as f64);
        }
        _ => {
            ffi::luaL_error(l, c"wrong number of arguments".as_ptr());
        }
    }
    1
}

/// `math.randomseed`.
pub unsafe extern "C-unwind" fn math_randomseed(l: *mut lua_State) -> c_int {
    srand48(checkint(l, 1) as i32);
    0
}

/// The C frame every script library function written in Rust or Lua is called
/// through (`cjson`, `cmsgpack`, `redis.log`…). Its upvalue is the implementation,
/// which returns `(true, results…)` or `(false, error, how)`. The error (a string, or
/// Redis's `{err=…}` table) is raised from this C frame, as C libraries raise theirs:
/// - `how` a number N: `luaL_argerror(N, error)`, "bad argument #N to 'f' (error)",
///   where Lua names `f` as the caller sees it (`'?'` when called through `pcall`);
/// - `how` true: the string after the caller's position, as `luaL_error`;
/// - otherwise the error as it is.
///
/// So `pcall` hands scripts a string rather than a Rust error object, and the position
/// survives `return f(…)` tail calls (a Lua wrapper's would not).
pub unsafe extern "C-unwind" fn library_call(l: *mut lua_State) -> c_int {
    let n = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, n, ffi::LUA_MULTRET);
    if ffi::lua_toboolean(l, 1) != 0 {
        ffi::lua_remove(l, 1);
        return ffi::lua_gettop(l);
    }
    if ffi::lua_type(l, 3) == ffi::LUA_TNUMBER {
        let arg = ffi::lua_tointeger(l, 3) as c_int;
        // The message stays on the stack (index 2) while luaL_argerror formats it.
        return ffi::luaL_argerror(l, arg, ffi::lua_tostring(l, 2));
    }
    let positioned = ffi::lua_toboolean(l, 3) != 0;
    ffi::lua_settop(l, 2);
    if positioned {
        ffi::luaL_where(l, 1);
        ffi::lua_insert(l, 2);
        ffi::lua_concat(l, 2);
    }
    ffi::lua_error(l)
}
