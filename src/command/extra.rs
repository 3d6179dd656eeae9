//! Commands beyond Redis 7.0's table, added on purpose (hand-written, unlike
//! `generated.rs`). They get ids after every generated command, so existing
//! `CommandId`s never move.
//!
//! - `DELIFEQ key value` (Valkey 9.0): delete the key only if it holds `value` — the
//!   release half of a lock client's compare-and-delete, without a Lua script.
//!
//! (`SET … IFEQ expected`, from Valkey 8.1 / Redis 8.4, is an option of SET and needs
//! no entry here.) `COMMAND INFO`/`DOCS` texts are left empty: Redis 7.0 has none to
//! copy.

use super::table::{flags, CommandSpec};

/// The deliberate additions to the Redis 7.0 command table.
pub static EXTRA: &[CommandSpec] = &[CommandSpec {
    name: "delifeq",
    arity: 3,
    flags: flags::WRITE | flags::FAST,
    first_key: 1,
    last_key: 1,
    key_step: 1,
    has_subcommands: false,
    info_resp2: b"",
    info_resp3: b"",
    docs_resp2: b"",
    docs_resp3: b"",
}];
