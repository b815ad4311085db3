//! `/v1/auth`: registration, verification, login, tokens, sessions, passwords.

mod login;
mod logout;
mod password_change;
mod password_reset;
mod refresh;
mod register;
mod sessions;
mod verify_email;

use actix_web::HttpRequest;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::session::ClientInfo;
use crate::extract::{client_ip, user_agent};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register::register)
        .service(login::login)
        .service(refresh::refresh)
        .service(logout::logout)
        .service(logout::logout_all)
        .service(sessions::list_sessions)
        .service(sessions::revoke_session)
        .service(verify_email::verify_email)
        .service(verify_email::resend_verification)
        .service(password_reset::request_reset)
        .service(password_reset::confirm_reset)
        .service(password_change::change_password);
}

pub(crate) fn client_info(req: &HttpRequest, state: &AppState) -> ClientInfo {
    ClientInfo {
        ip: client_ip(req, state),
        user_agent: user_agent(req),
    }
}
