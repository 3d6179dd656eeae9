//! Commands that need a backend connection of their own: MULTI/EXEC/DISCARD with
//! WATCH, and blocking pops. The session pins a dedicated connection (from the
//! backend's `deadpool` pool) to the backend of the transaction's keys; every key of
//! the transaction must live there, otherwise the command is refused and EXEC
//! answers EXECABORT, exactly as Redis does after a queuing error.

use super::pool::Dedicated;
use super::router::{self, Route};
use super::session::Session;
use crate::command;
use crate::protocol::{errors, Reply};
use bytes::Bytes;
use tokio::net::TcpStream;

/// A session's transaction state.
#[derive(Default)]
pub struct TxState {
    /// The pinned backend and its dedicated connection.
    pinned: Option<(usize, Dedicated)>,
    /// Inside MULTI.
    multi: bool,
    /// Requests queued before any key chose the backend (PING inside MULTI…).
    buffered: Vec<Bytes>,
    /// A command failed to queue: EXEC must abort.
    dirty: bool,
    /// WATCH is active on the pinned connection.
    watching: bool,
}

impl TxState {
    /// Inside MULTI?
    pub fn in_multi(&self) -> bool {
        self.multi
    }
    /// Remember a queuing error (no-op outside MULTI).
    pub fn flag_error(&mut self) {
        if self.multi {
            self.dirty = true;
        }
    }
    /// Give the pinned connection back. A connection left inside MULTI or WATCH is
    /// dropped rather than reused, so no state leaks to the next session.
    pub async fn release(&mut self) {
        if let Some((_, mut conn)) = self.pinned.take() {
            if self.multi || (self.watching && conn.call(b"*1\r\n$7\r\nUNWATCH\r\n").await.is_err())
            {
                conn.broken = true;
            }
        }
        self.watching = false;
        self.multi = false;
        self.dirty = false;
        self.buffered.clear();
    }
}

async fn pin(s: &mut Session, backend: usize, resp3: bool) -> Result<(), Vec<u8>> {
    if let Some((b, _)) = &s.tx.pinned {
        if *b == backend {
            return Ok(());
        }
        let names = &s.proxy.backends.list;
        return Err(format!(
            "ERR ringcache: this transaction is pinned to backend {} but the key lives on backend {}; put the transaction's keys under one hash tag",
            names[*b].name, names[backend].name
        )
        .into_bytes());
    }
    let conn = s.proxy.backends.list[backend]
        .dedicated(resp3)
        .await
        .map_err(|e| {
            format!(
                "ERR ringcache: backend {} is unreachable ({e})",
                s.proxy.backends.list[backend].name
            )
            .into_bytes()
        })?;
    s.tx.pinned = Some((backend, conn));
    Ok(())
}

async fn call(s: &mut Session, req: &[u8]) -> Result<Bytes, Vec<u8>> {
    let (b, conn) = s.tx.pinned.as_mut().expect("pinned");
    let name = &s.proxy.backends.list[*b].name;
    conn.call(req)
        .await
        .map_err(|e| format!("ERR ringcache: backend {name} connection lost ({e})").into_bytes())
}

/// MULTI, EXEC, DISCARD, WATCH, UNWATCH and blocking commands.
pub async fn handle(
    s: &mut Session,
    name: &str,
    route: Route,
    args: &[Bytes],
    raw: Bytes,
    out: &mut Reply,
    client: &TcpStream,
) {
    let resp3 = out.resp3;
    if route == Route::Blocking {
        return blocking(s, name, args, raw, out, client).await;
    }
    match name {
        "watch" => {
            if s.tx.multi {
                return out.error(errors::WATCH_IN_MULTI);
            }
            let spec = command::spec(command::lookup(b"watch").expect("watch"));
            let b = match s.same_backend(name, args, spec.key_indexes(args.len())) {
                Ok(b) => b,
                Err(e) => return out.error(e),
            };
            if let Err(e) = pin(s, b, resp3).await {
                return out.error(e);
            }
            reply_or_error(call(s, &raw).await, out);
            s.tx.watching = true;
        }
        "unwatch" => {
            if s.tx.pinned.is_some() {
                reply_or_error(call(s, &raw).await, out);
                s.tx.watching = false;
                s.tx.release().await;
            } else {
                out.ok();
            }
        }
        "multi" => {
            if s.tx.multi {
                return out.error(errors::MULTI_NESTED);
            }
            s.tx.multi = true;
            s.tx.dirty = false;
            if s.tx.pinned.is_some() {
                reply_or_error(call(s, &raw).await, out);
            } else {
                out.ok();
            }
        }
        "exec" => {
            if !s.tx.multi {
                return out.error(errors::EXEC_WITHOUT_MULTI);
            }
            if s.tx.dirty {
                if s.tx.pinned.is_some() {
                    let _ = call(s, b"*1\r\n$7\r\nDISCARD\r\n").await;
                }
                s.tx.multi = false;
                s.tx.release().await;
                return out.error(errors::EXECABORT);
            }
            if s.tx.pinned.is_none() {
                if s.tx.buffered.is_empty() {
                    s.tx.multi = false;
                    return out.array(0);
                }
                if let Err(e) = start_on(s, 0, resp3).await {
                    s.tx.multi = false;
                    s.tx.release().await;
                    return out.error(e);
                }
            }
            reply_or_error(call(s, &raw).await, out);
            s.tx.multi = false;
            s.tx.watching = false;
            s.tx.release().await;
        }
        "discard" => {
            if !s.tx.multi {
                return out.error(errors::DISCARD_WITHOUT_MULTI);
            }
            if s.tx.pinned.is_some() {
                reply_or_error(call(s, &raw).await, out);
            } else {
                out.ok();
            }
            s.tx.multi = false;
            s.tx.watching = false;
            s.tx.release().await;
        }
        _ => out.error(errors::unknown_command(args)),
    }
}

