//! Prints, for each key on stdin (raw bytes, one per `\n`-terminated line), the label of the
//! server that owns it; lets scripts compare our placement with a real twemproxy's.
//!
//! ```text
//! cargo run --example place -- --hash fnv1a_64 --distribution ketama --hash-tag '{}' \
//!     '127.0.0.1:6380:1 server1' '127.0.0.1:6381:1 server2' < keys.txt
//! ```

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;
use ringcache::proxy::ring::{Distribution, KeyHash, Ring, ServerSpec};

/// Key placement as ringcache's proxy computes it.
#[derive(Parser)]
struct Args {
    /// Key hash (twemproxy names: fnv1a_64, murmur, md5, ...).
    #[arg(long, default_value = "fnv1a_64")]
    hash: String,
    /// ketama, modula, random, jump or maglev.
    #[arg(long, default_value = "ketama")]
    distribution: String,
    /// Two characters, e.g. '{}'; empty for none.
    #[arg(long, default_value = "")]
    hash_tag: String,
    /// Servers as twemproxy writes them: 'host:port:weight [name]'.
    #[arg(required = true)]
    servers: Vec<String>,
}

fn run(args: Args) -> Result<(), String> {
    let hash: KeyHash = args.hash.parse().map_err(|e| format!("{e}"))?;
    let dist: Distribution = args.distribution.parse().map_err(|e| format!("{e}"))?;
    let tag = match args.hash_tag.as_bytes() {
        [] => None,
        &[a, b] => Some([a, b]),
        _ => return Err("--hash-tag must be empty or exactly two bytes".into()),
    };
    let servers = args
        .servers
        .iter()
        .map(|s| ServerSpec::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let labels: Vec<String> = servers.iter().map(ServerSpec::label).collect();
    let ring = Ring::new(dist, hash, tag, &servers, &vec![true; servers.len()])
        .map_err(|e| e.to_string())?;

    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    for line in stdin.split(b'\n') {
        let key = line.map_err(|e| e.to_string())?;
        writeln!(out, "{}", labels[ring.server_for(&key)]).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("place: {e}");
            ExitCode::from(64)
        }
    }
}
