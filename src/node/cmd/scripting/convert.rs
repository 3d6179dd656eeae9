//! Conversions between Lua values and RESP, following Redis 7.0's `script_lua.c`, and
//! the body of `redis.call` / `redis.pcall`.

use super::lua::{CallState, HookState};
use crate::command::{flags, CommandId};
use crate::node::dispatch::{self, Ctx};
use crate::node::server::Stats;
use crate::protocol::{errors, Reply};
use bytes::Bytes;
use mlua::ffi::{self, lua_State};
use mlua::{Table, Value};
use std::ffi::{c_int, CStr};
use std::sync::atomic::{AtomicU8, Ordering};

/// Deeper nesting than this in a script's reply is cut with Redis's stack-limit error.
const MAX_DEPTH: usize = 1000;

/// What `redis.call` works with while a script runs (see `cfuncs::with_call`).
pub struct ScriptCall<'c, 'a> {
    /// The EVAL's context: its locked shards, its connection.
    pub ctx: &'c mut Ctx<'a>,
    /// Read-only script, memory state at its start, writes so far.
    pub st: CallState,
    /// Where SCRIPT KILL learns that the script has written.
    pub hook: &'c HookState,
    /// RESP version of nested replies (`redis.setresp`).
    pub resp: &'c AtomicU8,
    /// The current nested command's reply, as RESP; kept between calls for its buffer.
    pub reply: Reply,
}

/// The body of `redis.call` / `redis.pcall` once the arguments are off the Lua stack
/// (`Err`: the script-side error about them): run the command, leaving its reply, or
/// Redis's script-side error, as RESP in `call.reply`. Every error reply but the one
/// about the arguments themselves is counted in INFO's error stats here, as Redis
/// counts them (and marks them `ignore_error_stats_update`, see [`push_reply`]).
pub fn call_command(call: &mut ScriptCall<'_, '_>, argv: Result<&[Bytes], &str>) {
    call.reply.buf.clear();
    call.reply.resp3 = call.resp.load(Ordering::Relaxed) == 3;
    let argv = match argv {
        Ok(argv) => argv,
        Err(msg) => return call.reply.error(format!("ERR {msg}")),
    };
    // A refusal counts as the refused command's rejected call (INFO commandstats).
    let refuse = |call: &mut ScriptCall<'_, '_>, refused: Option<CommandId>, msg: &str| {
        dispatch::count_rejected(call.ctx.server, refused);
        dispatch::reply_error(call.ctx.server, &mut call.reply, msg)
    };
    let (id, spec, def) = match dispatch::script_lookup(argv) {
        Ok(found) => found,
        Err((refused, msg)) => return refuse(call, refused, &format!("ERR {msg}")),
    };
    // What the refusals below refuse: the command or subcommand called.
    let refused = || crate::command::lookup(spec.name.as_bytes());
    let st = &mut call.st;
    if spec.has(flags::NOSCRIPT) {
        return refuse(
            call,
            refused(),
            "ERR This Redis command is not allowed from script",
        );
    }
    if spec.has(flags::WRITE) && st.read_only {
        return refuse(
            call,
            refused(),
            "ERR Write commands are not allowed from read-only scripts.",
        );
    }
    if st.oom && !st.dirty && spec.has(flags::DENYOOM) {
        return refuse(call, refused(), errors::OOM);
    }
    if spec.has(flags::WRITE) {
        st.dirty = true;
        call.hook.wrote.store(true, Ordering::Release);
    }
    // The handler writes to the context's reply buffer: lend it the nested one. Swap
    // back even if the handler panics, or the connection's earlier replies would be lost.
    std::mem::swap(call.ctx.out, &mut call.reply);
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        dispatch::run_and_count(call.ctx, id, def, argv)
    }));
    std::mem::swap(call.ctx.out, &mut call.reply);
    if let Err(panic) = ran {
        std::panic::resume_unwind(panic);
    }
}

fn line<'b>(buf: &'b [u8], pos: &mut usize) -> &'b [u8] {
    let start = *pos;
    let end = memchr::memmem::find(&buf[start..], b"\r\n").map_or(buf.len(), |i| start + i);
    *pos = (end + 2).min(buf.len());
    &buf[start..end]
}

fn num(b: &[u8]) -> i64 {
    crate::command::args::parse_i64(b).unwrap_or(0)
}

unsafe fn push_bytes(l: *mut lua_State, b: &[u8]) {
    ffi::lua_pushlstring(l, b.as_ptr().cast(), b.len());
}

/// `{name = b}` on the stack.
unsafe fn push_field_table(l: *mut lua_State, name: &CStr, b: &[u8]) {
    ffi::lua_createtable(l, 0, 1);
    push_bytes(l, b);
    ffi::lua_setfield(l, -2, name.as_ptr());
}

