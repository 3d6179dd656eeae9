//! Conversions between Lua values and RESP, following Redis 7.0's `script_lua.c`, and
//! the body of `redis.call` / `redis.pcall`.

use super::lua::{lua_number_text, CallState, HookState};
use crate::command::flags;
use crate::node::dispatch::{self, Ctx};
use crate::protocol::{errors, Reply};
use bytes::Bytes;
use mlua::{Lua, MultiValue, Table, Value};
use std::sync::atomic::Ordering;

/// Deeper nesting than this in a script's reply is cut with Redis's stack-limit error.
const MAX_DEPTH: usize = 1000;

/// Redis's error table text for a message: `-CODE msg` keeps its code, anything else
/// gets `ERR`; CR/LF at either end are trimmed (`luaPushErrorBuff`).
fn error_table_text(msg: &[u8]) -> Vec<u8> {
    let trim = |b: &[u8]| -> Vec<u8> {
        let s = b
            .iter()
            .position(|c| !matches!(c, b'\r' | b'\n'))
            .unwrap_or(b.len());
        let e = b
            .iter()
            .rposition(|c| !matches!(c, b'\r' | b'\n'))
            .map_or(s, |i| i + 1);
        b[s..e.max(s)].to_vec()
    };
    let mut out = Vec::with_capacity(msg.len() + 4);
    if let Some(rest) = msg.strip_prefix(b"-") {
        match memchr::memchr(b' ', rest) {
            None => {
                out.extend_from_slice(b"ERR ");
                out.extend_from_slice(&trim(rest));
            }
            Some(sp) => {
                out.extend_from_slice(&rest[..sp]);
                out.push(b' ');
                out.extend_from_slice(&trim(&rest[sp + 1..]));
            }
        }
    } else {
        out.extend_from_slice(b"ERR ");
        out.extend_from_slice(&trim(msg));
    }
    out
}

fn err_table(lua: &Lua, msg: &[u8]) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(error_table_text(msg))?)?;
    Ok(Value::Table(t))
}

/// `redis.call` / `redis.pcall`: returns (value, is_error). The Lua side raises the error
/// table for `call` and returns it for `pcall`.
pub fn call_command(
    lua: &Lua,
    ctx: &mut Ctx<'_>,
    st: &mut CallState,
    hook: &HookState,
    resp3: bool,
    args: MultiValue,
) -> mlua::Result<(Value, bool)> {
    let it = args.into_iter();
    let mut argv: Vec<Bytes> = Vec::with_capacity(it.len());
    for v in it {
        match v {
            Value::String(s) => argv.push(Bytes::copy_from_slice(&s.as_bytes())),
            Value::Integer(i) => argv.push(Bytes::from(i.to_string())),
            Value::Number(n) => argv.push(Bytes::from(lua_number_text(n))),
            _ => {
                return Ok((
                    err_table(
                        lua,
                        b"Lua redis lib command arguments must be strings or integers",
                    )?,
                    true,
                ))
            }
        }
    }
    if argv.is_empty() {
        return Ok((
            err_table(
                lua,
                b"Please specify at least one argument for this redis lib call",
            )?,
            true,
        ));
    }
    let (spec, def) = match dispatch::script_lookup(&argv) {
        Ok(found) => found,
        Err(msg) => return Ok((err_table(lua, msg.as_bytes())?, true)),
    };
    if spec.has(flags::NOSCRIPT) {
        return Ok((
            err_table(lua, b"This Redis command is not allowed from script")?,
            true,
        ));
    }
    if spec.has(flags::WRITE) && st.read_only {
        let msg = b"Write commands are not allowed from read-only scripts.";
        return Ok((err_table(lua, msg)?, true));
    }
    if st.oom && !st.dirty && spec.has(flags::DENYOOM) {
        return Ok((
            err_table(lua, format!("-{}", errors::OOM).as_bytes())?,
            true,
        ));
    }
    if spec.has(flags::WRITE) {
        st.dirty = true;
        hook.wrote.store(true, Ordering::Release);
    }
    let mut scratch = Reply {
        buf: Default::default(),
        resp3,
    };
    std::mem::swap(ctx.out, &mut scratch);
    crate::node::dispatch::run_and_settle(ctx, def, &argv);
    std::mem::swap(ctx.out, &mut scratch);
    let mut pos = 0;
    let v = resp_to_lua(lua, &scratch.buf, &mut pos)?;
    let is_err = scratch.buf.first() == Some(&b'-');
    Ok((v, is_err))
}

fn line<'b>(buf: &'b [u8], pos: &mut usize) -> mlua::Result<&'b [u8]> {
    let start = *pos;
    let end = memchr::memmem::find(&buf[start..], b"\r\n")
        .map(|i| start + i)
        .ok_or_else(|| mlua::Error::runtime("truncated reply"))?;
    *pos = end + 2;
    Ok(&buf[start..end])
}

fn num(b: &[u8]) -> i64 {
    crate::command::args::parse_i64(b).unwrap_or(0)
}

