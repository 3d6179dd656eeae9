//! Backend server lines in twemproxy's `host:port:weight [name]` form.
//!
//! We keep twemproxy's spelling so `servers:` lists can be pasted from a `nutcracker.yml`, and
//! its identity rule (a server is known on the ring by its name if it has one, else by
//! `host:port`) so keys land on the same backends as they did behind twemproxy.

use std::collections::HashMap;

use super::ValidationError;

/// One parsed `servers` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerSpec {
    /// Host name or IP, as written (IPv6 keeps its brackets: `[::1]`).
    pub host: String,
    /// TCP port, 1..=65535.
    pub port: u16,
    /// Relative share of the keyspace, at least 1.
    pub weight: u32,
    /// Optional name; when present the ring hashes it instead of the address.
    pub name: Option<String>,
}

impl ServerSpec {
    /// Parses `host:port:weight [name]`, explaining what is wrong on failure.
    pub fn parse(s: &str) -> Result<ServerSpec, String> {
        const FORM: &str = "expected host:port:weight [name], like \"127.0.0.1:6379:1 cache1\"";
        let mut words = s.split_whitespace();
        let addr = words.next().ok_or(FORM)?;
        let name = words.next().map(str::to_string);
        if words.next().is_some() {
            return Err(format!("too many words; {FORM}"));
        }
        let mut parts = addr.rsplitn(3, ':');
        let (weight, port, host) = match (parts.next(), parts.next(), parts.next()) {
            (Some(w), Some(p), Some(h)) if !h.is_empty() => (w, p, h),
            _ => return Err(FORM.to_string()),
        };
        if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
            return Err("an IPv6 host must be in brackets, like [::1]:6379:1".to_string());
        }
        let port = match port.parse::<u16>() {
            Ok(p) if p >= 1 => p,
            _ => return Err(format!("port \"{port}\" must be an integer in 1..65535")),
        };
        let weight = match weight.parse::<u32>() {
            Ok(w) if w >= 1 => w,
            _ => return Err(format!("weight \"{weight}\" must be an integer >= 1")),
        };
        Ok(ServerSpec {
            host: host.to_string(),
            port,
            weight,
            name,
        })
    }

    /// `host:port`, the form used to connect and to refer to an unnamed server.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The text that places this server on the ring (twemproxy's rule): the name if given,
    /// else `host:port`, else just `host` for port 11211 (libmemcached compatibility). The
    /// weight is never part of it.
    pub fn label(&self) -> String {
        match (&self.name, self.port) {
            (Some(n), _) => n.clone(),
            (None, 11211) => self.host.clone(),
            (None, p) => format!("{}:{p}", self.host),
        }
    }
}

impl std::fmt::Display for ServerSpec {
    /// Back to twemproxy's `host:port:weight [name]` form.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.host, self.port, self.weight)?;
        match &self.name {
            Some(n) => write!(f, " {n}"),
            None => Ok(()),
        }
    }
}