/// Push one RESP reply onto the Lua stack as Redis's `redisProtocolToLuaType` does;
/// returns whether it is an error reply. `from_command`: the reply is the command's
/// (its error tables then carry `ignore_error_stats_update = true`, as Redis marks
/// errors the command has already counted), not redis.call's own complaint about its
/// arguments.
///
/// # Safety
/// `l` is a Lua state with room for a few values. Lua may raise (out of memory) from
/// here: nothing in these frames has a destructor, so its longjmp skips no clean-up.
pub unsafe fn push_reply(l: *mut lua_State, buf: &[u8], from_command: bool) -> bool {
    let mut pos = 0;
    push_resp(l, buf, &mut pos, from_command);
    buf.first() == Some(&b'-')
}

unsafe fn push_resp(l: *mut lua_State, buf: &[u8], pos: &mut usize, counted: bool) {
    ffi::luaL_checkstack(l, 4, c"reply too deep".as_ptr());
    let Some(&kind) = buf.get(*pos) else {
        return ffi::lua_pushnil(l);
    };
    *pos += 1;
    let head = line(buf, pos);
    match kind {
        b'+' => push_field_table(l, c"ok", head),
        b'-' => {
            // Built as Redis builds it (field order shows in `pairs`).
            ffi::lua_createtable(l, 0, 0);
            // `-CODE msg` keeps its code; a message without one gets ERR.
            if memchr::memchr(b' ', head).is_some() {
                push_bytes(l, head);
            } else {
                push_bytes(l, b"ERR ");
                push_bytes(l, head);
                ffi::lua_concat(l, 2);
            }
            ffi::lua_setfield(l, -2, c"err".as_ptr());
            if counted {
                ffi::lua_pushboolean(l, 1);
                ffi::lua_setfield(l, -2, c"ignore_error_stats_update".as_ptr());
            }
        }
        b':' => ffi::lua_pushnumber(l, num(head) as f64),
        b'$' | b'=' => {
            let n = num(head);
            if n < 0 {
                return ffi::lua_pushboolean(l, 0);
            }
            let end = (*pos + n as usize).min(buf.len());
            let body = &buf[*pos..end];
            *pos = (end + 2).min(buf.len());
            if kind == b'=' {
                ffi::lua_createtable(l, 0, 1);
                ffi::lua_createtable(l, 0, 2);
                push_bytes(l, &body[..3.min(body.len())]);
                ffi::lua_setfield(l, -2, c"format".as_ptr());
                push_bytes(l, body.get(4..).unwrap_or(b""));
                ffi::lua_setfield(l, -2, c"string".as_ptr());
                ffi::lua_setfield(l, -2, c"verbatim_string".as_ptr());
            } else {
                push_bytes(l, body);
            }
        }
        b'*' | b'>' => {
            let n = num(head);
            if n < 0 {
                return ffi::lua_pushboolean(l, 0);
            }
            ffi::lua_createtable(l, n.min(1024) as c_int, 0);
            for i in 1..=n {
                push_resp(l, buf, pos, counted);
                ffi::lua_rawseti_(l, -2, i as c_int);
            }
        }
        b'~' => {
            ffi::lua_createtable(l, 0, 1);
            ffi::lua_createtable(l, 0, 0);
            for _ in 0..num(head) {
                push_resp(l, buf, pos, counted);
                ffi::lua_pushboolean(l, 1);
                ffi::lua_rawset(l, -3);
            }
            ffi::lua_setfield(l, -2, c"set".as_ptr());
        }
        b'%' => {
            ffi::lua_createtable(l, 0, 1);
            ffi::lua_createtable(l, 0, 0);
            for _ in 0..num(head) {
                push_resp(l, buf, pos, counted);
                push_resp(l, buf, pos, counted);
                ffi::lua_rawset(l, -3);
            }
            ffi::lua_setfield(l, -2, c"map".as_ptr());
        }
        b'#' => ffi::lua_pushboolean(l, (head == b"t") as c_int),
        b',' => {
            let d = std::str::from_utf8(head)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(0.0);
            ffi::lua_createtable(l, 0, 1);
            ffi::lua_pushnumber(l, d);
            ffi::lua_setfield(l, -2, c"double".as_ptr());
        }
        b'(' => push_field_table(l, c"big_number", head),
        // `_` (RESP3 null), and nothing else comes from the node's own replies.
        _ => ffi::lua_pushnil(l),
    }
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

/// Whether a script's result is an error a command already counted in INFO's error
/// stats (the `{err=…}` table redis.call/pcall made of the command's error reply):
/// replying it counts nothing again, as in Redis.
pub fn error_already_counted(v: &Value) -> bool {
    match v {
        Value::Table(t) => error_table_counted(t),
        _ => false,
    }
}

/// [`error_already_counted`] for a table.
fn error_table_counted(t: &Table) -> bool {
    matches!(field(t, "err"), Value::String(_))
        && matches!(field(t, "ignore_error_stats_update"), Value::Boolean(true))
}

/// A script's return value → the client's reply (Redis's `luaReplyToRedisReply`).
/// An error nested in the reply is counted in INFO's error stats here, as Redis counts
/// every error reply it adds (the top-level one is counted as the command's).
///
/// `setresp3`: the script called `redis.setresp(3)`. In Redis 7.0 that only decides
/// how a Lua boolean goes out (`#t`/`#f` through `addReplyBool`, rather than RESP2's
/// `:1`/null); it does not gate the RESP3-typed tables (`{double=…}`, `{map=…}`, …),
/// which are recognised whatever the script's protocol. Everything is then written in
/// the *client's* protocol (`out.resp3`), so a RESP2 client gets RESP2 fallbacks.
pub fn lua_to_reply(out: &mut Reply, v: &Value, setresp3: bool, depth: usize, stats: &Stats) {
    if depth > MAX_DEPTH {
        return out.error("ERR reached lua stack limit");
    }
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if setresp3 {
                out.boolean(*b)
            } else if *b {
                out.int(1)
            } else {
                out.null()
            }
        }
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(c_cast(*n)),
        Value::Table(t) => table_to_reply(out, t, setresp3, depth, stats),
        _ => out.null(),
    }
}

