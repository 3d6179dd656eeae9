//! APPEND, STRLEN, GETRANGE and SETRANGE.

use crate::command::args::parse_i64;
use crate::node::db::{Entry, StrEncoding};
use crate::node::dispatch::Ctx;
use crate::node::server::Server;
use crate::node::types::{compact, CompactBytes, Value};
use crate::protocol::errors;
use bytes::Bytes;

/// Redis's `checkStringLength`: would a string of `len + extra` bytes pass
/// `proto-max-bulk-len`?
fn fits(server: &Server, len: u64, extra: u64) -> bool {
    len.saturating_add(extra) <= server.settings().proto_max_bulk_len
}

pub(super) fn append(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let add = &args[2][..];
    if let Some(mut e) = ctx.ks.get_mut(&args[1]) {
        let Value::Str(s) = &mut e.value else {
            return ctx.out.error(errors::WRONGTYPE);
        };
        if !fits(ctx.server, s.len() as u64, add.len() as u64) {
            return ctx.out.error(errors::STRING_TOO_LONG);
        }
        // Grows in place, geometrically, so repeated APPENDs do not copy every time.
        s.extend_from_slice(add);
        let len = s.len();
        e.str_encoding = StrEncoding::Raw;
        return ctx.out.int(len as i64);
    }
    ctx.ks.set(&args[1], Value::Str(compact(add)), 0);
    ctx.out.int(add.len() as i64);
}

pub(super) fn strlen(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    match ctx.ks.get_value(&args[1]) {
        None => ctx.out.int(0),
        Some(Value::Str(s)) => ctx.out.int(s.len() as i64),
        Some(_) => ctx.out.error(errors::WRONGTYPE),
    }
}

/// GETRANGE with Redis 7.0's index rules (both negative and start > end is empty;
/// negatives count from the end and clamp at 0; end clamps to the last byte).
pub(super) fn getrange(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let (Some(start), Some(end)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
        return ctx.out.error(errors::NOT_INTEGER);
    };
    let s = match ctx.ks.get_value(&args[1]) {
        None => return ctx.out.bulk(b""),
        Some(Value::Str(s)) => s,
        Some(_) => return ctx.out.error(errors::WRONGTYPE),
    };
    match byte_range(start, end, s.len()) {
        Some((from, to)) => ctx.out.bulk(&s[from..=to]),
        None => ctx.out.bulk(b""),
    }
}

/// Inclusive byte range GETRANGE returns, or `None` for the empty string.
fn byte_range(mut start: i64, mut end: i64, len: usize) -> Option<(usize, usize)> {
    let n = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += n;
    }
    if end < 0 {
        end += n;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= n {
        end = n - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

/// SETRANGE: offset checks first, then the key; an empty value never creates a key.
pub(super) fn setrange(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(offset) = parse_i64(&args[2]) else {
        return ctx.out.error(errors::NOT_INTEGER);
    };
    if offset < 0 {
        return ctx.out.error(errors::OFFSET_OUT_OF_RANGE);
    }
    let offset = offset as u64;
    let val = &args[3][..];
    if let Some(mut e) = ctx.ks.get_mut(&args[1]) {
        let Value::Str(s) = &mut e.value else {
            return ctx.out.error(errors::WRONGTYPE);
        };
        if val.is_empty() {
            let len = s.len() as i64;
            e.unchanged();
            return ctx.out.int(len);
        }
        if !fits(ctx.server, offset, val.len() as u64) {
            return ctx.out.error(errors::STRING_TOO_LONG);
        }
        overwrite(s, offset as usize, val);
        let len = s.len();
        e.str_encoding = StrEncoding::Raw;
        return ctx.out.int(len as i64);
    }
    if val.is_empty() {
        return ctx.out.int(0);
    }
    if !fits(ctx.server, offset, val.len() as u64) {
        return ctx.out.error(errors::STRING_TOO_LONG);
    }
    let mut v = CompactBytes::new();
    overwrite(&mut v, offset as usize, val);
    let len = v.len();
    let mut made = Entry::new(Value::Str(v), ctx.ks.now());
    made.str_encoding = StrEncoding::Raw; // Redis makes it as a raw string
    ctx.ks.put(&args[1], made);
    ctx.out.int(len as i64);
}

/// Write `val` at `offset`, zero-padding the gap.
fn overwrite(v: &mut CompactBytes, offset: usize, val: &[u8]) {
    let end = offset + val.len();
    if v.len() < end {
        v.resize(end, 0);
    }
    v[offset..end].copy_from_slice(val);
}

#[cfg(test)]
mod tests {
    use super::byte_range;

    #[test]
    fn getrange_indexes() {
        assert_eq!(byte_range(0, 4, 11), Some((0, 4)));
        assert_eq!(byte_range(-5, -1, 11), Some((6, 10)));
        assert_eq!(byte_range(5, 2, 11), None);
        assert_eq!(byte_range(100, 200, 11), None);
        assert_eq!(byte_range(-100, 3, 11), Some((0, 3)));
        assert_eq!(byte_range(-1, -5, 11), None);
        assert_eq!(byte_range(0, -100, 1), Some((0, 0)));
        assert_eq!(byte_range(0, -1, 0), None);
        assert_eq!(byte_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
    }
}
