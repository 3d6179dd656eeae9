//! The `node` role: an in-memory cache server that answers like redis-server 7.0.
//!
//! ```text
//! accept loop (net) ──► client::serve ──► protocol::RequestDecoder ──► dispatch ──► cmd/<family>.rs
//!                              ▲                                          │ locks shards
//!                              └──────────── one write per batch ◄── Reply │ of db::Keyspace
//! ```
//! Background tasks: active expiry (`expire`) and the idle timeout (`idle`); eviction
//! runs inline before commands (`evict`).

pub mod affinity;
pub mod blocking;
pub mod client;
pub mod cmd;
pub mod command_stats;
pub mod db;
pub mod dispatch;
pub mod evict;
pub mod expire;
pub mod idle;
pub mod latency;
pub mod script_gate;
pub mod server;
pub mod settings;
pub mod slowlog;
pub mod types;

pub use server::Server;
pub use settings::Settings;

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Serve clients on `listener` until `shutdown` is cancelled; then stop accepting,
/// let connections finish their batch in flight, and return. Connections run on the
/// current runtime.
pub async fn run(server: Arc<Server>, listener: TcpListener, shutdown: CancellationToken) {
    run_on(server, listener, shutdown, None).await
}

/// [`run`], with connections spread over per-core event loops when `loops` is given
/// (the `ringcache node` binary; see `net::EventLoops`).
pub async fn run_on(
    server: Arc<Server>,
    listener: TcpListener,
    shutdown: CancellationToken,
    loops: Option<&crate::net::EventLoops>,
) {
    let expiry = tokio::spawn(expire::active_expire_loop(server.clone(), shutdown.clone()));
    let idle = tokio::spawn(idle::close_idle_clients_loop(
        server.clone(),
        shutdown.clone(),
    ));
    let (conn_server, conn_shutdown) = (server.clone(), shutdown.clone());
    crate::net::accept_loop(listener, shutdown, loops, move |stream| {
        client::serve(conn_server.clone(), stream, conn_shutdown.clone())
    })
    .await;
    let _ = expiry.await;
    let _ = idle.await;
}

/// A node running in the background of the current runtime (tests, `cluster`).
pub struct NodeHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state (tests reach into the keyspace, e.g. to move the clock).
    pub server: Arc<Server>,
    /// Cancel to shut it down.
    pub shutdown: CancellationToken,
    /// Finishes when the node has stopped.
    pub task: JoinHandle<()>,
}

impl NodeHandle {
    /// Stop the node and wait until it has.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}

/// Bind `settings.listen` (use `127.0.0.1:0` in tests) and start serving.
pub async fn spawn(settings: Settings) -> std::io::Result<NodeHandle> {
    let listener = TcpListener::bind(&settings.listen).await?;
    let addr = listener.local_addr()?;
    let server = Arc::new(Server::new(settings, addr.port()));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(server.clone(), listener, shutdown.clone()));
    Ok(NodeHandle {
        addr,
        server,
        shutdown,
        task,
    })
}
