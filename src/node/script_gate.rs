//! Keeping the node responsive while a Lua script runs.
//!
//! A script holds every shard lock until it ends (up to the script time limit), so a
//! command that tried to lock a shard meanwhile would block its event-loop thread on a
//! mutex, and with it every other connection of that loop, SCRIPT KILL included (and,
//! for the active-expiry task, the accept loop). Instead, dispatch checks this gate
//! first: while a script runs, commands that need the keyspace wait for it
//! asynchronously ([`ScriptGate::finished`]) and their loop keeps serving the rest.
//!
//! The check is one atomic load per command, on a line written only when a script
//! starts or ends (or a command starts waiting for one). It can still race with a
//! script that starts right after the check; the command then waits on the mutex as
//! before, which costs responsiveness, never correctness.

use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Notify;

/// How many scripts are running (scripts take every shard, so they run one at a time,
/// but two may have announced themselves while one waits for the other's locks) and
/// who waits for them to end.
#[derive(Default)]
#[repr(align(128))]
pub struct ScriptGate {
    running: AtomicUsize,
    done: Notify,
}

/// A script is running until this is dropped.
pub struct ScriptRunning<'a> {
    gate: &'a ScriptGate,
    /// New connections go to other event loops meanwhile (this one is stalled).
    _stalled: crate::net::LoopStalled,
}

impl ScriptGate {
    /// Is a script running right now?
    #[inline]
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire) != 0
    }

    /// Mark a script as running, before it locks the keyspace.
    pub fn enter(&self) -> ScriptRunning<'_> {
        // Stall the loop first: whoever sees the script running (the accept loop,
        // tests) also sees its loop stalled.
        let stalled = crate::net::LoopStalled::current();
        self.running.fetch_add(1, Ordering::SeqCst);
        ScriptRunning {
            gate: self,
            _stalled: stalled,
        }
    }

    /// Wait until no script is running.
    pub async fn finished(&self) {
        loop {
            let done = self.done.notified();
            tokio::pin!(done);
            // Register before looking, so a script ending in between still wakes us.
            done.as_mut().enable();
            if !self.is_running() {
                return;
            }
            done.await;
        }
    }
}

impl Drop for ScriptRunning<'_> {
    fn drop(&mut self) {
        if self.gate.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.gate.done.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waiters_wake_when_the_script_ends() {
        let gate = std::sync::Arc::new(ScriptGate::default());
        gate.finished().await; // idle: returns at once
        let running = gate.enter();
        assert!(gate.is_running());
        let g = gate.clone();
        let waiter = tokio::spawn(async move { g.finished().await });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(running);
        tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("woken")
            .expect("no panic");
        assert!(!gate.is_running());
    }
}
