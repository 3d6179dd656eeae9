//! Bitmaps on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO, as redis-server 7.0 answers them.
//!
//! Bit 0 is the most significant bit of the first byte. Writing past the end
//! zero-pads the string; reading past it reads zeros. A string a bit command writes
//! becomes `raw` (OBJECT ENCODING), as Redis unshares it first.

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::node::db::{Entry, StrEncoding};
use crate::node::dispatch::Ctx;
use crate::node::types::{compact_vec, CompactBytes, Value};
use crate::protocol::errors::{self, c_str};
use bytes::Bytes;

const OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";
const BIT_ERR: &str = "ERR bit is not an integer or out of range";
const BIT_ARG_ERR: &str = "ERR The bit argument must be 1 or 0.";
const NOT_SINGLE_ERR: &str = "ERR BITOP NOT must be called with a single source key.";
const TYPE_ERR: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const OVERFLOW_TYPE_ERR: &str = "ERR Invalid OVERFLOW type specified";
const RO_ERR: &str = "ERR BITFIELD_RO only supports the GET subcommand";

/// Redis's `getBitOffsetFromArgument`: a bit offset, or `#n` (n fields of `bits`
/// bits, BITFIELD only), below `proto-max-bulk-len` bytes.
fn bit_offset(ctx: &Ctx<'_>, arg: &[u8], field_bits: Option<u32>) -> Option<u64> {
    let (digits, scale) = match field_bits {
        Some(bits) if arg.len() > 1 && arg[0] == b'#' => (&arg[1..], bits as i64),
        _ => (arg, 1),
    };
    let offset = parse_i64(digits)?.wrapping_mul(scale);
    let limit = ctx.server.settings().proto_max_bulk_len;
    (offset >= 0 && ((offset >> 3) as u64) < limit).then_some(offset as u64)
}

/// The bit at `offset` (0 past the end).
fn bit_at(s: &[u8], offset: u64) -> bool {
    let byte = (offset >> 3) as usize;
    byte < s.len() && s[byte] & (0x80 >> (offset & 7)) != 0
}

/// Redis's `lookupStringForBitCommand`: run `f` on the string at `key` zero-padded to
/// at least `len` bytes, or on a new string of `len` zeros (created even if `f` then
/// writes nothing, as in Redis). `f` gets whether the string was created or grew,
/// and answers whether it changed anything: WATCH is signalled only then, a key
/// created by a BITFIELD whose writes all failed included. `None`: the key holds
/// another type (replied).
fn with_bits<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    len: usize,
    f: impl FnOnce(&mut [u8], bool) -> (R, bool),
) -> Option<R> {
    if let Some(mut e) = ctx.ks.get_mut(key) {
        let Value::Str(s) = &mut e.value else {
            ctx.out.error(errors::WRONGTYPE);
            return None;
        };
        let grown = s.len() < len;
        if grown {
            s.resize(len, 0);
        }
        let (r, changed) = f(&mut s[..], grown);
        e.str_encoding = StrEncoding::Raw;
        if !changed {
            e.unchanged();
        }
        return Some(r);
    }
    let mut e = ctx.ks.get_or_insert_with(key, || {
        let mut v = CompactBytes::new();
        v.resize(len, 0);
        Value::Str(v)
    });
    e.str_encoding = StrEncoding::Raw;
    let Value::Str(s) = &mut e.value else {
        unreachable!("just made a string")
    };
    let (r, changed) = f(&mut s[..], true);
    if !changed {
        e.unchanged();
    }
    Some(r)
}

pub(super) fn getbit(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(offset) = bit_offset(ctx, &args[2], None) else {
        return ctx.out.error(OFFSET_ERR);
    };
    match ctx.ks.get_value(&args[1]) {
        None => ctx.out.int(0),
        Some(Value::Str(s)) => ctx.out.int(bit_at(s, offset) as i64),
        Some(_) => ctx.out.error(errors::WRONGTYPE),
    }
}

