//! Request decoding: bytes from a client socket → argument vectors.
//!
//! Frames are parsed by the `redis-protocol` crate. In front of it sits a small
//! header check that enforces Redis's limits and error texts *before* any payload is
//! buffered (a client announcing a 600 MB bulk gets `invalid bulk length` at once, and
//! a nested array gets `expected '$'` instead of recursing). It also tells us how many
//! bytes a frame needs, so a big frame arriving in pieces is not re-parsed per read.
//! A half-received frame is `Ok(None)`, never an error.
//!
//! The common case — a whole, well-formed frame already in the buffer — takes a fast
//! path: one `redis-protocol` parse into ranges, a cheap check that every header was
//! written the canonical way Redis accepts (no `+`, no leading zeros) and within the
//! limits, and the arguments are sliced out of the frame. Anything else (a partial
//! frame, a limit or shape violation) goes through the header check, which knows
//! Redis's exact error texts.

use super::inline;
use crate::command::args::parse_i64;
use bytes::{Bytes, BytesMut};
use redis_protocol::resp2::{decode::decode_range, types::RangeFrame};
use smallvec::SmallVec;
use std::collections::VecDeque;

/// One client request: the command name and its arguments, as zero-copy slices of
/// the read buffer. Handlers must copy what they keep (see `node::db::owned`).
pub type Request = SmallVec<[Bytes; 4]>;

/// Longest inline command or header line Redis accepts (`PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX: usize = 64 * 1024;
/// Largest multibulk count Redis 7.0 accepts (`INT_MAX`; observed on redis-server 7.0.15).
pub const MULTIBULK_MAX: i64 = i32::MAX as i64;
/// Before AUTH, Redis refuses long arrays and big bulks so strangers cannot fill memory.
const UNAUTH_MULTIBULK_MAX: i64 = 10;
const UNAUTH_BULK_MAX: i64 = 16384;

/// A protocol violation: the client gets `-ERR <text>` and the connection is closed,
/// as Redis does.
///
/// Bytes, not a `String`: Redis echoes the offending byte raw (`got '\xff'`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", String::from_utf8_lossy(.0))]
pub struct ProtocolError(pub Vec<u8>);

impl ProtocolError {
    fn new(s: impl AsRef<[u8]>) -> Self {
        let mut text = b"ERR Protocol error: ".to_vec();
        text.extend_from_slice(s.as_ref());
        ProtocolError(text)
    }
}

/// Progress through a multibulk frame whose header has been checked, kept between
/// reads so a large frame is scanned once.
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    /// Bytes of the frame already checked.
    pos: usize,
    /// Bulk strings still to check.
    left: i64,
    /// Whether a frame is in progress at all.
    active: bool,
}

/// Turns a client's byte stream into requests, one at a time.
#[derive(Debug)]
pub struct RequestDecoder {
    max_bulk_len: i64,
    progress: Progress,
    /// Frames at the front of the buffer that [`peek_keys`](Self::peek_keys) already
    /// parsed, in order (their items, their size): decoding takes them from here
    /// instead of parsing them again.
    ahead: VecDeque<(Vec<RangeFrame>, usize)>,
}

impl RequestDecoder {
    /// `max_bulk_len` is `proto_max_bulk_len` (Redis default 512 MB).
    pub fn new(max_bulk_len: u64) -> Self {
        RequestDecoder {
            max_bulk_len: max_bulk_len.min(i64::MAX as u64) as i64,
            progress: Progress::default(),
            ahead: VecDeque::new(),
        }
    }

    /// Change the bulk limit (CONFIG SET proto-max-bulk-len). Frames parsed ahead were
    /// judged by the old limit, so they are parsed again.
    pub fn set_max_bulk_len(&mut self, v: u64) {
        let v = v.min(i64::MAX as u64) as i64;
        if v != self.max_bulk_len {
            self.max_bulk_len = v;
            self.ahead.clear();
        }
    }

