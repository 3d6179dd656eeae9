//! Glob-style matching exactly like Redis's `stringmatchlen` (util.c): KEYS, SCAN
//! MATCH, CONFIG GET and friends must accept and reject the same keys redis-server does,
//! including its quirks (an unterminated `[a` still matches `a`, `[z-a]` is a range,
//! `\` escapes inside and outside brackets).
//!
//! Supported: `*` (any run), `?` (one byte), `[abc]`, `[^abc]`, `[a-z]`, `\x` (literal).
//! The C code reads the pattern's terminating NUL at some edges; [`at`] reproduces that.

/// True if `string` matches `pattern`. `nocase` folds ASCII case (CONFIG GET does).
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    matches(pattern, 0, string, 0, nocase, &mut skip_longer, 0)
}

/// Byte `i` of the pattern, or the C string's NUL terminator past its end.
#[inline]
fn at(p: &[u8], i: usize) -> u8 {
    p.get(i).copied().unwrap_or(0)
}

#[inline]
fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// Patterns nest once per `*`; bound the recursion so a hostile pattern cannot blow
/// the stack (Redis later added the same guard).
const MAX_NESTING: u32 = 1000;

/// A transliteration of `stringmatchlen_impl`; `p`/`s` are the C pointers as indexes,
/// the remaining lengths are `pat.len() - p` and `str.len() - s`.
fn matches(
    pat: &[u8],
    mut p: usize,
    st: &[u8],
    mut s: usize,
    nocase: bool,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    let plen = pat.len();
    let slen = st.len();
    while p < plen && s < slen {
        match pat[p] {
            b'*' => {
                while p < plen && at(pat, p + 1) == b'*' {
                    p += 1;
                }
                if plen - p == 1 {
                    return true;
                }
                while s < slen {
                    if matches(pat, p + 1, st, s, nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                // No match for the rest of the pattern anywhere in the rest of the
                // string: longer matches of earlier stars cannot help either.
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let not = at(pat, p) == b'^';
                if not {
                    p += 1;
                }
                let c = fold(st[s], nocase);
                let mut matched = false;
                loop {
                    let rem = plen.saturating_sub(p);
                    if at(pat, p) == b'\\' && rem >= 2 {
                        p += 1;
                        if pat[p] == st[s] {
                            matched = true;
                        }
                    } else if at(pat, p) == b']' {
                        break;
                    } else if rem == 0 {
                        p -= 1;
                        break;
                    } else if rem >= 3 && pat[p + 1] == b'-' {
                        // C compares plain (signed) chars: bytes >= 0x80 sort below 0.
                        let (mut lo, mut hi) = (pat[p] as i8, pat[p + 2] as i8);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        let lo = fold(lo as u8, nocase) as i8;
                        let hi = fold(hi as u8, nocase) as i8;
                        p += 2;
                        if (lo..=hi).contains(&(c as i8)) {
                            matched = true;
                        }
                    } else if fold(pat[p], nocase) == c {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
            }
            b => {
                let mut b = b;
                if b == b'\\' && plen - p >= 2 {
                    p += 1;
                    b = pat[p];
                }
                if fold(b, nocase) != fold(st[s], nocase) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == slen {
            while at(pat, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= plen && s == slen
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn stars_and_questions() {
        assert!(!m("*", ""), "as in C: callers shortcut a lone `*`");
        assert!(m("*", "abc"));
        assert!(m("a*", "a"));
        assert!(m("a*", "abc"));
        assert!(!m("a*", "ba"));
        assert!(m("*c", "abc"));
        assert!(m("a**c", "abbbc"));
        assert!(m("?b", "ab"));
        assert!(!m("?b", "b"));
        assert!(!m("?", ""));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("k:1*", "k:10"));
    }

    #[test]
    fn brackets() {
        assert!(m("[ab]", "a"));
        assert!(m("[ab]", "b"));
        assert!(!m("[ab]", "c"));
        assert!(m("[^a]*", "b"));
        assert!(!m("[^a]*", "ab"));
        assert!(m("a[a-c]", "ab"));
        assert!(m("a[c-a]", "ab"), "reversed ranges are swapped");
        assert!(!m("a[a-c]", "ad"));
        assert!(m("[\\]]", "]"));
        assert!(
            m("[a", "a"),
            "unterminated bracket still matches, as in Redis"
        );
        assert!(!m("[", "a"));
        assert!(m("[a-]", "]"), "`a-]` is the range ']'..='a'");
        assert!(m("[a-]", "a"));
        assert!(!m("[a-]", "b"));
    }

    #[test]
    fn escapes() {
        assert!(m("a\\*", "a*"));
        assert!(!m("a\\*", "ab"));
        assert!(m("a\\?", "a?"));
        assert!(m("\\", "\\"), "a trailing backslash is literal");
        assert!(m("a\\", "a\\"));
    }

    #[test]
    fn nocase() {
        assert!(glob_match(b"MAX*", b"maxmemory", true));
        assert!(glob_match(b"[A-Z]x", b"qX", true));
        assert!(!glob_match(b"MAX*", b"maxmemory", false));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let s = "a".repeat(60);
        let p = "a*".repeat(30) + "b";
        let t = std::time::Instant::now();
        assert!(!m(&p, &s));
        assert!(t.elapsed().as_secs() < 1);
    }

    #[test]
    fn redis_glob_semantics_hash_family_vectors() {
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
            assert!(glob_match(p.as_bytes(), s.as_bytes(), false), "{p} ~ {s}");
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
            assert!(!glob_match(p.as_bytes(), s.as_bytes(), false), "{p} !~ {s}");
        }
    }
}
