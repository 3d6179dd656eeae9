//! `struct` for scripts: Roberto Ierusalimschy's lua_struct as Redis 7.0 embeds it —
//! `pack(fmt, ...)`, `unpack(fmt, data [, pos])`, `size(fmt)` — on this machine's
//! layout (little-endian by default, `int` 4 bytes, `long` and `size_t` 8), with its
//! alignment rules (`!n`) and error texts.

use super::library::{rust_fn, LibError, LibResult};
use mlua::{Lua, MultiValue, Result, Table, Value};

/// Largest `i`/`I` size (MAXINTSIZE).
const MAX_INT_SIZE: usize = 32;
/// Default `!` alignment (MAXALIGN).
const MAX_ALIGN: usize = 8;

/// Format state: byte order and maximum alignment (lua_struct's defaults: native
/// order — little-endian here — and no alignment).
struct Header {
    big: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            big: false,
            align: 1,
        }
    }
}

/// A format string being read.
struct Fmt<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Fmt<'_> {
    fn next(&mut self) -> Option<u8> {
        let c = self.s.get(self.pos).copied();
        self.pos += c.is_some() as usize;
        c
    }

    /// Digits after an option, or `default` when there are none.
    fn number(&mut self, default: usize) -> std::result::Result<usize, LibError> {
        if !self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut n: usize = 0;
        while let Some(d) = self.s.get(self.pos).filter(|c| c.is_ascii_digit()) {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add((d - b'0') as usize))
                .filter(|&n| n <= i32::MAX as usize)
                .ok_or_else(|| LibError::at_caller("integral size overflow"))?;
            self.pos += 1;
        }
        Ok(n)
    }

    /// The size an option takes (0 for control options).
    fn size(&mut self, opt: u8) -> std::result::Result<usize, LibError> {
        Ok(match opt {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'l' | b'L' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let n = self.number(4)?;
                if n > MAX_INT_SIZE {
                    return Err(LibError::at_caller(format!(
                        "integral size {n} is larger than limit of {MAX_INT_SIZE}"
                    )));
                }
                n
            }
            _ => 0,
        })
    }

    /// Apply a control option (`<`, `>`, `!n`, space), or fail on an unknown one.
    fn control(&mut self, opt: u8, h: &mut Header) -> std::result::Result<(), LibError> {
        match opt {
            b' ' => {}
            b'>' => h.big = true,
            b'<' => h.big = false,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return Err(LibError::at_caller(format!(
                        "alignment {a} is not a power of 2"
                    )));
                }
                h.align = a;
            }
            _ => {
                return Err(LibError::argument(
                    1,
                    format!("invalid format option '{}'", opt as char),
                ))
            }
        }
        Ok(())
    }
}

/// Padding before an option of `size` at offset `len`.
fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let align = size.min(h.align);
    (align - (len & (align - 1))) & (align - 1)
}

fn type_name(v: Option<&Value>, missing: &'static str) -> &'static str {
    v.map_or(missing, |v| v.type_name())
}

/// `luaL_checknumber`: a number or a numeric string.
fn check_number(args: &MultiValue, i: usize) -> std::result::Result<f64, LibError> {
    let v = args.get(i);
    v.and_then(super::lua::number).ok_or_else(|| {
        LibError::argument(
            i as i32 + 1,
            format!("number expected, got {}", type_name(v, "nil")),
        )
    })
}

/// `luaL_checklstring`: a string, or a number as Lua prints it.
fn check_string(
    args: &MultiValue,
    i: usize,
    missing: &'static str,
) -> std::result::Result<Vec<u8>, LibError> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Integer(n)) => Ok(n.to_string().into_bytes()),
        Some(Value::Number(n)) => Ok(super::lua::lua_number_text(*n).into_bytes()),
        v => Err(LibError::argument(
            i as i32 + 1,
            format!("string expected, got {}", type_name(v, missing)),
        )),
    }
}

fn put_int(out: &mut Vec<u8>, n: f64, big: bool, size: usize) {
    let mut value = if n < 0.0 { n as i64 as u64 } else { n as u64 };
    let mut bytes = [0u8; MAX_INT_SIZE];
    for b in bytes[..size].iter_mut() {
        *b = value as u8;
        value = value.checked_shr(8).unwrap_or(0);
    }
    if big {
        bytes[..size].reverse();
    }
    out.extend_from_slice(&bytes[..size]);
}

