//! One closed error type for every HTTP answer that is not a success,
//! rendered as RFC 9457 problem JSON with the contract's stable `code`.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// Field name → messages, as in `errors` of a 422.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// The figures of a rate-limit decision, rendered as `RateLimit-*` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitInfo {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset: u64,
}

/// Which kind of token a token error is about: the contract answers 401 for
/// access and refresh tokens and 400 for one-time (verification, reset)
/// tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
    OneTime,
    /// The `mfa_token` of a login's second step.
    Mfa,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    MalformedRequest(String),
    #[error("the request has invalid fields")]
    Validation(FieldErrors),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    NotFound(&'static str),
    /// Another user's object (a session, an identity): answered exactly as
    /// [`ApiError::NotFound`] with the same detail, so its existence does
    /// not leak, but logged as an `authz.denied` refusal (ASVS 16.3.2).
    #[error("{0}")]
    NotYours(&'static str),
    #[error("this method is not allowed on this path")]
    MethodNotAllowed,
    #[error("a valid bearer access token is required")]
    Unauthorized,
    #[error("email or password is incorrect")]
    InvalidCredentials,
    #[error("the email address has not been verified yet")]
    EmailNotVerified,
    #[error("the account is disabled")]
    AccountDisabled,
    #[error("too many failed password checks; the account is locked until {until} (in {retry_after} s)", until = .locked_until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))]
    AccountLocked {
        /// Seconds until the lock ends (at least 1).
        retry_after: u64,
        locked_until: chrono::DateTime<chrono::Utc>,
    },
    #[error("too many requests; retry later")]
    RateLimited(RateLimitInfo),
    #[error("the token is invalid")]
    InvalidToken(TokenKind),
    #[error("the token has expired")]
    TokenExpired(TokenKind),
    #[error("the token has already been used")]
    TokenUsed,
    #[error("the refresh token was already used; the session has been revoked")]
    RefreshTokenReused,
    #[error("the session has been revoked")]
    SessionRevoked,
    #[error("you do not have the permission this needs")]
    Forbidden,
    /// A user with MFA needs an `aal2` token for this, or a role of
    /// `AUTH_MFA_REQUIRED_ROLES` needs a factor enrolled first.
    #[error("this needs a session that proved a second factor (aal2)")]
    MfaRequired,
    /// A wrong, expired or replayed code; `enrolling` answers 422.
    #[error("the code is wrong, expired or already used")]
    InvalidMfaCode { enrolling: bool },
    #[error("log in again: this needs a login within the last few minutes")]
    ReauthenticationRequired,
    /// A wrong, dead or unknown email sign-in code (API.md §15).
    #[error("the code is wrong, expired or already used")]
    InvalidCode,
    /// A CORS preflight from an origin that `AUTH_CORS_ORIGINS` does not list.
    #[error(
        "the origin {0} is not allowed to call this API from a browser; list it in AUTH_CORS_ORIGINS (comma-separated)"
    )]
    OriginNotAllowed(String),
    /// The refresh cookie without `X-Authd-Transport: cookie` (CSRF, API.md §10).
    #[error(
        "the refresh cookie is accepted only with the header X-Authd-Transport: cookie and a JSON or empty body"
    )]
    CookieWithoutHeader,
    /// Cookie mode from an origin `AUTH_CORS_ORIGINS` does not list (CSRF).
    #[error(
        "cookie mode (X-Authd-Transport: cookie) is allowed only from an origin listed in AUTH_CORS_ORIGINS"
    )]
    ForeignOrigin,
    #[error("{0}")]
    Conflict(&'static str),
    /// Social login: an account with the provider's email exists and the
    /// two could not be linked safely (API.md §11).
    #[error(
        "an account with this email exists; log in to it and link this provider from your account"
    )]
    AccountExists,
    /// Social login: the provider refused, or the state was wrong, expired
    /// or used.
    #[error("{0}")]
    OAuthFailed(&'static str),
    #[error("internal error")]
    Internal { id: uuid::Uuid },
    #[error("a backing service is unavailable: {0}")]
    ServiceUnavailable(&'static str),
}

/// The problem document, as the contract shows it (and as OpenAPI documents
/// every error).
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({"type": "about:blank", "title": "Unauthorized", "status": 401,
    "detail": "email or password is incorrect", "code": "invalid_credentials"}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable error code (API.md §8).
    pub code: String,
    /// Field errors of a 422: field name → messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::HashMap<String, Vec<String>>>)]
    pub errors: Option<FieldErrors>,
    /// Correlation id of a 500, also in the server log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// `account_locked` only: seconds until the lock ends, as in `Retry-After`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 840)]
    pub retry_after: Option<u64>,
    /// `account_locked` only: when the lock ends (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-01-01T12:15:00Z")]
    pub locked_until: Option<String>,
}

impl ApiError {
    /// An internal failure: logs the cause with a correlation id and returns
    /// an error that carries only the id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let id = uuid::Uuid::now_v7();
        tracing::error!(error_id = %id, cause = %cause, "internal error");
        Self::Internal { id }
    }

    /// The error the application itself answers with `status`, for the
    /// framework's own plain-text errors (`routes::fallback`).
    pub fn for_status(status: StatusCode, body_limit: usize) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::FORBIDDEN => Self::Forbidden,
            StatusCode::NOT_FOUND => Self::NotFound("no route matches this path"),
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge(body_limit),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => Self::Validation(FieldErrors::new()),
            StatusCode::SERVICE_UNAVAILABLE => Self::ServiceUnavailable("service"),
            s if s.is_server_error() => Self::internal(format!("the framework answered {s}")),
            _ => Self::MalformedRequest("the request could not be understood".into()),
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), vec![message.into()]);
        Self::Validation(errors)
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedRequest(_) => "malformed_request",
            Self::Validation(_) => "validation_failed",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NotFound(_) | Self::NotYours(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::EmailNotVerified => "email_not_verified",
            Self::AccountDisabled => "account_disabled",
            Self::AccountLocked { .. } => "account_locked",
            Self::RateLimited(_) => "rate_limited",
            Self::InvalidToken(_) => "invalid_token",
            Self::TokenExpired(_) => "token_expired",
            Self::TokenUsed => "token_used",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::SessionRevoked => "session_revoked",
            Self::Forbidden
            | Self::OriginNotAllowed(_)
            | Self::CookieWithoutHeader
            | Self::ForeignOrigin => "forbidden",
            Self::MfaRequired => "mfa_required",
            Self::InvalidMfaCode { .. } => "invalid_mfa_code",
            Self::ReauthenticationRequired => "reauthentication_required",
            Self::InvalidCode => "invalid_code",
            Self::Conflict(_) => "conflict",
            Self::AccountExists => "account_exists",
            Self::OAuthFailed(_) => "oauth_failed",
            Self::Internal { .. } => "internal_error",
            Self::ServiceUnavailable(_) => "service_unavailable",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code().into(),
            errors: match self {
                Self::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
            error_id: match self {
                Self::Internal { id } => Some(id.to_string()),
                _ => None,
            },
            retry_after: match self {
                Self::AccountLocked { retry_after, .. } => Some(*retry_after),
                _ => None,
            },
            locked_until: match self {
                Self::AccountLocked { locked_until, .. } => {
                    Some(locked_until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                }
                _ => None,
            },
        }
    }
}

