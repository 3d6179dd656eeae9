//! State shared by every connection of one node: the keyspace, live settings, the
//! client registry (for CLIENT LIST / INFO clients) and server-wide counters.

use super::db::Db;
use super::settings::Settings;
use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What CLIENT LIST / CLIENT INFO show about a connection, shared between the
/// connection's task and the registry.
#[derive(Debug)]
pub struct ClientInfo {
    /// Unique id (CLIENT ID).
    pub id: u64,
    /// Peer address.
    pub addr: String,
    /// Local address.
    pub laddr: String,
    /// When it connected.
    pub connected: Instant,
    /// Mutable details.
    pub state: Mutex<ClientDetails>,
}

/// Parts of [`ClientInfo`] that change during a connection's life.
#[derive(Debug, Default, Clone)]
pub struct ClientDetails {
    /// CLIENT SETNAME.
    pub name: Option<Bytes>,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: Option<Bytes>,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: Option<Bytes>,
    /// Last command name (lower case).
    pub last_cmd: String,
    /// RESP version in use.
    pub resp: u8,
    /// Last activity.
    pub last_active: Option<Instant>,
    /// Inside MULTI.
    pub in_multi: bool,
}

/// Server-wide counters for INFO stats.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections refused (maxclients).
    pub rejected: AtomicU64,
    /// Commands executed.
    pub commands: AtomicU64,
    /// Bytes read from clients.
    pub net_input: AtomicU64,
    /// Bytes written to clients.
    pub net_output: AtomicU64,
}

/// One running node.
pub struct Server {
    /// The dataset.
    pub db: Db,
    /// Live settings.
    pub settings: RwLock<Settings>,
    /// Connected clients by id.
    pub clients: Mutex<BTreeMap<u64, Arc<ClientInfo>>>,
    /// Counters.
    pub stats: Stats,
    /// Start time (uptime).
    pub started: Instant,
    /// Random 40-hex-char id, new each start (INFO `run_id`; the proxy notices restarts by it).
    pub run_id: String,
    /// The TCP port actually bound.
    pub port: u16,
    next_client_id: AtomicU64,
    /// Every CONFIG parameter by name → value, for CONFIG GET/SET of parameters that
    /// have no effect here (filled by the config command module).
    pub config_params: Mutex<BTreeMap<String, String>>,
}

impl Server {
    /// A fresh server with an empty keyspace.
    pub fn new(settings: Settings, port: u16) -> Self {
        let run_id: String = (0..40)
            .map(|_| char::from_digit(rand::random::<u32>() % 16, 16).expect("hex digit"))
            .collect();
        Server {
            db: Db::new(),
            settings: RwLock::new(settings),
            clients: Mutex::new(BTreeMap::new()),
            stats: Stats::default(),
            started: Instant::now(),
            run_id,
            port,
            next_client_id: AtomicU64::new(1),
            config_params: Mutex::new(BTreeMap::new()),
        }
    }

    /// Register a new connection; `None` when `maxclients` is reached.
    pub fn register_client(&self, addr: String, laddr: String) -> Option<Arc<ClientInfo>> {
        let max = self.settings.read().maxclients as usize;
        let mut clients = self.clients.lock();
        if clients.len() >= max {
            self.stats.rejected.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let id = self.next_client_id.fetch_add(1, Ordering::Relaxed);
        let info = Arc::new(ClientInfo {
            id,
            addr,
            laddr,
            connected: Instant::now(),
            state: Mutex::new(ClientDetails {
                resp: 2,
                ..Default::default()
            }),
        });
        clients.insert(id, info.clone());
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
        Some(info)
    }

    /// Forget a closed connection.
    pub fn unregister_client(&self, id: u64) {
        self.clients.lock().remove(&id);
    }
}
