//! CLIENT: ID, SETNAME, GETNAME, SETINFO (Redis 7.2 semantics: every current client
//! library sends it on connect), LIST, INFO, KILL, NO-EVICT, GETREDIR, TRACKINGINFO,
//! CACHING, HELP.
//!
//! Not supported (answered with an explicit error, not "unknown subcommand", since
//! Redis 7.0 knows them): PAUSE, UNPAUSE, REPLY, TRACKING, UNBLOCK.

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::command::hello::validate_client_name;
use crate::command::{self, CommandId};
use crate::node::dispatch::Ctx;
use crate::node::server::{ClientInfo, NO_COMMAND};
use crate::protocol::errors;
use bytes::Bytes;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// CLIENT, dispatched on the subcommand (arity is already checked per subcommand).
pub fn client(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let sub = args[1].to_ascii_lowercase();
    match sub.as_slice() {
        b"id" => ctx.out.int(ctx.session.info.id as i64),
        b"getname" => match ctx.session.info.state.lock().name.clone() {
            Some(n) => ctx.out.bulk(&n),
            None => ctx.out.null(),
        },
        b"setname" => setname(ctx, &args[2]),
        b"setinfo" => setinfo(ctx, &args[2], &args[3]),
        b"list" => list(ctx, args),
        b"info" => {
            // One CLIENT LIST line, newline included, as Redis sends it.
            let mut line = client_line(&ctx.session.info, Some(args));
            line.push('\n');
            ctx.out.verbatim(line.as_bytes());
        }
        b"kill" => kill(ctx, args),
        b"no-evict" => {
            // The node never evicts clients, so every client is already protected.
            if eq_ignore_case(&args[2], "on") || eq_ignore_case(&args[2], "off") {
                ctx.out.ok();
            } else {
                ctx.out.error(errors::SYNTAX);
            }
        }
        b"getredir" => ctx.out.int(-1),
        b"trackinginfo" => {
            let out = &mut *ctx.out;
            out.map(3);
            out.bulk(b"flags");
            out.set(1);
            out.bulk(b"off");
            out.bulk(b"redirect");
            out.int(-1);
            out.bulk(b"prefixes");
            out.array(0);
        }
        // Tracking can never be on here, so this is always Redis's answer.
        b"caching" => ctx.out.error(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ),
        b"help" => crate::command::introspect::help_reply(ctx.out, crate::command::introspect::CLIENT_HELP),
        _ => ctx.out.error(format!(
            "ERR CLIENT {} is not supported by ringcache",
            String::from_utf8_lossy(&sub).to_uppercase()
        )),
    }
}

