//! Restart detection for lock backends. A backend without persistence forgets its
//! locks and fence counters when it restarts; Redlock stays safe only if such a node
//! does not vote until every lock it might have held has expired, and fencing stays
//! monotonic only if its counters are restored before it votes again.
//!
//! The proxy polls each member's `run_id` (`INFO server`). A changed id, or a member
//! that was unreachable, is quarantined for `restart_quarantine` and a repair task
//! copies the fence counters back to it from the other members. Between polls, the
//! backend's connection tasks count reconnects ([`Health::reconnects`]); a member with
//! a reconnect the watcher has not checked yet does not vote (see [`Locks::not_voting`]).
//!
//! [`Health::reconnects`]: crate::proxy::backend::Health::reconnects

use super::super::Proxy;
use super::redlock::{bulk_u64, eval};
use super::Locks;
use crate::protocol::frame;
use crate::proxy::backend::encode;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often members are polled.
pub const POLL: Duration = Duration::from_millis(250);
/// Polls of one member in a row while its reconnect count moves under the poll.
const POLL_TRIES: usize = 3;
/// Fence keys asked for per `SCAN` page during a repair.
const REPAIR_PAGE: &str = "500";
/// Most `SCAN` pages read from one member in one repair attempt.
const REPAIR_MAX_PAGES: usize = 20_000;
/// Time limit of one repair attempt.
const REPAIR_ATTEMPT: Duration = Duration::from_secs(30);
/// Longest pause between failed repair attempts.
const REPAIR_BACKOFF_MAX: Duration = Duration::from_secs(2);

/// Raise each `KEYS[i]` to `ARGV[i]` (`F = max(F, v)`).
const RAISE_MANY: &str = r#"for i, k in ipairs(KEYS) do
  local v = tonumber(ARGV[i])
  if v and v > (tonumber(redis.call("get",k) or "0") or 0) then redis.call("set",k,ARGV[i]) end
end
return #KEYS"#;

/// Poll lock members until shutdown. `first_poll` is signalled once every member has
/// been asked once (its `run_id` read, or marked down).
pub async fn watch(
    proxy: Arc<Proxy>,
    shutdown: CancellationToken,
    first_poll: tokio::sync::oneshot::Sender<()>,
) {
    let Some(locks) = proxy.locks.as_ref() else {
        return;
    };
    let mut first_poll = Some(first_poll);
    let mut last: Vec<Option<String>> = vec![None; locks.members.len()];
    let mut down: Vec<bool> = vec![false; locks.members.len()];
    let mut tick = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let _turn = tokio::select! {
            _ = shutdown.cancelled() => return,
            g = locks.watch_gate.lock() => g,
        };
        for (pos, &b) in locks.members.iter().enumerate() {
            let backend = &proxy.backends.list[b];
            for _ in 0..POLL_TRIES {
                // read before asking: a reply to this INFO came over a connection
                // opened at or before this count
                let seen = backend.health.reconnects();
                let rx = backend
                    .conn(false)
                    .send(Bytes::from_static(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"));
                let run_id = match tokio::time::timeout(POLL.max(locks.node_timeout * 4), rx).await
                {
                    Ok(Ok(Ok(reply))) => parse_run_id(&reply),
                    _ => None,
                };
                let Some(id) = run_id else {
                    down[pos] = true;
                    break;
                };
                // A reconnect before the first run_id we ever read means the process may
                // have changed before we knew it: treat that like a restart.
                let restarted = match &last[pos] {
                    Some(old) => *old != id,
                    None => seen > 0,
                };
                if restarted || down[pos] {
                    tracing::warn!(backend = %backend.name, restarted, "lock backend came back: quarantined from lock quorums until its fence counters are repaired");
                    let generation = locks.quarantine(pos, seen);
                    metrics::counter!(crate::metrics::LOCK_QUARANTINES, "backend" => backend.name.clone()).increment(1);
                    tokio::spawn(repair(proxy.clone(), pos, generation, shutdown.clone()));
                } else {
                    locks.confirm(pos, seen);
                }
                down[pos] = false;
                last[pos] = Some(id);
                if backend.health.reconnects() == seen {
                    break;
                }
            }
        }
        if let Some(tx) = first_poll.take() {
            let _ = tx.send(());
        }
    }
}

fn parse_run_id(reply: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(reply).ok()?;
    let line = text.lines().find(|l| l.starts_with("run_id:"))?;
    Some(line["run_id:".len()..].trim().to_string())
}

/// Members whose counters a repair must read so that, for every grant, it reads one
/// member of that grant's phase-B majority other than the repaired one:
/// `n − quorum + 1` of the `n − 1` others.
pub fn repair_sources_needed(n: usize) -> usize {
    (n - super::quorum::quorum(n) + 1).min(n.saturating_sub(1))
}

/// Copy fence counters to quarantined member `pos` until it is done (or superseded by
/// a newer quarantine, or shutdown). Retries with back-off; logs failures.
async fn repair(proxy: Arc<Proxy>, pos: usize, generation: u64, shutdown: CancellationToken) {
    let Some(locks) = proxy.locks.as_ref() else {
        return;
    };
    let name = proxy.backends.list[locks.members[pos]].name.clone();
    // A grant that counted this member's old process in its phase B sent that phase
    // before the restart; its other counted writes landed within node_timeout of it.
    let mut pause = locks.node_timeout;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        if locks.generation(pos) != generation {
            return;
        }
        let attempt = tokio::time::timeout(REPAIR_ATTEMPT, repair_once(&proxy, locks, pos));
        let outcome = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = attempt => r.unwrap_or_else(|_| Err(format!("took longer than {REPAIR_ATTEMPT:?}"))),
        };
        match outcome {
            Ok(copied) => {
                if locks.repaired(pos, generation) {
                    tracing::info!(backend = %name, copied, "fence counters repaired on the restarted lock backend");
                }
                return;
            }
            Err(why) => {
                tracing::warn!(backend = %name, error = %why, "fence counter repair failed; the backend stays out of lock quorums, retrying");
                pause = (pause * 2).clamp(Duration::from_millis(100), REPAIR_BACKOFF_MAX);
            }
        }
    }
}

