//! BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (and LMPOP): Redis 7.0's checks in its
//! order (timeout first, then the keys in argument order, WRONGTYPE for the first
//! non-list met before any data), the pop/move done by the same code as LPOP/LMOVE,
//! and `node::blocking` when every key is empty.

use super::moves::{end_arg, move_one};
use super::{list_of, End};
use crate::node::blocking::{self, Kind};
use crate::node::cmd::mpop;
use crate::node::dispatch::Ctx;
use crate::node::types::Value;
use crate::protocol::errors;
use bytes::Bytes;

/// The timeout (last argument) in ms, or `None` after replying the error.
fn timeout(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Option<u64> {
    match blocking::parse_timeout(&args[args.len() - 1]) {
        Ok(ms) => Some(ms),
        Err(e) => {
            ctx.out.error(e);
            None
        }
    }
}

/// BLPOP/BRPOP key [key ...] timeout → `[key, element]`.
fn bpop(ctx: &mut Ctx<'_>, args: &[Bytes], end: End) {
    let Some(ms) = timeout(ctx, args) else {
        return;
    };
    let keys = &args[1..args.len() - 1];
    match blocking::first_ready(ctx, keys, Kind::List) {
        blocking::Ready::WrongType => {}
        blocking::Ready::Nowhere => blocking::park(ctx, keys, Kind::List, ms, false),
        blocking::Ready::At(key) => {
            let mut e = ctx.ks.get_mut(key).expect("just read");
            let v = list_of(&mut e).pop(end).expect("lists are never empty");
            drop(e);
            ctx.out.array(2);
            ctx.out.bulk(key);
            ctx.out.bulk(&v);
        }
    }
}

pub(super) fn blpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bpop(ctx, args, End::Left);
}

pub(super) fn brpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bpop(ctx, args, End::Right);
}

/// BLMOVE/BRPOPLPUSH: block only on the source; once it has data this is LMOVE (a
/// destination of another type answers WRONGTYPE and leaves the source alone, also
/// for a woken client, as in Redis 7.0).
fn bmove(ctx: &mut Ctx<'_>, args: &[Bytes], from: End, to: End) {
    let Some(ms) = timeout(ctx, args) else {
        return;
    };
    let rerun = blocking::is_rerun(ctx);
    match ctx.ks.get_value_for_write(&args[1]) {
        Some(Value::List(_)) => {
            move_one(ctx, &args[1], &args[2], from, to);
        }
        Some(_) if !rerun => ctx.out.error(errors::WRONGTYPE),
        _ => blocking::park(ctx, &args[1..2], Kind::List, ms, true),
    }
}

pub(super) fn blmove(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (Some(from), Some(to)) = (end_arg(&args[3]), end_arg(&args[4])) else {
        return ctx.out.error(errors::SYNTAX);
    };
    bmove(ctx, args, from, to);
}

pub(super) fn brpoplpush(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bmove(ctx, args, End::Right, End::Left);
}

/// LMPOP numkeys key… LEFT|RIGHT [COUNT count], and BLMPOP (`timeout` given): the
/// first key holding a list gives up to `count` elements, as `[key, [element…]]`;
/// none answers a null array, or blocks.
fn mpop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], numkeys_at: usize, timeout: Option<&Bytes>) {
    let p = match mpop::parse(args, numkeys_at, ["left", "right"], timeout) {
        Ok(p) => p,
        Err(e) => return ctx.out.error(e),
    };
    let keys = &args[p.keys];
    match blocking::first_ready(ctx, keys, Kind::List) {
        blocking::Ready::WrongType => {}
        blocking::Ready::Nowhere => match p.timeout_ms {
            Some(ms) => blocking::park(ctx, keys, Kind::List, ms, false),
            None => ctx.out.null_array(),
        },
        blocking::Ready::At(key) => {
            let mut e = ctx.ks.get_mut(key).expect("just read");
            let l = list_of(&mut e);
            let n = p.count.min(l.len());
            ctx.out.array(2);
            ctx.out.bulk(key);
            ctx.out.array(n);
            for _ in 0..n {
                l.pop_with(p.left_or_min, |v| ctx.out.bulk(v));
            }
        }
    }
}

pub(super) fn lmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    mpop_generic(ctx, args, 1, None);
}

/// BLMPOP timeout numkeys key… LEFT|RIGHT [COUNT count].
pub(super) fn blmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    mpop_generic(ctx, args, 2, Some(&args[1]))
}
