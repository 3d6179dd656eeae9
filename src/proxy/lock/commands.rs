//! Client commands on lock keys, and the `LOCK.*` family.
//!
//! On a lock key, each command a lock client sends to a single Redis maps to a quorum
//! operation with the reply that single Redis would give:
//! `SET k tok NX PX|EX ttl` acquires, `SET k tok IFEQ tok PX|EX ttl` extends,
//! `DELIFEQ k tok` / `DELEX k IFEQ tok` release, `EVAL`/`EVALSHA` run on every member
//! (the majority's reply wins), and `GET`/`PTTL`/`EXISTS` read from a majority. Any
//! other write is refused: it would break the quorum invariant.

use super::redlock::{self, Acquired, Extended};
use super::Locks;
use crate::command::args::{eq_ignore_case, parse_i64};
use crate::protocol::Reply;
use crate::proxy::Proxy;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// A client command whose keys are all lock keys.
pub async fn on_lock_key(
    proxy: &Proxy,
    locks: &Locks,
    name: &str,
    args: &[Bytes],
    raw: Bytes,
    out: &mut Reply,
) {
    match name {
        "set" => set(proxy, locks, args, out).await,
        "delifeq" => {
            let n = redlock::release(proxy, locks, &args[1], &args[2]).await;
            out.int((n >= locks.quorum()) as i64);
        }
        "delex" if args.len() == 4 && eq_ignore_case(&args[2], "ifeq") => {
            let n = redlock::release(proxy, locks, &args[1], &args[3]).await;
            out.int((n >= locks.quorum()) as i64);
        }
        "get" | "pttl" | "ttl" | "exists" | "pexpiretime" | "expiretime" | "type" | "strlen" | "eval" | "evalsha"
        | "eval_ro" | "evalsha_ro" => {
            let votes = redlock::ask_all(proxy, locks, raw).await;
            match redlock::majority(&votes, locks.quorum()) {
                Some(r) => relay(out, &r),
                None => out.error(format!(
                    "NOQUORUM {}: no {} lock nodes agree: {}",
                    String::from_utf8_lossy(&args[1]),
                    locks.quorum(),
                    describe(proxy, &votes)
                )),
            }
        }
        _ => out.error(format!(
            "ERR ringcache: '{name}' is not allowed on lock key '{}': locks live on a quorum of backends; use SET key token NX PX ttl, DELIFEQ key token, or LOCK.ACQUIRE/RELEASE/EXTEND",
            String::from_utf8_lossy(&args[1])
        )),
    }
}

/// Relay a member's RESP2 reply in the client's protocol: RESP3 clients get `_` for a
/// null (GET of a free lock, a Lua `false`); every other top-level reply reads the same.
fn relay(out: &mut Reply, reply: &[u8]) {
    if out.resp3 && (reply == b"$-1\r\n" || reply == b"*-1\r\n") {
        out.null();
    } else {
        out.raw(reply);
    }
}

