//! The slow log (SLOWLOG): commands that ran for at least `slowlog-log-slower-than`
//! microseconds, newest first, at most `slowlog-max-len` of them, each with its
//! arguments trimmed and passwords redacted as Redis 7.0 records them.
//!
//! Every command's run is already timed for INFO commandstats; checking it against
//! the threshold is one comparison. Only a slow command takes the log's lock.

use crate::command::args::parse_i64;
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

/// Redis's SLOWLOG_ENTRY_MAX_ARGC: arguments kept per entry, the last one standing
/// for the rest.
const MAX_ARGS: usize = 32;
/// Redis's SLOWLOG_ENTRY_MAX_STRING: bytes kept per argument.
const MAX_STRING: usize = 128;

/// One slow command.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    /// Unique, increasing id.
    pub id: u64,
    /// When it ended, in Unix seconds.
    pub time: u64,
    /// How long it ran, in microseconds.
    pub micros: u64,
    /// Its arguments, trimmed and redacted.
    pub args: Vec<Bytes>,
    /// The client's `ip:port` (`?:0` for a command a script called).
    pub peer: String,
    /// The client's name, or empty.
    pub name: Bytes,
}

/// The node's slow log.
#[derive(Debug)]
pub struct SlowLog {
    /// `slowlog-log-slower-than` in nanoseconds; `u64::MAX` when it is negative (off).
    threshold_ns: AtomicU64,
    /// `slowlog-max-len`.
    max_len: AtomicU64,
    log: Mutex<Log>,
}

#[derive(Debug, Default)]
struct Log {
    /// Newest first.
    entries: VecDeque<SlowEntry>,
    next_id: u64,
}

impl Default for SlowLog {
    fn default() -> Self {
        let log = SlowLog {
            threshold_ns: AtomicU64::new(0),
            max_len: AtomicU64::new(0),
            log: Mutex::default(),
        };
        log.configure(DEFAULT_SLOWER_THAN_US, DEFAULT_MAX_LEN);
        log
    }
}

/// Redis's defaults: 10 ms, 128 entries.
pub const DEFAULT_SLOWER_THAN_US: i64 = 10_000;
/// See [`DEFAULT_SLOWER_THAN_US`].
pub const DEFAULT_MAX_LEN: u64 = 128;

impl SlowLog {
    /// Apply `slowlog-log-slower-than` (negative: off) and `slowlog-max-len`. A
    /// shorter length trims the log at its next entry, as in Redis.
    pub fn configure(&self, slower_than_us: i64, max_len: u64) {
        let ns = u64::try_from(slower_than_us).map_or(u64::MAX, |us| us.saturating_mul(1000));
        self.threshold_ns.store(ns, Relaxed);
        self.max_len.store(max_len, Relaxed);
    }

    /// Would a command that ran `nanos` be logged?
    #[inline]
    pub fn is_slow(&self, nanos: u64) -> bool {
        nanos >= self.threshold_ns.load(Relaxed)
    }

    /// Record a command that ran `nanos`.
    pub fn push(&self, args: &[Bytes], nanos: u64, peer: String, name: Bytes) {
        let time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let args = trimmed(args);
        let max_len = self.max_len.load(Relaxed) as usize;
        let mut log = self.log.lock();
        let id = log.next_id;
        log.next_id += 1;
        log.entries.push_front(SlowEntry {
            id,
            time,
            micros: nanos / 1000,
            args,
            peer,
            name,
        });
        log.entries.truncate(max_len);
    }

    /// Entries, newest first: at most `count` (`None`: all).
    pub fn newest(&self, count: Option<usize>) -> Vec<SlowEntry> {
        let log = self.log.lock();
        let n = count.unwrap_or(usize::MAX).min(log.entries.len());
        log.entries.iter().take(n).cloned().collect()
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.log.lock().entries.len()
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forget every entry (ids go on increasing).
    pub fn reset(&self) {
        self.log.lock().entries.clear();
    }
}

/// The arguments as Redis records them: at most [`MAX_ARGS`] (the last one then
/// "... (N more arguments)"), each at most [`MAX_STRING`] bytes plus
/// "... (N more bytes)", and passwords replaced by "(redacted)".
fn trimmed(args: &[Bytes]) -> Vec<Bytes> {
    let secret = secret_positions(args);
    let kept = args.len().min(MAX_ARGS);
    let mut out = Vec::with_capacity(kept);
    for (i, a) in args.iter().enumerate().take(kept) {
        if kept < args.len() && i == kept - 1 {
            let more = args.len() - kept + 1;
            out.push(Bytes::from(format!("... ({more} more arguments)")));
        } else if secret.contains(&i) {
            out.push(Bytes::from_static(b"(redacted)"));
        } else if a.len() > MAX_STRING {
            let mut s = a[..MAX_STRING].to_vec();
            s.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes());
            out.push(Bytes::from(s));
        } else {
            out.push(a.clone());
        }
    }
    out
}

