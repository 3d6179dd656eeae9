//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common
//! subsequence of two strings, as Redis 7.0 computes it (the same table and the same
//! walk back through it, so among several equally long answers the same one).

use crate::command::args::{eq_ignore_case, parse_i64};
use crate::node::dispatch::Ctx;
use crate::node::types::Value;
use crate::protocol::errors;
use bytes::Bytes;

const NOT_STRINGS: &str = "ERR The specified keys must contain string values";
const LEN_AND_IDX: &str = "ERR If you want both the length and indexes, please just use IDX.";
const NO_MEMORY: &str = "ERR Insufficient memory, failed allocating transient memory for LCS";
const TOO_BIG: &str =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";

/// A string key's bytes (empty if missing); `None` for another type.
fn string_of(ctx: &mut Ctx<'_>, key: &[u8]) -> Option<Vec<u8>> {
    match ctx.ks.get_value(key) {
        None => Some(Vec::new()),
        Some(Value::Str(s)) => Some(s.to_vec()),
        Some(_) => None,
    }
}

pub(super) fn lcs(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    // Both keys are looked up (and counted) before either type is checked.
    let (a, b) = (string_of(ctx, &args[1]), string_of(ctx, &args[2]));
    let (Some(a), Some(b)) = (a, b) else {
        return ctx.out.error(NOT_STRINGS);
    };
    let (mut get_len, mut get_idx, mut with_match_len, mut min_match_len) =
        (false, false, false, 0u64);
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        if eq_ignore_case(opt, "idx") {
            get_idx = true;
        } else if eq_ignore_case(opt, "len") {
            get_len = true;
        } else if eq_ignore_case(opt, "withmatchlen") {
            with_match_len = true;
        } else if eq_ignore_case(opt, "minmatchlen") && j + 1 < args.len() {
            match parse_i64(&args[j + 1]) {
                Some(n) => min_match_len = n.max(0) as u64,
                None => return ctx.out.error(errors::NOT_INTEGER),
            }
            j += 1;
        } else {
            return ctx.out.error(errors::SYNTAX);
        }
        j += 1;
    }
    if get_idx && get_len {
        return ctx.out.error(LEN_AND_IDX);
    }
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells.saturating_mul(4) > ctx.server.settings().proto_max_bulk_len {
        return ctx.out.error(TOO_BIG);
    }
    let Some(table) = Table::new(&a, &b) else {
        return ctx.out.error(NO_MEMORY);
    };
    let len = table.at(a.len(), b.len());
    if get_len {
        return ctx.out.int(len as i64);
    }
    let (common, matches) = table.walk_back(&a, &b);
    if !get_idx {
        return ctx.out.bulk(&common);
    }
    let shown: Vec<&Match> = matches
        .iter()
        .filter(|m| min_match_len == 0 || m.len() >= min_match_len)
        .collect();
    ctx.out.map(2);
    ctx.out.bulk(b"matches");
    ctx.out.array(shown.len());
    for m in shown {
        ctx.out.array(2 + with_match_len as usize);
        for (start, end) in [m.a, m.b] {
            ctx.out.array(2);
            ctx.out.int(start as i64);
            ctx.out.int(end as i64);
        }
        if with_match_len {
            ctx.out.int(m.len() as i64);
        }
    }
    ctx.out.bulk(b"len");
    ctx.out.int(len as i64);
}

/// `LCS(i, j)`: the LCS length of `a[..i]` and `b[..j]`.
struct Table {
    cells: Vec<u32>,
    width: usize,
}

/// A run of matching bytes: inclusive ranges in `a` and in `b`.
struct Match {
    a: (usize, usize),
    b: (usize, usize),
}

impl Match {
    fn len(&self) -> u64 {
        (self.a.1 - self.a.0 + 1) as u64
    }
}

impl Table {
    /// The table, or `None` if its memory cannot be had (Redis's `ztrymalloc`: with
    /// proto-max-bulk-len raised, a table of gigabytes is an error, not an abort).
    fn new(a: &[u8], b: &[u8]) -> Option<Table> {
        let width = b.len() + 1;
        let len = (a.len() + 1).checked_mul(width)?;
        let mut cells = Vec::new();
        cells.try_reserve_exact(len).ok()?;
        cells.resize(len, 0u32);
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Some(Table { cells, width })
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Redis's walk from the end: the common subsequence, and the runs of matching
    /// bytes from the last to the first (on a tie it steps back in `b`).
    fn walk_back(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<Match>) {
        let mut common = vec![0u8; self.at(a.len(), b.len()) as usize];
        let mut left = common.len();
        let mut matches = Vec::new();
        let mut run: Option<Match> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let ends_run;
            if a[i - 1] == b[j - 1] {
                common[left - 1] = a[i - 1];
                left -= 1;
                run = Some(match run {
                    None => Match {
                        a: (i - 1, i - 1),
                        b: (j - 1, j - 1),
                    },
                    // The walk moves back in both strings at once: a run grows down.
                    Some(m) => Match {
                        a: (i - 1, m.a.1),
                        b: (j - 1, m.b.1),
                    },
                });
                // A run that reached the start of either string is complete.
                ends_run = i == 1 || j == 1;
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                ends_run = run.is_some();
            }
            if ends_run {
                matches.extend(run.take());
            }
        }
        (common, matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_back_like_redis() {
        // redis-server 7.0.15: LCS ohmytext mynewtext IDX -> [4,7]/[5,8], [2,3]/[0,1].
        let (a, b) = (b"ohmytext".as_slice(), b"mynewtext".as_slice());
        let t = Table::new(a, b).unwrap();
        let (common, matches) = t.walk_back(a, b);
        assert_eq!(common, b"mytext");
        let ranges: Vec<_> = matches.iter().map(|m| (m.a, m.b)).collect();
        assert_eq!(ranges, [((4, 7), (5, 8)), ((2, 3), (0, 1))]);
        let t = Table::new(b"", b"abc").unwrap();
        assert_eq!(t.walk_back(b"", b"abc").0, b"");
    }
}
