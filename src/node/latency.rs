//! Per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM) and the
//! latency monitor's events (LATENCY LATEST / HISTORY / RESET), as redis-server 7.0
//! keeps them.
//!
//! Redis records every call's duration into an HdrHistogram per command (or
//! subcommand): whole microseconds, stored as nanoseconds (`µs × 1000`, 1 ns for a
//! call under a microsecond), tracking 1 ns to 1 s with 2 significant figures. The
//! buckets here are the same, computed the same way, so a percentile or a bucket
//! bound printed here is the value Redis prints for the same durations.
//!
//! Every call records, and a counter every core bumps for every GET is a cache line
//! the cores keep taking from each other; so each thread records into its own shard
//! of the histograms, and the readers (INFO, LATENCY) add the shards up. A connection
//! also gathers a run of calls of one command that each took under a few µs and
//! records them at once (see `command_stats::CommandTally`).

use crate::command::{self, CommandId};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;

/// HdrHistogram's layout for Redis's `hdr_init(1, 1_000_000_000, 2)`: 2 significant
/// figures need 256 sub-buckets (half of them per bucket after the first), and 23
/// buckets reach 1 s.
mod hdr {
    /// log2 of half the sub-bucket count.
    const HALF_MAGNITUDE: u32 = 7;
    const HALF_COUNT: u64 = 1 << HALF_MAGNITUDE;
    const SUB_BUCKET_COUNT: u64 = 2 * HALF_COUNT;
    const SUB_BUCKET_MASK: u64 = SUB_BUCKET_COUNT - 1;
    const BUCKETS: usize = 23;
    /// Counters in one histogram.
    pub const LEN: usize = (BUCKETS + 1) * HALF_COUNT as usize;
    /// The smallest and largest values recorded (Redis's LATENCY_HISTOGRAM_MIN/MAX_VALUE).
    pub const MIN: u64 = 1;
    pub const MAX: u64 = 1_000_000_000;

    fn bucket(v: u64) -> u32 {
        (64 - (v | SUB_BUCKET_MASK).leading_zeros()) - (HALF_MAGNITUDE + 1)
    }

    /// The counter a value (`MIN..=MAX`) goes to.
    #[inline]
    pub fn index(v: u64) -> usize {
        let b = bucket(v);
        let sub = v >> b;
        (((b as u64 + 1) << HALF_MAGNITUDE) + sub - HALF_COUNT) as usize
    }

    /// The smallest value counted at `index`.
    pub fn value_at(index: usize) -> u64 {
        let mut b = (index as i64 >> HALF_MAGNITUDE) - 1;
        let mut sub = (index as u64 & (HALF_COUNT - 1)) + HALF_COUNT;
        if b < 0 {
            sub -= HALF_COUNT;
            b = 0;
        }
        sub << b
    }

    /// The smallest value counted with `v`.
    pub fn lowest_equivalent(v: u64) -> u64 {
        let b = bucket(v);
        (v >> b) << b
    }

    /// The largest value counted with `v`.
    pub fn highest_equivalent(v: u64) -> u64 {
        let b = bucket(v);
        let range = if v >> b >= SUB_BUCKET_COUNT {
            1 << (b + 1)
        } else {
            1 << b
        };
        lowest_equivalent(v) + range - 1
    }
}

/// One histogram's counters, read out of the shards and added up.
struct Counts {
    by_index: Vec<u64>,
    total: u64,
}

impl Counts {
    /// `hdr_value_at_percentile` as Redis 7.0.15 ships it: the first counter at which
    /// the running count reaches `p` % of the total (at least one), reported as the
    /// highest value it holds (the lowest for the 0th percentile).
    fn value_at_percentile(&self, p: f64) -> u64 {
        let wanted = ((p.min(100.0) / 100.0 * self.total as f64 + 0.5) as u64).max(1);
        let mut running = 0;
        for (i, &n) in self.by_index.iter().enumerate() {
            running += n;
            if running >= wanted {
                let v = hdr::value_at(i);
                return if p == 0.0 {
                    hdr::lowest_equivalent(v)
                } else {
                    hdr::highest_equivalent(v)
                };
            }
        }
        0
    }

