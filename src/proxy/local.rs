//! Commands the proxy answers itself: connection handling (PING, HELLO, AUTH,
//! SELECT, CLIENT…), introspection (COMMAND, CONFIG GET, INFO, TIME), and RANDOMKEY.

use super::router::{self, Route};
use super::session::Session;
use crate::command::args::eq_ignore_case;
use crate::command::hello::{
    check_password, check_select, parse_hello, validate_client_name, write_hello_reply,
    HELLO_NOAUTH, REDIS_VERSION,
};
use crate::command::{self, introspect, table};
use crate::protocol::{errors, frame, Reply};
use bytes::Bytes;
use std::time::{SystemTime, UNIX_EPOCH};

/// Answer a local command.
pub async fn handle(s: &mut Session, name: &str, args: &[Bytes], out: &mut Reply) {
    match name {
        "ping" => match args.len() {
            1 => out.simple("PONG"),
            2 => out.bulk(&args[1]),
            _ => out.error(errors::arity("ping")),
        },
        "echo" => out.bulk(&args[1]),
        "quit" => {
            out.ok();
            s.close = true;
        }
        "hello" => hello(s, args, out),
        "auth" => {
            let r = match args.len() {
                2 => check_password(s.proxy.requirepass.as_deref(), None, &args[1]),
                _ => check_password(s.proxy.requirepass.as_deref(), Some(&args[1]), &args[2]),
            };
            match r {
                Ok(()) => {
                    s.authed = true;
                    out.ok();
                }
                Err(e) => out.error(e),
            }
        }
        "select" => match check_select(&args[1]) {
            Ok(()) => out.ok(),
            Err(e) => out.error(e),
        },
        "client" => client(s, args, out),
        "command" => command_cmd(args, out),
        "config" => config(s, args, out),
        "time" => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            out.array(2);
            out.bulk(now.as_secs().to_string().as_bytes());
            out.bulk(now.subsec_micros().to_string().as_bytes());
        }
        "lastsave" => out.int(s.proxy.started_unix as i64),
        // Clients see the proxy as a master with no replicas (Sentinel-aware ones ask).
        "role" => {
            out.array(3);
            out.bulk(b"master");
            out.int(0);
            out.array(0);
        }
        "reset" => {
            s.tx.release().await;
            s.name = None;
            s.authed = s.proxy.requirepass.is_none();
            out.resp3 = false;
            out.simple("RESET");
        }
        "info" => info(s, args, out).await,
        "randomkey" => randomkey(s, out).await,
        _ => out.error(errors::unknown_command(args)),
    }
}

fn hello(s: &mut Session, args: &[Bytes], out: &mut Reply) {
    let required = s.proxy.requirepass.clone();
    let authed = &mut s.authed;
    let (h, parsed) = parse_hello(args, |user, pass| {
        check_password(required.as_deref(), Some(user), pass)?;
        *authed = true;
        Ok(())
    });
    // A name reached holds whatever follows, as in Redis (see `parse_hello`).
    if let Some(n) = h.setname {
        s.name = (!n.is_empty()).then_some(n);
    }
    if let Err(e) = parsed {
        return out.error(e);
    }
    if !s.authed {
        return out.error(HELLO_NOAUTH);
    }
    if let Some(v) = h.version {
        out.resp3 = v == 3;
    }
    write_hello_reply(out, s.id);
}

fn client(s: &mut Session, args: &[Bytes], out: &mut Reply) {
    let sub = &args[1];
    // A known subcommand with the wrong number of arguments: Redis's arity error.
    if let Some(id) = command::lookup_sub("client", sub) {
        let spec = command::spec(id);
        if !spec.arity_ok(args.len()) {
            return out.error(errors::arity(spec.name));
        }
    }
    if eq_ignore_case(sub, "id") {
        out.int(s.id as i64);
    } else if eq_ignore_case(sub, "setname") && args.len() == 3 {
        if let Err(e) = validate_client_name(&args[2]) {
            return out.error(e);
        }
        s.name = (!args[2].is_empty()).then(|| args[2].clone());
        out.ok();
    } else if eq_ignore_case(sub, "getname") {
        match &s.name {
            Some(n) => out.bulk(n),
            None => out.null(),
        }
    } else if eq_ignore_case(sub, "setinfo") && args.len() == 4 {
        // The node's checks (the values are not kept here).
        match crate::command::hello::check_setinfo(&args[2], &args[3]) {
            Ok(_) => out.ok(),
            Err(e) => out.error(e),
        }
    } else if eq_ignore_case(sub, "info") || eq_ignore_case(sub, "list") {
        let line = format!(
            "id={} addr=? laddr=? fd=0 name={} age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|{} user=default redir=-1 resp={}\n",
            s.id,
            s.name.as_ref().map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default(),
            String::from_utf8_lossy(sub).to_ascii_lowercase(),
            if out.resp3 { 3 } else { 2 },
        );
        out.verbatim(line.as_bytes());
    } else if eq_ignore_case(sub, "help") {
        introspect::help_reply(out, introspect::CLIENT_HELP);
    } else {
        not_here("client", sub, out);
    }
}

