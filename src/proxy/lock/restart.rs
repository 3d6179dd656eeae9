//! Restart detection for lock backends. A backend without persistence forgets its
//! locks when it restarts; Redlock stays safe only if such a node does not vote until
//! every lock it might have held has expired. The proxy polls each member's `run_id`
//! (`INFO server`); a changed id, or a member that was unreachable, is quarantined for
//! `restart_quarantine`.

use super::super::Proxy;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often members are polled.
pub const POLL: Duration = Duration::from_millis(250);

/// Poll lock members until shutdown.
pub async fn watch(proxy: Arc<Proxy>, shutdown: CancellationToken) {
    let Some(locks) = proxy.locks.as_ref() else {
        return;
    };
    let mut last: Vec<Option<String>> = vec![None; locks.members.len()];
    let mut down: Vec<bool> = vec![false; locks.members.len()];
    let mut tick = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        for (pos, &b) in locks.members.iter().enumerate() {
            let rx = proxy.backends.list[b]
                .conn(false)
                .send(Bytes::from_static(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"));
            let run_id = match tokio::time::timeout(POLL.max(locks.node_timeout * 4), rx).await {
                Ok(Ok(Ok(reply))) => parse_run_id(&reply),
                _ => None,
            };
            match run_id {
                None => down[pos] = true,
                Some(id) => {
                    let restarted = last[pos].as_ref().is_some_and(|old| *old != id);
                    if restarted || down[pos] {
                        tracing::warn!(backend = %proxy.backends.list[b].name, restarted, "lock backend came back: quarantined from lock quorums");
                        locks.quarantine(pos);
                        metrics::counter!(crate::metrics::LOCK_QUARANTINES, "backend" => proxy.backends.list[b].name.clone()).increment(1);
                    }
                    down[pos] = false;
                    last[pos] = Some(id);
                }
            }
        }
    }
}

fn parse_run_id(reply: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(reply).ok()?;
    let line = text.lines().find(|l| l.starts_with("run_id:"))?;
    Some(line["run_id:".len()..].trim().to_string())
}
