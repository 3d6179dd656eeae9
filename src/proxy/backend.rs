//! One multiplexed connection to a backend: requests from every client session are
//! queued on it, written in batches (one `write` for whatever is queued), and replies
//! are matched to requests first-in first-out — so there is no checkout per command
//! and the backend sees few, busy connections.
//!
//! The connection is a single task. Sessions hand it a [`Job`] (the request's raw
//! bytes and a oneshot for the reply) through an unbounded channel. The task connects
//! lazily, fails every in-flight request with a clear [`BackendError`] when the
//! connection breaks or a reply is later than `timeout`, and reconnects on the next
//! request after a short back-off.

use crate::protocol::frame::reply_len;
use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// What a backend answered (the raw RESP reply), or why it could not.
pub type BackendResult = Result<Bytes, BackendError>;

/// Why a request got no reply from its backend. The session turns it into
/// `-ERR ringcache: backend <name> <reason>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// No reply within the configured `timeout`.
    #[error("timed out")]
    Timeout,
    /// Could not connect (or the handshake failed).
    #[error("is unreachable ({0})")]
    Unreachable(Arc<str>),
    /// The connection broke with requests in flight.
    #[error("connection lost ({0})")]
    Lost(Arc<str>),
    /// The backend sent bytes that are not RESP.
    #[error("sent an invalid reply")]
    Protocol,
    /// The backend was taken out of the ring after repeated failures.
    #[error("is ejected")]
    Ejected,
}

impl BackendError {
    /// A short fixed label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            BackendError::Timeout => "timeout",
            BackendError::Unreachable(_) => "unreachable",
            BackendError::Lost(_) => "lost",
            BackendError::Protocol => "protocol",
            BackendError::Ejected => "ejected",
        }
    }
}

/// One request for a backend.
pub struct Job {
    /// The request, already RESP-encoded.
    pub req: Bytes,
    /// Where the reply goes.
    pub reply: oneshot::Sender<BackendResult>,
}

/// How to reach and greet a backend.
#[derive(Debug, Clone)]
pub struct ConnOptions {
    /// `host:port`.
    pub addr: String,
    /// Sent as `AUTH` on connect.
    pub password: Option<String>,
    /// Send `HELLO 3` on connect (connections serving RESP3 clients).
    pub resp3: bool,
    /// Per-request reply deadline (also bounds connect + handshake).
    pub timeout: Duration,
}

/// Consecutive failures of a backend, read by the ejection logic, and how often its
/// connections were re-established (read by the lock restart watcher).
#[derive(Debug, Default)]
pub struct Health {
    failures: AtomicU32,
    reconnects: AtomicU64,
}

impl Health {
    /// Record a failure; returns the new count of consecutive failures.
    pub fn failure(&self) -> u32 {
        self.failures.fetch_add(1, Ordering::Relaxed) + 1
    }
    /// A reply arrived: the backend works.
    #[inline]
    pub fn success(&self) {
        if self.failures.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
        }
    }
    /// Current count of consecutive failures.
    pub fn failures(&self) -> u32 {
        self.failures.load(Ordering::Relaxed)
    }
    /// How many times a connection task of this backend connected again after it had
    /// been connected before (the first connection of each task is not counted). The
    /// count is raised before anything is sent on the new connection, so a reply read
    /// while the count is still `n` did not come over a connection opened after `n`.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::SeqCst)
    }
    fn reconnected(&self) {
        self.reconnects.fetch_add(1, Ordering::SeqCst);
    }
}

/// Cheap, cloneable handle to one multiplexed backend connection.
#[derive(Clone)]
pub struct Conn {
    tx: mpsc::UnboundedSender<Job>,
}

/// Stop taking new requests into the write buffer above this many bytes, so a slow
/// backend applies back-pressure instead of growing memory without bound.
const WRITE_HIGH_WATER: usize = 4 << 20;
/// Wait this long after a failed connect before trying again (requests meanwhile fail fast).
const RECONNECT_BACKOFF: Duration = Duration::from_millis(100);

