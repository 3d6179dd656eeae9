//! Multi-key set commands: SINTER/SUNION/SDIFF (and their STORE forms), SINTERCARD,
//! SMOVE. Like Redis, every key's type is checked before any work, a missing key is an
//! empty set, and STORE forms overwrite a destination of any type (or delete it when
//! the result is empty).

use super::{reply_members, Lookup};
use crate::command::args::{eq_ignore_case, parse_i64};
use crate::node::cmd::lookup_for_write;
use crate::node::dispatch::Ctx;
use crate::node::types::{CompactBytes, SetValue, Value};
use crate::protocol::errors;
use bytes::Bytes;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// Size of each key's set (`None` = missing), or `None` overall after replying
/// WRONGTYPE for the first key that is not a set.
fn sizes(ctx: &mut Ctx<'_>, keys: &[Bytes]) -> Option<Vec<Option<usize>>> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        match super::lookup(&mut ctx.ks, k) {
            Lookup::Missing => out.push(None),
            Lookup::Found(s) => out.push(Some(s.len())),
            Lookup::WrongType => {
                ctx.out.error(errors::WRONGTYPE);
                return None;
            }
        }
    }
    Some(out)
}

/// The set under a key whose type `sizes` already checked. A second look: it counts
/// no keyspace hit or miss again.
fn set_of<'a>(ctx: &'a mut Ctx<'_>, key: &[u8]) -> Option<&'a SetValue> {
    ctx.ks.peek(key).and_then(|e| e.value.as_set())
}

/// Members common to all sets (at most `limit` of them, 0 = all), found the way Redis
/// does: walk the smallest set, probe the others from smallest to largest. The result
/// keeps the smallest set's order.
fn intersect(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    sizes: &[Option<usize>],
    limit: usize,
) -> Vec<CompactBytes> {
    if sizes.iter().any(Option::is_none) {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| sizes[i]);
    let mut found: Vec<CompactBytes> = set_of(ctx, &keys[order[0]])
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    for &i in &order[1..] {
        if found.is_empty() {
            break;
        }
        if let Some(s) = set_of(ctx, &keys[i]) {
            found.retain(|m| s.contains(m));
        }
    }
    if limit > 0 {
        found.truncate(limit);
    }
    found
}

/// Result of `op` over `keys`, or `None` after a WRONGTYPE reply.
fn compute(ctx: &mut Ctx<'_>, keys: &[Bytes], op: Op) -> Option<SetValue> {
    let sizes = sizes(ctx, keys)?;
    let mut res = SetValue::new();
    match op {
        Op::Inter => {
            for m in intersect(ctx, keys, &sizes, 0) {
                res.insert(&m);
            }
        }
        Op::Union => {
            for k in keys {
                if let Some(s) = set_of(ctx, k) {
                    for m in s.iter() {
                        res.insert(m);
                    }
                }
            }
        }
        Op::Diff => {
            let Some(first) = set_of(ctx, &keys[0]) else {
                return Some(res);
            };
            for m in first.iter() {
                res.insert(m);
            }
            for k in &keys[1..] {
                if res.is_empty() {
                    break;
                }
                if let Some(s) = set_of(ctx, k) {
                    for m in s.iter() {
                        res.remove(m);
                    }
                }
            }
        }
    }
    Some(res)
}

fn reply_op(ctx: &mut Ctx<'_>, args: &[Bytes], op: Op) {
    if let Some(res) = compute(ctx, &args[1..], op) {
        reply_members(ctx.out, &res);
    }
}

fn store_op(ctx: &mut Ctx<'_>, args: &[Bytes], op: Op) {
    let Some(res) = compute(ctx, &args[2..], op) else {
        return;
    };
    let n = res.len() as i64;
    if n == 0 {
        ctx.ks.delete_stored(&args[1]);
    } else {
        ctx.ks.set(&args[1], Value::set(res), 0);
    }
    ctx.out.int(n);
}

/// SINTER (and SMEMBERS, which Redis 7.0 runs as a one-key SINTER).
pub fn sinter(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    reply_op(ctx, args, Op::Inter)
}
/// SUNION.
pub fn sunion(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    reply_op(ctx, args, Op::Union)
}
/// SDIFF.
pub fn sdiff(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    reply_op(ctx, args, Op::Diff)
}
/// SINTERSTORE.
pub fn sinterstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    store_op(ctx, args, Op::Inter)
}
/// SUNIONSTORE.
pub fn sunionstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    store_op(ctx, args, Op::Union)
}
/// SDIFFSTORE.
pub fn sdiffstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    store_op(ctx, args, Op::Diff)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sintercard(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let numkeys = match parse_i64(&args[1]) {
        Some(n) if n >= 1 => n as usize,
        _ => return ctx.out.error("ERR numkeys should be greater than 0"),
    };
    if numkeys > args.len() - 2 {
        return ctx
            .out
            .error("ERR Number of keys can't be greater than number of args");
    }
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if eq_ignore_case(&args[i], "limit") && i + 1 < args.len() {
            match parse_i64(&args[i + 1]) {
                Some(n) if n >= 0 => limit = n as usize,
                _ => return ctx.out.error("ERR LIMIT can't be negative"),
            }
            i += 2;
        } else {
            return ctx.out.error(errors::SYNTAX);
        }
    }
    let keys = &args[2..2 + numkeys];
    let Some(sizes) = sizes(ctx, keys) else {
        return;
    };
    let n = intersect(ctx, keys, &sizes, limit).len();
    ctx.out.int(n as i64);
}

/// SMOVE source destination member
pub fn smove(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (src, dst, m) = (&args[1], &args[2], &args[3]);
    match lookup_for_write(&mut ctx.ks, src, Value::as_set) {
        Lookup::Missing => return ctx.out.int(0),
        Lookup::WrongType => return ctx.out.error(errors::WRONGTYPE),
        Lookup::Found(_) => {}
    }
    if let Lookup::WrongType = lookup_for_write(&mut ctx.ks, dst, Value::as_set) {
        return ctx.out.error(errors::WRONGTYPE);
    }
    if src == dst {
        let n = set_of(ctx, src).is_some_and(|s| s.contains(m));
        return ctx.out.int(n as i64);
    }
    let removed = match ctx.ks.get_mut(src) {
        Some(mut e) => {
            let removed = match &mut e.value {
                Value::Set(s) => s.remove(m),
                _ => false,
            };
            if !removed {
                e.unchanged();
            }
            removed
        }
        None => false,
    };
    if !removed {
        return ctx.out.int(0);
    }
    let mut e = ctx
        .ks
        .get_or_insert_with(dst, || Value::set(SetValue::new()));
    if let Value::Set(s) = &mut e.value {
        s.insert(m);
    }
    ctx.out.int(1);
}
