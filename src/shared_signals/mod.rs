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

pub mod delivery;
pub mod events;
