//! Users as `/v1/me` and refresh read them, cached in the process (what
//! Keycloak's user cache does). An entry is used only while the user's
//! version in the store is the one it was loaded under; every committed
//! change gives the user a new version (see [`super::changes`]), so no
//! instance serves a user as they were before a change it did not make.
//!
//! The version is read before the database (in the same store round trip
//! as the revocation check), so an entry loaded while a change was being
//! committed carries the old version and is reloaded next time. Versions
//! are random, never counted: a Redis that lost its data cannot hand out a
//! version an instance has cached. Entries also expire after
//! [`ENTRY_TTL`], which bounds what a change made outside the server (the
//! CLI, with the in-process store) can leave stale.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::models::UserRow;
use crate::store::{Store, StoreError};

/// A user's row and role names.
pub type LoadedUser = Arc<(UserRow, Vec<String>)>;

/// How long an entry may be used at most.
pub const ENTRY_TTL: Duration = Duration::from_secs(30);
/// How long the store keeps a user's version: far longer than any entry
/// lives, so a version that lapses has no entry left to match.
pub const VERSION_TTL: Duration = Duration::from_secs(24 * 3600);
const ENTRIES: u64 = 10_000;

pub struct UserCache {
    entries: moka::sync::Cache<String, (Option<i64>, LoadedUser)>,
    store: OnceLock<Arc<dyn Store>>,
}

impl Default for UserCache {
    fn default() -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(ENTRIES)
                .time_to_live(ENTRY_TTL)
                .build(),
            store: OnceLock::new(),
        }
    }
}

impl UserCache {
    /// Where versions live; until attached, changes are only forgotten here.
    pub fn attach(&self, store: Arc<dyn Store>) {
        let _ = self.store.set(store);
    }

    /// The cached user, if it was loaded under `version`.
    pub fn get(&self, user_id: &str, version: Option<i64>) -> Option<LoadedUser> {
        self.entries
            .get(user_id)
            .filter(|(at, _)| *at == version)
            .map(|(_, user)| user)
    }

    pub fn put(&self, user_id: &str, version: Option<i64>, user: LoadedUser) {
        self.entries.insert(user_id.to_owned(), (version, user));
    }

    /// Forgets the users here and gives them new versions in the store.
    pub async fn changed(&self, user_ids: &[String]) -> Result<(), StoreError> {
        for id in user_ids {
            self.entries.invalidate(id);
        }
        match self.store.get() {
            Some(store) => store.bump_user_versions(user_ids, VERSION_TTL).await,
            None => Ok(()),
        }
    }
}
