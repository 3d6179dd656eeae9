//! The static command table: Redis 7.0's own facts about every command.
//!
//! Both roles consult it: the node to check arity before dispatch, the proxy to find
//! which arguments are keys. The data is generated from a live redis-server (see
//! `generated.rs`), so arity and key positions can never drift from Redis by hand-editing.

use fnv::FnvHasher;
use hashbrown::HashTable;
use std::cell::Cell;
use std::hash::Hasher;
use std::sync::OnceLock;

/// Command flags, as `COMMAND INFO` reports them. Only the bits we act on are named
/// with a purpose; the rest are kept so `COMMAND INFO` stays faithful.
#[allow(missing_docs)]
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const MODULE: u32 = 1 << 3;
    pub const ADMIN: u32 = 1 << 4;
    pub const PUBSUB: u32 = 1 << 5;
    pub const NOSCRIPT: u32 = 1 << 6;
    pub const BLOCKING: u32 = 1 << 7;
    pub const LOADING: u32 = 1 << 8;
    pub const STALE: u32 = 1 << 9;
    pub const SKIP_MONITOR: u32 = 1 << 10;
    pub const SKIP_SLOWLOG: u32 = 1 << 11;
    pub const ASKING: u32 = 1 << 12;
    pub const FAST: u32 = 1 << 13;
    pub const NO_AUTH: u32 = 1 << 14;
    pub const MAY_REPLICATE: u32 = 1 << 15;
    pub const SENTINEL: u32 = 1 << 16;
    pub const ONLY_SENTINEL: u32 = 1 << 17;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 18;
    pub const PROTECTED: u32 = 1 << 19;
    pub const MODULE_NO_CLUSTER: u32 = 1 << 20;
    pub const NO_MULTI: u32 = 1 << 21;
    pub const MOVABLEKEYS: u32 = 1 << 22;
    pub const ALLOW_BUSY: u32 = 1 << 23;
    pub const GETKEYS_API: u32 = 1 << 24;
    pub const NO_ASYNC_LOADING: u32 = 1 << 25;
}

/// One command (or `parent|sub` subcommand) as Redis 7.0 describes it.
#[derive(Debug)]
pub struct CommandSpec {
    /// Lower-case name; subcommands are `parent|sub`.
    pub name: &'static str,
    /// Redis arity: positive = exact argument count (name included), negative = at least `-arity`.
    pub arity: i32,
    /// Bit set of [`flags`].
    pub flags: u32,
    /// Position of the first key (0 = no keys).
    pub first_key: i32,
    /// Position of the last key; negative counts from the end (-1 = last argument).
    pub last_key: i32,
    /// Distance between keys (2 for MSET's key/value pairs).
    pub key_step: i32,
    /// Whether the command is a container (CLIENT, CONFIG…) dispatched on its second argument.
    pub has_subcommands: bool,
    /// Raw `COMMAND INFO` element in RESP2 (empty for subcommands: they live inside the parent's).
    pub info_resp2: &'static [u8],
    /// Raw `COMMAND INFO` element in RESP3.
    pub info_resp3: &'static [u8],
    /// Raw `COMMAND DOCS` value in RESP2.
    pub docs_resp2: &'static [u8],
    /// Raw `COMMAND DOCS` value in RESP3.
    pub docs_resp3: &'static [u8],
}

impl CommandSpec {
    /// True when `argc` (name included) satisfies the arity.
    #[inline]
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a >= 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }

    /// True if the command has this flag bit.
    #[inline]
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Key argument indexes for this argument vector, per first/last/step.
    /// Movable-key commands return only what the fixed positions say; callers that care
    /// about them check [`flags::MOVABLEKEYS`].
    pub fn key_indexes(&self, argc: usize) -> impl Iterator<Item = usize> {
        let first = self.first_key.max(0) as usize;
        let last = if self.last_key < 0 {
            argc as i64 + self.last_key as i64
        } else {
            self.last_key as i64
        };
        let step = self.key_step.max(1) as usize;
        let end = if first == 0 || last < first as i64 {
            0
        } else {
            (last as usize).min(argc.saturating_sub(1)) + 1
        };
        (first..end.max(first)).step_by(step)
    }
}

/// Index of a command in [`all`]: the generated table first, then
/// [`EXTRA`](super::extra::EXTRA). A cheap `Copy` handle.
pub type CommandId = u16;

/// FNV-1a over the name's ASCII-lowercased bytes: what the index files a command
/// under, so a lookup hashes the client's spelling (`GET`, `get`, `Get`) as it
/// stands, without copying it to lowercase first.
fn name_hash(name: &[u8]) -> u64 {
    let mut h = FnvHasher::default();
    for &b in name {
        h.write_u8(b.to_ascii_lowercase());
    }
    h.finish()
}