/// A subcommand the proxy does not answer: "not supported" when Redis has it (so the
/// client knows it is ringcache's limit, not a typo), else Redis's unknown-subcommand
/// error.
fn not_here(container: &str, sub: &[u8], out: &mut Reply) {
    if command::lookup_sub(container, sub).is_some() {
        out.error(format!(
            "ERR ringcache: {} {} is not supported through the proxy",
            container.to_uppercase(),
            String::from_utf8_lossy(sub).to_uppercase()
        ));
    } else {
        out.error(errors::unknown_subcommand(sub, container));
    }
}

/// Commands usable through the proxy, for COMMAND's replies.
fn routable() -> impl Iterator<Item = &'static table::CommandSpec> {
    table::all()
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            !c.name.contains('|') && router::route(*i as command::CommandId) != Route::Unsupported
        })
        .map(|(_, c)| *c)
}

fn command_cmd(args: &[Bytes], out: &mut Reply) {
    if let Some(id) = args
        .get(1)
        .and_then(|sub| command::lookup_sub("command", sub))
    {
        let spec = command::spec(id);
        if !spec.arity_ok(args.len()) {
            return out.error(errors::arity(spec.name));
        }
    }
    let resp3 = out.resp3;
    let info = |c: &table::CommandSpec| if resp3 { c.info_resp3 } else { c.info_resp2 };
    match args.get(1) {
        None => {
            let all: Vec<_> = routable().collect();
            out.array(all.len());
            for c in all {
                out.raw(info(c));
            }
        }
        Some(sub) if eq_ignore_case(sub, "count") => out.int(routable().count() as i64),
        Some(sub) if eq_ignore_case(sub, "list") => {
            let all: Vec<_> = routable().collect();
            out.array(all.len());
            for c in all {
                out.bulk(c.name.as_bytes());
            }
        }
        Some(sub) if eq_ignore_case(sub, "info") => {
            out.array(args.len() - 2);
            for name in &args[2..] {
                match command::lookup(name)
                    .map(command::spec)
                    .filter(|c| !c.info_resp2.is_empty())
                {
                    Some(c) => out.raw(info(c)),
                    // Redis's addReplyNull: `$-1` in RESP2, `_` in RESP3.
                    None => out.null(),
                }
            }
        }
        Some(sub) if eq_ignore_case(sub, "docs") => {
            let wanted: Vec<&table::CommandSpec> = if args.len() == 2 {
                routable().collect()
            } else {
                args[2..]
                    .iter()
                    .filter_map(|n| command::lookup(n).map(command::spec))
                    .filter(|c| !c.docs_resp2.is_empty())
                    .collect()
            };
            out.map(wanted.len());
            for c in wanted {
                out.bulk(c.name.as_bytes());
                out.raw(if resp3 { c.docs_resp3 } else { c.docs_resp2 });
            }
        }
        Some(sub) if eq_ignore_case(sub, "getkeys") => introspect::getkeys(out, &args[2..]),
        Some(sub) if eq_ignore_case(sub, "help") => {
            introspect::help_reply(out, introspect::COMMAND_HELP)
        }
        Some(sub) => not_here("command", sub, out),
    }
}

fn config(s: &Session, args: &[Bytes], out: &mut Reply) {
    if !eq_ignore_case(&args[1], "get") {
        if eq_ignore_case(&args[1], "set")
            || eq_ignore_case(&args[1], "resetstat")
            || eq_ignore_case(&args[1], "rewrite")
        {
            return out.error("ERR ringcache: CONFIG changes are not supported through the proxy; configure each backend directly");
        }
        return out.error(errors::unknown_subcommand(&args[1], "config"));
    }
    if args.len() < 3 {
        return out.error(errors::arity("config|get"));
    }
    let maxclients = s.proxy.maxclients.to_string();
    let known: [(&str, &str); 5] = [
        ("save", ""),
        ("appendonly", "no"),
        ("databases", "1"),
        ("maxclients", &maxclients),
        ("cluster-enabled", "no"),
    ];
    let hits: Vec<_> = known
        .iter()
        .filter(|(k, _)| {
            args[2..]
                .iter()
                .any(|p| crate::command::glob::glob_match(p, k.as_bytes(), true))
        })
        .collect();
    out.map(hits.len());
    for (k, v) in hits {
        out.bulk(k.as_bytes());
        out.bulk(v.as_bytes());
    }
}

