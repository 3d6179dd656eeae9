//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP.
//!
//! Clients and tools probe configuration (redis-benchmark reads `save` and
//! `appendonly`; test suites set `maxmemory`), so CONFIG knows every parameter
//! Redis 7.0 knows (`params.rs`, generated from a live redis-server with
//! `integration/tools/gen_config_table.py`) and validates values with Redis's own
//! error texts. Values live in `Server::config_params`, keyed by canonical name;
//! those that mean something here are also applied to `Settings`.

pub mod glob;
mod params;

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::config::{parse_memory, EvictionPolicy};
use crate::node::cmd::zsets::parse::parse_score;
use crate::node::dispatch::{keyless, CommandDef, Ctx};
use crate::node::latency::format_percentile;
use crate::node::settings::Settings;
use crate::protocol::errors;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

pub use glob::glob_match;
pub use params::PARAMS;

/// The config commands this node implements.
pub const COMMANDS: &[CommandDef] = &[keyless("config", config)];

/// How Redis validates a parameter's value, as probed from redis-server.
#[derive(Debug)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// One of these names (case-insensitive).
    Enum(&'static [&'static str]),
    /// A decimal integer (Redis `string2ll`) within bounds.
    Int {
        /// Lowest accepted.
        min: i128,
        /// Highest accepted.
        max: i128,
    },
    /// A memory value (`1gb`, `100mb`, `42`) within bounds.
    Memory {
        /// Lowest accepted.
        min: i128,
        /// Highest accepted.
        max: i128,
    },
    /// Any string.
    Str,
    /// Fixed at startup: `can't set immutable config`.
    Immutable,
    /// Needs `enable-protected-configs`: `can't set protected config`.
    Protected,
    /// A parameter with its own parser; the text is Redis's error for a malformed value.
    /// Only `save` is checked here, the others are stored as given.
    Special(&'static str),
}

/// One CONFIG parameter.
#[derive(Debug)]
pub struct Param {
    /// Name as registered (lower case).
    pub name: &'static str,
    /// For old names (`slave-priority`): the parameter they stand for.
    pub alias_of: Option<&'static str>,
    /// Value of a fresh redis-server started with `--save '' --appendonly no`.
    pub default: &'static str,
    /// Validation.
    pub kind: Kind,
    /// Left out of pattern matches (Redis `HIDDEN_CONFIG`); exact names still work.
    pub hidden: bool,
}

impl Param {
    fn canonical(&self) -> &'static str {
        self.alias_of.unwrap_or(self.name)
    }
}

/// Find a parameter by name, case-insensitively.
fn find(name: &[u8]) -> Option<&'static Param> {
    PARAMS
        .binary_search_by(|p| {
            p.name
                .bytes()
                .map(|b| b.to_ascii_lowercase())
                .cmp(name.iter().map(|b| b.to_ascii_lowercase()))
        })
        .ok()
        .map(|i| &PARAMS[i])
}

/// The starting value of every parameter: Redis's defaults overlaid with what this
/// node actually runs with.
pub fn initial_params(settings: &Settings, port: u16) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = PARAMS
        .iter()
        .filter(|p| p.alias_of.is_none())
        .map(|p| (p.name.to_string(), p.default.to_string()))
        .collect();
    let dir = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let set = |m: &mut BTreeMap<String, String>, k: &str, v: String| {
        m.insert(k.to_string(), v);
    };
    set(&mut m, "port", port.to_string());
    set(&mut m, "dir", dir);
    set(&mut m, "maxmemory", settings.maxmemory.to_string());
    set(
        &mut m,
        "maxmemory-policy",
        settings.maxmemory_policy.as_str().to_string(),
    );
    set(
        &mut m,
        "maxmemory-samples",
        settings.maxmemory_samples.to_string(),
    );
    let pass = settings.requirepass.as_deref().unwrap_or(b"");
    set(
        &mut m,
        "requirepass",
        String::from_utf8_lossy(pass).into_owned(),
    );
    set(&mut m, "maxclients", settings.maxclients.to_string());
    set(&mut m, "timeout", settings.timeout_secs.to_string());
    set(
        &mut m,
        "proto-max-bulk-len",
        settings.proto_max_bulk_len.to_string(),
    );
    set(
        &mut m,
        "busy-reply-threshold",
        settings.script_time_limit_ms.to_string(),
    );
    set(&mut m, "save", String::new());
    set(&mut m, "appendonly", "no".into());
    m
}

fn config(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let sub = &args[1];
    if eq_ignore_case(sub, "get") {
        get(ctx, &args[2..]);
    } else if eq_ignore_case(sub, "set") {
        set(ctx, &args[2..]);
    } else if eq_ignore_case(sub, "resetstat") {
        reset_stats(ctx);
        ctx.out.ok();
    } else if eq_ignore_case(sub, "rewrite") {
        // The node never reads a redis.conf, so there is nothing to rewrite; Redis
        // answers exactly this when started without a config file.
        ctx.out
            .error("ERR The server is running without a config file");
    } else {
        help(ctx);
    }
}

const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
];

