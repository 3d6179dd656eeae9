//! LPOS, following Redis 7.0's loop exactly (including how RANK -LONG_MIN wraps).

use super::{read, Found};
use crate::command::args::{eq_ignore_case, parse_i64};
use crate::node::dispatch::Ctx;
use crate::protocol::errors;
use bytes::Bytes;

const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
const MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";

pub(super) fn lpos(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        let opt = &args[i];
        if more && eq_ignore_case(opt, "rank") {
            rank = match parse_i64(&args[i + 1]) {
                None => return ctx.out.error(errors::NOT_INTEGER),
                Some(0) => return ctx.out.error(RANK_ZERO),
                Some(n) => n,
            };
        } else if more && eq_ignore_case(opt, "count") {
            match parse_i64(&args[i + 1]) {
                Some(n) if n >= 0 => count = Some(n),
                _ => return ctx.out.error(COUNT_NEGATIVE),
            }
        } else if more && eq_ignore_case(opt, "maxlen") {
            match parse_i64(&args[i + 1]) {
                Some(n) if n >= 0 => maxlen = n,
                _ => return ctx.out.error(MAXLEN_NEGATIVE),
            }
        } else {
            return ctx.out.error(errors::SYNTAX);
        }
        i += 2;
    }
    // A negative rank searches from the tail. Redis negates in C `long`, so
    // -LONG_MIN stays negative and then every match satisfies `matches >= rank`.
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let l = match read(&mut ctx.ks, &args[1], ctx.out) {
        Some(Found::List(l)) => l,
        Some(Found::Missing) if count.is_some() => return ctx.out.array(0),
        Some(Found::Missing) => return ctx.out.null(),
        None => return,
    };
    let len = l.len() as i64;
    let want = &args[2][..];
    let mut hits: Vec<i64> = Vec::new();
    let mut matches: i64 = 0;
    let mut found = None;
    let mut scanned: i64 = 0;
    let mut visit = |v: &[u8]| -> bool {
        if maxlen != 0 && scanned >= maxlen {
            return false;
        }
        if v == want {
            matches += 1;
            let at = if from_tail {
                len - scanned - 1
            } else {
                scanned
            };
            if matches >= rank {
                match count {
                    Some(c) => {
                        hits.push(at);
                        if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c {
                            return false;
                        }
                    }
                    None => {
                        found = Some(at);
                        return false;
                    }
                }
            }
        }
        scanned += 1;
        true
    };
    if from_tail {
        for v in l.iter().rev() {
            if !visit(v) {
                break;
            }
        }
    } else {
        for v in l.iter() {
            if !visit(v) {
                break;
            }
        }
    }
    match count {
        Some(_) => {
            ctx.out.array(hits.len());
            for h in hits {
                ctx.out.int(h);
            }
        }
        None => match found {
            Some(at) => ctx.out.int(at),
            None => ctx.out.null(),
        },
    }
}
