//! Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP), without ever blocking a thread.
//!
//! A blocking handler that finds no data writes no reply and calls [`park`]: while its
//! keys' shards are locked it queues a [`Waiter`] on every key. The connection task
//! (`client.rs`) then awaits the waiter's `Notify`, its deadline, shutdown or the socket
//! closing, holding no lock. Whatever creates a list or sorted set under a key
//! (`Keyspace::get_or_insert_with` / `set`, like Redis 7.0's `dbAdd` signalling the key
//! as ready) calls [`Blocked::key_ready`]. Blocking commands only wait on missing keys,
//! so creation is the only event that matters: pushes onto an existing list never
//! touch this table. The woken client re-runs its command under a normal lock: data →
//! it replies and leaves; none (another client was faster) → it waits again, still at
//! its place at the front of the queue.
//!
//! The baton: at most one waiter of a kind per key is woken at a time. A signal while
//! the first waiter is still on its way wakes nobody; that waiter, when it leaves the
//! queue (served, timed out or gone), wakes the next one, which either finds data or
//! goes back to sleep without passing it on. This gives Redis's order (first blocked,
//! first served, one element each, even for a multi-element push) with no lost
//! wake-ups: a waiter's `woken` flag is only cleared while its keys' shards are locked,
//! so a key created after that sees it asleep and wakes it.
//!
//! Differences from Redis 7.0, by design: a client blocked on several keys that became
//! ready together is served from the first in argument order (Redis: the first
//! signalled).

use crate::command::long_double;
use crate::node::dispatch::Ctx;
use crate::node::types::Value;
use crate::protocol::errors;
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

/// What a waiter waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// BLPOP & co.
    List,
    /// BZPOPMIN/BZPOPMAX.
    ZSet,
}

impl Kind {
    /// The kind of value a blocked client could take from, if any.
    #[inline]
    pub fn of(v: &Value) -> Option<Kind> {
        match v {
            Value::List(_) => Some(Kind::List),
            Value::ZSet(_) => Some(Kind::ZSet),
            _ => None,
        }
    }
}

/// One blocked client.
#[derive(Debug)]
pub struct Waiter {
    notify: Notify,
    kind: Kind,
    /// Its keys, without duplicates.
    keys: Vec<Bytes>,
    /// Woken and not back asleep yet (holds the baton). Changed under the table lock.
    woken: AtomicBool,
}

impl Waiter {
    /// Resolves once this waiter is woken (a permit is kept if nobody awaits yet).
    pub async fn notified(&self) {
        self.notify.notified().await
    }
}

/// What a handler hands to the connection task when it blocks.
#[derive(Debug)]
pub struct Parked {
    /// The queued waiter.
    pub waiter: Arc<Waiter>,
    /// When to give up; `None` = never.
    pub deadline: Option<Instant>,
}

/// Per-session blocking state.
#[derive(Debug, Default)]
pub struct BlockState {
    /// Set by a handler that found no data: the connection waits on it.
    pub parked: Option<Parked>,
    /// The waiter of the command being re-run after a wake-up.
    pub rerun: Option<Arc<Waiter>>,
    /// EXEC is running its queue: blocking commands answer at once (Redis's
    /// `CLIENT_DENY_BLOCKING`). A script's calls are denied too (see [`park`]): most
    /// blocking commands are `noscript`, but BLMPOP and BZMPOP may be called.
    pub deny: bool,
}

/// The node's table of blocked clients: key → FIFO of waiters.
#[derive(Debug, Default)]
pub struct Blocked {
    /// Number of blocked clients (INFO `blocked_clients`), and the writers' fast path:
    /// zero means nobody to wake. Incremented under the keys' shard locks, which also
    /// order it against the writer reading it under the same lock.
    waiting: AtomicUsize,
    queues: Mutex<HashMap<Bytes, VecDeque<Arc<Waiter>>>>,
}

impl Blocked {
    /// Clients blocked right now.
    pub fn count(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// A list or sorted set was just created under `key` (the caller holds its shard).
    #[inline]
    pub fn key_ready(&self, key: &[u8], kind: Kind) {
        if self.waiting.load(Ordering::Relaxed) != 0 {
            wake(&self.queues.lock(), key, kind);
        }
    }

    /// Remove a waiter (served, timed out, disconnected). If it held the baton, wake
    /// the next waiter on each of its keys in its place.
    pub fn remove(&self, w: &Arc<Waiter>) {
        let mut q = self.queues.lock();
        for k in &w.keys {
            if let Some(queue) = q.get_mut(k) {
                queue.retain(|x| !Arc::ptr_eq(x, w));
                if queue.is_empty() {
                    q.remove(k);
                }
            }
        }
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        if w.woken.load(Ordering::Relaxed) {
            for k in &w.keys {
                wake(&q, k, w.kind);
            }
        }
    }
}

/// Wake the first waiter of `kind` on `key`, unless it is already awake.
fn wake(q: &HashMap<Bytes, VecDeque<Arc<Waiter>>>, key: &[u8], kind: Kind) {
    let Some(w) = q.get(key).and_then(|q| q.iter().find(|w| w.kind == kind)) else {
        return;
    };
    if !w.woken.swap(true, Ordering::Relaxed) {
        w.notify.notify_one();
    }
}

/// Parse a blocking timeout like Redis 7.0's `getTimeoutFromObjectOrReply` (seconds as
/// a `long double`, rounded up to ms): `Ok(0)` = forever.
pub fn parse_timeout(arg: &[u8]) -> Result<u64, &'static str> {
    let v = long_double::parse(arg).ok_or(errors::TIMEOUT_NOT_FLOAT)?;
    let ms = long_double::millis_ceil(v);
    u64::try_from(ms).map_err(|_| errors::TIMEOUT_NEGATIVE)
}

