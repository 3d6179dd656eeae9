//! RESP on the wire: decoding client requests (via the `redis-protocol` crate) and
//! encoding replies. This is the one place where RESP error texts are spelled
//! ([`errors`]), so both roles answer with Redis's exact bytes.

pub mod codec;
pub mod errors;
pub mod frame;
pub mod inline;
pub mod reply;

pub use codec::{ProtocolError, Request, RequestDecoder};
pub use reply::Reply;
