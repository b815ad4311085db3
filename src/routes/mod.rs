//! HTTP routes, one file per action. `configure` registers every documented
//! route (utoipa collects them into the OpenAPI document); the few routes
//! that are not part of the API (docs UI, admin console) come from
//! `configure_unlisted`.

pub mod admin;
pub mod admin_console;
pub mod auth;
pub mod docs;
pub mod fallback;
pub mod health;
pub mod identities;
pub mod index;
pub mod keys;
pub mod me;
pub mod metrics;
pub mod mfa;
pub mod revocations;
pub mod transport;

use actix_cors::Cors;
use actix_web::HttpMessage;
use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::config::Settings;
use crate::error::{ApiError, RateLimitInfo, TokenKind, rate_limit_headers};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(index::index)
        .service(health::healthz)
        .service(health::readyz)
        .service(metrics::metrics)
        .service(keys::jwks)
        .service(keys::ssf_configuration)
        .service(docs::openapi_json)
        .service(revocations::revocations)
        .service(revocations::stream)
        .service(scope::scope("/v1/auth").configure(auth::configure))
        .service(scope::scope("/v1/me").configure(me::configure))
        .service(scope::scope("/v1/admin").configure(admin::configure));
}

pub fn configure_unlisted(cfg: &mut actix_web::web::ServiceConfig, admin_console: bool) {
    docs::configure_ui(cfg);
    admin_console::configure(cfg, admin_console);
}

pub use index::OpsListener;

/// Paths served only on the operational listener when there is one.
fn is_ops_path(path: &str) -> bool {
    path == "/metrics" || path == "/openapi.json" || path == "/docs" || path.starts_with("/docs/")
}

/// ASVS 13.4.5: with `AUTH_OPS_BIND` set, `/metrics` and the docs answer
/// only on the operational listener, and the API only on the public one;
/// the probes and `/` (which lists what this listener serves) answer on
/// both. Either side answers 404 for the other's paths.
pub async fn split_ops_listener(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let ops_addr = req
        .app_data::<actix_web::web::Data<OpsListener>>()
        .and_then(|ops| ops.addr);
    if let Some(ops_addr) = ops_addr {
        let path = req.path();
        let probe = path == "/healthz" || path == "/readyz" || path == "/";
        let on_ops = req.app_config().local_addr() == ops_addr;
        if !probe && is_ops_path(path) != on_ops {
            let response = ApiError::NotFound("no route matches this path").error_response();
            return Ok(req.into_response(response).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// A path with a NUL in it (`%00`) names nothing authd serves, and
/// PostgreSQL refuses NUL in text, so an id taken from such a path would
/// fail the query (a 500): 404 here, before any handler sees it.
pub async fn refuse_nul_in_path(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.path().contains("%00") {
        let response = ApiError::NotFound("no route matches this path").error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

const HSTS: &str = "max-age=31536000; includeSubDomains";
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
// Swagger UI needs inline styles and its own scripts; nothing may load from
// elsewhere.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Whether the request carries a bearer token (as the guard reads it).
fn bearer_presented(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()
        })
}

/// RFC 6750 §3: the `WWW-Authenticate` challenge of a 401 from a bearer
/// guard (`unauthorized`, or `token_expired` of an access token); none for
/// other 401s (a wrong password, a refresh token). `error="invalid_token"`
/// only when a token was presented.
pub fn bearer_challenge(error: &ApiError, token_presented: bool) -> Option<HeaderValue> {
    let description = match error {
        ApiError::TokenExpired(TokenKind::Access) => "the access token expired",
        ApiError::Unauthorized => "the access token is invalid or revoked",
        _ => return None,
    };
    let value = if token_presented {
        format!(r#"Bearer realm="authd", error="invalid_token", error_description="{description}""#)
    } else {
        r#"Bearer realm="authd""#.to_owned()
    };
    HeaderValue::from_str(&value).ok()
}

/// Headers every response carries; API answers are never cached.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let token_presented = bearer_presented(&req);
    let docs = req.path().starts_with("/docs");
    let console = admin_console::is_console_path(req.path());
    let api = req.path().starts_with("/v1/");
    // ASVS 3.4.1: an https issuer means browsers reach authd over TLS only.
    let hsts = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .is_some_and(|state| state.settings.tokens.issuer.starts_with("https://"));
    let mut response = next.call(req).await?;
    let challenge = response
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .and_then(|e| bearer_challenge(e, token_presented));
    let headers = response.headers_mut();
    if let Some(challenge) = challenge {
        headers.insert(header::WWW_AUTHENTICATE, challenge);
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let csp = if docs {
        DOCS_CSP
    } else if console {
        admin_console::CSP
    } else {
        API_CSP
    };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    let limit = response
        .request()
        .extensions()
        .get::<RateLimitInfo>()
        .copied();
    if let Some(info) = limit {
        for (name, value) in rate_limit_headers(&info) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    let headers = response.headers_mut();
    if api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// actix-cors marks every answer `Access-Control-Allow-Credentials: true`
/// once credentials are supported, even to an origin it did not allow; only
/// an answer that names its allowed origin keeps it (API.md §10).
pub async fn credentials_for_allowed_origins_only(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    }
    Ok(response)
}

/// CORS for the configured SPA origins only; no origin is allowed when none
/// is configured. Credentials (the browser-mode refresh cookie) are allowed
/// for listed origins only, never with a wildcard.
pub fn cors(settings: &Settings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static(transport::HEADER),
        ])
        .expose_headers([
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "Retry-After",
            "WWW-Authenticate",
            "X-Request-Id",
        ])
        .max_age(600);
    for origin in &settings.http.cors_origins {
        if origin == "*" {
            cors = cors.allow_any_origin().send_wildcard();
        } else {
            cors = cors.allowed_origin(origin);
        }
    }
    if !settings.http.cors_origins.iter().any(|o| o == "*") {
        cors = cors.supports_credentials();
    }
    cors
}
