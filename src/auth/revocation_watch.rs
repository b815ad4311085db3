//! Keeps Redis trustworthy across its own restarts. With `REDIS_URL`, the
//! revoked sessions and "valid after" times that every request checks live
//! in Redis; one restarted empty (or flushed) would let logged-out and
//! reset-revoked tokens work again.
//!
//! Redis holds a generation key while it holds every revocation the
//! database remembers. Without it, the store refuses access checks (the
//! guard answers 503, never a 200 it cannot vouch for). At start, and
//! whenever the key goes missing (checked every second, at once when a
//! request finds it gone, and so also after a reconnect), the revocations
//! are restored from the database with `revocation::restore_into` and the
//! key written again.
//!
//! A revocation or user change the database committed but Redis did not
//! take (it stalled or went away right after the commit) is written again
//! the same way once Redis answers: every revocation from the database,
//! and new versions for the users concerned (issue 28).

use std::sync::Arc;
use std::time::Duration;

use crate::auth::revocation;
use crate::config::Settings;
use crate::db::Db;
use crate::db::user_cache::VERSION_TTL;
use crate::store::{RedisStore, Store};

const CHECK_EVERY: Duration = Duration::from_secs(1);
const ATTEMPTS: usize = 3;

/// Restores the revocations into `store` and seals it; tries again when
/// Redis was flushed while restoring.
pub async fn restore_and_seal(
    db: &Db,
    store: &RedisStore,
    settings: &Settings,
) -> Result<(), String> {
    for _ in 0..ATTEMPTS {
        let marker = store.begin_restore().await.map_err(|e| e.to_string())?;
        revocation::restore_into(db, store, settings).await?;
        if store.seal(&marker).await.map_err(|e| e.to_string())? {
            return Ok(());
        }
    }
    Err(format!(
        "Redis was emptied during each of {ATTEMPTS} restores"
    ))
}

/// Restores now if Redis lacks the generation key (a first start, or Redis
/// lost its data while no instance ran).
pub async fn ensure_sealed(db: &Db, store: &RedisStore, settings: &Settings) -> Result<(), String> {
    if store.is_sealed().await.map_err(|e| e.to_string())? {
        return Ok(());
    }
    restore_and_seal(db, store, settings).await
}

/// Writes again what committed changes failed to write into Redis; what
/// fails again stays marked, for the next round.
async fn republish_missed(db: &Db, store: &RedisStore, settings: &Settings) {
    let (revocations, users) = store.take_missed();
    if revocations {
        match revocation::restore_into(db, store, settings).await {
            Ok(()) => tracing::info!("revocations that had missed Redis are written again"),
            Err(e) => {
                store.miss_revocations();
                tracing::debug!(error = %e, "cannot write missed revocations into Redis yet");
            }
        }
    }
    if !users.is_empty() {
        // A failure marks them again.
        match store.bump_user_versions(&users, VERSION_TTL).await {
            Ok(()) => tracing::info!(
                users = users.len(),
                "user changes that had missed Redis are published again"
            ),
            Err(e) => tracing::debug!(error = %e, "cannot publish missed user changes yet"),
        }
    }
}

/// Watches for Redis losing its data, and restores when it does.
pub fn spawn(db: Db, store: Arc<RedisStore>, settings: Settings) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(CHECK_EVERY) => {}
                () = store.lost() => {}
            }
            republish_missed(&db, &store, &settings).await;
            match store.is_sealed().await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(
                        "Redis lost its generation key (restarted empty or flushed): restoring revocations"
                    );
                    match restore_and_seal(&db, &store, &settings).await {
                        Ok(()) => tracing::info!("revocations restored into Redis"),
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot restore revocations yet; will retry");
                            if let Err(e) = store.renew().await {
                                tracing::debug!(error = %e, "cannot reconnect to the Redis Cluster yet");
                            }
                        }
                    }
                }
                // Redis is down: checked again once it answers. A cluster
                // connection is renewed meanwhile, so it finds the cluster
                // as it is when it comes back.
                Err(e) => {
                    tracing::debug!(error = %e, "cannot check the Redis generation");
                    if let Err(e) = store.renew().await {
                        tracing::debug!(error = %e, "cannot reconnect to the Redis Cluster yet");
                    }
                }
            }
        }
    });
}
