//! `Keyspace`: the locked view of the shards one command may touch. Every read and
//! write of a key goes through it, so lazy expiry, LRU/LFU bookkeeping, memory
//! accounting, WATCH versions and the deletion of emptied aggregates happen in exactly
//! one place and no handler can forget them.

use super::shard::{Entry, Shard};
use super::{Db, SHARDS};
use crate::node::blocking::Kind;
use crate::node::types::table::{prefetch_all, Probe};
use crate::node::types::{compact, Value};
use bytes::Bytes;
use parking_lot::MutexGuard;
use smallvec::SmallVec;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::Ordering;

pub(super) type Guards<'a> = SmallVec<[(u8, Locked<'a>); 2]>;

/// A locked shard: locked for this command alone, or borrowed from the lock a
/// connection keeps across a pipelined batch ([`HeldShard`](super::HeldShard)).
pub(super) enum Locked<'a> {
    Own(MutexGuard<'a, Shard>),
    Held(&'a mut Shard),
}

impl Deref for Locked<'_> {
    type Target = Shard;
    #[inline]
    fn deref(&self) -> &Shard {
        match self {
            Locked::Own(g) => g,
            Locked::Held(s) => s,
        }
    }
}

impl DerefMut for Locked<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Shard {
        match self {
            Locked::Own(g) => g,
            Locked::Held(s) => s,
        }
    }
}

/// What a client's WATCH saw of a key, for EXEC to compare (see
/// [`Keyspace::watch_broken`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchMark {
    /// The key's write counter at WATCH.
    version: u64,
    /// The key's deletion counter at WATCH.
    deletions: u64,
    /// The key was stored but already expired at WATCH (Redis's `wk->expired`).
    expired: bool,
}

/// What SCAN did with a key it visited (see [`Keyspace::scan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanLook {
    /// Left out by the pattern: not looked up (an expired key stays stored).
    Filtered,
    /// Looked at with no TYPE filter (an expired key is deleted).
    Examined,
    /// Looked up for the TYPE filter: counts a keyspace hit or miss.
    TypeChecked,
}

/// Shards locked for one command (or one EXEC / script).
pub struct Keyspace<'a> {
    db: &'a Db,
    guards: Guards<'a>,
    now: u64,
    /// Taking a lock of this view meant waiting for another thread to let go of it.
    waited: bool,
}

impl<'a> Keyspace<'a> {
    pub(super) fn new(db: &'a Db, guards: Guards<'a>, waited: bool) -> Self {
        let now = db.now_ms();
        Keyspace {
            db,
            guards,
            now,
            waited,
        }
    }

    /// A view of one shard whose lock the caller holds, at the time it was taken
    /// (see [`HeldShard`](super::HeldShard)); `waited` if taking it just now meant
    /// waiting.
    pub(super) fn resumed(
        db: &'a Db,
        index: u8,
        shard: &'a mut Shard,
        now: u64,
        waited: bool,
    ) -> Self {
        let mut guards = Guards::new();
        guards.push((index, Locked::Held(shard)));
        Keyspace {
            db,
            guards,
            now,
            waited,
        }
    }

    /// Did taking this view's locks mean waiting for another thread (another event
    /// loop) to let go of one? A connection that keeps meeting such contention on
    /// one slot moves to that slot's loop (see `node::affinity`).
    pub fn waited(&self) -> bool {
        self.waited
    }

