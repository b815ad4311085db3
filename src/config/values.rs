//! Value types that settings are parsed into.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;

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

fn parse_duration(raw: &str) -> Result<Duration, String> {
    let (digits, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration such as 60s, 15m or 1h"))?;
    let secs = match unit {
        "" | "s" => value,
        "m" => value * 60,
        "h" => value * 3600,
        "d" => value * 86_400,
        _ => return Err(format!("{raw:?}: unknown unit (use s, m, h or d)")),
    };
    Ok(Duration::from_secs(secs))
}

pub fn parse_cidr(raw: &str) -> Result<IpNet, String> {
    raw.parse::<IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{raw:?} is not an IP address or CIDR"))
}
