//! Per-command statistics: INFO commandstats' `cmdstat_<name>` lines (calls, time,
//! rejected and failed calls), the Prometheus per-command counter, and what goes to
//! the latency histograms ([`LatencyHistograms`]).
//!
//! Each connection counts into its own [`CommandTally`] and adds a whole run of one
//! command to the node-wide [`CommandStats`] at once, so a pipeline of GETs touches the
//! shared counters once per run, not once per GET (with every core serving clients, a
//! shared counter bumped per command is a cache line the cores keep taking from each
//! other). A run also gathers its calls that took under [`FAST_MICROS`] µs, nearly all
//! of them, and adds them to the latency histogram once.

use super::latency::LatencyHistograms;
use super::server::Server;
use crate::command::{self, CommandId};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;

/// Node-wide counters by command id (subcommands have their own ids, as Redis counts
/// `client|id` apart from `client|list`).
#[derive(Debug)]
pub struct CommandStats {
    by_id: Box<[Counters]>,
}

/// One command's counters.
#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    nanos: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
}

impl Default for CommandStats {
    fn default() -> Self {
        let by_id = command::table::all()
            .iter()
            .map(|_| Counters::default())
            .collect();
        CommandStats { by_id }
    }
}

impl CommandStats {
    /// Count a command refused before it ran (wrong arity, NOAUTH, OOM…): Redis's
    /// `rejected_calls`.
    pub fn rejected(&self, id: CommandId) {
        self.by_id[id as usize].rejected.fetch_add(1, Relaxed);
    }

    /// Count a failure of a call counted before: a blocked command that fails once
    /// woken.
    pub fn failed(&self, id: CommandId) {
        self.by_id[id as usize].failed.fetch_add(1, Relaxed);
    }

    /// Add a run of calls of one command.
    fn add(&self, run: &Run) {
        let c = &self.by_id[run.id as usize];
        c.calls.fetch_add(run.calls, Relaxed);
        c.nanos
            .fetch_add(clock().delta_as_nanos(0, run.ticks), Relaxed);
        if run.failed != 0 {
            c.failed.fetch_add(run.failed, Relaxed);
        }
    }

    /// Zero every counter (CONFIG RESETSTAT).
    pub fn reset(&self) {
        for c in self.by_id.iter() {
            for n in [&c.calls, &c.nanos, &c.rejected, &c.failed] {
                n.store(0, Relaxed);
            }
        }
    }

    /// INFO commandstats' lines, in Redis's format, for every command called or
    /// refused so far (Redis lists them in its hash table's order; here by name).
    pub fn write_info(&self, text: &mut String) {
        for (id, c) in self.by_id.iter().enumerate() {
            let [calls, nanos, rejected, failed] =
                [&c.calls, &c.nanos, &c.rejected, &c.failed].map(|n| n.load(Relaxed));
            if calls == 0 && rejected == 0 && failed == 0 {
                continue;
            }
            // Per call from the whole microseconds shown, as Redis computes it.
            let usec = nanos / 1000;
            let per_call = if calls == 0 {
                0.0
            } else {
                usec as f64 / calls as f64
            };
            let _ = write!(
                text,
                "cmdstat_{}:calls={calls},usec={usec},usec_per_call={per_call:.2},\
                 rejected_calls={rejected},failed_calls={failed}\r\n",
                command::spec(id as CommandId).name,
            );
        }
    }
}

/// Consecutive calls of one command, not yet added to the node-wide counters.
#[derive(Debug)]
struct Run {
    /// The command or subcommand (`client|id`), as commandstats counts it.
    id: CommandId,
    /// The command as named (`client`): the Prometheus counter's label, as the
    /// proxy's.
    top_id: CommandId,
    calls: u64,
    /// Their time in clock ticks: converted to nanoseconds once per run.
    ticks: u64,
    failed: u64,
    /// Calls that took 0, 1, 2 or 3 whole µs, not yet in the latency histogram.
    fast: [u32; FAST_MICROS],
}

/// A run keeps count of its calls under this many µs for the latency histogram
/// (others are recorded as they end).
pub const FAST_MICROS: usize = 4;

impl Run {
    /// A call's time for the latency histogram, unless `latency-tracking` is off.
    #[inline]
    fn time(&mut self, latency: &LatencyHistograms, nanos: u64) {
        if !latency.enabled() {
            return;
        }
        match self.fast.get_mut((nanos / 1000) as usize) {
            Some(n) => *n += 1,
            None => latency.record(self.id, nanos, 1),
        }
    }
}

/// Commands a connection ran, added to the node-wide counters (INFO
/// `total_commands_processed` and commandstats, the Prometheus per-command counter)
/// at the end of each batch, or when a different command starts a new run.
#[derive(Debug, Default)]
pub struct CommandTally {
    /// Commands since the last flush.
    unflushed: u64,
    /// The current run of one command.
    run: Option<Run>,
}

