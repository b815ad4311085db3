//! Registration and email verification, and the one rule that keeps them
//! safe from account pre-hijacking.
//!
//! An attacker can register someone else's address before its owner does.
//! authd answers every registration alike (no enumeration), so it cannot
//! refuse the owner's later one. Instead:
//!
//! - a registration of an address whose account is still unverified
//!   replaces the password with the newest registrant's and revokes every
//!   session of the old one; the account counts its registrations;
//! - verifying an address registered more than once proves only that the
//!   mailbox owner clicked *a* link, not whose password is stored (the owner
//!   may click the mail an attacker's registration triggered). So it clears
//!   the password (the account gets an unusable hash) and mails a reset
//!   link: only the mailbox owner can then set the password.
//!
//! An address registered once keeps its password: only that registrant
//! knows it, and the link went to the mailbox.

use chrono::NaiveDateTime;

use crate::api_types::User;
use crate::auth::audit::{AuditLog, Event, EventType, RequestContext, mask};
use crate::auth::email::Email;
use crate::auth::one_time::{self, Purpose};
use crate::auth::ways_in::{self, Ended, Ending};
use crate::config::Settings;
use crate::db::models::NewUser;
use crate::db::{AnyConnection, now, users};
use crate::error::ApiError;
use crate::mail::{self, MailKind, Recipient};
use crate::state::AppState;

/// A registration that passed validation and whose password is hashed.
pub struct NewRegistration {
    pub email: Email,
    pub password_hash: String,
    pub display_name: Option<String>,
    /// The language of the account's mail (API.md §17), canonical.
    pub locale: String,
}

/// Records a registration; true when a mail was queued. `mail_allowed` is
/// the silent per-email quota.
pub async fn register(
    state: &AppState,
    registration: NewRegistration,
    mail_allowed: bool,
    ctx: &RequestContext,
) -> Result<bool, ApiError> {
    let app_state = state.settings.clone();
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let result = state
        .db
        .transaction(move |conn| {
            let (queued, revoked, created) = record(
                conn,
                (&app_state, &audit, &ctx),
                &registration,
                mail_allowed,
                now(),
            )?;
            if let Some(id) = created {
                let email = mask(registration.email.as_str());
                let event = Event::new(EventType::UserRegistered).by(&id);
                audit.record(conn, &ctx, event.with("email", email))?;
            }
            Ok((queued, revoked))
        })
        .await;
    match result {
        Ok((queued, revoked)) => {
            if let Some((user_id, ended)) = revoked {
                state.revoker().publish_ended(&user_id, &ended).await?;
            }
            Ok(queued)
        }
        // Two registrations of one new email raced and the other won: the
        // answer is the same either way.
        Err(ApiError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

type Revoked = Option<(String, Ended)>;
/// The id of the account a registration created.
type Created = Option<String>;

fn record(
    conn: &mut AnyConnection,
    (settings, audit, ctx): (&Settings, &AuditLog, &RequestContext),
    registration: &NewRegistration,
    mail_allowed: bool,
    at: NaiveDateTime,
) -> Result<(bool, Revoked, Created), ApiError> {
    let email = registration.email.as_str();
    let Some(existing) = users::find_by_email(conn, email)? else {
        let id = uuid::Uuid::now_v7().to_string();
        users::insert(
            conn,
            &NewUser {
                id: &id,
                email,
                password_hash: &registration.password_hash,
                display_name: registration.display_name.as_deref(),
                email_verified: false,
                disabled: false,
                created_at: at,
                updated_at: at,
                password_changed_at: at,
                locale: Some(&registration.locale),
            },
            std::slice::from_ref(&settings.accounts.default_role),
        )?;
        let token = one_time::issue(
            conn,
            &id,
            Purpose::VerifyEmail,
            at,
            settings.accounts.verify_ttl,
        )?;
        let to = Recipient::address(email, Some(&registration.locale));
        mail::enqueue(conn, settings, &to, MailKind::Verification { token })?;
        return Ok((true, None, Some(id)));
    };
    if existing.email_verified {
        if mail_allowed {
            let to = Recipient::user(&existing);
            mail::enqueue(conn, settings, &to, MailKind::AccountExists)?;
        }
        return Ok((mail_allowed, None, None));
    }
    // Still unverified: the newest registrant's password replaces the old
    // one, and whoever held the account before loses every way in they
    // may have made (API.md §14).
    // The verification links went to the address's mailbox: its owner may
    // click any of them (a contested verification then hands over again).
    let ending = Ending::Handover {
        keep_revert_links_before: None,
        keep_verify_links: true,
        audit,
        ctx,
    };
    let ended = ways_in::end(conn, &existing.id, ending, at)?;
    users::replace_unverified_password(conn, &existing.id, &registration.password_hash, at)?;
    // The account is the newest registrant's now, and so is its language.
    users::set_locale(conn, &existing.id, &registration.locale, at)?;
    if mail_allowed {
        let token = one_time::issue(
            conn,
            &existing.id,
            Purpose::VerifyEmail,
            at,
            settings.accounts.verify_ttl,
        )?;
        let to = Recipient::address(email, Some(&registration.locale));
        mail::enqueue(conn, settings, &to, MailKind::Verification { token })?;
    }
    Ok((mail_allowed, Some((existing.id, ended)), None))
}

/// Spends a verification token and marks the email verified. An address
/// registered more than once changes hands: every way in ends and a reset
/// mail goes to the address.
pub async fn verify_email(
    state: &AppState,
    token: String,
    ctx: &RequestContext,
) -> Result<(User, bool), ApiError> {
    let settings = state.settings.clone();
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let (user, contested) = state
        .db
        .transaction(move |conn| {
            let at = now();
            let row = one_time::consume(conn, &token, Purpose::VerifyEmail, at)?;
            let user = users::find_by_id(conn, &row.user_id)?
                .ok_or(ApiError::InvalidToken(crate::error::TokenKind::OneTime))?;
            users::mark_verified(conn, &user.id, at)?;
            let contested_now = !user.email_verified && user.registrations > 1;
            let event = Event::new(EventType::UserEmailVerified).by(&user.id);
            audit.record(conn, &ctx, event.with("password_cleared", contested_now))?;
            let contested = if contested_now {
                Some(crate::auth::recovery::hand_over_and_mail_reset(
                    conn,
                    &settings,
                    &user.id,
                    &Recipient::user(&user),
                    Ending::handover(&audit, &ctx),
                    at,
                )?)
            } else {
                None
            };
            Ok((crate::auth::users::view(conn, &user.id)?, contested))
        })
        .await?;
    let mailed = contested.is_some();
    if let Some(ended) = contested {
        state.revoker().publish_ended(&user.id, &ended).await?;
    }
    Ok((user, mailed))
}

/// Queues the verification mail again for an unverified account; false
/// when nothing was queued (unknown or verified address). The caller
/// answers the same either way.
pub async fn resend_verification(state: &AppState, email: Email) -> Result<bool, ApiError> {
    let settings = state.settings.clone();
    state
        .db
        .transaction(
            move |conn| match users::find_by_email(conn, email.as_str())? {
                Some(user) if !user.email_verified => {
                    let token = one_time::issue(
                        conn,
                        &user.id,
                        Purpose::VerifyEmail,
                        now(),
                        settings.accounts.verify_ttl,
                    )?;
                    mail::enqueue(
                        conn,
                        &settings,
                        &Recipient::user(&user),
                        MailKind::Verification { token },
                    )?;
                    Ok(true)
                }
                _ => Ok(false),
            },
        )
        .await
}
