//! An administrator's view of one user's sessions (ASVS 7.4.5): list them,
//! revoke one, revoke all. Every revocation reaches the store before the
//! answer, so the user's access tokens and refresh tokens stop at once.

use crate::auth::admin::ensure_caller_holds;
use crate::auth::audit::{Event, EventType, RequestContext};
use crate::auth::roles::{Permission, UsersWrite};
use crate::db::models::SessionRow;
use crate::db::sessions::RevokeReason;
use crate::db::{now, sessions, users};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::AccessClaims;

const NO_USER: ApiError = ApiError::NotFound("no such user");

/// The user's live sessions, newest first. 404 for an unknown user.
pub async fn list(
    state: &AppState,
    caller: &AccessClaims,
    user_id: &str,
) -> Result<Vec<SessionRow>, ApiError> {
    let (app, checked, target) = (state.roles.clone(), caller.clone(), user_id.to_owned());
    state
        .db
        .run(move |conn| {
            ensure_caller_holds(&app, conn, &checked, UsersWrite::NAME)?;
            users::find_by_id(conn, &target)?.ok_or(NO_USER)?;
            Ok(sessions::list_active(conn, &target, now())?)
        })
        .await
}

/// Revokes every session of the user and every token issued to them up to
/// now (a login racing this one loses too). 404 for an unknown user.
/// Returns how many live sessions ended.
pub async fn revoke_all(
    state: &AppState,
    caller: &AccessClaims,
    user_id: &str,
    ctx: &RequestContext,
) -> Result<usize, ApiError> {
    let (app, checked, target) = (state.roles.clone(), caller.clone(), user_id.to_owned());
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let at = now();
    let revoked = state
        .db
        .transaction(move |conn| {
            ensure_caller_holds(&app, conn, &checked, UsersWrite::NAME)?;
            users::find_by_id(conn, &target)?.ok_or(NO_USER)?;
            let revoked =
                sessions::revoke_all_for_user(conn, &target, None, RevokeReason::Admin, at)?;
            users::set_tokens_valid_after(conn, &target, at)?;
            let event = Event::new(EventType::SessionRevoked).actor(&checked.sub);
            let event = event.about(&target).with("reason", "admin_all");
            audit.record(conn, &ctx, event.with("sessions", revoked.len()))?;
            Ok(revoked)
        })
        .await?;
    state.revoker().publish(&revoked).await?;
    state.revoker().publish_valid_after(user_id, at).await?;
    tracing::info!(
        event = "admin.sessions.revoked",
        actor = %caller.sub,
        user_id = %user_id,
        sessions = revoked.len(),
        "admin action"
    );
    Ok(revoked.len())
}

/// Revokes one live session of the user. A session that belongs to another
/// user, is already revoked, or does not exist answers 404.
pub async fn revoke_one(
    state: &AppState,
    caller: &AccessClaims,
    user_id: &str,
    session_id: &str,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    let (app, checked) = (state.roles.clone(), caller.clone());
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let (target, sid) = (user_id.to_owned(), session_id.to_owned());
    state
        .db
        .transaction(move |conn| {
            ensure_caller_holds(&app, conn, &checked, UsersWrite::NAME)?;
            users::find_by_id(conn, &target)?.ok_or(NO_USER)?;
            let owned_and_live = sessions::find(conn, &sid)?
                .is_some_and(|s| s.user_id == target && s.revoked_at.is_none());
            if !owned_and_live || !sessions::revoke(conn, &sid, RevokeReason::Admin, now())? {
                return Err(ApiError::NotFound("no such session"));
            }
            let event = Event::new(EventType::SessionRevoked).actor(&checked.sub);
            let event = event.about(&target).session(&sid);
            audit.record(conn, &ctx, event.with("reason", "admin"))?;
            Ok(())
        })
        .await?;
    state.revoker().publish(&[session_id.to_owned()]).await?;
    tracing::info!(
        event = "admin.sessions.revoked",
        actor = %caller.sub,
        user_id = %user_id,
        session_id = %session_id,
        sessions = 1,
        "admin action"
    );
    Ok(())
}
