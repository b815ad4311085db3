//! Browser mode (API.md §10): how a token pair travels back to the client.
//!
//! A request with `X-Authd-Transport: cookie` gets the refresh token as the
//! cookie `__Host-authd_refresh` (`HttpOnly; Secure; SameSite=Strict;
//! Path=/`, no `Domain`) and only the access token in the body. Every route
//! that hands out a pair (login, refresh, and later MFA verify, passkey
//! finish, social callback) calls [`Transport::of`] first and [`respond`]
//! last, so the two transports behave the same everywhere.
//!
//! CSRF model: the cookie is only ever read when the request also carries
//! the custom header (which a form or a plain link cannot send, and which
//! forces a CORS preflight), and a request that names an `Origin` must name
//! one listed in `AUTH_CORS_ORIGINS` (`null` and `*` never qualify).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

use crate::api_types::{BrowserTokenPair, TokenPair};
use crate::config::HttpSettings;
use crate::error::ApiError;
use crate::state::AppState;

/// The request header that selects the transport.
pub const HEADER: &str = "x-authd-transport";
/// The refresh cookie's name; `__Host-` makes browsers insist on `Secure`,
/// `Path=/` and no `Domain`.
pub const COOKIE: &str = "__Host-authd_refresh";

const ATTRIBUTES: &str = "Path=/; Secure; HttpOnly; SameSite=Strict";

/// How the refresh token travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// In the JSON body, both ways (the default).
    Body,
    /// In the `__Host-authd_refresh` cookie.
    Cookie,
}

impl Transport {
    /// The transport a request asks for. `cookie` must come from a listed
    /// origin (or with no `Origin` at all, as from a non-browser client);
    /// `body` or no header is body mode; any other value is 422.
    pub fn of(req: &HttpRequest, http: &HttpSettings) -> Result<Self, ApiError> {
        let Some(value) = req.headers().get(HEADER) else {
            return Ok(Self::Body);
        };
        let value = value.to_str().unwrap_or("").trim().to_ascii_lowercase();
        match value.as_str() {
            "body" => Ok(Self::Body),
            "cookie" => {
                check_origin(req, http)?;
                Ok(Self::Cookie)
            }
            _ => Err(ApiError::validation(
                "X-Authd-Transport",
                "must be `cookie` or `body`",
            )),
        }
    }
}

/// A request with an `Origin` must name a listed one. A `null` origin
/// (sandboxed frames, `file:`, some redirects) and a wildcard list never
/// qualify.
fn check_origin(req: &HttpRequest, http: &HttpSettings) -> Result<(), ApiError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| ApiError::ForeignOrigin)?;
    let listed = origin != "null"
        && origin != "*"
        && (http.cors_origins.iter().any(|allowed| allowed == origin)
            || http.console_origin.as_deref() == Some(origin));
    if listed {
        Ok(())
    } else {
        Err(ApiError::ForeignOrigin)
    }
}

/// The refresh token from the request's cookie, if it carries one.
pub fn refresh_cookie(req: &HttpRequest) -> Option<String> {
    cookie(req, COOKIE)
}

/// The cookie that binds a social login to the browser that started it
/// (login CSRF, API.md §14 audit finding).
pub const OAUTH_COOKIE: &str = "__Host-authd_oauth";

/// The social-login binding from the request's cookie, if it carries one.
pub fn oauth_binding(req: &HttpRequest) -> Option<String> {
    cookie(req, OAUTH_COOKIE)
}

fn cookie(req: &HttpRequest, wanted: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// Sets the social-login binding cookie for `max_age` seconds (0 clears it).
pub fn set_oauth_binding(response: &mut HttpResponse, value: &str, max_age: u64) {
    let cookie = format!("{OAUTH_COOKIE}={value}; Max-Age={max_age}; {ATTRIBUTES}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The answer carrying a fresh pair: the whole pair as JSON in body mode;
/// in cookie mode the refresh token as the cookie, living as long as the
/// session can still be refreshed, and the rest as JSON.
pub fn respond(
    state: &AppState,
    transport: Transport,
    pair: TokenPair,
) -> Result<HttpResponse, ApiError> {
    match transport {
        Transport::Body => Ok(HttpResponse::Ok().json(pair)),
        Transport::Cookie => {
            let claims = state
                .tokens
                .verify_refresh(&pair.refresh_token)
                .map_err(|e| ApiError::internal(format!("a fresh refresh token failed: {e:?}")))?;
            // The session's remaining life: the token's own, or less when
            // the session reaches AUTH_SESSION_MAX_AGE first.
            let remaining = (claims.exp - chrono::Utc::now().timestamp())
                .min(i64::try_from(pair.refresh_expires_in).unwrap_or(i64::MAX))
                .max(0);
            let cookie = format!(
                "{COOKIE}={}; Max-Age={remaining}; {ATTRIBUTES}",
                pair.refresh_token
            );
            let value = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
            let mut response = HttpResponse::Ok();
            response.insert_header((header::SET_COOKIE, value));
            Ok(response.json(BrowserTokenPair::from(pair)))
        }
    }
}

/// Adds the header that removes the refresh cookie (same name, `Path=/`,
/// `Secure`, `Max-Age=0`).
pub fn clear_cookie(response: &mut HttpResponse) {
    let cookie = format!("{COOKIE}=; Max-Age=0; {ATTRIBUTES}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_cookie_is_found_among_others() {
        let req = TestRequest::default()
            .insert_header((header::COOKIE, "a=1; __Host-authd_refresh=tok.en.x; b=2"))
            .to_http_request();
        assert_eq!(refresh_cookie(&req).as_deref(), Some("tok.en.x"));
        let req = TestRequest::default()
            .insert_header((header::COOKIE, "authd_refresh=x; __Host-authd_refresh="))
            .to_http_request();
        assert_eq!(refresh_cookie(&req), None);
    }
}
