//! The keyspace: a fixed number of shards, each behind its own mutex, so both cores
//! serve clients at once. A command locks the shards of its keys (in index order, so
//! two commands can never deadlock), runs synchronously, and unlocks — no lock is ever
//! held across an `.await`.

mod keyspace;
mod shard;

pub use keyspace::{EntryMut, Keyspace, ScanLook, WatchMark};
use keyspace::{Guards, Locked};
pub use shard::{Entry, KeyTable, LfuTuning, Shard, StrEncoding, KEY_OVERHEAD};

use crate::node::types::table::{prefetch_all, Probe};
use crate::node::types::{CompactBytes, Value};
use bytes::Bytes;
use parking_lot::{Mutex, MutexGuard};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Keys prefetched together (see [`Db::prefetch`]): enough for their cache misses to
/// overlap, few enough for their lines to stay in L1/L2 until used.
pub const PREFETCH_GROUP: usize = crate::node::types::table::GROUP;

/// A lookup a pipelined request is about to make (see [`Db::prefetch`]).
#[derive(Debug, Clone, Copy)]
pub struct Upcoming<'a> {
    /// The key.
    pub key: &'a [u8],
    /// The argument after the key: a field or member, if the key holds a hash or a
    /// set and the command is one of the many that name one there (HSET, HGET,
    /// HINCRBY, SADD, SISMEMBER…). Otherwise a wasted hint at most.
    pub field: Option<&'a [u8]>,
}

/// Number of shards; a power of two. 16 keeps contention low on a few cores while
/// all-shard operations (KEYS, EXEC, FLUSHALL) stay cheap.
pub const SHARDS: usize = 16;

/// Memory counted for the node itself before any key: INFO's `used_memory_startup`, a
/// fixed figure like an empty redis-server's. `used_memory` is this plus the dataset,
/// and that sum is what `maxmemory` limits, as in Redis, so a full node's INFO never
/// shows `used_memory` above `maxmemory`.
pub const STARTUP_MEMORY: u64 = 860_000;

/// Copy an argument into its own allocation before storing it. Request arguments are
/// slices of the connection's read buffer; keeping one alive would pin the whole
/// buffer for as long as the key lives.
#[inline]
pub fn owned(b: &[u8]) -> Bytes {
    Bytes::copy_from_slice(b)
}

/// The whole dataset of one node.
pub struct Db {
    shards: Box<[Mutex<Shard>]>,
    /// Milliseconds added to the wall clock: lets tests move time forward without sleeping.
    clock_offset_ms: AtomicI64,
    /// Sum of the shards' `mem`, published by each command as it unlocks.
    mem_total: AtomicUsize,
    /// maxmemory eviction's candidate pool (kept between writes, as Redis does).
    pub(crate) evict_pool: Mutex<crate::node::evict::Pool>,
    /// Keys removed because their TTL passed (INFO `expired_keys`).
    pub expired_keys: AtomicU64,
    /// Keys removed by maxmemory eviction (INFO `evicted_keys`).
    pub evicted_keys: AtomicU64,
    /// How LFU counters grow and decay (`lfu-log-factor`, `lfu-decay-time`).
    pub lfu: LfuTuning,
    /// Clients blocked on keys (BLPOP & co), woken when a list or sorted set is created.
    pub blocked: crate::node::blocking::Blocked,
}

impl Default for Db {
    fn default() -> Self {
        Db::new()
    }
}

impl Db {
    /// An empty keyspace.
    pub fn new() -> Self {
        Db {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            clock_offset_ms: AtomicI64::new(0),
            mem_total: AtomicUsize::new(0),
            evict_pool: Mutex::default(),
            expired_keys: AtomicU64::new(0),
            evicted_keys: AtomicU64::new(0),
            lfu: LfuTuning::default(),
            blocked: Default::default(),
        }
    }

    /// Which shard owns `key`.
    #[inline]
    pub fn shard_of(key: &[u8]) -> usize {
        use std::hash::Hasher;
        let mut hasher = fnv::FnvHasher::default();
        hasher.write(key);
        let h = hasher.finish();
        (h as usize ^ (h >> 32) as usize) & (SHARDS - 1)
    }

