//! The binary as users run it: `check-conf` exit codes and messages, and
//! `ringcache cluster` starting, serving, and stopping cleanly on SIGTERM.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ringcache");

#[test]
fn check_conf_accepts_the_shipped_files() {
    for f in ["conf/node.toml", "conf/proxy.toml", "conf/cluster.toml"] {
        let out = Command::new(BIN).args(["check-conf", f]).output().unwrap();
        assert!(
            out.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn check_conf_points_at_the_bad_line_and_exits_64() {
    let dir = std::env::temp_dir().join(format!("ringcache-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "role = \"node\"\nlisten = \"127.0.0.1:6379\"\nmaxmemroy = \"1gb\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("check-conf")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!("{}:3:1: ", path.display())),
        "{err}"
    );
    assert!(err.contains("maxmemroy"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Four consecutive free ports (proxy + three nodes), found by binding them.
fn free_ports() -> u16 {
    for _ in 0..200 {
        let base = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if base > 65000 {
            continue;
        }
        let held: Vec<_> = (0..4)
            .filter_map(|i| TcpListener::bind(("127.0.0.1", base + i)).ok())
            .collect();
        if held.len() == 4 {
            return base;
        }
    }
    panic!("no four consecutive free ports");
}

fn call(port: u16, req: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(req).unwrap();
    let mut buf = vec![0u8; 256];
    let n = s.read(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn cluster_serves_and_stops_on_sigterm() {
    let base = free_ports();
    let mut child = Command::new(BIN)
        .args([
            "cluster",
            "--listen",
            &format!("127.0.0.1:{base}"),
            "--node-base-port",
            &(base + 1).to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Ready when the proxy answers PING.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", base)) {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            if s.write_all(b"PING\r\n").is_ok() {
                let mut b = [0u8; 7];
                if s.read_exact(&mut b).is_ok() && &b == b"+PONG\r\n" {
                    break;
                }
            }
        }
        assert!(Instant::now() < deadline, "cluster did not come up");
        std::thread::yield_now();
    }
    assert_eq!(call(base, b"SET greeting hello\r\n"), b"+OK\r\n");
    assert_eq!(call(base, b"GET greeting\r\n"), b"$5\r\nhello\r\n");
    let held: usize = (1..4)
        .map(|i| call(base + i, b"DBSIZE\r\n"))
        .filter(|r| r == b":1\r\n")
        .count();
    assert_eq!(held, 1, "the key lives on exactly one node");
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "cluster did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status}");
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(
        out.contains(&format!("proxy on 127.0.0.1:{base} in front of 3 nodes")),
        "{out}"
    );
    assert!(out.contains("ringcache cluster stopped"), "{out}");
}