    /// Decode the next request from `buf`, consuming its bytes. `Ok(None)`: need more
    /// bytes. Empty requests (`*0`, blank inline lines) are skipped.
    pub fn decode(
        &mut self,
        buf: &mut BytesMut,
        authed: bool,
    ) -> Result<Option<Request>, ProtocolError> {
        Ok(self.decode_with_raw(buf, authed)?.map(|(req, _)| req))
    }

    /// Like [`decode`](Self::decode), also returning the request's raw RESP bytes (a
    /// zero-copy slice) so a proxy can forward it untouched; `None` for inline commands.
    pub fn decode_with_raw(
        &mut self,
        buf: &mut BytesMut,
        authed: bool,
    ) -> Result<Option<(Request, Option<Bytes>)>, ProtocolError> {
        loop {
            if let Some((items, amt)) = self.ahead.pop_front() {
                // `amt <= buf.len()` holds while `buf` is only appended to between
                // calls (see `peek_keys`); checked so that a broken caller gets a fresh
                // parse rather than a panic.
                debug_assert!(amt <= buf.len(), "buffer changed under parsed-ahead frames");
                // `peek_keys` took only frames within the authenticated limits, and a
                // changed limit drops them, so only a client that is not (or no longer)
                // authenticated needs its tighter limits checked.
                if amt <= buf.len() && (authed || self.fast_path_ok(&items, false)) {
                    return Ok(Some(split_request(buf, &items, amt)));
                }
                // Over the unauthenticated limits: the header check below reads the
                // frame again, and what follows it is parsed afresh.
                self.ahead.clear();
            }
            if buf.is_empty() {
                return Ok(None);
            }
            if buf[0] != b'*' {
                match inline::split_line(buf)? {
                    inline::Line::Incomplete => return Ok(None),
                    inline::Line::Empty => continue,
                    inline::Line::Args(args) => return Ok(Some((args, None))),
                }
            }
            if !self.progress.active {
                if let Ok(Some((RangeFrame::Array(items), amt))) = decode_range(buf) {
                    if self.fast_path_ok(&items, authed) {
                        return Ok(Some(split_request(buf, &items, amt)));
                    }
                }
            }
            match self.check_multibulk(buf, authed)? {
                Check::Incomplete => return Ok(None),
                Check::Skip(n) => {
                    let _ = buf.split_to(n);
                    continue;
                }
                Check::Complete => {}
            }
            self.progress = Progress::default();
            return match decode_range(buf).map_err(|e| ProtocolError::new(e.details()))? {
                Some((RangeFrame::Array(items), amt)) => Ok(Some(split_request(buf, &items, amt))),
                Some(_) => Err(ProtocolError::new("expected an array")),
                None => Err(ProtocolError::new("incomplete frame after header check")),
            };
        }
    }

    /// True when no frame parsed by [`peek_keys`](Self::peek_keys) is waiting.
    pub fn nothing_ahead(&self) -> bool {
        self.ahead.is_empty()
    }

