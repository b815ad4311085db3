//! Logging: `tracing` to stdout, pretty or JSON lines, and one line per
//! request with method, route, status, latency and request id. Query
//! strings are not logged (they can carry tokens); bodies never are. Every
//! refused authorization also gets an `authz.denied` line
//! (`auth::guard::log_refusal`).

use std::io::IsTerminal;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::state::AppState;

/// The filter when `RUST_LOG` is unset: `info`, without actix-server's
/// start-up chatter ("Actix runtime found…", "starting N workers"): authd
/// logs its own start line with the URL.
pub const DEFAULT_FILTER: &str = "info,actix_server=warn";

/// Installs the global subscriber; `RUST_LOG` overrides [`DEFAULT_FILTER`].
/// Colours only when stdout is a terminal (and `NO_COLOR` is unset): piped
/// or collected logs carry no ANSI escape codes.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_target(false);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    // Already installed (tests start many servers in one process): keep it.
    drop(result);
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let request_id = uuid::Uuid::now_v7().to_string();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", %request_id, %method, %path);
    let mut response = next.call(req).instrument(span).await?;
    // ASVS 16.3.2: a refused authorization is a security event of its own.
    if let Some(error) = response
        .response()
        .error()
        .and_then(|e| e.as_error::<crate::error::ApiError>())
    {
        crate::auth::guard::log_refusal(response.request(), error);
    }
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    tracing::info!(%request_id, %method, %path, %route, status, latency_ms, "request");
    if let Some(state) = state {
        state
            .metrics
            .observe_request(&method, &route, status, latency_ms / 1000.0);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}
