//! The idle timeout (`timeout`): a sweep over the clients, as Redis's `clientsCron`,
//! closes those idle for longer than the limit.
//!
//! A sweep rather than a timer on each connection's read: a `CONFIG SET timeout`
//! then reaches connections that were already waiting (a timer armed before the
//! change would keep the old limit until the client spoke again), and a read costs
//! no timer.

use super::server::Server;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the clients are checked: a client is closed at most this long after
/// its limit.
const PERIOD: Duration = Duration::from_millis(100);

/// Close idle clients every [`PERIOD`] until `shutdown`.
pub async fn close_idle_clients_loop(server: Arc<Server>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        close_idle_clients(&server);
    }
}

/// Close the clients idle for longer than `timeout` seconds (none when it is 0);
/// returns how many. Only clients waiting for their next request are closed: not
/// those blocked on keys (their command has a timeout of its own, as in Redis), nor
/// those running a batch or a script or still writing its replies (Redis counts a
/// write as activity).
pub fn close_idle_clients(server: &Server) -> usize {
    let limit_ms = server.settings().timeout_secs.saturating_mul(1000);
    if limit_ms == 0 {
        return 0;
    }
    let mut closed = 0;
    for client in server.clients.lock().values() {
        let waiting = client.awaiting_request.load(Ordering::Relaxed);
        if waiting && client.idle_ms() > limit_ms && !client.is_killed() {
            client.kill_now();
            closed += 1;
        }
    }
    closed
}
