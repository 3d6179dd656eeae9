//! End-to-end cost of the node on loopback: an in-process node on 127.0.0.1:0 and one
//! client connection sending a pipelined batch of 1000 SET/GET per iteration, waiting
//! for every reply. Covers socket I/O, decoding, dispatch, the keyspace and reply
//! encoding together — the number to compare with `redis-benchmark -P` runs.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringcache::node::{self, Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Requests per batch: SET key_i, GET key_i, … (500 pairs).
const PIPELINE: usize = 1000;
const VALUE: [u8; 64] = [b'v'; 64];

fn push_request(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// The batch, and the exact number of reply bytes it produces: `+OK\r\n` per SET and
/// `$64\r\n<64 bytes>\r\n` per GET (each GET reads the key the SET before it wrote).
fn batch() -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(PIPELINE * 128);
    for i in 0..PIPELINE / 2 {
        let key = format!("key:{:012}", i * 197 % 100_000);
        push_request(&mut out, &[b"SET", key.as_bytes(), &VALUE]);
        push_request(&mut out, &[b"GET", key.as_bytes()]);
    }
    let reply_bytes = PIPELINE / 2 * (b"+OK\r\n".len() + b"$64\r\n".len() + VALUE.len() + 2);
    (out, reply_bytes)
}

/// Send the batch and read until all of its replies are in.
async fn round_trip(conn: &mut TcpStream, req: &[u8], want: usize, buf: &mut [u8]) {
    conn.write_all(req).await.expect("write batch");
    let mut got = 0;
    while got < want {
        let n = conn.read(buf).await.expect("read replies");
        assert!(n > 0, "node closed the connection");
        got += n;
    }
    assert_eq!(got, want, "unexpected reply bytes (an error reply?)");
}

fn loopback(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (req, want) = batch();
    let (handle, mut conn) = rt.block_on(async {
        let handle = node::spawn(Settings {
            listen: "127.0.0.1:0".into(),
            ..Settings::default()
        })
        .await
        .expect("node starts");
        let conn = TcpStream::connect(handle.addr).await.expect("connect");
        conn.set_nodelay(true).expect("nodelay");
        (handle, conn)
    });
    let mut buf = vec![0u8; 256 * 1024];
    // Warm up once outside the measurement and check the reply byte count.
    rt.block_on(round_trip(&mut conn, &req, want, &mut buf));

    let mut g = c.benchmark_group("node_loopback");
    g.throughput(Throughput::Elements(PIPELINE as u64));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("set_get_pipeline_1000", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    round_trip(&mut conn, &req, want, &mut buf).await;
                }
                start.elapsed()
            })
        })
    });
    g.finish();
    drop(conn);
    rt.block_on(handle.stop());
}

criterion_group!(benches, loopback);
criterion_main!(benches);
