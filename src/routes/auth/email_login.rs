//! Passwordless sign-in by email (API.md §15).

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{
    Accepted, EmailLoginStartRequest, EmailLoginVerifyRequest, LoginResponse, MfaChallenge,
};
use crate::auth::Email;
use crate::auth::email_login::{self, Proof};
use crate::auth::login::LoginOutcome;
use crate::error::ApiError;
use crate::extract::{JsonBody, request_locale};
use crate::openapi::responses::{EmailLoginStartErrors, EmailLoginVerifyErrors, JsonBodyErrors};
use crate::routes::transport::{self, Transport};
use crate::state::AppState;

/// 404 while `AUTH_EMAIL_LOGIN=false`: the routes do not exist.
fn enabled(state: &AppState) -> Result<(), ApiError> {
    if state.settings.email_login.enabled {
        Ok(())
    } else {
        Err(ApiError::NotFound("no route matches this path"))
    }
}

/// Mail a sign-in link and code: the same 202, in the same time, for every
/// address.
///
/// One mail (`email_login`) carries a link `{AUTH_FRONTEND_URL}/email-login#token=…`
/// (the token in the fragment) and a 6-digit code for another device; both
/// live `AUTH_EMAIL_LOGIN_TTL` and a newer start ends them. An address with
/// no account is signed up by the same mail (`AUTH_EMAIL_LOGIN_SIGNUP`);
/// with sign-up off it gets nothing. Past the per-address mail quota
/// nothing is sent and the older pair stays.
#[utoipa::path(
    tag = "auth",
    request_body = EmailLoginStartRequest,
    responses(
        (status = 202, description = "Accepted (whatever the address)", body = Accepted,
            example = json!({"status": "email_sent"})),
        JsonBodyErrors, EmailLoginStartErrors,
    )
)]
#[post("/email-login/start")]
pub async fn start_email_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<EmailLoginStartRequest>,
) -> Result<HttpResponse, ApiError> {
    enabled(&state)?;
    let client = super::front::client_info(&req, &state);
    state
        .limits()
        .check_ip(
            &req,
            "email_login",
            client.ip,
            state.settings.rate_limits.email_login_per_ip,
        )
        .await?;
    let email = Email::parse(&body.0.email).map_err(|m| ApiError::validation("email", m))?;
    let locale = request_locale(&req, &state, body.0.locale.as_deref())
        .map_err(|m| ApiError::validation("locale", m))?;
    let allowed = state
        .limits()
        .mail_allowed("email_login", email.as_str())
        .await?;
    email_login::start(&state, email, locale, allowed).await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "email_sent",
    }))
}

/// Sign in with the mail's link (`token`) or code (`email` and `code`).
///
/// 200 with a token pair (`amr` `["email"]`), or the second step when the
/// user has a factor (as login). The first sign-in of a new address
/// creates its account (verified, no password); signing in to an account
/// whose address was never verified ends every way in it had. A code
/// allows 5 wrong tries; wrong codes count toward the account's lockout.
/// Either transport (`X-Authd-Transport: cookie`).
#[utoipa::path(
    tag = "auth",
    request_body = EmailLoginVerifyRequest,
    responses(
        (status = 200, description = "Signed in, or (with a second factor) the second step to take. \
            In cookie mode the body has no `refresh_token`; it is in the `Set-Cookie` header instead.",
            body = LoginResponse),
        JsonBodyErrors, EmailLoginVerifyErrors,
    )
)]
#[post("/email-login/verify")]
pub async fn verify_email_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<EmailLoginVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    enabled(&state)?;
    let transport = Transport::of(&req, &state.settings.http)?;
    let client = super::front::client_info(&req, &state);
    state
        .limits()
        .check_ip(
            &req,
            "email_login_verify",
            client.ip,
            state.settings.rate_limits.email_login_verify_per_ip,
        )
        .await?;
    let proof = proof(body.0)?;
    let shared = state.clone().into_inner();
    let result = email_login::verify(&shared, proof, client.clone()).await;
    let outcome = match &result {
        Ok(LoginOutcome::Session(_)) => "success",
        Ok(LoginOutcome::MfaRequired(_)) => "mfa_required",
        Err(e) => e.code(),
    };
    state.metrics.login(outcome);
    let ip = client.ip.map(|ip| ip.to_string());
    match &result {
        Ok(LoginOutcome::Session(pair)) => tracing::info!(
            event = "auth.login",
            method = "email",
            outcome,
            user_id = %pair.user.id,
            ip,
            "security event"
        ),
        Ok(LoginOutcome::MfaRequired(_)) => {
            tracing::info!(
                event = "auth.login",
                method = "email",
                outcome,
                ip,
                "security event"
            );
        }
        Err(_) => {
            tracing::warn!(
                event = "auth.login",
                method = "email",
                outcome,
                ip,
                "security event"
            );
        }
    }
    match result? {
        LoginOutcome::Session(pair) => transport::respond(&state, transport, pair),
        LoginOutcome::MfaRequired(challenge) => Ok(HttpResponse::Ok().json(MfaChallenge {
            mfa_required: true,
            mfa_token: challenge.token,
            factors: challenge.factors,
        })),
    }
}

/// The token, or the address and code; 422 when neither is complete.
fn proof(body: EmailLoginVerifyRequest) -> Result<Proof, ApiError> {
    if let Some(token) = body.token {
        return Ok(Proof::Token(token.expose().to_owned()));
    }
    let (Some(email), Some(code)) = (body.email, body.code) else {
        return Err(ApiError::validation(
            "token",
            "send the link's token, or the email and its code",
        ));
    };
    let email = Email::parse(&email).map_err(|m| ApiError::validation("email", m))?;
    Ok(Proof::Code {
        email,
        code: code.expose().trim().to_owned(),
    })
}