fn help(ctx: &mut Ctx<'_>) {
    ctx.out.array(HELP.len());
    for line in HELP {
        ctx.out.simple(line);
    }
}

/// CONFIG GET: exact names (hidden ones included) are echoed as the client spelled
/// them; patterns match registered names, aliases included, hidden ones excluded.
/// Redis replies in its hash table's order; we reply in table order.
fn get(ctx: &mut Ctx<'_>, patterns: &[Bytes]) {
    let mut hits: Vec<(&[u8], &'static Param)> = Vec::new();
    for pat in patterns {
        let is_glob = pat.iter().any(|c| matches!(c, b'[' | b'*' | b'?'));
        if !is_glob {
            if let Some(p) = find(pat) {
                if !hits.iter().any(|(n, _)| n.eq_ignore_ascii_case(pat)) {
                    hits.push((pat, p));
                }
            }
            continue;
        }
        for p in PARAMS.iter().filter(|p| !p.hidden) {
            if glob_match(pat, p.name.as_bytes(), true)
                && !hits
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case(p.name.as_bytes()))
            {
                hits.push((p.name.as_bytes(), p));
            }
        }
    }
    let values = ctx.server.config_params.lock();
    ctx.out.map(hits.len());
    for (name, p) in hits {
        ctx.out.bulk(name);
        ctx.out.bulk(
            values
                .get(p.canonical())
                .map_or(b"" as &[u8], |v| v.as_bytes()),
        );
    }
}

fn set_error(name: &str, why: &str) -> String {
    format!(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
        name, why
    )
}

/// CONFIG SET name value [name value …]: every name is checked first, then every
/// value; only if all are valid does anything change (Redis applies and rolls back;
/// the effect is the same).
fn set(ctx: &mut Ctx<'_>, pairs: &[Bytes]) {
    if !pairs.len().is_multiple_of(2) {
        return ctx.out.error(errors::SYNTAX);
    }
    let mut chosen: Vec<&'static Param> = Vec::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks(2) {
        let Some(p) = find(&pair[0]) else {
            return ctx.out.error(errors::with_arg(
                "ERR Unknown option or number of arguments for CONFIG SET - '",
                &pair[0],
                "'",
            ));
        };
        let refusal = match p.kind {
            Kind::Immutable => Some("can't set immutable config"),
            Kind::Protected => Some("can't set protected config"),
            _ if chosen.iter().any(|c| std::ptr::eq(*c, p)) => Some("duplicate parameter"),
            _ => None,
        };
        if let Some(why) = refusal {
            // Redis names the argument as sent here (`'DAEMONIZE'`), but the
            // parameter's own name when a value is refused (below).
            return ctx
                .out
                .error(set_error(&String::from_utf8_lossy(&pair[0]), why));
        }
        chosen.push(p);
    }
    let mut normalized = Vec::with_capacity(chosen.len());
    for (p, pair) in chosen.iter().zip(pairs.chunks(2)) {
        match normalize(p, &pair[1]) {
            Ok(v) => normalized.push(v),
            Err(why) => return ctx.out.error(set_error(p.name, &why)),
        }
    }
    let mut values = ctx.server.config_params.lock();
    ctx.server.update_settings(|settings| {
        for ((p, v), pair) in chosen.iter().zip(normalized).zip(pairs.chunks(2)) {
            apply(settings, p.canonical(), &v, &pair[1]);
            values.insert(p.canonical().to_string(), v);
        }
    });
    ctx.out.ok();
}

/// Check a value the way Redis does and return the form CONFIG GET shows.
fn normalize(p: &Param, raw: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(raw);
    let in_bounds = |v: i128, min: i128, max: i128| {
        if v < min || v > max {
            Err(format!(
                "argument must be between {min} and {max} inclusive"
            ))
        } else {
            Ok(v.to_string())
        }
    };
    match p.kind {
        Kind::Bool => {
            if eq_ignore_case(raw, "yes") {
                Ok("yes".into())
            } else if eq_ignore_case(raw, "no") {
                Ok("no".into())
            } else {
                Err("argument must be 'yes' or 'no'".into())
            }
        }
        Kind::Enum(names) => names
            .iter()
            .find(|n| eq_ignore_case(raw, n))
            .map(|n| n.to_string())
            .ok_or_else(|| {
                format!(
                    "argument(s) must be one of the following: {}",
                    names.join(", ")
                )
            }),
        Kind::Int { min, max } => match parse_i64(raw) {
            Some(v) => in_bounds(v as i128, min, max),
            None => Err("argument couldn't be parsed into an integer".into()),
        },
        Kind::Memory { min, max } => match parse_memory(&text) {
            Some(v) => in_bounds(v as i128, min, max),
            None => Err("argument must be a memory value".into()),
        },
        Kind::Special(why) if p.canonical() == "latency-tracking-info-percentiles" => {
            let list = parse_percentiles(raw).map_err(|e| e.unwrap_or(why).to_string())?;
            let shown: Vec<String> = list.iter().map(|&p| format_percentile(p)).collect();
            Ok(shown.join(" "))
        }
        Kind::Special(why) if p.canonical() == "save" => {
            let parts: Vec<&str> = text.split(' ').filter(|s| !s.is_empty()).collect();
            let ok = parts.len().is_multiple_of(2)
                && parts.iter().all(|s| parse_i64(s.as_bytes()).is_some());
            if ok {
                Ok(parts.join(" "))
            } else {
                Err(why.into())
            }
        }
        Kind::Str | Kind::Special(_) | Kind::Immutable | Kind::Protected => Ok(text.into_owned()),
    }
}

