//! Which event loop a connection should live on.
//!
//! With one loop per core, two connections working on the same shard from different
//! loops take turns at the shard's mutex: every hand-over is a futex wake-up or a
//! `sched_yield`, and the shard's data moves between the cores' caches. On one hot
//! key (redis-benchmark's `hset myhash`, a counter everyone increments) that cost
//! more than the second core gave: measured at 0.69× of one loop.
//!
//! So a connection keeps a small record of its batches. When it has sent
//! [`STREAK`] batches in a row that touched one shard only, and found that shard
//! locked by another loop at least once meanwhile, it asks to move to the shard's
//! home loop (`net::home_loop`). Connections hot on the same shard then end up on the
//! same thread and never contend; connections on random keys never ask to move (a
//! batch touching several shards, or a different shard, restarts the count), and
//! neither do connections that never met contention.
//!
//! Commands that lock every shard (scripts above all, but also EXEC, KEYS…) count as
//! one more shard, [`ALL_SHARDS`]: a connection that keeps running scripts or
//! transactions, and keeps waiting for other loops' scripts or shard locks, moves to
//! that slot's home loop, where the work of all such connections runs one after
//! another without cross-loop hand-overs.
//!
//! Waiting is noticed where locks are taken: every [`Keyspace`] says whether taking
//! its locks meant waiting for another thread (`Keyspace::waited`), whichever
//! command took them; waiting for a script counts too. Commands queued by MULTI lock
//! nothing until EXEC and are not recorded.
//!
//! [`Keyspace`]: crate::node::db::Keyspace

/// Single-shard batches in a row before a connection asks to move.
pub const STREAK: u32 = 16;

/// The slot of commands that lock every shard (one past the last shard).
pub const ALL_SHARDS: usize = crate::node::db::SHARDS;
// Slots are kept as `u8`.
const _: () = assert!(ALL_SHARDS < 256);

/// The shards one batch touched.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Touched {
    /// None yet (or only keyless commands, which say nothing about affinity).
    #[default]
    Nothing,
    /// One shard.
    One(u8),
    /// Several, or every shard.
    Several,
}

/// A connection's record of the shards its recent batches worked on.
#[derive(Debug, Default)]
pub struct Affinity {
    /// The current batch.
    batch: Touched,
    /// The current batch waited for a shard another loop held.
    batch_contended: bool,
    /// The shard of the current run of single-shard batches, and the run's length.
    streak: Option<(u8, u32)>,
    /// Some batch of the current run waited for its shard.
    streak_contended: bool,
}

impl Affinity {
    /// A command ran on slot `shard`: a shard, or [`ALL_SHARDS`] (`None`: on several
    /// shards, but not all).
    #[inline]
    pub fn command(&mut self, shard: Option<usize>) {
        self.batch = match (self.batch, shard) {
            (Touched::Nothing, Some(s)) => Touched::One(s as u8),
            (Touched::One(a), Some(s)) if a as usize == s => Touched::One(a),
            _ => Touched::Several,
        };
    }

    /// A shard lock this batch took was held by someone else first, or it waited for
    /// a script.
    pub fn contended(&mut self) {
        self.batch_contended = true;
    }

    /// The batch is over: the slot (shard, or [`ALL_SHARDS`]) whose home loop this
    /// connection should move to, if it is time to ask.
    pub fn end_batch(&mut self) -> Option<usize> {
        let batch = std::mem::take(&mut self.batch);
        let contended = std::mem::take(&mut self.batch_contended);
        let shard = match batch {
            Touched::Nothing => return None,
            Touched::Several => {
                self.streak = None;
                return None;
            }
            Touched::One(s) => s,
        };
        match &mut self.streak {
            Some((s, n)) if *s == shard => {
                *n = n.saturating_add(1);
                self.streak_contended |= contended;
            }
            streak => {
                *streak = Some((shard, 1));
                self.streak_contended = contended;
            }
        }
        if self.streak.is_some_and(|(_, n)| n >= STREAK) && self.streak_contended {
            // Ask once per run: a connection that may not move (already home, or the
            // home loop busy) asks again after another full run.
            self.streak = None;
            return Some(shard as usize);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(a: &mut Affinity, shards: &[Option<usize>], contended: bool) -> Option<usize> {
        for s in shards {
            a.command(*s);
        }
        if contended {
            a.contended();
        }
        a.end_batch()
    }

    #[test]
    fn a_contended_hot_shard_asks_to_move_after_a_full_streak() {
        let mut a = Affinity::default();
        for i in 1..STREAK {
            assert_eq!(
                batch(&mut a, &[Some(3), Some(3)], i == 2),
                None,
                "batch {i}"
            );
        }
        assert_eq!(batch(&mut a, &[Some(3)], false), Some(3));
        // Then counts again from zero.
        assert_eq!(batch(&mut a, &[Some(3)], true), None);
    }

    #[test]
    fn without_contention_nothing_moves() {
        let mut a = Affinity::default();
        for _ in 0..3 * STREAK {
            assert_eq!(batch(&mut a, &[Some(5)], false), None);
        }
    }

    #[test]
    fn several_shards_or_a_new_shard_restart_the_streak() {
        let mut a = Affinity::default();
        for _ in 1..STREAK {
            assert_eq!(batch(&mut a, &[Some(1)], true), None);
        }
        assert_eq!(batch(&mut a, &[Some(1), Some(2)], true), None);
        for _ in 1..STREAK {
            assert_eq!(batch(&mut a, &[Some(1)], true), None);
        }
        assert_eq!(batch(&mut a, &[Some(2)], true), None);
        assert_eq!(batch(&mut a, &[None], true), None);
    }

    #[test]
    fn all_shard_batches_have_a_slot_of_their_own() {
        let mut a = Affinity::default();
        for _ in 1..STREAK {
            assert_eq!(batch(&mut a, &[Some(ALL_SHARDS)], true), None);
        }
        assert_eq!(batch(&mut a, &[Some(ALL_SHARDS), Some(3)], true), None);
        for _ in 1..STREAK {
            assert_eq!(batch(&mut a, &[Some(ALL_SHARDS)], false), None);
        }
        assert_eq!(batch(&mut a, &[Some(ALL_SHARDS)], true), Some(ALL_SHARDS));
    }

    #[test]
    fn keyless_batches_are_neutral() {
        let mut a = Affinity::default();
        for _ in 1..STREAK {
            assert_eq!(batch(&mut a, &[Some(7)], true), None);
            assert_eq!(batch(&mut a, &[], false), None); // e.g. PING
        }
        assert_eq!(batch(&mut a, &[Some(7)], false), Some(7));
    }
}
