//! BZPOPMIN/BZPOPMAX: like BLPOP (timeout first, keys in order, WRONGTYPE for the first
//! non-zset met before any data) with ZPOPMIN's pop; the reply is `[key, member, score]`.
//! BZMPOP (and ZMPOP) the same with a count: `[key, [[member, score]…]]`.

use crate::node::blocking::{self, Kind};
use crate::node::cmd::mpop;
use crate::node::dispatch::Ctx;
use crate::node::types::Value;
use bytes::Bytes;

fn bzpop(ctx: &mut Ctx<'_>, args: &[Bytes], max: bool) {
    let ms = match blocking::parse_timeout(&args[args.len() - 1]) {
        Ok(ms) => ms,
        Err(e) => return ctx.out.error(e),
    };
    let keys = &args[1..args.len() - 1];
    // Types are checked before a key is opened for writing, so a failed lookup does
    // not count as a write (WATCH).
    let key = match blocking::first_ready(ctx, keys, Kind::ZSet) {
        blocking::Ready::WrongType => return,
        blocking::Ready::Nowhere => return blocking::park(ctx, keys, Kind::ZSet, ms, false),
        blocking::Ready::At(key) => key,
    };
    {
        let mut e = ctx.ks.get_mut(key).expect("just read");
        let Value::ZSet(z) = &mut e.value else {
            unreachable!("type checked above")
        };
        let (m, s) = z.pop(max).expect("sorted sets are never empty");
        drop(e);
        ctx.out.array(3);
        ctx.out.bulk(key);
        ctx.out.bulk(&m);
        ctx.out.double(s);
    }
}

/// BZPOPMIN key [key ...] timeout
pub fn bzpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bzpop(ctx, args, false)
}

/// BZPOPMAX key [key ...] timeout
pub fn bzpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bzpop(ctx, args, true)
}

/// ZMPOP numkeys key… MIN|MAX [COUNT count], and BZMPOP (`timeout` given): the first
/// key holding a sorted set gives up to `count` members, as `[key, [[member,
/// score]…]]` in either protocol; none answers a null array, or blocks.
fn zmpop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], numkeys_at: usize, timeout: Option<&Bytes>) {
    let p = match mpop::parse(args, numkeys_at, ["min", "max"], timeout) {
        Ok(p) => p,
        Err(e) => return ctx.out.error(e),
    };
    let max = !p.left_or_min;
    let keys = &args[p.keys];
    let key = match blocking::first_ready(ctx, keys, Kind::ZSet) {
        blocking::Ready::WrongType => return,
        blocking::Ready::Nowhere => {
            return match p.timeout_ms {
                Some(ms) => blocking::park(ctx, keys, Kind::ZSet, ms, false),
                None => ctx.out.null_array(),
            }
        }
        blocking::Ready::At(key) => key,
    };
    {
        let mut e = ctx.ks.get_mut(key).expect("just read");
        let Value::ZSet(z) = &mut e.value else {
            unreachable!("type checked above")
        };
        let n = p.count.min(z.len());
        ctx.out.array(2);
        ctx.out.bulk(key);
        ctx.out.array(n);
        for _ in 0..n {
            let (m, s) = z.pop(max).expect("counted above");
            ctx.out.array(2);
            ctx.out.bulk(&m);
            ctx.out.double(s);
        }
    }
}

/// ZMPOP numkeys key… MIN|MAX [COUNT count]
pub fn zmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zmpop_generic(ctx, args, 1, None)
}

/// BZMPOP timeout numkeys key… MIN|MAX [COUNT count].
pub fn bzmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zmpop_generic(ctx, args, 2, Some(&args[1]))
}