/// Parses every entry of the list at `key`, rejecting bad entries and duplicates (same address
/// twice, or same name twice: either would silently give one backend two shares of the ring).
pub(crate) fn check_servers(
    key: &str,
    list: &[String],
) -> Result<Vec<ServerSpec>, ValidationError> {
    if list.is_empty() {
        return Err(ValidationError::new(
            key,
            "must list at least one server (host:port:weight [name])",
        ));
    }
    let mut by_addr: HashMap<String, &str> = HashMap::new();
    let mut by_name: HashMap<String, &str> = HashMap::new();
    let mut specs = Vec::with_capacity(list.len());
    for raw in list {
        let spec = ServerSpec::parse(raw).map_err(|why| {
            ValidationError::item(key, raw, format!("invalid server \"{raw}\": {why}"))
        })?;
        let addr = format!("{}:{}", spec.host.to_ascii_lowercase(), spec.port);
        if let Some(first) = by_addr.insert(addr, raw) {
            return Err(ValidationError::item(
                key,
                raw,
                format!("duplicate server \"{raw}\": same address as \"{first}\""),
            ));
        }
        if let Some(name) = &spec.name {
            if let Some(first) = by_name.insert(name.clone(), raw) {
                return Err(ValidationError::item(
                    key,
                    raw,
                    format!("duplicate server \"{raw}\": same name as \"{first}\""),
                ));
            }
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// Finds the server a reference names: its `name`, its `host:port`, or its whole entry.
pub(crate) fn find_server<'a>(
    specs: &'a [ServerSpec],
    list: &[String],
    reference: &str,
) -> Option<&'a ServerSpec> {
    specs.iter().zip(list).find_map(|(spec, raw)| {
        let hit = spec.name.as_deref() == Some(reference)
            || spec.addr().eq_ignore_ascii_case(reference)
            || raw == reference;
        hit.then_some(spec)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_twemproxy_forms() {
        assert_eq!(
            ServerSpec::parse("127.0.0.1:6379:1"),
            Ok(ServerSpec {
                host: "127.0.0.1".into(),
                port: 6379,
                weight: 1,
                name: None
            })
        );
        let named = ServerSpec::parse("cache-a.local:7001:10  alpha").unwrap();
        assert_eq!(named.host, "cache-a.local");
        assert_eq!(named.weight, 10);
        assert_eq!(named.label(), "alpha");
        assert_eq!(named.addr(), "cache-a.local:7001");
        let v6 = ServerSpec::parse("[::1]:6379:2").unwrap();
        assert_eq!(v6.addr(), "[::1]:6379");
        assert_eq!(v6.label(), "[::1]:6379");
    }

    #[test]
    fn explains_bad_entries() {
        let form = "expected host:port:weight [name], like \"127.0.0.1:6379:1 cache1\"";
        assert_eq!(ServerSpec::parse("127.0.0.1:6379"), Err(form.to_string()));
        assert_eq!(ServerSpec::parse(""), Err(form.to_string()));
        assert_eq!(ServerSpec::parse(":6379:1"), Err(form.to_string()));
        assert_eq!(
            ServerSpec::parse("h:0:1"),
            Err("port \"0\" must be an integer in 1..65535".to_string())
        );
        assert_eq!(
            ServerSpec::parse("h:65536:1"),
            Err("port \"65536\" must be an integer in 1..65535".to_string())
        );
        assert_eq!(
            ServerSpec::parse("h:1:0"),
            Err("weight \"0\" must be an integer >= 1".to_string())
        );
        assert_eq!(
            ServerSpec::parse("h:1:1 a b"),
            Err(format!("too many words; {form}"))
        );
        assert_eq!(
            ServerSpec::parse("::1:6379:1"),
            Err("an IPv6 host must be in brackets, like [::1]:6379:1".to_string())
        );
    }

    #[test]
    fn duplicates_are_rejected() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let err = check_servers("servers", &list(&["a:1:1", "b:1:1", "A:1:2"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "servers: duplicate server \"A:1:2\": same address as \"a:1:1\""
        );
        assert_eq!(err.item.as_deref(), Some("A:1:2"));
        let err = check_servers("servers", &list(&["a:1:1 x", "b:1:1 x"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "servers: duplicate server \"b:1:1 x\": same name as \"a:1:1 x\""
        );
        assert!(check_servers("servers", &list(&["a:1:1 x", "a:2:1 y"])).is_ok());
    }

    #[test]
    fn references_resolve_by_name_address_or_entry() {
        let list = vec!["a:1:1 alpha".to_string(), "b:2:1".to_string()];
        let specs = check_servers("servers", &list).unwrap();
        assert_eq!(find_server(&specs, &list, "alpha"), Some(&specs[0]));
        assert_eq!(find_server(&specs, &list, "a:1"), Some(&specs[0]));
        assert_eq!(find_server(&specs, &list, "b:2:1"), Some(&specs[1]));
        assert_eq!(find_server(&specs, &list, "c:3"), None);
    }
}
