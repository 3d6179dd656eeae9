//! Hash commands (Redis 7.0 replies and errors, including the order in which Redis
//! checks things: e.g. HINCRBY parses its increment before it looks at the key).
//!
//! Small hashes reply in insertion order like Redis's listpack encoding; see
//! `types::hash` for when that stops.

mod numeric;
mod random;
mod scan;

use crate::node::db::{EntryMut, Keyspace};
use crate::node::dispatch::{keyed, CommandDef, Ctx};
use crate::node::types::{HashValue, Value};
use crate::protocol::{errors, Reply};
use bytes::Bytes;

/// The hash commands this node implements.
pub const COMMANDS: &[CommandDef] = &[
    keyed("hset", hset),
    keyed("hmset", hmset),
    keyed("hsetnx", hsetnx),
    keyed("hget", hget),
    keyed("hmget", hmget),
    keyed("hgetall", hgetall),
    keyed("hkeys", hkeys),
    keyed("hvals", hvals),
    keyed("hdel", hdel),
    keyed("hexists", hexists),
    keyed("hlen", hlen),
    keyed("hstrlen", hstrlen),
    keyed("hincrby", numeric::hincrby),
    keyed("hincrbyfloat", numeric::hincrbyfloat),
    keyed("hrandfield", random::hrandfield),
    keyed("hscan", scan::hscan),
];

/// What a read-only lookup found.
enum Found<'a> {
    Missing,
    Hash(&'a HashValue),
}

/// Look up a hash for reading; `None` after replying WRONGTYPE.
fn read<'k>(ks: &'k mut Keyspace<'_>, key: &[u8], out: &mut Reply) -> Option<Found<'k>> {
    match ks.get_value(key) {
        None => Some(Found::Missing),
        Some(Value::Hash(h)) => Some(Found::Hash(h)),
        Some(_) => {
            out.error(errors::WRONGTYPE);
            None
        }
    }
}

/// The hash at `key` for writing, created empty if missing (an emptied or unused new
/// hash is deleted when the guard drops). `None` after replying WRONGTYPE, which
/// does not count as a modification of the key (WATCH): see `Keyspace::settle`.
fn write<'k>(ks: &'k mut Keyspace<'_>, key: &[u8], out: &mut Reply) -> Option<EntryMut<'k>> {
    let e = ks.get_or_insert_with(key, || Value::hash(HashValue::new()));
    if !matches!(e.value, Value::Hash(_)) {
        out.error(errors::WRONGTYPE);
        return None;
    }
    Some(e)
}

/// An existing hash for writing: `Ok(None)` if the key is missing, `Err` after
/// replying WRONGTYPE.
fn write_existing<'k>(
    ks: &'k mut Keyspace<'_>,
    key: &[u8],
    out: &mut Reply,
) -> Result<Option<EntryMut<'k>>, ()> {
    super::existing_for_write(ks, key, out, |v| matches!(v, Value::Hash(_)))
}

/// The hash inside an entry that [`write`] vetted.
fn hash_of<'e>(e: &'e mut EntryMut<'_>) -> &'e mut HashValue {
    match &mut e.value {
        Value::Hash(h) => h,
        _ => unreachable!("type checked by write()"),
    }
}

/// Set every field/value pair in `args[2..]`; the number of new fields, or `None`
/// after replying an error.
fn set_pairs(ctx: &mut Ctx<'_>, args: &[Bytes], name: &str) -> Option<i64> {
    if !args.len().is_multiple_of(2) {
        ctx.out.error(errors::arity(name));
        return None;
    }
    let mut e = write(&mut ctx.ks, &args[1], ctx.out)?;
    let h = hash_of(&mut e);
    let mut added = 0;
    for pair in args[2..].chunks_exact(2) {
        added += h.insert(&pair[0], &pair[1]) as i64;
    }
    Some(added)
}

fn hset(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if let Some(n) = set_pairs(ctx, args, "hset") {
        ctx.out.int(n);
    }
}

fn hmset(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if set_pairs(ctx, args, "hmset").is_some() {
        ctx.out.ok();
    }
}

fn hsetnx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(mut e) = write(&mut ctx.ks, &args[1], ctx.out) else {
        return;
    };
    let h = hash_of(&mut e);
    if h.get(&args[2]).is_some() {
        e.unchanged();
        return ctx.out.int(0);
    }
    h.insert(&args[2], &args[3]);
    ctx.out.int(1);
}

fn hget(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::Hash(h)) => match h.get(&args[2]) {
            Some(v) => ctx.out.bulk(v),
            None => ctx.out.null(),
        },
        Some(Found::Missing) => ctx.out.null(),
        None => {}
    }
}

fn hmget(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let h = match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::Hash(h)) => Some(h),
        Some(Found::Missing) => None,
        None => return,
    };
    ctx.out.array(args.len() - 2);
    for f in &args[2..] {
        match h.and_then(|h| h.get(f)) {
            Some(v) => ctx.out.bulk(v),
            None => ctx.out.null(),
        }
    }
}

/// HGETALL/HKEYS/HVALS: which halves of each pair to send.
fn get_all(ctx: &mut Ctx<'_>, args: &[Bytes], keys: bool, vals: bool) {
    let h = match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::Hash(h)) => h,
        Some(Found::Missing) if keys && vals => return ctx.out.map(0),
        Some(Found::Missing) => return ctx.out.array(0),
        None => return,
    };
    if keys && vals {
        ctx.out.map(h.len());
    } else {
        ctx.out.array(h.len());
    }
    for (k, v) in h.fields().iter() {
        if keys {
            ctx.out.bulk(k);
        }
        if vals {
            ctx.out.bulk(v);
        }
    }
}

fn hgetall(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    get_all(ctx, args, true, true);
}

fn hkeys(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    get_all(ctx, args, true, false);
}

fn hvals(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    get_all(ctx, args, false, true);
}

fn hdel(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let mut e = match write_existing(&mut ctx.ks, &args[1], ctx.out) {
        Ok(Some(e)) => e,
        Ok(None) => return ctx.out.int(0),
        Err(()) => return,
    };
    let h = hash_of(&mut e);
    let mut n = 0;
    for f in &args[2..] {
        n += h.remove(f).is_some() as i64;
        if h.is_empty() {
            break;
        }
    }
    if n == 0 {
        e.unchanged();
    }
    ctx.out.int(n);
}

fn hexists(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::Hash(h)) => ctx.out.int(h.get(&args[2]).is_some() as i64),
        Some(Found::Missing) => ctx.out.int(0),
        None => {}
    }
}

fn hlen(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::Hash(h)) => ctx.out.int(h.len() as i64),
        Some(Found::Missing) => ctx.out.int(0),
        None => {}
    }
}

fn hstrlen(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::Hash(h)) => ctx.out.int(h.get(&args[2]).map_or(0, |v| v.len() as i64)),
        Some(Found::Missing) => ctx.out.int(0),
        None => {}
    }
}
