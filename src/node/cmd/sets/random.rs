//! SPOP and SRANDMEMBER: random picks, with Redis 7.0's reply shapes (SPOP with a
//! count replies a set, SRANDMEMBER always an array) and count rules.

use super::Lookup;
use crate::command::args::parse_i64;
use crate::node::dispatch::Ctx;
use crate::node::types::Value;
use crate::protocol::errors;
use bytes::Bytes;
use rand::Rng;

/// Error for a count of `i64::MIN` (SRANDMEMBER, ZRANDMEMBER): Redis accepts
/// `-LONG_MAX..=LONG_MAX` so that the count can be negated.
pub const COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/// Parse a SRANDMEMBER/ZRANDMEMBER count, or the error text.
pub fn parse_rand_count(arg: &[u8]) -> Result<i64, &'static str> {
    match parse_i64(arg) {
        None => Err(errors::NOT_INTEGER),
        Some(i64::MIN) => Err(COUNT_RANGE),
        Some(n) => Ok(n),
    }
}

/// SPOP key [count]
pub fn spop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if args.len() > 3 {
        return ctx.out.error(errors::SYNTAX);
    }
    let count = match args.get(2) {
        None => None,
        Some(a) => match parse_i64(a) {
            Some(n) if n >= 0 => Some(n as u64),
            _ => return ctx.out.error(errors::POSITIVE),
        },
    };
    let Ctx { ks, out, .. } = ctx;
    let Some(mut e) = ks.get_mut(&args[1]) else {
        return match count {
            None => out.null(),
            Some(_) => out.set(0),
        };
    };
    let Value::Set(s) = &mut e.value else {
        return out.error(errors::WRONGTYPE);
    };
    let mut rng = rand::rng();
    let Some(count) = count else {
        let i = rng.random_range(0..s.len());
        let m = s.remove_index(i).expect("in range");
        return out.bulk(&m);
    };
    if count >= s.len() as u64 {
        // The whole set, in its own order; the key goes away with the guard.
        super::reply_members(out, s);
        while !s.is_empty() {
            s.remove_index(s.len() - 1);
        }
        drop(e);
        return ks.count_hit(&args[1]);
    }
    out.set(count as usize);
    for _ in 0..count {
        let i = rng.random_range(0..s.len());
        let m = s.remove_index(i).expect("in range");
        out.bulk(&m);
    }
    // Taking most of a set, Redis 7.0 builds a new one of what is left (its
    // SPOP_MOVE_STRATEGY_MUL case), which is an intset again if the members allow.
    if s.len() as u64 * 5 <= count {
        **s = s.rebuilt();
    }
    if count == 0 {
        e.unchanged();
    }
}

/// SRANDMEMBER key [count]
pub fn srandmember(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if args.len() > 3 {
        return ctx.out.error(errors::SYNTAX);
    }
    let count = match args.get(2).map(|a| parse_rand_count(a)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return ctx.out.error(e),
    };
    let s = match super::lookup(&mut ctx.ks, &args[1]) {
        Lookup::Missing if count.is_none() => return ctx.out.null(),
        Lookup::Missing => return ctx.out.array(0),
        Lookup::WrongType => return ctx.out.error(errors::WRONGTYPE),
        Lookup::Found(s) => s,
    };
    let out = &mut *ctx.out;
    let mut rng = rand::rng();
    let len = s.len();
    match count {
        None => out.bulk(s.get_index(rng.random_range(0..len)).expect("in range")),
        Some(0) => out.array(0),
        Some(n) if n < 0 => {
            let n = n.unsigned_abs() as usize;
            out.array(n);
            for _ in 0..n {
                out.bulk(s.get_index(rng.random_range(0..len)).expect("in range"));
            }
        }
        Some(n) if n as u64 >= len as u64 => {
            out.array(len);
            for m in s.iter() {
                out.bulk(m);
            }
        }
        Some(n) => {
            let n = n as usize;
            out.array(n);
            for i in rand::seq::index::sample(&mut rng, len, n) {
                out.bulk(s.get_index(i).expect("in range"));
            }
        }
    }
}
