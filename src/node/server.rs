//! State shared by every connection of one node: the keyspace, live settings, the
//! client registry (for CLIENT LIST / INFO clients) and server-wide counters.

use super::db::Db;
use super::settings::Settings;
use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// `ClientInfo::last_cmd` before the first command.
pub const NO_COMMAND: u32 = u32::MAX;

/// What CLIENT LIST / CLIENT INFO show about a connection, shared between the
/// connection's task and the registry.
#[derive(Debug)]
pub struct ClientInfo {
    /// Unique id (CLIENT ID).
    pub id: u64,
    /// Peer address.
    pub addr: String,
    /// Local address.
    pub laddr: String,
    /// Socket file descriptor (CLIENT LIST `fd=`).
    pub fd: i32,
    /// When it connected.
    pub connected: Instant,
    /// Mutable details.
    pub state: Mutex<ClientDetails>,
    /// When it last ran a batch of commands, in ms since `connected` (CLIENT LIST
    /// `idle=`). An atomic: every batch sets it, and a lock would cost more than that.
    pub last_active_ms: AtomicU64,
    /// Id of the last command run (`CommandId`, the subcommand for containers), for
    /// CLIENT LIST `cmd=`. An atomic so dispatch records it without taking a lock.
    pub last_cmd: AtomicU32,
    /// Cancelled by CLIENT KILL or node shutdown (a child of the shutdown token): the
    /// connection's task closes it.
    pub kill: CancellationToken,
    /// Set by CLIENT KILL ([`kill_now`](Self::kill_now)): the connection runs no
    /// further command, even of a batch it is in the middle of. An atomic because it
    /// is checked before every command, where the token would take a lock.
    pub killed: AtomicBool,
    /// Waiting for its next request (not blocked, not running or writing a batch):
    /// the only state the idle timeout closes a client in (see `node::idle`).
    pub awaiting_request: AtomicBool,
}

impl ClientInfo {
    /// CLIENT KILL from another connection: stop at once, as Redis frees the client
    /// inside the command. The connection runs no more commands, drops the replies it
    /// has not written, and gives up a write the client is not reading.
    pub fn kill_now(&self) {
        self.killed.store(true, Ordering::Relaxed);
        self.kill.cancel();
    }

    /// Whether [`kill_now`](Self::kill_now) was called.
    #[inline]
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    /// Record activity now.
    pub fn touch(&self) {
        let ms = self.connected.elapsed().as_millis() as u64;
        self.last_active_ms.store(ms, Ordering::Relaxed);
    }

    /// Whole seconds since the last activity (since connecting, if none).
    pub fn idle_secs(&self) -> u64 {
        self.idle_ms() / 1000
    }

    /// Milliseconds since it last ran a batch (or connected).
    pub fn idle_ms(&self) -> u64 {
        let since_connect = self.connected.elapsed().as_millis() as u64;
        since_connect.saturating_sub(self.last_active_ms.load(Ordering::Relaxed))
    }
}

/// Parts of [`ClientInfo`] that change during a connection's life.
#[derive(Debug, Default, Clone)]
pub struct ClientDetails {
    /// CLIENT SETNAME.
    pub name: Option<Bytes>,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: Option<Bytes>,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: Option<Bytes>,
    /// RESP version in use.
    pub resp: u8,
    /// Inside MULTI (until its EXEC has run): how many commands are queued (CLIENT
    /// LIST `flags=x`, `multi=`).
    pub multi: Option<usize>,
    /// Blocked on keys (CLIENT LIST flag `b`).
    pub blocked: bool,
}

/// Server-wide counters for INFO stats.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections refused (maxclients).
    pub rejected: AtomicU64,
    /// Commands executed.
    pub commands: AtomicU64,
    /// Bytes read from clients.
    pub net_input: AtomicU64,
    /// Bytes written to clients.
    pub net_output: AtomicU64,
    /// Connections moved to another event loop (see `node::affinity`).
    pub moves: AtomicU64,
    /// Calls, time, rejections and failures by command (INFO commandstats).
    pub by_command: super::command_stats::CommandStats,
    /// Latency histograms by command (INFO latencystats, LATENCY HISTOGRAM).
    pub latency: super::latency::LatencyHistograms,
    /// Error replies (INFO `total_error_replies`) and their counts by error code
    /// (INFO errorstats): see [`Stats::error_reply`].
    pub errors: Mutex<ErrorStats>,
}