/// One repair pass: every other member's fence counters, raised on member `pos`.
/// Succeeds when enough in-sync members were read completely.
async fn repair_once(proxy: &Proxy, locks: &Locks, pos: usize) -> Result<u64, String> {
    let n = locks.members.len();
    let needed = repair_sources_needed(n);
    let others: Vec<usize> = (0..n).filter(|&p| p != pos).collect();
    let in_sync = others
        .iter()
        .filter(|&&p| locks.in_sync(p, &proxy.backends))
        .count();
    // More members lost their counters than a quorum can tolerate: take whatever the
    // reachable ones hold rather than keep the lock group down for good.
    let any_source = in_sync < needed;
    if any_source {
        tracing::warn!(in_sync, needed, "too few lock backends have intact fence counters; repairing from every reachable one (fencing tokens may not be monotonic)");
    }
    let mut read = 0;
    let mut copied = 0;
    let mut errors = Vec::new();
    for src in others {
        let health = &proxy.backends.list[locks.members[src]].health;
        let seen = health.reconnects();
        let counts = any_source || locks.in_sync(src, &proxy.backends);
        match copy_from(proxy, locks, src, pos).await {
            Ok(c) => {
                copied += c;
                if counts
                    && health.reconnects() == seen
                    && (any_source || locks.in_sync(src, &proxy.backends))
                {
                    read += 1;
                }
            }
            Err(e) => errors.push(format!(
                "{}: {e}",
                proxy.backends.list[locks.members[src]].name
            )),
        }
    }
    if read >= needed {
        Ok(copied)
    } else {
        Err(format!(
            "read {read} of the {needed} members needed; {}",
            errors.join(", ")
        ))
    }
}

/// Send one request to member `pos` and wait (bounded) for a non-error reply.
async fn call(proxy: &Proxy, locks: &Locks, pos: usize, req: Bytes) -> Result<Bytes, String> {
    let rx = proxy.backends.list[locks.members[pos]]
        .conn(false)
        .send(req);
    match tokio::time::timeout(POLL.max(locks.node_timeout * 4), rx).await {
        Err(_) => Err("timed out".into()),
        Ok(Err(_)) => Err("connection lost".into()),
        Ok(Ok(Err(e))) => Err(e.to_string()),
        Ok(Ok(Ok(r))) if frame::is_error(&r) => {
            Err(String::from_utf8_lossy(&r).trim_end().to_string())
        }
        Ok(Ok(Ok(r))) => Ok(r),
    }
}

