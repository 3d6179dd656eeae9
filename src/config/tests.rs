//! Tests across the config module: the shipped `conf/*.toml` files, `check_conf`, error
//! positions, and the proxy's checks (which need whole files to be meaningful).

use std::path::PathBuf;

use super::*;

const NODE_TOML: &str = include_str!("../../conf/node.toml");
const PROXY_TOML: &str = include_str!("../../conf/proxy.toml");
const CLUSTER_TOML: &str = include_str!("../../conf/cluster.toml");

fn conf(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("conf")
        .join(name)
}

fn proxy_err(text: &str) -> String {
    parse::<ProxyConfig>(text, "proxy.toml")
        .unwrap_err()
        .to_string()
}

const SERVERS: &str =
    "servers = [\"127.0.0.1:7001:1 a\", \"127.0.0.1:7002:1 b\", \"127.0.0.1:7003:1\"]\n";

#[test]
fn shipped_node_conf_is_the_default() {
    assert_eq!(
        parse::<NodeConfig>(NODE_TOML, "node.toml").unwrap(),
        NodeConfig::default()
    );
}

#[test]
fn shipped_proxy_conf_is_the_default_plus_servers() {
    let cfg: ProxyConfig = parse(PROXY_TOML, "proxy.toml").unwrap();
    assert_eq!(
        cfg.servers,
        ["127.0.0.1:7001:1", "127.0.0.1:7002:1", "127.0.0.1:7003:1"]
    );
    assert_eq!(
        cfg,
        ProxyConfig {
            servers: cfg.servers.clone(),
            ..ProxyConfig::default()
        }
    );
}

#[test]
fn shipped_cluster_conf_is_the_default() {
    let cfg: ClusterConfig = parse(CLUSTER_TOML, "cluster.toml").unwrap();
    assert_eq!(cfg, ClusterConfig::default());
    // The example servers in proxy.toml are exactly the default cluster's nodes.
    let proxy: ProxyConfig = parse(PROXY_TOML, "proxy.toml").unwrap();
    assert_eq!(cfg.proxy_config().servers, proxy.servers);
}

#[test]
fn shipped_files_pass_check_conf() {
    assert_eq!(check_conf(conf("node.toml")).unwrap(), Kind::Node);
    assert_eq!(check_conf(conf("proxy.toml")).unwrap(), Kind::Proxy);
    assert_eq!(check_conf(conf("cluster.toml")).unwrap(), Kind::Cluster);
    let cfg: NodeConfig = load(conf("node.toml")).unwrap();
    assert_eq!(cfg, NodeConfig::default());
}

#[test]
fn check_conf_needs_a_known_role() {
    assert_eq!(
        check_conf_str("listen = \"127.0.0.1:1\"\n", "x.toml")
            .unwrap_err()
            .to_string(),
        "x.toml: missing top-level key `role` (one of \"node\", \"proxy\", \"cluster\")"
    );
    assert_eq!(
        check_conf_str("\n  role = \"server\"\n", "x.toml")
            .unwrap_err()
            .to_string(),
        "x.toml:2:3: role: unknown variant `server`, expected one of `node`, `proxy`, `cluster`"
    );
    // The role picks the schema: a node key in a proxy file is unknown there.
    assert_eq!(
        check_conf_str("role = \"proxy\"\nmaxmemory = 0\n", "x.toml")
            .unwrap_err()
            .to_string(),
        "x.toml:2:1: unknown field `maxmemory`, expected one of `role`, `listen`, `servers`, \
         `hash`, `distribution`, `hash_tag`, `timeout`, `server_connections`, `preconnect`, \
         `auto_eject_hosts`, `server_retry_timeout`, `server_failure_limit`, `requirepass`, \
         `backend_password`, `maxclients`, `threads`, `metrics_listen`, `locks`"
    );
    assert_eq!(
        check_conf_str("role = \"proxy\"\n", "x.toml")
            .unwrap_err()
            .to_string(),
        "x.toml: servers: must list at least one server (host:port:weight [name])"
    );
}

#[test]
fn missing_file_names_the_path() {
    let err = check_conf("/nonexistent/ringcache.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/nonexistent/ringcache.toml: No such file or directory (os error 2)"
    );
}

#[test]
fn unknown_keys_are_errors_with_position() {
    assert_eq!(
        parse::<NodeConfig>(
            "listen = \"127.0.0.1:6379\"\n  maxmemroy = \"1gb\"\n",
            "n.toml"
        )
        .unwrap_err()
        .to_string(),
        "n.toml:2:3: unknown field `maxmemroy`, expected one of `role`, `listen`, `maxmemory`, \
         `maxmemory_policy`, `requirepass`, `maxclients`, `timeout`, `proto_max_bulk_len`, \
         `threads`, `busy_poll_us`, `metrics_listen`"
    );
    assert_eq!(
        proxy_err(&format!("{SERVERS}\n[locks]\nttl = 5\n")),
        "proxy.toml:4:1: unknown field `ttl`, expected one of `key_prefixes`, `servers`, \
         `node_timeout`, `drift_factor`, `max_ttl`, `retry_count`, `retry_delay_max`, \
         `restart_quarantine`"
    );
}

#[test]
fn syntax_errors_have_position() {
    assert_eq!(
        parse::<NodeConfig>("threads = 4\nlisten = \n", "n.toml")
            .unwrap_err()
            .to_string(),
        "n.toml:2:10: invalid string\nexpected `\"`, `'`"
    );
    assert_eq!(
        parse::<NodeConfig>("threads = \"four\"\n", "n.toml")
            .unwrap_err()
            .to_string(),
        "n.toml:1:11: invalid type: string \"four\", expected usize"
    );
}