/// Error replies by code: `ERR`, `WRONGTYPE`… (the reply's first word), ordered as
/// Redis lists them in INFO errorstats.
#[derive(Debug, Default)]
pub struct ErrorStats {
    /// Every error reply counted.
    pub total: u64,
    /// Counts by code; at most [`ErrorStats::MAX_CODES`] codes.
    pub by_code: BTreeMap<Box<[u8]>, u64>,
}

impl ErrorStats {
    /// At most 128 codes are tracked, further ones count in the total only: Redis 7.2's
    /// `ERROR_STATS_NUMBER`. Redis 7.0 keeps every code, so a script replying errors
    /// with made-up codes could grow the table without bound.
    pub const MAX_CODES: usize = 128;
}

impl Stats {
    /// Count an error reply the way Redis's `afterErrorReply` does: in the total, and
    /// under its code — the text before a space within the error's first 32 bytes
    /// (its `-` included), else `ERR`. Errors are rare next to replies, so one shared
    /// lock per error costs nothing on the hot path.
    pub fn error_reply(&self, reply: &[u8]) {
        let text = reply.strip_prefix(b"-").unwrap_or(reply);
        let text = &text[..memchr::memchr(b'\r', text).unwrap_or(text.len())];
        let code = match memchr::memchr(b' ', &text[..text.len().min(31)]) {
            Some(end) => &text[..end],
            None => b"ERR",
        };
        let mut e = self.errors.lock();
        e.total += 1;
        if let Some(n) = e.by_code.get_mut(code) {
            *n += 1;
        } else if e.by_code.len() < ErrorStats::MAX_CODES {
            e.by_code.insert(code.into(), 1);
        }
    }
}

/// One running node.
pub struct Server {
    /// The dataset.
    pub db: Db,
    /// Set while a Lua script holds the keyspace; other commands wait on it.
    pub scripts: super::script_gate::ScriptGate,
    /// Live settings: read with [`settings`](Self::settings), change with
    /// [`update_settings`](Self::update_settings).
    settings: RwLock<Settings>,
    /// Bumped by every settings change, so a connection re-reads the settings it
    /// caches (bulk limit, idle timeout) only when they changed, not once per batch.
    settings_version: AtomicU64,
    /// `settings.maxmemory`, mirrored so the check before every command is one load.
    maxmemory: AtomicU64,
    /// Connected clients by id.
    pub clients: Mutex<BTreeMap<u64, Arc<ClientInfo>>>,
    /// Counters.
    pub stats: Stats,
    /// Commands that ran long (SLOWLOG).
    pub slowlog: super::slowlog::SlowLog,
    /// Commands that ran longer than `latency-monitor-threshold` (LATENCY LATEST…).
    pub latency_monitor: super::latency::LatencyMonitor,
    /// Start time (uptime).
    pub started: Instant,
    /// Start time as Unix seconds (LASTSAVE, INFO `rdb_last_save_time`).
    pub started_unix: u64,
    /// Random 40-hex-char replication id (INFO `master_replid`).
    pub replid: String,
    /// Random 40-hex-char id, new each start (INFO `run_id`; the proxy notices restarts by it).
    pub run_id: String,
    /// The TCP port actually bound.
    pub port: u16,
    next_client_id: AtomicU64,
    /// Every CONFIG parameter by canonical name → value (CONFIG GET/SET); the ones
    /// with an effect here are mirrored into `settings` by CONFIG SET.
    pub config_params: Mutex<BTreeMap<String, String>>,
}