/// A Lua table → the client's reply. The shapes are tried in Redis 7.0's order, the
/// first whose field has the right Lua type winning (so `{err='x', double=1}` is an
/// error, `{double=1, map={…}}` a double, and `{double='1'}` — a string, not a number
/// — falls through to the next shapes and finally to an array):
/// `err` (string), `ok` (string), `double` (number), `big_number` (string),
/// `verbatim_string` (table with string `format` and `string`), `map` (table),
/// `set` (table), else the array part `t[1..]` up to the first nil.
fn table_to_reply(out: &mut Reply, t: &Table, setresp3: bool, depth: usize, stats: &Stats) {
    // Redis reads both texts as C strings: they end at a NUL.
    if let Value::String(e) = field(t, "err") {
        let text = errors::one_line(errors::c_str(&e.as_bytes()).to_vec());
        if depth > 0 && !error_table_counted(t) {
            stats.error_reply(&text);
        }
        return out.error(text);
    }
    if let Value::String(s) = field(t, "ok") {
        let mut b = b"+".to_vec();
        b.extend_from_slice(&errors::one_line(errors::c_str(&s.as_bytes()).to_vec()));
        b.extend_from_slice(b"\r\n");
        return out.raw(&b);
    }
    match field(t, "double") {
        Value::Number(d) => return out.double(d),
        Value::Integer(i) => return out.double(i as f64),
        _ => {}
    }
    if let Value::String(b) = field(t, "big_number") {
        return out.big_number(&errors::one_line(b.as_bytes().to_vec()));
    }
    if let Value::Table(v) = field(t, "verbatim_string") {
        if let (Value::String(format), Value::String(text)) =
            (field(&v, "format"), field(&v, "string"))
        {
            return out.verbatim_as(verbatim_format(&format.as_bytes()), &text.as_bytes());
        }
    }
    if let Value::Table(m) = field(t, "map") {
        // Lua's `next` order, as Redis walks the table with `lua_next`.
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(Result::ok).collect();
        out.map(pairs.len());
        for (k, v) in &pairs {
            lua_to_reply(out, k, setresp3, depth + 1, stats);
            lua_to_reply(out, v, setresp3, depth + 1, stats);
        }
        return;
    }
    if let Value::Table(s) = field(t, "set") {
        // The members are the keys; their values (normally `true`) are ignored.
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(|p| p.ok().map(|(k, _)| k))
            .collect();
        out.set(keys.len());
        for k in &keys {
            lua_to_reply(out, k, setresp3, depth + 1, stats);
        }
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
        lua_to_reply(out, v, setresp3, depth + 1, stats);
    }
}

/// A verbatim string's format as Redis's `addReplyVerbatim` copies it: a C string
/// (cut at its first NUL), its first three bytes, padded with spaces when shorter.
fn verbatim_format(format: &[u8]) -> [u8; 3] {
    let c_str = format.split(|&b| b == 0).next().unwrap_or(b"");
    let mut f = *b"   ";
    for (dst, src) in f.iter_mut().zip(c_str) {
        *dst = *src;
    }
    f
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_format_is_three_bytes_of_a_c_string() {
        // As redis-server 7.0.15 writes `{verbatim_string={format=…, string='hi'}}`.
        assert_eq!(&verbatim_format(b"txt"), b"txt");
        assert_eq!(&verbatim_format(b"markdown"), b"mar");
        assert_eq!(&verbatim_format(b"t"), b"t  ");
        assert_eq!(&verbatim_format(b""), b"   ");
        assert_eq!(&verbatim_format(b"t\0x"), b"t  ");
    }

    #[test]
    fn verbatim_and_big_number_follow_the_client_protocol() {
        let mut out = Reply::new();
        out.verbatim_as(*b"mar", b"hi");
        out.big_number(b"123");
        assert_eq!(&out.buf[..], b"$2\r\nhi\r\n$3\r\n123\r\n");
        let mut out = Reply::new();
        out.resp3 = true;
        out.verbatim_as(*b"mar", b"hi");
        out.big_number(b"123");
        assert_eq!(&out.buf[..], b"=6\r\nmar:hi\r\n(123\r\n");
    }
}
