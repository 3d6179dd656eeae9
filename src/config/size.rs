//! Memory sizes written the way `redis.conf` writes them.
//!
//! Operators copy values like `maxmemory 256mb` straight from their Redis configs, so a size key
//! accepts exactly what Redis's `memtoull()` accepts: digits with an optional, case-insensitive
//! unit where `k`/`m`/`g` are powers of 1000 and `kb`/`mb`/`gb` powers of 1024. Anything else
//! (spaces, signs, fractions, `tb`) is rejected rather than guessed at, as Redis does.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A size in bytes, read from a TOML integer (`1048576`) or a Redis-style string (`"1mb"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

/// Parses a Redis memory size (`256mb`, `1gb`, `100kb`, `1k`, `42`, `42b`) into bytes.
///
/// Returns `None` for anything Redis would reject, and for values that overflow `u64`.
/// This is the parser `CONFIG SET maxmemory` uses, so it must agree with Redis byte for byte.
pub fn parse_memory(s: &str) -> Option<u64> {
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(digits_end);
    if digits.is_empty() {
        return None;
    }
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

/// Prints the plain byte count, which every size key accepts back.
impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ByteSizeVisitor)
    }
}

struct ByteSizeVisitor;

impl Visitor<'_> for ByteSizeVisitor {
    type Value = ByteSize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a size in bytes: an integer or a string like \"256mb\", \"1gb\", \"100kb\"")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
        Ok(ByteSize(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
        u64::try_from(v)
            .map(ByteSize)
            .map_err(|_| E::custom(format!("invalid size {v}: must not be negative")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
        parse_memory(v).map(ByteSize).ok_or_else(|| {
            E::custom(format!(
                "invalid size \"{v}\": expected bytes, optionally followed by \
                 k, kb, m, mb, g or gb (like \"256mb\")"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_redis() {
        assert_eq!(parse_memory("0"), Some(0));
        assert_eq!(parse_memory("42"), Some(42));
        assert_eq!(parse_memory("42b"), Some(42));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("100kb"), Some(102_400));
        assert_eq!(parse_memory("2m"), Some(2_000_000));
        assert_eq!(parse_memory("256mb"), Some(268_435_456));
        assert_eq!(parse_memory("3g"), Some(3_000_000_000));
        assert_eq!(parse_memory("1gb"), Some(1_073_741_824));
        assert_eq!(parse_memory("1GB"), Some(1_073_741_824));
        assert_eq!(parse_memory("5Mb"), Some(5 * 1024 * 1024));
    }

    #[test]
    fn rejects_what_redis_rejects() {
        for bad in [
            "", "mb", "-1", "+1", "1.5mb", " 1mb", "1mb ", "1 mb", "1tb", "1kib", "abc", "0x10",
        ] {
            assert_eq!(parse_memory(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn overflow_is_rejected() {
        assert_eq!(parse_memory("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_memory("18446744073709551616"), None);
        assert_eq!(parse_memory("18446744073709551615kb"), None);
    }

    #[derive(Deserialize, Debug)]
    struct Holder {
        size: ByteSize,
    }

    fn size(toml_value: &str) -> Result<ByteSize, String> {
        toml::from_str::<Holder>(&format!("size = {toml_value}"))
            .map(|h| h.size)
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn deserializes_integers_and_strings() {
        assert_eq!(size("1024"), Ok(ByteSize(1024)));
        assert_eq!(size("\"1kb\""), Ok(ByteSize(1024)));
        assert_eq!(size("\"512mb\""), Ok(ByteSize(512 * 1024 * 1024)));
        assert_eq!(
            size("-5"),
            Err("invalid size -5: must not be negative".to_string())
        );
        assert_eq!(
            size("\"12xb\""),
            Err(
                "invalid size \"12xb\": expected bytes, optionally followed by \
                 k, kb, m, mb, g or gb (like \"256mb\")"
                    .to_string()
            )
        );
        assert_eq!(
            size("1.5"),
            Err(
                "invalid type: floating point `1.5`, expected a size in bytes: \
                 an integer or a string like \"256mb\", \"1gb\", \"100kb\""
                    .to_string()
            )
        );
    }
}
