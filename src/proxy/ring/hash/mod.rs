//! The twelve key hashes of twemproxy 0.5 (`src/hashkit/*.c`), bit for bit.
//!
//! Users migrating from twemproxy keep their cache only if every key lands on the same server,
//! so these functions reproduce twemproxy's C code including its accidents:
//! - C `char` is signed on x86-64, so wherever twemproxy widens a `char` to an integer
//!   (`one_at_a_time`, all four FNVs, the 3-byte tail of `hsieh`) a byte >= 0x80 is
//!   sign-extended first ([`sx`]). The CRCs mask the widened byte with `& 0xff`, which undoes it.
//! - `fnv1a_64` keeps a 32-bit accumulator seeded with the low half of the 64-bit offset basis.
//! - `crc16` is XMODEM's table driven into a `u32` accumulator that is never truncated to 16 bits.
//! - `crc32` is libmemcached's: bits 16..31 of the CRC, masked to 15 bits.
//! - `md5` is the little-endian `u32` of the digest's first four bytes.

use std::fmt;
use std::str::FromStr;

use md5::{Digest, Md5};

use super::RingError;

mod crc;
mod mixers;

pub use crc::{crc16, crc32, crc32a};
pub use mixers::{hsieh, jenkins, murmur};

/// A key hash selectable by twemproxy's `hash:` names, so a twemproxy YAML maps onto it 1:1.
// Variant names keep twemproxy's digits-and-underscores spelling so they grep alongside it.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyHash {
    /// Bob Jenkins' one-at-a-time (libmemcached `default`).
    OneAtATime,
    /// First four bytes of MD5, little-endian.
    Md5,
    /// XMODEM CRC table with twemproxy's untruncated 32-bit accumulator.
    Crc16,
    /// libmemcached's CRC-32 variant: `(!crc >> 16) & 0x7fff`.
    Crc32,
    /// Standard CRC-32 (IEEE, as zlib).
    Crc32a,
    /// FNV-1 with the 32-bit parameters.
    Fnv1_32,
    /// FNV-1a with the 32-bit parameters.
    Fnv1a_32,
    /// FNV-1 with a 64-bit accumulator, truncated to 32 bits.
    Fnv1_64,
    /// twemproxy's default: FNV-1a with a *32-bit* accumulator and 64-bit constants cut to 32 bits.
    Fnv1a_64,
    /// Paul Hsieh's SuperFastHash.
    Hsieh,
    /// Bob Jenkins' lookup3 `hashlittle` with initval 13.
    Jenkins,
    /// MurmurHash2 with twemproxy's length-dependent seed.
    Murmur,
}

impl KeyHash {
    /// Every hash, in twemproxy's documentation order; tests and tools iterate it.
    pub const ALL: [KeyHash; 12] = [
        KeyHash::OneAtATime,
        KeyHash::Md5,
        KeyHash::Crc16,
        KeyHash::Crc32,
        KeyHash::Crc32a,
        KeyHash::Fnv1_64,
        KeyHash::Fnv1a_64,
        KeyHash::Fnv1_32,
        KeyHash::Fnv1a_32,
        KeyHash::Hsieh,
        KeyHash::Murmur,
        KeyHash::Jenkins,
    ];

    /// twemproxy's config name, so errors and `Display` speak the user's vocabulary.
    pub fn name(self) -> &'static str {
        match self {
            KeyHash::OneAtATime => "one_at_a_time",
            KeyHash::Md5 => "md5",
            KeyHash::Crc16 => "crc16",
            KeyHash::Crc32 => "crc32",
            KeyHash::Crc32a => "crc32a",
            KeyHash::Fnv1_32 => "fnv1_32",
            KeyHash::Fnv1a_32 => "fnv1a_32",
            KeyHash::Fnv1_64 => "fnv1_64",
            KeyHash::Fnv1a_64 => "fnv1a_64",
            KeyHash::Hsieh => "hsieh",
            KeyHash::Jenkins => "jenkins",
            KeyHash::Murmur => "murmur",
        }
    }

    /// Hash `key` exactly as twemproxy's `hash_<name>(key, len)` does (no empty-key special case:
    /// the ring applies twemproxy's "empty key hashes to 0" rule itself).
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u32 {
        match self {
            KeyHash::OneAtATime => one_at_a_time(key),
            KeyHash::Md5 => md5(key),
            KeyHash::Crc16 => crc16(key),
            KeyHash::Crc32 => crc32(key),
            KeyHash::Crc32a => crc32a(key),
            KeyHash::Fnv1_32 => fnv1_32(key),
            KeyHash::Fnv1a_32 => fnv1a_32(key),
            KeyHash::Fnv1_64 => fnv1_64(key),
            KeyHash::Fnv1a_64 => fnv1a_64(key),
            KeyHash::Hsieh => hsieh(key),
            KeyHash::Jenkins => jenkins(key),
            KeyHash::Murmur => murmur(key),
        }
    }
}

impl fmt::Display for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyHash {
    type Err = RingError;

    /// Accepts twemproxy's exact (case-sensitive) names, as its config parser does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyHash::ALL
            .into_iter()
            .find(|h| h.name() == s)
            .ok_or_else(|| RingError::UnknownHash {
                given: s.to_owned(),
                valid: KeyHash::ALL.map(KeyHash::name).join(", "),
            })
    }
}

