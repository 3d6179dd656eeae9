//! Redis 7.0's error texts, spelled once. Each constant is the full line without the
//! leading `-` and trailing CRLF, exactly as redis-server sends it.

/// A value of the wrong type for the command.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
/// Generic syntax error.
pub const SYNTAX: &str = "ERR syntax error";
/// Argument that should be an integer is not, or does not fit.
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
/// Argument that should be a float is not.
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
/// Increment would overflow.
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
/// DECRBY of i64::MIN: negating it would overflow.
pub const DECREMENT_OVERFLOW: &str = "ERR decrement would overflow";
/// INCRBYFLOAT / HINCRBYFLOAT whose result is not finite.
pub const NAN_OR_INFINITY: &str = "ERR increment would produce NaN or Infinity";
/// APPEND / SETRANGE past `proto-max-bulk-len`.
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
/// Negative SETRANGE offset.
pub const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
/// Index out of range (LSET).
pub const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
/// Key does not exist (RENAME, LSET…).
pub const NO_SUCH_KEY: &str = "ERR no such key";
/// Command needs AUTH first.
pub const NOAUTH: &str = "NOAUTH Authentication required.";
/// Wrong password or user.
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
/// AUTH without a configured password.
pub const AUTH_NOT_CONFIGURED: &str = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
/// Memory limit reached under `noeviction`.
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
/// SELECT of a database other than 0..15.
pub const DB_OUT_OF_RANGE: &str = "ERR DB index is out of range";
/// Too many connections.
pub const MAX_CLIENTS: &str = "ERR max number of clients reached";
/// Positive number expected (counts).
pub const POSITIVE: &str = "ERR value is out of range, must be positive";
/// EXEC without MULTI.
pub const EXEC_WITHOUT_MULTI: &str = "ERR EXEC without MULTI";
/// DISCARD without MULTI.
pub const DISCARD_WITHOUT_MULTI: &str = "ERR DISCARD without MULTI";
/// Nested MULTI.
pub const MULTI_NESTED: &str = "ERR MULTI calls can not be nested";
/// WATCH inside MULTI.
pub const WATCH_IN_MULTI: &str = "ERR WATCH inside MULTI is not allowed";
/// EXEC after a queuing error.
pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// `ERR wrong number of arguments for 'cmd' command` (cmd lower-case, as Redis prints it).
pub fn arity(name: &str) -> String {
    format!("ERR wrong number of arguments for '{}' command", name)
}

/// `ERR invalid expire time in 'cmd' command` (SET, SETEX, GETEX, EXPIRE…).
pub fn invalid_expire(name: &str) -> String {
    format!("ERR invalid expire time in '{}' command", name)
}

/// Redis's unknown-command text, byte for byte: the name cut at 128 bytes, then the
/// arguments quoted while the list is shorter than 128 bytes (each cut to what is left),
/// C-string semantics (a NUL ends an argument) and CR/LF turned into spaces.
pub fn unknown_command(args: &[bytes::Bytes]) -> Vec<u8> {
    let name = args.first().map(|a| a.as_ref()).unwrap_or(b"");
    let mut list: Vec<u8> = Vec::new();
    for a in args.iter().skip(1) {
        if list.len() >= 128 {
            break;
        }
        let a = c_str(a);
        let take = a.len().min(128 - list.len());
        list.push(b'\'');
        list.extend_from_slice(&a[..take]);
        list.extend_from_slice(b"' ");
    }
    let name = c_str(name);
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend_from_slice(&name[..name.len().min(128)]);
    msg.extend_from_slice(b"', with args beginning with: ");
    msg.extend_from_slice(&list);
    one_line(msg)
}

/// Redis's unknown-subcommand text, e.g. for `CLIENT FOO`.
pub fn unknown_subcommand(sub: &[u8], parent: &str) -> Vec<u8> {
    let sub = c_str(sub);
    let help = format!("'. Try {} HELP.", parent.to_ascii_uppercase());
    with_arg(
        "ERR unknown subcommand '",
        &sub[..sub.len().min(128)],
        &help,
    )
}

/// The part of an argument C's `%s` (and C string functions) see: up to the first
/// NUL. Redis formats arguments into its error texts with `%s`.
pub fn c_str(b: &[u8]) -> &[u8] {
    match memchr::memchr(0, b) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// An error text quoting a client's argument the way Redis's
/// `addReplyErrorFormat("…%s…", arg)` does: the argument up to its first NUL, raw
/// bytes otherwise, CR and LF made spaces.
pub fn with_arg(before: &str, arg: &[u8], after: &str) -> Vec<u8> {
    let mut msg = before.as_bytes().to_vec();
    msg.extend_from_slice(c_str(arg));
    msg.extend_from_slice(after.as_bytes());
    one_line(msg)
}

/// Redis turns CR and LF in error texts into spaces so the reply stays one line.
pub fn one_line(mut msg: Vec<u8>) -> Vec<u8> {
    for c in msg.iter_mut() {
        if *c == b'\r' || *c == b'\n' {
            *c = b' ';
        }
    }
    msg
}

/// A blocking command's timeout that `strtold` rejects.
pub const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
/// A blocking command's timeout below zero (or too large: Redis's cast overflows).
pub const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
