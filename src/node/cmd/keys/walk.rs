//! Whole-keyspace walks: KEYS, SCAN and RANDOMKEY. They run with every shard locked
//! (`global`); matching uses Redis's own glob rules.

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::command::glob::glob_match;
use crate::node::dispatch::Ctx;
use crate::protocol::{errors, Reply};
use bytes::Bytes;

/// A compiled MATCH/KEYS pattern: a lone `*` matches everything (Redis short-cuts it;
/// the glob itself would not match the empty key).
fn pattern_matches(pat: Option<&[u8]>, key: &[u8]) -> bool {
    match pat {
        None => true,
        Some(p) => glob_match(p, key, false),
    }
}

fn as_pattern(p: &[u8]) -> Option<&[u8]> {
    (p != b"*").then_some(p)
}

pub(super) fn keys(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let pat = as_pattern(&args[1]);
    // Elements go to a scratch buffer first: the array header needs the count.
    let mut body = Reply::new();
    let mut n = 0;
    ctx.ks.for_each_key(|k, _| {
        if pattern_matches(pat, k) {
            body.bulk(k);
            n += 1;
        }
    });
    ctx.out.array(n);
    ctx.out.raw(&body.buf);
}

/// Parse a SCAN cursor like Redis's `parseScanCursorOrReply`: C `strtoul` in base 10
/// (an optional sign — `-1` wraps —, no leading space, the whole C string consumed,
/// no overflow). An empty string is cursor 0, as in Redis.
pub fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let s = arg.split(|&c| c == 0).next().unwrap_or_default();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        Some(c) if c.is_ascii_whitespace() || *c == 0x0b => return None,
        _ => (false, s),
    };
    if s.is_empty() {
        return Some(0);
    }
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. Cursor semantics are those of
/// [`Keyspace::scan`](crate::node::db::Keyspace::scan): every key present for the whole
/// iteration is returned at least once.
pub(super) fn scan(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(cursor) = parse_cursor(&args[1]) else {
        return ctx.out.error("ERR invalid cursor");
    };
    let mut count = 10usize;
    let mut pat: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if eq_ignore_case(&args[i], "count") && has_value {
            match parse_i64(&args[i + 1]) {
                None => return ctx.out.error(errors::NOT_INTEGER),
                Some(c) if c < 1 => return ctx.out.error(errors::SYNTAX),
                Some(c) => count = usize::try_from(c).unwrap_or(usize::MAX),
            }
        } else if eq_ignore_case(&args[i], "match") && has_value {
            pat = as_pattern(&args[i + 1]);
        } else if eq_ignore_case(&args[i], "type") && has_value {
            type_name = Some(&args[i + 1]);
        } else {
            return ctx.out.error(errors::SYNTAX);
        }
        i += 2;
    }
    let mut body = Reply::new();
    let mut n = 0;
    let next = ctx.ks.scan(cursor, count, |k, e| {
        if pattern_matches(pat, k)
            && type_name.is_none_or(|t| t.eq_ignore_ascii_case(e.value.type_name().as_bytes()))
        {
            body.bulk(k);
            n += 1;
        }
    });
    ctx.out.array(2);
    ctx.out.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.out.array(n);
    ctx.out.raw(&body.buf);
}

pub(super) fn randomkey(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    match ctx.ks.random_key() {
        Some(k) => ctx.out.bulk(&k),
        None => ctx.out.null(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursor_follows_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"abc"), None);
        assert_eq!(parse_cursor(b"1.5"), None);
        assert_eq!(parse_cursor(b"-"), None);
        assert_eq!(parse_cursor(b"5\x00junk"), Some(5));
    }
}