    /// LATENCY HISTOGRAM's `histogram_usec`: Redis walks the histogram with a
    /// logarithmic iterator (first level 1024 ns, base 2) and reports, at each level
    /// whose running count grew, the highest value of the counter the iterator stands
    /// on (in µs) and the running count there.
    fn cumulative_usec(&self) -> Vec<(u64, u64)> {
        // hdr_iter_log_init(iter, h, 1024, 2) and hdr_iter_next, step by step.
        let len = hdr::LEN as i64;
        let (mut index, mut running, mut value) = (-1i64, 0u64, 0u64);
        let mut level_lowest = hdr::lowest_equivalent(1024);
        let mut level = 1024u64;
        let (mut out, mut previous) = (Vec::new(), 0);
        loop {
            let more = running < self.total
                || (index < len && hdr::value_at((index + 1) as usize) > level_lowest);
            if !more {
                break;
            }
            loop {
                if value >= level_lowest {
                    level *= 2;
                    level_lowest = hdr::lowest_equivalent(level);
                    break;
                }
                index += 1;
                if index >= len {
                    break;
                }
                running += self.by_index[index as usize];
                value = hdr::value_at(index as usize);
            }
            if running > previous {
                out.push((hdr::highest_equivalent(value) / 1000, running));
            }
            previous = running;
        }
        out
    }
}

/// How many shards the histograms have: twice the cores (at least 8), so that the
/// event loops (one per core) and the few other threads that run commands (a
/// script's `block_in_place` worker, `cluster`'s runtime) rarely share one.
fn shard_count() -> usize {
    let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
    (2 * cores).max(8)
}

/// Which shard the calling thread records into (modulo the shard count): handed out
/// in turn as threads first record.
fn thread_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Relaxed);
    }
    SHARD.with(|s| *s)
}

/// One histogram's counters (`hdr::LEN` of them), allocated on first use.
type Histogram = OnceLock<Box<[AtomicU64]>>;

/// Every command's latency histogram, sharded by thread.
#[derive(Debug)]
pub struct LatencyHistograms {
    /// `latency-tracking`.
    enabled: AtomicBool,
    /// `[shard][command id]`: allocated on a command's first call on that shard (24 KB
    /// each, as Redis allocates a command's histogram on its first call).
    shards: Box<[Box<[Histogram]>]>,
}

impl Default for LatencyHistograms {
    fn default() -> Self {
        let per_shard = || {
            (0..command::table::all().len())
                .map(|_| OnceLock::new())
                .collect()
        };
        LatencyHistograms {
            enabled: AtomicBool::new(true),
            shards: (0..shard_count()).map(|_| per_shard()).collect(),
        }
    }
}

impl LatencyHistograms {
    /// `latency-tracking yes|no`: whether calls are recorded (what was recorded stays).
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Relaxed);
    }

    /// Whether calls are recorded.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Relaxed)
    }

    /// Record `calls` calls of `id` that took `nanos` each, as Redis records a call
    /// (whole microseconds). Whether to record at all is the caller's to check
    /// ([`enabled`](Self::enabled)): calls gathered while it was on still count.
    pub fn record(&self, id: CommandId, nanos: u64, calls: u64) {
        let value = (nanos / 1000 * 1000).clamp(hdr::MIN, hdr::MAX);
        let counts = self.shards[thread_shard() % self.shards.len()][id as usize]
            .get_or_init(|| (0..hdr::LEN).map(|_| AtomicU64::new(0)).collect());
        counts[hdr::index(value)].fetch_add(calls, Relaxed);
    }

    /// Forget every recorded call (CONFIG RESETSTAT).
    pub fn reset(&self) {
        for shard in self.shards.iter() {
            for counts in shard.iter().filter_map(OnceLock::get) {
                counts.iter().for_each(|n| n.store(0, Relaxed));
            }
        }
    }

    /// A command's histogram, if it recorded any call.
    fn counts(&self, id: CommandId) -> Option<Counts> {
        let mut by_index: Option<Vec<u64>> = None;
        for counts in self.shards.iter().filter_map(|s| s[id as usize].get()) {
            let sum = by_index.get_or_insert_with(|| vec![0; hdr::LEN]);
            for (a, n) in sum.iter_mut().zip(counts.iter()) {
                *a += n.load(Relaxed);
            }
        }
        let by_index = by_index?;
        let total = by_index.iter().sum();
        (total > 0).then_some(Counts { by_index, total })
    }

    /// INFO latencystats' lines: `latency_percentiles_usec_<name>:p50=…,p99=…` for
    /// every command with recorded calls (Redis lists them in its hash table's order;
    /// here by name).
    pub fn write_info(&self, text: &mut String, percentiles: &[f64]) {
        for id in 0..command::table::all().len() as CommandId {
            let Some(counts) = self.counts(id) else {
                continue;
            };
            let _ = write!(text, "latency_percentiles_usec_{}:", command::spec(id).name);
            for (i, &p) in percentiles.iter().enumerate() {
                let sep = if i + 1 < percentiles.len() { "," } else { "" };
                let usec = counts.value_at_percentile(p) as f64 / 1000.0;
                let _ = write!(text, "p{}={usec:.3}{sep}", format_percentile(p));
            }
            text.push_str("\r\n");
        }
    }

    /// LATENCY HISTOGRAM's entry for a command: its calls, and `(µs, calls up to
    /// there)` pairs. `None` if it recorded no call.
    pub fn cumulative(&self, id: CommandId) -> Option<(u64, Vec<(u64, u64)>)> {
        let counts = self.counts(id)?;
        Some((counts.total, counts.cumulative_usec()))
    }
}

