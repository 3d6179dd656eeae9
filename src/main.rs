//! The `ringcache` binary: parse the command line, load and validate config, set up
//! logging, run the chosen role until SIGINT/SIGTERM. Bad usage or config exits 64.

use anyhow::{anyhow, Context, Result};
use clap::Parser;
use ringcache::config::{
    self, parse_memory, ByteSize, ClusterConfig, NodeConfig, ProxyConfig, Validate,
};
use ringcache::{node, proxy};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

mod cli;
use cli::{Cli, ClusterArgs, Command, NodeArgs, ProxyArgs};

/// mimalloc instead of glibc malloc: every request allocates a few small objects (the
/// argument vector, keys and values copied into the keyspace, reply buffers), and
/// glibc's malloc/free were ~14 % of the node's CPU under redis-benchmark. Redis itself
/// ships with jemalloc for the same reason.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_e`, mimalloc.h v2;
/// `libmimalloc-sys` does not name it). `purge_delay_option_is_the_one_we_mean` checks
/// it against the option's documented default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with mimalloc before it goes back to the OS: not at all.
///
/// mimalloc carries out a delayed purge only when the thread that freed the memory
/// later allocates or frees in the same segment, so a node that went quiet after its
/// tables grew kept their old buffers resident for good. With a 1 s delay, SET of 1M
/// new keys left 250 MB of RSS for 178 MB of `used_memory` (redis-server: 157 MB used,
/// 177 MB RSS), INCR of 1M new counters 124 MB for 104 MB, and a list filled and
/// drained 64 MB; purging at once gives 179, 120 and 13-17 MB. The price is more page
/// faults while tables grow (0.091 against 0.062 per new key), which did not show in
/// CPU time per request (`perf stat`). mimalloc's own default, 10 ms, left 193-208 MB
/// after the SETs. `MIMALLOC_PURGE_DELAY` overrides this.
const ALLOCATOR_PURGE_DELAY_MS: std::ffi::c_long = 0;

fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's process-wide options, which it reads atomically.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ALLOCATOR_PURGE_DELAY_MS) };
    }
}

/// Exit code for bad usage or configuration (BSD `EX_USAGE`).
const EXIT_USAGE: u8 = 64;

/// Turn transparent huge pages off for this process, as redis-server does (its
/// `disable-thp yes`, which CONFIG GET reports here too).
///
/// mimalloc reserves its arena with `madvise(MADV_HUGEPAGE)`, and with the common
/// kernel setting `defrag = madvise` a page fault there may compact memory
/// synchronously to find a free 2 MB page: LPUSH -P 16 stalled ~5 ms once or twice per
/// 200k requests (p99 5.2 ms against redis-server's 1.0 ms), and a huge page commits 2 MB
/// where a few KB were touched. With THP off the same runs' p99 is 0.7–0.9 ms.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only sets a flag on the calling process.
    if unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) } != 0 {
        // Not fatal: only latency and memory use suffer. Logging is not set up yet.
        eprintln!(
            "warning: could not disable transparent huge pages: {}",
            std::io::Error::last_os_error()
        );
    }
}

fn main() -> ExitCode {
    disable_transparent_huge_pages();
    tune_allocator();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::CheckConf { file } => match config::check_conf(&file) {
            Ok(kind) => {
                println!("{}: ok ({} config)", file.display(), kind);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(EXIT_USAGE)
            }
        },
        Command::Proxy(args) => match proxy_config(&args) {
            Err(e) => usage_error("proxy", e),
            Ok(cfg) => report(run_proxy(cfg)),
        },
        Command::Cluster(args) => match cluster_config(&args) {
            Err(e) => usage_error("cluster", e),
            Ok(cfg) => report(run_cluster(cfg)),
        },
        Command::Node(args) => match node_settings(&args) {
            Err(e) => usage_error("node", e),
            Ok((settings, cfg)) => report(run_node(settings, cfg)),
        },
    }
}

fn usage_error(role: &str, e: anyhow::Error) -> ExitCode {
    eprintln!("ringcache {role}: {e:#}");
    ExitCode::from(EXIT_USAGE)
}

