//! Request and response bodies of the HTTP API, with their OpenAPI schemas.
//! Kept apart from the database rows (`db::models`).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::{AuditEventRow, SessionRow, UserRow};
use crate::secret::Secret;

pub(crate) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d90", "email": "a@example.com",
    "email_verified": true, "display_name": null, "roles": ["viewer"], "disabled": false,
    "created_at": "2026-11-28T12:00:00Z", "updated_at": "2026-11-28T12:00:00Z", "last_login_at": "2026-11-28T12:05:00Z"}))]
pub struct User {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub display_name: Option<String>,
    /// The language of the account's mail (BCP 47); `null`: the server's
    /// default (`AUTH_DEFAULT_LOCALE`).
    pub locale: Option<String>,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// A user as the admin list shows it: the user, and which kinds of second
/// factor they have.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListedUser {
    #[serde(flatten)]
    pub user: User,
    /// The kinds of the user's confirmed second factors (`passkey`,
    /// `totp`), each once; empty: none.
    pub factors: Vec<String>,
}

impl User {
    pub fn from_row(row: &UserRow, roles: Vec<String>) -> Self {
        Self {
            id: row.id.clone(),
            email: row.email.clone(),
            email_verified: row.email_verified,
            display_name: row.display_name.clone(),
            locale: row.locale.clone(),
            roles,
            disabled: row.disabled,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            last_login_at: row.last_login_at.map(utc),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJFZERTQSIs…", "refresh_token": "eyJhbGciOiJFZERTQSIs…",
    "token_type": "Bearer", "expires_in": 900, "refresh_expires_in": 2592000,
    "user": {"id": "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d90", "email": "a@example.com", "email_verified": true,
    "display_name": null, "roles": ["viewer"], "disabled": false, "created_at": "2026-11-28T12:00:00Z",
    "updated_at": "2026-11-28T12:00:00Z", "last_login_at": "2026-11-28T12:05:00Z"}}))]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
    pub user: User,
}

/// A token pair in browser mode (`X-Authd-Transport: cookie`): the refresh
/// token travels in the `__Host-authd_refresh` cookie instead. No other
/// field may appear (`additionalProperties: false`), so exactly one branch
/// of `TokenResponse` matches any answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrowserTokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the refresh token (the cookie) expires.
    pub refresh_expires_in: u64,
    pub user: User,
}

impl From<TokenPair> for BrowserTokenPair {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            token_type: pair.token_type,
            expires_in: pair.expires_in,
            refresh_expires_in: pair.refresh_expires_in,
            user: pair.user,
        }
    }
}

/// What login and refresh answer: the whole pair (body mode, the default)
/// or, with `X-Authd-Transport: cookie`, the pair without its refresh token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TokenResponse {
    Body(TokenPair),
    Cookie(BrowserTokenPair),
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "verification_sent"}))]
pub struct Accepted {
    /// `verification_sent`, `reset_sent` or `email_sent`.
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Whether this is the session of the token making the request.
    pub current: bool,
}

impl Session {
    pub fn from_row(row: &SessionRow, current_session: &str) -> Self {
        Self {
            id: row.id.clone(),
            created_at: utc(row.created_at),
            last_used_at: utc(row.last_used_at),
            ip: row.ip.clone(),
            user_agent: row.user_agent.clone(),
            current: row.id == current_session,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<Session>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "a@example.com", "password": "correct-Horse-battery-9", "display_name": "Ada"}))]
pub struct RegisterRequest {
    #[schema(format = Email, min_length = 1, max_length = 254)]
    pub email: String,
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 256)]
    pub password: Secret,
    #[schema(max_length = 100)]
    pub display_name: Option<String>,
    /// The language of the account's mail, a BCP 47 tag; absent: the best
    /// match of `Accept-Language` among the mail's languages, else the
    /// server's default.
    #[serde(default)]
    #[schema(max_length = 35)]
    pub locale: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "a@example.com", "password": "correct-Horse-battery-9"}))]
pub struct LoginRequest {
    #[schema(format = Email, min_length = 1, max_length = 254)]
    pub email: String,
    #[schema(value_type = String, format = Password)]
    pub password: Secret,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    #[schema(value_type = String)]
    pub refresh_token: Secret,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// The token from the mail link.
    #[schema(value_type = String)]
    pub token: Secret,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "a@example.com"}))]
pub struct EmailRequest {
    #[schema(format = Email, min_length = 1, max_length = 254)]
    pub email: String,
}

/// Starts a passwordless sign-in (API.md §15).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "a@example.com"}))]
pub struct EmailLoginStartRequest {
    #[schema(format = Email, min_length = 1, max_length = 254)]
    pub email: String,
    /// The mail's language when the address has no account (a BCP 47
    /// tag); absent: `Accept-Language`. An account's mail is in its own.
    #[serde(default)]
    #[schema(max_length = 35)]
    pub locale: Option<String>,
}

