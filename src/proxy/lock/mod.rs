//! Distributed locks with Redlock semantics over a group of independent backends.
//!
//! Keys under a lock prefix (`lock:` by default) are not routed to one backend: the
//! proxy runs a quorum over the lock group instead, so a lock survives the loss of a
//! minority of backends. Clients keep sending what they send to a single Redis
//! (`SET k tok NX PX ttl`, compare-and-delete scripts…) and get the replies a single
//! Redis would give; `LOCK.*` commands add fencing tokens and clearer errors.
//!
//! - [`quorum`]: the arithmetic (majority, validity after drift).
//! - [`redlock`]: the quorum operations over the backends.
//! - [`commands`]: client commands on lock keys and `LOCK.*`.
//! - [`restart`]: notices backend restarts (`run_id` changes) and quarantines them.

pub mod commands;
pub mod quorum;
pub mod redlock;
pub mod restart;

use crate::config::LockConfig;
use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// The lock group and its settings.
pub struct Locks {
    /// Backend indexes (into the proxy's backends) that vote on locks.
    pub members: Vec<usize>,
    /// Key prefixes that mark lock keys.
    pub prefixes: Vec<Vec<u8>>,
    /// Per-node deadline of each quorum step.
    pub node_timeout: Duration,
    /// Clock drift factor.
    pub drift_factor: f64,
    /// Longest TTL a client may ask for.
    pub max_ttl: Duration,
    /// Attempts of LOCK.ACQUIRE without WAIT.
    pub retry_count: u32,
    /// Upper bound of the random pause between attempts.
    pub retry_delay_max: Duration,
    /// How long a restarted backend stays out of quorums.
    pub quarantine: Duration,
    /// Per member: quarantined until.
    quarantined_until: Vec<Mutex<Option<Instant>>>,
}

impl Locks {
    /// Build from config and the group's backend indexes.
    pub fn new(cfg: &LockConfig, members: Vec<usize>) -> Locks {
        if members.len() % 2 == 0 {
            tracing::warn!(members = members.len(), "the lock group has an even number of backends; an odd number tolerates the same failures with fewer nodes");
        }
        Locks {
            quarantined_until: members.iter().map(|_| Mutex::new(None)).collect(),
            members,
            prefixes: cfg
                .key_prefixes
                .iter()
                .map(|p| p.as_bytes().to_vec())
                .collect(),
            node_timeout: Duration::from_millis(cfg.node_timeout),
            drift_factor: cfg.drift_factor,
            max_ttl: Duration::from_millis(cfg.max_ttl),
            retry_count: cfg.retry_count.max(1),
            retry_delay_max: Duration::from_millis(cfg.retry_delay_max),
            quarantine: Duration::from_millis(cfg.restart_quarantine_ms()),
        }
    }

    /// True if `key` is a lock key.
    #[inline]
    pub fn is_lock_key(&self, key: &[u8]) -> bool {
        self.prefixes.iter().any(|p| key.starts_with(p))
    }

    /// Majority of the whole group (quarantined members still count in N: they just
    /// cannot vote, which is what keeps a restarted, amnesiac node from deciding).
    pub fn quorum(&self) -> usize {
        quorum::quorum(self.members.len())
    }

    /// Members allowed to vote now (position in `members`, backend index).
    pub fn voters(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let now = Instant::now();
        self.members
            .iter()
            .enumerate()
            .filter(move |(i, _)| {
                let mut q = self.quarantined_until[*i].lock();
                match *q {
                    Some(t) if t > now => false,
                    Some(_) => {
                        *q = None;
                        true
                    }
                    None => true,
                }
            })
            .map(|(i, b)| (i, *b))
    }

    /// Keep member `pos` out of quorums for the quarantine period.
    pub fn quarantine(&self, pos: usize) {
        *self.quarantined_until[pos].lock() = Some(Instant::now() + self.quarantine);
    }

    /// Remaining quarantine of member `pos`, if any.
    pub fn quarantine_left(&self, pos: usize) -> Option<Duration> {
        let q = *self.quarantined_until[pos].lock();
        q.and_then(|t| t.checked_duration_since(Instant::now()))
    }
}
