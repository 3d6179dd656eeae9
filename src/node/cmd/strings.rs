//! String commands.

use crate::node::db::owned;
use crate::node::dispatch::{keyed, CommandDef, Ctx};
use crate::node::types::Value;
use crate::protocol::errors;
use bytes::Bytes;

/// The string commands this node implements.
pub const COMMANDS: &[CommandDef] = &[keyed("get", get), keyed("set", set)];

fn get(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match ctx.ks.get_value(&args[1]) {
        None => ctx.out.null(),
        Some(Value::Str(s)) => ctx.out.bulk(s),
        Some(_) => ctx.out.error(errors::WRONGTYPE),
    }
}

fn set(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if args.len() != 3 {
        return ctx.out.error(errors::SYNTAX);
    }
    ctx.ks.set(&args[1], Value::Str(owned(&args[2])), 0);
    ctx.out.ok();
}
