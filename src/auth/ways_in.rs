//! Every way into an account, and the one operation that ends them
//! (API.md §14).
//!
//! An account's ways in are its password, its provider identities, its
//! passkeys and TOTP factor, its recovery codes, its sessions, its pending
//! one-time links (verify, reset, email change and revert), its pending
//! email sign-ins (link and code, API.md §15) and its MFA tokens. They
//! live in the tables of [`HOLDERS`]; a test reads
//! `db/schema.rs` and fails when a table with a `user_id` column is in
//! neither [`HOLDERS`] nor [`NOT_WAYS_IN`], so the next way in cannot be
//! added without deciding here how it ends.
//!
//! Two endings, each run inside the caller's transaction:
//! - [`Ending::Handover`]: the account changed hands (a contested
//!   verification, `create-admin` over an unverified account, a reverted
//!   email change, a reset or re-registration of an account whose address
//!   nobody had proved). Whoever held the account before may have made any
//!   way in, so every one ends; the caller then gives the new owner theirs
//!   (a reset link, the operator's password).
//! - [`Ending::Secure`]: the owner secured the account (password reset or
//!   change, log out everywhere, disable). Sessions, MFA tokens, pending
//!   email sign-ins and the pending links that could move the account
//!   (email change, reset) end;
//!   what the owner made (password, identities, factors, recovery codes,
//!   revert links to their old addresses) stays.

use chrono::NaiveDateTime;

use crate::auth::audit::{AuditLog, Event, EventType, RequestContext};
use crate::auth::one_time::Purpose;
use crate::db::sessions::RevokeReason;
use crate::db::{AnyConnection, email_logins, identities, mfa, one_time_tokens, sessions, users};
use crate::error::ApiError;

/// A way into an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WayIn {
    Password,
    Identity,
    /// TOTP factors and passkeys (one table, `kind` tells them apart).
    Factor,
    RecoveryCode,
    Session,
    PendingLink,
    /// A pending passwordless sign-in: a link and its code (API.md §15).
    EmailLogin,
    MfaToken,
}

/// The tables that hold ways in, and the way each holds.
pub const HOLDERS: &[(&str, WayIn)] = &[
    ("users", WayIn::Password),
    ("user_identities", WayIn::Identity),
    ("mfa_factors", WayIn::Factor),
    ("mfa_recovery_codes", WayIn::RecoveryCode),
    ("sessions", WayIn::Session),
    ("one_time_tokens", WayIn::PendingLink),
    ("email_logins", WayIn::EmailLogin),
    ("mfa_challenges", WayIn::MfaToken),
];

/// Tables that name a user but hold no way in, and why.
pub const NOT_WAYS_IN: &[(&str, &str)] = &[
    ("user_roles", "what a way in may do, not a way in"),
    ("audit_events", "history; it must survive every ending"),
    ("deleted_users", "a tombstone of an account that is gone"),
    ("mfa_failures", "a counter of refused second factors"),
];

/// Which ending, and what it keeps.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    /// The account changed hands: every way in ends, but the revert links
    /// to older addresses issued before `keep_revert_links_before` (a
    /// revert must not take the earlier owners' links away) and, with
    /// `keep_verify_links`, the verification links, which went to the
    /// address's mailbox (another registration of an unverified address
    /// keeps them, so its owner may click any of its mails).
    /// The change of hands is recorded through `audit` in the same
    /// transaction: a `session.revoked` event with reason `takeover`, which
    /// Shared Signals receivers are told of (every session ended).
    Handover {
        keep_revert_links_before: Option<NaiveDateTime>,
        keep_verify_links: bool,
        audit: &'a AuditLog,
        ctx: &'a RequestContext,
    },
    /// The owner secured the account: sessions (but `keep_session`), MFA
    /// tokens and the links that could move the account end; `reason` is
    /// what the revocation feed says of the sessions.
    Secure {
        keep_session: Option<&'a str>,
        reason: RevokeReason,
    },
}

impl<'a> Ending<'a> {
    /// Every way in ends.
    pub const fn handover(audit: &'a AuditLog, ctx: &'a RequestContext) -> Self {
        Ending::Handover {
            keep_revert_links_before: None,
            keep_verify_links: false,
            audit,
            ctx,
        }
    }
    /// Sessions, MFA tokens and account-moving links end.
    pub const fn secure(reason: RevokeReason) -> Ending<'static> {
        Ending::Secure {
            keep_session: None,
            reason,
        }
    }
}

/// What an ending did: the sessions to publish as revoked after commit,
/// and the "valid after" time to publish when every token died.
#[derive(Debug, Default)]
#[must_use = "the revoked sessions must be published to the store after commit"]
pub struct Ended {
    pub sessions: Vec<String>,
    pub valid_after: Option<NaiveDateTime>,
}

/// Holds the caller's session for the rest of the transaction that adds a
/// way in: the way in commits only while the session is live, so a
/// handover or a securing that lands during the request (and revokes the
/// session) is never followed by a way in it did not end. An UPDATE, not a
/// read: on PostgreSQL it locks the row, so of this and a revocation one
/// waits for the other; SQLite runs one writer at a time.
pub fn hold_session(
    conn: &mut AnyConnection,
    session_id: &str,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    if sessions::hold_live(conn, session_id, at)? {
        Ok(())
    } else {
        Err(ApiError::SessionRevoked)
    }
}

