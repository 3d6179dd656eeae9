//! Importing a twemproxy (`nutcracker.yml`) pool as a [`ProxyConfig`].
//!
//! Migration should be "point ringcache at the file you have". The file is read as is; its first
//! pool becomes the proxy. Anything that cannot carry over (memcached pools, other pools, keys
//! ringcache has no equivalent for) becomes a warning the caller must show: a silently dropped
//! setting is how migrations go wrong.

use std::path::Path;

use serde_norway::{Mapping, Value};

use super::{ConfigError, ProxyConfig, Validate};

/// Reads a twemproxy YAML file and converts its first pool; see [`from_nutcracker_yaml`].
pub fn load_nutcracker(path: impl AsRef<Path>) -> Result<(ProxyConfig, Vec<String>), ConfigError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: shown.clone(),
        source,
    })?;
    import(&text, &shown)
}

/// Converts the first pool of twemproxy YAML `text` into a validated [`ProxyConfig`], with one
/// warning per setting that was not carried over. Errors are labelled `<nutcracker.yml>`.
pub fn from_nutcracker_yaml(text: &str) -> Result<(ProxyConfig, Vec<String>), ConfigError> {
    import(text, "<nutcracker.yml>")
}

fn import(text: &str, path: &str) -> Result<(ProxyConfig, Vec<String>), ConfigError> {
    let whole = |message: &str| ConfigError::Whole {
        path: path.to_string(),
        message: message.to_string(),
    };
    let doc: Value = serde_norway::from_str(text).map_err(|e| yaml_error(path, &e))?;
    let Value::Mapping(pools) = doc else {
        return Err(whole("expected a mapping of pool names to pools"));
    };
    let mut iter = pools.iter();
    let Some((name, pool)) = iter.next() else {
        return Err(whole("no pool defined"));
    };
    let pool_name = scalar_text(name).unwrap_or_default();
    let mut warnings = Vec::new();
    let others: Vec<String> = iter.filter_map(|(k, _)| scalar_text(k)).collect();
    if !others.is_empty() {
        warnings.push(format!(
            "only the first pool (\"{pool_name}\") is imported; ignored pools: {}",
            others.join(", ")
        ));
    }
    let Value::Mapping(pool) = pool else {
        return Err(whole(&format!(
            "pool \"{pool_name}\" is not a mapping of settings"
        )));
    };
    let pool_at = text.find(&format!("{pool_name}:")).unwrap_or(0);
    let cfg = convert(pool, &mut warnings).map_err(|(key, message)| {
        let at = find_yaml_key(text, pool_at, &key, None);
        ConfigError::located(path, text, at, format!("{key}: {message}"))
    })?;
    cfg.validate().map_err(|e| {
        let key = if e.key == "backend_password" {
            "redis_auth"
        } else {
            e.key.as_str()
        };
        let at = find_yaml_key(text, pool_at, key, e.item.as_deref());
        ConfigError::located(path, text, at, format!("{key}: {}", e.message))
    })?;
    Ok((cfg, warnings))
}

