//! The arguments LMPOP, BLMPOP, ZMPOP and BZMPOP share (Redis 7.0's
//! `lmpopGenericCommand` / `zmpopGenericCommand`): `numkeys key… WHERE [COUNT count]`.

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::node::blocking;
use crate::protocol::errors;
use bytes::Bytes;
use std::ops::Range;

/// A parsed multi-key pop.
pub(crate) struct MultiPop {
    /// Where the keys are in the arguments.
    pub keys: Range<usize>,
    /// LEFT (or MIN) was named, not RIGHT (or MAX).
    pub left_or_min: bool,
    /// How many elements to pop at most (COUNT; 1 without it).
    pub count: usize,
    /// A blocking form's timeout in ms (0: forever); `None` for LMPOP/ZMPOP.
    pub timeout_ms: Option<u64>,
}

/// Parse from `numkeys_at` on; `sides` are the two accepted words (LEFT/RIGHT,
/// MIN/MAX); `timeout`, a blocking form's, is read after the rest, as Redis reads it.
/// `Err` is Redis's error text.
pub(crate) fn parse(
    args: &[Bytes],
    numkeys_at: usize,
    sides: [&str; 2],
    timeout: Option<&Bytes>,
) -> Result<MultiPop, &'static str> {
    let numkeys = match parse_i64(&args[numkeys_at]) {
        Some(n) if n >= 1 => n as usize,
        _ => return Err("ERR numkeys should be greater than 0"),
    };
    let first = numkeys_at + 1;
    let where_at = first.saturating_add(numkeys);
    let Some(side) = args.get(where_at) else {
        return Err(errors::SYNTAX);
    };
    let left_or_min = if eq_ignore_case(side, sides[0]) {
        true
    } else if eq_ignore_case(side, sides[1]) {
        false
    } else {
        return Err(errors::SYNTAX);
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && eq_ignore_case(&args[j], "count") && j + 1 < args.len() {
            count = match parse_i64(&args[j + 1]) {
                Some(n) if n >= 1 => Some(n as usize),
                _ => return Err("ERR count should be greater than 0"),
            };
            j += 2;
        } else {
            return Err(errors::SYNTAX);
        }
    }
    let timeout_ms = timeout.map(|t| blocking::parse_timeout(t)).transpose()?;
    Ok(MultiPop {
        keys: first..where_at,
        left_or_min,
        count: count.unwrap_or(1),
        timeout_ms,
    })
}
