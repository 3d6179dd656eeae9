//! Connection commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT.

use crate::command::hello::{
    check_password, check_select, parse_hello, write_hello_reply, HELLO_NOAUTH,
};
use crate::node::dispatch::{keyless, CommandDef, Ctx};
use crate::protocol::errors;
use bytes::Bytes;

pub use crate::command::hello::REDIS_VERSION;

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
    if args.len() > 2 {
        return ctx.out.error(errors::arity("ping"));
    }
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

/// Check a password against `requirepass` (AUTH, and HELLO's AUTH option).
fn authenticate(ctx: &Ctx<'_>, user: Option<&[u8]>, pass: &[u8]) -> Result<(), &'static str> {
    check_password(ctx.server.settings().requirepass.as_deref(), user, pass)
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
    let mut authed = ctx.session.authed;
    let (h, parsed) = parse_hello(args, |user, pass| {
        authenticate(ctx, Some(user), pass)?;
        authed = true;
        Ok(())
    });
    ctx.session.authed = authed;
    // A name reached holds whatever follows, as in Redis (see `parse_hello`).
    if let Some(name) = h.setname {
        ctx.session.info.state.lock().name = (!name.is_empty()).then_some(name);
    }
    if let Err(e) = parsed {
        return ctx.out.error(e);
    }
    if !ctx.session.authed {
        return ctx.out.error(HELLO_NOAUTH);
    }
    if let Some(v) = h.version {
        ctx.out.resp3 = v == 3;
        ctx.session.info.state.lock().resp = v;
    }
    write_hello_reply(ctx.out, ctx.session.info.id);
}

fn select(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match check_select(&args[1]) {
        Ok(()) => ctx.out.ok(),
        Err(e) => ctx.out.error(e),
    }
}
