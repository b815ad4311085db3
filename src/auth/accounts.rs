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

/// What `PATCH /v1/me` changes: each field present is set.
pub struct Changes<'a> {
    /// `Some(None)` or blank clears the display name.
    pub display_name: Option<Option<&'a str>>,
    /// A BCP 47 tag (API.md §17).
    pub locale: Option<&'a str>,
}

/// Sets the display name (or, with None or blank, clears it) and the
/// locale, whichever are given, in one transaction; 422 when neither is,
/// or when one is invalid (nothing changes then).
pub async fn update(db: &Db, user_id: &str, changes: Changes<'_>) -> Result<User, ApiError> {
    let mut errors = crate::error::FieldErrors::new();
    let name = match changes.display_name {
        Some(raw) => text::parse_display_name(raw)
            .map(Some)
            .map_err(|m| errors.insert("display_name".into(), vec![m.into()]))
            .ok(),
        None => Some(None),
    };
    let locale = match changes.locale {
        Some(raw) => crate::mail::locale::normalize(raw)
            .map(Some)
            .ok_or_else(|| {
                let m = "must be a language tag (BCP 47) such as en, de or pt-BR";
                errors.insert("locale".into(), vec![m.into()])
            })
            .ok(),
        None => Some(None),
    };
    let (Some(name), Some(locale)) = (name, locale) else {
        return Err(ApiError::Validation(errors));
    };
    if name.is_none() && locale.is_none() {
        let m = "give display_name, locale or both";
        return Err(ApiError::validation("body", m));
    }
    let id = user_id.to_owned();
    db.transaction(move |conn| {
        let at = now();
        if let Some(name) = name {
            users::set_display_name(conn, &id, name.as_deref(), at)?;
        }
        if let Some(locale) = locale {
            users::set_locale(conn, &id, &locale, at)?;
        }
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
