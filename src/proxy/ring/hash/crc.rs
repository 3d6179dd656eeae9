//! The three CRC hashes of twemproxy 0.5 (`nc_crc16.c`, `nc_crc32.c`), tables built at
//! compile time. Bytes are widened through signed `char` in C, but every use masks with `0xff`,
//! so no sign extension survives here.

use super::sx;

const fn crc16_table() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u16) << 8;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000 != 0 {
                (c << 1) ^ 0x1021
            } else {
                c << 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

const fn crc32_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC16_TAB: [u16; 256] = crc16_table();
static CRC32_TAB: [u32; 256] = crc32_table();

/// twemproxy 0.5 `hash_crc16`: XMODEM table, but the accumulator is a `u32` shifted left and
/// never masked, so results exceed 16 bits for keys longer than two bytes.
pub fn crc16(key: &[u8]) -> u32 {
    let mut crc: u32 = 0;
    for &b in key {
        crc = (crc << 8) ^ CRC16_TAB[(((crc >> 8) ^ sx(b)) & 0xff) as usize] as u32;
    }
    crc
}

pub(super) fn crc32_raw(key: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in key {
        crc = (crc >> 8) ^ CRC32_TAB[((crc ^ b as u32) & 0xff) as usize];
    }
    crc
}

/// libmemcached-compatible CRC-32 (not the standard CRC: 15 bits of it).
pub fn crc32(key: &[u8]) -> u32 {
    ((!crc32_raw(key)) >> 16) & 0x7fff
}

/// The standard CRC-32 (IEEE 802.3).
pub fn crc32a(key: &[u8]) -> u32 {
    !crc32_raw(key)
}
