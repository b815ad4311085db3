//! The problem responses of the document, each written once and shared by
//! the `#[utoipa::path]` handlers as `IntoResponses` sets (as kanidm's
//! `apidocs/response_schema.rs` does). Every response carries one example per
//! `code` it can answer, rendered from `ApiError` itself, so an example can
//! never disagree with what the server sends.
//!
//! A handler lists its success response and then the sets that fit, e.g.
//! `responses((status = 200, body = User), BearerErrors)`; a later set
//! replaces an earlier one's response for the same status (a route-specific
//! 401 after a generic one).

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::PartialSchema;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{Content, ContentBuilder, Ref, RefOr};

use crate::error::{ApiError, RateLimitInfo, TokenKind};

type Responses = BTreeMap<String, RefOr<Response>>;

const PROBLEM_JSON: &str = "application/problem+json";

/// One problem response: `status`, a description, one example per error.
fn problem(status: u16, description: &str, errors: &[ApiError]) -> Responses {
    let examples = errors.iter().map(|error| {
        let value = serde_json::to_value(error.problem()).ok();
        (
            error.code(),
            ExampleBuilder::new()
                .summary(format!("{} {}", status, error.code()))
                .value(value)
                .build(),
        )
    });
    let content: Content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .examples_from_iter(examples)
        .build();
    let response = ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, content)
        .build();
    BTreeMap::from([(status.to_string(), RefOr::T(response))])
}

/// `response` with a `Retry-After` header.
fn with_retry_after(mut responses: Responses) -> Responses {
    for response in responses.values_mut() {
        if let RefOr::T(response) = response {
            response.headers.insert(
                "Retry-After".into(),
                header("Seconds to wait before retrying").into(),
            );
        }
    }
    responses
}

/// A 401 of a bearer guard with its RFC 6750 `WWW-Authenticate` header.
fn with_bearer_challenge(mut responses: Responses) -> Responses {
    for response in responses.values_mut() {
        if let RefOr::T(response) = response {
            response.headers.insert(
                "WWW-Authenticate".into(),
                HeaderBuilder::new()
                    .schema(Some(String::schema()))
                    .description(Some(
                        "On `unauthorized` and `token_expired` (RFC 6750): `Bearer realm=\"authd\"`, \
                         with `error=\"invalid_token\"` and an `error_description` when a token was sent",
                    ))
                    .build()
                    .into(),
            );
        }
    }
    responses
}

fn header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Some(u32::schema()))
        .description(Some(description))
        .build()
}