fn describe(proxy: &Proxy, votes: &[redlock::Vote]) -> String {
    votes
        .iter()
        .map(|v| {
            let name = &proxy.backends.list[v.backend].name;
            match &v.reply {
                Ok(r) => format!(
                    "{name} said {}",
                    String::from_utf8_lossy(r).trim_end().replace("\r\n", " ")
                ),
                Err(e) => format!("{name} {e}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parse `EX s | PX ms` at `args[i]`.
fn ttl_at(args: &[Bytes], i: usize) -> Option<Duration> {
    let n = parse_i64(args.get(i + 1)?)?;
    if n <= 0 {
        return None;
    }
    if eq_ignore_case(&args[i], "px") {
        Some(Duration::from_millis(n as u64))
    } else if eq_ignore_case(&args[i], "ex") {
        Some(Duration::from_secs(n as u64))
    } else {
        None
    }
}

async fn set(proxy: &Proxy, locks: &Locks, args: &[Bytes], out: &mut Reply) {
    let (key, token) = (&args[1], &args[2]);
    // SET k tok NX PX ttl | SET k tok PX ttl NX | SET k tok IFEQ tok PX ttl | … PX ttl IFEQ tok
    let mut nx = false;
    let mut ifeq: Option<&Bytes> = None;
    let mut ttl = None;
    let mut i = 3;
    while i < args.len() {
        if eq_ignore_case(&args[i], "nx") {
            nx = true;
            i += 1;
        } else if eq_ignore_case(&args[i], "ifeq") && i + 1 < args.len() {
            ifeq = Some(&args[i + 1]);
            i += 2;
        } else if let Some(t) = ttl_at(args, i) {
            ttl = Some(t);
            i += 2;
        } else {
            ttl = None;
            break;
        }
    }
    let Some(ttl) = ttl else {
        return out.error("ERR ringcache: on lock keys SET must be 'SET key token NX PX|EX ttl' (acquire) or 'SET key token IFEQ token PX|EX ttl' (extend)");
    };
    if ttl > locks.max_ttl {
        return out.error(format!(
            "ERR ringcache: lock TTL is above max_ttl ({} ms)",
            locks.max_ttl.as_millis()
        ));
    }
    match (nx, ifeq) {
        (true, None) => match redlock::acquire(proxy, locks, key, token, ttl).await {
            Acquired::Granted { .. } => out.ok(),
            _ => out.null(),
        },
        (false, Some(expected)) if expected == token => match redlock::extend(proxy, locks, key, token, ttl).await {
            Extended::Ok(_) => out.ok(),
            _ => out.null(),
        },
        _ => out.error("ERR ringcache: on lock keys SET must be 'SET key token NX PX|EX ttl' (acquire) or 'SET key token IFEQ token PX|EX ttl' (extend)"),
    }
}

/// `LOCK.ACQUIRE | LOCK.RELEASE | LOCK.EXTEND | LOCK.INFO`.
pub async fn lock_command(proxy: &Proxy, locks: &Locks, args: &[Bytes], out: &mut Reply) {
    let sub = args[0][5..].to_ascii_lowercase();
    let arity = |n: usize, at_least: bool| {
        if at_least {
            args.len() >= n
        } else {
            args.len() == n
        }
    };
    match sub.as_slice() {
        b"acquire" if arity(3, true) => acquire(proxy, locks, args, out).await,
        b"release" if arity(3, false) => {
            let n = redlock::release(proxy, locks, &args[1], &args[2]).await;
            out.int((n >= locks.quorum()) as i64);
        }
        b"extend" if arity(4, false) => {
            let Some(ttl) = parse_i64(&args[3])
                .filter(|&t| t > 0)
                .map(|t| Duration::from_millis(t as u64))
            else {
                return out.error("ERR ringcache: ttl_ms must be a positive integer");
            };
            match redlock::extend(proxy, locks, &args[1], &args[2], ttl).await {
                Extended::Ok(v) => out.int(v.as_millis() as i64),
                Extended::NotOwner => out.error(not_owner(&args[1])),
                Extended::NoQuorum(why) => out.error(format!(
                    "NOQUORUM {}: {why}",
                    String::from_utf8_lossy(&args[1])
                )),
            }
        }
        b"info" if arity(2, false) => info(proxy, locks, &args[1], out).await,
        b"acquire" | b"release" | b"extend" | b"info" => out.error(format!(
            "ERR wrong number of arguments for 'lock.{}' command",
            String::from_utf8_lossy(&sub)
        )),
        _ => out.error(crate::protocol::errors::unknown_command(args)),
    }
}

fn not_owner(key: &[u8]) -> String {
    format!(
        "NOTOWNER {} is not held with this token (it expired or was never acquired)",
        String::from_utf8_lossy(key)
    )
}

/// `LOCK.ACQUIRE key ttl_ms [TOKEN tok] [WAIT ms]` → `[token, fence, validity_ms]`.
async fn acquire(proxy: &Proxy, locks: &Locks, args: &[Bytes], out: &mut Reply) {
    let key = &args[1];
    let Some(ttl) = parse_i64(&args[2])
        .filter(|&t| t > 0)
        .map(|t| Duration::from_millis(t as u64))
    else {
        return out.error("ERR ringcache: ttl_ms must be a positive integer");
    };
    if ttl > locks.max_ttl {
        return out.error(format!(
            "ERR ringcache: lock TTL is above max_ttl ({} ms)",
            locks.max_ttl.as_millis()
        ));
    }
    let mut token: Option<Bytes> = None;
    let mut wait: Option<Duration> = None;
    let mut i = 3;
    while i < args.len() {
        match (args[i].to_ascii_lowercase().as_slice(), args.get(i + 1)) {
            (b"token", Some(t)) if !t.is_empty() => token = Some(t.clone()),
            (b"wait", Some(w)) => match parse_i64(w).filter(|&w| w >= 0) {
                Some(w) => wait = Some(Duration::from_millis(w as u64)),
                None => {
                    return out.error("ERR ringcache: WAIT must be a non-negative integer (ms)")
                }
            },
            _ => return out.error(crate::protocol::errors::SYNTAX),
        }
        i += 2;
    }
    let token = token.unwrap_or_else(|| {
        Bytes::from(
            (0..20)
                .map(|_| format!("{:02x}", rand::random::<u8>()))
                .collect::<String>(),
        )
    });
    let deadline = wait.map(|w| Instant::now() + w);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let result = redlock::acquire_fenced(proxy, locks, key, &token, ttl).await;
        let again = match deadline {
            Some(d) => Instant::now() < d,
            None => attempt < locks.retry_count && !matches!(result, Acquired::Held),
        };
        match result {
            Acquired::Granted { validity, fence } => {
                out.array(3);
                out.bulk(&token);
                out.int(fence as i64);
                out.int(validity.as_millis() as i64);
                return;
            }
            _ if again => {
                let max = locks.retry_delay_max.as_millis().max(1) as u64;
                let mut pause = Duration::from_millis(rand::random::<u64>() % max + 1);
                if let Some(d) = deadline {
                    pause = pause.min(d.saturating_duration_since(Instant::now()));
                }
                tokio::time::sleep(pause).await;
            }
            Acquired::Held => {
                let left = held_for(proxy, locks, key).await;
                return out.error(format!(
                    "LOCKED {} is held by another owner for {} ms more",
                    String::from_utf8_lossy(key),
                    left
                ));
            }
            Acquired::NoQuorum(why) => {
                return out.error(format!("NOQUORUM {}: {why}", String::from_utf8_lossy(key)))
            }
        }
    }
}

/// The lock's remaining TTL as a majority sees it (0 if unknown).
async fn held_for(proxy: &Proxy, locks: &Locks, key: &[u8]) -> i64 {
    let votes =
        redlock::ask_all(proxy, locks, crate::proxy::backend::encode(&[b"PTTL", key])).await;
    let mut ttls: Vec<i64> = votes
        .iter()
        .filter_map(|v| {
            v.reply
                .as_ref()
                .ok()
                .and_then(|r| crate::protocol::frame::integer(r))
        })
        .collect();
    ttls.sort_unstable_by(|a, b| b.cmp(a));
    ttls.get(locks.quorum().saturating_sub(1))
        .copied()
        .unwrap_or(0)
        .max(0)
}

/// `LOCK.INFO key`: holder token, fence, remaining validity, and each member's view.
async fn info(proxy: &Proxy, locks: &Locks, key: &Bytes, out: &mut Reply) {
    use crate::protocol::frame;
    let fkey = redlock::fence_key(key);
    let gets = redlock::ask_all(proxy, locks, crate::proxy::backend::encode(&[b"GET", key])).await;
    let ttls = redlock::ask_all(proxy, locks, crate::proxy::backend::encode(&[b"PTTL", key])).await;
    let fences = redlock::ask_all(
        proxy,
        locks,
        crate::proxy::backend::encode(&[b"GET", &fkey]),
    )
    .await;
    let holder = redlock::majority(&gets, locks.quorum())
        .filter(|r| r.first() == Some(&b'$') && &r[..] != b"$-1\r\n");
    let fence = fences
        .iter()
        .filter_map(|v| v.reply.as_ref().ok())
        .filter_map(|r| {
            std::str::from_utf8(r)
                .ok()?
                .lines()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    out.map(4);
    out.bulk(b"holder");
    match &holder {
        Some(r) => out.raw(r),
        None => out.null(),
    }
    out.bulk(b"fence");
    out.int(fence as i64);
    out.bulk(b"validity_ms");
    out.int(if holder.is_some() {
        held_for(proxy, locks, key).await
    } else {
        0
    });
    out.bulk(b"nodes");
    out.array(locks.members.len());
    for (pos, ((g, t), &b)) in gets.iter().zip(&ttls).zip(&locks.members).enumerate() {
        let state = match (&g.reply, locks.not_voting(pos, &proxy.backends)) {
            (_, Some(super::NotVoting::Quarantined)) => "quarantined".to_string(),
            (_, Some(super::NotVoting::Reconnected)) => "reconnected".to_string(),
            (Err(e), _) => format!("down ({e})"),
            (Ok(r), _) if holder.as_ref() == Some(r) => "holds".to_string(),
            (Ok(r), _) if &r[..] == b"$-1\r\n" || &r[..] == b"_\r\n" => "free".to_string(),
            (Ok(_), _) => "other holder".to_string(),
        };
        out.map(3);
        out.bulk(b"node");
        out.bulk(proxy.backends.list[b].name.as_bytes());
        out.bulk(b"state");
        out.bulk(state.as_bytes());
        out.bulk(b"pttl");
        out.int(
            t.reply
                .as_ref()
                .ok()
                .and_then(|r| frame::integer(r))
                .unwrap_or(-2),
        );
    }
}