/// A percentile as Redis prints it (CONFIG GET latency-tracking-info-percentiles, the
/// INFO labels): `%f`, then trailing zeros and a trailing dot removed.
pub fn format_percentile(p: f64) -> String {
    let mut s = format!("{p:.6}");
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    s
}

/// Samples each event keeps (Redis's `LATENCY_TS_LEN`).
const SAMPLES: usize = 160;

/// The latency monitor: for each event (`command`, `fast-command`), the worst latency
/// of each of its last 160 seconds with one, and its all-time worst.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    /// `latency-monitor-threshold` in nanoseconds; `u64::MAX` when off (0), and at
    /// most `u64::MAX - 1` when on, however large the setting.
    threshold_nanos: AtomicU64,
    events: Mutex<BTreeMap<&'static str, Series>>,
}

/// One event's samples: a ring of `(unix second, ms)`, oldest first from `next`.
#[derive(Debug)]
pub struct Series {
    samples: [(i64, u64); SAMPLES],
    next: usize,
    /// The worst latency ever seen, in ms.
    pub max: u64,
}

impl Series {
    /// The latest sample.
    pub fn latest(&self) -> (i64, u64) {
        self.samples[(self.next + SAMPLES - 1) % SAMPLES]
    }

    /// The samples, oldest first.
    pub fn history(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        (0..SAMPLES)
            .map(move |i| self.samples[(self.next + i) % SAMPLES])
            .filter(|&(t, _)| t != 0)
    }
}

impl LatencyMonitor {
    /// Apply `latency-monitor-threshold` (ms; 0 turns the monitor off).
    pub fn configure(&self, threshold_ms: u64) {
        let nanos = match threshold_ms {
            0 => u64::MAX,
            ms => ms.saturating_mul(1_000_000).min(u64::MAX - 1),
        };
        self.threshold_nanos.store(nanos, Relaxed);
    }

    /// Whether the monitor is on.
    pub fn enabled(&self) -> bool {
        self.threshold_nanos.load(Relaxed) != u64::MAX
    }

    /// Whether a command that took `nanos` is a sample (one compare per command).
    #[inline]
    pub fn is_sample(&self, nanos: u64) -> bool {
        nanos >= self.threshold_nanos.load(Relaxed)
    }

    /// Add a sample of `ms` to `event`, at the current second (a second that has one
    /// keeps the worst).
    #[cold]
    pub fn add(&self, event: &'static str, ms: u64) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut events = self.events.lock();
        let s = events.entry(event).or_insert_with(|| Series {
            samples: [(0, 0); SAMPLES],
            next: 0,
            max: 0,
        });
        s.max = s.max.max(ms);
        let last = (s.next + SAMPLES - 1) % SAMPLES;
        if s.samples[last].0 == now {
            s.samples[last].1 = s.samples[last].1.max(ms);
            return;
        }
        s.samples[s.next] = (now, ms);
        s.next = (s.next + 1) % SAMPLES;
    }

    /// The events, by name (read under the lock; keep it short).
    pub fn events(&self) -> parking_lot::MutexGuard<'_, BTreeMap<&'static str, Series>> {
        self.events.lock()
    }

