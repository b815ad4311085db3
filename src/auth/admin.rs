//! The rules around administrators, in one place:
//!
//! - the last enabled admin stays: no role change, disable or deletion, by
//!   anyone, in any order or race, leaves zero enabled admins;
//! - an admin's power is what the database says now, not what an access
//!   token said when it was minted: a demoted or disabled admin, or a
//!   revoked session, loses it at once, on any store.

use diesel::RunQueryDsl;

use crate::api_types::{ListedUser, User};
use crate::auth::audit::{Event, EventType, RequestContext};
use crate::auth::revocation;
use crate::auth::roles::{Permission, RoleGrants, RolesAssign, UsersWrite};
use crate::db::sessions::RevokeReason;
use crate::db::users::UserFilter;
use crate::db::{AnyConnection, Db, now, sessions, users};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::AccessClaims;

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
    roles: &RoleGrants,
    conn: &mut AnyConnection,
    caller: &AccessClaims,
    permission: &str,
) -> Result<(), ApiError> {
    let Some(user) = users::find_by_id(conn, &caller.sub)? else {
        return Err(ApiError::Unauthorized);
    };
    let session_dead = sessions::find(conn, &caller.sid)?
        .is_none_or(|s| s.revoked_at.is_some() || s.user_id != user.id);
    let revoked_after_start = user.tokens_valid_after.is_some_and(|after| {
        revocation::started_ms(&caller.sid)
            .is_none_or(|started| started <= after.and_utc().timestamp_millis())
    });
    if session_dead || revoked_after_start {
        return Err(ApiError::Unauthorized);
    }
    let granted = !user.disabled
        && users::roles_of(conn, &user.id)?
            .iter()
            .any(|role| roles.grants(role, permission));
    if granted {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// One page of users (newest first) and the total that match.
/// One page of the user list.
pub struct UserListing {
    pub users: Vec<ListedUser>,
    /// How many users match the filters, on every page.
    pub total: i64,
    /// Where the next page starts; None on the last page.
    pub next_cursor: Option<UserCursor>,
}

/// Where a page of the user list starts: just after this user in the
/// newest-first order (`created_at`, then id). Keyset paging stays exact
/// while users are added and costs the same on page 1 and page 10,000.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCursor {
    created_at: chrono::NaiveDateTime,
    id: String,
}

impl UserCursor {
    const NOT_OURS: &'static str = "is not a cursor this service issued";

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw.trim())
            .map_err(|_| Self::NOT_OURS)?;
        let text = String::from_utf8(bytes).map_err(|_| Self::NOT_OURS)?;
        let (nanos, id) = text.split_once('|').ok_or(Self::NOT_OURS)?;
        let nanos: i64 = nanos.parse().map_err(|_| Self::NOT_OURS)?;
        if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Self::NOT_OURS);
        }
        Ok(Self {
            created_at: chrono::DateTime::from_timestamp_nanos(nanos).naive_utc(),
            id: id.to_owned(),
        })
    }

    fn after(row: &crate::db::models::UserRow) -> Self {
        Self {
            created_at: row.created_at,
            id: row.id.clone(),
        }
    }

    pub fn encode(&self) -> String {
        use base64::Engine;
        let nanos = self.created_at.and_utc().timestamp_nanos_opt().unwrap_or(0);
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{nanos}|{}", self.id).as_bytes())
    }
}

/// One page of users, newest first: from `cursor` when given, else at
/// `filter.offset` (the page number's).
pub async fn list_users(
    db: &Db,
    mut filter: UserFilter,
    cursor: Option<UserCursor>,
) -> Result<UserListing, ApiError> {
    filter.after = cursor.map(|c| (c.created_at, c.id));
    let limit = filter.limit;
    // One more row than asked tells whether a next page exists.
    filter.limit = limit + 1;
    db.run(move |conn| {
        let (mut rows, total) = users::list(conn, &filter)?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(UserCursor::after)
        } else {
            None
        };
        let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
        let mut roles = users::roles_of_each(conn, &ids)?;
        let mut factors = crate::db::mfa::kinds_of_each(conn, &ids)?;
        let users = rows
            .iter()
            .map(|row| ListedUser {
                user: User::from_row(row, roles.remove(&row.id).unwrap_or_default()),
                factors: factors.remove(&row.id).unwrap_or_default(),
            })
            .collect();
        Ok(UserListing {
            users,
            total,
            next_cursor,
        })
    })
    .await
}

pub async fn get_user(db: &Db, id: &str) -> Result<User, ApiError> {
    let id = id.to_owned();
    db.run(move |conn| crate::auth::users::view(conn, &id))
        .await
}

/// Every role with its description and permissions, by name.
pub async fn list_roles(db: &Db) -> Result<Vec<(String, String, Vec<String>)>, ApiError> {
    db.run(|conn| Ok(users::roles_with_permissions(conn)?))
        .await
}

