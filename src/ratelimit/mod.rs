//! Rate limits (API.md §6): fixed-window counters in the store, so every
//! instance on one Redis shares them. One store round trip per check.
//!
//! A passed check leaves its figures in the request's extensions; the
//! response middleware (`routes::security_headers`) turns them into
//! `RateLimit-*` headers on every answer of a limited route.

use std::net::IpAddr;

use actix_web::{HttpMessage, HttpRequest};

use crate::config::{Limit, RateLimits};
use crate::error::{ApiError, RateLimitInfo};
use crate::metrics::Metrics;
use crate::store::Store;

/// What rate limiting needs: the shared store, the limits, and the metrics
/// that count hits. Built by `AppState::limits`.
#[derive(Clone, Copy)]
pub struct RateLimiter<'a> {
    pub store: &'a dyn Store,
    pub limits: &'a RateLimits,
    pub metrics: &'a Metrics,
}

impl RateLimiter<'_> {
    /// Counts one event against `limit` for `bucket`/`key`. Ok(None) when
    /// limits are off.
    async fn count(
        &self,
        bucket: &str,
        key: &str,
        limit: Limit,
    ) -> Result<Option<(bool, RateLimitInfo)>, ApiError> {
        if !self.limits.enabled {
            return Ok(None);
        }
        let counter = self
            .store
            .hit_window(&format!("rl:{bucket}:{key}"), limit.window)
            .await?;
        let info = RateLimitInfo {
            limit: limit.count,
            remaining: u64::from(limit.count).saturating_sub(counter.count) as u32,
            reset: (counter.reset_in.as_secs_f64().ceil() as u64).max(1),
        };
        Ok(Some((counter.count <= u64::from(limit.count), info)))
    }

    /// Err(429 `rate_limited`) past the limit; otherwise records the figures
    /// for the response headers.
    pub async fn check(
        &self,
        req: &HttpRequest,
        bucket: &'static str,
        key: &str,
        limit: Limit,
    ) -> Result<(), ApiError> {
        let Some((allowed, info)) = self.count(bucket, key, limit).await? else {
            return Ok(());
        };
        if !allowed {
            tracing::info!(bucket, "rate limit hit");
            self.metrics.rate_limit_hit(bucket);
            return Err(ApiError::RateLimited(info));
        }
        let mut extensions = req.extensions_mut();
        let tighter = extensions
            .get::<RateLimitInfo>()
            .is_none_or(|old| info.remaining < old.remaining);
        if tighter {
            extensions.insert(info);
        }
        Ok(())
    }

    /// Per client IP; requests without a known peer share one bucket.
    pub async fn check_ip(
        &self,
        req: &HttpRequest,
        bucket: &'static str,
        ip: Option<IpAddr>,
        limit: Limit,
    ) -> Result<(), ApiError> {
        let key = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        self.check(req, bucket, &key, limit).await
    }

    /// The silent per-email mail quota: false means "answer as usual, send
    /// nothing".
    pub async fn mail_allowed(&self, purpose: &str, email: &str) -> Result<bool, ApiError> {
        let limit = self.limits.mail_per_email;
        Ok(self
            .count(&format!("mail:{purpose}"), email, limit)
            .await?
            .is_none_or(|(allowed, _)| allowed))
    }
}
