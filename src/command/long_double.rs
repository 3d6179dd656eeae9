//! Redis's `long double` arithmetic (INCRBYFLOAT, HINCRBYFLOAT), reproduced exactly.
//!
//! redis-server on x86-64 parses with `strtold`, adds in 80-bit x87 extended precision
//! and prints with `%.17Lf` minus trailing zeros, so `0.1 + 0.2` is `0.3` but
//! `0 + 1234.1` is `1234.09999999999999998`. An `f64` gets both wrong. We use
//! `rustc_apfloat`'s software x87 type (correctly rounded parsing and addition, like
//! glibc) and format the exact binary value ourselves, rounding half-to-even on the exact
//! value as glibc's printf does.

use rustc_apfloat::ieee::X87DoubleExtended;
use rustc_apfloat::{Float, Round, Status};

/// An 80-bit extended-precision value.
pub type LongDouble = X87DoubleExtended;

/// Redis's `MAX_LONG_DOUBLE_CHARS`: longer inputs are not valid floats.
const MAX_CHARS: usize = 5 * 1024;

/// Parse like Redis's `string2ld`: what `strtold` accepts (decimal, hex floats with or
/// without a `p` exponent, `inf`/`infinity`, optional sign), no leading whitespace, the
/// whole string consumed (a NUL inside fails that), no NaN, and no overflow or underflow
/// to zero. `None` means `ERR value is not a valid float`.
pub fn parse(s: &[u8]) -> Option<LongDouble> {
    if s.is_empty() || s.len() >= MAX_CHARS {
        return None;
    }
    if matches!(s[0], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        return None;
    }
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        let inf = LongDouble::INFINITY;
        return Some(if neg { -inf } else { inf });
    }
    let text = normalize(body)?;
    let mut buf = String::with_capacity(text.len() + 1);
    if neg {
        buf.push('-');
    }
    buf.push_str(&text);
    let r = LongDouble::from_str_r(&buf, Round::NearestTiesToEven).ok()?;
    let v = r.value;
    if v.is_nan() || v.is_infinite() || (v.is_zero() && r.status.intersects(Status::UNDERFLOW)) {
        return None;
    }
    Some(v)
}

/// Check `body` (no sign) against strtold's grammar for a finite number and spell it
/// the way apfloat's parser wants (hex always with a `p` exponent).
fn normalize(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let b = body;
    if b.len() > 2 && b[0] == b'0' && (b[1] | 0x20) == b'x' {
        let rest = &b[2..];
        let mant = scan_digits(rest, |c| c.is_ascii_hexdigit())?;
        let exp = scan_exponent(&rest[mant..], b'p');
        if mant + exp != rest.len() {
            return None;
        }
        let mut out = String::with_capacity(text.len() + 2);
        out.push_str(&text[..2 + mant]);
        if exp == 0 {
            out.push_str("p0");
        } else {
            out.push_str(&text[2 + mant..]);
        }
        return Some(out);
    }
    let mant = scan_digits(b, |c| c.is_ascii_digit())?;
    let exp = scan_exponent(&b[mant..], b'e');
    if mant + exp != b.len() {
        return None;
    }
    Some(text.to_owned())
}

/// Length of `digits[.digits]` with at least one digit, or `None`.
fn scan_digits(s: &[u8], digit: impl Fn(&u8) -> bool) -> Option<usize> {
    let int = s.iter().take_while(|c| digit(c)).count();
    let mut len = int;
    let mut frac = 0;
    if s.get(len) == Some(&b'.') {
        frac = s[len + 1..].iter().take_while(|c| digit(c)).count();
        len += 1 + frac;
    }
    (int + frac > 0).then_some(len)
}

