//! ZPOPMIN/ZPOPMAX, ZRANDMEMBER and ZSCAN, with Redis 7.0's reply shapes: a pop
//! without a count is a flat `[member, score]` even in RESP3, with a count RESP3 nests
//! pairs; ZSCAN always sends scores as bulk strings.

use super::{begin_entries, entry, lookup, Lookup};
use crate::command::args::{eq_ignore_case, format_g17, parse_i64};
use crate::node::cmd::sets::random::parse_rand_count;
use crate::node::cmd::sets::{scan, scan_header};
use crate::node::dispatch::Ctx;
use crate::node::types::Value;
use crate::protocol::errors;
use bytes::Bytes;
use rand::Rng;

fn zpop(ctx: &mut Ctx<'_>, args: &[Bytes], max: bool) {
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
        return out.array(0);
    };
    let Value::ZSet(z) = &mut e.value else {
        return out.error(errors::WRONGTYPE);
    };
    if count == Some(0) {
        e.unchanged();
        return out.array(0);
    }
    let n = count.unwrap_or(1).min(z.len() as u64) as usize;
    let nested = count.is_some() && out.resp3;
    out.array(if nested { n } else { 2 * n });
    for _ in 0..n {
        let (m, s) = z.pop(max).expect("counted");
        if nested {
            out.array(2);
        }
        out.bulk(&m);
        out.double(s);
    }
}

/// ZPOPMIN key [count]
pub fn zpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zpop(ctx, args, false)
}
/// ZPOPMAX key [count]
pub fn zpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    zpop(ctx, args, true)
}

/// ZRANDMEMBER key [count [WITHSCORES]]
pub fn zrandmember(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let count = match args.get(2).map(|a| parse_rand_count(a)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return ctx.out.error(e),
    };
    let withscores = args.len() == 4 && eq_ignore_case(&args[3], "withscores");
    if args.len() > 4 || (args.len() == 4 && !withscores) {
        return ctx.out.error(errors::SYNTAX);
    }
    if withscores && count.is_some_and(|n| !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&n)) {
        return ctx.out.error("ERR value is out of range");
    }
    let Ctx { ks, out, .. } = ctx;
    let z = match lookup(ks, &args[1]) {
        Lookup::Missing if count.is_none() => return out.null(),
        Lookup::Missing => return out.array(0),
        Lookup::WrongType => return out.error(errors::WRONGTYPE),
        Lookup::Found(z) => z,
    };
    let mut rng = rand::rng();
    let len = z.len();
    let Some(count) = count else {
        let (m, _) = z.get_index(rng.random_range(0..len)).expect("in range");
        return out.bulk(m);
    };
    let n = count.unsigned_abs() as usize;
    if count < 0 || count == 1 {
        begin_entries(out, n, withscores);
        for _ in 0..n {
            let (m, s) = z.get_index(rng.random_range(0..len)).expect("in range");
            entry(out, m, s, withscores);
        }
    } else if n >= len {
        begin_entries(out, len, withscores);
        for (m, s) in z.iter() {
            entry(out, m, s, withscores);
        }
    } else {
        begin_entries(out, n, withscores);
        for i in rand::seq::index::sample(&mut rng, len, n) {
            let (m, s) = z.get_index(i).expect("in range");
            entry(out, m, s, withscores);
        }
    }
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
pub fn zscan(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(cursor) = crate::command::args::parse_scan_cursor(&args[2]) else {
        return ctx.out.error(scan::INVALID_CURSOR);
    };
    let Ctx { ks, out, .. } = ctx;
    let z = match lookup(ks, &args[1]) {
        Lookup::Missing => return scan_header(out, 0, 0),
        Lookup::WrongType => return out.error(errors::WRONGTYPE),
        Lookup::Found(z) => z,
    };
    let opts = match scan::parse_opts(args) {
        Ok(o) => o,
        Err(e) => return out.error(e),
    };
    let mut found: Vec<(&[u8], f64)> = Vec::new();
    let next = if z.is_listpack() {
        // Redis replies small encodings whole, in order, with cursor 0.
        found.extend(z.iter().filter(|(m, _)| opts.matches(m)));
        0
    } else {
        scan::index_scan(z.len(), cursor, opts.count, |i| {
            let (m, s) = z.get_index(i).expect("in range");
            if opts.matches(m) {
                found.push((m, s));
            }
        })
    };
    scan_header(out, next, 2 * found.len());
    let mut text = Vec::with_capacity(24);
    for (m, s) in found {
        out.bulk(m);
        text.clear();
        format_g17(s, &mut text);
        out.bulk(&text);
    }
}