    /// The time this command runs at (Unix ms), fixed for the whole command as in Redis
    /// (and for a pipelined run of commands under one held lock: see
    /// [`HeldShard`](super::HeldShard)).
    #[inline]
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The database behind the view (counters, clock).
    pub fn db(&self) -> &'a Db {
        self.db
    }

    /// True when every shard is locked (KEYS, SCAN, EXEC…).
    pub fn holds_all(&self) -> bool {
        self.guards.len() == SHARDS
    }

    /// Where in `guards` the shard owning `key` is, if this view locked it.
    fn guard_of(&self, key: &[u8]) -> Option<usize> {
        let want = Db::shard_of(key) as u8;
        self.guards.iter().position(|(i, _)| *i == want)
    }

    fn shard(&mut self, key: &[u8]) -> &mut Shard {
        let pos = self
            .guard_of(key)
            .expect("command touched a key whose shard it did not lock: fix its key spec");
        &mut self.guards[pos].1
    }

    /// Index of a live key in its shard, expiring it lazily if its TTL has passed.
    fn find(shard: &mut Shard, key: &[u8], now: u64, db: &Db) -> Option<usize> {
        Self::find_hashed(shard, shard.map.hash(key), key, now, db)
    }

    /// [`find`](Self::find) with the key's hash in hand.
    fn find_hashed(shard: &mut Shard, hash: u64, key: &[u8], now: u64, db: &Db) -> Option<usize> {
        let idx = shard.map.get_index_hashed(hash, key)?;
        let e = &mut shard.map[idx];
        if e.expired(now) {
            shard.remove_index(idx);
            db.expired_keys.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        e.lfu = db.lfu.incremented(db.lfu.decayed(e, now));
        e.lru = (now / 1000) as u32;
        Some(idx)
    }

    /// Start loading the keys a multi-key command is about to look up (MGET, DEL…)
    /// into cache, so their misses overlap (see `Db::prefetch`). Nothing to overlap
    /// for one key; a key whose shard this view has not locked is skipped. Commands
    /// pass their keys [`PREFETCH_GROUP`](super::PREFETCH_GROUP) at a time, each group
    /// just before using it: the lines of thousands of keys would not all stay cached.
    pub fn prefetch<'k>(&self, keys: impl ExactSizeIterator<Item = &'k [u8]>) {
        if keys.len() < 2 {
            return;
        }
        let items: SmallVec<[Probe<'_, '_, Entry>; super::PREFETCH_GROUP]> = keys
            .filter_map(|key| {
                let shard = &self.guards[self.guard_of(key)?].1;
                Some((&shard.map, shard.map.hash(key), key))
            })
            .collect();
        prefetch_all(&items);
    }

    /// Read a key (counts a keyspace hit or miss).
    pub fn get(&mut self, key: &[u8]) -> Option<&Entry> {
        let (now, db) = (self.now, self.db);
        let shard = self.shard(key);
        let found = Self::find(shard, key, now, db);
        Self::counted(shard, found)
    }

    /// The entry at `found`, counting a keyspace hit, or a miss when there is none.
    #[inline]
    fn counted(shard: &mut Shard, found: Option<usize>) -> Option<&Entry> {
        match found {
            Some(idx) => {
                shard.hits += 1;
                Some(&shard.map[idx])
            }
            None => {
                shard.misses += 1;
                None
            }
        }
    }

    /// Look at a key without counting a hit or miss or refreshing its LRU/LFU data
    /// (Redis's `LOOKUP_NOTOUCH`); an expired key is still deleted.
    pub fn peek(&mut self, key: &[u8]) -> Option<&Entry> {
        let (now, db) = (self.now, self.db);
        let shard = self.shard(key);
        let idx = Self::peek_index(shard, key, now, db)?;
        Some(&shard.map[idx])
    }

    /// [`peek`](Self::peek), counting a keyspace hit or miss: Redis's `LOOKUP_NOTOUCH`
    /// reads (EXISTS, TYPE, TTL, OBJECT) leave the key's LRU/LFU data alone but count.
    pub fn peek_counted(&mut self, key: &[u8]) -> Option<&Entry> {
        let (now, db) = (self.now, self.db);
        let shard = self.shard(key);
        let found = Self::peek_index(shard, key, now, db);
        Self::counted(shard, found)
    }

    /// Where `key` is, if it is there and live; an expired key is deleted.
    fn peek_index(shard: &mut Shard, key: &[u8], now: u64, db: &Db) -> Option<usize> {
        let idx = shard.map.get_index_of(key)?;
        if shard.map[idx].expired(now) {
            shard.remove_index(idx);
            db.expired_keys.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(idx)
    }

    /// The entry under `key` even if it expired and was not removed yet, counting and
    /// removing nothing: MEMORY USAGE, as Redis's `dictFind` there.
    pub fn entry_as_stored(&mut self, key: &[u8]) -> Option<&Entry> {
        let shard = self.shard(key);
        let idx = shard.map.get_index_of(key)?;
        Some(&shard.map[idx])
    }

    /// Count a keyspace hit for a key a write command also reads as a whole (SPOP with
    /// a count covering the set, which Redis 7.0 answers with a counting SUNION).
    pub fn count_hit(&mut self, key: &[u8]) {
        self.shard(key).hits += 1;
    }

    /// Read a key's value (counts a keyspace hit or miss, as [`get`](Self::get)).
    pub fn get_value(&mut self, key: &[u8]) -> Option<&Value> {
        self.get(key).map(|e| &e.value)
    }

    /// Read a key's value for a command that writes it (Redis's `lookupKeyWrite`):
    /// refreshes its LRU/LFU data but counts no keyspace hit or miss, so INFO's hit
    /// ratio is that of reads, as in Redis.
    pub fn get_value_for_write(&mut self, key: &[u8]) -> Option<&Value> {
        let (now, db) = (self.now, self.db);
        let shard = self.shard(key);
        let idx = Self::find(shard, key, now, db)?;
        Some(&shard.map[idx].value)
    }

    /// True if the key exists (and has not expired).
    pub fn exists(&mut self, key: &[u8]) -> bool {
        let (now, db) = (self.now, self.db);
        let shard = self.shard(key);
        Self::find(shard, key, now, db).is_some()
    }

    /// Modify a key in place. Accounting and cleanup happen when the guard drops.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<EntryMut<'_>> {
        let (now, db) = (self.now, self.db);
        let shard = self.shard(key);
        let idx = Self::find(shard, key, now, db)?;
        Some(EntryMut::new(shard, idx))
    }

    /// Modify a key, creating it with `make()` (and no TTL) if it does not exist.
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> Value) -> EntryMut<'_> {
        let (now, db) = (self.now, self.db);
        let shard = self.shard(key);
        let hash = shard.map.hash(key);
        let idx = match Self::find_hashed(shard, hash, key, now, db) {
            Some(idx) => idx,
            None => {
                let k = compact(key);
                let e = Entry::new(make(), now);
                if let Some(kind) = Kind::of(&e.value) {
                    db.blocked.key_ready(key, kind);
                }
                shard.mem += Shard::entry_cost(&k, &e);
                shard.map.insert_absent(hash, k, e)
            }
        };
        EntryMut::new(shard, idx)
    }

    /// Store a value under `key`, replacing any old one and its TTL (`expire_at`, 0 = none).
    /// A replaced key's LFU counter carries over, counting this write as an access,
    /// as Redis's setKey (lookupKeyWrite, then dbOverwrite) does: a hot key refreshed
    /// by SET stays hot.
    pub fn set(&mut self, key: &[u8], value: Value, expire_at: u64) {
        let mut e = Entry::new(value, self.now);
        e.expire_at = expire_at;
        self.store(key, e, Counters::KeepOld);
    }

    /// [`set`](Self::set) an entry made by the caller (a string of a given encoding):
    /// its TTL as it says, and, unlike [`put`](Self::put), a replaced key's LFU
    /// counter carried over.
    pub fn set_entry(&mut self, key: &[u8], entry: Entry) {
        self.store(key, entry, Counters::KeepOld);
    }

    /// Store `entry` under `key` as it is, its LRU/LFU data included, replacing any
    /// old key: Redis's dbDelete then dbAdd. RENAME moves the source's entry (Redis
    /// moves the object, where those counters live); COPY makes a new one.
    pub fn put(&mut self, key: &[u8], entry: Entry) {
        self.store(key, entry, Counters::Entry);
    }

    /// [`set`](Self::set) and [`put`](Self::put).
    fn store(&mut self, key: &[u8], mut e: Entry, counters: Counters) {
        if let Some(kind) = Kind::of(&e.value) {
            // Created or replaced (RENAME, COPY, RESTORE, *STORE): blocked clients may go.
            self.db.blocked.key_ready(key, kind);
        }
        let (now, expired_keys, lfu) = (self.now, &self.db.expired_keys, &self.db.lfu);
        let shard = self.shard(key);
        let expire_at = e.expire_at;
        let cost = Shard::entry_cost(key, &e);
        let hash = shard.map.hash(key);
        if let Some(idx) = shard.map.get_index_hashed(hash, key) {
            let (k, old) = shard.map.get_index_mut(idx).expect("index just found");
            let old_cost = Shard::entry_cost(k, old);
            let had_ttl = old.expire_at != 0;
            // An expired key is gone first (and counted, as the lookup before a
            // write counts it); its successor keeps no counter of it.
            if old.expired(now) {
                expired_keys.fetch_add(1, Ordering::Relaxed);
            } else if counters == Counters::KeepOld {
                e.lfu = lfu.incremented(lfu.decayed(old, now));
            }
            *old = e;
            shard.mem = shard.mem + cost - old_cost;
            match (had_ttl, expire_at != 0) {
                (true, false) => {
                    shard.volatile.swap_remove(key);
                }
                (false, true) => {
                    let k = k.clone();
                    shard.volatile.insert(k);
                }
                _ => {}
            }
        } else {
            let k = compact(key);
            if expire_at != 0 {
                shard.volatile.insert(k.clone());
            }
            shard.map.insert_absent(hash, k, e);
            shard.mem += cost;
        }
        shard.touch(key);
    }

    /// Delete the entry stored under `key`, expired or not, without counting an
    /// expiry: Redis's `dbDelete` where a command replaces its destination with
    /// nothing (an empty BITOP or *STORE result). True if an entry was there.
    pub fn delete_stored(&mut self, key: &[u8]) -> bool {
        let shard = self.shard(key);
        match shard.map.get_index_of(key) {
            Some(idx) => shard.remove_index(idx).is_some(),
            None => false,
        }
    }

    /// Delete a key, returning its entry if it existed (and had not expired).
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let (now, db) = (self.now, self.db);
        let shard = self.shard(key);
        let idx = Self::find(shard, key, now, db)?;
        shard.remove_index(idx).map(|(_, e)| e)
    }

    /// Delete a key without counting an access, returning its entry if it existed (and
    /// had not expired): for moving an entry the command already looked up once
    /// (RENAME), as Redis touches the source once.
    pub fn take(&mut self, key: &[u8]) -> Option<Entry> {
        self.peek(key)?;
        let shard = self.shard(key);
        let idx = shard.map.get_index_of(key)?;
        shard.remove_index(idx).map(|(_, e)| e)
    }

    /// Start watching a key: what EXEC will compare against. Like Redis 7.0's
    /// `watchForKey`, notes whether the key is stored but already expired, and
    /// deletes nothing.
    pub fn watch(&mut self, key: &[u8]) -> WatchMark {
        let now = self.now;
        let shard = self.shard(key);
        let expired = shard.map.get(key).is_some_and(|e| e.expired(now));
        let slot = shard.watched.entry(super::owned(key)).or_default();
        slot.watchers += 1;
        WatchMark {
            version: slot.version,
            deletions: slot.deletions,
            expired,
        }
    }

    /// Has a key watched with `mark` changed in a way that must abort EXEC? As in
    /// Redis 7.0 (`touchWatchedKey`, `isWatchedKeyExpired`):
    /// - any write since WATCH aborts;
    /// - a deletion aborts, unless the key had already expired when watched: deleting
    ///   an expired key (lazy or active expiry, a flush) changes nothing logically;
    /// - a key live when watched that has expired since aborts even if nobody has
    ///   deleted it yet, so that EXEC does not depend on when expiry runs.
    pub fn watch_broken(&mut self, key: &[u8], mark: &WatchMark) -> bool {
        let now = self.now;
        let shard = self.shard(key);
        let slot = shard.watched.get(key).copied().unwrap_or_default();
        if slot.version != mark.version {
            return true;
        }
        if mark.expired {
            return false;
        }
        slot.deletions != mark.deletions || shard.map.get(key).is_some_and(|e| e.expired(now))
    }

    /// Stop one watcher of a key.
    pub fn unwatch(&mut self, key: &[u8]) {
        let shard = self.shard(key);
        if let Some(slot) = shard.watched.get_mut(key) {
            slot.watchers -= 1;
            if slot.watchers == 0 {
                shard.watched.remove(key);
            }
        }
    }

    /// All locked shards, for whole-keyspace commands.
    pub fn shards_mut(&mut self) -> impl Iterator<Item = &mut Shard> + use<'_, 'a> {
        self.guards.iter_mut().map(|(_, g)| &mut **g)
    }

    /// Remove every key in the locked shards (FLUSHDB/FLUSHALL).
    pub fn clear(&mut self) {
        for s in self.shards_mut() {
            s.touch_all_present();
            s.map = Default::default();
            s.volatile = Default::default();
            s.expire_cursor = 0;
            s.mem = 0;
        }
    }

    /// Every live key in the locked shards, in shard order.
    pub fn for_each_key(&mut self, mut f: impl FnMut(&[u8], &Entry)) {
        let now = self.now;
        for s in self.shards_mut() {
            for (k, e) in s.map.iter() {
                if !e.expired(now) {
                    f(k, e);
                }
            }
        }
    }

    /// One SCAN step over the whole keyspace (all shards must be locked). `look` sees
    /// each visited key (and whether it is live) and says what it did with it, which
    /// decides what happens to an expired key, as in Redis's `scanGenericCommand`:
    /// one the pattern filtered out stays, one looked at further is deleted (lazy
    /// expiry), and a TYPE check counts a keyspace hit or miss.
    ///
    /// Cursor = `shard << 40 | remaining`: each shard is walked from its last index
    /// down. Removals swap the *last* element into the hole, so an element only ever
    /// moves to a lower index: anything not yet visited stays ahead of the cursor,
    /// which gives Redis's guarantee (every key present for the whole scan is returned).
    /// The walk's own deletions swap in an element it has already visited.
    pub fn scan(
        &mut self,
        cursor: u64,
        count: usize,
        mut look: impl FnMut(&[u8], &Entry, bool) -> ScanLook,
    ) -> u64 {
        const FRESH: u64 = (1 << 40) - 1;
        let (now, db) = (self.now, self.db);
        let (mut shard, mut rem) = if cursor == 0 {
            (0usize, FRESH)
        } else {
            ((cursor >> 40) as usize, cursor & FRESH)
        };
        let mut visited = 0;
        while shard < SHARDS {
            let s = &mut self
                .guards
                .iter_mut()
                .find(|(i, _)| *i as usize == shard)
                .expect("scan needs all shards")
                .1;
            let len = s.map.len() as u64;
            let mut pos = rem.min(len);
            while pos > 0 && visited < count {
                pos -= 1;
                visited += 1;
                let (k, e) = s.map.get_index(pos as usize).expect("in range");
                let live = !e.expired(now);
                let counted = match look(k, e, live) {
                    ScanLook::Filtered => continue,
                    ScanLook::Examined => false,
                    ScanLook::TypeChecked => true,
                };
                match (live, counted) {
                    (true, true) => s.hits += 1,
                    (true, false) => {}
                    (false, counted) => {
                        s.misses += counted as u64;
                        s.remove_index(pos as usize);
                        db.expired_keys.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            if pos > 0 {
                return ((shard as u64) << 40) | pos;
            }
            shard += 1;
            rem = FRESH;
            if visited >= count {
                return if shard < SHARDS {
                    ((shard as u64) << 40) | FRESH
                } else {
                    0
                };
            }
        }
        0
    }

    /// A random live key among the locked shards (RANDOMKEY), `None` once they hold
    /// no live key.
    ///
    /// As Redis's `dbRandomKey`, a pick that lands on an expired key deletes it as
    /// lazy expiry would (counted in `expired_keys`, WATCH signalled) and picks again:
    /// giving up after a fixed number of tries would answer nil while live keys
    /// remain among many expired ones. Each failed pick removes a key, so the loop
    /// ends; its cost is that of expiring the keys it meets, paid once.
    pub fn random_key(&mut self) -> Option<Bytes> {
        use rand::Rng;
        let (now, db) = (self.now, self.db);
        let mut rng = rand::rng();
        loop {
            let total: usize = self.guards.iter().map(|(_, g)| g.map.len()).sum();
            if total == 0 {
                return None;
            }
            let mut n = rng.random_range(0..total);
            let shard = self
                .guards
                .iter_mut()
                .map(|(_, g)| &mut **g)
                .find(|g| {
                    let here = n < g.map.len();
                    if !here {
                        n -= g.map.len();
                    }
                    here
                })
                .expect("n < total");
            let (k, e) = shard.map.get_index(n).expect("in range");
            if !e.expired(now) {
                return Some(Bytes::copy_from_slice(k));
            }
            shard.remove_index(n);
            db.expired_keys.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Keyspace<'_> {
    /// End one command's changes in place: signal WATCH for the keys it changed
    /// through [`EntryMut`], or — when the command replied an error (`changed` is
    /// false) — not at all. Redis signals a key only when a command modifies it; a
    /// command that fails (WRONGTYPE, not an integer, index out of range…) found its
    /// key and opened it for writing but left it as it was. Runs on drop as well.
    pub fn settle(&mut self, changed: bool) {
        for (_, g) in self.guards.iter_mut() {
            if g.pending_touch.is_empty() {
                continue;
            }
            let shard = &mut **g;
            for k in std::mem::take(&mut shard.pending_touch) {
                if changed {
                    Shard::touch_in(&mut shard.watched, &k);
                }
            }
        }
    }
}

impl Drop for Keyspace<'_> {
    fn drop(&mut self) {
        self.settle(true);
        for (_, g) in self.guards.iter_mut() {
            g.publish_mem(&self.db.mem_total);
        }
    }
}

/// Whose LRU/LFU data a stored key has when it replaces another.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Counters {
    /// The replaced key's LFU counter, plus this access.
    KeepOld,
    /// The stored entry's own.
    Entry,
}

/// A key being modified. On drop it re-accounts the entry's memory, keeps the TTL
/// index right, deletes the key if its aggregate became empty, and bumps WATCH.
pub struct EntryMut<'s> {
    shard: &'s mut Shard,
    idx: usize,
    cost_before: usize,
    ttl_before: u64,
    /// Signal WATCH on drop (see [`unchanged`](Self::unchanged)).
    changed: bool,
}

impl<'s> EntryMut<'s> {
    fn new(shard: &'s mut Shard, idx: usize) -> Self {
        let (k, e) = shard.map.get_index(idx).expect("valid index");
        let cost_before = Shard::entry_cost(k, e);
        let ttl_before = e.expire_at;
        EntryMut {
            shard,
            idx,
            cost_before,
            ttl_before,
            changed: true,
        }
    }

    /// The command found nothing to change (SREM of absent members, ZADD of the same
    /// scores, a count of 0…): do not signal WATCH for this key. Redis signals a key
    /// only when such a command changed something.
    pub fn unchanged(&mut self) {
        self.changed = false;
    }

    /// The key's name.
    pub fn key(&self) -> &[u8] {
        self.shard.map.get_index(self.idx).expect("valid index").0
    }
}

impl Deref for EntryMut<'_> {
    type Target = Entry;
    fn deref(&self) -> &Entry {
        &self.shard.map[self.idx]
    }
}

impl DerefMut for EntryMut<'_> {
    fn deref_mut(&mut self) -> &mut Entry {
        &mut self.shard.map[self.idx]
    }
}

impl Drop for EntryMut<'_> {
    fn drop(&mut self) {
        let shard = &mut *self.shard;
        let (k, e) = shard.map.get_index(self.idx).expect("valid index");
        let cost = Shard::entry_cost(k, e);
        shard.mem = shard.mem + cost - self.cost_before;
        if e.value.is_empty_aggregate() {
            shard.remove_index(self.idx);
            return;
        }
        // Borrow the key in place (no refcount traffic on the hot path); the TTL index
        // and the WATCH table are other fields of the shard.
        let ttl = e.expire_at;
        match (self.ttl_before != 0, ttl != 0) {
            (true, false) => {
                shard.volatile.swap_remove(k);
            }
            (false, true) => {
                shard.volatile.insert(k.clone());
            }
            _ => {}
        }
        // A watched key: signalled when the command ends, unless it ends in an error.
        if self.changed && !shard.watched.is_empty() && shard.watched.contains_key(&k[..]) {
            shard.pending_touch.push(Bytes::copy_from_slice(k));
        }
    }
}
