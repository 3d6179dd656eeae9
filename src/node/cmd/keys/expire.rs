//! TTL commands: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX|XX|GT|LT, TTL/PTTL,
//! EXPIRETIME/PEXPIRETIME and PERSIST — Redis's `expireGenericCommand` and
//! `ttlGenericCommand`, including their check order (options, then the number, then
//! overflow, then the key).

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::node::dispatch::Ctx;
use crate::protocol::errors;
use bytes::Bytes;

pub(super) fn expire(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    expire_generic(ctx, args, "expire", true, true);
}
pub(super) fn pexpire(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    expire_generic(ctx, args, "pexpire", true, false);
}
pub(super) fn expireat(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    expire_generic(ctx, args, "expireat", false, true);
}
pub(super) fn pexpireat(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    expire_generic(ctx, args, "pexpireat", false, false);
}

const NX: u8 = 1;
const XX: u8 = 2;
const GT: u8 = 4;
const LT: u8 = 8;

/// Parse NX/XX/GT/LT (repeats allowed, conflicts rejected) as Redis does.
fn parse_flags(ctx: &mut Ctx<'_>, opts: &[Bytes]) -> Option<u8> {
    let mut f = 0;
    for o in opts {
        f |= match () {
            _ if eq_ignore_case(o, "nx") => NX,
            _ if eq_ignore_case(o, "xx") => XX,
            _ if eq_ignore_case(o, "gt") => GT,
            _ if eq_ignore_case(o, "lt") => LT,
            _ => {
                ctx.out
                    .error(errors::with_arg("ERR Unsupported option ", o, ""));
                return None;
            }
        };
    }
    if f & NX != 0 && f & (XX | GT | LT) != 0 {
        ctx.out
            .error("ERR NX and XX, GT or LT options at the same time are not compatible");
        return None;
    }
    if f & GT != 0 && f & LT != 0 {
        ctx.out
            .error("ERR GT and LT options at the same time are not compatible");
        return None;
    }
    Some(f)
}

/// `relative`: the time is added to now (EXPIRE/PEXPIRE); `secs`: it is in seconds.
fn expire_generic(ctx: &mut Ctx<'_>, args: &[Bytes], name: &str, relative: bool, secs: bool) {
    let Some(flags) = parse_flags(ctx, &args[3..]) else {
        return;
    };
    let Some(mut when) = parse_i64(&args[2]) else {
        return ctx.out.error(errors::NOT_INTEGER);
    };
    let invalid = || format!("ERR invalid expire time in '{name}' command");
    if secs {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return ctx.out.error(invalid());
        }
        when *= 1000;
    }
    let now = ctx.ks.now() as i64;
    let base = if relative { now } else { 0 };
    if when > i64::MAX - base {
        return ctx.out.error(invalid());
    }
    when += base;
    // Peek first: a refused change must not count as a modification (WATCH).
    let Some(e) = ctx.ks.peek(&args[1]) else {
        return ctx.out.int(0);
    };
    // -1 = no TTL, which GT treats as infinite and LT as "anything is less".
    let current = if e.expire_at == 0 {
        -1
    } else {
        e.expire_at as i64
    };
    let refused = (flags & NX != 0 && current != -1)
        || (flags & XX != 0 && current == -1)
        || (flags & GT != 0 && (current == -1 || when <= current))
        || (flags & LT != 0 && current != -1 && when >= current);
    if refused {
        return ctx.out.int(0);
    }
    if when <= now {
        ctx.ks.remove(&args[1]);
    } else if let Some(mut e) = ctx.ks.get_mut(&args[1]) {
        e.expire_at = when as u64;
    }
    ctx.out.int(1);
}

pub(super) fn ttl(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    ttl_generic(ctx, args, false, false);
}
pub(super) fn pttl(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    ttl_generic(ctx, args, true, false);
}
pub(super) fn expiretime(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    ttl_generic(ctx, args, false, true);
}
pub(super) fn pexpiretime(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    ttl_generic(ctx, args, true, true);
}

/// -2 = no key, -1 = no TTL; seconds are rounded to nearest like Redis's `(ttl+500)/1000`.
fn ttl_generic(ctx: &mut Ctx<'_>, args: &[Bytes], ms: bool, absolute: bool) {
    let now = ctx.ks.now() as i64;
    // Counted, but the key's LRU/LFU data is left alone (Redis's `LOOKUP_NOTOUCH`).
    let Some(e) = ctx.ks.peek_counted(&args[1]) else {
        return ctx.out.int(-2);
    };
    if e.expire_at == 0 {
        return ctx.out.int(-1);
    }
    let at = e.expire_at as i64;
    let t = if absolute { at } else { (at - now).max(0) };
    // Widened: `t + 500` overflows i64 for expiry times within 500 ms of i64::MAX,
    // where redis-server 7.0 replies the exact rounded quotient (9223372036854776).
    let secs = ((t as i128 + 500) / 1000) as i64;
    ctx.out.int(if ms { t } else { secs });
}

pub(super) fn persist(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    // A write's lookup (`lookupKeyWrite`): refreshes LRU/LFU data, counts nothing.
    let has_ttl = ctx.ks.get_value_for_write(&args[1]).is_some()
        && ctx.ks.peek(&args[1]).is_some_and(|e| e.expire_at != 0);
    if has_ttl {
        if let Some(mut e) = ctx.ks.get_mut(&args[1]) {
            e.expire_at = 0;
        }
    }
    ctx.out.int(has_ttl as i64);
}