/// Configuration parameters whose values Redis 7.0 redacts (its SENSITIVE_CONFIG).
const SENSITIVE: [&str; 5] = [
    "requirepass",
    "masterauth",
    "masteruser",
    "tls-key-file-pass",
    "tls-client-key-file-pass",
];

/// Which arguments Redis 7.0 redacts, where its commands read them: AUTH's password
/// (and user) when AUTH has the right arity; HELLO's AUTH pairs, walking its options
/// as HELLO does, with a valid protocol version; CONFIG SET's sensitive values when
/// its pairs are complete. Redis stops reading HELLO at an AUTH that fails; here every
/// pair the walk reaches is hidden, so a password is never shown where Redis hides it.
fn secret_positions(args: &[Bytes]) -> Vec<usize> {
    let is = |i: usize, word: &str| {
        args.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
    };
    if is(0, "auth") {
        return match args.len() {
            2 | 3 => (1..args.len()).collect(),
            _ => Vec::new(),
        };
    }
    if is(0, "hello") {
        if args.len() < 2 || !matches!(parse_i64(&args[1]), Some(2 | 3)) {
            return Vec::new();
        }
        let (mut secret, mut j) = (Vec::new(), 2);
        while j < args.len() {
            let more = args.len() - 1 - j;
            if is(j, "auth") && more >= 2 {
                secret.extend([j + 1, j + 2]);
                j += 3;
            } else if is(j, "setname") && more >= 1 {
                j += 2;
            } else {
                break;
            }
        }
        return secret;
    }
    if is(0, "config") && is(1, "set") && args.len() >= 4 && args.len().is_multiple_of(2) {
        return (2..args.len())
            .step_by(2)
            .filter(|&i| SENSITIVE.iter().any(|name| is(i, name)))
            .map(|i| i + 1)
            .collect();
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::from(w.to_string())).collect()
    }

    #[test]
    fn long_commands_are_trimmed_as_redis_trims_them() {
        let mut many = args(&["rpush", "big"]);
        many.extend((1..=40).map(|i| Bytes::from(i.to_string())));
        let t = trimmed(&many);
        assert_eq!(t.len(), 32);
        assert_eq!(t[30], "29");
        assert_eq!(t[31], "... (11 more arguments)");
        let long = vec![
            Bytes::from("set"),
            Bytes::from("k"),
            Bytes::from("y".repeat(130)),
        ];
        let t = trimmed(&long);
        assert_eq!(t[2], format!("{}... (2 more bytes)", "y".repeat(128)));
    }

    #[test]
    fn passwords_are_redacted() {
        let r = |w: &[&str]| trimmed(&args(w));
        assert_eq!(
            r(&["config", "set", "masteruser", "mu"]),
            args(&["config", "set", "masteruser", "(redacted)"])
        );
        // Only where Redis reads them as secrets (redis-server 7.0.15 shows these).
        for shown in [
            &["AUTH", "a", "b", "c"][..],
            &["HELLO", "3", "AUTH", "u"],
            &["HELLO", "4", "AUTH", "u", "p"],
            &["HELLO", "3", "SETNAME", "n", "junk", "AUTH", "u", "p"],
            &["CONFIG", "SET", "requirepass", "x", "maxmemory"],
        ] {
            assert_eq!(r(shown), args(shown));
        }
        assert_eq!(
            r(&["HELLO", "3", "SETNAME", "auth", "AUTH", "u", "p"]),
            args(&[
                "HELLO",
                "3",
                "SETNAME",
                "auth",
                "AUTH",
                "(redacted)",
                "(redacted)"
            ])
        );
        assert_eq!(
            r(&["AUTH", "u", "p"]),
            args(&["AUTH", "(redacted)", "(redacted)"])
        );
        assert_eq!(
            r(&["hello", "3", "auth", "u", "p", "setname", "n"]),
            args(&[
                "hello",
                "3",
                "auth",
                "(redacted)",
                "(redacted)",
                "setname",
                "n"
            ])
        );
        assert_eq!(
            r(&["config", "set", "maxmemory", "1", "requirepass", "x"]),
            args(&[
                "config",
                "set",
                "maxmemory",
                "1",
                "requirepass",
                "(redacted)"
            ])
        );
    }

    #[test]
    fn the_log_keeps_the_newest_entries() {
        let log = SlowLog::default();
        assert!(!log.is_slow(9_999_999));
        assert!(log.is_slow(10_000_000));
        log.configure(0, 2);
        for i in 0..3 {
            log.push(
                &args(&["get", &i.to_string()]),
                1500,
                "p".into(),
                Bytes::new(),
            );
        }
        let ids: Vec<u64> = log.newest(None).iter().map(|e| e.id).collect();
        assert_eq!(ids, [2, 1]);
        assert_eq!(log.newest(Some(1))[0].micros, 1);
        log.configure(-1, 2);
        assert!(!log.is_slow(u64::MAX - 1));
        log.reset();
        assert!(log.is_empty());
    }
}
