//! Rows as Diesel reads and writes them. API shapes live in the routes;
//! these never leave the service.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{
    audit_events, mail_outbox, mfa_challenges, mfa_factors, one_time_tokens, sessions, ssf_outbox,
    user_identities, users, webhook_outbox,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: Option<String>,
    pub email_verified: bool,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub password_changed_at: NaiveDateTime,
    pub tokens_valid_after: Option<NaiveDateTime>,
    /// Registrations that set the password of this (then unverified)
    /// account; see `auth::registration`.
    pub registrations: i32,
    /// The language of the user's mail (BCP 47); None: the default.
    pub locale: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: Option<&'a str>,
    pub email_verified: bool,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub password_changed_at: NaiveDateTime,
    pub locale: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub refresh_jti: String,
    /// The current pair's access token id, and the refresh token it
    /// replaced and when: what a request racing inside the grace window
    /// needs to be given the same pair.
    pub access_jti: Option<String>,
    pub previous_refresh_jti: Option<String>,
    pub rotated_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    /// Why it was revoked, as the revocation feed names it (`logout`, …).
    pub revoked_reason: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// What the session proved (`aal1`/`aal2`), how (comma-separated RFC
    /// 8176 values) and when it last proved a password or factor (None:
    /// at `created_at`).
    pub aal: String,
    pub amr: String,
    pub auth_time: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub refresh_jti: &'a str,
    pub access_jti: &'a str,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub aal: &'a str,
    pub amr: &'a str,
    pub auth_time: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = one_time_tokens)]
pub struct OneTimeTokenRow {
    pub token_hash: String,
    pub user_id: String,
    pub purpose: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    /// The address an email-change token is for.
    pub email: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = one_time_tokens)]
pub struct NewOneTimeToken<'a> {
    pub token_hash: &'a str,
    pub user_id: &'a str,
    pub purpose: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub email: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxRow {
    pub id: String,
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// The language it was rendered in; empty for a row that sends nothing.
    pub locale: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = mail_outbox)]
pub struct NewOutboxMessage<'a> {
    pub id: &'a str,
    pub recipient: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub locale: &'a str,
    pub status: &'a str,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// One audit event as stored; `data` is a JSON object as text.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: String,
    pub kind: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub data: String,
}

/// One webhook delivery; `payload` is the exact body that is signed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_outbox)]
pub struct WebhookRow {
    pub id: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_outbox)]
pub struct NewWebhook<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    pub payload: &'a str,
    pub status: &'a str,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// One Security Event Token to push to one receiver; `payload` holds its
/// claims (the SET is signed at each attempt, deterministically).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ssf_outbox)]
pub struct SsfRow {
    pub id: String,
    pub receiver: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = ssf_outbox)]
pub struct NewSsfPush<'a> {
    pub id: &'a str,
    pub receiver: &'a str,
    pub event_type: &'a str,
    pub payload: &'a str,
    pub status: &'a str,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mfa_factors)]
pub struct MfaFactorRow {
    pub id: String,
    pub user_id: String,
    /// `totp` or `passkey`.
    pub kind: String,
    pub name: Option<String>,
    /// TOTP: the encrypted secret (never the plaintext); passkey: the
    /// credential as JSON (a public key).
    pub secret: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub last_used_step: Option<i64>,
    pub last_used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// A passkey's WebAuthn credential id (base64url); None for TOTP.
    pub credential_id: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = mfa_factors)]
pub struct NewMfaFactor<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub kind: &'a str,
    pub name: Option<&'a str>,
    pub secret: &'a str,
    pub created_at: NaiveDateTime,
    /// Set for a passkey, which is confirmed by its registration.
    pub confirmed_at: Option<NaiveDateTime>,
    pub credential_id: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mfa_challenges)]
pub struct MfaChallengeRow {
    pub token_hash: String,
    pub user_id: String,
    pub password_changed_at: NaiveDateTime,
    pub tokens_valid_after: Option<NaiveDateTime>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    /// How the first step was proved: `pwd` or `fed`.
    pub first_amr: String,
}

/// A user's identity at an OpenID Provider.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_identities)]
pub struct IdentityRow {
    pub id: String,
    pub user_id: String,
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
}

/// A pending passwordless sign-in (API.md §15).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::email_logins)]
pub struct EmailLoginRow {
    pub token_hash: String,
    pub email: String,
    /// None for an address with no account when the mail went out.
    pub user_id: Option<String>,
    pub code_hash: String,
    pub tries: i32,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    /// The language the start asked for: a sign-up's account gets it.
    pub locale: Option<String>,
}
