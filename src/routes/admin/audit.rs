use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api_types::AuditPage;
use crate::auth::RequirePermission;
use crate::auth::audit::EventType;
use crate::auth::audit_queries::{self, AuditQuery, Cursor, DEFAULT_LIMIT, MAX_LIMIT};
use crate::auth::guard::UsersRead;
use crate::error::{ApiError, FieldErrors};
use crate::openapi::responses::{AdminErrors, InvalidQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditListQuery {
    /// Only events about this user.
    pub user_id: Option<String>,
    /// Only events of this type, e.g. `login.failed`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    pub since: Option<String>,
    /// Only events at or before this instant (RFC 3339).
    pub until: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Events per page (at most 200; larger values are capped).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
}

fn instant(raw: Option<&str>) -> Result<Option<DateTime<Utc>>, &'static str> {
    raw.filter(|r| !r.trim().is_empty())
        .map(|r| {
            DateTime::parse_from_rfc3339(r.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| "must be an RFC 3339 time, e.g. 2026-11-30T12:00:00Z")
        })
        .transpose()
}

/// The audit log, newest first, with filters and an opaque cursor. Needs
/// `users:read`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(AuditListQuery),
    responses(
        (status = 200, description = "One page of events", body = AuditPage),
        AdminErrors, InvalidQuery,
    )
)]
#[get("/audit")]
pub async fn list_audit_events(
    req: HttpRequest,
    state: web::Data<AppState>,
    _caller: RequirePermission<UsersRead>,
) -> Result<HttpResponse, ApiError> {
    let query = web::Query::<AuditListQuery>::from_query(req.query_string())
        .map_err(|_| ApiError::validation("limit", "must be a whole number from 1"))?
        .into_inner();
    let mut errors = FieldErrors::new();
    let mut fail = |field: &str, message: &str| {
        errors.insert(field.to_owned(), vec![message.to_owned()]);
    };
    let kind = match query.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(raw) => EventType::parse(raw).or_else(|| {
            fail("type", "is not an event type");
            None
        }),
    };
    let since = instant(query.since.as_deref()).unwrap_or_else(|m| {
        fail("since", m);
        None
    });
    let until = instant(query.until.as_deref()).unwrap_or_else(|m| {
        fail("until", m);
        None
    });
    let cursor = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Cursor::parse(raw).map_or_else(
            |m| {
                fail("cursor", m);
                None
            },
            Some,
        ),
    };
    // PostgreSQL refuses a NUL in text; no id holds a control character.
    if query
        .user_id
        .as_deref()
        .is_some_and(|u| u.chars().any(char::is_control))
    {
        fail("user_id", "must not contain control characters");
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit < 1 {
        fail("limit", "must be at least 1");
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (events, next_cursor) = audit_queries::list(
        &state.db,
        AuditQuery {
            user_id: query.user_id.filter(|u| !u.is_empty()),
            kind,
            since,
            until,
            cursor,
            limit: limit.min(MAX_LIMIT),
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(AuditPage {
        events,
        next_cursor,
    }))
}