impl CommandTally {
    /// Count one call of `id` (a subcommand's, for a container `top_id`) that took
    /// `ticks` (see [`Stopwatch`]) and failed (replied an error) or not. Its time in
    /// nanoseconds goes to the latency histogram unless `None` (a call that blocked).
    #[inline(always)]
    pub fn count(
        &mut self,
        server: &Server,
        (id, top_id): (CommandId, CommandId),
        (ticks, latency): (u64, Option<u64>),
        failed: bool,
    ) {
        self.unflushed += 1;
        let histograms = &server.stats.latency;
        match &mut self.run {
            Some(run) if run.id == id => {
                run.calls += 1;
                run.ticks += ticks;
                run.failed += failed as u64;
                if let Some(nanos) = latency {
                    run.time(histograms, nanos);
                }
            }
            current => {
                let mut started = Run {
                    id,
                    top_id,
                    calls: 1,
                    ticks,
                    failed: failed as u64,
                    fast: [0; FAST_MICROS],
                };
                if let Some(nanos) = latency {
                    started.time(histograms, nanos);
                }
                if let Some(ended) = current.replace(started) {
                    Self::add(server, &ended);
                }
            }
        }
    }

    /// Forget what was counted since the last flush (CONFIG RESETSTAT). The Prometheus
    /// counter is never reset: it gets the run.
    pub fn discard(&mut self) {
        self.unflushed = 0;
        if let Some(run) = self.run.take() {
            crate::metrics::commands_n(crate::metrics::Role::Node, run.top_id, run.calls);
        }
    }

    /// Add everything counted so far to the node-wide counters.
    pub fn flush(&mut self, server: &Server) {
        if self.unflushed != 0 {
            server.stats.commands.fetch_add(self.unflushed, Relaxed);
            self.unflushed = 0;
        }
        if let Some(run) = self.run.take() {
            Self::add(server, &run);
        }
    }

    fn add(server: &Server, run: &Run) {
        server.stats.by_command.add(run);
        for (micros, &n) in run.fast.iter().enumerate() {
            if n != 0 {
                (server.stats.latency).record(run.id, micros as u64 * 1000, n as u64);
            }
        }
        crate::metrics::commands_n(crate::metrics::Role::Node, run.top_id, run.calls);
    }
}

/// Times one command. It reads the CPU's time-stamp counter (through `quanta`, which
/// falls back to the monotonic clock where that counter is not reliable): two reads
/// per command cost ~25 ns on this project's VMs, where two `Instant::now()` cost ~70.
/// Ticks become nanoseconds once per run of calls ([`CommandStats`]), not per call.
pub struct Stopwatch(u64);

impl Stopwatch {
    /// Start timing.
    #[inline]
    pub fn start() -> Self {
        Stopwatch(clock().raw())
    }

    /// Clock ticks since [`start`](Self::start) (0 if the counter read went backwards,
    /// as it may across CPUs whose counters disagree).
    #[inline]
    pub fn elapsed_ticks(&self) -> u64 {
        clock().raw().saturating_sub(self.0)
    }
}

/// Clock ticks (a [`Stopwatch`]'s) in nanoseconds.
#[inline]
pub fn nanos(ticks: u64) -> u64 {
    clock().delta_as_nanos(0, ticks)
}

/// The calibrated clock (calibration takes a few milliseconds, once per process: see
/// [`Server::new`], which calls this so that no client's command pays for it).
pub fn clock() -> &'static quanta::Clock {
    static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// About `nanos` in clock ticks (conversions round down, so a little over).
    fn ticks(nanos: u64) -> u64 {
        let nanos_per_tick = clock().delta_as_nanos(0, 1 << 40) as f64 / (1u64 << 40) as f64;
        (nanos as f64 / nanos_per_tick).ceil() as u64 + 1
    }

    #[test]
    fn info_lines_follow_redis_format_and_skip_unused_commands() {
        let stats = CommandStats::default();
        let get = command::lookup(b"get").unwrap();
        let id = command::lookup(b"client|id").unwrap();
        stats.add(&Run {
            id: get,
            top_id: get,
            calls: 3,
            ticks: ticks(10_000),
            failed: 0,
            fast: [0; FAST_MICROS],
        });
        stats.add(&Run {
            id: get,
            top_id: get,
            calls: 1,
            ticks: ticks(2_400),
            failed: 1,
            fast: [0; FAST_MICROS],
        });
        stats.rejected(get);
        stats.rejected(id);
        let mut text = String::new();
        stats.write_info(&mut text);
        assert_eq!(
            text,
            "cmdstat_client|id:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n\
             cmdstat_get:calls=4,usec=12,usec_per_call=3.00,rejected_calls=1,failed_calls=1\r\n"
        );
        stats.reset();
        text.clear();
        stats.write_info(&mut text);
        assert_eq!(text, "");
    }

    #[test]
    fn the_stopwatch_measures_time_that_passed() {
        let watch = Stopwatch::start();
        let since = std::time::Instant::now();
        while since.elapsed() < std::time::Duration::from_millis(2) {
            std::hint::spin_loop();
        }
        let nanos = clock().delta_as_nanos(0, watch.elapsed_ticks());
        assert!((1_500_000..1_000_000_000).contains(&nanos), "{nanos} ns");
    }
}