/// SETBIT: the bit's old value.
pub(super) fn setbit(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let Some(offset) = bit_offset(ctx, &args[2], None) else {
        return ctx.out.error(OFFSET_ERR);
    };
    let on = match parse_i64(&args[3]) {
        Some(0) => false,
        Some(1) => true,
        _ => return ctx.out.error(BIT_ERR),
    };
    let (byte, mask) = ((offset >> 3) as usize, 0x80u8 >> (offset & 7));
    let old = with_bits(ctx, &args[1], byte + 1, |s, grown| {
        let old = s[byte] & mask != 0;
        if on {
            s[byte] |= mask;
        } else {
            s[byte] &= !mask;
        }
        (old, grown || old != on)
    });
    if let Some(old) = old {
        ctx.out.int(old as i64);
    }
}

/// A BITCOUNT / BITPOS range, as Redis converts it: byte `start..=end` (empty when
/// start > end), and in BIT units the bits of the first and last byte outside it.
struct Span {
    start: i64,
    end: i64,
    first_outside: u8,
    last_outside: u8,
}

impl Span {
    /// Negative indexes count from the end; both clamp to the string; BIT units
    /// become bytes and edge masks.
    fn new(mut start: i64, mut end: i64, len: usize, in_bits: bool) -> Span {
        let total = if in_bits {
            (len as i64) << 3
        } else {
            len as i64
        };
        if start < 0 {
            start += total;
        }
        if end < 0 {
            end += total;
        }
        start = start.max(0);
        end = end.max(0);
        if end >= total {
            end = total - 1;
        }
        let (mut first_outside, mut last_outside) = (0, 0);
        if in_bits && start <= end {
            first_outside = !(0xFFu8 >> (start & 7));
            last_outside = 0x7Fu8 >> (end & 7);
            start >>= 3;
            end >>= 3;
        }
        Span {
            start,
            end,
            first_outside,
            last_outside,
        }
    }

    /// The range in bit positions, inclusive.
    fn bits(&self) -> (u64, u64) {
        let from = (self.start as u64) * 8 + self.first_outside.count_ones() as u64;
        let to = (self.end as u64) * 8 + 7 - self.last_outside.count_ones() as u64;
        (from, to)
    }
}

/// `BYTE` or `BIT` (true), else a syntax error. Like every keyword here, read up to a
/// NUL, as Redis's `strcasecmp` reads it.
fn unit(arg: &[u8]) -> Option<bool> {
    let arg = c_str(arg);
    if eq_ignore_case(arg, "bit") {
        Some(true)
    } else if eq_ignore_case(arg, "byte") {
        Some(false)
    } else {
        None
    }
}

/// BITCOUNT key [start end [BYTE|BIT]]. Redis 7.0 looks the key up before reading
/// the range, so a missing key answers 0 whatever follows.
pub(super) fn bitcount(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let s = match ctx.ks.get_value(&args[1]) {
        None => return ctx.out.int(0),
        Some(Value::Str(s)) => s,
        Some(_) => return ctx.out.error(errors::WRONGTYPE),
    };
    let span = match args.len() {
        2 => Span::new(0, -1, s.len(), false),
        4 | 5 => {
            let (Some(start), Some(end)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
                return ctx.out.error(errors::NOT_INTEGER);
            };
            // Redis 7.0 answers this empty range before reading the unit.
            if start < 0 && end < 0 && start > end {
                return ctx.out.int(0);
            }
            let Some(in_bits) = args.get(4).map_or(Some(false), |a| unit(a)) else {
                return ctx.out.error(errors::SYNTAX);
            };
            Span::new(start, end, s.len(), in_bits)
        }
        _ => return ctx.out.error(errors::SYNTAX),
    };
    if span.start > span.end {
        return ctx.out.int(0);
    }
    let (from, to) = (span.start as usize, span.end as usize);
    let count = popcount(&s[from..=to])
        - (s[from] & span.first_outside).count_ones() as u64
        - (s[to] & span.last_outside).count_ones() as u64;
    ctx.out.int(count as i64)
}

/// Bits set in `bytes`, eight bytes at a time.
fn popcount(bytes: &[u8]) -> u64 {
    let words = bytes.chunks_exact(8);
    let tail: u64 = words
        .remainder()
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum();
    words.fold(tail, |n, w| {
        n + u64::from_ne_bytes(w.try_into().expect("8 bytes")).count_ones() as u64
    })
}

