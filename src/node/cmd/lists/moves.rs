//! LMOVE and RPOPLPUSH: pop from one list, push onto another (or the same) one.

use super::{holds_other, list_of, End};
use crate::command::args::eq_ignore_case;
use crate::node::dispatch::Ctx;
use crate::node::types::{ListValue, Value};
use crate::protocol::errors;
use bytes::Bytes;

/// `LEFT`/`RIGHT`, any case.
pub(super) fn end_arg(a: &[u8]) -> Option<End> {
    if eq_ignore_case(a, "left") {
        Some(End::Left)
    } else if eq_ignore_case(a, "right") {
        Some(End::Right)
    } else {
        None
    }
}

pub(super) fn lmove(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (Some(from), Some(to)) = (end_arg(&args[3]), end_arg(&args[4])) else {
        return ctx.out.error(errors::SYNTAX);
    };
    move_one(ctx, &args[1], &args[2], from, to);
}

pub(super) fn rpoplpush(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    move_one(ctx, &args[1], &args[2], End::Right, End::Left);
}

/// Redis's `lmoveGenericCommand`: the source is checked first (missing → null), then
/// the destination's type — before anything is popped, so a WRONGTYPE destination
/// leaves the source intact. Returns the moved element, if any (blocking variants).
pub(crate) fn move_one(
    ctx: &mut Ctx<'_>,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Option<Bytes> {
    match ctx.ks.get_value_for_write(src) {
        None => {
            ctx.out.null();
            return None;
        }
        Some(Value::List(_)) => {}
        Some(_) => {
            ctx.out.error(errors::WRONGTYPE);
            return None;
        }
    }
    // Types are checked before anything is opened for writing (lookups for writing:
    // no keyspace hit or miss is counted).
    if src != dst && holds_other(&mut ctx.ks, dst) {
        ctx.out.error(errors::WRONGTYPE);
        return None;
    }
    if src == dst {
        // Rotation within one list: the element never leaves, so the key is never
        // deleted even with a single element.
        let mut e = ctx.ks.get_mut(src).expect("checked above");
        let l = list_of(&mut e);
        let v = l.pop(from).expect("lists are never empty");
        l.push(to, &v);
        ctx.out.bulk(&v);
        return Some(v);
    }
    let v = {
        let mut e = ctx.ks.get_mut(src).expect("checked above");
        list_of(&mut e).pop(from).expect("lists are never empty")
    };
    let mut d = ctx
        .ks
        .get_or_insert_with(dst, || Value::list(ListValue::new()));
    list_of(&mut d).push(to, &v);
    ctx.out.bulk(&v);
    Some(v)
}
