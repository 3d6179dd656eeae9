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
//! - [`restart`]: notices backend restarts (`run_id` changes), quarantines them and
//!   repairs their fence counters.
//!
//! A member votes only while it is *in sync*: its quarantine (if any) has passed, the
//! repair of its fence counters after the last quarantine has completed, and none of
//! its connections was re-established since the watcher last read its `run_id` (a
//! reconnect may have reached a new, empty process at the same address).

pub mod commands;
pub mod quorum;
pub mod redlock;
pub mod restart;

use crate::config::LockConfig;
use crate::proxy::backends::Backends;
use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// Quarantine and repair state of one member.
#[derive(Debug, Default)]
struct MemberState {
    /// Out of quorums until then.
    quarantined_until: Option<Instant>,
    /// Bumped by each quarantine; a repair task works for one generation.
    generation: u64,
    /// The fence repair of the current generation is still to be done.
    repair_pending: bool,
    /// Quarantines so far.
    quarantines: u64,
    /// The backend's reconnect count last confirmed by the watcher.
    confirmed: u64,
}

/// Why a member does not vote now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotVoting {
    /// Restarted (or was unreachable): quarantined, or its fence counters not repaired yet.
    Quarantined,
    /// A connection was re-established and its `run_id` was not read again yet.
    Reconnected,
}

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
    /// Per member: quarantine and repair.
    state: Vec<Mutex<MemberState>>,
    /// Held by the restart watcher while it polls; [`Locks::pause_watcher`] takes it.
    watch_gate: tokio::sync::Mutex<()>,
}

impl Locks {
    /// Build from config and the group's backend indexes.
    pub fn new(cfg: &LockConfig, members: Vec<usize>) -> Locks {
        if members.len().is_multiple_of(2) {
            tracing::warn!(members = members.len(), "the lock group has an even number of backends; an odd number tolerates the same failures with fewer nodes");
        }
        Locks {
            state: members.iter().map(|_| Mutex::default()).collect(),
            watch_gate: tokio::sync::Mutex::new(()),
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
    pub fn voters<'a>(
        &'a self,
        backends: &'a Backends,
    ) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.members
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.not_voting(*i, backends).is_none())
            .map(|(i, b)| (i, *b))
    }

    /// Why member `pos` does not vote now, or `None` if it does.
    /// (Checked again when a reply arrives: everything is read under one lock, so a
    /// quarantine that confirms a new connection is seen together with it.)
    pub fn not_voting(&self, pos: usize, backends: &Backends) -> Option<NotVoting> {
        let mut st = self.state[pos].lock();
        if let Some(t) = st.quarantined_until {
            if t > Instant::now() {
                return Some(NotVoting::Quarantined);
            }
            st.quarantined_until = None;
        }
        if st.repair_pending {
            return Some(NotVoting::Quarantined);
        }
        (backends.list[self.members[pos]].health.reconnects() != st.confirmed)
            .then_some(NotVoting::Reconnected)
    }

    /// True if member `pos` holds every fence counter it should (no repair pending, no
    /// unconfirmed reconnect): a valid source for repairing another member.
    pub fn in_sync(&self, pos: usize, backends: &Backends) -> bool {
        let st = self.state[pos].lock();
        !st.repair_pending && backends.list[self.members[pos]].health.reconnects() == st.confirmed
    }

    /// The watcher read member `pos`'s `run_id` unchanged while its backend's reconnect
    /// count was `reconnects`.
    pub fn confirm(&self, pos: usize, reconnects: u64) {
        self.state[pos].lock().confirmed = reconnects;
    }

    /// Keep member `pos` out of quorums for the quarantine period and until its fence
    /// counters are repaired; `reconnects` is the reconnect count at which its new
    /// `run_id` was read. Returns the repair generation.
    pub fn quarantine(&self, pos: usize, reconnects: u64) -> u64 {
        let mut st = self.state[pos].lock();
        st.quarantined_until = Some(Instant::now() + self.quarantine);
        st.generation += 1;
        st.repair_pending = true;
        st.quarantines += 1;
        st.confirmed = reconnects;
        st.generation
    }

    /// Current repair generation of member `pos`.
    pub fn generation(&self, pos: usize) -> u64 {
        self.state[pos].lock().generation
    }

    /// The repair of generation `generation` of member `pos` finished; false if a newer
    /// quarantine superseded it.
    pub fn repaired(&self, pos: usize, generation: u64) -> bool {
        let mut st = self.state[pos].lock();
        if st.generation != generation {
            return false;
        }
        st.repair_pending = false;
        true
    }

    /// How many times member `pos` was quarantined.
    pub fn quarantines(&self, pos: usize) -> u64 {
        self.state[pos].lock().quarantines
    }

    /// Remaining quarantine of member `pos`, if any.
    pub fn quarantine_left(&self, pos: usize) -> Option<Duration> {
        let q = self.state[pos].lock().quarantined_until;
        q.and_then(|t| t.checked_duration_since(Instant::now()))
    }

    /// Hold the restart watcher between polls while the guard lives (tests use it to
    /// order events against polls); a poll in progress finishes first.
    pub async fn pause_watcher(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.watch_gate.lock().await
    }
}
