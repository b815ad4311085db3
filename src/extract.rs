//! Request extractors that turn every kind of bad input into the contract's
//! problem answers: 415 for a wrong content type, 413 over the body limit,
//! 400 for malformed JSON and 422 (with `errors`) for missing or wrong-typed
//! fields. Never the framework's plain-text errors, never a 500.

use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::config::ClientIpHeader;
use crate::error::{ApiError, FieldErrors};
use crate::state::AppState;

const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A JSON request body of type `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.http.body_limit)
            .unwrap_or(64 * 1024);
        let json = is_json(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            if declared.is_some_and(|len| len > limit) {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            let read = async {
                let mut body = BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|_| {
                        ApiError::MalformedRequest("the request body could not be read".into())
                    })?;
                    if body.len() + chunk.len() > limit {
                        return Err(ApiError::PayloadTooLarge(limit));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body)
            };
            // A client that trickles its body must not hold the connection.
            let body = tokio::time::timeout(BODY_READ_TIMEOUT, read)
                .await
                .map_err(|_| {
                    ApiError::MalformedRequest("the request body did not arrive in time".into())
                })??;
            parse_json(&body).map(JsonBody)
        })
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses `body` into `T`: 400 when it is not JSON at all, 422 naming each
/// field when it is JSON of the wrong shape. Messages never echo values (a
/// wrong-typed password must not come back in the answer).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::MalformedRequest(format!(
            "the request body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    // serde would read an array positionally into a struct's fields; every
    // body of this API is an object.
    if !value.is_object() {
        return Err(ApiError::validation("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let (field, message) = describe(&path, &message);
        let mut errors = FieldErrors::new();
        errors.insert(field, vec![message]);
        ApiError::Validation(errors)
    })
}

fn describe(path: &str, message: &str) -> (String, String) {
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or("");
        let field = if path == "." || path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return (field, "is required".into());
    }
    let field = if path == "." || path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    if message.starts_with("invalid type: ")
        && let Some(expected) = message.split(", expected ").nth(1)
    {
        return (field, format!("must be {expected}"));
    }
    if message.starts_with("unknown variant") {
        return (field, "is not one of the allowed values".into());
    }
    (field, "has an invalid value".into())
}

/// The client's IP: the socket peer, or, when the peer is a trusted proxy,
/// the right-most address in the one configured header
/// (`AUTH_CLIENT_IP_HEADER`) that is not a trusted proxy itself.
pub fn client_ip(req: &HttpRequest, state: &AppState) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !state.settings.http.is_trusted_proxy(peer) {
        return Some(peer);
    }
    let mut hops: Vec<IpAddr> = Vec::new();
    match state.settings.http.client_ip_header {
        ClientIpHeader::Forwarded => {
            for value in req.headers().get_all(header::FORWARDED) {
                let Ok(value) = value.to_str() else { continue };
                for element in value.split(',') {
                    for pair in element.split(';') {
                        if let Some((k, v)) = pair.trim().split_once('=')
                            && k.trim().eq_ignore_ascii_case("for")
                            && let Some(ip) = parse_forwarded_ip(v)
                        {
                            hops.push(ip);
                        }
                    }
                }
            }
        }
        ClientIpHeader::XForwardedFor => {
            for value in req.headers().get_all("x-forwarded-for") {
                let Ok(value) = value.to_str() else { continue };
                hops.extend(
                    value
                        .split(',')
                        .filter_map(|s| s.trim().parse::<IpAddr>().ok()),
                );
            }
        }
    }
    Some(
        hops.into_iter()
            .rev()
            .find(|ip| !state.settings.http.is_trusted_proxy(*ip))
            .unwrap_or(peer),
    )
}

fn parse_forwarded_ip(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    let raw = raw
        .strip_prefix('[')
        .map_or(raw, |r| r.split(']').next().unwrap_or(r));
    raw.parse()
        .ok()
        .or_else(|| raw.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok()))
}

/// The client IP (through the trusted proxies) and user agent, as use
/// cases record them.
/// The language a request asks for (API.md §17): `given` (a body's
/// `locale`, canonicalised), else the best match of `Accept-Language`
/// among the mail's languages, else `AUTH_DEFAULT_LOCALE`. Err when
/// `given` is not a language tag.
pub fn request_locale(
    req: &HttpRequest,
    state: &AppState,
    given: Option<&str>,
) -> Result<String, &'static str> {
    let mail = &state.settings.mail;
    if let Some(given) = given {
        return crate::mail::locale::normalize(given)
            .ok_or("must be a language tag (BCP 47) such as en, de or pt-BR");
    }
    let negotiated = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| mail.templates.negotiate(v));
    Ok(negotiated.unwrap_or(&mail.default_locale).to_owned())
}

pub fn request_context(req: &HttpRequest, state: &AppState) -> crate::auth::audit::RequestContext {
    crate::auth::audit::RequestContext {
        ip: client_ip(req, state),
        user_agent: user_agent(req),
    }
}

pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(512).collect())
}
