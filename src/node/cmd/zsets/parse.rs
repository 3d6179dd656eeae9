//! Number and range arguments of the sorted-set commands, parsed exactly as Redis 7.0
//! does: scores through `string2d` (C `strtod`: hex floats, `inf`, no NaN, overflow
//! rejected) and ZRANGEBYSCORE/ZRANGEBYLEX intervals through `zslParseRange` /
//! `zslParseLexRange` (plain `strtod`, which skips leading blanks and takes "" as 0).
//!
//! `command::args::parse_f64` is Rust's float parser, which differs from `strtod` on
//! hex floats and out-of-range values; ZADD scores need the exact rules, hence this
//! local `strtod` (a candidate to move next to `parse_f64` later).

use crate::node::types::zset::{LexBound, LexRange, ScoreRange};
use crate::protocol::errors::c_str;

/// Error for a bad ZRANGEBYSCORE-style interval.
pub const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
/// Error for a bad ZRANGEBYLEX-style interval.
pub const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// C `strtod` on a string it must consume entirely: the value and whether `errno`
/// would be `ERANGE` (overflow to ±inf, or underflow to 0). `None` if `s` is not
/// exactly one number. No leading blanks are skipped here.
pub fn strtod(s: &[u8]) -> Option<(f64, bool)> {
    let (neg, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (v, erange) = if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity")
    {
        (f64::INFINITY, false)
    } else if body.len() >= 3 && body[..3].eq_ignore_ascii_case(b"nan") {
        let rest = &body[3..];
        let seq_ok = rest.is_empty()
            || (rest.len() >= 2
                && rest[0] == b'('
                && rest[rest.len() - 1] == b')'
                && rest[1..rest.len() - 1]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_'));
        if !seq_ok {
            return None;
        }
        (f64::NAN, false)
    } else if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        hex(&body[2..])?
    } else {
        decimal(body)?
    };
    Some((if neg { -v } else { v }, erange))
}

/// `[digits][.digits][(e|E)[sign]digits]`, at least one mantissa digit.
fn decimal(s: &[u8]) -> Option<(f64, bool)> {
    let mut i = 0;
    let mut digits = 0;
    let mut nonzero = false;
    let mut seen_dot = false;
    while i < s.len() {
        match s[i] {
            b'.' if !seen_dot => seen_dot = true,
            c if c.is_ascii_digit() => {
                digits += 1;
                nonzero |= c != b'0';
            }
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() {
        if s[i] | 0x20 != b'e' {
            return None;
        }
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        if j == s.len() || !s[j..].iter().all(u8::is_ascii_digit) {
            return None;
        }
    }
    if !seen_dot && i == s.len() && digits <= 15 {
        // Plain digits below 10^15 < 2^53: the integer is exactly the double strtod
        // returns, and building it costs a tenth of the general parse. The common
        // score (redis-benchmark's ZADD, timestamps in seconds, counters).
        let int = s.iter().fold(0u64, |n, &c| n * 10 + u64::from(c - b'0'));
        return Some((int as f64, false));
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    Some((v, v.is_infinite() || (v == 0.0 && nonzero)))
}

/// Hex float after `0x`: `[hexdigits][.hexdigits][(p|P)[sign]digits]`.
fn hex(s: &[u8]) -> Option<(f64, bool)> {
    let mut i = 0;
    let mut mant = 0f64;
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut seen_dot = false;
    while i < s.len() {
        match s[i] {
            b'.' if !seen_dot => seen_dot = true,
            c if c.is_ascii_hexdigit() => {
                mant = mant * 16.0 + (c as char).to_digit(16).expect("hex") as f64;
                digits += 1;
                if seen_dot {
                    exp -= 4;
                }
            }
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() {
        if s[i] | 0x20 != b'p' {
            return None;
        }
        let e = &s[i + 1..];
        let (eneg, ed) = match e.first() {
            Some(b'-') => (true, &e[1..]),
            Some(b'+') => (false, &e[1..]),
            _ => (false, e),
        };
        if ed.is_empty() || !ed.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = ed
            .iter()
            .fold(0i64, |a, &c| (a * 10 + (c - b'0') as i64).min(100_000));
        exp += if eneg { -n } else { n };
    }
    let v = mant * 2f64.powi(exp.clamp(-5000, 5000) as i32);
    Some((v, v.is_infinite() || (v == 0.0 && mant != 0.0)))
}

/// A score argument (ZADD, ZINCRBY) per Redis's `string2d`.
pub fn parse_score(s: &[u8]) -> Option<f64> {
    if s.first().is_none_or(|c| is_c_space(*c)) {
        return None;
    }
    match strtod(s)? {
        (v, false) if !v.is_nan() => Some(v),
        _ => None,
    }
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// One end of a score interval as `zslParseRange` reads it.
fn range_end(s: &[u8]) -> Option<(f64, bool)> {
    let (ex, s) = match s.first() {
        Some(b'(') => (true, &s[1..]),
        _ => (false, s),
    };
    let s = c_str(s);
    if s.is_empty() {
        return Some((0.0, ex)); // strtod("") converts nothing and stops at the NUL
    }
    let start = s.iter().position(|c| !is_c_space(*c))?;
    match strtod(&s[start..])? {
        (v, _) if v.is_nan() => None,
        (v, _) => Some((v, ex)),
    }
}

/// `min max` of ZRANGEBYSCORE, ZCOUNT…
pub fn score_range(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
    let (min, minex) = range_end(min)?;
    let (max, maxex) = range_end(max)?;
    Some(ScoreRange {
        min,
        minex,
        max,
        maxex,
    })
}

fn lex_end(s: &[u8]) -> Option<LexBound<'_>> {
    let alone = s.len() == 1 || s.get(1) == Some(&0);
    match s.first()? {
        b'+' if alone => Some(LexBound::Max),
        b'-' if alone => Some(LexBound::Min),
        b'(' => Some(LexBound::Excl(&s[1..])),
        b'[' => Some(LexBound::Incl(&s[1..])),
        _ => None,
    }
}

/// `min max` of ZRANGEBYLEX, ZLEXCOUNT…
pub fn lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Option<LexRange<'a>> {
    Some(LexRange {
        min: lex_end(min)?,
        max: lex_end(max)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_string2d() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_score(b".5e1"), Some(5.0));
        for bad in [
            &b"nan"[..],
            b"1e400",
            b"1e-400",
            b" 1",
            b"",
            b"1e",
            b"0x",
            b"abc",
            b"1 ",
        ] {
            assert_eq!(parse_score(bad), None, "{:?}", bad);
        }
    }

    /// Plain digits take a shortcut; it must give the general parse's double, bit
    /// for bit, on both sides of its 15-digit limit.
    #[test]
    fn plain_digit_scores_equal_the_general_parse() {
        for text in [
            "0",
            "-0",
            "+7",
            "0042",
            "12345",
            "999999999999999",
            "1000000000000000",
            "9007199254740993",
            "-123456789012345",
            "000000000000000000001",
        ] {
            let general: f64 = text.parse().unwrap();
            let (v, erange) = strtod(text.as_bytes()).unwrap();
            assert_eq!(v.to_bits(), general.to_bits(), "{text}");
            assert!(!erange, "{text}");
        }
    }

    #[test]
    fn ranges_follow_zsl_parse_range() {
        let r = score_range(b"(1", b" 5").unwrap();
        assert_eq!((r.min, r.minex, r.max, r.maxex), (1.0, true, 5.0, false));
        let r = score_range(b"", b"1e400").unwrap();
        assert_eq!((r.min, r.max), (0.0, f64::INFINITY));
        assert!(score_range(b"x", b"1").is_none());
        assert!(score_range(b"1", b"nan").is_none());
        assert!(score_range(b"  ", b"1").is_none());
        assert!(lex_range(b"a", b"+").is_none());
        assert!(lex_range(b"", b"+").is_none());
        assert_eq!(lex_range(b"-", b"[b").unwrap().max, LexBound::Incl(b"b"));
    }
}
