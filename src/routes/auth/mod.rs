//! `/v1/auth`: registration, verification, login, tokens, sessions, passwords.

mod email_change;
mod email_login;
mod front;
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

use utoipa_actix_web::service_config::ServiceConfig;

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
