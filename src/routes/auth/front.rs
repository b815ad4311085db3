//! What the `/v1/auth` routes check before their use case: the per-IP
//! limits and the caller's client information.

use actix_web::HttpRequest;

use crate::auth::Email;
use crate::auth::session::ClientInfo;
use crate::error::ApiError;
use crate::extract::client_ip;
use crate::state::AppState;

/// The front both "mail me a link" routes share: the per-IP limit (429),
/// the email (422), then the silent per-email quota. Some(email) when a
/// mail may go out; None answers as usual and mails nothing.
pub(crate) async fn mail_request(
    req: &HttpRequest,
    state: &AppState,
    raw_email: &str,
    quota: &str,
) -> Result<Option<Email>, ApiError> {
    state
        .limits()
        .check_ip(
            req,
            "mail",
            client_ip(req, state),
            state.settings.rate_limits.mail_per_ip,
        )
        .await?;
    let email = Email::parse(raw_email).map_err(|m| ApiError::validation("email", m))?;
    Ok(state
        .limits()
        .mail_allowed(quota, email.as_str())
        .await?
        .then_some(email))
}

pub(crate) fn client_info(req: &HttpRequest, state: &AppState) -> ClientInfo {
    crate::extract::request_context(req, state)
}

/// The per-IP login limit every way in shares (password, passkey,
/// provider): 429 past it. The client it counted, for the use case.
pub(crate) async fn login_limit(
    req: &HttpRequest,
    state: &AppState,
) -> Result<ClientInfo, ApiError> {
    let client = client_info(req, state);
    state
        .limits()
        .check_ip(
            req,
            "login",
            client.ip,
            state.settings.rate_limits.login_per_ip,
        )
        .await?;
    Ok(client)
}
