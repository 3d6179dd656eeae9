//! String commands, with Redis 7.0's replies and errors byte for byte.
//!
//! Strings are stored as their text (`Value::Str`), integers included: INCR parses and
//! re-formats, which for the short numbers involved costs less than keeping a second
//! representation in sync. Beyond 7.0, on purpose, for lock clients: `SET … IFEQ`
//! (Valkey 8.1 / Redis 8.4) and `DELIFEQ` (Valkey 9.0; see `command/extra.rs`).
//!
//! - `mod.rs`: GET/SET and the get-and-modify family, MGET/MSET, IFEQ/DELIFEQ.
//! - `options.rs`: SET/GETEX option parsing and expire arithmetic.
//! - `numeric.rs`: INCR/DECR/INCRBY/DECRBY/INCRBYFLOAT.
//! - `range.rs`: APPEND/STRLEN/GETRANGE/SETRANGE.
//! - `bits.rs`: SETBIT/GETBIT/BITCOUNT/BITPOS/BITOP/BITFIELD/BITFIELD_RO.
//! - `lcs.rs`: LCS.

mod bits;
mod lcs;
mod numeric;
mod options;
mod range;

use crate::node::db::{Entry, StrEncoding, PREFETCH_GROUP};
use crate::node::dispatch::{keyed, CommandDef, Ctx};
use crate::node::types::{compact, Value};
use crate::protocol::errors;
use bytes::Bytes;
use options::{expire_at, ExpireError, ExpireKind, Opts};

/// The string commands this node implements.
pub const COMMANDS: &[CommandDef] = &[
    keyed("get", get),
    keyed("set", set),
    keyed("setnx", setnx),
    keyed("setex", setex),
    keyed("psetex", psetex),
    keyed("getset", getset),
    keyed("getdel", getdel),
    keyed("getex", getex),
    keyed("mget", mget),
    keyed("mset", mset),
    keyed("msetnx", msetnx),
    keyed("incr", numeric::incr),
    keyed("decr", numeric::decr),
    keyed("incrby", numeric::incrby),
    keyed("decrby", numeric::decrby),
    keyed("incrbyfloat", numeric::incrbyfloat),
    keyed("append", range::append),
    keyed("strlen", range::strlen),
    keyed("getrange", range::getrange),
    keyed("substr", range::getrange), // Redis 7.0 runs SUBSTR as GETRANGE
    keyed("setrange", range::setrange),
    keyed("lcs", lcs::lcs),
    keyed("getbit", bits::getbit),
    keyed("setbit", bits::setbit),
    keyed("bitcount", bits::bitcount),
    keyed("bitpos", bits::bitpos),
    keyed("bitop", bits::bitop),
    keyed("bitfield", bits::bitfield),
    keyed("bitfield_ro", bits::bitfield_ro),
    keyed("delifeq", delifeq),
    keyed("delex", delex),
];

fn get(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    reply_get(ctx, &args[1]);
}

/// Redis's `getGenericCommand`: reply with the string at `key` (or nil). `false` if the
/// key holds another type (WRONGTYPE already replied).
fn reply_get(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    match ctx.ks.get_value(key) {
        None => ctx.out.null(),
        Some(Value::Str(s)) => ctx.out.bulk(s),
        Some(_) => {
            ctx.out.error(errors::WRONGTYPE);
            return false;
        }
    }
    true
}

/// How a SET-family command answers success / a condition that was not met.
#[derive(Clone, Copy)]
enum Answer {
    /// `+OK` / nil (SET, SETEX, PSETEX).
    OkOrNil,
    /// `:1` / `:0` (SETNX).
    OneOrZero,
}

fn set(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if args.len() == 3 {
        // The benchmark path: no options.
        ctx.ks.set(&args[1], Value::Str(compact(&args[2])), 0);
        return ctx.out.ok();
    }
    let Some(opts) = Opts::parse(&args[3..], true) else {
        return ctx.out.error(errors::SYNTAX);
    };
    set_generic(ctx, "set", &args[1], &args[2], &opts, Answer::OkOrNil);
}

