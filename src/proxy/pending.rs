//! Replies a session is waiting for, in request order, and how each becomes the
//! bytes the client sees: forwarded as is, or merged from several backends.

use super::backend::{BackendError, BackendResult};
use super::backends::Backends;
use super::router::{Gather, Split};
use crate::protocol::{frame, Reply};
use bytes::Bytes;
use smallvec::SmallVec;
use tokio::sync::oneshot;

/// One backend's share of a request.
pub struct Part {
    /// The reply to come.
    pub rx: oneshot::Receiver<BackendResult>,
    /// Which backend.
    pub backend: usize,
    /// For MGET: the client's positions of the keys sent in this part.
    pub positions: SmallVec<[u32; 8]>,
}

/// A reply owed to the client, in order.
pub enum Pending {
    /// Already encoded (answered by the proxy).
    Ready(Bytes),
    /// Forwarded whole to one backend.
    Remote {
        /// The reply to come.
        rx: oneshot::Receiver<BackendResult>,
        /// Which backend.
        backend: usize,
    },
    /// Split by backend; merged in the client's order.
    Split {
        /// How to merge.
        kind: Split,
        /// Per-backend parts.
        parts: Vec<Part>,
        /// Number of keys (MGET's reply length).
        keys: usize,
    },
    /// Sent to every backend.
    Gather {
        /// How to combine.
        kind: Gather,
        /// One part per backend.
        parts: Vec<Part>,
    },
    /// One SCAN step on one backend; the reply's cursor is re-encoded.
    Scan {
        /// The reply to come.
        rx: oneshot::Receiver<BackendResult>,
        /// Backend scanned.
        backend: usize,
    },
}

/// The text a client sees when a backend fails.
pub fn backend_error(backends: &Backends, idx: usize, e: &BackendError) -> Vec<u8> {
    let b = &backends.list[idx];
    if !matches!(e, BackendError::Protocol) {
        backends.note_failure(b);
    }
    metrics::counter!(crate::metrics::BACKEND_ERRORS, "backend" => b.name.clone(), "reason" => e.kind()).increment(1);
    format!("ERR ringcache: backend {} {}", b.name, e).into_bytes()
}

async fn wait(
    backends: &Backends,
    rx: oneshot::Receiver<BackendResult>,
    idx: usize,
) -> Result<Bytes, Vec<u8>> {
    match rx.await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) => Err(backend_error(backends, idx, &e)),
        Err(_) => Err(backend_error(
            backends,
            idx,
            &BackendError::Lost("connection task ended".into()),
        )),
    }
}

/// Wait for a pending reply and write what the client should see.
pub async fn resolve(p: Pending, backends: &Backends, out: &mut Reply) {
    match p {
        Pending::Ready(b) => out.raw(&b),
        Pending::Remote { rx, backend } => match wait(backends, rx, backend).await {
            Ok(b) => out.raw(&b),
            Err(e) => out.error(e),
        },
        Pending::Split { kind, parts, keys } => merge_split(kind, parts, keys, backends, out).await,
        Pending::Gather { kind, parts } => gather(kind, parts, backends, out).await,
        Pending::Scan { rx, backend } => match wait(backends, rx, backend).await {
            Ok(b) => rewrite_scan(&b, backend, backends.list.len(), out),
            Err(e) => out.error(e),
        },
    }
}

/// Await every part (all of them, so no reply is left behind on a connection) and
/// return the replies with their key positions, or the first error.
async fn collect(
    parts: impl IntoIterator<Item = Part>,
    backends: &Backends,
) -> Result<Vec<(Bytes, SmallVec<[u32; 8]>)>, Vec<u8>> {
    let mut got = Vec::new();
    let mut first_err = None;
    for Part {
        rx,
        backend,
        positions,
    } in parts
    {
        match wait(backends, rx, backend).await {
            Ok(b) if frame::is_error(&b) => {
                first_err.get_or_insert_with(|| b[1..b.len() - 2].to_vec());
            }
            Ok(b) => got.push((b, positions)),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(got),
    }
}

async fn merge_split(
    kind: Split,
    parts: Vec<Part>,
    keys: usize,
    backends: &Backends,
    out: &mut Reply,
) {
    let got = match collect(parts, backends).await {
        Ok(g) => g,
        Err(e) => return out.error(e),
    };
    match kind {
        Split::Mget => {
            let mut slots: Vec<Option<Bytes>> = vec![None; keys];
            for (reply, positions) in &got {
                let Some(elems) = frame::elements(reply) else {
                    return out.error("ERR ringcache: unexpected MGET reply from a backend");
                };
                for (pos, range) in positions.iter().zip(elems) {
                    slots[*pos as usize] = Some(reply.slice(range));
                }
            }
            out.array(keys);
            for s in slots {
                match s {
                    Some(b) => out.raw(&b),
                    None => out.null(),
                }
            }
        }
        Split::Mset => out.ok(),
        Split::Count => out.int(got.iter().filter_map(|(r, _)| frame::integer(r)).sum()),
    }
}

async fn gather(kind: Gather, parts: Vec<Part>, backends: &Backends, out: &mut Reply) {
    let got = match collect(parts, backends).await {
        Ok(g) => g,
        Err(e) => return out.error(e),
    };
    match kind {
        Gather::Sum => out.int(got.iter().filter_map(|(r, _)| frame::integer(r)).sum()),
        Gather::AllOk => out.ok(),
        Gather::First => match got.first() {
            Some((r, _)) => out.raw(r),
            None => out.null(),
        },
        Gather::Concat => {
            let all: Vec<Bytes> = got
                .iter()
                .flat_map(|(r, _)| {
                    frame::elements(r)
                        .unwrap_or_default()
                        .into_iter()
                        .map(move |e| r.slice(e))
                })
                .collect();
            out.array(all.len());
            for e in all {
                out.raw(&e);
            }
        }
    }
}

/// SCAN cursors through the proxy: `backend_cursor * backends + backend_index`, so one
/// number walks every backend in turn (0 starts and ends, as in Redis).
pub fn split_scan_cursor(cursor: u64, backends: usize) -> (usize, u64) {
    (
        (cursor % backends as u64) as usize,
        cursor / backends as u64,
    )
}

fn rewrite_scan(reply: &Bytes, backend: usize, n: usize, out: &mut Reply) {
    let Some(elems) = frame::elements(reply).filter(|e| e.len() == 2) else {
        return out.raw(reply);
    };
    let cursor_bulk = reply.slice(elems[0].clone());
    let Some(next) = bulk_text(&cursor_bulk).and_then(|t| t.parse::<u64>().ok()) else {
        return out.error("ERR ringcache: unexpected SCAN reply from a backend");
    };
    let proxy_cursor = if next == 0 {
        if backend + 1 >= n {
            Some(0)
        } else {
            Some((backend + 1) as u64)
        }
    } else {
        next.checked_mul(n as u64)
            .and_then(|c| c.checked_add(backend as u64))
    };
    let Some(c) = proxy_cursor else {
        return out.error("ERR ringcache: backend SCAN cursor too large to combine");
    };
    out.array(2);
    out.bulk(itoa::Buffer::new().format(c).as_bytes());
    out.raw(&reply[elems[1].clone()]);
}

fn bulk_text(b: &[u8]) -> Option<String> {
    let start = memchr::memchr(b'\n', b)? + 1;
    let end = b.len().checked_sub(2)?;
    std::str::from_utf8(b.get(start..end)?)
        .ok()
        .map(str::to_owned)
}