impl Conn {
    /// Start the connection's task. It connects on the first request.
    pub fn spawn(opts: ConnOptions, health: Arc<Health>) -> Conn {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(opts, rx, health));
        Conn { tx }
    }

    /// Queue a request; the receiver yields its reply.
    #[inline]
    pub fn send(&self, req: Bytes) -> oneshot::Receiver<BackendResult> {
        let (reply, rx) = oneshot::channel();
        if let Err(mpsc::error::SendError(job)) = self.tx.send(Job { req, reply }) {
            let _ = job
                .reply
                .send(Err(BackendError::Lost("proxy shutting down".into())));
        }
        rx
    }
}

async fn run(opts: ConnOptions, mut rx: mpsc::UnboundedReceiver<Job>, health: Arc<Health>) {
    let mut retry_at: Option<Instant> = None;
    let mut connected_before = false;
    while let Some(first) = rx.recv().await {
        if retry_at.is_some_and(|t| Instant::now() < t) {
            fail_queued(
                first,
                &mut rx,
                BackendError::Unreachable("reconnecting".into()),
            );
            continue;
        }
        let stream = match connect(&opts).await {
            Ok(s) => s,
            Err(why) => {
                health.failure();
                tracing::warn!(backend = %opts.addr, error = %why, "backend connect failed");
                retry_at = Some(Instant::now() + RECONNECT_BACKOFF);
                fail_queued(first, &mut rx, BackendError::Unreachable(why.into()));
                continue;
            }
        };
        retry_at = None;
        if connected_before {
            // the process behind the address may have changed: tell the lock watcher
            health.reconnected();
        }
        connected_before = true;
        let mut pending = VecDeque::new();
        let err = serve(stream, first, &mut rx, &opts, &health, &mut pending).await;
        if let Some(err) = err {
            health.failure();
            tracing::warn!(backend = %opts.addr, error = %err, in_flight = pending.len(), "backend connection failed");
            for (tx, _) in pending.drain(..) {
                let _ = tx.send(Err(err.clone()));
            }
        } else {
            return; // every handle dropped: the proxy is shutting down
        }
    }
}

fn fail_queued(first: Job, rx: &mut mpsc::UnboundedReceiver<Job>, err: BackendError) {
    let _ = first.reply.send(Err(err.clone()));
    while let Ok(job) = rx.try_recv() {
        let _ = job.reply.send(Err(err.clone()));
    }
}

type Pending = VecDeque<(oneshot::Sender<BackendResult>, Instant)>;

/// Pump requests and replies over one live connection until it fails (`Some(err)`)
/// or every sender is gone (`None`).
async fn serve(
    mut stream: TcpStream,
    first: Job,
    rx: &mut mpsc::UnboundedReceiver<Job>,
    opts: &ConnOptions,
    health: &Health,
    pending: &mut Pending,
) -> Option<BackendError> {
    let (mut rd, mut wr) = stream.split();
    let mut wbuf = BytesMut::with_capacity(16 * 1024);
    let mut rbuf = BytesMut::with_capacity(64 * 1024);
    let enqueue = |job: Job, wbuf: &mut BytesMut, pending: &mut Pending| {
        wbuf.extend_from_slice(&job.req);
        pending.push_back((job.reply, Instant::now()));
    };
    enqueue(first, &mut wbuf, pending);
    let period = (opts.timeout / 4).clamp(Duration::from_millis(5), Duration::from_secs(1));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            biased;
            r = rd.read_buf(&mut rbuf) => {
                match r {
                    Ok(0) => return Some(BackendError::Lost("closed by backend".into())),
                    Err(e) => return Some(BackendError::Lost(e.to_string().into())),
                    Ok(_) => {}
                }
                loop {
                    match reply_len(&rbuf) {
                        Ok(Some(n)) => {
                            let reply = rbuf.split_to(n).freeze();
                            match pending.pop_front() {
                                Some((tx, _)) => { let _ = tx.send(Ok(reply)); }
                                None => return Some(BackendError::Protocol),
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return Some(BackendError::Protocol),
                    }
                }
                health.success();
                if rbuf.capacity() - rbuf.len() < 8 * 1024 {
                    rbuf.reserve(64 * 1024);
                }
            }
            r = wr.write(&wbuf), if !wbuf.is_empty() => match r {
                Ok(n) => wbuf.advance(n),
                Err(e) => return Some(BackendError::Lost(e.to_string().into())),
            },
            job = rx.recv(), if wbuf.len() < WRITE_HIGH_WATER => match job {
                None => return None,
                Some(job) => {
                    enqueue(job, &mut wbuf, pending);
                    // Let every session the same I/O turn woke run first, so their
                    // requests share this write: without the yield, a turn that also
                    // woke this task (replies arrived) split its requests over two
                    // writes — and two reads and writes on the backend.
                    tokio::task::yield_now().await;
                    while wbuf.len() < WRITE_HIGH_WATER {
                        match rx.try_recv() {
                            Ok(job) => enqueue(job, &mut wbuf, pending),
                            Err(_) => break,
                        }
                    }
                }
            },
            _ = tick.tick(), if !pending.is_empty() => {
                if pending.front().is_some_and(|(_, t)| t.elapsed() > opts.timeout) {
                    return Some(BackendError::Timeout);
                }
            }
        }
    }
}

