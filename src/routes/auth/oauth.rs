//! `/v1/auth/oauth/…`: social login through OpenID Providers (API.md §11).

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::api_types::{
    LoginResponse, MfaChallenge, OAuthCallbackRequest, OAuthIdTokenRequest, OAuthProvider,
    OAuthProviderList, OAuthStartRequest, OAuthStartResponse,
};
use crate::auth::login::LoginOutcome;
use crate::auth::oidc;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{JsonBodyErrors, OAuthLoginErrors, OAuthStartErrors};
use crate::routes::transport::{self, Transport};
use crate::state::AppState;

/// The configured social-login providers.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "Providers, as configured", body = OAuthProviderList))
)]
#[get("/oauth/providers")]
pub async fn oauth_providers(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(OAuthProviderList {
        providers: state
            .oidc
            .list()
            .into_iter()
            .map(|(name, display_name)| OAuthProvider { name, display_name })
            .collect(),
    })
}

/// Start a social login: the provider's authorization URL (authorization
/// code with PKCE S256). `redirect_uri` must be one of
/// `AUTH_OAUTH_REDIRECT_URIS`; the page there posts the `code` and `state`
/// it receives to the callback within 10 minutes.
#[utoipa::path(
    tag = "auth",
    params(("provider" = String, Path, description = "A name from `GET /v1/auth/oauth/providers`"),
        ("X-Authd-Transport" = Option<String>, Header,
            description = "`cookie` for browser mode: the login is bound to this browser by a \
                `__Host-authd_oauth` cookie, and its callback must come in browser mode with it")),
    request_body = OAuthStartRequest,
    responses(
        (status = 200, description = "Send the browser to `authorization_url`. In browser mode \
            `Set-Cookie` carries the `__Host-authd_oauth` binding (10 minutes).", body = OAuthStartResponse),
        JsonBodyErrors, OAuthStartErrors,
    )
)]
#[post("/oauth/{provider}/start")]
pub async fn oauth_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    body: JsonBody<OAuthStartRequest>,
) -> Result<HttpResponse, ApiError> {
    let transport = Transport::of(&req, &state.settings.http)?;
    let binding = (transport == Transport::Cookie).then(oidc::new_browser_binding);
    let url = oidc::start(
        &state,
        &provider,
        &body.0.redirect_uri,
        None,
        binding.as_deref(),
    )
    .await?;
    let mut response = HttpResponse::Ok().json(OAuthStartResponse {
        authorization_url: url,
    });
    if let Some(binding) = binding {
        transport::set_oauth_binding(&mut response, &binding, oidc::STATE_TTL.as_secs());
    }
    Ok(response)
}

/// Finish a social login: the `code` and `state` (and `iss`, when sent)
/// of the provider's redirect. A first login creates the account; an
/// account with the same email is linked only when both sides verified
/// it (else 409 `account_exists`). A user with a second factor gets the
/// MFA step as after a password. `amr` includes `fed`.
#[utoipa::path(
    tag = "auth",
    params(("provider" = String, Path, description = "A name from `GET /v1/auth/oauth/providers`")),
    request_body = OAuthCallbackRequest,
    responses(
        (status = 200, description = "Logged in, or (with a second factor) the second step to take. \
            With `X-Authd-Transport: cookie` the refresh token is in `Set-Cookie`, not the body.", body = LoginResponse),
        JsonBodyErrors, OAuthLoginErrors,
    )
)]
#[post("/oauth/{provider}/callback")]
pub async fn oauth_callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    body: JsonBody<OAuthCallbackRequest>,
) -> Result<HttpResponse, ApiError> {
    let transport = Transport::of(&req, &state.settings.http)?;
    let client = super::front::login_limit(&req, &state).await?;
    let body = body.0;
    let binding = transport::oauth_binding(&req);
    let browser = match transport {
        Transport::Cookie => oidc::Browser::Bound(binding.as_deref()),
        Transport::Body => oidc::Browser::Unbound,
    };
    let result = oidc::callback(
        &state,
        &provider,
        body.code.expose(),
        body.state.expose(),
        body.iss.as_deref(),
        browser,
        client,
    )
    .await;
    let mut response = answer(&state, transport, &provider, result)?;
    if binding.is_some() {
        // Spent with the state: the cookie has no further use.
        transport::set_oauth_binding(&mut response, "", 0);
    }
    Ok(response)
}

/// Log in with an ID token a native app got from the provider's SDK (Sign
/// in with Google/Apple on the device). Its audience may be any of the
/// provider's client ids; `nonce` is required and accepted once.
#[utoipa::path(
    tag = "auth",
    params(("provider" = String, Path, description = "A name from `GET /v1/auth/oauth/providers`")),
    request_body = OAuthIdTokenRequest,
    responses(
        (status = 200, description = "Logged in, or (with a second factor) the second step to take. \
            With `X-Authd-Transport: cookie` the refresh token is in `Set-Cookie`, not the body.", body = LoginResponse),
        JsonBodyErrors, OAuthLoginErrors,
    )
)]
#[post("/oauth/{provider}/id-token")]
pub async fn oauth_id_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    body: JsonBody<OAuthIdTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let transport = Transport::of(&req, &state.settings.http)?;
    let client = super::front::login_limit(&req, &state).await?;
    let body = body.0;
    let result = oidc::with_id_token(
        &state,
        &provider,
        body.id_token.expose(),
        body.nonce.as_ref().map(|n| n.expose()),
        client,
    )
    .await;
    answer(&state, transport, &provider, result)
}

fn answer(
    state: &AppState,
    transport: Transport,
    provider: &str,
    result: Result<LoginOutcome, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let outcome = match &result {
        Ok(LoginOutcome::Session(_)) => "success",
        Ok(LoginOutcome::MfaRequired(_)) => "mfa_required",
        Err(e) => e.code(),
    };
    state.metrics.login(outcome);
    if result.is_err() {
        tracing::warn!(
            event = "auth.oauth.login",
            provider,
            outcome,
            "security event"
        );
    }
    match result? {
        LoginOutcome::Session(pair) => transport::respond(state, transport, pair),
        LoginOutcome::MfaRequired(challenge) => Ok(HttpResponse::Ok().json(MfaChallenge {
            mfa_required: true,
            mfa_token: challenge.token,
            factors: challenge.factors,
        })),
    }
}
