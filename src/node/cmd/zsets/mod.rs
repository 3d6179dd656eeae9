//! Sorted-set commands (Redis 7.0): ZADD and the single-member commands here, ranges
//! (and ZRANGESTORE) in `range.rs`, ZUNION/ZINTER/ZDIFF and their STORE forms in
//! `algebra.rs`, pops / random picks / ZSCAN in `pop.rs`, argument parsing in
//! `parse.rs`.

mod algebra;
mod blocking;
pub(crate) mod parse;
mod pop;
mod range;

use super::Lookup;
use crate::command::args::eq_ignore_case;
use crate::node::db::Keyspace;
use crate::node::dispatch::{keyed, CommandDef, Ctx};
use crate::node::types::{Value, ZSetValue};
use crate::protocol::{errors, Reply};
use bytes::Bytes;
use smallvec::SmallVec;

/// The sorted-set commands this node implements.
pub const COMMANDS: &[CommandDef] = &[
    keyed("zadd", zadd),
    keyed("zincrby", zincrby),
    keyed("zrem", zrem),
    keyed("zscore", zscore),
    keyed("zmscore", zmscore),
    keyed("zcard", zcard),
    keyed("zrank", zrank),
    keyed("zrevrank", zrevrank),
    keyed("zcount", range::zcount),
    keyed("zlexcount", range::zlexcount),
    keyed("zrange", range::zrange),
    keyed("zrangebyscore", range::zrangebyscore),
    keyed("zrevrangebyscore", range::zrevrangebyscore),
    keyed("zrangebylex", range::zrangebylex),
    keyed("zrevrangebylex", range::zrevrangebylex),
    keyed("zrevrange", range::zrevrange),
    keyed("zremrangebyrank", range::zremrangebyrank),
    keyed("zremrangebyscore", range::zremrangebyscore),
    keyed("zremrangebylex", range::zremrangebylex),
    keyed("zpopmin", pop::zpopmin),
    keyed("zpopmax", pop::zpopmax),
    keyed("zrandmember", pop::zrandmember),
    keyed("zscan", pop::zscan),
    keyed("zrangestore", range::zrangestore),
    keyed("zunion", algebra::zunion),
    keyed("zinter", algebra::zinter),
    keyed("zdiff", algebra::zdiff),
    keyed("zunionstore", algebra::zunionstore),
    keyed("zinterstore", algebra::zinterstore),
    keyed("zdiffstore", algebra::zdiffstore),
    keyed("zintercard", algebra::zintercard),
    keyed("bzpopmin", blocking::bzpopmin),
    keyed("bzpopmax", blocking::bzpopmax),
    keyed("zmpop", blocking::zmpop),
    keyed("bzmpop", blocking::bzmpop),
];

/// NaN produced by an increment.
const NAN_SCORE: &str = "ERR resulting score is not a number (NaN)";

/// Read a key as a sorted set.
fn lookup<'a>(ks: &'a mut Keyspace<'_>, key: &[u8]) -> Lookup<'a, ZSetValue> {
    super::lookup(ks, key, Value::as_zset)
}

/// Start a reply of `n` entries: with scores, RESP2 flattens member/score pairs and
/// RESP3 nests them as `[member, score]` (the ZRANGE family, ZPOP with a count,
/// ZRANDMEMBER with a count).
fn begin_entries(out: &mut Reply, n: usize, withscores: bool) {
    out.array(if withscores && !out.resp3 { 2 * n } else { n });
}

/// One entry of a `begin_entries` reply.
fn entry(out: &mut Reply, m: &[u8], score: f64, withscores: bool) {
    if withscores && out.resp3 {
        out.array(2);
    }
    out.bulk(m);
    if withscores {
        out.double(score);
    }
}

/// ZADD/ZINCRBY options.
#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What adding one member did.
enum Added {
    New,
    Updated(f64),
    Same(f64),
    Nop,
}

