//! HINCRBY and HINCRBYFLOAT.

use super::{hash_of, write};
use crate::command::args::parse_i64;
use crate::command::long_double;
use crate::node::dispatch::Ctx;
use crate::protocol::errors;
use bytes::Bytes;
use rustc_apfloat::Float;

/// A field holds something that is not an integer (HINCRBY).
const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
/// A field holds something that is not a float (HINCRBYFLOAT).
const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
/// HINCRBYFLOAT's increment is infinite.
const INCR_NAN_OR_INF: &str = "ERR value is NaN or Infinity";
/// HINCRBYFLOAT's result would be infinite.
const RESULT_NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";

pub(super) fn hincrby(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    // Redis parses the increment before it looks at the key.
    let Some(incr) = parse_i64(&args[3]) else {
        return ctx.out.error(errors::NOT_INTEGER);
    };
    let Some(mut e) = write(&mut ctx.ks, &args[1], ctx.out) else {
        return;
    };
    let h = hash_of(&mut e);
    let old = match h.get(&args[2]) {
        None => 0,
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => return ctx.out.error(HASH_NOT_INTEGER),
        },
    };
    let Some(new) = old.checked_add(incr) else {
        return ctx.out.error(errors::OVERFLOW);
    };
    let mut buf = itoa::Buffer::new();
    h.insert(&args[2], buf.format(new).as_bytes());
    ctx.out.int(new);
}

pub(super) fn hincrbyfloat(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    // Redis computes in 80-bit `long double` and prints `%.17Lf` trimmed; the shared
    // `long_double` module reproduces both (see INCRBYFLOAT).
    let Some(incr) = long_double::parse(&args[3]) else {
        return ctx.out.error(errors::NOT_FLOAT);
    };
    if incr.is_infinite() {
        return ctx.out.error(INCR_NAN_OR_INF);
    }
    let Some(mut e) = write(&mut ctx.ks, &args[1], ctx.out) else {
        return;
    };
    let h = hash_of(&mut e);
    let old = match h.get(&args[2]) {
        None => long_double::LongDouble::ZERO,
        Some(v) => match long_double::parse(v) {
            Some(n) => n,
            None => return ctx.out.error(HASH_NOT_FLOAT),
        },
    };
    let Some(new) = long_double::add(old, incr) else {
        return ctx.out.error(RESULT_NAN_OR_INF);
    };
    let mut text = Vec::with_capacity(32);
    long_double::format_human(new, &mut text);
    h.insert(&args[2], &text);
    ctx.out.bulk(&text);
}
