//! What every handler shares: settings, database, store, keys, and the
//! handles of the background work.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::auth::lockout::Lockout;
use crate::auth::revocation::Revoker;
use crate::auth::roles::RoleGrants;
use crate::config::Settings;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::route_table::RouteTable;
use crate::store::Store;
use crate::tokens::Tokens;

pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub store: Arc<dyn Store>,
    pub tokens: Tokens,
    /// Wakes the mail worker when a request queued a message.
    pub mail_wakeup: Arc<Notify>,
    pub routes: RouteTable,
    /// A bcrypt hash at the configured cost, verified against when the
    /// email is unknown, so that a login costs the same either way.
    pub dummy_hash: String,
    /// Role name → permission names, read from the database at start.
    pub roles: RoleGrants,
    pub metrics: Metrics,
    /// Writes audit events in the caller's transaction.
    pub audit: crate::auth::audit::AuditLog,
    pub passwords: crate::password::Hasher,
    /// ASVS 6.2.12: new passwords against known breaches.
    pub breached: crate::password::BreachCheck,
    /// Encrypts TOTP secrets at rest (`AUTH_MFA_KEY_FILE`).
    pub mfa_key: crate::auth::mfa::crypto::MfaKey,
    /// Social login's providers (`AUTH_OIDC_PROVIDERS`), discovered at
    /// first use.
    pub oidc: crate::auth::oidc::provider::Providers,
}

impl AppState {
    /// Counting failed password checks per account.
    pub fn lockout(&self) -> Lockout<'_> {
        Lockout {
            store: self.store.as_ref(),
            settings: self.settings.lockout,
            metrics: &self.metrics,
        }
    }

    /// Counting requests against the configured limits.
    pub fn limits(&self) -> RateLimiter<'_> {
        RateLimiter {
            store: self.store.as_ref(),
            limits: &self.settings.rate_limits,
            metrics: &self.metrics,
        }
    }

    /// Revoking sessions and tokens: database and store, nothing else.
    pub fn revoker(&self) -> Revoker<'_> {
        Revoker {
            db: &self.db,
            store: self.store.as_ref(),
            audit: &self.audit,
            remember: crate::auth::revocation::remembered_for(&self.settings),
        }
    }
}
