//! Adaptive busy polling: an event loop that has just served requests keeps polling
//! its sockets for a short while instead of going to sleep in `epoll_wait`.
//!
//! Why: unpipelined, every request wakes a sleeping loop, and on Linux the waking is
//! paid by the *sender*: the client's `send` runs the loopback delivery, finds the
//! loop's thread asleep and wakes it (run-queue insert, maybe an inter-processor
//! interrupt). redis-benchmark at `-P 1` spends a whole core this way, and that core
//! is what limits requests/s on a small machine: redis-server and the node both sat
//! idle a fifth of the time while the client was at 98 %. A loop that is still polling
//! when the request lands needs no wake-up, so the client's `send` is cheaper and the
//! client sends more (measured: +10 % requests/s at `-P 1`, one loop, see README).
//!
//! The price is CPU: a polling loop uses its core fully until it has seen no request
//! for the window (`busy_poll_us`), then sleeps as usual, so an idle node costs
//! nothing and a loaded one trades some CPU for lower latency, as the kernel's own
//! `busy_poll` and Seastar's idle polling do. It is off unless configured.
//!
//! How: one task per loop ([`spin`]) yields to the scheduler over and over; a tokio
//! current-thread runtime with a task ready to run polls the I/O driver without
//! blocking (`epoll_wait` with timeout 0), so every yield is one poll of the sockets.
//! Each turn also yields the thread to the OS (`sched_yield`), so other threads
//! ready on that core are not kept waiting. Connections call [`served`] after each
//! read; when the window passes with no call, the task parks until the next one.

use std::cell::Cell;
use std::future::poll_fn;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

thread_local! {
    /// Reads served on this thread's loop so far (wrapping).
    static SERVED: Cell<u64> = const { Cell::new(0) };
    /// The parked spinner of this thread's loop, if it is parked.
    static PARKED: Cell<Option<Waker>> = const { Cell::new(None) };
}

/// A connection on this thread read a request: keep (or start) polling.
#[inline]
pub fn served() {
    SERVED.with(|s| s.set(s.get().wrapping_add(1)));
    if let Some(spinner) = PARKED.with(Cell::take) {
        spinner.wake();
    }
}

fn served_so_far() -> u64 {
    SERVED.with(Cell::get)
}

/// Poll this loop's sockets without sleeping for as long as requests keep coming at
/// most `window` apart; sleep in between. Runs forever: spawn it on the loop (a
/// current-thread runtime) and drop it with the runtime.
pub async fn spin(window: Duration) {
    loop {
        // Polling: every yield lets the runtime poll the I/O driver with no timeout.
        let mut seen = served_so_far();
        let mut last_request = Instant::now();
        loop {
            tokio::task::yield_now().await;
            // Let any other thread that is ready to run on this core run first: on a
            // machine shared with its clients (or with the other loops), polling must
            // not take their CPU (measured: two polling loops beside redis-benchmark
            // on two cores fell to 0.65× of not polling without this, and did not
            // fall with it).
            std::thread::yield_now();
            let now_seen = served_so_far();
            if now_seen != seen {
                seen = now_seen;
                last_request = Instant::now();
            } else if last_request.elapsed() >= window {
                break;
            }
        }
        // Quiet for a whole window: park until a connection is served again.
        poll_fn(|cx| {
            if served_so_far() != seen {
                return Poll::Ready(());
            }
            PARKED.with(|p| p.set(Some(cx.waker().clone())));
            Poll::Pending
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spinner_parked() -> bool {
        PARKED.with(|p| {
            let waker = p.take();
            let parked = waker.is_some();
            p.set(waker);
            parked
        })
    }

    /// The spinner parks after a quiet window and polls again once a request is served.
    #[test]
    fn parks_when_quiet_and_wakes_on_a_request() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let spinner = tokio::spawn(spin(Duration::from_micros(200)));
            let deadline = Instant::now() + Duration::from_secs(10);
            while !spinner_parked() {
                assert!(Instant::now() < deadline, "the spinner never parked");
                tokio::task::yield_now().await;
            }
            served();
            assert!(!spinner_parked(), "a request wakes the parked spinner");
            spinner.abort();
        });
    }
}