/// Copies one pool's settings; on a value of the wrong type returns `(key, what is wrong)`.
fn convert(pool: &Mapping, warnings: &mut Vec<String>) -> Result<ProxyConfig, (String, String)> {
    let mut cfg = ProxyConfig::default();
    let mut redis = false;
    let mut timeout_set = false;
    for (k, v) in pool {
        let key = scalar_text(k).unwrap_or_default();
        let fail = |what: &str| (key.clone(), format!("expected {what}, got {}", describe(v)));
        match key.as_str() {
            "listen" => cfg.listen = scalar_text(v).ok_or_else(|| fail("an address"))?,
            "hash" => cfg.hash = scalar_text(v).ok_or_else(|| fail("a hash name"))?,
            "hash_tag" => cfg.hash_tag = scalar_text(v).ok_or_else(|| fail("a string"))?,
            "distribution" => cfg.distribution = scalar_text(v).ok_or_else(|| fail("a name"))?,
            "redis_auth" => {
                cfg.backend_password = Some(scalar_text(v).ok_or_else(|| fail("a string"))?)
            }
            "timeout" => {
                cfg.timeout = v.as_u64().ok_or_else(|| fail("milliseconds"))?;
                timeout_set = true;
            }
            "server_connections" => {
                cfg.server_connections = small(v).ok_or_else(|| fail("a count"))?
            }
            "server_retry_timeout" => {
                cfg.server_retry_timeout = v.as_u64().ok_or_else(|| fail("milliseconds"))?
            }
            "server_failure_limit" => {
                cfg.server_failure_limit = small(v).ok_or_else(|| fail("a count"))?
            }
            "auto_eject_hosts" => {
                cfg.auto_eject_hosts = v.as_bool().ok_or_else(|| fail("true or false"))?
            }
            "preconnect" => cfg.preconnect = v.as_bool().ok_or_else(|| fail("true or false"))?,
            "redis" => redis = v.as_bool().ok_or_else(|| fail("true or false"))?,
            "servers" => {
                let list = v.as_sequence().ok_or_else(|| fail("a list of servers"))?;
                cfg.servers = list
                    .iter()
                    .map(|s| scalar_text(s).map(|t| t.trim().to_string()))
                    .collect::<Option<_>>()
                    .ok_or_else(|| fail("a list of \"host:port:weight [name]\" strings"))?;
            }
            "redis_db" => match v.as_i64() {
                Some(0) => {}
                Some(db) => warnings.push(format!(
                    "redis_db: {db} ignored: ringcache always uses database 0 on backends"
                )),
                None => return Err(fail("a database number")),
            },
            "backlog" => warnings.push(
                "backlog: ignored: ringcache uses the operating system's default listen backlog"
                    .to_string(),
            ),
            "client_connections" => warnings.push(format!(
                "client_connections: ignored: use maxclients (default {}) instead",
                cfg.maxclients
            )),
            "tcpkeepalive" => warnings.push(
                "tcpkeepalive: ignored: ringcache does not set TCP keepalive on connections"
                    .to_string(),
            ),
            _ => warnings.push(format!("{key}: unknown key, ignored")),
        }
    }
    if !redis {
        warnings.push(
            "redis: the pool is a memcached pool (redis is false or unset); ringcache speaks \
             only the Redis protocol and imports it as a Redis pool"
                .to_string(),
        );
    }
    if !timeout_set {
        warnings.push(format!(
            "timeout: unset, so twemproxy waits forever; ringcache uses its default of {} ms",
            cfg.timeout
        ));
    }
    Ok(cfg)
}

/// Strings as is; numbers and booleans as written (twemproxy reads every value as text).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn small(v: &Value) -> Option<u32> {
    v.as_u64().and_then(|n| u32::try_from(n).ok())
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("\"{s}\""),
        Value::Sequence(_) => "a list".to_string(),
        Value::Mapping(_) => "a mapping".to_string(),
        Value::Tagged(_) => "a tagged value".to_string(),
    }
}

/// Byte offset of `key:` inside the pool starting at `pool_at` (or of `item` in its value).
fn find_yaml_key(text: &str, pool_at: usize, key: &str, item: Option<&str>) -> Option<usize> {
    let mut lines = text[pool_at..].split_inclusive('\n');
    let mut offset = pool_at + lines.next()?.len();
    for line in lines {
        let line_at = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent == 0 && !trimmed.trim().is_empty() && !trimmed.starts_with('#') {
            return None; // the next pool
        }
        if trimmed
            .strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
        {
            let key_at = line_at + indent;
            return Some(match item.and_then(|i| text[key_at..].find(i)) {
                Some(hit) => key_at + hit,
                None => key_at,
            });
        }
    }
    None
}

