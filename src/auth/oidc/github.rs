//! The GitHub preset (API.md §11): OAuth 2.0 without OpenID Connect, so
//! no discovery and no ID token. The code (with the PKCE verifier) is
//! exchanged at `{web}/login/oauth/access_token`, and the access token is
//! spent at once on `{api}/user` and `{api}/user/emails`; it is never kept
//! or logged.
//!
//! - The identity is keyed on the web URL (the issuer) and GitHub's numeric
//!   user `id`, never on the login or the email (both can change).
//! - The email is the `primary` entry of `/user/emails`, verified when
//!   GitHub says so. Without a primary address (the `user:email` scope not
//!   granted) the login is refused: 400 `oauth_failed`.
//! - GitHub answers a refused code with 200 and `{"error": …}`.

use openidconnect::http::{Method, Request, header};
use openidconnect::url::{Url, form_urlencoded};
use openidconnect::{CsrfToken, PkceCodeChallenge};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::http::Outbound;
use super::proven::{Authorization, ProvenIdentity, unavailable};
use crate::config::OidcProvider;
use crate::error::ApiError;
use crate::secret::Secret;

/// GitHub refuses API requests without one.
const USER_AGENT: &str = concat!("authd/", env!("CARGO_PKG_VERSION"));
const API_VERSION: &str = "2022-11-28";

const NO_PRIMARY_EMAIL: &str = "GitHub shared no primary email address: add and verify one in \
     your GitHub email settings (and allow the app to read it), then try again";

/// The authorization URL: code flow, PKCE S256, a fresh state (no nonce:
/// there is no ID token to carry it).
pub fn authorize(config: &OidcProvider, redirect_uri: &str) -> Result<Authorization, ApiError> {
    let mut url = Url::parse(&format!("{}/login/oauth/authorize", config.issuer))
        .map_err(ApiError::internal)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();
    url.query_pairs_mut()
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &config.scopes.join(" "))
        .append_pair("state", state.secret())
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256");
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: String::new(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// What the token endpoint answers: a token, or (with status 200) an error.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<Secret>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: u64,
    login: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct UserEmail {
    email: String,
    primary: bool,
    verified: bool,
}

/// Exchanges the code, then reads who the user is.
pub async fn exchange(
    http: &Outbound,
    config: &OidcProvider,
    api_url: &str,
    code: &str,
    redirect_uri: &str,
    pkce_verifier: &str,
) -> Result<ProvenIdentity, ApiError> {
    let name = config.name.as_str();
    let secret = config.client_secret.as_ref().map_or("", Secret::expose);
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &config.client_id)
        .append_pair("client_secret", secret)
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_verifier", pkce_verifier)
        .finish();
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("{}/login/oauth/access_token", config.issuer))
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::USER_AGENT, USER_AGENT)
        .body(form.into_bytes())
        .map_err(ApiError::internal)?;
    let response = http
        .send(request)
        .await
        .map_err(|e| unavailable(name, "token", e))?;
    if response.status().is_server_error() {
        return Err(unavailable(name, "token", response.status()));
    }
    let answer: TokenAnswer = serde_json::from_slice(response.body()).map_err(|_| {
        tracing::warn!(provider = name, status = %response.status(), "GitHub's token answer is not JSON");
        ApiError::OAuthFailed("the provider's token response could not be read")
    })?;
    let token = match answer {
        TokenAnswer {
            error: Some(error), ..
        } => {
            let error: String = error.chars().take(64).collect();
            tracing::info!(provider = name, error, "the provider refused the code");
            return Err(ApiError::OAuthFailed(
                "the provider refused the authorization code",
            ));
        }
        TokenAnswer {
            access_token: Some(token),
            ..
        } if response.status().is_success() => token,
        _ => {
            return Err(ApiError::OAuthFailed(
                "the provider's token response could not be read",
            ));
        }
    };
    let (user, emails) = futures_util::future::try_join(
        api_get::<User>(http, name, &format!("{api_url}/user"), &token),
        api_get::<Vec<UserEmail>>(http, name, &format!("{api_url}/user/emails"), &token),
    )
    .await?;
    drop(token);
    let user = user.ok_or(ApiError::OAuthFailed(
        "the provider did not say who the user is",
    ))?;
    let primary = emails
        .unwrap_or_default()
        .into_iter()
        .find(|e| e.primary)
        .ok_or(ApiError::OAuthFailed(NO_PRIMARY_EMAIL))?;
    Ok(ProvenIdentity {
        provider: config.name.clone(),
        issuer: config.issuer.clone(),
        subject: user.id.to_string(),
        email: Some(primary.email),
        email_verified: primary.verified,
        name: user.name.or(user.login),
    })
}

/// A GET on GitHub's REST API with the user's token: None when GitHub
/// answers 403 or 404 (a scope not granted).
async fn api_get<T: DeserializeOwned>(
    http: &Outbound,
    name: &str,
    url: &str,
    token: &Secret,
) -> Result<Option<T>, ApiError> {
    let request = Request::builder()
        .method(Method::GET)
        .uri(url)
        .header(header::ACCEPT, "application/vnd.github+json")
        .header("X-GitHub-Api-Version", API_VERSION)
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::AUTHORIZATION, format!("Bearer {}", token.expose()))
        .body(Vec::new())
        .map_err(ApiError::internal)?;
    let response = http
        .send(request)
        .await
        .map_err(|e| unavailable(name, "user API", e))?;
    let status = response.status();
    if status.is_server_error() {
        return Err(unavailable(name, "user API", status));
    }
    if status.as_u16() == 403 || status.as_u16() == 404 {
        tracing::info!(provider = name, %status, url, "the provider's API withheld an answer");
        return Ok(None);
    }
    if !status.is_success() {
        tracing::warn!(provider = name, %status, url, "the provider's API refused its own token");
        return Err(ApiError::OAuthFailed(
            "the provider refused the access token it issued",
        ));
    }
    serde_json::from_slice(response.body()).map(Some).map_err(|e| {
        tracing::warn!(provider = name, error = %e, url, "the provider's API answer could not be read");
        ApiError::OAuthFailed("the provider's user information could not be read")
    })
}
