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
        Err(e) => refused_but_sent_by_redis(buf).ok_or_else(|| {
            ProtocolError(format!("ERR Protocol error: {}", e.details()).into_bytes())
        }),
    }
}

/// The length of a reply `redis-protocol` refuses though Redis sends it (a script's
/// return value can be any of these):
/// - a set or map whose members or keys are aggregates, `{set={[{1}]=true}}` (the
///   crate's sets and maps are hash sets and maps, and an array is no hash key);
/// - a verbatim string whose format is not `txt` or `mkd`, `{verbatim_string=
///   {format='mar',string='hi'}}` (the crate knows only those two).
///
/// Only headers are read here; a set's or map's elements are measured by
/// [`reply_len`]. `None` if `buf` is not such a reply (the decoder's error stands),
/// `Some(None)` if it is not complete yet.
fn refused_but_sent_by_redis(buf: &[u8]) -> Option<Option<usize>> {
    let kind = *buf.first()?;
    if !matches!(kind, b'~' | b'%' | b'=') {
        return None;
    }
    let eol = memchr::memchr(b'\r', buf)?;
    if buf.get(eol + 1) != Some(&b'\n') {
        return None;
    }
    let n: usize = std::str::from_utf8(buf.get(1..eol)?).ok()?.parse().ok()?;
    let mut pos = eol + 2;
    let elements = match kind {
        b'~' => n,
        b'%' => n.checked_mul(2)?,
        b'=' => {
            // `=<len>\r\n` then `fmt:` and the text, `len` bytes in all, and `\r\n`.
            let end = pos.checked_add(n)?;
            if n < 4 {
                return None;
            }
            if buf.len() < end + 2 {
                return Some(None);
            }
            let well_formed = buf[pos + 3] == b':' && &buf[end..end + 2] == b"\r\n";
            return well_formed.then_some(Some(end + 2));
        }
        _ => return None,
    };
    for _ in 0..elements {
        match reply_len(buf.get(pos..)?) {
            Ok(Some(len)) => pos += len,
            Ok(None) => return Some(None),
            Err(_) => return None,
        }
    }
    Some(Some(pos))
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
        // Sets and maps keyed by aggregates (redis-protocol refuses them as hash keys).
        assert_eq!(reply_len(b"~1\r\n*1\r\n:1\r\n+OK\r\n").unwrap(), Some(12));
        assert_eq!(reply_len(b"%1\r\n*1\r\n:1\r\n:2\r\n").unwrap(), Some(16));
        assert_eq!(reply_len(b"~2\r\n*1\r\n:1\r\n").unwrap(), None);
        assert!(reply_len(b"~1\r\n*1\r\n:x\r\n").is_err());
        // Verbatim strings in formats other than txt and mkd (a script's).
        assert_eq!(reply_len(b"=6\r\nmar:hi\r\n+OK\r\n").unwrap(), Some(12));
        assert_eq!(reply_len(b"=6\r\nt  :hi").unwrap(), None);
        assert!(reply_len(b"=6\r\nmarkhi\r\n").is_err());
        // Malformed bytes are an error, not a panic.
        assert!(reply_len(b"\r\n").is_err());
        assert!(reply_len(b"~\r\n").is_err());
        assert!(elements(b"*-1\r\n").is_none());
    }
}
