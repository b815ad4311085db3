//! The audit log (API.md §12): one event per security-relevant change,
//! written by [`AuditLog::record`] inside the transaction of the change
//! itself, so an event exists if and only if the change committed. A use
//! case adds one with a single call:
//!
//! ```ignore
//! audit.record(conn, &ctx, Event::new(EventType::MfaEnrolled).by(&user_id))?;
//! ```
//!
//! `data` never holds a secret, a token, a password or another person's
//! full email address ([`mask`] them as the logs do).

use std::net::IpAddr;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::api_types::AuditEvent;
use crate::config::AuditSettings;
use crate::db::models::{AuditEventRow, NewSsfPush, NewWebhook};
use crate::db::{AnyConnection, Db, audit_events, now, outbox, ssf_outbox, webhook_outbox};
use crate::error::ApiError;
use crate::shared_signals::{self, Change, Initiator, SecurityEvent};

/// Where a request came from: the client IP as resolved through the trusted
/// proxies (`extract::client_ip`) and the user agent. Recorded with every
/// event, and shown in the session list.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// Every event type of API.md §12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    UserRegistered,
    UserEmailVerified,
    LoginSucceeded,
    LoginFailed,
    LoginLocked,
    RefreshReuseDetected,
    SessionRevoked,
    PasswordChanged,
    PasswordReset,
    EmailChanged,
    MfaEnrolled,
    MfaRemoved,
    MfaRecoveryCodeUsed,
    IdentityLinked,
    IdentityUnlinked,
    UserRolesChanged,
    UserDisabled,
    UserEnabled,
    UserDeleted,
    /// Created by `authd import` (API.md §16), one per user.
    UserImported,
}

impl EventType {
    pub const ALL: [Self; 20] = [
        Self::UserRegistered,
        Self::UserEmailVerified,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginLocked,
        Self::RefreshReuseDetected,
        Self::SessionRevoked,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::EmailChanged,
        Self::MfaEnrolled,
        Self::MfaRemoved,
        Self::MfaRecoveryCodeUsed,
        Self::IdentityLinked,
        Self::IdentityUnlinked,
        Self::UserRolesChanged,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::UserDeleted,
        Self::UserImported,
    ];

    /// The `type` as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user.registered",
            Self::UserEmailVerified => "user.email_verified",
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::LoginLocked => "login.locked",
            Self::RefreshReuseDetected => "refresh.reuse_detected",
            Self::SessionRevoked => "session.revoked",
            Self::PasswordChanged => "password.changed",
            Self::PasswordReset => "password.reset",
            Self::EmailChanged => "email.changed",
            Self::MfaEnrolled => "mfa.enrolled",
            Self::MfaRemoved => "mfa.removed",
            Self::MfaRecoveryCodeUsed => "mfa.recovery_code_used",
            Self::IdentityLinked => "identity.linked",
            Self::IdentityUnlinked => "identity.unlinked",
            Self::UserRolesChanged => "user.roles_changed",
            Self::UserDisabled => "user.disabled",
            Self::UserEnabled => "user.enabled",
            Self::UserDeleted => "user.deleted",
            Self::UserImported => "user.imported",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

/// One event before it is written: who acted (`actor_id`, None when nobody
/// was authenticated), whom it concerns (`user_id`), the session, and
/// non-secret details.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventType,
    pub actor_id: Option<String>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub data: Map<String, Value>,
}

impl Event {
    pub fn new(kind: EventType) -> Self {
        Self {
            kind,
            actor_id: None,
            user_id: None,
            session_id: None,
            data: Map::new(),
        }
    }

    /// The user acted on their own account: actor and subject.
    pub fn by(self, user_id: &str) -> Self {
        self.actor(user_id).about(user_id)
    }

    pub fn actor(mut self, actor_id: &str) -> Self {
        self.actor_id = Some(actor_id.to_owned());
        self
    }

    pub fn about(mut self, user_id: &str) -> Self {
        self.user_id = Some(user_id.to_owned());
        self
    }

    pub fn session(mut self, session_id: &str) -> Self {
        self.session_id = Some(session_id.to_owned());
        self
    }

    /// A detail; never a secret, token, password or someone else's email.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.data.insert(key.to_owned(), value.into());
        self
    }
}

