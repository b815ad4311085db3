//! Changing the email address (API.md §13).
//!
//! 1. [`request`]: a logged-in user who proved their password asks for a
//!    new address. A confirmation link goes to it, with the address stored
//!    next to the token's hash; nothing else changes (login stays with the
//!    old address). A newer request spends the older link. A taken address
//!    gets an "account exists" mail instead, and the answer is the same.
//! 2. [`confirm`]: the link sets the new address, verified. The old
//!    address gets a notice with a revert link. Sessions live on.
//! 3. [`revert`]: the revert link puts the old address back and the
//!    account changes hands (API.md §14): every way in ends — password,
//!    sessions, identities, factors, codes, pending links and the revert
//!    links of later changes — and a reset link goes to the old address.
//!    Each old address keeps its own revert link through later changes,
//!    so a thief who moves the account twice cannot take the first one
//!    away.
//!
//! If someone registers the new address between request and confirmation,
//! the confirmation answers 409 `conflict` and changes nothing.

use chrono::NaiveDateTime;

use crate::api_types::{EmailStatus, PendingEmail, User, utc};
use crate::auth::audit::{Event, EventType, RequestContext, mask};
use crate::auth::one_time::{self, Purpose};
use crate::auth::ways_in::{self, Ending};
use crate::auth::{Email, recovery};
use crate::db::models::UserRow;
use crate::db::{AnyConnection, Db, now, one_time_tokens, users};
use crate::error::{ApiError, TokenKind};
use crate::mail::{self, MailKind, Recipient};
use crate::state::AppState;

const TAKEN: &str = "the address now belongs to another account";

/// Queues the confirmation (or, for a taken address, "account exists") mail
/// to `new_email` for `user`, whose password was just proved. 422 when the
/// address is the current one.
pub async fn request(
    state: &AppState,
    user: UserRow,
    session_id: &str,
    new_email: Email,
) -> Result<(), ApiError> {
    if new_email.as_str() == user.email {
        return Err(ApiError::validation(
            "new_email",
            "is already the account's address",
        ));
    }
    let settings = state.settings.clone();
    let session_id = session_id.to_owned();
    state
        .db
        .transaction(move |conn| {
            let at = now();
            // A pending link is a way in: none is issued once the session
            // ended (a handover or securing during the password check).
            ways_in::hold_session(conn, &session_id, at)?;
            // The pending change is recorded either way, so that what
            // `GET /v1/me/email` answers does not tell whether the address
            // is taken; for a taken one the token is never sent, so it can
            // never be spent.
            let token = one_time::issue_for_address(
                conn,
                &user.id,
                Purpose::ChangeEmail,
                new_email.as_str(),
                at,
                settings.accounts.verify_ttl,
            )?;
            if let Some(owner) = users::find_by_email(conn, new_email.as_str())? {
                let to = Recipient::user(&owner);
                return mail::enqueue(conn, &settings, &to, MailKind::AccountExists);
            }
            mail::enqueue(
                conn,
                &settings,
                &Recipient::user_at(&user, new_email.as_str()),
                MailKind::EmailChange { token },
            )
        })
        .await?;
    state.mail_wakeup.notify_one();
    Ok(())
}

/// The caller's address and the change waiting for confirmation, if any
/// (the newest live confirmation link).
pub async fn status(db: &Db, user_id: &str) -> Result<EmailStatus, ApiError> {
    let user_id = user_id.to_owned();
    db.run(move |conn| {
        let user = users::find_by_id(conn, &user_id)?.ok_or(ApiError::Unauthorized)?;
        let pending =
            one_time_tokens::newest_live(conn, &user_id, Purpose::ChangeEmail.as_str(), now())?
                .and_then(|row| {
                    Some(PendingEmail {
                        email: row.email?,
                        expires_at: utc(row.expires_at),
                    })
                });
        Ok(EmailStatus {
            email: user.email,
            email_verified: user.email_verified,
            pending,
        })
    })
    .await
}