/// Redis's `zsetAdd`: `Err` when an increment yields NaN.
fn add_one(z: &mut ZSetValue, m: &[u8], score: f64, f: AddFlags) -> Result<Added, ()> {
    match z.score(m) {
        Some(cur) => {
            if f.nx {
                return Ok(Added::Nop);
            }
            let score = if f.incr { score + cur } else { score };
            if score.is_nan() {
                return Err(());
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                return Ok(Added::Nop);
            }
            if score != cur {
                z.set_score(m, score);
                return Ok(Added::Updated(score));
            }
            Ok(Added::Same(score))
        }
        None if f.xx => Ok(Added::Nop),
        None => {
            z.insert(m, score);
            Ok(Added::New)
        }
    }
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]; ZINCRBY is
/// this with INCR preset (as in Redis, which also lets its options through).
fn zadd_generic(ctx: &mut Ctx<'_>, args: &[Bytes], mut f: AddFlags) {
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        match () {
            _ if eq_ignore_case(a, "nx") => f.nx = true,
            _ if eq_ignore_case(a, "xx") => f.xx = true,
            _ if eq_ignore_case(a, "gt") => f.gt = true,
            _ if eq_ignore_case(a, "lt") => f.lt = true,
            _ if eq_ignore_case(a, "ch") => f.ch = true,
            _ if eq_ignore_case(a, "incr") => f.incr = true,
            _ => break,
        }
        i += 1;
    }
    let pairs = &args[i..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return ctx.out.error(errors::SYNTAX);
    }
    if f.nx && f.xx {
        return ctx
            .out
            .error("ERR XX and NX options at the same time are not compatible");
    }
    if ((f.gt || f.lt) && f.nx) || (f.gt && f.lt) {
        return ctx
            .out
            .error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && pairs.len() > 2 {
        return ctx
            .out
            .error("ERR INCR option supports a single increment-element pair");
    }
    // Every score is checked before anything changes, as in Redis; parsed once.
    let scores: Option<SmallVec<[f64; 8]>> =
        pairs.chunks(2).map(|p| parse::parse_score(&p[0])).collect();
    let Some(scores) = scores else {
        return ctx.out.error(errors::NOT_FLOAT);
    };
    let Ctx { ks, out, .. } = ctx;
    let key = &args[1];
    if f.xx && !ks.exists(key) {
        return if f.incr { out.null() } else { out.int(0) };
    }
    let mut e = ks.get_or_insert_with(key, || Value::zset(ZSetValue::new()));
    let Value::ZSet(z) = &mut e.value else {
        return out.error(errors::WRONGTYPE);
    };
    let (mut added, mut updated) = (0, 0);
    let mut result = None;
    for (p, &score) in pairs.chunks(2).zip(&scores) {
        match add_one(z, &p[1], score, f) {
            Err(()) => return out.error(NAN_SCORE),
            Ok(Added::New) => {
                added += 1;
                result = Some(score);
            }
            Ok(Added::Updated(s)) => {
                updated += 1;
                result = Some(s);
            }
            Ok(Added::Same(s)) => result = Some(s),
            Ok(Added::Nop) => {}
        }
    }
    if added + updated == 0 {
        e.unchanged();
    }
    if f.incr {
        match result {
            Some(s) => out.double(s),
            None => out.null(),
        }
    } else {
        out.int(if f.ch { added + updated } else { added });
    }
}

fn zadd(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zadd_generic(ctx, args, AddFlags::default())
}

fn zincrby(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    zadd_generic(ctx, args, f)
}

fn zrem(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(mut e) = ctx.ks.get_mut(&args[1]) else {
        return ctx.out.int(0);
    };
    let Value::ZSet(z) = &mut e.value else {
        return ctx.out.error(errors::WRONGTYPE);
    };
    let n = args[2..].iter().filter(|m| z.remove(m).is_some()).count();
    if n == 0 {
        e.unchanged();
    }
    ctx.out.int(n as i64);
}

fn zscore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let s = match lookup(&mut ctx.ks, &args[1]) {
        Lookup::Missing => None,
        Lookup::WrongType => return ctx.out.error(errors::WRONGTYPE),
        Lookup::Found(z) => z.score(&args[2]),
    };
    match s {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
}

fn zmscore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Ctx { ks, out, .. } = ctx;
    let z = match lookup(ks, &args[1]) {
        Lookup::Missing => None,
        Lookup::WrongType => return out.error(errors::WRONGTYPE),
        Lookup::Found(z) => Some(z),
    };
    out.array(args.len() - 2);
    for m in &args[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => out.double(s),
            None => out.null(),
        }
    }
}

fn zcard(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let n = match lookup(&mut ctx.ks, &args[1]) {
        Lookup::Missing => 0,
        Lookup::WrongType => return ctx.out.error(errors::WRONGTYPE),
        Lookup::Found(z) => z.len(),
    };
    ctx.out.int(n as i64);
}

fn rank_generic(ctx: &mut Ctx<'_>, args: &[Bytes], rev: bool) {
    let r = match lookup(&mut ctx.ks, &args[1]) {
        Lookup::Missing => None,
        Lookup::WrongType => return ctx.out.error(errors::WRONGTYPE),
        Lookup::Found(z) => z
            .rank(&args[2])
            .map(|r| if rev { z.len() - 1 - r } else { r }),
    };
    match r {
        Some(r) => ctx.out.int(r as i64),
        None => ctx.out.null(),
    }
}

fn zrank(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    rank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    rank_generic(ctx, args, true)
}