/// One RESP reply → Lua (Redis's `redisProtocolToLuaType`).
pub fn resp_to_lua(lua: &Lua, buf: &[u8], pos: &mut usize) -> mlua::Result<Value> {
    let kind = *buf
        .get(*pos)
        .ok_or_else(|| mlua::Error::runtime("empty reply"))?;
    *pos += 1;
    let head = line(buf, pos)?;
    Ok(match kind {
        b'+' => {
            let t = lua.create_table()?;
            t.raw_set("ok", lua.create_string(head)?)?;
            Value::Table(t)
        }
        b'-' => {
            let mut m = b"-".to_vec();
            m.extend_from_slice(head);
            err_table(lua, &m)?
        }
        b':' => Value::Number(num(head) as f64),
        b'$' | b'=' => {
            let n = num(head);
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let body = &buf[*pos..*pos + n as usize];
            *pos += n as usize + 2;
            if kind == b'=' {
                let t = lua.create_table()?;
                let v = lua.create_table()?;
                v.raw_set("format", lua.create_string(&body[..3.min(body.len())])?)?;
                v.raw_set("string", lua.create_string(body.get(4..).unwrap_or(b""))?)?;
                t.raw_set("verbatim_string", v)?;
                Value::Table(t)
            } else {
                Value::String(lua.create_string(body)?)
            }
        }
        b'*' | b'~' | b'>' => {
            let n = num(head);
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let t = lua.create_table()?;
            for i in 1..=n {
                let v = resp_to_lua(lua, buf, pos)?;
                if kind == b'~' {
                    t.raw_set(v, true)?;
                } else {
                    t.raw_set(i, v)?;
                }
            }
            if kind == b'~' {
                let w = lua.create_table()?;
                w.raw_set("set", t)?;
                return Ok(Value::Table(w));
            }
            Value::Table(t)
        }
        b'%' => {
            let t = lua.create_table()?;
            for _ in 0..num(head) {
                let k = resp_to_lua(lua, buf, pos)?;
                let v = resp_to_lua(lua, buf, pos)?;
                t.raw_set(k, v)?;
            }
            let w = lua.create_table()?;
            w.raw_set("map", t)?;
            Value::Table(w)
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(head == b"t"),
        b',' => {
            let t = lua.create_table()?;
            let d = std::str::from_utf8(head)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(0.0);
            t.raw_set("double", d)?;
            Value::Table(t)
        }
        b'(' => {
            let t = lua.create_table()?;
            t.raw_set("big_number", lua.create_string(head)?)?;
            Value::Table(t)
        }
        _ => return Err(mlua::Error::runtime("unknown reply type")),
    })
}

/// C's `(long long)` cast of a double as x86-64 does it: out of range and NaN give
/// `i64::MIN` (Rust's `as` would saturate).
fn c_cast(n: f64) -> i64 {
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

fn field(t: &Table, name: &str) -> Value {
    t.raw_get(name).unwrap_or(Value::Nil)
}

/// A script's return value → the client's reply (Redis's `luaReplyToRedisReply`).
pub fn lua_to_reply(out: &mut Reply, v: &Value, resp3: bool, depth: usize) {
    if depth > MAX_DEPTH {
        return out.error("ERR reached lua stack limit");
    }
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if resp3 {
                out.boolean(*b)
            } else if *b {
                out.int(1)
            } else {
                out.null()
            }
        }
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(c_cast(*n)),
        Value::Table(t) => {
            if let Value::String(e) = field(t, "err") {
                return out.error(errors::one_line(e.as_bytes().to_vec()));
            }
            if let Value::String(s) = field(t, "ok") {
                let mut b = b"+".to_vec();
                b.extend_from_slice(&errors::one_line(s.as_bytes().to_vec()));
                b.extend_from_slice(b"\r\n");
                return out.raw(&b);
            }
            if resp3 && table_resp3(out, t, depth) {
                return;
            }
            let mut items = Vec::new();
            for i in 1.. {
                match t.raw_get::<Value>(i) {
                    Ok(Value::Nil) | Err(_) => break,
                    Ok(v) => items.push(v),
                }
            }
            out.array(items.len());
            for v in &items {
                lua_to_reply(out, v, resp3, depth + 1);
            }
        }
        _ => out.null(),
    }
}

/// RESP3-only table shapes after `redis.setresp(3)`: {double=}, {map=}, {set=}, {big_number=}.
fn table_resp3(out: &mut Reply, t: &Table, depth: usize) -> bool {
    match field(t, "double") {
        Value::Number(d) => return out_double(out, d),
        Value::Integer(i) => return out_double(out, i as f64),
        _ => {}
    }
    if let Value::Table(m) = field(t, "map") {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(Result::ok).collect();
        out.map(pairs.len());
        for (k, v) in &pairs {
            lua_to_reply(out, k, true, depth + 1);
            lua_to_reply(out, v, true, depth + 1);
        }
        return true;
    }
    if let Value::Table(s) = field(t, "set") {
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(|p| p.ok().map(|(k, _)| k))
            .collect();
        out.set(keys.len());
        for k in &keys {
            lua_to_reply(out, k, true, depth + 1);
        }
        return true;
    }
    if let Value::String(b) = field(t, "big_number") {
        let mut r = b"(".to_vec();
        r.extend_from_slice(&errors::one_line(b.as_bytes().to_vec()));
        r.extend_from_slice(b"\r\n");
        out.raw(&r);
        return true;
    }
    false
}

fn out_double(out: &mut Reply, d: f64) -> bool {
    out.double(d);
    true
}

/// The reply for a script that raised an error: the handler's {err, source, line} table.
pub fn script_error(out: &mut Reply, v: &Value, sha: &str) {
    let (msg, source, line) = match v {
        Value::Table(t) => (field(t, "err"), field(t, "source"), field(t, "line")),
        other => (other.clone(), Value::Nil, Value::Nil),
    };
    let mut text = match msg {
        Value::String(s) => s.as_bytes().to_vec(),
        _ => b"ERR unknown script error".to_vec(),
    };
    if let (Value::String(src), Value::Integer(_) | Value::Number(_)) = (&source, &line) {
        let n = match line {
            Value::Integer(i) => i,
            Value::Number(n) => n as i64,
            _ => 0,
        };
        text.extend_from_slice(format!(" script: {sha}, on ").as_bytes());
        text.extend_from_slice(&src.as_bytes());
        text.extend_from_slice(format!(":{n}.").as_bytes());
    }
    out.error(errors::one_line(text));
}