/// The `RateLimit-*` headers (draft-ietf-httpapi-ratelimit-headers) that
/// every answer of a rate-limited route carries once its check has passed.
fn rate_limit_headers() -> [(&'static str, utoipa::openapi::header::Header); 3] {
    [
        ("RateLimit-Limit", header("Requests allowed in the window")),
        ("RateLimit-Remaining", header("Requests left in the window")),
        ("RateLimit-Reset", header("Seconds until the window resets")),
    ]
}

fn merge(parts: impl IntoIterator<Item = Responses>) -> Responses {
    parts.into_iter().flatten().collect()
}

const EXAMPLE_LIMIT: RateLimitInfo = RateLimitInfo {
    limit: 10,
    remaining: 0,
    reset: 1800,
};

fn malformed_request() -> Responses {
    problem(
        400,
        "`malformed_request`: the body is not the JSON this route takes",
        &[ApiError::MalformedRequest(
            "the request body is not valid JSON".into(),
        )],
    )
}

fn bearer_unauthorized() -> Responses {
    with_bearer_challenge(problem(
        401,
        "`unauthorized`: no, malformed, revoked or otherwise invalid access token; \
         `token_expired`: a valid access token past its `exp` (refresh, then retry)",
        &[
            ApiError::Unauthorized,
            ApiError::TokenExpired(TokenKind::Access),
        ],
    ))
}

fn payload_too_large() -> Responses {
    problem(
        413,
        "`payload_too_large`: the body is over the limit (`AUTH_BODY_LIMIT`)",
        &[ApiError::PayloadTooLarge(64 * 1024)],
    )
}

fn unsupported_media_type() -> Responses {
    problem(
        415,
        "`unsupported_media_type`: the body is not `application/json`",
        &[ApiError::UnsupportedMediaType],
    )
}

fn validation_failed() -> Responses {
    problem(
        422,
        "`validation_failed`: `errors` maps each invalid field to its messages",
        &[ApiError::validation(
            "password",
            "must be at least 12 characters long",
        )],
    )
}

fn not_found() -> Responses {
    problem(
        404,
        "`not_found`: no such resource (of the caller's, for sessions)",
        &[ApiError::NotFound("not found")],
    )
}

fn forbidden() -> Responses {
    problem(
        403,
        "`forbidden`: the caller's roles lack the permission the operation names; \
         `mfa_required`: a role of `AUTH_MFA_REQUIRED_ROLES` needs an `aal2` token",
        &[ApiError::Forbidden, ApiError::MfaRequired],
    )
}

/// `AUTH_MFA_REQUIRED_ROLES`: an `aal1` token of such a role reaches only
/// enrolment.
fn mfa_required_by_role() -> Responses {
    problem(
        403,
        "`mfa_required`: the caller holds a role of `AUTH_MFA_REQUIRED_ROLES` and this token \
         is not `aal2` (enrol a factor, then log in with it)",
        &[ApiError::MfaRequired],
    )
}

fn last_admin() -> Responses {
    problem(
        409,
        "`conflict`: the change would leave no enabled admin",
        &[ApiError::Conflict("it would leave no enabled admin")],
    )
}

/// A 429 with `Retry-After` and the `RateLimit-*` headers.
fn rate_limited(description: &str, errors: &[ApiError]) -> Responses {
    let mut responses = with_retry_after(problem(429, description, errors));
    for response in responses.values_mut() {
        if let RefOr::T(response) = response {
            response.headers.extend(
                rate_limit_headers()
                    .into_iter()
                    .map(|(name, header)| (name.to_owned(), header.into())),
            );
        }
    }
    responses
}

fn service_unavailable() -> Responses {
    with_retry_after(problem(
        503,
        "`service_unavailable`: a backing service is down, or too many password checks are waiting",
        &[ApiError::ServiceUnavailable("database")],
    ))
}

/// Declares a response set: a unit struct whose `IntoResponses` merges
/// `parts` (later parts win on the same status).
macro_rules! response_set {
    ($(#[$doc:meta])* $name:ident = [$($part:expr),+ $(,)?]) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> Responses {
                merge([$($part),+])
            }
        }
    };
}

response_set!(
    /// The revocation feed: 401 without a service key, 503.
    ServiceKeyErrors = [
        problem(
            401,
            "`unauthorized`: no `Authorization: Bearer <service key>`, or not a key of \
             `AUTH_SERVICE_KEYS` (an access token never is)",
            &[ApiError::Unauthorized],
        ),
        service_unavailable(),
    ]
);

response_set!(
    /// A route behind the bearer guard: 401 and 503.
    BearerErrors = [bearer_unauthorized(), mfa_required_by_role(), service_unavailable()]
);

response_set!(
    /// A route that reads a JSON body: 400, 413, 415, 422 and 503.
    JsonBodyErrors = [
        malformed_request(),
        payload_too_large(),
        unsupported_media_type(),
        validation_failed(),
        service_unavailable(),
    ]
);

response_set!(
    /// A route that takes a one-time (verification or reset) token: its
    /// problems answer 400.
    OneTimeTokenErrors = [problem(
        400,
        "`invalid_token`, `token_expired`, `token_used` (the one-time token), or `malformed_request`",
        &[
            ApiError::InvalidToken(TokenKind::OneTime),
            ApiError::TokenExpired(TokenKind::OneTime),
            ApiError::TokenUsed,
            ApiError::MalformedRequest("the request body is not valid JSON".into()),
        ],
    )]
);

response_set!(
    /// A rate-limited route (per client IP or session): 429 `rate_limited`.
    RateLimited = [rate_limited(
        "`rate_limited`: too many requests in the window (the `RateLimit-*` headers)",
        &[ApiError::RateLimited(EXAMPLE_LIMIT)],
    )]
);

response_set!(
    /// A rate-limited route that reads a JSON body (register, resend,
    /// reset request, refresh).
    LimitedJsonBodyErrors = [JsonBodyErrors::responses(), RateLimited::responses()]
);

/// A fixed time, so the document does not change from one build to the next.
fn example_unlock_time() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()
}