    /// Forget the named events, matched ignoring case as Redis matches them here (all
    /// when `names` is `None`); how many there were.
    pub fn reset(&self, names: Option<&[bytes::Bytes]>) -> usize {
        let mut events = self.events.lock();
        let Some(names) = names else {
            return std::mem::take(&mut *events).len();
        };
        let mut removed = 0;
        for name in names {
            let before = events.len();
            events.retain(|event, _| !event.as_bytes().eq_ignore_ascii_case(name));
            removed += before - events.len();
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(values_ns: &[u64]) -> Counts {
        let mut by_index = vec![0; hdr::LEN];
        for &v in values_ns {
            by_index[hdr::index(v.clamp(hdr::MIN, hdr::MAX))] += 1;
        }
        Counts {
            by_index,
            total: values_ns.len() as u64,
        }
    }

    #[test]
    fn buckets_match_what_redis_prints() {
        // Seen from redis-server 7.0.15: one call of 6, 8, 9 or 68 µs.
        for (us, p50) in [(6, 6015), (8, 8031), (9, 9023), (68, 68095), (0, 1)] {
            let c = counts(&[us * 1000]);
            assert_eq!(c.value_at_percentile(50.0), p50, "{us} µs");
            assert_eq!(c.value_at_percentile(100.0), p50, "{us} µs");
        }
        // The 0th percentile is the bucket's lowest value (Redis: p0=8.000, 67.584).
        assert_eq!(counts(&[8000]).value_at_percentile(0.0), 8000);
        assert_eq!(counts(&[68000]).value_at_percentile(0.0), 67584);
        // A tiny percentile of one call still finds it (count at least one).
        assert_eq!(counts(&[8000]).value_at_percentile(0.1), 8031);
        // The largest value recorded is 1 s.
        assert!(hdr::index(hdr::MAX) < hdr::LEN);
        assert_eq!(
            counts(&[hdr::MAX]).value_at_percentile(50.0),
            hdr::highest_equivalent(hdr::MAX)
        );
    }

    #[test]
    fn percentiles_split_the_calls_like_redis() {
        // 100 calls: 90 of 1 µs, 9 of 10 µs, 1 of 100 µs.
        let mut v = vec![1000; 90];
        v.extend([10_000; 9]);
        v.push(100_000);
        let c = counts(&v);
        assert_eq!(c.value_at_percentile(50.0), 1003);
        assert_eq!(c.value_at_percentile(90.0), 1003);
        assert_eq!(c.value_at_percentile(90.5), 10_047);
        assert_eq!(c.value_at_percentile(99.0), 10_047);
        assert_eq!(c.value_at_percentile(99.9), 100_351);
    }

    #[test]
    fn cumulative_histogram_reports_levels_where_the_count_grew() {
        // Seen from redis-server 7.0.15: INCR of 8 µs → [8, 1]; CLIENT ID of 4 µs →
        // [4, 1]; a call under 1 µs lands in the first level (1 µs).
        assert_eq!(counts(&[8000]).cumulative_usec(), vec![(8, 1)]);
        assert_eq!(counts(&[4000]).cumulative_usec(), vec![(4, 1)]);
        assert_eq!(counts(&[1]).cumulative_usec(), vec![(1, 1)]);
        // Two calls, 7 and 65 µs (GET in the same run: [8, 1, 66, 2]).
        assert_eq!(
            counts(&[7000, 65000]).cumulative_usec(),
            vec![(8, 1), (66, 2)]
        );
        // ~600 µs (CONFIG RESETSTAT: [1056, 1]) and the 1 s ceiling.
        assert_eq!(counts(&[600_000]).cumulative_usec(), vec![(1056, 1)]);
        let top = counts(&[hdr::MAX]).cumulative_usec();
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].1, 1);
        assert_eq!(counts(&[]).cumulative_usec(), vec![]);
    }

    #[test]
    fn percentiles_print_as_redis_trims_them() {
        for (p, s) in [
            (50.0, "50"),
            (99.9, "99.9"),
            (0.0, "0"),
            (99.9999999, "100"),
            (12.5, "12.5"),
        ] {
            assert_eq!(format_percentile(p), s);
        }
    }

    #[test]
    fn histograms_add_up_across_threads_and_reset() {
        let h = LatencyHistograms::default();
        let get = command::lookup(b"get").unwrap();
        h.record(get, 500, 1);
        std::thread::scope(|s| {
            s.spawn(|| h.record(get, 2_500, 1));
        });
        let (calls, cdf) = h.cumulative(get).unwrap();
        assert_eq!(calls, 2);
        assert_eq!(cdf, vec![(1, 1), (2, 2)]);
        let mut text = String::new();
        h.write_info(&mut text, &[50.0, 99.0]);
        assert_eq!(text, "latency_percentiles_usec_get:p50=0.001,p99=2.007\r\n");
        h.record(get, 700, 3);
        assert_eq!(h.cumulative(get).unwrap(), (5, vec![(1, 4), (2, 5)]));
        h.reset();
        assert!(h.cumulative(get).is_none());
        text.clear();
        h.write_info(&mut text, &[50.0]);
        assert_eq!(text, "");
    }

    #[test]
    fn the_monitor_keeps_each_seconds_worst_and_the_all_time_worst() {
        let m = LatencyMonitor::default();
        m.configure(0);
        assert!(!m.is_sample(u64::MAX - 1));
        m.configure(u64::MAX / 1000);
        assert!(m.enabled());
        m.configure(5);
        assert!(!m.is_sample(4_999_999));
        assert!(m.is_sample(5_000_000));
        m.add("command", 7);
        m.add("command", 9);
        m.add("command", 6);
        {
            let events = m.events();
            let s = &events["command"];
            assert_eq!(s.latest().1, 9);
            assert_eq!(s.max, 9);
            assert_eq!(s.history().count(), 1);
        }
        m.add("fast-command", 5);
        assert_eq!(m.reset(Some(&["COMMAND".into(), "nosuch".into()])), 1);
        assert_eq!(m.reset(None), 1);
        assert!(m.events().is_empty());
    }
}