/// Connect and greet (AUTH, HELLO 3) within the timeout.
pub async fn connect(opts: &ConnOptions) -> Result<TcpStream, String> {
    let fut = async {
        let mut s = TcpStream::connect(&opts.addr)
            .await
            .map_err(|e| e.to_string())?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        if let Some(pw) = &opts.password {
            let reply = call(&mut s, &[b"AUTH", pw.as_bytes()]).await?;
            if reply.first() != Some(&b'+') {
                return Err(format!(
                    "AUTH failed: {}",
                    String::from_utf8_lossy(&reply).trim_end()
                ));
            }
        }
        if opts.resp3 {
            let reply = call(&mut s, &[b"HELLO", b"3"]).await?;
            if crate::protocol::frame::is_error(&reply) {
                return Err(format!(
                    "HELLO 3 failed: {}",
                    String::from_utf8_lossy(&reply).trim_end()
                ));
            }
        }
        Ok(s)
    };
    match tokio::time::timeout(opts.timeout.max(Duration::from_millis(100)), fut).await {
        Ok(r) => r,
        Err(_) => Err("connect timed out".into()),
    }
}

/// Send one command on a plain connection and read its whole reply (handshakes and
/// dedicated connections; not the multiplexed path).
pub async fn call(s: &mut TcpStream, args: &[&[u8]]) -> Result<Bytes, String> {
    s.write_all(&encode(args))
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = BytesMut::with_capacity(1024);
    read_reply(s, &mut buf).await
}

/// Read one complete reply from `s`, buffering in `buf` (left-over bytes stay there).
pub async fn read_reply(s: &mut TcpStream, buf: &mut BytesMut) -> Result<Bytes, String> {
    loop {
        if let Some(n) = reply_len(buf).map_err(|e| e.to_string())? {
            return Ok(buf.split_to(n).freeze());
        }
        if s.read_buf(buf).await.map_err(|e| e.to_string())? == 0 {
            return Err("closed by backend".into());
        }
    }
}

/// RESP-encode a command.
pub fn encode(args: &[&[u8]]) -> Bytes {
    let mut out = BytesMut::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    encode_into(&mut out, args.len(), args.iter().copied());
    out.freeze()
}

/// RESP-encode `n` arguments into `out`.
pub fn encode_into<'a>(out: &mut BytesMut, n: usize, args: impl Iterator<Item = &'a [u8]>) {
    let mut f = itoa::Buffer::new();
    out.extend_from_slice(b"*");
    out.extend_from_slice(f.format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in args {
        out.extend_from_slice(b"$");
        out.extend_from_slice(f.format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}
