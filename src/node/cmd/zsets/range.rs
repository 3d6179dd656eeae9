//! Range commands: the ZRANGE family (by rank, score or lex, either direction, LIMIT,
//! WITHSCORES), ZCOUNT, ZLEXCOUNT and ZREMRANGEBY*. Option parsing and error order
//! follow Redis 7.0's `zrangeGenericCommand` / `zremrangeGenericCommand`.

use super::parse::{self, NOT_FLOAT_RANGE, NOT_LEX_RANGE};
use super::{begin_entries, entry, lookup, Lookup};
use crate::command::args::{eq_ignore_case, parse_i64};
use crate::node::dispatch::Ctx;
use crate::node::types::zset::Entries;
use crate::node::types::{compact, CompactBytes, Value, ZSetValue};
use crate::protocol::errors;
use bytes::Bytes;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Rank,
    Score,
    Lex,
}

/// Clamp Redis-style (possibly negative) rank bounds to a set of `len`; `None` when
/// the range is empty.
fn clamp_ranks(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let start = if start < 0 { llen + start } else { start }.max(0);
    let end = if end < 0 { llen + end } else { end };
    if start > end || start >= llen {
        return None;
    }
    Some((start as usize, end.min(llen - 1) as usize))
}

/// Apply LIMIT offset/count as Redis's range loops do: a negative offset skips past
/// everything, a negative count means no limit.
fn limited<'a>(it: Entries<'a>, offset: i64, count: i64) -> Entries<'a> {
    if offset < 0 {
        return Box::new(std::iter::empty());
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    Box::new(it.skip(offset as usize).take(count))
}

/// The shared body of ZRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
/// ZREVRANGEBYLEX, ZREVRANGE and ZRANGESTORE; `kind`/`rev` are fixed by the older
/// commands and chosen by options in ZRANGE. With `store`, the range is stored under
/// that key (deleted when empty) and counted, as ZRANGESTORE does.
fn zrange_generic(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    kind: Option<Kind>,
    rev: Option<bool>,
    store: Option<&Bytes>,
) {
    let (mut k, mut r) = (kind, rev);
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = 4;
    while j < args.len() {
        let a = &args[j];
        let left = args.len() - j - 1;
        if store.is_none() && eq_ignore_case(a, "withscores") {
            withscores = true;
        } else if eq_ignore_case(a, "limit") && left >= 2 {
            match (parse_i64(&args[j + 1]), parse_i64(&args[j + 2])) {
                (Some(o), Some(l)) => (offset, limit) = (o, l),
                _ => return ctx.out.error(errors::NOT_INTEGER),
            }
            j += 2;
        } else if r.is_none() && eq_ignore_case(a, "rev") {
            r = Some(true);
        } else if k.is_none() && eq_ignore_case(a, "bylex") {
            k = Some(Kind::Lex);
        } else if k.is_none() && eq_ignore_case(a, "byscore") {
            k = Some(Kind::Score);
        } else {
            return ctx.out.error(errors::SYNTAX);
        }
        j += 1;
    }
    let kind = k.unwrap_or(Kind::Rank);
    let rev = r.unwrap_or(false);
    if limit != -1 && kind == Kind::Rank {
        return ctx.out.error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && kind == Kind::Lex {
        return ctx
            .out
            .error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    let (mut lo, mut hi) = (&args[2][..], &args[3][..]);
    if rev && kind != Kind::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    enum Range<'a> {
        Rank(i64, i64),
        Score(crate::node::types::zset::ScoreRange),
        Lex(crate::node::types::zset::LexRange<'a>),
    }
    let range = match kind {
        Kind::Rank => match (parse_i64(lo), parse_i64(hi)) {
            (Some(a), Some(b)) => Range::Rank(a, b),
            _ => return ctx.out.error(errors::NOT_INTEGER),
        },
        Kind::Score => match parse::score_range(lo, hi) {
            Some(r) => Range::Score(r),
            None => return ctx.out.error(NOT_FLOAT_RANGE),
        },
        Kind::Lex => match parse::lex_range(lo, hi) {
            Some(r) => Range::Lex(r),
            None => return ctx.out.error(NOT_LEX_RANGE),
        },
    };
    let Ctx { ks, out, .. } = ctx;
    let z = match lookup(ks, &args[1]) {
        Lookup::Missing => {
            return match store {
                Some(dest) => store_range(ctx, dest, Vec::new()),
                None => out.array(0),
            }
        }
        Lookup::WrongType => return out.error(errors::WRONGTYPE),
        Lookup::Found(z) => z,
    };
    let beyond = offset > 0 && offset as u64 >= z.len() as u64;
    let it: Entries<'_> = match range {
        Range::Rank(a, b) => match clamp_ranks(a, b, z.len()) {
            Some((s, e)) => z.by_rank(s, e, rev),
            None => Box::new(std::iter::empty()),
        },
        Range::Score(r) if !r.is_empty() && !beyond => limited(z.by_score(&r, rev), offset, limit),
        Range::Lex(r) if !r.is_empty() && !beyond => limited(z.by_lex(&r, rev), offset, limit),
        _ => Box::new(std::iter::empty()),
    };
    if let Some(dest) = store {
        let items = it.map(|(m, s)| (m.to_vec(), s)).collect();
        return store_range(ctx, dest, items);
    }
    let items: Vec<(&[u8], f64)> = it.collect();
    begin_entries(out, items.len(), withscores);
    for (m, s) in items {
        entry(out, m, s, withscores);
    }
}

/// ZRANGESTORE's result: stored under `dest` and counted, or `dest` deleted. Redis
/// sizes it up front: a listpack for up to 128 members (converted as members are
/// added, like ZADD), else a skiplist, which keeps -0 scores.
fn store_range(ctx: &mut Ctx<'_>, dest: &Bytes, items: Vec<(Vec<u8>, f64)>) {
    if items.is_empty() {
        ctx.ks.delete_stored(dest);
        return ctx.out.int(0);
    }
    let mut z = if items.len() > crate::node::types::zset::LISTPACK_MAX_ENTRIES {
        ZSetValue::new_skiplist()
    } else {
        ZSetValue::new()
    };
    for (m, s) in &items {
        z.insert(m, *s);
    }
    ctx.ks.set(dest, Value::zset(z), 0);
    ctx.out.int(items.len() as i64)
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub fn zrange(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zrange_generic(ctx, args, None, None, None)
}
/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: ZRANGE
/// of `src` (the arguments from `dst` on read as ZRANGE's from its key on).
pub fn zrangestore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zrange_generic(ctx, &args[1..], None, None, Some(&args[1]))
}
/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub fn zrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zrange_generic(ctx, args, Some(Kind::Score), Some(false), None)
}
/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub fn zrevrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zrange_generic(ctx, args, Some(Kind::Score), Some(true), None)
}
/// ZRANGEBYLEX key min max [LIMIT offset count]
pub fn zrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zrange_generic(ctx, args, Some(Kind::Lex), Some(false), None)
}
/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub fn zrevrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zrange_generic(ctx, args, Some(Kind::Lex), Some(true), None)
}
/// ZREVRANGE key start stop [WITHSCORES]
pub fn zrevrange(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zrange_generic(ctx, args, Some(Kind::Rank), Some(true), None)
}

