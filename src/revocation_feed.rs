//! The revocation feed (API.md §18): what other services need to refuse a
//! revoked session's access token before it expires. Read from the
//! database, which every instance shares and which is what the store is
//! restored from, so every instance serves the same feed; an entry made on
//! one instance is seen by a stream on another at its next poll.
//!
//! A page runs from a cursor. A caught-up cursor is the time of the answer:
//! the next page starts [`REPEAT`] before it, so an entry another instance
//! committed late (with an earlier time) is not skipped; verifiers ignore
//! the repeats. A page cut off at [`PAGE_LIMIT`] gives a cursor that
//! continues exactly where it stopped.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::AnyConnection;
use crate::db::sessions::{self, From, RevokedSession};
use crate::db::users::{self, DeadBefore};

/// Entries in one answer at most.
pub const PAGE_LIMIT: usize = 1000;
/// How far before a caught-up cursor the next page starts.
pub const REPEAT: Duration = Duration::from_secs(5);

/// Where the next page starts; opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// The answer's time: the next page repeats the [`REPEAT`] before it.
    CaughtUp(NaiveDateTime),
    /// The last entry of a page cut off at [`PAGE_LIMIT`].
    Continue(NaiveDateTime),
}

impl Cursor {
    /// None for anything this instance did not write: the full list.
    pub fn parse(raw: &str) -> Option<Self> {
        let (kind, ms) = raw.split_once('.')?;
        let at = DateTime::from_timestamp_millis(ms.parse().ok()?)?.naive_utc();
        match kind {
            "c" => Some(Self::CaughtUp(at)),
            "m" => Some(Self::Continue(at)),
            _ => None,
        }
    }

    pub fn encode(self) -> String {
        match self {
            Self::CaughtUp(at) => format!("c.{}", at.and_utc().timestamp_millis()),
            Self::Continue(at) => format!("m.{}", at.and_utc().timestamp_millis()),
        }
    }
}

/// A revoked session: its access tokens are refused.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevokedSessionEntry {
    pub sid: String,
    pub sub: String,
    pub revoked_at: DateTime<Utc>,
    /// `logout`, `logout_all`, `password_changed`, `password_reset`,
    /// `disabled`, `deleted`, `reuse`, `admin`, `session_limit`, `takeover`.
    pub reason: String,
}

/// A user whose every session started at or before `valid_after` is dead.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ValidAfterEntry {
    pub sub: String,
    pub valid_after: DateTime<Utc>,
}

/// One answer of `GET /v1/revocations`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"sessions": [{"sid": "0193b3c4-6f1e-7d2a-9c1b-2f4e5a6b7c8d",
    "sub": "0193b3c4-5e0d-7c19-8b0a-1e3d4c5b6a79", "revoked_at": "2026-12-07T12:00:00.123Z",
    "reason": "logout"}], "users": [{"sub": "0193b3c4-5e0d-7c19-8b0a-1e3d4c5b6a79",
    "valid_after": "2026-12-07T12:00:01.456Z"}], "cursor": "c.1796644802000",
    "max_age": 905, "has_more": false}))]
pub struct RevocationsPage {
    pub sessions: Vec<RevokedSessionEntry>,
    pub users: Vec<ValidAfterEntry>,
    /// Pass as `since` (or `Last-Event-ID`) to continue.
    pub cursor: String,
    /// Seconds an entry stays listed: the access-token lifetime plus the
    /// verification leeway (older tokens are dead anyway).
    pub max_age: u64,
    /// More entries wait: ask again with `cursor` at once.
    pub has_more: bool,
}

/// One entry in time order (the stream sends them one by one).
#[derive(Debug, Clone)]
pub enum Entry {
    Session(RevokedSessionEntry),
    User(ValidAfterEntry),
}

impl Entry {
    pub fn at(&self) -> NaiveDateTime {
        match self {
            Self::Session(s) => s.revoked_at.naive_utc(),
            Self::User(u) => u.valid_after.naive_utc(),
        }
    }

