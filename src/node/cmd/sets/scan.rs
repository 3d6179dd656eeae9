//! SSCAN/ZSCAN argument handling (MATCH uses the shared `command::glob`, cursors the
//! shared `command::args::parse_scan_cursor`).

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::protocol::errors;
use bytes::Bytes;

/// Redis's "invalid cursor" error.
pub const INVALID_CURSOR: &str = "ERR invalid cursor";

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
        self.pattern
            .is_none_or(|p| crate::command::glob::glob_match(p, m, false))
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

#[cfg(test)]
mod tests {
    use crate::command::args::parse_scan_cursor;

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
            assert_eq!(
                crate::command::glob::glob_match(p.as_bytes(), s.as_bytes(), false),
                want,
                "{p} {s}"
            );
        }
    }

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_scan_cursor(b"0"), Some(0));
        assert_eq!(parse_scan_cursor(b"+5"), Some(5));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"x"), None);
        assert_eq!(parse_scan_cursor(b" 1"), None);
        assert_eq!(parse_scan_cursor(b"18446744073709551616"), None);
    }
}