impl Server {
    /// A fresh server with an empty keyspace.
    pub fn new(settings: Settings, port: u16) -> Self {
        let hex40 = || -> String {
            (0..40)
                .map(|_| char::from_digit(rand::random::<u32>() % 16, 16).expect("hex digit"))
                .collect()
        };
        let run_id = hex40();
        super::command_stats::clock(); // calibrated now rather than in a client's command
        let config_params = super::cmd::config::initial_params(&settings, port);
        let slowlog = super::slowlog::SlowLog::default();
        slowlog.configure(settings.slowlog_log_slower_than, settings.slowlog_max_len);
        let stats = Stats::default();
        stats.latency.set_enabled(settings.latency_tracking);
        let latency_monitor = super::latency::LatencyMonitor::default();
        latency_monitor.configure(settings.latency_monitor_threshold_ms);
        let db = Db::new();
        db.lfu.set(settings.lfu_log_factor, settings.lfu_decay_time);
        Server {
            db,
            scripts: Default::default(),
            maxmemory: AtomicU64::new(settings.maxmemory),
            settings: RwLock::new(settings),
            settings_version: AtomicU64::new(0),
            clients: Mutex::new(BTreeMap::new()),
            stats,
            slowlog,
            latency_monitor,
            started: Instant::now(),
            started_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            replid: hex40(),
            run_id,
            port,
            next_client_id: AtomicU64::new(1),
            config_params: Mutex::new(config_params),
        }
    }

    /// The live settings (a read lock: copy what you need and let go).
    pub fn settings(&self) -> parking_lot::RwLockReadGuard<'_, Settings> {
        self.settings.read()
    }

    /// Change the settings (CONFIG SET, tests).
    pub fn update_settings<R>(&self, f: impl FnOnce(&mut Settings) -> R) -> R {
        let mut s = self.settings.write();
        let r = f(&mut s);
        self.maxmemory.store(s.maxmemory, Ordering::Relaxed);
        self.db.lfu.set(s.lfu_log_factor, s.lfu_decay_time);
        (self.slowlog).configure(s.slowlog_log_slower_than, s.slowlog_max_len);
        self.stats.latency.set_enabled(s.latency_tracking);
        (self.latency_monitor).configure(s.latency_monitor_threshold_ms);
        self.settings_version.fetch_add(1, Ordering::Release);
        r
    }

    /// Current settings version (see `settings_version`).
    #[inline]
    pub fn settings_version(&self) -> u64 {
        self.settings_version.load(Ordering::Acquire)
    }

    /// `maxmemory` in bytes (0 = no limit).
    #[inline]
    pub fn maxmemory(&self) -> u64 {
        self.maxmemory.load(Ordering::Relaxed)
    }

    /// Register a new connection; `None` when `maxclients` is reached. `kill` closes
    /// it (CLIENT KILL); make it a child of the node's shutdown token.
    pub fn register_client(
        &self,
        addr: String,
        laddr: String,
        fd: i32,
        kill: CancellationToken,
    ) -> Option<Arc<ClientInfo>> {
        let max = self.settings().maxclients as usize;
        let mut clients = self.clients.lock();
        if clients.len() >= max {
            self.stats.rejected.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let id = self.next_client_id.fetch_add(1, Ordering::Relaxed);
        let info = Arc::new(ClientInfo {
            id,
            addr,
            laddr,
            fd,
            connected: Instant::now(),
            state: Mutex::new(ClientDetails {
                resp: 2,
                ..Default::default()
            }),
            last_active_ms: AtomicU64::new(0),
            last_cmd: AtomicU32::new(NO_COMMAND),
            kill,
            killed: AtomicBool::new(false),
            awaiting_request: AtomicBool::new(false),
        });
        clients.insert(id, info.clone());
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
        Some(info)
    }

    /// Forget a closed connection.
    pub fn unregister_client(&self, id: u64) {
        self.clients.lock().remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn idle_counts_from_the_last_batch_else_from_connecting() {
        let info = ClientInfo {
            id: 1,
            addr: String::new(),
            laddr: String::new(),
            fd: 0,
            connected: Instant::now() - Duration::from_secs(5),
            state: Mutex::new(ClientDetails::default()),
            last_active_ms: AtomicU64::new(0),
            last_cmd: AtomicU32::new(NO_COMMAND),
            kill: CancellationToken::new(),
            killed: AtomicBool::new(false),
            awaiting_request: AtomicBool::new(false),
        };
        assert_eq!(info.idle_secs(), 5);
        info.touch();
        assert_eq!(info.idle_secs(), 0);
        info.last_active_ms.store(2_000, Ordering::Relaxed);
        assert_eq!(info.idle_secs(), 3);
    }
}
