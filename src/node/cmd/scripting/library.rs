//! Script library functions written in Rust or Lua (`cjson`, `cmsgpack`, `redis.log`…)
//! raise their errors the way Redis's C libraries do: as plain strings (so a script's
//! `pcall` gets a string it can concatenate), from a C frame
//! ([`cfuncs::library_call`](super::cfuncs::library_call)), optionally prefixed with
//! the caller's position like `luaL_error`.

use super::cfuncs;
use mlua::{ffi, Function, Lua, MaybeSend, MultiValue, Value};

/// An error a library function raises.
#[derive(Debug)]
pub struct LibError {
    msg: String,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A string after the caller's position (`user_script:1: `), as `luaL_error`.
    Positioned,
    /// The string alone.
    Plain,
    /// Redis's error table `{err = "ERR …"}` (its `luaPushError` + `luaError`).
    Redis,
    /// `luaL_argerror` for this argument: "bad argument #N to 'f' (msg)".
    Argument(i32),
}

impl LibError {
    /// Raised as `luaL_error` raises: after the calling script's position.
    pub fn at_caller(msg: impl Into<String>) -> Self {
        LibError {
            msg: msg.into(),
            kind: Kind::Positioned,
        }
    }

    /// Raised as `luaL_argerror(arg, msg)` raises: "bad argument #arg to 'f' (msg)",
    /// with `f` named as the caller sees it (`'?'` through `pcall`, as in Redis).
    pub fn argument(arg: i32, msg: impl Into<String>) -> Self {
        LibError {
            msg: msg.into(),
            kind: Kind::Argument(arg),
        }
    }

    /// Raised as `lua_error` with a pushed string: the text alone.
    pub fn plain(msg: impl Into<String>) -> Self {
        LibError {
            msg: msg.into(),
            kind: Kind::Plain,
        }
    }

    /// Raised as Redis's own `redis.*` functions raise: the table `{err = "ERR msg"}`
    /// (a script's `pcall` gets the text; the reply is `-ERR msg`).
    pub fn redis(msg: impl Into<String>) -> Self {
        LibError {
            msg: msg.into(),
            kind: Kind::Redis,
        }
    }
}

impl From<mlua::Error> for LibError {
    fn from(e: mlua::Error) -> Self {
        LibError::plain(super::lua::error_text(&e))
    }
}

/// What a library function returns.
pub type LibResult = Result<MultiValue, LibError>;

/// A Rust implementation as a script function.
pub fn rust_fn<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, MultiValue) -> LibResult + MaybeSend + 'static,
{
    let inner = lua.create_function(move |lua, args: MultiValue| {
        let mut out = MultiValue::new();
        match f(lua, args) {
            Ok(values) => {
                out.push_back(Value::Boolean(true));
                out.extend(values);
            }
            Err(e) => {
                out.push_back(Value::Boolean(false));
                out.push_back(match e.kind {
                    Kind::Redis => {
                        let t = lua.create_table()?;
                        t.set("err", format!("ERR {}", e.msg))?;
                        Value::Table(t)
                    }
                    _ => Value::String(lua.create_string(&e.msg)?),
                });
                out.push_back(match e.kind {
                    Kind::Argument(arg) => Value::Integer(arg.into()),
                    kind => Value::Boolean(kind == Kind::Positioned),
                });
            }
        }
        Ok(out)
    })?;
    through_c(lua, inner)
}

/// A Lua implementation that returns `(true, results…)` or `(false, message, how)`
/// (see [`cfuncs::library_call`]), as a script function.
pub fn through_c(lua: &Lua, inner: Function) -> mlua::Result<Function> {
    // SAFETY: `inner` is the only value pushed; lua_pushcclosure pops it as the
    // closure's upvalue and leaves the closure, which exec_raw returns.
    unsafe {
        lua.exec_raw(inner, |state| {
            ffi::lua_pushcclosure(state, cfuncs::library_call, 1);
        })
    }
}

/// No results.
pub fn none() -> LibResult {
    Ok(MultiValue::new())
}
