//! Rate limits (API.md §6): fixed-window counters in the store, so every
//! instance on one Redis shares them. One store round trip per check.

use std::net::IpAddr;

use actix_web::HttpResponseBuilder;

use crate::config::Limit;
use crate::error::{ApiError, RateLimitInfo, insert_rate_limit_headers};
use crate::state::AppState;

/// Counts one request against `limit` for `bucket`/`key`. Err(429) past the
/// limit; otherwise the figures for the `RateLimit-*` headers (None when
/// limits are off).
pub async fn check(
    state: &AppState,
    bucket: &str,
    key: &str,
    limit: Limit,
) -> Result<Option<RateLimitInfo>, ApiError> {
    if !state.settings.rate_limits.enabled {
        return Ok(None);
    }
    let counter = state
        .store
        .hit_window(&format!("rl:{bucket}:{key}"), limit.window)
        .await?;
    let reset = counter.reset_in.as_secs_f64().ceil() as u64;
    let info = RateLimitInfo {
        limit: limit.count,
        remaining: limit
            .count
            .saturating_sub(counter.count.min(u64::from(u32::MAX)) as u32),
        reset: reset.max(1),
    };
    if counter.count > u64::from(limit.count) {
        tracing::info!(bucket, "rate limit hit");
        return Err(ApiError::RateLimited(info));
    }
    Ok(Some(info))
}

/// Per client IP; requests without a known peer share one bucket.
pub async fn check_ip(
    state: &AppState,
    bucket: &str,
    ip: Option<IpAddr>,
    limit: Limit,
) -> Result<Option<RateLimitInfo>, ApiError> {
    let key = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    check(state, bucket, &key, limit).await
}

/// The silent per-email mail quota: false means "answer as usual, send nothing".
pub async fn mail_allowed(state: &AppState, purpose: &str, email: &str) -> Result<bool, ApiError> {
    match check(
        state,
        &format!("mail:{purpose}"),
        email,
        state.settings.rate_limits.mail_per_email,
    )
    .await
    {
        Ok(_) => Ok(true),
        Err(ApiError::RateLimited(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Adds the `RateLimit-*` headers of the tightest passed limit.
pub fn headers(response: &mut HttpResponseBuilder, infos: &[Option<RateLimitInfo>]) {
    if let Some(info) = infos.iter().flatten().min_by_key(|i| i.remaining) {
        insert_rate_limit_headers(response, info);
    }
}