fn report(r: Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringcache: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The node's settings from its conf file and flags, and the conf itself (for what
/// is not a server setting: loops, polling, the metrics endpoint).
fn node_settings(args: &NodeArgs) -> Result<(node::Settings, NodeConfig)> {
    let mut cfg: NodeConfig = match &args.config {
        Some(path) => config::load(path).map_err(|e| anyhow!("{e}"))?,
        None => NodeConfig::default(),
    };
    if let Some(l) = &args.listen {
        cfg.listen = l.clone();
    }
    if let Some(m) = &args.maxmemory {
        cfg.maxmemory =
            ByteSize(parse_memory(m).ok_or_else(|| anyhow!("--maxmemory: cannot parse '{m}'"))?);
    }
    if let Some(p) = &args.maxmemory_policy {
        cfg.maxmemory_policy = p.parse().map_err(|e| anyhow!("--maxmemory-policy: {e}"))?;
    }
    if let Some(p) = &args.requirepass {
        cfg.requirepass = Some(p.clone());
    }
    cfg.validate().map_err(|e| anyhow!("{e}"))?;
    Ok((node::Settings::from(&cfg), cfg))
}

fn proxy_config(args: &ProxyArgs) -> Result<ProxyConfig> {
    let mut cfg: ProxyConfig = match (&args.config, &args.nutcracker) {
        (Some(path), _) => config::load(path).map_err(|e| anyhow!("{e}"))?,
        (None, Some(path)) => {
            let (cfg, warnings) = config::load_nutcracker(path).map_err(|e| anyhow!("{e}"))?;
            for w in warnings {
                tracing::warn!("{}: {w}", path.display());
            }
            cfg
        }
        (None, None) => {
            return Err(anyhow!(
                "give a config file (-c conf/proxy.toml) or --nutcracker FILE"
            ))
        }
    };
    if let Some(l) = &args.listen {
        cfg.listen = l.clone();
    }
    cfg.validate().map_err(|e| anyhow!("{e}"))?;
    Ok(cfg)
}

fn cluster_config(args: &ClusterArgs) -> Result<ClusterConfig> {
    let mut cfg: ClusterConfig = match &args.config {
        Some(path) => config::load(path).map_err(|e| anyhow!("{e}"))?,
        None => ClusterConfig::default(),
    };
    if let Some(l) = &args.listen {
        cfg.listen = l.clone();
    }
    if let Some(n) = args.nodes {
        cfg.nodes = n;
    }
    if let Some(p) = args.node_base_port {
        cfg.node_base_port = p;
    }
    if let Some(m) = &args.node_maxmemory {
        cfg.node_maxmemory = ByteSize(
            parse_memory(m).ok_or_else(|| anyhow!("--node-maxmemory: cannot parse '{m}'"))?,
        );
    }
    cfg.validate().map_err(|e| anyhow!("{e}"))?;
    Ok(cfg)
}

/// The async runtime: `threads = 1` is a single event loop (no cross-thread wake-ups),
/// `0` one worker per core, `n` that many workers.
fn runtime(threads: usize) -> Result<tokio::runtime::Runtime> {
    let rt = match threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        0 => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()?,
    };
    Ok(rt)
}

fn run_proxy(cfg: ProxyConfig) -> Result<()> {
    runtime(cfg.threads)?.block_on(async move {
        start_metrics(cfg.metrics_listen.as_ref())?;
        let handle = proxy::spawn(&cfg)
            .await
            .with_context(|| format!("cannot listen on {}", cfg.listen))?;
        tracing::info!(addr = %handle.addr, backends = cfg.servers.len(), "ringcache proxy ready");
        signal_shutdown(handle.shutdown.clone()).await;
        handle.stop().await;
        tracing::info!("ringcache proxy stopped");
        Ok(())
    })
}