/// Finishes a passwordless sign-in: the link's `token`, or the `email`
/// with its 6-digit `code`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "a@example.com", "code": "042917"}))]
pub struct EmailLoginVerifyRequest {
    /// The token from the link's fragment (`#token=…`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub token: Option<Secret>,
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// The 6-digit code from the mail.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 6, max_length = 6)]
    pub code: Option<Secret>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirmRequest {
    #[schema(value_type = String)]
    pub token: Secret,
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 256)]
    pub new_password: Secret,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    /// Required, but for an account without a password (signed up by
    /// email, API.md §15), which may set one without it within
    /// `AUTH_REAUTH_MAX_AGE` of its sign-in.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub current_password: Option<Secret>,
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 256)]
    pub new_password: Secret,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"display_name": "Ada Lovelace", "locale": "de-AT"}))]
pub struct UpdateMeRequest {
    /// Up to 100 characters; `null` clears it. Absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, max_length = 100)]
    pub display_name: Option<Option<String>>,
    /// The language of the account's mail: a BCP 47 tag (`de`, `pt-BR`).
    /// Absent: unchanged. At least one of the two fields must be given.
    #[serde(default)]
    #[schema(max_length = 35)]
    pub locale: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"new_email": "new@example.com", "password": "correct-Horse-battery-9"}))]
pub struct ChangeEmailRequest {
    #[schema(format = Email, min_length = 1, max_length = 254)]
    pub new_email: String,
    /// The current password.
    #[schema(value_type = String, format = Password)]
    pub password: Secret,
}

/// The caller's address, and a change of it waiting for confirmation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"email": "a@example.com", "email_verified": true,
    "pending": {"email": "new@example.com", "expires_at": "2026-11-29T12:00:00Z"}}))]
pub struct EmailStatus {
    pub email: String,
    pub email_verified: bool,
    /// The address of the newest change not yet confirmed (`POST
    /// /v1/me/email`); null when none is pending.
    pub pending: Option<PendingEmail>,
}

/// A change of address waiting for its confirmation link.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingEmail {
    pub email: String,
    /// When the confirmation link dies.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteMeRequest {
    #[schema(value_type = String, format = Password)]
    pub password: Secret,
}

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// One audit event (API.md §12).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d90", "type": "login.succeeded",
    "at": "2026-11-30T12:00:00Z", "actor_id": "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91",
    "user_id": "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91", "session_id": "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d92",
    "ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "data": {"method": "password"}}))]
pub struct AuditEvent {
    /// A UUIDv7: events sort by it in time order.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub at: DateTime<Utc>,
    /// Who acted; null when nobody was authenticated (a failed login).
    pub actor_id: Option<String>,
    /// Whom the event concerns.
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Details; never a secret, token or password.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl AuditEvent {
    pub fn from_row(row: AuditEventRow) -> Self {
        Self {
            data: serde_json::from_str(&row.data)
                .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new())),
            id: row.id,
            kind: row.kind,
            at: utc(row.at),
            actor_id: row.actor_id,
            user_id: row.user_id,
            session_id: row.session_id,
            ip: row.ip,
            user_agent: row.user_agent,
        }
    }
}

/// A second factor as its owner sees it (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91", "type": "totp", "name": null,
    "created_at": "2026-11-28T12:00:00Z", "last_used_at": "2026-11-28T12:05:00Z"}))]
pub struct MfaFactor {
    pub id: String,
    /// `totp` or `passkey`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl MfaFactor {
    pub fn from_row(row: &crate::db::models::MfaFactorRow) -> Self {
        Self {
            id: row.id.clone(),
            kind: row.kind.clone(),
            name: row.name.clone(),
            created_at: utc(row.created_at),
            last_used_at: row.last_used_at.map(utc),
        }
    }
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The caller's last security events, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecurityEvents {
    pub events: Vec<AuditEvent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MfaFactorList {
    /// Confirmed factors, oldest first.
    pub factors: Vec<MfaFactor>,
    /// Unspent recovery codes.
    pub recovery_codes_remaining: i64,
}

/// A TOTP factor waiting for its first code.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"factor_id": "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91",
    "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "otpauth_uri": "otpauth://totp/authd:a@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=authd&algorithm=SHA1&digits=6&period=30"}))]
pub struct TotpEnrolment {
    pub factor_id: String,
    /// The secret in base32, for typing into an authenticator app.
    pub secret: String,
    /// The same as an `otpauth://` URI (show it as a QR code).
    pub otpauth_uri: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"code": "123456"}))]
pub struct MfaCodeRequest {
    /// The 6-digit code the authenticator app shows now.
    #[schema(value_type = String)]
    pub code: Secret,
    /// End every other session of the user (ASVS 7.4.3); this one stays.
    #[serde(default)]
    pub end_other_sessions: bool,
}

/// A new label for a factor.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Work laptop"}))]
pub struct RenameFactorRequest {
    /// 1–64 characters, trimmed; nothing invisible.
    pub name: String,
}

/// Query of a factor removal.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveFactorQuery {
    /// End every other session of the user (ASVS 7.4.3); this one stays.
    #[serde(default)]
    pub end_other_sessions: bool,
}