/// 429 of a route that checks a password: the route's limit, or the
/// account's lockout after too many failed checks.
fn password_checks_throttled() -> Responses {
    rate_limited(
        "`rate_limited`: too many requests in the window (the `RateLimit-*` headers); \
         `account_locked`: too many failed password checks for the account",
        &[
            ApiError::RateLimited(EXAMPLE_LIMIT),
            ApiError::AccountLocked {
                retry_after: 900,
                locked_until: example_unlock_time(),
            },
        ],
    )
}

response_set!(
    /// Login's own answers: a wrong password, an account that may not log
    /// in, too many attempts.
    LoginErrors = [
        problem(
            401,
            "`invalid_credentials`: email or password is incorrect (an unknown email answers alike)",
            &[ApiError::InvalidCredentials],
        ),
        problem(
            403,
            "`email_not_verified` or `account_disabled` (told only after a correct password); \
             `forbidden` for a cookie-mode request from an origin not in `AUTH_CORS_ORIGINS`",
            &[
                ApiError::EmailNotVerified,
                ApiError::AccountDisabled,
                ApiError::ForeignOrigin,
            ],
        ),
        password_checks_throttled(),
    ]
);

response_set!(
    /// A bearer route that asks for the password again (password change,
    /// account deletion): 401 for the token or the password, 429.
    ReauthErrors = [
        with_bearer_challenge(problem(
            401,
            "`unauthorized` or `token_expired` (the access token, as on every bearer route), \
             or `invalid_credentials` (a wrong password)",
            &[
                ApiError::Unauthorized,
                ApiError::TokenExpired(TokenKind::Access),
                ApiError::InvalidCredentials,
            ],
        )),
        password_checks_throttled(),
    ]
);

response_set!(
    /// Refresh's own answers: 401 for the refresh token, 403 for a
    /// disabled account.
    RefreshErrors = [
        problem(
            401,
            "`invalid_token`, `token_expired`, `refresh_token_reused` (the session is now revoked) \
             or `session_revoked`",
            &[
                ApiError::InvalidToken(TokenKind::Refresh),
                ApiError::TokenExpired(TokenKind::Refresh),
                ApiError::RefreshTokenReused,
                ApiError::SessionRevoked,
            ],
        ),
        problem(
            403,
            "`account_disabled`; `forbidden` when the refresh cookie comes without the header \
             `X-Authd-Transport: cookie` or from an origin not in `AUTH_CORS_ORIGINS`",
            &[
                ApiError::AccountDisabled,
                ApiError::CookieWithoutHeader,
            ],
        ),
    ]
);

response_set!(
    /// An admin route: 403 without the permission, besides the bearer
    /// guard's answers.
    AdminErrors = [bearer_unauthorized(), forbidden(), service_unavailable()]
);

response_set!(
    /// A route with query parameters: 422 for bad ones.
    InvalidQuery = [problem(
        422,
        "`validation_failed`: bad query parameters; `errors` names each",
        &[ApiError::validation("per_page", "must be at least 1")],
    )]
);

response_set!(
    /// A route with a typed query string: 400 when it cannot be read.
    MalformedQuery = [problem(
        400,
        "`malformed_request`: the query string could not be read (a flag must be `true` or `false`)",
        &[ApiError::MalformedRequest(
            "the query string could not be read".into(),
        )],
    )]
);

response_set!(
    /// A route about one user or session by id: 404.
    NotFound = [not_found()]
);

response_set!(
    /// An email change whose address another account took meanwhile: 409.
    EmailTakenConflict = [problem(
        409,
        "`conflict`: the address now belongs to another account",
        &[ApiError::Conflict("the address now belongs to another account")],
    )]
);

response_set!(
    /// A change that could remove the last enabled admin: 409.
    LastAdminConflict = [last_admin()]
);

response_set!(
    /// A route that needs `aal2` for a user with MFA (step-up): 403.
    StepUpRequired = [problem(
        403,
        "`mfa_required`: the user has a second factor and this token is not `aal2`; \
         log in with the factor (or, with `AUTH_MFA_REQUIRED_ROLES`, enrol one first)",
        &[ApiError::MfaRequired],
    )]
);

response_set!(
    /// Enrolling a TOTP factor: 403 for a stale login or a missing `aal2`.
    EnrolErrors = [problem(
        403,
        "`reauthentication_required`: the first factor needs a login within \
         `AUTH_REAUTH_MAX_AGE`; `mfa_required`: another factor needs an `aal2` token",
        &[ApiError::ReauthenticationRequired, ApiError::MfaRequired],
    )]
);

