//! Set commands (Redis 7.0). Replies that walk a set use the set's own order, which
//! is numeric for intset-like sets exactly as in Redis (see `types::set`).

mod algebra;
pub mod random;
pub mod scan;

use super::Lookup;
use crate::node::db::Keyspace;
use crate::node::dispatch::{keyed, CommandDef, Ctx};
use crate::node::types::{SetValue, Value};
use crate::protocol::{errors, Reply};
use bytes::Bytes;

/// The set commands this node implements.
pub const COMMANDS: &[CommandDef] = &[
    keyed("sadd", sadd),
    keyed("srem", srem),
    keyed("smembers", algebra::sinter),
    keyed("sismember", sismember),
    keyed("smismember", smismember),
    keyed("scard", scard),
    keyed("spop", random::spop),
    keyed("srandmember", random::srandmember),
    keyed("smove", algebra::smove),
    keyed("sinter", algebra::sinter),
    keyed("sintercard", algebra::sintercard),
    keyed("sunion", algebra::sunion),
    keyed("sdiff", algebra::sdiff),
    keyed("sinterstore", algebra::sinterstore),
    keyed("sunionstore", algebra::sunionstore),
    keyed("sdiffstore", algebra::sdiffstore),
    keyed("sscan", sscan),
];

/// Read a key as a set.
fn lookup<'a>(ks: &'a mut Keyspace<'_>, key: &[u8]) -> Lookup<'a, SetValue> {
    super::lookup(ks, key, Value::as_set)
}

/// Reply with a set's members as a RESP3 set (array in RESP2).
fn reply_members(out: &mut Reply, s: &SetValue) {
    out.set(s.len());
    for m in s.iter() {
        out.bulk(m);
    }
}

fn sadd(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let mut e = ctx
        .ks
        .get_or_insert_with(&args[1], || Value::set(SetValue::new()));
    let Value::Set(s) = &mut e.value else {
        return ctx.out.error(errors::WRONGTYPE);
    };
    let added = args[2..].iter().filter(|m| s.insert(m)).count();
    if added == 0 {
        e.unchanged();
    }
    ctx.out.int(added as i64);
}

fn srem(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(mut e) = ctx.ks.get_mut(&args[1]) else {
        return ctx.out.int(0);
    };
    let Value::Set(s) = &mut e.value else {
        return ctx.out.error(errors::WRONGTYPE);
    };
    let mut removed = 0;
    for m in &args[2..] {
        if s.is_empty() {
            break;
        }
        removed += s.remove(m) as i64;
    }
    if removed == 0 {
        e.unchanged();
    }
    ctx.out.int(removed);
}

fn sismember(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let n = match lookup(&mut ctx.ks, &args[1]) {
        Lookup::Missing => 0,
        Lookup::WrongType => return ctx.out.error(errors::WRONGTYPE),
        Lookup::Found(s) => s.contains(&args[2]) as i64,
    };
    ctx.out.int(n);
}

fn smismember(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Ctx { ks, out, .. } = ctx;
    let set = match ks.get_value(&args[1]) {
        None => None,
        Some(Value::Set(s)) => Some(s),
        Some(_) => return out.error(errors::WRONGTYPE),
    };
    out.array(args.len() - 2);
    for m in &args[2..] {
        out.int(set.is_some_and(|s| s.contains(m)) as i64);
    }
}

fn scard(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let n = match lookup(&mut ctx.ks, &args[1]) {
        Lookup::Missing => 0,
        Lookup::WrongType => return ctx.out.error(errors::WRONGTYPE),
        Lookup::Found(s) => s.len() as i64,
    };
    ctx.out.int(n);
}

/// Start a `[cursor, [elements]]` scan reply.
pub(crate) fn scan_header(out: &mut Reply, cursor: u64, elements: usize) {
    out.array(2);
    out.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    out.array(elements);
}

fn sscan(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(cursor) = crate::command::args::parse_scan_cursor(&args[2]) else {
        return ctx.out.error(scan::INVALID_CURSOR);
    };
    let Ctx { ks, out, .. } = ctx;
    let s = match ks.get_value(&args[1]) {
        None => return scan_header(out, 0, 0),
        Some(Value::Set(s)) => s,
        Some(_) => return out.error(errors::WRONGTYPE),
    };
    let opts = match scan::parse_opts(args) {
        Ok(o) => o,
        Err(e) => return out.error(e),
    };
    if s.is_intset() {
        // Redis replies small encodings whole, with cursor 0, in their order.
        let n = s.iter().filter(|m| opts.matches(m)).count();
        scan_header(out, 0, n);
        for m in s.iter().filter(|m| opts.matches(m)) {
            out.bulk(m);
        }
        return;
    }
    let mut found: Vec<&[u8]> = Vec::new();
    let next = scan::index_scan(s.len(), cursor, opts.count, |i| {
        let m = s.get_index(i).expect("in range");
        if opts.matches(m) {
            found.push(m);
        }
    });
    scan_header(out, next, found.len());
    for m in found {
        out.bulk(m);
    }
}
