//! `bit` for scripts: LuaBitOp 1.0's functions as Redis 7.0 embeds them, as C
//! functions (so argument errors are LuaBitOp's own `luaL_checknumber` texts, raised
//! as strings with the caller's position). Operands are normalized to signed 32-bit
//! integers the way LuaBitOp does it: add 2^52 + 2^51 and keep the low 32 bits of the
//! double (round to nearest, modulo 2^32).

use mlua::ffi::{self, lua_State};
use mlua::{Lua, Result, Table};
use std::ffi::c_int;

/// LuaBitOp's `tobit`.
fn tobit(x: f64) -> i32 {
    (x + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

unsafe fn arg(l: *mut lua_State, i: c_int) -> i32 {
    tobit(ffi::luaL_checknumber(l, i))
}

unsafe fn ret(l: *mut lua_State, v: i32) -> c_int {
    ffi::lua_pushnumber(l, v as f64);
    1
}

unsafe extern "C-unwind" fn tobit_fn(l: *mut lua_State) -> c_int {
    ret(l, arg(l, 1))
}

unsafe extern "C-unwind" fn bnot(l: *mut lua_State) -> c_int {
    ret(l, !arg(l, 1))
}

unsafe fn fold(l: *mut lua_State, op: fn(i32, i32) -> i32) -> c_int {
    let mut acc = arg(l, 1);
    for i in 2..=ffi::lua_gettop(l) {
        acc = op(acc, arg(l, i));
    }
    ret(l, acc)
}

unsafe extern "C-unwind" fn band(l: *mut lua_State) -> c_int {
    fold(l, |a, b| a & b)
}

unsafe extern "C-unwind" fn bor(l: *mut lua_State) -> c_int {
    fold(l, |a, b| a | b)
}

unsafe extern "C-unwind" fn bxor(l: *mut lua_State) -> c_int {
    fold(l, |a, b| a ^ b)
}

unsafe fn shift(l: *mut lua_State, op: fn(u32, u32) -> u32) -> c_int {
    let x = arg(l, 1) as u32;
    let n = (arg(l, 2) & 31) as u32;
    ret(l, op(x, n) as i32)
}

unsafe extern "C-unwind" fn lshift(l: *mut lua_State) -> c_int {
    shift(l, |x, n| x << n)
}

unsafe extern "C-unwind" fn rshift(l: *mut lua_State) -> c_int {
    shift(l, |x, n| x >> n)
}

unsafe extern "C-unwind" fn arshift(l: *mut lua_State) -> c_int {
    shift(l, |x, n| ((x as i32) >> n) as u32)
}

unsafe extern "C-unwind" fn rol(l: *mut lua_State) -> c_int {
    shift(l, u32::rotate_left)
}

unsafe extern "C-unwind" fn ror(l: *mut lua_State) -> c_int {
    shift(l, u32::rotate_right)
}

unsafe extern "C-unwind" fn bswap(l: *mut lua_State) -> c_int {
    ret(l, (arg(l, 1) as u32).swap_bytes() as i32)
}

unsafe extern "C-unwind" fn tohex(l: *mut lua_State) -> c_int {
    let mut b = arg(l, 1) as u32;
    let n = if ffi::lua_type(l, 2) == ffi::LUA_TNONE {
        8
    } else {
        arg(l, 2)
    };
    let (digits, n) = hex_layout(n);
    let mut buf = [0u8; 8];
    for slot in buf[..n].iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    ffi::lua_pushlstring(l, buf.as_ptr().cast(), n);
    1
}

/// tohex's digit set and width from its second argument: negative means upper case,
/// at most 8 digits. i32::MIN is taken as -(2^31 - 1), as LuaBitOp 1.0.3 does (its
/// negation would overflow).
fn hex_layout(n: i32) -> (&'static [u8; 16], usize) {
    let n = n.max(-i32::MAX);
    let digits = if n < 0 {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    (digits, n.unsigned_abs().min(8) as usize)
}

/// The `bit` module table.
pub fn module(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    type CFn = unsafe extern "C-unwind" fn(*mut lua_State) -> c_int;
    let fns: [(&str, CFn); 12] = [
        ("tobit", tobit_fn),
        ("tohex", tohex),
        ("bnot", bnot),
        ("band", band),
        ("bor", bor),
        ("bxor", bxor),
        ("lshift", lshift),
        ("rshift", rshift),
        ("arshift", arshift),
        ("rol", rol),
        ("ror", ror),
        ("bswap", bswap),
    ];
    for (name, f) in fns {
        // SAFETY: each function only uses the Lua C API on its own stack frame and
        // holds no Rust values that need dropping across a call that may raise.
        t.set(name, unsafe { lua.create_c_function(f)? })?;
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::{hex_layout, tobit};

    #[test]
    fn tobit_wraps_and_rounds_like_luabitop() {
        assert_eq!(tobit(4294967301.0), 5); // 2^32 + 5
        assert_eq!(tobit(4294967295.0), -1);
        assert_eq!(tobit(-1.0), -1);
        assert_eq!(tobit(2.5), 2); // round half to even
        assert_eq!(tobit(3.5), 4);
    }

    #[test]
    fn tohex_width_never_overflows() {
        assert_eq!(hex_layout(i32::MIN).1, 8);
        assert_eq!(hex_layout(-4).1, 4);
        assert_eq!(hex_layout(i32::MAX).1, 8);
        assert_eq!(hex_layout(0).1, 0);
    }
}
