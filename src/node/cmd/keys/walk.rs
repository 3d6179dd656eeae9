//! Whole-keyspace walks: KEYS, SCAN and RANDOMKEY. They run with every shard locked
//! (`global`); matching uses Redis's own glob rules.

use crate::command::args::{eq_ignore_case, parse_i64, parse_scan_cursor};
use crate::command::glob::glob_match;
use crate::node::db::ScanLook;
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

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. Cursor semantics are those of
/// [`Keyspace::scan`](crate::node::db::Keyspace::scan): every key present for the whole
/// iteration is returned at least once.
pub(super) fn scan(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(cursor) = parse_scan_cursor(&args[1]) else {
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
    let next = ctx.ks.scan(cursor, count, |k, e, live| {
        if !pattern_matches(pat, k) {
            return ScanLook::Filtered;
        }
        let is_type = |t: &[u8]| t.eq_ignore_ascii_case(e.value.type_name().as_bytes());
        if live && type_name.is_none_or(is_type) {
            body.bulk(k);
            n += 1;
        }
        match type_name {
            Some(_) => ScanLook::TypeChecked,
            None => ScanLook::Examined,
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
    use crate::command::args::parse_scan_cursor;

    #[test]
    fn cursor_follows_strtoul() {
        assert_eq!(parse_scan_cursor(b"0"), Some(0));
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"+5"), Some(5));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"007"), Some(7));
        assert_eq!(parse_scan_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_scan_cursor(b" 1"), None);
        assert_eq!(parse_scan_cursor(b"abc"), None);
        assert_eq!(parse_scan_cursor(b"1.5"), None);
        assert_eq!(parse_scan_cursor(b"-"), None);
        assert_eq!(parse_scan_cursor(b"5\x00junk"), Some(5));
    }
}
