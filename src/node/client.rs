//! One client connection: read whatever bytes are available, run every complete
//! request in them, and write all the replies back with a single write.
//!
//! Between two batches a connection may move to another event loop, taking its
//! session and unread bytes along (see [`affinity`](super::affinity)).

use super::affinity::Affinity;
use super::blocking::{BlockState, Parked};
use super::command_stats::CommandTally;
use super::db::HeldShard;
use super::dispatch;
use super::server::{ClientInfo, Server};
use crate::net::Handover;
use crate::protocol::{errors, Reply, Request, RequestDecoder};
use bytes::{Bytes, BytesMut};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

/// Redis closes a client whose unparsed input exceeds 1 GB (`client-query-buffer-limit`).
pub const QUERY_BUFFER_LIMIT: usize = 1024 * 1024 * 1024;

/// Per-connection state that commands read and change.
pub struct Session {
    /// Registry entry (CLIENT LIST).
    pub info: Arc<ClientInfo>,
    /// AUTH passed (or no password set).
    pub authed: bool,
    /// Close after this batch's replies are written (QUIT).
    pub close: bool,
    /// Commands queued by MULTI; `None` outside a transaction.
    pub multi: Option<Vec<Request>>,
    /// A command failed to queue: EXEC must answer EXECABORT.
    pub multi_error: bool,
    /// WATCHed keys and what WATCH saw of each.
    pub watched: Vec<(Bytes, crate::node::db::WatchMark)>,
    /// BLPOP & co: a parked command, a retry in progress, or EXEC forbidding blocking.
    pub blocking: BlockState,
    /// Commands run and not yet added to the node-wide counters (see [`CommandTally`]).
    pub tally: CommandTally,
    /// The shards recent batches worked on: whether to move to another event loop.
    pub affinity: Affinity,
    /// The node's settings version the decoder's bulk limit was last taken from.
    pub bulk_limit_version: u64,
    /// The error this command replies was already counted in INFO's error stats (a
    /// script returning the error of a command it called).
    pub error_counted: bool,
}

impl Session {
    /// A new session for a registered client.
    pub fn new(info: Arc<ClientInfo>, authed: bool) -> Self {
        Session {
            info,
            authed,
            close: false,
            multi: None,
            multi_error: false,
            watched: Vec::new(),
            blocking: BlockState::default(),
            tally: CommandTally::default(),
            affinity: Affinity::default(),
            bulk_limit_version: u64::MAX,
            error_counted: false,
        }
    }
    /// Inside MULTI?
    pub fn in_multi(&self) -> bool {
        self.multi.is_some()
    }
    /// Queue a command for EXEC.
    pub fn queue(&mut self, args: &[Bytes]) {
        if let Some(q) = self.multi.as_mut() {
            q.push(args.iter().cloned().collect());
            self.info.state.lock().multi = Some(q.len());
        }
    }
    /// Remember that a command inside MULTI was rejected.
    pub fn flag_multi_error(&mut self) {
        if self.multi.is_some() {
            self.multi_error = true;
        }
    }
}

/// Serve one client until it quits, breaks the protocol, idles out, or the node shuts down.
pub async fn serve(server: Arc<Server>, mut stream: TcpStream, shutdown: CancellationToken) {
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let local = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let _ = stream.set_nodelay(true);
    let fd = {
        use std::os::fd::AsRawFd;
        stream.as_raw_fd()
    };
    // One token per connection, a child of `shutdown`: waiting on it touches only this
    // connection's state, where waiting on the shared shutdown token would take a lock
    // every connection shares, once per read.
    let Some(info) = server.register_client(peer, local, fd, shutdown.child_token()) else {
        let mut out = Reply::new();
        out.error(errors::MAX_CLIENTS);
        let _ = stream.write_all(&out.buf).await;
        return;
    };
    crate::metrics::connection(crate::metrics::Role::Node, true);
    let (bulk_limit, authed) = {
        let s = server.settings();
        (s.proto_max_bulk_len, s.requirepass.is_none())
    };
    let conn = Connection {
        session: Session::new(info, authed),
        decoder: RequestDecoder::new(bulk_limit),
        input: BytesMut::with_capacity(16 * 1024),
        out: Reply::new(),
    };
    serve_connection(server, stream, conn).await
}

/// What a registered connection keeps between reads, and takes along when it moves
/// to another event loop.
struct Connection {
    session: Session,
    decoder: RequestDecoder,
    /// Bytes read and not yet run (a partial request, or requests after a blocked one).
    input: BytesMut,
    /// Replies not yet written.
    out: Reply,
}