/// A byte as C sees a `char` widened to 32 bits on x86-64: sign-extended.
#[inline(always)]
pub(crate) fn sx(b: u8) -> u32 {
    b as i8 as i32 as u32
}

/// libmemcached's default hash; bytes widened through signed `char`.
pub fn one_at_a_time(key: &[u8]) -> u32 {
    let mut v: u32 = 0;
    for &b in key {
        v = v.wrapping_add(sx(b));
        v = v.wrapping_add(v << 10);
        v ^= v >> 6;
    }
    v = v.wrapping_add(v << 3);
    v ^= v >> 11;
    v.wrapping_add(v << 15)
}

/// MD5 digest of `data`; ketama's point values come from it whatever the key hash is.
pub fn md5_digest(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// twemproxy `hash_md5`: the digest's first four bytes, little-endian.
pub fn md5(key: &[u8]) -> u32 {
    let d = md5_digest(key);
    u32::from_le_bytes([d[0], d[1], d[2], d[3]])
}

const FNV_64_INIT: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_64_PRIME: u64 = 0x0000_0100_0000_01b3;
const FNV_32_INIT: u32 = 2_166_136_261;
const FNV_32_PRIME: u32 = 16_777_619;

/// FNV-1 with a 64-bit accumulator; each byte is sign-extended to 64 bits before the xor.
pub fn fnv1_64(key: &[u8]) -> u32 {
    let mut h = FNV_64_INIT;
    for &b in key {
        h = h.wrapping_mul(FNV_64_PRIME);
        h ^= b as i8 as i64 as u64;
    }
    h as u32
}

/// twemproxy's default hash: FNV-1a on a `u32` (basis `0x84222325`, prime `0x1b3`),
/// sign-extended bytes.
pub fn fnv1a_64(key: &[u8]) -> u32 {
    let mut h = FNV_64_INIT as u32;
    for &b in key {
        h ^= sx(b);
        h = h.wrapping_mul(FNV_64_PRIME as u32);
    }
    h
}

/// FNV-1 32-bit, sign-extended bytes.
pub fn fnv1_32(key: &[u8]) -> u32 {
    let mut h = FNV_32_INIT;
    for &b in key {
        h = h.wrapping_mul(FNV_32_PRIME);
        h ^= sx(b);
    }
    h
}

/// FNV-1a 32-bit, sign-extended bytes.
pub fn fnv1a_32(key: &[u8]) -> u32 {
    let mut h = FNV_32_INIT;
    for &b in key {
        h ^= sx(b);
        h = h.wrapping_mul(FNV_32_PRIME);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// twemproxy's own unit-test vectors for "apple" (KETAMA.md).
    #[test]
    fn apple_vectors() {
        let want: [(KeyHash, u32); 12] = [
            (KeyHash::OneAtATime, 2_297_466_611),
            (KeyHash::Md5, 3_195_025_439),
            (KeyHash::Crc16, 3_662_830_516),
            (KeyHash::Crc32, 10_542),
            (KeyHash::Crc32a, 2_838_417_488),
            (KeyHash::Fnv1_32, 67_176_023),
            (KeyHash::Fnv1a_32, 280_767_167),
            (KeyHash::Fnv1_64, 473_199_127),
            (KeyHash::Fnv1a_64, 1_488_911_807),
            (KeyHash::Hsieh, 3_738_850_110),
            (KeyHash::Jenkins, 1_442_444_624),
            (KeyHash::Murmur, 4_142_305_122),
        ];
        for (h, v) in want {
            assert_eq!(h.hash(b"apple"), v, "{h}");
        }
    }

    #[test]
    fn names_round_trip_and_error_lists_valid_names() {
        for h in KeyHash::ALL {
            assert_eq!(h.name().parse::<KeyHash>().unwrap(), h);
        }
        let err = "FNV1A_64".parse::<KeyHash>().unwrap_err().to_string();
        assert!(err.contains("\"FNV1A_64\""), "{err}");
        assert!(err.contains("one_at_a_time, md5, crc16"), "{err}");
        assert!(err.contains("murmur, jenkins"), "{err}");
    }

    /// The sign-extension quirk: a byte >= 0x80 is widened as `0xffffff80 | b`.
    #[test]
    fn non_ascii_bytes_are_sign_extended() {
        let mut unsigned = FNV_64_INIT as u32;
        for &b in "café".as_bytes() {
            unsigned ^= u32::from(b);
            unsigned = unsigned.wrapping_mul(0x1b3);
        }
        assert_ne!(fnv1a_64("café".as_bytes()), unsigned);
        // Low 32 bits of the 64-bit FNV-1 equal a 32-bit FNV-1 with the same constants.
        let mut h32 = FNV_64_INIT as u32;
        for &b in "café\u{1F600}".as_bytes() {
            h32 = h32.wrapping_mul(FNV_64_PRIME as u32) ^ sx(b);
        }
        assert_eq!(fnv1_64("café\u{1F600}".as_bytes()), h32);
    }

    #[test]
    fn empty_and_tail_lengths_do_not_panic() {
        let data: Vec<u8> = (0u8..=255).collect();
        for h in KeyHash::ALL {
            for n in 0..20 {
                let _ = h.hash(&data[200..200 + n]);
            }
        }
        assert_eq!(hsieh(b""), 0);
        assert_eq!(crc16(b""), 0);
        assert_eq!(jenkins(b""), 0xdead_beef + 13);
    }
}