#[test]
fn bad_server_entries_point_at_the_entry() {
    let text = "servers = [\n  \"127.0.0.1:7001:1\",\n  \"127.0.0.1:7002\",\n]\n";
    assert_eq!(
        proxy_err(text),
        "proxy.toml:3:3: servers: invalid server \"127.0.0.1:7002\": expected \
         host:port:weight [name], like \"127.0.0.1:6379:1 cache1\""
    );
    let dup = "servers = [\n  \"127.0.0.1:7001:1\",\n  \"127.0.0.1:7001:2\",\n]\n";
    assert_eq!(
        proxy_err(dup),
        "proxy.toml:3:3: servers: duplicate server \"127.0.0.1:7001:2\": same address as \
         \"127.0.0.1:7001:1\""
    );
    let dup_name = "servers = [\"10.0.0.1:6379:1 a\", \"10.0.0.2:6379:1 a\"]\n";
    assert_eq!(
        proxy_err(dup_name),
        "proxy.toml:1:33: servers: duplicate server \"10.0.0.2:6379:1 a\": same name as \
         \"10.0.0.1:6379:1 a\""
    );
    assert_eq!(
        proxy_err("servers = []\n"),
        "proxy.toml:1:1: servers: must list at least one server (host:port:weight [name])"
    );
}

#[test]
fn ring_settings_are_checked() {
    assert_eq!(
        proxy_err(&format!("{SERVERS}hash = \"sha1\"\n")),
        "proxy.toml:2:1: hash: unknown hash \"sha1\", expected one of: one_at_a_time, md5, \
         crc16, crc32, crc32a, fnv1_32, fnv1a_32, fnv1_64, fnv1a_64, hsieh, jenkins, murmur"
    );
    assert_eq!(
        proxy_err(&format!("{SERVERS}distribution = \"Ketama\"\n")),
        "proxy.toml:2:1: distribution: unknown distribution \"Ketama\", expected one of: \
         ketama, modula, random, jump, maglev"
    );
    assert_eq!(
        proxy_err(&format!("{SERVERS}hash_tag = \"{{\"\n")),
        "proxy.toml:2:1: hash_tag: must be empty or exactly 2 ASCII characters like \"{}\", \
         got \"{\""
    );
    assert_eq!(
        proxy_err(&format!("{SERVERS}timeout = 0\n")),
        "proxy.toml:2:1: timeout: must be at least 1 ms"
    );
    assert_eq!(
        proxy_err(&format!(
            "{SERVERS}auto_eject_hosts = true\nserver_failure_limit = 0\n"
        )),
        "proxy.toml:3:1: server_failure_limit: must be at least 1 when auto_eject_hosts is true"
    );
    assert_eq!(
        proxy_err(&format!("{SERVERS}backend_password = \"\"\n")),
        "proxy.toml:2:1: backend_password: must not be empty (remove the key to disable it)"
    );
    let ok: ProxyConfig = parse(&format!("{SERVERS}hash_tag = \"{{}}\"\n"), "p").unwrap();
    assert_eq!(ok.server_specs()[0].name.as_deref(), Some("a"));
}

#[test]
fn lock_settings_are_checked() {
    let ok: ProxyConfig = parse(
        &format!("{SERVERS}[locks]\nservers = [\"a\", \"127.0.0.1:7002\", \"127.0.0.1:7003:1\"]\n"),
        "p",
    )
    .unwrap();
    assert_eq!(ok.locks.restart_quarantine_ms(), 60_000);
    assert_eq!(
        proxy_err(&format!("{SERVERS}[locks]\nservers = [\"a\", \"c\"]\n")),
        "proxy.toml:3:17: locks.servers: \"c\" is not one of `servers` (use its name or \
         host:port)"
    );
    assert_eq!(
        proxy_err(&format!(
            "{SERVERS}[locks]\nservers = [\"a\", \"127.0.0.1:7001\"]\n"
        )),
        "proxy.toml:3:17: locks.servers: \"127.0.0.1:7001\" names a server already in the group"
    );
    assert_eq!(
        proxy_err(&format!("{SERVERS}[locks]\nservers = []\n")),
        "proxy.toml:3:1: locks.servers: must name at least one server (remove the key to use \
         all servers)"
    );
    assert_eq!(
        proxy_err(&format!("{SERVERS}[locks]\ndrift_factor = 0.5\n")),
        "proxy.toml:3:1: locks.drift_factor: must be in [0, 0.5), got 0.5"
    );
    assert_eq!(
        proxy_err(&format!("{SERVERS}locks.drift_factor = nan\n")),
        "proxy.toml:2:1: locks.drift_factor: must be in [0, 0.5), got NaN"
    );
    assert_eq!(
        proxy_err(&format!("{SERVERS}[locks]\nmax_ttl = 50\n")),
        "proxy.toml: locks.node_timeout: must be between 1 and max_ttl (50 ms), exclusive of \
         max_ttl"
    );
    assert_eq!(
        proxy_err(&format!(
            "{SERVERS}[locks]\nkey_prefixes = [\"lock:\", \"\"]\n"
        )),
        "proxy.toml:3:26: locks.key_prefixes: must not contain an empty prefix (it would make \
         every key a lock)"
    );
}

#[test]
fn busy_poll_window_is_bounded() {
    assert_eq!(
        check_conf_str("role = \"node\"\nbusy_poll_us = 1000001\n", "n.toml")
            .unwrap_err()
            .to_string(),
        "n.toml:2:1: busy_poll_us: must be at most 1000000 (one second), got 1000001"
    );
    let cfg: NodeConfig = parse("busy_poll_us = 50\n", "n.toml").unwrap();
    assert_eq!(cfg.busy_poll(), Some(std::time::Duration::from_micros(50)));
    assert_eq!(NodeConfig::default().busy_poll(), None);
}
