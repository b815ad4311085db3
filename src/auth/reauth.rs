//! Asking a logged-in user for their password again (password change,
//! account deletion). A stolen access token must not become an unthrottled
//! password oracle: each check is limited per session and counted in the
//! account's lockout, exactly as a login is. A user with a second factor
//! also needs an `aal2` token (step-up, 403 `mfa_required`), checked first.

use actix_web::HttpRequest;

use crate::auth::audit::{Event, EventType};
use crate::auth::guard::Authenticated;
use crate::db::models::UserRow;
use crate::error::ApiError;
use crate::extract::client_ip;
use crate::state::AppState;

/// The caller's user row with roles, once `password` is proven right.
pub async fn confirm_password(
    req: &HttpRequest,
    state: &AppState,
    caller: &Authenticated,
    password: &str,
) -> Result<(UserRow, Vec<String>), ApiError> {
    state
        .limits()
        .check(
            req,
            "password_check",
            caller.session_id(),
            state.settings.rate_limits.password_per_session,
        )
        .await?;
    let claims = caller.claims.clone();
    let (user, roles) = state
        .db
        .run(move |conn| {
            let found = crate::auth::users::load(conn, &claims.sub)?;
            if found.is_some() {
                crate::auth::mfa::require_step_up(conn, &claims)?;
            }
            Ok(found)
        })
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let reservation = state.lockout().reserve(&user.email).await?;
    // An account without a password costs one bcrypt check too (API.md
    // §14), and no password matches it.
    let has_password = !user.password_hash.is_empty();
    let hash = if has_password {
        user.password_hash.as_str()
    } else {
        state.dummy_hash.as_str()
    };
    let matches = match state
        .passwords
        .verify(password, hash, client_ip(req, state))
        .await
    {
        Ok(matches) => matches && has_password,
        Err(e) => {
            state.lockout().not_checked(&user.email, reservation).await;
            return Err(e);
        }
    };
    if !matches {
        if state.lockout().failed(&user.email, reservation).await? {
            let ctx = crate::extract::request_context(req, state);
            let event = Event::new(EventType::LoginLocked).about(&user.id);
            let event = event
                .session(caller.session_id())
                .with("via", "password_check");
            state.audit.record_alone(&state.db, &ctx, event).await?;
        }
        return Err(ApiError::InvalidCredentials);
    }
    state.lockout().succeeded(&user.email, reservation).await?;
    Ok((user, roles))
}

/// The caller's user row with roles, for an account that has no password
/// to confirm (signed up by email, API.md §15): allowed only within
/// `AUTH_REAUTH_MAX_AGE` of the session's sign-in (403
/// `reauthentication_required`), and with `aal2` when the user has a
/// factor. An account with a password must send it (422).
pub async fn confirm_passwordless(
    state: &AppState,
    caller: &Authenticated,
) -> Result<(UserRow, Vec<String>), ApiError> {
    let claims = caller.claims.clone();
    let (user, roles) = state
        .db
        .run(move |conn| {
            let found = crate::auth::users::load(conn, &claims.sub)?;
            if found.is_some() {
                crate::auth::mfa::require_step_up(conn, &claims)?;
            }
            Ok(found)
        })
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !user.password_hash.is_empty() {
        return Err(ApiError::validation("current_password", "is required"));
    }
    if !crate::auth::mfa::recently_authenticated(state, &caller.claims) {
        return Err(ApiError::ReauthenticationRequired);
    }
    Ok((user, roles))
}
