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
//!
//! A loop can be stalled: a node runs a Lua script synchronously on its loop, for up
//! to the script time limit. While it is ([`LoopStalled`]), new connections go to the
//! other loops, so a client can still connect and send SCRIPT KILL.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// Running event loops. Dropping this stops them (after their tasks are dropped).
pub struct EventLoops {
    handles: Vec<Handle>,
    /// Per loop: stalled by a long synchronous job (see [`LoopStalled`]).
    stalled: Vec<Arc<AtomicBool>>,
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
        let mut stalled = Vec::with_capacity(n);
        for i in 0..n {
            let rt = Builder::new_current_thread().enable_all().build()?;
            handles.push(rt.handle().clone());
            let (tx, rx) = oneshot::channel::<()>();
            stop.push(tx);
            let flag = Arc::new(AtomicBool::new(false));
            stalled.push(flag.clone());
            std::thread::Builder::new()
                .name(format!("ringcache-loop-{i}"))
                .spawn(move || {
                    THIS_LOOP_STALLED.with(|f| *f.borrow_mut() = Some(flag));
                    // Drives every task spawned on this loop until the sender drops.
                    let _ = rt.block_on(rx);
                })?;
        }
        Ok(EventLoops {
            handles,
            stalled,
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

    /// The loop the next connection goes to: round robin, passing over stalled loops
    /// (unless every loop is stalled).
    pub fn next(&self) -> &Handle {
        let n = self.handles.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        let i = (0..n)
            .map(|k| (first + k) % n)
            .find(|&i| !self.stalled[i].load(Ordering::Relaxed))
            .unwrap_or(first % n);
        &self.handles[i]
    }
}

thread_local! {
    /// On a loop thread: that loop's stalled flag.
    static THIS_LOOP_STALLED: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// The calling thread's event loop is stalled (busy with synchronous work) until this
/// is dropped; the accept loop sends new connections elsewhere meanwhile. Does nothing
/// off a loop thread (tests, `cluster`'s shared runtime).
pub struct LoopStalled(Option<Arc<AtomicBool>>);

impl LoopStalled {
    /// Mark the calling thread's loop as stalled.
    pub fn current() -> Self {
        let flag = THIS_LOOP_STALLED.with(|f| f.borrow().clone());
        if let Some(f) = &flag {
            f.store(true, Ordering::Relaxed);
        }
        LoopStalled(flag)
    }
}

impl Drop for LoopStalled {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            f.store(false, Ordering::Relaxed);
        }
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
