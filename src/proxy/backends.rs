//! The backends the proxy routes to: their multiplexed connections, dedicated-
//! connection pools, health, and the ring that maps keys onto the live ones.
//!
//! With `auto_eject_hosts`, a backend that failed `server_failure_limit` times in a
//! row leaves the ring (its keys rehash onto the others, as twemproxy does) and is
//! put back after `server_retry_timeout`.

use super::backend::{Conn, ConnOptions, Health};
use super::pool::{Dedicated, DedicatedPool};
use super::ring::{Distribution, KeyHash, Ring};
use crate::config::{ProxyConfig, ServerSpec};
use arc_swap::ArcSwap;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// One backend server.
pub struct Backend {
    /// Position in `servers`.
    pub index: usize,
    /// Its ring label (name, or host:port) — what error messages call it.
    pub name: String,
    /// Where it is.
    pub addr: String,
    opts: ConnOptions,
    conns2: Vec<Conn>,
    conns3: OnceLock<Vec<Conn>>,
    next: AtomicUsize,
    /// Consecutive failures.
    pub health: Arc<Health>,
    pool2: DedicatedPool,
    pool3: DedicatedPool,
    /// When an ejected backend may rejoin the ring.
    ejected_until: Mutex<Option<Instant>>,
}

impl Backend {
    fn new(index: usize, spec: &ServerSpec, cfg: &ProxyConfig) -> Backend {
        let opts = ConnOptions {
            addr: spec.addr(),
            password: cfg.backend_password.clone(),
            resp3: false,
            timeout: Duration::from_millis(cfg.timeout),
        };
        let health = Arc::new(Health::default());
        let n = cfg.server_connections.max(1) as usize;
        let conns2 = (0..n)
            .map(|_| Conn::spawn(opts.clone(), health.clone()))
            .collect();
        let opts3 = ConnOptions {
            resp3: true,
            ..opts.clone()
        };
        Backend {
            index,
            name: spec.label(),
            addr: spec.addr(),
            pool2: DedicatedPool::new(opts.clone()),
            pool3: DedicatedPool::new(opts3),
            opts,
            conns2,
            conns3: OnceLock::new(),
            next: AtomicUsize::new(0),
            health,
            ejected_until: Mutex::new(None),
        }
    }

    /// A multiplexed connection speaking the client's protocol (round-robin over
    /// `server_connections`). RESP3 connections are opened on first use.
    #[inline]
    pub fn conn(&self, resp3: bool) -> &Conn {
        let conns = if resp3 {
            self.conns3.get_or_init(|| {
                let o = ConnOptions {
                    resp3: true,
                    ..self.opts.clone()
                };
                (0..self.conns2.len())
                    .map(|_| Conn::spawn(o.clone(), self.health.clone()))
                    .collect()
            })
        } else {
            &self.conns2
        };
        if conns.len() == 1 {
            return &conns[0];
        }
        &conns[self.next.fetch_add(1, Ordering::Relaxed) % conns.len()]
    }

    /// Open every multiplexed connection now (`preconnect`): a PING makes each connect.
    pub fn preconnect(&self) {
        for c in &self.conns2 {
            drop(c.send(bytes::Bytes::from_static(b"*1\r\n$4\r\nPING\r\n")));
        }
    }

    /// Check out a dedicated connection (transactions, blocking commands).
    pub async fn dedicated(&self, resp3: bool) -> Result<Dedicated, String> {
        if resp3 { &self.pool3 } else { &self.pool2 }.get().await
    }

    /// True while ejected from the ring.
    pub fn is_ejected(&self) -> bool {
        self.ejected_until.lock().is_some()
    }
}

/// All backends plus the current ring.
pub struct Backends {
    /// In `servers` order.
    pub list: Vec<Arc<Backend>>,
    ring: ArcSwap<Ring>,
    dist: Distribution,
    hash: KeyHash,
    tag: Option<[u8; 2]>,
    specs: Vec<ServerSpec>,
    auto_eject: bool,
    failure_limit: u32,
    retry: Duration,
}

impl Backends {
    /// Build from a validated proxy config.
    pub fn new(cfg: &ProxyConfig) -> Result<Backends, String> {
        let specs = cfg.server_specs();
        let dist: Distribution = cfg.distribution.parse().map_err(|e| format!("{e}"))?;
        let hash: KeyHash = cfg.hash.parse().map_err(|e| format!("{e}"))?;
        let tag = match cfg.hash_tag.as_bytes() {
            [] => None,
            [a, b] => Some([*a, *b]),
            _ => return Err("hash_tag must be empty or two characters".into()),
        };
        let live = vec![true; specs.len()];
        let ring = Ring::new(dist, hash, tag, &specs, &live).map_err(|e| e.to_string())?;
        let list = specs
            .iter()
            .enumerate()
            .map(|(i, s)| Arc::new(Backend::new(i, s, cfg)))
            .collect();
        Ok(Backends {
            list,
            ring: ArcSwap::from_pointee(ring),
            dist,
            hash,
            tag,
            specs,
            auto_eject: cfg.auto_eject_hosts,
            failure_limit: cfg.server_failure_limit.max(1),
            retry: Duration::from_millis(cfg.server_retry_timeout),
        })
    }

    /// The backend owning `key`.
    #[inline]
    pub fn for_key(&self, key: &[u8]) -> &Arc<Backend> {
        &self.list[self.ring.load().server_for(key)]
    }

    /// A backend failed a request: eject it if it keeps failing.
    pub fn note_failure(&self, b: &Backend) {
        if !self.auto_eject || b.health.failures() < self.failure_limit {
            return;
        }
        {
            let mut until = b.ejected_until.lock();
            if until.is_some() {
                return;
            }
            *until = Some(Instant::now() + self.retry);
        }
        tracing::warn!(backend = %b.name, "ejecting backend after repeated failures");
        metrics::counter!(crate::metrics::EJECTIONS, "backend" => b.name.clone()).increment(1);
        self.rebuild();
    }

    /// Put back ejected backends whose retry time has come (called periodically).
    pub fn readmit_due(&self) {
        let now = Instant::now();
        let mut changed = false;
        for b in &self.list {
            let mut until = b.ejected_until.lock();
            if until.is_some_and(|t| t <= now) {
                *until = None;
                b.health.success();
                changed = true;
                tracing::info!(backend = %b.name, "retrying ejected backend");
            }
        }
        if changed {
            self.rebuild();
        }
    }

    fn rebuild(&self) {
        let live: Vec<bool> = self.list.iter().map(|b| !b.is_ejected()).collect();
        match Ring::new(self.dist, self.hash, self.tag, &self.specs, &live) {
            Ok(ring) => self.ring.store(Arc::new(ring)),
            Err(e) => {
                tracing::warn!(error = %e, "keeping the previous ring: every backend is ejected")
            }
        }
    }
}
