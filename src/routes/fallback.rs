//! What answers when no route does, and the safety net that turns any
//! framework error without a problem body into problem JSON.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use utoipa::openapi::OpenApi;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The documented paths and their methods: the OpenAPI document is the
/// route registry, so "wrong method" (405) and "no such path" (404) can be
/// told apart.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<Method>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (segments(path).map(str::to_owned).collect(), methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods allowed on `path`, if it is a known route.
    pub fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let parts: Vec<&str> = segments(path).collect();
        let mut found: Option<Vec<Method>> = None;
        for (pattern, methods) in &self.routes {
            let matches = pattern.len() == parts.len()
                && pattern
                    .iter()
                    .zip(&parts)
                    .all(|(p, s)| (p.starts_with('{') && p.ends_with('}')) || p == s);
            if matches {
                found
                    .get_or_insert_with(Vec::new)
                    .extend(methods.iter().cloned());
            }
        }
        found
    }
}

/// Path segments, empty ones included: `/v1/me/` and `//v1/me` are other
/// paths than `/v1/me` (404, not 405).
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').skip(1)
}

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
    let status = res.status();
    let (code, detail) = match status {
        StatusCode::BAD_REQUEST => ("malformed_request", "the request could not be understood"),
        StatusCode::UNAUTHORIZED => ("unauthorized", "a valid bearer access token is required"),
        StatusCode::FORBIDDEN => ("forbidden", "this request is not allowed"),
        StatusCode::NOT_FOUND => ("not_found", "no route matches this path"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this method is not allowed on this path",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the request body must be application/json",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("validation_failed", "the request has invalid fields"),
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "too many requests; retry later"),
        StatusCode::SERVICE_UNAVAILABLE => {
            ("service_unavailable", "a backing service is unavailable")
        }
        s if s.is_server_error() => ("internal_error", "internal error"),
        _ => ("malformed_request", "the request could not be handled"),
    };
    let problem = Problem {
        kind: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").into(),
        status: status.as_u16(),
        detail: detail.into(),
        code: code.into(),
        errors: None,
        error_id: None,
    };
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