/// BITPOS key bit [start [end [BYTE|BIT]]]: the first bit set to `bit` in the range.
/// Looking for 0 without an end, the string counts as followed by zeros.
pub(super) fn bitpos(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let bit = match parse_i64(&args[2]) {
        None => return ctx.out.error(errors::NOT_INTEGER),
        Some(b @ (0 | 1)) => b == 1,
        Some(_) => return ctx.out.error(BIT_ARG_ERR),
    };
    let s = match ctx.ks.get_value(&args[1]) {
        None => return ctx.out.int(if bit { -1 } else { 0 }),
        Some(Value::Str(s)) => s,
        Some(_) => return ctx.out.error(errors::WRONGTYPE),
    };
    let (span, end_given) = match args.len() {
        3 => (Span::new(0, -1, s.len(), false), false),
        4..=6 => {
            let Some(start) = parse_i64(&args[3]) else {
                return ctx.out.error(errors::NOT_INTEGER);
            };
            let Some(in_bits) = args.get(5).map_or(Some(false), |a| unit(a)) else {
                return ctx.out.error(errors::SYNTAX);
            };
            let end = match args.get(4).map(|a| parse_i64(a)) {
                Some(Some(end)) => end,
                Some(None) => return ctx.out.error(errors::NOT_INTEGER),
                None => s.len() as i64 - 1,
            };
            (Span::new(start, end, s.len(), in_bits), args.len() > 4)
        }
        _ => return ctx.out.error(errors::SYNTAX),
    };
    if span.start > span.end {
        return ctx.out.int(-1);
    }
    let (from, to) = span.bits();
    let pos = match first_bit(s, from, to, bit) {
        Some(pos) => pos as i64,
        None if bit || end_given => -1,
        None => to as i64 + 1,
    };
    ctx.out.int(pos)
}

/// The first bit equal to `bit` in bit positions `from..=to` of `s`. Whole runs of
/// bytes without one (0x00 looking for 1, 0xFF looking for 0) are skipped eight bytes
/// at a time.
fn first_bit(s: &[u8], from: u64, to: u64, bit: bool) -> Option<u64> {
    let skip = if bit { 0x00 } else { 0xFF };
    let mut pos = from;
    while pos <= to {
        if pos & 7 == 0 {
            let (first, last) = ((pos >> 3) as usize, ((to + 1) >> 3) as usize);
            pos += 8 * skippable(&s[first..last], skip) as u64;
            if pos > to {
                break;
            }
        }
        let byte_start = pos & !7;
        let b = s[(byte_start >> 3) as usize];
        let wanted = if bit { b } else { !b };
        let last = (to - byte_start).min(7);
        let window = (0xFFu8 >> (pos & 7)) & (0xFFu8 << (7 - last));
        let hits = wanted & window;
        if hits != 0 {
            return Some(byte_start + hits.leading_zeros() as u64);
        }
        pos = byte_start + 8;
    }
    None
}

