//! Argument parsing with Redis's exact rules, so the node accepts and rejects exactly
//! what redis-server does (e.g. `01` or `+1` are not integers to Redis).

/// Parse like Redis's `string2ll`: optional `-`, no `+`, no leading zeros, no spaces,
/// fits in `i64`. Anything else is "not an integer".
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parse a non-negative integer argument the way Redis parses `long` options.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    parse_i64(s).and_then(|v| u64::try_from(v).ok())
}

/// Parse like Redis's `getDoubleFromObject` (strtod): no leading space, whole string
/// consumed, `inf`/`-inf` allowed, NaN rejected.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let v: f64 = text.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// Format like C's `printf("%.17g")`, which Redis 7.0 uses for double replies
/// (ZSCORE, ZINCRBY…): 17 significant digits, trailing zeros trimmed, exponent form
/// outside [1e-4, 1e17).
pub fn format_g17(v: f64, out: &mut Vec<u8>) {
    use std::io::Write;
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if v.is_nan() {
        // glibc prints the sign bit (Lua's 0/0 has it set on x86-64).
        out.extend_from_slice(if v.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    if v.fract() == 0.0 && v.abs() < 1e17 {
        // A whole number below 1e17 has at most 17 digits: %.17g prints it exactly,
        // with no exponent. (Scripts pass integers to redis.call all the time.)
        out.extend_from_slice(itoa::Buffer::new().format(v as i64).as_bytes());
        return;
    }
    let sci = format!("{:.16e}", v);
    let (mantissa, exp) = sci.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    if !(-4..17).contains(&exp) {
        let m = trim_fraction(mantissa);
        let _ = write!(
            out,
            "{}e{}{:02}",
            m,
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        );
    } else {
        let decimals = (16 - exp).max(0) as usize;
        let fixed = format!("{:.*}", decimals, v);
        out.extend_from_slice(trim_fraction(&fixed).as_bytes());
    }
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// `format_g17` into a fresh `String` (for non-hot paths and tests).
pub fn g17(v: f64) -> String {
    let mut out = Vec::new();
    format_g17(v, &mut out);
    String::from_utf8(out).expect("ascii")
}

/// Parse a SCAN cursor like Redis's `parseScanCursorOrReply`: C `strtoul` in base 10
/// (an optional sign — `-1` wraps —, no leading space, the whole C string consumed,
/// no overflow). An empty string is cursor 0, as in Redis.
pub fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    let s = crate::protocol::errors::c_str(arg);
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

/// Case-insensitive ASCII comparison of an argument with an option name.
#[inline]
pub fn eq_ignore_case(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"01"[..],
            b"+1",
            b" 1",
            b"1 ",
            b"-0",
            b"",
            b"-",
            b"9223372036854775808",
            b"1.0",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn doubles_format_like_percent_17g() {
        assert_eq!(g17(1.1), "1.1000000000000001");
        assert_eq!(g17(3.0), "3");
        assert_eq!(g17(1.5), "1.5");
        assert_eq!(g17(1e30), "1e+30");
        assert_eq!(g17(0.0001), "0.0001");
        assert_eq!(g17(0.00001), "1.0000000000000001e-05");
        assert_eq!(g17(-2.5), "-2.5");
        assert_eq!(g17(f64::INFINITY), "inf");
        assert_eq!(g17(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(g17(-f64::NAN), "-nan");
        assert_eq!(g17(f64::NAN), "nan");
        // Whole numbers take a shortcut up to 1e17, where %.17g turns to exponents.
        assert_eq!(g17(-5.0), "-5");
        assert_eq!(g17(1e16), "10000000000000000");
        assert_eq!(g17(4503599627370497.0), "4503599627370497");
        assert_eq!(g17(99999999999999984.0), "99999999999999984");
        assert_eq!(g17(-99999999999999984.0), "-99999999999999984");
        assert_eq!(g17(1e17), "1e+17");
    }

    #[test]
    fn doubles_parse_like_strtod() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"abc"), None);
    }
}
