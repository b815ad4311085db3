//! Queries of the housekeeping job: its lease, and the batched deletes of
//! rows nobody needs any more. Each delete takes at most `batch` rows, so a
//! pass never holds a long lock; the indexes of migration
//! `2026-11-30-100000_housekeeping` find them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use super::connection::AnyConnection;
use super::schema::job_leases;

/// Takes or renews the lease on `job` until `until`; false when another
/// holder's lease is still running.
pub fn take_lease(
    conn: &mut AnyConnection,
    job: &str,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(
        job_leases::table.filter(job_leases::name.eq(job)).filter(
            job_leases::expires_at
                .lt(now)
                .or(job_leases::holder.eq(holder)),
        ),
    )
    .set((
        job_leases::holder.eq(holder),
        job_leases::expires_at.eq(until),
    ))
    .execute(conn)?;
    Ok(taken == 1)
}

fn delete_batch(
    conn: &mut AnyConnection,
    sql: &str,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    diesel::sql_query(sql)
        .bind::<Timestamp, _>(cutoff)
        .bind::<BigInt, _>(batch)
        .execute(conn)
}

/// Sent mail whose delivery is older than `cutoff`.
pub fn delete_sent_mail(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    delete_batch(
        conn,
        "DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox \
         WHERE status = 'sent' AND sent_at < $1 LIMIT $2)",
        cutoff,
        batch,
    )
}

/// Dead mail whose last attempt is older than `cutoff`.
pub fn delete_dead_mail(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    delete_batch(
        conn,
        "DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox \
         WHERE status = 'dead' AND next_attempt_at < $1 LIMIT $2)",
        cutoff,
        batch,
    )
}

/// Tombstones of accounts deleted before `cutoff`.
pub fn delete_tombstones(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    delete_batch(
        conn,
        "DELETE FROM deleted_users WHERE user_id IN (SELECT user_id FROM deleted_users \
         WHERE deleted_at < $1 LIMIT $2)",
        cutoff,
        batch,
    )
}

/// One-time tokens used, or expired, before `cutoff`.
pub fn delete_one_time_tokens(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    delete_batch(
        conn,
        "DELETE FROM one_time_tokens WHERE token_hash IN (SELECT token_hash FROM one_time_tokens \
         WHERE used_at < $1 OR expires_at < $1 LIMIT $2)",
        cutoff,
        batch,
    )
}

/// Email sign-in pairs sent before `cutoff`: long dead (they live
/// minutes), and out of the daily cap on wrong codes.
pub fn delete_email_logins(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    delete_batch(
        conn,
        "DELETE FROM email_logins WHERE token_hash IN (SELECT token_hash FROM email_logins \
         WHERE created_at < $1 AND expires_at < $1 LIMIT $2)",
        cutoff,
        batch,
    )
}

/// Second-factor failures from before `cutoff` (out of the daily cap's
/// window).
pub fn delete_mfa_failures(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    delete_batch(
        conn,
        "DELETE FROM mfa_failures WHERE id IN (SELECT id FROM mfa_failures \
         WHERE failed_at < $1 LIMIT $2)",
        cutoff,
        batch,
    )
}

/// Sessions revoked, or expired, before `cutoff`. The caller keeps
/// `cutoff` at least a refresh lifetime back: the restore of revocations
/// into a fresh store reloads the sessions revoked within it.
pub fn delete_sessions(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    delete_batch(
        conn,
        "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
         WHERE revoked_at < $1 OR expires_at < $1 LIMIT $2)",
        cutoff,
        batch,
    )
}