/// The pending links that could move an account to whoever holds them.
const ACCOUNT_MOVING_LINKS: [Purpose; 2] = [Purpose::ChangeEmail, Purpose::ResetPassword];

/// Ends the user's ways in as `ending` says, at `at`, in the caller's
/// transaction.
pub fn end(
    conn: &mut AnyConnection,
    user_id: &str,
    ending: Ending<'_>,
    at: NaiveDateTime,
) -> Result<Ended, ApiError> {
    match ending {
        Ending::Handover {
            keep_revert_links_before,
            keep_verify_links,
            audit,
            ctx,
        } => {
            let kept = KeptLinks {
                revert_before: keep_revert_links_before,
                verify: keep_verify_links,
            };
            let mut ended = Ended::default();
            for (_, way) in HOLDERS {
                end_way(conn, user_id, *way, kept, at, &mut ended)?;
            }
            let event = Event::new(EventType::SessionRevoked).about(user_id);
            let event = event.with("reason", RevokeReason::Takeover.as_str());
            audit.record(conn, ctx, event.with("sessions", ended.sessions.len()))?;
            Ok(ended)
        }
        Ending::Secure {
            keep_session,
            reason,
        } => {
            mfa::delete_challenges(conn, user_id)?;
            // A sign-in in progress, like an MFA token.
            email_logins::end_for_user(conn, user_id, at)?;
            let purposes = ACCOUNT_MOVING_LINKS.map(Purpose::as_str);
            one_time_tokens::spend_purposes(conn, user_id, &purposes, at)?;
            let sessions = sessions::revoke_all_for_user(conn, user_id, keep_session, reason, at)?;
            let valid_after = if keep_session.is_none() {
                users::set_tokens_valid_after(conn, user_id, at)?;
                Some(at)
            } else {
                None
            };
            Ok(Ended {
                sessions,
                valid_after,
            })
        }
    }
}

/// The pending links a handover keeps.
#[derive(Debug, Clone, Copy)]
struct KeptLinks {
    revert_before: Option<NaiveDateTime>,
    verify: bool,
}

/// Ends one way in of the account for a handover. The match is
/// exhaustive: a new [`WayIn`] does not compile until it says how it ends.
fn end_way(
    conn: &mut AnyConnection,
    user_id: &str,
    way: WayIn,
    kept: KeptLinks,
    at: NaiveDateTime,
    ended: &mut Ended,
) -> Result<(), ApiError> {
    match way {
        // No password at all: a login with any password is checked
        // against a dummy hash, as for an unknown email.
        WayIn::Password => users::change_password(conn, user_id, "", at)?,
        WayIn::Identity => drop(identities::delete_all_for_user(conn, user_id)?),
        WayIn::Factor => drop(mfa::delete_all_factors(conn, user_id)?),
        WayIn::RecoveryCode => drop(mfa::delete_recovery_codes(conn, user_id)?),
        WayIn::MfaToken => drop(mfa::delete_challenges(conn, user_id)?),
        WayIn::EmailLogin => drop(email_logins::end_for_user(conn, user_id, at)?),
        WayIn::PendingLink => {
            let revert = kept
                .revert_before
                .map(|t| (Purpose::RevertEmail.as_str(), t));
            let always: &[&str] = if kept.verify {
                &[Purpose::VerifyEmail.as_str()]
            } else {
                &[]
            };
            one_time_tokens::spend_every_but(conn, user_id, always, revert, at)?;
        }
        WayIn::Session => {
            let takeover = RevokeReason::Takeover;
            ended.sessions = sessions::revoke_all_for_user(conn, user_id, None, takeover, at)?;
            users::set_tokens_valid_after(conn, user_id, at)?;
            ended.valid_after = Some(at);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table of the schema with a `user_id` column (or the users
    /// table itself) is either a holder of ways in or explicitly not one.
    #[test]
    fn every_table_naming_a_user_is_classified() {
        let schema = include_str!("../db/schema.rs");
        let mut naming_a_user = vec!["users".to_owned()];
        let mut current: Option<String> = None;
        for line in schema.lines() {
            let line = line.trim();
            if let Some(name) = line.strip_suffix('{').and_then(|l| l.split(" (").next())
                && !line.starts_with("diesel::")
                && !line.starts_with("//")
                && line.contains(" (")
            {
                current = Some(name.trim().to_owned());
            } else if line.starts_with("user_id ->")
                && let Some(table) = &current
            {
                naming_a_user.push(table.clone());
            }
        }
        assert!(
            naming_a_user.len() > 5,
            "the schema parser found too few tables: {naming_a_user:?}"
        );
        for table in &naming_a_user {
            let held = HOLDERS.iter().any(|(t, _)| t == table);
            let not = NOT_WAYS_IN.iter().any(|(t, _)| t == table);
            assert!(
                held ^ not,
                "table `{table}` names a user: add it to exactly one of ways_in::HOLDERS \
                 (and end it in ways_in::end) or ways_in::NOT_WAYS_IN (with why)"
            );
        }
        let listed = HOLDERS
            .iter()
            .map(|(t, _)| t)
            .chain(NOT_WAYS_IN.iter().map(|(t, _)| t));
        for table in listed {
            assert!(
                naming_a_user.iter().any(|t| t == table),
                "ways_in lists `{table}`, which the schema does not have (or has no user_id)"
            );
        }
    }
}