/// An email address as the logs show it (`a***@example.com`).
pub use crate::auth::email::mask;

/// Records events, and queues them for the webhook when one is configured
/// and the type matches `AUTH_WEBHOOK_EVENTS`, and for the Shared Signals
/// receivers when the event is one they are told of. Cheap to clone into a
/// transaction's closure.
#[derive(Clone, Debug, Default)]
pub struct AuditLog {
    /// The type prefixes to send (empty: all); None without a webhook.
    webhook_prefixes: Option<Arc<[String]>>,
    /// The issuer and `AUTH_SSF_RECEIVERS`; None without receivers.
    ssf: Option<Arc<(String, Vec<String>)>>,
}

impl AuditLog {
    pub fn new(settings: &AuditSettings, issuer: &str) -> Self {
        Self {
            webhook_prefixes: settings
                .webhook
                .as_ref()
                .map(|_| settings.webhook_events.clone().into()),
            ssf: (!settings.ssf_receivers.is_empty())
                .then(|| Arc::new((issuer.to_owned(), settings.ssf_receivers.clone()))),
        }
    }

    fn sends(&self, kind: EventType) -> bool {
        self.webhook_prefixes.as_ref().is_some_and(|prefixes| {
            prefixes.is_empty()
                || prefixes
                    .iter()
                    .any(|p| kind.as_str().starts_with(p.as_str()))
        })
    }

    /// Writes `event` in the caller's transaction (`conn`), and its webhook
    /// delivery with it.
    pub fn record(
        &self,
        conn: &mut AnyConnection,
        ctx: &RequestContext,
        event: Event,
    ) -> Result<(), ApiError> {
        let pushes = match self.ssf {
            Some(_) => security_events(event.kind, event.session_id.as_deref(), &event.data),
            None => Vec::new(),
        };
        let row = AuditEventRow {
            id: uuid::Uuid::now_v7().to_string(),
            kind: event.kind.as_str().to_owned(),
            at: now(),
            actor_id: event.actor_id,
            user_id: event.user_id,
            session_id: event.session_id,
            ip: ctx.ip.map(|ip| ip.to_string()),
            user_agent: ctx.user_agent.clone(),
            data: Value::Object(event.data).to_string(),
        };
        audit_events::insert(conn, &row)?;
        if let (Some(ssf), Some(user_id)) = (&self.ssf, &row.user_id) {
            let (issuer, receivers) = ssf.as_ref();
            for (event, receiver) in pushes
                .iter()
                .flat_map(|e| receivers.iter().map(move |r| (e, r)))
            {
                let jti = uuid::Uuid::now_v7().to_string();
                let claims = shared_signals::claims(issuer, receiver, &jti, row.at, user_id, event);
                ssf_outbox::enqueue(
                    conn,
                    &NewSsfPush {
                        id: &jti,
                        receiver,
                        event_type: event.name(),
                        payload: &claims.to_string(),
                        status: outbox::PENDING,
                        next_attempt_at: row.at,
                        created_at: row.at,
                    },
                )?;
            }
        }
        if self.sends(event.kind) {
            let at = row.at;
            let (id, kind) = (row.id.clone(), row.kind.clone());
            let payload = serde_json::json!({
                "type": kind,
                "timestamp": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "data": AuditEvent::from_row(row),
            })
            .to_string();
            webhook_outbox::enqueue(
                conn,
                &NewWebhook {
                    id: &id,
                    event_type: &kind,
                    payload: &payload,
                    status: outbox::PENDING,
                    next_attempt_at: at,
                    created_at: at,
                },
            )?;
        }
        Ok(())
    }

    /// Writes an event that records no change (a failed login) in its own
    /// short transaction.
    pub async fn record_alone(
        &self,
        db: &Db,
        ctx: &RequestContext,
        event: Event,
    ) -> Result<(), ApiError> {
        let (log, ctx) = (self.clone(), ctx.clone());
        db.transaction(move |conn| log.record(conn, &ctx, event))
            .await
    }
}

