//! `bit` for scripts: LuaBitOp 1.0's functions as Redis 7.0 embeds them. Operands are
//! Lua numbers normalized to signed 32-bit integers the way LuaBitOp does it (add
//! 2^52 + 2^51 and keep the low 32 bits of the double: round to nearest, modulo 2^32).

use mlua::{Lua, Result, Table, Variadic};

/// LuaBitOp's `tobit`.
fn tobit(x: f64) -> i32 {
    (x + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

/// The `bit` module table.
pub fn module(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("tobit", lua.create_function(|_, x: f64| Ok(tobit(x)))?)?;
    t.set("bnot", lua.create_function(|_, x: f64| Ok(!tobit(x)))?)?;
    type Fold = fn(i32, i32) -> i32;
    let folds: [(&str, Fold); 3] = [
        ("band", |a, b| a & b),
        ("bor", |a, b| a | b),
        ("bxor", |a, b| a ^ b),
    ];
    for (name, op) in folds {
        let f = lua.create_function(move |_, (x, rest): (f64, Variadic<f64>)| {
            Ok(rest.iter().fold(tobit(x), |acc, &y| op(acc, tobit(y))))
        })?;
        t.set(name, f)?;
    }
    let shifts: [(&str, Fold); 5] = [
        ("lshift", |x, n| ((x as u32) << (n & 31)) as i32),
        ("rshift", |x, n| ((x as u32) >> (n & 31)) as i32),
        ("arshift", |x, n| x >> (n & 31)),
        ("rol", |x, n| (x as u32).rotate_left((n & 31) as u32) as i32),
        ("ror", |x, n| {
            (x as u32).rotate_right((n & 31) as u32) as i32
        }),
    ];
    for (name, op) in shifts {
        let f = lua.create_function(move |_, (x, n): (f64, f64)| Ok(op(tobit(x), tobit(n))))?;
        t.set(name, f)?;
    }
    t.set(
        "bswap",
        lua.create_function(|_, x: f64| Ok((tobit(x) as u32).swap_bytes() as i32))?,
    )?;
    t.set(
        "tohex",
        lua.create_function(|lua, (x, n): (f64, Option<f64>)| {
            let mut b = tobit(x) as u32;
            let mut n = n.map_or(8, tobit);
            let digits: &[u8; 16] = if n < 0 {
                n = -n;
                b"0123456789ABCDEF"
            } else {
                b"0123456789abcdef"
            };
            let n = n.min(8) as usize;
            let mut buf = vec![0u8; n];
            for slot in buf.iter_mut().rev() {
                *slot = digits[(b & 15) as usize];
                b >>= 4;
            }
            lua.create_string(&buf)
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::tobit;

    #[test]
    fn tobit_wraps_and_rounds_like_luabitop() {
        assert_eq!(tobit(4294967301.0), 5); // 2^32 + 5
        assert_eq!(tobit(4294967295.0), -1);
        assert_eq!(tobit(-1.0), -1);
        assert_eq!(tobit(2.5), 2); // round half to even
        assert_eq!(tobit(3.5), 4);
    }
}
