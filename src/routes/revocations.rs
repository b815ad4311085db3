//! `GET /v1/revocations` and `/v1/revocations/stream` (API.md §18), for
//! the operator's services that hold a key from `AUTH_SERVICE_KEYS`.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{NaiveDateTime, TimeDelta};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::now;
use crate::error::ApiError;
use crate::openapi::responses::ServiceKeyErrors;
use crate::revocation_feed::{self, Cursor, Entry, PAGE_LIMIT, Page, REPEAT, RevocationsPage};
use crate::state::AppState;

/// How often a stream looks for new entries: every instance sees a
/// revocation made on another within this.
const POLL: Duration = Duration::from_millis(200);
/// A comment line this often keeps proxies from closing a quiet stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Deserialize, IntoParams)]
pub struct Since {
    /// The `cursor` of the previous answer; absent (or unknown, or older
    /// than `max_age`) for the full current list.
    since: Option<String>,
}

/// Revocations since a cursor: the sessions revoked and the users whose
/// tokens all died, within the last `max_age` seconds.
///
/// A token is revoked when its `sid` is listed, or when its session started
/// (the `sid`'s UUIDv7 time) at or before its user's `valid_after`. Each
/// answer repeats the last 5 s before the cursor (ignore repeats).
#[utoipa::path(
    tag = "revocations",
    security(("service_key" = [])),
    params(Since),
    responses(
        (status = 200, description = "Up to 1,000 entries; `has_more` asks for the next page at once",
            body = RevocationsPage),
        ServiceKeyErrors,
    )
)]
#[get("/v1/revocations")]
pub async fn revocations(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Since>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let cursor = query.since.as_deref().and_then(Cursor::parse);
    let page = read_page(&state, cursor).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(page.into_wire(max_age(&state))))
}

/// The same entries as a Server-Sent Events stream: one `revocation` event
/// per entry (`data` is the entry as JSON, `id` a cursor that
/// `Last-Event-ID` resumes from), a comment line every 15 s. Without
/// `Last-Event-ID` it starts with the full current list.
#[utoipa::path(
    tag = "revocations",
    security(("service_key" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received")),
    responses(
        (status = 200, description = "`text/event-stream`", content_type = "text/event-stream", body = String),
        ServiceKeyErrors,
    )
)]
#[get("/v1/revocations/stream")]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let cursor = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(Cursor::parse);
    let tail = Tail {
        state,
        cursor,
        seen: HashMap::new(),
        queue: VecDeque::new(),
        last_write: Instant::now(),
        read_now: true,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::stream::unfold(tail, next_chunk)))
}

/// The caller's service key, or 401 `unauthorized`. An access token is
/// never a service key.
fn authorize(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized)?;
    match state.settings.service_keys.identify(presented.trim()) {
        Some(service) => {
            tracing::debug!(service, "revocation feed read");
            Ok(())
        }
        None => Err(ApiError::Unauthorized),
    }
}

/// The page after `cursor`, as of now.
async fn read_page(state: &AppState, cursor: Option<Cursor>) -> Result<Page, ApiError> {
    let max_age = max_age(state);
    state
        .db
        .run(move |conn| {
            Ok(revocation_feed::read(
                conn,
                cursor,
                now(),
                max_age,
                PAGE_LIMIT,
            )?)
        })
        .await
}

fn max_age(state: &AppState) -> Duration {
    state.settings.tokens.access_ttl + Duration::from_secs(crate::tokens::LEEWAY_SECS)
}

/// One stream's state: where it is, what it sent within the repeat window,
/// and the events not yet written. Its memory is bounded by one page and
/// the entries of the repeat window, however long the list.
struct Tail {
    state: web::Data<AppState>,
    cursor: Option<Cursor>,
    seen: HashMap<String, NaiveDateTime>,
    queue: VecDeque<Bytes>,
    last_write: Instant,
    /// The first read, or the last page was cut off: read on at once.
    read_now: bool,
}

async fn next_chunk(mut tail: Tail) -> Option<(Result<Bytes, actix_web::Error>, Tail)> {
    loop {
        if let Some(chunk) = tail.queue.pop_front() {
            tail.last_write = Instant::now();
            return Some((Ok(chunk), tail));
        }
        if !std::mem::take(&mut tail.read_now) {
            tokio::time::sleep(POLL).await;
        }
        if tail.last_write.elapsed() >= HEARTBEAT {
            tail.queue.push_back(Bytes::from_static(b": keepalive\n\n"));
            continue;
        }
        let read = read_page(&tail.state, tail.cursor).await;
        // The database is away: end the stream; the service reconnects
        // with `Last-Event-ID` and misses nothing.
        let page = read.ok()?;
        for entry in page.entries {
            if tail.seen.insert(entry.key(), entry.at()).is_none() {
                tail.queue.push_back(event(&entry));
            }
        }
        tail.cursor = Some(page.cursor);
        tail.read_now = page.has_more;
        // No later page starts earlier than the repeat window before its
        // cursor: what is older cannot come again.
        let (Cursor::CaughtUp(at) | Cursor::Continue(at)) = page.cursor;
        let keep_from = at - TimeDelta::from_std(REPEAT * 2).unwrap_or_default();
        tail.seen.retain(|_, t| *t >= keep_from);
    }
}

/// `id` resumes from the entry's time (repeating the window before it, so
/// nothing committed late is skipped).
fn event(entry: &Entry) -> Bytes {
    let id = Cursor::CaughtUp(entry.at()).encode();
    Bytes::from(format!(
        "id: {id}\nevent: revocation\ndata: {}\n\n",
        entry.json()
    ))
}
