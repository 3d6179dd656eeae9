//! HELLO, AUTH and SELECT argument handling shared by the node and the proxy, so both
//! greet clients with identical replies and error texts.

use super::args::{eq_ignore_case, parse_i64};
use crate::protocol::{errors, Reply};
use bytes::Bytes;

/// The Redis version both roles report: clients gate features on it.
pub const REDIS_VERSION: &str = "7.0.15";

/// A parsed HELLO.
#[derive(Debug, Default)]
pub struct Hello {
    /// Requested protocol version (2 or 3), if given.
    pub version: Option<u8>,
    /// `SETNAME name`.
    pub setname: Option<Bytes>,
}

/// Parse HELLO's arguments (`args[0]` is `HELLO`): the options taken, and `Err` with
/// the reply text if one failed.
///
/// Options are taken in order, as Redis 7.0 does: each `AUTH user pass` is checked by
/// `auth` when it is reached (so `HELLO 3 AUTH default secret BOGUS` authenticates and
/// then fails on `BOGUS`), and a SETNAME is taken when it is reached — its name holds
/// even if a later option fails or the client is not authenticated (redis-server 7.0.15
/// sets it there and then), so callers apply `setname` whatever the result.
pub fn parse_hello(
    args: &[Bytes],
    mut auth: impl FnMut(&[u8], &[u8]) -> Result<(), &'static str>,
) -> (Hello, Result<(), Vec<u8>>) {
    let mut h = Hello::default();
    let mut j = 1;
    if args.len() >= 2 {
        match parse_i64(&args[1]) {
            None => {
                let e = b"ERR Protocol version is not an integer or out of range";
                return (h, Err(e.to_vec()));
            }
            Some(v) if !(2..=3).contains(&v) => {
                return (h, Err(b"NOPROTO unsupported protocol version".to_vec()))
            }
            Some(v) => h.version = Some(v as u8),
        }
        j = 2;
    }
    while j < args.len() {
        let more = args.len() - 1 - j;
        if eq_ignore_case(&args[j], "auth") && more >= 2 {
            if let Err(e) = auth(&args[j + 1], &args[j + 2]) {
                return (h, Err(e.as_bytes().to_vec()));
            }
            j += 3;
        } else if eq_ignore_case(&args[j], "setname") && more >= 1 {
            if let Err(e) = validate_client_name(&args[j + 1]) {
                return (h, Err(e.as_bytes().to_vec()));
            }
            h.setname = Some(args[j + 1].clone());
            j += 2;
        } else {
            let e = errors::with_arg("ERR Syntax error in HELLO option '", &args[j], "'");
            return (h, Err(e));
        }
    }
    (h, Ok(()))
}

/// The error HELLO gives a client that is not authenticated, in redis-server 7.0.15's
/// words.
pub const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";

/// CLIENT SETNAME's (and HELLO SETNAME's) rule: no spaces, newlines or other special
/// characters.
pub fn validate_client_name(name: &[u8]) -> Result<(), &'static str> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    Ok(())
}

/// Which attribute CLIENT SETINFO sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibAttr {
    /// `lib-name`.
    Name,
    /// `lib-ver`.
    Version,
}

/// CLIENT SETINFO's checks (Redis 7.2's, with its error texts): the attribute is
/// `lib-name` or `lib-ver`, and the value has no spaces or special characters.
pub fn check_setinfo(attr: &[u8], value: &[u8]) -> Result<LibAttr, Vec<u8>> {
    let which = if eq_ignore_case(attr, "lib-name") {
        LibAttr::Name
    } else if eq_ignore_case(attr, "lib-ver") {
        LibAttr::Version
    } else {
        return Err(errors::with_arg("ERR Unrecognized option '", attr, "'"));
    };
    if value.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(errors::with_arg(
            "ERR ",
            attr,
            " cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(which)
}

/// Write HELLO's reply map (after `out.resp3` is set to the new protocol).
pub fn write_hello_reply(out: &mut Reply, client_id: u64) {
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(if out.resp3 { 3 } else { 2 });
    out.bulk(b"id");
    out.int(client_id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
}

/// Check credentials the way Redis's default user does with `requirepass`.
/// `user = None` is the one-argument `AUTH password` form. `Err` is the reply text.
pub fn check_password(
    required: Option<&[u8]>,
    user: Option<&[u8]>,
    pass: &[u8],
) -> Result<(), &'static str> {
    if user.is_some_and(|u| u != b"default") {
        return Err(errors::WRONGPASS);
    }
    match required {
        None if user.is_none() => Err(errors::AUTH_NOT_CONFIGURED),
        None => Ok(()),
        Some(p) if p == pass => Ok(()),
        Some(_) => Err(errors::WRONGPASS),
    }
}

/// SELECT index: `Ok` for database 0, the only one there is, else Redis's error. Redis
/// reads the index as a C int first, so an index outside that range gets its range
/// error rather than the database one.
pub fn check_select(index: &[u8]) -> Result<(), &'static str> {
    match parse_i64(index) {
        None => Err(errors::NOT_INTEGER),
        Some(0) => Ok(()),
        Some(n) if i32::try_from(n).is_err() => {
            Err("ERR value is out of range, value must between -2147483648 and 2147483647")
        }
        Some(_) => Err(errors::DB_OUT_OF_RANGE),
    }
}
