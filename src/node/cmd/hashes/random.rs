//! HRANDFIELD: Redis 7.0's argument checks, shapes and the four count cases.

use super::{read, Found};
use crate::command::args::{eq_ignore_case, parse_i64};
use crate::node::dispatch::Ctx;
use crate::node::types::HashValue;
use crate::protocol::{errors, Reply};
use bytes::Bytes;
use rand::Rng;

/// `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)`'s text (Redis 7.0 wording).
const COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// WITHVALUES with |count| > LONG_MAX/2 (the reply length would overflow).
const OUT_OF_RANGE: &str = "ERR value is out of range";

pub(super) fn hrandfield(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if args.len() == 2 {
        return match read(&mut ctx.ks, &args[1], ctx.out) {
            Some(Found::Hash(h)) => {
                let i = rand::rng().random_range(0..h.len());
                let (k, _) = h.fields().get_index(i).expect("in range");
                ctx.out.bulk(k);
            }
            Some(Found::Missing) => ctx.out.null(),
            None => {}
        };
    }
    let count = match parse_i64(&args[2]) {
        None => return ctx.out.error(errors::NOT_INTEGER),
        Some(i64::MIN) => return ctx.out.error(COUNT_RANGE),
        Some(n) => n,
    };
    let withvalues = match args.len() {
        3 => false,
        4 if eq_ignore_case(&args[3], "withvalues") => true,
        _ => return ctx.out.error(errors::SYNTAX),
    };
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return ctx.out.error(OUT_OF_RANGE);
    }
    match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::Hash(h)) => reply_count(ctx.out, h, count, withvalues),
        Some(Found::Missing) => ctx.out.array(0),
        None => {}
    }
}

/// The reply for a count: negative (or 1) picks with repetition, a count covering
/// the hash sends it whole, anything else a distinct subset in hash order (as
/// Redis's listpack sampling does).
fn reply_count(out: &mut Reply, h: &HashValue, count: i64, withvalues: bool) {
    let mut rng = rand::rng();
    let len = h.len();
    let header = |out: &mut Reply, n: usize| {
        if withvalues && !out.resp3 {
            out.array(n * 2)
        } else {
            out.array(n)
        }
    };
    let pair = |out: &mut Reply, i: usize| {
        let (k, v) = h.fields().get_index(i).expect("in range");
        if withvalues && out.resp3 {
            out.array(2);
        }
        out.bulk(k);
        if withvalues {
            out.bulk(v);
        }
    };
    if count == 0 {
        return out.array(0);
    }
    if count < 0 || count == 1 {
        let n = count.unsigned_abs() as usize;
        header(out, n);
        for _ in 0..n {
            pair(out, rng.random_range(0..len));
        }
        return;
    }
    let n = count as usize;
    if n >= len {
        header(out, len);
        for i in 0..len {
            pair(out, i);
        }
        return;
    }
    let mut picked = rand::seq::index::sample(&mut rng, len, n).into_vec();
    picked.sort_unstable();
    header(out, n);
    for i in picked {
        pair(out, i);
    }
}