/// Serve a registered connection until it ends. Each time it is to move, this task
/// (the one the accept loop tracks) runs its next leg on the new event loop and waits
/// for it; the leg hands the connection back when it ends or is to move again, so one
/// leg at a time exists however often the connection moves.
async fn serve_connection(server: Arc<Server>, stream: TcpStream, mut conn: Connection) {
    let mut next = conn.serve_leg(&server, stream).await;
    while let Leg::MoveTo(home, handover) = next {
        server.stats.moves.fetch_add(1, Ordering::Relaxed);
        crate::metrics::connection_moved();
        tracing::debug!(
            client = conn.session.info.id,
            "moving to another event loop"
        );
        let s = server.clone();
        let leg = async move {
            let next = match handover.attach() {
                Ok(stream) => conn.serve_leg(&s, stream).await,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot register moved connection");
                    Leg::Ended
                }
            };
            (conn, next)
        };
        // `None`: the target loop is shutting down (the process is exiting), and the
        // connection went with it.
        let Some((back, after)) = crate::net::continue_on(&home, leg).await else {
            return;
        };
        (conn, next) = (back, after);
    }
    conn.close(&server).await;
}

/// How one leg of a connection (its time on one event loop) ended.
enum Leg {
    /// The connection is over.
    Ended,
    /// It is to go on on this event loop, with this socket (out of its old reactor).
    MoveTo(Handle, Handover),
}

impl Connection {
    /// Serve on this event loop until the connection ends or is to move.
    async fn serve_leg(&mut self, server: &Server, mut stream: TcpStream) -> Leg {
        let Some(home) = self.serve(server, &mut stream).await else {
            return Leg::Ended;
        };
        match Handover::detach(stream) {
            Ok(handover) => Leg::MoveTo(home, handover),
            Err(e) => {
                tracing::warn!(error = %e, "cannot move connection");
                Leg::Ended
            }
        }
    }

    /// Read, run, reply, until the connection is to close (`None`) or to move to the
    /// event loop returned (see [`affinity`](super::affinity)), its replies written.
    async fn serve(&mut self, server: &Server, stream: &mut TcpStream) -> Option<Handle> {
        let Connection {
            session,
            decoder,
            input,
            out,
        } = self;
        let kill = session.info.kill.clone();
        let mut seen_version = u64::MAX;
        let killed = kill.cancelled();
        tokio::pin!(killed);
        loop {
            let read = async {
                if input.capacity() - input.len() < 4096 {
                    input.reserve(16 * 1024);
                }
                stream.read_buf(input).await
            };
            session.info.awaiting_request.store(true, Ordering::Relaxed);
            let n = tokio::select! {
                _ = &mut killed => break,
                r = read => match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                },
            };
            session
                .info
                .awaiting_request
                .store(false, Ordering::Relaxed);
            session.info.touch();
            crate::net::busy_poll::served();
            // A password cleared while this connection waited lets its request in.
            follow_settings(server, session, &mut seen_version);
            server
                .stats
                .net_input
                .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            let mut broken = false;
            let mut end = run_buffered(server, session, decoder, input, out);
            loop {
                end = match end {
                    BatchEnd::Drained | BatchEnd::Close => break,
                    BatchEnd::Killed => return None,
                    BatchEnd::Broken => {
                        broken = true;
                        break;
                    }
                    BatchEnd::Parked(req, parked) => {
                        // The blocked command counts now, as in Redis, not when it ends.
                        session.tally.flush(server);
                        // Send what came before, then wait; later requests stay in `input`.
                        if !flush(server, stream, out, &kill).await {
                            server.db.blocked.remove(&parked.waiter);
                            broken = true;
                            break;
                        }
                        let mut io = Io {
                            stream,
                            input,
                            kill: &kill,
                        };
                        if !wait_blocked(server, session, &mut io, out, &req, parked).await {
                            broken = true;
                            break;
                        }
                        if session.close {
                            break;
                        }
                        run_buffered(server, session, decoder, input, out)
                    }
                    BatchEnd::WaitForScript(req) => {
                        session.affinity.contended();
                        // Send what came before; later requests stay in `input`.
                        if !flush(server, stream, out, &kill).await {
                            broken = true;
                            break;
                        }
                        tokio::select! {
                            _ = kill.cancelled() => {
                                broken = true;
                                break;
                            }
                            _ = server.scripts.finished() => {}
                        }
                        match dispatch::resume(server, session, out, &req) {
                            dispatch::Dispatched::WaitForScript => BatchEnd::WaitForScript(req),
                            dispatch::Dispatched::Done => after_command(session, req)
                                .unwrap_or_else(|| {
                                    run_buffered(server, session, decoder, input, out)
                                }),
                        }
                    }
                };
            }
            if input.len() > QUERY_BUFFER_LIMIT {
                broken = true;
            }
            session.tally.flush(server);
            if !out.is_empty() {
                let_ready_connections_run_first().await;
            }
            if !flush(server, stream, out, &kill).await {
                break;
            }
            if broken || session.close {
                break;
            }
            session.info.touch();
            if let Some(home) = session.affinity.end_batch().and_then(crate::net::home_loop) {
                return Some(home);
            }
        }
        None
    }

    /// The connection is gone: drop what the node keeps for it.
    async fn close(mut self, server: &Server) {
        let session = &mut self.session;
        session.tally.flush(server);
        if !session.watched.is_empty() {
            server.scripts.finished().await; // unwatching locks the watched keys' shards
        }
        super::cmd::transactions::unwatch_all(server, session);
        server.unregister_client(session.info.id);
        crate::metrics::connection(crate::metrics::Role::Node, false);
    }
}

