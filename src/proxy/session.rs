//! One client of the proxy: decode every request in what arrived, send each to its
//! backend(s) at once — so a pipeline fans out to all backends in parallel — then
//! write the replies back strictly in request order, in one write per batch.

use super::backend::encode_into;
use super::pending::{self, Part, Pending};
use super::router::{self, Route, Split};
use super::{local, lock, tx, Proxy};
use crate::command::{self, flags};
use crate::protocol::{errors, Reply, RequestDecoder};
use bytes::{Bytes, BytesMut};
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Per-connection state.
pub struct Session {
    /// The proxy.
    pub proxy: Arc<Proxy>,
    /// CLIENT ID.
    pub id: u64,
    /// AUTH passed (or no password set).
    pub authed: bool,
    /// CLIENT SETNAME.
    pub name: Option<Bytes>,
    /// Close after this batch (QUIT).
    pub close: bool,
    /// Transaction / WATCH state (a pinned dedicated connection).
    pub tx: tx::TxState,
    /// Replies owed, in order.
    pending: VecDeque<Pending>,
}

/// Serve one client until it quits, breaks the protocol, or the proxy shuts down.
pub async fn serve(proxy: Arc<Proxy>, mut stream: TcpStream, shutdown: CancellationToken) {
    let _ = stream.set_nodelay(true);
    let Some(id) = proxy.register_client() else {
        let mut out = Reply::new();
        out.error(errors::MAX_CLIENTS);
        let _ = stream.write_all(&out.buf).await;
        return;
    };
    crate::metrics::connection(crate::metrics::Role::Proxy, true);
    let mut s = Session {
        authed: proxy.requirepass.is_none(),
        proxy: proxy.clone(),
        id,
        name: None,
        close: false,
        tx: tx::TxState::default(),
        pending: VecDeque::new(),
    };
    let mut decoder = RequestDecoder::new(512 * 1024 * 1024);
    let mut input = BytesMut::with_capacity(16 * 1024);
    let mut out = Reply::new();
    // A per-connection child token, waited on by one future for the whole connection:
    // cheaper than registering with the shared shutdown token on every read.
    let stop = shutdown.child_token();
    let stopped = stop.cancelled();
    tokio::pin!(stopped);
    loop {
        if input.capacity() - input.len() < 4096 {
            input.reserve(16 * 1024);
        }
        tokio::select! {
            _ = &mut stopped => break,
            r = stream.read_buf(&mut input) => match r {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            },
        }
        let mut broken = false;
        loop {
            match decoder.decode_with_raw(&mut input, s.authed) {
                Ok(Some((args, raw))) => {
                    s.handle(&args, raw, &mut out, &stream).await;
                    if s.close {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    s.flush_pending(&mut out).await;
                    out.error(&e.0);
                    broken = true;
                    break;
                }
            }
        }
        s.flush_pending(&mut out).await;
        if !out.is_empty() {
            if stream.write_all(&out.buf).await.is_err() {
                break;
            }
            out.buf.clear();
        }
        if broken || s.close {
            break;
        }
    }
    s.tx.release().await;
    proxy.unregister_client();
    crate::metrics::connection(crate::metrics::Role::Proxy, false);
}

impl Session {
    /// Resolve every owed reply, in order, into `out`.
    pub async fn flush_pending(&mut self, out: &mut Reply) {
        while let Some(p) = self.pending.pop_front() {
            pending::resolve(p, &self.proxy.backends, out).await;
        }
    }

    /// Owe the client an already-encoded reply, keeping request order.
    fn ready(&mut self, out: &mut Reply, write: impl FnOnce(&mut Reply)) {
        if self.pending.is_empty() {
            write(out);
        } else {
            let mut r = Reply {
                resp3: out.resp3,
                ..Reply::default()
            };
            write(&mut r);
            self.pending.push_back(Pending::Ready(r.buf.freeze()));
        }
    }

    fn error(&mut self, out: &mut Reply, msg: impl AsRef<[u8]>) {
        self.ready(out, |o| o.error(msg));
    }

    /// Run one request. `client` is the client's socket, watched while a blocking pop
    /// waits (see `tx::blocking`).
    async fn handle(
        &mut self,
        args: &[Bytes],
        raw: Option<Bytes>,
        out: &mut Reply,
        client: &TcpStream,
    ) {
        if args[0].len() > 5 && args[0][..5].eq_ignore_ascii_case(b"lock.") && !self.tx.in_multi() {
            if !self.authed {
                return self.error(out, errors::NOAUTH);
            }
            self.flush_pending(out).await;
            let proxy = self.proxy.clone();
            return match &proxy.locks {
                Some(locks) => lock::commands::lock_command(&proxy, locks, args, out).await,
                None => {
                    out.error("ERR ringcache: locks are disabled ([locks] key_prefixes is empty)")
                }
            };
        }
        let Some(id) = command::lookup(&args[0]) else {
            self.tx.flag_error();
            return self.error(out, errors::unknown_command(args));
        };
        crate::metrics::command(crate::metrics::Role::Proxy, id);
        let spec = command::spec(id);
        let route = router::route(id);
        if !spec.arity_ok(args.len()) {
            if spec.name == "exec" {
                self.flush_pending(out).await;
                return tx::abort_exec(self, errors::arity(spec.name), out).await;
            }
            self.tx.flag_error();
            return self.error(out, errors::arity(spec.name));
        }
        if !self.authed && !spec.has(flags::NO_AUTH) {
            if spec.name == "exec" {
                // A refused EXEC is an EXECABORT whatever the reason (execCommandAbort).
                self.flush_pending(out).await;
                return tx::abort_exec(self, errors::NOAUTH.to_string(), out).await;
            }
            self.tx.flag_error();
            return self.error(out, errors::NOAUTH);
        }
        let raw = raw.unwrap_or_else(|| {
            let mut b = BytesMut::new();
            encode_into(&mut b, args.len(), args.iter().map(|a| &a[..]));
            b.freeze()
        });
        if let Some(locks) = &self.proxy.locks {
            if let Some(verdict) = lock_keys(locks, spec, route, args) {
                let proxy = self.proxy.clone();
                self.flush_pending(out).await;
                return match verdict {
                    Ok(()) if !self.tx.in_multi() => {
                        lock::commands::on_lock_key(
                            &proxy,
                            proxy.locks.as_ref().expect("checked"),
                            spec.name,
                            args,
                            raw,
                            out,
                        )
                        .await
                    }
                    Ok(()) => out.error("ERR ringcache: lock keys cannot be used inside MULTI"),
                    Err(e) => out.error(e),
                };
            }
        }
        if self.tx.in_multi() && (route != Route::Transaction || spec.name == "unwatch") {
            // Redis queues UNWATCH inside MULTI (only MULTI/EXEC/DISCARD/WATCH run at once).
            let route = if spec.name == "unwatch" {
                Route::Local
            } else {
                route
            };
            self.flush_pending(out).await;
            return tx::queue(self, args, raw, route, out).await;
        }
        match route {
            Route::Forward => {
                let keys = spec.key_indexes(args.len());
                self.forward(spec.name, args, keys, raw, out);
            }
            Route::Movable(kind) => match router::routing_keys(kind, spec.name, args) {
                // No keys, or a malformed key count: any backend will do, and a
                // malformed count gets that command's own Redis error text there
                // (SINTERCARD, ZUNION, LMPOP and EVAL all word it differently).
                Ok(keys) if keys.is_empty() => {
                    let rx = self.proxy.backends.list[0].conn(out.resp3).send(raw);
                    self.pending.push_back(Pending::Remote { rx, backend: 0 });
                }
                Ok(keys) => self.forward(spec.name, args, keys.into_iter(), raw, out),
                Err(_) => {
                    let rx = self.proxy.backends.list[0].conn(out.resp3).send(raw);
                    self.pending.push_back(Pending::Remote { rx, backend: 0 });
                }
            },
            Route::Split(kind) => self.split(kind, args, raw, out),
            Route::Broadcast(kind) => {
                let parts = self
                    .proxy
                    .backends
                    .list
                    .iter()
                    .map(|b| Part {
                        rx: b.conn(out.resp3).send(raw.clone()),
                        backend: b.index,
                        positions: SmallVec::new(),
                    })
                    .collect();
                self.pending.push_back(Pending::Gather { kind, parts });
            }
            Route::Scan => self.scan(args, out),
            Route::Local | Route::Info | Route::RandomKey => {
                self.flush_pending(out).await;
                local::handle(self, spec.name, args, out).await;
            }
            Route::Transaction | Route::Blocking => {
                self.flush_pending(out).await;
                tx::handle(self, spec.name, route, args, raw, out, client).await;
            }
            Route::Unsupported => {
                let msg = format!(
                    "ERR ringcache: '{}' is not supported through the proxy",
                    spec.name
                );
                self.error(out, msg);
            }
        }
    }

    /// The backend index all `keys` share, or `Err` with the cross-backend error text.
    pub fn same_backend(
        &self,
        name: &str,
        args: &[Bytes],
        mut keys: impl Iterator<Item = usize>,
    ) -> Result<usize, String> {
        let backends = &self.proxy.backends;
        let Some(first) = keys.next() else {
            return Ok(0);
        };
        let b = backends.for_key(&args[first]).index;
        for k in keys {
            if backends.for_key(&args[k]).index != b {
                return Err(format!(
                    "ERR ringcache: the keys of '{name}' live on different backends; put them under one hash tag, e.g. {{user1}}.a and {{user1}}.b"
                ));
            }
        }
        Ok(b)
    }

    fn forward(
        &mut self,
        name: &str,
        args: &[Bytes],
        keys: impl Iterator<Item = usize>,
        raw: Bytes,
        out: &mut Reply,
    ) {
        match self.same_backend(name, args, keys) {
            Ok(b) => {
                let rx = self.proxy.backends.list[b].conn(out.resp3).send(raw);
                self.pending.push_back(Pending::Remote { rx, backend: b });
            }
            Err(e) => self.error(out, e),
        }
    }

    fn split(&mut self, kind: Split, args: &[Bytes], raw: Bytes, out: &mut Reply) {
        let step = if kind == Split::Mset { 2 } else { 1 };
        if kind == Split::Mset && !(args.len() - 1).is_multiple_of(2) {
            return self.error(out, errors::arity("mset"));
        }
        let backends = &self.proxy.backends;
        // Group key positions by backend, preserving the client's order inside each group.
        let mut groups: SmallVec<[(usize, SmallVec<[u32; 8]>); 4]> = SmallVec::new();
        for (n, i) in (1..args.len()).step_by(step).enumerate() {
            let b = backends.for_key(&args[i]).index;
            match groups.iter_mut().find(|(g, _)| *g == b) {
                Some((_, v)) => v.push(n as u32),
                None => groups.push((b, SmallVec::from_slice(&[n as u32]))),
            }
        }
        let keys = (args.len() - 1) / step;
        if groups.len() == 1 {
            // Every key on one backend: forward untouched (the common case with hash tags).
            let b = groups[0].0;
            let rx = backends.list[b].conn(out.resp3).send(raw);
            self.pending.push_back(Pending::Remote { rx, backend: b });
            return;
        }
        let mut parts = Vec::with_capacity(groups.len());
        for (b, positions) in groups {
            let mut req = BytesMut::new();
            let n = 1 + positions.len() * step;
            let items = positions.iter().flat_map(|&p| {
                let i = 1 + p as usize * step;
                args[i..i + step].iter().map(|a| &a[..])
            });
            encode_into(&mut req, n, std::iter::once(&args[0][..]).chain(items));
            let rx = backends.list[b].conn(out.resp3).send(req.freeze());
            parts.push(Part {
                rx,
                backend: b,
                positions,
            });
        }
        self.pending.push_back(Pending::Split { kind, parts, keys });
    }

    fn scan(&mut self, args: &[Bytes], out: &mut Reply) {
        let Some(cursor) = std::str::from_utf8(&args[1])
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        else {
            return self.error(out, "ERR invalid cursor");
        };
        let nb = self.proxy.backends.list.len();
        let (b, backend_cursor) = pending::split_scan_cursor(cursor, nb);
        let mut req = BytesMut::new();
        let c = itoa::Buffer::new()
            .format(backend_cursor)
            .as_bytes()
            .to_vec();
        encode_into(
            &mut req,
            args.len(),
            std::iter::once(&args[0][..])
                .chain(std::iter::once(&c[..]))
                .chain(args[2..].iter().map(|a| &a[..])),
        );
        let rx = self.proxy.backends.list[b]
            .conn(out.resp3)
            .send(req.freeze());
        self.pending.push_back(Pending::Scan { rx, backend: b });
    }
}

/// Does the command touch lock keys? `None`: no lock keys (route normally);
/// `Some(Ok)`: only lock keys (run the quorum path); `Some(Err)`: a mix, refused.
fn lock_keys(
    locks: &lock::Locks,
    spec: &command::CommandSpec,
    route: Route,
    args: &[Bytes],
) -> Option<Result<(), String>> {
    // Counted without collecting: this runs for every keyed request.
    let count = |keys: &mut dyn Iterator<Item = usize>| {
        keys.fold((0, 0), |(total, locked), i| {
            (total + 1, locked + locks.is_lock_key(&args[i]) as usize)
        })
    };
    let (total, locked) = match route {
        Route::Forward | Route::Split(_) => count(&mut spec.key_indexes(args.len())),
        Route::Blocking => count(&mut router::blocking_keys(spec, args).ok()?.into_iter()),
        Route::Movable(kind) => count(
            &mut router::routing_keys(kind, spec.name, args)
                .ok()?
                .into_iter(),
        ),
        _ => return None,
    };
    let all_locks = locked == total && matches!(route, Route::Forward | Route::Movable(_));
    match locked {
        0 => None,
        n if all_locks || (n == 1 && total == 1) => Some(Ok(())),
        _ => Some(Err(format!(
            "ERR ringcache: '{}' mixes lock keys with other keys (or several lock keys); locks are taken one key at a time",
            spec.name
        ))),
    }
}
