//! `/v1/auth`: registration, verification, login, tokens, sessions, passwords.

mod email_change;
mod email_login;
mod login;
mod logout;
mod mfa_verify;
mod oauth;
mod passkey;
mod password_change;
mod password_reset;
mod refresh;
mod register;
mod sessions;
mod verify_email;

use actix_web::HttpRequest;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Email;
use crate::auth::session::ClientInfo;
use crate::error::ApiError;
use crate::extract::client_ip;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register::register)
        .service(login::login)
        .service(mfa_verify::verify_mfa)
        .service(oauth::oauth_providers)
        .service(oauth::oauth_start)
        .service(oauth::oauth_callback)
        .service(oauth::oauth_id_token)
        .service(passkey::start_mfa_passkey)
        .service(passkey::finish_mfa_passkey)
        .service(passkey::start_passwordless)
        .service(passkey::finish_passwordless)
        .service(refresh::refresh)
        .service(logout::logout)
        .service(logout::logout_all)
        .service(sessions::list_sessions)
        .service(sessions::revoke_session)
        .service(verify_email::verify_email)
        .service(verify_email::resend_verification)
        .service(password_reset::request_reset)
        .service(password_reset::confirm_reset)
        .service(password_change::change_password)
        .service(email_change::confirm_email_change)
        .service(email_change::revert_email_change)
        .service(email_login::start_email_login)
        .service(email_login::verify_email_login);
}

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
