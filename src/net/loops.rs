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
//! A connection can move to another loop ([`home_loop`], `net::continue_on`). The node
//! moves a connection that keeps working on one shard, and keeps finding that shard
//! locked by the other loop, to the shard's home loop: all the connections on one
//! hot key then share one thread instead of two threads taking turns at its lock.
//!
//! A loop can be stalled: a node runs a Lua script synchronously on its loop, for up
//! to the script time limit. While it is ([`LoopStalled`]), new connections go to the
//! other loops, so a client can still connect and send SCRIPT KILL.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// Running event loops. Dropping this stops them (after their tasks are dropped).
pub struct EventLoops {
    shared: Arc<Shared>,
    /// Dropping a sender ends its loop's `block_on`.
    _stop: Vec<oneshot::Sender<()>>,
}

/// What the loops' own threads know about the set they belong to.
struct Shared {
    handles: Vec<Handle>,
    /// Per loop: stalled by a long synchronous job (see [`LoopStalled`]).
    stalled: Vec<AtomicBool>,
    next: AtomicUsize,
}

impl EventLoops {
    /// Start `n` loops (at least one) on threads named `ringcache-loop-<i>`, each
    /// busy polling for `busy_poll` after a request when that is set (see
    /// [`busy_poll`](super::busy_poll)).
    pub fn start(n: usize, busy_poll: Option<Duration>) -> std::io::Result<Self> {
        let n = n.max(1);
        let mut runtimes = Vec::with_capacity(n);
        for _ in 0..n {
            runtimes.push(Builder::new_current_thread().enable_all().build()?);
        }
        let shared = Arc::new(Shared {
            handles: runtimes.iter().map(|rt| rt.handle().clone()).collect(),
            stalled: (0..n).map(|_| AtomicBool::new(false)).collect(),
            next: AtomicUsize::new(0),
        });
        let mut stop = Vec::with_capacity(n);
        for (i, rt) in runtimes.into_iter().enumerate() {
            let (tx, rx) = oneshot::channel::<()>();
            stop.push(tx);
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("ringcache-loop-{i}"))
                .spawn(move || {
                    THIS_LOOP.with(|l| *l.borrow_mut() = Some((i, shared)));
                    // Drives every task spawned on this loop until the sender drops.
                    let _ = rt.block_on(async move {
                        if let Some(window) = busy_poll {
                            tokio::spawn(super::busy_poll::spin(window));
                        }
                        rx.await
                    });
                })?;
        }
        Ok(EventLoops {
            shared,
            _stop: stop,
        })
    }

    /// Number of loops.
    pub fn len(&self) -> usize {
        self.shared.handles.len()
    }

    /// Always false: there is at least one loop.
    pub fn is_empty(&self) -> bool {
        self.shared.handles.is_empty()
    }

    /// The loop the next connection goes to: round robin, passing over stalled loops
    /// (unless every loop is stalled).
    pub fn next(&self) -> &Handle {
        let s = &*self.shared;
        let n = s.handles.len();
        let first = s.next.fetch_add(1, Ordering::Relaxed);
        let i = (0..n)
            .map(|k| (first + k) % n)
            .find(|&i| !s.stalled[i].load(Ordering::Relaxed))
            .unwrap_or(first % n);
        &s.handles[i]
    }
}

thread_local! {
    /// On a loop thread: that loop's index, and the set it belongs to.
    static THIS_LOOP: RefCell<Option<(usize, Arc<Shared>)>> = const { RefCell::new(None) };
}

/// The loop that work keyed by `slot` (a keyspace shard) calls home: loop
/// `slot % loops`. Returns its handle when the calling thread is another loop of the
/// same set and that loop is not stalled, i.e. when moving there is possible and
/// would change something; `None` off loop threads (tests, `cluster`).
pub fn home_loop(slot: usize) -> Option<Handle> {
    THIS_LOOP.with(|l| {
        let l = l.borrow();
        let (me, shared) = l.as_ref()?;
        let home = slot % shared.handles.len();
        (home != *me && !shared.stalled[home].load(Ordering::Relaxed))
            .then(|| shared.handles[home].clone())
    })
}

/// The calling thread's event loop is stalled (busy with synchronous work) until this
/// is dropped; the accept loop sends new connections elsewhere meanwhile. Does nothing
/// off a loop thread (tests, `cluster`'s shared runtime).
pub struct LoopStalled(Option<(usize, Arc<Shared>)>);

impl LoopStalled {
    /// Mark the calling thread's loop as stalled.
    pub fn current() -> Self {
        let this = THIS_LOOP.with(|l| l.borrow().clone());
        if let Some((i, shared)) = &this {
            shared.stalled[*i].store(true, Ordering::Relaxed);
        }
        LoopStalled(this)
    }
}

impl Drop for LoopStalled {
    fn drop(&mut self) {
        if let Some((i, shared)) = &self.0 {
            shared.stalled[*i].store(false, Ordering::Relaxed);
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
