//! The rules around administrators, in one place:
//!
//! - the last enabled admin stays: no role change, disable or deletion, by
//!   anyone, in any order or race, leaves zero enabled admins;
//! - an admin's power is what the database says now, not what an access
//!   token said when it was minted: a demoted or disabled admin, or a
//!   revoked session, loses it at once, on any store.

use diesel::RunQueryDsl;

use crate::auth::{Authenticated, revocation};
use crate::db::{AnyConnection, sessions, users};
use crate::error::ApiError;
use crate::state::AppState;

pub const ADMIN_ROLE: &str = "admin";

/// Serialises, for the rest of the transaction, every change that could
/// take away an enabled admin. PostgreSQL: a transaction-scoped advisory
/// lock (two concurrent demotions would otherwise each count the other as
/// the remaining admin). SQLite: write transactions already take turns.
pub fn lock_admin_changes(conn: &mut AnyConnection) -> Result<(), ApiError> {
    if let AnyConnection::Postgresql(_) = conn {
        // Any fixed key will do; it names "admin membership" for authd.
        diesel::sql_query("SELECT pg_advisory_xact_lock(7238114)").execute(conn)?;
    }
    Ok(())
}

/// Err(409 conflict) when `user_id` is an enabled admin and no other
/// enabled admin would remain. Call after [`lock_admin_changes`].
pub fn ensure_another_admin(
    conn: &mut AnyConnection,
    user_id: &str,
    message: &'static str,
) -> Result<(), ApiError> {
    let Some(user) = users::find_by_id(conn, user_id)? else {
        return Ok(());
    };
    let is_admin = users::roles_of(conn, user_id)?
        .iter()
        .any(|r| r == ADMIN_ROLE);
    if is_admin && !user.disabled && users::count_enabled_with_role(conn, ADMIN_ROLE)? <= 1 {
        return Err(ApiError::Conflict(message));
    }
    Ok(())
}

/// Ok when the caller's session is live, the user exists, is enabled and
/// holds a role granting `permission`, as the database says now: 401
/// `unauthorized` for a dead session or account, 403 `forbidden` for a
/// missing permission. Admin routes run it in their guard, and again in
/// their transaction after [`lock_admin_changes`], so a demotion or
/// revocation that commits first is seen.
pub fn ensure_caller_holds(
    state: &AppState,
    conn: &mut AnyConnection,
    caller: &Authenticated,
    permission: &str,
) -> Result<(), ApiError> {
    let Some(user) = users::find_by_id(conn, caller.user_id())? else {
        return Err(ApiError::Unauthorized);
    };
    let session_dead = sessions::find(conn, caller.session_id())?
        .is_none_or(|s| s.revoked_at.is_some() || s.user_id != user.id);
    let revoked_after_start = user.tokens_valid_after.is_some_and(|after| {
        revocation::started_ms(caller.session_id())
            .is_none_or(|started| started <= after.and_utc().timestamp_millis())
    });
    if session_dead || revoked_after_start {
        return Err(ApiError::Unauthorized);
    }
    let granted = !user.disabled
        && users::roles_of(conn, &user.id)?
            .iter()
            .any(|role| state.role_grants(role, permission));
    if granted {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}
