//! Purges rows nobody needs any more, so the database does not grow
//! forever: sent and dead mail, used and expired one-time tokens, revoked
//! and expired sessions, each after its retention (`AUTH_RETENTION_*`), and
//! audit events after `AUTH_AUDIT_RETENTION_DAYS`.
//!
//! One instance at a time: a pass runs only under the `housekeeping` lease
//! row, which its holder renews each pass and which lapses if it dies.
//! Deletes go in batches, each its own short transaction, and a pass stops
//! early rather than outlive its lease.
//!
//! Sessions are kept at least a refresh lifetime after they were revoked or
//! expired: `auth::revocation::restore_into` reloads the revocations of that
//! window into a fresh store, and a refresh token can live that long.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};

use crate::db::{AnyConnection, Db, housekeeping as queries, now, ssf_outbox, webhook_outbox};
use crate::error::ApiError;
use crate::state::AppState;

const JOB: &str = "housekeeping";
const BATCH: i64 = 500;

/// What one pass deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sent_mail: usize,
    pub dead_mail: usize,
    pub one_time_tokens: usize,
    pub sessions: usize,
    /// Tombstones of deleted accounts, kept a refresh lifetime (their
    /// tokens have expired by then).
    pub tombstones: usize,
    /// Audit events older than `AUTH_AUDIT_RETENTION_DAYS`.
    pub audit_events: usize,
    /// Delivered and dead webhook rows, kept as long as dead mail.
    pub webhooks: usize,
    /// Delivered and dead Shared Signals pushes, kept as long as dead mail.
    pub ssf_pushes: usize,
    /// Second-factor failures older than the daily cap's 24 hours.
    pub mfa_failures: usize,
    /// Email sign-in pairs older than the daily cap's 24 hours.
    pub email_logins: usize,
}

pub fn spawn(state: Arc<AppState>) {
    let holder = uuid::Uuid::new_v4().to_string();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(state.settings.housekeeping.interval).await;
            match run_once(&state, &holder).await {
                Ok(Some(purged)) if purged != Purged::default() => {
                    tracing::info!(?purged, "housekeeping purged old rows");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping pass failed; will retry"),
            }
        }
    });
}

/// `span` before `at` (1970 for absurd spans: nothing matches).
fn ago(at: NaiveDateTime, span: Duration) -> NaiveDateTime {
    TimeDelta::from_std(span)
        .ok()
        .and_then(|d| at.checked_sub_signed(d))
        .unwrap_or(chrono::DateTime::UNIX_EPOCH.naive_utc())
}

/// `span` after `at` (spans are at most a day here).
fn after(at: NaiveDateTime, span: Duration) -> NaiveDateTime {
    TimeDelta::from_std(span)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(at)
}

/// The lease of one pass: twice the interval, between a minute and a day.
fn lease_for(interval: Duration) -> Duration {
    interval
        .saturating_mul(2)
        .clamp(Duration::from_secs(60), Duration::from_secs(86_400))
}

/// One pass, if this instance holds the lease (None when another does).
pub async fn run_once(state: &AppState, holder: &str) -> Result<Option<Purged>, ApiError> {
    let settings = &state.settings.housekeeping;
    let lease = lease_for(settings.interval);
    let me = holder.to_owned();
    let taken = state
        .db
        .transaction(move |conn| {
            let at = now();
            Ok(queries::take_lease(conn, JOB, &me, at, after(at, lease))?)
        })
        .await?;
    if !taken {
        return Ok(None);
    }
    // Stop well before the lease could lapse under us.
    let stop_at = Instant::now() + lease / 2;
    let at = now();
    let sessions_kept = settings.sessions.max(state.settings.tokens.refresh_ttl);
    let db = &state.db;
    Ok(Some(Purged {
        sent_mail: purge(
            db,
            queries::delete_sent_mail,
            ago(at, settings.sent_mail),
            stop_at,
        )
        .await?,
        dead_mail: purge(
            db,
            queries::delete_dead_mail,
            ago(at, settings.dead_mail),
            stop_at,
        )
        .await?,
        one_time_tokens: purge(
            db,
            queries::delete_one_time_tokens,
            ago(at, settings.one_time_tokens),
            stop_at,
        )
        .await?,
        sessions: purge(
            db,
            queries::delete_sessions,
            ago(at, sessions_kept),
            stop_at,
        )
        .await?,
        tombstones: purge(
            db,
            queries::delete_tombstones,
            ago(at, state.settings.tokens.refresh_ttl),
            stop_at,
        )
        .await?,
        audit_events: purge(
            db,
            crate::db::audit_events::delete_older_than,
            ago(at, state.settings.audit.retention),
            stop_at,
        )
        .await?,
        webhooks: purge(
            db,
            |conn, cutoff, batch| {
                crate::db::outbox::delete_finished(conn, webhook_outbox::TABLE, cutoff, batch)
            },
            ago(at, settings.dead_mail),
            stop_at,
        )
        .await?,
        ssf_pushes: purge(
            db,
            |conn, cutoff, batch| {
                crate::db::outbox::delete_finished(conn, ssf_outbox::TABLE, cutoff, batch)
            },
            ago(at, settings.dead_mail),
            stop_at,
        )
        .await?,
        mfa_failures: purge(
            db,
            queries::delete_mfa_failures,
            ago(at, Duration::from_secs(24 * 3600)),
            stop_at,
        )
        .await?,
        email_logins: purge(
            db,
            queries::delete_email_logins,
            ago(at, Duration::from_secs(24 * 3600)),
            stop_at,
        )
        .await?,
    }))
}

type DeleteBatch = fn(&mut AnyConnection, NaiveDateTime, i64) -> diesel::QueryResult<usize>;

async fn purge(
    db: &Db,
    delete: DeleteBatch,
    cutoff: NaiveDateTime,
    stop_at: Instant,
) -> Result<usize, ApiError> {
    let mut total = 0;
    while Instant::now() < stop_at {
        let deleted = db
            .transaction(move |conn| Ok(delete(conn, cutoff, BATCH)?))
            .await?;
        total += deleted;
        if deleted < BATCH as usize {
            break;
        }
        // Let requests have the database between batches.
        tokio::task::yield_now().await;
    }
    Ok(total)
}