response_set!(
    /// Confirming a TOTP factor: 422 for a wrong code, 403, 404.
    ConfirmErrors = [
        problem(
            422,
            "`invalid_mfa_code`: not the app's current code (nothing changed); \
             `validation_failed`: a missing field",
            &[
                ApiError::InvalidMfaCode { enrolling: true },
                ApiError::validation("code", "is required"),
            ],
        ),
        problem(
            403,
            "`mfa_required`: another factor needs an `aal2` token",
            &[ApiError::MfaRequired],
        ),
        not_found(),
    ]
);

response_set!(
    /// New recovery codes without a factor: 409.
    NoFactorConflict = [problem(
        409,
        "`conflict`: no second factor is enrolled",
        &[ApiError::Conflict("enrol a second factor first")],
    )]
);

response_set!(
    /// The second step of a login: 401 for the token or the code, 429/503.
    MfaVerifyErrors = [
        problem(
            401,
            "`invalid_token`: a spent, expired or unknown `mfa_token`; \
             `invalid_mfa_code`: a wrong, old or replayed code (counts toward the lockout; \
             the `mfa_token` stays usable)",
            &[
                ApiError::InvalidToken(TokenKind::Mfa),
                ApiError::InvalidMfaCode { enrolling: false },
            ],
        ),
        problem(403, "`account_disabled`", &[ApiError::AccountDisabled]),
        password_checks_throttled(),
    ]
);

fn unknown_challenge() -> Responses {
    problem(
        400,
        "`invalid_token`: an unknown, expired (5 minutes) or already answered `challenge_id`",
        &[ApiError::InvalidToken(TokenKind::OneTime)],
    )
}

fn bad_credential() -> ApiError {
    ApiError::validation("credential", "is not a WebAuthn PublicKeyCredential")
}

response_set!(
    /// Finishing a passkey registration: 400, 422, 403, 409.
    PasskeyRegisterErrors = [
        unknown_challenge(),
        problem(
            422,
            "`invalid_mfa_code`: the authenticator's answer does not match the challenge, \
             relying party or origin, or lacks user verification (nothing changed); \
             `validation_failed`: a malformed credential or too long a name",
            &[ApiError::InvalidMfaCode { enrolling: true }, bad_credential()],
        ),
        problem(
            403,
            "`reauthentication_required`: the first factor needs a login within \
             `AUTH_REAUTH_MAX_AGE`; `mfa_required`: another factor needs an `aal2` token",
            &[ApiError::ReauthenticationRequired, ApiError::MfaRequired],
        ),
        problem(
            409,
            "`conflict`: this authenticator is registered to another account",
            &[ApiError::Conflict("this passkey is already registered")],
        ),
    ]
);

response_set!(
    /// Starting the passkey step of a login: 401, 409.
    PasskeyStepStartErrors = [
        problem(
            401,
            "`invalid_token`: a spent, expired or unknown `mfa_token`",
            &[ApiError::InvalidToken(TokenKind::Mfa)],
        ),
        problem(
            409,
            "`conflict`: the user has no passkey",
            &[ApiError::Conflict("no passkey is registered")],
        ),
    ]
);

response_set!(
    /// Finishing the passkey step of a login: 400, 401, 403, 422, 429.
    PasskeyStepFinishErrors = [
        unknown_challenge(),
        problem(
            401,
            "`invalid_token`: a spent, expired or unknown `mfa_token`; \
             `invalid_mfa_code`: the assertion was refused (counts toward the lockout; \
             the `mfa_token` stays usable for a new challenge)",
            &[
                ApiError::InvalidToken(TokenKind::Mfa),
                ApiError::InvalidMfaCode { enrolling: false },
            ],
        ),
        problem(403, "`account_disabled`", &[ApiError::AccountDisabled]),
        problem(
            422,
            "`validation_failed`: a malformed credential",
            &[bad_credential()],
        ),
        password_checks_throttled(),
    ]
);

response_set!(
    /// Starting a passwordless login: 429 (the per-IP login limit).
    PasswordlessStartErrors = [rate_limited(
        "`rate_limited`: too many login attempts from this address (the `RateLimit-*` headers)",
        &[ApiError::RateLimited(EXAMPLE_LIMIT)],
    )]
);

