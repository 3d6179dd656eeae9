//! Redis's `stringmatchlen` (util.c, 7.0), byte for byte, for HSCAN MATCH.
//!
//! Private copy: the keys family is writing the shared glob matcher; dedupe onto it
//! once both are merged.

/// True if `s` matches the glob `pat` (case-sensitive).
pub(super) fn matches(pat: &[u8], s: &[u8]) -> bool {
    let mut skip_longer = false;
    match_impl(pat, 0, s, &mut skip_longer)
}

/// `pat[i]` read like the C string it is in Redis (NUL past the end).
#[inline]
fn at(pat: &[u8], i: usize) -> u8 {
    pat.get(i).copied().unwrap_or(0)
}

/// Redis compares `char`s, which are signed on x86: bytes >= 0x80 sort below ASCII
/// in `[a-z]` ranges.
#[inline]
fn signed(b: u8) -> i32 {
    b as i8 as i32
}

fn match_impl(pat: &[u8], mut p: usize, s: &[u8], skip_longer: &mut bool) -> bool {
    let mut si = 0usize;
    while p < pat.len() && si < s.len() {
        match pat[p] {
            b'*' => {
                while p < pat.len() && at(pat, p + 1) == b'*' {
                    p += 1;
                }
                if pat.len() - p == 1 {
                    return true;
                }
                while si < s.len() {
                    if match_impl(pat, p + 1, &s[si..], skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                p += 1;
                let not = at(pat, p) == b'^';
                if not {
                    p += 1;
                }
                let c = s[si];
                let mut hit = false;
                loop {
                    let left = pat.len() as isize - p as isize;
                    if at(pat, p) == b'\\' && left >= 2 {
                        p += 1;
                        if pat[p] == c {
                            hit = true;
                        }
                    } else if at(pat, p) == b']' {
                        break;
                    } else if left <= 0 {
                        p -= 1;
                        break;
                    } else if left >= 3 && pat[p + 1] == b'-' {
                        let (mut lo, mut hi) = (signed(pat[p]), signed(pat[p + 2]));
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        p += 2;
                        if (lo..=hi).contains(&signed(c)) {
                            hit = true;
                        }
                    } else if pat[p] == c {
                        hit = true;
                    }
                    p += 1;
                }
                if hit == not {
                    return false;
                }
                si += 1;
            }
            b'\\' => {
                if pat.len() - p >= 2 {
                    p += 1;
                }
                if pat[p] != s[si] {
                    return false;
                }
                si += 1;
            }
            c => {
                if c != s[si] {
                    return false;
                }
                si += 1;
            }
        }
        p += 1;
        if si == s.len() {
            while at(pat, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pat.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn redis_glob_semantics() {
        let yes = [
            ("*", "abc"),
            ("a*", "abc"),
            ("*c", "abc"),
            ("a?c", "abc"),
            ("[abc]x", "bx"),
            ("[^abc]x", "dx"),
            ("[a-c]", "b"),
            ("[c-a]", "b"),
            ("\\*", "*"),
            ("h*llo*", "hello"),
            ("[a", "a"),
        ];
        for (p, s) in yes {
            assert!(matches(p.as_bytes(), s.as_bytes()), "{p} ~ {s}");
        }
        let no = [
            ("a*", "ba"),
            ("a?c", "ac"),
            ("[^abc]x", "ax"),
            ("[a-c]", "d"),
            ("?", ""),
            ("a", "ab"),
            ("\\*", "a"),
            ("a\\", "a"),
            // As in Redis: an empty string matches no pattern (callers special-case "*").
            ("*", ""),
        ];
        for (p, s) in no {
            assert!(!matches(p.as_bytes(), s.as_bytes()), "{p} !~ {s}");
        }
    }
}
