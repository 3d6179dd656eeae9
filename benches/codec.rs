//! Cost of the protocol layer alone: decoding a pipelined buffer of 1000 SET/GET
//! requests with `RequestDecoder`, and encoding bulk/array replies with `Reply`, so a
//! codec change can be measured without sockets or a scheduler in the way.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ringcache::protocol::{Reply, RequestDecoder};

/// Requests per pipelined buffer, half SET and half GET.
const PIPELINE: usize = 1000;
/// Value size, as `redis-benchmark -d 64`.
const VALUE: [u8; 64] = [b'x'; 64];

fn push_request(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// 1000 requests, SET and GET alternating over `key:__rand_int__`-like keys.
fn pipelined_set_get() -> Vec<u8> {
    let mut out = Vec::with_capacity(PIPELINE * 128);
    for i in 0..PIPELINE {
        let key = format!("key:{:012}", i * 97 % 100_000);
        if i % 2 == 0 {
            push_request(&mut out, &[b"SET", key.as_bytes(), &VALUE]);
        } else {
            push_request(&mut out, &[b"GET", key.as_bytes()]);
        }
    }
    out
}

fn decode(c: &mut Criterion) {
    let input = pipelined_set_get();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(PIPELINE as u64));
    g.bench_function("set_get_x1000", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&input[..]),
            |buf| {
                let mut dec = RequestDecoder::new(512 * 1024 * 1024);
                let mut n = 0usize;
                while let Some(req) = dec.decode(buf, true).expect("valid RESP") {
                    n += req.len();
                    black_box(&req);
                }
                assert!(buf.is_empty());
                n
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("set_get_x1000_with_raw", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&input[..]),
            |buf| {
                let mut dec = RequestDecoder::new(512 * 1024 * 1024);
                let mut n = 0usize;
                while let Some((req, raw)) = dec.decode_with_raw(buf, true).expect("valid RESP") {
                    n += raw.map_or(0, |r| r.len());
                    black_box(&req);
                }
                n
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(PIPELINE as u64));
    // The GET side of a pipeline: 1000 64-byte bulk replies into one buffer.
    g.bench_function("bulk64_x1000", |b| {
        let mut r = Reply::new();
        b.iter(|| {
            r.buf.clear();
            for _ in 0..PIPELINE {
                r.bulk(black_box(&VALUE));
            }
            r.buf.len()
        })
    });
    // LRANGE/HGETALL-shaped: one array of 1000 short bulks.
    let items: Vec<Vec<u8>> = (0..PIPELINE)
        .map(|i| format!("field:{i}").into_bytes())
        .collect();
    g.bench_function("array_of_1000_bulks", |b| {
        let mut r = Reply::new();
        b.iter(|| {
            r.buf.clear();
            r.array(items.len());
            for it in &items {
                r.bulk(black_box(it));
            }
            r.buf.len()
        })
    });
    // The SET/INCR side: status and integer replies.
    g.bench_function("ok_and_int_x1000", |b| {
        let mut r = Reply::new();
        b.iter(|| {
            r.buf.clear();
            for i in 0..PIPELINE as i64 {
                if i % 2 == 0 {
                    r.ok();
                } else {
                    r.int(black_box(i * 1_000_003));
                }
            }
            r.buf.len()
        })
    });
    g.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
