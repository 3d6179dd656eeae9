//! Finding reply boundaries in a backend's byte stream (RESP2 or RESP3), using
//! `redis-protocol`'s decoder. The proxy forwards replies as raw bytes; it only needs
//! to know where each one ends, and, to merge split commands, where each element of
//! an array reply starts and ends.

use super::codec::ProtocolError;
use redis_protocol::resp3::decode::streaming::decode_range;

/// Length of the first complete reply in `buf`, or `None` if it is not all there yet.
///
/// RESP2's null bulk/array (`$-1`, `*-1`) are not valid RESP3, and RESP3's own types
/// are not valid RESP2, so the RESP2 decoder goes first (it fails at the first
/// RESP3-only type byte) and the RESP3 decoder takes what it refuses.
pub fn reply_len(buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
    if let Ok(r) = redis_protocol::resp2::decode::decode_range(buf) {
        return Ok(r.map(|(_, len)| len));
    }
    match decode_range(buf) {
        Ok(Some((_, len))) => Ok(Some(len)),
        Ok(None) => Ok(None),
        Err(e) => Err(ProtocolError(
            format!("ERR Protocol error: {}", e.details()).into_bytes(),
        )),
    }
}

/// Byte ranges of the elements of an aggregate reply (`*`, `~`, `%` counted as 2 per
/// pair, `>`), or `None` when `reply` is not an aggregate (e.g. an error or `*-1`).
pub fn elements(reply: &[u8]) -> Option<Vec<std::ops::Range<usize>>> {
    let kind = *reply.first()?;
    let per = match kind {
        b'*' | b'~' | b'>' => 1,
        b'%' => 2,
        _ => return None,
    };
    let eol = memchr::memchr(b'\r', reply)?;
    let n: i64 = std::str::from_utf8(&reply[1..eol]).ok()?.parse().ok()?;
    if n < 0 {
        return None;
    }
    let mut pos = eol + 2;
    let mut out = Vec::with_capacity(n as usize * per);
    for _ in 0..n as usize * per {
        let len = reply_len(&reply[pos..]).ok()??;
        out.push(pos..pos + len);
        pos += len;
    }
    Some(out)
}

/// The integer of a `:n` reply.
pub fn integer(reply: &[u8]) -> Option<i64> {
    if reply.first() != Some(&b':') {
        return None;
    }
    let end = memchr::memchr(b'\r', reply)?;
    std::str::from_utf8(&reply[1..end]).ok()?.parse().ok()
}

/// True for an error reply (`-…` or RESP3 `!…`).
pub fn is_error(reply: &[u8]) -> bool {
    matches!(reply.first(), Some(b'-') | Some(b'!'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_elements() {
        assert_eq!(reply_len(b"+OK\r\n:1\r\n").unwrap(), Some(5));
        assert_eq!(reply_len(b"$3\r\nab").unwrap(), None);
        assert_eq!(reply_len(b"%1\r\n$1\r\na\r\n_\r\n").unwrap(), Some(14));
        assert_eq!(reply_len(b"*2\r\n_\r\n").unwrap(), None);
        let r = b"*3\r\n$1\r\na\r\n$-1\r\n:5\r\n";
        let e = elements(r).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(&r[e[1].clone()], b"$-1\r\n");
        assert_eq!(integer(b":42\r\n"), Some(42));
        assert!(elements(b"*-1\r\n").is_none());
    }
}
