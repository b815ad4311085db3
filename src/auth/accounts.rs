//! The caller's own account: reading it, renaming it, deleting it.

use crate::api_types::User;
use crate::auth::audit::{Event, EventType, RequestContext};
use crate::auth::revocation::Revoker;
use crate::auth::{admin, text};
use crate::db::{Db, now, sessions, users};
use crate::error::ApiError;

/// The caller's account; 401 when it no longer exists (a valid token of a
/// deleted user).
/// The caller's account; `version` is the user's cache version from the
/// caller's access check.
pub async fn view(db: &Db, user_id: &str, version: Option<i64>) -> Result<User, ApiError> {
    let user = db
        .user(user_id, version)
        .await?
        .ok_or(ApiError::NotFound("no such user"))
        .map_err(gone_is_unauthorized)?;
    let (row, roles) = user.as_ref();
    Ok(User::from_row(row, roles.clone()))
}

/// Sets (or, with None or blank, clears) the display name.
pub async fn rename(db: &Db, user_id: &str, raw: Option<&str>) -> Result<User, ApiError> {
    let name =
        text::parse_display_name(raw).map_err(|m| ApiError::validation("display_name", m))?;
    let id = user_id.to_owned();
    db.transaction(move |conn| {
        users::set_display_name(conn, &id, name.as_deref(), now())?;
        crate::auth::users::view(conn, &id)
    })
    .await
    .map_err(gone_is_unauthorized)
}

fn gone_is_unauthorized(e: ApiError) -> ApiError {
    match e {
        ApiError::NotFound(_) => ApiError::Unauthorized,
        other => other,
    }
}

/// Deletes the account and its sessions, leaving a tombstone so that its
/// tokens stay dead across a restart. The last enabled admin cannot go.
pub async fn delete(
    revoker: Revoker<'_>,
    user_id: &str,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    let id = user_id.to_owned();
    let (audit, ctx) = (revoker.audit.clone(), ctx.clone());
    let (session_ids, at) = revoker
        .db
        .transaction(move |conn| {
            admin::lock_admin_changes(conn)?;
            admin::ensure_another_admin(
                conn,
                &id,
                "the last admin cannot delete their own account",
            )?;
            let at = now();
            let ids = sessions::ids_for_user(conn, &id)?;
            users::insert_tombstone(conn, &id, at)?;
            users::delete(conn, &id)?;
            let event = Event::new(EventType::UserDeleted).by(&id);
            audit.record(conn, &ctx, event.with("sessions_revoked", ids.len()))?;
            Ok((ids, at))
        })
        .await?;
    revoker.publish(&session_ids).await?;
    revoker.publish_valid_after(user_id, at).await
}