async fn info(s: &mut Session, args: &[Bytes], out: &mut Reply) {
    let mut keys = 0i64;
    let mut expires = 0i64;
    let mut up = 0;
    let backends = &s.proxy.backends;
    let waits: Vec<_> = backends
        .list
        .iter()
        .map(|b| {
            b.conn(false).send(Bytes::from_static(
                b"*2\r\n$4\r\nINFO\r\n$8\r\nkeyspace\r\n",
            ))
        })
        .collect();
    let mut states = Vec::new();
    for (b, rx) in backends.list.iter().zip(waits) {
        let state = match rx.await {
            Ok(Ok(r)) if !frame::is_error(&r) => {
                up += 1;
                let text = String::from_utf8_lossy(&r).into_owned();
                if let Some(line) = text.lines().find(|l| l.starts_with("db0:")) {
                    for kv in line[4..].split(',') {
                        match kv.split_once('=') {
                            Some(("keys", v)) => keys += v.parse::<i64>().unwrap_or(0),
                            Some(("expires", v)) => expires += v.parse::<i64>().unwrap_or(0),
                            _ => {}
                        }
                    }
                }
                if b.is_ejected() {
                    "ejected"
                } else {
                    "up"
                }
            }
            _ => "down",
        };
        states.push(format!(
            "backend_{}:name={},addr={},state={}\r\n",
            b.index, b.name, b.addr, state
        ));
    }
    let want = |sec: &str| {
        args.len() < 2
            || args[1..].iter().any(|a| {
                eq_ignore_case(a, sec)
                    || eq_ignore_case(a, "all")
                    || eq_ignore_case(a, "everything")
                    || eq_ignore_case(a, "default")
            })
    };
    let mut text = String::new();
    if want("server") {
        text.push_str(&format!(
            "# Server\r\nredis_version:{REDIS_VERSION}\r\nringcache_version:{}\r\nredis_mode:standalone\r\nos:{}\r\narch_bits:64\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{}\r\n\r\n",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::process::id(),
            s.proxy.run_id,
            s.proxy.port,
            s.proxy.started.elapsed().as_secs()
        ));
    }
    if want("clients") {
        text.push_str(&format!(
            "# Clients\r\nconnected_clients:{}\r\nmaxclients:{}\r\n\r\n",
            s.proxy.clients(),
            s.proxy.maxclients
        ));
    }
    if want("persistence") {
        text.push_str("# Persistence\r\nloading:0\r\n\r\n");
    }
    if want("cluster") {
        text.push_str("# Cluster\r\ncluster_enabled:0\r\n\r\n");
    }
    if want("proxy") {
        text.push_str(&format!(
            "# Proxy\r\nbackends:{}\r\nbackends_up:{}\r\n",
            backends.list.len(),
            up
        ));
        for l in states {
            text.push_str(&l);
        }
        text.push_str("\r\n");
    }
    if want("keyspace") {
        text.push_str("# Keyspace\r\n");
        if keys > 0 {
            text.push_str(&format!("db0:keys={keys},expires={expires},avg_ttl=0\r\n"));
        }
    }
    // Redis ends the last section with one CRLF; no matching section is an empty string.
    let trimmed = match text.trim_end_matches("\r\n") {
        "" => String::new(),
        t => t.to_string() + "\r\n",
    };
    out.verbatim(trimmed.as_bytes());
}

async fn randomkey(s: &mut Session, out: &mut Reply) {
    let n = s.proxy.backends.list.len();
    let start = rand::random::<u32>() as usize % n;
    for i in 0..n {
        let b = &s.proxy.backends.list[(start + i) % n];
        if let Ok(Ok(r)) = b
            .conn(out.resp3)
            .send(Bytes::from_static(b"*1\r\n$9\r\nRANDOMKEY\r\n"))
            .await
        {
            if r.first() == Some(&b'$') && &r[..] != b"$-1\r\n" {
                return out.raw(&r);
            }
        }
    }
    out.null();
}