/// Recovery codes, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"recovery_codes": ["7KQ4M-XT2PH", "…"]}))]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// A factor a login may be finished with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MfaFactorRef {
    pub id: String,
    /// `totp` (finish with `/v1/auth/mfa/verify`) or `passkey` (with
    /// `/v1/auth/mfa/passkey/start` and `…/finish`).
    #[serde(rename = "type")]
    pub kind: String,
}

/// A correct password of a user with a second factor: no tokens yet.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"mfa_required": true, "mfa_token": "q1w2e3…",
    "factors": [{"id": "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91", "type": "totp"}]}))]
pub struct MfaChallenge {
    /// Always true.
    pub mfa_required: bool,
    /// For `POST /v1/auth/mfa/verify`: single use, `AUTH_MFA_TOKEN_TTL` (300 s).
    pub mfa_token: String,
    pub factors: Vec<MfaFactorRef>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"mfa_token": "q1w2e3…", "code": "123456"}))]
pub struct MfaVerifyRequest {
    #[schema(value_type = String)]
    pub mfa_token: Secret,
    /// A TOTP code; or else `recovery_code`.
    #[schema(value_type = Option<String>)]
    pub code: Option<Secret>,
    /// One of the recovery codes (dashes, spaces and case ignored).
    #[schema(value_type = Option<String>)]
    pub recovery_code: Option<Secret>,
}

/// What a correct password gets: a token pair (in either transport), or
/// (with a second factor) the second step to take.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    Tokens(TokenPair),
    /// Cookie mode: the refresh token is in `Set-Cookie`, not here.
    BrowserTokens(BrowserTokenPair),
    MfaRequired(MfaChallenge),
}

/// A configured social-login provider (API.md §11).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"name": "google", "display_name": "Google"}))]
pub struct OAuthProvider {
    /// The `{provider}` path segment.
    pub name: String,
    /// What a login button shows.
    pub display_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthProviderList {
    pub providers: Vec<OAuthProvider>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"redirect_uri": "https://app.example.com/oauth/callback"}))]
pub struct OAuthStartRequest {
    /// Where the provider sends the browser back: one of
    /// `AUTH_OAUTH_REDIRECT_URIS`, exactly.
    pub redirect_uri: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"authorization_url": "https://accounts.example.com/authorize?response_type=code&client_id=…"}))]
pub struct OAuthStartResponse {
    /// Send the browser here.
    pub authorization_url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"code": "SplxlOBeZQQYbYS6WxSbIA", "state": "af0ifjsldkj"}))]
pub struct OAuthCallbackRequest {
    /// `code` from the redirect's query string.
    #[schema(value_type = String)]
    pub code: Secret,
    /// `state` from the redirect's query string.
    #[schema(value_type = String)]
    pub state: Secret,
    /// `iss` from the redirect's query string, when the provider sends it
    /// (RFC 9207): it must be the provider's issuer.
    #[serde(default)]
    pub iss: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"id_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6…", "nonce": "n-0S6_WzA2Mj"}))]
pub struct OAuthIdTokenRequest {
    /// The ID token the app got from the provider's SDK.
    #[schema(value_type = String)]
    pub id_token: Secret,
    /// The nonce the app gave the provider: required, accepted once.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub nonce: Option<Secret>,
}

/// A provider identity linked to the caller.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91", "provider": "google",
    "email": "ada@example.com", "created_at": "2026-01-01T12:00:00Z"}))]
pub struct Identity {
    pub id: String,
    pub provider: String,
    /// The email the provider last gave (it may differ from the account's).
    pub email: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityList {
    pub identities: Vec<Identity>,
}

/// A WebAuthn ceremony to hand to `navigator.credentials.create()` or
/// `.get()`: `options` is the WebAuthn JSON (`{"publicKey": {…}}`, binary
/// fields base64url); `challenge_id` names it in the finish call (single
/// use, 5 minutes).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"challenge_id": "x3Kd9…", "options": {"publicKey": {"challenge": "…", "rpId": "app.example.com"}}}))]
pub struct PasskeyCeremony {
    pub challenge_id: String,
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

/// The second step of a password login, by passkey.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasskeyMfaStartRequest {
    #[schema(value_type = String)]
    pub mfa_token: Secret,
}

/// The authenticator's answer to a ceremony.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasskeyFinishRequest {
    pub challenge_id: String,
    /// The `PublicKeyCredential` as JSON (binary fields base64url).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// A new passkey's registration response.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasskeyRegisterRequest {
    pub challenge_id: String,
    /// The `PublicKeyCredential` from `navigator.credentials.create()` as
    /// JSON (binary fields base64url).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// A label for the list (at most 64 characters).
    pub name: Option<String>,
    /// End every other session of the user (ASVS 7.4.3); this one stays.
    #[serde(default)]
    pub end_other_sessions: bool,
}

/// A registered passkey; `recovery_codes` (shown this once) when it is the
/// user's first factor.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyRegistered {
    #[serde(flatten)]
    pub factor: MfaFactor,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}
