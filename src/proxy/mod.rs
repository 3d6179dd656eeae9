//! The `proxy` role: speaks RESP to clients and spreads their keys over backend
//! servers (ringcache nodes or any RESP server) by consistent hashing.
//!
//! ```text
//! client ─► session (decode batch) ─► router (route per command id) ─► backends
//!                ▲                                        │ multiplexed, pipelined conns
//!                └── replies in request order ◄── pending ◄┘ (FIFO reply matching)
//! ```
//! Placement (which backend owns a key) is kept apart from I/O in [`ring`], so it can
//! be verified bit for bit against twemproxy without sockets. MULTI/EXEC and blocking
//! commands use dedicated connections from a `deadpool` pool ([`pool`], [`tx`]).

pub mod backend;
pub mod backends;
pub mod local;
pub mod lock;
pub mod pending;
pub mod pool;
pub mod ring;
pub mod router;
pub mod session;
pub mod tx;

use crate::config::ProxyConfig;
use backends::Backends;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// State shared by all sessions of one proxy.
pub struct Proxy {
    /// The backends and the ring over them.
    pub backends: Backends,
    /// The lock group (None when no key prefix marks lock keys).
    pub locks: Option<lock::Locks>,
    /// Password clients must give (None = open).
    pub requirepass: Option<Vec<u8>>,
    /// Most simultaneous clients.
    pub maxclients: usize,
    /// Bound port.
    pub port: u16,
    /// Start time.
    pub started: Instant,
    /// Start time, Unix seconds.
    pub started_unix: u64,
    /// Random id, new each start.
    pub run_id: String,
    /// Open backend connections at startup instead of on first use.
    pub preconnect: bool,
    clients: AtomicUsize,
    next_id: AtomicU64,
}

impl Proxy {
    /// Build from a validated config (no sockets are opened until first use).
    pub fn new(cfg: &ProxyConfig, port: u16) -> Result<Proxy, String> {
        Ok(Proxy {
            backends: Backends::new(cfg)?,
            locks: (!cfg.locks.key_prefixes.is_empty())
                .then(|| lock::Locks::new(&cfg.locks, cfg.lock_group())),
            requirepass: cfg.requirepass.as_ref().map(|p| p.clone().into_bytes()),
            maxclients: cfg.maxclients as usize,
            port,
            started: Instant::now(),
            started_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            run_id: (0..40)
                .map(|_| char::from_digit(rand::random::<u32>() % 16, 16).expect("hex"))
                .collect(),
            preconnect: cfg.preconnect,
            clients: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
        })
    }

    /// Admit a client (None when `maxclients` is reached); returns its id.
    pub fn register_client(&self) -> Option<u64> {
        if self.clients.fetch_add(1, Ordering::Relaxed) >= self.maxclients {
            self.clients.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// A client left.
    pub fn unregister_client(&self) {
        self.clients.fetch_sub(1, Ordering::Relaxed);
    }

    /// Connected clients.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }
}

/// Serve clients on `listener` until `shutdown` is cancelled.
pub async fn run(proxy: Arc<Proxy>, listener: TcpListener, shutdown: CancellationToken) {
    if proxy.preconnect {
        for b in &proxy.backends.list {
            b.preconnect();
        }
    }
    let health = tokio::spawn(readmit_loop(proxy.clone(), shutdown.clone()));
    let (first_poll, first_poll_done) = tokio::sync::oneshot::channel();
    let restarts = tokio::spawn(lock::restart::watch(
        proxy.clone(),
        shutdown.clone(),
        first_poll,
    ));
    // Serve nobody before the watcher has read every lock member's run_id (or found it
    // down): a member restarted before that first read would otherwise look like its
    // first process and vote with empty fence counters. Bounded by the poll timeouts;
    // without locks the sender is dropped at once.
    let _ = first_poll_done.await;
    let (conn_proxy, conn_shutdown) = (proxy.clone(), shutdown.clone());
    crate::net::accept_loop(listener, shutdown, None, move |stream| {
        session::serve(conn_proxy.clone(), stream, conn_shutdown.clone())
    })
    .await;
    let _ = health.await;
    let _ = restarts.await;
}

/// Put ejected backends back into the ring when their retry time comes.
async fn readmit_loop(proxy: Arc<Proxy>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => proxy.backends.readmit_due(),
        }
    }
}

/// A proxy running in the background (tests, `cluster`).
pub struct ProxyHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state.
    pub proxy: Arc<Proxy>,
    /// Cancel to stop it.
    pub shutdown: CancellationToken,
    /// Ends when it has stopped.
    pub task: JoinHandle<()>,
}

impl ProxyHandle {
    /// Stop and wait.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}

/// Bind `cfg.listen` (use `127.0.0.1:0` in tests) and start serving.
pub async fn spawn(cfg: &ProxyConfig) -> std::io::Result<ProxyHandle> {
    let listener = TcpListener::bind(&cfg.listen).await?;
    let addr = listener.local_addr()?;
    let proxy = Arc::new(Proxy::new(cfg, addr.port()).map_err(std::io::Error::other)?);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(proxy.clone(), listener, shutdown.clone()));
    Ok(ProxyHandle {
        addr,
        proxy,
        shutdown,
        task,
    })
}
