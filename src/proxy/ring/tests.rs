//! Facade tests: the KETAMA.md placement table, validation, and seeded property tests
//! (seed printed; override with `RING_SEED=<u64>`).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

fn specs(lines: &[&str]) -> Vec<ServerSpec> {
    lines
        .iter()
        .map(|l| ServerSpec::parse(l).unwrap())
        .collect()
}

fn equal_servers(n: usize) -> Vec<ServerSpec> {
    (0..n)
        .map(|i| ServerSpec {
            host: "127.0.0.1".into(),
            port: 6380 + i as u16,
            weight: 1,
            name: Some(format!("server{}", i + 1)),
        })
        .collect()
}

fn ring(dist: Distribution, servers: &[ServerSpec]) -> Ring {
    let live = vec![true; servers.len()];
    Ring::new(dist, KeyHash::Fnv1a_64, Some(*b"{}"), servers, &live).unwrap()
}

#[test]
fn ketama_placement_table_from_spec() {
    let named = specs(&[
        "127.0.0.1:6380:1 server1",
        "127.0.0.1:6381:1 server2",
        "127.0.0.1:6382:1 server3",
        "127.0.0.1:6383:1 server4",
    ]);
    let unnamed = specs(&[
        "127.0.0.1:6379:1",
        "127.0.0.1:6380:1",
        "127.0.0.1:6381:1",
        "127.0.0.1:6382:1",
    ]);
    let rn = ring(Distribution::Ketama, &named);
    let ru = ring(Distribution::Ketama, &unnamed);
    let table: [(&str, &str, &str); 7] = [
        ("foo", "server1", "127.0.0.1:6381"),
        ("bar", "server4", "127.0.0.1:6379"),
        ("hello", "server4", "127.0.0.1:6379"),
        ("user:1000", "server1", "127.0.0.1:6382"),
        ("{user1000}.following", "server1", "127.0.0.1:6379"),
        ("apple", "server1", "127.0.0.1:6379"),
        ("café", "server1", "127.0.0.1:6381"),
    ];
    for (key, want_named, want_unnamed) in table {
        assert_eq!(
            named[rn.server_for(key.as_bytes())].label(),
            want_named,
            "{key}"
        );
        assert_eq!(
            unnamed[ru.server_for(key.as_bytes())].label(),
            want_unnamed,
            "{key}"
        );
    }
}

#[test]
fn labels_follow_twemproxy_rules() {
    let s = ServerSpec::parse("127.0.0.1:6380:1 server1").unwrap();
    assert_eq!(s.label(), "server1");
    assert_eq!(s.to_string(), "127.0.0.1:6380:1 server1");
    assert_eq!(
        ServerSpec::parse("10.0.0.1:6379:3").unwrap().label(),
        "10.0.0.1:6379"
    );
    assert_eq!(
        ServerSpec::parse("cache-a:11211:1").unwrap().label(),
        "cache-a"
    );
    let v6 = ServerSpec::parse("[::1]:7000:2").unwrap();
    assert_eq!((v6.host.as_str(), v6.port, v6.weight), ("[::1]", 7000, 2));
}

#[test]
fn validation_errors() {
    use RingError::*;
    let d = Distribution::Ketama;
    let h = KeyHash::Md5;
    assert_eq!(Ring::new(d, h, None, &[], &[]).unwrap_err(), NoServers);
    let two = equal_servers(2);
    assert_eq!(
        Ring::new(d, h, None, &two, &[false, false]).unwrap_err(),
        NoLiveServers(2)
    );
    assert!(matches!(
        Ring::new(d, h, None, &two, &[true]).unwrap_err(),
        LiveMismatch { .. }
    ));
    let mut zero = two.clone();
    zero[1].weight = 0;
    assert_eq!(
        Ring::new(d, h, None, &zero, &[true, true]).unwrap_err(),
        ZeroWeight("server2".into())
    );
    let dup = specs(&["a:1:1 x", "b:2:1 x"]);
    assert_eq!(
        Ring::new(d, h, None, &dup, &[true, true]).unwrap_err(),
        DuplicateLabel("x".into())
    );
    let dup_unnamed = specs(&["a:1:1", "a:1:2"]);
    assert_eq!(
        Ring::new(d, h, None, &dup_unnamed, &[true, true]).unwrap_err(),
        DuplicateLabel("a:1".into())
    );
    assert!("consistent".parse::<Distribution>().is_err());
    for n in ["ketama", "modula", "random", "jump", "maglev"] {
        assert_eq!(n.parse::<Distribution>().unwrap().name(), n);
    }
}

#[test]
fn hash_tag_rules() {
    let t = Some(*b"{}");
    assert_eq!(hash_tag_slice(b"{user1000}.following", t), b"user1000");
    assert_eq!(hash_tag_slice(b"a{b}c{d}", t), b"b");
    assert_eq!(hash_tag_slice(b"{}x", t), b"{}x");
    assert_eq!(hash_tag_slice(b"x{", t), b"x{");
    assert_eq!(hash_tag_slice(b"}x{y}", t), b"y");
    assert_eq!(hash_tag_slice(b"{{a}", t), b"{a");
    assert_eq!(hash_tag_slice(b"{a}", None), b"{a}");
    assert_eq!(hash_tag_slice(b"", t), b"");
}

