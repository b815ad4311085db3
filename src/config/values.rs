//! Value types that settings are parsed into.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;

/// A configuration variable that could not be used: printed as one line,
/// exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self {
            var,
            message: message.into(),
        }
    }
}

/// `localhost` or a loopback address (an IPv6 one with or without its
/// brackets): where plain `http://` crosses no network.
pub(super) fn is_loopback_host(host: &str) -> bool {
    let ip = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.eq_ignore_ascii_case("localhost") || ip.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file path, or a shared in-memory database name.
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if raw == "sqlite::memory:" || raw == "sqlite://:memory:" {
            // A pool of connections must see one database: a named, shared
            // in-memory database lives as long as one connection is open.
            let name = uuid::Uuid::new_v4().simple().to_string();
            return Ok(Self::Sqlite(format!(
                "file:authd-{name}?mode=memory&cache=shared"
            )));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("a sqlite URL needs a path, e.g. sqlite://./data/authd.db".into());
            }
            return Ok(Self::Sqlite(path.to_owned()));
        }
        Err("expected sqlite://PATH, sqlite::memory: or postgres://…".into())
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// `count` events per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn per_secs(count: u32, secs: u64) -> Self {
        Self {
            count,
            window: Duration::from_secs(secs),
        }
    }
}

impl FromStr for Limit {
    type Err = String;

    /// `30/60s`, `10/1h`, `3/3600` (seconds when no unit).
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (count, window) = raw
            .split_once('/')
            .ok_or_else(|| format!("expected COUNT/WINDOW such as 30/60s, got {raw:?}"))?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("{count:?} is not a whole number"))?;
        let window = parse_duration(window.trim())?;
        if count == 0 || window.is_zero() {
            return Err("count and window must be above zero".into());
        }
        Ok(Self { count, window })
    }
}

/// The forms a duration variable accepts, for error messages.
pub const DURATION_FORMS: &str =
    "use whole seconds (900) or a duration such as 90s, 15m, 1h30m or 30d";

/// A duration in whole seconds: plain seconds (`900`) or a human duration
/// (`15m`, `1h30m`, `30d`, as `humantime` reads them).
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| format!("{raw:?} is too large a number of seconds"));
    }
    let value = humantime::parse_duration(raw)
        .map_err(|e| format!("{raw:?} is not a duration ({e}); {DURATION_FORMS}"))?;
    if value.subsec_nanos() != 0 {
        return Err(format!(
            "{raw:?} is not a whole number of seconds; {DURATION_FORMS}"
        ));
    }
    Ok(value)
}

pub fn parse_cidr(raw: &str) -> Result<IpNet, String> {
    raw.parse::<IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{raw:?} is not an IP address or CIDR"))
}

/// Where the shared store lives: one Redis server, or a Redis Cluster.
#[derive(Clone, PartialEq, Eq)]
pub enum RedisUrl {
    /// `redis://…`, `rediss://…` or `unix://…`, as the redis crate reads it.
    Server(String),
    /// `redis+cluster://[user:password@]host:port,host:port,…` (or
    /// `rediss+cluster://` for TLS): the nodes to discover the cluster from,
    /// each as a `redis://` (or `rediss://`) URL carrying the credentials.
    Cluster { nodes: Vec<String>, tls: bool },
}

impl RedisUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("redis+sentinel://") || raw.starts_with("rediss+sentinel://") {
            return Err(
                "Redis Sentinel is not supported: use one redis:// server or redis+cluster://"
                    .into(),
            );
        }
        let (tls, rest) = match (
            raw.strip_prefix("redis+cluster://"),
            raw.strip_prefix("rediss+cluster://"),
        ) {
            (Some(rest), _) => (false, rest),
            (_, Some(rest)) => (true, rest),
            _ => {
                return ["redis://", "rediss://", "unix://", "redis+unix://"]
                    .iter()
                    .any(|scheme| raw.starts_with(scheme))
                    .then(|| Self::Server(raw.to_owned()))
                    .ok_or_else(|| {
                        "expected redis://…, rediss://…, or redis+cluster://host:port,host:port"
                            .into()
                    });
            }
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (userinfo, hosts) = match rest.rsplit_once('@') {
            Some((userinfo, hosts)) => (Some(userinfo), hosts),
            None => (None, rest),
        };
        if hosts.contains(['/', '?', '#']) {
            return Err("a cluster URL names only nodes (a cluster has one database, 0)".into());
        }
        let scheme = if tls { "rediss" } else { "redis" };
        let nodes = hosts
            .split(',')
            .map(|node| {
                let (host, port) = node
                    .trim()
                    .rsplit_once(':')
                    .ok_or_else(|| format!("cluster node {node:?} needs host:port"))?;
                if host.is_empty() || port.parse::<u16>().is_err() {
                    return Err(format!("cluster node {node:?} needs host:port"));
                }
                Ok(match userinfo {
                    Some(userinfo) => format!("{scheme}://{userinfo}@{host}:{port}"),
                    None => format!("{scheme}://{host}:{port}"),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self::Cluster { nodes, tls })
    }

    /// Whether connections use TLS (`rediss`).
    pub fn is_tls(&self) -> bool {
        match self {
            Self::Server(url) => url.starts_with("rediss://"),
            Self::Cluster { tls, .. } => *tls,
        }
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster { .. })
    }
}

/// Prints where, never the password.
impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hide = |url: &str| match url.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://***@{host}"),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        };
        match self {
            Self::Server(url) => f.debug_tuple("Server").field(&hide(url)).finish(),
            Self::Cluster { nodes, tls } => f
                .debug_struct("Cluster")
                .field("nodes", &nodes.iter().map(|n| hide(n)).collect::<Vec<_>>())
                .field("tls", tls)
                .finish(),
        }
    }
}
