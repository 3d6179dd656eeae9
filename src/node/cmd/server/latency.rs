//! LATENCY HISTOGRAM | LATEST | HISTORY | RESET | DOCTOR | GRAPH | HELP over the
//! node's [latency histograms and monitor](crate::node::latency).

use crate::command::args::eq_ignore_case;
use crate::command::{self, introspect, CommandId};
use crate::node::dispatch::{self, Ctx};
use crate::protocol::{errors, Reply};
use bytes::Bytes;

/// LATENCY HELP, as Redis 7.0 prints it.
const HELP: &[&str] = &[
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
];

/// Redis's LATENCY DOCTOR while the monitor is off and has never recorded anything.
const DOCTOR_DISABLED: &str = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";

/// Redis's LATENCY DOCTOR when the monitor is on and no event was recorded.
const DOCTOR_QUIET: &str = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";

/// LATENCY, dispatched on the subcommand (its arity was checked before).
pub(super) fn latency(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let sub = &args[1];
    let monitor = &ctx.server.latency_monitor;
    if eq_ignore_case(sub, "histogram") {
        histogram(ctx, &args[2..])
    } else if eq_ignore_case(sub, "latest") {
        let events = monitor.events();
        ctx.out.array(events.len());
        for (name, series) in events.iter() {
            let (time, ms) = series.latest();
            ctx.out.array(4);
            ctx.out.bulk(name.as_bytes());
            ctx.out.int(time);
            ctx.out.int(ms as i64);
            ctx.out.int(series.max as i64);
        }
    } else if eq_ignore_case(sub, "history") {
        let events = monitor.events();
        let name = std::str::from_utf8(&args[2]).unwrap_or("");
        let samples: Vec<(i64, u64)> = events
            .get(name)
            .map(|s| s.history().collect())
            .unwrap_or_default();
        ctx.out.array(samples.len());
        for (time, ms) in samples {
            ctx.out.array(2);
            ctx.out.int(time);
            ctx.out.int(ms as i64);
        }
    } else if eq_ignore_case(sub, "reset") {
        let names = (args.len() > 2).then(|| &args[2..]);
        let n = monitor.reset(names);
        ctx.out.int(n as i64)
    } else if eq_ignore_case(sub, "graph") {
        let name = std::str::from_utf8(&args[2]).unwrap_or("");
        if monitor.events().contains_key(name) {
            ctx.out
                .error("ERR LATENCY GRAPH is not supported by ringcache: use LATENCY HISTORY")
        } else {
            ctx.out.error(errors::with_arg(
                "ERR No samples available for event '",
                &args[2],
                "'",
            ))
        }
    } else if eq_ignore_case(sub, "doctor") {
        if !monitor.events().is_empty() {
            ctx.out.error(
                "ERR LATENCY DOCTOR is not supported by ringcache once events were recorded: use LATENCY LATEST and HISTORY",
            )
        } else if monitor.enabled() {
            ctx.out.verbatim(DOCTOR_QUIET.as_bytes())
        } else {
            ctx.out.verbatim(DOCTOR_DISABLED.as_bytes())
        }
    } else {
        introspect::help_reply(ctx.out, HELP)
    }
}

/// LATENCY HISTOGRAM [command …]: for each command named (a container: each of its
/// subcommands) with recorded calls, or for every one when none is named, its calls
/// and cumulative histogram. Unknown names are skipped, as in Redis.
fn histogram(ctx: &mut Ctx<'_>, names: &[Bytes]) {
    // This connection's latest calls are still in its tally.
    ctx.session.tally.flush(ctx.server);
    let ids: Vec<CommandId> = if names.is_empty() {
        dispatch::implemented().flat_map(with_subcommands).collect()
    } else {
        names
            .iter()
            .filter_map(|n| command::lookup(n))
            .flat_map(with_subcommands)
            .collect()
    };
    let stats = &ctx.server.stats.latency;
    let entries: Vec<_> = ids
        .into_iter()
        .filter_map(|id| Some((id, stats.cumulative(id)?)))
        .collect();
    ctx.out.map(entries.len());
    for (id, (calls, cdf)) in entries {
        ctx.out.bulk(command::spec(id).name.as_bytes());
        write_cdf(ctx.out, calls, &cdf);
    }
}

/// A command and, for a container, its subcommands by name (which is where calls
/// are recorded).
fn with_subcommands(id: CommandId) -> Vec<CommandId> {
    let spec = command::spec(id);
    if !spec.has_subcommands {
        return vec![id];
    }
    let prefix = format!("{}|", spec.name);
    // A subcommand is listed twice in the table (in its parent's entry and its own):
    // its id is the one its name finds.
    let subs: std::collections::BTreeSet<CommandId> = command::table::all()
        .iter()
        .filter(|s| s.name.starts_with(&prefix))
        .filter_map(|s| command::lookup(s.name.as_bytes()))
        .collect();
    std::iter::once(id).chain(subs).collect()
}

fn write_cdf(out: &mut Reply, calls: u64, cdf: &[(u64, u64)]) {
    out.map(2);
    out.bulk(b"calls");
    out.int(calls as i64);
    out.bulk(b"histogram_usec");
    out.map(cdf.len());
    for &(usec, n) in cdf {
        out.int(usec as i64);
        out.int(n as i64);
    }
}
