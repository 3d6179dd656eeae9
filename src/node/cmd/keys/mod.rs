//! Generic key commands (Redis's "keyspace" group): existence, deletion, type, rename
//! and copy here; TTLs in [`expire`]; whole-keyspace walks (KEYS, SCAN, RANDOMKEY) in
//! [`walk`].

mod expire;
mod object;
mod walk;

use crate::command::args::eq_ignore_case;
use crate::node::db::{Entry, StrEncoding, PREFETCH_GROUP};
use crate::node::dispatch::{global, keyed, CommandDef, Ctx};
use crate::protocol::errors;
use bytes::Bytes;

/// The key commands this node implements. KEYS/SCAN/RANDOMKEY name no keys in the
/// command table, so they lock every shard (`global`).
pub const COMMANDS: &[CommandDef] = &[
    keyed("del", del),
    keyed("unlink", del),
    keyed("exists", exists),
    keyed("touch", touch),
    keyed("type", type_),
    keyed("rename", rename),
    keyed("renamenx", renamenx),
    keyed("copy", copy),
    keyed("expire", expire::expire),
    keyed("pexpire", expire::pexpire),
    keyed("expireat", expire::expireat),
    keyed("pexpireat", expire::pexpireat),
    keyed("ttl", expire::ttl),
    keyed("pttl", expire::pttl),
    keyed("expiretime", expire::expiretime),
    keyed("pexpiretime", expire::pexpiretime),
    keyed("persist", expire::persist),
    global("keys", walk::keys),
    global("scan", walk::scan),
    global("randomkey", walk::randomkey),
    keyed("object", object::object),
];

/// `source and destination objects are the same` (COPY, and SMOVE/LMOVE-like checks).
const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// DEL and UNLINK (freeing is cheap enough here that UNLINK need not be lazy).
fn del(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let mut n = 0;
    for group in args[1..].chunks(PREFETCH_GROUP) {
        ctx.ks.prefetch(group.iter().map(|k| &k[..]));
        n += group.iter().filter(|k| ctx.ks.remove(k).is_some()).count();
    }
    ctx.out.int(n as i64);
}

/// EXISTS: how many of the keys exist, duplicates counted each time. A read that
/// counts keyspace hits and misses but leaves the keys' LRU/LFU data alone (Redis's
/// `LOOKUP_NOTOUCH`), so checking a key does not keep it from eviction.
fn exists(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    count_existing(ctx, args, |ks, k| ks.peek_counted(k).is_some());
}

/// TOUCH: as EXISTS, but refreshing the keys' LRU/LFU data, which is all it is for.
fn touch(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    count_existing(ctx, args, |ks, k| ks.get(k).is_some());
}

fn count_existing(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    mut look: impl FnMut(&mut crate::node::db::Keyspace<'_>, &[u8]) -> bool,
) {
    let mut n = 0;
    for group in args[1..].chunks(PREFETCH_GROUP) {
        ctx.ks.prefetch(group.iter().map(|k| &k[..]));
        n += group.iter().filter(|k| look(&mut ctx.ks, k)).count();
    }
    ctx.out.int(n as i64);
}

/// TYPE: a counted look that leaves LRU/LFU data alone (`LOOKUP_NOTOUCH`), as EXISTS.
fn type_(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let name = ctx
        .ks
        .peek_counted(&args[1])
        .map_or("none", |e| e.value.type_name());
    ctx.out.simple(name);
}

fn rename(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    rename_generic(ctx, args, false);
}

fn renamenx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    rename_generic(ctx, args, true);
}

/// Redis's `renameGenericCommand`: the source must exist even when renaming a key to
/// itself; the TTL moves with the value; an existing destination is replaced (RENAME)
/// or left alone (RENAMENX → 0).
fn rename_generic(ctx: &mut Ctx<'_>, args: &[Bytes], nx: bool) {
    let (src, dst) = (&args[1], &args[2]);
    if !ctx.ks.exists(src) {
        return ctx.out.error(errors::NO_SUCH_KEY);
    }
    if src == dst {
        return if nx { ctx.out.int(0) } else { ctx.out.ok() };
    }
    if nx && ctx.ks.exists(dst) {
        return ctx.out.int(0);
    }
    // The key moves with its LRU/LFU data, as Redis moves the object (looked up, and
    // so touched, once: by `exists` above).
    let e = ctx.ks.take(src).expect("checked above");
    ctx.ks.put(dst, e);
    if nx {
        ctx.out.int(1)
    } else {
        ctx.out.ok()
    }
}

/// COPY source destination [DB n] [REPLACE]. Only database 0 exists here (as SELECT),
/// so `DB` accepts 0 and answers any other index with SELECT's errors.
fn copy(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        if eq_ignore_case(&args[j], "replace") {
            replace = true;
        } else if eq_ignore_case(&args[j], "db") && j + 1 < args.len() {
            // Read as SELECT reads its index (a C int first, then the database).
            if let Err(e) = crate::command::hello::check_select(&args[j + 1]) {
                return ctx.out.error(e);
            }
            j += 1;
        } else {
            return ctx.out.error(errors::SYNTAX);
        }
        j += 1;
    }
    let (src, dst) = (&args[1], &args[2]);
    if src == dst {
        return ctx.out.error(SAME_OBJECT);
    }
    let Some(e) = ctx.ks.get(src) else {
        return ctx.out.int(0);
    };
    let (value, expire_at, str_encoding) = (e.value.clone(), e.expire_at, e.str_encoding);
    if ctx.ks.exists(dst) && !replace {
        return ctx.out.int(0);
    }
    // A new object in Redis, encoded as the source: fresh LRU/LFU data, even over a
    // REPLACEd key.
    let mut copied = Entry::new(value, ctx.ks.now());
    copied.expire_at = expire_at;
    copied.str_encoding = match str_encoding {
        StrEncoding::ByContent => StrEncoding::Unshared, // Redis duplicates shared integers
        other => other,
    };
    ctx.ks.put(dst, copied);
    ctx.out.int(1);
}
