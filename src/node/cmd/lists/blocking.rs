//! BLPOP, BRPOP, BLMOVE, BRPOPLPUSH: Redis 7.0's checks in its order (timeout first,
//! then the keys in argument order, WRONGTYPE for the first non-list met before any
//! data), the pop/move done by the same code as LPOP/LMOVE, and `node::blocking` when
//! every key is empty.

use super::moves::{end_arg, move_one};
use super::{list_of, End};
use crate::node::blocking::{self, Kind};
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
    let rerun = blocking::is_rerun(ctx);
    for key in keys {
        // Lookups for writing, as Redis's: no keyspace hit or miss is counted.
        match ctx.ks.get_value_for_write(key) {
            None => continue,
            Some(Value::List(_)) => {
                let mut e = ctx.ks.get_mut(key).expect("just read");
                let v = list_of(&mut e).pop(end).expect("lists are never empty");
                drop(e);
                ctx.out.array(2);
                ctx.out.bulk(key);
                ctx.out.bulk(&v);
                return;
            }
            // Redis 7.0 keeps a woken client blocked when the key changed type.
            Some(_) if rerun => continue,
            Some(_) => return ctx.out.error(errors::WRONGTYPE),
        }
    }
    blocking::park(ctx, keys, Kind::List, ms, false);
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
