//! Per-core event loops: N threads, each running its own single-threaded tokio
//! runtime. The accept loop hands every new connection to the next loop in turn, and
//! the connection lives there until it closes.
//!
//! Why not tokio's multi-threaded (work-stealing) runtime? A cache connection's work
//! is tiny — read a batch, run it, write the replies — so the scheduler's cross-thread
//! wake-ups and task migrations cost more than they balance: under redis-benchmark on
//! two cores the work-stealing runtime served unpipelined requests at ~0.8× of one
//! single-threaded loop. A loop per core keeps a connection's wake-ups on one thread
//! (no locks, no futex hand-offs) while every core still serves clients; the keyspace
//! is shared by all loops through its sharded mutexes.

use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// Running event loops. Dropping this stops them (after their tasks are dropped).
pub struct EventLoops {
    handles: Vec<Handle>,
    next: AtomicUsize,
    /// Dropping a sender ends its loop's `block_on`.
    _stop: Vec<oneshot::Sender<()>>,
}

impl EventLoops {
    /// Start `n` loops (at least one) on threads named `ringcache-loop-<i>`.
    pub fn start(n: usize) -> std::io::Result<Self> {
        let n = n.max(1);
        let mut handles = Vec::with_capacity(n);
        let mut stop = Vec::with_capacity(n);
        for i in 0..n {
            let rt = Builder::new_current_thread().enable_all().build()?;
            handles.push(rt.handle().clone());
            let (tx, rx) = oneshot::channel::<()>();
            stop.push(tx);
            std::thread::Builder::new()
                .name(format!("ringcache-loop-{i}"))
                .spawn(move || {
                    // Drives every task spawned on this loop until the sender drops.
                    let _ = rt.block_on(rx);
                })?;
        }
        Ok(EventLoops {
            handles,
            next: AtomicUsize::new(0),
            _stop: stop,
        })
    }

    /// Number of loops.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Always false: there is at least one loop.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// The loop the next connection goes to (round robin).
    pub fn next(&self) -> &Handle {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        &self.handles[i]
    }
}

/// The number of loops `threads` asks for: `0` means one per CPU core.
pub fn loop_count(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
}