response_set!(
    /// Finishing a passwordless login: 400, 401, 403, 422, 429.
    PasswordlessErrors = [
        unknown_challenge(),
        problem(
            401,
            "`invalid_credentials`: the assertion was refused or names no registered passkey",
            &[ApiError::InvalidCredentials],
        ),
        problem(
            403,
            "`email_not_verified` or `account_disabled`",
            &[ApiError::EmailNotVerified, ApiError::AccountDisabled],
        ),
        problem(
            422,
            "`validation_failed`: a malformed credential",
            &[bad_credential()],
        ),
        password_checks_throttled(),
    ]
);

/// Adds the `RateLimit-*` headers to every success of a route that can
/// answer 429 `rate_limited`, so each limited route documents them alike.
pub fn document_rate_limit_headers(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let responses = &mut operation.responses.responses;
            if !responses.contains_key("429") {
                continue;
            }
            for (status, response) in responses.iter_mut() {
                if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
                    for (name, header) in rate_limit_headers() {
                        response.headers.insert(name.to_owned(), header.into());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use utoipa::openapi::RefOr;

    /// Every problem response of the served document shows, per code it can
    /// answer, an example whose `status` is the response's own status.
    #[test]
    fn every_problem_response_has_its_own_examples_with_its_own_status() {
        let doc = serde_json::to_value(crate::openapi::document()).unwrap_or_default();
        let mut problems = 0;
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let responses = operation["responses"].as_object().into_iter().flatten();
                for (status, response) in responses {
                    let Some(content) = response["content"].get(super::PROBLEM_JSON) else {
                        continue;
                    };
                    problems += 1;
                    let examples = content["examples"].as_object();
                    let examples = examples.map(|e| e.values().collect::<Vec<_>>());
                    let examples = examples.unwrap_or_default();
                    assert!(!examples.is_empty(), "{method} {path} {status}: no example");
                    let mut codes = BTreeSet::new();
                    for example in examples {
                        let value = &example["value"];
                        assert_eq!(
                            value["status"].to_string(),
                            *status,
                            "{method} {path} {status}: an example of another status"
                        );
                        let code = value["code"].as_str().unwrap_or_default();
                        assert!(!code.is_empty(), "{method} {path} {status}: no code");
                        assert!(
                            codes.insert(code.to_owned()),
                            "{method} {path}: {code} twice"
                        );
                        let description = response["description"].as_str().unwrap_or_default();
                        assert!(
                            description.contains(&format!("`{code}`")),
                            "{method} {path} {status}: the description does not name `{code}`"
                        );
                    }
                }
            }
        }
        assert!(problems > 100, "only {problems} problem responses found");
    }

    #[test]
    fn limited_routes_document_rate_limit_headers_on_success() {
        let doc = crate::openapi::document();
        for (path, item) in &doc.paths.paths {
            let operations = [&item.get, &item.post, &item.put, &item.patch, &item.delete];
            for operation in operations.into_iter().flatten() {
                let responses = &operation.responses.responses;
                let limited = responses.contains_key("429");
                for (status, response) in responses {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    if status.starts_with('2') || status == "429" {
                        assert_eq!(
                            response.headers.contains_key("RateLimit-Remaining"),
                            limited,
                            "{path} {status}"
                        );
                    }
                }
            }
        }
    }
}

response_set!(
    /// `/.well-known/ssf-configuration` without `AUTH_SSF_RECEIVERS`.
    SsfOff = [problem(
        404,
        "`not_found`: no Shared Signals receiver is configured (`AUTH_SSF_RECEIVERS`)",
        &[ApiError::NotFound("no Shared Signals receiver is configured")],
    )]
);

response_set!(
    /// Social login's start: an unknown provider (404), a provider that
    /// is down (503).
    OAuthStartErrors = [
        problem(
            404,
            "`not_found`: no provider of this name",
            &[ApiError::NotFound("no such provider")],
        ),
        service_unavailable_provider(),
    ]
);

response_set!(
    /// Passwordless sign-in's start (API.md §15): off, or too many starts
    /// from one client.
    EmailLoginStartErrors = [
        problem(
            404,
            "`not_found`: passwordless sign-in is off (`AUTH_EMAIL_LOGIN=false`)",
            &[ApiError::NotFound("no route matches this path")],
        ),
        rate_limited(
            "`rate_limited`: too many starts from this client (`AUTH_RATE_EMAIL_LOGIN_PER_IP`)",
            &[ApiError::RateLimited(EXAMPLE_LIMIT)],
        ),
    ]
);

