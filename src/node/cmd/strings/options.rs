//! The options of SET and GETEX, parsed with the exact acceptance rules of Redis 7.0's
//! `parseExtendedStringArgumentsOrReply` (plus Valkey's `IFEQ` for SET), and the
//! expire-time arithmetic of `getExpireMillisecondsOrReply`.
//!
//! Quirks kept on purpose because redis-server has them: repeating the *same* option is
//! accepted (`EX 10 EX 20` takes the last value, `GET GET` is fine) while mixing
//! conflicting ones is a syntax error; names compare as C strings (a NUL ends them).

use crate::command::args::parse_i64;
use crate::protocol::errors::c_str;
use bytes::Bytes;

/// Which expiry option was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireKind {
    /// `EX seconds` (relative).
    Ex,
    /// `PX milliseconds` (relative).
    Px,
    /// `EXAT unix-seconds`.
    ExAt,
    /// `PXAT unix-milliseconds`.
    PxAt,
}

impl ExpireKind {
    /// Absolute (EXAT/PXAT) times may already be in the past.
    pub fn is_absolute(self) -> bool {
        matches!(self, ExpireKind::ExAt | ExpireKind::PxAt)
    }
}

/// Parsed SET/GETEX options.
#[derive(Debug, Default)]
pub struct Opts<'a> {
    pub nx: bool,
    pub xx: bool,
    pub get: bool,
    pub keepttl: bool,
    pub persist: bool,
    /// The expiry option and its (unparsed) argument.
    pub expire: Option<(ExpireKind, &'a [u8])>,
    /// `IFEQ expected`: set only if the current value equals it.
    pub ifeq: Option<&'a [u8]>,
}

impl<'a> Opts<'a> {
    /// Parse the option arguments (after `key value` for SET, after `key` for GETEX).
    /// `None` = `ERR syntax error`.
    pub fn parse(opts: &'a [Bytes], for_set: bool) -> Option<Opts<'a>> {
        let mut o = Opts::default();
        let mut j = 0;
        while j < opts.len() {
            let opt = c_str(&opts[j]);
            let next = opts.get(j + 1).map(|b| &b[..]);
            let is = |name: &[u8]| opt.eq_ignore_ascii_case(name);
            // Another expiry option than `kind` already given (the same one may repeat).
            let other_expire = |kind| matches!(o.expire, Some((k, _)) if k != kind);
            if for_set && is(b"NX") && !o.xx && o.ifeq.is_none() {
                o.nx = true;
            } else if for_set && is(b"XX") && !o.nx && o.ifeq.is_none() {
                o.xx = true;
            } else if for_set && is(b"GET") {
                o.get = true;
            } else if for_set && is(b"IFEQ") && !o.nx && !o.xx && o.ifeq.is_none() && next.is_some()
            {
                o.ifeq = next;
                j += 1;
            } else if for_set && is(b"KEEPTTL") && !o.persist && o.expire.is_none() {
                o.keepttl = true;
            } else if !for_set && is(b"PERSIST") && !o.keepttl && o.expire.is_none() {
                o.persist = true;
            } else if let Some(kind) = expire_kind(opt) {
                if o.keepttl || o.persist || other_expire(kind) {
                    return None;
                }
                o.expire = Some((kind, next?));
                j += 1;
            } else {
                return None;
            }
            j += 1;
        }
        Some(o)
    }
}

fn expire_kind(opt: &[u8]) -> Option<ExpireKind> {
    Some(match opt.len() {
        2 if opt.eq_ignore_ascii_case(b"EX") => ExpireKind::Ex,
        2 if opt.eq_ignore_ascii_case(b"PX") => ExpireKind::Px,
        4 if opt.eq_ignore_ascii_case(b"EXAT") => ExpireKind::ExAt,
        4 if opt.eq_ignore_ascii_case(b"PXAT") => ExpireKind::PxAt,
        _ => return None,
    })
}

/// Why an expire time was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ExpireError {
    /// `ERR value is not an integer or out of range`.
    NotInteger,
    /// `ERR invalid expire time in '<cmd>' command`.
    Invalid,
}

/// The absolute expiry (Unix ms) an option asks for, with Redis's checks: the number
/// must be > 0, seconds must not overflow when turned into ms, nor relative times when
/// `now` is added.
pub fn expire_at(now: u64, kind: ExpireKind, raw: &[u8]) -> Result<u64, ExpireError> {
    let v = parse_i64(raw).ok_or(ExpireError::NotInteger)?;
    let seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(ExpireError::Invalid);
    }
    let ms = if seconds { v * 1000 } else { v };
    let at = if kind.is_absolute() {
        ms
    } else {
        ms.checked_add(now as i64).ok_or(ExpireError::Invalid)?
    };
    Ok(at as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str, for_set: bool) -> Option<String> {
        let args: Vec<Bytes> = line
            .split_whitespace()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        Opts::parse(&args, for_set).map(|o| format!("{o:?}"))
    }

    #[test]
    fn accepts_and_rejects_like_redis() {
        for ok in [
            "EX 10 EX 20",
            "px 1 px 2",
            "GET GET",
            "KEEPTTL KEEPTTL",
            "XX XX",
            "NX GET EX 1",
            "IFEQ v EX 1 GET",
        ] {
            assert!(p(ok, true).is_some(), "{ok}");
        }
        for bad in [
            "EX 10 PX 10",
            "EX 10 KEEPTTL",
            "KEEPTTL EX 10",
            "NX XX",
            "EX",
            "IFEQ",
            "IFEQ a NX",
            "NX IFEQ a",
            "XX IFEQ a",
            "IFEQ a IFEQ b",
            "PERSIST",
            "FOO",
        ] {
            assert!(p(bad, true).is_none(), "{bad}");
        }
        assert!(p("PERSIST PERSIST", false).is_some());
        assert!(p("PERSIST EX 1", false).is_none());
        assert!(p("KEEPTTL", false).is_none());
        assert!(p("GET", false).is_none());
        assert!(p("NX", false).is_none());
    }

    #[test]
    fn expire_arithmetic() {
        use ExpireKind::*;
        assert_eq!(expire_at(1000, Ex, b"2"), Ok(3000));
        assert_eq!(expire_at(1000, PxAt, b"5"), Ok(5));
        assert_eq!(expire_at(1000, Ex, b"0"), Err(ExpireError::Invalid));
        assert_eq!(expire_at(1000, Px, b"-1"), Err(ExpireError::Invalid));
        assert_eq!(expire_at(1000, Ex, b"x"), Err(ExpireError::NotInteger));
        assert_eq!(
            expire_at(1000, Ex, b"9223372036854775"),
            Err(ExpireError::Invalid)
        );
        assert!(expire_at(1000, ExAt, b"9223372036854775").is_ok());
        assert_eq!(
            expire_at(1000, ExAt, b"9223372036854776"),
            Err(ExpireError::Invalid)
        );
    }
}
