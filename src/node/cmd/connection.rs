//! Connection commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT.

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::node::dispatch::{keyless, CommandDef, Ctx};
use crate::protocol::errors;
use bytes::Bytes;

/// The Redis version the node answers as: clients gate features on it.
pub const REDIS_VERSION: &str = "7.0.15";

/// The connection commands this node implements.
pub const COMMANDS: &[CommandDef] = &[
    keyless("ping", ping),
    keyless("echo", echo),
    keyless("quit", quit),
    keyless("hello", hello),
    keyless("auth", auth),
    keyless("select", select),
];

fn ping(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match args.get(1) {
        None => ctx.out.simple("PONG"),
        Some(msg) => ctx.out.bulk(msg),
    }
}

fn echo(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    ctx.out.bulk(&args[1]);
}

fn quit(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    ctx.out.ok();
    ctx.session.close = true;
}

/// Check a user/password pair against `requirepass` the way Redis's default user does.
/// `Err` carries the error text.
fn authenticate(ctx: &Ctx<'_>, user: Option<&[u8]>, pass: &[u8]) -> Result<(), &'static str> {
    let required = ctx.server.settings.read().requirepass.clone();
    if user.is_some_and(|u| u != b"default") {
        return Err(errors::WRONGPASS);
    }
    match required {
        None if user.is_none() => Err(errors::AUTH_NOT_CONFIGURED),
        None => Ok(()),
        Some(p) if p == pass => Ok(()),
        Some(_) => Err(errors::WRONGPASS),
    }
}

fn auth(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let result = match args.len() {
        2 => authenticate(ctx, None, &args[1]),
        3 => authenticate(ctx, Some(&args[1]), &args[2]),
        _ => return ctx.out.error(errors::SYNTAX),
    };
    match result {
        Ok(()) => {
            ctx.session.authed = true;
            ctx.out.ok();
        }
        Err(e) => ctx.out.error(e),
    }
}

fn hello(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let mut next = 1;
    let mut version = None;
    if args.len() >= 2 {
        match parse_i64(&args[1]) {
            None => {
                return ctx
                    .out
                    .error("ERR Protocol version is not an integer or out of range")
            }
            Some(v) if !(2..=3).contains(&v) => {
                return ctx.out.error("NOPROTO unsupported protocol version")
            }
            Some(v) => version = Some(v),
        }
        next = 2;
    }
    let mut creds = None;
    let mut name = None;
    let mut j = next;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if eq_ignore_case(&args[j], "auth") && more >= 2 {
            creds = Some((args[j + 1].clone(), args[j + 2].clone()));
            j += 3;
        } else if eq_ignore_case(&args[j], "setname") && more >= 1 {
            name = Some(args[j + 1].clone());
            j += 2;
        } else {
            let mut msg = b"ERR Syntax error in HELLO option '".to_vec();
            msg.extend_from_slice(&args[j]);
            msg.push(b'\'');
            return ctx.out.error(errors::one_line(msg));
        }
    }
    if let Some((user, pass)) = creds {
        match authenticate(ctx, Some(&user), &pass) {
            Ok(()) => ctx.session.authed = true,
            Err(e) => return ctx.out.error(e),
        }
    }
    if !ctx.session.authed {
        return ctx.out.error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        );
    }
    if let Some(name) = name {
        if let Err(e) = super::server::validate_client_name(&name) {
            return ctx.out.error(e);
        }
        ctx.session.info.state.lock().name = (!name.is_empty()).then_some(name);
    }
    if let Some(v) = version {
        ctx.out.resp3 = v == 3;
        ctx.session.info.state.lock().resp = v as u8;
    }
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(if out.resp3 { 3 } else { 2 });
    out.bulk(b"id");
    out.int(ctx.session.info.id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
}

fn select(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match parse_i64(&args[1]) {
        None => ctx.out.error(errors::NOT_INTEGER),
        Some(0) => ctx.out.ok(),
        Some(_) => ctx.out.error(errors::DB_OUT_OF_RANGE),
    }
}
