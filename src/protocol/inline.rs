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
    // Redis finds the line with strchr, which stops at a NUL byte: a NUL before the
    // newline means no line yet (and, past 64 KB, a too-big request).
    let nl = memchr::memchr2(b'\n', 0, buf).filter(|&i| buf[i] == b'\n');
    let Some(nl) = nl else {
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

/// C's `isspace`: unlike `u8::is_ascii_whitespace` it includes the vertical tab.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `sdssplitargs`, byte for byte: `None` on unbalanced quotes.
///
/// Blanks between arguments are C `isspace`; an unquoted argument ends at a space,
/// tab, CR or LF only, and a quote inside it opens a quoted part of the same argument
/// (`a"b c"` is one argument, `ab c`); a closing quote must be followed by `isspace` or
/// the end of the line.
pub fn split_args(s: &[u8]) -> Option<Request> {
    let mut out = Request::new();
    let mut i = 0;
    loop {
        while i < s.len() && is_c_space(s[i]) {
            i += 1;
        }
        if i >= s.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = s.get(i).copied();
            if in_double {
                match c {
                    None => return None,
                    Some(b'\\')
                        if s.get(i + 1) == Some(&b'x')
                            && s.get(i + 2).is_some_and(|&h| is_hex(h))
                            && s.get(i + 3).is_some_and(|&h| is_hex(h)) =>
                    {
                        cur.push(hex(s[i + 2]) * 16 + hex(s[i + 3]));
                        i += 3;
                    }
                    Some(b'\\') if i + 1 < s.len() => {
                        i += 1;
                        cur.push(match s[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        if s.get(i + 1).is_some_and(|&n| !is_c_space(n)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => cur.push(other),
                }
            } else if in_single {
                match c {
                    None => return None,
                    Some(b'\\') if s.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        cur.push(b'\'');
                    }
                    Some(b'\'') => {
                        if s.get(i + 1).is_some_and(|&n| !is_c_space(n)) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => cur.push(other),
                }
            } else {
                match c {
                    None | Some(b' ' | b'\n' | b'\r' | b'\t') => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(other) => cur.push(other),
                }
            }
            i += 1;
        }
        out.push(Bytes::from(cur));
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

    /// Cases where Redis 7.0's `sdssplitargs` differs from a naive splitter (each one
    /// checked against redis-server by the protocol fuzzer).
    #[test]
    fn quotes_inside_words_and_c_isspace() {
        assert_eq!(split("ECHO a\"b c\"").unwrap(), vec!["ECHO", "ab c"]);
        assert_eq!(split("C\"\"").unwrap(), vec!["C"]);
        assert_eq!(split("y\""), None);
        assert_eq!(split("ECHO 'a'\x0b").unwrap(), vec!["ECHO", "a"]);
        assert_eq!(split("ECHO \"a\"\x0b").unwrap(), vec!["ECHO", "a"]);
        assert_eq!(split("\x0bPING\x0b").unwrap(), vec!["PING\x0b"]);
    }
}
