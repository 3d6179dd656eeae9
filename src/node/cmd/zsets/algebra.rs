//! Multi-key sorted-set commands: ZUNION, ZINTER, ZDIFF, their STORE forms and
//! ZINTERCARD, as Redis 7.0's `zunionInterDiffGenericCommand` runs them.
//!
//! Redis's order matters beyond the error texts: every key is looked up (and its type
//! checked) before the options are read, and for a union or intersection the inputs
//! are taken from the smallest to the largest (a stable sort), which is the order a
//! member's weighted scores are added in, so sums round as Redis's do. A plain set
//! counts as a sorted set whose members all score 1.

use super::parse::parse_score;
use crate::command::args::{eq_ignore_case, parse_i64};
use crate::command::{self, CommandId};
use crate::node::dispatch::Ctx;
use crate::node::types::{Value, ZSetValue};
use crate::protocol::errors;
use bytes::Bytes;
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// What a union or intersection does with a member's scores from several inputs.
#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis's `zunionInterAggregate`: a sum that comes out NaN (inf + -inf) is 0;
    /// MIN and MAX keep `target` when `val` is NaN.
    fn apply(self, target: &mut f64, val: f64) {
        match self {
            Aggregate::Sum => {
                *target += val;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if val < *target {
                    *target = val
                }
            }
            Aggregate::Max => {
                if val > *target {
                    *target = val
                }
            }
        }
    }
}

/// One input: its key, weight and size (0 when missing).
struct Input<'a> {
    key: &'a Bytes,
    weight: f64,
    len: usize,
}

/// Where the result goes.
enum Output<'a> {
    /// Replied, with scores or not (ZUNION, ZINTER, ZDIFF).
    Reply,
    /// Stored under this key (the STORE forms).
    Store(&'a Bytes),
    /// Only counted, up to a limit (ZINTERCARD).
    Count,
}

/// The members and scores of an input whose type was checked, without counting a
/// keyspace hit again: a sorted set's in order, a set's members at score 1.
fn entries(ctx: &mut Ctx<'_>, key: &[u8]) -> Vec<(Vec<u8>, f64)> {
    match ctx.ks.peek(key).map(|e| &e.value) {
        Some(Value::ZSet(z)) => z.iter().map(|(m, s)| (m.to_vec(), s)).collect(),
        Some(Value::Set(s)) => s.iter().map(|m| (m.to_vec(), 1.0)).collect(),
        _ => Vec::new(),
    }
}

/// A member's score in an input (see [`entries`]).
fn score_in(value: Option<&Value>, m: &[u8]) -> Option<f64> {
    match value? {
        Value::ZSet(z) => z.score(m),
        Value::Set(s) => s.contains(m).then_some(1.0),
        _ => None,
    }
}

fn generic(ctx: &mut Ctx<'_>, args: &[Bytes], numkeys_at: usize, op: Op, output: Output<'_>) {
    let count_only = matches!(output, Output::Count);
    let Some(numkeys) = parse_i64(&args[numkeys_at]) else {
        return ctx.out.error(errors::NOT_INTEGER);
    };
    if numkeys < 1 {
        let name = command::lookup(&args[0]).map_or("", |id: CommandId| command::spec(id).name);
        return ctx.out.error(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        ));
    }
    let first = numkeys_at + 1;
    if numkeys as u64 > (args.len() - first) as u64 {
        return ctx.out.error(errors::SYNTAX);
    }
    let numkeys = numkeys as usize;
    let mut inputs = Vec::with_capacity(numkeys);
    for key in &args[first..first + numkeys] {
        let len = match ctx.ks.get_value(key) {
            None => 0,
            Some(Value::ZSet(z)) => z.len(),
            Some(Value::Set(s)) => s.len(),
            Some(_) => return ctx.out.error(errors::WRONGTYPE),
        };
        inputs.push(Input {
            key,
            weight: 1.0,
            len,
        });
    }
    let (mut aggregate, mut withscores, mut limit) = (Aggregate::Sum, false, 0usize);
    let mut j = first + numkeys;
    while j < args.len() {
        let left = args.len() - j;
        let a = &args[j];
        let combines = op != Op::Diff && !count_only;
        if combines && left > numkeys && eq_ignore_case(a, "weights") {
            for (input, w) in inputs.iter_mut().zip(&args[j + 1..]) {
                match parse_score(w) {
                    Some(w) => input.weight = w,
                    None => return ctx.out.error("ERR weight value is not a float"),
                }
            }
            j += 1 + numkeys;
        } else if combines && left >= 2 && eq_ignore_case(a, "aggregate") {
            aggregate = match args[j + 1].to_ascii_lowercase().as_slice() {
                b"sum" => Aggregate::Sum,
                b"min" => Aggregate::Min,
                b"max" => Aggregate::Max,
                _ => return ctx.out.error(errors::SYNTAX),
            };
            j += 2;
        } else if matches!(output, Output::Reply) && eq_ignore_case(a, "withscores") {
            withscores = true;
            j += 1;
        } else if count_only && left >= 2 && eq_ignore_case(a, "limit") {
            match parse_i64(&args[j + 1]) {
                Some(n) if n >= 0 => limit = n as usize,
                _ => return ctx.out.error("ERR LIMIT can't be negative"),
            }
            j += 2;
        } else {
            return ctx.out.error(errors::SYNTAX);
        }
    }
    if op != Op::Diff {
        inputs.sort_by_key(|i| i.len); // stable, as glibc's qsort (a merge sort) is
    }
    let members = match op {
        Op::Union => union(ctx, &inputs, aggregate),
        Op::Inter => inter(ctx, &inputs, aggregate, if count_only { limit } else { 0 }),
        Op::Diff => diff(ctx, &inputs),
    };
    match output {
        Output::Count => ctx.out.int(members.len() as i64),
        Output::Store(dest) => {
            if members.is_empty() {
                ctx.ks.delete_stored(dest);
                return ctx.out.int(0);
            }
            let z = to_zset(members).into_stored();
            let n = z.len();
            ctx.ks.set(dest, Value::zset(z), 0);
            ctx.out.int(n as i64)
        }
        Output::Reply => {
            let z = to_zset(members);
            super::begin_entries(ctx.out, z.len(), withscores);
            for (m, s) in z.iter() {
                super::entry(ctx.out, m, s, withscores);
            }
        }
    }
}

