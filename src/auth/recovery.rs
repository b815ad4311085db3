//! Passwords after registration: the reset mail, setting a new password
//! with its token, and changing it while logged in.

use chrono::NaiveDateTime;

use crate::auth::audit::{Event, EventType, RequestContext};
use crate::auth::email::Email;
use crate::auth::one_time::{self, Purpose};
use crate::auth::ways_in::{self, Ended, Ending};
use crate::config::Settings;
use crate::db::models::UserRow;
use crate::db::sessions::RevokeReason;
use crate::db::{AnyConnection, now, users};
use crate::error::{ApiError, TokenKind};
use crate::mail::{self, MailKind, Recipient};
use crate::password::{Password, PasswordOwner};
use crate::state::AppState;

/// The account changed hands (a contested registration, a reverted email
/// change): ends every way in ([`ways_in::Ending::Handover`]) and mails a
/// reset link to `email`, in the caller's transaction, so only the
/// mailbox's owner can set a password. Returns what ended, to publish
/// after commit.
pub fn hand_over_and_mail_reset(
    conn: &mut AnyConnection,
    settings: &Settings,
    user_id: &str,
    to: &Recipient<'_>,
    ending: Ending<'_>,
    at: NaiveDateTime,
) -> Result<Ended, ApiError> {
    let ended = ways_in::end(conn, user_id, ending, at)?;
    let token = one_time::issue(
        conn,
        user_id,
        Purpose::ResetPassword,
        at,
        settings.accounts.reset_ttl,
    )?;
    mail::enqueue(conn, settings, to, MailKind::PasswordReset { token })?;
    Ok(ended)
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
                &Recipient::user(&user),
                MailKind::PasswordReset { token },
            )?;
            Ok(true)
        })
        .await
}

/// Sets a new password with a reset token: spends it, revokes every
/// session and token, marks the email verified (the mail proved it) and
/// queues a notice. On an account whose address nobody had proved, the
/// reset is its owner's first proof: the account changes hands and every
/// way in that someone else may have made ends (API.md §14).
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
    let ended = state
        .db
        .transaction(move |conn| {
            let at = now();
            one_time::consume(conn, &token, Purpose::ResetPassword, at)?;
            // Read again under the transaction: a verification may have
            // landed since the peek.
            let verified = users::find_by_id(conn, &user_id)?
                .ok_or(ApiError::InvalidToken(TokenKind::OneTime))?
                .email_verified;
            let ending = if verified {
                Ending::secure(RevokeReason::PasswordReset)
            } else {
                Ending::handover(&audit, &ctx)
            };
            let ended = ways_in::end(conn, &user_id, ending, at)?;
            users::change_password(conn, &user_id, &hash, at)?;
            users::mark_verified(conn, &user_id, at)?;
            mail::enqueue(
                conn,
                &settings,
                &Recipient::user(&user),
                MailKind::PasswordChanged,
            )?;
            let event = Event::new(EventType::PasswordReset).by(&user_id);
            let event = event
                .with("sessions_revoked", ended.sessions.len())
                .with("handover", !verified);
            audit.record(conn, &ctx, event)?;
            Ok(ended)
        })
        .await?;
    state.mail_wakeup.notify_one();
    state
        .revoker()
        .publish_ended(&token_row.user_id, &ended)
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
    let user_id = user.id.clone();
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let ended = state
        .db
        .transaction(move |conn| {
            let at = now();
            // The current password was checked outside this transaction: a
            // reset that landed since wins. So does anything that ended the
            // session meanwhile (log out everywhere, disable).
            if !users::change_password_if(conn, &user.id, &user.password_hash, &hash, at)? {
                return Err(ApiError::InvalidCredentials);
            }
            ways_in::hold_session(conn, &keep, at)?;
            let ending = Ending::Secure {
                keep_session: Some(&keep),
                reason: RevokeReason::PasswordChanged,
            };
            let ended = ways_in::end(conn, &user.id, ending, at)?;
            mail::enqueue(
                conn,
                &settings,
                &Recipient::user(&user),
                MailKind::PasswordChanged,
            )?;
            let event = Event::new(EventType::PasswordChanged)
                .by(&user.id)
                .session(&keep);
            audit.record(
                conn,
                &ctx,
                event.with("sessions_revoked", ended.sessions.len()),
            )?;
            Ok(ended)
        })
        .await?;
    state.mail_wakeup.notify_one();
    state.revoker().publish_ended(&user_id, &ended).await
}