/// How a run over the buffered requests ended.
enum BatchEnd {
    /// Every complete request ran; wait for more input.
    Drained,
    /// QUIT: write the replies, then close.
    Close,
    /// A protocol error, its reply already in `out`: write the replies, then close.
    Broken,
    /// CLIENT KILL from another connection: close now, the replies not yet written
    /// dropped (Redis frees the client, output buffer and all).
    Killed,
    /// A blocking command found nothing to take: send the replies so far, then wait
    /// for it (the requests after it stay in `input`).
    Parked(Request, Parked),
    /// A script holds the keyspace: send the replies so far, wait for the script to
    /// end, then run this request (the requests after it stay in `input`).
    WaitForScript(Request),
}

/// How the batch goes on after `req` ran: `None` to the next request.
fn after_command(session: &mut Session, req: Request) -> Option<BatchEnd> {
    if let Some(parked) = session.blocking.parked.take() {
        return Some(BatchEnd::Parked(req, parked));
    }
    session.close.then_some(BatchEnd::Close)
}

/// Run every complete request in `input`, in order, appending the replies to `out`.
///
/// Synchronous on purpose: consecutive commands on one shard share its lock
/// ([`HeldShard`]), and that lock must never be held across an `.await`. It is
/// dropped when this returns.
fn run_buffered(
    server: &Server,
    session: &mut Session,
    decoder: &mut RequestDecoder,
    input: &mut BytesMut,
    out: &mut Reply,
) -> BatchEnd {
    let mut held = HeldShard::default();
    run_batch(server, session, decoder, input, out, &mut held)
}

/// [`run_buffered`]'s loop, with the batch's shard lock.
fn run_batch<'a>(
    server: &'a Server,
    session: &mut Session,
    decoder: &mut RequestDecoder,
    input: &mut BytesMut,
    out: &mut Reply,
    held: &mut HeldShard<'a>,
) -> BatchEnd {
    loop {
        if session.info.is_killed() {
            return BatchEnd::Killed;
        }
        // CONFIG SET proto-max-bulk-len applies from the next request on, also to
        // requests already in the buffer (Redis parses each after running the one
        // before it); a changed limit drops what was parsed ahead.
        if server.settings_version() != session.bulk_limit_version {
            session.bulk_limit_version = server.settings_version();
            decoder.set_max_bulk_len(server.settings().proto_max_bulk_len);
        }
        if session.authed && decoder.nothing_ahead() {
            prefetch_ahead(server, decoder, input);
        }
        match decoder.decode(input, session.authed) {
            Ok(Some(req)) => match dispatch::dispatch(server, session, out, &req, held) {
                dispatch::Dispatched::WaitForScript => return BatchEnd::WaitForScript(req),
                dispatch::Dispatched::Done => {
                    if let Some(end) = after_command(session, req) {
                        return end;
                    }
                }
            },
            Ok(None) => return BatchEnd::Drained,
            Err(e) => {
                dispatch::reply_error(server, out, &e.0);
                return BatchEnd::Broken;
            }
        }
    }
}

