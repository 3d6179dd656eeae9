//! List commands (Redis 7.0 replies and errors, including the order in which Redis
//! checks things: e.g. LRANGE parses its indexes before it looks at the key, LINDEX
//! after).

mod blocking;
mod moves;
mod search;

use crate::command::args::parse_i64;
use crate::node::db::{EntryMut, Keyspace};
use crate::node::dispatch::{keyed, CommandDef, Ctx};
use crate::node::types::{ListValue, Value};
use crate::protocol::{errors, Reply};
use bytes::Bytes;

/// The list commands this node implements.
pub const COMMANDS: &[CommandDef] = &[
    keyed("lpush", lpush),
    keyed("rpush", rpush),
    keyed("lpushx", lpushx),
    keyed("rpushx", rpushx),
    keyed("lpop", lpop),
    keyed("rpop", rpop),
    keyed("llen", llen),
    keyed("lrange", lrange),
    keyed("lindex", lindex),
    keyed("lset", lset),
    keyed("lrem", lrem),
    keyed("ltrim", ltrim),
    keyed("linsert", linsert),
    keyed("lpos", search::lpos),
    keyed("lmove", moves::lmove),
    keyed("rpoplpush", moves::rpoplpush),
    keyed("blpop", blocking::blpop),
    keyed("brpop", blocking::brpop),
    keyed("blmove", blocking::blmove),
    keyed("brpoplpush", blocking::brpoplpush),
    keyed("lmpop", blocking::lmpop),
    keyed("blmpop", blocking::blmpop),
];

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Left,
    Right,
}

impl ListValue {
    fn push(&mut self, end: End, v: &[u8]) {
        match end {
            End::Left => self.push_front(v),
            End::Right => self.push_back(v),
        }
    }
    fn pop(&mut self, end: End) -> Option<Bytes> {
        match end {
            End::Left => self.pop_front(),
            End::Right => self.pop_back(),
        }
    }
}

/// What a read-only lookup found.
enum Found<'a> {
    Missing,
    List(&'a ListValue),
}

/// Look up a list for reading; `None` after replying WRONGTYPE.
fn read<'k>(ks: &'k mut Keyspace<'_>, key: &[u8], out: &mut Reply) -> Option<Found<'k>> {
    match ks.get_value(key) {
        None => Some(Found::Missing),
        Some(Value::List(l)) => Some(Found::List(l)),
        Some(_) => {
            out.error(errors::WRONGTYPE);
            None
        }
    }
}

/// True if `key` holds something other than a list (the caller replies WRONGTYPE).
/// A lookup for writing: no keyspace hit or miss is counted.
fn holds_other(ks: &mut Keyspace<'_>, key: &[u8]) -> bool {
    matches!(ks.get_value_for_write(key), Some(v) if !matches!(v, Value::List(_)))
}

/// An existing list for writing: `Ok(None)` if the key is missing, `Err` after
/// replying WRONGTYPE. An emptied list is deleted when the guard drops.
fn write_existing<'k>(
    ks: &'k mut Keyspace<'_>,
    key: &[u8],
    out: &mut Reply,
) -> Result<Option<EntryMut<'k>>, ()> {
    super::existing_for_write(ks, key, out, |v| matches!(v, Value::List(_)))
}

/// The list inside an entry whose type was checked.
fn list_of<'e>(e: &'e mut EntryMut<'_>) -> &'e mut ListValue {
    match &mut e.value {
        Value::List(l) => l,
        _ => unreachable!("type checked before"),
    }
}

/// LPUSH/RPUSH/LPUSHX/RPUSHX.
fn push(ctx: &mut Ctx<'_>, args: &[Bytes], end: End, create: bool) {
    let mut e = if create {
        ctx.ks
            .get_or_insert_with(&args[1], || Value::list(ListValue::new()))
    } else {
        match ctx.ks.get_mut(&args[1]) {
            Some(e) => e,
            None => return ctx.out.int(0),
        }
    };
    // A WRONGTYPE reply does not count as a modification of the key (WATCH).
    let Value::List(l) = &mut e.value else {
        return ctx.out.error(errors::WRONGTYPE);
    };
    for v in &args[2..] {
        l.push(end, v);
    }
    ctx.out.int(l.len() as i64);
}

fn lpush(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    push(ctx, args, End::Left, true);
}

fn rpush(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    push(ctx, args, End::Right, true);
}

fn lpushx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    push(ctx, args, End::Left, false);
}

fn rpushx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    push(ctx, args, End::Right, false);
}

