//! Dedicated backend connections, checked out of a `deadpool` pool only for what
//! cannot share a multiplexed connection: MULTI/EXEC with WATCH, and blocking pops.

use super::backend::{connect, read_reply, ConnOptions};
use bytes::{Bytes, BytesMut};
use deadpool::managed::{self, Metrics, RecycleResult};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A connection owned by one session until it is returned.
pub struct DedicatedConn {
    stream: TcpStream,
    buf: BytesMut,
    /// Set when the connection may be in a bad state (error mid-transaction, timeout):
    /// the pool then drops it instead of reusing it.
    pub broken: bool,
}

impl DedicatedConn {
    /// Send a raw request and wait for its reply. Until the reply is read the
    /// connection counts as broken, so a call given up midway (a blocked client that
    /// left) never hands its late reply to the connection's next user: the pool drops
    /// the connection, and the backend forgets the request with it.
    pub async fn call(&mut self, req: &[u8]) -> Result<Bytes, String> {
        let was_broken = std::mem::replace(&mut self.broken, true);
        let r = async {
            self.stream
                .write_all(req)
                .await
                .map_err(|e| e.to_string())?;
            read_reply(&mut self.stream, &mut self.buf).await
        }
        .await;
        self.broken = was_broken || r.is_err();
        r
    }
}

/// Creates and checks dedicated connections.
pub struct Manager {
    opts: ConnOptions,
}

impl managed::Manager for Manager {
    type Type = DedicatedConn;
    type Error = String;

    async fn create(&self) -> Result<DedicatedConn, String> {
        let stream = connect(&self.opts).await?;
        Ok(DedicatedConn {
            stream,
            buf: BytesMut::with_capacity(4096),
            broken: false,
        })
    }

    async fn recycle(&self, conn: &mut DedicatedConn, _: &Metrics) -> RecycleResult<String> {
        if conn.broken || !conn.buf.is_empty() {
            return Err(managed::RecycleError::message(
                "connection left in an unknown state",
            ));
        }
        Ok(())
    }
}

/// A checked-out dedicated connection; returns to the pool on drop.
pub type Dedicated = managed::Object<Manager>;

/// The pool of one backend (per protocol version).
pub struct DedicatedPool {
    pool: managed::Pool<Manager>,
}

impl DedicatedPool {
    /// A pool that opens connections on demand (at most 64 at once).
    pub fn new(opts: ConnOptions) -> Self {
        let pool = managed::Pool::builder(Manager { opts })
            .max_size(64)
            .build()
            .expect("pool without timeouts needs no runtime");
        DedicatedPool { pool }
    }

    /// Check a connection out.
    pub async fn get(&self) -> Result<Dedicated, String> {
        self.pool.get().await.map_err(|e| match e {
            managed::PoolError::Backend(e) => e,
            other => other.to_string(),
        })
    }
}