/// Copy every fence counter of member `src` to member `dst` (page by page, each page
/// raised with one script). Returns how many counters were copied.
async fn copy_from(proxy: &Proxy, locks: &Locks, src: usize, dst: usize) -> Result<u64, String> {
    let mut cursor = Bytes::from_static(b"0");
    let mut copied = 0u64;
    for _ in 0..REPAIR_MAX_PAGES {
        let page = call(
            proxy,
            locks,
            src,
            encode(&[
                b"SCAN",
                &cursor,
                b"MATCH",
                b"__ringcache_fence:*",
                b"COUNT",
                REPAIR_PAGE.as_bytes(),
            ]),
        )
        .await?;
        let (next, keys) = parse_scan(&page).ok_or("invalid SCAN reply")?;
        if !keys.is_empty() {
            let mut mget: Vec<&[u8]> = vec![b"MGET"];
            mget.extend(keys.iter().map(|k| &k[..]));
            let values = call(proxy, locks, src, encode(&mget)).await?;
            let els = frame::elements(&values).ok_or("invalid MGET reply")?;
            let mut ks: Vec<&[u8]> = Vec::new();
            let mut vs: Vec<String> = Vec::new();
            for (k, el) in keys.iter().zip(els) {
                if let Some(v) = bulk_u64(&values[el]) {
                    ks.push(k);
                    vs.push(v.to_string());
                }
            }
            if !ks.is_empty() {
                let args: Vec<&[u8]> = vs.iter().map(|v| v.as_bytes()).collect();
                call(proxy, locks, dst, eval(RAISE_MANY, &ks, &args)).await?;
                copied += ks.len() as u64;
            }
        }
        if &next[..] == b"0" {
            return Ok(copied);
        }
        cursor = next;
    }
    Err(format!("more than {REPAIR_MAX_PAGES} SCAN pages"))
}

/// `[cursor, [key…]]` of a SCAN reply.
fn parse_scan(reply: &[u8]) -> Option<(Bytes, Vec<Bytes>)> {
    let top = frame::elements(reply).filter(|e| e.len() == 2)?;
    let cursor = bulk(&reply[top[0].clone()])?;
    let inner = &reply[top[1].clone()];
    let keys = frame::elements(inner)?
        .into_iter()
        .map(|r| bulk(&inner[r]))
        .collect::<Option<Vec<_>>>()?;
    Some((cursor, keys))
}

/// The payload of a bulk string reply.
fn bulk(b: &[u8]) -> Option<Bytes> {
    if b.first() != Some(&b'$') {
        return None;
    }
    let start = memchr::memchr(b'\n', b)? + 1;
    Some(Bytes::copy_from_slice(
        b.get(start..b.len().checked_sub(2)?)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_reads_enough_members_to_meet_every_phase_b_majority() {
        assert_eq!(repair_sources_needed(1), 0);
        assert_eq!(repair_sources_needed(2), 1);
        assert_eq!(repair_sources_needed(3), 2);
        assert_eq!(repair_sources_needed(4), 2);
        assert_eq!(repair_sources_needed(5), 3);
    }

    #[test]
    fn scan_replies_parse() {
        let r = b"*2\r\n$2\r\n17\r\n*2\r\n$3\r\nf:a\r\n$3\r\nf:b\r\n";
        let (c, k) = parse_scan(r).unwrap();
        assert_eq!(&c[..], b"17");
        assert_eq!(
            k,
            vec![Bytes::from_static(b"f:a"), Bytes::from_static(b"f:b")]
        );
        let (c, k) = parse_scan(b"*2\r\n$1\r\n0\r\n*0\r\n").unwrap();
        assert_eq!(&c[..], b"0");
        assert!(k.is_empty());
        assert_eq!(parse_scan(b"-ERR x\r\n"), None);
    }
}
