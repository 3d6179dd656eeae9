//! The few sandbox functions that must be C functions, as in Redis: `redis.call` and
//! `redis.pcall` (a Lua wrapper would lose the script's frame in `return redis.call(…)`
//! tail calls, and only C can raise a table as the error value) and `math.random`
//! (Redis's rand48 generator with `luaL_argcheck` error positions).

use mlua::ffi::{self, lua_State};
use std::ffi::{c_int, CStr};
use std::sync::atomic::{AtomicU64, Ordering};

/// Registry slot holding the running script's command runner (a scoped Rust function
/// returning `(value, is_error)`); nil between scripts.
pub const RUNNER_KEY: &str = "ringcache.script_runner";
const RUNNER_KEY_C: &CStr = c"ringcache.script_runner";

unsafe fn command(l: *mut lua_State, raise: bool) -> c_int {
    let n = ffi::lua_gettop(l);
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, RUNNER_KEY_C.as_ptr());
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, n, 2);
    let is_err = ffi::lua_toboolean(l, -1) != 0;
    ffi::lua_pop(l, 1);
    if raise && is_err {
        ffi::lua_error(l);
    }
    1
}

/// `redis.call`: errors are raised (as the `{err=…}` table).
pub unsafe extern "C-unwind" fn redis_call(l: *mut lua_State) -> c_int {
    command(l, true)
}

/// `redis.pcall`: errors are returned as the `{err=…}` table.
pub unsafe extern "C-unwind" fn redis_pcall(l: *mut lua_State) -> c_int {
    command(l, false)
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