    /// Parse up to `max` more whole, well-formed multibulk frames following those
    /// already parsed ahead at the front of `buf`, pass the second argument of each
    /// (for most commands, the key) and the third, if any (for most commands on a
    /// hash or a set, the field or member) to `f`, and keep the parses for the
    /// decoding that follows. Consumes nothing and judges nothing:
    /// it stops at the first frame it cannot take whole (partial, inline, or anything
    /// the header check must look at), which is decoded the usual way. `buf` must be
    /// the buffer [`decode`](Self::decode) is given, unchanged but for bytes appended.
    pub fn peek_keys<'b>(
        &mut self,
        buf: &'b [u8],
        max: usize,
        mut f: impl FnMut(&'b [u8], Option<&'b [u8]>),
    ) {
        if self.progress.active {
            return;
        }
        let mut pos: usize = self.ahead.iter().map(|(_, amt)| amt).sum();
        for _ in 0..max {
            if buf.get(pos) != Some(&b'*') {
                break;
            }
            let Ok(Some((RangeFrame::Array(items), amt))) = decode_range(&buf[pos..]) else {
                break;
            };
            // Within the authenticated limits; `decode` checks again with the client's.
            if !self.fast_path_ok(&items, true) {
                break;
            }
            let arg = |i: usize| match items.get(i) {
                Some(RangeFrame::BulkString((start, end))) => Some(&buf[pos + start..pos + end]),
                _ => None,
            };
            if let Some(key) = arg(1) {
                f(key, arg(2));
            }
            self.ahead.push_back((items, amt));
            pos += amt;
        }
    }

    /// Whether a frame `redis-protocol` parsed whole may skip the header check: a
    /// non-empty array of bulk strings within the limits, every length written the way
    /// Redis's `string2ll` accepts. Each header's size is known from the ranges (`$`,
    /// the digits, CRLF), so canonical digits are checked without parsing them again.
    fn fast_path_ok(&self, items: &[RangeFrame], authed: bool) -> bool {
        let (max_count, max_len) = if authed {
            (MULTIBULK_MAX, self.max_bulk_len)
        } else {
            (UNAUTH_MULTIBULK_MAX, UNAUTH_BULK_MAX.min(self.max_bulk_len))
        };
        if items.is_empty() || items.len() as i64 > max_count {
            return false;
        }
        // `*<count>\r\n`, then per item `$<len>\r\n<data>\r\n`.
        let mut pos = 1 + decimal_digits(items.len()) + 2;
        for item in items {
            let RangeFrame::BulkString((start, end)) = *item else {
                return false;
            };
            let len = end - start;
            if len as i64 > max_len || start != pos + 1 + decimal_digits(len) + 2 {
                return false;
            }
            pos = end + 2;
        }
        true
    }

    /// Check the headers of the multibulk frame at the start of `buf` against Redis's
    /// rules and limits; resume where the previous call stopped.
    fn check_multibulk(
        &mut self,
        buf: &mut BytesMut,
        authed: bool,
    ) -> Result<Check, ProtocolError> {
        if !self.progress.active {
            let Some(eol) = header_end(buf, 0) else {
                if buf.len() > INLINE_MAX {
                    return Err(ProtocolError::new("too big mbulk count string"));
                }
                return Ok(Check::Incomplete);
            };
            let count = parse_i64(&buf[1..eol]).filter(|&n| n <= MULTIBULK_MAX);
            let Some(count) = count else {
                return Err(ProtocolError::new("invalid multibulk length"));
            };
            if count <= 0 {
                return Ok(Check::Skip(eol + 2));
            }
            if !authed && count > UNAUTH_MULTIBULK_MAX {
                return Err(ProtocolError::new("unauthenticated multibulk length"));
            }
            self.progress = Progress {
                pos: eol + 2,
                left: count,
                active: true,
            };
        }
        while self.progress.left > 0 {
            let pos = self.progress.pos;
            if pos >= buf.len() {
                return Ok(Check::Incomplete);
            }
            // Redis looks at the type byte only once the whole line is there.
            let Some(eol) = header_end(buf, pos) else {
                if buf.len() - pos > INLINE_MAX {
                    return Err(ProtocolError::new("too big bulk count string"));
                }
                return Ok(Check::Incomplete);
            };
            if buf[pos] != b'$' {
                // Redis blanks CR and LF in error texts (addReplyErrorFormat) and
                // writes any other byte as it is.
                let got = match buf[pos] {
                    b'\r' | b'\n' => b' ',
                    other => other,
                };
                return Err(ProtocolError::new(
                    [&b"expected '$', got '"[..], &[got], b"'"].concat(),
                ));
            }
            let len = parse_i64(&buf[pos + 1..eol]).filter(|&n| n >= 0 && n <= self.max_bulk_len);
            let Some(len) = len else {
                return Err(ProtocolError::new("invalid bulk length"));
            };
            if !authed && len > UNAUTH_BULK_MAX {
                return Err(ProtocolError::new("unauthenticated bulk length"));
            }
            let end = eol + 2 + len as usize + 2;
            if end > buf.len() {
                // Make room for the whole payload in one go instead of growing per read.
                buf.reserve(end - buf.len());
                return Ok(Check::Incomplete);
            }
            // Redis skips the two bytes after a payload without looking at them.
            buf[end - 2..end].copy_from_slice(b"\r\n");
            self.progress.pos = end;
            self.progress.left -= 1;
        }
        Ok(Check::Complete)
    }
}