    /// Current time in Unix milliseconds (plus the test offset).
    #[inline]
    pub fn now_ms(&self) -> u64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        (wall + self.clock_offset_ms.load(Ordering::Relaxed)).max(0) as u64
    }

    /// Move this keyspace's clock forward (tests of expiry without sleeping).
    pub fn advance_clock(&self, ms: i64) {
        self.clock_offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Lock the shards owning `keys` (deduplicated, in index order).
    pub fn lock_keys<'k, I>(&self, keys: I) -> Keyspace<'_>
    where
        I: IntoIterator<Item = &'k [u8]>,
    {
        let mut want = [false; SHARDS];
        for k in keys {
            want[Self::shard_of(k)] = true;
        }
        let mut waited = false;
        let guards = want
            .iter()
            .enumerate()
            .filter(|(_, w)| **w)
            .map(|(i, _)| (i as u8, Locked::Own(self.lock_noting_wait(i, &mut waited))))
            .collect();
        Keyspace::new(self, guards, waited)
    }

    /// Lock shard `i`, setting `waited` if another thread held it: contention is
    /// noticed wherever a lock is taken, for every command alike (see
    /// [`Keyspace::waited`]).
    fn lock_noting_wait(&self, i: usize, waited: &mut bool) -> MutexGuard<'_, Shard> {
        self.shards[i].try_lock().unwrap_or_else(|| {
            *waited = true;
            self.shards[i].lock()
        })
    }

    /// Lock one key's shard.
    pub fn lock_key(&self, key: &[u8]) -> Keyspace<'_> {
        self.lock_shard(Self::shard_of(key))
    }

    /// Lock every shard (KEYS, SCAN, EXEC, FLUSHALL, scripts…).
    pub fn lock_all(&self) -> Keyspace<'_> {
        let mut waited = false;
        let guards = (0..SHARDS)
            .map(|i| (i as u8, Locked::Own(self.lock_noting_wait(i, &mut waited))))
            .collect();
        Keyspace::new(self, guards, waited)
    }

    /// A view with nothing locked, for commands that touch no keys.
    pub fn lock_none(&self) -> Keyspace<'_> {
        Keyspace::new(self, Guards::new(), false)
    }

    /// Prefetch hints for `lookups`, which requests about to run will make: three
    /// passes over the keys (index slot, entry, what the entry keeps outside: a long
    /// value's bytes, an aggregate's header; see `types/table.rs`), then, for keys
    /// holding a hash or a set, three more over the fields or members named. The cache
    /// misses of different lookups overlap instead of each waiting for its own. Only a
    /// hint: a shard another thread holds (or this one, mid-batch) is skipped, so are
    /// keys and fields over [`PREFETCH_MAX_LEN`] bytes, and nothing is changed. Each
    /// shard is locked once for all the passes. Nothing to overlap for one lookup.
    pub fn prefetch(&self, lookups: &[Upcoming<'_>]) {
        if lookups.len() < 2 {
            return;
        }
        let shards: smallvec::SmallVec<[usize; PREFETCH_GROUP]> =
            lookups.iter().map(|l| Self::shard_of(l.key)).collect();
        let mut guards: [Option<MutexGuard<'_, Shard>>; SHARDS] = Default::default();
        for &i in &shards {
            if guards[i].is_none() {
                guards[i] = self.shards[i].try_lock();
            }
        }
        let mut keys: smallvec::SmallVec<[Probe<'_, '_, Entry>; PREFETCH_GROUP]> =
            Default::default();
        // (position in `keys`, field) of the lookups that name a field.
        let mut fields: smallvec::SmallVec<[(usize, &[u8]); PREFETCH_GROUP]> = Default::default();
        for (l, &i) in lookups.iter().zip(&shards) {
            let Some(shard) = guards[i].as_deref() else {
                continue;
            };
            if l.key.len() > PREFETCH_MAX_LEN {
                continue;
            }
            if let Some(field) = l.field.filter(|f| f.len() <= PREFETCH_MAX_LEN) {
                fields.push((keys.len(), field));
            }
            keys.push((&shard.map, shard.map.hash(l.key), l.key));
        }
        let found = prefetch_all(&keys);
        if fields.is_empty() {
            return;
        }
        let (in_hashes, in_sets) = look_inside(&found, &fields);
        prefetch_all(&in_hashes);
        prefetch_all(&in_sets);
    }

    /// Lock shard `i` alone (one-key commands; expiry and eviction walk shard by shard).
    pub fn lock_shard(&self, i: usize) -> Keyspace<'_> {
        let mut waited = false;
        let mut guards = Guards::new();
        guards.push((i as u8, Locked::Own(self.lock_noting_wait(i, &mut waited))));
        Keyspace::new(self, guards, waited)
    }

    /// Approximate bytes used by the dataset (keys, values, per-key overhead). One
    /// atomic load: it runs before every write (maxmemory check). Exact once the
    /// commands in flight have released their shards.
    #[inline]
    pub fn used_memory(&self) -> usize {
        self.mem_total.load(Ordering::Relaxed)
    }

    /// The dataset plus [`STARTUP_MEMORY`]: INFO's `used_memory`, the figure
    /// `maxmemory` limits.
    #[inline]
    pub fn used_memory_with_startup(&self) -> u64 {
        self.used_memory() as u64 + STARTUP_MEMORY
    }

    /// (keyspace hits, keyspace misses) summed over the shards.
    pub fn hits_misses(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(h, m), s| {
            let s = s.lock();
            (h + s.hits, m + s.misses)
        })
    }

    /// Zero the hit and miss counters (CONFIG RESETSTAT).
    pub fn reset_hits_misses(&self) {
        for s in self.shards.iter() {
            s.lock().reset_hits_misses();
        }
    }

    /// (keys, keys with a TTL) over all shards.
    pub fn counts(&self) -> (usize, usize) {
        self.shards.iter().fold((0, 0), |(k, e), s| {
            let s = s.lock();
            (k + s.len(), e + s.volatile_len())
        })
    }
}

