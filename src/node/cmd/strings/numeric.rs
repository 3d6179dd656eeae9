//! INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT. Results are stored as decimal text, as
//! Redis replies and stores them; the TTL of an existing key is kept.

use crate::command::args::parse_i64;
use crate::command::long_double;
use crate::node::db::{Entry, StrEncoding};
use crate::node::dispatch::Ctx;
use crate::node::types::{compact, compact_vec, Value};
use crate::protocol::errors;
use bytes::Bytes;
use rustc_apfloat::Float;

pub(super) fn incr(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    incr_by(ctx, &args[1], 1);
}

pub(super) fn decr(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    incr_by(ctx, &args[1], -1);
}

pub(super) fn incrby(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match parse_i64(&args[2]) {
        Some(by) => incr_by(ctx, &args[1], by),
        None => ctx.out.error(errors::NOT_INTEGER),
    }
}

pub(super) fn decrby(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match parse_i64(&args[2]) {
        Some(i64::MIN) => ctx.out.error(errors::DECREMENT_OVERFLOW),
        Some(by) => incr_by(ctx, &args[1], -by),
        None => ctx.out.error(errors::NOT_INTEGER),
    }
}

/// Redis's `incrDecrCommand`: the increment was parsed first, then the key's type and
/// value are checked.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], by: i64) {
    // A missing key counts from 0 (made here in one lookup, not a miss and an insert).
    let mut e = ctx.ks.get_or_insert_with(key, || Value::Str(compact(b"0")));
    let Value::Str(s) = &mut e.value else {
        return ctx.out.error(errors::WRONGTYPE);
    };
    let Some(cur) = parse_i64(s) else {
        return ctx.out.error(errors::NOT_INTEGER);
    };
    let Some(new) = cur.checked_add(by) else {
        return ctx.out.error(errors::OVERFLOW);
    };
    // In place: a number's digits always fit inline, so this never allocates.
    s.clear();
    s.extend_from_slice(itoa::Buffer::new().format(new).as_bytes());
    e.str_encoding = StrEncoding::ByContent; // a new integer object in Redis
    ctx.out.int(new);
}

/// INCRBYFLOAT in x87 extended precision, printed like Redis (`%.17Lf`, trimmed); see
/// `command::long_double`. Order of checks as in Redis: type, stored value, increment,
/// finiteness of the sum.
pub(super) fn incrbyfloat(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let incr = long_double::parse(&args[2]);
    let mut text = Vec::with_capacity(32);
    let sum = |cur: Option<long_double::LongDouble>, text: &mut Vec<u8>| {
        let (Some(cur), Some(incr)) = (cur, incr) else {
            return Err(errors::NOT_FLOAT);
        };
        let v = long_double::add(cur, incr).ok_or(errors::NAN_OR_INFINITY)?;
        long_double::format_human(v, text);
        Ok(())
    };
    if let Some(mut e) = ctx.ks.get_mut(&args[1]) {
        let Value::Str(s) = &mut e.value else {
            return ctx.out.error(errors::WRONGTYPE);
        };
        if let Err(msg) = sum(long_double::parse(s), &mut text) {
            return ctx.out.error(msg);
        }
        ctx.out.bulk(&text);
        *s = compact_vec(text);
        e.str_encoding = StrEncoding::NoInt;
        return;
    }
    if let Err(msg) = sum(Some(long_double::LongDouble::ZERO), &mut text) {
        return ctx.out.error(msg);
    }
    ctx.out.bulk(&text);
    // Redis makes the sum a plain string object: never `int`, even for "3".
    let mut made = Entry::new(Value::Str(compact_vec(text)), ctx.ks.now());
    made.str_encoding = StrEncoding::NoInt;
    ctx.ks.put(&args[1], made);
}
