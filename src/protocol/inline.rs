//! The inline protocol (`PING\r\n` typed into telnet). `redis-protocol` only speaks
//! RESP frames, so the one line splitter lives here, following Redis's `sdssplitargs`:
//! double quotes with `\xHH`/`\n`-style escapes, single quotes, and "unbalanced quotes"
//! when a closing quote is not followed by a space.

use super::codec::{ProtocolError, Request, INLINE_MAX};
use bytes::{Bytes, BytesMut};

/// Result of looking for one inline command at the start of the buffer.
pub enum Line {
    /// No newline yet.
    Incomplete,
    /// A blank line: consumed, nothing to run.
    Empty,
    /// The command's arguments.
    Args(Request),
}

/// Take one line off `buf` and split it into arguments.
pub fn split_line(buf: &mut BytesMut) -> Result<Line, ProtocolError> {
    let Some(nl) = memchr::memchr(b'\n', buf) else {
        if buf.len() > INLINE_MAX {
            return Err(ProtocolError(
                "ERR Protocol error: too big inline request".into(),
            ));
        }
        return Ok(Line::Incomplete);
    };
    let line = buf.split_to(nl + 1).freeze();
    let mut text = &line[..nl];
    if text.last() == Some(&b'\r') {
        text = &text[..text.len() - 1];
    }
    let args = split_args(text)
        .ok_or_else(|| ProtocolError("ERR Protocol error: unbalanced quotes in request".into()))?;
    if args.is_empty() {
        return Ok(Line::Empty);
    }
    Ok(Line::Args(args))
}

/// `sdssplitargs`: `None` on unbalanced quotes.
pub fn split_args(mut s: &[u8]) -> Option<Request> {
    let mut out = Request::new();
    loop {
        while let Some((c, rest)) = s.split_first() {
            if c.is_ascii_whitespace() {
                s = rest;
            } else {
                break;
            }
        }
        if s.is_empty() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut i = 0;
        match s[0] {
            b'"' => {
                i = 1;
                loop {
                    if i >= s.len() {
                        return None;
                    }
                    let c = s[i];
                    if c == b'\\'
                        && i + 3 < s.len()
                        && s[i + 1] == b'x'
                        && is_hex(s[i + 2])
                        && is_hex(s[i + 3])
                    {
                        cur.push(hex(s[i + 2]) * 16 + hex(s[i + 3]));
                        i += 4;
                    } else if c == b'\\' && i + 1 < s.len() {
                        cur.push(match s[i + 1] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                        i += 2;
                    } else if c == b'"' {
                        if i + 1 < s.len() && !s[i + 1].is_ascii_whitespace() {
                            return None;
                        }
                        i += 1;
                        break;
                    } else {
                        cur.push(c);
                        i += 1;
                    }
                }
            }
            b'\'' => {
                i = 1;
                loop {
                    if i >= s.len() {
                        return None;
                    }
                    let c = s[i];
                    if c == b'\\' && i + 1 < s.len() && s[i + 1] == b'\'' {
                        cur.push(b'\'');
                        i += 2;
                    } else if c == b'\'' {
                        if i + 1 < s.len() && !s[i + 1].is_ascii_whitespace() {
                            return None;
                        }
                        i += 1;
                        break;
                    } else {
                        cur.push(c);
                        i += 1;
                    }
                }
            }
            _ => {
                while i < s.len() && !s[i].is_ascii_whitespace() {
                    cur.push(s[i]);
                    i += 1;
                }
            }
        }
        out.push(Bytes::from(cur));
        s = &s[i..];
    }
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn hex(c: u8) -> u8 {
    (c as char).to_digit(16).unwrap_or(0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s.as_bytes()).map(|v| {
            v.iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect()
        })
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            split("  ping   \"a b\" 'c' x").unwrap(),
            vec!["ping", "a b", "c", "x"]
        );
        assert_eq!(split("echo \"\\x41\\n\"").unwrap(), vec!["echo", "A\n"]);
        assert_eq!(split("set 'it\\'s' v").unwrap(), vec!["set", "it's", "v"]);
        assert_eq!(split("ping \"a"), None);
        assert_eq!(split("ping \"a\"b"), None);
        assert_eq!(split("   ").unwrap(), Vec::<String>::new());
    }
}
