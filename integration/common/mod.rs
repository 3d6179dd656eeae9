//! Shared test support: start a node (or proxy) in-process on 127.0.0.1:0 and talk
//! raw RESP to it, so tests compare exact reply bytes.
#![allow(dead_code)]

use ringcache::node::{self, NodeHandle, Settings};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Start a node with default settings on an ephemeral port.
pub async fn start_node() -> NodeHandle {
    start_node_with(|_| {}).await
}

/// Start a node after adjusting its settings.
pub async fn start_node_with(f: impl FnOnce(&mut Settings)) -> NodeHandle {
    let mut s = Settings {
        listen: "127.0.0.1:0".into(),
        ..Settings::default()
    };
    f(&mut s);
    node::spawn(s).await.expect("node starts")
}

/// A raw RESP connection.
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

/// Length of the first complete reply in `buf`. RESP2 replies may hold `$-1` inside
/// arrays, which the RESP3 decoder rejects, so try RESP2 first, then RESP3.
pub fn reply_len(buf: &[u8]) -> Option<usize> {
    if let Ok(r) = redis_protocol::resp2::decode::decode_range(buf) {
        return r.map(|(_, len)| len);
    }
    redis_protocol::resp3::decode::streaming::decode_range(buf)
        .expect("valid RESP from server")
        .map(|(_, len)| len)
}

/// Encode arguments as a RESP multibulk request.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

impl Raw {
    /// Connect to `addr`.
    pub async fn connect(addr: std::net::SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    /// Send raw bytes.
    pub async fn send_raw(&mut self, b: &[u8]) {
        self.stream.write_all(b).await.expect("write");
    }

    /// Read exactly one reply (RESP2 or RESP3) and return its raw bytes. Panics after
    /// 10 s so a missing reply fails the test instead of hanging it.
    pub async fn read_reply(&mut self) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        // On the heap: a 64 KiB array here would be copied into every test's future.
        let mut chunk = vec![0u8; 65536];
        loop {
            if let Some(len) = reply_len(&self.buf) {
                return self.buf.drain(..len).collect();
            }
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .expect("reply within 10 s")
                .expect("read");
            assert!(
                n > 0,
                "server closed the connection; pending bytes {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// True if the server closes the connection (within 10 s) without sending more.
    pub async fn closed(&mut self) -> bool {
        let mut chunk = [0u8; 1024];
        matches!(
            tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    /// Send one command given as separate arguments; return the raw reply.
    pub async fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_raw(&encode(args)).await;
        self.read_reply().await
    }

    /// Send a whitespace-separated command; return the reply as a (lossy) string,
    /// e.g. `assert_eq!(c.q("GET a").await, "$1\r\nb\r\n")`.
    pub async fn q(&mut self, line: &str) -> String {
        let args: Vec<&[u8]> = line.split_whitespace().map(|s| s.as_bytes()).collect();
        String::from_utf8_lossy(&self.cmd(&args).await).into_owned()
    }
}

// Boxed request helpers for long tests: debug builds keep every `.await`'s state in
// the test's future, so a test with hundreds of awaits on the (large) reply-reading
// future overflowed the 2 MB test thread; boxed, each call site costs a pointer.

/// [`Raw::q`], boxed.
pub async fn q(c: &mut Raw, line: &str) -> String {
    Box::pin(c.q(line)).await
}

/// [`Raw::cmd`], boxed.
pub async fn cmd(c: &mut Raw, args: &[&[u8]]) -> Vec<u8> {
    Box::pin(c.cmd(args)).await
}

/// [`Raw::read_reply`], boxed.
pub async fn read_reply(c: &mut Raw) -> Vec<u8> {
    Box::pin(c.read_reply()).await
}

/// Connect a raw client to a node.
pub async fn raw(node: &NodeHandle) -> Raw {
    Raw::connect(node.addr).await
}

/// A node serving its connections on two event loops (as `threads = 2` runs it):
/// consecutive connections land on different loops. The node (its accept loop and
/// background tasks included) runs on threads of its own, so a node thread that
/// blocked could not stall the test's runtime: the test's reply timeouts still fire.
pub struct LoopNode {
    pub addr: std::net::SocketAddr,
    pub server: std::sync::Arc<node::Server>,
    shutdown: tokio_util::sync::CancellationToken,
    thread: std::thread::JoinHandle<()>,
}

impl LoopNode {
    /// Start a node on 127.0.0.1:0 with these settings (`listen` is ignored).
    pub async fn start(settings: Settings) -> LoopNode {
        Self::start_with(settings, None).await
    }

    /// [`LoopNode::start`], with loops that busy poll for `busy_poll` after a request
    /// (`busy_poll_us`; `None`: off).
    pub async fn start_with(
        settings: Settings,
        busy_poll: Option<std::time::Duration>,
    ) -> LoopNode {
        use ringcache::net::EventLoops;
        use std::sync::Arc;
        let shutdown = tokio_util::sync::CancellationToken::new();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::spawn({
            let shutdown = shutdown.clone();
            move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let loops = EventLoops::start(2, busy_poll).expect("loops start");
                    assert_eq!(loops.len(), 2);
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    let addr = listener.local_addr().unwrap();
                    let settings = Settings {
                        listen: addr.to_string(),
                        ..settings
                    };
                    let server = Arc::new(node::Server::new(settings, addr.port()));
                    let _ = tx.send((addr, server.clone()));
                    node::run_on(server, listener, shutdown, Some(&loops)).await;
                });
            }
        });
        let (addr, server) = rx.await.expect("node started");
        LoopNode {
            addr,
            server,
            shutdown,
            thread,
        }
    }

    /// Shut the node down and wait for it.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let thread = self.thread;
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .unwrap()
            .expect("node thread");
    }
}

/// A proxy in front of in-process nodes.
pub struct TestCluster {
    pub nodes: Vec<NodeHandle>,
    pub proxy: ringcache::proxy::ProxyHandle,
}

impl TestCluster {
    /// Stop everything.
    pub async fn stop(self) {
        self.proxy.stop().await;
        for n in self.nodes {
            n.stop().await;
        }
    }
}

/// Start `n` nodes and a proxy (ketama, fnv1a_64, hash tag `{}`) in front of them.
pub async fn start_cluster(n: usize) -> TestCluster {
    start_cluster_with(n, |_| {}).await
}

/// Like [`start_cluster`], adjusting the proxy config first.
pub async fn start_cluster_with(
    n: usize,
    f: impl FnOnce(&mut ringcache::config::ProxyConfig),
) -> TestCluster {
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(start_node().await);
    }
    let mut cfg = ringcache::config::ProxyConfig {
        listen: "127.0.0.1:0".into(),
        servers: nodes
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{}:1 node{}", n.addr, i + 1))
            .collect(),
        hash_tag: "{}".into(),
        ..Default::default()
    };
    f(&mut cfg);
    let proxy = ringcache::proxy::spawn(&cfg).await.expect("proxy starts");
    TestCluster { nodes, proxy }
}

/// Connect a raw client to a proxy.
pub async fn raw_proxy(c: &TestCluster) -> Raw {
    Raw::connect(c.proxy.addr).await
}
