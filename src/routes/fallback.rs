//! What answers when no route does, and the safety net that turns any
//! framework error without a problem body into problem JSON.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::ApiError;
use crate::state::AppState;

pub async fn not_found_or_not_allowed(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    match state.routes.allowed(req.path()) {
        Some(methods) if !methods.is_empty() => {
            let mut response = ApiError::MethodNotAllowed.error_response();
            let allow = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(value) = HeaderValue::from_str(&allow) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            response
        }
        _ => ApiError::NotFound("no route matches this path").error_response(),
    }
}

/// The origin of a CORS preflight that actix-cors refused because
/// `AUTH_CORS_ORIGINS` does not list it (shortened, and only visible ASCII).
fn refused_preflight_origin<B>(res: &ServiceResponse<B>) -> Option<String> {
    let refused = res
        .response()
        .error()
        .and_then(|e| e.as_error::<actix_cors::CorsError>())
        .is_some_and(|e| matches!(e, actix_cors::CorsError::OriginNotAllowed));
    if !refused || res.request().method() != Method::OPTIONS {
        return None;
    }
    let origin = res
        .request()
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("(unreadable)");
    Some(origin.chars().take(200).collect())
}

/// Rewrites error responses that are not problem JSON (the framework's own
/// plain-text answers) into problem JSON with the matching code.
pub fn problem_for_plain_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Our own answers are JSON already (problem JSON, or a JSON body such as
    // /readyz's 503); only the framework's plain ones are rewritten.
    let is_json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes().starts_with(b"application/problem+json")
            || v.as_bytes().starts_with(b"application/json")
    });
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    if let Some(origin) = refused_preflight_origin(&res) {
        tracing::info!(
            origin = %origin,
            "CORS preflight refused: the origin is not in AUTH_CORS_ORIGINS; add it there to allow browser calls from it"
        );
        let (req, _) = res.into_parts();
        let response = ApiError::OriginNotAllowed(origin).error_response();
        return Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, response).map_into_right_body(),
        ));
    }
    let status = res.status();
    let limit = res
        .request()
        .app_data::<web::Data<AppState>>()
        .map_or(64 * 1024, |s| s.settings.http.body_limit);
    // The same code and detail as the application's own answer for that
    // status; the status itself stays what the framework chose.
    let mut problem = ApiError::for_status(status, limit).problem();
    problem.status = status.as_u16();
    problem.title = status.canonical_reason().unwrap_or("Error").into();
    let (req, old) = res.into_parts();
    let mut response = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.append_header((name.clone(), value.clone()));
        }
    }
    response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
    let body: BoxBody = BoxBody::new(serde_json::to_vec(&problem).unwrap_or_default());
    let response: ServiceResponse<EitherBody<B>> =
        ServiceResponse::new(req, response.body(body)).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(response))
}