#[test]
fn ejected_server_is_left_out_like_twemproxy() {
    // Ejecting server 2 of 4 must equal a ring built from the other three alone.
    let four = equal_servers(4);
    let mut three = four.clone();
    three.remove(1);
    let ejected = Ring::new(
        Distribution::Ketama,
        KeyHash::Fnv1a_64,
        None,
        &four,
        &[true, false, true, true],
    )
    .unwrap();
    let smaller = ring(Distribution::Ketama, &three);
    for i in 0..5_000 {
        let k = format!("key:{i}");
        let a = ejected.server_for(k.as_bytes());
        let b = smaller.server_for(k.as_bytes());
        assert_eq!(a, if b == 0 { 0 } else { b + 1 }, "{k}");
    }
}

#[test]
fn single_live_server_and_empty_key() {
    for d in ["ketama", "modula", "random", "jump", "maglev"] {
        let d: Distribution = d.parse().unwrap();
        let r = Ring::new(
            d,
            KeyHash::Crc32a,
            None,
            &equal_servers(3),
            &[false, false, true],
        );
        assert_eq!(r.unwrap().server_for(b"anything"), 2);
        let r = ring(d, &equal_servers(3));
        assert!(r.server_for(b"") < 3);
    }
}

fn seed() -> u64 {
    let seed = std::env::var("RING_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    println!("RING_SEED={seed}");
    seed
}

/// Fills `buf` with a random printable key and returns it; no allocation per key.
fn random_key<'a>(rng: &mut StdRng, buf: &'a mut [u8; 24]) -> &'a [u8] {
    let len = rng.random_range(4..=24);
    for b in &mut buf[..len] {
        *b = rng.random_range(b'!'..=b'~');
    }
    &buf[..len]
}

fn moved_fraction(before: &Ring, after: &Ring, keys: usize) -> f64 {
    let mut rng = StdRng::seed_from_u64(seed());
    let mut buf = [0u8; 24];
    let mut moved = 0;
    for _ in 0..keys {
        let k = random_key(&mut rng, &mut buf);
        let (a, b) = (before.server_for(k), after.server_for(k));
        if a != b {
            moved += 1;
        }
    }
    moved as f64 / keys as f64
}

#[test]
fn adding_a_fifth_server_moves_about_a_fifth() {
    let four = equal_servers(4);
    let five = equal_servers(5);
    for (dist, lo, hi) in [
        (Distribution::Ketama, 0.15, 0.25),
        (Distribution::Jump, 0.15, 0.25),
        (Distribution::Maglev, 0.15, 0.30),
    ] {
        let f = moved_fraction(&ring(dist, &four), &ring(dist, &five), 100_000);
        println!("{dist}: 4 -> 5 servers moved {f:.4} of 100000 keys (ideal 0.2000)");
        assert!((lo..=hi).contains(&f), "{dist}: moved {f}");
    }
}

#[test]
fn jump_moves_keys_only_to_the_new_server() {
    let (before, after) = (
        ring(Distribution::Jump, &equal_servers(4)),
        ring(Distribution::Jump, &equal_servers(5)),
    );
    let mut rng = StdRng::seed_from_u64(seed());
    let mut buf = [0u8; 24];
    for _ in 0..100_000 {
        let k = random_key(&mut rng, &mut buf);
        let (a, b) = (before.server_for(k), after.server_for(k));
        assert!(
            a == b || b == 4,
            "{:?}: {a} -> {b}",
            String::from_utf8_lossy(k)
        );
    }
}

#[test]
fn maglev_moves_few_keys_between_old_servers() {
    let (before, after) = (
        ring(Distribution::Maglev, &equal_servers(4)),
        ring(Distribution::Maglev, &equal_servers(5)),
    );
    let mut rng = StdRng::seed_from_u64(seed());
    let mut buf = [0u8; 24];
    let (mut to_new, mut between_old) = (0, 0);
    for _ in 0..100_000 {
        let k = random_key(&mut rng, &mut buf);
        match (before.server_for(k), after.server_for(k)) {
            (_, 4) => to_new += 1,
            (a, b) if a != b => between_old += 1,
            _ => {}
        }
    }
    let (to_new, between_old) = (to_new as f64 / 1e5, between_old as f64 / 1e5);
    println!(
        "maglev 4 -> 5: {to_new:.4} moved to the new server, {between_old:.4} between old ones"
    );
    assert!((0.18..=0.22).contains(&to_new), "{to_new}");
    assert!(between_old <= 0.03, "{between_old}");
}

/// Largest relative deviation from the mean load over 4 equal servers, for `keys` random keys.
fn spread(dist: Distribution, keys: usize) -> f64 {
    let r = ring(dist, &equal_servers(4));
    let mut rng = StdRng::seed_from_u64(seed());
    let mut buf = [0u8; 24];
    let mut load = [0usize; 4];
    for _ in 0..keys {
        load[r.server_for(random_key(&mut rng, &mut buf))] += 1;
    }
    let mean = keys as f64 / 4.0;
    let worst = load
        .iter()
        .map(|&l| (l as f64 - mean).abs() / mean)
        .fold(0.0, f64::max);
    println!(
        "{dist}: load over 4 servers {load:?}, worst deviation {:.2}%",
        worst * 100.0
    );
    worst
}

#[test]
fn load_balance_over_four_equal_servers() {
    assert!(spread(Distribution::Ketama, 1_000_000) <= 0.20);
    assert!(spread(Distribution::Maglev, 1_000_000) <= 0.02);
    assert!(spread(Distribution::Jump, 1_000_000) <= 0.02);
}
