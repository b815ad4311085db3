//! The store's trait and the types and keys both implementations share.

use std::time::Duration;

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
#[error("store unavailable: {0}")]
pub struct StoreError(pub String);

impl From<StoreError> for crate::error::ApiError {
    fn from(e: StoreError) -> Self {
        tracing::warn!(error = %e, "store call failed");
        Self::ServiceUnavailable("store")
    }
}

/// What the store knows about an access token's session and user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccessState {
    pub session_revoked: bool,
    /// Sessions started (unix milliseconds, from their UUIDv7 id) at or
    /// before this are dead.
    pub valid_after_ms: Option<i64>,
    /// The user's cache version: an opaque value that changes whenever the
    /// user's row or roles change (see `auth::user_cache`). `None` until
    /// the first change the store remembers.
    pub user_version: Option<i64>,
}

/// The outcome of spending a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    /// This call spent it: go on and rotate.
    Fresh,
    /// It was spent before, at this time (unix milliseconds).
    AlreadySpent { at_ms: i64 },
}

/// The answer of [`Store::reserve_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Granted,
    /// Too many failures; they reset in this long.
    Locked {
        reset_in: Duration,
    },
    /// Too many attempts still being judged; try again in a moment.
    Busy,
}

/// A counter in a window: its value after this call and the seconds left
/// until it resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub count: u64,
    pub reset_in: Duration,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Which backend this is, for `/readyz` and logs.
    fn kind(&self) -> &'static str;

    async fn ping(&self) -> Result<(), StoreError>;

    /// Whether spent refresh tokens are marked here (the shared denylist of
    /// API.md §2). The in-process store does not: one instance has one
    /// database, whose session rows already settle every rotation.
    fn keeps_denylist(&self) -> bool {
        true
    }

    /// Revocation state of a session and its user, in one round trip.
    async fn access_state(
        &self,
        session_id: &str,
        user_id: &str,
    ) -> Result<AccessState, StoreError>;

    /// What a refresh needs from the store, in one round trip: the access
    /// state and, when the store keeps the denylist, the outcome of
    /// spending `jti` (`None` when it does not).
    async fn refresh_state(
        &self,
        session_id: &str,
        user_id: &str,
        jti: &str,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<(AccessState, Option<Spend>), StoreError>;

    /// Takes back the spend of `jti` that a call at `now_ms` made
    /// ([`Store::refresh_state`] or [`Store::spend_refresh`] answering
    /// `Fresh`), when the rotation it was for never committed: a refresh
    /// that failed (503) leaves the token as it was. Only a mark that still
    /// holds `now_ms` is removed, so a later spend stays. The session row
    /// still settles any rotation that did commit, so removing a mark never
    /// lets a token be used twice.
    async fn unspend_refresh(&self, jti: &str, now_ms: i64) -> Result<(), StoreError>;

    /// Gives each user a new cache version, so every instance reloads
    /// them (called after a change to their row or roles is committed).
    async fn bump_user_versions(
        &self,
        user_ids: &[String],
        ttl: Duration,
    ) -> Result<(), StoreError>;

    async fn revoke_sessions(
        &self,
        session_ids: &[String],
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// Raises the user's "valid after" time (never lowers it).
    async fn set_valid_after(
        &self,
        user_id: &str,
        unix_ms: i64,
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// Atomically marks refresh token `jti` as spent at `now_ms`, or reports
    /// when it was spent first.
    async fn spend_refresh(
        &self,
        jti: &str,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<Spend, StoreError>;

    /// Fixed window: increments `key`, starting a `window` on the first hit.
    async fn hit_window(&self, key: &str, window: Duration) -> Result<Counter, StoreError>;

    /// Increments `key` and (re)sets its expiry to `ttl` from now, so the
    /// count lasts `ttl` after the latest hit.
    async fn hit_extend(&self, key: &str, ttl: Duration) -> Result<Counter, StoreError>;

    /// Atomically: `Locked` when counter `failures` has reached `limit`;
    /// `Busy` when `failures` plus counter `in_flight` has; otherwise adds
    /// one to `in_flight` (expiring `in_flight_ttl` from now) and grants.
    async fn reserve_attempt(
        &self,
        failures: &str,
        in_flight: &str,
        limit: u64,
        in_flight_ttl: Duration,
    ) -> Result<Attempt, StoreError>;

    /// Takes one back from a live counter (never below zero), keeping its
    /// expiry.
    async fn give_back(&self, key: &str) -> Result<(), StoreError>;

    /// The current value of a counter, if it has not expired.
    async fn counter(&self, key: &str) -> Result<Option<Counter>, StoreError>;

    async fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// Sets `key` to `value` for `ttl` unless it is live already; true when
    /// it was set (an OAuth state, a native login's nonce).
    async fn put_new(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// Keeps `value` under `key` for `ttl`, replacing what was there.
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError>;

    /// Reads and deletes `key` in one step: of racing callers (on any
    /// number of instances) one gets the value, the others `None`.
    async fn take(&self, key: &str) -> Result<Option<String>, StoreError>;
}

/// Store key builders, so every caller spells a key the same way.
///
/// On a Redis Cluster, keys that one Lua script or one pipeline touches
/// must share a hash slot: Redis hashes only the part of a key between the
/// first `{` and the next `}` (a hash tag) when there is one. Session, user
/// and refresh-token keys therefore start with the tag of a bucket (one of
/// [`BUCKETS`], chosen by hashing the id), and each bucket holds its own
/// generation key: a master that restarts empty loses its buckets'
/// generation keys along with their revocations, and the access checks
/// that read them fail closed until the revocations are restored. Callers
/// of `reserve_attempt` tag their two counters alike (see
/// `auth::lockout`). A prefix (`AUTH_REDIS_PREFIX`) must not hold a `{`:
/// its tag would put every key in one slot.
pub mod keys {
    /// How many buckets the keys of sessions, users and refresh tokens are
    /// spread over: enough to spread over many masters evenly, few enough
    /// to check and seal every bucket at once.
    pub const BUCKETS: u32 = 1024;

    /// The bucket of a session, user or token id (FNV-1a, stable across
    /// instances and releases).
    pub fn bucket(id: &str) -> u32 {
        let hash = id.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
            (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
        });
        hash % BUCKETS
    }

    fn tagged(id: &str, what: &str) -> String {
        format!("{{b{}}}:{what}:{id}", bucket(id))
    }

    /// Present while the bucket holds every revocation the database
    /// remembers (see `auth::revocation_watch`).
    pub fn generation(bucket: u32) -> String {
        format!("{{b{bucket}}}:generation")
    }
    /// Written in every bucket when a restore starts.
    pub fn restore_marker(bucket: u32, marker: &str) -> String {
        format!("{{b{bucket}}}:restoring:{marker}")
    }
    pub fn revoked_session(session_id: &str) -> String {
        tagged(session_id, "revoked")
    }
    pub fn valid_after(user_id: &str) -> String {
        tagged(user_id, "valid_after_ms")
    }
    pub fn user_version(user_id: &str) -> String {
        tagged(user_id, "user_version")
    }
    pub fn spent_refresh(jti: &str) -> String {
        tagged(jti, "spent")
    }
    /// A pending WebAuthn ceremony (single use).
    pub fn webauthn_challenge(challenge_id: &str) -> String {
        format!("webauthn:{challenge_id}")
    }
}

/// A fresh user cache version: random, so a store that lost its data and
/// counts again can never hand out a version an instance has cached.
pub(crate) fn new_version() -> i64 {
    rand::random()
}

/// TTLs in whole milliseconds, at least one.
pub(crate) fn ttl_ms(ttl: Duration) -> u64 {
    (ttl.as_millis() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::keys;

    #[test]
    fn buckets_are_stable_and_keys_carry_their_bucket_tag() {
        // Instances of different releases share one Redis: a key's bucket
        // must never change with a release.
        assert_eq!(keys::bucket(""), 0x811c_9dc5 % keys::BUCKETS);
        assert_eq!(keys::bucket("a"), 0xe40c_292c % keys::BUCKETS);
        let user = "01a22dc4-04c9-73fa-8927-2a9c44e3c9f2";
        let tag = format!("{{b{}}}:", keys::bucket(user));
        assert!(keys::valid_after(user).starts_with(&tag));
        assert!(keys::user_version(user).starts_with(&tag));
        assert_eq!(
            keys::generation(keys::bucket(user)),
            format!("{tag}generation")
        );
        assert!(keys::bucket(user) < keys::BUCKETS);
    }
}