fn yaml_error(path: &str, e: &serde_norway::Error) -> ConfigError {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    };
    match e.location() {
        Some(loc) => ConfigError::At {
            path: path.to_string(),
            line: loc.line(),
            col: loc.column(),
            message,
        },
        None => ConfigError::Whole {
            path: path.to_string(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("testdata/nutcracker.yml");

    fn err(text: &str) -> String {
        from_nutcracker_yaml(text).unwrap_err().to_string()
    }

    #[test]
    fn imports_the_first_pool_of_twemproxys_example() {
        let (cfg, warnings) = from_nutcracker_yaml(EXAMPLE).unwrap();
        assert_eq!(
            cfg,
            ProxyConfig {
                listen: "127.0.0.1:22121".to_string(),
                auto_eject_hosts: true,
                server_retry_timeout: 2000,
                server_failure_limit: 1,
                servers: vec!["127.0.0.1:6379:1".to_string()],
                ..ProxyConfig::default()
            }
        );
        assert_eq!(
            warnings,
            [
                "only the first pool (\"alpha\") is imported; ignored pools: beta, gamma, delta, \
                 omega",
                "timeout: unset, so twemproxy waits forever; ringcache uses its default of 1000 ms",
            ]
        );
    }

    #[test]
    fn debian_copy_imports_the_same_when_installed() {
        let path = "/usr/share/doc/nutcracker/examples/nutcracker.yml";
        if std::path::Path::new(path).exists() {
            assert_eq!(
                load_nutcracker(path).unwrap(),
                from_nutcracker_yaml(EXAMPLE).unwrap()
            );
        }
    }

    #[test]
    fn every_setting_carries_over_or_warns() {
        let text = "beta:\n  listen: 127.0.0.1:22122\n  hash: murmur\n  hash_tag: \"{}\"\n  \
            distribution: modula\n  timeout: 400\n  backlog: 1024\n  preconnect: true\n  \
            redis: true\n  redis_auth: s3cret\n  redis_db: 2\n  client_connections: 100\n  \
            tcpkeepalive: true\n  server_connections: 4\n  auto_eject_hosts: false\n  \
            stats_interval: 5\n  servers:\n   - 127.0.0.1:6380:1 server1\n   - \
            127.0.0.1:6381:2 server2\n";
        let (cfg, warnings) = from_nutcracker_yaml(text).unwrap();
        assert_eq!(
            cfg,
            ProxyConfig {
                listen: "127.0.0.1:22122".to_string(),
                hash: "murmur".to_string(),
                hash_tag: "{}".to_string(),
                distribution: "modula".to_string(),
                timeout: 400,
                preconnect: true,
                backend_password: Some("s3cret".to_string()),
                server_connections: 4,
                servers: vec![
                    "127.0.0.1:6380:1 server1".to_string(),
                    "127.0.0.1:6381:2 server2".to_string()
                ],
                ..ProxyConfig::default()
            }
        );
        assert_eq!(
            warnings,
            [
                "backlog: ignored: ringcache uses the operating system's default listen backlog",
                "redis_db: 2 ignored: ringcache always uses database 0 on backends",
                "client_connections: ignored: use maxclients (default 10000) instead",
                "tcpkeepalive: ignored: ringcache does not set TCP keepalive on connections",
                "stats_interval: unknown key, ignored",
            ]
        );
    }

    #[test]
    fn memcached_pools_import_with_a_warning() {
        let gamma = "gamma:\n  listen: 127.0.0.1:22123\n  timeout: 400\n  servers:\n   \
            - 127.0.0.1:11212:1\n";
        let (cfg, warnings) = from_nutcracker_yaml(gamma).unwrap();
        assert_eq!(cfg.servers, ["127.0.0.1:11212:1"]);
        assert_eq!(
            warnings,
            [
                "redis: the pool is a memcached pool (redis is false or unset); ringcache speaks \
              only the Redis protocol and imports it as a Redis pool"
            ]
        );
    }

    #[test]
    fn errors_point_into_the_yaml() {
        let pool = "alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  timeout: 400\n";
        assert_eq!(
            err(&format!(
                "{pool}  servers:\n   - 127.0.0.1:6379:1\n   - 127.0.0.1:6379:1 b\n"
            )),
            "<nutcracker.yml>:7:6: servers: duplicate server \"127.0.0.1:6379:1 b\": same \
             address as \"127.0.0.1:6379:1\""
        );
        assert_eq!(
            err(&format!(
                "{pool}  hash: sha1\n  servers:\n   - 127.0.0.1:6379:1\n"
            )),
            "<nutcracker.yml>:5:3: hash: unknown hash \"sha1\", expected one of: one_at_a_time, \
             md5, crc16, crc32, crc32a, fnv1_32, fnv1a_32, fnv1_64, fnv1a_64, hsieh, jenkins, \
             murmur"
        );
        assert_eq!(
            err(&format!(
                "{pool}  redis_auth: \"\"\n  servers:\n   - 127.0.0.1:6379:1\n"
            )),
            "<nutcracker.yml>:5:3: redis_auth: must not be empty (remove the key to disable it)"
        );
        assert_eq!(
            err("omega:\n  listen: /tmp/gamma\n  redis: true\n  servers:\n   - 127.0.0.1:1:1\n"),
            "<nutcracker.yml>:2:3: listen: invalid socket address \"/tmp/gamma\" (expected \
             IP:PORT, like 127.0.0.1:6379)"
        );
        assert_eq!(
            err("alpha:\n  server_connections: many\n"),
            "<nutcracker.yml>:2:3: server_connections: expected a count, got \"many\""
        );
        assert_eq!(
            err("alpha:\n  listen: 127.0.0.1:22121\n   hash: md5\n"),
            "<nutcracker.yml>:3:8: mapping values are not allowed in this context"
        );
        assert_eq!(
            err("- 127.0.0.1:6379:1\n"),
            "<nutcracker.yml>: expected a mapping of pool names to pools"
        );
    }
}
