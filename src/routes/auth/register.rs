use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{Accepted, RegisterRequest};
use crate::auth::registration::{self, NewRegistration};
use crate::auth::{Email, text};
use crate::error::{ApiError, FieldErrors};
use crate::extract::{JsonBody, client_ip, request_context, request_locale};
use crate::openapi::responses::LimitedJsonBodyErrors;
use crate::password::{Password, PasswordOwner};
use crate::state::AppState;

/// Register: the same 202 whether or not the email is taken.
///
/// A new email gets an unverified account with the default role and a
/// verification mail; a verified account gets an "account already exists"
/// mail; an unverified one gets its verification mail again.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 202, description = "Verification mail queued (or the existing account told)", body = Accepted),
        LimitedJsonBodyErrors,
    )
)]
#[post("/register")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    state
        .limits()
        .check_ip(
            &req,
            "register",
            client_ip(&req, &state),
            state.settings.rate_limits.register_per_ip,
        )
        .await?;

    let mut errors = FieldErrors::new();
    let email = Email::parse(&body.email)
        .map_err(|m| errors.insert("email".into(), vec![m.into()]))
        .ok();
    let display_name = text::parse_display_name(body.display_name.as_deref())
        .map_err(|m| errors.insert("display_name".into(), vec![m.into()]))
        .ok();
    let password = Password::parse(
        body.password.expose(),
        PasswordOwner::new(
            email.as_ref().map_or("", |e| e.as_str()),
            display_name.as_ref().and_then(|d| d.as_deref()),
        ),
        &state.settings.password,
    )
    .map_err(|m| errors.insert("password".into(), m))
    .ok();
    let locale = request_locale(&req, &state, body.locale.as_deref())
        .map_err(|m| errors.insert("locale".into(), vec![m.into()]))
        .ok();
    let (Some(email), Some(password), Some(display_name), Some(locale)) =
        (email, password, display_name, locale)
    else {
        return Err(ApiError::Validation(errors));
    };
    state.breached.check(&password, "password").await?;

    // Hash in every case, so a taken email answers in the same time.
    let hash = state
        .passwords
        .hash(&password, client_ip(&req, &state))
        .await?;
    let mail_allowed = state
        .limits()
        .mail_allowed("verify", email.as_str())
        .await?;
    let registration = NewRegistration {
        email,
        password_hash: hash,
        display_name,
        locale,
    };
    if registration::register(
        &state,
        registration,
        mail_allowed,
        &request_context(&req, &state),
    )
    .await?
    {
        state.mail_wakeup.notify_one();
    }
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "verification_sent",
    }))
}