/// BITOP AND|OR|XOR|NOT dest key…: the result is as long as the longest source
/// (shorter ones and missing keys count as zeros); an empty result deletes `dest`.
pub(super) fn bitop(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    #[derive(PartialEq)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = match c_str(&args[1]).to_ascii_lowercase().as_slice() {
        b"and" => Op::And,
        b"or" => Op::Or,
        b"xor" => Op::Xor,
        b"not" => Op::Not,
        _ => return ctx.out.error(errors::SYNTAX),
    };
    if op == Op::Not && args.len() != 4 {
        return ctx.out.error(NOT_SINGLE_ERR);
    }
    // Every source is looked up (and counted, and type-checked) before any work.
    let sources = &args[3..];
    let mut len = 0;
    for key in sources {
        match ctx.ks.get_value(key) {
            None => {}
            Some(Value::Str(s)) => len = len.max(s.len()),
            Some(_) => return ctx.out.error(errors::WRONGTYPE),
        }
    }
    // The result starts as the first source, zero-padded; each other source is then
    // combined in place, a whole slice at a time (no copy of the other sources).
    let mut result = match ctx.ks.peek(&sources[0]).map(|e| &e.value) {
        Some(Value::Str(s)) => s.to_vec(),
        _ => Vec::new(),
    };
    result.resize(len, 0);
    if op == Op::Not {
        result.iter_mut().for_each(|b| *b = !*b);
    }
    for key in &sources[1..] {
        let src: &[u8] = match ctx.ks.peek(key).map(|e| &e.value) {
            Some(Value::Str(s)) => s,
            _ => &[],
        };
        let (common, rest) = result.split_at_mut(src.len());
        match op {
            Op::And => {
                common.iter_mut().zip(src).for_each(|(r, b)| *r &= b);
                rest.fill(0); // past this source's end its bytes are zeros
            }
            Op::Or => common.iter_mut().zip(src).for_each(|(r, b)| *r |= b),
            Op::Xor => common.iter_mut().zip(src).for_each(|(r, b)| *r ^= b),
            Op::Not => unreachable!("NOT has one source"),
        }
    }
    let dest = &args[2];
    if result.is_empty() {
        ctx.ks.delete_stored(dest);
    } else {
        let mut made = Entry::new(Value::Str(compact_vec(result)), ctx.ks.now());
        made.str_encoding = StrEncoding::Raw;
        ctx.ks.set_entry(dest, made);
    }
    ctx.out.int(len as i64)
}

/// What BITFIELD does when a SET or INCRBY does not fit its field.
#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// A field type: signed or not, and its width.
#[derive(Clone, Copy)]
struct Field {
    signed: bool,
    bits: u32,
}

/// One BITFIELD operation.
enum FieldOp {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// Redis's `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63` (up to a NUL).
fn field_type(arg: &[u8]) -> Option<Field> {
    let arg = c_str(arg);
    let signed = match arg.first()? {
        b'i' => true,
        b'u' => false,
        _ => return None,
    };
    let bits = parse_i64(&arg[1..])?;
    let max = if signed { 64 } else { 63 };
    (1..=max).contains(&bits).then_some(Field {
        signed,
        bits: bits as u32,
    })
}

/// The `bits`-bit unsigned value at bit `offset`.
fn get_unsigned(s: &[u8], offset: u64, bits: u32) -> u64 {
    (0..bits as u64).fold(0, |v, j| (v << 1) | bit_at(s, offset + j) as u64)
}

/// Store the low `bits` bits of `value` at bit `offset` (within `s`).
fn set_unsigned(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..bits as u64 {
        let on = value & (1 << (bits as u64 - 1 - j)) != 0;
        let at = offset + j;
        let (byte, mask) = ((at >> 3) as usize, 0x80u8 >> (at & 7));
        if on {
            s[byte] |= mask;
        } else {
            s[byte] &= !mask;
        }
    }
}

impl Field {
    /// The field's value at `offset`, sign-extended if signed.
    fn get(self, s: &[u8], offset: u64) -> i64 {
        let v = get_unsigned(s, offset, self.bits);
        if self.signed && self.bits < 64 && v & (1 << (self.bits - 1)) != 0 {
            (v | (u64::MAX << self.bits)) as i64
        } else {
            v as i64
        }
    }

