//! Deleting an account.

use crate::auth::{admins, revocation};
use crate::db::{now, sessions, users};
use crate::error::ApiError;
use crate::state::AppState;

/// Deletes the account and its sessions, leaving a tombstone so that its
/// tokens stay dead across a restart. The last enabled admin cannot go.
pub async fn delete(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    let id = user_id.to_owned();
    let (session_ids, at) = state
        .db
        .transaction(move |conn| {
            admins::lock_admin_changes(conn)?;
            admins::ensure_another_admin(
                conn,
                &id,
                "the last admin cannot delete their own account",
            )?;
            let at = now();
            let ids = sessions::ids_for_user(conn, &id)?;
            users::insert_tombstone(conn, &id, at)?;
            users::delete(conn, &id)?;
            Ok((ids, at))
        })
        .await?;
    revocation::publish(state, &session_ids).await?;
    revocation::publish_valid_after(state, user_id, at).await
}
