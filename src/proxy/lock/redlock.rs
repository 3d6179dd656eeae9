//! The quorum operations: the same request to every voting member in parallel, each
//! with the per-node deadline, then a decision by majority.
//!
//! Backends only need Lua (`EVAL`), which redis-server, valkey and ringcache nodes
//! all have, so the compare-and-delete/extend steps are atomic on every backend kind.

use super::quorum;
use super::{Locks, NotVoting};
use crate::protocol::frame;
use crate::proxy::backend::encode;
use crate::proxy::Proxy;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// Redlock's canonical compare-and-delete (from the redis.io page).
pub const RELEASE: &str = r#"if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("del",KEYS[1]) else return 0 end"#;
/// Compare-and-PEXPIRE: extend only our own lock.
pub const EXTEND: &str = r#"if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("pexpire",KEYS[1],ARGV[2]) else return 0 end"#;
/// Fenced acquire, phase A: take the lock and read the fence counter, atomically.
pub const FENCE_A: &str = r#"local ok = redis.call("set",KEYS[1],ARGV[1],"NX","PX",ARGV[2])
local f = redis.call("get",KEYS[2])
if ok then return {1, f or "0"} end
return {0, f or "0"}"#;
/// Fenced acquire, phase B: if we still hold the lock, raise the counter to `t`.
pub const FENCE_B: &str = r#"if redis.call("get",KEYS[1]) == ARGV[1] then
  local f = tonumber(redis.call("get",KEYS[2]) or "0")
  if tonumber(ARGV[2]) > f then redis.call("set",KEYS[2],ARGV[2]) end
  return 1
end
return 0"#;

/// Raise a fence counter to `ARGV[1]` unconditionally (`F = max(F, t)`): phase B on
/// members that do not vote, so a quarantined member does not miss grants.
pub const FENCE_RAISE: &str = r#"local f = tonumber(redis.call("get",KEYS[1]) or "0") or 0
if tonumber(ARGV[1]) > f then redis.call("set",KEYS[1],ARGV[1]) end
return 1"#;

/// The fence counter of a lock lives beside it on each node, without a TTL.
pub fn fence_key(key: &[u8]) -> Vec<u8> {
    let mut k = b"__ringcache_fence:".to_vec();
    k.extend_from_slice(key);
    k
}

/// One member's answer (or why there is none).
pub struct Vote {
    /// Backend index.
    pub backend: usize,
    /// The raw reply, or the failure.
    pub reply: Result<Bytes, String>,
}

impl Vote {
    fn ok_reply(&self) -> Option<&Bytes> {
        self.reply.as_ref().ok().filter(|r| !frame::is_error(r))
    }
}

/// Send `req` to every voting member at once and collect the answers within the
/// per-node deadline. Quarantined members appear as failures.
///
/// Votes always travel over the members' RESP2 connections: those are the ones the
/// restart watcher confirms, so no reply can come from a process it has not checked.
/// Replies relayed to RESP3 clients are converted where the protocols differ
/// (see `commands::relay`).
pub async fn ask_all(proxy: &Proxy, locks: &Locks, req: Bytes) -> Vec<Vote> {
    let started = Instant::now();
    let votes = ask_voters(proxy, locks, req, None).await;
    metrics::histogram!(crate::metrics::LOCK_QUORUM_SECONDS, "op" => "round")
        .record(started.elapsed().as_secs_f64());
    votes
}

/// Ask the voters; send `others` (if any) to the members that do not vote, without
/// waiting for their answers (best effort).
async fn ask_voters(proxy: &Proxy, locks: &Locks, req: Bytes, others: Option<Bytes>) -> Vec<Vote> {
    let deadline = tokio::time::Instant::now() + locks.node_timeout;
    let mut waits = Vec::with_capacity(locks.members.len());
    for (pos, &b) in locks.members.iter().enumerate() {
        match locks.not_voting(pos, &proxy.backends) {
            None => waits.push((
                pos,
                b,
                Ok(proxy.backends.list[b].conn(false).send(req.clone())),
            )),
            Some(why) => {
                if let Some(o) = &others {
                    drop(proxy.backends.list[b].conn(false).send(o.clone()));
                }
                waits.push((pos, b, Err(why)));
            }
        }
    }
    let mut votes = Vec::with_capacity(waits.len());
    for (pos, b, rx) in waits {
        let reply = match rx {
            Err(why) => Err(not_voting(why).to_string()),
            Ok(rx) => match tokio::time::timeout_at(deadline, rx).await {
                Err(_) => Err("timed out".to_string()),
                Ok(Err(_)) => Err("connection lost".to_string()),
                Ok(Ok(Err(e))) => Err(e.to_string()),
                // The reply may have come over a connection opened after the last
                // run_id check, i.e. from a restarted, amnesiac process: not a vote.
                Ok(Ok(Ok(r))) => match locks.not_voting(pos, &proxy.backends) {
                    Some(why) => Err(not_voting(why).to_string()),
                    None => Ok(r),
                },
            },
        };
        votes.push(Vote { backend: b, reply });
    }
    votes
}