fn setnx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let opts = Opts {
        nx: true,
        ..Opts::default()
    };
    set_generic(ctx, "setnx", &args[1], &args[2], &opts, Answer::OneOrZero);
}

fn setex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let opts = Opts {
        expire: Some((ExpireKind::Ex, &args[2][..])),
        ..Opts::default()
    };
    set_generic(ctx, "setex", &args[1], &args[3], &opts, Answer::OkOrNil);
}

fn psetex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let opts = Opts {
        expire: Some((ExpireKind::Px, &args[2][..])),
        ..Opts::default()
    };
    set_generic(ctx, "psetex", &args[1], &args[3], &opts, Answer::OkOrNil);
}

/// Reply to a bad expire time; `None` after replying.
fn checked_expire(ctx: &mut Ctx<'_>, cmd: &str, kind: ExpireKind, raw: &[u8]) -> Option<u64> {
    match expire_at(ctx.ks.now(), kind, raw) {
        Ok(at) => Some(at),
        Err(ExpireError::NotInteger) => {
            ctx.out.error(errors::NOT_INTEGER);
            None
        }
        Err(ExpireError::Invalid) => {
            ctx.out.error(errors::invalid_expire(cmd));
            None
        }
    }
}

/// Redis's `setGenericCommand`, in its order: expire time, GET's reply (and type
/// check), the NX/XX/IFEQ condition, the write, the reply.
fn set_generic(ctx: &mut Ctx<'_>, cmd: &str, key: &[u8], val: &[u8], o: &Opts<'_>, ans: Answer) {
    let mut when = 0;
    if let Some((kind, raw)) = o.expire {
        match checked_expire(ctx, cmd, kind, raw) {
            Some(at) => when = at,
            None => return,
        }
    }
    if o.get && !reply_get(ctx, key) {
        return;
    }
    let proceed = if let Some(expected) = o.ifeq {
        match ctx.ks.get_value(key) {
            None => false,
            Some(Value::Str(cur)) => cur[..] == *expected,
            // With GET the type was already checked (and replied) above.
            Some(_) => return ctx.out.error(errors::WRONGTYPE),
        }
    } else if o.nx || o.xx {
        ctx.ks.exists(key) == o.xx
    } else {
        true
    };
    if !proceed {
        if !o.get {
            match ans {
                Answer::OkOrNil => ctx.out.null(),
                Answer::OneOrZero => ctx.out.int(0),
            }
        }
        return;
    }
    let value = Value::Str(compact(val));
    if o.keepttl {
        let unset = match ctx.ks.get_mut(key) {
            Some(mut e) => {
                e.value = value;
                e.str_encoding = StrEncoding::ByContent; // a new object in Redis
                None
            }
            None => Some(value),
        };
        if let Some(value) = unset {
            ctx.ks.set(key, value, 0);
        }
    } else {
        // EXAT/PXAT in the past is stored too, as Redis 7.0 stores it: the key is there
        // (DBSIZE counts it, WATCHers see a change) until its next access or the expiry
        // sweep removes it, unlike EXPIREAT and GETEX, which delete at once.
        ctx.ks.set(key, value, when);
    }
    if !o.get {
        match ans {
            Answer::OkOrNil => ctx.out.ok(),
            Answer::OneOrZero => ctx.out.int(1),
        }
    }
}

fn getset(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if reply_get(ctx, &args[1]) {
        ctx.ks.set(&args[1], Value::Str(compact(&args[2])), 0);
    }
}

fn getdel(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match ctx.ks.get_value(&args[1]) {
        None => return ctx.out.null(),
        Some(Value::Str(_)) => {}
        Some(_) => return ctx.out.error(errors::WRONGTYPE),
    }
    if let Some(Entry {
        value: Value::Str(s),
        ..
    }) = ctx.ks.remove(&args[1])
    {
        ctx.out.bulk(&s);
    }
}