/// What Shared Signals receivers are told of an audit event (API.md §18):
/// revoked sessions (CAEP `session-revoked`, of one session or, without
/// one, of them all), changed credentials (CAEP `credential-change`) and
/// the account's state (RISC).
pub fn security_events(
    kind: EventType,
    session: Option<&str>,
    data: &Map<String, Value>,
) -> Vec<SecurityEvent> {
    let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or_default();
    let revoked = |session: Option<&str>, initiator, reason: &str| SecurityEvent::SessionRevoked {
        session: session.map(str::to_owned),
        initiator,
        reason: reason.to_owned(),
    };
    let credential = |factor: &str| match factor {
        "passkey" => "fido2-platform",
        _ => "app",
    };
    let by_owner = Initiator::User;
    match kind {
        EventType::SessionRevoked => {
            let reason = text("reason");
            vec![match reason {
                "logout_all" => revoked(None, by_owner, reason),
                "takeover" => revoked(None, Initiator::Policy, reason),
                "admin_all" => revoked(None, Initiator::Admin, reason),
                "admin" => revoked(session, Initiator::Admin, reason),
                "logout" | "revoked" => revoked(session, by_owner, reason),
                _ => revoked(session, Initiator::Policy, reason),
            }]
        }
        EventType::RefreshReuseDetected => vec![revoked(session, Initiator::Policy, "reuse")],
        EventType::PasswordChanged => vec![SecurityEvent::CredentialChange {
            credential: "password",
            change: Change::Update,
            initiator: by_owner,
        }],
        EventType::PasswordReset => vec![
            SecurityEvent::CredentialChange {
                credential: "password",
                change: Change::Update,
                initiator: by_owner,
            },
            revoked(None, by_owner, "password_reset"),
        ],
        EventType::MfaEnrolled => vec![SecurityEvent::CredentialChange {
            credential: credential(text("type")),
            change: Change::Create,
            initiator: by_owner,
        }],
        EventType::MfaRemoved if text("reason") == "admin_reset" => {
            vec![revoked(None, Initiator::Admin, "mfa_reset")]
        }
        EventType::MfaRemoved => vec![SecurityEvent::CredentialChange {
            credential: credential(text("type")),
            change: Change::Delete,
            initiator: by_owner,
        }],
        EventType::UserDisabled => vec![SecurityEvent::AccountDisabled],
        EventType::UserEnabled => vec![SecurityEvent::AccountEnabled],
        EventType::UserDeleted => vec![SecurityEvent::AccountPurged],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect()
    }

    #[test]
    fn one_session_or_all_of_them_by_the_recorded_reason() {
        let one = security_events(
            EventType::SessionRevoked,
            Some("s"),
            &data(&[("reason", "logout")]),
        );
        assert_eq!(
            one,
            [SecurityEvent::SessionRevoked {
                session: Some("s".into()),
                initiator: Initiator::User,
                reason: "logout".into(),
            }]
        );
        // logout-all records the caller's session, but ends them all.
        let all = security_events(
            EventType::SessionRevoked,
            Some("s"),
            &data(&[("reason", "logout_all")]),
        );
        assert!(matches!(
            &all[..],
            [SecurityEvent::SessionRevoked { session: None, .. }]
        ));
        let limit = security_events(
            EventType::SessionRevoked,
            Some("s"),
            &data(&[("reason", "session_limit")]),
        );
        assert!(matches!(
            &limit[..],
            [SecurityEvent::SessionRevoked {
                initiator: Initiator::Policy,
                ..
            }]
        ));
    }

    #[test]
    fn a_reset_changes_the_password_and_ends_every_session() {
        let reset = security_events(EventType::PasswordReset, None, &Map::new());
        assert_eq!(reset.len(), 2);
        assert!(matches!(
            reset[0],
            SecurityEvent::CredentialChange {
                credential: "password",
                ..
            }
        ));
        assert!(matches!(
            reset[1],
            SecurityEvent::SessionRevoked { session: None, .. }
        ));
        let passkey = security_events(EventType::MfaEnrolled, None, &data(&[("type", "passkey")]));
        assert!(matches!(
            passkey[..],
            [SecurityEvent::CredentialChange {
                credential: "fido2-platform",
                change: Change::Create,
                ..
            }]
        ));
    }

    #[test]
    fn events_that_end_nothing_are_not_pushed() {
        for kind in [
            EventType::LoginSucceeded,
            EventType::LoginFailed,
            EventType::UserRegistered,
        ] {
            assert!(
                security_events(kind, None, &Map::new()).is_empty(),
                "{kind:?}"
            );
        }
    }
}