/// Length of an exponent `e[+-]digits` (any case), or 0 if there is no complete one
/// (strtold then stops before the `e`).
fn scan_exponent(s: &[u8], letter: u8) -> usize {
    if s.is_empty() || (s[0] | 0x20) != letter {
        return 0;
    }
    let sign = matches!(s.get(1), Some(b'+' | b'-')) as usize;
    let digits = s[1 + sign..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 {
        0
    } else {
        1 + sign + digits
    }
}

/// `a + b` in extended precision; `None` if the result is NaN or infinite
/// (`ERR increment would produce NaN or Infinity`).
pub fn add(a: LongDouble, b: LongDouble) -> Option<LongDouble> {
    let v = a.add_r(b, Round::NearestTiesToEven).value;
    (!v.is_nan() && !v.is_infinite()).then_some(v)
}

/// A blocking timeout in ms as redis-server 7.0.15 computes it: `v * 1000` in extended
/// precision, rounded up (observed: `0.0001` and `1e-400` time out at once, `-0.0009`
/// blocks forever, `9223372036854775.808` is negative because 807.5 ms rounds to 2^63);
/// out of range (or infinite) gives the x87 "integer indefinite" `i64::MIN`, which
/// Redis then reports as negative.
pub fn millis_ceil(v: LongDouble) -> i64 {
    let p = v
        .mul_r(LongDouble::from_u128(1000).value, Round::NearestTiesToEven)
        .value;
    if p.is_nan() || p.is_infinite() {
        return i64::MIN;
    }
    let mut exact = false;
    let r = p.to_i128_r(128, Round::TowardPositive, &mut exact).value;
    i64::try_from(r).unwrap_or(i64::MIN)
}

/// Append Redis's human-friendly text for a finite `v` (`ld2string(LD_STR_HUMAN)`):
/// `%.17Lf`, trailing zeros and dot removed, `-0` printed as `0`.
pub fn format_human(v: LongDouble, out: &mut Vec<u8>) {
    let bits = v.to_bits();
    let neg = (bits >> 79) & 1 == 1;
    let exp_field = ((bits >> 64) & 0x7fff) as i32;
    let m = bits as u64; // explicit integer bit included
    let e = exp_field.max(1) - 16383 - 63; // |v| = m * 2^e
    let start = out.len();
    if neg {
        out.push(b'-');
    }
    if e >= 0 {
        if e < 64 {
            let n = (m as u128) << e;
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        } else {
            big_shifted(m, e as u32, out);
        }
    } else {
        let k = (-e) as u32;
        let (int, frac) = if k >= 64 {
            (0u64, m)
        } else {
            (m >> k, m & ((1u64 << k) - 1))
        };
        const SCALE: u64 = 100_000_000_000_000_000; // 10^17
                                                    // frac / 2^k * 10^17, rounded half-even. frac < 2^64 and 10^17 < 2^57, so the
                                                    // product fits in u128; once k >= 122 it is below 2^(k-1) and rounds to 0.
        let mut q: u64 = 0;
        if k < 122 {
            let prod = frac as u128 * SCALE as u128;
            q = (prod >> k) as u64;
            let rem = prod & ((1u128 << k) - 1);
            let half = 1u128 << (k - 1);
            if rem > half || (rem == half && q & 1 == 1) {
                q += 1;
            }
        }
        let mut int = int as u128;
        if q == SCALE {
            int += 1;
            q = 0;
        }
        out.extend_from_slice(itoa::Buffer::new().format(int).as_bytes());
        if q != 0 {
            let mut digits = [b'0'; 17];
            let mut n = q;
            for d in digits.iter_mut().rev() {
                *d = b'0' + (n % 10) as u8;
                n /= 10;
            }
            let used = 17 - digits.iter().rev().take_while(|&&d| d == b'0').count();
            out.push(b'.');
            out.extend_from_slice(&digits[..used]);
        }
    }
    if &out[start..] == b"-0" {
        out.truncate(start);
        out.push(b'0');
    }
}

/// Decimal digits of `m * 2^e` for large `e` (values >= 2^64 up to ~1.2e4932), via
/// base-10^9 limbs.
fn big_shifted(m: u64, mut e: u32, out: &mut Vec<u8>) {
    const BASE: u64 = 1_000_000_000;
    let mut limbs: Vec<u32> = Vec::with_capacity(8 + e as usize / 29);
    let mut n = m;
    while n > 0 {
        limbs.push((n % BASE) as u32);
        n /= BASE;
    }
    while e > 0 {
        let s = e.min(32);
        e -= s;
        let mut carry: u64 = 0;
        for l in limbs.iter_mut() {
            let x = ((*l as u64) << s) + carry;
            *l = (x % BASE) as u32;
            carry = x / BASE;
        }
        while carry > 0 {
            limbs.push((carry % BASE) as u32);
            carry /= BASE;
        }
    }
    let mut it = limbs.iter().rev();
    if let Some(top) = it.next() {
        out.extend_from_slice(itoa::Buffer::new().format(*top).as_bytes());
    }
    for l in it {
        let mut d = [b'0'; 9];
        let mut n = *l;
        for c in d.iter_mut().rev() {
            *c = b'0' + (n % 10) as u8;
            n /= 10;
        }
        out.extend_from_slice(&d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> Option<String> {
        let v = add(parse(a.as_bytes())?, parse(b.as_bytes())?)?;
        let mut out = Vec::new();
        format_human(v, &mut out);
        Some(String::from_utf8(out).unwrap())
    }

    #[test]
    fn matches_redis_7_0_on_x86_64() {
        assert_eq!(incr("0", "1234.1").unwrap(), "1234.09999999999999998");
        assert_eq!(incr("0.1", "0.2").unwrap(), "0.3");
        assert_eq!(incr("10", "1.5").unwrap(), "11.5");
        assert_eq!(incr("0x10", "1").unwrap(), "17");
        assert_eq!(incr("1e2", "1").unwrap(), "101");
        assert_eq!(incr("101", "0x1p3").unwrap(), "109");
        assert_eq!(incr("109", "+5").unwrap(), "114");
        assert_eq!(incr("114", ".5").unwrap(), "114.5");
        assert_eq!(incr("114.5", "5.").unwrap(), "119.5");
        assert_eq!(incr("-1", "1").unwrap(), "0");
        assert_eq!(incr("-1e-30", "0").unwrap(), "0");
        assert_eq!(
            incr("1.7e308", "1.7e308").unwrap(),
            "340000000000000000006273556050395193590540427779388267466087171526404912102411641988123739177800600673957047683771263425322806997836001586961457274820033393094901317200013624802610872515245814124760542925564488876540887382670905522638137419003805178364056052028734561012664811529831035124023358619554802565120"
        );
        assert_eq!(
            incr("0", "3.3333333333333333333").unwrap(),
            "3.33333333333333333"
        );
        assert_eq!(incr("0", "0.000000000000000005").unwrap(), "0");
        assert_eq!(
            incr("0", "0.0000000000000000051").unwrap(),
            "0.00000000000000001"
        );
        assert_eq!(incr("1", "1e-4940").unwrap(), "1");
        assert_eq!(incr("1e18", "0.5").unwrap(), "1000000000000000000.5");
        assert_eq!(
            incr("123456789012345678901234567890", "0").unwrap(),
            "123456789012345678899921813504"
        );
        let huge = incr("1e4000", "1").unwrap();
        assert!(
            huge.starts_with("9999999999999999999965463873099623784932492583506957631301508333043261943306342355481821641865509279"),
            "{huge}"
        );
    }

    #[test]
    fn rejects_what_string2ld_rejects() {
        for bad in [
            "abc", " 1", "1 ", "nan", "-nan", "0x", "0x.", "1e", "1e+", "1e5000", "-1e5000",
            "1e-5000", "--1", "+-1", ".", "-", "0x1p", "1.2.3",
        ] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad}");
        }
        assert!(parse(b"").is_none());
        assert!(parse(b"0e-5000").is_some());
        assert!(parse(b"1e-4940").is_some());
        assert!(parse(b"INF").unwrap().is_infinite());
        assert!(parse(b"-Infinity").unwrap().is_infinite());
        assert!(parse(b"1\x00junk").is_none());
        assert!(parse(b"\x00").is_none());
        assert!(incr("1", "inf").is_none());
    }
}
