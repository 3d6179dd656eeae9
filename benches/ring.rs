//! Hot-path cost of key placement: `Ring::server_for` per distribution and pool size, and the
//! raw key hashes, so a routing change can be measured before and after.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ringcache::proxy::ring::{hash, Distribution, KeyHash, Ring, ServerSpec};

fn servers(n: usize) -> Vec<ServerSpec> {
    (0..n)
        .map(|i| ServerSpec {
            host: "127.0.0.1".into(),
            port: 7000 + i as u16,
            weight: 1,
            name: Some(format!("server{i}")),
        })
        .collect()
}

fn keys() -> Vec<Vec<u8>> {
    (0..1024)
        .map(|i| format!("user:{i}:profile").into_bytes())
        .collect()
}

fn server_for(c: &mut Criterion) {
    let keys = keys();
    let mut g = c.benchmark_group("server_for");
    g.throughput(Throughput::Elements(keys.len() as u64));
    for dist in [
        Distribution::Ketama,
        Distribution::Jump,
        Distribution::Maglev,
    ] {
        for n in [3, 50] {
            let s = servers(n);
            let ring = Ring::new(dist, KeyHash::Fnv1a_64, Some(*b"{}"), &s, &vec![true; n])
                .expect("valid ring");
            g.bench_with_input(BenchmarkId::new(dist.name(), n), &ring, |b, ring| {
                b.iter(|| {
                    let mut acc = 0usize;
                    for k in &keys {
                        acc ^= ring.server_for(black_box(k));
                    }
                    acc
                })
            });
        }
    }
    g.finish();
}

fn key_hash(c: &mut Criterion) {
    let keys = keys();
    let mut g = c.benchmark_group("key_hash");
    g.throughput(Throughput::Elements(keys.len() as u64));
    for (name, f) in [
        ("fnv1a_64", hash::fnv1a_64 as fn(&[u8]) -> u32),
        ("murmur", hash::murmur),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut acc = 0u32;
                for k in &keys {
                    acc ^= f(black_box(k));
                }
                acc
            })
        });
    }
    g.finish();
}

criterion_group!(benches, server_for, key_hash);
criterion_main!(benches);