/// Parse the next pipelined requests in `input` ahead (the decoder keeps the parses)
/// and start loading their keys (and the hash fields and set members they name) into
/// cache (see `Db::prefetch`): by the time each runs, its lookup finds its cache lines
/// there or on their way. Only for authenticated clients: nothing a stranger sends is
/// worth work before AUTH.
fn prefetch_ahead(server: &Server, decoder: &mut RequestDecoder, input: &[u8]) {
    use crate::node::db::{Upcoming, PREFETCH_GROUP};
    let mut lookups: smallvec::SmallVec<[Upcoming<'_>; PREFETCH_GROUP]> = smallvec::SmallVec::new();
    decoder.peek_keys(input, PREFETCH_GROUP, |key, field| {
        lookups.push(Upcoming { key, field })
    });
    server.db.prefetch(&lookups);
}

/// Step back once behind the connections of this event loop that are ready to run, so
/// that the loop writes its replies together at the end of its turn, as redis-server
/// does in `beforeSleep`. Writing each connection's replies as soon as they are made
/// wakes the client once per connection: redis-benchmark -c 50 -P 16 context-switched
/// ~12,000 times per 400k requests against the node (against redis-server ~1,000), and
/// the node spent 12 % of its CPU in the kernel's wake-up path.
///
/// Not `tokio::task::yield_now`: that waits for the runtime's next I/O poll, one more
/// `epoll_wait` per request for a lone connection. Waking itself puts the task at the
/// back of the loop's (single-threaded) run queue, behind the tasks already woken.
async fn let_ready_connections_run_first() {
    let mut stepped_back = false;
    std::future::poll_fn(|cx| {
        if stepped_back {
            return std::task::Poll::Ready(());
        }
        stepped_back = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await
}

/// Apply CONFIG SET changes that concern open connections, when there were any since
/// `seen_version`: `requirepass` cleared authenticates every connection, as in Redis
/// (a password set later does not log them out, also as in Redis). proto-max-bulk-len
/// applies too (see `run_batch`), and `timeout` is the idle sweep's (`node::idle`).
fn follow_settings(server: &Server, session: &mut Session, seen_version: &mut u64) {
    let version = server.settings_version();
    if version == *seen_version {
        return;
    }
    *seen_version = version;
    if server.settings().requirepass.is_none() {
        session.authed = true;
    }
}

/// Write the replies gathered so far; false if the connection is gone.
async fn flush(
    server: &Server,
    stream: &mut TcpStream,
    out: &mut Reply,
    kill: &CancellationToken,
) -> bool {
    if out.is_empty() {
        return true;
    }
    server
        .stats
        .net_output
        .fetch_add(out.len() as u64, std::sync::atomic::Ordering::Relaxed);
    // The write first: it nearly always completes at once, and then the kill token
    // is never polled (polling it takes its lock). A client that does not read keeps
    // the write pending; CLIENT KILL or shutdown still ends it.
    let written = tokio::select! {
        biased;
        r = stream.write_all(&out.buf) => r.is_ok(),
        _ = kill.cancelled() => false,
    };
    if !written {
        return false;
    }
    out.buf.clear();
    true
}

/// The connection's I/O while a command is blocked.
struct Io<'a> {
    stream: &'a mut TcpStream,
    input: &'a mut BytesMut,
    kill: &'a CancellationToken,
}

/// Wait for a parked command: woken → run it again (reply, or back to sleep if another
/// client took the data); deadline → null array. Meanwhile keep reading the socket (as
/// Redis does) so a client that closes is noticed, but run nothing it sent. No lock is
/// held while waiting. Returns false if the connection must close.
async fn wait_blocked(
    server: &Server,
    session: &mut Session,
    io: &mut Io<'_>,
    out: &mut Reply,
    req: &Request,
    parked: Parked,
) -> bool {
    let Parked { waiter, deadline } = parked;
    session.info.state.lock().blocked = true;
    let open = loop {
        let timer = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        let read = async {
            if io.input.capacity() - io.input.len() < 4096 {
                io.input.reserve(16 * 1024);
            }
            io.stream.read_buf(io.input).await
        };
        tokio::select! {
            _ = io.kill.cancelled() => break false,
            _ = timer => {
                out.null_array();
                break true;
            }
            _ = waiter.notified() => {
                // If a script's write woke us, it may still hold the keyspace.
                server.scripts.finished().await;
                session.blocking.rerun = Some(waiter.clone());
                dispatch::rerun(server, session, out, req);
                session.blocking.rerun = None;
                if session.blocking.parked.take().is_none() {
                    break true;
                }
            }
            r = read => match r {
                Ok(n) if n > 0 => {
                    server
                        .stats
                        .net_input
                        .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                    if io.input.len() > QUERY_BUFFER_LIMIT {
                        break false;
                    }
                }
                _ => break false,
            },
        }
    };
    server.db.blocked.remove(&waiter);
    session.info.state.lock().blocked = false;
    open
}
