//! `cmsgpack` for scripts: lua-cmsgpack 0.4.0 as Redis 7.0 embeds it — `pack(...)`,
//! `unpack(s)`, `unpack_one(s [, offset])`, `unpack_limit(s, limit [, offset])` — with
//! its choices of encoding (smallest integer type; float32 when the double survives
//! the round trip; str8 for strings of 32..255 bytes; a table is an array when its
//! keys are exactly 1..n, else a map; tables nested 16 deep become nil) and its errors.

use super::library::{rust_fn, LibError, LibResult};
use mlua::{Lua, MultiValue, Result, Table, Value};

/// Tables deeper than this are packed as nil (LUACMSGPACK_MAX_NESTING).
const MAX_NESTING: usize = 16;

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// An integer argument as `luaL_checkinteger` reads it: a number, or a string that
/// converts to one, truncated.
fn int_arg(v: &Value) -> Option<i64> {
    super::lua::number(v).map(|n| n as i64)
}

fn pack_len(out: &mut Vec<u8>, n: usize, fix: u8, fix_max: usize, tag16: u8, tag32: u8) {
    if n <= fix_max {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(tag16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(tag32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn pack_number(out: &mut Vec<u8>, n: f64) {
    // C's `(int64_t)n == n`, without the undefined behaviour outside the range.
    let int64 = (i64::MIN as f64..-(i64::MIN as f64)).contains(&n);
    if !(int64 && (n as i64) as f64 == n) {
        let f = n as f32;
        if f as f64 == n {
            out.push(0xca);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        } else {
            out.push(0xcb);
            out.extend_from_slice(&n.to_bits().to_be_bytes());
        }
        return;
    }
    let i = n as i64;
    if i >= 0 {
        let u = i as u64;
        match u {
            0..=0x7f => out.push(u as u8),
            0x80..=0xff => out.extend_from_slice(&[0xcc, u as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend_from_slice(&(u as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend_from_slice(&(u as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend_from_slice(&u.to_be_bytes());
            }
        }
    } else if i >= -32 {
        out.push(i as i8 as u8);
    } else if i >= -128 {
        out.extend_from_slice(&[0xd0, i as i8 as u8]);
    } else if i >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

/// lua-cmsgpack's `table_is_an_array`: every key a positive integer-valued number
/// (within C int range), and the largest equal to the count.
fn array_len(t: &Table) -> Result<Option<usize>> {
    let (mut count, mut max) = (0usize, 0f64);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        match number_of(&k) {
            Some(n) if n > 0.0 && n <= i32::MAX as f64 && n.fract() == 0.0 => {
                max = max.max(n);
                count += 1;
            }
            _ => return Ok(None),
        }
    }
    Ok((max == count as f64).then_some(count))
}

fn pack_value(lua: &Lua, out: &mut Vec<u8>, v: &Value, level: usize) -> Result<()> {
    match v {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(_) | Value::Number(_) => pack_number(out, number_of(v).unwrap_or(0.0)),
        Value::String(s) => {
            let b = s.as_bytes();
            if b.len() < 32 {
                out.push(0xa0 | b.len() as u8);
            } else if b.len() <= 0xff {
                out.extend_from_slice(&[0xd9, b.len() as u8]);
            } else {
                pack_len(out, b.len(), 0, 0, 0xda, 0xdb);
            }
            out.extend_from_slice(&b);
        }
        Value::Table(t) if level < MAX_NESTING => {
            // A read-only library table packs as the table it protects.
            let t = &super::lua::see_through(lua, t.clone())?;
            match array_len(t)? {
                Some(n) => {
                    pack_len(out, n, 0x90, 15, 0xdc, 0xdd);
                    for i in 1..=n {
                        pack_value(lua, out, &t.raw_get::<Value>(i)?, level + 1)?;
                    }
                }
                None => {
                    let pairs: Vec<(Value, Value)> = t.pairs().collect::<Result<_>>()?;
                    pack_len(out, pairs.len(), 0x80, 15, 0xde, 0xdf);
                    for (k, v) in &pairs {
                        pack_value(lua, out, k, level + 1)?;
                        pack_value(lua, out, v, level + 1)?;
                    }
                }
            }
        }
        _ => out.push(0xc0),
    }
    Ok(())
}

/// Why a decode stopped.
enum Bad {
    Missing,
    Format,
    Lua(LibError),
}

impl From<mlua::Error> for Bad {
    fn from(e: mlua::Error) -> Self {
        Bad::Lua(e.into())
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> std::result::Result<&[u8], Bad> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or(Bad::Missing)?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn be(&mut self, n: usize) -> std::result::Result<u64, Bad> {
        Ok(self.take(n)?.iter().fold(0u64, |a, &b| a << 8 | b as u64))
    }

    fn value(&mut self, lua: &Lua) -> std::result::Result<Value, Bad> {
        let tag = self.take(1)?[0];
        let num = |n: f64| Ok(Value::Number(n));
        match tag {
            0x00..=0x7f => num(tag as f64),
            0xe0..=0xff => num(tag as i8 as f64),
            0xc0 => Ok(Value::Nil),
            0xc2 => Ok(Value::Boolean(false)),
            0xc3 => Ok(Value::Boolean(true)),
            0xcc => num(self.be(1)? as f64),
            0xcd => num(self.be(2)? as f64),
            0xce => num(self.be(4)? as f64),
            0xcf => num(self.be(8)? as f64),
            0xd0 => num(self.be(1)? as u8 as i8 as f64),
            0xd1 => num(self.be(2)? as u16 as i16 as f64),
            0xd2 => num(self.be(4)? as u32 as i32 as f64),
            0xd3 => num(self.be(8)? as i64 as f64),
            0xca => num(f32::from_bits(self.be(4)? as u32) as f64),
            0xcb => num(f64::from_bits(self.be(8)?)),
            _ => {
                // Containers and strings: a length (in the tag, or in 1, 2 or 4 bytes).
                type Read<'r> = fn(&mut Reader<'r>, &Lua, usize) -> std::result::Result<Value, Bad>;
                let (read, len): (Read<'_>, usize) = match tag {
                    0xa0..=0xbf => (Self::string, (tag & 0x1f) as usize),
                    0x90..=0x9f => (Self::array, (tag & 0x0f) as usize),
                    0x80..=0x8f => (Self::map, (tag & 0x0f) as usize),
                    0xd9 => (Self::string, self.be(1)? as usize),
                    0xda => (Self::string, self.be(2)? as usize),
                    0xdb => (Self::string, self.be(4)? as usize),
                    0xdc => (Self::array, self.be(2)? as usize),
                    0xdd => (Self::array, self.be(4)? as usize),
                    0xde => (Self::map, self.be(2)? as usize),
                    0xdf => (Self::map, self.be(4)? as usize),
                    _ => return Err(Bad::Format),
                };
                read(self, lua, len)
            }
        }
    }

    fn string(&mut self, lua: &Lua, n: usize) -> std::result::Result<Value, Bad> {
        let bytes = self.take(n)?;
        Ok(Value::String(lua.create_string(bytes)?))
    }

    fn array(&mut self, lua: &Lua, n: usize) -> std::result::Result<Value, Bad> {
        let t = lua.create_table()?;
        for i in 1..=n {
            let v = self.value(lua)?;
            t.raw_set(i, v)?;
        }
        Ok(Value::Table(t))
    }

    fn map(&mut self, lua: &Lua, n: usize) -> std::result::Result<Value, Bad> {
        let t = lua.create_table()?;
        for _ in 0..n {
            let k = self.value(lua)?;
            let v = self.value(lua)?;
            if k.is_nil() {
                return Err(Bad::Lua(LibError::plain("table index is nil")));
            }
            t.raw_set(k, v)?;
        }
        Ok(Value::Table(t))
    }
}

/// Decode up to `limit` values from `offset`: (next offset or -1, values...); with
/// `limit` 0, every value and no offset (plain `unpack`).
fn unpack_from(lua: &Lua, args: &MultiValue, limit: i64, offset: i64) -> LibResult {
    let s = match args.front() {
        Some(Value::String(s)) => s.as_bytes().to_vec(),
        Some(v @ (Value::Integer(_) | Value::Number(_))) => {
            super::lua::lua_number_text(number_of(v).unwrap_or(0.0)).into_bytes()
        }
        other => {
            let got = other.map_or("no value", |v| v.type_name());
            return Err(LibError::argument(1, format!("string expected, got {got}")));
        }
    };
    if offset < 0 || limit < 0 {
        return Err(LibError::at_caller(format!(
            "Invalid request to unpack with offset of {offset} and limit of {}.",
            s.len()
        )));
    }
    let (limit, offset) = (limit as usize, offset as usize);
    if offset > s.len() {
        return Err(LibError::at_caller(format!(
            "Start offset {offset} greater than input length {}.",
            s.len()
        )));
    }
    let mut r = Reader {
        buf: &s,
        pos: offset,
    };
    let mut out = Vec::new();
    while r.pos < s.len() && (limit == 0 || out.len() < limit) {
        match r.value(lua) {
            Ok(v) => out.push(v),
            Err(Bad::Missing) => return Err(LibError::at_caller("Missing bytes in input.")),
            Err(Bad::Format) => return Err(LibError::at_caller("Bad data format in input.")),
            Err(Bad::Lua(e)) => return Err(e),
        }
    }
    let mut values = MultiValue::new();
    if limit > 0 {
        let next = if r.pos >= s.len() { -1 } else { r.pos as i64 };
        values.push_back(Value::Integer(next));
    }
    values.extend(out);
    Ok(values)
}

/// An optional integer argument (`luaL_optinteger`), 0 when absent.
fn opt_int(args: &MultiValue, i: usize) -> i64 {
    args.get(i).and_then(int_arg).unwrap_or(0)
}

/// The `cmsgpack` module table.
pub fn module(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    let pack = rust_fn(lua, |lua, args| {
        if args.is_empty() {
            return Err(LibError::argument(0, "MessagePack pack needs input."));
        }
        let mut out = Vec::new();
        for v in args.iter() {
            pack_value(lua, &mut out, v, 0)?;
        }
        Ok(MultiValue::from_iter([Value::String(
            lua.create_string(&out)?,
        )]))
    })?;
    t.set("pack", pack)?;
    t.set(
        "unpack",
        rust_fn(lua, |lua, args| unpack_from(lua, &args, 0, 0))?,
    )?;
    t.set(
        "unpack_one",
        rust_fn(lua, |lua, args| {
            unpack_from(lua, &args, 1, opt_int(&args, 1))
        })?,
    )?;
    let unpack_limit = rust_fn(lua, |lua, args| {
        let Some(limit) = args.get(1).and_then(int_arg) else {
            let got = args.get(1).map_or("no value", |v| v.type_name());
            return Err(LibError::argument(2, format!("number expected, got {got}")));
        };
        unpack_from(lua, &args, limit, opt_int(&args, 2))
    })?;
    t.set("unpack_limit", unpack_limit)?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}