/// ZCOUNT key min max
pub fn zcount(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(r) = parse::score_range(&args[2], &args[3]) else {
        return ctx.out.error(NOT_FLOAT_RANGE);
    };
    let n = match lookup(&mut ctx.ks, &args[1]) {
        Lookup::Missing => 0,
        Lookup::WrongType => return ctx.out.error(errors::WRONGTYPE),
        Lookup::Found(_) if r.is_empty() => 0,
        Lookup::Found(z) => z.by_score(&r, false).count(),
    };
    ctx.out.int(n as i64);
}

/// ZLEXCOUNT key min max
pub fn zlexcount(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(r) = parse::lex_range(&args[2], &args[3]) else {
        return ctx.out.error(NOT_LEX_RANGE);
    };
    let n = match lookup(&mut ctx.ks, &args[1]) {
        Lookup::Missing => 0,
        Lookup::WrongType => return ctx.out.error(errors::WRONGTYPE),
        Lookup::Found(_) if r.is_empty() => 0,
        Lookup::Found(z) => z.by_lex(&r, false).count(),
    };
    ctx.out.int(n as i64);
}

/// The shared body of ZREMRANGEBY*: parse the range (errors first, as in Redis), then
/// remove the members `pick` selects.
fn zremrange(ctx: &mut Ctx<'_>, key: &[u8], pick: impl FnOnce(&ZSetValue) -> Vec<CompactBytes>) {
    let Some(mut e) = ctx.ks.get_mut(key) else {
        return ctx.out.int(0);
    };
    let Value::ZSet(z) = &mut e.value else {
        return ctx.out.error(errors::WRONGTYPE);
    };
    let doomed = pick(z);
    for m in &doomed {
        z.remove(m);
    }
    if doomed.is_empty() {
        e.unchanged();
    }
    ctx.out.int(doomed.len() as i64);
}

fn members(it: Entries<'_>) -> Vec<CompactBytes> {
    it.map(|(m, _)| compact(m)).collect()
}

/// ZREMRANGEBYRANK key start stop
pub fn zremrangebyrank(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (Some(a), Some(b)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
        return ctx.out.error(errors::NOT_INTEGER);
    };
    zremrange(ctx, &args[1], |z| match clamp_ranks(a, b, z.len()) {
        Some((s, e)) => members(z.by_rank(s, e, false)),
        None => Vec::new(),
    })
}

/// ZREMRANGEBYSCORE key min max
pub fn zremrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(r) = parse::score_range(&args[2], &args[3]) else {
        return ctx.out.error(NOT_FLOAT_RANGE);
    };
    zremrange(ctx, &args[1], |z| {
        if r.is_empty() {
            Vec::new()
        } else {
            members(z.by_score(&r, false))
        }
    })
}

/// ZREMRANGEBYLEX key min max
pub fn zremrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(r) = parse::lex_range(&args[2], &args[3]) else {
        return ctx.out.error(NOT_LEX_RANGE);
    };
    zremrange(ctx, &args[1], |z| {
        if r.is_empty() {
            Vec::new()
        } else {
            members(z.by_lex(&r, false))
        }
    })
}
