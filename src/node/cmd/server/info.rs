//! INFO [section …]: Redis 7.0's sections, field names and order, CRLF line ends.
//!
//! Clients gate on fields here (ioredis waits for `loading:0`, redis-py's tests need
//! `redis_version`, `arch_bits`, `cluster_enabled`; `redis-cli --stat` reads the
//! memory, clients and stats figures), so every 7.0 field is present. Figures the node
//! does not track (fork, AOF, replication backlog, allocator internals) carry the values
//! an idle, non-persisting redis-server shows.

use super::{dataset_counts, DatasetCounts};
use crate::node::cmd::connection::REDIS_VERSION;
use crate::node::dispatch::Ctx;
use crate::node::server::Server;
use bytes::Bytes;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

/// Sections in output order, and whether each belongs to `INFO` / `INFO default`.
/// Latencystats are not tracked: header only.
const SECTIONS: &[(&str, bool, &str)] = &[
    ("server", true, "Server"),
    ("clients", true, "Clients"),
    ("memory", true, "Memory"),
    ("persistence", true, "Persistence"),
    ("stats", true, "Stats"),
    ("replication", true, "Replication"),
    ("cpu", true, "CPU"),
    ("modules", true, "Modules"),
    ("commandstats", false, "Commandstats"),
    ("errorstats", true, "Errorstats"),
    ("latencystats", false, "Latencystats"),
    ("cluster", true, "Cluster"),
    ("keyspace", true, "Keyspace"),
];

