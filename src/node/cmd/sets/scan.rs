//! SSCAN/ZSCAN argument handling and the MATCH glob matcher.
//!
//! The glob matcher is a private port of Redis's `stringmatchlen`; the keys family has
//! its own for SCAN/KEYS, and the two should be merged into one shared module.

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::protocol::errors;
use bytes::Bytes;

/// Redis's "invalid cursor" error.
pub const INVALID_CURSOR: &str = "ERR invalid cursor";

/// Parse a cursor like Redis's `parseScanCursorOrReply` (`strtoul`: optional sign,
/// a negative value wraps, no leading space, no trailing junk, no overflow).
pub fn parse_cursor(s: &[u8]) -> Option<u64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// The options after `SSCAN key cursor`.
pub struct ScanOpts<'a> {
    /// Elements to visit per call (a hint).
    pub count: usize,
    /// MATCH pattern, `None` for none or `*`.
    pub pattern: Option<&'a [u8]>,
}

impl ScanOpts<'_> {
    /// True if `m` passes the MATCH filter.
    pub fn matches(&self, m: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob_match(p, m))
    }
}

/// Parse `[MATCH pattern] [COUNT count]` (args from index 3), or the error reply text.
pub fn parse_opts(args: &[Bytes]) -> Result<ScanOpts<'_>, &'static str> {
    let mut opts = ScanOpts {
        count: 10,
        pattern: None,
    };
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - i - 1;
        if eq_ignore_case(&args[i], "count") && more >= 1 {
            let n = parse_i64(&args[i + 1]).ok_or(errors::NOT_INTEGER)?;
            if n < 1 {
                return Err(errors::SYNTAX);
            }
            opts.count = n as usize;
        } else if eq_ignore_case(&args[i], "match") && more >= 1 {
            let p = &args[i + 1][..];
            opts.pattern = if p == b"*" { None } else { Some(p) };
        } else {
            return Err(errors::SYNTAX);
        }
        i += 2;
    }
    Ok(opts)
}

/// One step of an index-walking scan over `len` slots, visiting `count` of them from
/// the top down (see `Keyspace::scan`: swap-removal only moves elements downwards, so
/// every element present for the whole scan is returned). Cursor 0 starts; the
/// returned cursor is the number of slots left (0 = done).
pub fn index_scan(len: usize, cursor: u64, count: usize, mut visit: impl FnMut(usize)) -> u64 {
    let mut pos = if cursor == 0 {
        len
    } else {
        (cursor.min(len as u64)) as usize
    };
    let mut n = 0;
    while pos > 0 && n < count {
        pos -= 1;
        n += 1;
        visit(pos);
    }
    pos as u64
}

/// Redis's `stringmatchlen` (case-sensitive), byte for byte, including its C-string
/// quirks (reading past the pattern yields NUL) and the `skipLongerMatches` cut-off
/// that keeps `*a*a*a…` patterns linear.
pub fn glob_match(pattern: &[u8], s: &[u8]) -> bool {
    let mut skip = false;
    match_impl(pattern, s, &mut skip)
}

fn match_impl(pat: &[u8], s: &[u8], skip_longer: &mut bool) -> bool {
    let at = |p: &[u8], i: usize| p.get(i).copied().unwrap_or(0);
    let (mut p, mut si) = (0usize, 0usize);
    while p < pat.len() && si < s.len() {
        match pat[p] {
            b'*' => {
                while p + 1 < pat.len() && pat[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pat.len() {
                    return true;
                }
                while si < s.len() {
                    if match_impl(&pat[p + 1..], &s[si..], skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                p += 1;
                let not = at(pat, p) == b'^';
                if not {
                    p += 1;
                }
                let c = s[si];
                let mut matched = false;
                loop {
                    if at(pat, p) == b'\\' && pat.len() - p >= 2 {
                        p += 1;
                        if pat[p] == c {
                            matched = true;
                        }
                    } else if at(pat, p) == b']' {
                        break;
                    } else if p >= pat.len() {
                        p -= 1;
                        break;
                    } else if pat.len() - p >= 3 && pat[p + 1] == b'-' {
                        // C compares (signed) chars.
                        let (mut lo, mut hi) = (pat[p] as i8, pat[p + 2] as i8);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        p += 2;
                        if (lo..=hi).contains(&(c as i8)) {
                            matched = true;
                        }
                    } else if pat[p] == c {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
            }
            ch => {
                let lit = if ch == b'\\' && pat.len() - p >= 2 {
                    p += 1;
                    pat[p]
                } else {
                    ch
                };
                if lit != s[si] {
                    return false;
                }
                si += 1;
            }
        }
        p += 1;
        if si == s.len() {
            while at(pat, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pat.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_like_redis() {
        for (p, s, want) in [
            ("*", "", false), // as in C: the loop never runs
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("a?c", "abc", true),
            ("a[bx]c", "abc", true),
            ("a[^b]c", "abc", false),
            ("a[a-c]c", "abc", true),
            ("a[c-a]c", "abc", true),
            ("a\\*c", "a*c", true),
            ("a\\*c", "abc", false),
            ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("1*", "10", true),
            ("[abc", "a", true),
            ("", "", true),
            ("", "a", false),
        ] {
            assert_eq!(glob_match(p.as_bytes(), s.as_bytes()), want, "{p} {s}");
        }
    }

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"x"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
    }
}
