//! What every source format is read into: [`Record`]s with their place
//! in the file, and the helpers the readers share.

use chrono::{DateTime, NaiveDateTime};

/// The formats `authd import --format` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Authd,
    Supabase,
    Firebase,
    Auth0,
    Keycloak,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authd => "authd",
            Self::Supabase => "supabase",
            Self::Firebase => "firebase",
            Self::Auth0 => "auth0",
            Self::Keycloak => "keycloak",
        }
    }
}

/// One user as a source gave it, before authd's checks.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Record {
    /// The source's id: kept when it is a UUID.
    pub source_id: Option<String>,
    pub email: String,
    pub email_verified: bool,
    /// A hash in a form `password::schemes::import` reads; None: no password.
    pub password_hash: Option<String>,
    /// None: the default role.
    pub roles: Option<Vec<String>>,
    pub display_name: Option<String>,
    pub disabled: bool,
    pub created_at: Option<NaiveDateTime>,
    pub identities: Vec<Identity>,
    pub locale: Option<String>,
}

/// A provider identity: social logins keep working after the move.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
}

/// A record, or why the source's entry cannot be one, with where it was:
/// "line N" for line formats, "user N" (1-based, in `users[]`) for the
/// JSON documents.
pub struct Entry {
    pub position: String,
    pub record: Result<Record, String>,
}

/// Why a whole file cannot be read (not one entry of it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

/// The lines of a JSON Lines file, blank ones skipped, numbered from 1.
pub(super) fn json_lines<T: serde::de::DeserializeOwned>(
    content: &str,
    to_record: impl Fn(T) -> Result<Record, String>,
) -> Vec<Entry> {
    content
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| Entry {
            position: format!("line {}", i + 1),
            record: serde_json::from_str::<T>(line)
                .map_err(|e| format!("malformed line: {e}"))
                .and_then(&to_record),
        })
        .collect()
}

/// A time as sources write it: RFC 3339, PostgreSQL's text form
/// (`2024-01-15 10:23:45.123456+00`), or milliseconds since the epoch.
pub(super) fn parse_time(raw: &str) -> Result<NaiveDateTime, String> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(crate::db::truncate(t.naive_utc()));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(raw, format) {
            return Ok(crate::db::truncate(t.naive_utc()));
        }
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f") {
        return Ok(crate::db::truncate(t));
    }
    raw.parse::<i64>()
        .ok()
        .and_then(millis)
        .ok_or_else(|| format!("unreadable time {raw:?}"))
}

pub(super) fn millis(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|t| t.naive_utc())
}

/// The OpenID issuer of a provider as Firebase, Auth0 and Keycloak name
/// them; other names are kept as they are (such an identity works once a
/// provider with that issuer is configured).
pub(super) fn issuer_of(provider: &str) -> String {
    match provider {
        "google.com" | "google-oauth2" | "google" => "https://accounts.google.com".into(),
        "apple.com" | "apple" => "https://appleid.apple.com".into(),
        "github.com" | "github" => "https://github.com".into(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_source_spelling() {
        let want =
            NaiveDateTime::parse_from_str("2024-01-15 10:23:45.123456", "%Y-%m-%d %H:%M:%S%.f")
                .unwrap();
        for raw in [
            "2024-01-15T10:23:45.123456Z",
            "2024-01-15 10:23:45.123456+00",
            "2024-01-15 12:23:45.123456+02:00",
        ] {
            assert_eq!(parse_time(raw).unwrap(), want, "{raw}");
        }
        assert_eq!(
            parse_time("1508893925000").unwrap().and_utc().timestamp(),
            1_508_893_925
        );
    }
}
