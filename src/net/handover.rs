//! Moving a connection's socket from one event loop to another.

use std::io;
use tokio::net::TcpStream;

/// A connection's socket on its way from one event loop (tokio runtime) to another.
///
/// A tokio `TcpStream` is bound to the reactor of the runtime that registered it: its
/// readiness events come from that runtime's I/O driver, on that runtime's thread, so
/// a stream simply carried to another loop would still be woken by the old one (or
/// not at all once the old loop is stalled or gone). A socket that moves is therefore
/// taken out of its old reactor with [`Handover::detach`], on the old loop, and
/// registered with the new one with [`Handover::attach`], on the new loop.
#[derive(Debug)]
pub struct Handover(std::net::TcpStream);

impl Handover {
    /// Deregister `stream` from the reactor of the loop it is on. The socket stays
    /// open, nonblocking, with nothing read from or written to it lost.
    pub fn detach(stream: TcpStream) -> io::Result<Handover> {
        stream.into_std().map(Handover)
    }

    /// Register the socket with the reactor of the current runtime. Must run inside
    /// the target loop's runtime context (in a task spawned on it, say): tokio panics
    /// without one, and registering with any other runtime would bind the socket there.
    pub fn attach(self) -> io::Result<TcpStream> {
        TcpStream::from_std(self.0)
    }
}