/// Keys and fields longer than this are not prefetched: hashing them under the shard
/// locks would cost more than the cache misses it saves, and they are rare.
const PREFETCH_MAX_LEN: usize = 256;

/// Lookups inside hashes or sets.
type Inside<'e, 'k, V> = smallvec::SmallVec<[Probe<'e, 'k, V>; PREFETCH_GROUP]>;

/// [`Db::prefetch`]'s second level: of each `(position, name)` in `fields`, the table
/// and hash to prefetch when `found[position]` (the entry a key lookup will most
/// likely find) holds a hash (the field `name`) or a set (the member `name`).
fn look_inside<'e, 'k>(
    found: &[Option<&'e Entry>],
    fields: &[(usize, &'k [u8])],
) -> (Inside<'e, 'k, CompactBytes>, Inside<'e, 'k, ()>) {
    let (mut in_hashes, mut in_sets) = (Inside::new(), Inside::new());
    for &(k, name) in fields {
        match found[k].map(|e| &e.value) {
            Some(Value::Hash(h)) => in_hashes.push((h.fields(), h.fields().hash(name), name)),
            Some(Value::Set(s)) => in_sets.push((s.members(), s.members().hash(name), name)),
            _ => {}
        }
    }
    (in_hashes, in_sets)
}

/// A shard lock a connection keeps from one command to the next while it runs one
/// pipelined batch, so that consecutive commands on the same shard — a hot key
/// pipelined, above all — take the shard's mutex once instead of once each. With a
/// loop per core, every command taking the lock anew moves the mutex's and the key's
/// cache lines between the cores, command by command; keeping it moves them once per
/// run. The commands under one kept lock share the time it was taken, as a MULTI
/// block does, except after a command that may have taken long (one without Redis's
/// FAST flag: LRANGE of a long list, DEL of a big key…), which has the next command
/// read the time afresh. Each shard's time stays monotone: it is only read under the
/// shard's lock.
///
/// The connection's batch function owns it and drops it before any `.await` (the
/// guard is not `Send`, so the compiler checks that). Dispatch releases it before any
/// command that locks something else, and before eviction, which locks shards itself.
#[derive(Default)]
pub struct HeldShard<'a> {
    /// The shard, its lock, and the time it was taken.
    guard: Option<(u8, MutexGuard<'a, Shard>, u64)>,
    /// Commands served under the current lock.
    uses: u32,
    /// The last command may have taken long: the time must be read again.
    time_passed: bool,
}

impl<'a> HeldShard<'a> {
    /// Commands one lock may serve before it is released and taken again, so that a
    /// long pipeline on one shard cannot keep other connections out for long.
    pub const MAX_USES: u32 = 32;

    /// The shard whose lock is kept, if any.
    pub fn shard(&self) -> Option<usize> {
        self.guard.as_ref().map(|(i, _, _)| *i as usize)
    }

    /// Unlock now.
    pub fn release(&mut self) {
        self.guard = None;
        self.uses = 0;
    }

    /// The command just run may have taken long: the next one under the kept lock
    /// reads the time afresh rather than run at the time the lock was taken.
    pub fn time_passed(&mut self) {
        self.time_passed = true;
    }

    /// A view of shard `i` for one command: under the kept lock if it is that shard
    /// and has served fewer than [`MAX_USES`](Self::MAX_USES) commands; otherwise the
    /// kept lock is released and shard `i`'s taken (and kept).
    pub fn lock<'s>(&'s mut self, db: &'a Db, i: usize) -> Keyspace<'s> {
        let mut waited = false;
        if self.shard() != Some(i) || self.uses >= Self::MAX_USES {
            // A fair unlock at the limit: a plain one would let this thread take the
            // lock straight back ahead of the connections waiting for it.
            if let Some((_, guard, _)) = self.guard.take() {
                MutexGuard::unlock_fair(guard);
            }
            self.release();
            let guard = db.lock_noting_wait(i, &mut waited);
            self.guard = Some((i as u8, guard, db.now_ms()));
        } else if self.time_passed {
            if let Some((_, _, now)) = &mut self.guard {
                *now = db.now_ms();
            }
        }
        self.time_passed = false;
        self.uses += 1;
        let (index, guard, now) = self.guard.as_mut().expect("locked above");
        Keyspace::resumed(db, *index, guard, *now, waited)
    }
}

#[cfg(test)]
mod tests {
    use super::{Db, HeldShard, Upcoming};
    use std::time::Duration;

    /// Every way of locking notes whether it had to wait for another thread: the
    /// signal that moves a connection to a slot's event loop (`node::affinity`).
    #[test]
    fn every_lock_path_notes_waiting_for_another_thread() {
        let db = Db::new();
        let (k, other) = (&b"k"[..], &b"other"[..]);
        assert_ne!(Db::shard_of(k), Db::shard_of(other));
        type Waited<'a> = &'a dyn Fn(&Db) -> bool;
        let ways: [(&str, Waited); 4] = [
            ("lock_key", &|db| db.lock_key(k).waited()),
            ("lock_keys", &|db| db.lock_keys([k, other]).waited()),
            ("lock_all", &|db| db.lock_all().waited()),
            ("HeldShard", &|db| {
                HeldShard::default().lock(db, Db::shard_of(k)).waited()
            }),
        ];
        for (name, lock) in ways {
            assert!(!lock(&db), "{name}: nobody held the shard");
            // Another thread holds k's shard for `hold`, taken before `lock` runs. How
            // soon `lock` tries it is not observable, so the hold grows (bounded).
            let waited = (0..10).any(|i| {
                let hold = Duration::from_millis(1 << i);
                std::thread::scope(|s| {
                    let (tx, rx) = std::sync::mpsc::channel();
                    let db = &db;
                    s.spawn(move || {
                        let _held = db.lock_key(k);
                        tx.send(()).unwrap();
                        std::thread::sleep(hold);
                    });
                    rx.recv().unwrap();
                    lock(db)
                })
            });
            assert!(waited, "{name}: never noted the wait");
        }
    }

    /// A destination replaced by nothing (an empty BITOP or *STORE result) goes as
    /// Redis's dbDelete takes it: expired or not, never counted as expired; a lookup
    /// of an expired key counts it.
    #[test]
    fn deleting_a_stored_entry_does_not_count_an_expiry() {
        use crate::node::db::Entry;
        use crate::node::types::{compact, Value};
        let db = Db::new();
        let mut ks = db.lock_key(b"d");
        let mut e = Entry::new(Value::Str(compact(b"v")), ks.now());
        e.expire_at = ks.now() + 100;
        ks.set_entry(b"d", e);
        drop(ks);
        db.advance_clock(101);
        let mut ks = db.lock_key(b"d");
        assert!(ks.delete_stored(b"d"));
        assert!(!ks.delete_stored(b"d"));
        let expired = || db.expired_keys.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(expired(), 0);
        let mut e = Entry::new(Value::Str(compact(b"v")), ks.now());
        e.expire_at = ks.now() + 100;
        ks.set_entry(b"d", e);
        drop(ks);
        db.advance_clock(101);
        assert!(db.lock_key(b"d").remove(b"d").is_none());
        assert_eq!(expired(), 1);
    }

    /// RANDOMKEY among many expired keys and one live one finds the live one (a
    /// fixed number of tries would almost surely miss it among 20,000), deleting the
    /// expired keys it lands on as lazy expiry does, as Redis's dbRandomKey. With
    /// only expired keys left it deletes them all and answers nil.
    #[test]
    fn random_key_expires_what_it_meets_until_a_live_key() {
        use crate::node::types::{compact, Value};
        let db = Db::new();
        let expired = || db.expired_keys.load(std::sync::atomic::Ordering::Relaxed);
        let mut ks = db.lock_all();
        let at = ks.now() + 100;
        for i in 0..20_000 {
            let key = format!("k{i}");
            ks.set(key.as_bytes(), Value::Str(compact(b"v")), at);
        }
        ks.set(b"live", Value::Str(compact(b"v")), 0);
        drop(ks);
        db.advance_clock(101);
        assert_eq!(db.lock_all().random_key().as_deref(), Some(&b"live"[..]));
        let (keys, _) = db.counts();
        assert_eq!(expired() as usize + keys, 20_001);
        assert!(db.lock_all().remove(b"live").is_some());
        assert_eq!(db.lock_all().random_key(), None);
        assert_eq!(db.counts(), (0, 0));
        assert_eq!(expired(), 20_000);
    }

    /// WATCH and expiry, as Redis 7.0: a key live when watched that has expired
    /// since breaks the watch even before anything deletes it; one already expired
    /// when watched does not, whatever deletes it (a lookup, active expiry, RANDOMKEY,
    /// a flush), but a write to it does.
    #[test]
    fn watch_follows_redis_7_rules_for_expired_keys() {
        use crate::node::types::{compact, Value};
        let db = Db::new();
        let v = || Value::Str(compact(b"v"));
        let (k, other) = (&b"k"[..], &b"other"[..]);
        let expiring = |db: &Db| {
            let mut ks = db.lock_all();
            let at = ks.now() + 100;
            ks.set(k, v(), at);
        };
        type Step<'a> = &'a dyn Fn(&Db);
        let deletions: [(&str, Step); 4] = [
            ("lookup", &|db| assert!(db.lock_key(k).get(k).is_none())),
            ("active expiry", &|db| {
                let mut ks = db.lock_key(k);
                let now = ks.now();
                let shard = ks.shards_mut().next().expect("one shard");
                assert_eq!(shard.expire_sample(now, 20), (1, 1));
            }),
            ("randomkey", &|db| {
                assert_eq!(db.lock_all().random_key(), None)
            }),
            ("flushall", &|db| db.lock_all().clear()),
        ];
        for (name, delete) in deletions {
            // Live when watched, expired by EXEC, not deleted yet: broken.
            expiring(&db);
            let mark = db.lock_key(k).watch(k);
            assert!(!db.lock_all().watch_broken(k, &mark), "{name}");
            db.advance_clock(101);
            assert!(db.lock_all().watch_broken(k, &mark), "{name}");
            // ... and still broken once deleted.
            delete(&db);
            assert!(db.lock_all().watch_broken(k, &mark), "{name}");
            db.lock_key(k).unwatch(k);

            // Already expired (still stored) when watched, then deleted: not broken.
            expiring(&db);
            db.advance_clock(101);
            let mark = db.lock_key(k).watch(k);
            assert!(!db.lock_all().watch_broken(k, &mark), "{name}");
            delete(&db);
            assert!(!db.lock_all().watch_broken(k, &mark), "{name}");
            // Another key changing does not matter; the key written again does.
            db.lock_key(other).set(other, v(), 0);
            assert!(!db.lock_all().watch_broken(k, &mark), "{name}");
            db.lock_key(k).set(k, v(), 0);
            assert!(db.lock_all().watch_broken(k, &mark), "{name}");
            db.lock_key(k).unwatch(k);
            db.lock_all().clear();
        }
        // Already expired when watched, then overwritten: a write, broken.
        expiring(&db);
        db.advance_clock(101);
        let mark = db.lock_key(k).watch(k);
        db.lock_key(k).set(k, v(), 0);
        assert!(db.lock_all().watch_broken(k, &mark));
    }

    /// Commands under a kept lock run at the time it was taken, unless the one before
    /// may have taken long; then the next reads the time again.
    #[test]
    fn a_kept_lock_reads_the_time_again_after_a_slow_command() {
        let db = Db::new();
        let shard = Db::shard_of(b"k");
        let mut held = HeldShard::default();
        let taken = held.lock(&db, shard).now();
        db.advance_clock(5_000);
        assert_eq!(
            held.lock(&db, shard).now(),
            taken,
            "a fast command's successor"
        );
        held.time_passed();
        let after = held.lock(&db, shard).now();
        assert!(after >= taken + 5_000, "{after} < {taken} + 5000");
        assert_eq!(held.lock(&db, shard).now(), after, "read once, then kept");
    }

    /// The second level looks into hashes and sets only, each for the field or member
    /// its own lookup names.
    #[test]
    fn second_level_looks_into_the_hash_or_set_each_lookup_names() {
        use super::{look_inside, Entry};
        use crate::node::types::{compact, HashValue, SetValue, Value};
        let mut h = HashValue::new();
        h.insert(b"f", b"v");
        let mut s = SetValue::new();
        s.insert(b"m");
        let (hash, set) = (Entry::new(Value::hash(h), 0), Entry::new(Value::set(s), 0));
        let string = Entry::new(Value::Str(compact(b"x")), 0);
        let found = [Some(&string), Some(&set), None, Some(&hash), Some(&hash)];
        let fields: [(usize, &[u8]); 5] = [(0, b"a"), (1, b"b"), (2, b"c"), (3, b"d"), (4, b"e")];
        let (in_hashes, in_sets) = look_inside(&found, &fields);
        let (Value::Hash(h), Value::Set(s)) = (&hash.value, &set.value) else {
            unreachable!()
        };
        assert_eq!(in_hashes.len(), 2);
        for (&(table, x, field), name) in in_hashes.iter().zip([b"d", b"e"]) {
            assert!(std::ptr::eq(table, h.fields()));
            assert_eq!((x, field), (h.fields().hash(name), &name[..]));
        }
        assert_eq!(in_sets.len(), 1);
        assert!(std::ptr::eq(in_sets[0].0, s.members()));
        assert_eq!(in_sets[0].1, s.members().hash(b"b"));
        assert_eq!(in_sets[0].2, b"b");
    }

    /// Prefetching is a hint only: it skips a shard the caller itself holds (no
    /// deadlock: the batch's held shard may be one of them), leaves every shard
    /// unlocked and every key as it was, hashes and sets included, whatever the
    /// argument after the key is.
    #[test]
    fn prefetch_skips_held_shards_and_changes_nothing() {
        use crate::node::types::{compact, HashValue, SetValue, Value};
        let db = Db::new();
        let keys: Vec<Vec<u8>> = (0..40).map(|i| format!("key:{i}").into_bytes()).collect();
        for (i, k) in keys.iter().enumerate() {
            let v = if i % 2 == 0 {
                vec![b'v'; 100]
            } else {
                b"1".to_vec()
            };
            db.lock_key(k).set(k, Value::Str(compact(&v)), 0);
        }
        let mut h = HashValue::new();
        for i in 0..1000 {
            h.insert(format!("f{i}").as_bytes(), &[b'x'; 64]);
        }
        db.lock_key(b"hash").set(b"hash", Value::hash(h.clone()), 0);
        let mut set = SetValue::new();
        for i in 0..1000 {
            set.insert(format!("f{i}").as_bytes());
        }
        db.lock_key(b"set").set(b"set", Value::set(set.clone()), 0);
        let fields = ["f0", "f999", "f500", "absent", ""];
        let hash_lookups = fields.map(|f| Upcoming {
            key: b"hash",
            field: Some(f.as_bytes()),
        });
        let set_lookups = fields.map(|f| Upcoming {
            key: b"set",
            field: Some(f.as_bytes()),
        });
        let refs: Vec<Upcoming<'_>> = keys
            .iter()
            .map(|k| &k[..])
            .chain([&b"absent"[..]])
            .enumerate()
            .map(|(i, key)| Upcoming {
                key,
                field: (i % 3 == 0).then_some(&b"f1"[..]),
            })
            .chain(hash_lookups)
            .chain(set_lookups)
            .collect();
        for group in [&refs[..], &refs[refs.len() - 11..]] {
            let held = db.lock_key(&keys[0]);
            db.prefetch(group);
            drop(held);
            let held = db.lock_key(b"hash");
            db.prefetch(group);
            drop(held);
            db.prefetch(group);
        }
        let mut all = db.lock_all();
        assert!(!all.waited(), "prefetch left a shard locked");
        for (i, k) in keys.iter().enumerate() {
            let Some(Value::Str(v)) = all.get_value(k) else {
                panic!("{k:?} lost");
            };
            assert_eq!(v.len(), if i % 2 == 0 { 100 } else { 1 });
        }
        assert!(all.get_value(b"absent").is_none());
        let Some(Value::Hash(got)) = all.get_value(b"hash") else {
            panic!("hash lost");
        };
        assert!(got.fields().iter().eq(h.fields().iter()), "fields changed");
        let Some(Value::Set(got)) = all.get_value(b"set") else {
            panic!("set lost");
        };
        assert!(got.iter().eq(set.iter()), "members changed");
    }
}