    /// What tells a repeat from a new entry.
    pub fn key(&self) -> String {
        match self {
            Self::Session(s) => format!("s:{}", s.sid),
            Self::User(u) => format!("u:{}:{}", u.sub, u.valid_after.timestamp_millis()),
        }
    }

    pub fn json(&self) -> String {
        match self {
            Self::Session(s) => serde_json::to_string(s),
            Self::User(u) => serde_json::to_string(u),
        }
        .unwrap_or_default()
    }
}

/// A page of entries in time order.
pub struct Page {
    pub entries: Vec<Entry>,
    pub cursor: Cursor,
    pub has_more: bool,
}

impl Page {
    pub fn into_wire(self, max_age: Duration) -> RevocationsPage {
        let (mut sessions, mut users) = (Vec::new(), Vec::new());
        for entry in self.entries {
            match entry {
                Entry::Session(s) => sessions.push(s),
                Entry::User(u) => users.push(u),
            }
        }
        RevocationsPage {
            sessions,
            users,
            cursor: self.cursor.encode(),
            max_age: max_age.as_secs(),
            has_more: self.has_more,
        }
    }
}

/// Reads the page after `cursor` (None: the whole window), as of `now`.
pub fn read(
    conn: &mut AnyConnection,
    cursor: Option<Cursor>,
    now: NaiveDateTime,
    max_age: Duration,
    limit: usize,
) -> diesel::QueryResult<Page> {
    let oldest = now - TimeDelta::from_std(max_age).unwrap_or(TimeDelta::MAX);
    let repeat = TimeDelta::from_std(REPEAT).unwrap_or_default();
    let from = match cursor {
        Some(Cursor::CaughtUp(at)) => From::At((at - repeat).max(oldest)),
        Some(Cursor::Continue(at)) if at >= oldest => From::At(at),
        _ => From::At(oldest),
    };
    let mut page = assemble(conn, from, now, limit)?;
    // Every entry of a cut-off page at one time: starting at that time
    // again would give the same page; go past it.
    if let (From::At(at), Some(first), Some(last)) =
        (from, page.entries.first(), page.entries.last())
        && page.has_more
        && first.at() == at
        && last.at() == at
    {
        page = assemble(conn, From::After(at), now, limit)?;
    }
    Ok(page)
}

fn assemble(
    conn: &mut AnyConnection,
    from: From,
    now: NaiveDateTime,
    limit: usize,
) -> diesel::QueryResult<Page> {
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
    let sessions = sessions::sessions_from(conn, from, fetch)?;
    let users = users::dead_before_from(conn, from, fetch)?;
    let mut entries: Vec<Entry> = sessions
        .into_iter()
        .map(session_entry)
        .chain(users.into_iter().map(user_entry))
        .collect();
    entries.sort_by_key(Entry::at);
    let has_more = entries.len() > limit;
    entries.truncate(limit);
    let cursor = match entries.last() {
        Some(last) if has_more => Cursor::Continue(last.at()),
        _ => Cursor::CaughtUp(now),
    };
    Ok(Page {
        entries,
        cursor,
        has_more,
    })
}

fn session_entry(s: RevokedSession) -> Entry {
    Entry::Session(RevokedSessionEntry {
        sid: s.sid,
        sub: s.sub,
        revoked_at: s.at.and_utc(),
        // Revoked before the feed existed (no reason recorded).
        reason: s.reason.unwrap_or_else(|| "logout".to_owned()),
    })
}

fn user_entry(u: DeadBefore) -> Entry {
    Entry::User(ValidAfterEntry {
        sub: u.sub,
        valid_after: u.at.and_utc(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_mean_the_full_list() {
        let at = DateTime::from_timestamp_millis(1_796_644_802_123)
            .map(|t| t.naive_utc())
            .unwrap_or_default();
        for cursor in [Cursor::CaughtUp(at), Cursor::Continue(at)] {
            assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        }
        for raw in [
            "",
            "c.",
            "x.1",
            "c.abc",
            "1796644802123",
            "c.99999999999999999999",
        ] {
            assert_eq!(Cursor::parse(raw), None, "{raw}");
        }
    }
}
