//! The OpenID Shared Signals transmitter (SSF 1.0, API.md §18): each
//! revocation, credential change, disable, enable and deletion is pushed to
//! every `AUTH_SSF_RECEIVERS` URL as a Security Event Token (RFC 8417) of
//! CAEP or RISC, by RFC 8935 push.
//!
//! The audit log decides what is pushed (`auth::audit` maps its event types
//! to [`SecurityEvent`]s) and queues one row per receiver in the event's
//! transaction, so a push exists if and only if the change committed. The
//! shared outbox runner delivers and retries the rows like webhooks. A row
//! keeps the SET's claims, signed at each attempt: EdDSA is deterministic,
//! so a retry sends the same bytes (and the same `jti`).
//!
//! This module is what receivers are told (the events, the claims, the
//! transmitter's metadata) and imports nothing of the server, so the audit
//! log can use it; `AuditLog::record` queues the rows and `ssf_delivery`
//! pushes them.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

const CAEP: &str = "https://schemas.openid.net/secevent/caep/event-type/";
const RISC: &str = "https://schemas.openid.net/secevent/risc/event-type/";
/// RFC 8935's delivery method, the only one authd offers.
const PUSH: &str = "urn:ietf:rfc:8935";

/// Who made a change happen (CAEP's `initiating_entity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// The user themselves.
    User,
    /// An operator through the admin API.
    Admin,
    /// A rule of the server: a session limit, a reused refresh token, a
    /// takeover.
    Policy,
}

impl Initiator {
    fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
            Self::Policy => "policy",
        }
    }
}

/// CAEP `credential-change`'s `change_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Delete,
}

/// One event about one user, as receivers are told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityEvent {
    /// CAEP `session-revoked`: one session, or every session of the user
    /// when `session` is None.
    SessionRevoked {
        session: Option<String>,
        initiator: Initiator,
        /// authd's reason (`logout`, `session_limit`, …) for the admin.
        reason: String,
    },
    /// CAEP `credential-change`: `credential` is CAEP's `credential_type`
    /// (`password`, `app` for TOTP, `fido2-platform` for passkeys).
    CredentialChange {
        credential: &'static str,
        change: Change,
        initiator: Initiator,
    },
    /// RISC `account-disabled`.
    AccountDisabled,
    /// RISC `account-enabled`.
    AccountEnabled,
    /// RISC `account-purged`.
    AccountPurged,
}

impl SecurityEvent {
    /// The short name kept in the outbox row (`event_type`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::SessionRevoked { .. } => "session-revoked",
            Self::CredentialChange { .. } => "credential-change",
            Self::AccountDisabled => "account-disabled",
            Self::AccountEnabled => "account-enabled",
            Self::AccountPurged => "account-purged",
        }
    }

    /// The event type URI of the `events` claim.
    pub fn uri(&self) -> String {
        let profile = match self {
            Self::SessionRevoked { .. } | Self::CredentialChange { .. } => CAEP,
            Self::AccountDisabled | Self::AccountEnabled | Self::AccountPurged => RISC,
        };
        format!("{profile}{}", self.name())
    }

    /// The event's own members (CAEP's `event_timestamp` and the rest).
    fn members(&self, at: i64) -> Value {
        match self {
            Self::SessionRevoked {
                initiator, reason, ..
            } => json!({
                "event_timestamp": at,
                "initiating_entity": initiator.as_str(),
                "reason_admin": {"en": reason},
            }),
            Self::CredentialChange {
                credential,
                change,
                initiator,
            } => json!({
                "event_timestamp": at,
                "initiating_entity": initiator.as_str(),
                "credential_type": credential,
                "change_type": match change {
                    Change::Create => "create",
                    Change::Update => "update",
                    Change::Delete => "delete",
                },
            }),
            Self::AccountDisabled | Self::AccountEnabled | Self::AccountPurged => json!({}),
        }
    }

    fn session(&self) -> Option<&str> {
        match self {
            Self::SessionRevoked { session, .. } => session.as_deref(),
            _ => None,
        }
    }
}

/// The claims of one SET: no `exp` (RFC 8417 §2.2), `jti` stable across
/// retries, the subject as a `complex` identifier of the user's `iss_sub`
/// and, for one session, the session.
pub fn claims(
    issuer: &str,
    receiver: &str,
    jti: &str,
    at: NaiveDateTime,
    user_id: &str,
    event: &SecurityEvent,
) -> Value {
    let at = at.and_utc().timestamp();
    let mut subject = json!({
        "format": "complex",
        "user": {"format": "iss_sub", "iss": issuer, "sub": user_id},
    });
    if let Some(session) = event.session() {
        subject["session"] = json!({"format": "opaque", "id": session});
    }
    let mut events = serde_json::Map::new();
    events.insert(event.uri(), event.members(at));
    json!({
        "iss": issuer,
        "aud": receiver,
        "iat": at,
        "jti": jti,
        "sub_id": subject,
        "events": events,
    })
}

/// `/.well-known/ssf-configuration`: the transmitter's metadata (SSF 1.0
/// §7.1). No stream-management endpoints: receivers are configured by the
/// operator alone.
pub fn configuration(issuer: &str) -> Value {
    let base = issuer.trim_end_matches('/');
    json!({
        "spec_version": "1_0",
        "issuer": issuer,
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "delivery_methods_supported": [PUSH],
        "critical_subject_members": ["user"],
        "default_subjects": "ALL",
        "events_supported": [
            format!("{CAEP}session-revoked"),
            format!("{CAEP}credential-change"),
            format!("{RISC}account-disabled"),
            format!("{RISC}account-enabled"),
            format!("{RISC}account-purged"),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_796_644_800, 0)
            .map(|t| t.naive_utc())
            .unwrap()
    }

    #[test]
    fn a_session_revocation_names_the_user_and_the_session() {
        let event = SecurityEvent::SessionRevoked {
            session: Some("s-1".into()),
            initiator: Initiator::User,
            reason: "logout".into(),
        };
        let claims = claims(
            "https://id.test",
            "https://rp.test/ssf",
            "j-1",
            at(),
            "u-1",
            &event,
        );
        assert_eq!(claims["aud"], "https://rp.test/ssf");
        assert_eq!(claims["jti"], "j-1");
        assert_eq!(claims["iat"], 1_796_644_800);
        assert!(claims.get("exp").is_none(), "a SET carries no exp");
        assert_eq!(claims["sub_id"]["format"], "complex");
        assert_eq!(claims["sub_id"]["user"]["format"], "iss_sub");
        assert_eq!(claims["sub_id"]["user"]["sub"], "u-1");
        assert_eq!(claims["sub_id"]["session"]["id"], "s-1");
        let members = &claims["events"][format!("{CAEP}session-revoked")];
        assert_eq!(members["initiating_entity"], "user");
        assert_eq!(members["event_timestamp"], 1_796_644_800);
    }

    #[test]
    fn account_events_are_risc_and_name_only_the_user() {
        let claims = claims("i", "r", "j", at(), "u", &SecurityEvent::AccountDisabled);
        assert!(claims["events"][format!("{RISC}account-disabled")].is_object());
        assert!(claims["sub_id"].get("session").is_none());
    }
}