/// INFO: which sections to show, then one text block (verbatim string in RESP3).
pub fn info(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    let mut want = [false; SECTIONS.len()];
    if args.len() == 1 {
        want.iter_mut()
            .zip(SECTIONS)
            .for_each(|(w, (_, d, _))| *w = *d);
    }
    for a in &args[1..] {
        let a = a.to_ascii_lowercase();
        match a.as_slice() {
            b"all" | b"everything" => want = [true; SECTIONS.len()],
            b"default" => want
                .iter_mut()
                .zip(SECTIONS)
                .for_each(|(w, (_, d, _))| *w |= *d),
            name => {
                if let Some(i) = SECTIONS.iter().position(|(s, _, _)| s.as_bytes() == name) {
                    want[i] = true;
                }
            }
        }
    }
    // This connection's own commands so far count (others' are at most a batch behind).
    ctx.session.tally.flush(ctx.server);
    let counts = dataset_counts(ctx);
    let mut text = String::with_capacity(4096);
    for (i, (name, _, title)) in SECTIONS.iter().enumerate() {
        if !want[i] {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        let _ = write!(text, "# {title}\r\n");
        section(&mut text, name, ctx.server, counts);
    }
    ctx.out.verbatim(text.as_bytes());
}

/// `1.50M`-style sizes, as Redis's `bytesToHuman`.
pub fn human(n: u64) -> String {
    let n = n as f64;
    const UNITS: [(f64, &str); 6] = [
        (1024f64 * 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "E"),
        (1024f64 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "P"),
        (1024f64 * 1024.0 * 1024.0 * 1024.0, "T"),
        (1024f64 * 1024.0 * 1024.0, "G"),
        (1024f64 * 1024.0, "M"),
        (1024f64, "K"),
    ];
    for (div, unit) in UNITS {
        if n >= div {
            return format!("{:.2}{}", n / div, unit);
        }
    }
    format!("{}B", n as u64)
}

/// Resident set size from /proc (0 where unavailable).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// (user, system) CPU seconds of this process, from /proc (clock ticks at 100 Hz).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

fn section(t: &mut String, name: &str, srv: &Server, counts: DatasetCounts) {
    let DatasetCounts {
        keys,
        expires,
        used,
        hits,
        misses,
    } = counts;
    let settings = srv.settings().clone();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let uptime = srv.started.elapsed().as_secs();
    let st = &srv.stats;
    let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    // Dataset bytes plus a fixed baseline like an empty redis-server's.
    let startup = crate::node::db::STARTUP_MEMORY;
    let used = used as u64 + startup;
    let rss = rss_bytes().max(used);
    let mut w = |k: &str, v: &dyn std::fmt::Display| {
        let _ = write!(t, "{k}:{v}\r\n");
    };
    match name {
        "server" => {
            w("redis_version", &REDIS_VERSION);
            w("redis_git_sha1", &"00000000");
            w("redis_git_dirty", &0);
            w("redis_build_id", &"0");
            w("redis_mode", &"standalone");
            w(
                "os",
                &format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            );
            w("arch_bits", &(usize::BITS));
            w("monotonic_clock", &"POSIX clock_gettime");
            w("multiplexing_api", &"epoll");
            w("atomicvar_api", &"c11-builtin");
            w("gcc_version", &"0.0.0");
            w("process_id", &std::process::id());
            w("process_supervised", &"no");
            w("run_id", &srv.run_id);
            w("tcp_port", &srv.port);
            w("server_time_usec", &now.as_micros());
            w("uptime_in_seconds", &uptime);
            w("uptime_in_days", &(uptime / 86400));
            w("hz", &10);
            w("configured_hz", &10);
            w("lru_clock", &(now.as_secs() & ((1 << 24) - 1)));
            let exe = std::env::current_exe().map(|p| p.display().to_string());
            w("executable", &exe.unwrap_or_default());
            w("config_file", &"");
            w("io_threads_active", &0);
            w("ringcache_version", &env!("CARGO_PKG_VERSION"));
        }
        "clients" => {
            w("connected_clients", &srv.clients.lock().len());
            w("cluster_connections", &0);
            w("maxclients", &settings.maxclients);
            w("client_recent_max_input_buffer", &0);
            w("client_recent_max_output_buffer", &0);
            w("blocked_clients", &srv.db.blocked.count());
            w("tracking_clients", &0);
            w("clients_in_timeout_table", &0);
        }
        "memory" => memory(t, used, startup, rss, &settings),
        "persistence" => {
            for k in [
                "loading",
                "async_loading",
                "current_cow_peak",
                "current_cow_size",
                "current_cow_size_age",
            ] {
                w(k, &0);
            }
            w("current_fork_perc", &"0.00");
            for k in [
                "current_save_keys_processed",
                "current_save_keys_total",
                "rdb_changes_since_last_save",
                "rdb_bgsave_in_progress",
            ] {
                w(k, &0);
            }
            w("rdb_last_save_time", &srv.started_unix);
            w("rdb_last_bgsave_status", &"ok");
            w("rdb_last_bgsave_time_sec", &-1);
            w("rdb_current_bgsave_time_sec", &-1);
            for k in [
                "rdb_saves",
                "rdb_last_cow_size",
                "rdb_last_load_keys_expired",
                "rdb_last_load_keys_loaded",
                "aof_enabled",
                "aof_rewrite_in_progress",
                "aof_rewrite_scheduled",
            ] {
                w(k, &0);
            }
            w("aof_last_rewrite_time_sec", &-1);
            w("aof_current_rewrite_time_sec", &-1);
            w("aof_last_bgrewrite_status", &"ok");
            w("aof_rewrites", &0);
            w("aof_rewrites_consecutive_failures", &0);
            w("aof_last_write_status", &"ok");
            for k in [
                "aof_last_cow_size",
                "module_fork_in_progress",
                "module_fork_last_cow_size",
            ] {
                w(k, &0);
            }
        }
        "stats" => {
            w("total_connections_received", &get(&st.connections));
            w("total_commands_processed", &get(&st.commands));
            w("instantaneous_ops_per_sec", &0);
            w("total_net_input_bytes", &get(&st.net_input));
            w("total_net_output_bytes", &get(&st.net_output));
            w("total_net_repl_input_bytes", &0);
            w("total_net_repl_output_bytes", &0);
            for k in [
                "instantaneous_input_kbps",
                "instantaneous_output_kbps",
                "instantaneous_input_repl_kbps",
                "instantaneous_output_repl_kbps",
            ] {
                w(k, &"0.00");
            }
            w("rejected_connections", &get(&st.rejected));
            for k in ["sync_full", "sync_partial_ok", "sync_partial_err"] {
                w(k, &0);
            }
            w("expired_keys", &get(&srv.db.expired_keys));
            w("expired_stale_perc", &"0.00");
            w("expired_time_cap_reached_count", &0);
            w("expire_cycle_cpu_milliseconds", &0);
            w("evicted_keys", &get(&srv.db.evicted_keys));
            for k in [
                "evicted_clients",
                "total_eviction_exceeded_time",
                "current_eviction_exceeded_time",
            ] {
                w(k, &0);
            }
            w("keyspace_hits", &hits);
            w("keyspace_misses", &misses);
            for k in [
                "pubsub_channels",
                "pubsub_patterns",
                "pubsubshard_channels",
                "latest_fork_usec",
                "total_forks",
                "migrate_cached_sockets",
                "slave_expires_tracked_keys",
                "active_defrag_hits",
                "active_defrag_misses",
                "active_defrag_key_hits",
                "active_defrag_key_misses",
                "total_active_defrag_time",
                "current_active_defrag_time",
                "tracking_total_keys",
                "tracking_total_items",
                "tracking_total_prefixes",
                "unexpected_error_replies",
            ] {
                w(k, &0);
            }
            w("total_error_replies", &st.errors.lock().total);
            w("dump_payload_sanitizations", &0);
            w("total_reads_processed", &get(&st.commands));
            w("total_writes_processed", &get(&st.commands));
            for k in [
                "io_threaded_reads_processed",
                "io_threaded_writes_processed",
                "reply_buffer_shrinks",
                "reply_buffer_expands",
            ] {
                w(k, &0);
            }
        }
        "replication" => {
            w("role", &"master");
            w("connected_slaves", &0);
            w("master_failover_state", &"no-failover");
            w("master_replid", &srv.replid);
            w(
                "master_replid2",
                &"0000000000000000000000000000000000000000",
            );
            w("master_repl_offset", &0);
            w("second_repl_offset", &-1);
            w("repl_backlog_active", &0);
            w("repl_backlog_size", &1048576);
            w("repl_backlog_first_byte_offset", &0);
            w("repl_backlog_histlen", &0);
        }
        "cpu" => {
            let (user, sys) = cpu_seconds();
            w("used_cpu_sys", &format!("{sys:.6}"));
            w("used_cpu_user", &format!("{user:.6}"));
            w("used_cpu_sys_children", &"0.000000");
            w("used_cpu_user_children", &"0.000000");
            w("used_cpu_sys_main_thread", &format!("{sys:.6}"));
            w("used_cpu_user_main_thread", &format!("{user:.6}"));
        }
        "cluster" => {
            w("cluster_enabled", &0);
        }
        "commandstats" => st.by_command.write_info(t),
        // Redis shows only the header while `latency-tracking` is off.
        "latencystats" if st.latency.enabled() => {
            st.latency.write_info(t, &settings.latency_percentiles)
        }
        "errorstats" => {
            for (code, n) in &st.errors.lock().by_code {
                let code = String::from_utf8_lossy(code);
                w(&format!("errorstat_{code}"), &format!("count={n}"));
            }
        }
        "keyspace" if keys > 0 => {
            w("db0", &format!("keys={keys},expires={expires},avg_ttl=0"));
        }
        _ => {}
    }
}

fn memory(t: &mut String, used: u64, startup: u64, rss: u64, s: &crate::node::Settings) {
    let mut w = |k: &str, v: &dyn std::fmt::Display| {
        let _ = write!(t, "{k}:{v}\r\n");
    };
    let sysmem = total_system_memory();
    let dataset = used - startup;
    w("used_memory", &used);
    w("used_memory_human", &human(used));
    w("used_memory_rss", &rss);
    w("used_memory_rss_human", &human(rss));
    w("used_memory_peak", &used);
    w("used_memory_peak_human", &human(used));
    w("used_memory_peak_perc", &"100.00%");
    w("used_memory_overhead", &startup);
    w("used_memory_startup", &startup);
    w("used_memory_dataset", &dataset);
    w(
        "used_memory_dataset_perc",
        &format!("{:.2}%", dataset as f64 * 100.0 / used.max(1) as f64),
    );
    w("allocator_allocated", &used);
    w("allocator_active", &used);
    w("allocator_resident", &rss);
    w("total_system_memory", &sysmem);
    w("total_system_memory_human", &human(sysmem));
    for (k, v) in [
        ("used_memory_lua", "32768"),
        ("used_memory_vm_eval", "32768"),
        ("used_memory_lua_human", "32.00K"),
        ("used_memory_scripts_eval", "0"),
        ("number_of_cached_scripts", "0"),
        ("number_of_functions", "0"),
        ("number_of_libraries", "0"),
        ("used_memory_vm_functions", "32768"),
        ("used_memory_vm_total", "65536"),
        ("used_memory_vm_total_human", "64.00K"),
        ("used_memory_functions", "0"),
        ("used_memory_scripts", "0"),
        ("used_memory_scripts_human", "0B"),
    ] {
        w(k, &v);
    }
    w("maxmemory", &s.maxmemory);
    w("maxmemory_human", &human(s.maxmemory));
    w("maxmemory_policy", &s.maxmemory_policy.as_str());
    let frag = rss as f64 / used.max(1) as f64;
    w("allocator_frag_ratio", &"1.00");
    w("allocator_frag_bytes", &0);
    w("allocator_rss_ratio", &format!("{frag:.2}"));
    w("allocator_rss_bytes", &(rss - used));
    w("rss_overhead_ratio", &"1.00");
    w("rss_overhead_bytes", &0);
    w("mem_fragmentation_ratio", &format!("{frag:.2}"));
    w("mem_fragmentation_bytes", &(rss - used));
    for k in [
        "mem_not_counted_for_evict",
        "mem_replication_backlog",
        "mem_total_replication_buffers",
        "mem_clients_slaves",
        "mem_clients_normal",
        "mem_cluster_links",
        "mem_aof_buffer",
    ] {
        w(k, &0);
    }
    w("mem_allocator", &"libc");
    for k in [
        "active_defrag_running",
        "lazyfree_pending_objects",
        "lazyfreed_objects",
    ] {
        w(k, &0);
    }
}