/// A rejected EXEC (wrong arity…) ends the transaction, as Redis's execCommandAbort:
/// `-EXECABORT Transaction discarded because of: <reason>`, inside MULTI or not.
pub async fn abort_exec(s: &mut Session, reason: String, out: &mut Reply) {
    if s.tx.multi && s.tx.pinned.is_some() {
        let _ = call(s, b"*1\r\n$7\r\nDISCARD\r\n").await;
    }
    s.tx.multi = false;
    s.tx.release().await;
    let reason = reason.strip_prefix("ERR ").unwrap_or(&reason);
    out.error(format!(
        "EXECABORT Transaction discarded because of: {reason}"
    ));
}

fn reply_or_error(r: Result<Bytes, Vec<u8>>, out: &mut Reply) {
    match r {
        Ok(b) => out.raw(&b),
        Err(e) => out.error(e),
    }
}

/// Pin `backend`, open MULTI there and replay what was buffered before a key chose it.
async fn start_on(s: &mut Session, backend: usize, resp3: bool) -> Result<(), Vec<u8>> {
    pin(s, backend, resp3).await?;
    let opened = call(s, b"*1\r\n$5\r\nMULTI\r\n").await?;
    if opened.first() != Some(&b'+') {
        return Err(opened[1..opened.len().saturating_sub(2)].to_vec());
    }
    for req in std::mem::take(&mut s.tx.buffered) {
        call(s, &req).await?;
    }
    Ok(())
}

/// A command arriving inside MULTI: queue it on the pinned backend.
pub async fn queue(s: &mut Session, args: &[Bytes], raw: Bytes, route: Route, out: &mut Reply) {
    let resp3 = out.resp3;
    let spec = command::spec(command::lookup(&args[0]).expect("checked by caller"));
    let keys: Result<Vec<usize>, Vec<u8>> = match route {
        // Inside MULTI a blocking pop does not block (Redis runs it like its non-blocking
        // form at EXEC), so it queues on the pinned backend like any keyed command.
        Route::Forward | Route::Split(_) => Ok(spec.key_indexes(args.len()).collect()),
        // A malformed key count queues with no keys: the backend answers it at EXEC
        // with the command's own error, as Redis does.
        Route::Blocking => Ok(router::blocking_keys(spec, args).unwrap_or_default()),
        Route::Movable(kind) => Ok(router::routing_keys(kind, spec.name, args).unwrap_or_default()),
        Route::Local => Ok(Vec::new()),
        _ => Err(format!(
            "ERR ringcache: '{}' cannot run inside a transaction through the proxy",
            spec.name
        )
        .into_bytes()),
    };
    let backend = keys.and_then(|k| {
        if k.is_empty() {
            Ok(None)
        } else {
            s.same_backend(spec.name, args, k.into_iter())
                .map(Some)
                .map_err(String::into_bytes)
        }
    });
    let backend = match backend {
        Ok(b) => b,
        Err(e) => {
            s.tx.dirty = true;
            return out.error(e);
        }
    };
    match (backend, s.tx.pinned.is_some()) {
        (None, false) => {
            s.tx.buffered.push(raw);
            out.simple("QUEUED");
        }
        (Some(b), false) => match start_on(s, b, resp3).await {
            Ok(()) => reply_or_error(call(s, &raw).await, out),
            Err(e) => {
                s.tx.dirty = true;
                out.error(e);
            }
        },
        (b, true) => {
            if let Some(b) = b {
                if let Err(e) = pin(s, b, resp3).await {
                    s.tx.dirty = true;
                    return out.error(e);
                }
            }
            reply_or_error(call(s, &raw).await, out);
        }
    }
}

/// Blocking pops wait on a dedicated connection so they never hold up the shared one.
/// If the client leaves meanwhile, the wait is given up and that connection dropped,
/// so the backend forgets the waiter: a later push is not popped for nobody.
async fn blocking(
    s: &mut Session,
    name: &str,
    args: &[Bytes],
    raw: Bytes,
    out: &mut Reply,
    client: &TcpStream,
) {
    let spec = command::spec(command::lookup(&args[0]).expect("checked by caller"));
    // A malformed key count (BLMPOP): no keys, so the first backend answers the error.
    let keys = router::blocking_keys(spec, args).unwrap_or_default();
    let b = match s.same_backend(name, args, keys.into_iter()) {
        Ok(b) => b,
        Err(e) => return out.error(e),
    };
    let backend = s.proxy.backends.list[b].clone();
    let mut conn = match backend.dedicated(out.resp3).await {
        Ok(c) => c,
        Err(e) => {
            return out.error(format!(
                "ERR ringcache: backend {} is unreachable ({e})",
                backend.name
            ))
        }
    };
    let reply = tokio::select! {
        r = conn.call(&raw) => r,
        _ = closed(client) => {
            // Out of the pool and closed now: the backend drops the waiter.
            drop(Dedicated::take(conn));
            return;
        }
    };
    match reply {
        Ok(r) => out.raw(&r),
        Err(e) => out.error(format!(
            "ERR ringcache: backend {} connection lost ({e})",
            backend.name
        )),
    }
}

/// Resolves when the client closes its connection. Bytes it sends meanwhile (a
/// pipelined next request) are left unread, and end the watch: they are served after
/// the reply, as before.
async fn closed(client: &TcpStream) {
    let mut byte = [0u8; 1];
    match client.peek(&mut byte).await {
        Ok(0) | Err(_) => {}
        Ok(_) => std::future::pending().await,
    }
}
