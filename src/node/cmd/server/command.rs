//! COMMAND [COUNT | LIST | INFO | DOCS | GETKEYS | HELP].
//!
//! Replies are Redis's own `COMMAND INFO` / `COMMAND DOCS` bytes, recorded per
//! command in the command table, limited to the commands this node implements, so
//! redis-cli's hints and client libraries' command discovery see exactly what the
//! node can do.

use crate::command::args::eq_ignore_case;
use crate::command::{self, introspect, CommandId, CommandSpec};
use crate::node::cmd::config::glob_match;
use crate::node::dispatch::{self, Ctx};
use crate::protocol::{errors, Reply};
use bytes::Bytes;

/// COMMAND, dispatched on the subcommand.
pub fn command(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(sub) = args.get(1) else {
        return info_all(ctx.out);
    };
    match sub.to_ascii_lowercase().as_slice() {
        b"count" => ctx.out.int(dispatch::implemented().count() as i64),
        b"list" => list(ctx, args),
        b"info" if args.len() == 2 => info_all(ctx.out),
        b"info" => {
            ctx.out.array(args.len() - 2);
            for name in &args[2..] {
                match find(name) {
                    Some(s) if !info_bytes(s, ctx.out.resp3).is_empty() => {
                        let b = info_bytes(s, ctx.out.resp3);
                        ctx.out.raw(b);
                    }
                    _ => ctx.out.null(),
                }
            }
        }
        b"docs" => docs(ctx, &args[2..]),
        b"getkeys" => introspect::getkeys(ctx.out, &args[2..]),
        b"help" => introspect::help_reply(ctx.out, introspect::COMMAND_HELP),
        _ => ctx.out.error(format!(
            "ERR COMMAND {} is not supported by ringcache",
            String::from_utf8_lossy(sub).to_uppercase()
        )),
    }
}

/// An implemented command or subcommand (`parent|sub`) by name.
fn find(name: &[u8]) -> Option<&'static CommandSpec> {
    let id = command::lookup(name)?;
    implemented(id).then(|| command::spec(id))
}

/// True when the node runs this command (a subcommand: when it runs the parent).
fn implemented(id: CommandId) -> bool {
    let name = command::spec(id).name;
    match name.split_once('|') {
        Some((parent, _)) => command::lookup(parent.as_bytes())
            .is_some_and(|p| dispatch::implementation(p).is_some()),
        None => dispatch::implementation(id).is_some(),
    }
}

fn info_bytes(s: &CommandSpec, resp3: bool) -> &'static [u8] {
    if resp3 {
        s.info_resp3
    } else {
        s.info_resp2
    }
}

fn docs_bytes(s: &CommandSpec, resp3: bool) -> &'static [u8] {
    if resp3 {
        s.docs_resp3
    } else {
        s.docs_resp2
    }
}

fn info_all(out: &mut Reply) {
    out.array(dispatch::implemented().count());
    for id in dispatch::implemented() {
        let b = info_bytes(command::spec(id), out.resp3);
        out.raw(b);
    }
}

/// COMMAND DOCS [name …]: a map name → docs; unknown names are left out.
fn docs(ctx: &mut Ctx<'_>, names: &[Bytes]) {
    let specs: Vec<&CommandSpec> = if names.is_empty() {
        dispatch::implemented().map(command::spec).collect()
    } else {
        names.iter().filter_map(|n| find(n)).collect()
    };
    let specs: Vec<&CommandSpec> = specs
        .into_iter()
        .filter(|s| !docs_bytes(s, ctx.out.resp3).is_empty())
        .collect();
    ctx.out.map(specs.len());
    for s in specs {
        ctx.out.bulk(s.name.as_bytes());
        let b = docs_bytes(s, ctx.out.resp3);
        ctx.out.raw(b);
    }
}

/// Every implemented command and its subcommands, in table order.
fn all_names() -> impl Iterator<Item = &'static str> {
    let mut seen = std::collections::HashSet::new();
    command::table::all()
        .iter()
        .enumerate()
        .filter(|(i, _)| implemented(*i as CommandId))
        .map(|(_, s)| s.name)
        .filter(move |n| seen.insert(*n))
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern].
fn list(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let names: Vec<&str> = match args.len() {
        2 => all_names().collect(),
        5 if eq_ignore_case(&args[2], "filterby") => {
            let (how, what) = (&args[3], &args[4]);
            if eq_ignore_case(how, "module") {
                Vec::new()
            } else if eq_ignore_case(how, "pattern") {
                all_names()
                    .filter(|n| glob_match(what, n.as_bytes(), true))
                    .collect()
            } else if eq_ignore_case(how, "aclcat") {
                // A command's categories are in its COMMAND INFO reply as `+@cat`.
                let mut needle = b"+@".to_vec();
                needle.extend(what.to_ascii_lowercase());
                needle.extend_from_slice(b"\r\n");
                all_names()
                    .filter(|n| {
                        find(n.as_bytes()).is_some_and(|s| {
                            s.info_resp2.windows(needle.len()).any(|w| w == needle)
                        })
                    })
                    .collect()
            } else {
                return ctx.out.error(errors::SYNTAX);
            }
        }
        _ => return ctx.out.error(errors::SYNTAX),
    };
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
}