/// Spends a confirmation token and sets its address, verified; mails the
/// old address a revert link. 409 `conflict` when the address was taken
/// since the request.
pub async fn confirm(
    state: &AppState,
    token: String,
    ctx: &RequestContext,
) -> Result<User, ApiError> {
    let settings = state.settings.clone();
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let user = state
        .db
        .transaction(move |conn| {
            let at = now();
            let (user, new_email, _) = spend(conn, &token, Purpose::ChangeEmail, at)?;
            let old_email = user.email.clone();
            move_address(conn, &user.id, &new_email, at)?;
            // The links that went to the old address end with it.
            let to_old_address = [Purpose::VerifyEmail, Purpose::ResetPassword];
            one_time_tokens::spend_purposes(
                conn,
                &user.id,
                &to_old_address.map(Purpose::as_str),
                at,
            )?;
            let revert = one_time::issue_keeping_older(
                conn,
                &user.id,
                Purpose::RevertEmail,
                &old_email,
                at,
                settings.email_change.revert_ttl,
            )?;
            mail::enqueue(
                conn,
                &settings,
                &Recipient::user(&user),
                MailKind::EmailChanged { token: revert },
            )?;
            let event = Event::new(EventType::EmailChanged).by(&user.id);
            let event = event
                .with("from", mask(&old_email))
                .with("to", mask(&new_email));
            audit.record(conn, &ctx, event.with("via", "confirm"))?;
            crate::auth::users::view(conn, &user.id)
        })
        .await
        .map_err(taken_is_conflict)?;
    state.mail_wakeup.notify_one();
    Ok(user)
}

/// Spends a revert token: the old address comes back (verified), every
/// way in ends but the revert links of earlier changes, and a reset link
/// goes to the old address.
pub async fn revert(
    state: &AppState,
    token: String,
    ctx: &RequestContext,
) -> Result<User, ApiError> {
    let settings = state.settings.clone();
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let (user, ended) = state
        .db
        .transaction(move |conn| {
            let at = now();
            let (user, old_email, issued_at) = spend(conn, &token, Purpose::RevertEmail, at)?;
            let changed_to = user.email.clone();
            move_address(conn, &user.id, &old_email, at)?;
            let ending = Ending::Handover {
                keep_revert_links_before: Some(issued_at),
                keep_verify_links: false,
                audit: &audit,
                ctx: &ctx,
            };
            let to = Recipient::user_at(&user, &old_email);
            let ended =
                recovery::hand_over_and_mail_reset(conn, &settings, &user.id, &to, ending, at)?;
            let event = Event::new(EventType::EmailChanged).by(&user.id);
            let event = event
                .with("from", mask(&changed_to))
                .with("to", mask(&old_email));
            let event = event
                .with("via", "revert")
                .with("sessions_revoked", ended.sessions.len());
            audit.record(conn, &ctx, event)?;
            Ok((crate::auth::users::view(conn, &user.id)?, ended))
        })
        .await
        .map_err(taken_is_conflict)?;
    state.mail_wakeup.notify_one();
    state.revoker().publish_ended(&user.id, &ended).await?;
    Ok(user)
}

/// Spends a token of `purpose`; the user it belongs to, its address and
/// when it was issued.
fn spend(
    conn: &mut AnyConnection,
    token: &str,
    purpose: Purpose,
    at: NaiveDateTime,
) -> Result<(UserRow, String, NaiveDateTime), ApiError> {
    let row = one_time::consume(conn, token, purpose, at)?;
    let invalid = || ApiError::InvalidToken(TokenKind::OneTime);
    let email = row.email.ok_or_else(invalid)?;
    let user = users::find_by_id(conn, &row.user_id)?.ok_or_else(invalid)?;
    Ok((user, email, row.created_at))
}

/// Gives `user_id` the address `email`, verified; 409 when another account
/// holds it (checked first, and by the unique index if a registration
/// races this transaction).
fn move_address(
    conn: &mut AnyConnection,
    user_id: &str,
    email: &str,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    if users::find_by_email(conn, email)?.is_some_and(|other| other.id != user_id) {
        return Err(ApiError::Conflict(TAKEN));
    }
    users::set_verified_email(conn, user_id, email, at)?;
    Ok(())
}

fn taken_is_conflict(e: ApiError) -> ApiError {
    match e {
        ApiError::Conflict(_) => ApiError::Conflict(TAKEN),
        other => other,
    }
}