fn index() -> &'static HashTable<CommandId> {
    static INDEX: OnceLock<HashTable<CommandId>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let rehash = |&id: &CommandId| name_hash(spec(id).name.as_bytes());
        let mut index = HashTable::with_capacity(all().len());
        for (i, c) in all().iter().enumerate() {
            let name = c.name.as_bytes();
            let same_name = |&id: &CommandId| spec(id).name.as_bytes() == name;
            // A subcommand is listed twice, inside its parent's list (no COMMAND INFO
            // bytes of its own) and on its own (with them): the later one wins.
            match index.entry(name_hash(name), same_name, rehash) {
                hashbrown::hash_table::Entry::Occupied(mut o) => *o.get_mut() = i as CommandId,
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert(i as CommandId);
                }
            }
        }
        index
    })
}

/// Look a command up by name, case-insensitively, without allocating.
///
/// Each thread remembers the last name it found, spelled as sent: clients send the
/// same few commands over and over, and comparing a few bytes costs a tenth of
/// hashing them and probing the index.
pub fn lookup(name: &[u8]) -> Option<CommandId> {
    type Last = ([u8; 16], usize, CommandId);
    thread_local! {
        static LAST: Cell<Last> = const { Cell::new(([0; 16], usize::MAX, 0)) };
    }
    LAST.with(|last| {
        let (spelling, len, id) = last.get();
        if len == name.len() && spelling[..len] == *name {
            return Some(id);
        }
        let found = index()
            .find(name_hash(name), |&id| {
                spec(id).name.as_bytes().eq_ignore_ascii_case(name)
            })
            .copied();
        if let Some(id) = found.filter(|_| name.len() <= 16) {
            let mut spelling = [0; 16];
            spelling[..name.len()].copy_from_slice(name);
            last.set((spelling, name.len(), id));
        }
        found
    })
}

/// Look up `parent|sub` (e.g. `client|setname`), case-insensitively.
pub fn lookup_sub(parent: &str, sub: &[u8]) -> Option<CommandId> {
    let mut buf = [0u8; 64];
    let total = parent.len() + 1 + sub.len();
    if total > buf.len() {
        return None;
    }
    buf[..parent.len()].copy_from_slice(parent.as_bytes());
    buf[parent.len()] = b'|';
    buf[parent.len() + 1..total].copy_from_slice(sub);
    lookup(&buf[..total])
}

/// The spec behind an id.
#[inline]
pub fn spec(id: CommandId) -> &'static CommandSpec {
    let generated = super::generated::COMMANDS;
    match generated.get(id as usize) {
        Some(s) => s,
        None => &super::extra::EXTRA[id as usize - generated.len()],
    }
}

/// All commands and subcommands: generated ones, then the hand-written extras.
pub fn all() -> &'static [&'static CommandSpec] {
    static ALL: OnceLock<Vec<&'static CommandSpec>> = OnceLock::new();
    ALL.get_or_init(|| {
        super::generated::COMMANDS
            .iter()
            .chain(super::extra::EXTRA)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name finds the last entry listed under it: a subcommand's own entry,
    /// which carries its COMMAND INFO bytes, not its copy in the parent's list.
    #[test]
    fn lookup_finds_the_last_entry_of_each_name() {
        let mut last = std::collections::HashMap::new();
        for (i, c) in all().iter().enumerate() {
            last.insert(c.name, i as CommandId);
        }
        for (name, id) in last {
            let upper = name.to_uppercase();
            // Twice each: the second finds the thread's remembered spelling.
            for spelling in [
                name.as_bytes(),
                name.as_bytes(),
                upper.as_bytes(),
                upper.as_bytes(),
            ] {
                assert_eq!(lookup(spelling), Some(id), "{name}");
            }
        }
        assert_eq!(lookup(b"GETX"), None);
        assert_eq!(lookup(b"GE"), None);
        let setname = spec(lookup(b"client|setname").unwrap());
        assert!(!setname.info_resp2.is_empty());
    }

    #[test]
    fn lookup_is_case_insensitive() {
        let id = lookup(b"GeT").unwrap();
        assert_eq!(spec(id).name, "get");
        assert_eq!(spec(id).arity, 2);
        assert!(lookup(b"nosuchcommand").is_none());
        let setinfo = lookup_sub("client", b"SetInfo").unwrap();
        assert_eq!(spec(setinfo).name, "client|setinfo");
        assert!(setinfo as usize >= super::super::generated::COMMANDS.len());
        let delifeq = lookup(b"DELIFEQ").unwrap();
        assert_eq!(spec(delifeq).name, "delifeq");
        assert!(delifeq as usize >= super::super::generated::COMMANDS.len());
        assert_eq!(
            spec(lookup_sub("client", b"SETNAME").unwrap()).name,
            "client|setname"
        );
    }

    #[test]
    fn key_positions_follow_first_last_step() {
        let mset = spec(lookup(b"mset").unwrap());
        assert_eq!(mset.key_indexes(5).collect::<Vec<_>>(), vec![1, 3]);
        let del = spec(lookup(b"del").unwrap());
        assert_eq!(del.key_indexes(4).collect::<Vec<_>>(), vec![1, 2, 3]);
        let ping = spec(lookup(b"ping").unwrap());
        assert_eq!(ping.key_indexes(1).count(), 0);
        let smove = spec(lookup(b"smove").unwrap());
        assert_eq!(smove.key_indexes(4).collect::<Vec<_>>(), vec![1, 2]);
    }
}
