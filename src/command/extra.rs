//! Commands beyond Redis 7.0's table, added on purpose and described by hand in the
//! same shape as `generated.rs`. Their ids follow the generated ones, so generated ids
//! never move.
//!
//! - `client|setinfo` (Redis 7.2): redis-py, redis-rs, ioredis and go-redis send
//!   `CLIENT SETINFO LIB-NAME/LIB-VER` on connect; 7.2's semantics are implemented and
//!   its `COMMAND INFO`/`COMMAND DOCS` replies are transcribed from 7.2's
//!   `client-setinfo.json`.
//! - `DELIFEQ key value` (Valkey 9.0): delete the key only if it holds `value` — the
//!   release half of a lock client's compare-and-delete, without a Lua script. Its
//!   `COMMAND INFO`/`DOCS` replies are written in 7.0's shape (GETDEL's key spec).
//!
//! - `DELEX key [IFEQ v | IFNE v]` (Redis 8.4): the same release as a conditional DEL.
//!
//! (`SET … IFEQ expected`, from Valkey 8.1 / Redis 8.4, is an option of SET and needs
//! no entry here.)

use super::table::{flags, CommandSpec};

/// The deliberate additions to the Redis 7.0 command table.
pub static EXTRA: &[CommandSpec] = &[
    CommandSpec {
    name: "client|setinfo",
    arity: 4,
    flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
    first_key: 0,
    last_key: 0,
    key_step: 0,
    has_subcommands: false,
    info_resp2: b"*10\r\n$14\r\nclient|setinfo\r\n:4\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n",
    info_resp3: b"*10\r\n$14\r\nclient|setinfo\r\n:4\r\n~3\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n~2\r\n+@slow\r\n+@connection\r\n~0\r\n~0\r\n~0\r\n",
    docs_resp2: b"*10\r\n$7\r\nsummary\r\n$54\r\nSets information specific to the client or connection.\r\n$5\r\nsince\r\n$5\r\n7.2.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$4\r\nattr\r\n$4\r\ntype\r\n$5\r\noneof\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$7\r\nlibname\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$8\r\nlib-name\r\n*6\r\n$4\r\nname\r\n$6\r\nlibver\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$7\r\nlib-ver\r\n",
    docs_resp3: b"%5\r\n$7\r\nsummary\r\n$54\r\nSets information specific to the client or connection.\r\n$5\r\nsince\r\n$5\r\n7.2.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$4\r\nattr\r\n$4\r\ntype\r\n$5\r\noneof\r\n$9\r\narguments\r\n*2\r\n%3\r\n$4\r\nname\r\n$7\r\nlibname\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$8\r\nlib-name\r\n%3\r\n$4\r\nname\r\n$6\r\nlibver\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$7\r\nlib-ver\r\n",
},
    CommandSpec {
    name: "delifeq",
    arity: 3,
    flags: flags::WRITE | flags::FAST,
    first_key: 1,
    last_key: 1,
    key_step: 1,
    has_subcommands: false,
    info_resp2: b"*10\r\n$7\r\ndelifeq\r\n:3\r\n*2\r\n+write\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
    info_resp3: b"*10\r\n$7\r\ndelifeq\r\n:3\r\n~2\r\n+write\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@write\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n",
    docs_resp2: b"*10\r\n$7\r\nsummary\r\n$57\r\nDeletes the key if its value is equal to the given value.\r\n$5\r\nsince\r\n$5\r\n9.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n*4\r\n$4\r\nname\r\n$5\r\nvalue\r\n$4\r\ntype\r\n$6\r\nstring\r\n",
    docs_resp3: b"%5\r\n$7\r\nsummary\r\n$57\r\nDeletes the key if its value is equal to the given value.\r\n$5\r\nsince\r\n$5\r\n9.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*2\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n%2\r\n$4\r\nname\r\n$5\r\nvalue\r\n$4\r\ntype\r\n$6\r\nstring\r\n",
},
    CommandSpec {
        name: "delex",
        arity: -2,
        flags: flags::WRITE | flags::FAST,
        first_key: 1,
        last_key: 1,
        key_step: 1,
        has_subcommands: false,
        info_resp2: b"*10\r\n$5\r\ndelex\r\n:-2\r\n*2\r\n+write\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
        info_resp3: b"*10\r\n$5\r\ndelex\r\n:-2\r\n~2\r\n+write\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@write\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n",
        docs_resp2: b"*10\r\n$7\r\nsummary\r\n$66\r\nConditionally removes the specified key based on value comparison.\r\n$5\r\nsince\r\n$5\r\n8.4.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n*8\r\n$4\r\nname\r\n$9\r\ncondition\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$10\r\nifeq-value\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$4\r\nIFEQ\r\n*6\r\n$4\r\nname\r\n$10\r\nifne-value\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$4\r\nIFNE\r\n",
        docs_resp3: b"%5\r\n$7\r\nsummary\r\n$66\r\nConditionally removes the specified key based on value comparison.\r\n$5\r\nsince\r\n$5\r\n8.4.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*2\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n%4\r\n$4\r\nname\r\n$9\r\ncondition\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n%3\r\n$4\r\nname\r\n$10\r\nifeq-value\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$4\r\nIFEQ\r\n%3\r\n$4\r\nname\r\n$10\r\nifne-value\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\ntoken\r\n$4\r\nIFNE\r\n",
    },
];

#[cfg(test)]
mod tests {
    use super::EXTRA;

    /// redis-cli asserts that argument `flags` in COMMAND DOCS are status replies (it
    /// aborts otherwise), so the hand-written docs must spell them `+flag`.
    #[test]
    fn docs_flags_are_status_replies() {
        for spec in EXTRA {
            for docs in [spec.docs_resp2, spec.docs_resp3] {
                let text = String::from_utf8_lossy(docs);
                for (i, _) in text.match_indices("$5\r\nflags\r\n") {
                    let rest = &text[i + 11..];
                    let after_header = &rest[rest.find("\r\n").unwrap() + 2..];
                    assert!(after_header.starts_with('+'), "{}: {rest:.40}", spec.name);
                }
            }
        }
    }
}
