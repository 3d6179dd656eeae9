//! HINCRBY and HINCRBYFLOAT.

use super::{hash_of, write};
use crate::command::args::{parse_f64, parse_i64};
use crate::node::db::owned;
use crate::node::dispatch::Ctx;
use crate::protocol::errors;
use bytes::Bytes;

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
    h.insert(owned(&args[2]), owned(buf.format(new).as_bytes()));
    ctx.out.int(new);
}

pub(super) fn hincrbyfloat(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    // TODO(strings engineer): Redis does this in `long double`; switch parsing and
    // formatting to the strings family's 80-bit INCRBYFLOAT helpers once merged
    // (f64 differs only near the f64 limits, e.g. 1.7e308 + 1.7e308).
    let Some(incr) = parse_f64(&args[3]) else {
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
        None => 0.0,
        Some(v) => match parse_f64(v) {
            Some(n) => n,
            None => return ctx.out.error(HASH_NOT_FLOAT),
        },
    };
    let new = old + incr;
    if !new.is_finite() {
        return ctx.out.error(RESULT_NAN_OR_INF);
    }
    let text = Bytes::from(human_float(new));
    h.insert(owned(&args[2]), text.clone());
    ctx.out.bulk(&text);
}

/// Redis's `ld2string(LD_STR_HUMAN)` approximated in f64: the shortest round-trip
/// digits in positional notation, or `%.17f` with its trailing zeros trimmed when
/// that needs more than 17 decimals; `-0` becomes `0`.
pub(crate) fn human_float(v: f64) -> String {
    let mut s = format!("{}", v);
    if let Some(dot) = s.find('.') {
        if s.len() - dot - 1 > 17 {
            s = format!("{:.17}", v);
            let t = s.trim_end_matches('0').trim_end_matches('.').len();
            s.truncate(t);
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::human_float;

    #[test]
    fn human_float_matches_redis_for_ordinary_values() {
        assert_eq!(human_float(1.5 + 0.1), "1.6");
        assert_eq!(human_float(10.5), "10.5");
        assert_eq!(human_float(1000.0), "1000");
        assert_eq!(human_float(-0.0), "0");
        assert_eq!(human_float(1e-20), "0");
        assert_eq!(human_float(-1e-20), "0");
    }
}