response_set!(
    /// Passwordless sign-in's verification (API.md §15).
    EmailLoginVerifyErrors = [
        problem(
            400,
            "`invalid_token`: the link's token is unknown, used or expired; \
             `invalid_code`: the code is wrong, dead after 5 wrong tries, used or expired",
            &[ApiError::InvalidToken(TokenKind::OneTime), ApiError::InvalidCode],
        ),
        problem(
            403,
            "`account_disabled`; `forbidden` for a cookie-mode request from an origin not in \
             `AUTH_CORS_ORIGINS`",
            &[ApiError::AccountDisabled, ApiError::ForeignOrigin],
        ),
        problem(
            404,
            "`not_found`: passwordless sign-in is off (`AUTH_EMAIL_LOGIN=false`)",
            &[ApiError::NotFound("no route matches this path")],
        ),
        rate_limited(
            "`rate_limited`: too many tries from this client \
             (`AUTH_RATE_EMAIL_LOGIN_VERIFY_PER_IP`); `account_locked`: too many wrong codes \
             for the address (its lockout, or 20 in a day)",
            &[
                ApiError::RateLimited(EXAMPLE_LIMIT),
                ApiError::AccountLocked {
                    retry_after: 900,
                    locked_until: example_unlock_time(),
                },
            ],
        ),
    ]
);

response_set!(
    /// Social login's callback and ID-token logins.
    OAuthLoginErrors = [
        problem(
            400,
            "`oauth_failed`: the provider refused, or the state was wrong, expired or used",
            &[ApiError::OAuthFailed(
                "the state is unknown, expired or already used",
            )],
        ),
        problem(
            401,
            "`invalid_token`: the ID token's signature, issuer, audience, expiry or nonce is wrong",
            &[ApiError::InvalidToken(TokenKind::Access)],
        ),
        problem(
            403,
            "`email_not_verified` or `account_disabled`",
            &[ApiError::EmailNotVerified, ApiError::AccountDisabled],
        ),
        problem(
            404,
            "`not_found`: no provider of this name",
            &[ApiError::NotFound("no such provider")],
        ),
        problem(
            409,
            "`account_exists`: an account has this email and the two could not be linked safely \
             (log in to it and link the provider); `conflict` (linking): the provider account \
             is linked to another user",
            &[
                ApiError::AccountExists,
                ApiError::Conflict("this provider account is linked to another user"),
            ],
        ),
        RateLimited::responses(),
        service_unavailable_provider(),
    ]
);

response_set!(
    /// Starting to link an identity: 403 for a stale login or a missing
    /// `aal2`, as for enrolling a factor (API.md §14).
    LinkStartErrors = [problem(
        403,
        "`reauthentication_required`: linking needs a login within `AUTH_REAUTH_MAX_AGE`; \
         `mfa_required`: a user with a second factor needs an `aal2` token (or the caller's \
         role needs a factor first)",
        &[ApiError::ReauthenticationRequired, ApiError::MfaRequired],
    )]
);

response_set!(
    /// Finishing a link: the start's 403s, checked again, and a provider
    /// email the provider did not verify.
    LinkCallbackErrors = [problem(
        403,
        "`reauthentication_required`: linking needs a login within `AUTH_REAUTH_MAX_AGE`; \
         `mfa_required`: a user with a second factor needs an `aal2` token; \
         `email_not_verified`: the provider did not verify the account's email",
        &[
            ApiError::ReauthenticationRequired,
            ApiError::MfaRequired,
            ApiError::EmailNotVerified,
        ],
    )]
);

response_set!(
    /// Unlinking an identity: 404, or 409 for the last way in.
    UnlinkErrors = [
        not_found(),
        problem(
            409,
            "`conflict`: this is the last way to log in",
            &[ApiError::Conflict(
                "this is the last way to log in: set a password or link another provider first",
            )],
        ),
    ]
);

fn service_unavailable_provider() -> Responses {
    with_retry_after(problem(
        503,
        "`service_unavailable`: the identity provider (or a backing service) does not answer",
        &[ApiError::ServiceUnavailable("identity provider")],
    ))
}
