//! Passwords after registration: the reset mail, setting a new password
//! with its token, and changing it while logged in.

use chrono::NaiveDateTime;

use crate::auth::Email;
use crate::auth::audit::{Event, EventType, RequestContext};
use crate::auth::one_time::{self, Purpose};
use crate::config::Settings;
use crate::db::models::UserRow;
use crate::db::{AnyConnection, now, one_time_tokens, sessions, users};
use crate::error::{ApiError, TokenKind};
use crate::mail::{self, MailKind};
use crate::password::{Password, PasswordOwner};
use crate::state::AppState;

/// Takes the password away from whoever may know it (a contested
/// registration, a reverted email change): replaces it with
/// `unusable_hash`, ends every session and token, and mails a reset link
/// to `email`, in the caller's transaction. Returns the revoked session ids
/// to publish after commit.
pub fn clear_password_and_mail_reset(
    conn: &mut AnyConnection,
    settings: &Settings,
    user_id: &str,
    email: &str,
    unusable_hash: &str,
    at: NaiveDateTime,
) -> Result<Vec<String>, ApiError> {
    users::change_password(conn, user_id, unusable_hash, at)?;
    let revoked = sessions::revoke_all_for_user(conn, user_id, None, at)?;
    users::set_tokens_valid_after(conn, user_id, at)?;
    one_time_tokens::spend_all(conn, user_id, Purpose::ResetPassword.as_str(), at)?;
    let token = one_time::issue(
        conn,
        user_id,
        Purpose::ResetPassword,
        at,
        settings.accounts.reset_ttl,
    )?;
    mail::enqueue(conn, settings, email, MailKind::PasswordReset { token })?;
    Ok(revoked)
}

/// Queues a reset mail if the account exists; false when nothing was
/// queued. The caller answers the same either way.
pub async fn request_reset(state: &AppState, email: Email) -> Result<bool, ApiError> {
    let settings = state.settings.clone();
    state
        .db
        .transaction(move |conn| {
            let Some(user) = users::find_by_email(conn, email.as_str())? else {
                return Ok(false);
            };
            let token = one_time::issue(
                conn,
                &user.id,
                Purpose::ResetPassword,
                now(),
                settings.accounts.reset_ttl,
            )?;
            mail::enqueue(
                conn,
                &settings,
                email.as_str(),
                MailKind::PasswordReset { token },
            )?;
            Ok(true)
        })
        .await
}

/// Sets a new password with a reset token: spends it, revokes every
/// session and token, marks the email verified (the mail proved it) and
/// queues a notice.
///
/// The token is read first, without spending it, because the password
/// policy needs the account's email; the transaction then spends it
/// (`one_time::consume` re-checks it there), so a token is used once even
/// when two confirmations race.
pub async fn confirm_reset(
    state: &AppState,
    token: String,
    new_password: &str,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    let lookup = token.clone();
    let user = state
        .db
        .run(move |conn| {
            let Some(row) = one_time::peek(conn, &lookup, Purpose::ResetPassword, now())? else {
                return Ok(None);
            };
            Ok(users::find_by_id(conn, &row.user_id)?.map(|user| (row, user)))
        })
        .await?;
    let Some((token_row, user)) = user else {
        return Err(ApiError::InvalidToken(TokenKind::OneTime));
    };
    if token_row.created_at < user.password_changed_at {
        // Issued under a password that has since changed.
        return Err(ApiError::InvalidToken(TokenKind::OneTime));
    }
    let password = Password::parse(
        new_password,
        PasswordOwner::new(&user.email, user.display_name.as_deref()),
        &state.settings.password,
    )
    .map_err(|failures| ApiError::Validation([("new_password".to_owned(), failures)].into()))?;
    state.breached.check(&password, "new_password").await?;
    let hash = state.passwords.hash(&password, ctx.ip).await?;

    let settings = state.settings.clone();
    let user_id = user.id.clone();
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let (revoked, at) = state
        .db
        .transaction(move |conn| {
            let at = now();
            one_time::consume(conn, &token, Purpose::ResetPassword, at)?;
            users::change_password(conn, &user_id, &hash, at)?;
            users::mark_verified(conn, &user_id, at)?;
            users::set_tokens_valid_after(conn, &user_id, at)?;
            one_time_tokens::spend_all(conn, &user_id, Purpose::ResetPassword.as_str(), at)?;
            let revoked = sessions::revoke_all_for_user(conn, &user_id, None, at)?;
            mail::enqueue(conn, &settings, &user.email, MailKind::PasswordChanged)?;
            let event = Event::new(EventType::PasswordReset).by(&user_id);
            audit.record(conn, &ctx, event.with("sessions_revoked", revoked.len()))?;
            Ok((revoked, at))
        })
        .await?;
    state.mail_wakeup.notify_one();
    state.revoker().publish(&revoked).await?;
    state
        .revoker()
        .publish_valid_after(&token_row.user_id, at)
        .await
}

/// Sets a new password for a user who just proved the current one
/// (`auth::reauth`): keeps `keep_session`, revokes every other session and
/// every outstanding reset link, and queues a notice.
pub async fn change_password(
    state: &AppState,
    user: UserRow,
    keep_session: &str,
    new_password: &str,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    let password = Password::parse(
        new_password,
        PasswordOwner::new(&user.email, user.display_name.as_deref()),
        &state.settings.password,
    )
    .map_err(|failures| ApiError::Validation([("new_password".to_owned(), failures)].into()))?;
    state.breached.check(&password, "new_password").await?;
    let hash = state.passwords.hash(&password, ctx.ip).await?;
    let settings = state.settings.clone();
    let keep = keep_session.to_owned();
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let revoked = state
        .db
        .transaction(move |conn| {
            let at = now();
            // The current password was checked outside this transaction: a
            // reset that landed since wins.
            if !users::change_password_if(conn, &user.id, &user.password_hash, &hash, at)? {
                return Err(ApiError::InvalidCredentials);
            }
            one_time_tokens::spend_all(conn, &user.id, Purpose::ResetPassword.as_str(), at)?;
            let revoked = sessions::revoke_all_for_user(conn, &user.id, Some(&keep), at)?;
            mail::enqueue(conn, &settings, &user.email, MailKind::PasswordChanged)?;
            let event = Event::new(EventType::PasswordChanged)
                .by(&user.id)
                .session(&keep);
            audit.record(conn, &ctx, event.with("sessions_revoked", revoked.len()))?;
            Ok(revoked)
        })
        .await?;
    state.mail_wakeup.notify_one();
    state.revoker().publish(&revoked).await
}