/// The result as Redis builds it: a skiplist (keeping -0 scores).
fn to_zset(members: Vec<(Vec<u8>, f64)>) -> ZSetValue {
    let mut z = ZSetValue::new_skiplist();
    for (m, s) in members {
        z.insert(&m, s);
    }
    z
}

/// A weighted score: NaN (0 × inf) counts as 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// Every member of every input, its weighted scores aggregated input by input.
fn union(ctx: &mut Ctx<'_>, inputs: &[Input<'_>], aggregate: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
    for input in inputs.iter().filter(|i| i.len > 0) {
        for (m, s) in entries(ctx, input.key) {
            let score = weighted(s, input.weight);
            match acc.get_mut(&m) {
                Some(target) => aggregate.apply(target, score),
                None => {
                    acc.insert(m, score);
                }
            }
        }
    }
    acc.into_iter().collect()
}

/// The members of the smallest input found in every other, scores aggregated in
/// input order; at most `limit` (0: all) when only counting, which stops as soon as
/// that many are found (ZINTERCARD's LIMIT).
fn inter(
    ctx: &mut Ctx<'_>,
    inputs: &[Input<'_>],
    aggregate: Aggregate,
    limit: usize,
) -> Vec<(Vec<u8>, f64)> {
    if inputs[0].len == 0 {
        return Vec::new();
    }
    if limit > 0 {
        let mut found = Vec::new();
        for (m, _) in entries(ctx, inputs[0].key) {
            let everywhere = inputs[1..].iter().all(|input| {
                let value = ctx.ks.peek(input.key).map(|e| &e.value);
                score_in(value, &m).is_some()
            });
            if everywhere {
                found.push((m, 0.0));
                if found.len() == limit {
                    break;
                }
            }
        }
        return found;
    }
    let mut found: Vec<(Vec<u8>, f64)> = entries(ctx, inputs[0].key)
        .into_iter()
        .map(|(m, s)| (m, weighted(s, inputs[0].weight)))
        .collect();
    for input in &inputs[1..] {
        let value = ctx.ks.peek(input.key).map(|e| &e.value);
        found.retain_mut(|(m, score)| match score_in(value, m) {
            Some(s) => {
                aggregate.apply(score, s * input.weight);
                true
            }
            None => false,
        });
    }
    found
}

/// The members of the first input in none of the others, with their own scores.
fn diff(ctx: &mut Ctx<'_>, inputs: &[Input<'_>]) -> Vec<(Vec<u8>, f64)> {
    let mut found = entries(ctx, inputs[0].key);
    for input in &inputs[1..] {
        if found.is_empty() {
            break;
        }
        let value = ctx.ks.peek(input.key).map(|e| &e.value);
        found.retain(|(m, _)| score_in(value, m).is_none());
    }
    found
}

/// ZUNION numkeys key… [WEIGHTS w…] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zunion(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 1, Op::Union, Output::Reply)
}
/// ZINTER numkeys key… [WEIGHTS w…] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zinter(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 1, Op::Inter, Output::Reply)
}
/// ZDIFF numkeys key… [WITHSCORES]
pub fn zdiff(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 1, Op::Diff, Output::Reply)
}
/// ZUNIONSTORE dest numkeys key… [WEIGHTS w…] [AGGREGATE SUM|MIN|MAX]
pub fn zunionstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 2, Op::Union, Output::Store(&args[1]))
}
/// ZINTERSTORE dest numkeys key… [WEIGHTS w…] [AGGREGATE SUM|MIN|MAX]
pub fn zinterstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 2, Op::Inter, Output::Store(&args[1]))
}
/// ZDIFFSTORE dest numkeys key…
pub fn zdiffstore(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 2, Op::Diff, Output::Store(&args[1]))
}
/// ZINTERCARD numkeys key… [LIMIT limit]
pub fn zintercard(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    generic(ctx, args, 1, Op::Inter, Output::Count)
}