    /// `value + incr` in this field: `Ok` if it fits, else `Err` with what WRAP or
    /// SAT make of it (`None` for FAIL). Redis's `check(Un)signedBitfieldOverflow`.
    fn add(self, value: i64, incr: i64, mode: Overflow) -> Result<i64, Option<i64>> {
        let bits = self.bits;
        let wrapped = || {
            let sum = (value as u64).wrapping_add(incr as u64);
            if bits == 64 {
                return sum as i64;
            }
            let high = u64::MAX << bits;
            if self.signed && sum & (1 << (bits - 1)) != 0 {
                (sum | high) as i64
            } else {
                (sum & !high) as i64
            }
        };
        let out_of_range = |limit: i64| match mode {
            Overflow::Wrap => Err(Some(wrapped())),
            Overflow::Sat => Err(Some(limit)),
            Overflow::Fail => Err(None),
        };
        if self.signed {
            let max = if bits == 64 {
                i64::MAX
            } else {
                (1i64 << (bits - 1)) - 1
            };
            let min = -max - 1;
            let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
            let min_incr = min.wrapping_sub(value);
            if value > max
                || (bits != 64 && incr > max_incr)
                || (value >= 0 && incr > 0 && incr > max_incr)
            {
                return out_of_range(max);
            }
            if value < min
                || (bits != 64 && incr < min_incr)
                || (value < 0 && incr < 0 && incr < min_incr)
            {
                return out_of_range(min);
            }
            Ok(value.wrapping_add(incr))
        } else {
            let uvalue = value as u64;
            let max = (1u64 << bits) - 1;
            let max_incr = max.wrapping_sub(uvalue) as i64;
            let min_incr = uvalue.wrapping_neg() as i64;
            if uvalue > max || (incr > 0 && incr > max_incr) {
                return out_of_range(max as i64);
            }
            if incr < 0 && incr < min_incr {
                return out_of_range(0);
            }
            Ok(uvalue.wrapping_add(incr as u64) as i64)
        }
    }
}

/// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset incr |
/// OVERFLOW WRAP|SAT|FAIL]…: every operation is parsed before any runs.
pub(super) fn bitfield(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bitfield_generic(ctx, args, false)
}

/// BITFIELD_RO key [GET type offset]…
pub(super) fn bitfield_ro(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    bitfield_generic(ctx, args, true)
}

fn bitfield_generic(ctx: &mut Ctx<'_>, args: &[Bytes], read_only: bool) {
    let mut ops: Vec<(FieldOp, Field, u64, Overflow)> = Vec::new();
    let mut mode = Overflow::Wrap;
    let mut end_bit = 0u64; // one past the last bit written
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let sub = c_str(&args[j]);
        let needs = if eq_ignore_case(sub, "get") && left >= 2 {
            2
        } else if (eq_ignore_case(sub, "set") || eq_ignore_case(sub, "incrby")) && left >= 3 {
            3
        } else if eq_ignore_case(sub, "overflow") && left >= 1 {
            mode = match c_str(&args[j + 1]).to_ascii_lowercase().as_slice() {
                b"wrap" => Overflow::Wrap,
                b"sat" => Overflow::Sat,
                b"fail" => Overflow::Fail,
                _ => return ctx.out.error(OVERFLOW_TYPE_ERR),
            };
            j += 2;
            continue;
        } else {
            return ctx.out.error(errors::SYNTAX);
        };
        let Some(field) = field_type(&args[j + 1]) else {
            return ctx.out.error(TYPE_ERR);
        };
        let Some(offset) = bit_offset(ctx, &args[j + 2], Some(field.bits)) else {
            return ctx.out.error(OFFSET_ERR);
        };
        let op = if needs == 2 {
            FieldOp::Get
        } else {
            end_bit = end_bit.max(offset + field.bits as u64);
            let Some(n) = parse_i64(&args[j + 3]) else {
                return ctx.out.error(errors::NOT_INTEGER);
            };
            if eq_ignore_case(sub, "set") {
                FieldOp::Set(n)
            } else {
                FieldOp::IncrBy(n)
            }
        };
        ops.push((op, field, offset, mode));
        j += 1 + needs;
    }
    let writes = ops.iter().any(|(op, ..)| !matches!(op, FieldOp::Get));
    if !writes {
        let s: &[u8] = match ctx.ks.get_value(&args[1]) {
            None => &[],
            Some(Value::Str(s)) => s,
            Some(_) => return ctx.out.error(errors::WRONGTYPE),
        };
        ctx.out.array(ops.len());
        for (_, field, offset, _) in &ops {
            ctx.out.int(field.get(s, *offset));
        }
        return;
    }
    if read_only {
        return ctx.out.error(RO_ERR);
    }
    let len = end_bit.div_ceil(8) as usize;
    let replies = with_bits(ctx, &args[1], len, |s, grown| {
        let mut changed = false;
        let replies: Vec<Option<i64>> = ops
            .iter()
            .map(|(op, field, offset, mode)| {
                let old = field.get(s, *offset);
                let (new, reply) = match *op {
                    FieldOp::Get => return Some(old),
                    FieldOp::Set(v) => match field.add(v, 0, *mode) {
                        Ok(v) | Err(Some(v)) => (v, old),
                        Err(None) => return None,
                    },
                    FieldOp::IncrBy(by) => match field.add(old, by, *mode) {
                        Ok(v) | Err(Some(v)) => (v, v),
                        Err(None) => return None,
                    },
                };
                set_unsigned(s, *offset, field.bits, new as u64);
                changed |= grown || new != old;
                Some(reply)
            })
            .collect();
        (replies, changed)
    });
    let Some(replies) = replies else {
        return;
    };
    ctx.out.array(replies.len());
    for r in replies {
        match r {
            Some(n) => ctx.out.int(n),
            None => ctx.out.null(),
        }
    }
}

