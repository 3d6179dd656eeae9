//! HSCAN. A compact hash (what Redis keeps as a listpack) is sent whole with cursor
//! 0, in insertion order, exactly as Redis does; a big one is walked with a cursor.

use super::{read, Found};
use crate::command::args::parse_scan_cursor;
use crate::command::args::{eq_ignore_case, parse_i64};
use crate::command::glob::glob_match;
use crate::node::dispatch::Ctx;
use crate::node::types::{CompactBytes, HashValue};
use crate::protocol::{errors, Reply};
use bytes::Bytes;

/// Cursor that does not parse as Redis's `strtoul` would accept it.
const INVALID_CURSOR: &str = "ERR invalid cursor";

pub(super) fn hscan(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    // Redis checks, in order: the cursor, the key, then the options.
    let Some(cursor) = parse_scan_cursor(&args[2]) else {
        return ctx.out.error(INVALID_CURSOR);
    };
    let h = match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::Hash(h)) => h,
        Some(Found::Missing) => {
            ctx.out.array(2);
            ctx.out.bulk(b"0");
            return ctx.out.array(0);
        }
        None => return,
    };
    let mut count = 10usize;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        if more && eq_ignore_case(&args[i], "count") {
            match parse_i64(&args[i + 1]) {
                None => return ctx.out.error(errors::NOT_INTEGER),
                Some(n) if n < 1 => return ctx.out.error(errors::SYNTAX),
                Some(n) => count = usize::try_from(n).unwrap_or(usize::MAX),
            }
        } else if more && eq_ignore_case(&args[i], "match") {
            let p = &args[i + 1][..];
            pattern = (p != b"*").then_some(p);
        } else {
            return ctx.out.error(errors::SYNTAX);
        }
        i += 2;
    }
    reply_page(ctx.out, h, cursor, count, pattern);
}

/// One HSCAN page: `[cursor, [field, value, ...]]`.
///
/// Big hashes are walked from the last index down; the cursor is how many indexes
/// remain. Deletes in a big hash swap the last field into the hole, so a field only
/// moves to a lower index and nothing present for the whole scan is missed.
fn reply_page(out: &mut Reply, h: &HashValue, cursor: u64, count: usize, pat: Option<&[u8]>) {
    let fields = h.fields();
    let keep = |k: &[u8]| pat.is_none_or(|p| glob_match(p, k, false));
    let (from, to, next) = if h.is_compact() {
        (0, fields.len(), 0)
    } else {
        let top = if cursor == 0 {
            fields.len()
        } else {
            usize::try_from(cursor)
                .unwrap_or(usize::MAX)
                .min(fields.len())
        };
        let bottom = top.saturating_sub(count);
        (bottom, top, bottom as u64)
    };
    let n = (from..to)
        .filter(|&i| keep(fields.get_index(i).expect("in range").0))
        .count();
    out.array(2);
    let mut buf = itoa::Buffer::new();
    out.bulk(buf.format(next).as_bytes());
    out.array(n * 2);
    let page = (from..to).map(|i| fields.get_index(i).expect("in range"));
    let visit = |(k, v): (&CompactBytes, &CompactBytes), out: &mut Reply| {
        if keep(k) {
            out.bulk(k);
            out.bulk(v);
        }
    };
    if h.is_compact() {
        page.for_each(|kv| visit(kv, out));
    } else {
        page.rev().for_each(|kv| visit(kv, out));
    }
}

#[cfg(test)]
mod tests {
    use crate::command::args::parse_scan_cursor;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"+5"), Some(5));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"18446744073709551615"), Some(u64::MAX));
        for bad in [&b" 1"[..], b"1 ", b"abc", b"+", b"18446744073709551616"] {
            assert_eq!(parse_scan_cursor(bad), None);
        }
    }
}