fn not_voting(why: NotVoting) -> &'static str {
    match why {
        NotVoting::Quarantined => "is quarantined after a restart",
        NotVoting::Reconnected => "reconnected and is not confirmed yet",
    }
}

pub(super) fn eval(script: &str, keys: &[&[u8]], args: &[&[u8]]) -> Bytes {
    let n = keys.len().to_string();
    let mut parts: Vec<&[u8]> = vec![b"EVAL", script.as_bytes(), n.as_bytes()];
    parts.extend_from_slice(keys);
    parts.extend_from_slice(args);
    encode(&parts)
}

/// Outcome of an acquisition.
#[derive(Debug, Clone, PartialEq)]
pub enum Acquired {
    /// Held, for this long, with this fencing token (0 for plain Redlock).
    Granted {
        /// Remaining validity.
        validity: Duration,
        /// Fencing token (strictly increasing per grant); 0 when not fenced.
        fence: u64,
    },
    /// Someone else holds it.
    Held,
    /// Too few members answered.
    NoQuorum(String),
}

/// Describe the failed members for an error message.
pub fn failures(proxy: &Proxy, votes: &[Vote]) -> String {
    votes
        .iter()
        .filter_map(|v| {
            v.reply
                .as_ref()
                .err()
                .map(|e| format!("{} {}", proxy.backends.list[v.backend].name, e))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a round failed for lack of answers, or `None` when a quorum answered.
fn short_of_quorum(proxy: &Proxy, locks: &Locks, votes: &[Vote]) -> Option<String> {
    let answered = votes.iter().filter(|v| v.ok_reply().is_some()).count();
    (answered < locks.quorum()).then(|| {
        format!(
            "only {answered} of {} lock nodes answered (need {}): {}",
            votes.len(),
            locks.quorum(),
            failures(proxy, votes)
        )
    })
}

/// Members whose script answered `1` (took, confirmed, released or extended).
fn ones(votes: &[Vote]) -> usize {
    votes
        .iter()
        .filter(|v| v.ok_reply().and_then(|r| frame::integer(r)) == Some(1))
        .count()
}

fn classify(proxy: &Proxy, locks: &Locks, votes: &[Vote]) -> Acquired {
    match short_of_quorum(proxy, locks, votes) {
        None => Acquired::Held,
        Some(why) => Acquired::NoQuorum(why),
    }
}

/// Plain Redlock acquire (`SET key token NX PX ttl` on every member).
pub async fn acquire(
    proxy: &Proxy,
    locks: &Locks,
    key: &[u8],
    token: &[u8],
    ttl: Duration,
) -> Acquired {
    counted(acquire_plain(proxy, locks, key, token, ttl).await)
}

/// Count an acquisition by outcome.
fn counted(a: Acquired) -> Acquired {
    let outcome = match a {
        Acquired::Granted { .. } => "granted",
        Acquired::Held => "held",
        Acquired::NoQuorum(_) => "no_quorum",
    };
    metrics::counter!(crate::metrics::LOCK_ACQUISITIONS, "outcome" => outcome).increment(1);
    a
}

async fn acquire_plain(
    proxy: &Proxy,
    locks: &Locks,
    key: &[u8],
    token: &[u8],
    ttl: Duration,
) -> Acquired {
    let start = Instant::now();
    let ms = ttl.as_millis().to_string();
    let votes = ask_all(
        proxy,
        locks,
        encode(&[b"SET", key, token, b"NX", b"PX", ms.as_bytes()]),
    )
    .await;
    let granted = votes
        .iter()
        .filter(|v| v.reply.as_deref().ok() == Some(b"+OK\r\n"))
        .count();
    if granted >= locks.quorum() {
        if let Some(validity) = quorum::validity(ttl, start.elapsed(), locks.drift_factor) {
            return Acquired::Granted { validity, fence: 0 };
        }
    }
    release(proxy, locks, key, token).await;
    classify(proxy, locks, &votes)
}

/// Fenced acquire: the two-phase protocol of LOCKS.md. The token `t` is greater than
/// every counter a majority has seen, and is written to a majority before the grant
/// is reported, so any two grants' majorities intersect and order their tokens.
pub async fn acquire_fenced(
    proxy: &Proxy,
    locks: &Locks,
    key: &[u8],
    token: &[u8],
    ttl: Duration,
) -> Acquired {
    counted(fenced(proxy, locks, key, token, ttl).await)
}

async fn fenced(proxy: &Proxy, locks: &Locks, key: &[u8], token: &[u8], ttl: Duration) -> Acquired {
    let start = Instant::now();
    let ms = ttl.as_millis().to_string();
    let fkey = fence_key(key);
    let votes = ask_all(
        proxy,
        locks,
        eval(FENCE_A, &[key, &fkey], &[token, ms.as_bytes()]),
    )
    .await;
    let mut granted = 0;
    let mut max_fence = 0u64;
    for v in &votes {
        let Some(r) = v.ok_reply() else { continue };
        let Some(el) = frame::elements(r).filter(|e| e.len() == 2) else {
            continue;
        };
        if frame::integer(&r[el[0].clone()]) == Some(1) {
            granted += 1;
        }
        let f = bulk_u64(&r[el[1].clone()]).unwrap_or(0);
        max_fence = max_fence.max(f);
    }
    if granted >= locks.quorum()
        && quorum::validity(ttl, start.elapsed(), locks.drift_factor).is_some()
    {
        let t = max_fence + 1;
        let ts = t.to_string();
        // Members that do not vote still get the counter raised (best effort), so a
        // quarantined member does not miss the grants made during its quarantine.
        let phase_b = ask_voters(
            proxy,
            locks,
            eval(FENCE_B, &[key, &fkey], &[token, ts.as_bytes()]),
            Some(eval(FENCE_RAISE, &[&fkey], &[ts.as_bytes()])),
        )
        .await;
        let confirmed = ones(&phase_b);
        if confirmed >= locks.quorum() {
            if let Some(validity) = quorum::validity(ttl, start.elapsed(), locks.drift_factor) {
                return Acquired::Granted { validity, fence: t };
            }
        }
        release(proxy, locks, key, token).await;
        if confirmed < locks.quorum() {
            return Acquired::NoQuorum(format!(
                "the fencing step reached {confirmed} of {} lock nodes (need {}): {}",
                phase_b.len(),
                locks.quorum(),
                failures(proxy, &phase_b)
            ));
        }
        return Acquired::NoQuorum("the grant's validity ran out while it was being taken".into());
    }
    release(proxy, locks, key, token).await;
    classify(proxy, locks, &votes)
}

/// Compare-and-delete on every member (also the ones that did not answer before).
/// Returns how many members deleted the lock.
pub async fn release(proxy: &Proxy, locks: &Locks, key: &[u8], token: &[u8]) -> usize {
    let votes = ask_members(proxy, locks, eval(RELEASE, &[key], &[token])).await;
    ones(&votes)
}

/// Like [`ask_all`] but including quarantined members: deleting is always safe.
async fn ask_members(proxy: &Proxy, locks: &Locks, req: Bytes) -> Vec<Vote> {
    let deadline = tokio::time::Instant::now() + locks.node_timeout;
    let waits: Vec<_> = locks
        .members
        .iter()
        .map(|&b| (b, proxy.backends.list[b].conn(false).send(req.clone())))
        .collect();
    let mut votes = Vec::new();
    for (b, rx) in waits {
        let reply = match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(Ok(r))) => Ok(r),
            _ => Err("no answer".to_string()),
        };
        votes.push(Vote { backend: b, reply });
    }
    votes
}

/// Outcome of an extension.
#[derive(Debug, Clone, PartialEq)]
pub enum Extended {
    /// Extended; valid for this long.
    Ok(Duration),
    /// A majority says the token does not hold the lock.
    NotOwner,
    /// Too few members answered.
    NoQuorum(String),
}

/// Compare-and-PEXPIRE on every member.
pub async fn extend(
    proxy: &Proxy,
    locks: &Locks,
    key: &[u8],
    token: &[u8],
    ttl: Duration,
) -> Extended {
    let start = Instant::now();
    let ms = ttl.as_millis().to_string();
    let votes = ask_all(proxy, locks, eval(EXTEND, &[key], &[token, ms.as_bytes()])).await;
    let ok = ones(&votes);
    if ok >= locks.quorum() {
        if let Some(v) = quorum::validity(ttl, start.elapsed(), locks.drift_factor) {
            return Extended::Ok(v);
        }
    }
    match short_of_quorum(proxy, locks, &votes) {
        None => Extended::NotOwner,
        Some(why) => Extended::NoQuorum(why),
    }
}

/// The reply at least a quorum of members agree on, byte for byte; failing that, for
/// integer replies, the largest value at least a quorum reach (the quorum-th largest).
///
/// Integers that differ are usually times: members set a lock a millisecond apart and
/// report PTTLs a millisecond apart (`PTTL`, or a script returning `pttl` as pottery's
/// `locked()` does). The lock lasts as long as a quorum still holds it, which is the
/// quorum-th largest TTL; for 0/1 script results it is 1 exactly when a quorum said 1.
pub fn majority(votes: &[Vote], quorum: usize) -> Option<Bytes> {
    let replies: Vec<&Bytes> = votes.iter().filter_map(|v| v.reply.as_ref().ok()).collect();
    if let Some(r) = replies
        .iter()
        .find(|r| replies.iter().filter(|o| o == r).count() >= quorum)
    {
        return Some((*r).clone());
    }
    let mut ints: Vec<i64> = replies.iter().filter_map(|r| frame::integer(r)).collect();
    if quorum == 0 || ints.len() < quorum {
        return None;
    }
    ints.sort_unstable_by(|a, b| b.cmp(a));
    Some(Bytes::from(format!(":{}\r\n", ints[quorum - 1])))
}

pub(super) fn bulk_u64(b: &[u8]) -> Option<u64> {
    let start = memchr::memchr(b'\n', b)? + 1;
    std::str::from_utf8(b.get(start..b.len().checked_sub(2)?)?)
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn votes(replies: &[Option<&'static str>]) -> Vec<Vote> {
        replies
            .iter()
            .enumerate()
            .map(|(backend, r)| Vote {
                backend,
                reply: r
                    .map(|s| Bytes::from_static(s.as_bytes()))
                    .ok_or_else(|| "timed out".to_string()),
            })
            .collect()
    }

    #[test]
    fn majority_prefers_identical_replies() {
        let v = votes(&[
            Some("$3\r\ntok\r\n"),
            Some("$-1\r\n"),
            Some("$3\r\ntok\r\n"),
        ]);
        assert_eq!(majority(&v, 2).as_deref(), Some(&b"$3\r\ntok\r\n"[..]));
        let v = votes(&[Some("$3\r\ntok\r\n"), Some("$-1\r\n"), None]);
        assert_eq!(majority(&v, 2), None);
        let v = votes(&[
            Some("-NOSCRIPT x\r\n"),
            Some("-NOSCRIPT x\r\n"),
            Some(":1\r\n"),
        ]);
        assert_eq!(majority(&v, 2).as_deref(), Some(&b"-NOSCRIPT x\r\n"[..]));
    }

    #[test]
    fn majority_of_differing_integers_is_the_quorum_th_largest() {
        let v = votes(&[Some(":9998\r\n"), Some(":9999\r\n"), Some(":9997\r\n")]);
        assert_eq!(majority(&v, 2).as_deref(), Some(&b":9998\r\n"[..]));
        let v = votes(&[Some(":50000\r\n"), None, Some(":-2\r\n")]);
        assert_eq!(majority(&v, 2).as_deref(), Some(&b":-2\r\n"[..]));
        let v = votes(&[Some(":1\r\n"), Some(":0\r\n"), Some("-ERR x\r\n")]);
        assert_eq!(majority(&v, 2).as_deref(), Some(&b":0\r\n"[..]));
        let v = votes(&[Some(":1\r\n"), None, None]);
        assert_eq!(majority(&v, 2), None);
        let v = votes(&[
            Some(":5\r\n"),
            Some(":7\r\n"),
            Some(":6\r\n"),
            Some(":1\r\n"),
            None,
        ]);
        assert_eq!(majority(&v, 3).as_deref(), Some(&b":5\r\n"[..]));
    }
}