const NO_ADMIN_LEFT: &str = "this would leave no enabled admin; make another admin first";

/// Replaces a user's roles (known role names, sorted and deduplicated by
/// the caller). 422 for an unknown role, 404 for an unknown user, 409 when
/// no enabled admin would remain.
pub async fn set_roles(
    state: &AppState,
    caller: &AccessClaims,
    id: &str,
    mut wanted: Vec<String>,
    ctx: &RequestContext,
) -> Result<User, ApiError> {
    wanted.sort();
    wanted.dedup();
    let unknown: Vec<String> = wanted
        .iter()
        .filter(|r| !state.roles.exists(r))
        .map(|r| format!("unknown role {r:?}"))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::Validation([("roles".to_owned(), unknown)].into()));
    }
    let (app, caller, id) = (state.roles.clone(), caller.clone(), id.to_owned());
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    state
        .db
        .transaction(move |conn| {
            lock_admin_changes(conn)?;
            ensure_caller_holds(&app, conn, &caller, RolesAssign::NAME)?;
            users::find_by_id(conn, &id)?.ok_or(ApiError::NotFound("no such user"))?;
            if !wanted.iter().any(|r| r == ADMIN_ROLE) {
                ensure_another_admin(conn, &id, NO_ADMIN_LEFT)?;
            }
            let mut previous = users::roles_of(conn, &id)?;
            previous.sort();
            users::set_roles(conn, &id, &wanted)?;
            if previous != wanted {
                let event = Event::new(EventType::UserRolesChanged).actor(&caller.sub);
                let event = event.about(&id).with("previous", previous);
                audit.record(conn, &ctx, event.with("roles", wanted))?;
            }
            crate::auth::users::view(conn, &id)
        })
        .await
}

/// Disables a user and revokes every session and token at once. 409 when
/// no enabled admin would remain.
pub async fn disable(
    state: &AppState,
    caller: &AccessClaims,
    id: &str,
    ctx: &RequestContext,
) -> Result<User, ApiError> {
    let (app, checked, target) = (state.roles.clone(), caller.clone(), id.to_owned());
    let (audit, recorded) = (state.audit.clone(), ctx.clone());
    state
        .db
        .transaction(move |conn| {
            lock_admin_changes(conn)?;
            ensure_caller_holds(&app, conn, &checked, UsersWrite::NAME)?;
            let user =
                users::find_by_id(conn, &target)?.ok_or(ApiError::NotFound("no such user"))?;
            ensure_another_admin(conn, &target, NO_ADMIN_LEFT)?;
            users::set_disabled(conn, &target, true, now())?;
            if !user.disabled {
                let event = Event::new(EventType::UserDisabled).actor(&checked.sub);
                audit.record(conn, &recorded, event.about(&target))?;
            }
            Ok(())
        })
        .await?;
    let reason = RevokeReason::Disabled;
    state
        .revoker()
        .revoke_everything(id, reason, ctx, None)
        .await?;
    get_user(&state.db, id).await
}

pub async fn enable(
    state: &AppState,
    caller: &AccessClaims,
    id: &str,
    ctx: &RequestContext,
) -> Result<User, ApiError> {
    let (app, caller, id) = (state.roles.clone(), caller.clone(), id.to_owned());
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    state
        .db
        .transaction(move |conn| {
            ensure_caller_holds(&app, conn, &caller, UsersWrite::NAME)?;
            let user = users::find_by_id(conn, &id)?.ok_or(ApiError::NotFound("no such user"))?;
            users::set_disabled(conn, &id, false, now())?;
            if user.disabled {
                let event = Event::new(EventType::UserEnabled).actor(&caller.sub);
                audit.record(conn, &ctx, event.about(&id))?;
            }
            crate::auth::users::view(conn, &id)
        })
        .await
}

/// Lifts a lockout at once: clears the failed-password count for the
/// user's email, so the right password logs in again. 404 for an unknown
/// user. Unlocking an account that is not locked changes nothing.
pub async fn unlock(state: &AppState, caller: &AccessClaims, id: &str) -> Result<User, ApiError> {
    let (app, checked, target) = (state.roles.clone(), caller.clone(), id.to_owned());
    let email = state
        .db
        .run(move |conn| {
            ensure_caller_holds(&app, conn, &checked, UsersWrite::NAME)?;
            let user =
                users::find_by_id(conn, &target)?.ok_or(ApiError::NotFound("no such user"))?;
            // The daily second-factor cap (API.md §14) lifts too.
            crate::db::mfa_failures::clear(conn, &user.id)?;
            Ok(user.email)
        })
        .await?;
    state.lockout().clear(&email).await?;
    tracing::info!(user_id = %id, email = %crate::auth::email::mask(&email), "account unlocked by an admin");
    get_user(&state.db, id).await
}