/// How many leading bytes of `bytes` equal `skip`, compared eight at a time first.
fn skippable(bytes: &[u8], skip: u8) -> usize {
    let word = u64::from_ne_bytes([skip; 8]);
    let whole = bytes
        .chunks_exact(8)
        .take_while(|w| u64::from_ne_bytes((*w).try_into().expect("8 bytes")) == word)
        .count()
        * 8;
    whole + bytes[whole..].iter().take_while(|&&b| b == skip).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_convert_like_redis() {
        let s = Span::new(5, 30, 6, true);
        assert_eq!((s.start, s.end), (0, 3));
        assert_eq!(
            (s.first_outside, s.last_outside),
            (0b1111_1000, 0b0000_0001)
        );
        assert_eq!(s.bits(), (5, 30));
        let s = Span::new(-100, 100, 6, false);
        assert_eq!((s.start, s.end, s.bits()), (0, 5, (0, 47)));
        let s = Span::new(3, 1, 6, false);
        assert!(s.start > s.end);
    }

    #[test]
    fn first_bit_finds_bits_inside_the_window_only() {
        let s = [0b0110_0110u8, 0xFF, 0x00];
        assert_eq!(first_bit(&s, 0, 23, true), Some(1));
        assert_eq!(first_bit(&s, 3, 23, true), Some(5));
        assert_eq!(first_bit(&s, 8, 15, false), None);
        assert_eq!(first_bit(&s, 8, 23, false), Some(16));
        assert_eq!(first_bit(&s, 1, 2, false), None);
        assert_eq!(first_bit(&s, 16, 23, true), None);
    }

    #[test]
    fn fields_overflow_like_redis() {
        let u8f = Field {
            signed: false,
            bits: 8,
        };
        assert_eq!(u8f.add(300, 0, Overflow::Wrap), Err(Some(44)));
        assert_eq!(u8f.add(250, 10, Overflow::Sat), Err(Some(255)));
        assert_eq!(u8f.add(5, -10, Overflow::Sat), Err(Some(0)));
        assert_eq!(u8f.add(5, -10, Overflow::Wrap), Err(Some(251)));
        assert_eq!(u8f.add(5, -10, Overflow::Fail), Err(None));
        assert_eq!(u8f.add(5, 10, Overflow::Fail), Ok(15));
        let i8f = Field {
            signed: true,
            bits: 8,
        };
        assert_eq!(i8f.add(127, 1, Overflow::Wrap), Err(Some(-128)));
        assert_eq!(i8f.add(-128, -1, Overflow::Sat), Err(Some(-128)));
        assert_eq!(i8f.add(100, -200, Overflow::Fail), Ok(-100));
        let i64f = Field {
            signed: true,
            bits: 64,
        };
        assert_eq!(i64f.add(i64::MAX, 1, Overflow::Wrap), Err(Some(i64::MIN)));
        assert_eq!(i64f.add(i64::MIN, -1, Overflow::Sat), Err(Some(i64::MIN)));
        assert_eq!(i64f.add(-5, i64::MAX, Overflow::Fail), Ok(i64::MAX - 5));
        let mut s = [0u8; 2];
        set_unsigned(&mut s, 7, 5, 23);
        assert_eq!(s, [0b0000_0001, 0b0111_0000]);
        assert_eq!(get_unsigned(&s, 7, 5), 23);
        let i5 = Field {
            signed: true,
            bits: 5,
        };
        assert_eq!(i5.get(&s, 7), -9);
    }
}