/// The error-code reference (`authd docs`, `docs/reference/errors.md`) is
/// written from here: one example of each kind of answer, and when it is
/// given. `when` matches every variant with no wildcard, so a new variant
/// cannot compile without its line; add its example to `examples` too.
impl ApiError {
    /// When this answer is given (Markdown, one sentence or two).
    pub fn when(&self) -> &'static str {
        match self {
            Self::MalformedRequest(_) => {
                "The request could not be read: malformed JSON, a missing or wrongly typed field, a JSON body that is not an object, a bad query string or malformed HTTP."
            }
            Self::Validation(_) => {
                "One or more fields are invalid (an email that is not one, a password the policy refuses, an unknown role); `errors` lists every failing field at once."
            }
            Self::PayloadTooLarge(_) => "The body is larger than `AUTH_BODY_LIMIT`.",
            Self::UnsupportedMediaType => {
                "A body was sent without `Content-Type: application/json` (or another `application/*+json` type)."
            }
            Self::NotFound(_) => "No route matches the path, or the object does not exist.",
            Self::NotYours(_) => {
                "Another user's object (a session, an identity): answered exactly as a missing one, and logged as an `authz.denied` refusal."
            }
            Self::MethodNotAllowed => {
                "The path exists but not with this method (`HEAD` included, see deviation (j))."
            }
            Self::Unauthorized => {
                "No bearer token, or one that is malformed, tampered with, for another audience or revoked (clients refresh once, then send the user to login); on `/v1/revocations`, no service key or one not in `AUTH_SERVICE_KEYS`."
            }
            Self::InvalidCredentials => {
                "Wrong email or password (an unknown email answers the same), or a login that lost a race with a password reset."
            }
            Self::EmailNotVerified => {
                "Login before the email is verified, while `AUTH_REQUIRE_VERIFIED_EMAIL` is `true`."
            }
            Self::AccountDisabled => "The account was disabled by an admin.",
            Self::AccountLocked { .. } => {
                "Too many failed password checks for this email (`AUTH_LOCKOUT_THRESHOLD`); even the right password is refused until the lock ends. `Retry-After`, `retry_after` and `locked_until` say when."
            }
            Self::RateLimited(_) => {
                "A rate limit was reached; `Retry-After` and the `RateLimit-*` headers say when to try again."
            }
            Self::InvalidToken(TokenKind::OneTime) => {
                "A verification, reset or email-change token that is unknown, malformed, or issued before the password last changed."
            }
            Self::InvalidToken(TokenKind::Mfa) => {
                "The `mfa_token` of a login's second step is unknown, spent or expired."
            }
            Self::InvalidToken(TokenKind::Access | TokenKind::Refresh) => {
                "A refresh token that is malformed, tampered with, signed by a removed key or of the wrong type."
            }
            Self::TokenExpired(TokenKind::OneTime) => {
                "A verification, reset or email-change link that has expired."
            }
            Self::TokenExpired(TokenKind::Access | TokenKind::Refresh | TokenKind::Mfa) => {
                "An access token past its `exp` (the signal to refresh), or a refresh token or session past its lifetime (`AUTH_REFRESH_TTL`, `AUTH_SESSION_MAX_AGE`)."
            }
            Self::TokenUsed => "A one-time token that was already used.",
            Self::RefreshTokenReused => {
                "A spent refresh token presented again after the grace window: the whole session is revoked."
            }
            Self::SessionRevoked => "The session was logged out or revoked.",
            Self::Forbidden => "The caller's roles lack the permission the route needs.",
            Self::MfaRequired => {
                "This needs an `aal2` token (step-up), or a role of `AUTH_MFA_REQUIRED_ROLES` must enrol a second factor first."
            }
            Self::InvalidMfaCode { enrolling: false } => {
                "A wrong, expired or replayed code in a login's second step; counts toward the lockout."
            }
            Self::InvalidMfaCode { enrolling: true } => {
                "A wrong code when confirming a new factor."
            }
            Self::InvalidCode => {
                "A wrong, spent or expired email sign-in code (or one for an address with no live code); five wrong tries end the code and its link, and wrong codes count toward the lockout."
            }
            Self::ReauthenticationRequired => {
                "Enrolling the first factor or linking a provider needs a login within `AUTH_REAUTH_MAX_AGE`."
            }
            Self::OriginNotAllowed(_) => {
                "A CORS preflight from an origin `AUTH_CORS_ORIGINS` does not list."
            }
            Self::CookieWithoutHeader => {
                "The refresh cookie was sent without `X-Authd-Transport: cookie` (CSRF protection)."
            }
            Self::ForeignOrigin => "Cookie mode from an origin `AUTH_CORS_ORIGINS` does not list.",
            Self::Conflict(_) => {
                "The change conflicts with the current state: it would leave no enabled admin, the address belongs to another account, the passkey is already registered."
            }
            Self::AccountExists => {
                "Social login: an account with the provider's email exists and cannot be linked safely; the user logs in and links the provider."
            }
            Self::OAuthFailed(_) => {
                "Social login: the provider refused, the `state` was wrong, expired or used, or the provider's answer could not be used."
            }
            Self::Internal { .. } => {
                "A bug or an unexpected failure; `error_id` is also in the server log next to the cause."
            }
            Self::ServiceUnavailable(_) => {
                "A backing service (database, store, SMTP for a check, the breach API when `closed`) is down, or the bcrypt queue is full; `Retry-After: 1`."
            }
        }
    }

    /// One example of every kind of answer, in the order the reference lists them.
    pub fn examples() -> Vec<Self> {
        let locked_until = chrono::DateTime::from_timestamp(1_767_269_700, 0).unwrap_or_default();
        let mut field_errors = FieldErrors::new();
        field_errors.insert("email".into(), vec!["is not a valid email address".into()]);
        vec![
            Self::MalformedRequest("the JSON body could not be read".into()),
            Self::OAuthFailed("the state is unknown, expired or already used"),
            Self::InvalidToken(TokenKind::OneTime),
            Self::TokenExpired(TokenKind::OneTime),
            Self::TokenUsed,
            Self::InvalidCode,
            Self::Unauthorized,
            Self::InvalidCredentials,
            Self::InvalidToken(TokenKind::Refresh),
            Self::InvalidToken(TokenKind::Mfa),
            Self::TokenExpired(TokenKind::Access),
            Self::RefreshTokenReused,
            Self::SessionRevoked,
            Self::InvalidMfaCode { enrolling: false },
            Self::EmailNotVerified,
            Self::AccountDisabled,
            Self::Forbidden,
            Self::OriginNotAllowed("https://other.example".into()),
            Self::CookieWithoutHeader,
            Self::ForeignOrigin,
            Self::MfaRequired,
            Self::ReauthenticationRequired,
            Self::NotFound("no route matches this path"),
            Self::NotYours("no such session"),
            Self::MethodNotAllowed,
            Self::Conflict("it would leave no enabled admin"),
            Self::AccountExists,
            Self::PayloadTooLarge(65_536),
            Self::UnsupportedMediaType,
            Self::Validation(field_errors),
            Self::InvalidMfaCode { enrolling: true },
            Self::AccountLocked {
                retry_after: 840,
                locked_until,
            },
            Self::RateLimited(RateLimitInfo {
                limit: 30,
                remaining: 0,
                reset: 42,
            }),
            Self::Internal {
                id: uuid::Uuid::nil(),
            },
            Self::ServiceUnavailable("database"),
        ]
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MalformedRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound(_) | Self::NotYours(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthorized
            | Self::InvalidCredentials
            | Self::RefreshTokenReused
            | Self::SessionRevoked
            | Self::InvalidMfaCode { enrolling: false } => StatusCode::UNAUTHORIZED,
            Self::InvalidMfaCode { enrolling: true } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::InvalidToken(TokenKind::Access | TokenKind::Refresh | TokenKind::Mfa)
            | Self::TokenExpired(TokenKind::Access | TokenKind::Refresh | TokenKind::Mfa) => {
                StatusCode::UNAUTHORIZED
            }
            Self::InvalidToken(TokenKind::OneTime)
            | Self::TokenExpired(TokenKind::OneTime)
            | Self::TokenUsed
            | Self::InvalidCode => StatusCode::BAD_REQUEST,
            Self::EmailNotVerified
            | Self::AccountDisabled
            | Self::Forbidden
            | Self::MfaRequired
            | Self::ReauthenticationRequired
            | Self::OriginNotAllowed(_)
            | Self::CookieWithoutHeader
            | Self::ForeignOrigin => StatusCode::FORBIDDEN,
            Self::AccountLocked { .. } | Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Conflict(_) | Self::AccountExists => StatusCode::CONFLICT,
            Self::OAuthFailed(_) => StatusCode::BAD_REQUEST,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            Self::RateLimited(info) => {
                response.insert_header((header::RETRY_AFTER, info.reset.max(1).to_string()));
                insert_rate_limit_headers(&mut response, info);
            }
            Self::AccountLocked { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.max(&1).to_string()));
            }
            // A backing service down or the password queue full: worth
            // trying again in a moment.
            Self::ServiceUnavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}

pub fn insert_rate_limit_headers(
    response: &mut actix_web::HttpResponseBuilder,
    info: &RateLimitInfo,
) {
    for (name, value) in rate_limit_headers(info) {
        response.insert_header((name, value));
    }
}

pub fn rate_limit_headers(info: &RateLimitInfo) -> [(&'static str, HeaderValue); 3] {
    [
        ("ratelimit-limit", HeaderValue::from(info.limit)),
        ("ratelimit-remaining", HeaderValue::from(info.remaining)),
        ("ratelimit-reset", HeaderValue::from(info.reset)),
    ]
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound("not found"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::Conflict("it already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::ServiceUnavailable("database")
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                Self::ServiceUnavailable("database")
            }
            other => Self::internal(format!("database: {other}")),
        }
    }
}
