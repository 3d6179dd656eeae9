//! The accept loop both roles share: take connections until shutdown, then stop
//! accepting and give the connections in flight a grace period to finish their batch
//! before aborting them. Connections run on the accepting runtime, or are spread over
//! per-core [`EventLoops`].

pub mod busy_poll;
mod handover;
mod loops;
pub use handover::Handover;
pub use loops::{home_loop, loop_count, EventLoops, LoopStalled};

use std::future::Future;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

/// How long open connections may take to finish after shutdown is requested.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serve every accepted connection with `serve` until `shutdown` is cancelled, then
/// drain (up to [`SHUTDOWN_GRACE`]) and return. With `loops`, each connection is moved
/// to the next event loop (its socket re-registered with that loop's reactor, so its
/// I/O never touches the accepting thread); otherwise it runs here.
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    shutdown: CancellationToken,
    loops: Option<&EventLoops>,
    serve: F,
) where
    F: Fn(TcpStream) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => match loops {
                    None => {
                        conns.spawn(serve(stream));
                    }
                    Some(loops) => match Handover::detach(stream) {
                        Ok(handover) => {
                            let serve = serve.clone();
                            conns.spawn_on(
                                async move {
                                    match handover.attach() {
                                        Ok(stream) => serve(stream).await,
                                        Err(e) => tracing::warn!(error = %e, "cannot register connection"),
                                    }
                                },
                                loops.next(),
                            );
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot hand over connection"),
                    },
                },
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    // Out of file descriptors and the like: back off briefly instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let grace = tokio::time::sleep(SHUTDOWN_GRACE);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            _ = &mut grace => { conns.abort_all(); break; }
            next = conns.join_next() => if next.is_none() { break },
        }
    }
}

/// Run `task` (a connection's next leg) on the event loop `target` and wait for its
/// result. The caller stays alive meanwhile, so the accept loop's shutdown drain still
/// waits for the connection, and dropping (aborting) the caller aborts the task.
/// `None` if the task did not finish: aborted, or `target` shut down.
pub async fn continue_on<T: Send + 'static>(
    target: &Handle,
    task: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    // Abort the task if this future is dropped before it ends.
    struct AbortOnDrop(tokio::task::AbortHandle);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let task = target.spawn(task);
    let _abort = AbortOnDrop(task.abort_handle());
    task.await.ok()
}