fn run_cluster(cfg: ClusterConfig) -> Result<()> {
    // Nodes and the proxy share one process: one worker per core.
    runtime(0)?.block_on(async move {
        start_metrics(cfg.metrics_listen.as_ref())?;
        let mut nodes = Vec::new();
        for nc in cfg.node_configs() {
            let n = node::spawn(node::Settings::from(&nc))
                .await
                .with_context(|| format!("cannot start a node on {}", nc.listen))?;
            nodes.push(n);
        }
        if cfg.metrics_listen.is_some() {
            spawn_node_gauges(nodes.iter().map(|n| n.server.clone()).collect());
        }
        let pcfg = cfg.proxy_config();
        let p = proxy::spawn(&pcfg)
            .await
            .with_context(|| format!("cannot listen on {}", pcfg.listen))?;
        println!(
            "ringcache cluster: proxy on {} in front of {} nodes:",
            p.addr,
            nodes.len()
        );
        for n in &nodes {
            println!("  node {}", n.addr);
        }
        println!(
            "connect with: redis-cli -h {} -p {}",
            p.addr.ip(),
            p.addr.port()
        );
        println!("stop with Ctrl-C");
        signal_shutdown(p.shutdown.clone()).await;
        p.stop().await;
        for n in nodes {
            n.stop().await;
        }
        println!("ringcache cluster stopped");
        Ok(())
    })
}

/// Serve Prometheus metrics if asked to (call inside the runtime).
fn start_metrics(addr: Option<&String>) -> Result<()> {
    if let Some(a) = addr {
        let sock: std::net::SocketAddr =
            a.parse().with_context(|| format!("metrics_listen {a}"))?;
        ringcache::metrics::install(sock).map_err(|e| anyhow!(e))?;
        tracing::info!(addr = %sock, "metrics on /metrics");
    }
    Ok(())
}

/// Refresh the nodes' dataset gauges once a second (INFO's numbers, for Prometheus).
fn spawn_node_gauges(servers: Vec<std::sync::Arc<node::Server>>) {
    use ringcache::metrics::{EVICTED, EXPIRED, KEYS, USED_MEMORY};
    use std::sync::atomic::Ordering::Relaxed;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            let (mut mem, mut keys, mut expired, mut evicted) = (0, 0, 0, 0);
            // A running script holds every shard: skip this tick rather than block
            // this thread (it also accepts connections) on a shard lock.
            if servers.iter().any(|s| s.scripts.is_running()) {
                continue;
            }
            for s in &servers {
                mem += s.db.used_memory();
                keys += s.db.counts().0;
                expired += s.db.expired_keys.load(Relaxed);
                evicted += s.db.evicted_keys.load(Relaxed);
            }
            metrics::gauge!(USED_MEMORY).set(mem as f64);
            metrics::gauge!(KEYS).set(keys as f64);
            metrics::counter!(EXPIRED).absolute(expired);
            metrics::counter!(EVICTED).absolute(evicted);
        }
    });
}

fn run_node(settings: node::Settings, cfg: NodeConfig) -> Result<()> {
    let busy_poll = cfg.busy_poll();
    let metrics_listen = cfg.metrics_listen;
    // One loop: everything on this thread. More: this thread accepts and runs the
    // background tasks (expiry, metrics), connections go to per-core event loops.
    let loops = match ringcache::net::loop_count(cfg.threads) {
        1 => None,
        n => Some(ringcache::net::EventLoops::start(n, busy_poll)?),
    };
    runtime(1)?.block_on(async move {
        if let (None, Some(window)) = (&loops, busy_poll) {
            tokio::spawn(ringcache::net::busy_poll::spin(window));
        }
        start_metrics(metrics_listen.as_ref())?;
        let listener = tokio::net::TcpListener::bind(&settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "ringcache node ready");
        let server = std::sync::Arc::new(node::Server::new(settings, addr.port()));
        if metrics_listen.is_some() {
            spawn_node_gauges(vec![server.clone()]);
        }
        let shutdown = CancellationToken::new();
        tokio::spawn(signal_shutdown(shutdown.clone()));
        node::run_on(server, listener, shutdown, loops.as_ref()).await;
        tracing::info!("ringcache node stopped");
        Ok(())
    })
}

/// Cancel `token` on SIGINT or SIGTERM (returns once it happened).
async fn signal_shutdown(token: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
    token.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mimalloc documents purge_delay's default as 10 (ms); its neighbours in the enum
    /// default to 1 (eager_commit_delay) and 0 (use_numa_nodes). Nothing in this test
    /// binary has called `tune_allocator`.
    #[test]
    fn purge_delay_option_is_the_one_we_mean() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads a mimalloc option.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 10);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn transparent_huge_pages_end_up_disabled() {
        disable_transparent_huge_pages();
        // SAFETY: prctl with integer arguments only reads a flag of this process.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(disabled, 1);
    }
}