/// Split a parsed frame of `amt` bytes off `buf`: its arguments as zero-copy slices,
/// and the raw frame (for the proxy to forward untouched).
fn split_request(buf: &mut BytesMut, items: &[RangeFrame], amt: usize) -> (Request, Option<Bytes>) {
    let raw = buf.split_to(amt).freeze();
    let args = items
        .iter()
        .map(|f| match *f {
            RangeFrame::BulkString((start, end)) => raw.slice(start..end),
            _ => Bytes::new(),
        })
        .collect();
    (args, Some(raw))
}

/// Number of decimal digits of `n` (its canonical length in a RESP header).
fn decimal_digits(mut n: usize) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

enum Check {
    Incomplete,
    Skip(usize),
    Complete,
}

/// Where the `*`/`$` header line starting at `from` ends, found the way Redis's
/// `processMultibulkBuffer` finds it: at the first `\r` (with `strchr`, so a NUL before
/// it hides it: no line yet), once one more byte has arrived, which Redis skips without
/// looking at. That byte is made a `\n` here, so `redis-protocol` reads the frame as
/// Redis did (`*1\r\n$4\r*PING\r\n` is PING).
fn header_end(buf: &mut BytesMut, from: usize) -> Option<usize> {
    let at = from + memchr::memchr2(b'\r', 0, &buf[from..])?;
    if buf[at] != b'\r' || at + 2 > buf.len() {
        return None;
    }
    buf[at + 1] = b'\n';
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<String>) {
        let mut d = RequestDecoder::new(512 * 1024 * 1024);
        let mut buf = BytesMut::from(input);
        let mut out = vec![];
        loop {
            match d.decode(&mut buf, true) {
                Ok(Some(r)) => out.push(r.iter().map(|b| b.to_vec()).collect()),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }

    #[test]
    fn pipelined_frames_and_inline() {
        let (reqs, err) =
            decode_all(b"*1\r\n$4\r\nPING\r\nSET a b\r\n\r\n*0\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
        assert_eq!(err, None);
        assert_eq!(
            reqs,
            vec![
                vec![b"PING".to_vec()],
                vec![b"SET".to_vec(), b"a".to_vec(), b"b".to_vec()],
                vec![b"GET".to_vec(), b"a".to_vec()]
            ]
        );
    }

    #[test]
    fn partial_frames_wait_for_more_bytes() {
        let mut d = RequestDecoder::new(1024);
        let full = b"*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n";
        let mut buf = BytesMut::new();
        for (i, b) in full.iter().enumerate() {
            buf.extend_from_slice(&[*b]);
            let r = d.decode(&mut buf, true).unwrap();
            if i + 1 < full.len() {
                assert!(r.is_none(), "frame reported complete at byte {}", i);
            } else {
                assert_eq!(r.unwrap()[1].as_ref(), b"hello");
            }
        }
    }

    #[test]
    fn limits_and_shape_errors_use_redis_texts() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"*2147483648\r\n",
                "ERR Protocol error: invalid multibulk length",
            ),
            (b"*abc\r\n", "ERR Protocol error: invalid multibulk length"),
            (
                b"*1\r\n$536870913\r\n",
                "ERR Protocol error: invalid bulk length",
            ),
            (b"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"),
            (b"*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"),
            (b"*1\r\n*1\r\n", "ERR Protocol error: expected '$', got '*'"),
            (b"*4\r\n\r\n", "ERR Protocol error: expected '$', got ' '"),
        ];
        for (input, want) in cases {
            assert_eq!(decode_all(input).1.as_deref(), Some(*want), "{:?}", input);
        }
        let long = vec![b'1'; INLINE_MAX + 2];
        let mut star = b"*".to_vec();
        star.extend_from_slice(&long);
        assert_eq!(
            decode_all(&star).1.unwrap(),
            "ERR Protocol error: too big mbulk count string"
        );
    }

    #[test]
    fn non_canonical_lengths_in_whole_frames_are_refused_as_redis_does() {
        // redis-protocol would read these numbers; Redis's string2ll does not.
        let cases: &[(&[u8], &str)] = &[
            (
                b"*01\r\n$4\r\nPING\r\n",
                "ERR Protocol error: invalid multibulk length",
            ),
            (
                b"*+1\r\n$4\r\nPING\r\n",
                "ERR Protocol error: invalid multibulk length",
            ),
            (
                b"*1\r\n$+4\r\nPING\r\n",
                "ERR Protocol error: invalid bulk length",
            ),
            (
                b"*1\r\n$04\r\nPING\r\n",
                "ERR Protocol error: invalid bulk length",
            ),
            (
                b"*2\r\n$3\r\nGET\r\n$01\r\na\r\n",
                "ERR Protocol error: invalid bulk length",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                decode_all(input),
                (vec![], Some(want.to_string())),
                "{:?}",
                input
            );
        }
        // Canonical multi-digit lengths take the fast path and come out whole.
        let value = vec![b'v'; 1234];
        let mut frame = b"*12\r\n".to_vec();
        for _ in 0..11 {
            frame.extend_from_slice(b"$1234\r\n");
            frame.extend_from_slice(&value);
            frame.extend_from_slice(b"\r\n");
        }
        frame.extend_from_slice(b"$0\r\n\r\n");
        let (reqs, err) = decode_all(&frame);
        assert_eq!(err, None);
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].len(), 12);
        assert!(reqs[0][..11].iter().all(|a| *a == value));
        assert!(reqs[0][11].is_empty());
    }

    #[test]
    fn fast_path_returns_the_raw_frame_for_forwarding() {
        let mut d = RequestDecoder::new(1024);
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n"[..]);
        let (req, raw) = d.decode_with_raw(&mut buf, true).unwrap().unwrap();
        assert_eq!(
            req.as_slice(),
            &[Bytes::from_static(b"GET"), Bytes::from_static(b"k")]
        );
        assert_eq!(raw.unwrap().as_ref(), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        assert_eq!(buf.as_ref(), b"*1\r\n$4\r\nPING\r\n");
    }

    #[test]
    fn unauthenticated_clients_get_tight_limits() {
        let mut d = RequestDecoder::new(1 << 29);
        let mut buf = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(
            d.decode(&mut buf, false).unwrap_err().to_string(),
            "ERR Protocol error: unauthenticated multibulk length"
        );
    }

    /// A key `peek_keys` reported, with the argument after it.
    type Peeked = (Vec<u8>, Option<Vec<u8>>);

    /// What decoding a stream gave: the requests, the error if any, what was peeked.
    type Decoded = (Vec<Vec<Vec<u8>>>, Option<String>, Vec<Peeked>);

    /// Decode `input` fed in `chunks`-sized pieces, with `authed` as given; when
    /// `peek` is set, `peek_keys` runs before every decode with a random `max`. Returns
    /// the requests, the error if any, and the keys (and arguments after them) peeked.
    fn decode_pieces(
        input: &[u8],
        chunk: usize,
        authed: bool,
        peek: Option<&mut rand::rngs::StdRng>,
    ) -> Decoded {
        use rand::Rng;
        let mut peek = peek;
        let mut d = RequestDecoder::new(512 * 1024 * 1024);
        let mut buf = BytesMut::new();
        let (mut out, mut keys) = (vec![], vec![]);
        for piece in input.chunks(chunk.max(1)) {
            buf.extend_from_slice(piece);
            loop {
                if let Some(rng) = peek.as_deref_mut() {
                    let max = rng.random_range(0..5);
                    d.peek_keys(&buf, max, |k, f| {
                        keys.push((k.to_vec(), f.map(<[u8]>::to_vec)))
                    });
                }
                match d.decode(&mut buf, authed) {
                    Ok(Some(r)) => out.push(r.iter().map(|b| b.to_vec()).collect()),
                    Ok(None) => break,
                    Err(e) => return (out, Some(e.to_string()), keys),
                }
            }
        }
        (out, None, keys)
    }

    /// Frames parsed ahead under one bulk limit are judged again when the limit is
    /// lowered before they are decoded (CONFIG SET proto-max-bulk-len between reads).
    #[test]
    fn a_lowered_bulk_limit_applies_to_frames_parsed_ahead() {
        let mut d = RequestDecoder::new(512 * 1024 * 1024);
        let mut buf = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"[..]);
        let mut keys = Vec::new();
        d.peek_keys(&buf.clone(), 16, |k, _| keys.push(k.to_vec()));
        assert_eq!(keys, [b"k".to_vec()]);
        assert!(!d.nothing_ahead());
        d.set_max_bulk_len(512 * 1024 * 1024);
        assert!(!d.nothing_ahead(), "an unchanged limit keeps the parses");
        d.set_max_bulk_len(4);
        assert!(d.nothing_ahead());
        assert_eq!(
            d.decode(&mut buf, true).unwrap_err().0,
            b"ERR Protocol error: invalid bulk length"
        );
    }

    /// Parsing ahead changes nothing: for random pipelines of well-formed, odd and
    /// malformed frames, inline commands and over-limit frames, arriving whole or in
    /// pieces, authenticated or not, decoding with `peek_keys` between requests gives
    /// the same requests and the same error as decoding without; and every key it
    /// reported is the second argument of a request that was then decoded, reported
    /// with that request's third argument (if any).
    #[test]
    fn parsing_ahead_changes_nothing() {
        use rand::{Rng, SeedableRng};
        let seed: u64 = rand::rng().random();
        println!("seed {seed}");
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let pieces: &[&[u8]] = &[
            b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n",
            b"*1\r\n$4\r\nPING\r\n",
            b"*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n",
            b"PING\r\n",
            b"SET a \"b c\"\r\n",
            b"\r\n",
            b"*0\r\n",
            b"*-1\r\n",
            b"*2\r\n$3\r\nGET\r\n$03\r\nkey\r\n",
            b"*2\r\n$3\r\nGET\r\n$+3\r\nkey\r\n",
            b"*1\r\n$4\r*PING\r\n",
            b"*12\r\n",
            b"*2\r\n$3\r\nGET\r\n:1\r\n",
            b"*1\r\n$4\r\nPINGxx",
            b"*2\r\n$3\r\nGET\r\n$20000\r\n",
            b"*x\r\n",
            b"$3\r\nabc\r\n",
        ];
        let big_value = vec![b'v'; 20_000];
        let mut big = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20000\r\n".to_vec();
        big.extend_from_slice(&big_value);
        big.extend_from_slice(b"\r\n");
        for case in 0..3000 {
            let mut input = Vec::new();
            for _ in 0..rng.random_range(1..12) {
                if rng.random_range(0..40) == 0 {
                    input.extend_from_slice(&big);
                } else {
                    // Mostly well-formed frames, the rest anything in the list.
                    let i = if rng.random_bool(0.7) {
                        rng.random_range(0..4)
                    } else {
                        rng.random_range(0..pieces.len())
                    };
                    input.extend_from_slice(pieces[i]);
                }
            }
            let chunk = if rng.random_bool(0.5) {
                input.len()
            } else {
                rng.random_range(1..40)
            };
            let authed = rng.random_bool(0.8);
            let (want, want_err, _) = decode_pieces(&input, chunk, authed, None);
            let (got, got_err, keys) = decode_pieces(&input, chunk, authed, Some(&mut rng));
            let shown = String::from_utf8_lossy(&input[..input.len().min(300)]).into_owned();
            let ctx =
                format!("seed {seed}, case {case}, chunk {chunk}, authed {authed}: {shown:?}");
            assert_eq!(got, want, "{ctx}");
            assert_eq!(got_err, want_err, "{ctx}");
            // (A frame the client's limits then refuse may have been peeked at.)
            if want_err.is_none() {
                let lookups: Vec<Peeked> = want
                    .iter()
                    .filter_map(|r| Some((r.get(1)?.clone(), r.get(2).cloned())))
                    .collect();
                for k in &keys {
                    assert!(
                        lookups.contains(k),
                        "{ctx}: peeked key {k:?} was no request's"
                    );
                }
            }
        }
    }
}
