//! Reply encoding straight into the connection's output buffer.
//!
//! Handlers call these builders; nothing is allocated per reply and a whole pipeline's
//! replies leave in one `write`. The RESP2/RESP3 differences (maps, sets, nulls,
//! doubles, verbatim strings) are decided here and nowhere else.

use bytes::BytesMut;

/// The output buffer of one connection plus the protocol version it speaks.
#[derive(Debug, Default)]
pub struct Reply {
    /// Encoded bytes waiting to be written.
    pub buf: BytesMut,
    /// True after `HELLO 3`.
    pub resp3: bool,
}

impl Reply {
    /// An empty RESP2 buffer.
    pub fn new() -> Self {
        Reply::default()
    }

    #[inline]
    fn put(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    #[inline]
    fn header(&mut self, kind: u8, n: i64) {
        let mut f = itoa::Buffer::new();
        self.buf.extend_from_slice(&[kind]);
        self.buf.extend_from_slice(f.format(n).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`.
    #[inline]
    pub fn ok(&mut self) {
        self.put(b"+OK\r\n");
    }

    /// A simple status line, e.g. `+PONG`.
    pub fn simple(&mut self, s: &str) {
        self.put(b"+");
        self.put(s.as_bytes());
        self.put(b"\r\n");
    }

    /// An error line; `msg` is the full text including its code (`ERR …`, `WRONGTYPE …`).
    pub fn error(&mut self, msg: impl AsRef<[u8]>) {
        self.put(b"-");
        self.put(msg.as_ref());
        self.put(b"\r\n");
    }

    /// An integer.
    #[inline]
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    /// A bulk string.
    #[inline]
    pub fn bulk(&mut self, b: &[u8]) {
        self.header(b'$', b.len() as i64);
        self.put(b);
        self.put(b"\r\n");
    }

    /// A bulk string holding a decimal integer (e.g. INCRBYFLOAT-style string replies).
    pub fn bulk_int(&mut self, n: i64) {
        let mut f = itoa::Buffer::new();
        self.bulk(f.format(n).as_bytes());
    }

    /// The null bulk string (`$-1` / RESP3 `_`).
    #[inline]
    pub fn null(&mut self) {
        if self.resp3 {
            self.put(b"_\r\n");
        } else {
            self.put(b"$-1\r\n");
        }
    }

    /// The null array (`*-1` / RESP3 `_`), e.g. EXEC after a WATCH conflict.
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.put(b"_\r\n");
        } else {
            self.put(b"*-1\r\n");
        }
    }

    /// Start an array of `n` elements.
    #[inline]
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// Start a map of `n` key/value pairs (RESP2: a flat array of `2n`).
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// Start a set of `n` members (RESP2: an array).
    pub fn set(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'~', n as i64);
        } else {
            self.header(b'*', n as i64);
        }
    }

    /// A double, formatted as Redis 7.0 does (`%.17g`; RESP2 sends it as a bulk string).
    pub fn double(&mut self, v: f64) {
        let mut text = Vec::with_capacity(24);
        crate::command::args::format_g17(v, &mut text);
        if self.resp3 {
            self.put(b",");
            self.put(&text);
            self.put(b"\r\n");
        } else {
            self.bulk(&text);
        }
    }

    /// A RESP3 boolean (RESP2: integer 1/0).
    pub fn boolean(&mut self, v: bool) {
        if self.resp3 {
            self.put(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }

    /// A verbatim string (`=len\r\ntxt:…` in RESP3, bulk in RESP2), as INFO and CLIENT
    /// INFO reply.
    pub fn verbatim(&mut self, text: &[u8]) {
        self.verbatim_as(*b"txt", text);
    }

    /// A verbatim string of the given three-byte format (`=len\r\nfmt:…` in RESP3,
    /// bulk in RESP2), as Redis's `addReplyVerbatim`.
    pub fn verbatim_as(&mut self, format: [u8; 3], text: &[u8]) {
        if self.resp3 {
            self.header(b'=', text.len() as i64 + 4);
            self.put(&format);
            self.put(b":");
            self.put(text);
            self.put(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A big number, given as its digits (`(…` in RESP3; RESP2 sends it as a bulk
    /// string), as Redis's `addReplyBigNum`.
    pub fn big_number(&mut self, digits: &[u8]) {
        if self.resp3 {
            self.put(b"(");
            self.put(digits);
            self.put(b"\r\n");
        } else {
            self.bulk(digits);
        }
    }

    /// Already-encoded RESP (e.g. the pre-recorded `COMMAND DOCS` entries).
    pub fn raw(&mut self, b: &[u8]) {
        self.put(b);
    }

    /// Bytes written so far (used to rewind a partial reply).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing is waiting to be written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Drop everything written after `len`.
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_shapes() {
        let mut r = Reply::new();
        r.map(1);
        r.bulk(b"a");
        r.double(1.5);
        r.null();
        assert_eq!(&r.buf[..], b"*2\r\n$1\r\na\r\n$3\r\n1.5\r\n$-1\r\n");
        let mut r = Reply {
            resp3: true,
            ..Reply::default()
        };
        r.map(1);
        r.bulk(b"a");
        r.double(1.5);
        r.null();
        r.set(0);
        assert_eq!(&r.buf[..], b"%1\r\n$1\r\na\r\n,1.5\r\n_\r\n~0\r\n");
    }
}