fn get_int(data: &[u8], big: bool, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let mut push = |b: u8| l = (l.checked_shl(8).unwrap_or(0)) | b as u64;
    if big {
        data.iter().for_each(|&b| push(b));
    } else {
        data.iter().rev().for_each(|&b| push(b));
    }
    if !signed {
        return l as f64;
    }
    let mask = u64::MAX
        .checked_shl((data.len() * 8 - 1) as u32)
        .unwrap_or(0);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn pack(lua: &Lua, args: MultiValue) -> LibResult {
    let fmt = check_string(&args, 0, "no value")?;
    let (mut f, mut h) = (Fmt { s: &fmt, pos: 0 }, Header::default());
    let mut out = Vec::new();
    let mut arg = 1;
    while let Some(opt) = f.next() {
        let mut size = f.size(opt)?;
        let pad = to_align(out.len(), &h, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_number(&args, arg)?;
                arg += 1;
                put_int(&mut out, n, h.big, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let mut b = (check_number(&args, arg)? as f32).to_le_bytes();
                arg += 1;
                if h.big {
                    b.reverse();
                }
                out.extend_from_slice(&b);
            }
            b'd' => {
                let mut b = check_number(&args, arg)?.to_le_bytes();
                arg += 1;
                if h.big {
                    b.reverse();
                }
                out.extend_from_slice(&b);
            }
            b'c' | b's' => {
                let s = check_string(&args, arg, "nil")?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(LibError::argument(arg as i32 + 1, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(opt, &mut h)?,
        }
    }
    Ok(MultiValue::from_iter([Value::String(
        lua.create_string(&out)?,
    )]))
}

fn unpack(lua: &Lua, args: MultiValue) -> LibResult {
    let fmt = check_string(&args, 0, "no value")?;
    let data = check_string(&args, 1, "no value")?;
    let start = match args.get(2) {
        None | Some(Value::Nil) => 1,
        Some(_) => check_number(&args, 2)
            .map_err(|_| LibError::argument(3, "number expected, got string"))?
            as i64,
    };
    if start <= 0 {
        return Err(LibError::argument(3, "offset must be 1 or greater"));
    }
    let mut pos = (start - 1) as usize;
    let (mut f, mut h) = (Fmt { s: &fmt, pos: 0 }, Header::default());
    let mut out: Vec<Value> = Vec::new();
    let short = || LibError::argument(2, "data string too short");
    while let Some(opt) = f.next() {
        let mut size = f.size(opt)?;
        pos += to_align(pos, &h, opt, size);
        if pos + size > data.len() {
            return Err(short());
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                out.push(Value::Number(get_int(
                    &data[pos..pos + size],
                    h.big,
                    signed,
                )));
            }
            b'x' => {}
            b'f' | b'd' => {
                let mut b = data[pos..pos + size].to_vec();
                if h.big {
                    b.reverse();
                }
                let v = if opt == b'f' {
                    f32::from_le_bytes(b[..4].try_into().expect("4 bytes")) as f64
                } else {
                    f64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
                };
                out.push(Value::Number(v));
            }
            b'c' => {
                if size == 0 {
                    let n = match out.last() {
                        Some(Value::Number(n)) => *n,
                        _ => return Err(LibError::at_caller("format 'c0' needs a previous size")),
                    };
                    out.pop();
                    size = n.max(0.0) as usize;
                    if size > data.len() || pos > data.len() - size {
                        return Err(short());
                    }
                }
                out.push(Value::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(end) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(LibError::at_caller("unfinished string in data"));
                };
                out.push(Value::String(lua.create_string(&data[pos..pos + end])?));
                size = end + 1;
            }
            _ => f.control(opt, &mut h)?,
        }
        pos += size;
    }
    out.push(Value::Number((pos + 1) as f64));
    Ok(MultiValue::from_iter(out))
}

fn size(_lua: &Lua, args: MultiValue) -> LibResult {
    let fmt = check_string(&args, 0, "no value")?;
    let (mut f, mut h) = (Fmt { s: &fmt, pos: 0 }, Header::default());
    let mut total = 0;
    while let Some(opt) = f.next() {
        let size = f.size(opt)?;
        total += to_align(total, &h, opt, size);
        if opt == b's' || (opt == b'c' && size == 0) {
            let name = if opt == b's' { "s" } else { "c0" };
            return Err(LibError::argument(
                1,
                format!("option '{name}' has no fixed size"),
            ));
        }
        if size == 0 {
            f.control(opt, &mut h)?;
        }
        total += size;
    }
    Ok(MultiValue::from_iter([Value::Number(total as f64)]))
}

/// The `struct` module table.
pub fn module(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", rust_fn(lua, pack)?)?;
    t.set("unpack", rust_fn(lua, unpack)?)?;
    t.set("size", rust_fn(lua, size)?)?;
    Ok(t)
}