/// What [`first_ready`] found.
pub enum Ready<'k> {
    /// This key holds a value of the kind.
    At(&'k Bytes),
    /// No key does.
    Nowhere,
    /// A key of another type came first: WRONGTYPE was replied.
    WrongType,
}

/// The first of `keys` holding a value of `kind`, looked up for writing (as Redis's
/// blocking pops look them up: no keyspace hit or miss is counted). A key of another
/// type met first answers WRONGTYPE; on a woken client's retry it is skipped instead
/// (Redis 7.0 keeps the client blocked).
pub fn first_ready<'k>(ctx: &mut Ctx<'_>, keys: &'k [Bytes], kind: Kind) -> Ready<'k> {
    let rerun = is_rerun(ctx);
    for key in keys {
        match ctx.ks.get_value_for_write(key).map(Kind::of) {
            None => continue,
            Some(k) if k == Some(kind) => return Ready::At(key),
            Some(_) if rerun => continue,
            Some(_) => {
                ctx.out.error(errors::WRONGTYPE);
                return Ready::WrongType;
            }
        }
    }
    Ready::Nowhere
}

/// True when this run is a woken client's retry: keys of another type are then skipped
/// (Redis 7.0 leaves the client blocked) instead of answering WRONGTYPE.
pub fn is_rerun(ctx: &Ctx<'_>) -> bool {
    ctx.session.blocking.rerun.is_some()
}

/// No key had data. Inside EXEC or a script reply `null` now (BLMOVE's null bulk or
/// the others' null array); otherwise block: queue a new waiter, or on a retry put
/// this one back to sleep at its place. The caller has locked every key in `keys`.
pub fn park(ctx: &mut Ctx<'_>, keys: &[Bytes], kind: Kind, timeout_ms: u64, null_bulk: bool) {
    let state = &mut ctx.session.blocking;
    if state.deny || crate::node::cmd::scripting::in_script() {
        return if null_bulk {
            ctx.out.null()
        } else {
            ctx.out.null_array()
        };
    }
    let table = &ctx.server.db.blocked;
    if let Some(w) = &state.rerun {
        // Under the shard locks: a key created from now on finds it asleep.
        let _q = table.queues.lock();
        w.woken.store(false, Ordering::Relaxed);
        state.parked = Some(Parked {
            waiter: w.clone(),
            deadline: None,
        });
        return;
    }
    let mut uniq: Vec<Bytes> = Vec::with_capacity(keys.len());
    for k in keys {
        if !uniq.iter().any(|u| u[..] == k[..]) {
            uniq.push(crate::node::db::owned(k));
        }
    }
    let w = Arc::new(Waiter {
        notify: Notify::new(),
        kind,
        keys: uniq,
        woken: AtomicBool::new(false),
    });
    {
        let mut q = table.queues.lock();
        for k in &w.keys {
            q.entry(k.clone()).or_default().push_back(w.clone());
        }
        table.waiting.fetch_add(1, Ordering::Relaxed);
    }
    let deadline = match timeout_ms {
        0 => None,
        // A deadline past what the clock can express is forever (Redis's overflows too).
        ms => Instant::now().checked_add(Duration::from_millis(ms)),
    };
    state.parked = Some(Parked {
        waiter: w,
        deadline,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_like_redis() {
        assert_eq!(parse_timeout(b"0"), Ok(0));
        assert_eq!(parse_timeout(b"0.1"), Ok(100));
        assert_eq!(parse_timeout(b"0.0001"), Ok(1));
        assert_eq!(parse_timeout(b"1e-400"), Ok(1));
        assert_eq!(parse_timeout(b"-0.0009"), Ok(0));
        assert_eq!(parse_timeout(b"-0.0011"), Err(errors::TIMEOUT_NEGATIVE));
        assert_eq!(parse_timeout(b"9223372036854775.807"), Ok(i64::MAX as u64));
        assert_eq!(parse_timeout(b"0x10"), Ok(16000));
        assert_eq!(parse_timeout(b"9e15"), Ok(9_000_000_000_000_000_000));
        assert_eq!(parse_timeout(b"9.3e15"), Err(errors::TIMEOUT_NEGATIVE));
        assert_eq!(parse_timeout(b"inf"), Err(errors::TIMEOUT_NEGATIVE));
        assert_eq!(parse_timeout(b"-1"), Err(errors::TIMEOUT_NEGATIVE));
        assert_eq!(parse_timeout(b"nan"), Err(errors::TIMEOUT_NOT_FLOAT));
        assert_eq!(parse_timeout(b" 1"), Err(errors::TIMEOUT_NOT_FLOAT));
        assert_eq!(
            parse_timeout(b"9223372036854775808"),
            Err(errors::TIMEOUT_NEGATIVE)
        );
        assert_eq!(
            parse_timeout(b"9223372036854775.808"),
            Err(errors::TIMEOUT_NEGATIVE)
        );
    }
}
