//! Where the keys of a movable-keys command are (EVAL's numkeys, ZUNIONSTORE's
//! destination plus numkeys…): what the command table's fixed positions cannot say.
//! The proxy routes by it and COMMAND GETKEYS answers from it.

use bytes::Bytes;

/// Where a movable-keys command keeps its key count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movable {
    /// `CMD script numkeys key…` (EVAL family, FCALL).
    NumkeysAt2,
    /// `CMD numkeys key…` (SINTERCARD, ZUNION, LMPOP…).
    NumkeysAt1,
    /// `CMD dest numkeys key…` (ZUNIONSTORE…): dest plus the keys.
    DestNumkeysAt2,
    /// `CMD timeout numkeys key…` (BLMPOP, BZMPOP).
    TimeoutNumkeysAt2,
    /// Only the first argument is a key we can route by (SORT, MIGRATE-like).
    FirstArg,
}

/// The movable-keys layout of a command, by its table name.
pub fn kind(name: &str) -> Option<Movable> {
    Some(match name {
        "blmpop" | "bzmpop" => Movable::TimeoutNumkeysAt2,
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => Movable::NumkeysAt2,
        "sintercard" | "zinter" | "zunion" | "zdiff" | "zintercard" | "lmpop" | "zmpop" => {
            Movable::NumkeysAt1
        }
        "zunionstore" | "zinterstore" | "zdiffstore" => Movable::DestNumkeysAt2,
        "sort" | "sort_ro" => Movable::FirstArg,
        _ => return None,
    })
}

/// Key argument indexes of a movable-keys command, or `Err` with the error text when
/// the key count is malformed (so the client gets Redis-like errors, not a panic).
pub fn keys(kind: Movable, args: &[Bytes]) -> Result<Vec<usize>, &'static str> {
    let numkeys = |at: usize| -> Result<usize, &'static str> {
        let n = args
            .get(at)
            .and_then(|a| super::args::parse_i64(a))
            .ok_or("ERR value is not an integer or out of range")?;
        if n < 0 {
            return Err("ERR Number of keys can't be negative");
        }
        if at + 1 + n as usize > args.len() {
            return Err("ERR Number of keys can't be greater than number of args");
        }
        Ok(n as usize)
    };
    Ok(match kind {
        Movable::NumkeysAt2 => (3..3 + numkeys(2)?).collect(),
        Movable::NumkeysAt1 => (2..2 + numkeys(1)?).collect(),
        Movable::DestNumkeysAt2 => std::iter::once(1).chain(3..3 + numkeys(2)?).collect(),
        Movable::TimeoutNumkeysAt2 => (3..3 + numkeys(2)?).collect(),
        Movable::FirstArg => vec![1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movable_key_positions() {
        let args: Vec<Bytes> = ["EVAL", "s", "2", "a", "b", "x"]
            .iter()
            .map(|s| Bytes::from(*s))
            .collect();
        assert_eq!(keys(Movable::NumkeysAt2, &args).unwrap(), vec![3, 4]);
        let args: Vec<Bytes> = ["ZUNIONSTORE", "d", "2", "a", "b"]
            .iter()
            .map(|s| Bytes::from(*s))
            .collect();
        assert_eq!(keys(Movable::DestNumkeysAt2, &args).unwrap(), vec![1, 3, 4]);
        let args: Vec<Bytes> = ["EVAL", "s", "3", "a"]
            .iter()
            .map(|s| Bytes::from(*s))
            .collect();
        assert!(keys(Movable::NumkeysAt2, &args).is_err());
    }
}
