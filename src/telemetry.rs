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
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::state::AppState;

/// The filter when `RUST_LOG` is unset: `info`, without actix-server's
/// start-up chatter ("Actix runtime found…", "starting N workers"): authd
/// logs its own start line with the URL.
pub const DEFAULT_FILTER: &str = "info,actix_server=warn";

/// Lines the log writer holds for stdout before it drops new ones (about
/// 2 MB of text at most): a stalled stdout (a full pipe, a paused
/// collector) costs lost lines, counted in `authd_log_lines_dropped_total`,
/// never a blocked request.
pub const BUFFERED_LINES: usize = 8192;

/// How long the log writer's thread rests after writing what it had.
const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

/// Stdout as the log writer's thread sees it: it writes the lines it has
/// into the buffer, then flushes (one system call) when none is left; the
/// flush then rests [`BATCH_PAUSE`], so that under load the lines of 5 ms go
/// out together in one write and a request's line does not have to wake the
/// thread (docs/benchmarks.md: default/warn 0.78 → 0.85 in the runs there).
/// A line waits 5 ms at most.
struct Batches<W>(W);

impl<W: std::io::Write> std::io::Write for Batches<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()?;
        std::thread::sleep(BATCH_PAUSE);
        Ok(())
    }
}

/// Keeps the log writer's thread; dropping it writes out the lines still
/// buffered and flushes stdout. Hold it until the process ends.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber; `RUST_LOG` overrides [`DEFAULT_FILTER`].
/// Lines go through a bounded, lossy buffer to a thread of their own that
/// writes stdout, so a request never waits for stdout. Colours only when
/// stdout is a terminal (and `NO_COLOR` is unset): piped or collected logs
/// carry no ANSI escape codes.
pub fn init(format: LogFormat) -> LogGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(BUFFERED_LINES)
        .lossy(true)
        .thread_name("authd-log")
        .finish(Batches(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        )));
    let dropped = writer.error_counter();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_target(false)
        .with_writer(writer);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    match result {
        Ok(()) => {
            crate::metrics::count_dropped_log_lines(dropped);
            LogGuard {
                _writer: Some(guard),
            }
        }
        // Already installed (tests start many servers in one process): keep
        // that one, and end this writer's thread.
        Err(_) => LogGuard { _writer: None },
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    // Formatted on the stack: the header and the log line copy it.
    let mut id_buffer = uuid::Uuid::encode_buffer();
    let request_id: &str = uuid::Uuid::now_v7()
        .hyphenated()
        .encode_lower(&mut id_buffer);
    let span = tracing::info_span!(
        "request",
        %request_id,
        method = %req.method(),
        path = %req.path()
    );
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
    let request = response.request();
    let method = request.method().as_str();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    tracing::info!(
        %request_id,
        %method,
        path = %request.path(),
        %route,
        status,
        latency_ms,
        "request"
    );
    if let Some(state) = state {
        state
            .metrics
            .observe_request(method, route, status, latency_ms / 1000.0);
    }
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}