/// `latency-tracking-info-percentiles`, as Redis reads it: the value split at each
/// space (an empty value is an empty list), each part a float (`string2d`) between 0
/// and 100. `Err(None)`: a part is not a float (the parameter's generic error);
/// `Err(Some)`: out of range.
pub fn parse_percentiles(raw: &[u8]) -> Result<Vec<f64>, Option<&'static str>> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    raw.split(|&c| c == b' ')
        .map(|part| {
            let v = parse_score(part).ok_or(None)?;
            if (0.0..=100.0).contains(&v) {
                Ok(v)
            } else {
                Err(Some(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
                ))
            }
        })
        .collect()
}

/// Act on the parameters that have an effect in this node: `v` is the value as
/// normalized for CONFIG GET, `raw` as sent (percentiles keep their full precision).
fn apply(s: &mut Settings, name: &str, v: &str, raw: &[u8]) {
    let num = || v.parse::<u64>().unwrap_or(0);
    match name {
        "maxmemory" => s.maxmemory = num(),
        "maxmemory-policy" => {
            if let Ok(p) = v.parse::<EvictionPolicy>() {
                s.maxmemory_policy = p;
            }
        }
        "maxmemory-samples" => s.maxmemory_samples = num() as u32,
        "lfu-log-factor" => s.lfu_log_factor = num().min(u32::MAX as u64) as u32,
        "lfu-decay-time" => s.lfu_decay_time = num().min(u32::MAX as u64) as u32,
        "requirepass" => s.requirepass = (!v.is_empty()).then(|| v.as_bytes().to_vec()),
        "maxclients" => s.maxclients = num().min(u32::MAX as u64) as u32,
        "timeout" => s.timeout_secs = num(),
        "proto-max-bulk-len" => s.proto_max_bulk_len = num(),
        "slowlog-log-slower-than" => s.slowlog_log_slower_than = v.parse().unwrap_or(0),
        "slowlog-max-len" => s.slowlog_max_len = num(),
        "latency-tracking" => s.latency_tracking = v == "yes",
        "latency-tracking-info-percentiles" => {
            s.latency_percentiles = parse_percentiles(raw).unwrap_or_default()
        }
        "latency-monitor-threshold" => s.latency_monitor_threshold_ms = num(),
        // Our scripts are aborted at this limit (Redis answers BUSY to others from it on).
        "busy-reply-threshold" | "lua-time-limit" => s.script_time_limit_ms = num().max(1),
        _ => {}
    }
}

/// CONFIG RESETSTAT: zero the counters INFO stats reports.
pub fn reset_stats(ctx: &mut Ctx<'_>) {
    let server = ctx.server;
    let st = &server.stats;
    for c in [
        &st.connections,
        &st.rejected,
        &st.commands,
        &st.net_input,
        &st.net_output,
        &server.db.expired_keys,
        &server.db.evicted_keys,
    ] {
        c.store(0, Ordering::Relaxed);
    }
    *st.errors.lock() = Default::default();
    st.by_command.reset();
    st.latency.reset();
    // This connection's commands not yet added to the totals are reset too; RESETSTAT
    // itself counts once it ran, as in Redis.
    ctx.session.tally.discard();
    // Inside EXEC this command already holds every shard (the mutexes are not
    // re-entrant): reset through the held guards.
    if ctx.ks.holds_all() {
        ctx.ks.shards_mut().for_each(|s| s.reset_hits_misses());
    } else {
        server.db.reset_hits_misses();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_complete() {
        assert!(PARAMS.windows(2).all(|w| w[0].name < w[1].name));
        for name in [
            "maxmemory",
            "save",
            "appendonly",
            "slaveof",
            "use-exit-on-panic",
        ] {
            assert!(find(name.as_bytes()).is_some(), "{name}");
        }
        assert!(find(b"MAXMEMORY").is_some());
        assert!(find(b"nosuch").is_none());
    }

    #[test]
    fn values_are_checked_like_redis() {
        let p = find(b"maxmemory").unwrap();
        assert_eq!(normalize(p, b"1gb").unwrap(), "1073741824");
        assert_eq!(
            normalize(p, b"-1").unwrap_err(),
            "argument must be a memory value"
        );
        let t = find(b"timeout").unwrap();
        assert_eq!(
            normalize(t, b"-1").unwrap_err(),
            "argument must be between 0 and 2147483647 inclusive"
        );
        let s = find(b"save").unwrap();
        assert_eq!(normalize(s, b"10 1  20 2").unwrap(), "10 1 20 2");
        assert!(normalize(s, b"10 1 20").is_err());
    }
}