fn setname(ctx: &mut Ctx<'_>, name: &Bytes) {
    if let Err(e) = validate_client_name(name) {
        return ctx.out.error(e);
    }
    ctx.session.info.state.lock().name = (!name.is_empty()).then(|| Bytes::copy_from_slice(name));
    ctx.out.ok();
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value, as Redis 7.2: names and versions may not
/// contain spaces or special characters; an empty value clears the attribute.
fn setinfo(ctx: &mut Ctx<'_>, attr: &Bytes, value: &Bytes) {
    let which = match crate::command::hello::check_setinfo(attr, value) {
        Ok(which) => which,
        Err(e) => return ctx.out.error(e),
    };
    let v = (!value.is_empty()).then(|| Bytes::copy_from_slice(value));
    let mut st = ctx.session.info.state.lock();
    if which == crate::command::hello::LibAttr::Name {
        st.lib_name = v;
    } else {
        st.lib_ver = v;
    }
    drop(st);
    ctx.out.ok();
}

/// Check a `TYPE` option value; every client here is a normal one.
fn type_matches(t: &[u8]) -> Result<bool, Vec<u8>> {
    match t.to_ascii_lowercase().as_slice() {
        b"normal" => Ok(true),
        b"master" | b"replica" | b"slave" | b"pubsub" => Ok(false),
        _ => Err(errors::with_arg("ERR Unknown client type '", t, "'")),
    }
}

/// CLIENT LIST [TYPE type] [ID id …].
fn list(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let mut ids: Option<Vec<u64>> = None;
    let mut normal = true;
    match args.len() {
        2 => {}
        4 if eq_ignore_case(&args[2], "type") => match type_matches(&args[3]) {
            Ok(n) => normal = n,
            Err(e) => return ctx.out.error(e),
        },
        n if n >= 4 && eq_ignore_case(&args[2], "id") => {
            let mut v = Vec::with_capacity(n - 3);
            for a in &args[3..] {
                // Any integer: ids below 1 simply match no client, as in Redis.
                match parse_i64(a) {
                    Some(id) => v.extend(u64::try_from(id).ok().filter(|&id| id > 0)),
                    None => return ctx.out.error("ERR Invalid client ID"),
                }
            }
            ids = Some(v);
        }
        _ => return ctx.out.error(errors::SYNTAX),
    }
    let clients: Vec<Arc<ClientInfo>> = ctx.server.clients.lock().values().cloned().collect();
    let mut text = String::new();
    for c in clients.iter().filter(|_| normal) {
        if ids.as_ref().is_some_and(|v| !v.contains(&c.id)) {
            continue;
        }
        let me = c.id == ctx.session.info.id;
        text.push_str(&client_line(c, me.then_some(args)));
        text.push('\n');
    }
    ctx.out.verbatim(text.as_bytes());
}

/// One CLIENT LIST line in Redis 7.0's format. `current` is the caller's own
/// arguments when the line describes the calling client (its `argv-mem`).
/// Buffer fields are plausible constants: the node keeps no per-client figures.
fn client_line(c: &ClientInfo, current: Option<&[Bytes]>) -> String {
    let st = c.state.lock().clone();
    let age = c.connected.elapsed().as_secs();
    let idle = c.idle_secs();
    let argv_mem: usize = current.map_or(0, |a| a.iter().map(|x| x.len()).sum());
    let cmd = match c.last_cmd.load(Ordering::Relaxed) {
        NO_COMMAND => "NULL",
        id => command::spec(id as CommandId).name,
    };
    let mut s = String::with_capacity(300);
    let _ = write!(
        s,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db=0 sub=0 psub=0 ssub=0 \
         multi={} qbuf=0 qbuf-free=0 argv-mem={} multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 \
         omem=0 tot-mem={} events=r cmd={} user=default redir=-1 resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        String::from_utf8_lossy(st.name.as_deref().unwrap_or(b"")),
        age,
        idle,
        match (st.multi, st.blocked) {
            (Some(_), _) => "x",
            (None, true) => "b",
            (None, false) => "N",
        },
        st.multi.map_or(-1, |n| n as i64),
        argv_mem,
        16384 + 4096 + argv_mem,
        cmd,
        st.resp,
    );
    s
}

/// CLIENT KILL addr (old form: OK or `No such client`) or CLIENT KILL filter value …
/// (new form: the number killed). A client killing itself gets its reply first.
fn kill(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let me = ctx.session.info.id;
    let old_form = args.len() == 3;
    let (mut id, mut addr, mut laddr, mut skipme, mut normal) = (None, None, None, true, true);
    if old_form {
        addr = Some(&args[2]);
        skipme = false;
    } else {
        let mut i = 2;
        while i < args.len() {
            let Some(val) = args.get(i + 1) else {
                return ctx.out.error(errors::SYNTAX);
            };
            let opt = args[i].to_ascii_lowercase();
            match opt.as_slice() {
                b"id" => match parse_i64(val) {
                    Some(n) if n > 0 => id = Some(n as u64),
                    _ => return ctx.out.error("ERR client-id should be greater than 0"),
                },
                b"addr" => addr = Some(val),
                b"laddr" => laddr = Some(val),
                b"type" => match type_matches(val) {
                    Ok(n) => normal = normal && n,
                    Err(e) => return ctx.out.error(e),
                },
                // `default` is the only user (names are case-sensitive, as ACL's).
                b"user" if &val[..] == b"default" => {}
                b"user" => {
                    let name = String::from_utf8_lossy(val);
                    return ctx.out.error(format!("ERR No such user '{name}'"));
                }
                b"skipme" => {
                    if eq_ignore_case(val, "yes") {
                        skipme = true;
                    } else if eq_ignore_case(val, "no") {
                        skipme = false;
                    } else {
                        return ctx.out.error(errors::SYNTAX);
                    }
                }
                _ => return ctx.out.error(errors::SYNTAX),
            }
            i += 2;
        }
    }
    let victims: Vec<Arc<ClientInfo>> = ctx
        .server
        .clients
        .lock()
        .values()
        .filter(|c| {
            normal
                && id.is_none_or(|id| c.id == id)
                && addr.is_none_or(|a| c.addr.as_bytes() == &a[..])
                && laddr.is_none_or(|a| c.laddr.as_bytes() == &a[..])
                && !(skipme && c.id == me)
        })
        .cloned()
        .collect();
    for c in &victims {
        if c.id == me {
            ctx.session.close = true;
        } else {
            c.kill_now();
        }
    }
    match (old_form, victims.len()) {
        (true, 0) => ctx.out.error("ERR No such client"),
        (true, _) => ctx.out.ok(),
        (false, n) => ctx.out.int(n as i64),
    }
}