/// LPOP/RPOP, with Redis's shapes: no count → bulk or null; a count → array, or
/// the null *array* for a missing key; count 0 → empty array.
fn pop(ctx: &mut Ctx<'_>, args: &[Bytes], end: End) {
    if args.len() > 3 {
        let name = if end == End::Left { "lpop" } else { "rpop" };
        return ctx.out.error(errors::arity(name));
    }
    let count = match args.get(2) {
        None => None,
        // Redis's getPositiveLongFromObjectOrReply: one message for both failures.
        Some(a) => match parse_i64(a) {
            Some(n) if n >= 0 => Some(n as u64),
            _ => return ctx.out.error(errors::POSITIVE),
        },
    };
    let mut e = match write_existing(&mut ctx.ks, &args[1], ctx.out) {
        Ok(Some(e)) => e,
        Ok(None) if count.is_some() => return ctx.out.null_array(),
        Ok(None) => return ctx.out.null(),
        Err(()) => return,
    };
    let l = list_of(&mut e);
    match count {
        None => {
            if l.pop_with(end == End::Left, |v| ctx.out.bulk(v)).is_none() {
                ctx.out.null();
            }
        }
        Some(n) => {
            let n = n.min(l.len() as u64) as usize;
            ctx.out.array(n);
            for _ in 0..n {
                l.pop_with(end == End::Left, |v| ctx.out.bulk(v));
            }
            if n == 0 {
                e.unchanged();
            }
        }
    }
}

fn lpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    pop(ctx, args, End::Left);
}

fn rpop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    pop(ctx, args, End::Right);
}

fn llen(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::List(l)) => ctx.out.int(l.len() as i64),
        Some(Found::Missing) => ctx.out.int(0),
        None => {}
    }
}

/// Parse the integer arguments `args[from..to]`; `None` after replying the error.
fn ints<const N: usize>(out: &mut Reply, args: &[Bytes]) -> Option<[i64; N]> {
    let mut v = [0; N];
    for (slot, a) in v.iter_mut().zip(args) {
        match parse_i64(a) {
            Some(n) => *slot = n,
            None => {
                out.error(errors::NOT_INTEGER);
                return None;
            }
        }
    }
    Some(v)
}

/// Redis's start/end normalisation for LRANGE and LTRIM: `None` if the range is
/// empty, else inclusive in-range indexes.
fn range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// A single index (negative from the tail), if inside the list.
fn index(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { i + len as i64 } else { i };
    (0..len as i64).contains(&i).then_some(i as usize)
}

fn lrange(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some([start, end]) = ints::<2>(ctx.out, &args[2..]) else {
        return;
    };
    let l = match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::List(l)) => l,
        Some(Found::Missing) => return ctx.out.array(0),
        None => return,
    };
    match range(start, end, l.len()) {
        None => ctx.out.array(0),
        Some((a, b)) => {
            ctx.out.array(b - a + 1);
            for v in l.range(a, b - a + 1) {
                ctx.out.bulk(v);
            }
        }
    }
}

fn lindex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let l = match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::List(l)) => l,
        Some(Found::Missing) => return ctx.out.null(),
        None => return,
    };
    let Some(i) = parse_i64(&args[2]) else {
        return ctx.out.error(errors::NOT_INTEGER);
    };
    match index(i, l.len()).and_then(|i| l.get(i)) {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
}

fn lset(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let mut e = match write_existing(&mut ctx.ks, &args[1], ctx.out) {
        Ok(Some(e)) => e,
        Ok(None) => return ctx.out.error(errors::NO_SUCH_KEY),
        Err(()) => return,
    };
    let Some(i) = parse_i64(&args[2]) else {
        return ctx.out.error(errors::NOT_INTEGER);
    };
    let l = list_of(&mut e);
    match index(i, l.len()) {
        Some(i) => {
            l.set(i, &args[3]);
            ctx.out.ok();
        }
        None => ctx.out.error(errors::INDEX_OUT_OF_RANGE),
    }
}

fn lrem(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some([count]) = ints::<1>(ctx.out, &args[2..]) else {
        return;
    };
    let mut e = match write_existing(&mut ctx.ks, &args[1], ctx.out) {
        Ok(Some(e)) => e,
        Ok(None) => return ctx.out.int(0),
        Err(()) => return,
    };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let n = list_of(&mut e).remove_matching(&args[3], limit, count < 0);
    if n == 0 {
        e.unchanged();
    }
    ctx.out.int(n as i64);
}

fn ltrim(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some([start, end]) = ints::<2>(ctx.out, &args[2..]) else {
        return;
    };
    let mut e = match write_existing(&mut ctx.ks, &args[1], ctx.out) {
        Ok(Some(e)) => e,
        Ok(None) => return ctx.out.ok(),
        Err(()) => return,
    };
    let l = list_of(&mut e);
    match range(start, end, l.len()) {
        Some((a, b)) => l.keep_range(a, b + 1),
        None => l.keep_range(0, 0),
    }
    ctx.out.ok();
}

fn linsert(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    use crate::command::args::eq_ignore_case;
    let after = if eq_ignore_case(&args[2], "after") {
        true
    } else if eq_ignore_case(&args[2], "before") {
        false
    } else {
        return ctx.out.error(errors::SYNTAX);
    };
    let mut e = match write_existing(&mut ctx.ks, &args[1], ctx.out) {
        Ok(Some(e)) => e,
        Ok(None) => return ctx.out.int(0),
        Err(()) => return,
    };
    let l = list_of(&mut e);
    let pivot = l.iter().position(|v| v == &args[3][..]);
    match pivot {
        Some(i) => {
            l.insert(i + after as usize, &args[4]);
            ctx.out.int(l.len() as i64);
        }
        None => {
            e.unchanged();
            ctx.out.int(-1)
        }
    }
}