/// GETEX: options first, then the key (a missing key answers nil before the expire
/// time is even validated), then the expire time, the reply, and the TTL change.
fn getex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(o) = Opts::parse(&args[2..], false) else {
        return ctx.out.error(errors::SYNTAX);
    };
    let key = &args[1][..];
    let ttl = match ctx.ks.get(key) {
        None => return ctx.out.null(),
        Some(e) => match &e.value {
            Value::Str(_) => e.expire_at,
            _ => return ctx.out.error(errors::WRONGTYPE),
        },
    };
    let mut when = 0;
    if let Some((kind, raw)) = o.expire {
        match checked_expire(ctx, "getex", kind, raw) {
            Some(at) => when = at,
            None => return,
        }
    }
    // Looked up again rather than copied out above: the value may be large.
    if let Some(Value::Str(s)) = ctx.ks.peek(key).map(|e| &e.value) {
        ctx.out.bulk(s);
    }
    if when != 0 {
        if when <= ctx.ks.now() {
            ctx.ks.remove(key);
        } else if let Some(mut e) = ctx.ks.get_mut(key) {
            e.expire_at = when;
        }
    } else if o.persist && ttl != 0 {
        if let Some(mut e) = ctx.ks.get_mut(key) {
            e.expire_at = 0;
        }
    }
}

fn mget(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    ctx.out.array(args.len() - 1);
    for group in args[1..].chunks(PREFETCH_GROUP) {
        ctx.ks.prefetch(group.iter().map(|k| &k[..]));
        for key in group {
            match ctx.ks.get_value(key) {
                Some(Value::Str(s)) => ctx.out.bulk(s),
                _ => ctx.out.null(),
            }
        }
    }
}

fn mset(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if args.len().is_multiple_of(2) {
        return ctx.out.error(errors::arity("mset"));
    }
    for group in args[1..].chunks(2 * PREFETCH_GROUP) {
        ctx.ks.prefetch(group.iter().step_by(2).map(|k| &k[..]));
        for pair in group.chunks_exact(2) {
            ctx.ks.set(&pair[0], Value::Str(compact(&pair[1])), 0);
        }
    }
    ctx.out.ok();
}

fn msetnx(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if args.len().is_multiple_of(2) {
        return ctx.out.error(errors::arity("msetnx"));
    }
    let pairs = args[1..].chunks_exact(2);
    if pairs.clone().any(|p| ctx.ks.exists(&p[0])) {
        return ctx.out.int(0);
    }
    for pair in pairs {
        ctx.ks.set(&pair[0], Value::Str(compact(&pair[1])), 0);
    }
    ctx.out.int(1);
}

/// DELIFEQ key value (Valkey 9.0): 1 if the key held exactly `value` and was deleted.
fn delifeq(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let equal = match ctx.ks.get_value(&args[1]) {
        None => false,
        Some(Value::Str(s)) => s[..] == args[2][..],
        Some(_) => return ctx.out.error(errors::WRONGTYPE),
    };
    if equal {
        ctx.ks.remove(&args[1]);
    }
    ctx.out.int(equal as i64);
}

/// `DELEX key [IFEQ value | IFNE value]` (Redis 8.4): delete unconditionally, or only
/// if the string value is (or is not) `value`. 1 if deleted, else 0. The conditions
/// apply to strings only (WRONGTYPE otherwise), like DELIFEQ.
fn delex(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let cond = match args.len() {
        2 => None,
        4 if args[2].eq_ignore_ascii_case(b"ifeq") => Some((true, &args[3])),
        4 if args[2].eq_ignore_ascii_case(b"ifne") => Some((false, &args[3])),
        _ => return ctx.out.error(errors::SYNTAX),
    };
    let delete = match (ctx.ks.get_value(&args[1]), cond) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(Value::Str(s)), Some((eq, v))) => (s[..] == v[..]) == eq,
        (Some(_), Some(_)) => return ctx.out.error(errors::WRONGTYPE),
    };
    if delete {
        ctx.ks.remove(&args[1]);
    }
    ctx.out.int(delete as i64);
}
