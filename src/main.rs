//! The `ringcache` binary: parse the command line, load and validate config, set up
//! logging, run the chosen role until SIGINT/SIGTERM. Bad usage or config exits 64.

use anyhow::{anyhow, Context, Result};
use clap::Parser;
use ringcache::config::{self, parse_memory, ByteSize, NodeConfig, Validate};
use ringcache::node;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

mod cli;
use cli::{Cli, Command, NodeArgs};

/// Exit code for bad usage or configuration (BSD `EX_USAGE`).
const EXIT_USAGE: u8 = 64;

fn main() -> ExitCode {
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
        Command::Node(args) => match node_settings(&args) {
            Err(e) => {
                eprintln!("ringcache node: {e:#}");
                ExitCode::from(EXIT_USAGE)
            }
            Ok(settings) => report(run_node(settings)),
        },
    }
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

fn node_settings(args: &NodeArgs) -> Result<node::Settings> {
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
    Ok(node::Settings::from(&cfg))
}

fn run_node(settings: node::Settings) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "ringcache node ready");
        let server = std::sync::Arc::new(node::Server::new(settings, addr.port()));
        let shutdown = CancellationToken::new();
        tokio::spawn(signal_shutdown(shutdown.clone()));
        node::run(server, listener, shutdown).await;
        tracing::info!("ringcache node stopped");
        Ok(())
    })
}

/// Cancel `token` on SIGINT or SIGTERM.
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
