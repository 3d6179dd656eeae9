//! How the proxy handles each command: forwarded to the one backend owning its keys,
//! split across backends, answered by the proxy itself, broadcast, or refused.
//! Decided once per command id from the shared Redis command table, plus a few
//! overrides by name; the session consults it with one array index per request.

pub use crate::command::movable::{keys as movable_keys, Movable};
use crate::command::{self, flags, movable, CommandId};
use std::sync::OnceLock;

/// How a split command's per-backend replies combine into one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// MGET: arrays of values, re-ordered into the client's key order.
    Mget,
    /// MSET: key/value pairs; OK when every part is OK.
    Mset,
    /// DEL, UNLINK, EXISTS, TOUCH: integers, summed.
    Count,
}

/// What a broadcast's replies combine into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gather {
    /// DBSIZE: sum of integers.
    Sum,
    /// FLUSHDB, FLUSHALL, SCRIPT FLUSH: OK when all are OK.
    AllOk,
    /// KEYS: arrays concatenated.
    Concat,
    /// SCRIPT LOAD: every backend must agree; the first reply is returned.
    First,
}

/// The proxy's plan for one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Keys at the table's positions; all must live on one backend; forwarded as is.
    Forward,
    /// Keys found by a command-specific rule (EVAL's numkeys…); forwarded as is.
    Movable(Movable),
    /// Split per backend and merged in the client's order.
    Split(Split),
    /// Sent to every backend.
    Broadcast(Gather),
    /// Answered by the proxy itself (PING, HELLO, CLIENT, COMMAND, CONFIG GET…).
    Local,
    /// SCAN over every backend with a cursor that encodes the backend.
    Scan,
    /// RANDOMKEY from some backend.
    RandomKey,
    /// INFO: the proxy's own sections plus the backends' keyspace summed.
    Info,
    /// MULTI, EXEC, DISCARD, WATCH, UNWATCH: a pinned dedicated connection.
    Transaction,
    /// Blocking pops: a dedicated connection for the wait.
    Blocking,
    /// Not available through the proxy.
    Unsupported,
}

fn override_for(name: &str) -> Option<Route> {
    use Route::*;
    // Blocking pops whose keys follow a key count: blocking first (see `blocking_keys`).
    if matches!(name, "blmpop" | "bzmpop") {
        return Some(Blocking);
    }
    if let Some(kind) = movable::kind(name) {
        return Some(Movable(kind));
    }
    Some(match name {
        "ping" | "echo" | "quit" | "hello" | "auth" | "select" | "client" | "command"
        | "config" | "time" | "reset" | "lastsave" | "role" => Local,
        "mget" => Split(self::Split::Mget),
        "mset" => Split(self::Split::Mset),
        "del" | "unlink" | "exists" | "touch" => Split(self::Split::Count),
        "dbsize" => Broadcast(Gather::Sum),
        "flushdb" | "flushall" => Broadcast(Gather::AllOk),
        "keys" => Broadcast(Gather::Concat),
        "script" => Broadcast(Gather::First),
        "scan" => Scan,
        "randomkey" => RandomKey,
        "info" => Info,
        "multi" | "exec" | "discard" | "watch" | "unwatch" => Transaction,
        "blpop" | "brpop" | "blmove" | "brpoplpush" | "bzpopmin" | "bzpopmax" => Blocking,
        _ => return None,
    })
}

fn classify(spec: &command::CommandSpec) -> Route {
    if let Some(r) = override_for(spec.name) {
        return r;
    }
    if spec.name.contains('|') {
        return Route::Unsupported; // subcommands route with their container
    }
    if spec.has(flags::MOVABLEKEYS) || spec.has(flags::PUBSUB) || spec.has(flags::BLOCKING) {
        return Route::Unsupported;
    }
    if spec.first_key > 0 {
        return Route::Forward;
    }
    Route::Unsupported
}

/// The keys a movable-keys command is routed by (`Err`: a malformed key count, which
/// any backend answers with the command's own error text). The pops with a key count
/// (LMPOP, ZMPOP, BLMPOP, BZMPOP) need a word after their keys: a count that reaches
/// the last argument is Redis's syntax error, not a key named LEFT.
pub fn routing_keys(
    kind: Movable,
    name: &str,
    args: &[bytes::Bytes],
) -> Result<Vec<usize>, &'static str> {
    let keys = movable_keys(kind, args)?;
    let needs_more = matches!(name, "lmpop" | "zmpop" | "blmpop" | "bzmpop");
    if needs_more && keys.last().is_some_and(|&k| k + 1 >= args.len()) {
        return Err("ERR syntax error");
    }
    Ok(keys)
}

/// The key positions of a blocking pop: the table's (BLPOP…), or those its key count
/// gives (BLMPOP, BZMPOP; see [`routing_keys`]).
pub fn blocking_keys(
    spec: &command::CommandSpec,
    args: &[bytes::Bytes],
) -> Result<Vec<usize>, &'static str> {
    match movable::kind(spec.name) {
        Some(kind) => routing_keys(kind, spec.name, args),
        None => Ok(spec.key_indexes(args.len()).collect()),
    }
}

/// The route for a command id.
pub fn route(id: CommandId) -> Route {
    static TABLE: OnceLock<Vec<Route>> = OnceLock::new();
    TABLE.get_or_init(|| command::table::all().iter().map(|c| classify(c)).collect())[id as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str) -> Route {
        route(command::lookup(name.as_bytes()).unwrap())
    }

    #[test]
    fn routes_by_class() {
        assert_eq!(r("get"), Route::Forward);
        assert_eq!(r("sinter"), Route::Forward);
        assert_eq!(r("mget"), Route::Split(Split::Mget));
        assert_eq!(r("del"), Route::Split(Split::Count));
        assert_eq!(r("dbsize"), Route::Broadcast(Gather::Sum));
        assert_eq!(r("ping"), Route::Local);
        assert_eq!(r("subscribe"), Route::Unsupported);
        assert_eq!(r("eval"), Route::Movable(Movable::NumkeysAt2));
        assert_eq!(r("lmpop"), Route::Movable(Movable::NumkeysAt1));
        // Blocking pops never wait on a shared connection, key count or not.
        assert_eq!(r("blmpop"), Route::Blocking);
        assert_eq!(r("bzmpop"), Route::Blocking);
        let spec = command::spec(command::lookup(b"blmpop").unwrap());
        let args: Vec<bytes::Bytes> = ["BLMPOP", "0", "2", "a", "b", "LEFT"]
            .iter()
            .map(|s| bytes::Bytes::from(*s))
            .collect();
        assert_eq!(blocking_keys(spec, &args), Ok(vec![3, 4]));
        // One key too many: the side word is not a key.
        let args: Vec<bytes::Bytes> = ["BLMPOP", "0", "2", "a", "LEFT"]
            .iter()
            .map(|s| bytes::Bytes::from(*s))
            .collect();
        assert!(blocking_keys(spec, &args).is_err());
    }
}
